// Idempotency-Key (core/http/idempotency.ts) on a small JSON action mounted into the real app through mountAction:
// concurrent retries run the action once, replays repeat the first answer without a new change or audit event, a
// reused key with another body is refused (409), keys are per actor (API token or session) and expire after 24 h.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { createTokenUser, type TokenUser } from '../helpers/token-user.js';
import { TestClient, createUser } from '../helpers/client.js';
import { sql, exec } from '../../core/persistence/db.js';
import { mountAction, type PipelineDeps } from '../../core/http/endpoint.js';
import { idempotent, bodyHash } from '../../core/http/idempotency.js';
import { ok, err, appError } from '../../core/shared/result.js';

let app: TestApp;
let tokenUser: TokenUser;
let other: TokenUser;
const PATH = '/api/v1/test/notes';
const ACTION = 'test.notes.create';

interface Layer { handle: { length: number } }

/** Mounts a router into the running app, before its 404 handler and error boundary. */
function mount(router: Router): void {
  const web = app.server!.listeners('request')[0] as unknown as { use(r: Router): void; router: { stack: Layer[] } };
  web.use(router);
  const stack = web.router.stack;
  const layer = stack.pop()!;
  const boundary = stack.findLastIndex((l) => l.handle.length === 4);
  stack.splice(boundary - 1, 0, layer);
}

beforeAll(async () => {
  app = await startTestApp('idempotency');
  const em = app.orm.em.fork() as EntityManager;
  await exec(em, 'create table idem_probe (id serial primary key, note text not null, actor text not null)');
  tokenUser = await createTokenUser(em, 'may-tram-1', 'observer', 'nation', 'VN');
  other = await createTokenUser(em, 'may-tram-2', 'observer', 'nation', 'VN');
  // A public action (no policy needed): the actor still comes from the token or the session.
  const pipeline = { policy: undefined, stepUpFresh: () => true, flash: async () => undefined } as unknown as PipelineDeps;
  const r = Router();
  mountAction(r, pipeline, {
    id: ACTION, method: 'post', path: PATH, permission: 'core.elections.view', public: true,
    input: z.object({ note: z.string().min(1).max(100) }).strict(),
    target: () => ({ type: 'nation', code: 'VN' }),
    before: [idempotent(app.orm)],
    async handle(i, ctx) {
      if (i.note === 'refuse') return err(appError('NOTE_REFUSED', 'input.invalid', 422));
      // Slow enough that ten concurrent retries overlap the first one.
      await new Promise((res) => setTimeout(res, 150));
      const [row] = await sql<{ id: number }>(ctx.em, 'insert into idem_probe (note, actor) values (?, ?) returning id', [i.note, ctx.actor.id]);
      return ok({ json: { id: row.id, note: i.note, at: new Date().toISOString() }, status: 201, targetType: 'note', targetId: String(row.id) });
    },
  });
  mountAction(r, pipeline, {
    id: 'test.notes.required', method: 'post', path: PATH + '/strict', permission: 'core.elections.view', public: true,
    input: z.object({ note: z.string() }).strict(), target: () => ({ type: 'nation', code: 'VN' }),
    before: [idempotent(app.orm, { required: true })],
    handle: async (i) => ok({ json: { note: i.note } }),
  });
  mount(r);
});
afterAll(async () => {
  await app?.close();
});

const em = () => app.orm.em.fork() as EntityManager;
const post = (who: TokenUser, body: unknown, key?: string, path = PATH) =>
  fetch(app.url + path, { method: 'POST', headers: { ...who.headers, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) }, body: JSON.stringify(body) });
const probes = async (note: string) => (await sql<{ n: number }>(em(), 'select count(*)::int as n from idem_probe where note = ?', [note]))[0].n;
const auditOf = async (res: Response) => sql<{ action: string; result: string }>(em(), 'select action, result from audit_event where request_id = ? order by seq', [res.headers.get('x-request-id')]);

