// Results (issue 7): aggregates of accepted count minutes per scope (unit → committee → province → nation) and
// round, the contribution each minutes applied (so an incremental job applies new − old exactly once per
// revision), reconciler runs, unit rounds (re-vote / additional election), tie decisions, province finalisation
// (rule 31) and the per-election results settings (public page switch, round window).
import { Migration } from '@mikro-orm/migrations';

const FIELDS = `voters_total bigint not null default 0,
      voters_voted bigint not null default 0,
      ballots_issued bigint not null default 0,
      ballots_received bigint not null default 0,
      ballots_valid bigint not null default 0,
      ballots_invalid bigint not null default 0`;

export class Migration20261129000950Results extends Migration {
  override async up(): Promise<void> {
    // What one accepted minutes contributes to the aggregates right now; revision = count_minutes.accepted_revision.
    this.addSql(`create table results_applied (
      minutes_id uuid primary key references count_minutes(id) on delete cascade,
      election_id uuid not null references election(id) on delete cascade,
      contest text not null,
      round text not null,
      unit_id uuid not null,
      version_id uuid null,
      revision int not null,
      ${FIELDS},
      votes jsonb not null default '{}',
      applied_at timestamptz not null default now()
    )`);
    this.addSql(`create index results_applied_election_idx on results_applied (election_id, contest, round)`);
    // scope_level: unit (scope_code = unit id) | commune (commune committee) | province | nation ('VN').
    this.addSql(`create table results_total (
      election_id uuid not null references election(id) on delete cascade,
      contest text not null,
      round text not null,
      scope_level text not null check (scope_level in ('unit', 'commune', 'province', 'nation')),
      scope_code text not null,
      ${FIELDS},
      minutes_accepted int not null default 0,
      updated_at timestamptz not null default now(),
      primary key (election_id, contest, round, scope_level, scope_code)
    )`);
    this.addSql(`create table results_candidate_total (
      election_id uuid not null references election(id) on delete cascade,
      contest text not null,
      round text not null,
      unit_id uuid not null,
      candidate_id uuid not null,
      votes bigint not null default 0,
      primary key (election_id, contest, round, unit_id, candidate_id)
    )`);
    this.addSql(`create table results_reconcile_run (
      id uuid primary key,
      election_id uuid not null references election(id) on delete cascade,
      started_at timestamptz not null default now(),
      finished_at timestamptz null,
      ms int null,
      drift int not null default 0,
      repaired jsonb not null default '[]'
    )`);
    this.addSql(`create index results_reconcile_run_election_idx on results_reconcile_run (election_id, started_at desc)`);
    // A re-vote or an additional election of a unit: its own date and, for an additional one, its candidate pool.
    this.addSql(`create table results_round (
      election_id uuid not null references election(id) on delete cascade,
      unit_id uuid not null references electoral_unit(id) on delete cascade,
      round text not null check (round in ('revote', 'additional')),
      voting_date date not null,
      seats int not null check (seats >= 1),
      pool jsonb not null default '[]',
      reason text null,
      created_by text not null,
      created_at timestamptz not null default now(),
      primary key (unit_id, round)
    )`);
    // Rule 28: identical birth dates at the last seat — the competent body's decision, recorded with its reference.
    this.addSql(`create table results_decision (
      unit_id uuid not null references electoral_unit(id) on delete cascade,
      round text not null,
      elected jsonb not null,
      reference text not null,
      decided_by text not null,
      decided_at timestamptz not null default now(),
      primary key (unit_id, round)
    )`);
    this.addSql(`create table results_province_final (
      election_id uuid not null references election(id) on delete cascade,
      contest text not null,
      province_code text not null,
      finalised_by text not null,
      finalised_at timestamptz not null default now(),
      primary key (election_id, contest, province_code)
    )`);
    this.addSql(`create table results_settings (
      election_id uuid primary key references election(id) on delete cascade,
      public boolean not null default false,
      round_window_days int not null default 15 check (round_window_days between 1 and 60),
      updated_by text null,
      updated_at timestamptz not null default now()
    )`);
  }

  override async down(): Promise<void> {
    for (const t of ['results_settings', 'results_province_final', 'results_decision', 'results_round', 'results_reconcile_run', 'results_candidate_total', 'results_total', 'results_applied']) {
      this.addSql(`drop table if exists ${t}`);
    }
  }
}
