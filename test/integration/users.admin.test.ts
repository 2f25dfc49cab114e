// User administration end to end over HTTP (issue 3): delegated creation strictly below one's scope with a one-time
// password shown once; refusals (403, audited 'denied') out of scope, at the same rank, for administrators and by
// foreign ids in URLs or form fields; validation (400, Vietnamese field messages, audited 'rejected', nothing
// written); disable / enable / reset / unlock; the list (scope, accent-free search, pages, Vietnamese order); bulk
// creation from XLSX with a one-time-password sheet downloadable once. Real tree: 34 provinces, 3,321 communes.
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import ExcelJS from 'exceljs';
import { startTestApp, REFERENCE_DATA_DIR, type TestApp } from '../helpers/test-app.js';
import { waitReferenceImport } from '../helpers/admin-tree.js';
import { TestClient, createUser, type TestUser, type AssignmentSpec } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';
import { BULK_HEADERS } from '../../core/auth/users.routes.js';
import { compareVi, searchKey } from '../../core/shared/vn-text.js';

let app: TestApp;
const em = () => app.orm.em.fork();

/** A TestClient with its own client address, so failed sign-ins of one test never count against another's IP limit. */
let ipSeq = 0;
class Client extends TestClient {
  readonly ip = `10.79.${Math.floor(++ipSeq / 250)}.${(ipSeq % 250) + 1}`;
  override get(p: string, headers: Record<string, string> = {}): Promise<Response> {
    return super.get(p, { 'x-forwarded-for': this.ip, ...headers });
  }
  override post(p: string, form: Record<string, string> = {}, o: { csrf?: string | false; headers?: Record<string, string> } = {}): Promise<Response> {
    return super.post(p, form, { ...o, headers: { 'x-forwarded-for': this.ip, ...(o.headers ?? {}) } });
  }
  /** POSTs and asks for the JSON error body. */
  postJson(p: string, form: Record<string, string>): Promise<Response> {
    return this.post(p, form, { headers: { accept: 'application/json' } });
  }
  /** Uploads a file through the bulk form (multipart; the CSRF token travels in the query, as the form sends it). */
  async upload(p: string, fileName: string, content: Buffer, accept = 'text/html'): Promise<Response> {
    const token = await this.csrf();
    const fd = new FormData();
    fd.set('file', new Blob([new Uint8Array(content)], { type: XLSX }), fileName);
    return fetch(`${this.base}${p}?_csrf=${encodeURIComponent(token)}`, {
      method: 'POST', body: fd, redirect: 'manual',
      headers: { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'x-forwarded-for': this.ip, accept },
    });
  }
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const HCMC = '79';
/** Communes of Hồ Chí Minh City in the 2025 list (26734 is not a code there: it serves as the unknown one). */
const SAI_GON = '26740';
const BEN_THANH = '26743';
const TAN_DINH = '26737';
const THU_DAU_MOT = '25747';
const BA_DINH_HANOI = '00004';
const UNKNOWN_COMMUNE = '26734';
/** An expiry date that stays in the future whenever the test runs. */
const NEXT_YEAR = new Date().getFullYear() + 1;

const provinceOfficial: AssignmentSpec = { role: 'province-official', scopeType: 'province', scopeCode: HCMC };
const communeOfficial = (code: string): AssignmentSpec => ({ role: 'commune-official', scopeType: 'commune', scopeCode: code });

let official: TestUser; // province official of 79 (TOTP)
let po: Client; // signed in as `official`

interface AuditRow {
  seq: string;
  actor: string;
  role: string | null;
  scope: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  before: unknown;
  after: Record<string, unknown> | null;
  result: string;
}

async function lastSeq(): Promise<string> {
  const [r] = await sql<{ seq: string }>(em(), 'select coalesce(max(seq), 0)::text as seq from audit_event');
  return r.seq;
}

async function eventsSince(seq: string, action: string): Promise<AuditRow[]> {
  return sql<AuditRow>(em(), 'select seq::text, actor, role, scope, action, target_type, target_id, before, after, result from audit_event where seq > ? and action = ? order by seq', [seq, action]);
}

async function userByName(username: string) {
  const [u] = await sql<{ id: string; status: string; must_change_password: boolean; locked_until: Date | null }>(em(), 'select id, status, must_change_password, locked_until from app_user where username = ?', [username]);
  return u;
}

async function countUsers(): Promise<number> {
  const [r] = await sql<{ n: number }>(em(), 'select count(*)::int as n from app_user');
  return r.n;
}

let userSeq = 0;
const newUsername = (prefix = 'cb') => `${prefix}-${Date.now().toString(36)}-${++userSeq}`;

function newUserForm(over: Record<string, string> = {}): Record<string, string> {
  return { username: newUsername(), fullName: 'Lê Thị Hồng Nhung', phone: '0912 345 678', email: '', role: 'commune-official', scopeType: 'commune', scopeCode: SAI_GON, expiresAt: '', ...over };
}

async function signedIn(u: TestUser): Promise<Client> {
  const c = new Client(app.url);
  const r = await c.login(u, em());
  expect(r.status, await r.clone().text()).toBe(303);
  return c;
}

/** The one-time password on a user page, if shown. */
const shownPassword = (html: string) => /<p class="big"><code>([^<]+)<\/code><\/p>/.exec(html)?.[1];

beforeAll(async () => {
  app = await startTestApp('users_admin', { AUTO_IMPORT_REFERENCE: 'true' });
  const { communes } = await waitReferenceImport(app);
  expect(communes.status).toBe('succeeded');
  official = await createUser(em(), { roles: [provinceOfficial], totp: true, fullName: 'Trần Thị Thu Hà' });
  po = await signedIn(official);
  expect((await po.get('/admin/users')).status).toBe(200);
});
afterAll(async () => {
  await app?.close();
});

describe('creating an account within one\'s scope', () => {
  it('a provincial official creates a commune official: one-time password shown once, audited in the same transaction, forced change at first sign-in', async () => {
    const form = newUserForm({ scopeCode: SAI_GON, fullName: 'Phạm Văn Đức', expiresAt: `${NEXT_YEAR}-06-30` });
    const mark = await lastSeq();
    const res = await po.post('/admin/users', form);
    expect(res.status, await res.clone().text()).toBe(303);
    const loc = res.headers.get('location')!;
    expect(loc).toMatch(/^\/admin\/users\/[0-9a-f-]{36}$/);
    const id = loc.split('/').pop()!;

    const [row] = await sql<{ full_name: string; must_change_password: boolean; expires_at: Date; xmin: string }>(em(), 'select full_name, must_change_password, expires_at, xmin::text from app_user where id = ?', [id]);
    expect(row.full_name).toBe('Phạm Văn Đức');
    expect(row.must_change_password).toBe(true);
    expect(new Date(row.expires_at).toISOString()).toBe(`${NEXT_YEAR}-06-30T16:59:59.000Z`); // end of the day in Việt Nam
    const assignments = await sql<{ role: string; scope_type: string; scope_code: string; xmin: string }>(em(), 'select role, scope_type, scope_code, xmin::text from role_assignment where user_id = ?', [id]);
    expect(assignments.map(({ xmin: _x, ...a }) => a)).toEqual([{ role: 'commune-official', scope_type: 'commune', scope_code: SAI_GON }]);

    const events = await eventsSince(mark, 'core.users.create');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: official.id, role: 'province-official', scope: `province:${HCMC}`, result: 'success', target_type: 'user', target_id: id });
    expect(events[0].after).toMatchObject({ username: form.username, role: 'commune-official', scope: `commune:${SAI_GON}` });
    // Same transaction: the event was staged by the transaction that wrote the account (then chained in a batch right
    // after its commit, so the database records the staging transaction in staged_xid; docs/audit.md).
    const [ev] = await sql<{ xmin: string }>(em(), 'select staged_xid::text as xmin from audit_event where seq = ?', [events[0].seq]);
    expect(ev.xmin).toBe(row.xmin);
    expect(assignments[0].xmin).toBe(row.xmin);

    // The one-time password is on the first view of the page only, and the page is not cached.
    const first = await po.get(loc);
    expect(first.headers.get('cache-control')).toContain('no-store');
    const page = await first.text();
    expect(page).toContain('Mật khẩu một lần');
    const password = shownPassword(page)!;
    expect(password).toMatch(/^[A-Za-z2-9]{14}$/);
    const second = await po.text(loc);
    expect(second).toContain('Phạm Văn Đức');
    expect(shownPassword(second)).toBeUndefined();
    expect(second).not.toContain(password);

    // First sign-in: the new official must choose a password before anything else.
    const c = new Client(app.url);
    const login = await c.post('/auth/login', { username: form.username, password });
    expect(login.headers.get('location')).toBe('/auth/password');
    expect((await c.get('/admin/users')).headers.get('location')).toBe('/auth/password');
    const changed = await c.post('/auth/password', { current: password, password: 'Mat-khau-cua-Duc-2026', password2: 'Mat-khau-cua-Duc-2026' });
    expect(changed.headers.get('location')).toBe('/');
    expect((await c.get('/admin/users')).status).toBe(200);
    expect((await userByName(form.username)).must_change_password).toBe(false);
  });

