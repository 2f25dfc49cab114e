// The report engine: a registry of report definitions (core's and the plugins'), and the one generic job
// core.reports.generate {reportId, params, format} that runs a definition in the worker and turns its data into a
// PDF (print template, verifiable footer), an XLSX or a CSV artefact — stored with who, when, parameters and sha256.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { I18n } from '../shared/i18n.js';
import type { Clock } from '../shared/clock.js';
import type { AppError } from '../shared/result.js';
import { sql } from '../persistence/db.js';
import { recordAudit } from '../audit/audit.service.js';
import { idFromKey } from '../jobs/job.service.js';
import { PermanentJobError, type JobContext, type JobHandler } from '../jobs/job-types.js';
import type { ScopeResolver } from '../auth/policy.js';
import { CORE_OWNER, type PluginRegistry } from '../plugin-host/registry.js';
import { REPORT_FORMATS, type ReportContext, type ReportDef, type ReportFormat, type ReportTarget } from '../plugin-api/index.js';
import { ChromiumMissingError } from './browser-pool.js';
import { PDF_MIME, placeDateText, vnDate, type ReportRenderer } from './render.service.js';
import { CSV_MIME, XLSX_MIME, documentCsv, documentXlsx, printCell, toCsv, toXlsx, type DocumentSpec, type TableSpec } from './tabular.js';
import { allocateVerifyCode, verifyMark } from './verify.js';

export const GENERATE_JOB = 'core.reports.generate';
/** Print template used when a report names none: the official header, the title and a table of its columns. */
export const GENERIC_TABLE_TEMPLATE = 'report-table';

/** What a core report's code receives: the plugin context plus the job's EntityManager (plugins never get it). */
export interface CoreReportContext extends ReportContext {
  em: EntityManager;
}

export type AnyReportDef = ReportDef<any, any, any, any>;

/**
 * A core report whose XLSX/CSV is a document rather than one table of `columns`: a heading and several typed tables
 * (the official forms, core/reports/forms/form-tabular.ts). Core only: the plugin API keeps `columns`.
 */
export interface DocumentReportDef extends AnyReportDef {
  document?(params: any, data: any, ctx: CoreReportContext & { documentId: string }): DocumentSpec;
}
const documentOf = (def: AnyReportDef) => (def as DocumentReportDef).document;

export interface RegisteredReportDef {
  /** 'core' or the plugin id. */
  owner: string;
  def: AnyReportDef;
}

/** The job payload: a report id, its parameters (ids, codes, dates) and the format. Never documents or personal data. */
export const generatePayload = z.object({
  reportId: z.string().min(3).max(160),
  params: z.record(z.string(), z.unknown()).default({}),
  format: z.enum(REPORT_FORMATS as [ReportFormat, ...ReportFormat[]]),
});
export type GeneratePayload = z.infer<typeof generatePayload>;

const FORMAT_MIME: Record<ReportFormat, string> = { pdf: PDF_MIME, xlsx: XLSX_MIME, csv: CSV_MIME };

/** Core and plugin report definitions by id. Built once at boot; a conflict refuses to boot. */
export class ReportRegistry {
  private readonly defs = new Map<string, RegisteredReportDef>();

  /** Registers core's definitions (owner 'core'); plugin definitions come from {@link addPlugins}. */
  register(owner: string, ...defs: AnyReportDef[]): void {
    for (const def of defs) {
      if (!def.id.startsWith(`${owner}.`)) throw new Error(`Report registry: report "${def.id}" is not owned by "${owner}"`);
      const existing = this.defs.get(def.id);
      if (existing) throw new Error(`Report registry: duplicate report "${def.id}" (already declared by "${existing.owner}")`);
      if (!def.formats.length || def.formats.some((f) => !REPORT_FORMATS.includes(f))) throw new Error(`Report registry: report "${def.id}" has bad formats`);
      const needsTable = (def.formats.some((f) => f !== 'pdf') && !documentOf(def)) || !def.template;
      if (needsTable && !def.columns?.length) {
        throw new Error(`Report registry: report "${def.id}" needs columns for XLSX, CSV or the generic PDF table`);
      }
      this.defs.set(def.id, { owner, def });
    }
  }

  /**
   * Adds every plugin's reports (validated by the plugin registry) and registers their print templates,
   * `<pluginId>/<name>` = `<plugin views dir>/reports/<name>.hbs`, with the renderer. A missing file stops the boot.
   */
  addPlugins(plugins: PluginRegistry, renderer: ReportRenderer): void {
    for (const [, { pluginId, def }] of plugins.reports()) {
      this.register(pluginId, def);
      if (def.template && !renderer.has(def.template)) {
        const dir = plugins.get(pluginId)?.viewsDir;
        const file = dir && path.join(dir, 'reports', `${def.template.slice(pluginId.length + 1)}.hbs`);
        if (!file || !fs.existsSync(file)) throw new Error(`Report registry: plugin "${pluginId}": template "${def.template}" not found (${file ?? 'no views dir'})`);
        renderer.registerDocument(def.template, file);
      }
    }
  }

