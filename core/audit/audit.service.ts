// Audit or it did not happen: records an event in the SAME transaction as the write it describes, chained by hash
// to the previous event. The chain head is taken under a transaction-scoped advisory lock so concurrent audited
// transactions get consecutive sequence numbers; the lock is held only until commit.
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../persistence/db.js';

export type AuditResult = 'success' | 'rejected' | 'denied' | 'failed';

export interface AuditInput {
  actor: string;
  role?: string | null;
  scope?: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
  result: AuditResult;
  requestId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

const GENESIS = '0'.repeat(64);
const AUDIT_LOCK_KEY = 0x62617563; // 'bauc'

/** Canonical JSON: keys sorted at every depth, so the hash does not depend on key order. */
export function canonicalJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']';
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return '{' + Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => JSON.stringify(k) + ':' + canonicalJson(o[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

export function eventHash(prevHash: string, seq: string, at: string, e: AuditInput): string {
  const body = canonicalJson({
    seq, at, actor: e.actor, role: e.role ?? null, scope: e.scope ?? null, action: e.action,
    targetType: e.targetType ?? null, targetId: e.targetId ?? null, before: e.before ?? null, after: e.after ?? null,
    result: e.result, requestId: e.requestId ?? null, ip: e.ip ?? null, userAgent: e.userAgent ?? null,
  });
  return createHash('sha256').update(prevHash + '\n' + body).digest('hex');
}

/** Appends one audit event using the given EntityManager's transaction (call inside em.transactional). */
export async function recordAudit(em: EntityManager, e: AuditInput): Promise<string> {
  await sql(em, 'select pg_advisory_xact_lock(?)', [AUDIT_LOCK_KEY]);
  const [head] = await sql<{ seq: string; hash: string }>(em, 'select seq::text as seq, hash from audit_event order by seq desc limit 1');
  const seq = String(BigInt(head?.seq ?? '0') + 1n);
  const at = new Date().toISOString();
  const prevHash = head?.hash ?? GENESIS;
  const hash = eventHash(prevHash, seq, at, e);
  await sql(
    em,
    `insert into audit_event (seq, at, actor, role, scope, action, target_type, target_id, before, after, result, request_id, ip, user_agent, prev_hash, hash)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?, ?)`,
    [seq, at, e.actor, e.role ?? null, e.scope ?? null, e.action, e.targetType ?? null, e.targetId ?? null,
      e.before === undefined ? null : JSON.stringify(e.before), e.after === undefined ? null : JSON.stringify(e.after),
      e.result, e.requestId ?? null, e.ip ?? null, e.userAgent ?? null, prevHash, hash],
  );
  return seq;
}
