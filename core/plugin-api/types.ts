// The plugin contract: a manifest whose register() only declares (no I/O); the kernel validates the whole graph.
import type { Catalogue, Lang } from '../shared/i18n.js';
import type { AppError, Result } from '../shared/result.js';
import type { ContestTypeDef } from './contest-type.js';
import type { ReportDef } from './reports.js';
import type { RuleDef } from './rules.js';

/** Tree levels a permission or scope applies to. Structure nodes (units, polling areas) join in later issues. */
export type TreeLevel = 'nation' | 'province' | 'commune' | 'electoral-unit' | 'polling-area';

/** A permission `<owner>.<subject>.<action>`, the level of the targets it guards, and the roles granted it by default. */
export interface PermissionDef {
  id: string;
  level: TreeLevel;
  titleKey: string;
  /** Role ids that hold the permission by default (the policy table; identity issue). */
  roles: string[];
  /** Reads of public reference data (e.g. the administrative tree): any holder of the role, whatever its scope. */
  unscoped?: boolean;
  /** Needs a fresh second-factor confirmation (step-up) before the action. */
  stepUp?: boolean;
}

export interface SettingDef {
  id: string;
  titleKey: string;
  type: 'number' | 'boolean' | 'string';
  default: number | boolean | string;
  /** A string setting's allowed values; each is shown as the message `${titleKey}.${value}`. */
  options?: readonly string[];
  /** A number setting's bounds (inclusive). */
  min?: number;
  max?: number;
}

/** A job handler; payloads carry ids, never personal data. */
export interface JobDef<P = unknown, R = unknown> {
  /** `<pluginId>.<job>` */
  name: string;
  handle(payload: P, ctx: PluginContext & { progress(done: number, total: number): Promise<void> }): Promise<R>;
}

/** A repeatable job, upserted at boot for each election where the plugin is enabled. */
export interface ScheduleDef {
  id: string;
  job: string;
  every?: number;
  cron?: string;
}

/** Context given to plugin code: never globals. */
export interface PluginContext {
  pluginId: string;
  electionId?: string;
  lang: Lang;
  t(key: string, params?: Record<string, unknown>): string;
  now(): Date;
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  /** Read-only SQL against the application schema (parameterised). */
  sql<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  settings: Record<string, unknown>;
}

export interface PluginRequestContext extends PluginContext {
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: unknown;
}

export type PluginResponse =
  | { view: string; data?: Record<string, unknown>; title?: string }
  | { json: unknown; status?: number }
  | { redirect: string };

/** A route below /elections/:electionId/p/<pluginId>/, guarded by a permission. */
export interface RouteDef {
  method: 'get' | 'post';
  path: string;
  permission: string;
  /** The node the route acts on (default: the nation, within the election). */
  target?: (ctx: { params: Record<string, string>; query: Record<string, string | undefined> }) => { type: TreeLevel; code: string };
  handle(ctx: PluginRequestContext): Promise<PluginResponse>;
}

export interface MenuItemDef {
  id: string;
  titleKey: string;
  /** Path below the plugin's base path. */
  path: string;
  permission: string;
}

/** Called before a plugin is disabled for an election; an error keeps it enabled and tells the admin why. */
export type DisableVeto = (ctx: PluginContext) => Promise<Result<void, AppError>>;

export interface PluginRegistrar {
  contestType(def: ContestTypeDef): void;
  permissions(...p: PermissionDef[]): void;
  settings(...s: SettingDef[]): void;
  jobs(...j: JobDef<any, any>[]): void;
  schedules(...s: ScheduleDef[]): void;
  routes(...r: RouteDef[]): void;
  menu(...m: MenuItemDef[]): void;
  /**
   * Report definitions (`<pluginId>.…` ids, guarded by one of the plugin's permissions); the kernel renders them as
   * PDF/XLSX/CSV through the generic job core.reports.generate and lists them in the download centre.
   */
  reports(...r: ReportDef<any, any, any>[]): void;
  /**
   * Count-minute rules of this contest, added to core's generic catalogue (which applies to every contest). Codes
   * carry one upper-case prefix of the plugin's own ('QH-W01': 'F' error / 'W' warning, 2–3 digits); texts are
   * keys of the plugin's catalogue. Listed in docs/rules.md (npm run docs:rules).
   */
  rules(...r: RuleDef[]): void;
  /**
   * Directory of this plugin's Handlebars templates; registered as partials `<pluginId>/<name>`. Pass
   * `new URL('./views/', import.meta.url)` so the plugin needs no path arithmetic; a string must be absolute.
   */
  views(dir: string | URL): void;
  messages(cat: Catalogue): void;
  vetoDisable(fn: DisableVeto): void;
}

export interface PluginManifest {
  id: string;
  version: string;
  titleKey: string;
  /** Other plugin ids this one needs (none today: plugins never depend on each other's code). */
  requires?: string[];
  register(r: PluginRegistrar): void;
}

/** Identity function that gives a plugin manifest its type. */
export function definePlugin(manifest: PluginManifest): PluginManifest {
  return manifest;
}
