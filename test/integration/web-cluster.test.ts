// ROLE=web with WEB_PROCESSES=2 (jobs/main.ts): a node:cluster primary starts two web processes on one port (the
// first applies the migrations alone), replaces one that dies, and stops them all on SIGTERM with exit code 0.
import { describe, it, expect, afterAll } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { REPO_ROOT, REFERENCE_DATA_DIR, TEST_DATABASE_URL, TEST_REDIS_URL, clearQueuePrefix, dropSchema, uniqueName, waitFor } from '../helpers/test-app.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const schema = uniqueName('t_web_cluster');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baucu-cluster-'));
let child: ChildProcess | undefined;
let output = '';
const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

afterAll(async () => {
  if (child?.pid) for (const p of childrenOf(child.pid)) process.kill(p, 'SIGKILL');
  child?.kill('SIGKILL');
  await dropSchema(schema);
  await clearQueuePrefix(schema);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('web tier as a cluster (WEB_PROCESSES)', () => {
  it('two web processes share the port, a dead one is replaced, SIGTERM stops all with exit code 0', async () => {
    const port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'jobs/main.ts', '--role=web'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', WEB_PROCESSES: '2',
        DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: schema,
        SESSION_SECRET: 'test-secret-test-secret-test-secret-0123', DATA_DIR: dataDir, REFERENCE_DATA_DIR,
        AUTO_IMPORT_REFERENCE: 'false', LOG_LEVEL: 'silent', NODE_ENV: 'test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await waitFor(async () => output.includes('2 web processes listening'), 90_000, 200);
    const base = `http://127.0.0.1:${port}`;
    const workers = childrenOf(child.pid!);
    expect(workers).toHaveLength(2);
    for (let i = 0; i < 6; i++) expect((await fetch(base + '/healthz', { headers: { connection: 'close' } })).ok).toBe(true);

    // One dies: the primary starts another, the port keeps answering.
    process.kill(workers[0], 'SIGKILL');
    await waitFor(async () => {
      const now = childrenOf(child!.pid!);
      return now.length === 2 && !now.includes(workers[0]);
    }, 60_000, 200);
    expect(output).toContain('restarting');
    await waitFor(async () => (await fetch(base + '/healthz', { headers: { connection: 'close' } }).catch(() => undefined))?.ok, 60_000, 200);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const last = childrenOf(child.pid!);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const p of last) expect(() => process.kill(p, 0)).toThrow();
  }, 180_000);
});
