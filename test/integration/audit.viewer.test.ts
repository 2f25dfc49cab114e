// The audit viewer (issue 3 point 9) on the real application: a system administrator sees everything; filters (actor by
// username, action prefix, result, scope, time range) and pages work; a province official sees only events scoped to
// its province and cannot widen that with a foreign scope filter (IDOR); roles without core.audit.view get 403 and the
// denial is itself audited; the CSV export has a BOM and a header row, is CSV-injection safe, and follows the filters
// and the scope.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { parse } from 'csv-parse/sync';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { TestClient, createUser, type TestUser } from '../helpers/client.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { sql } from '../../core/persistence/db.js';
import { recordAudit, type AuditInput } from '../../core/audit/audit.service.js';
import { csvCell, vnIso, vnLocalTime, AUDIT_PAGE_SIZE } from '../../core/audit/audit.routes.js';
import { newId } from '../../core/shared/ids.js';

let app: TestApp;
const em = () => app.orm.em.fork();
const ELECTION = newId();

let admin: TestUser;
let prov: TestUser;
let formulaUser: TestUser;
let observer: TestUser;
let communeOfficial: TestUser;
let teamMember: TestUser;
const clients: Record<string, TestClient> = {};

async function seed(events: Partial<AuditInput>[]): Promise<void> {
  await em().transactional(async (tx) => {
    for (const e of events) await recordAudit(tx as EntityManager, { actor: 'system', result: 'success', action: 'test.x', ...e });
  });
}

/** Seq → target id of every event, to name what a page shows. */
async function labels(): Promise<Map<string, string>> {
  const rows = await sql<{ seq: string; target_id: string | null }>(em(), 'select seq::text as seq, target_id from audit_event');
  return new Map(rows.map((r) => [r.seq, r.target_id ?? `#${r.seq}`]));
}

/** The target ids of the events listed on a page, in page order. */
async function shown(html: string): Promise<string[]> {
  const names = await labels();
  return [...html.matchAll(/<li class="audit-item audit-\w+" id="e(\d+)">/g)].map((m) => names.get(m[1])!);
}

async function page(who: string, query: string): Promise<{ status: number; html: string; ids: string[] }> {
  const res = await clients[who].get('/admin/audit' + query);
  const html = await res.text();
  return { status: res.status, html, ids: res.status === 200 ? await shown(html) : [] };
}

async function csv(who: string, query: string): Promise<{ res: Response; bytes: Buffer; text: string; rows: string[][] }> {
  const res = await clients[who].get('/admin/audit/export.csv' + query);
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  const rows = res.status === 200 ? (parse(text, { bom: true, relax_column_count: false }) as string[][]) : [];
  return { res, bytes, text, rows };
}