  it('the HTML form comes back with the typed values and a Vietnamese message next to the field', async () => {
    const before = await countUsers();
    const form = newUserForm({ username: 'Tên Có Dấu', fullName: 'Võ Thị Sáu' });
    const res = await po.post('/admin/users', form);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('<form method="post" action="/admin/users"');
    expect(html).toContain('value="Võ Thị Sáu"');
    expect(html).toContain('Tên đăng nhập phải có 3–40 ký tự');
    expect(html).toMatch(/id="username"[^>]*aria-invalid="true"/);
    const unknown = await (await po.post('/admin/users', newUserForm({ isAdmin: 'true' }))).text();
    expect(unknown).toContain('Trường «isAdmin» không được chấp nhận.');
    expect(await countUsers()).toBe(before);
  });
});

describe('refusals: 403, audited as denied, nothing written', () => {
  async function refused(c: Client, form: Record<string, string>, reason?: string) {
    const before = await countUsers();
    const mark = await lastSeq();
    const res = await c.post('/admin/users', form);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Bạn không có quyền thực hiện thao tác này trong phạm vi được giao.');
    expect(await countUsers()).toBe(before);
    expect(await userByName(form.username)).toBeUndefined();
    const events = await eventsSince(mark, 'core.users.create');
    expect(events.map((e) => e.result)).toEqual(['denied']);
    if (reason) expect(events[0].after).toMatchObject({ reason });
    return events[0];
  }

  it('a provincial official: a commune of another province', async () => {
    const e = await refused(po, newUserForm({ scopeCode: BA_DINH_HANOI }), 'out-of-scope');
    expect(e).toMatchObject({ actor: official.id, target_type: 'commune', target_id: BA_DINH_HANOI });
  });

  it('a provincial official: another provincial official of its own province (same rank, not strictly below)', async () => {
    await refused(po, newUserForm({ role: 'province-official', scopeType: 'province', scopeCode: HCMC }), 'out-of-scope');
  });

  it('a provincial official: a system administrator', async () => {
    const e = await refused(po, newUserForm({ role: 'system-admin', scopeType: 'nation', scopeCode: 'VN' }), 'no-permission');
    expect(e.after).toMatchObject({ permission: 'core.users.create-admin' });
  });

  it('a commune official: another commune official of its own commune', async () => {
    const a = await createUser(em(), { roles: [communeOfficial(SAI_GON)], fullName: 'Đinh Công Tráng' });
    await refused(await signedIn(a), newUserForm({ scopeCode: SAI_GON }), 'out-of-scope');
  });

  it('a commune official cannot see or change a user of another commune through URL ids (IDOR)', async () => {
    const a = await createUser(em(), { roles: [communeOfficial(SAI_GON)], fullName: 'Hồ Văn Huê' });
    const b = await createUser(em(), { roles: [communeOfficial(BEN_THANH)], fullName: 'Lý Thị Bến' });
    const ca = await signedIn(a);
    const show = await ca.get(`/admin/users/${b.id}`);
    expect(show.status).toBe(404);
    expect(await show.text()).not.toContain('Lý Thị Bến');
    for (const action of ['disable', 'reset-password', 'unlock', 'enable']) {
      const mark = await lastSeq();
      const r = await ca.post(`/admin/users/${b.id}/${action}`);
      expect(r.status, action).toBe(403);
      const events = await eventsSince(mark, `core.users.${action}`);
      expect(events.map((e) => e.result), action).toEqual(['denied']);
    }
    const [row] = await sql<{ status: string; password_hash: string }>(em(), 'select status, password_hash from app_user where id = ?', [b.id]);
    expect(row.status).toBe('active');
    expect(await signedIn(b)).toBeTruthy(); // password unchanged
    // A peer in its own commune is visible (read) but not manageable (same rank).
    const peer = await createUser(em(), { roles: [communeOfficial(SAI_GON)], fullName: 'Cao Thắng' });
    const peerPage = await ca.text(`/admin/users/${peer.id}`);
    expect(peerPage).toContain('Cao Thắng');
    expect(peerPage).not.toContain(`/admin/users/${peer.id}/disable`);
    expect((await ca.post(`/admin/users/${peer.id}/disable`)).status).toBe(403);
    // A provincial official of 79 does not see a user of Hà Nội either.
    const hanoi = await createUser(em(), { roles: [communeOfficial(BA_DINH_HANOI)] });
    expect((await po.get(`/admin/users/${hanoi.id}`)).status).toBe(404);
    expect((await po.post(`/admin/users/${hanoi.id}/disable`)).status).toBe(403);
    // Ids that are not ids.
    expect((await ca.get('/admin/users/not-a-uuid')).status).toBe(404);
  });

  it('nor through form fields: a role for a foreign scope code', async () => {
    const a = await createUser(em(), { roles: [communeOfficial(SAI_GON)] });
    const peer = await createUser(em(), { roles: [communeOfficial(SAI_GON)] });
    const ca = await signedIn(a);
    const mark = await lastSeq();
    expect((await ca.post(`/admin/users/${peer.id}/assignments`, { role: 'observer', scopeType: 'commune', scopeCode: BEN_THANH })).status).toBe(403);
    // The provincial official manages a commune official of 79, but cannot give it a role in Hà Nội…
    const u = await createUser(em(), { roles: [communeOfficial(TAN_DINH)] });
    expect((await po.post(`/admin/users/${u.id}/assignments`, { role: 'commune-official', scopeType: 'commune', scopeCode: BA_DINH_HANOI })).status).toBe(403);
    // …nor its own rank, nor a field smuggled into the path's user (the id in the body is the path's).
    expect((await po.post(`/admin/users/${u.id}/assignments`, { role: 'province-official', scopeType: 'province', scopeCode: HCMC })).status).toBe(403);
    const events = await eventsSince(mark, 'core.users.assign');
    expect(events.map((e) => e.result)).toEqual(['denied', 'denied', 'denied']);
    const [{ n }] = await sql<{ n: number }>(em(), 'select count(*)::int as n from role_assignment where user_id in (?, ?)', [peer.id, u.id]);
    expect(n).toBe(2);
    // Within its scope it can.
    expect((await po.post(`/admin/users/${u.id}/assignments`, { role: 'observer', scopeType: 'commune', scopeCode: BEN_THANH })).status).toBe(303);
    expect((await eventsSince(mark, 'core.users.assign')).map((e) => e.result)).toEqual(['denied', 'denied', 'denied', 'success']);
  });
});

