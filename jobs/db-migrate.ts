// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and exits.
import 'reflect-metadata';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../core/shared/logger.js';
import { startEmbeddedPg } from '../core/persistence/embedded-pg.js';
import { openOrm, migrateUp } from '../core/persistence/orm.js';

const config = loadConfig(process.env);
const log = createLogger(config);
const embedded = config.databaseUrl ? undefined : await startEmbeddedPg(config.dataDir, log);
const orm = await openOrm({ url: config.databaseUrl ?? embedded!.url, schema: config.databaseSchema, poolMax: 1, log });
try {
  const applied = await migrateUp(orm);
  log.info({ applied }, applied.length ? 'migrations applied' : 'database is up to date');
} finally {
  await orm.close(true);
  await embedded?.stop();
}
