// Plugin state per election: enabled/disabled and settings, persisted; disabling never drops data and a plugin
// may veto it. Enabling or disabling (re)registers the plugin's schedules for that election. Every change audited.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { prepared, sql } from '../persistence/db.js';
import { recordAudit } from '../audit/audit.service.js';
import type { PluginRegistry } from './registry.js';
import type { JobService } from '../jobs/job.service.js';
import { ok, err, type AppError, type FieldIssue, type Result } from '../shared/result.js';
import type { I18n, Lang } from '../shared/i18n.js';
import type { Logger } from '../shared/logger.js';

export interface AuditMeta {
  actor: string;
  requestId?: string;
  ip?: string;
  userAgent?: string;
}

export interface SettingField {
  id: string;
  titleKey: string;
  type: 'number' | 'boolean' | 'string';
  min?: number;
  max?: number;
  value: unknown;
  default: unknown;
  number: boolean;
  boolean: boolean;
  checked: boolean;
  options?: { value: string; labelKey: string; selected: boolean }[];
  defaultLabelKey?: string;
  /** The message of a refused form, shown beside the field. */
  error?: string;
}

export class PluginStateService {
  constructor(
    private readonly orm: MikroORM,
    private readonly registry: PluginRegistry,
    private readonly jobs: JobService,
    private readonly i18n: I18n,
    private readonly log: Logger,
  ) {}

  /** The installed election-type plugins (the contests an election can hold), in menu order. */
  installed(): { pluginId: string; titleKey: string }[] {
    return this.registry.plugins().map((p) => ({ pluginId: p.id, titleKey: p.titleKey }));
  }

  async isEnabled(em: EntityManager, electionId: string, pluginId: string): Promise<boolean> {
    const [row] = await sql<{ enabled: boolean }>(em, 'select enabled from plugin_state where election_id = ? and plugin_id = ?', [electionId, pluginId]);
    return row?.enabled === true;
  }

  /** The plugins enabled for an election, in one query (the menu of every page inside an election). */
  async enabledPlugins(em: EntityManager, electionId: string): Promise<Set<string>> {
    const rows = await prepared<{ plugin_id: string }>(em, 'select plugin_id from plugin_state where election_id = ? and enabled', [electionId]);
    return new Set(rows.map((r) => r.plugin_id));
  }

  /** A plugin's settings as form fields with the election's values (the plugins page). */
  settingFields(pluginId: string, values: Record<string, unknown>): SettingField[] {
    return this.registry.settings(pluginId).map((d) => ({
      id: d.id, titleKey: d.titleKey, type: d.type, min: d.min, max: d.max, value: values[d.id] ?? d.default, default: d.default,
      number: d.type === 'number', boolean: d.type === 'boolean', checked: [true, 'on', 'true'].includes((values[d.id] ?? d.default) as string),
      options: d.options?.map((o) => ({ value: o, labelKey: `${d.titleKey}.${o}`, selected: (values[d.id] ?? d.default) === o })),
      defaultLabelKey: d.options ? `${d.titleKey}.${String(d.default)}` : undefined,
    }));
  }

  async states(em: EntityManager, electionId: string): Promise<{ pluginId: string; titleKey: string; enabled: boolean; settings: Record<string, unknown> }[]> {
    const rows = await sql<{ plugin_id: string; enabled: boolean; settings: Record<string, unknown> }>(
      em, 'select plugin_id, enabled, settings from plugin_state where election_id = ?', [electionId]);
    return this.registry.plugins().map((p) => {
      const r = rows.find((x) => x.plugin_id === p.id);
      return { pluginId: p.id, titleKey: p.titleKey, enabled: r?.enabled === true, settings: { ...this.registry.settingDefaults(p.id), ...(r?.settings ?? {}) } };
    });
  }

