// Benchmark helpers: an entry format (value + the raw limit measured in the same run), a closed-loop HTTP load
// generator with percentiles, and process spawning for start-up measurements.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import { TEST_DATABASE_URL } from '../test/helpers/test-app.js';
import { sql } from '../core/persistence/db.js';

export interface BenchEntry {
  name: string;
  value: number;
  unit: string;
  /** The raw limit for the same work measured in the same run (e.g. COPY of the same rows). */
  raw?: { name: string; value: number; unit: string };
  /** value / raw.value (or raw / value for durations), so "1.0" means "as fast as the raw limit". */
  ratio?: number;
  notes?: string;
}

export interface Bench {
  name: string;
  run(): Promise<BenchEntry[]>;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** Closed-loop load: `concurrency` loops fetching `url` for `durationMs`; returns latencies (ms) and errors. */
export async function load(url: string, concurrency: number, durationMs: number, init?: RequestInit): Promise<{ latencies: number[]; errors: number; rps: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const until = Date.now() + durationMs;
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < until) {
      const t = performance.now();
      try {
        const r = await fetch(url, init);
        await r.arrayBuffer();
        if (!r.ok) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t);
    }
  }));
  latencies.sort((a, b) => a - b);
  return { latencies, errors, rps: latencies.length / ((Date.now() - started) / 1000) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export async function waitUntil(fn: () => Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if (await fn()) return true;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

export function spawnApp(cwd: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'jobs/main.ts'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...(process.env.BENCH_CHILD_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_CHILD_NODE_OPTIONS } : {}), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null) return;
  const done = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 20_000);
  await done;
  clearTimeout(t);
}

export const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/**
 * The database URL of the write benches (count minutes, turnout): PostgreSQL's Unix socket when this machine's server
 * has one (/var/run/postgresql), as an application on the database's own host connects — a round trip over the socket
 * costs both processes about a third less CPU than over loopback TCP — else TCP. BENCH_DATABASE_URL overrides. The
 * raw comparison of the same bench connects the same way.
 */
export function benchDatabaseUrl(): string {
  if (process.env.BENCH_DATABASE_URL) return process.env.BENCH_DATABASE_URL;
  return fs.existsSync('/var/run/postgresql/.s.PGSQL.5432') ? 'postgres://postgres@%2Fvar%2Frun%2Fpostgresql/test' : TEST_DATABASE_URL;
}

/**
 * After a bulk load, as a database in service would be: statistics and visibility maps of the written tables up to
 * date, and a checkpoint behind it, so that neither autovacuum nor a checkpoint of the seed lands in a measured run.
 */
export async function settle(em: Parameters<typeof sql>[0], tables: readonly string[]): Promise<void> {
  for (const t of tables) await sql(em, `vacuum (analyze) ${t}`);
  await sql(em, 'checkpoint');
}

/**
 * What the server answered instead of a success during a load, from the audit trail (every refusal is audited):
 * "" when nothing was refused, else e.g. " refused: rejected {"issues":[…]} ×1" — so a bench's non-2xx count comes
 * with its reasons in the notes.
 */
export async function refusalsSince(em: Parameters<typeof sql>[0], action: string, since: Date): Promise<string> {
  const rows = await sql<{ result: string; detail: string; n: number }>(em, `select result, left(coalesce(after::text, ''), 300) as detail, count(*)::int as n
      from audit_event where action = ? and result <> 'success' and at >= ? group by 1, 2 order by 3 desc limit 5`, [action, since]);
  return rows.length ? ' refused: ' + rows.map((r) => `${r.result} ${r.detail} ×${r.n}`).join('; ') : '';
}
