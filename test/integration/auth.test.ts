// Sign-in and sessions (issue 3 points 5–7): fixation, logout and disabling end sessions, lockout and 429, TOTP
// single use and enrolment, step-up, forced password change, CSRF (missing, wrong, other session's, cross-site),
// expiry of temporary accounts, API tokens. Real PostgreSQL and Redis (sessions live in Redis here).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { randomUUID, createHash } from 'node:crypto';
import { startTestApp, TEST_REDIS_URL, type TestApp } from '../helpers/test-app.js';
import { TestClient, createUser } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';
import { currentTotp } from '../../core/auth/totp.js';
import { newId } from '../../core/shared/ids.js';

let app: TestApp;
let redis: Redis;
const em = () => app.orm.em.fork();

beforeAll(async () => {
  app = await startTestApp('auth');
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  redis?.disconnect();
  await app?.close();
});

const commune = { role: 'commune-official', scopeType: 'commune' as const, scopeCode: '00004' };
const admin = { role: 'system-admin', scopeType: 'nation' as const, scopeCode: 'VN' };

describe('sign-in', () => {
  it('unknown user and wrong password get the same message, status and similar timing', async () => {
    const u = await createUser(em(), { roles: [commune] });
    const c = new TestClient(app.url);
    const token = await c.csrf();
    const time = async (username: string) => {
      const t = performance.now();
      const r = await c.post('/auth/login', { username, password: 'sai-mat-khau-123' }, { csrf: token });
      return { ms: performance.now() - t, status: r.status, text: await r.text() };
    };
    // Interleaved samples; medians compare the work done on each path (argon2 verify + the same delay), robust
    // to a busy machine. The account's failures are reset so the lockout's growing delay does not enter.
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 4; i++) {
      const x = await time('khong-ton-tai');
      const y = await time(u.username);
      await sql(em(), 'update app_user set failed_logins = 0 where id = ?', [u.id]);
      expect(x.status).toBe(401);
      expect(y.status).toBe(401);
      expect(x.text).toContain('Tên đăng nhập hoặc mật khẩu không đúng.');
      expect(y.text).toContain('Tên đăng nhập hoặc mật khẩu không đúng.');
      a.push(x.ms);
      b.push(y.ms);
    }
    const median = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
    expect(Math.max(median(a), median(b)) / Math.min(median(a), median(b))).toBeLessThan(2);
  });

  it('renews the session id at sign-in (no fixation) and the old id is dead', async () => {
    const u = await createUser(em(), { roles: [commune] });
    const c = new TestClient(app.url);
    await c.login(u);
    const sid1 = c.cookies.get('baucu_sid')!;
    expect(sid1).toBeTruthy();
    await c.login(u);
    const sid2 = c.cookies.get('baucu_sid')!;
    expect(sid2).not.toBe(sid1);
    const stale = new TestClient(app.url);
    stale.cookies.set('baucu_sid', sid1);
    expect((await stale.get('/account')).headers.get('location')).toContain('/auth/login');
    // A session id chosen by an attacker before sign-in is never adopted.
    const fixed = new TestClient(app.url);
    fixed.cookies.set('baucu_sid', 'attacker-chosen-id');
    await fixed.login(u);
    expect(fixed.cookies.get('baucu_sid')).not.toBe('attacker-chosen-id');
  });

  it('logout ends the session at once', async () => {
    const u = await createUser(em(), { roles: [commune] });
    const c = new TestClient(app.url);
    await c.login(u);
    const sid = c.cookies.get('baucu_sid')!;
    expect((await c.get('/account')).status).toBe(200);
    expect((await c.logout()).status).toBe(303);
    const again = new TestClient(app.url);
    again.cookies.set('baucu_sid', sid);
    expect((await again.get('/account')).status).toBe(303);
  });

  it('disabling an account ends its sessions at once', async () => {
    const u = await createUser(em(), { roles: [commune] });
    const c = new TestClient(app.url);
    await c.login(u);
    expect((await c.get('/account')).status).toBe(200);
    await sql(em(), `update app_user set status = 'disabled' where id = ?`, [u.id]);
    expect((await c.get('/account')).status).toBe(303);
    expect(await redis.exists(`${app.config.queuePrefix}:sess:${c.cookies.get('baucu_sid')}`)).toBe(0);
  });

  it('a temporary account expires: refused at sign-in and its live session ends', async () => {
    const expired = await createUser(em(), { roles: [commune], expiresAt: new Date(Date.now() - 60_000) });
    const c = new TestClient(app.url);
    const r = await c.post('/auth/login', { username: expired.username, password: expired.password });
    expect(r.status).toBe(401);
    expect(await r.text()).toContain('hết hạn');
    const [row] = await sql(em(), 'select status from app_user where id = ?', [expired.id]);
    expect(row.status).toBe('expired');
    const live = await createUser(em(), { roles: [commune], expiresAt: new Date(Date.now() + 3600_000) });
    const d = new TestClient(app.url);
    await d.login(live);
    expect((await d.get('/account')).status).toBe(200);
    await sql(em(), `update app_user set expires_at = now() - interval '1 second' where id = ?`, [live.id]);
    expect((await d.get('/account')).status).toBe(303);
  });

  it('locks an account after 5 failures (progressive delay before), even for the right password', async () => {
    const u = await createUser(em(), { roles: [commune] });
    const c = new TestClient(app.url);
    for (let i = 0; i < 4; i++) expect((await c.post('/auth/login', { username: u.username, password: 'sai-mat-khau-123' })).status).toBe(401);
    const fifth = await c.post('/auth/login', { username: u.username, password: 'sai-mat-khau-123' });
    expect(await fifth.text()).toContain('tạm khóa');
    const right = await c.post('/auth/login', { username: u.username, password: u.password });
    expect(right.status).toBe(401);
    expect(await right.text()).toContain('tạm khóa');
    // Unlocked by time (or by an administrator above): clearing locked_until lets the right password in.
    await sql(em(), 'update app_user set locked_until = null where id = ?', [u.id]);
    expect((await c.post('/auth/login', { username: u.username, password: u.password })).status).toBe(303);
  });

  it('rate-limits sign-in per IP with 429', async () => {
    const c = new TestClient(app.url);
    const token = await c.csrf();
    const ip = `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    let last = 0;
    for (let i = 0; i < 31; i++) {
      const r = await c.post('/auth/login', { username: `x${i}`, password: 'sai-mat-khau-123' }, { csrf: token, headers: { 'x-forwarded-for': ip } });
      last = r.status;
    }
    expect(last).toBe(429);
    const other = await c.post('/auth/login', { username: 'x', password: 'sai-mat-khau-123' }, { csrf: token, headers: { 'x-forwarded-for': '10.200.0.1' } });
    expect(other.status).toBe(401);
  });
});

describe('two-factor authentication', () => {
  it('is mandatory for administrators: enrolment with a QR code, then 10 recovery codes', async () => {
    const u = await createUser(em(), { roles: [admin] });
    const c = new TestClient(app.url);
    const r = await c.post('/auth/login', { username: u.username, password: u.password });
    expect(r.headers.get('location')).toBe('/auth/2fa/enrol');
    expect((await c.get('/jobs')).status).toBe(303); // not signed in until enrolled
    const page = await c.text('/auth/2fa/enrol');
    expect(page).toContain('data:image/png;base64');
    const secret = /<code class="secret">([^<]+)<\/code>/.exec(page)![1].replace(/\s+/g, '');
    const bad = await c.post('/auth/2fa/enrol', { code: '000000' });
    expect(bad.status).toBe(400);
    const good = await c.post('/auth/2fa/enrol', { code: await currentTotp(secret) });
    expect(good.headers.get('location')).toBe('/auth/recovery-codes');
    const codesPage = await c.text('/auth/recovery-codes');
    const codes = [...codesPage.matchAll(/<li><code>([0-9a-f]{5}-[0-9a-f]{5})<\/code><\/li>/g)].map((m) => m[1]);
    expect(codes).toHaveLength(10);
    expect((await c.get('/auth/recovery-codes')).status).toBe(303); // shown once
    expect((await c.get('/jobs')).status).toBe(200);
    // A recovery code works once.
    const d = new TestClient(app.url);
    await d.post('/auth/login', { username: u.username, password: u.password });
    expect((await d.post('/auth/2fa', { code: codes[0], next: '/' })).headers.get('location')).toBe('/');
    const e = new TestClient(app.url);
    await e.post('/auth/login', { username: u.username, password: u.password });
    expect((await e.post('/auth/2fa', { code: codes[0], next: '/' })).status).toBe(401);
  });

  it('accepts a TOTP code once only', async () => {
    const u = await createUser(em(), { roles: [admin], totp: true });
    const code = await currentTotp(u.totpSecret!);
    const a = new TestClient(app.url);
    await a.post('/auth/login', { username: u.username, password: u.password });
    expect((await a.post('/auth/2fa', { code, next: '/' })).status).toBe(303);
    const b = new TestClient(app.url);
    await b.post('/auth/login', { username: u.username, password: u.password });
    const again = await b.post('/auth/2fa', { code, next: '/' });
    expect(again.status).toBe(401);
    expect(await again.text()).toContain('đã dùng');
  });

  it('renews the session id after the second factor', async () => {
    const u = await createUser(em(), { roles: [admin], totp: true });
    const c = new TestClient(app.url);
    await c.post('/auth/login', { username: u.username, password: u.password });
    const before = c.cookies.get('baucu_sid');
    await sql(em(), 'update app_user set totp_last_step = 0 where id = ?', [u.id]);
    await c.post('/auth/2fa', { code: await currentTotp(u.totpSecret!), next: '/' });
    expect(c.cookies.get('baucu_sid')).not.toBe(before);
  });

  it('asks for a fresh code (step-up) before enabling a plugin when the last one is older than 5 minutes', async () => {
    const electionId = randomUUID();
    await sql(em(), `insert into election (id, name, election_day) values (?, 'Thử', '2026-03-15')`, [electionId]);
    const u = await createUser(em(), { roles: [admin], totp: true });
    const c = new TestClient(app.url);
    await c.login(u, em());
    const key = `${app.config.queuePrefix}:sess:${c.cookies.get('baucu_sid')}`;
    const data = JSON.parse((await redis.get(key))!);
    data.secondFactorAt = Date.now() - 10 * 60_000;
    await redis.set(key, JSON.stringify(data), 'KEEPTTL');
    const r = await c.post(`/elections/${electionId}/plugins/national-assembly`, { enabled: 'true' }, { headers: { referer: `${app.url}/elections/${electionId}/plugins` } });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toContain('/auth/step-up');
    const [state] = await sql(em(), 'select count(*)::int as n from plugin_state where election_id = ?', [electionId]);
    expect(state.n).toBe(0);
    await sql(em(), 'update app_user set totp_last_step = 0 where id = ?', [u.id]);
    const up = await c.post('/auth/step-up', { code: await currentTotp(u.totpSecret!), next: `/elections/${electionId}/plugins` });
    expect(up.headers.get('location')).toBe(`/elections/${electionId}/plugins`);
    expect((await c.post(`/elections/${electionId}/plugins/national-assembly`, { enabled: 'true' })).headers.get('location')).toBe(`/elections/${electionId}/plugins`);
  });
});

describe('password change', () => {
  it('is forced on first sign-in for an account created by someone else', async () => {
    const u = await createUser(em(), { roles: [commune], mustChange: true });
    const c = new TestClient(app.url);
    const r = await c.login(u);
    expect(r.headers.get('location')).toBe('/auth/password');
    expect((await c.get('/account')).headers.get('location')).toBe('/auth/password');
    const weak = await c.post('/auth/password', { current: u.password, password: 'ngan-123', password2: 'ngan-123' });
    expect(await weak.text()).toContain('ít nhất 10 ký tự');
    const common = await c.post('/auth/password', { current: u.password, password: 'password1234', password2: 'password1234' });
    expect(await common.text()).toContain('quá phổ biến');
    const same = await c.post('/auth/password', { current: u.password, password: `${u.username}-abcdef`, password2: `${u.username}-abcdef` });
    expect(await same.text()).toContain('tên đăng nhập');
    const ok = await c.post('/auth/password', { current: u.password, password: 'Mot-mat-khau-moi-tot', password2: 'Mot-mat-khau-moi-tot' });
    expect(ok.headers.get('location')).toBe('/');
    expect((await c.get('/account')).status).toBe(200);
  });
});

describe('CSRF', () => {
  it('refuses a missing token, a wrong token, another session\'s token and a cross-site Origin', async () => {
    const u = await createUser(em(), { roles: [commune] });
    const v = await createUser(em(), { roles: [commune] });
    const c = new TestClient(app.url);
    await c.login(u);
    const other = new TestClient(app.url);
    await other.login(v);
    const otherToken = await other.csrf();
    const missing = await c.post('/account/sessions/end', { sid: 'others' }, { csrf: false });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain('không hợp lệ');
    expect((await c.post('/account/sessions/end', { sid: 'others' }, { csrf: 'AAAA' })).status).toBe(403);
    expect((await c.post('/account/sessions/end', { sid: 'others' }, { csrf: otherToken })).status).toBe(403);
    const cross = await c.post('/account/sessions/end', { sid: 'others' }, { headers: { origin: 'https://evil.example' } });
    expect(cross.status).toBe(403);
    expect(await cross.text()).toContain('trang web khác');
    expect((await c.post('/account/sessions/end', { sid: 'others' }, { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    expect((await c.post('/account/sessions/end', { sid: 'others' })).status).toBe(303);
  });
});

describe('API tokens', () => {
  it('authenticate machine clients with the same policy; revoked tokens are refused', async () => {
    const u = await createUser(em(), { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
    const token = 'bct_' + randomUUID().replace(/-/g, '') + 'abcdef';
    const id = newId();
    await sql(em(), `insert into api_token (id, user_id, name, token_hash, prefix) values (?, ?, 'test', ?, ?)`, [id, u.id, createHash('sha256').update(token).digest('hex'), token.slice(0, 8)]);
    const ok = await fetch(`${app.url}/jobs`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    expect(ok.status).toBe(200);
    const bad = await fetch(`${app.url}/jobs`, { headers: { authorization: 'Bearer bct_not-a-real-token-0000000000', accept: 'application/json' } });
    expect(bad.status).toBe(401);
    await sql(em(), 'update api_token set revoked_at = now() where id = ?', [id]);
    expect((await fetch(`${app.url}/jobs`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } })).status).toBe(401);
  });

  it('are created on the account page (shown once), limited to one assignment if chosen, and revoked there', async () => {
    const u = await createUser(em(), { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }, { role: 'observer', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
    const c = new TestClient(app.url);
    await c.login(u, em());
    expect((await c.post('/account/tokens', { name: 'máy chủ tỉnh' })).status).toBe(303);
    const page = await c.text('/account/tokens');
    const token = /<code>(bct_[A-Za-z0-9_-]+)<\/code>/.exec(page)![1];
    expect(await c.text('/account/tokens')).not.toContain(token); // shown once
    const [stored] = await sql(em(), 'select token_hash from api_token where user_id = ?', [u.id]);
    expect(stored.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect((await fetch(`${app.url}/jobs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    // A token limited to the observer assignment loses what only the NEC role grants (managing accounts).
    const [obs] = await sql(em(), `select id from role_assignment where user_id = ? and role = 'observer'`, [u.id]);
    await c.post('/account/tokens', { name: 'chỉ xem', assignmentId: obs.id });
    const limited = /<code>(bct_[A-Za-z0-9_-]+)<\/code>/.exec(await c.text('/account/tokens'))![1];
    const full = await fetch(`${app.url}/admin/users/new`, { headers: { authorization: `Bearer ${token}` } });
    expect(full.status).toBe(200);
    const narrow = await fetch(`${app.url}/admin/users/new`, { headers: { authorization: `Bearer ${limited}` } });
    expect(narrow.status).toBe(403);
    const [t] = await sql(em(), `select id from api_token where user_id = ? and assignment_id is null`, [u.id]);
    expect((await c.post(`/account/tokens/${t.id}/revoke`)).status).toBe(303);
    expect((await fetch(`${app.url}/jobs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});
