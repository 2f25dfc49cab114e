// Elections and their legal calendar: the phase (status) constrained to the eight phases, election day a Sunday
// (rule 10), default voting hours within 05:00–21:00 (rule 11), per-election deadline overrides (rule 9), and
// deadline_status — the recompute job's answer to "what is overdue, and how much is missing", per scope.
import { Migration } from '@mikro-orm/migrations';

const PHASES = ['preparation', 'nomination', 'consultation', 'official-lists', 'voting', 'counting', 'results', 'certified'];
const HHMM = `'^([01][0-9]|2[0-3]):[0-5][0-9]$'`;

export class Migration20261129000400Elections extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table election
      add column voting_open text not null default '07:00',
      add column voting_close text not null default '19:00',
      add column deadline_overrides jsonb not null default '{}',
      add column created_by text null,
      add column updated_at timestamptz not null default now(),
      add column phase_changed_at timestamptz null`);
    this.addSql(`alter table election add constraint election_status_phase check (status in (${PHASES.map((p) => `'${p}'`).join(', ')}))`);
    // NOT VALID: rows from before this migration are not re-checked (a development database may hold a test
    // election on another weekday); every insert and update from now on is.
    this.addSql(`alter table election add constraint election_day_sunday check (extract(isodow from election_day) = 7) not valid`);
    this.addSql(`alter table election add constraint election_voting_hours check (
      voting_open ~ ${HHMM} and voting_close ~ ${HHMM} and voting_open >= '05:00' and voting_close <= '21:00' and voting_open < voting_close)`);
    this.addSql(`alter table election add constraint election_deadline_overrides_object check (jsonb_typeof(deadline_overrides) = 'object')`);
    this.addSql(`create table deadline_status (
      election_id uuid not null references election(id) on delete cascade,
      deadline_id text not null,
      scope_type text not null check (scope_type in ('nation','province','commune','electoral-unit','polling-area')),
      scope_code text not null,
      due_at timestamptz not null,
      missing int null,
      total int null,
      examples jsonb not null default '[]',
      overdue boolean not null,
      computed_at timestamptz not null,
      primary key (election_id, scope_type, scope_code, deadline_id),
      check ((missing is null) = (total is null)),
      check (missing is null or (missing >= 0 and missing <= total))
    )`);
    this.addSql(`create index deadline_status_overdue_idx on deadline_status (election_id, overdue) where overdue`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists deadline_status`);
    for (const c of ['election_deadline_overrides_object', 'election_voting_hours', 'election_day_sunday', 'election_status_phase']) {
      this.addSql(`alter table election drop constraint if exists ${c}`);
    }
    this.addSql(`alter table election
      drop column if exists phase_changed_at,
      drop column if exists updated_at,
      drop column if exists created_by,
      drop column if exists deadline_overrides,
      drop column if exists voting_close,
      drop column if exists voting_open`);
  }
}