describe('validation: 400 with Vietnamese field messages, nothing written, audited as rejected', () => {
  async function rejected(form: Record<string, string>, field: string | { code: string }, message: string | RegExp) {
    const before = await countUsers();
    const mark = await lastSeq();
    const res = await po.postJson('/admin/users', form);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; details: { field?: string; code: string; message: string }[] } };
    expect(body.error.message).toBe('Dữ liệu nhập chưa hợp lệ. Vui lòng kiểm tra các trường được đánh dấu.');
    const detail = body.error.details.find((d) => (typeof field === 'string' ? d.field === field : d.code === field.code));
    expect(detail, JSON.stringify(body.error.details)).toBeTruthy();
    if (typeof message === 'string') expect(detail!.message).toBe(message);
    else expect(detail!.message).toMatch(message);
    expect(await countUsers()).toBe(before);
    const events = await eventsSince(mark, 'core.users.create');
    expect(events.map((e) => e.result)).toEqual(['rejected']);
    expect(await eventsSince(mark, 'core.users.create').then((es) => es.filter((e) => e.result === 'success'))).toEqual([]);
    return events[0];
  }

  it('a username with capitals, accents or spaces', async () => {
    // API clients get the pipeline's generic field message; the HTML form gives the rule (test above).
    await rejected(newUserForm({ username: 'Nguyễn Văn A' }), 'username', 'Trường «username» không hợp lệ.');
  });

  it('a username already taken (whatever the case)', async () => {
    const taken = await createUser(em(), { roles: [communeOfficial(SAI_GON)] });
    await rejected(newUserForm({ username: taken.username.toUpperCase() }), 'username', `Tên đăng nhập «${taken.username}» đã được dùng.`);
  });

  it('an unknown scope code', async () => {
    const e = await rejected(newUserForm({ scopeCode: UNKNOWN_COMMUNE }), 'scopeCode', `Không có đơn vị với mã «${UNKNOWN_COMMUNE}».`);
    expect(e.after).toMatchObject({ code: 'USER_INVALID' });
  });

  it('an expiry date in the past', async () => {
    await rejected(newUserForm({ expiresAt: '2020-01-31' }), 'expiresAt', 'Ngày hết hạn phải sau hôm nay.');
  });

  it('a field the form does not have', async () => {
    // The JSON detail does not name the key (core/http/endpoint.ts zodIssues: zod puts unknown keys in `keys`, not
    // `path`); the HTML form names it (next test).
    await rejected(newUserForm({ isAdmin: 'true' }), { code: 'INPUT_UNRECOGNIZED_KEYS' }, /^Trường «.*» không được chấp nhận\.$/);
  });
});

