// Raw SQL on a (forked) EntityManager, inside its current transaction when there is one. Bulk paths use this;
// entity work uses the EntityManager directly.
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Runs a parameterised query (`?` placeholders) and returns its rows. The values are inlined exactly as MikroORM's
 * `Connection.execute` inlines them (its platform's formatQuery) and the text goes as a simple query straight on the
 * connection — the transaction's when there is one — skipping the ORM's and knex's per-query layers (≈ 0.3 ms of
 * CPU per query). Errors are the driver's, as through `execute` (which does not convert them either).
 */
export async function sql<T = Record<string, any>>(em: EntityManager, query: string, params: unknown[] = []): Promise<T[]> {
  const res = await runText(em, query, params);
  return (Array.isArray(res) ? res.map((r) => r.rows) : res.rows) as T[];
}

/** Runs a statement and returns the affected row count. */
export async function exec(em: EntityManager, query: string, params: unknown[] = []): Promise<number> {
  const res = await runText(em, query, params);
  return (Array.isArray(res) ? res.at(-1)?.rowCount : res.rowCount) ?? 0;
}

/**
 * A statement fragment that makes the current transaction commit without waiting for its WAL flush
 * (synchronous_commit off for this transaction only): for bookkeeping whose loss in a database crash is recovered by
 * design. Still atomic and consistent; a later synchronous commit flushes it too (the WAL is sequential).
 */
export const ASYNC_COMMIT_SQL = `select set_config('synchronous_commit', 'off', true) as async_commit`;

type PgResult = { rows: unknown[]; rowCount: number | null };

async function runText(em: EntityManager, query: string, params: unknown[]): Promise<PgResult | PgResult[]> {
  const text = params.length ? em.getPlatform().formatQuery(query, params as any[]) : query;
  return onConnection(em, (c) => c.query(text) as Promise<PgResult | PgResult[]>);
}

/**
 * Hot-path queries as named prepared statements (extended protocol) on the EntityManager's connection — its
 * transaction's when it has one: PostgreSQL parses each once per connection and, after a few executions, reuses a
 * generic plan; the MikroORM/knex formatting layer is skipped. `?` placeholders as in sql(). Unlike sql(), values
 * are bound, not inlined: write explicit casts where the type is not clear from the context (`?::uuid`, `?::int`),
 * and pass arrays as PostgreSQL array literals (pgArray) — a JS array is refused, since sql() would have expanded it
 * into a list. The rows come through the same connection, so the same type parsers apply. The text must be fixed (a
 * few variants at most, never values spliced in): each distinct text is a statement kept on every connection.
 */
export async function prepared<T = Record<string, any>>(em: EntityManager, query: string, params: unknown[] = []): Promise<T[]> {
  return (await runPrepared(em, query, params)).rows as T[];
}

/** prepared() for statements: the affected row count. */
export async function preparedExec(em: EntityManager, query: string, params: unknown[] = []): Promise<number> {
  return (await runPrepared(em, query, params)).rowCount ?? 0;
}

interface PgConn {
  query(q: string | { name: string; text: string; values: unknown[] }): Promise<unknown>;
}
interface KnexClientLike {
  acquireConnection(): Promise<PgConn>;
  releaseConnection(c: PgConn): Promise<void>;
}

const statements = new Map<string, { name: string; text: string; params: number }>();

function statementOf(query: string): { name: string; text: string; params: number } {
  let s = statements.get(query);
  if (!s) {
    let n = 0;
    const text = query.replace(/\\\?|\?/g, (m) => (m === '?' ? `$${++n}` : '?'));
    s = { name: 'b' + createHash('sha1').update(query).digest('hex').slice(0, 20), text, params: n };
    statements.set(query, s);
  }
  return s;
}

function bindValue(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) throw new Error('prepared(): pass arrays as PostgreSQL array literals (pgArray), not JS arrays');
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && !Buffer.isBuffer(v)) return JSON.stringify(v);
  return v;
}

async function runPrepared(em: EntityManager, query: string, params: unknown[]): Promise<PgResult> {
  const st = statementOf(query);
  if (st.params !== params.length) throw new Error(`prepared(): ${st.params} placeholders, ${params.length} values`);
  const q = { name: st.name, text: st.text, values: params.map(bindValue) };
  return onConnection(em, (c) => c.query(q) as Promise<PgResult>);
}

/**
 * Runs `f` on the EntityManager's connection: its transaction's (as knex would: refused once that transaction has
 * ended, since the connection may serve someone else by then), or one from the pool for the call.
 */
