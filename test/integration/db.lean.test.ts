// db.ts: sql()/exec() send MikroORM's inlined text straight on the connection (same text, same rows as before), and
// leanTransaction() — the hot write paths' transaction (mountAction lean: true) — commits, rolls back on a throw,
// runs sql/exec/prepared on one connection, and refuses what it cannot do (a nested ORM transaction).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { statementsSent } from '../helpers/statements.js';
import { deferredExec, exec, leanTransaction, prepared, sql } from '../../core/persistence/db.js';

let app: TestApp;
const em = () => app.orm.em.fork() as EntityManager;

beforeAll(async () => {
  app = await startTestApp('db_lean');
  await exec(em(), 'create table lean_probe (id int primary key, note text)');
});
afterAll(async () => app?.close());

describe('sql() and exec()', () => {
  it('inline values as MikroORM does (quotes, numbers, booleans, dates, JSON, arrays as lists)', async () => {
    const [r] = await sql<Record<string, unknown>>(em(), `select ? as s, ? as n, ? as b, ?::jsonb as j, array[?] as a`,
      ["a?b'c", 5, true, JSON.stringify({ k: 1 }), ['p', 'q']]);
    expect(r).toEqual({ s: "a?b'c", n: 5, b: true, j: { k: 1 }, a: ['p', 'q'] });
    expect(await exec(em(), 'insert into lean_probe (id, note) values (?, ?), (?, ?)', [1, 'x', 2, 'y'])).toBe(2);
    expect(await exec(em(), 'delete from lean_probe where id in (?)', [[1, 2]])).toBe(2);
  });
});

describe('leanTransaction', () => {
  it('commits; sql, exec and prepared inside run in the one transaction', async () => {
    const xids = await leanTransaction(em(), async (tx) => {
      await exec(tx, 'insert into lean_probe (id, note) values (?, ?)', [10, 'committed']);
      const [a] = await sql<{ x: string }>(tx, 'select txid_current()::text as x');
      const [b] = await prepared<{ x: string }>(tx, 'select txid_current()::text as x');
      const [seen] = await prepared<{ n: number }>(tx, 'select count(*)::int as n from lean_probe where id = ?', [10]);
      expect(seen.n).toBe(1);
      return [a.x, b.x];
    });
    expect(xids[0]).toBe(xids[1]);
    expect(await sql(em(), 'select note from lean_probe where id = 10')).toEqual([{ note: 'committed' }]);
  });

  it('rolls back when the function throws: nothing half-written', async () => {
    await expect(leanTransaction(em(), async (tx) => {
      await exec(tx, 'insert into lean_probe (id, note) values (?, ?)', [11, 'half']);
      await preparedExec(tx);
      throw new Error('refused');
    })).rejects.toThrow('refused');
    expect(await sql(em(), 'select * from lean_probe where id = 11')).toEqual([]);
  });

  it('a database error inside rolls back too, and the connection serves the next transaction', async () => {
    await expect(leanTransaction(em(), async (tx) => {
      await exec(tx, 'insert into lean_probe (id, note) values (?, ?)', [12, 'first']);
      await exec(tx, 'insert into lean_probe (id, note) values (?, ?)', [12, 'duplicate key']);
    })).rejects.toMatchObject({ code: '23505' });
    expect(await sql(em(), 'select * from lean_probe where id = 12')).toEqual([]);
    for (let i = 0; i < 5; i++) await leanTransaction(em(), (tx) => exec(tx, 'select 1'));
  });

  it('refuses a nested ORM transaction; after the end its EntityManager is an ordinary one', async () => {
    let kept: EntityManager | undefined;
    await expect(leanTransaction(em(), async (tx) => {
      kept = tx;
      await exec(tx, 'insert into lean_probe (id, note) values (?, ?)', [13, 'nested']);
      await tx.transactional(async () => undefined);
    })).rejects.toThrow('leanTransaction: only sql/exec/prepared inside');
    expect(await sql(em(), 'select * from lean_probe where id = 13')).toEqual([]);
    await leanTransaction(em(), async (tx) => {
      kept = tx;
    });
    // After the end the EntityManager is an ordinary one again (as after em.transactional): a statement on it is
    // its own transaction, never part of the finished one and never on its released connection's next user's.
    await exec(kept!, 'insert into lean_probe (id, note) values (?, ?)', [14, 'after']);
    expect(await sql(em(), 'select note from lean_probe where id = 14')).toEqual([{ note: 'after' }]);
  });
});

