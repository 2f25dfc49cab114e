// The queue board at /admin/queues: system administrators only (permission core.queues.view), behind the session and
// its second factor, read-only; with the in-process transport a short page says there is no queue to monitor.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { TestClient, createUser, type TestUser } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';

describe('queue board with BullMQ', () => {
  let app: TestApp;
  let admin: TestUser;
  let adminClient: TestClient;
  beforeAll(async () => {
    app = await startTestApp('queues_board');
    admin = await createUser(app.orm.em.fork(), { roles: [{ role: 'system-admin', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
    adminClient = new TestClient(app.url);
    expect((await adminClient.login(admin, app.orm.em.fork())).status).toBe(303);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a signed-in system administrator gets the board (200) and its API lists the queue, read-only', async () => {
    const res = await adminClient.get('/admin/queues');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<base href="/admin/queues/" />');
    expect(html).toContain('<div id="root">');
    // Same security headers as the rest of the application.
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = /<script defer src="(static\/js\/main\.[^"]+\.js)"/.exec(html)![1];
    expect((await adminClient.get(`/admin/queues/${script}`)).status).toBe(200);
    const api = await adminClient.get('/admin/queues/api/queues?activeQueue=jobs&status=latest&page=1', { accept: 'application/json' });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; readOnlyMode: boolean; allowRetries: boolean }[] };
    expect(body.queues.map((q) => [q.name, q.readOnlyMode, q.allowRetries])).toEqual([['jobs', true, false]]);
  });

  it('refuses changes: read-only on the server, and CSRF-protected like every mutating request', async () => {
    const csrf = await adminClient.csrf();
    const cookie = [...adminClient.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    // With a valid CSRF token: refused (405) before bull-board, and recorded.
    const retry = await fetch(`${app.url}/admin/queues/api/queues/jobs/retry/failed`, { method: 'PUT', headers: { cookie, 'x-csrf-token': csrf, accept: 'application/json' } });
    expect(retry.status).toBe(405);
    expect(((await retry.json()) as { error: { code: string } }).error.code).toBe('READ_ONLY');
    const [e] = await sql<{ actor: string; result: string }>(app.orm.em.fork(), 'select actor, result from audit_event where request_id = ?', [retry.headers.get('x-request-id')]);
    expect(e).toEqual({ actor: admin.id, result: 'rejected' });
    const pause = await fetch(`${app.url}/admin/queues/api/queues/jobs/pause`, { method: 'PUT', headers: { cookie } });
    expect(pause.status).toBe(403); // no CSRF token: refused before bull-board
  });

  it('a commune official gets 403 (audited); an anonymous visitor is sent to sign in', async () => {
    const official = await createUser(app.orm.em.fork(), { roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: '26734' }] });
    const c = new TestClient(app.url);
    await c.login(official);
    const res = await c.get('/admin/queues');
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain('id="root"');
    expect((await c.get('/admin/queues/api/queues', { accept: 'application/json' })).status).toBe(403);
    const [denied] = await sql<{ result: string }>(app.orm.em.fork(), `select result from audit_event where action = 'core.queues.view' and actor = ? limit 1`, [official.id]);
    expect(denied.result).toBe('denied');

    const anon = await fetch(`${app.url}/admin/queues`, { redirect: 'manual' });
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toBe('/auth/login?next=%2Fadmin%2Fqueues');
    expect((await fetch(`${app.url}/admin/queues/api/queues`, { headers: { accept: 'application/json' }, redirect: 'manual' })).status).toBe(401);
    expect((await fetch(`${app.url}/admin/queues/static/js/x.js`, { redirect: 'manual' })).status).toBe(303);
  });

  it('behind the second factor: an administrator who gave only the password is not let in', async () => {
    const c = new TestClient(app.url);
    const half = await c.post('/auth/login', { username: admin.username, password: admin.password });
    expect(half.headers.get('location')).toMatch(/^\/auth\/2fa/);
    const res = await c.get('/admin/queues');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/auth\/login/);
  });
});

describe('queue board without Redis', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('queues_inproc', { REDIS_URL: '' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('says there is no queue to monitor (administrators only)', async () => {
    const em = app.orm.em.fork();
    const admin = await createUser(em, { roles: [{ role: 'system-admin', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
    const c = new TestClient(app.url);
    await c.login(admin, em);
    const res = await c.get('/admin/queues');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('không có hàng đợi BullMQ nào để theo dõi');
    expect(html).toContain('href="/jobs"');
    const nec = await createUser(em, { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
    const n = new TestClient(app.url);
    await n.login(nec, em);
    expect((await n.get('/admin/queues')).status).toBe(403);
  });
});