describe('managing an account', () => {
  it('disabling ends the account\'s sessions at once; enabling lets it back in', async () => {
    const u = await createUser(em(), { roles: [communeOfficial(TAN_DINH)], fullName: 'Mai Thị Lựu' });
    const cu = await signedIn(u);
    expect((await cu.get('/account')).status).toBe(200);
    const mark = await lastSeq();
    const r = await po.post(`/admin/users/${u.id}/disable`);
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`/admin/users/${u.id}`);
    const next = await cu.get('/account');
    expect(next.status).toBe(303);
    expect(next.headers.get('location')).toContain('/auth/login');
    const again = await new Client(app.url).post('/auth/login', { username: u.username, password: u.password });
    expect(again.status).toBe(401);
    expect(await again.text()).toContain('Tài khoản đã bị khóa hoặc hết hạn sử dụng');
    const page = await po.text(`/admin/users/${u.id}`);
    expect(page).toContain('Đã khóa tài khoản; mọi phiên đăng nhập của tài khoản đã kết thúc.');
    expect(page).toContain(`/admin/users/${u.id}/enable`);

    expect((await po.post(`/admin/users/${u.id}/enable`)).status).toBe(303);
    expect((await userByName(u.username)).status).toBe('active');
    expect((await (await signedIn(u)).get('/account')).status).toBe(200);
    const events = [...(await eventsSince(mark, 'core.users.disable')), ...(await eventsSince(mark, 'core.users.enable'))];
    expect(events.map((e) => [e.action, e.result, e.before, e.after])).toEqual([
      ['core.users.disable', 'success', { status: 'active' }, { status: 'disabled' }],
      ['core.users.enable', 'success', { status: 'disabled' }, { status: 'active' }],
    ]);
  });

  it('resetting the password shows a new one-time password once and ends the account\'s sessions', async () => {
    const u = await createUser(em(), { roles: [communeOfficial(TAN_DINH)], fullName: 'Ngô Gia Tự' });
    const cu = await signedIn(u);
    const r = await po.post(`/admin/users/${u.id}/reset-password`);
    expect(r.status).toBe(303);
    expect((await cu.get('/account')).status).toBe(303);
    const password = shownPassword(await po.text(`/admin/users/${u.id}`))!;
    expect(password).toMatch(/^[A-Za-z2-9]{14}$/);
    expect(shownPassword(await po.text(`/admin/users/${u.id}`))).toBeUndefined();
    expect((await new Client(app.url).post('/auth/login', { username: u.username, password: u.password })).status).toBe(401);
    const c = new Client(app.url);
    expect((await c.post('/auth/login', { username: u.username, password })).headers.get('location')).toBe('/auth/password');
  });

  it('unlocks an account locked after 5 wrong passwords', async () => {
    const u = await createUser(em(), { roles: [communeOfficial(TAN_DINH)], fullName: 'Tôn Đức Thắng' });
    const c = new Client(app.url);
    for (let i = 0; i < 5; i++) await c.post('/auth/login', { username: u.username, password: 'sai-mat-khau-123' });
    const locked = await c.post('/auth/login', { username: u.username, password: u.password });
    expect(locked.status).toBe(401);
    expect(await locked.text()).toContain('tạm khóa');
    const page = await po.text(`/admin/users/${u.id}`);
    expect(page).toContain('Tạm khóa đăng nhập đến');
    expect(page).toContain(`/admin/users/${u.id}/unlock`);
    const mark = await lastSeq();
    expect((await po.post(`/admin/users/${u.id}/unlock`)).status).toBe(303);
    expect((await eventsSince(mark, 'core.users.unlock')).map((e) => e.result)).toEqual(['success']);
    expect((await userByName(u.username)).locked_until).toBeNull();
    expect((await c.post('/auth/login', { username: u.username, password: u.password })).status).toBe(303);
  }, 30_000);
});

