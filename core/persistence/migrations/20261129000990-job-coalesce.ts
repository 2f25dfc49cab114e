// Coalesced job runs (docs/jobs.md "Coalesced runs"): at most one queued, not yet started run per key. A producer
// that finds the key's row hands its work to that run (which has not started, so it will see the work) instead of
// queueing a run of its own; the worker deletes the row in the statement that marks the run running, so work
// recorded after that start gets a new run. Used by the results aggregation: one run per election drains every
// pending acceptance, instead of one BullMQ job and job_run per acceptance.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261129000990JobCoalesce extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table job_coalesce (
      key text primary key,
      run_id uuid not null,
      created_at timestamptz not null default now()
    )`);
    this.addSql(`create index job_coalesce_run_idx on job_coalesce (run_id)`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists job_coalesce`);
  }
}
