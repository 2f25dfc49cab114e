// The one call the count-minutes module makes into aggregation (issue 7): when a minutes version is accepted (or a
// correction replaces it), record the acceptance as pending in the same transaction (results_pending, keyed by
// (minutes, revision), so a repeated acceptance or a retried request records it once), and after commit dispatch
// the election's aggregation run. Runs coalesce per election (JobService.dispatchCoalesced): while a run is queued
// and not yet started, further acceptances join it instead of queueing their own, and the run applies every pending
// acceptance of the election in set-based batches (aggregation.ts applyPending). A burst of acceptances thus costs
// a few runs, not one BullMQ job and job_run each. The run carries ids only; it reads the accepted versions from the
// database, so a late or repeated run is a no-op.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { JobService } from '../../jobs/job.service.js';
import { deferredExec } from '../../persistence/db.js';

export const AGGREGATE_MINUTES_JOB = 'core.results.aggregate-minutes';

export interface AcceptedMinutesRef {
  electionId: string;
  minutesId: string;
  /** count_minutes.accepted_revision after the acceptance. */
  revision: number;
}

/** What to dispatch after commit (dispatchAggregation): the election whose aggregation run should drain. */
export interface AggregationTicket {
  electionId: string;
  createdBy: string;
}

/**
 * Records an accepted minutes version as pending aggregation inside the caller's transaction, or returns undefined
 * when no results module runs in this process's configuration (the scheduled reconciler then catches up).
 */
export async function recordAggregation(jobs: JobService, em: EntityManager, ref: AcceptedMinutesRef, createdBy: string): Promise<AggregationTicket | undefined> {
  if (!jobs.knows(AGGREGATE_MINUTES_JOB)) return undefined;
  await deferredExec(em, `insert into results_pending (minutes_id, revision, election_id) values (?::uuid, ?::int, ?::uuid) on conflict do nothing`,
    [ref.minutesId, ref.revision, ref.electionId]);
  return { electionId: ref.electionId, createdBy };
}

/** The coalescing key of an election's aggregation runs. */
export const aggregationKey = (electionId: string) => `aggregate:${electionId}`;

/**
 * How long a new aggregation run waits before a worker may start it: acceptances committed meanwhile join it, so
 * under load one run applies a batch instead of each acceptance costing a run (job_run rows, BullMQ job, its own
 * transactions). Adds at most this much to the lag from acceptance to the national total (goal p95 ≤ 1 s).
 */
export const AGGREGATE_GATHER_MS = 100;

/** After commit: queues the election's aggregation run unless one is queued and not yet started. */
export async function dispatchAggregation(jobs: JobService, ticket: AggregationTicket | undefined): Promise<{ runId: string; queued: boolean } | undefined> {
  if (!ticket) return undefined;
  return jobs.dispatchCoalesced(AGGREGATE_MINUTES_JOB, aggregationKey(ticket.electionId), { electionId: ticket.electionId },
    { electionId: ticket.electionId, createdBy: ticket.createdBy, delayMs: AGGREGATE_GATHER_MS });
}
