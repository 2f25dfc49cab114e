// Rule 29: the NEC's decision on an NA unit that ended with fewer winners than seats — hold an additional election
// (the additional round is opened in the same transaction) or not (the seats stay vacant). One decision per unit.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261129000952ResultsNecDecision extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table results_nec_decision (
      unit_id uuid primary key references electoral_unit(id) on delete cascade,
      election_id uuid not null references election(id) on delete cascade,
      decision text not null check (decision in ('hold', 'not-hold')),
      reference_number text not null,
      reference_date date not null,
      note text null,
      decided_by text not null,
      decided_at timestamptz not null default now()
    )`);
    this.addSql(`create index results_nec_decision_election_idx on results_nec_decision (election_id)`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists results_nec_decision`);
  }
}
