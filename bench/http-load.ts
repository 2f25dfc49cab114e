// Open-model HTTP load for the write benches (count minutes, turnout): the application under test runs as its own
// processes — a clustered web tier (ROLE=web, WEB_PROCESSES) on the bench's database schema and queue prefix — and
// autocannon runs in another child process (bench/load-runner.ts), so neither the load generator nor the bench's own
// in-process app (which keeps running the job workers) shares the web tier's event loops. As deployed: web and worker
// are separate processes (docs/architecture.md); on this 2-core machine everything still shares the same two cores.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { Config } from '../config/config.js';
import { freePort, spawnApp, stopChild, waitUntil } from './lib.js';
import { REPO_ROOT } from './paths.js';

export interface WebTier {
  url: string;
  processes: number;
  stop(): Promise<void>;
}

/** Starts `processes` web processes (one cluster) on the same database schema, Redis and queue prefix as `config`. */
export async function startWebTier(config: Config, processes: number): Promise<WebTier> {
  const port = await freePort();
  const child = spawnApp(REPO_ROOT, {
    ROLE: 'web', WEB_PROCESSES: String(processes), PORT: String(port), HOST: '127.0.0.1',
    DATABASE_URL: config.databaseUrl!, DATABASE_SCHEMA: config.databaseSchema, DB_POOL_MAX: String(config.dbPoolMax),
    REDIS_URL: config.redisUrl!, QUEUE_PREFIX: config.queuePrefix, SESSION_SECRET: config.sessionSecret ?? '',
    DATA_DIR: config.dataDir, REFERENCE_DATA_DIR: config.referenceDataDir, AUTO_IMPORT_REFERENCE: 'false',
    LOG_LEVEL: 'silent', NODE_ENV: config.nodeEnv, PUBLIC_BASE_URL: config.publicBaseUrl,
  });
  const url = `http://127.0.0.1:${port}`;
  // Ready when every process answers: the cluster balances connections round-robin, so a few probes reach them all.
  const up = await waitUntil(async () => (await fetch(url + '/healthz')).ok, 120_000, 200);
  if (!up) {
    await stopChild(child);
    throw new Error('web tier did not start');
  }
  await new Promise((r) => setTimeout(r, 1500 * processes)); // the others start after the first listens
  return { url, processes, stop: () => stopChild(child) };
}

export interface LoadRequest {
  method: 'POST' | 'GET';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface OpenLoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  latency: { p50: number; p97_5: number; p99: number; max: number };
  /** Status codes of the first non-2xx answers, for the notes. */
  statuses: Record<string, number>;
}

/**
 * Offers `rate` requests/s for `seconds` over `connections` connections (autocannon overallRate: latencies corrected
 * for coordinated omission), taking `requests` in order (each at most once), in a child process.
 */
export async function openLoad(o: { url: string; connections: number; rate: number; seconds: number; requests: LoadRequest[] }): Promise<OpenLoadResult> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'baucu-load-')), 'load.json');
  fs.writeFileSync(file, JSON.stringify({ url: o.url, connections: o.connections, rate: o.rate, seconds: o.seconds, requests: o.requests }));
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn(process.execPath, ['--import', 'tsx', 'bench/load-runner.ts', file], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      let s = '';
      c.stdout.on('data', (d) => (s += d));
      c.on('error', reject);
      c.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`load runner exited with ${code}`))));
    });
    return JSON.parse(out) as OpenLoadResult;
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}
