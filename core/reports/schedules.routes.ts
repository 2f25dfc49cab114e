// Schedule pages: GET /reports/schedules (the schedules the actor may see: report, parameters, pattern or interval,
// last run with its status and document, next run; and the form to add one), POST /reports/schedules (create and
// arm), POST /reports/schedules/:id/{pause,resume,delete}. Permission: the report's own on its target.
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Render } from '../http/render.js';
import { mountAction, type PipelineDeps } from '../http/endpoint.js';
import { NATION, type ScopeResolver, type Target } from '../auth/policy.js';
import type { JobService } from '../jobs/job.service.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import { sql, exec } from '../persistence/db.js';
import { appError, err, ok } from '../shared/result.js';
import type { TreeLevel } from '../plugin-api/index.js';
import type { ReportRegistry } from './report-engine.js';
import { VIEW_PERMISSION } from './reports.routes.js';
import { DEFAULT_SCHEDULE_TZ, nextRun, scheduleSpec, schedulerId, validCron, zonedText, type ScheduleRow } from './schedules.js';

export interface ScheduleRouteDeps {
  jobs: JobService;
  registry: ReportRegistry;
  pipeline: PipelineDeps;
  scopes: ScopeResolver;
  clock: Clock;
  /** SCHEDULE_TIMEZONE: cron patterns are evaluated, and run times shown, in this zone. */
  timeZone?: string;
}

/** Parameter names the schedule form offers; only those the chosen report declares are used. */
const PARAM_NAMES = ['electionId', 'contest', 'provinceCode', 'code', 'communeCode', 'unitId', 'pollingAreaId', 'slot'] as const;
const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : typeof v === 'string' ? v.trim() : v);
const uuid = z.string().uuid();

const createInput = z.object({
  reportId: z.string().min(3).max(160),
  format: z.preprocess(blank, z.enum(['pdf', 'xlsx', 'csv']).optional()),
  cron: z.preprocess(blank, z.string().max(100).optional()),
  everyMinutes: z.preprocess(blank, z.coerce.number().int().min(1).max(10080).optional()),
  ...Object.fromEntries(PARAM_NAMES.map((n) => [n, z.preprocess(blank, z.string().max(100).optional())])),
}).strict();
type CreateInput = z.infer<typeof createInput> & Partial<Record<(typeof PARAM_NAMES)[number], string>>;

function rowTarget(s: Pick<ScheduleRow, 'scope_path' | 'election_id'>): Target {
  const first = s.scope_path?.[0] ?? 'nation:VN';
  const i = first.indexOf(':');
  return { type: first.slice(0, i) as TreeLevel, code: first.slice(i + 1), ...(s.election_id ? { electionId: s.election_id } : {}) };
}