  /**
   * Saves an election's settings of one plugin from form values (setting id → text; a boolean setting absent from
   * the form is false). Every value is checked against its declaration (number within min/max, one of the options,
   * text ≤ 200 characters) and nothing is written unless all are valid; an id the plugin does not declare is refused.
   * Returns the settings before and after, for the audit event.
   */
  async saveSettingsIn(em: EntityManager, electionId: string, pluginId: string, form: Record<string, unknown>, lang: Lang = 'vi'): Promise<Result<{ before: Record<string, unknown>; after: Record<string, unknown> }, AppError>> {
    if (!this.registry.get(pluginId)) return err({ code: 'PLUGIN_UNKNOWN', messageKey: 'plugins.unknown', params: { plugin: pluginId }, status: 404 });
    const [election] = await sql(em, 'select id from election where id = ?', [electionId]);
    if (!election) return err({ code: 'ELECTION_NOT_FOUND', messageKey: 'elections.not_found', status: 404 });
    const defs = this.registry.settings(pluginId);
    const title = (k: string) => this.i18n.t(lang, k);
    const issues: FieldIssue[] = [];
    for (const k of Object.keys(form)) {
      if (!defs.some((d) => d.id === k)) issues.push({ field: k, code: 'SETTING_UNKNOWN', messageKey: 'plugins.setting_unknown', params: { field: k.slice(0, 80) } });
    }
    const values: Record<string, number | boolean | string> = {};
    for (const d of defs) {
      const raw = form[d.id];
      const text = typeof raw === 'string' ? raw.trim() : raw === undefined ? undefined : String(raw);
      if (d.type === 'boolean') {
        values[d.id] = text === 'on' || text === 'true';
      } else if (text === undefined) {
        continue; // not on the form: unchanged
      } else if (d.type === 'number') {
        const n = Number(text.replace(',', '.'));
        const min = d.min ?? -Number.MAX_SAFE_INTEGER;
        const max = d.max ?? Number.MAX_SAFE_INTEGER;
        if (text === '' || !Number.isFinite(n) || n < min || n > max) {
          issues.push({ field: d.id, code: 'SETTING_NUMBER', messageKey: 'plugins.setting_number', params: { field: title(d.titleKey), min, max } });
        } else values[d.id] = n;
      } else if (d.options) {
        if (!d.options.includes(text)) issues.push({ field: d.id, code: 'SETTING_OPTION', messageKey: 'plugins.setting_option', params: { field: title(d.titleKey) } });
        else values[d.id] = text;
      } else if (text.length > 200) {
        issues.push({ field: d.id, code: 'SETTING_TEXT', messageKey: 'plugins.setting_text', params: { field: title(d.titleKey) } });
      } else values[d.id] = text;
    }
    if (issues.length) return err({ code: 'INPUT_INVALID', messageKey: 'plugins.settings_invalid', params: { n: issues.length }, status: 400, details: issues });
    const [row] = await sql<{ settings: Record<string, unknown> }>(em, 'select settings from plugin_state where election_id = ? and plugin_id = ? for update', [electionId, pluginId]);
    const before = { ...this.registry.settingDefaults(pluginId), ...(row?.settings ?? {}) };
    const stored = { ...(row?.settings ?? {}), ...values };
    await sql(em, `insert into plugin_state (election_id, plugin_id, enabled, settings) values (?, ?, false, ?::jsonb)
      on conflict (election_id, plugin_id) do update set settings = excluded.settings, updated_at = now()`, [electionId, pluginId, JSON.stringify(stored)]);
    return ok({ before, after: { ...this.registry.settingDefaults(pluginId), ...stored } });
  }

  async settings(em: EntityManager, electionId: string, pluginId: string): Promise<Record<string, unknown>> {
    const [row] = await sql<{ settings: Record<string, unknown> }>(em, 'select settings from plugin_state where election_id = ? and plugin_id = ?', [electionId, pluginId]);
    return { ...this.registry.settingDefaults(pluginId), ...(row?.settings ?? {}) };
  }

