// The audit verifier: recomputes the whole hash chain from what is stored (content hash, link, sequence) and checks
// every signed checkpoint against it. Streams in keyset batches over the raw pg client — the ORM would cost more than
// the hashing. "First bad sequence number" = 1 + the last seq up to which the chain is proven intact (docs/audit.md).
import type { EntityManager } from '@mikro-orm/postgresql';
import { GENESIS_HASH, canonicalAt, contentHash, linkHash, type AuditContent } from './audit-hash.js';
import { checkpointMessage, verifySignature, type CheckpointKeys } from './checkpoint-key.js';

/** Anything with pg's `query` (pg.Client, a pooled client). */
export interface Queryable {
  query(config: { text: string; values?: unknown[]; rowMode?: 'array' }): Promise<{ rows: any[] }>;
}

export interface VerifyOptions {
  /** Qualify the tables with this schema (otherwise the connection's search_path decides). */
  schema?: string;
  /** Checkpoint public keys by key id; a checkpoint whose key is not here fails verification. */
  keys?: CheckpointKeys;
  /** Rows per keyset batch (default 10,000). */
  batchSize?: number;
  /**
   * Incremental verification: trust the chain up to this point (a verified checkpoint) and check only what follows.
   * Checkpoints at or below it are not re-checked.
   */
  from?: { seq: number | string; hash: string };
  onProgress?(rows: number): void;
}

export interface BadCheckpoint {
  id: string;
  seq: number;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Events checked and found good. */
  rows: number;
  /** Seq and hash of the end of the intact prefix (the chain head when ok). */
  lastSeq: number;
  headHash: string;
  /** The first sequence number the chain cannot vouch for (missing, altered, or contradicted by a checkpoint). */
  firstBadSeq?: number;
  reason?: string;
  checkpointsChecked: number;
  /** Checkpoints that are not genuine (bad signature, unknown key): never used to vouch for the chain. */
  badCheckpoints: BadCheckpoint[];
  ms: number;
}

interface Checkpoint {
  id: string;
  seq: number;
  headHash: string;
  at: string;
}

const DEFAULT_BATCH = 10_000;

function table(schema: string | undefined, name: string): string {
  return schema ? `"${schema.replace(/"/g, '""')}".${name}` : name;
}

/** `at` as exact epoch microseconds (text), NULL when not finite: the verifier must read what is stored, exactly. */
const AT_US = `case when isfinite(at) then (extract(epoch from at) * 1000000)::int8::text end`;

/** Verifies the audit chain and its checkpoints. Accepts an EntityManager (uses its pool) or a pg client. */
export async function verifyAuditChain(db: EntityManager | Queryable, opts: VerifyOptions = {}): Promise<VerifyResult> {
  if ('query' in db && typeof db.query === 'function') return verifyWith(db as Queryable, opts);
  return withRawConnection(db as EntityManager, (c) => verifyWith(c, opts));
}

/** Runs fn with a raw pg connection from the EntityManager's pool (search_path already set by the pool). */
export async function withRawConnection<T>(em: EntityManager, fn: (c: Queryable) => Promise<T>): Promise<T> {
  const knex = (em.getConnection() as unknown as { getKnex(): any }).getKnex();
  const conn = await knex.client.acquireConnection();
  try {
    return await fn(conn as Queryable);
  } finally {
    await knex.client.releaseConnection(conn);
  }
}

