// Coalescing aggregation jobs (issue 7, docs/results.md "Aggregation"): each acceptance of a count minutes version
// records (minutes, revision) here in its own transaction, beside its job run; the aggregation job that runs first
// takes every pending row it can (skip locked) and applies them in one set-based transaction, so a burst of
// acceptances costs a few batches instead of one transaction each. The row is deleted by the transaction that
// applies it: a crash rolls the delete back and the redelivered job takes it again.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261129000953ResultsPending extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table results_pending (
      minutes_id uuid not null references count_minutes(id) on delete cascade,
      revision int not null,
      election_id uuid not null references election(id) on delete cascade,
      queued_at timestamptz not null default clock_timestamp(),
      primary key (minutes_id, revision)
    )`);
    this.addSql(`create index results_pending_election_idx on results_pending (election_id, queued_at)`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists results_pending`);
  }
}
