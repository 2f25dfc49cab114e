// Registry of installed plugins: runs each pure register(), validates the whole graph, refuses to boot on any conflict.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { I18n, LANGS, type Catalogue } from '../shared/i18n.js';
import type {
  ContestTypeDef,
  DisableVeto,
  JobDef,
  MenuItemDef,
  PermissionDef,
  PluginManifest,
  PluginRegistrar,
  ReportDef,
  RouteDef,
  RuleDef,
  ScheduleDef,
  SettingDef,
} from '../plugin-api/index.js';
import { REPORT_FORMATS } from '../plugin-api/index.js';

/** Owner of the permissions and jobs core declares through {@link PluginRegistry.registerCore}. */
export const CORE_OWNER = 'core';

/** Options of {@link PluginRegistry.build}. */
export interface PluginRegistryOptions {
  /** Catalogue to merge plugin messages into (core's, so a plugin cannot shadow a core key); a fresh one otherwise. */
  i18n?: I18n;
  /** Known role ids; when given, a permission granting any other role is refused. */
  roles?: readonly string[];
  /**
   * Core's generic count-minute catalogue (core/elections/count-minutes/rules.ts), which applies to every contest;
   * {@link PluginRegistry.rules} lists it before a plugin's own rules. Codes 'F' / 'W' + 3 digits.
   */
  coreRules?: readonly RuleDef[];
}

/** What a menu or page list shows about a plugin. */
export interface PluginInfo {
  id: string;
  titleKey: string;
  version: string;
}

/** A permission with the plugin id (or 'core') that declared it. */
export interface RegisteredPermission extends PermissionDef {
  owner: string;
}

/** A job handler with the plugin id (or 'core') that declared it. */
export interface RegisteredJob {
  pluginId: string;
  def: JobDef<any, any>;
}

/** A report definition with the plugin id that declared it. */
export interface RegisteredReport {
  pluginId: string;
  def: ReportDef<any, any, any>;
}

/** Everything one plugin declared, after validation. */
export interface RegisteredPlugin {
  manifest: PluginManifest;
  contestType: ContestTypeDef | undefined;
  permissions: readonly PermissionDef[];
  settings: readonly SettingDef[];
  jobs: readonly JobDef<any, any>[];
  schedules: readonly ScheduleDef[];
  routes: readonly RouteDef[];
  menu: readonly MenuItemDef[];
  reports: readonly ReportDef<any, any, any>[];
  /** The plugin's own count-minute rules (core's catalogue not included). */
  rules: readonly RuleDef[];
  /** Absolute directory of the plugin's templates, if it has any. */
  viewsDir: string | undefined;
  vetoDisable: DisableVeto | undefined;
}

/** Core's own declarations, validated like a plugin's. */
export interface CoreDeclarations {
  permissions?: PermissionDef[];
  jobs?: JobDef<any, any>[];
}

/** What a plugin's register() handed to the registrar, before validation. */
interface Collected {
  contestTypes: ContestTypeDef[];
  permissions: PermissionDef[];
  settings: SettingDef[];
  jobs: JobDef<any, any>[];
  schedules: ScheduleDef[];
  routes: RouteDef[];
  menu: MenuItemDef[];
  reports: ReportDef<any, any, any>[];
  rules: RuleDef[];
  views: (string | URL)[];
  catalogues: Catalogue[];
  vetoes: DisableVeto[];
}

const SEGMENT = '[a-z][a-z0-9]*(?:-[a-z0-9]+)*';
const KEBAB = new RegExp(`^${SEGMENT}$`);
const PERMISSION = new RegExp(`^(${SEGMENT})\\.(${SEGMENT})\\.(${SEGMENT})$`);
const DOTTED_TAIL = new RegExp(`^${SEGMENT}(?:\\.${SEGMENT})*$`);
const CRON_FIELDS = 5;
/** Core rule codes: 'F' (error) or 'W' (warning) and three digits. */
const CORE_RULE_CODE = /^([FW])\d{3}$/;
/** A plugin's rule codes: its own upper-case prefix, '-', 'F' or 'W', two or three digits ('QH-W01'). */
const PLUGIN_RULE_CODE = /^([A-Z]{2,4})-([FW])\d{2,3}$/;

