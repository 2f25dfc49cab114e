// The kernel boots on the real PostgreSQL and Redis, serves /healthz, /metrics and pages, and never shows a stack trace.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('boot');
});
afterAll(async () => {
  await app?.close();
});

describe('kernel boot', () => {
  it('GET /healthz reports database, redis, queues and plugins', async () => {
    const res = await fetch(app.url + '/healthz');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.status).toBe('ok');
    expect(body.database.status).toBe('ok');
    expect(body.redis).toBe('ok');
    expect(body.jobs).toBe('bullmq');
    expect(body.plugins.map((p: { id: string }) => p.id).sort()).toEqual(['commune-council', 'national-assembly', 'provincial-council']);
  });

  it('GET /metrics serves prometheus text', async () => {
    const res = await fetch(app.url + '/metrics');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('baucu_process_cpu_user_seconds_total');
  });

  it('home page is Vietnamese first, English with ?lang=en', async () => {
    const vi = await (await fetch(app.url + '/')).text();
    expect(vi).toContain('Hệ thống quản lý thông tin bầu cử');
    const en = await (await fetch(app.url + '/?lang=en')).text();
    expect(en).toContain('Election information management system');
  });

  it('sends a strict CSP without inline scripts', async () => {
    const res = await fetch(app.url + '/');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('404 is a Vietnamese page, JSON for API clients, with no stack trace', async () => {
    const res = await fetch(app.url + '/khong-co-trang-nay');
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain('Không tìm thấy');
    expect(html).not.toMatch(/at \w+ \(|node_modules/);
    const api = await fetch(app.url + '/api/v1/nothing');
    expect(api.status).toBe(404);
    expect((await api.json()).error.code).toBe('NOT_FOUND');
  });

  it('a malformed JSON body gets a clear message, not a stack trace', async () => {
    const res = await fetch(app.url + '/api/v1/nothing', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.message).toBe('Yêu cầu không hợp lệ.');
    expect(JSON.stringify(body)).not.toMatch(/SyntaxError|at JSON/);
  });
});