  /**
   * Enables or disables a plugin for an election inside the caller's transaction (the endpoint pipeline audits it).
   * A plugin's veto keeps it enabled and returns the plugin's message.
   */
  async setEnabledIn(em: EntityManager, electionId: string, pluginId: string, enabled: boolean, lang: Lang = 'vi'): Promise<Result<{ before: unknown; after: unknown }, AppError>> {
    if (!this.registry.get(pluginId)) return err({ code: 'PLUGIN_UNKNOWN', messageKey: 'plugins.unknown', params: { plugin: pluginId }, status: 404 });
    const [election] = await sql(em, 'select id from election where id = ?', [electionId]);
    if (!election) return err({ code: 'ELECTION_NOT_FOUND', messageKey: 'elections.not_found', status: 404 });
    if (!enabled) {
      const veto = this.registry.vetoDisable(pluginId);
      if (veto) {
        const settings = await this.settings(em, electionId, pluginId);
        const v = await veto({
          pluginId, electionId, lang, settings,
          t: (k, p) => this.i18n.t(lang, k, p),
          now: () => new Date(),
          log: this.log,
          sql: (q, p) => sql(em, q, p),
        });
        if (!v.ok) return v;
      }
    }
    const [before] = await sql(em, 'select enabled from plugin_state where election_id = ? and plugin_id = ? for update', [electionId, pluginId]);
    await sql(em, `insert into plugin_state (election_id, plugin_id, enabled, settings) values (?, ?, ?, '{}'::jsonb)
      on conflict (election_id, plugin_id) do update set enabled = excluded.enabled, updated_at = now()`, [electionId, pluginId, enabled]);
    return ok({ before: before ?? null, after: { enabled } });
  }

  /** The same with its own transaction and audit event (for callers outside HTTP: CLI, tests). */
  async setEnabled(electionId: string, pluginId: string, enabled: boolean, meta: AuditMeta, lang: Lang = 'vi'): Promise<Result<void, AppError>> {
    const em = this.orm.em.fork();
    const action = enabled ? 'core.plugin.enable' : 'core.plugin.disable';
    const targetId = `${electionId}:${pluginId}`;
    let out: Result<{ before: unknown; after: unknown }, AppError> | undefined;
    await em.transactional(async (tx) => {
      const t = tx as EntityManager;
      out = await this.setEnabledIn(t, electionId, pluginId, enabled, lang);
      if (out.ok) await recordAudit(t, { ...auditBase(meta), action, targetType: 'plugin', targetId, before: out.value.before, after: out.value.after, result: 'success' });
    });
    if (!out!.ok) {
      await em.transactional(async (tx) => {
        await recordAudit(tx as EntityManager, { ...auditBase(meta), action, targetType: 'plugin', targetId, result: 'rejected', after: { code: (out as { error: AppError }).error.code } });
      });
      return out as Result<void, AppError>;
    }
    await this.syncSchedules(electionId, pluginId, enabled);
    return ok(undefined);
  }

  /** Upserts (or removes) the plugin's schedules for one election. */
  async syncSchedules(electionId: string, pluginId: string, enabled: boolean): Promise<void> {
    for (const s of this.registry.schedules(pluginId)) {
      const id = `${s.id}:${electionId}`;
      if (enabled) await this.jobs.upsertSchedule({ id, job: s.job, every: s.every, cron: s.cron, payload: { electionId } });
      else await this.jobs.removeSchedule(id);
    }
  }

  /** At boot: schedules of every enabled plugin of every election. */
  async syncAllSchedules(): Promise<void> {
    const rows = await sql<{ election_id: string; plugin_id: string; enabled: boolean }>(this.orm.em.fork(), 'select election_id, plugin_id, enabled from plugin_state');
    for (const r of rows) if (this.registry.get(r.plugin_id)) await this.syncSchedules(r.election_id, r.plugin_id, r.enabled);
  }
}

function auditBase(meta: AuditMeta) {
  return { actor: meta.actor, requestId: meta.requestId, ip: meta.ip, userAgent: meta.userAgent };
}
