// Sign-in throughput over HTTP with session creation: CLIENTS concurrent clients, each in a loop signing in from a
// fresh cookie jar — GET /auth/login (pre-session cookie + CSRF token), then POST /auth/login with the right password
// of its own account (no second factor): argon2id verify, lockout bookkeeping, an audit event in the same transaction,
// a new session in Redis — for SECONDS on the real app (own PostgreSQL schema and Redis prefix, as the tests boot it).
// The raw limit is argon2id verification alone (ARGON2_PARAMS: m=19456 KiB, t=2, p=1) at the same concurrency, in the
// same process, in the same run: a sign-in cannot be faster than its password check. All clients come from
// 127.0.0.1: the per-IP limit counts failed sign-ins only.
import os from 'node:os';
import { verify } from '@node-rs/argon2';
import { startTestApp } from '../test/helpers/test-app.js';
import { createUser, type TestUser } from '../test/helpers/client.js';
import { ARGON2_PARAMS, hashPassword } from '../core/auth/password.js';
import { sql } from '../core/persistence/db.js';
import { percentile, round, type Bench } from './lib.js';

const CLIENTS = Number(process.env.LOGIN_BENCH_CLIENTS ?? 8);
const SECONDS = Number(process.env.LOGIN_BENCH_SECONDS ?? 15);
const RAW_SECONDS = Number(process.env.LOGIN_BENCH_RAW_SECONDS ?? 8);
const COST = `argon2id m=${ARGON2_PARAMS.memoryCost} KiB, t=${ARGON2_PARAMS.timeCost}, p=${ARGON2_PARAMS.parallelism}`;

function cookiesOf(res: Response): string {
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

/** One sign-in from scratch; returns its latency, or throws with what went wrong. */
async function signIn(base: string, u: TestUser): Promise<number> {
  const t = performance.now();
  const page = await fetch(`${base}/auth/login`, { redirect: 'manual' });
  const html = await page.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (page.status !== 200 || !csrf) throw new Error(`GET /auth/login: ${page.status}`);
  const res = await fetch(`${base}/auth/login`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: cookiesOf(page), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, username: u.username, password: u.password, next: '/' }),
  });
  await res.arrayBuffer();
  if (res.status !== 303 || res.headers.get('location') !== '/' || !/baucu_sid=/.test(res.headers.get('set-cookie') ?? '')) {
    throw new Error(`POST /auth/login: ${res.status} → ${res.headers.get('location')}`);
  }
  return performance.now() - t;
}

/** Closed loop of `concurrency` workers for `seconds`; returns latencies (sorted), errors and the rate. */
async function closedLoop(concurrency: number, seconds: number, once: (worker: number) => Promise<number>) {
  const latencies: number[] = [];
  const errors: string[] = [];
  const until = Date.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    while (Date.now() < until) {
      try {
        latencies.push(await once(w));
      } catch (e) {
        errors.push(String(e));
      }
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { latencies, errors, rate: latencies.length / secs, secs };
}

export const loginBench: Bench = {
  name: 'login',
  async run() {
    const app = await startTestApp('bench_login');
    try {
      const em = app.orm.em.fork();
      const users: TestUser[] = [];
      for (let i = 0; i < CLIENTS; i++) {
        users.push(await createUser(em, { username: `bench-login-${i}`, fullName: `Cán bộ thử ${i}`, roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: '00004' }] }));
      }

      // Raw limit: argon2id verify alone (a correct password), same parameters, same concurrency, this process —
      // measured before and after the sign-in run (the machine may be shared: the mean of both is the reference).
      const hash = await hashPassword(users[0].password);
      await verify(hash, users[0].password); // warm-up
      const verifyLoop = (concurrency: number, seconds: number) => closedLoop(concurrency, seconds, async () => {
        const t = performance.now();
        if (!(await verify(hash, users[0].password))) throw new Error('verify failed');
        return performance.now() - t;
      });
      const rawBefore = await verifyLoop(CLIENTS, RAW_SECONDS);

      // Warm-up of the HTTP path (connections, templates, statements), then the measured run.
      await Promise.all(users.map((u) => signIn(app.url, u)));
      const run = await closedLoop(CLIENTS, SECONDS, (w) => signIn(app.url, users[w]));
      if (run.errors.length) throw new Error(`${run.errors.length} failed sign-ins, first: ${run.errors[0]}`);
      const rawAfter = await verifyLoop(CLIENTS, RAW_SECONDS);
      const one = await verifyLoop(1, 3);
      const raw = { rate: (rawBefore.rate + rawAfter.rate) / 2, latencies: [...rawBefore.latencies, ...rawAfter.latencies].sort((a, b) => a - b) };
      const [{ n }] = await sql<{ n: string }>(app.orm.em.fork(), `select count(*)::text as n from audit_event where action = 'core.auth.login' and result = 'success'`);

      const rawEntry = { name: `argon2id verify alone (${COST}), ${CLIENTS} concurrent, same process`, value: round(raw.rate, 1), unit: 'verifies/s' };
      const pool = process.env.UV_THREADPOOL_SIZE ?? '4 (default)';
      return [
        {
          name: `sign-in over HTTP (GET + POST /auth/login, new session), ${CLIENTS} concurrent clients, ${SECONDS} s`,
          value: round(run.rate, 1), unit: 'logins/s', raw: rawEntry, ratio: round(run.rate / raw.rate),
          notes: `p50 ${round(percentile(run.latencies, 50))} ms, p95 ${round(percentile(run.latencies, 95))} ms, max ${round(run.latencies[run.latencies.length - 1])} ms; ` +
            `${run.latencies.length} sign-ins, 0 errors, ${n} audited successes in total (incl. ${CLIENTS} warm-up); ` +
            `raw verify ${round(rawBefore.rate, 1)} /s before, ${round(rawAfter.rate, 1)} /s after; p50 ${round(percentile(raw.latencies, 50))} ms at ${CLIENTS} concurrent, ${round(percentile(one.latencies, 50))} ms alone; ` +
            `${os.cpus().length} CPUs, libuv pool ${pool}; client, app, PostgreSQL and Redis on the same machine`,
        },
        { name: `sign-in latency p50 (${CLIENTS} concurrent)`, value: round(percentile(run.latencies, 50)), unit: 'ms' },
        { name: `sign-in latency p95 (${CLIENTS} concurrent)`, value: round(percentile(run.latencies, 95)), unit: 'ms' },
        { name: `argon2id verify latency, one at a time (${COST})`, value: round(percentile(one.latencies, 50)), unit: 'ms', notes: `${round(one.rate, 1)} verifies/s on one thread` },
      ];
    } finally {
      await app.close();
    }
  },
};