  /** Checks that every core report's template exists (run once the renderer is built). */
  checkTemplates(renderer: ReportRenderer): void {
    for (const { def } of this.defs.values()) {
      const t = def.template ?? GENERIC_TABLE_TEMPLATE;
      if (def.formats.includes('pdf') && !renderer.has(t)) throw new Error(`Report registry: report "${def.id}": unknown print template "${t}"`);
    }
  }

  get(id: string): RegisteredReportDef | undefined {
    return this.defs.get(id);
  }

  /** A report by its id or by the short name of a core report in URLs ("province-communes"). */
  resolve(idOrShort: string): RegisteredReportDef | undefined {
    // Short names may contain dots ("forms.turnout-slot" = core.reports.forms.turnout-slot).
    return this.defs.get(idOrShort) ?? this.defs.get(`${CORE_OWNER}.reports.${idOrShort}`);
  }

  list(): RegisteredReportDef[] {
    return [...this.defs.values()];
  }
}

/** The path segment of a report in URLs: core reports by their short name, plugin reports by their id. */
export function reportSlug(id: string): string {
  const prefix = `${CORE_OWNER}.reports.`;
  return id.startsWith(prefix) ? id.slice(prefix.length) : id;
}

export interface GenerateJobDeps {
  registry: ReportRegistry;
  renderer: ReportRenderer;
  i18n: I18n;
  clock: Clock;
  scopes: ScopeResolver;
  publicBaseUrl: string;
}

/** Builds the context a report's code runs with; core reports also get the EntityManager. */
export function reportContext(d: { i18n: I18n; clock: Clock }, em: EntityManager, owner: string, log: JobContext['log'] | undefined): ReportContext | CoreReportContext {
  const ctx: ReportContext = {
    lang: 'vi',
    t: (key, params) => d.i18n.t('vi', key, params),
    now: () => d.clock.now(),
    today: () => vnDate(d.clock.now()),
    sql: (q, params) => sql(em, q, params),
    log: { info: (o, m) => log?.info(o, m), warn: (o, m) => log?.warn(o, m) },
  };
  return owner === CORE_OWNER ? { ...ctx, em } : ctx;
}

/**
 * Runs one report: payload → data → file → artefact (idempotent: the artefact id derives from the job run, so a
 * retried run returns the stored artefact instead of making a second one). Bad input and expected failures are
 * permanent (no retry), audited as failed attempts, with a Vietnamese message on the job page.
 */
export function generateReport(d: GenerateJobDeps) {
  return async (payload: GeneratePayload, ctx: JobContext): Promise<{ artefactId: string }> => {
    const entry = d.registry.get(payload.reportId);
    if (!entry) throw new PermanentJobError(d.i18n.t('vi', 'reports.engine.unknown_report', { id: payload.reportId }));
    const { def, owner } = entry;
    if (!def.formats.includes(payload.format)) {
      throw new PermanentJobError(d.i18n.t('vi', 'reports.engine.bad_format', { id: def.id, format: payload.format }));
    }
    const parsed = def.params.safeParse(payload.params);
    if (!parsed.success) {
      throw new PermanentJobError(`invalid params: ${parsed.error.issues.map((i) => i.path.join('.') + ' ' + i.message).join('; ')}`);
    }
    const today = vnDate(d.clock.now());
    const params = def.defaults ? def.defaults(parsed.data, { today }) : parsed.data;
    const artefactId = idFromKey(`artefact:${ctx.runId}`);
    const [existing] = await sql<{ id: string }>(ctx.em, 'select id from artefact where id = ?', [artefactId]);
    if (existing) return { artefactId };
    const [run] = await sql<{ created_by: string }>(ctx.em, 'select created_by from job_run where id = ?', [ctx.runId]);
    const createdBy = run?.created_by ?? 'system';
    const fail = async (reason: string): Promise<never> => {
      await auditFailure(ctx.em, createdBy, ctx.runId, { kind: def.id, format: payload.format, params }, reason);
      throw new PermanentJobError(reason);
    };
    const steps = 3;
    await ctx.progress(0, steps);

    const rctx = reportContext(d, ctx.em, owner, ctx.log);
    const built = await def.build(params, rctx);
    if (!built.ok) return fail(message(d.i18n, built.error));
    const data = built.value;
    await ctx.progress(1, steps);

    const title = def.title ? def.title(params, data, rctx) : d.i18n.t('vi', def.titleKey);
    const target: ReportTarget = def.target(params);
    const chain = await d.scopes.ancestors(ctx.em, target);
    const scopePath = (chain ?? [target, { type: 'nation', code: 'VN' }]).map((n) => `${n.type}:${n.code}`);

    let bytes: Uint8Array;
    let verifyCode: string | null = null;
    try {
      if (payload.format === 'pdf') {
        verifyCode = await allocateVerifyCode(ctx.em, artefactId);
        const view = def.view ? def.view(params, data, { ...rctx, documentId: artefactId }) : genericView(d, def, title, data, today, artefactId);
        bytes = await d.renderer.pdf(def.template ?? GENERIC_TABLE_TEMPLATE, view, {
          title, lang: 'vi', verify: await verifyMark(d.publicBaseUrl, verifyCode),
        });
      } else if (documentOf(def)) {
        const doc = documentOf(def)!(params, data, { ...(rctx as CoreReportContext), documentId: artefactId });
        const spec: DocumentSpec = { ...doc, note: doc.note ?? tableNote(d, artefactId), created: doc.created ?? d.clock.now() };
        bytes = payload.format === 'xlsx' ? await documentXlsx(spec) : documentCsv(spec);
      } else {
        const spec = tableSpec(d, def, title, data, artefactId);
        bytes = payload.format === 'xlsx' ? await toXlsx(spec) : toCsv(spec);
      }
    } catch (e) {
      // Nothing to retry while Chromium is missing: fail now with the installation hint.
      if (e instanceof ChromiumMissingError) return fail(e.message);
      throw e;
    }
    await ctx.progress(2, steps);

    const stored = await d.renderer.store(ctx.em, {
      id: artefactId,
      kind: def.id,
      title,
      params,
      bytes,
      mime: FORMAT_MIME[payload.format],
      ext: payload.format,
      format: payload.format,
      verifyCode,
      scopePath,
      electionId: target.electionId ?? null,
      createdBy,
      jobRunId: ctx.runId,
    });
    await ctx.progress(3, steps);
    ctx.log.info({ artefactId: stored.id, report: def.id, format: payload.format, size: stored.size }, 'report generated');
    return { artefactId: stored.id };
  };
}

