// Reports pages: the download centre (GET /reports), requesting the province list (POST /reports/province-communes
// → job → 303 to the job page) and downloading an artefact (GET /artefacts/:id/download). Permissions:
// core.reports.view / core.reports.generate on the artefact's province (nation for documents without one).
import fs from 'node:fs';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Render } from '../http/render.js';
import { pageParams, pager } from '../http/render.js';
import { guard, mountAction, type PipelineDeps } from '../http/endpoint.js';
import { NATION, type Target } from '../auth/policy.js';
import type { JobService } from '../jobs/job.service.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import { sql } from '../persistence/db.js';
import { AppException, appError, err, ok } from '../shared/result.js';
import { searchKey } from '../shared/vn-text.js';
import type { ArtefactRow, ReportRenderer } from './render.service.js';
import { vnDate } from './render.service.js';
import { PROVINCE_COMMUNES_JOB, isoDateSchema } from './province-communes.report.js';

export interface ReportRouteDeps {
  jobs: JobService;
  renderer: ReportRenderer;
  clock: Clock;
  pipeline: PipelineDeps;
}

export const VIEW_PERMISSION = 'core.reports.view';
export const GENERATE_PERMISSION = 'core.reports.generate';

const uuid = z.string().uuid();
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const requestInput = z
  .object({
    provinceCode: z.string().trim().regex(/^\d{2}$/),
    asOf: z.preprocess(blankToUndefined, isoDateSchema.optional()),
  })
  .strict();

/** The node an artefact belongs to, for the policy: its province, or the nation for documents without one. */
export function artefactTarget(params: unknown): Target {
  const code = (params as { provinceCode?: unknown } | null)?.provinceCode;
  return typeof code === 'string' && /^\d{2}$/.test(code) ? { type: 'province', code } : { type: 'nation', code: NATION };
}

const validAt = `valid_from <= ?::date and (valid_to is null or valid_to > ?::date)`;

export function reportsRoutes(d: ReportRouteDeps) {
  return (render: Render): Router => {
    const r = Router();
    const policy = d.pipeline.policy;

    /** Province codes (of those in the tree today) where the actor holds `permission`; undefined = all (nation). */
    async function allowedProvinces(req: Request, permission: string): Promise<{ all: boolean; codes: { code: string; name: string }[] }> {
      const em = req.scope.em;
      const today = vnDate(d.clock.now());
      const provinces = await sql<{ code: string; name: string }>(em, `select code, name from admin_unit where level = 'province' and ${validAt} order by sort_key, code`, [today, today]);
      const assignments = req.scope.actor.assignments;
      if ((await policy.decide(em, assignments, permission, { type: 'nation', code: NATION })).allowed) return { all: true, codes: provinces };
      const codes: { code: string; name: string }[] = [];
      for (const p of provinces) if ((await policy.decide(em, assignments, permission, { type: 'province', code: p.code })).allowed) codes.push(p);
      return { all: false, codes };
    }

    r.get('/reports', async (req, res) => {
      if (req.scope.actor.kind === 'anonymous') return res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
      const { page, size, offset } = pageParams(req.query, 20);
      const view = await allowedProvinces(req, VIEW_PERMISSION);
      const generate = await allowedProvinces(req, GENERATE_PERMISSION);
      // Without nation-wide view, only the artefacts of the provinces in scope.
      const where = view.all ? '' : `where params->>'provinceCode' in (${view.codes.map(() => '?').join(', ') || 'null'})`;
      const wp = view.all ? [] : view.codes.map((p) => p.code);
      const artefacts = await sql<ArtefactRow & { created_by_name: string | null }>(
        req.scope.em,
        `select a.id, a.kind, a.title, a.size, a.sha256, a.created_by, a.created_at, u.full_name as created_by_name
         from artefact a left join app_user u on u.id::text = a.created_by ${where.replace(/params/g, 'a.params')}
         order by a.created_at desc, a.id limit ? offset ?`,
        [...wp, size, offset],
      );
      const [{ n }] = await sql<{ n: string }>(req.scope.em, `select count(*)::text as n from artefact ${where}`, wp);
      render(req, res, 'reports/index', {
        artefacts: artefacts.map((a) => ({ ...a, sizeKb: Math.max(1, Math.round(a.size / 1024)), shaShort: a.sha256.slice(0, 12) })),
        page: pager(page, size, Number(n)),
        provinces: generate.codes,
        treeEmpty: generate.all && generate.codes.length === 0,
      }, { title: req.scope.t('reports.title'), nav: 'reports' });
    });

    mountAction(r, d.pipeline, {
      id: 'core.reports.request',
      method: 'post',
      path: '/reports/province-communes',
      permission: GENERATE_PERMISSION,
      input: requestInput,
      target: (i) => ({ type: 'province', code: i.provinceCode }),
      handle: async (i, ctx) => {
        const at = i.asOf ?? vnDate(d.clock.now());
        const [province] = await sql(ctx.em, `select code from admin_unit where level = 'province' and code = ? and ${validAt}`, [i.provinceCode, at, at]);
        if (!province) return err(appError('PROVINCE_NOT_FOUND', 'reports.invalid_province', 400));
        const payload: Record<string, unknown> = { provinceCode: i.provinceCode };
        if (i.asOf) payload.asOf = i.asOf;
        // Queued on its own connection, not in this transaction: JobService hands an in-transaction run to the queue
        // before the commit, and a fast worker would not find the row. The request's audit event names the run.
        const runId = newId();
        await d.jobs.enqueue(PROVINCE_COMMUNES_JOB, payload, { runId, createdBy: ctx.actor.id });
        return ok({ targetType: 'job_run', targetId: runId, after: { job: PROVINCE_COMMUNES_JOB, ...payload }, redirect: `/jobs/${runId}` });
      },
    });

    r.get('/artefacts/:id/download', async (req: Request, res: Response) => {
      const id = String(req.params.id);
      const notFound = () => new AppException(appError('NOT_FOUND', 'reports.artefact_not_found', 404));
      if (!uuid.safeParse(id).success) throw notFound();
      const [a] = await sql<ArtefactRow>(req.scope.em, 'select * from artefact where id = ?', [id]);
      if (!a) throw notFound();
      let allowed = false;
      await guard(d.pipeline, VIEW_PERMISSION, () => artefactTarget(a.params))(req, res, () => {
        allowed = true;
      });
      if (!allowed) return; // redirected to the sign-in page
      const abs = d.renderer.resolve(a.path);
      if (!abs || !fs.existsSync(abs)) throw new AppException(appError('GONE', 'reports.artefact_file_missing', 410));
      res.attachment(downloadName(a));
      res.type(a.mime);
      res.setHeader('Cache-Control', 'private, no-store');
      res.setHeader('ETag', `"${a.sha256}"`);
      await new Promise<void>((resolve, reject) => res.sendFile(abs, { dotfiles: 'deny', lastModified: false }, (e) => (e ? reject(e) : resolve())));
    });

    return r;
  };
}

/** An ASCII file name from the title and date ("danh-sach-don-vi-hanh-chinh-cap-xa-thanh-pho-ho-chi-minh-2026-11-29.pdf"). */
export function downloadName(a: Pick<ArtefactRow, 'title' | 'created_at' | 'path'>): string {
  const slug = searchKey(a.title).replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100) || 'tai-lieu';
  const ext = a.path.split('.').pop() ?? 'bin';
  return `${slug}-${vnDate(new Date(a.created_at))}.${ext}`;
}