export function scheduleRoutes(d: ScheduleRouteDeps) {
  const tz = d.timeZone ?? DEFAULT_SCHEDULE_TZ;
  /** The report's parameters from the form: zod of the report decides; errors name the field. */
  function parse(i: CreateInput) {
    const entry = d.registry.resolve(i.reportId);
    if (!entry) return err(appError('INVALID_INPUT', 'reports.schedule.unknown_report', 400, undefined, [{ field: 'reportId', code: 'unknown', messageKey: 'reports.schedule.unknown_report' }]));
    const def = entry.def;
    const names = new Set(def.fields.map((f) => f.name));
    const raw: Record<string, unknown> = {};
    for (const n of PARAM_NAMES) if (names.has(n) && i[n] !== undefined) raw[n] = i[n];
    const parsed = def.params.safeParse(raw);
    if (!parsed.success) {
      return err(appError('INVALID_INPUT', 'reports.schedule.bad_params', 400, { detail: parsed.error.issues.map((x) => x.path.join('.')).join(', ') },
        parsed.error.issues.map((x) => ({ field: String(x.path[0] ?? 'reportId'), code: 'invalid', messageKey: 'reports.schedule.bad_params' }))));
    }
    if ((i.cron === undefined) === (i.everyMinutes === undefined)) {
      return err(appError('INVALID_INPUT', 'reports.schedule.cron_or_every', 400, undefined, [{ field: 'cron', code: 'one_of', messageKey: 'reports.schedule.cron_or_every' }]));
    }
    if (i.cron !== undefined && !validCron(i.cron)) {
      return err(appError('INVALID_INPUT', 'reports.schedule.bad_cron', 400, undefined, [{ field: 'cron', code: 'invalid', messageKey: 'reports.schedule.bad_cron' }]));
    }
    const format = i.format ?? def.formats[0];
    if (!def.formats.includes(format)) return err(appError('INVALID_INPUT', 'reports.batch.bad_format', 400, undefined, [{ field: 'format', code: 'invalid', messageKey: 'reports.batch.bad_format' }]));
    // Defaults that pin a date ("as of today") are NOT applied here: a schedule regenerates with the day of each run.
    return ok({ def, params: parsed.data as Record<string, unknown>, format });
  }

  return (render: Render): Router => {
    const r = Router();
    const policy = d.pipeline.policy;

    r.get('/reports/schedules', async (req: Request, res) => {
      if (req.scope.actor.kind === 'anonymous') return res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
      const rows = await sql<ScheduleRow & { artefact_title: string | null }>(req.scope.em,
        `select s.*, a.title as artefact_title from report_schedule s left join artefact a on a.id = s.last_artefact_id order by s.created_at desc limit 200`);
      const known = new Map((await d.jobs.listSchedules().catch(() => [])).map((x) => [x.id, x.next]));
      const now = d.clock.now();
      const schedules = [];
      for (const s of rows) {
        if (!(await policy.decide(req.scope.em, req.scope.actor.assignments, VIEW_PERMISSION, rowTarget(s))).allowed) continue;
        const entry = d.registry.get(s.report_id);
        const next = nextRun(s, now, known.get(schedulerId(s.id)), tz);
        schedules.push({
          ...s,
          titleKey: entry?.def.titleKey ?? s.report_id,
          paramsText: Object.entries(s.params).map(([k, v]) => `${k}=${String(v)}`).join(', '),
          patternText: s.cron ? s.cron : req.scope.t('reports.schedule.every_n', { n: s.every_minutes! }),
          next,
          nextText: next ? zonedText(next, tz) : undefined,
          nextIso: next?.toISOString(),
          lastText: s.last_run_at ? zonedText(new Date(s.last_run_at), tz) : undefined,
          lastIso: s.last_run_at ? new Date(s.last_run_at).toISOString() : undefined,
          active: s.status === 'active',
        });
      }
      const reports = d.registry.list().map(({ def }) => ({ id: def.id, titleKey: def.titleKey }));
      render(req, res, 'reports/schedules', { schedules, reports, paramNames: PARAM_NAMES, timeZone: tz }, { title: req.scope.t('reports.schedule.title'), nav: 'reports' });
    });

    mountAction(r, d.pipeline, {
      id: 'core.reports.schedule.create',
      method: 'post',
      path: '/reports/schedules',
      input: createInput as z.ZodType<CreateInput>,
      permission: (i: CreateInput) => d.registry.resolve(i.reportId)?.def.permission ?? 'core.reports.generate',
      target: (i: CreateInput) => {
        const p = parse(i);
        return p.ok ? p.value.def.target(p.value.params) : { type: 'nation', code: NATION };
      },
      handle: async (i, ctx) => {
        const p = parse(i);
        if (!p.ok) return err(p.error);
        const target = p.value.def.target(p.value.params);
        const chain = (await d.scopes.ancestors(ctx.em, target)) ?? [target];
        const id = newId();
        const electionId = typeof p.value.params.electionId === 'string' ? p.value.params.electionId : null;
        await exec(ctx.em, `insert into report_schedule (id, election_id, report_id, format, params, cron, every_minutes, scope_path, created_by)
          values (?, ?, ?, ?, ?::jsonb, ?, ?, string_to_array(?, ','), ?)`,
          [id, electionId, p.value.def.id, p.value.format, JSON.stringify(p.value.params), i.cron ?? null, i.everyMinutes ?? null, chain.map((n) => `${n.type}:${n.code}`).join(','), ctx.actor.id]);
        const spec = scheduleSpec({ id, cron: i.cron ?? null, every_minutes: i.everyMinutes ?? null }, tz);
        return ok({ targetType: 'report_schedule', targetId: id, after: { reportId: p.value.def.id, params: p.value.params, format: p.value.format, cron: i.cron ?? null, everyMinutes: i.everyMinutes ?? null },
          redirect: '/reports/schedules', afterCommit: () => d.jobs.upsertSchedule(spec) });
      },
    });

    const byId = z.object({ id: uuid }).strict();
    const target = async (i: { id: string }, em: Request['scope']['em']): Promise<Target> => {
      const [s] = await sql<ScheduleRow>(em, `select * from report_schedule where id = ?`, [i.id]);
      return s ? rowTarget(s) : { type: 'nation', code: NATION };
    };
    for (const verb of ['pause', 'resume', 'delete'] as const) {
      mountAction(r, d.pipeline, {
        id: `core.reports.schedule.${verb}`,
        method: 'post',
        path: `/reports/schedules/:id/${verb}`,
        input: byId,
        permission: 'core.reports.generate',
        target: (i, _req, em) => target(i, em),
        handle: async (i, ctx) => {
          const [s] = await sql<ScheduleRow>(ctx.em, `select * from report_schedule where id = ? for update`, [i.id]);
          if (!s) return err(appError('NOT_FOUND', 'reports.schedule.not_found', 404));
          if (verb === 'delete') await exec(ctx.em, `delete from report_schedule where id = ?`, [i.id]);
          else await exec(ctx.em, `update report_schedule set status = ?, updated_at = now() where id = ?`, [verb === 'pause' ? 'paused' : 'active', i.id]);
          const spec = scheduleSpec(s, tz);
          return ok({ targetType: 'report_schedule', targetId: i.id, before: { status: s.status }, after: { status: verb === 'delete' ? 'deleted' : verb === 'pause' ? 'paused' : 'active' },
            redirect: '/reports/schedules', afterCommit: () => (verb === 'resume' ? d.jobs.upsertSchedule(spec) : d.jobs.removeSchedule(spec.id)) });
        },
      });
    }
    return r;
  };
}
