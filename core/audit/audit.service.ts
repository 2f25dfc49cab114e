// Audit or it did not happen: records an event in the SAME transaction as the write it describes. The event goes to
// audit_pending with the hash of its content; a deferred constraint trigger (migration 20261129000300) chains it at
// COMMIT — takes the chain lock, assigns the next seq, links the hash, moves the row to audit_event — so the lock
// that serialises audited transactions is held only for that last step and the commit itself (docs/audit.md).
import type { EntityManager } from '@mikro-orm/postgresql';
import { prepared } from '../persistence/db.js';
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
export async function recordAudit(em: EntityManager, e: AuditInput, o: { deferSeal?: boolean } = {}): Promise<string> {
  const c = normaliseAuditContent({ ...e, at: new Date() });
  // deferSeal: the transaction's staged events stay staged at COMMIT (the setting is transaction-local and read by the
  // commit-time sealer); the caller must call sealPendingAudit() after the commit. Set in the same statement: no round trip.
  const [row] = await prepared<{ id: string }>(
    em,
    `insert into audit_pending (at, actor, role, scope, action, target_type, target_id, before, after, result, request_id, ip, user_agent, content_hash)
     select ?::timestamptz, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::jsonb, ?::jsonb, ?::text, ?::text, ?::text, ?::text, ?::text${o.deferSeal ? ` from (select set_config('baucu.audit_defer', 'on', true)) d` : ''} returning id::text as id`,
    [c.at, c.actor, c.role, c.scope, c.action, c.targetType, c.targetId, jsonParam(c.before), jsonParam(c.after), c.result,
      c.requestId, c.ip, c.userAgent, contentHash(c)],
  );
  return row.id;
}

/**
 * Chains every committed staged event (one lock, one flush for the batch; migration 20261129000970) and returns how
 * many it chained. Call it outside any transaction, after committing a transaction that recorded with deferSeal.
 */
export async function sealPendingAudit(em: EntityManager): Promise<number> {
  const [row] = await prepared<{ n: number }>(em.fork(), `select audit_seal_pending() as n`);
  return Number(row?.n ?? 0);
}

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
