// The one call the count-minutes module makes into aggregation (issue 7): when a minutes version is accepted (or a
// correction replaces it), record an aggregation run in the same transaction, keyed by (minutes, revision) so a
// repeated acceptance or a retried request queues it once; the caller dispatches it after commit. The run carries
// ids only. The handler (results module) reads the accepted version from the database, so a stale run is a no-op.
// Beside the run, a results_pending row (same transaction): whichever aggregation job runs first applies every
// pending acceptance it can take in one batch (aggregation.ts applyPending), so the other runs find theirs done.
import type { EntityManager } from '@mikro-orm/postgresql';
import { idFromKey, type JobService } from '../../jobs/job.service.js';
import { exec } from '../../persistence/db.js';

export const AGGREGATE_MINUTES_JOB = 'core.results.aggregate-minutes';

export interface AcceptedMinutesRef {
  electionId: string;
  minutesId: string;
  /** count_minutes.accepted_revision after the acceptance. */
  revision: number;
}

/**
 * Records the aggregation run of an accepted minutes version inside the caller's transaction and returns its id
 * (dispatch it after commit with jobs.dispatch), or undefined when no results module runs in this process's
 * configuration (the scheduled reconciler then catches up).
 */
export async function recordAggregation(jobs: JobService, em: EntityManager, ref: AcceptedMinutesRef, createdBy: string): Promise<string | undefined> {
  if (!jobs.knows(AGGREGATE_MINUTES_JOB)) return undefined;
  await exec(em, `insert into results_pending (minutes_id, revision, election_id) values (?, ?, ?) on conflict do nothing`,
    [ref.minutesId, ref.revision, ref.electionId]);
  return jobs.enqueue(AGGREGATE_MINUTES_JOB, { ...ref }, {
    em,
    runId: idFromKey(`aggregate:${ref.minutesId}:${ref.revision}`),
    electionId: ref.electionId,
    createdBy,
  });
}