describe('the list of accounts', () => {
  // Hand-checked Vietnamese order: a < ă < â, d < đ, u < ư; tones only break ties (ngang, huyền, hỏi, ngã, sắc, nặng).
  const ORDERED = ['An Thị Bé', 'Ân Văn Hòa', 'Bùi Văn Long', 'Dương Thị Mai', 'Đặng Văn Nam', 'Lê Văn Ba', 'Lê Văn Bà', 'Lê Văn Bá', 'Uông Thị Oanh', 'Ưng Văn Phúc'];
  const SURNAMES = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Võ', 'Đỗ', 'Hồ', 'Ngô', 'Nguyễn'];
  const MIDDLES = ['Văn', 'Thị', 'Hữu', 'Ngọc', 'Văn'];
  const GIVEN = ['Anh', 'Bích', 'Cúc', 'Dũng', 'Đào', 'Giang', 'Hạnh', 'Khoa', 'Lan', 'Lộc', 'Minh', 'Nga', 'Phương', 'Quân', 'Sơn', 'Thảo', 'Trí', 'Vân', 'Xuân', 'Yến'];
  const names: string[] = [];
  let lister: Client;

  beforeAll(async () => {
    for (let i = 0; names.length < 46; i++) {
      const n = `${SURNAMES[i % SURNAMES.length]} ${MIDDLES[i % MIDDLES.length]} ${GIVEN[i % GIVEN.length]}`;
      if (!names.includes(n)) names.push(n);
    }
    names.push(...ORDERED);
    const me = await createUser(em(), { roles: [communeOfficial(THU_DAU_MOT)], fullName: 'Huỳnh Tấn Phát' });
    names.push('Huỳnh Tấn Phát');
    await Promise.all(names.slice(0, -1).map((fullName) => createUser(em(), { roles: [communeOfficial(THU_DAU_MOT)], fullName })));
    // Outside the commune (same province, another province): never listed for the commune official.
    await createUser(em(), { roles: [communeOfficial(BEN_THANH)], fullName: 'Nguyễn Văn Bến Thành' });
    await createUser(em(), { roles: [communeOfficial(BA_DINH_HANOI)], fullName: 'Nguyễn Văn Hà Nội' });
    lister = await signedIn(me);
  });

  const listed = (html: string) => [...html.matchAll(/<tr><td><a href="\/admin\/users\/[0-9a-f-]{36}">([^<]+)<\/a><\/td>/g)].map((m) => m[1]);

  it('shows only accounts within the official\'s scope, 50 a page', async () => {
    expect(names).toHaveLength(57);
    const p1 = await lister.text('/admin/users');
    expect(listed(p1)).toHaveLength(50);
    expect(p1).toContain('Trang 1/2 · 57 mục');
    const p2 = await lister.text('/admin/users?page=2');
    expect(listed(p2)).toHaveLength(7);
    expect(p2).toContain('Trang 2/2 · 57 mục');
    expect(new Set([...listed(p1), ...listed(p2)])).toEqual(new Set(names));
    // The provincial official sees them too, and those of Bến Thành, but not Hà Nội's.
    expect(listed(await po.text('/admin/users?q=nguyen+van+ben+thanh'))).toEqual(['Nguyễn Văn Bến Thành']);
    expect(listed(await po.text('/admin/users?q=nguyen+van+ha+noi'))).toEqual([]);
  });

  it('sorts by name in Vietnamese dictionary order, both ways', async () => {
    const asc = [...listed(await lister.text('/admin/users?sort=name')), ...listed(await lister.text('/admin/users?sort=name&page=2'))];
    expect(asc).toEqual([...names].sort(compareVi));
    expect(asc.filter((n) => ORDERED.includes(n))).toEqual(ORDERED);
    const desc = listed(await lister.text('/admin/users?sort=name&dir=desc&size=100'));
    expect(desc).toEqual([...names].sort(compareVi).reverse());
  });

  it('finds "Nguyễn Văn …" when "nguyen van" is typed without accents', async () => {
    const html = await lister.text('/admin/users?q=nguyen+van&size=100');
    const found = listed(html);
    const expected = names.filter((n) => searchKey(n).includes('nguyen van'));
    expect(expected.length).toBeGreaterThan(2);
    expect(found.sort(compareVi)).toEqual(expected.sort(compareVi));
    expect(found).not.toContain('Nguyễn Văn Bến Thành');
    expect(listed(await lister.text('/admin/users?q=' + encodeURIComponent('UÔNG thị oanh')))).toEqual(['Uông Thị Oanh']);
    // LIKE wildcards typed by the user are plain characters.
    expect(listed(await lister.text('/admin/users?q=%25'))).toEqual([]);
  });
});

