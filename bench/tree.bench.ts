// Administrative tree: import rate of the 3,321 commune rows through the product's own path (upload → job →
// validation → bulk write → audit) against a raw COPY of the same rows in the same run; latency of the tree pages
// against the raw latency of /healthz on the same server.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { startTestApp, TEST_DATABASE_URL } from '../test/helpers/test-app.js';
import { upload, waitJob } from '../test/helpers/admin-tree.js';
import { load, percentile, round, type Bench, type BenchEntry } from './lib.js';
import { REFERENCE_DATA_DIR } from './paths.js';

const RUNS = 3;

async function rawCopy(rows: string[][]): Promise<number> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    await c.query('create temp table raw_units (province_code text, province_name text, province_type text, commune_code text, commune_name text, commune_type text)');
    const t = performance.now();
    const stream = c.query(copyFrom('copy raw_units from stdin with (format csv)'));
    await pipeline(Readable.from(rows.map((r) => r.map((x) => `"${x.replace(/"/g, '""')}"`).join(',') + '\n')), stream);
    return performance.now() - t;
  } finally {
    await c.end();
  }
}

export const treeBench: Bench = {
  name: 'tree',
  async run() {
    const provinces = fs.readFileSync(path.join(REFERENCE_DATA_DIR, 'provinces_2025.csv'));
    const communes = fs.readFileSync(path.join(REFERENCE_DATA_DIR, 'admin_units_2025.csv'));
    const rows = communes.toString('utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const n = rows.length;
    const importMs: number[] = [];
    const copyMs: number[] = [];
    let pages: BenchEntry[] = [];
    for (let i = 0; i < RUNS; i++) {
      const app = await startTestApp('bench_tree');
      try {
        const p = await upload(app, 'provinces_2025.csv', provinces);
        await waitJob(app, p);
        const t = performance.now();
        const id = await upload(app, 'admin_units_2025.csv', communes);
        const job = await waitJob(app, id);
        importMs.push(performance.now() - t);
        if (job.status !== 'succeeded') throw new Error(`import failed: ${job.error}`);
        copyMs.push(await rawCopy(rows));
        if (i === RUNS - 1) {
          const ms = 8000;
          const raw = await load(app.url + '/healthz', 8, ms);
          const entries: BenchEntry[] = [];
          for (const [label, url] of [['/tree (34 provinces with counts)', '/tree'], ['/tree/79 (Hồ Chí Minh City, page 1)', '/tree/79'], ['/tree?q=ba dinh (search without accents)', '/tree?q=ba%20dinh']] as const) {
            const r = await load(app.url + url, 8, ms);
            const p50 = percentile(r.latencies, 50);
            const p95 = percentile(r.latencies, 95);
            entries.push({ name: `latency p50 ${label}`, value: round(p50), unit: 'ms', raw: { name: 'GET /healthz p50, same server, same load', value: round(percentile(raw.latencies, 50)), unit: 'ms' }, ratio: round(p50 / percentile(raw.latencies, 50)), notes: `8 concurrent clients, ${ms / 1000} s, ${r.latencies.length} requests, ${r.errors} errors` });
            entries.push({ name: `latency p95 ${label}`, value: round(p95), unit: 'ms', raw: { name: 'GET /healthz p95', value: round(percentile(raw.latencies, 95)), unit: 'ms' }, ratio: round(p95 / percentile(raw.latencies, 95)) });
            entries.push({ name: `throughput ${label}`, value: round(r.rps, 1), unit: 'req/s', raw: { name: 'GET /healthz', value: round(raw.rps, 1), unit: 'req/s' }, ratio: round(r.rps / raw.rps) });
          }
          pages = entries;
        }
      } finally {
        await app.close();
      }
    }
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    const importRate = n / (med(importMs) / 1000);
    const copyRate = n / (med(copyMs) / 1000);
    return [
      {
        name: `tree import: ${n} commune rows, upload → job → validated bulk write + audit (median of ${RUNS})`,
        value: round(importRate, 0), unit: 'rows/s',
        raw: { name: 'COPY FROM STDIN of the same rows into a bare table', value: round(copyRate, 0), unit: 'rows/s' },
        ratio: round(importRate / copyRate, 3),
        notes: `import ${importMs.map((x) => round(x, 0)).join(' / ')} ms; COPY ${copyMs.map((x) => round(x, 1)).join(' / ')} ms`,
      },
      ...pages,
    ];
  },
};