/** The validated graph of installed plugins; built once at boot and read by routes, menus, jobs and views. */
export class PluginRegistry {
  private readonly byId = new Map<string, RegisteredPlugin>();
  private readonly allPermissions = new Map<string, RegisteredPermission>();
  private readonly allJobs = new Map<string, RegisteredJob>();
  private readonly scheduleIds = new Set<string>();
  private readonly settingIds = new Set<string>();
  private readonly menuIds = new Set<string>();
  private readonly allReports = new Map<string, RegisteredReport>();
  /** Rule code → owner ('core' or plugin id); rule prefix → owning plugin. */
  private readonly ruleOwners = new Map<string, string>();
  private readonly rulePrefixes = new Map<string, string>();
  private coreRules: readonly RuleDef[] = [];

  private constructor(
    /** The merged catalogue: core's (if given) plus every plugin's messages. */
    readonly i18n: I18n,
    private readonly knownRoles: ReadonlySet<string> | undefined,
  ) {}

  /**
   * Runs every manifest's register() and validates the whole graph. Throws an Error naming the plugin and the id
   * on the first problem: the kernel must refuse to boot rather than run with a half-valid plugin set.
   */
  static build(manifests: readonly PluginManifest[], opts: PluginRegistryOptions = {}): PluginRegistry {
    const registry = new PluginRegistry(opts.i18n ?? new I18n(), opts.roles ? new Set(opts.roles) : undefined);
    registry.addCoreRules(opts.coreRules ?? []);
    const collected = new Map<string, Collected>();
    for (const manifest of manifests) {
      registry.checkManifest(manifest, collected);
      collected.set(manifest.id, collect(manifest));
    }
    for (const manifest of manifests) registry.add(manifest, collected.get(manifest.id)!);
    for (const manifest of manifests) {
      for (const dep of manifest.requires ?? []) {
        if (dep === manifest.id) fail(manifest.id, `requires itself`);
        if (!registry.byId.has(dep)) fail(manifest.id, `requires plugin "${dep}", which is not installed`);
      }
    }
    // Messages last: everything else is checked before the shared catalogue is touched.
    for (const manifest of manifests) registry.addMessages(manifest, collected.get(manifest.id)!);
    return registry;
  }

  /** Declares core's permissions and jobs (owner 'core'), with the same id and uniqueness rules as plugins. */
  registerCore(decl: CoreDeclarations): void {
    const permissions = decl.permissions ?? [];
    const jobs = decl.jobs ?? [];
    // Validate everything before storing anything, so a refused call leaves the registry unchanged.
    const seenPermissions = new Set<string>();
    for (const p of permissions) {
      this.checkPermission(CORE_OWNER, p);
      if (seenPermissions.has(p.id)) fail(CORE_OWNER, `duplicate permission "${p.id}"`);
      seenPermissions.add(p.id);
    }
    const seenJobs = new Set<string>();
    for (const j of jobs) {
      this.checkJob(CORE_OWNER, j);
      if (seenJobs.has(j.name)) fail(CORE_OWNER, `duplicate job "${j.name}"`);
      seenJobs.add(j.name);
    }
    for (const p of permissions) this.allPermissions.set(p.id, { ...p, owner: CORE_OWNER });
    for (const j of jobs) this.allJobs.set(j.name, { pluginId: CORE_OWNER, def: j });
  }

  /** Installed plugins, in installation order. */
  plugins(): PluginInfo[] {
    return [...this.byId.values()].map(({ manifest: m }) => ({ id: m.id, titleKey: m.titleKey, version: m.version }));
  }

  /** Everything a plugin declared, or undefined if it is not installed. */
  get(id: string): RegisteredPlugin | undefined {
    return this.byId.get(id);
  }

  /** The contest type a plugin registered, if any. */
  contestType(id: string): ContestTypeDef | undefined {
    return this.byId.get(id)?.contestType;
  }

