// Machine clients without valid credentials (docs/api.md): every mutating /api/v1 route of the real app, found by
// walking its router, refuses a missing, malformed, unknown, revoked or expired token — or a token of a disabled
// account — with 401 and a JSON error, never an HTML page or a redirect to the sign-in form, and changes nothing.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID, randomBytes, createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { createTokenUser, type TokenUser } from '../helpers/token-user.js';
import { sql, exec } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

let app: TestApp;
let revoked: TokenUser;
let expired: TokenUser;
let disabled: TokenUser;
let valid: TokenUser;

function apiWriteRoutes(): { method: string; path: string }[] {
  const web = app.server!.listeners('request')[0] as unknown as { router: { stack: Layer[] } };
  const out: { method: string; path: string }[] = [];
  const walk = (stack: Layer[]) => {
    for (const l of stack) {
      if (l.route) {
        for (const [m, on] of Object.entries(l.route.methods)) {
          if (on && !['get', 'head', 'options', '_all'].includes(m) && l.route.path.startsWith('/api/')) out.push({ method: m, path: l.route.path });
        }
      } else if (l.handle?.stack) walk(l.handle.stack);
    }
  };
  walk(web.router.stack);
  return out;
}

beforeAll(async () => {
  app = await startTestApp('api_auth');
  const em = app.orm.em.fork() as EntityManager;
  // Nation-wide system administrators: with a good token every one of these calls would be allowed.
  valid = await createTokenUser(em, 'api-hop-le', 'system-admin', 'nation', 'VN');
  revoked = await createTokenUser(em, 'api-thu-hoi', 'system-admin', 'nation', 'VN');
  await exec(em, 'update api_token set revoked_at = now() where user_id = ?', [revoked.id]);
  expired = await createTokenUser(em, 'api-het-han', 'system-admin', 'nation', 'VN');
  await exec(em, `update api_token set expires_at = now() - interval '1 minute' where user_id = ?`, [expired.id]);
  disabled = await createTokenUser(em, 'api-bi-khoa', 'system-admin', 'nation', 'VN');
  await exec(em, `update app_user set status = 'disabled' where id = ?`, [disabled.id]);
}, 120_000);
afterAll(async () => {
  await app?.close();
});

describe('/api/v1 writes without valid credentials', () => {
  it('the app has mutating /api/v1 routes to check', () => {
    expect(apiWriteRoutes().length).toBeGreaterThan(0);
  });

  it('a malformed, unknown, revoked or expired token, or a disabled account → 401 JSON; nothing changes', async () => {
    const unknown = `bct_${randomBytes(24).toString('base64url')}`;
    const problems = await refusals([
      ['malformed token', { authorization: 'Bearer not-a-token' }],
      ['unknown token', { authorization: `Bearer ${unknown}` }],
      ['revoked token', revoked.headers],
      ['expired token', expired.headers],
      ['token of a disabled account', disabled.headers],
    ]);
    expect(problems).toEqual([]);
  });

  // Without a session cookie there is nothing to forge, so the CSRF check lets the request reach the route's 401.
  it('no credentials at all → 401 JSON AUTH_REQUIRED', async () => {
    expect(await refusals([['no credentials', {}]])).toEqual([]);
  });

  /** Sends every mutating /api/ route each set of headers (JSON and HTML Accept); returns what was not 401 JSON. */
  async function refusals(cases: [string, Record<string, string>][]): Promise<string[]> {
    const em = app.orm.em.fork() as EntityManager;
    const [{ n: tokensUsedBefore }] = await sql<{ n: number }>(em, 'select count(*)::int as n from api_token where last_used_at is not null');
    const problems: string[] = [];
    let checked = 0;
    for (const r of apiWriteRoutes()) {
      const path = r.path.replace(/:(\w+)/g, () => randomUUID());
      for (const [name, headers] of cases) {
        for (const accept of ['application/json', 'text/html']) {
          const res = await fetch(app.url + path, {
            method: r.method.toUpperCase(), redirect: 'manual',
            headers: { ...headers, accept, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
            body: JSON.stringify({ pollingAreaId: newId(), contest: 'national-assembly' }),
          });
          checked++;
          const type = res.headers.get('content-type') ?? '';
          const text = await res.text();
          let code = '';
          try {
            code = JSON.parse(text).error?.code ?? '';
          } catch {
            /* not JSON: reported below */
          }
          if (res.status !== 401 || !type.startsWith('application/json') || !['AUTH_REQUIRED', 'INVALID_TOKEN'].includes(code)) {
            problems.push(`${r.method.toUpperCase()} ${r.path} — ${name} (Accept ${accept}): ${res.status} ${type} ${text.slice(0, 120)}`);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
    // The refused tokens were not marked as used, and no idempotency key was taken for anyone.
    const [{ n: tokensUsedAfter }] = await sql<{ n: number }>(em, 'select count(*)::int as n from api_token where last_used_at is not null');
    expect(tokensUsedAfter).toBe(tokensUsedBefore);
    expect(await sql(em, 'select actor from idempotency_key')).toEqual([]);
    return problems;
  }

  it('the same routes with a valid token get past authentication (not 401)', async () => {
    for (const r of apiWriteRoutes()) {
      const path = r.path.replace(/:(\w+)/g, () => randomUUID());
      const res = await fetch(app.url + path, {
        method: r.method.toUpperCase(), redirect: 'manual',
        headers: { ...valid.headers, accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify({ pollingAreaId: newId(), contest: 'national-assembly' }),
      });
      await res.arrayBuffer();
      expect(res.status, `${r.method.toUpperCase()} ${r.path}`).not.toBe(401);
      expect(res.headers.get('content-type') ?? '', `${r.method.toUpperCase()} ${r.path}`).toMatch(/^application\/json/);
    }
  });
});

// The token table as the tests above rely on it (revocation and expiry are columns, the hash is sha256 hex).
describe('token fixture', () => {
  it('stores only the hash of a token', async () => {
    const [row] = await sql<{ token_hash: string }>(app.orm.em.fork() as EntityManager, 'select token_hash from api_token where user_id = ?', [valid.id]);
    expect(row.token_hash).toBe(createHash('sha256').update(valid.token).digest('hex'));
    expect(row.token_hash).not.toContain(valid.token);
  });
});
