// Kernel tables: administrative tree (versioned), imports, jobs, elections + plugin state, artefacts, audit events.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261129000100Kernel extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table admin_unit (
      code text not null,
      valid_from date not null,
      valid_to date null,
      level text not null check (level in ('nation','province','commune')),
      parent_code text null,
      name text not null,
      type text not null check (type in ('quốc gia','tỉnh','thành phố','xã','phường','đặc khu')),
      search_key text not null,
      sort_key text collate "C" not null,
      import_run_id uuid null,
      primary key (code, valid_from),
      check (valid_to is null or valid_to > valid_from)
    )`);
    this.addSql(`create index admin_unit_parent_idx on admin_unit (parent_code, sort_key)`);
    this.addSql(`create index admin_unit_level_idx on admin_unit (level, valid_from)`);
    this.addSql(`create table import_run (
      id uuid primary key,
      kind text not null,
      status text not null,
      source text not null,
      file_sha256 text null,
      effective_date date null,
      rows_total int not null default 0,
      rows_ok int not null default 0,
      report jsonb null,
      summary jsonb null,
      created_by text not null,
      created_at timestamptz not null default now(),
      finished_at timestamptz null,
      job_run_id uuid null
    )`);
    this.addSql(`create table job_run (
      id uuid primary key,
      name text not null,
      status text not null check (status in ('queued','running','succeeded','failed','cancelled')),
      progress_done int not null default 0,
      progress_total int not null default 0,
      payload jsonb not null default '{}',
      result jsonb null,
      error text null,
      attempts int not null default 0,
      created_by text not null,
      election_id uuid null,
      created_at timestamptz not null default now(),
      started_at timestamptz null,
      finished_at timestamptz null,
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create index job_run_created_idx on job_run (created_at desc)`);
    this.addSql(`create table election (
      id uuid primary key,
      name text not null,
      election_day date not null,
      status text not null default 'preparation',
      created_at timestamptz not null default now()
    )`);
    this.addSql(`create table plugin_state (
      election_id uuid not null references election(id) on delete cascade,
      plugin_id text not null,
      enabled boolean not null,
      settings jsonb not null default '{}',
      updated_at timestamptz not null default now(),
      primary key (election_id, plugin_id)
    )`);
    this.addSql(`create table artefact (
      id uuid primary key,
      kind text not null,
      title text not null,
      params jsonb not null default '{}',
      path text not null,
      sha256 text not null,
      size int not null,
      mime text not null,
      created_by text not null,
      created_at timestamptz not null default now(),
      job_run_id uuid null
    )`);
    this.addSql(`create table audit_event (
      seq bigint primary key,
      at timestamptz not null,
      actor text not null,
      role text null,
      scope text null,
      action text not null,
      target_type text null,
      target_id text null,
      before jsonb null,
      after jsonb null,
      result text not null check (result in ('success','rejected','denied','failed')),
      request_id text null,
      ip text null,
      user_agent text null,
      prev_hash text not null,
      hash text not null
    )`);
    this.addSql(`create index audit_event_action_idx on audit_event (action, at)`);
  }

  override async down(): Promise<void> {
    for (const t of ['audit_event', 'artefact', 'plugin_state', 'election', 'job_run', 'import_run', 'admin_unit']) {
      this.addSql(`drop table if exists ${t}`);
    }
  }
}
