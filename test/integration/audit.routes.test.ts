// "Every mutating route writes exactly one audit event in the same transaction" (issue 3): walk the real app's
// router, check each non-GET route is declared through the endpoint pipeline (mountAction) or as a self-auditing
// route (registerMutating), then call every one and count the audit events its request wrote: exactly one.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Router } from 'express';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { TestClient, createUser } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';
import { MOUNTED_ACTIONS } from '../../core/http/endpoint.js';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] } & Router;
}
interface Found {
  method: string;
  path: string;
  declared: boolean;
}

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('audit_routes');
});
afterAll(async () => {
  await app?.close();
});

function walk(stack: Layer[], owner: Router | undefined, out: Found[]): void {
  for (const layer of stack) {
    if (layer.route) {
      for (const [m, on] of Object.entries(layer.route.methods)) {
        if (!on || ['get', 'head', 'options', '_all'].includes(m)) continue;
        const declared = !!owner && (MOUNTED_ACTIONS.get(owner) ?? []).some((a) => a.method === m && a.path === layer.route!.path);
        out.push({ method: m, path: layer.route.path, declared });
      }
    } else if (layer.handle?.stack) {
      walk(layer.handle.stack, layer.handle as Router, out);
    }
  }
}

function mutatingRoutes(): Found[] {
  const express = app.server!.listeners('request')[0] as unknown as { router: { stack: Layer[] } };
  const out: Found[] = [];
  walk(express.router.stack, undefined, out);
  return out;
}

describe('audit of every mutating route', () => {
  it('finds the mutating routes, and every one is declared through the pipeline or as self-auditing', () => {
    const routes = mutatingRoutes();
    expect(routes.length).toBeGreaterThan(15);
    expect(routes.filter((r) => !r.declared).map((r) => `${r.method.toUpperCase()} ${r.path}`)).toEqual([]);
  });

  it('each mutating route writes exactly one audit event per request, whatever the outcome', async () => {
    const em = app.orm.em.fork();
    // A signed-in account with no write permission anywhere: every route must refuse — and record the refusal.
    const observer = await createUser(em, { roles: [{ role: 'observer', scopeType: 'nation', scopeCode: 'VN' }] });
    const anon = new TestClient(app.url);
    const signedIn = new TestClient(app.url);
    await signedIn.login(observer);
    const problems: string[] = [];
    for (const r of mutatingRoutes()) {
      const path = r.path.replace(/:(\w+)/g, (_m, name: string) => (name === 'pluginId' ? 'national-assembly' : name === 'sheetId' ? randomUUID() : randomUUID()));
      for (const [who, c] of [['anonymous', anon], ['observer', signedIn]] as const) {
        const res = await c.post(path, { enabled: 'true', username: 'x', password: 'y', code: '123456' });
        const requestId = res.headers.get('x-request-id');
        await res.arrayBuffer();
        const [{ n }] = await sql<{ n: number }>(em, 'select count(*)::int as n from audit_event where request_id = ?', [requestId]);
        if (n !== 1) problems.push(`${who} ${r.method.toUpperCase()} ${r.path}: ${n} audit events (status ${res.status})`);
        if (r.path === '/auth/logout' && who === 'observer') await signedIn.login(observer);
      }
    }
    expect(problems).toEqual([]);
  });

  it('a forged form (missing CSRF token) is refused and recorded as a denial', async () => {
    const c = new TestClient(app.url);
    const res = await c.post('/auth/logout', {}, { csrf: false });
    expect(res.status).toBe(403);
    const [e] = await sql(app.orm.em.fork(), 'select action, result from audit_event where request_id = ?', [res.headers.get('x-request-id')]);
    expect(e).toEqual({ action: 'core.csrf', result: 'denied' });
  });
});
