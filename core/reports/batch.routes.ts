// Batch pages: GET /reports/batches (request form and the batches the actor may see), POST /reports/batches
// (create: one document per commune / province / unit → parent run), GET /reports/batches/:id (progress: done /
// total / failures; JSON for the live bar), POST …/retry (failed items only), POST …/cancel; the zip is an artefact
// downloaded through /artefacts/:id/download. Permissions: the report's own on the batch's target; view to look.
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Render } from '../http/render.js';
import { pageParams, pager } from '../http/render.js';
import { guard, mountAction, type PipelineDeps } from '../http/endpoint.js';
import { NATION, type Target } from '../auth/policy.js';
import type { JobService } from '../jobs/job.service.js';
import { newId } from '../shared/ids.js';
import { sql } from '../persistence/db.js';
import { AppException, appError, err, ok } from '../shared/result.js';
import type { TreeLevel } from '../plugin-api/index.js';
import { reportSlug, type ReportRegistry } from './report-engine.js';
import { BATCH_OVER, batchItems, cancelBatch, chunkable, createBatch, getBatch, retryFailed, type BatchOver, type BatchRow } from './batch.js';
import { VIEW_PERMISSION } from './reports.routes.js';
import type { ScopeResolver } from '../auth/policy.js';

export interface BatchRouteDeps {
  jobs: JobService;
  registry: ReportRegistry;
  pipeline: PipelineDeps;
  scopes: ScopeResolver;
}

/** The parameter a report takes for each kind of item. */
const PARAM_FOR: Record<BatchOver, string[]> = { commune: ['communeCode', 'code'], province: ['provinceCode', 'code'], unit: ['unitId'] };
const uuid = z.string().uuid();
const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const createInput = z.object({
  reportId: z.string().min(3).max(160),
  over: z.enum(BATCH_OVER as [BatchOver, ...BatchOver[]]),
  format: z.preprocess(blank, z.enum(['pdf', 'xlsx', 'csv']).optional()),
  provinceCode: z.preprocess(blank, z.string().regex(/^\d{2}$/).optional()),
  electionId: z.preprocess(blank, uuid.optional()),
  contest: z.preprocess(blank, z.enum(['national-assembly', 'provincial-council', 'commune-council']).optional()),
}).strict();
type CreateInput = z.infer<typeof createInput>;

const batchTarget = (b: { provinceCode?: string; electionId?: string | null }): Target =>
  b.provinceCode ? { type: 'province', code: b.provinceCode, ...(b.electionId ? { electionId: b.electionId } : {}) } : { type: 'nation', code: NATION, ...(b.electionId ? { electionId: b.electionId } : {}) };

/** The batch's node from its stored scope chain (first element). */
function storedBatchTarget(b: Pick<BatchRow, 'scope_path' | 'election_id'>): Target {
  const first = b.scope_path?.[0] ?? 'nation:VN';
  const i = first.indexOf(':');
  return { type: first.slice(0, i) as TreeLevel, code: first.slice(i + 1), ...(b.election_id ? { electionId: b.election_id } : {}) };
}

export function batchView(b: BatchRow) {
  const finished = b.done + b.failed;
  return {
    ...b,
    percent: b.total ? Math.min(100, Math.floor((finished * 100) / b.total)) : 100,
    finished,
    live: b.status === 'running' || b.status === 'zipping',
    canRetry: (b.status === 'partial' || b.status === 'failed') && b.failed > 0,
    canCancel: b.status === 'running' || b.status === 'zipping',
  };
}

