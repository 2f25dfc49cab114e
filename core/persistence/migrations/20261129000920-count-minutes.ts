// Count minutes entry (issue 6 points 4–6): the typists' entries of the double entry (one row per minutes and slot,
// never shown to the other typist), the scans of the signed paper minutes per version, the entry mode per election,
// and the proposer / approver columns of a correction. The minutes and their versions are in 000900.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261129000920CountMinutes extends Migration {
  override async up(): Promise<void> {
    // 'double-entry': two different people type the same paper minutes; 'single-plus-verification': one types, a
    // second person checks against the paper and confirms (docs/count-minutes.md).
    this.addSql(`alter table election add column minutes_entry_mode text not null default 'double-entry'
      check (minutes_entry_mode in ('double-entry', 'single-plus-verification'))`);
    this.addSql(`create table count_minutes_entry (
      id uuid primary key,
      minutes_id uuid not null references count_minutes(id) on delete cascade,
      slot int not null check (slot in (1, 2)),
      user_id text not null,
      status text not null check (status in ('draft', 'submitted', 'returned')),
      data jsonb not null,
      confirmed_warnings jsonb not null default '[]',
      note text null,
      return_fields jsonb null,
      rev int not null default 1,
      updated_at timestamptz not null default now(),
      constraint count_minutes_entry_slot_uq unique (minutes_id, slot),
      constraint count_minutes_entry_user_uq unique (minutes_id, user_id)
    )`);
    this.addSql(`create table count_minutes_scan (
      id uuid primary key,
      version_id uuid not null references count_minutes_version(id) on delete cascade,
      file_id uuid not null,
      uploaded_by text not null,
      uploaded_at timestamptz not null default now()
    )`);
    this.addSql(`create index count_minutes_scan_version_idx on count_minutes_scan (version_id)`);
    this.addSql(`alter table count_minutes_version add column rejected_by text null, add column rejected_at timestamptz null, add column decision text null`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists count_minutes_scan cascade');
    this.addSql('drop table if exists count_minutes_entry cascade');
    this.addSql('alter table count_minutes_version drop column if exists rejected_by, drop column if exists rejected_at, drop column if exists decision');
    this.addSql('alter table election drop column if exists minutes_entry_mode');
  }
}