async function onConnection<R>(em: EntityManager, f: (c: PgConn) => Promise<R>): Promise<R> {
  const ctx = em.getTransactionContext() as { client: KnexClientLike; isCompleted(): boolean } | undefined;
  if (ctx) {
    if (ctx.isCompleted()) throw new Error('Transaction query already complete, run with DEBUG=knex:tx for more info');
    return f(await ctx.client.acquireConnection());
  }
  const conn = em.getConnection();
  await conn.ensureConnection();
  const client = (conn.getKnex() as unknown as { client: KnexClientLike }).client;
  const c = await client.acquireConnection();
  try {
    return await f(c);
  } finally {
    await client.releaseConnection(c);
  }
}

/** The lean transaction's connection state: BEGIN not sent yet, statements deferred to the next round trip. */
interface LeanState {
  begun: boolean;
  deferred: string[];
}

/**
 * A transaction on one pooled connection without the ORM's transaction machinery (unit of work, events, contexts:
 * ≈ 0.4 ms of CPU per transaction): BEGIN, `fn` with an EntityManager whose sql/exec/prepared run on that
 * connection, COMMIT — or ROLLBACK when `fn` throws. Only for paths that use nothing but those (and deferredExec):
 * entity operations or a nested em.transactional() on this EntityManager are refused (there is no knex transaction).
 *
 * Round trips are what a write costs on a small machine (each one a socket write and a wake-up of the backend), so:
 * BEGIN travels with the transaction's first statement when that one is a simple-protocol sql()/exec() ("begin;
 * select …" in one message), and statements given to deferredExec() wait and travel with the next statement or with
 * the COMMIT ("insert …; insert …; commit"). A transaction whose statements are an opening sql() and deferred writes
 * thus costs two round trips. Order is kept: deferred statements always run before any later statement.
 */
export async function leanTransaction<T>(em: EntityManager, fn: (tx: EntityManager) => Promise<T>): Promise<T> {
  const conn = em.getConnection();
  await conn.ensureConnection();
  const client = (conn.getKnex() as unknown as { client: KnexClientLike }).client;
  const c = await client.acquireConnection();
  let done = false;
  const lean: LeanState = { begun: false, deferred: [] };
  // What goes before the next statement: BEGIN (once) and the deferred statements, as simple-protocol texts.
  const prefix = () => {
    const texts = [...(lean.begun ? [] : ['begin']), ...lean.deferred];
    lean.begun = true;
    lean.deferred = [];
    return texts;
  };
  const wrapped: PgConn = {
    async query(q) {
      const before = prefix();
      if (!before.length) return c.query(q);
      if (typeof q !== 'string') {
        await c.query(before.join(';\n'));
        return c.query(q);
      }
      // One message: the prefix and the statement; the caller gets only its own statement's result(s).
      const res = (await c.query(`${before.join(';\n')};\n${q}`)) as PgResult[];
      const own = res.slice(before.length);
      return own.length === 1 ? own[0] : own;
    },
  };
  const tx = em.fork();
  const refuse = () => {
    throw new Error('leanTransaction: only sql/exec/prepared inside (no ORM transaction, no entity operations)');
  };
  tx.setTransactionContext({
    client: { acquireConnection: async () => wrapped, releaseConnection: async () => undefined },
    isCompleted: () => done,
    lean,
    transaction: refuse, savepoint: refuse, commit: refuse, rollback: refuse,
  } as never);
  try {
    const out = await fn(tx);
    // Nothing sent and nothing deferred: there is no transaction to commit.
    if (lean.begun || lean.deferred.length) await c.query([...prefix(), 'commit'].join(';\n'));
    return out;
  } catch (e) {
    // After a failed COMMIT the server has rolled back already; ROLLBACK then only warns.
    if (lean.begun) await c.query('rollback').catch(() => undefined);
    throw e;
  } finally {
    done = true;
    tx.resetTransactionContext();
    await client.releaseConnection(c);
  }
}

/**
 * A write whose result nobody reads, in a lean transaction: inlined (as sql() does) and sent with the transaction's
 * next statement or its COMMIT, saving its round trip; a failure then surfaces there and rolls the whole transaction
 * back. Outside a lean transaction it runs at once as preparedExec(). The same text as for prepared() (`?`
 * placeholders, explicit casts, arrays as PostgreSQL array literals); one statement per call.
 */
export async function deferredExec(em: EntityManager, query: string, params: unknown[] = []): Promise<void> {
  const ctx = em.getTransactionContext() as { lean?: LeanState; isCompleted(): boolean } | undefined;
  if (!ctx?.lean) {
    await preparedExec(em, query, params);
    return;
  }
  if (ctx.isCompleted()) throw new Error('Transaction query already complete, run with DEBUG=knex:tx for more info');
  const st = statementOf(query);
  if (st.params !== params.length) throw new Error(`deferredExec(): ${st.params} placeholders, ${params.length} values`);
  const values = params.map(bindValue);
  ctx.lean.deferred.push(values.length ? em.getPlatform().formatQuery(query, values as any[]) : query);
}
