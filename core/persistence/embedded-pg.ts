// Embedded PostgreSQL for `npm start` without DATABASE_URL: PGlite (PostgreSQL in WASM) persisted under DATA_DIR and
// served over its socket server, so the same MikroORM/pg driver code runs against it (pool size 1: it serialises).
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../shared/logger.js';

export interface EmbeddedPg {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPg(dataDir: string, log: Logger): Promise<EmbeddedPg> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const dir = path.join(dataDir, 'pglite');
  fs.mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const db = await PGlite.create({ dataDir: dir });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
  await server.start();
  const conn = server.getServerConn(); // "127.0.0.1:PORT"
  const url = `postgres://postgres:postgres@${conn}/postgres`;
  log.info({ dataDir: dir, conn, ms: Date.now() - started }, 'Dùng PostgreSQL nhúng (PGlite) vì không có DATABASE_URL / embedded PostgreSQL (PGlite) in use: no DATABASE_URL');
  return {
    url,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