  /** Every registered contest type, in installation order. */
  contestTypes(): ContestTypeDef[] {
    return [...this.byId.values()].flatMap((p) => (p.contestType ? [p.contestType] : []));
  }

  /** Every permission of core and the plugins, each with its owner (the policy table is built from this). */
  permissions(): RegisteredPermission[] {
    return [...this.allPermissions.values()];
  }

  /** The job router's table: job name → declaring plugin (or 'core') and handler. */
  jobs(): ReadonlyMap<string, RegisteredJob> {
    return this.allJobs;
  }

  /** Every plugin's report definitions by id (core's own reports are registered by the reports module). */
  reports(): ReadonlyMap<string, RegisteredReport> {
    return this.allReports;
  }

  /**
   * The count-minute rules of a plugin's contest, as validateMinutes() takes them: core's generic catalogue (if
   * given to build()) followed by the plugin's own rules.
   */
  rules(pluginId: string): readonly RuleDef[] {
    return [...this.coreRules, ...this.require(pluginId).rules];
  }

  /** A plugin's repeatable jobs. */
  schedules(pluginId: string): readonly ScheduleDef[] {
    return this.require(pluginId).schedules;
  }

  /** A plugin's routes, mounted below its base path. */
  routes(pluginId: string): readonly RouteDef[] {
    return this.require(pluginId).routes;
  }

  /** A plugin's menu items. */
  menu(pluginId: string): readonly MenuItemDef[] {
    return this.require(pluginId).menu;
  }

  /** Template directories to register as partials `<pluginId>/<name>`. */
  viewsDirs(): { pluginId: string; dir: string }[] {
    return [...this.byId.values()].flatMap((p) => (p.viewsDir ? [{ pluginId: p.manifest.id, dir: p.viewsDir }] : []));
  }

  /** The check run before a plugin is disabled for an election, if it declared one. */
  vetoDisable(pluginId: string): DisableVeto | undefined {
    return this.require(pluginId).vetoDisable;
  }

  /** A plugin's settings, each with its default. */
  settings(pluginId: string): readonly SettingDef[] {
    return this.require(pluginId).settings;
  }

  /** A plugin's settings as id → default value: the values in force until an admin changes one. */
  settingDefaults(pluginId: string): Record<string, SettingDef['default']> {
    return Object.fromEntries(this.require(pluginId).settings.map((s) => [s.id, s.default]));
  }

  private require(pluginId: string): RegisteredPlugin {
    const p = this.byId.get(pluginId);
    // An unknown id here is a bug in the caller, not an empty answer.
    if (!p) throw new Error(`Plugin registry: unknown plugin "${pluginId}"`);
    return p;
  }

  private checkManifest(m: PluginManifest, seen: ReadonlyMap<string, unknown>): void {
    const id = String(m.id);
    if (!KEBAB.test(id)) fail(id, `plugin id must be kebab-case (e.g. "national-assembly")`);
    if (id === CORE_OWNER) fail(id, `plugin id "${CORE_OWNER}" is reserved for the kernel`);
    if (seen.has(id)) fail(id, `duplicate plugin id "${id}"`);
    if (!m.version) fail(id, `manifest has no version`);
    if (!m.titleKey) fail(id, `manifest has no titleKey`);
  }

