// Cold start of `npm start` (embedded PostgreSQL, in-process jobs) to a healthy /healthz and to the tree loaded,
// against the raw limit of creating an empty PGlite database in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, spawnApp, stopChild, waitUntil, round, type Bench } from './lib.js';
import { REPO_ROOT, REFERENCE_DATA_DIR } from './paths.js';

export const coldStartBench: Bench = {
  name: 'cold-start',
  async run() {
    const rawDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pglite-'));
    const t0 = performance.now();
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create({ dataDir: rawDir });
    await db.query('select 1');
    const rawMs = performance.now() - t0;
    await db.close();
    fs.rmSync(rawDir, { recursive: true, force: true });

    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-start-'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const start = performance.now();
    const child = spawnApp(REPO_ROOT, { PORT: String(port), DATA_DIR: dataDir, REFERENCE_DATA_DIR, LOG_LEVEL: 'warn' });
    let healthyMs = NaN;
    let treeMs = NaN;
    try {
      if (await waitUntil(async () => (await fetch(base + '/healthz')).ok, 120_000)) healthyMs = performance.now() - start;
      if (await waitUntil(async () => (await (await fetch(base + '/')).text()).includes('3.321'), 120_000, 200)) treeMs = performance.now() - start;
    } finally {
      await stopChild(child);
    }
    // Warm start: the same DATA_DIR again (database exists, tree loaded).
    const warmStart = performance.now();
    const again = spawnApp(REPO_ROOT, { PORT: String(port), DATA_DIR: dataDir, REFERENCE_DATA_DIR, LOG_LEVEL: 'warn' });
    let warmMs = NaN;
    try {
      if (await waitUntil(async () => (await fetch(base + '/healthz')).ok, 120_000)) warmMs = performance.now() - warmStart;
    } finally {
      await stopChild(again);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    const raw = { name: 'PGlite.create() of an empty database', value: round(rawMs / 1000), unit: 's' };
    return [
      { name: 'cold start: npm start → healthy /healthz (fresh DATA_DIR)', value: round(healthyMs / 1000), unit: 's', raw, ratio: round(healthyMs / rawMs) },
      { name: 'cold start: npm start → 34 provinces + 3,321 communes served', value: round(treeMs / 1000), unit: 's', raw, ratio: round(treeMs / rawMs) },
      { name: 'warm start: npm start → healthy /healthz (existing DATA_DIR)', value: round(warmMs / 1000), unit: 's' },
    ];
  },
};
