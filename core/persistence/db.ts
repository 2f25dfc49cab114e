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
  /** The pooled connection itself (statements on it bypass the BEGIN/deferred prefix). */
  conn: PgConn;
}

/**
 * A transaction on one pooled connection without the ORM's transaction machinery (unit of work, events, contexts:
 * ≈ 0.4 ms of CPU per transaction): BEGIN, `fn` with an EntityManager whose sql/exec/prepared run on that
 * connection, COMMIT — or ROLLBACK when `fn` throws. Only for paths that use nothing but those (and deferredExec):
 * entity operations or a nested em.transactional() on this EntityManager are refused (there is no knex transaction).
 *
 * Round trips are what a write costs on a small machine (each one a socket write and a wake-up of the backend), so:
 * BEGIN travels with the transaction's first statement ("begin; select …" in one message), and statements given to
 * deferredExec() wait and travel with the next statement or with the COMMIT ("execute …; execute …; commit"). A
 * prepared() statement that carries such a prefix goes as EXECUTE of the same text prepared with SQL-level PREPARE
 * (executeText), so it keeps its plan and still shares the message. A transaction whose statements are an opening
 * query and deferred writes thus costs two round trips. Order is kept: deferred statements always run before any
 * later statement.
 */
export async function leanTransaction<T>(em: EntityManager, fn: (tx: EntityManager) => Promise<T>): Promise<T> {
  const conn = em.getConnection();
  await conn.ensureConnection();
  const client = (conn.getKnex() as unknown as { client: KnexClientLike }).client;
  const c = await client.acquireConnection();
  let done = false;
  const lean: LeanState = { begun: false, deferred: [], conn: c };
  // What goes before the next statement: BEGIN (once) and the deferred statements, as simple-protocol texts.
  const prefix = () => {
    const texts = [...(lean.begun ? [] : ['begin']), ...lean.deferred];
    lean.begun = true;
    lean.deferred = [];
    return texts;
  };
  const wrapped: PgConn = {
    async query(q) {
      if (lean.begun && !lean.deferred.length) return c.query(q);
      // One message: the prefix and the statement — a prepared() one as EXECUTE of the same text prepared with SQL
      // (executeText) — and the caller gets only its own statement's result(s).
      const text = typeof q === 'string' ? q : await executeText(em, c, q.name, q.text, q.values);
      const before = prefix();
      const res = (await c.query(`${before.join(';\n')};\n${text}`)) as PgResult[];
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
 * A write whose result nobody reads, in a lean transaction: sent with the transaction's next statement or its COMMIT,
 * saving its round trip; a failure then surfaces there and rolls the whole transaction back. Outside a lean
 * transaction it runs at once as preparedExec(). The same text as for prepared() (`?` placeholders, explicit casts
 * where the context does not give the type, arrays as PostgreSQL array literals); one statement per call.
 *
 * A multi-statement message is the simple protocol, which plans every statement it runs: for the deferred writes of
 * the hot paths that planning cost PostgreSQL as much as running them (pg_stat_statements under the count-minutes
 * bench). So each text is prepared once per connection with SQL-level PREPARE (its own round trip, the first time
 * on that connection; a prepared statement outlives a rolled-back transaction) and the message carries
 * `execute name('value', …)`, every value a quoted literal that PostgreSQL converts to the parameter's type.
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
  ctx.lean.deferred.push(await executeText(em, ctx.lean.conn, st.name, st.text, params.map(bindValue)));
}

/**
 * `execute d…('value', …)` for a statement (statementOf: its protocol-level name and its text with $n parameters) and
 * its bound values (bindValue), the text prepared on the connection with SQL-level PREPARE the first time (its own
 * round trip; a prepared statement outlives a rolled-back transaction). Every value goes as a quoted literal, which
 * PostgreSQL converts to the parameter's type. The SQL-level name is the protocol-level one with another first letter
 * (the two kinds share one namespace per connection).
 */
async function executeText(em: EntityManager, conn: PgConn, protocolName: string, text: string, values: unknown[]): Promise<string> {
  const name = 'd' + protocolName.slice(1);
  let ready = sqlPrepared.get(conn);
  if (!ready) sqlPrepared.set(conn, (ready = new Map()));
  let preparing = ready.get(name);
  if (!preparing) {
    // Concurrent first uses on one connection share the one PREPARE; a failed one is forgotten (nothing was created).
    const p = conn.query(`prepare ${name} as ${text}`).then(() => undefined);
    ready.set(name, (preparing = p));
    p.catch(() => ready.delete(name));
  }
  await preparing;
  if (!values.length) return `execute ${name}`;
  const literals = values.map((v) => (v === null || v === undefined || Buffer.isBuffer(v) ? v ?? null : String(v)));
  return em.getPlatform().formatQuery(`execute ${name}(${literals.map(() => '?').join(', ')})`, literals as any[]);
}

/** The SQL-level prepared statements (executeText) of each pooled connection: name → its PREPARE. */
const sqlPrepared = new WeakMap<PgConn, Map<string, Promise<void>>>();