describe('Idempotency-Key', () => {
  it('the same key and body sent 10 times at once: one change, one audit event, 10 identical answers', async () => {
    const key = randomUUID();
    const responses = await Promise.all(Array.from({ length: 10 }, () => post(tokenUser, { note: 'mười lần' }, key)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0])).toMatchObject({ note: 'mười lần' });
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    expect(await probes('mười lần')).toBe(1);
    // Audit counted per request, as the route walker does: the one that ran wrote one event, the replays none.
    const perRequest = await Promise.all(responses.map(async (r) => (await auditOf(r)).length));
    expect(perRequest.sort()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    const [{ n }] = await sql<{ n: number }>(em(), `select count(*)::int as n from audit_event where action = ? and result = 'success' and actor = ?`, [ACTION, tokenUser.id]);
    expect(n).toBe(1);
    const rows = await sql(em(), 'select actor, key, method, path, status from idempotency_key where key = ?', [key]);
    expect(rows).toEqual([{ actor: tokenUser.id, key, method: 'POST', path: PATH, status: 201 }]);
  });

  it('a later retry (same key, same body in another field order) replays; the same key with another body → 409', async () => {
    const key = 'tram-79-001/lan-1';
    const first = await post(tokenUser, { note: 'một' }, key);
    expect(first.status).toBe(201);
    const body = await first.text();
    const again = await fetch(app.url + PATH, { method: 'POST', headers: { ...tokenUser.headers, 'content-type': 'application/json', 'idempotency-key': key }, body: '{ "note" : "một" }' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(body);
    const reused = await post(tokenUser, { note: 'hai' }, key);
    expect(reused.status).toBe(409);
    expect(reused.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await reused.json()).error).toEqual({ code: 'IDEMPOTENCY_KEY_REUSED', message: 'Khóa Idempotency-Key này đã được dùng cho một yêu cầu khác (khác nội dung hoặc địa chỉ). Mỗi thay đổi cần một khóa riêng.' });
    expect(await auditOf(reused)).toEqual([{ action: 'core.api.idempotency', result: 'rejected' }]);
    expect(await probes('một')).toBe(1);
    expect(await probes('hai')).toBe(0);
    // The same key on another path is another request too.
    expect((await post(tokenUser, { note: 'một' }, key, PATH + '/strict')).status).toBe(409);
  });

  it('keys belong to an actor: another token with the same key runs its own request', async () => {
    const key = randomUUID();
    expect((await post(tokenUser, { note: 'của ai' }, key)).status).toBe(201);
    const b = await post(other, { note: 'của ai' }, key);
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(await probes('của ai')).toBe(2);
  });

  it('works for a signed-in session too (cookie + CSRF header)', async () => {
    const u = await createUser(em(), { roles: [{ role: 'observer', scopeType: 'nation', scopeCode: 'VN' }] });
    const c = new TestClient(app.url);
    await c.login(u);
    const csrf = await c.csrf();
    const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const key = randomUUID();
    const send = () => fetch(app.url + PATH, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': key }, body: JSON.stringify({ note: 'phiên' }) });
    const [a, b] = await Promise.all([send(), send()]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(await a.text()).toBe(await b.text());
    expect(await probes('phiên')).toBe(1);
    const [row] = await sql(em(), 'select actor from idempotency_key where key = ?', [key]);
    expect(row.actor).toBe(u.id);
  });

  it('refused input is replayed as refused; no key passes through; required → 400; a malformed key → 400', async () => {
    const key = randomUUID();
    const a = await post(tokenUser, { note: 'refuse' }, key);
    const b = await post(tokenUser, { note: 'refuse' }, key);
    expect([a.status, b.status]).toEqual([422, 422]);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect((await auditOf(a)).length).toBe(1);
    expect((await auditOf(b)).length).toBe(0);
    // Without a key every request runs.
    expect((await post(tokenUser, { note: 'không khóa' })).status).toBe(201);
    expect((await post(tokenUser, { note: 'không khóa' })).status).toBe(201);
    expect(await probes('không khóa')).toBe(2);
    const missing = await post(tokenUser, { note: 'x' }, undefined, PATH + '/strict');
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    expect((await post(tokenUser, { note: 'x' }, randomUUID(), PATH + '/strict')).status).toBe(200);
    const bad = await post(tokenUser, { note: 'x' }, 'has a space');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('IDEMPOTENCY_KEY_INVALID');
    expect((await post(tokenUser, { note: 'x' }, 'k'.repeat(201))).status).toBe(400);
  });

  it('a key expires after 24 hours: then the same key runs again', async () => {
    const key = randomUUID();
    expect((await post(tokenUser, { note: 'hết hạn' }, key)).status).toBe(201);
    await exec(em(), `update idempotency_key set created_at = now() - interval '25 hours' where key = ?`, [key]);
    const again = await post(tokenUser, { note: 'hết hạn' }, key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(await probes('hết hạn')).toBe(2);
  });

  it('a key left "in progress" by a request that died is taken over after 5 minutes', async () => {
    const key = randomUUID();
    await exec(em(), `insert into idempotency_key (actor, key, method, path, body_hash, created_at) values (?, ?, 'POST', ?, ?, now() - interval '6 minutes')`,
      [tokenUser.id, key, PATH, bodyHash({ body: { note: 'bỏ dở' } } as Request)]);
    const res = await post(tokenUser, { note: 'bỏ dở' }, key);
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(await probes('bỏ dở')).toBe(1);
  });
});