describe('round trips of a lean transaction (BEGIN with the first statement, deferred writes with the COMMIT)', () => {
  it('an opening sql() and two deferred writes cost two round trips: "begin; select …" and "execute …; execute …; commit"', async () => {
    const sent = await statementsSent(() => leanTransaction(em(), async (tx) => {
      const [r] = await sql<{ n: number }>(tx, 'select ?::int as n', [7]);
      expect(r.n).toBe(7);
      await deferredExec(tx, 'insert into lean_probe (id, note) values (?::int, ?::text)', [20, "it's deferred"]);
      await deferredExec(tx, 'insert into lean_probe (id, note) values (?::int, ?::text)', [21, 'also']);
    }));
    // The text is prepared once per connection (PREPARE, its own round trip the first time): at most once here.
    const prepares = sent.filter((t) => t.startsWith('prepare '));
    expect(prepares.length).toBeLessThanOrEqual(1);
    const rest = sent.filter((t) => !t.startsWith('prepare '));
    expect(rest).toHaveLength(2);
    expect(rest[0]).toMatch(/^begin; select 7::int as n$/);
    expect(rest[1]).toMatch(/^execute (d[0-9a-f]{20})\('20', 'it''s deferred'\); execute \1\('21', 'also'\); commit$/);
    expect(await sql(em(), 'select id, note from lean_probe where id in (20, 21) order by id')).toEqual([{ id: 20, note: "it's deferred" }, { id: 21, note: 'also' }]);
  });

  it('an opening prepared() carries the BEGIN and the deferred writes: one message, the statement as EXECUTE of its prepared text', async () => {
    const sent = await statementsSent(() => leanTransaction(em(), async (tx) => {
      await deferredExec(tx, 'insert into lean_probe (id, note) values (?::int, ?::text)', [27, 'before the read']);
      const [r] = await prepared<{ n: number; note: string }>(tx, 'select count(*)::int as n, max(note) as note from lean_probe where id = ?::int', [27]);
      expect(r).toEqual({ n: 1, note: 'before the read' });
      await deferredExec(tx, 'insert into lean_probe (id, note) values (?::int, ?::text)', [28, 'after']);
    }));
    const rest = sent.filter((t) => !t.startsWith('prepare '));
    expect(rest).toHaveLength(2);
    expect(rest[0]).toMatch(/^begin; execute d[0-9a-f]{20}\('27', 'before the read'\); execute d[0-9a-f]{20}\('27'\)$/);
    expect(rest[1]).toMatch(/^execute d[0-9a-f]{20}\('28', 'after'\); commit$/);
    expect(await sql(em(), 'select id from lean_probe where id in (27, 28) order by id')).toEqual([{ id: 27 }, { id: 28 }]);
  });

  it('each deferred text is prepared once per connection, and the statement outlives a rolled-back transaction', async () => {
    const text = 'insert into lean_probe (id, note) values (?::int, ?::text)';
    await exec(em(), 'insert into lean_probe (id, note) values (?, ?)', [30, 'exists']);
    // Prepared, then the transaction fails on a duplicate key: PREPARE is not undone by the rollback.
    await expect(leanTransaction(em(), async (tx) => {
      await deferredExec(tx, text, [30, 'duplicate key']);
    })).rejects.toMatchObject({ code: '23505' });
    const pids = new Set<number>();
    const sent = await statementsSent(async () => {
      for (let i = 31; i < 51; i++) {
        await leanTransaction(em(), async (tx) => {
          const [p] = await sql<{ pid: number }>(tx, 'select pg_backend_pid() as pid');
          pids.add(p.pid);
          await deferredExec(tx, text, [i, `row ${i}`]);
        });
      }
    });
    // No "already exists" error, every row written, and never more than one PREPARE of the text per connection.
    expect(await sql(em(), 'select count(*)::int as n from lean_probe where id between 31 and 50')).toEqual([{ n: 20 }]);
    const prepares = sent.filter((t) => t.startsWith('prepare ') && t.includes('insert into lean_probe'));
    expect(prepares.length).toBeLessThanOrEqual(pids.size);
    expect(sent.filter((t) => /^execute d[0-9a-f]{20}\('\d+', 'row \d+'\); commit$/.test(t))).toHaveLength(20);
  });

  it('concurrent first uses of a text on one connection share its one PREPARE', async () => {
    const text = 'insert into lean_probe (id, note) values (?::int, ?::text) -- concurrent';
    const sent = await statementsSent(() => leanTransaction(em(), async (tx) => {
      await Promise.all([deferredExec(tx, text, [70, 'a']), deferredExec(tx, text, [71, 'b'])]);
    }));
    expect(sent.filter((t) => t.startsWith('prepare ') && t.includes('-- concurrent'))).toHaveLength(1);
    expect(await sql(em(), 'select id from lean_probe where id in (70, 71) order by id')).toEqual([{ id: 70 }, { id: 71 }]);
  });

  it('a deferred text PostgreSQL cannot prepare fails at once: nothing written, the connection still serves', async () => {
    await expect(leanTransaction(em(), async (tx) => {
      await sql(tx, 'insert into lean_probe (id, note) values (?, ?)', [60, 'opening write']);
      await deferredExec(tx, 'insert into lean_probe_missing (id) values (?::int)', [61]);
    })).rejects.toMatchObject({ code: '42P01' });
    expect(await sql(em(), 'select id from lean_probe where id = 60')).toEqual([]);
    for (let i = 0; i < 5; i++) await leanTransaction(em(), (tx) => deferredExec(tx, 'insert into lean_probe (id, note) values (?::int, ?::text)', [62 + i, 'after']));
    expect(await sql(em(), 'select count(*)::int as n from lean_probe where id between 62 and 66')).toEqual([{ n: 5 }]);
  });

  it('a deferred write runs before any later statement of the transaction (order kept)', async () => {
    const seen = await leanTransaction(em(), async (tx) => {
      await deferredExec(tx, 'insert into lean_probe (id, note) values (?::int, ?::text)', [22, 'first']);
      const [r] = await prepared<{ n: number }>(tx, 'select count(*)::int as n from lean_probe where id = ?::int', [22]);
      return r.n;
    });
    expect(seen).toBe(1);
  });

  it('a deferred write that fails at COMMIT rolls the whole transaction back: nothing half-written', async () => {
    await exec(em(), 'insert into lean_probe (id, note) values (?, ?)', [23, 'exists']);
    await expect(leanTransaction(em(), async (tx) => {
      await sql(tx, 'insert into lean_probe (id, note) values (?, ?)', [24, 'opening write']);
      await deferredExec(tx, 'insert into lean_probe (id, note) values (?::int, ?::text)', [25, 'deferred']);
      await deferredExec(tx, 'insert into lean_probe (id, note) values (?::int, ?::text)', [23, 'duplicate key']);
    })).rejects.toMatchObject({ code: '23505' });
    expect(await sql(em(), 'select id from lean_probe where id in (24, 25) order by id')).toEqual([]);
    // The connection went back to the pool usable.
    for (let i = 0; i < 5; i++) await leanTransaction(em(), (tx) => exec(tx, 'select 1'));
  });

  it('a transaction that sends nothing costs no round trip; outside a lean transaction deferredExec runs at once', async () => {
    expect(await statementsSent(() => leanTransaction(em(), async () => 'nothing'))).toEqual([]);
    await deferredExec(em(), 'insert into lean_probe (id, note) values (?::int, ?::text)', [26, 'at once']);
    expect(await sql(em(), 'select note from lean_probe where id = 26')).toEqual([{ note: 'at once' }]);
  });
});

async function preparedExec(tx: EntityManager): Promise<void> {
  await prepared(tx, 'select 1 as n');
}