async function verifyWith(db: Queryable, opts: VerifyOptions): Promise<VerifyResult> {
  const t0 = performance.now();
  const batch = opts.batchSize ?? DEFAULT_BATCH;
  const events = table(opts.schema, 'audit_event');
  const startSeq = opts.from ? BigInt(opts.from.seq) : 0n;

  // Checkpoints: genuine ones vouch for the chain; the others are reported.
  const badCheckpoints: BadCheckpoint[] = [];
  const trusted: Checkpoint[] = [];
  const cps = await db.query({
    text: `select id::text, seq::text, head_hash, signature, key_id, ${AT_US} as at_us
           from ${table(opts.schema, 'audit_checkpoint')} c ${opts.from ? 'where c.seq > $1' : ''} order by c.seq, c.id`,
    values: opts.from ? [startSeq.toString()] : [],
  });
  for (const c of cps.rows) {
    let at: string | undefined;
    try {
      at = c.at_us === null ? undefined : canonicalAt(c.at_us);
    } catch {
      at = undefined;
    }
    const genuine = at !== undefined
      && verifySignature(opts.keys ?? new Map(), c.key_id, checkpointMessage({ seq: c.seq, headHash: c.head_hash, at, keyId: c.key_id }), c.signature);
    if (genuine) trusted.push({ id: c.id, seq: Number(c.seq), headHash: c.head_hash, at: at! });
    else {
      const known = opts.keys?.has(c.key_id);
      badCheckpoints.push({
        id: c.id, seq: Number(c.seq),
        reason: known ? 'signature does not match its content' : `signed by unknown key ${c.key_id}`,
      });
    }
  }

  // Sequence numbers are compared as doubles on the hot path (exact below 2^53); BigInt only to report an anomaly.
  let expected = Number(startSeq) + 1;
  let prev = opts.from?.hash ?? GENESIS_HASH;
  let rows = 0;
  let ci = 0;
  let checked = 0;
  let firstBadSeq: number | undefined;
  let reason: string | undefined;

  const select = `select seq::text, ${AT_US} as at_us, actor, role, scope, action, target_type, target_id, before, after, result,
    request_id, ip, user_agent, prev_hash, hash from ${events} e`;
  const fetch = (after: string | undefined) => db.query({
    // The first batch has no lower bound, so a forged row numbered below 1 is seen (and reported) too.
    // Order by the bigint column e.seq, not the text output column of the same name.
    text: after === undefined ? `${select} order by e.seq limit $1` : `${select} where e.seq > $2 order by e.seq limit $1`,
    values: after === undefined ? [batch] : [batch, after],
    rowMode: 'array',
  });

  // Fetch the next batch while this one is hashed.
  let pending: Promise<{ rows: any[] }> | undefined = fetch(opts.from ? startSeq.toString() : undefined);
  try {
    outer: while (pending) {
      const page: unknown[][] = (await pending).rows;
      pending = page.length === batch ? fetch(page[page.length - 1][0] as string) : undefined;
      for (const row of page) {
        const r = row as any[];
        const seq = Number(r[0]);
        if (seq !== expected) {
          const exact = BigInt(r[0]);
          const low = exact < BigInt(expected);
          firstBadSeq = low ? Number(exact) : expected;
          reason = low
            ? `unexpected event numbered ${exact} (expected ${expected})`
            : `event ${expected} is missing (next stored event is ${exact})`;
          break outer;
        }
        if (r[14] !== prev) {
          firstBadSeq = seq;
          reason = `prev_hash of event ${seq} does not match the hash of event ${seq - 1}`;
          break outer;
        }
        let h: string;
        try {
          if (r[1] === null) throw new Error('timestamp not finite');
          const c: AuditContent = {
            at: canonicalAt(r[1]), actor: r[2], role: r[3], scope: r[4], action: r[5], targetType: r[6], targetId: r[7],
            before: r[8], after: r[9], result: r[10], requestId: r[11], ip: r[12], userAgent: r[13],
          };
          h = linkHash(prev, r[0], contentHash(c));
        } catch (e) {
          firstBadSeq = seq;
          reason = `event ${seq} cannot be read back (${e instanceof Error ? e.message : String(e)})`;
          break outer;
        }
        if (h !== r[15]) {
          firstBadSeq = seq;
          reason = `hash of event ${seq} does not match its content (a field, its number or its link was altered)`;
          break outer;
        }
        while (ci < trusted.length && trusted[ci].seq <= seq) {
          const cp = trusted[ci++];
          checked++;
          if (cp.seq === seq && cp.headHash !== h) {
            firstBadSeq = seq;
            reason = `event ${seq} differs from checkpoint #${cp.id} signed at ${cp.at}: the chain was rewritten up to here`;
            break outer;
          }
        }
        prev = h;
        expected = seq + 1;
        rows++;
      }
      opts.onProgress?.(rows);
    }
  } finally {
    // Never leave a prefetch in flight on the caller's connection.
    if (pending) await pending.catch(() => undefined);
  }

  if (firstBadSeq === undefined && ci < trusted.length) {
    const cp = trusted[trusted.length - 1];
    firstBadSeq = expected;
    reason = `the chain ends at event ${expected - 1} but checkpoint #${cp.id} signed at ${cp.at} vouches for event ${cp.seq}: events were removed from the end`;
  }
  const ok = firstBadSeq === undefined && badCheckpoints.length === 0;
  if (firstBadSeq === undefined && badCheckpoints.length) {
    const b = badCheckpoints[0];
    reason = `checkpoint #${b.id} (event ${b.seq}) is not genuine: ${b.reason}`;
  }
  return {
    ok, rows, lastSeq: expected - 1, headHash: prev, firstBadSeq, reason,
    checkpointsChecked: checked, badCheckpoints, ms: performance.now() - t0,
  };
}
