// Elections module: elections with their contests and phases, and the legal calendar (rule 9) with its completeness
// registry. Wires its messages, the job core.elections.recompute-deadlines and its daily schedule (upserted at start
// in processes that run the worker), and the /elections pages.
import type { CoreModule, KernelDeps } from '../kernel/module.js';
import { prepared } from '../persistence/db.js';
import { MEMO, recalledFrom } from '../persistence/em-memo.js';
import { formOpen, isPhase } from './phases.js';
import type { PluginStateService } from '../plugin-host/plugin-state.service.js';
import { ELECTIONS_MESSAGES } from './messages.js';
import { electionsRoutes } from './elections.routes.js';
import { recomputeJob, RECOMPUTE_CRON, RECOMPUTE_JOB, RECOMPUTE_SCHEDULE_ID } from './calendar/recompute.job.js';

export function createElectionsModule(d: KernelDeps, pluginStates: PluginStateService): CoreModule {
  const log = d.log.child({ module: 'elections' });
  // Phase gating of forms for every action that declares a form family (core/http/endpoint.ts).
  d.access.pipeline.formGate = async (em, electionId, form) => {
    const known = recalledFrom<string>(em, MEMO.electionStatus(electionId));
    const [e] = known !== undefined ? [{ status: known }] : await prepared<{ status: string }>(em, 'select status from election where id = ?', [electionId]);
    if (!e || !isPhase(e.status)) return undefined;
    return { open: formOpen(e.status, form), phaseKey: `elections.phase.${e.status}` };
  };
  return {
    id: 'elections',
    messages: ELECTIONS_MESSAGES,
    jobs: { [RECOMPUTE_JOB]: recomputeJob({ orm: d.orm, clock: d.clock }) },
    // d.access is read when the routes are built (after the access module exists), not when this module is created.
    routes: (render) => electionsRoutes({ pipeline: d.access.pipeline, scopes: d.access.scopes, pluginStates, clock: d.clock, log })(render),
    async start() {
      if (!d.runsWorker) return;
      await d.jobs.upsertSchedule({ id: RECOMPUTE_SCHEDULE_ID, job: RECOMPUTE_JOB, cron: RECOMPUTE_CRON, payload: {} });
    },
  };
}
