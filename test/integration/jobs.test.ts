// Jobs through both transports (BullMQ on the real Redis, and in-process): routing by name, progress on job_run,
// retries then a visible failure, permanent errors not retried, dedup by run id, schedules, and the jobs page.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, waitFor, TEST_REDIS_URL, clearQueuePrefix, uniqueName, type TestApp } from '../helpers/test-app.js';
import { JobRouter } from '../../core/jobs/job-router.js';
import { JobService } from '../../core/jobs/job.service.js';
import { BullmqTransport } from '../../core/jobs/bullmq-transport.js';
import { InProcessTransport } from '../../core/jobs/in-process-transport.js';
import { PermanentJobError, type JobTransport } from '../../core/jobs/job-types.js';
import { producerConnection, workerConnection, ready } from '../../core/jobs/redis.js';
import { TestClient, createUser } from '../helpers/client.js';
import { exec } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('jobs');
});
afterAll(async () => {
  await app?.close();
});

function router(calls: string[]) {
  const r = new JobRouter();
  r.register('core', 'core.test.count', async (p: { n: number }, ctx) => {
    for (let i = 1; i <= p.n; i++) await ctx.progress(i, p.n);
    calls.push(ctx.runId);
    return { counted: p.n };
  });
  let flaky = 0;
  r.register('core', 'core.test.flaky', async () => {
    flaky++;
    if (flaky < 2) throw new Error('tạm thời lỗi');
    return { flaky };
  });
  r.register('core', 'core.test.always-fails', async () => {
    throw new Error('Không đọc được tệp nhập');
  });
  r.register('core', 'core.test.bad-input', async () => {
    throw new PermanentJobError('Dữ liệu không hợp lệ');
  });
  return r;
}

const transports: [string, () => Promise<{ t: JobTransport; done: () => Promise<void> }>][] = [
  ['bullmq', async () => {
    const prefix = uniqueName('tq');
    const producer = producerConnection(TEST_REDIS_URL, app.log);
    await ready(producer);
    const conns: ReturnType<typeof workerConnection>[] = [];
    const t = new BullmqTransport(producer, () => { const c = workerConnection(TEST_REDIS_URL, app.log); conns.push(c); return c; }, prefix, app.log);
    return { t, done: async () => { await t.close(); conns.forEach((c) => c.disconnect()); producer.disconnect(); await clearQueuePrefix(prefix); } };
  }],
  ['in-process', async () => {
    const t = new InProcessTransport(app.log);
    return { t, done: () => t.close() };
  }],
];

