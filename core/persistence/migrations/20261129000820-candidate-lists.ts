// Official candidate lists (issue 5 points 4 and 6): the rule 17 exception decision recorded for a unit whose list may
// be shorter than seats + surplus, and the candidate import runs (as body_import_run). A unit's list is "final" when
// its candidates are 'official' (candidate.unit_id + ballot_order, migration 800); no extra state is kept for it.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261129000820CandidateLists extends Migration {
  override async up(): Promise<void> {
    // One exception per unit (force majeure: NEC for NA units, the election committee for councils, rule 17).
    this.addSql(`create table unit_list_exception (
      unit_id uuid primary key references electoral_unit(id) on delete cascade,
      election_id uuid not null references election(id) on delete cascade,
      decision_no text not null check (length(trim(decision_no)) > 0),
      decision_date date not null,
      body text not null check (length(trim(body)) > 0),
      note text null,
      recorded_by text not null,
      recorded_at timestamptz not null default now()
    )`);
    this.addSql(`create index unit_list_exception_election_idx on unit_list_exception (election_id)`);
    this.addSql(`create table candidate_import_run (
      id uuid primary key,
      election_id uuid not null references election(id) on delete cascade,
      scope_type text not null,
      scope_code text not null,
      mapping text not null default 'template',
      status text not null check (status in ('queued','running','succeeded','rejected','failed')),
      file jsonb not null,
      rows_total int not null default 0,
      report jsonb null,
      summary jsonb null,
      created_by text not null,
      created_at timestamptz not null default now(),
      finished_at timestamptz null,
      job_run_id uuid null
    )`);
    this.addSql(`create index candidate_import_run_election_idx on candidate_import_run (election_id, created_at desc)`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists candidate_import_run');
    this.addSql('drop table if exists unit_list_exception');
  }
}
