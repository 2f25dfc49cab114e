// Results module (issue 7): the aggregation job the count-minutes module triggers on each acceptance
// (aggregation-trigger.ts), the scheduled reconciler that recomputes and repairs drift, and the results pages.
import { z } from 'zod';
import type { CoreModule, KernelDeps } from '../../kernel/module.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import { PermanentJobError } from '../../jobs/job-types.js';
import { sql } from '../../persistence/db.js';
import { AGGREGATE_MINUTES_JOB } from './aggregation-trigger.js';
import { applyPending, reconcile } from './aggregation.js';
import { resultsMessages } from './messages.js';
import { RESULTS_PAGE_MESSAGES } from './page-messages.js';
import { resultsRoutes } from './results.routes.js';

export const RECONCILE_JOB = 'core.results.reconcile';
export const RECONCILE_SCHEDULE_ID = 'core.results.reconcile';
/** Every 10 minutes: a drift (a lost job, a manual fix in the database) is repaired well before anyone announces. */
export const RECONCILE_CRON = '*/10 * * * *';

// One run per election batch; runs queued before runs coalesced also name their acceptance (minutes, revision).
const aggregatePayload = z.object({ electionId: z.string().uuid(), minutesId: z.string().uuid().optional(), revision: z.number().int().nonnegative().optional() });
const reconcilePayload = z.object({ electionId: z.string().uuid().optional() });

export function createResultsModule(d: KernelDeps, registry: PluginRegistry): CoreModule {
  return {
    id: 'results',
    messages: { vi: { ...resultsMessages.vi, ...RESULTS_PAGE_MESSAGES.vi }, en: { ...resultsMessages.en, ...RESULTS_PAGE_MESSAGES.en } },
    jobs: {
      [AGGREGATE_MINUTES_JOB]: async (raw, ctx) => {
        const p = aggregatePayload.safeParse(raw);
        if (!p.success) throw new PermanentJobError('payload: {electionId, minutesId?, revision?} expected');
        return applyPending(ctx.em, p.data.electionId, p.data.minutesId, p.data.revision);
      },
      [RECONCILE_JOB]: async (raw, ctx) => {
        const p = reconcilePayload.safeParse(raw ?? {});
        if (!p.success) throw new PermanentJobError('payload: {electionId?} expected');
        const ids = p.data.electionId
          ? [p.data.electionId]
          : (await sql<{ election_id: string }>(ctx.em, `select distinct election_id from count_minutes where accepted_version_id is not null`)).map((r) => r.election_id);
        const out = [];
        for (const id of ids) {
          const r = await reconcile(ctx.em, id);
          if (r.drift) ctx.log.warn({ electionId: id, drift: r.drift, runId: r.runId }, 'results drift repaired');
          out.push({ electionId: id, drift: r.drift, runId: r.runId, ms: r.ms });
        }
        return out;
      },
    },
    routes: (render) => resultsRoutes({ config: d.config, jobs: d.jobs, access: d.access, registry, clock: d.clock })(render),
    async start() {
      if (!d.runsWorker) return;
      await d.jobs.upsertSchedule({ id: RECONCILE_SCHEDULE_ID, job: RECONCILE_JOB, cron: RECONCILE_CRON, payload: {} });
    },
  };
}