  private add(m: PluginManifest, c: Collected): void {
    const id = m.id;
    if (c.contestTypes.length > 1) fail(id, `registers ${c.contestTypes.length} contest types; a plugin registers at most one`);
    const contestType = c.contestTypes[0];
    if (contestType) {
      if (contestType.id !== id) fail(id, `contest type id "${contestType.id}" must equal the plugin id`);
      const problems = contestTypeProblems(contestType);
      if (problems.length) fail(id, `contest type "${contestType.id}": ${problems.join('; ')}`);
    }

    const ownPermissions = new Set<string>();
    for (const p of c.permissions) {
      this.checkPermission(id, p);
      ownPermissions.add(p.id);
      this.allPermissions.set(p.id, { ...p, owner: id });
    }

    for (const j of c.jobs) {
      this.checkJob(id, j);
      this.allJobs.set(j.name, { pluginId: id, def: j });
    }
    const ownJobs = new Set(c.jobs.map((j) => j.name));

    for (const s of c.schedules) {
      checkOwnedId(id, 'schedule', s.id);
      if (this.scheduleIds.has(s.id)) fail(id, `duplicate schedule "${s.id}"`);
      if (!ownJobs.has(s.job)) fail(id, `schedule "${s.id}" references job "${s.job}", which this plugin does not declare`);
      if ((s.every === undefined) === (s.cron === undefined)) {
        fail(id, `schedule "${s.id}" needs exactly one of "every" and "cron"`);
      }
      if (s.every !== undefined && !(Number.isInteger(s.every) && s.every > 0)) {
        fail(id, `schedule "${s.id}": "every" must be a positive number of milliseconds`);
      }
      if (s.cron !== undefined && s.cron.trim().split(/\s+/).length !== CRON_FIELDS) {
        fail(id, `schedule "${s.id}": cron "${s.cron}" must have ${CRON_FIELDS} fields`);
      }
      this.scheduleIds.add(s.id);
    }

    for (const s of c.settings) {
      checkOwnedId(id, 'setting', s.id);
      if (this.settingIds.has(s.id)) fail(id, `duplicate setting "${s.id}"`);
      if (typeof s.default !== s.type) fail(id, `setting "${s.id}" has a ${typeof s.default} default but type "${s.type}"`);
      if (s.options && (s.type !== 'string' || !s.options.includes(String(s.default)))) fail(id, `setting "${s.id}": options need type "string" and must include the default`);
      if ((s.min !== undefined || s.max !== undefined) && (s.type !== 'number' || (s.min !== undefined && Number(s.default) < s.min) || (s.max !== undefined && Number(s.default) > s.max))) {
        fail(id, `setting "${s.id}": min/max need type "number" and must hold the default`);
      }
      this.settingIds.add(s.id);
    }

    const routeKeys = new Set<string>();
    for (const r of c.routes) {
      const where = `route ${r.method.toUpperCase()} ${r.path}`;
      if (r.method !== 'get' && r.method !== 'post') fail(id, `${where}: method must be "get" or "post"`);
      if (!r.path.startsWith('/')) fail(id, `${where}: path must start with "/"`);
      const key = `${r.method} ${r.path}`;
      if (routeKeys.has(key)) fail(id, `duplicate ${where}`);
      routeKeys.add(key);
      checkPermissionRef(id, where, r.permission, ownPermissions);
    }

    for (const item of c.menu) {
      checkOwnedId(id, 'menu item', item.id);
      if (this.menuIds.has(item.id)) fail(id, `duplicate menu item "${item.id}"`);
      if (!item.path.startsWith('/')) fail(id, `menu item "${item.id}": path must start with "/"`);
      checkPermissionRef(id, `menu item "${item.id}"`, item.permission, ownPermissions);
      this.menuIds.add(item.id);
    }

    for (const rep of c.reports) {
      this.checkReport(id, rep, ownPermissions, c.views.length > 0);
      this.allReports.set(rep.id, { pluginId: id, def: rep });
    }

    for (const rule of c.rules) this.checkRule(id, rule);

    if (c.views.length > 1) fail(id, `declares views() ${c.views.length} times`);
    let viewsDir: string | undefined;
    if (c.views[0] !== undefined) {
      const v = c.views[0];
      viewsDir = v instanceof URL ? fileURLToPath(v) : v;
      if (!path.isAbsolute(viewsDir)) {
        fail(id, `views directory "${viewsDir}" must be absolute (pass new URL('./views/', import.meta.url))`);
      }
    }

    if (c.vetoes.length > 1) fail(id, `declares vetoDisable() ${c.vetoes.length} times`);

    this.byId.set(id, {
      manifest: m,
      contestType,
      permissions: c.permissions,
      settings: c.settings,
      jobs: c.jobs,
      schedules: c.schedules,
      routes: c.routes,
      menu: c.menu,
      reports: c.reports,
      rules: c.rules,
      viewsDir,
      vetoDisable: c.vetoes[0],
    });
  }

