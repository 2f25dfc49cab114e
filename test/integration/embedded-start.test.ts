// `npm start` on a fresh machine: no DATABASE_URL, no REDIS_URL → embedded PostgreSQL (PGlite) under DATA_DIR and
// in-process jobs; the real tree is imported from REFERENCE_DATA_DIR and served within 60 s; SIGTERM stops cleanly.
import { describe, it, expect, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { REPO_ROOT, REFERENCE_DATA_DIR, waitFor } from '../helpers/test-app.js';
import { TestClient, type TestUser } from '../helpers/client.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baucu-embedded-'));
let child: ChildProcess | undefined;
let output = '';

afterAll(() => {
  child?.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start without DATABASE_URL or REDIS_URL', () => {
  it('serves the real tree within 60 s from an embedded PostgreSQL, then stops on SIGTERM', async () => {
    const port = await freePort();
    const started = Date.now();
    child = spawn(process.execPath, ['--import', 'tsx', 'jobs/main.ts'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), DATA_DIR: dataDir, REFERENCE_DATA_DIR, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const base = `http://127.0.0.1:${port}`;
    const health = await waitFor(async () => {
      try {
        const r = await fetch(base + '/healthz');
        return r.ok && (await r.json());
      } catch {
        return undefined;
      }
    }, 60_000, 250);
    expect(health.database.embedded).toBe(true);
    expect(health.jobs).toBe('in-process');
    expect(output).toContain('PGlite');
    expect(output).toContain('no REDIS_URL');
    await waitFor(async () => {
      const html = await (await fetch(base + '/')).text();
      return html.includes('34 tỉnh, thành phố') && html.includes('3.321');
    }, 60_000 - (Date.now() - started), 500);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(60_000);
    // Signing in as the first administrator goes through the prepared statements (db.ts prepared: the session's
    // user, the audit event and its seal) on the embedded server's extended protocol.
    const pw = /one-time password: (\S+)/.exec(fs.readFileSync(path.join(dataDir, 'initial-admin.txt'), 'utf8'))![1];
    const c = new TestClient(base);
    const signedIn = await c.login({ username: 'admin', password: pw } as TestUser);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).not.toContain('/auth/login');
    expect((await c.get('/')).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'pglite'))).toBe(true);
  }, 120_000);
});
