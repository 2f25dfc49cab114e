// Raw SQL on a (forked) EntityManager, inside its current transaction when there is one. Bulk paths use this;
// entity work uses the EntityManager directly.
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