  private addMessages(m: PluginManifest, c: Collected): void {
    const id = m.id;
    const own = new Set<string>();
    for (const cat of c.catalogues) {
      for (const lang of LANGS) {
        for (const key of Object.keys(cat[lang])) {
          if (!key.startsWith(`${id}.`)) fail(id, `message key "${key}" (${lang}) must start with "${id}."`);
          if (lang === 'vi') own.add(key);
        }
      }
      try {
        this.i18n.add(id, cat);
      } catch (e) {
        fail(id, (e as Error).message);
      }
    }
    // A missing key would show itself on screen; catch it at boot instead.
    const p = this.byId.get(id)!;
    const referenced = [
      m.titleKey,
      ...p.permissions.map((x) => x.titleKey),
      ...p.settings.flatMap((x) => [x.titleKey, ...(x.options ?? []).map((o) => `${x.titleKey}.${o}`)]),
      ...p.menu.map((x) => x.titleKey),
      ...p.reports.flatMap((r) => [r.titleKey, ...r.fields.map((f) => f.labelKey), ...(r.fields.flatMap((f) => f.options ?? []).map((o) => o.labelKey)),
        ...(r.columns ?? []).map((c) => c.headerKey)]),
      ...p.rules.flatMap((r) => [r.clerkKey, r.supervisorKey]),
      ...(p.contestType ? [p.contestType.titleKey, ...p.contestType.structureTargets.map((t) => t.titleKey)] : []),
    ];
    for (const key of referenced) {
      if (!own.has(key)) fail(id, `message key "${key}" is used but not in the plugin's Vietnamese catalogue`);
    }
  }

  private checkPermission(owner: string, p: PermissionDef): void {
    const m = PERMISSION.exec(p.id);
    if (!m) fail(owner, `permission "${p.id}" must be "<owner>.<subject>.<action>" (three kebab-case segments)`);
    if (m[1] !== owner) fail(owner, `permission "${p.id}" is not owned by "${owner}" (must start with "${owner}.")`);
    const existing = this.allPermissions.get(p.id);
    if (existing) fail(owner, `duplicate permission "${p.id}" (already declared by "${existing.owner}")`);
    if (this.knownRoles) {
      for (const role of p.roles) {
        if (!this.knownRoles.has(role)) fail(owner, `permission "${p.id}" grants unknown role "${role}"`);
      }
    }
  }

  /** A report: owned id, unique, guarded by the plugin's own permission, formats it can render, a form for its params. */
  private checkReport(owner: string, r: ReportDef<any, any, any>, own: ReadonlySet<string>, hasViews: boolean): void {
    checkOwnedId(owner, 'report', r.id);
    const where = `report "${r.id}"`;
    const existing = this.allReports.get(r.id);
    if (existing) fail(owner, `duplicate ${where} (already declared by "${existing.pluginId}")`);
    checkPermissionRef(owner, where, r.permission, own);
    if (typeof r.build !== 'function' || typeof r.target !== 'function') fail(owner, `${where} needs build() and target()`);
    if (!r.params || typeof (r.params as { safeParse?: unknown }).safeParse !== 'function') fail(owner, `${where}: params must be a zod schema`);
    if (!r.formats.length) fail(owner, `${where} declares no format`);
    for (const f of r.formats) if (!REPORT_FORMATS.includes(f)) fail(owner, `${where}: unknown format "${f}"`);
    if (new Set(r.formats).size !== r.formats.length) fail(owner, `${where}: duplicate format`);
    const tabular = r.formats.some((f) => f !== 'pdf') || !r.template;
    if (tabular && !r.columns?.length) fail(owner, `${where}: XLSX, CSV and the generic PDF table need columns`);
    const names = r.fields.map((f) => f.name);
    if (new Set(names).size !== names.length) fail(owner, `${where}: duplicate form field`);
    if (r.template !== undefined) {
      if (!r.template.startsWith(`${owner}/`) || !KEBAB.test(r.template.slice(owner.length + 1))) {
        fail(owner, `${where}: template "${r.template}" must be "${owner}/<kebab-name>" (a file in the plugin's views dir, reports/<name>.hbs)`);
      }
      if (!hasViews) fail(owner, `${where}: template "${r.template}" needs views() to be declared`);
    }
  }

