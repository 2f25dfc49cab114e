// Raw SQL on a (forked) EntityManager, inside its current transaction when there is one. Bulk paths use this;
// entity work uses the EntityManager directly.
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

/** Runs a parameterised query (`?` placeholders) and returns its rows. */
export async function sql<T = Record<string, any>>(em: EntityManager, query: string, params: unknown[] = []): Promise<T[]> {
  return (await em.getConnection().execute(query, params as any[], 'all', em.getTransactionContext())) as T[];
}

/** Runs a statement and returns the affected row count. */
export async function exec(em: EntityManager, query: string, params: unknown[] = []): Promise<number> {
  const res = (await em.getConnection().execute(query, params as any[], 'run', em.getTransactionContext())) as {
    affectedRows?: number;
  };
  return res?.affectedRows ?? 0;
}

/**
 * Hot-path queries as named prepared statements (extended protocol) on the EntityManager's connection — its
 * transaction's when it has one: PostgreSQL parses each once per connection and, after a few executions, reuses a
 * generic plan; the MikroORM/knex formatting layer is skipped. `?` placeholders as in sql(). Unlike sql(), values
 * are bound, not inlined: write explicit casts where the type is not clear from the context (`?::uuid`, `?::int`),
 * and pass arrays as PostgreSQL array literals (pgArray) — a JS array is refused, since sql() would have expanded it
 * into a list. The rows come through the same connection, so the same type parsers apply.
 */
export async function prepared<T = Record<string, any>>(em: EntityManager, query: string, params: unknown[] = []): Promise<T[]> {
  return (await runPrepared(em, query, params)).rows as T[];
}

/** prepared() for statements: the affected row count. */
export async function preparedExec(em: EntityManager, query: string, params: unknown[] = []): Promise<number> {
  return (await runPrepared(em, query, params)).rowCount ?? 0;
}

interface PgConn {
  query(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[]; rowCount: number | null }>;
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

async function runPrepared(em: EntityManager, query: string, params: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }> {
  const st = statementOf(query);
  if (st.params !== params.length) throw new Error(`prepared(): ${st.params} placeholders, ${params.length} values`);
  const q = { name: st.name, text: st.text, values: params.map(bindValue) };
  const ctx = em.getTransactionContext() as { client: KnexClientLike } | undefined;
  if (ctx) return (await ctx.client.acquireConnection()).query(q);
  const conn = em.getConnection();
  await conn.ensureConnection();
  const client = (conn.getKnex() as unknown as { client: KnexClientLike }).client;
  const c = await client.acquireConnection();
  try {
    return await c.query(q);
  } finally {
    await client.releaseConnection(c);
  }
}
