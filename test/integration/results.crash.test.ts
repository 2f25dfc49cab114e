// Issue 7 done-when: real worker processes (jobs/main.ts, ROLE=worker) are killed with SIGKILL 20 times at random
// moments while aggregation jobs run; after a restart and once the queue drains, the aggregates equal the
// from-scratch recomputation (and the reconciler finds nothing to repair). The web-only test app accepts minutes
// and records + dispatches the aggregation jobs as the count-minutes module does.
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, waitFor, REPO_ROOT, REFERENCE_DATA_DIR, TEST_DATABASE_URL, TEST_REDIS_URL, type TestApp } from '../helpers/test-app.js';
import { createElection } from '../helpers/structure.js';
import { seedResultsStructure, acceptMinutes, makeCounts, type SeedUnit } from '../helpers/results.js';
import { sql } from '../../core/persistence/db.js';
import { dispatchAggregation, recordAggregation } from '../../core/elections/results/aggregation-trigger.js';
import { foldTotals, storedTotals, foldCandidates, storedCandidates, reconcile, type TotalRow } from '../../core/elections/results/aggregation.js';

/** 20 by default (issue 7); RESULTS_CRASH_KILLS lowers it on a loaded machine, where each worker boot takes long. */
const KILLS = Number(process.env.RESULTS_CRASH_KILLS ?? 20);
/** Workers booting ahead of their turn: a boot (module loading) is much slower than a kill cycle. */
const AHEAD = Number(process.env.RESULTS_CRASH_AHEAD ?? 3);

interface Worker { proc: ChildProcess; output: () => string; exited: Promise<unknown> }
let web: TestApp;
const workers: Worker[] = [];

function startWorker(): Worker {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ROLE: 'worker',
    DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: web.config.databaseSchema, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: web.config.queuePrefix,
    LOG_LEVEL: 'info', NODE_ENV: 'test', PORT: '0', DATA_DIR: web.config.dataDir, REFERENCE_DATA_DIR, AUTO_IMPORT_REFERENCE: 'false',
    SESSION_SECRET: 'test-secret-test-secret-test-secret-0123', WORKER_CONCURRENCY: '4',
  };
  const proc = spawn(process.execPath, ['--import', 'tsx', 'jobs/main.ts', '--role=worker'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b) => (out = (out + b).slice(-20000)));
  proc.stderr!.on('data', (b) => (out = (out + b).slice(-20000)));
  const w = { proc, output: () => out, exited: new Promise((r) => proc.on('exit', r)) };
  workers.push(w);
  return w;
}
const isReady = (w: Worker) => w.output().includes('"msg":"worker started"');

beforeAll(async () => {
  web = await startTestApp('results_crash', { ROLE: 'web' });
}, 120_000);
afterAll(async () => {
  for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
  await web?.close();
});

describe('results aggregation survives kill -9 of the worker', () => {
  it(`${KILLS} SIGKILLs at random moments, restart, drain → aggregates = recomputation`, async () => {
    const t0 = Date.now();
    const em = web.orm.em.fork() as EntityManager;
    const electionId = await createElection(web, { contests: ['national-assembly', 'commune-council'] });
    const units: SeedUnit[] = await seedResultsStructure(em, electionId, {
      provinces: [{ communes: [{ areas: 4 }, { areas: 4 }] }, { communes: [{ areas: 4 }, { areas: 3 }] }, { communes: [{ areas: 5 }] }],
      naUnitsPerProvince: 2, communeUnitsPerCommune: 2,
    });
    const slots = units.flatMap((u) => u.areas.map((a) => ({ u, a })));
    let seed = 7;
    const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const runIds: string[] = [];
    // Accept (or correct) a batch of minutes and hand their aggregation runs to the queue, as H4's service does.
    const acceptBatch = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const s = slots[Math.floor(rnd() * slots.length)];
        const c = makeCounts(s.u, rnd);
        const ticket = await em.fork().transactional(async (tx) => {
          const t = tx as EntityManager;
          const acc = await acceptMinutes(t, electionId, { areaId: s.a, unitId: s.u.id, contest: s.u.contest, ...c });
          return recordAggregation(web.jobs, t, { electionId, ...acc }, 'test');
        });
        const d = await dispatchAggregation(web.jobs, ticket);
        if (d && !runIds.includes(d.runId)) runIds.push(d.runId);
      }
    };

    const queue: Worker[] = [];
    for (let i = 0; i < AHEAD; i++) queue.push(startWorker());
    let kills = 0;
    let started = AHEAD;
    const killedAt: string[] = [];
    while (kills < KILLS) {
      const w = queue.shift()!;
      await waitFor(async () => {
        if (w.proc.exitCode !== null) throw new Error('worker exited early:\n' + w.output());
        return isReady(w);
      }, 240_000, 50);
      if (started < KILLS + 1) { queue.push(startWorker()); started++; }
      await acceptBatch(15);
      // A random moment while this worker runs the batch's jobs.
      await new Promise((r) => setTimeout(r, Math.floor(rnd() * 400)));
      const [{ running }] = await sql<{ running: number }>(em, `select count(*)::int as running from job_run where status = 'running'`);
      w.proc.kill('SIGKILL');
      await w.exited;
      kills++;
      killedAt.push(`${running}`);
    }
    // The last worker (restarted) drains the queue, including the runs stalled by the kills.
    const last = queue.shift() ?? startWorker();
    await waitFor(async () => isReady(last), 240_000, 50);
    await acceptBatch(10);
    await waitFor(async () => {
      const [r] = await sql<{ open: number }>(em, `select count(*)::int as open from job_run where id = any(?::uuid[]) and status not in ('succeeded', 'failed', 'cancelled')`, [`{${runIds.join(',')}}`]);
      const [p] = await sql<{ pending: number }>(em, `select count(*)::int as pending from results_pending where election_id = ?`, [electionId]);
      return r.open === 0 && p.pending === 0;
    }, 240_000, 200);
    const [{ failed }] = await sql<{ failed: number }>(em, `select count(*)::int as failed from job_run where id = any(?::uuid[]) and status = 'failed'`, [`{${runIds.join(',')}}`]);
    const [{ retried }] = await sql<{ retried: number }>(em, `select count(*)::int as retried from job_run where id = any(?::uuid[]) and attempts > 1`, [`{${runIds.join(',')}}`]);
    console.log(`[measure] ${kills} SIGKILLs (jobs running at each kill: ${killedAt.join(',')}); ${runIds.length} runs, ${retried} redelivered, ${failed} failed; ${Date.now() - t0} ms`);
    expect(failed).toBe(0);

    const key = (r: TotalRow) => `${r.contest}|${r.round}|${r.scope_level}|${r.scope_code}`;
    const byKey = (rows: TotalRow[]) => rows.filter((x) => x.minutes_accepted !== 0).sort((a, b) => (key(a) < key(b) ? -1 : 1));
    expect(byKey(await storedTotals(em, electionId))).toEqual(byKey(await foldTotals(em, electionId)));
    const ck = (x: any) => `${x.unit_id}|${x.candidate_id}`;
    const cands = (rows: any[]) => rows.filter((x) => x.votes !== 0).sort((a, b) => (ck(a) < ck(b) ? -1 : 1));
    expect(cands(await storedCandidates(em, electionId))).toEqual(cands(await foldCandidates(em, electionId)));
    expect((await reconcile(em, electionId)).drift).toBe(0);
    last.proc.kill('SIGTERM');
    await last.exited;
  }, 1_800_000);
});