  /** Core's catalogue: core codes, unique, well-formed; stored before any plugin rule is checked. */
  private addCoreRules(rules: readonly RuleDef[]): void {
    for (const r of rules) {
      const m = CORE_RULE_CODE.exec(String(r.code));
      if (!m) fail(CORE_OWNER, `rule code "${r.code}" must be "F" or "W" and three digits (e.g. "F202")`);
      this.checkRuleShape(CORE_OWNER, r, m[1]!);
      this.ruleOwners.set(r.code, CORE_OWNER);
    }
    this.coreRules = Object.freeze([...rules]);
  }

  /** A plugin rule: `<PREFIX>-F|W<digits>`, one prefix per plugin and no other plugin's, unique code. */
  private checkRule(owner: string, r: RuleDef): void {
    const m = PLUGIN_RULE_CODE.exec(String(r.code));
    if (!m) fail(owner, `rule code "${r.code}" must be an upper-case prefix, "-", "F" or "W" and 2–3 digits (e.g. "QH-W01")`);
    const prefix = m[1]!;
    const prefixOwner = this.rulePrefixes.get(prefix);
    if (prefixOwner !== undefined && prefixOwner !== owner) {
      fail(owner, `rule "${r.code}": prefix "${prefix}" belongs to plugin "${prefixOwner}"`);
    }
    const ownPrefix = [...this.rulePrefixes].find(([, o]) => o === owner)?.[0];
    if (ownPrefix !== undefined && ownPrefix !== prefix) {
      fail(owner, `rule "${r.code}": all of a plugin's rules share one prefix (this plugin uses "${ownPrefix}")`);
    }
    this.checkRuleShape(owner, r, m[2]!);
    this.rulePrefixes.set(prefix, owner);
    this.ruleOwners.set(r.code, owner);
  }

  private checkRuleShape(owner: string, r: RuleDef, letter: string): void {
    const where = `rule "${r.code}"`;
    const existing = this.ruleOwners.get(r.code);
    if (existing !== undefined) fail(owner, `duplicate ${where} (already declared by "${existing}")`);
    if (r.severity !== 'error' && r.severity !== 'warning') fail(owner, `${where}: severity must be "error" or "warning"`);
    if ((letter === 'F') !== (r.severity === 'error')) {
      fail(owner, `${where}: an "F" code is an error and a "W" code a warning, but the severity is "${r.severity}"`);
    }
    if (typeof r.check !== 'function') fail(owner, `${where} has no check()`);
    if (!r.clerkKey || !r.supervisorKey) fail(owner, `${where} needs a clerkKey and a supervisorKey`);
    if (owner !== CORE_OWNER && !(r.clerkKey.startsWith(`${owner}.`) && r.supervisorKey.startsWith(`${owner}.`))) {
      fail(owner, `${where}: message keys must start with "${owner}."`);
    }
    if (!/^\d+$/.test(String(r.ruleRef))) fail(owner, `${where}: ruleRef "${r.ruleRef}" must be a rule number of election-rules.md`);
  }

  private checkJob(owner: string, j: JobDef<any, any>): void {
    checkOwnedId(owner, 'job', j.name);
    const existing = this.allJobs.get(j.name);
    if (existing) fail(owner, `duplicate job "${j.name}" (already declared by "${existing.pluginId}")`);
    if (typeof j.handle !== 'function') fail(owner, `job "${j.name}" has no handle()`);
  }
}

