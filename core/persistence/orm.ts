// MikroORM on PostgreSQL: one ORM per process (a singleton with a disposer); requests and jobs fork its EntityManager.
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { ENTITIES } from './entities.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Logger } from '../shared/logger.js';

export interface OrmOptions {
  url: string;
  schema: string;
  poolMax: number;
  log: Logger;
}

export function ormConfig(o: OrmOptions): Options {
  const schema = o.schema;
  return {
    clientUrl: o.url,
    entities: ENTITIES,
    schema,
    extensions: [Migrator],
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    allowGlobalContext: false,
    debug: false,
    pool: {
      min: 0,
      max: o.poolMax,
      // Every connection works inside the application schema first, then public (where extensions live).
      afterCreate: (conn: any, done: (err: Error | null, conn: unknown) => void) => {
        conn.query(`set search_path to "${schema}", public`, (err: Error | null) => done(err, conn));
      },
    },
    migrations: {
      migrationsList: MIGRATIONS,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    logger: (msg: string) => o.log.debug({ orm: msg }),
  };
}

/** Creates the schema if needed, connects and returns the ORM. */
export async function openOrm(o: OrmOptions): Promise<MikroORM> {
  const orm = await MikroORM.init(ormConfig(o));
  if (o.schema !== 'public') {
    await orm.em.getConnection().execute(`create schema if not exists "${o.schema}"`);
  }
  return orm;
}

/** Applies every pending migration; returns the names applied. */
export async function migrateUp(orm: MikroORM): Promise<string[]> {
  // The migrator lists tables across every schema of the database (information_schema + regclass casts); a schema
  // dropped by someone else meanwhile (another process, a parallel test file) fails that listing with 3F000. Each
  // migration is its own transaction, so trying again resumes where it stopped.
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await orm.getMigrator().up();
      return applied.map((m) => m.name);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (attempt >= 5 || (code !== '3F000' && code !== '42P01')) throw e;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}