describe.each(transports)('jobs via %s', (_kind, make) => {
  it('runs by name, records progress, retries, fails visibly, dedups by run id', async () => {
    const { t, done } = await make();
    const calls: string[] = [];
    const svc = new JobService(app.orm, t, router(calls), app.log);
    await svc.startWorker(2);
    try {
      const id = await svc.enqueue('core.test.count', { n: 5 });
      const run = await waitFor(async () => { const r = await svc.get(id); return r?.status === 'succeeded' && r; });
      expect(run.progress_done).toBe(5);
      expect(run.progress_total).toBe(5);
      expect(run.result).toEqual({ counted: 5 });

      // same run id twice → one run
      const again = await svc.enqueue('core.test.count', { n: 1 }, { runId: id });
      expect(again).toBe(id);
      await new Promise((r) => setTimeout(r, 300));
      expect(calls.filter((c) => c === id)).toHaveLength(1);

      const flaky = await svc.enqueue('core.test.flaky', {});
      const f = await waitFor(async () => { const r = await svc.get(flaky); return r?.status === 'succeeded' && r; }, 20_000);
      expect(f.attempts).toBe(2);

      const bad = await svc.enqueue('core.test.bad-input', {});
      const b = await waitFor(async () => { const r = await svc.get(bad); return r?.status === 'failed' && r; });
      expect(b.attempts).toBe(1);
      expect(b.error).toBe('Dữ liệu không hợp lệ');

      const fails = await svc.enqueue('core.test.always-fails', {});
      const x = await waitFor(async () => { const r = await svc.get(fails); return r?.status === 'failed' && r; }, 30_000);
      expect(x.attempts).toBe(3);
      expect(x.error).toBe('Không đọc được tệp nhập');

      await expect(svc.enqueue('core.nope', {})).rejects.toThrow('unknown job');
    } finally {
      await done();
    }
  });

  it('coalesced dispatch: joins a queued run that has not started, queues a new one once it has, replaces a stale key', async () => {
    const { t, done } = await make();
    const calls: string[] = [];
    const svc = new JobService(app.orm, t, router(calls), app.log);
    const key = uniqueName('coalesce');
    try {
      // No worker yet: the first dispatch queues a run; the next four join it.
      const ds: { runId: string; queued: boolean }[] = [];
      for (let i = 0; i < 5; i++) ds.push(await svc.dispatchCoalesced('core.test.count', key, { n: 1 }));
      expect(ds[0].queued).toBe(true);
      expect(ds.slice(1).every((d) => !d.queued && d.runId === ds[0].runId)).toBe(true);
      expect((await svc.get(ds[0].runId))?.status).toBe('queued');
      // Concurrent dispatches also yield one run.
      const key2 = uniqueName('coalesce');
      const cs = await Promise.all(Array.from({ length: 10 }, () => svc.dispatchCoalesced('core.test.count', key2, { n: 1 })));
      expect(cs.filter((d) => d.queued)).toHaveLength(1);
      expect(new Set(cs.map((d) => d.runId)).size).toBe(1);
      await svc.startWorker(2);
      await waitFor(async () => (await svc.get(ds[0].runId))?.status === 'succeeded' && (await svc.get(cs[0].runId))?.status === 'succeeded');
      expect(calls.filter((c) => c === ds[0].runId)).toHaveLength(1);
      // Started (and finished): the key is free, the next dispatch is a new run.
      const next = await svc.dispatchCoalesced('core.test.count', key, { n: 1 });
      expect(next.queued).toBe(true);
      expect(next.runId).not.toBe(ds[0].runId);
      await waitFor(async () => (await svc.get(next.runId))?.status === 'succeeded');
      // A key whose run never started (its queue entry lost) is stale after COALESCE_STALE_SECONDS: a fresh run.
      const em = app.orm.em.fork();
      const lostId = newId();
      await exec(em, `insert into job_coalesce (key, run_id, created_at) values (?, ?, now() - interval '1 minute')`, [key, lostId]);
      const fresh = await svc.dispatchCoalesced('core.test.count', key, { n: 1 });
      expect(fresh.queued).toBe(true);
      expect(fresh.runId).not.toBe(lostId);
      await waitFor(async () => (await svc.get(fresh.runId))?.status === 'succeeded');
      await expect(svc.dispatchCoalesced('core.nope', key, {})).rejects.toThrow('unknown job');
    } finally {
      await done();
    }
  });

  it('upserts, lists and removes schedules', async () => {
    const { t, done } = await make();
    const svc = new JobService(app.orm, t, router([]), app.log);
    try {
      await svc.upsertSchedule({ id: 'core.test.every', job: 'core.test.count', every: 60_000, payload: { n: 1 } });
      await svc.upsertSchedule({ id: 'core.test.every', job: 'core.test.count', every: 30_000, payload: { n: 1 } });
      await svc.upsertSchedule({ id: 'core.test.cron', job: 'core.test.count', cron: '0 2 * * *', payload: { n: 1 } });
      const list = await svc.listSchedules();
      expect(list.map((s) => s.id).sort()).toEqual(['core.test.cron', 'core.test.every']);
      await svc.removeSchedule('core.test.every');
      expect((await svc.listSchedules()).map((s) => s.id)).toEqual(['core.test.cron']);
    } finally {
      await done();
    }
  });
});

describe('jobs page', () => {
  let c: TestClient;
  beforeAll(async () => {
    const em = app.orm.em.fork();
    const u = await createUser(em, { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
    c = new TestClient(app.url);
    await c.login(u, em);
  });

  it('is refused to anonymous visitors and to roles without the permission', async () => {
    expect((await fetch(`${app.url}/jobs`, { redirect: 'manual' })).status).toBe(303);
    const em = app.orm.em.fork();
    const team = await createUser(em, { roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: '00004' }] });
    const t = new TestClient(app.url);
    await t.login(team, em);
    expect((await t.get('/jobs')).status).toBe(403);
  });

  it('lists failed jobs with their error', async () => {
    const html = await c.text('/jobs?status=failed');
    expect(html).toContain('Không đọc được tệp nhập');
    expect(html).toContain('Lỗi');
  });

  it('a job page shows a progress bar and JSON for polling', async () => {
    const [row] = (await app.jobs.list(1, 0)).rows;
    const html = await c.text(`/jobs/${row.id}`);
    expect(html).toContain('role="progressbar"');
    const json = await (await c.get(`/jobs/${row.id}`, { accept: 'application/json' })).json();
    expect(json.id).toBe(row.id);
    expect((await c.get('/jobs/not-a-uuid')).status).toBe(404);
  });
});
