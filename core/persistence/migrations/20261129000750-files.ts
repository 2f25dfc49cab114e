// Infrastructure for uploads and machine clients: stored_file (uploaded documents and scans kept under
// DATA_DIR/files, outside the web root, one row per stored upload) and idempotency_key (the first response to a
// POST carrying an Idempotency-Key, replayed for retries of the same request; docs/api.md).
import { Migration } from '@mikro-orm/migrations';

export class Migration20261129000750Files extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table stored_file (
      id uuid primary key,
      sha256 text not null,
      mime text not null,
      size int not null check (size > 0),
      original_name text not null,
      storage_key text not null,
      election_id uuid null,
      created_by text not null,
      created_at timestamptz not null default now()
    )`);
    this.addSql(`create index stored_file_sha256_idx on stored_file (sha256)`);
    this.addSql(`create index stored_file_election_idx on stored_file (election_id) where election_id is not null`);
    // One row per (actor, key): inserted first (ON CONFLICT DO NOTHING decides who runs), completed with the response.
    this.addSql(`create table idempotency_key (
      actor text not null,
      key text not null,
      method text not null,
      path text not null,
      body_hash text not null,
      status int null,
      response jsonb null,
      created_at timestamptz not null default now(),
      completed_at timestamptz null,
      primary key (actor, key)
    )`);
    this.addSql(`create index idempotency_key_created_idx on idempotency_key (created_at)`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists idempotency_key');
    this.addSql('drop table if exists stored_file');
  }
}
