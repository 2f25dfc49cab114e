// The daily job core.elections.recompute-deadlines: for every election not yet certified (or the one in the payload),
// runs the completeness checks for the nation, every province and any scope recomputed on demand, and swaps the
// answers into deadline_status — one transaction and one audit event per election. Idempotent: a re-run rewrites
// the same rows.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { JobHandler } from '../../jobs/job-types.js';
import { PermanentJobError } from '../../jobs/job-types.js';
import type { Clock } from '../../shared/clock.js';
import { sql } from '../../persistence/db.js';
import { recordAudit } from '../../audit/audit.service.js';
import { getElection } from '../elections.service.js';
import { recomputeElection, storedScopes } from './calendar.service.js';

export const RECOMPUTE_JOB = 'core.elections.recompute-deadlines';
export const RECOMPUTE_SCHEDULE_ID = 'core.elections.recompute-deadlines.daily';
/** 01:00 every day, before officials start work. */
export const RECOMPUTE_CRON = '0 1 * * *';

const payloadSchema = z.object({ electionId: z.string().uuid().optional() }).passthrough();

export function recomputeJob(d: { orm: MikroORM; clock: Clock }): JobHandler {
  return async (payload, ctx) => {
    const p = payloadSchema.safeParse(payload ?? {});
    if (!p.success) throw new PermanentJobError('invalid payload');
    const ids = p.data.electionId
      ? [p.data.electionId]
      : (await sql<{ id: string }>(ctx.em, `select id from election where status <> 'certified' order by election_day`)).map((r) => r.id);
    let overdue = 0;
    let done = 0;
    for (const id of ids) {
      await ctx.em.fork().transactional(async (tx) => {
        const em = tx as EntityManager;
        const e = await getElection(em, id);
        if (!e) return;
        const now = d.clock.now();
        const r = await recomputeElection(em, e, await storedScopes(em, id), now, (check, err) =>
          ctx.log.warn({ electionId: id, check, err: err instanceof Error ? err.message : String(err) }, 'deadline check failed'));
        overdue += r.overdue;
        await recordAudit(em, { actor: 'system', action: RECOMPUTE_JOB, result: 'success', targetType: 'election', targetId: id, after: { scopes: r.scopes, overdue: r.overdue, runId: ctx.runId } });
      });
      await ctx.progress(++done, ids.length);
    }
    return { elections: ids.length, overdue };
  };
}
