// Batch sealing of the audit chain (docs/audit.md, "Sealing"). Chaining every event at its own COMMIT holds the chain
// lock through that commit's WAL flush, so audited transactions commit one flush at a time (≈ 100–300/s on a
// commodity disk) however many clients write. A transaction may instead ask, with the transaction-local setting
// baucu.audit_defer = on, that its staged events stay in audit_pending when it commits; the writer then calls
// audit_seal_pending() right after the commit (before it answers), which takes the same chain lock once and chains
// every committed staged event in staging order — one flush for a whole batch. Events are still written in the
// transaction of the write they describe; a staged event left behind by a crash is chained by the next call (any
// request, or the checkpoint job, which seals before it verifies). audit_event.staged_xid keeps the id of the
// transaction that staged the event (the write's own transaction) on both paths: "same transaction" stays checkable.
import { Migration } from '@mikro-orm/migrations';
import { GENESIS_HASH } from '../../audit/audit-hash.js';

const LOCK_KEY = 1650554211; // AUDIT_LOCK_KEY, as in 20261129000300-audit.ts
const CONTENT_COLUMNS = 'at, actor, role, scope, action, target_type, target_id, before, after, result, request_id, ip, user_agent';

export class Migration20261129000970AuditBatchSeal extends Migration {
  override async up(): Promise<void> {
    // Not part of the hashed content (the chain format is unchanged): a fact the database records about the staging.
    this.addSql(`alter table audit_event add column staged_xid xid null`);
    // The commit-time sealer, unchanged except that it leaves a deferred transaction's events staged.
    this.addSql(`create or replace function audit_seal() returns trigger language plpgsql security definer as $fn$
declare
  head_seq bigint;
  head_hash text;
  next_seq bigint;
begin
  if coalesce(current_setting('baucu.audit_defer', true), '') = 'on' then
    return null;
  end if;
  perform pg_advisory_xact_lock(${LOCK_KEY});
  select e.seq, e.hash into head_seq, head_hash from audit_event e order by e.seq desc limit 1;
  next_seq := coalesce(head_seq, 0) + 1;
  head_hash := coalesce(head_hash, '${GENESIS_HASH}');
  if current_setting('transaction_isolation') = 'read committed' then
    insert into audit_event (seq, ${CONTENT_COLUMNS}, prev_hash, hash, staged_xid)
    values (next_seq, new.at, new.actor, new.role, new.scope, new.action, new.target_type, new.target_id, new.before, new.after,
            new.result, new.request_id, new.ip, new.user_agent, head_hash,
            encode(sha256(convert_to(head_hash || E'\\n' || next_seq::text || E'\\n' || new.content_hash, 'UTF8')), 'hex'),
            (select p.xmin from audit_pending p where p.id = new.id));
  else
    begin
      insert into audit_event (seq, ${CONTENT_COLUMNS}, prev_hash, hash, staged_xid)
      values (next_seq, new.at, new.actor, new.role, new.scope, new.action, new.target_type, new.target_id, new.before, new.after,
              new.result, new.request_id, new.ip, new.user_agent, head_hash,
              encode(sha256(convert_to(head_hash || E'\\n' || next_seq::text || E'\\n' || new.content_hash, 'UTF8')), 'hex'),
              (select p.xmin from audit_pending p where p.id = new.id));
    exception when unique_violation then
      raise exception 'audit: the chain head moved during this % transaction; retry it', current_setting('transaction_isolation')
        using errcode = '40001';
    end;
  end if;
  delete from audit_pending where id = new.id;
  return null;
end
$fn$`);

    // The batch sealer: chains every committed staged event, oldest staging id first, under the chain lock. Run it in
    // its own (autocommit) transaction at READ COMMITTED: each statement then sees what committed before the lock.
    this.addSql(`create function audit_seal_pending() returns integer language plpgsql security definer as $fn$
declare
  head_seq bigint;
  head_hash text;
  r record;
  n integer := 0;
begin
  if not exists (select 1 from audit_pending) then
    return 0;
  end if;
  perform pg_advisory_xact_lock(${LOCK_KEY});
  select e.seq, e.hash into head_seq, head_hash from audit_event e order by e.seq desc limit 1;
  head_seq := coalesce(head_seq, 0);
  head_hash := coalesce(head_hash, '${GENESIS_HASH}');
  for r in select p.*, p.xmin as staged_xid from audit_pending p order by p.id loop
    head_seq := head_seq + 1;
    insert into audit_event (seq, ${CONTENT_COLUMNS}, prev_hash, hash, staged_xid)
    values (head_seq, r.at, r.actor, r.role, r.scope, r.action, r.target_type, r.target_id, r.before, r.after,
            r.result, r.request_id, r.ip, r.user_agent, head_hash,
            encode(sha256(convert_to(head_hash || E'\\n' || head_seq::text || E'\\n' || r.content_hash, 'UTF8')), 'hex'), r.staged_xid)
    returning hash into head_hash;
    delete from audit_pending where id = r.id;
    n := n + 1;
  end loop;
  return n;
end
$fn$`);
    this.addSql(`do $do$ begin
      execute format('alter function audit_seal_pending() set search_path = %I, pg_temp', current_schema());
    end $do$`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists audit_seal_pending()`);
    this.addSql(`alter table audit_event drop column if exists staged_xid`);
  }
}