export function batchRoutes(d: BatchRouteDeps) {
  return (render: Render): Router => {
    const r = Router();
    const policy = d.pipeline.policy;

    /** Reports that can be batched: those whose parameters take a commune, a province or a unit. */
    const batchable = () => d.registry.list().flatMap(({ def }) => {
      const names = new Set(def.fields.map((f) => f.name));
      const overs = BATCH_OVER.filter((o) => PARAM_FOR[o].some((p) => names.has(p)));
      return overs.length ? [{ id: def.id, slug: reportSlug(def.id), titleKey: def.titleKey, overs, formats: def.formats, needsElection: names.has('electionId') }] : [];
    });

    async function visible(req: Request, b: BatchRow): Promise<boolean> {
      return (await policy.decide(req.scope.em, req.scope.actor.assignments, VIEW_PERMISSION, storedBatchTarget(b))).allowed;
    }

    r.get('/reports/batches', async (req, res) => {
      if (req.scope.actor.kind === 'anonymous') return res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
      const { page, size, offset } = pageParams(req.query, 20);
      // Batches are few (one per request of thousands of documents): filter by the policy after paging the newest.
      const rows = await sql<BatchRow>(req.scope.em, `select * from report_batch order by created_at desc, id limit ? offset ?`, [size, offset]);
      const [{ n }] = await sql<{ n: string }>(req.scope.em, `select count(*)::text as n from report_batch`);
      const batches = [];
      for (const b of rows) if (await visible(req, b)) batches.push(batchView(b));
      render(req, res, 'reports/batches', { batches, reports: batchable(), overs: BATCH_OVER, page: pager(page, size, Number(n)) }, { title: req.scope.t('reports.batch.title'), nav: 'reports' });
    });

    mountAction(r, d.pipeline, {
      id: 'core.reports.batch.create',
      method: 'post',
      path: '/reports/batches',
      input: createInput,
      permission: (i: CreateInput) => d.registry.resolve(i.reportId)?.def.permission ?? 'core.reports.generate',
      target: (i: CreateInput) => batchTarget(i),
      handle: async (i, ctx) => {
        const entry = d.registry.resolve(i.reportId);
        if (!entry) return err(appError('INVALID_INPUT', 'reports.batch.unknown_report', 400, undefined, [{ field: 'reportId', code: 'unknown', messageKey: 'reports.batch.unknown_report' }]));
        const def = entry.def;
        const names = new Set(def.fields.map((f) => f.name));
        const param = PARAM_FOR[i.over].find((p) => names.has(p));
        if (!param) return err(appError('INVALID_INPUT', 'reports.batch.bad_over', 400, undefined, [{ field: 'over', code: 'bad_over', messageKey: 'reports.batch.bad_over' }]));
        const format = i.format ?? def.formats[0];
        if (!def.formats.includes(format)) return err(appError('INVALID_INPUT', 'reports.engine.bad_format', 400, { id: def.id, format }, [{ field: 'format', code: 'bad_format', messageKey: 'reports.batch.bad_format' }]));
        if (i.over === 'unit' && (!i.electionId || !i.contest)) return err(appError('INVALID_INPUT', 'reports.batch.unit_needs_election', 400, undefined, [{ field: 'electionId', code: 'required', messageKey: 'reports.batch.unit_needs_election' }]));
        const base: Record<string, unknown> = {};
        if (names.has('electionId') && i.electionId) base.electionId = i.electionId;
        if (names.has('contest') && i.contest) base.contest = i.contest;
        const items = await batchItems(ctx.em, i.over, i);
        if (!items.length) return err(appError('INVALID_INPUT', 'reports.batch.no_items', 400, undefined, [{ field: 'over', code: 'empty', messageKey: 'reports.batch.no_items' }]));
        // The report's own schema decides: the first item's parameters must parse (the others differ only by key).
        const probe = def.params.safeParse({ ...base, [param]: items[0].key });
        if (!probe.success) {
          return err(appError('INVALID_INPUT', 'reports.batch.bad_params', 400, { detail: probe.error.issues.map((x) => x.path.join('.')).join(', ') },
            probe.error.issues.map((x) => ({ field: String(x.path[0] ?? 'reportId'), code: 'invalid', messageKey: 'reports.batch.bad_params' }))));
        }
        const target = batchTarget(i);
        const chain = (await d.scopes.ancestors(ctx.em, target)) ?? [target];
        const id = newId();
        const [pr] = i.provinceCode ? await sql<{ name: string }>(ctx.em, `select name from admin_unit where code = ? order by valid_from desc limit 1`, [i.provinceCode]) : [];
        // "Thông tin tóm tắt … — mỗi xã, phường, đặc khu — Tỉnh Lai Châu (38)"
        const title = ctx.t('reports.batch.doc_title', { report: ctx.t(def.titleKey), over: ctx.t(`reports.batch.over.${i.over}`), scope: pr?.name ?? ctx.t('reports.batch.nationwide'), n: items.length });
        const runId = await createBatch(ctx.em, d.jobs, {
          id, reportId: def.id, format, title, over: i.over, baseParams: base, param, electionId: i.electionId ?? null,
          scopePath: chain.map((n) => `${n.type}:${n.code}`), createdBy: ctx.actor.id, items, chunked: chunkable(def, format),
        });
        return ok({ targetType: 'report_batch', targetId: id, after: { reportId: def.id, over: i.over, format, items: items.length, provinceCode: i.provinceCode ?? null, electionId: i.electionId ?? null },
          redirect: `/reports/batches/${id}`, afterCommit: () => d.jobs.dispatch(runId) });
      },
    });

    async function load(req: Request): Promise<BatchRow> {
      const id = String(req.params.id);
      const b = uuid.safeParse(id).success ? await getBatch(req.scope.em, id) : undefined;
      if (!b) throw new AppException(appError('NOT_FOUND', 'reports.batch.not_found', 404));
      return b;
    }

    r.get('/reports/batches/:id', async (req, res) => {
      const b = await load(req);
      let allowed = false;
      await guard(d.pipeline, VIEW_PERMISSION, () => storedBatchTarget(b))(req, res, () => { allowed = true; });
      if (!allowed) return;
      const view = batchView(b);
      if (req.accepts(['html', 'json']) === 'json') {
        return res.json({ id: b.id, status: b.status, total: b.total, done: b.done, failed: b.failed, percent: view.percent, zipArtefactId: b.zip_artefact_id });
      }
      const failures = await sql<{ key: string; label: string; error: string | null }>(req.scope.em,
        `select key, label, error from report_batch_item where batch_id = ? and status = 'failed' order by position limit 50`, [b.id]);
      render(req, res, 'reports/batch', { batch: view, failures }, { title: b.title, nav: 'reports' });
    });

    const byId = z.object({ id: uuid }).strict();
    const guardOn = async (i: { id: string }, em: Request['scope']['em']): Promise<Target> => {
      const b = await getBatch(em, i.id);
      return b ? storedBatchTarget(b) : { type: 'nation', code: NATION };
    };

    mountAction(r, d.pipeline, {
      id: 'core.reports.batch.retry',
      method: 'post',
      path: '/reports/batches/:id/retry',
      input: byId,
      permission: 'core.reports.generate',
      target: (i, _req, em) => guardOn(i, em),
      handle: async (i, ctx) => {
        const b = await getBatch(ctx.em, i.id);
        const def = b ? d.registry.get(b.report_id)?.def : undefined;
        const r2 = await retryFailed(ctx.em, d.jobs, i.id, !!b && !!def && chunkable(def, b.format));
        if (!r2) return err(appError('CONFLICT', 'reports.batch.nothing_to_retry', 409));
        return ok({ targetType: 'report_batch', targetId: i.id, after: { retried: r2.items }, redirect: `/reports/batches/${i.id}`, afterCommit: () => d.jobs.dispatch(r2.runId) });
      },
    });

    mountAction(r, d.pipeline, {
      id: 'core.reports.batch.cancel',
      method: 'post',
      path: '/reports/batches/:id/cancel',
      input: byId,
      permission: 'core.reports.generate',
      target: (i, _req, em) => guardOn(i, em),
      handle: async (i, ctx) => {
        if (!(await cancelBatch(ctx.em, i.id))) return err(appError('CONFLICT', 'reports.batch.not_running', 409));
        return ok({ targetType: 'report_batch', targetId: i.id, after: { status: 'cancelled' }, redirect: `/reports/batches/${i.id}` });
      },
    });

    return r;
  };
}
