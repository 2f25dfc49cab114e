// Killing the worker mid-import loses nothing: restarted, the import completes exactly once. A web-only app (no
// worker) takes the upload and queues the job; separate worker processes (`node --import tsx jobs/main.ts`,
// ROLE=worker) run it and are stopped while the job is running.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  startTestApp, waitFor, REPO_ROOT, REFERENCE_DATA_DIR, TEST_DATABASE_URL, TEST_REDIS_URL, type TestApp,
} from '../helpers/test-app.js';
import { upload, countsAt } from '../helpers/admin-tree.js';
import { sql } from '../../core/persistence/db.js';

const COMMUNES = fs.readFileSync(path.join(REFERENCE_DATA_DIR, 'admin_units_2025.csv'));

interface Worker {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let web: TestApp;
const workers: Worker[] = [];

function startWorker(): Worker {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    ROLE: 'worker',
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: web.config.databaseSchema,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: web.config.queuePrefix,
    LOG_LEVEL: 'info',
    NODE_ENV: 'test',
    PORT: '0',
    DATA_DIR: web.config.dataDir,
    REFERENCE_DATA_DIR,
    AUTO_IMPORT_REFERENCE: 'false',
    SESSION_SECRET: 'test-secret-test-secret-test-secret-0123',
  };
  const proc = spawn(process.execPath, ['--import', 'tsx', 'jobs/main.ts'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b) => (out += b));
  proc.stderr!.on('data', (b) => (out += b));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const w = { proc, output: () => out, exited };
  workers.push(w);
  return w;
}

/** Until the process has booted (and installed its SIGTERM handler). */
async function ready(w: Worker): Promise<void> {
  await waitFor(async () => {
    if (w.proc.exitCode !== null) throw new Error('worker exited early:\n' + w.output());
    return w.output().includes('"msg":"worker started"');
  }, 60_000, 50);
}

const jobRow = async (id: string) =>
  (await sql<{ status: string; progress_done: number; progress_total: number; attempts: number }>(
    web.orm.em.fork(), 'select status, progress_done, progress_total, attempts from job_run where id = ?', [id]))[0];

/** Polls quickly until the job shows progress (the import is under way), returning the state seen. */
async function waitForProgress(id: string, w: Worker) {
  return waitFor(async () => {
    if (w.proc.exitCode !== null) throw new Error('worker exited early:\n' + w.output());
    const j = await jobRow(id);
    return j && (j.progress_done > 0 || j.status === 'succeeded') ? j : undefined;
  }, 60_000, 3);
}

async function assertExactlyOnce(jobId: string) {
  const job = await waitFor(async () => {
    const j = await jobRow(jobId);
    return j?.status === 'succeeded' ? j : undefined;
  }, 90_000, 100);
  expect(job.status).toBe('succeeded');
  const c = await countsAt(web, '2025-07-01');
  expect(c).toMatchObject({ provinces: 34, communes: 3321, xa: 2621, phuong: 687, dacKhu: 13, rows: 1 + 34 + 3321 });
  const em = web.orm.em.fork();
  const runs = await sql<{ id: string; status: string }>(em, 'select id, status from import_run where job_run_id = ?', [jobId]);
  expect(runs).toHaveLength(1);
  expect(runs[0].status).toBe('succeeded');
  const dup = await sql(em, 'select code from admin_unit group by code having count(*) > 1');
  expect(dup).toEqual([]);
  const audits = await sql(em, `select 1 from audit_event where action = 'core.admin-tree.import' and target_id = ?`, [runs[0].id]);
  expect(audits).toHaveLength(1);
}

beforeAll(async () => {
  web = await startTestApp('tree_crash', { ROLE: 'web' });
});
afterAll(async () => {
  for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
  await web?.close();
});

describe('worker crash during an import', () => {
  it('Killing the worker with SIGTERM mid-import loses nothing: restarted, the import completes exactly once', async () => {
    const jobId = await upload(web, 'admin_units_2025.csv', COMMUNES);
    expect((await jobRow(jobId)).status).toBe('queued'); // web-only: nobody runs it yet

    const a = startWorker();
    const seen = await waitForProgress(jobId, a);
    a.proc.kill('SIGTERM');
    const exit = await a.exited;
    console.log(`[measure] SIGTERM at job ${seen.status} ${seen.progress_done}/${seen.progress_total}; after exit: ${JSON.stringify(await jobRow(jobId))}`);
    expect(seen.status).toBe('running');
    expect(seen.progress_done).toBeLessThan(seen.progress_total);
    expect(exit, a.output()).toEqual({ code: 0, signal: null }); // graceful: finished its job, closed in order

    const b = startWorker();
    await ready(b);
    await assertExactlyOnce(jobId);
    expect((await jobRow(jobId)).attempts).toBe(1); // finished by the first worker during its graceful stop
    b.proc.kill('SIGTERM');
    expect((await b.exited).code).toBe(0);
  });

  it('even SIGKILL mid-import (no graceful stop) loses nothing: the transaction rolls back and the restarted worker redoes it once', async () => {
    // Start from an empty tree again.
    await sql(web.orm.em.fork(), 'delete from admin_unit');
    const jobId = await upload(web, 'admin_units_2025.csv', COMMUNES);
    const a = startWorker();
    const seen = await waitForProgress(jobId, a);
    a.proc.kill('SIGKILL');
    await a.exited;
    console.log(`[measure] SIGKILL at job ${seen.status} ${seen.progress_done}/${seen.progress_total}; rows after kill: ${(await countsAt(web, '2025-07-01')).rows}`);
    // BullMQ sees the job stalled once its lock expires and hands it to the new worker.
    const t0 = Date.now();
    const b = startWorker();
    await ready(b);
    await assertExactlyOnce(jobId);
    console.log(`[measure] recovered after SIGKILL in ${Date.now() - t0} ms; attempts ${(await jobRow(jobId)).attempts}`);
    b.proc.kill('SIGTERM');
    expect((await b.exited).code).toBe(0);
  }, 150_000);
});