/** The generic job handler: parses the payload (permanent failure when malformed) and runs the report. */
export function generateJob(d: GenerateJobDeps): JobHandler<unknown, { artefactId: string }> {
  const run = generateReport(d);
  return async (raw, ctx) => {
    const parsed = generatePayload.safeParse(raw);
    if (!parsed.success) throw new PermanentJobError(`invalid payload: ${parsed.error.issues.map((i) => i.path.join('.') + ' ' + i.message).join('; ')}`);
    return run(parsed.data, ctx);
  };
}

function message(i18n: I18n, e: AppError): string {
  return i18n.t('vi', e.messageKey, e.params);
}

/** The rows and typed columns of a report as a table (XLSX, CSV, generic PDF). */
function tableSpec(d: { i18n: I18n; clock: Clock }, def: AnyReportDef, title: string, data: unknown, documentId: string): TableSpec {
  const rows = (def.rows ? def.rows(data) : ((data as { rows?: unknown[] })?.rows ?? [])) as unknown[];
  const columns = def.columns ?? [];
  const now = d.clock.now();
  return {
    title,
    note: tableNote(d, documentId),
    columns: columns.map((c) => ({ header: d.i18n.t('vi', c.headerKey), type: c.type, width: c.width })),
    rows: rows.map((r) => columns.map((c) => c.value(r))),
    created: now,
  };
}

/** "Tạo lúc … — mã tài liệu …": the line under the title of an XLSX. */
function tableNote(d: { i18n: I18n; clock: Clock }, documentId: string): string {
  const date = new Intl.DateTimeFormat('vi-VN', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Asia/Ho_Chi_Minh' }).format(d.clock.now());
  return d.i18n.t('vi', 'reports.engine.table_note', { date, id: documentId });
}

/** View model of the generic table document (views/reports/report-table.hbs): every cell already formatted. */
function genericView(d: { i18n: I18n; clock: Clock }, def: AnyReportDef, title: string, data: unknown, today: string, documentId: string): Record<string, unknown> {
  const spec = tableSpec(d, def, title, data, documentId);
  return {
    header: {
      issuerLines: d.i18n.t('vi', 'reports.doc.issuer_system').split('\n'),
      // No place for a generic document: "Ngày 05 tháng 02 năm 2026".
      placeDate: placeDateText((k, p) => d.i18n.t('vi', k, p), undefined, today),
    },
    title,
    columns: spec.columns.map((c) => ({ header: c.header, numeric: c.type === 'integer' || c.type === 'percent' })),
    rows: spec.rows.map((r) => r.map((v, i) => ({ text: printCell(spec.columns[i].type, v, 'vi'), numeric: spec.columns[i].type === 'integer' || spec.columns[i].type === 'percent' }))),
    documentId,
  };
}

/** A document that could not be produced is recorded too (audit covers failed attempts, not only writes). */
async function auditFailure(em: EntityManager, actor: string, runId: string, what: Record<string, unknown>, reason: string): Promise<void> {
  await em.transactional(async (tx) => {
    await recordAudit(tx, {
      actor,
      action: 'reports.artefact.create',
      targetType: 'job_run',
      targetId: runId,
      after: { ...what, reason },
      result: 'failed',
    });
  });
}
