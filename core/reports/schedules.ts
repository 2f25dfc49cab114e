// Scheduled reports (issue 8 point 5): a schedule = a report, its parameters and format, and a cron pattern or an
// interval, set per election by an authorised user. Each schedule is upserted as a job scheduler of the transport
// (BullMQ upsertJobScheduler, or the in-process timers) under `core.reports.schedule:<id>`; every firing runs the job
// core.reports.scheduled, which generates the document through the engine (so it lands in the download centre) and
// records the last run, its status and its artefact on the schedule row.
import { CronExpressionParser } from 'cron-parser';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, exec } from '../persistence/db.js';
import type { JobService } from '../jobs/job.service.js';
import { PermanentJobError, type JobHandler, type ScheduleSpec } from '../jobs/job-types.js';
import type { Logger } from '../shared/logger.js';
import { generateReport, type GenerateJobDeps } from './report-engine.js';

export const SCHEDULED_JOB = 'core.reports.scheduled';
/** Cron patterns are read in Vietnam time unless SCHEDULE_TIMEZONE says otherwise (config/config.ts). */
export const DEFAULT_SCHEDULE_TZ = 'Asia/Ho_Chi_Minh';
export const schedulerId = (id: string) => `core.reports.schedule:${id}`;

export interface ScheduleRow {
  id: string;
  election_id: string | null;
  report_id: string;
  format: 'pdf' | 'xlsx' | 'csv';
  params: Record<string, unknown>;
  cron: string | null;
  every_minutes: number | null;
  status: 'active' | 'paused';
  scope_path: string[] | null;
  created_by: string;
  created_at: Date;
  last_run_id: string | null;
  last_run_at: Date | null;
  last_status: string | null;
  last_artefact_id: string | null;
  last_error: string | null;
}

/** A cron pattern cron-parser accepts (5 or 6 fields), or undefined. */
export function validCron(pattern: string): boolean {
  try {
    CronExpressionParser.parse(pattern);
    return pattern.trim().split(/\s+/).length >= 5;
  } catch {
    return false;
  }
}

/** The transport's scheduler of a schedule; a cron pattern is evaluated in `tz` ("0 8 * * *" = 08:00 Vietnam time). */
export function scheduleSpec(s: Pick<ScheduleRow, 'id' | 'cron' | 'every_minutes'>, tz: string = DEFAULT_SCHEDULE_TZ): ScheduleSpec {
  return { id: schedulerId(s.id), job: SCHEDULED_JOB, ...(s.cron ? { cron: s.cron, tz } : { every: s.every_minutes! * 60_000 }), payload: { scheduleId: s.id } };
}

/**
 * The next firing: from the transport when it knows (BullMQ), else computed from the pattern (in `tz`) or the
 * interval.
 */
export function nextRun(s: Pick<ScheduleRow, 'status' | 'cron' | 'every_minutes' | 'last_run_at' | 'created_at'>, now: Date, known?: number, tz: string = DEFAULT_SCHEDULE_TZ): Date | undefined {
  if (s.status !== 'active') return undefined;
  if (known) return new Date(known);
  if (s.cron) return CronExpressionParser.parse(s.cron, { currentDate: now, tz }).next().toDate();
  const step = s.every_minutes! * 60_000;
  const from = (s.last_run_at ?? s.created_at).getTime();
  return new Date(from + Math.max(1, Math.ceil((now.getTime() - from) / step)) * step);
}

/** Upserts every active schedule with the transport (at start: in-process timers do not survive a restart). */
export async function syncSchedules(em: EntityManager, jobs: JobService, log: Logger, tz: string = DEFAULT_SCHEDULE_TZ): Promise<number> {
  const rows = await sql<ScheduleRow>(em, `select * from report_schedule where status = 'active'`);
  for (const s of rows) {
    try {
      await jobs.upsertSchedule(scheduleSpec(s, tz));
    } catch (e) {
      log.error({ err: String(e), schedule: s.id }, 'report schedule not armed');
    }
  }
  return rows.length;
}

/** "29/11/2026 08:00" in `tz` — how the schedule page shows a run time, with the zone named beside it. */
export function zonedText(d: Date, tz: string = DEFAULT_SCHEDULE_TZ): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(d).map((p) => [p.type, p.value]));
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
}

/** One firing: the report through the engine; the schedule records the outcome. A paused or deleted schedule does nothing. */
export function scheduledJob(engine: GenerateJobDeps): JobHandler {
  const generate = generateReport(engine);
  return async (raw, ctx) => {
    const id = (raw as { scheduleId?: unknown })?.scheduleId;
    if (typeof id !== 'string') throw new PermanentJobError('invalid payload: scheduleId');
    const [s] = await sql<ScheduleRow>(ctx.em, `select * from report_schedule where id = ?`, [id]);
    if (!s || s.status !== 'active') return { skipped: true };
    try {
      const { artefactId } = await generate({ reportId: s.report_id, params: s.params, format: s.format }, ctx);
      await exec(ctx.em, `update report_schedule set last_run_id = ?, last_run_at = now(), last_status = 'succeeded', last_artefact_id = ?, last_error = null where id = ?`, [ctx.runId, artefactId, id]);
      return { artefactId };
    } catch (e) {
      await exec(ctx.em, `update report_schedule set last_run_id = ?, last_run_at = now(), last_status = 'failed', last_error = ? where id = ?`,
        [ctx.runId, (e instanceof Error ? e.message : String(e)).slice(0, 500), id]);
      throw e;
    }
  };
}
