// Audit or it did not happen: records an event in the SAME transaction as the write it describes. The event goes to
// audit_pending with the hash of its content; a deferred constraint trigger (migration 20261129000300) chains it at
// COMMIT — takes the chain lock, assigns the next seq, links the hash, moves the row to audit_event — so the lock
// that serialises audited transactions is held only for that last step and the commit itself (docs/audit.md).
import type { EntityManager } from '@mikro-orm/postgresql';
import { ASYNC_COMMIT_SQL, deferredExec, prepared } from '../persistence/db.js';
import { sharedRunsByKey } from '../shared/coalesce.js';
import { contentHash, normaliseAuditContent, eventHashOf, type AuditContent, type AuditContentInput } from './audit-hash.js';

export { canonicalJson, GENESIS_HASH } from './audit-hash.js';

export type AuditResult = 'success' | 'rejected' | 'denied' | 'failed';

/** What a caller records: the event's content without its time (taken at the call) and with a typed result. */
export type AuditInput = Omit<AuditContentInput, 'at' | 'result'> & { result: AuditResult };

/** The transaction-scoped advisory lock key of the chain head (also in the sealer trigger): 'bauc'. */
export const AUDIT_LOCK_KEY = 0x62617563;

/**
 * Appends one audit event inside the EntityManager's current transaction (call it inside `em.transactional`). The
 * event becomes visible, with its sequence number, when that transaction commits — and disappears with it on
 * rollback. Returns the event's staging id (audit_pending.id), valid only inside the transaction.
 */
export async function recordAudit(em: EntityManager, e: AuditInput, o: { deferSeal?: boolean; deferWrite?: boolean } = {}): Promise<string | undefined> {
  const c = normaliseAuditContent({ ...e, at: new Date() });
  // deferSeal: the transaction's staged events stay staged at COMMIT (the setting is transaction-local and read by the
  // commit-time sealer); the caller must call sealPendingAudit() after the commit. Set in the same statement: no round trip.
  // deferWrite (lean transactions): the insert travels with the COMMIT (deferredExec); its id is then not returned.
  const text = `insert into audit_pending (at, actor, role, scope, action, target_type, target_id, before, after, result, request_id, ip, user_agent, content_hash)
     select ?::timestamptz, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::jsonb, ?::jsonb, ?::text, ?::text, ?::text, ?::text, ?::text${o.deferSeal ? ` from (select set_config('baucu.audit_defer', 'on', true)) d` : ''} returning id::text as id`;
  const params = [c.at, c.actor, c.role, c.scope, c.action, c.targetType, c.targetId, jsonParam(c.before), jsonParam(c.after), c.result,
    c.requestId, c.ip, c.userAgent, contentHash(c)];
  if (o.deferWrite) {
    await deferredExec(em, text, params);
    return undefined;
  }
  const [row] = await prepared<{ id: string }>(em, text, params);
  return row.id;
}

/**
 * Chains every committed staged event (one lock, one flush for the batch; migration 20261129000970) and returns how
 * many it chained. Call it outside any transaction, after committing a transaction that recorded with deferSeal.
 * Concurrent callers of one database share runs (sharedRuns): each is answered by a run that started after its call,
 * so its committed event is chained when it returns, and a burst of writes costs a few seals instead of one each.
 */
export async function sealPendingAudit(em: EntityManager): Promise<number> {
  return sealRuns(em.getConnection(), async () => {
    // Committed without waiting for the WAL flush: the events it chains were committed (staged) durably by their own
    // transactions, and a chain lost in a database crash is rebuilt identically by the next seal (same events, same
    // staging order, same head); a later synchronous commit — the next audited write — flushes it anyway.
    const [row] = await prepared<{ n: number }>(em.fork(), `with a as (${ASYNC_COMMIT_SQL}) select audit_seal_pending() as n from a`);
    return Number(row?.n ?? 0);
  });
}
const sealRuns = sharedRunsByKey<object, number>();

function jsonParam(v: unknown): string | null {
  return v === null ? null : JSON.stringify(v);
}

/**
 * The hash an event gets at `seq` after `prevHash` (what the sealer computes at commit). For tests and tools: the
 * application never writes audit_event itself.
 */
export function eventHash(prevHash: string, seq: string, at: string, e: AuditInput): string {
  return eventHashOf(prevHash, seq, normaliseAuditContent({ ...e, at: new Date(at) }));
}

export type { AuditContent };