describe('bulk creation from an XLSX file', () => {
  const hcmc = fs.readFileSync(path.join(REFERENCE_DATA_DIR, 'admin_units_2025.csv'), 'utf8').split('\n').slice(1)
    .map((l) => l.split(',')).filter((c) => c[0] === HCMC).map((c) => ({ code: c[3], name: c[4] }));

  async function workbook(rows: string[][], headers: string[] = BULK_HEADERS): Promise<Buffer> {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Tài khoản');
    ws.addRow(headers);
    for (const r of rows) ws.addRow(r);
    return Buffer.from(await wb.xlsx.writeBuffer());
  }
  const row = (username: string, fullName: string, code: string, role = 'commune-official', scopeType = 'commune'): string[] =>
    [username, fullName, '028 3829 1234', `${username}@hcmc.example.vn`, role, scopeType, code, `${NEXT_YEAR}-12-31`];

  it('creates the 168 commune officials of Hồ Chí Minh City; the one-time password sheet downloads once and its passwords sign in', async () => {
    expect(hcmc).toHaveLength(168);
    const file = await workbook(hcmc.map((u) => row(`ubbc-${u.code}`, `Cán bộ UBBC ${u.name}`, u.code)));
    const before = await countUsers();
    const mark = await lastSeq();
    const res = await po.upload('/admin/users/bulk', 'tai-khoan-hcm.xlsx', file);
    expect(res.status, await res.clone().text()).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/users/bulk');
    expect(await countUsers()).toBe(before + 168);
    const events = await eventsSince(mark, 'core.users.bulk-create');
    expect(events.map((e) => e.result)).toEqual(['success']);
    expect(events[0].after).toMatchObject({ count: 168 });

    const page = await po.text('/admin/users/bulk');
    const link = /href="(\/admin\/users\/bulk\/[0-9a-f-]{36}\/passwords\.xlsx)"/.exec(page)?.[1];
    expect(link, page).toBeTruthy();
    // Only its creator can fetch it.
    expect((await (await signedIn(await createUser(em(), { roles: [provinceOfficial], totp: true }))).get(link!)).status).toBe(404);
    const dl = await po.get(link!);
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toContain(XLSX);
    expect(dl.headers.get('cache-control')).toContain('no-store');
    const buf = Buffer.from(await dl.arrayBuffer());
    expect((await po.get(link!)).status).toBe(404);
    expect(await po.text('/admin/users/bulk')).not.toContain('/passwords.xlsx');

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    const sheet: { username: string; password: string; scope: string }[] = [];
    ws.eachRow((r, n) => {
      if (n > 1) sheet.push({ username: String(r.getCell(1).value), scope: String(r.getCell(3).value), password: String(r.getCell(4).value) });
    });
    expect(sheet).toHaveLength(168);
    expect(new Set(sheet.map((s) => s.username))).toEqual(new Set(hcmc.map((u) => `ubbc-${u.code}`)));
    expect(new Set(sheet.map((s) => s.password)).size).toBe(168);
    for (const s of [sheet[0], sheet[167]]) {
      const c = new Client(app.url);
      const r = await c.post('/auth/login', { username: s.username, password: s.password });
      expect(r.headers.get('location'), s.username).toBe('/auth/password');
    }
    const [{ n }] = await sql<{ n: number }>(em(), `select count(*)::int as n from app_user u join role_assignment ra on ra.user_id = u.id
      where u.username like 'ubbc-%' and u.must_change_password and ra.role = 'commune-official' and ra.scope_type = 'commune'
      and ra.scope_code in (select code from admin_unit where parent_code = ? and valid_to is null)`, [HCMC]);
    expect(n).toBe(168);
  }, 120_000);

  it('a file with bad rows creates nothing and reports each problem by row and column in Vietnamese', async () => {
    const existing = await createUser(em(), { roles: [communeOfficial(SAI_GON)] });
    const tag = Date.now().toString(36);
    const file = await workbook([
      row(`ok-${tag}-1`, 'Trương Văn Đúng', SAI_GON),
      row(`ha-noi-${tag}`, 'Đoàn Thị Hà', BA_DINH_HANOI), // row 3: another province
      row(existing.username, 'Trùng Tên', BEN_THANH), // row 4: username taken
      row(`ok-${tag}-2`, 'Lại Văn Sai', TAN_DINH, 'chu-tich'), // row 5: no such role
      row(`ok-${tag}-1`, 'Lặp Lại', TAN_DINH), // row 6: twice in the file
      row(`admin-${tag}`, 'Quản Trị', 'VN', 'system-admin', 'nation'), // row 7: administrators one at a time
    ]);
    const before = await countUsers();
    const mark = await lastSeq();
    const res = await po.upload('/admin/users/bulk', 'co-loi.xlsx', file, 'application/json');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; details: { row: number; column: string; message: string }[] } };
    expect(body.error.message).toBe('Có 5 lỗi trong tệp; chưa tạo tài khoản nào. Sửa các dòng dưới đây rồi tải lên lại.');
    const report = body.error.details.map((d) => [d.row, d.column, d.message]);
    expect(report).toEqual([
      [3, 'Mã phạm vi', 'Bạn chỉ tạo được tài khoản cho đơn vị cấp dưới trong phạm vi của mình, với vai trò thấp hơn.'],
      [4, 'Tên đăng nhập', `Tên đăng nhập «${existing.username}» đã được dùng.`],
      [5, 'Vai trò', 'Vai trò không hợp lệ (xem trang Hướng dẫn trong mẫu).'],
      [6, 'Tên đăng nhập', `Tên đăng nhập «ok-${tag}-1» lặp lại trong tệp.`],
      [7, 'Vai trò', 'Tài khoản quản trị (Quản trị hệ thống, Cán bộ Hội đồng bầu cử quốc gia) được tạo từng tài khoản một, có xác nhận hai lớp.'],
    ]);
    expect(await countUsers()).toBe(before);
    expect(await userByName(`ok-${tag}-1`)).toBeUndefined();
    expect((await eventsSince(mark, 'core.users.bulk-create')).map((e) => e.result)).toEqual(['rejected']);

    // In the browser: the bulk page again, with a table of the problems.
    const html = await (await po.upload('/admin/users/bulk', 'co-loi.xlsx', file)).text();
    expect(html).toContain('<table class="table issues-table">');
    expect(html).toMatch(/<td class="num">3<\/td>\s*<td>Mã phạm vi<\/td>/);
    expect(html).toContain('enctype="multipart/form-data"');
  });

  it('a file that is not a workbook, or has the wrong header row, gets a clear message', async () => {
    const notXlsx = await po.upload('/admin/users/bulk', 'danh-sach.xlsx', Buffer.from('Tên đăng nhập;Họ và tên\nabc;Nguyễn Văn A\n', 'utf8'), 'application/json');
    expect(notXlsx.status).toBe(400);
    expect(((await notXlsx.json()) as { error: { message: string } }).error.message).toBe('Tệp không phải bảng tính Excel (.xlsx) đọc được.');
    const header = await po.upload('/admin/users/bulk', 'sai-tieu-de.xlsx', await workbook([row('abc-def', 'Nguyễn Văn A', SAI_GON)], ['username', ...BULK_HEADERS.slice(1)]), 'application/json');
    expect(header.status).toBe(400);
    expect(((await header.json()) as { error: { message: string } }).error.message).toContain('Dòng tiêu đề không đúng mẫu');
    const empty = await po.upload('/admin/users/bulk', 'trong.xlsx', await workbook([]), 'application/json');
    expect(((await empty.json()) as { error: { message: string } }).error.message).toBe('Tệp không có dòng dữ liệu nào.');
    // Over the 5 MB limit: refused by the upload middleware before the pipeline, audited all the same.
    const mark = await lastSeq();
    const big = await po.upload('/admin/users/bulk', 'qua-lon.xlsx', Buffer.alloc(6 * 1024 * 1024, 1), 'application/json');
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { message: string } }).error.message).toBe('Tệp lớn quá 5 MB.');
    expect((await eventsSince(mark, 'core.users.bulk-create')).map((e) => [e.result, e.after])).toEqual([['rejected', { code: 'BULK_TOO_LARGE', multer: 'LIMIT_FILE_SIZE' }]]);
  });
});
