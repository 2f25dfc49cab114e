// Each migration is tested up and down on the real PostgreSQL, in a schema of its own.
import { describe, it, expect, afterAll } from 'vitest';
import { createLogger } from '../../core/shared/logger.js';
import { openOrm } from '../../core/persistence/orm.js';
import { MIGRATIONS } from '../../core/persistence/migrations/index.js';
import { TEST_DATABASE_URL, dropSchema, uniqueName } from '../helpers/test-app.js';

const schema = uniqueName('t_migr');
const log = createLogger({ logLevel: 'silent', version: 'test' });

afterAll(async () => {
  await dropSchema(schema);
});

async function tables(orm: Awaited<ReturnType<typeof openOrm>>): Promise<string[]> {
  const rows = await orm.em.fork().getConnection().execute(
    `select table_name from information_schema.tables where table_schema = ? and table_name <> 'mikro_orm_migrations' order by 1`, [schema]);
  return (rows as unknown as { table_name: string }[]).map((r) => r.table_name);
}

describe('migrations', () => {
  it('every migration goes up and down, one at a time, and up again', async () => {
    const orm = await openOrm({ url: TEST_DATABASE_URL, schema, poolMax: 2, log });
    try {
      const migrator = orm.getMigrator();
      expect(await tables(orm)).toEqual([]);
      const seen: string[][] = [];
      for (const m of MIGRATIONS) {
        await migrator.up({ to: m.name });
        seen.push(await tables(orm));
      }
      expect(seen.at(-1)).toContain('admin_unit');
      for (let i = MIGRATIONS.length - 1; i >= 0; i--) {
        await migrator.down(); // reverts the last applied migration only
        expect(await tables(orm)).toEqual(i === 0 ? [] : seen[i - 1]);
      }
      await migrator.up();
      expect(await tables(orm)).toEqual(seen.at(-1));
      expect((await migrator.getPendingMigrations()).length).toBe(0);
    } finally {
      await orm.close(true);
    }
  });
});
