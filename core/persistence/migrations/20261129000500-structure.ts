// Election structure (issue 4): electoral units per contest, council sizes, unit compositions, polling areas and
// their unit per contest, and the structure import runs. Sized for 72,195 polling areas × 3 contests.
import { Migration } from '@mikro-orm/migrations';

const AREA_KINDS = [
  'regular', 'armed-unit', 'hospital', 'maternity-home', 'convalescent-home', 'disability-care', 'elderly-care',
  'compulsory-education', 'compulsory-rehab', 'temporary-detention', 'other',
];

export class Migration20261129000500Structure extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table electoral_unit (
      id uuid primary key,
      election_id uuid not null references election(id) on delete cascade,
      contest text not null,
      parent_level text not null check (parent_level in ('province','commune')),
      parent_code text not null,
      number int not null check (number >= 1),
      seats int not null check (seats >= 1),
      name text not null,
      description text null,
      updated_at timestamptz not null default now(),
      constraint electoral_unit_number_uq unique (election_id, contest, parent_code, number)
    )`);
    this.addSql(`create index electoral_unit_parent_idx on electoral_unit (election_id, parent_code)`);
    // Size of each council (and of the National Assembly, admin_code 'VN'), so "Σ seats of its units = its size" can be
    // checked; size 0 records a commune without a People's Council (rule 1 [U], e.g. Hoàng Sa).
    this.addSql(`create table council (
      election_id uuid not null references election(id) on delete cascade,
      contest text not null,
      admin_code text not null,
      size int not null check (size >= 0),
      updated_at timestamptz not null default now(),
      primary key (election_id, contest, admin_code)
    )`);
    // NA and provincial-council units are made of whole communes; the unique key is "each commune in at most one unit".
    this.addSql(`create table electoral_unit_commune (
      unit_id uuid not null references electoral_unit(id) on delete cascade,
      election_id uuid not null,
      contest text not null,
      commune_code text not null,
      primary key (unit_id, commune_code),
      constraint electoral_unit_commune_once unique (election_id, contest, commune_code)
    )`);
    this.addSql(`create table polling_area (
      id uuid primary key,
      election_id uuid not null references election(id) on delete cascade,
      commune_code text not null,
      number int not null check (number >= 1),
      name text not null,
      search_key text not null,
      sort_key text collate "C" not null,
      voters int not null check (voters >= 0),
      kind text not null check (kind in (${AREA_KINDS.map((k) => `'${k}'`).join(',')})),
      kind_reason text null,
      small_reason text null check (small_reason in ('mountain','island','sparse')),
      voting_date date null,
      approval_ref text null,
      opens time not null default '07:00',
      closes time not null default '19:00',
      updated_at timestamptz not null default now(),
      constraint polling_area_number_uq unique (election_id, commune_code, number)
    )`);
    // One unit per contest held; the unit index serves "the polling areas of a unit" and the cascade on unit delete.
    this.addSql(`create table polling_area_unit (
      polling_area_id uuid not null references polling_area(id) on delete cascade,
      contest text not null,
      unit_id uuid not null references electoral_unit(id) on delete cascade,
      primary key (polling_area_id, contest)
    )`);
    this.addSql(`create index polling_area_unit_unit_idx on polling_area_unit (unit_id)`);
    // Bumped in the same transaction as every structure write: pages cache the check of a scope by (election, revision).
    this.addSql(`create table structure_revision (
      election_id uuid primary key references election(id) on delete cascade,
      revision bigint not null default 0,
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create table structure_import_run (
      id uuid primary key,
      election_id uuid not null references election(id) on delete cascade,
      kind text not null,
      contest text null,
      scope_type text not null,
      scope_code text not null,
      status text not null check (status in ('queued','running','succeeded','rejected','failed')),
      files jsonb not null,
      rows_total int not null default 0,
      report jsonb null,
      summary jsonb null,
      created_by text not null,
      created_at timestamptz not null default now(),
      finished_at timestamptz null,
      job_run_id uuid null
    )`);
    this.addSql(`create index structure_import_run_election_idx on structure_import_run (election_id, created_at desc)`);
  }

  override async down(): Promise<void> {
    for (const t of ['structure_import_run', 'structure_revision', 'polling_area_unit', 'polling_area', 'electoral_unit_commune', 'council', 'electoral_unit']) {
      this.addSql(`drop table if exists ${t}`);
    }
  }
}
