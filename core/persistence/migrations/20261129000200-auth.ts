// Identity: accounts, role assignments scoped to a node of the tree (or, later, an electoral unit or polling area),
// server-side sessions (when Redis is not configured), API tokens.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261129000200Auth extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table app_user (
      id uuid primary key,
      username text not null,
      full_name text not null,
      search_key text not null,
      sort_key text collate "C" not null,
      phone text null,
      email text null,
      status text not null default 'active' check (status in ('active','disabled','expired')),
      expires_at timestamptz null,
      password_hash text not null,
      must_change_password boolean not null default false,
      failed_logins int not null default 0,
      locked_until timestamptz null,
      totp_secret text null,
      totp_enabled boolean not null default false,
      totp_last_step bigint not null default 0,
      recovery_codes jsonb not null default '[]',
      lang text not null default 'vi',
      created_by uuid null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      last_login_at timestamptz null
    )`);
    this.addSql(`create unique index app_user_username_uq on app_user (lower(username))`);
    this.addSql(`create table role_assignment (
      id uuid primary key,
      user_id uuid not null references app_user(id) on delete cascade,
      role text not null,
      scope_type text not null check (scope_type in ('nation','province','commune','electoral-unit','polling-area')),
      scope_code text not null,
      election_id uuid null,
      created_by uuid null,
      created_at timestamptz not null default now(),
      unique (user_id, role, scope_type, scope_code, election_id)
    )`);
    this.addSql(`create index role_assignment_scope_idx on role_assignment (scope_type, scope_code)`);
    this.addSql(`create table user_session (
      sid text primary key,
      user_id uuid null references app_user(id) on delete cascade,
      data jsonb not null,
      created_at timestamptz not null default now(),
      last_seen timestamptz not null default now(),
      expires_at timestamptz not null
    )`);
    this.addSql(`create index user_session_user_idx on user_session (user_id)`);
    this.addSql(`create table api_token (
      id uuid primary key,
      user_id uuid not null references app_user(id) on delete cascade,
      name text not null,
      token_hash text not null unique,
      prefix text not null,
      -- A token may be limited to one of its owner's assignments (null: all of them).
      assignment_id uuid null references role_assignment(id) on delete cascade,
      created_at timestamptz not null default now(),
      last_used_at timestamptz null,
      expires_at timestamptz null,
      revoked_at timestamptz null
    )`);
  }

  override async down(): Promise<void> {
    for (const t of ['api_token', 'user_session', 'role_assignment', 'app_user']) this.addSql(`drop table if exists ${t}`);
  }
}
