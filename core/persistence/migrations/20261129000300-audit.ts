// Audit trail, enforced by the database: events are staged in audit_pending and chained at COMMIT by a deferred
// constraint trigger (the chain lock is held only for that last step); audit_event and audit_checkpoint refuse UPDATE,
// DELETE and TRUNCATE; signed checkpoints of the chain head. See docs/audit.md.
import { Migration } from '@mikro-orm/migrations';
import { GENESIS_HASH, eventHashOf, normaliseAuditContent } from '../../audit/audit-hash.js';

// 0x62617563 ('bauc'): the same transaction-scoped advisory lock key as AUDIT_LOCK_KEY in core/audit/audit.service.ts.
const LOCK_KEY = 1650554211;

// The stored-event columns, in the order both tables share.
const CONTENT_COLUMNS = 'at, actor, role, scope, action, target_type, target_id, before, after, result, request_id, ip, user_agent';

export class Migration20261129000300Audit extends Migration {
  override async up(): Promise<void> {
    // Events written before this migration used an earlier hash format: chain them again in the current format, once,
    // before the append-only triggers exist. (Only development databases hold such rows.)
    await this.rechainExisting();

    this.addSql(`create table audit_pending (
      id bigint generated always as identity primary key,
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
      content_hash text not null check (content_hash ~ '^[0-9a-f]{64}$')
    )`);
    this.addSql(`create table audit_checkpoint (
      id bigint generated always as identity primary key,
      at timestamptz not null,
      seq bigint not null check (seq > 0),
      head_hash text not null,
      signature text not null,
      key_id text not null
    )`);
    this.addSql(`create index audit_checkpoint_seq_idx on audit_checkpoint (seq)`);

    // The sealer: runs at COMMIT (deferred) for each staged event, in staging order. It takes the chain lock (held
    // until the transaction ends), reads the head, inserts the event with the next seq and its chained hash, and
    // removes the staged row. SECURITY DEFINER: the application role needs only INSERT on audit_pending, never INSERT
    // on audit_event, so it cannot choose a seq or a hash. Above READ COMMITTED the head read can be stale; the
    // duplicate seq is then reported as a serialization failure (40001), which callers may retry.
    this.addSql(`create function audit_seal() returns trigger language plpgsql security definer as $fn$
declare
  head_seq bigint;
  head_hash text;
  next_seq bigint;
begin
  perform pg_advisory_xact_lock(${LOCK_KEY});
  select e.seq, e.hash into head_seq, head_hash from audit_event e order by e.seq desc limit 1;
  next_seq := coalesce(head_seq, 0) + 1;
  head_hash := coalesce(head_hash, '${GENESIS_HASH}');
  if current_setting('transaction_isolation') = 'read committed' then
    insert into audit_event (seq, ${CONTENT_COLUMNS}, prev_hash, hash)
    values (next_seq, new.at, new.actor, new.role, new.scope, new.action, new.target_type, new.target_id, new.before, new.after,
            new.result, new.request_id, new.ip, new.user_agent, head_hash,
            encode(sha256(convert_to(head_hash || E'\\n' || next_seq::text || E'\\n' || new.content_hash, 'UTF8')), 'hex'));
  else
    begin
      insert into audit_event (seq, ${CONTENT_COLUMNS}, prev_hash, hash)
      values (next_seq, new.at, new.actor, new.role, new.scope, new.action, new.target_type, new.target_id, new.before, new.after,
              new.result, new.request_id, new.ip, new.user_agent, head_hash,
              encode(sha256(convert_to(head_hash || E'\\n' || next_seq::text || E'\\n' || new.content_hash, 'UTF8')), 'hex'));
    exception when unique_violation then
      raise exception 'audit: the chain head moved during this % transaction; retry it', current_setting('transaction_isolation')
        using errcode = '40001';
    end;
  end if;
  delete from audit_pending where id = new.id;
  return null;
end
$fn$`);
    // A SECURITY DEFINER function must not resolve names through a schema its caller controls.
    this.addSql(`do $do$ begin
      execute format('alter function audit_seal() set search_path = %I, pg_temp', current_schema());
    end $do$`);
    this.addSql(`create constraint trigger audit_pending_seal after insert on audit_pending
      deferrable initially deferred for each row execute function audit_seal()`);

    // Append-only, whoever asks (statement-level: even a statement touching no row is refused).
    this.addSql(`create function audit_append_only() returns trigger language plpgsql as $fn$
begin
  raise exception 'Nhật ký kiểm toán chỉ được ghi thêm: lệnh % trên bảng % bị từ chối / audit trail is append-only: % on % refused',
    tg_op, tg_table_name, tg_op, tg_table_name
    using errcode = '42501', hint = 'audit_event and audit_checkpoint accept INSERT only (docs/audit.md)';
end
$fn$`);
    for (const t of ['audit_event', 'audit_checkpoint']) {
      this.addSql(`create trigger ${t}_append_only before update or delete or truncate on ${t}
        for each statement execute function audit_append_only()`);
    }
    // A staged row is never edited between recordAudit and the commit that seals it.
    this.addSql(`create trigger audit_pending_no_update before update on audit_pending
      for each statement execute function audit_append_only()`);

    // Nobody but the owner gets more than the tables' own grants; production runs the application as a role with
    // INSERT on audit_pending and audit_checkpoint and SELECT on the three (docs/audit.md has the script).
    this.addSql(`revoke insert, update, delete, truncate on audit_event from public`);
    this.addSql(`revoke update, delete, truncate on audit_checkpoint from public`);
    this.addSql(`revoke update, delete, truncate on audit_pending from public`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists audit_event_append_only on audit_event`);
    this.addSql(`drop table if exists audit_checkpoint`);
    this.addSql(`drop table if exists audit_pending`);
    this.addSql(`drop function if exists audit_seal()`);
    this.addSql(`drop function if exists audit_append_only()`);
  }

  private async rechainExisting(): Promise<void> {
    const rows = (await this.execute(
      `select seq::text as seq, ${CONTENT_COLUMNS} from audit_event order by seq`,
    )) as Record<string, any>[];
    let prev = GENESIS_HASH;
    let expected = 1n;
    for (const r of rows) {
      // Number the events 1..n again only if they were not (the old writer could not leave gaps).
      const seq = BigInt(r.seq);
      if (seq !== expected) throw new Error(`audit migration: audit_event has a gap before seq ${r.seq}`);
      const c = normaliseAuditContent({
        at: r.at instanceof Date ? r.at : new Date(r.at), actor: r.actor, role: r.role, scope: r.scope, action: r.action,
        targetType: r.target_type, targetId: r.target_id, before: r.before, after: r.after, result: r.result,
        requestId: r.request_id, ip: r.ip, userAgent: r.user_agent,
      });
      const hash = eventHashOf(prev, seq, c);
      await this.execute('update audit_event set prev_hash = ?, hash = ? where seq = ?', [prev, hash, r.seq]);
      prev = hash;
      expected++;
    }
  }
}