/** Runs register() with a registrar that only records declarations: it offers no I/O and closes once register() returns. */
function collect(m: PluginManifest): Collected {
  const c: Collected = {
    contestTypes: [],
    permissions: [],
    settings: [],
    jobs: [],
    schedules: [],
    routes: [],
    menu: [],
    reports: [],
    rules: [],
    views: [],
    catalogues: [],
    vetoes: [],
  };
  let open = true;
  const into =
    <T>(list: T[]) =>
    (...items: T[]): void => {
      // A registrar kept and called later would change the graph after validation.
      if (!open) fail(m.id, `registrar used after register() returned`);
      list.push(...items);
    };
  const registrar: PluginRegistrar = Object.freeze({
    contestType: into(c.contestTypes),
    permissions: into(c.permissions),
    settings: into(c.settings),
    jobs: into(c.jobs),
    schedules: into(c.schedules),
    routes: into(c.routes),
    menu: into(c.menu),
    reports: into(c.reports),
    rules: into(c.rules),
    views: into(c.views),
    messages: into(c.catalogues),
    vetoDisable: into(c.vetoes),
  });
  const returned: unknown = m.register(registrar);
  open = false;
  if (returned !== undefined && typeof (returned as { then?: unknown }).then === 'function') {
    fail(m.id, `register() must be synchronous and only declare (it returned a promise)`);
  }
  return c;
}

/** Sanity of a contest type's parameters: anything here would make the generic election code misbehave. */
function contestTypeProblems(d: ContestTypeDef): string[] {
  const problems: string[] = [];
  if (!(Number.isInteger(d.seats.min) && d.seats.min >= 1 && d.seats.max >= d.seats.min)) {
    problems.push(`seats ${d.seats.min}–${d.seats.max} is not a range of whole numbers from 1`);
  } else {
    for (let n = d.seats.min; n <= d.seats.max; n++) {
      const rules = d.surplus.filter((r) => n >= r.seatsFrom && n <= r.seatsTo).length;
      if (rules !== 1) problems.push(`${rules === 0 ? 'no' : rules} surplus rules for ${n} seat(s)`);
    }
  }
  if (d.boardSize.min < 1 || d.boardSize.max < d.boardSize.min) {
    problems.push(`board size ${d.boardSize.min}–${d.boardSize.max} is not a range`);
  }
  const a = d.additionalElection;
  if (a.kind === 'below-fraction' && !(a.numerator > 0 && a.denominator > a.numerator)) {
    problems.push(`additional-election fraction ${a.numerator}/${a.denominator} is not between 0 and 1`);
  }
  for (const pct of [d.turnoutThresholdPercent, d.winThresholdPercent, ...d.structureTargets.map((t) => t.minPercent)]) {
    if (!(pct >= 0 && pct <= 100)) problems.push(`percentage ${pct} is outside 0–100`);
  }
  const targetIds = d.structureTargets.map((t) => t.id);
  if (new Set(targetIds).size !== targetIds.length) problems.push(`duplicate structure target ids`);
  if (!(d.dossierSets >= 1)) problems.push(`dossierSets must be at least 1`);
  return problems;
}

/** Ids a plugin declares live in its own namespace: `<owner>.<kebab>[.<kebab>…]`. */
function checkOwnedId(owner: string, kind: string, id: string): void {
  if (!id.startsWith(`${owner}.`)) fail(owner, `${kind} "${id}" is not owned by "${owner}" (must start with "${owner}.")`);
  if (!DOTTED_TAIL.test(id.slice(owner.length + 1))) {
    fail(owner, `${kind} "${id}" must be "${owner}." followed by dotted kebab-case segments`);
  }
}

/** Routes and menu items are guarded by a permission the same plugin declares. */
function checkPermissionRef(owner: string, where: string, permission: string, own: ReadonlySet<string>): void {
  if (!permission.startsWith(`${owner}.`)) {
    fail(owner, `${where} uses permission "${permission}", which is not owned by "${owner}"`);
  }
  if (!own.has(permission)) fail(owner, `${where} uses undeclared permission "${permission}"`);
}

function fail(owner: string, message: string): never {
  throw new Error(`Plugin registry: ${owner === CORE_OWNER ? 'core' : `plugin "${owner}"`}: ${message}`);
}
