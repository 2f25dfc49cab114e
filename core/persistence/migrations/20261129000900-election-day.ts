// Election day (issue 6): turnout reports per polling area, contest and report time, and the count minutes
// (biên bản kết quả kiểm phiếu, rule 25) per polling area, contest and round with their versions. A minutes row is
// the identity; each entry or correction is a version; exactly one version is accepted at a time
// (count_minutes.accepted_version_id), and accepted versions are never updated — a correction is a new version
// (docs/count-minutes.md). accepted_revision counts acceptances, so aggregation jobs key their work by
// (minutes, revision) and a retried or stale job is a no-op (docs/results.md).
import { Migration } from '@mikro-orm/migrations';

export class Migration20261129000900ElectionDay extends Migration {
  override async up(): Promise<void> {
    // Report times (rule 21 turnout reporting), per election; 'close' = the polling area's closing time.
    this.addSql(`alter table election add column turnout_slots jsonb not null default '["09:00", "11:00", "14:00", "17:00", "close"]'`);
    // Voters entitled per contest where it differs from polling_area.voters (e.g. a unit of the armed forces).
    this.addSql(`alter table polling_area_unit add column voters int null check (voters is null or voters >= 0)`);
    this.addSql(`create table turnout_report (
      election_id uuid not null references election(id) on delete cascade,
      polling_area_id uuid not null references polling_area(id) on delete cascade,
      contest text not null,
      slot text not null,
      voted int not null check (voted >= 0),
      reported_at timestamptz not null default now(),
      reported_by text not null,
      on_behalf boolean not null default false,
      primary key (polling_area_id, contest, slot)
    )`);
    this.addSql(`create index turnout_report_election_idx on turnout_report (election_id, contest, slot)`);
    this.addSql(`create table count_minutes (
      id uuid primary key,
      election_id uuid not null references election(id) on delete cascade,
      contest text not null,
      polling_area_id uuid not null references polling_area(id) on delete cascade,
      unit_id uuid not null references electoral_unit(id) on delete cascade,
      round text not null default 'first' check (round in ('first', 'revote', 'additional')),
      status text not null default 'draft' check (status in ('draft', 'entered', 'differences', 'accepted', 'amending')),
      accepted_version_id uuid null,
      accepted_revision int not null default 0,
      updated_at timestamptz not null default now(),
      constraint count_minutes_once unique (polling_area_id, contest, round)
    )`);
    this.addSql(`create index count_minutes_unit_idx on count_minutes (unit_id, round)`);
    this.addSql(`create index count_minutes_election_idx on count_minutes (election_id, contest, status)`);
    this.addSql(`create table count_minutes_version (
      id uuid primary key,
      minutes_id uuid not null references count_minutes(id) on delete cascade,
      version_no int not null check (version_no >= 1),
      kind text not null check (kind in ('original', 'correction')),
      status text not null check (status in ('draft', 'entered', 'accepted', 'superseded', 'rejected')),
      voters_total int null,
      voters_voted int null,
      ballots_issued int null,
      ballots_received int null,
      ballots_valid int null,
      ballots_invalid int null,
      piles jsonb null,
      complaints jsonb not null default '{}',
      team_members_present int null,
      confirmed_warnings jsonb not null default '[]',
      note text null,
      reason text null,
      reference text null,
      created_by text not null,
      created_at timestamptz not null default now(),
      accepted_by text null,
      accepted_at timestamptz null,
      constraint count_minutes_version_no_uq unique (minutes_id, version_no)
    )`);
    this.addSql(`alter table count_minutes add constraint count_minutes_accepted_fk foreign key (accepted_version_id) references count_minutes_version(id) deferrable initially deferred`);
    this.addSql(`create unique index count_minutes_version_one_accepted on count_minutes_version (minutes_id) where status = 'accepted'`);
    // Votes per candidate of the unit's official list, one row per version and candidate (aggregation sums these).
    this.addSql(`create table count_minutes_vote (
      version_id uuid not null references count_minutes_version(id) on delete cascade,
      candidate_id uuid not null references candidate(id) on delete cascade,
      votes int not null check (votes >= 0),
      primary key (version_id, candidate_id)
    )`);
  }

  override async down(): Promise<void> {
    for (const t of ['count_minutes_vote', 'count_minutes_version', 'count_minutes', 'turnout_report']) this.addSql(`drop table if exists ${t} cascade`);
    this.addSql('alter table polling_area_unit drop column if exists voters');
    this.addSql('alter table election drop column if exists turnout_slots');
  }
}