const sorted = (a: string[]) => [...a].sort();
/** Handlebars escapes = & " ' ` < > in attributes and text. */
const decode = (html: string) => html.replace(/&#x3D;/g, '=').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&#x60;/g, '`')
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const ALL_SEEDED = ['P79', 'C26737', 'C26737E', 'P01', 'C00004', 'NOSCOPE', 'NATION', '@SUM(1)'];
const IN_79 = ['P79', 'C26737', 'C26737E', '@SUM(1)'];

beforeAll(async () => {
  app = await startTestApp('audit_viewer');
  await insertUnits(em(), referenceUnits(['79', '01']));
  admin = await createUser(em(), { username: 'quan-tri-nk', fullName: 'Quản Trị Viên', roles: [{ role: 'system-admin', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
  prov = await createUser(em(), { username: 'tinh-79', fullName: 'Trần Thị Tỉnh', roles: [{ role: 'province-official', scopeType: 'province', scopeCode: '79' }], totp: true });
  formulaUser = await createUser(em(), { username: 'cong-thuc', fullName: '=HYPERLINK("x")', roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: '26737' }] });
  observer = await createUser(em(), { username: 'quan-sat-79', roles: [{ role: 'observer', scopeType: 'province', scopeCode: '79', electionId: ELECTION }] });
  communeOfficial = await createUser(em(), { username: 'xa-26737', roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: '26737' }] });
  teamMember = await createUser(em(), { username: 'to-bau-cu', roles: [{ role: 'team-member', scopeType: 'polling-area', scopeCode: 'KV-01' }] });

  await seed([
    { targetId: 'P79', actor: prov.id, role: 'province-official', scope: 'province:79', action: 'test.viewer.users.create', targetType: 'user',
      after: { username: 'moi', note: '<script>alert(1)</script>' } },
    { targetId: 'C26737', actor: communeOfficial.id, role: 'commune-official', scope: 'commune:26737', action: 'test.viewer.users.disable', targetType: 'user' },
    { targetId: 'C26737E', actor: communeOfficial.id, role: 'commune-official', scope: `commune:26737@${ELECTION}`, action: 'test.viewer.count.submit', result: 'rejected' },
    { targetId: 'P01', actor: 'system', role: 'province-official', scope: 'province:01', action: 'test.viewer.users.create' },
    { targetId: 'C00004', role: 'commune-official', scope: 'commune:00004', action: 'test.viewer.users.unlock' },
    { targetId: 'NOSCOPE', actor: `login:${prov.username}`, action: 'test.viewer.auth.login', result: 'rejected', after: { reason: 'bad-password' } },
    { targetId: 'NATION', actor: admin.id, role: 'system-admin', scope: 'nation:VN', action: 'test.viewer.tree.import' },
    { targetId: '@SUM(1)', actor: formulaUser.id, role: 'commune-official', scope: `province:79@${ELECTION}`, action: 'test.viewer.formula', result: 'denied',
      targetType: '=cmd|calc', before: { '-': '+' }, after: { x: '=1+1' }, requestId: '+req', ip: '\t10.0.0.1', userAgent: '-2+3' },
  ]);

  for (const [name, u] of Object.entries({ admin, prov, observer, communeOfficial, teamMember })) {
    clients[name] = new TestClient(app.url);
    const res = await clients[name].login(u, em());
    expect(res.status, name).toBe(303);
  }
});

afterAll(async () => {
  await app?.close();
});

describe('filters and scope helpers', () => {
  it('reads datetime-local values as Vietnam time; "to" includes the typed minute, second or day', () => {
    expect(vnLocalTime('2026-05-24T14:30', 'start')!.toISOString()).toBe('2026-05-24T07:30:00.000Z');
    expect(vnLocalTime('2026-05-24T14:30', 'end')!.toISOString()).toBe('2026-05-24T07:31:00.000Z');
    expect(vnLocalTime('2026-05-24T14:30:05', 'end')!.toISOString()).toBe('2026-05-24T07:30:06.000Z');
    expect(vnLocalTime('2026-05-24', 'start')!.toISOString()).toBe('2026-05-23T17:00:00.000Z');
    expect(vnLocalTime('2026-05-24', 'end')!.toISOString()).toBe('2026-05-24T17:00:00.000Z');
    expect(vnLocalTime('2026-02-31T10:00', 'start')).toBeUndefined();
    expect(vnLocalTime('2026-05-24T25:00', 'start')).toBeUndefined();
    expect(vnLocalTime('24/05/2026', 'start')).toBeUndefined();
    expect(vnIso(new Date('2026-05-24T07:30:00.123Z'))).toBe('2026-05-24T14:30:00.123+07:00');
  });

  it('quotes every CSV field, doubles quotes, and defuses formula starts', () => {
    expect(csvCell('Nguyễn Văn "An"')).toBe('"Nguyễn Văn ""An"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    for (const s of ['+1', '-1', '@SUM(A1)', '\tx', '\rx']) expect(csvCell(s)).toBe(`"'${s}"`);
    expect(csvCell(' =1')).toBe('" =1"');
    expect(csvCell(null)).toBe('""');
    expect(csvCell(42)).toBe('"42"');
  });
});

describe('GET /admin/audit', () => {
  it('sends anonymous visitors to sign in', async () => {
    const res = await new TestClient(app.url).get('/admin/audit');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/auth/login?next=%2Fadmin%2Faudit');
    const csvRes = await new TestClient(app.url).get('/admin/audit/export.csv');
    expect(csvRes.status).toBe(303);
  });

  it('a system administrator sees every event, newest first, unscoped ones included', async () => {
    const p = await page('admin', '?action=test.viewer');
    expect(p.status).toBe(200);
    expect(sorted(p.ids)).toEqual(sorted(ALL_SEEDED));
    // Newest first: the reverse of the order recorded.
    expect(p.ids).toEqual([...ALL_SEEDED].reverse());
    expect(p.html).toContain('<h1>Nhật ký kiểm toán</h1>');
    expect(p.html).toContain('toàn bộ nhật ký');
    expect(p.html).toContain('8 sự kiện');
    // Actor names from app_user, unit names from admin_unit, the failed sign-in in words.
    expect(p.html).toContain('Trần Thị Tỉnh (tinh-79)');
    expect(p.html).toContain('Thành phố Hồ Chí Minh');
    expect(p.html).toContain('Phường Tân Định');
    expect(p.html).toContain('Đăng nhập sai: «tinh-79»');
    // Before/after pretty-printed and escaped.
    expect(p.html).toContain('&quot;note&quot;: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;');
    expect(p.html).not.toContain('<script>alert(1)');
    // Details of each event: seq, hash prefix, request id, IP, user agent.
    const [seq, hash] = (await sql<{ seq: string; hash: string }>(em(), `select seq::text as seq, hash from audit_event where target_id = '@SUM(1)'`)).map((r) => [r.seq, r.hash])[0];
    const item = p.html.slice(p.html.indexOf(`id="e${seq}"`));
    expect(item.slice(0, item.indexOf('</li>'))).toContain(hash.slice(0, 16));
    expect(item).toContain('+req');
    expect(item).toContain('-2+3');
    expect(item).toContain('<details>');
  });

  it('filters by actor username (its account and its failed sign-ins), action prefix, result, target and scope', async () => {
    expect(sorted((await page('admin', `?action=test.viewer&actor=${prov.username}`)).ids)).toEqual(['NOSCOPE', 'P79']);
    const byUpper = await page('admin', `?action=test.viewer&actor=${prov.username.toUpperCase()}`);
    expect(sorted(byUpper.ids)).toEqual(['NOSCOPE', 'P79']);
    expect(byUpper.html).toContain('Tài khoản «tinh-79»: Trần Thị Tỉnh');
    expect((await page('admin', `?action=test.viewer&actor=${prov.id}`)).ids).toContain('P79');
    const nobody = await page('admin', '?action=test.viewer&actor=khong-co-ai');
    expect(nobody.ids).toEqual([]);
    expect(nobody.html).toContain('Không có tài khoản tên «khong-co-ai»');

    expect(sorted((await page('admin', '?action=test.viewer.users')).ids)).toEqual(['C00004', 'C26737', 'P01', 'P79']);
    // LIKE wildcards typed by the user are literal.
    expect((await page('admin', '?action=test.viewer.%25')).ids).toEqual([]);
    expect((await page('admin', '?action=test_viewer')).ids).toEqual([]);
    expect(sorted((await page('admin', '?action=test.viewer&result=rejected')).ids)).toEqual(['C26737E', 'NOSCOPE']);
    expect((await page('admin', '?action=test.viewer&result=denied')).ids).toEqual(['@SUM(1)']);
    expect(sorted((await page('admin', '?action=test.viewer&targetType=user')).ids)).toEqual(['C26737', 'P79']);
    expect((await page('admin', '?targetId=C00004')).ids).toEqual(['C00004']);
    // A province filter covers its communes; the election suffix narrows.
    expect(sorted((await page('admin', '?action=test.viewer&scope=province:79')).ids)).toEqual(sorted(IN_79));
    expect(sorted((await page('admin', `?action=test.viewer&scope=province:79@${ELECTION}`)).ids)).toEqual(['@SUM(1)', 'C26737E']);
    expect((await page('admin', '?action=test.viewer&scope=nation:VN')).ids).toEqual(['NATION']);
  });

  it('refuses malformed filters with 400', async () => {
    expect((await page('admin', '?result=bogus')).status).toBe(400);
    const bad = await page('admin', '?from=2026-02-31T10:00');
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('«Từ thời điểm»');
    expect((await page('admin', '?actor=a&actor=b')).status).toBe(400);
  });

  it('filters by a time range given in Vietnam time', async () => {
    await seed([{ targetId: 'TA', action: 'test.time.a', scope: 'nation:VN' }]);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await sleep(1100);
    const boundary = new Date(Math.floor(Date.now() / 1000) * 1000);
    await sleep(1100);
    await seed([{ targetId: 'TB', action: 'test.time.b', scope: 'nation:VN' }]);
    const local = (d: Date) => vnIso(d).slice(0, 19); // YYYY-MM-DDTHH:MM:SS
    expect((await page('admin', `?action=test.time&from=${local(boundary)}`)).ids).toEqual(['TB']);
    expect((await page('admin', `?action=test.time&to=${local(new Date(boundary.getTime() - 1000))}`)).ids).toEqual(['TA']);
    expect(sorted((await page('admin', `?action=test.time&from=${local(new Date(boundary.getTime() - 60_000))}&to=${local(new Date(boundary.getTime() + 60_000))}`)).ids)).toEqual(['TA', 'TB']);
    // The form's own minute precision: tomorrow has nothing yet, and a range ending at the current minute includes it.
    const minute = (d: Date) => vnIso(d).slice(0, 16);
    expect((await page('admin', `?action=test.time&from=${minute(new Date(Date.now() + 86_400_000))}`)).ids).toEqual([]);
    expect(sorted((await page('admin', `?action=test.time&to=${minute(new Date())}`)).ids)).toEqual(['TA', 'TB']);
  });

  it('pages 50 at a time, newest first, keeping the filters in the links', async () => {
    await seed(Array.from({ length: 120 }, (_, i) => ({ targetId: `PG${String(i).padStart(3, '0')}`, action: 'test.page.item', scope: 'nation:VN' })));
    const p1 = await page('admin', '?action=test.page');
    expect(p1.ids).toHaveLength(AUDIT_PAGE_SIZE);
    expect(p1.ids[0]).toBe('PG119');
    expect(p1.html).toContain('120 sự kiện');
    expect(p1.html).toContain('Trang 1/3');
    expect(decode(p1.html)).toContain('href="/admin/audit?action=test.page&page=2"');
    const p2 = await page('admin', '?action=test.page&page=2');
    expect(p2.ids[0]).toBe('PG069');
    const p3 = await page('admin', '?action=test.page&page=3');
    expect(p3.ids).toHaveLength(20);
    expect(p3.ids.at(-1)).toBe('PG000');
    expect(new Set([...p1.ids, ...p2.ids, ...p3.ids]).size).toBe(120);
    // Past the end: the last page.
    expect((await page('admin', '?action=test.page&page=99')).ids).toEqual(p3.ids);
  });

  it('a province official sees only events scoped to its province and its communes', async () => {
    const p = await page('prov', '?action=test.viewer');
    expect(p.status).toBe(200);
    expect(sorted(p.ids)).toEqual(sorted(IN_79));
    expect(p.html).toContain('Thành phố Hồ Chí Minh và các xã, phường, đặc khu trực thuộc');
    // Unfiltered too: nothing from elsewhere, no unscoped event (its own sign-in included).
    const all = await page('prov', '');
    const seqs = [...all.html.matchAll(/ id="e(\d+)"/g)].map((m) => m[1]);
    expect(seqs.length).toBeGreaterThanOrEqual(IN_79.length);
    const scopes = await sql<{ scope: string | null }>(em(), `select scope from audit_event where seq in (${seqs.map(() => '?').join(', ')})`, seqs);
    for (const r of scopes) expect(r.scope ?? '').toMatch(/^(province:79|commune:26737)(@|$)/);
  });

  it('IDOR: a province official cannot widen its scope with filters', async () => {
    for (const scope of ['province:01', 'commune:00004', 'nation:VN', `province:01@${ELECTION}`, "province:79' or 1=1 --"]) {
      const p = await page('prov', `?scope=${encodeURIComponent(scope)}`);
      expect(p.status, scope).toBe(200);
      expect(p.ids, scope).toEqual([]);
    }
    // Filters on other fields only narrow within the scope.
    expect((await page('prov', '?targetId=P01')).ids).toEqual([]);
    expect((await page('prov', `?actor=${admin.username}`)).ids).toEqual([]);
    expect((await page('prov', '?result=rejected&action=test.viewer')).ids).toEqual(['C26737E']);
    expect(sorted((await page('prov', '?scope=commune:26737&action=test.viewer')).ids)).toEqual(['C26737', 'C26737E']);
    // The export likewise.
    const c = await csv('prov', '?scope=province:01');
    expect(c.res.status).toBe(200);
    expect(c.rows).toHaveLength(1);
  });

  it('an observer bound to an election sees only that election\'s events in its province', async () => {
    expect(sorted((await page('observer', '?action=test.viewer')).ids)).toEqual(['@SUM(1)', 'C26737E']);
  });

  it('a commune official and a team member get 403, and the denial is itself audited', async () => {
    for (const [who, u] of [['communeOfficial', communeOfficial], ['teamMember', teamMember]] as const) {
      const p = await page(who, '');
      expect(p.status, who).toBe(403);
      expect(p.html).toContain('Bạn không có quyền');
      expect((await clients[who].get('/admin/audit/export.csv')).status, who).toBe(403);
      const denials = await sql<{ after: { reason: string; url: string } }>(em(),
        `select after from audit_event where actor = ? and action = 'core.audit.view' and result = 'denied' order by seq`, [u.id]);
      expect(denials.map((d) => d.after.url)).toEqual(['/admin/audit', '/admin/audit/export.csv']);
      expect(denials[0].after.reason).toBe('no-permission');
    }
    // …and the administrator finds those denials in the viewer.
    const d = await page('admin', `?action=core.audit.view&result=denied&actor=${communeOfficial.username}`);
    expect(d.html).toContain('>Bị từ chối<');
    expect(d.html.match(/<li class="audit-item audit-denied"/g)).toHaveLength(2);
  });
});

describe('GET /admin/audit/export.csv', () => {
  it('is an attachment in UTF-8 with a BOM and a header row, CSV-injection safe', async () => {
    const c = await csv('admin', '?action=test.viewer');
    expect(c.res.status).toBe(200);
    expect(c.res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(c.res.headers.get('content-disposition')).toMatch(/^attachment; filename="nhat-ky-kiem-toan-\d{8}-\d{4}\.csv"$/);
    expect([...c.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [header, ...rows] = c.rows;
    expect(header).toEqual(['Số thứ tự', 'Thời gian (UTC+7)', 'Mã người thực hiện', 'Tên đăng nhập', 'Họ và tên', 'Vai trò', 'Phạm vi', 'Thao tác',
      'Loại đối tượng', 'Mã đối tượng', 'Kết quả', 'Trước (JSON)', 'Sau (JSON)', 'Mã yêu cầu', 'Địa chỉ IP', 'Trình duyệt', 'Mã băm']);
    expect(rows.map((r) => r[9])).toEqual([...ALL_SEEDED].reverse().map((s) => (s.startsWith('@') ? "'" + s : s)));
    // Every field quoted, CRLF line ends.
    expect(c.text.split('\r\n')[1]).toMatch(/^"\d+","\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00",/);
    const f = rows.find((r) => r[9] === "'@SUM(1)")!;
    expect(f[4]).toBe(`'=HYPERLINK("x")`); // the actor's full name, joined from app_user
    expect(c.text).toContain(`"'=HYPERLINK(""x"")"`);
    expect(f[8]).toBe("'=cmd|calc");
    expect(f[13]).toBe("'+req");
    expect(f[14]).toBe("'\t10.0.0.1");
    expect(f[15]).toBe("'-2+3");
    expect(JSON.parse(f[11])).toEqual({ '-': '+' });
    expect(JSON.parse(f[12])).toEqual({ x: '=1+1' });
    const hash = (await sql<{ hash: string }>(em(), `select hash from audit_event where target_id = '@SUM(1)'`))[0].hash;
    expect(f[16]).toBe(hash);
    // No cell anywhere starts with a formula character.
    for (const r of c.rows) for (const cell of r) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('follows the filters and the viewer\'s scope, and the export is audited', async () => {
    const rejected = await csv('admin', '?action=test.viewer&result=rejected');
    expect(sorted(rejected.rows.slice(1).map((r) => r[9]))).toEqual(['C26737E', 'NOSCOPE']);
    const mine = await csv('prov', '?action=test.viewer');
    expect(sorted(mine.rows.slice(1).map((r) => r[9]))).toEqual(sorted(IN_79.map((s) => (s.startsWith('@') ? "'" + s : s))));
    const en = await csv('admin', '?action=test.viewer.users&lang=en');
    expect(en.rows[0].slice(0, 3)).toEqual(['Sequence', 'Time (UTC+7)', 'Actor id']);
    expect(en.rows).toHaveLength(5);
    await clients.admin.get('/admin/audit?lang=vi'); // the language sticks in a cookie
    const [ev] = await sql<{ role: string; scope: string; after: { rows: number; filters: Record<string, string>; complete: boolean } }>(em(),
      `select role, scope, after from audit_event where action = 'core.audit.export' and actor = ? order by seq desc limit 1`, [prov.id]);
    expect(ev).toMatchObject({ role: 'province-official', scope: 'province:79', after: { rows: 4, filters: { action: 'test.viewer' }, complete: true } });
  });

  it('streams a larger export completely, in batches', async () => {
    await seed(Array.from({ length: 2500 }, (_, i) => ({ targetId: `BULK${i}`, action: 'test.bulk.item', scope: 'province:79', after: { i } })));
    const c = await csv('prov', '?action=test.bulk');
    expect(c.rows).toHaveLength(2501);
    expect(new Set(c.rows.slice(1).map((r) => r[0])).size).toBe(2500);
    const seqs = c.rows.slice(1).map((r) => Number(r[0]));
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
  });
});
