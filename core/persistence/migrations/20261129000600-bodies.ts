// Election bodies (issue 4 point 3): the provincial and commune election committees, one election board per electoral
// unit and one election team per polling area (rule 8 — the partial unique indexes below), their members (rule 7),
// and the runs of the bodies import. A commune recorded as having no committee (rule 1 [U], e.g. Hoàng Sa) is a
// commune-committee row with status 'none'.
import { Migration } from '@mikro-orm/migrations';

const KINDS = ['province-committee', 'commune-committee', 'board', 'team'];
const ROLES = ['chair', 'vice-chair', 'head', 'deputy-head', 'leader', 'secretary', 'member'];
const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(',');

export class Migration20261129000600Bodies extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table election_body (
      id uuid primary key,
      election_id uuid not null references election(id) on delete cascade,
      kind text not null check (kind in (${list(KINDS)})),
      province_code text null,
      commune_code text null,
      unit_id uuid null references electoral_unit(id) on delete cascade,
      polling_area_id uuid null references polling_area(id) on delete cascade,
      contest text null,
      variant text null check (variant in ('civil','armed-unit','mixed')),
      status text not null default 'draft' check (status in ('draft','complete','none')),
      none_reason text null,
      decision_no text null,
      decision_date date null,
      issued_by text null,
      formed_on date null,
      created_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      completed_at timestamptz null,
      completed_by text null,
      constraint election_body_node check (
        (kind = 'province-committee' and province_code is not null and commune_code is null and unit_id is null and polling_area_id is null and contest is null and variant is null)
        or (kind = 'commune-committee' and commune_code is not null and province_code is null and unit_id is null and polling_area_id is null and contest is null and variant is null)
        or (kind = 'board' and unit_id is not null and contest is not null and province_code is null and commune_code is null and polling_area_id is null and variant is null)
        or (kind = 'team' and polling_area_id is not null and commune_code is not null and variant is not null and province_code is null and unit_id is null and contest is null)),
      constraint election_body_none check (status <> 'none' or (kind = 'commune-committee' and none_reason is not null))
    )`);
    // Rule 8: one committee per province and per commune, one board per electoral unit, one team per polling area.
    this.addSql(`create unique index election_body_province_committee_uq on election_body (election_id, province_code) where kind = 'province-committee'`);
    this.addSql(`create unique index election_body_commune_committee_uq on election_body (election_id, commune_code) where kind = 'commune-committee'`);
    this.addSql(`create unique index election_body_board_uq on election_body (unit_id) where kind = 'board'`);
    this.addSql(`create unique index election_body_team_uq on election_body (polling_area_id) where kind = 'team'`);
    this.addSql(`create index election_body_commune_idx on election_body (election_id, commune_code)`);
    this.addSql(`create table body_member (
      id uuid primary key,
      body_id uuid not null references election_body(id) on delete cascade,
      position int not null,
      full_name text not null,
      name_key text not null,
      role text not null check (role in (${list(ROLES)})),
      organisation text null,
      phone text null,
      phone_key text not null default '',
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create index body_member_body_idx on body_member (body_id, position)`);
    // The same person listed twice in one body (same normalised name and phone) is refused (docs/bodies.md).
    this.addSql(`create unique index body_member_once_uq on body_member (body_id, name_key, phone_key) where phone_key <> ''`);
    this.addSql(`create table body_import_run (
      id uuid primary key,
      election_id uuid not null references election(id) on delete cascade,
      scope_type text not null,
      scope_code text not null,
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
    this.addSql(`create index body_import_run_election_idx on body_import_run (election_id, created_at desc)`);
  }

  override async down(): Promise<void> {
    for (const t of ['body_import_run', 'body_member', 'election_body']) this.addSql(`drop table if exists ${t}`);
  }
}
