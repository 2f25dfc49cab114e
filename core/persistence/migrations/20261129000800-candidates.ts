// Candidates (issue 5): one row per candidate per election and contest — the dossier fields of NA forms 01–03 and
// council forms 05–07 (election-rules §5), its place in the consultation (status) and, once allocated, its unit and
// ballot order on that unit's official list. candidate_event keeps the history of every status change with its
// reason. Personal data (ID number, addresses, asset declaration) lives in columns that pages show only to roles
// that need it (docs/candidates.md); job payloads carry candidate ids only.
import { Migration } from '@mikro-orm/migrations';

export const CANDIDATE_STATUSES = [
  'nominated', // round 1: introduced by a nominating body, or self-nominated
  'preliminary', // round 2: on the preliminary list
  'qualified', // round 3: on the list of qualified candidates
  'official', // on a unit's official list (unit_id and ballot_order set)
  'not-qualified', // dropped at round 2 or 3 (voter conference, verification)
  'withdrawn', // withdrew (reason required)
  'removed', // removed by the competent body (reason required)
];

export class Migration20261129000800Candidates extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table candidate (
      id uuid primary key,
      election_id uuid not null references election(id) on delete cascade,
      contest text not null,
      council_code text not null,
      external_ref text null,
      full_name text not null,
      other_name text null,
      name_key text not null,
      sort_key text collate "C" not null,
      gender text not null check (gender in ('male', 'female')),
      date_of_birth date null,
      date_of_birth_text text null,
      ethnicity text not null,
      religion text null,
      nationality text not null default 'Việt Nam',
      hometown text null,
      permanent_residence text null,
      current_residence text null,
      id_number text null,
      education jsonb not null default '{}',
      occupation text null,
      position text null,
      workplace text null,
      party_member boolean not null default false,
      party_joined_on date null,
      incumbent_na boolean not null default false,
      incumbent_council boolean not null default false,
      deputy_terms text null,
      nominated_by text not null check (nominated_by in ('central', 'local', 'self')),
      nominating_body text null,
      filing_body_code text not null,
      dossier_status text not null default 'received' check (dossier_status in ('received', 'complete', 'accepted', 'returned')),
      dossier_return_reason text null,
      status text not null default 'nominated' check (status in (${CANDIDATE_STATUSES.map((s) => `'${s}'`).join(', ')})),
      status_reason text null,
      unit_id uuid null references electoral_unit(id) on delete set null,
      ballot_order int null check (ballot_order is null or ballot_order >= 1),
      details jsonb not null default '{}',
      version int not null default 1,
      created_by text null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (status <> 'official' or (unit_id is not null and ballot_order is not null))
    )`);
    // An import row is matched by its external reference, so a second import of the same file changes nothing.
    this.addSql(`create unique index candidate_external_ref_uq on candidate (election_id, contest, external_ref) where external_ref is not null`);
    this.addSql(`create index candidate_contest_idx on candidate (election_id, contest, council_code, sort_key)`);
    this.addSql(`create index candidate_unit_idx on candidate (unit_id, ballot_order) where unit_id is not null`);
    this.addSql(`create index candidate_name_key_idx on candidate (election_id, name_key)`);
    // Rule 17: a candidate stands on at most one unit's list per contest — one row per candidate and contest, so a
    // unit_id column cannot hold two; a ballot position is held by one candidate.
    this.addSql(`create unique index candidate_ballot_order_uq on candidate (unit_id, ballot_order) where unit_id is not null and ballot_order is not null`);
    this.addSql(`create table candidate_event (
      id bigserial primary key,
      candidate_id uuid not null references candidate(id) on delete cascade,
      at timestamptz not null default now(),
      actor text not null,
      kind text not null,
      from_status text null,
      to_status text null,
      reason text null,
      data jsonb not null default '{}'
    )`);
    this.addSql(`create index candidate_event_candidate_idx on candidate_event (candidate_id, at)`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists candidate_event');
    this.addSql('drop table if exists candidate');
  }
}
