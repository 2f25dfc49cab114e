// Signed checkpoints of the audit chain head. Before signing, the chain since the last genuine checkpoint is verified:
// a checkpoint vouches for a chain that verified, never blesses one already altered. Each checkpoint is also logged,
// so a copy lives outside the database (docs/audit.md).
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../shared/logger.js';
import { canonicalAt } from './audit-hash.js';
import { checkpointMessage, verifySignature, type AuditKeys } from './checkpoint-key.js';
import { verifyAuditChain, withRawConnection, type Queryable } from './verify.js';
import { sealPendingAudit } from './audit.service.js';

export const AUDIT_CHECKPOINT_JOB = 'core.audit.checkpoint';
/**
 * Every 10 minutes on the clock (hh:00, hh:10, …): the window in which a database superuser could rewrite the newest
 * events unnoticed. A cron pattern rather than `every: 600000`, because BullMQ runs an `every` scheduler once immediately
 * on each upsert — an extra job run at every boot, which the job lists and their tests do not expect.
 */
export const AUDIT_CHECKPOINT_CRON = '*/10 * * * *';

/** The chain failed verification: no checkpoint is written. */
export class AuditChainBroken extends Error {
  constructor(message: string, readonly firstBadSeq?: number) {
    super(message);
    this.name = 'AuditChainBroken';
  }
}

export type CheckpointOutcome =
  | { written: true; id: string; seq: number; headHash: string; keyId: string; verifiedRows: number }
  | { written: false; reason: 'empty' | 'unchanged'; seq: number; verifiedRows: number };

/** Verifies the events since the last genuine checkpoint and, when the head moved, signs and stores a new one. */
export async function writeCheckpoint(em: EntityManager, keys: AuditKeys, opts: { now?: () => Date; log?: Logger } = {}): Promise<CheckpointOutcome> {
  const signer = keys.signer;
  if (!signer) throw new Error('audit: no checkpoint signing key');
  // Events a crash left staged after their commit (deferred sealing) are chained first, so the checkpoint covers them.
  await sealPendingAudit(em);
  const { from, result } = await withRawConnection(em, async (db) => {
    const from = await lastGenuineCheckpoint(db, keys);
    return { from, result: await verifyAuditChain(db, { keys: keys.verifiers, from }) };
  });
  if (!result.ok) {
    opts.log?.error({ firstBadSeq: result.firstBadSeq, reason: result.reason }, 'Chuỗi nhật ký kiểm toán bị sửa đổi / audit chain broken: no checkpoint written');
    throw new AuditChainBroken(`audit chain broken at seq ${result.firstBadSeq ?? '?'}: ${result.reason}`, result.firstBadSeq);
  }
  if (result.lastSeq === 0) return { written: false, reason: 'empty', seq: 0, verifiedRows: 0 };
  if (from && Number(from.seq) === result.lastSeq) return { written: false, reason: 'unchanged', seq: result.lastSeq, verifiedRows: 0 };

  const at = canonicalAt(BigInt((opts.now?.() ?? new Date()).getTime()) * 1000n);
  const signature = signer.sign(checkpointMessage({ seq: result.lastSeq, headHash: result.headHash, at, keyId: signer.keyId }));
  const [row] = (await em.getConnection().execute(
    `insert into audit_checkpoint (at, seq, head_hash, signature, key_id) values (?, ?, ?, ?, ?) returning id::text as id`,
    [at, result.lastSeq, result.headHash, signature, signer.keyId], 'all', em.getTransactionContext(),
  )) as { id: string }[];
  // The log line is the copy outside the database: keep these lines (log shipping) to detect a rewritten tail even
  // if the checkpoint table itself were rewritten.
  opts.log?.info({ auditCheckpoint: { id: row.id, at, seq: result.lastSeq, headHash: result.headHash, keyId: signer.keyId, signature } }, 'audit checkpoint');
  return { written: true, id: row.id, seq: result.lastSeq, headHash: result.headHash, keyId: signer.keyId, verifiedRows: result.rows };
}

/**
 * The newest checkpoint, if it is genuine and its event still carries the hash it vouches for; throws otherwise (a
 * forged or contradicted checkpoint needs a person, not a new checkpoint on top of it).
 */
async function lastGenuineCheckpoint(db: Queryable, keys: AuditKeys): Promise<{ seq: string; hash: string } | undefined> {
  const { rows } = await db.query({
    text: `select c.id::text, c.seq::text, c.head_hash, c.signature, c.key_id,
             (extract(epoch from c.at) * 1000000)::int8::text as at_us, e.hash as event_hash
           from audit_checkpoint c left join audit_event e on e.seq = c.seq
           order by c.seq desc, c.id desc limit 1`,
  });
  const c = rows[0];
  if (!c) return undefined;
  const message = checkpointMessage({ seq: c.seq, headHash: c.head_hash, at: canonicalAt(BigInt(c.at_us)), keyId: c.key_id });
  if (!verifySignature(keys.verifiers, c.key_id, message, c.signature)) {
    throw new AuditChainBroken(`audit checkpoint #${c.id} (seq ${c.seq}) is not genuine (key ${c.key_id})`);
  }
  if (c.event_hash !== c.head_hash) {
    throw new AuditChainBroken(`audit event ${c.seq} ${c.event_hash ? 'differs from' : 'vouched for by'} checkpoint #${c.id}${c.event_hash ? '' : ' is missing'}`, Number(c.seq));
  }
  return { seq: c.seq, hash: c.head_hash };
}

