// The candidate import through HTTP (upload → job → report) on the real app: the template (Vietnamese headers,
// XLSX and CSV) imports as it is; a file with bad rows is rejected with every problem by row and column and writes
// nothing (rule 12: under 21 on election day; rule 17: the same person on two units' lists); a good file, imported
// again, changes nothing; an XLSX file goes the same way; an import outside the uploader's scope is refused.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.js';
import { TestClient, createUser } from '../helpers/client.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import { COLUMNS, type ColumnId } from '../../core/elections/candidates/import-format.js';

let app: TestApp;
const em = () => app.orm.em.fork();
const HANOI = '01';
const ACCEPT_JSON = { accept: 'application/json' };
let electionId: string;
let nec: TestClient;
let communeOfficial: TestClient;
let communes: string[] = [];

interface RunJson { status: string; summary: Record<string, any>; errorCount: number; errors: { row?: number; column?: string; code: string; message: string }[] }

async function upload(c: TestClient, o: { fileName: string; content: Buffer | string; scope?: string }): Promise<{ status: number; runId?: string; body?: string }> {
  const html = await (await c.get(`/elections/${electionId}/candidate-lists/import`)).text();
  const token = /name="_csrf" value="([^"]*)"/.exec(html)?.[1] ?? '';
  const fd = new FormData();
  fd.set('_csrf', token);
  if (o.scope) fd.set('scope', o.scope);
  const bytes = typeof o.content === 'string' ? Buffer.from(o.content, 'utf8') : o.content;
  fd.set('file', new Blob([new Uint8Array(bytes)]), o.fileName);
  const res = await fetch(`${c.base}/elections/${electionId}/candidate-lists/import?_csrf=${encodeURIComponent(token)}`, {
    method: 'POST', body: fd, redirect: 'manual', headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '), origin: c.base },
  });
  const m = /\/imports\/([0-9a-f-]{36})$/.exec(res.headers.get('location') ?? '');
  return { status: res.status, runId: m?.[1], body: m ? undefined : await res.text() };
}

async function run(c: TestClient, o: { fileName: string; content: Buffer | string; scope?: string }): Promise<RunJson> {
  const up = await upload(c, o);
  expect(up.status, up.body?.slice(0, 300)).toBe(303);
  return waitFor(async () => {
    const j = (await (await c.get(`/elections/${electionId}/candidate-lists/imports/${up.runId}`, ACCEPT_JSON)).json()) as RunJson;
    return ['succeeded', 'rejected', 'failed'].includes(j.status) ? j : undefined;
  }, 60_000, 100);
}

const cell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
function csv(rows: Partial<Record<ColumnId, string>>[]): string {
  return [COLUMNS.map((c) => cell(c.vi)).join(','), ...rows.map((r) => COLUMNS.map((c) => cell(r[c.id] ?? '')).join(','))].join('\n') + '\n';
}
const person = (ref: string, extra: Partial<Record<ColumnId, string>> = {}): Partial<Record<ColumnId, string>> => ({
  external_ref: ref, contest: 'HĐND xã', council_code: communes[0], full_name: `Nguyễn Văn ${ref}`, date_of_birth: '01/02/1980', gender: 'Nam',
  ethnicity: 'Kinh', religion: 'Không', party_joined: 'Không', nominated_by: 'Địa phương', ...extra,
});
const count = async () => (await sql<{ n: number }>(em(), `select count(*)::int as n from candidate where election_id = ?`, [electionId]))[0].n;

beforeAll(async () => {
  app = await startTestApp('candidates-import');
  const tree = referenceUnits([HANOI]);
  await insertUnits(em(), tree);
  communes = tree.filter((u) => u.level === 'commune').map((u) => u.code).sort().slice(0, 2);
  electionId = newId();
  await sql(em(), `insert into election (id, name, election_day, status) values (?, 'Thử: nhập người ứng cử', '2026-03-15', 'nomination')`, [electionId]);
  for (const c of ['national-assembly', 'provincial-council', 'commune-council']) await sql(em(), `insert into plugin_state (election_id, plugin_id, enabled) values (?, ?, true)`, [electionId, c]);
  const unit = (contest: string, level: string, parent: string, n: number) => sql(em(), `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name) values (?, ?, ?, ?, ?, ?, 3, ?)`,
    [newId(), electionId, contest, level, parent, n, `Đơn vị bầu cử số ${n}`]);
  await unit('national-assembly', 'province', HANOI, 1);
  for (const c of communes) for (const n of [1, 2]) await unit('commune-council', 'commune', c, n);
  const u = await createUser(em(), { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
  nec = new TestClient(app.url);
  await nec.login(u, em());
  const co = await createUser(em(), { roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: communes[1] }] });
  communeOfficial = new TestClient(app.url);
  await communeOfficial.login(co, em());
});

afterAll(async () => {
  await app?.close();
});

describe('the template', () => {
  it('XLSX and CSV templates have the Vietnamese headers; the XLSX imports as it is (its sample rows)', async () => {
    const x = await nec.get(`/elections/${electionId}/candidate-lists/import/template.xlsx`);
    expect(x.status).toBe(200);
    const buf = Buffer.from(await x.arrayBuffer());
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buf as any);
    expect(wb.worksheets[0].getRow(1).values).toEqual([undefined, ...COLUMNS.map((c) => c.vi)]);
    const c = await (await nec.get(`/elections/${electionId}/candidate-lists/import/template.csv`)).text();
    expect((parse(c.replace(/^\ufeff/, '')) as string[][])[0]).toEqual(COLUMNS.map((k) => k.vi));
    // The sample rows name real codes (Hà Nội 01, commune 00004): the template imports into this election.
    const r = await run(nec, { fileName: 'mau.xlsx', content: buf });
    expect(r.status, JSON.stringify(r.errors)).toBe('succeeded');
    expect(r.summary).toMatchObject({ added: 2, changed: 0 });
  });
});

describe('bad rows: every problem by row and column, nothing written', () => {
  it('rule 12 and rule 17 in a file: missing name, bad gender, under 21, unknown council, unknown unit, repeated reference, one person on two units → rejected, nothing written', async () => {
    const before = await count();
    const r = await run(nec, {
      fileName: 'loi.csv', content: csv([
        person('B1', { full_name: '' }),
        person('B2', { gender: 'Khác' }),
        person('B3', { date_of_birth: '16/03/2005' }),
        person('B4', { council_code: '99999' }),
        person('B5', { unit_no: '9' }),
        person('B1'),
        person('B7', { full_name: 'Lê Thị Hoa', date_of_birth: '01/01/1970', unit_no: '1' }),
        person('B8', { full_name: 'Lê Thị Hoa', date_of_birth: '01/01/1970', unit_no: '2' }),
        person('B9'),
      ]),
    });
    expect(r.status).toBe('rejected');
    const at = (code: string) => r.errors.filter((e) => e.code === code).map((e) => [e.row, e.column]);
    expect(at('REQUIRED')).toEqual([[2, 'Họ và tên']]);
    expect(at('GENDER_UNKNOWN')).toEqual([[3, 'Giới tính']]);
    expect(at('CANDIDATE_TOO_YOUNG')).toEqual([[4, 'Ngày sinh']]);
    expect(r.errors.find((e) => e.code === 'CANDIDATE_TOO_YOUNG')!.message).toContain('quy tắc 12');
    expect(at('COUNCIL_UNKNOWN')).toEqual([[5, 'Mã tỉnh/xã của Hội đồng nhân dân']]);
    expect(at('UNIT_UNKNOWN')).toEqual([[6, 'Đơn vị bầu cử số']]);
    expect(at('DUPLICATE_REF')).toEqual([[7, 'Mã hồ sơ']]);
    expect(at('LIST_DUPLICATE_CANDIDATE')).toEqual([[9, 'Họ và tên']]);
    expect(r.errorCount).toBe(7);
    expect(await count()).toBe(before);
  });

  it('a file without the required columns is rejected naming each missing column', async () => {
    const r = await run(nec, { fileName: 'thieu.csv', content: 'Họ và tên,Giới tính,Dân tộc,Ngày sinh\nA,Nam,Kinh,01/01/1980\n' });
    expect(r.status).toBe('rejected');
    expect(r.errors.filter((e) => e.code === 'HEADER_MISSING_COLUMN').map((e) => e.column)).toEqual(['Mã hồ sơ', 'Cuộc bầu cử']);
  });
});

describe('idempotent import', () => {
  it('a good file imports, the same file again changes nothing, a changed row updates that candidate only; XLSX goes the same way', async () => {
    const rows = [person('G1', { unit_no: '1' }), person('G2', { gender: 'Nữ', full_name: 'Trần Thị Mai' }), person('G3', { council_code: communes[1], unit_no: '2' })];
    const first = await run(nec, { fileName: 'tot.csv', content: csv(rows) });
    expect(first.status, JSON.stringify(first.errors)).toBe('succeeded');
    expect(first.summary).toMatchObject({ added: 3, changed: 0 });
    const again = await run(nec, { fileName: 'tot.csv', content: csv(rows) });
    expect(again.summary).toMatchObject({ added: 0, changed: 0, unchanged: 3, noChanges: true });
    rows[1] = { ...rows[1], occupation: 'Giáo viên' };
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Danh sách');
    ws.addRow(COLUMNS.map((c) => c.vi));
    for (const r of rows) ws.addRow(COLUMNS.map((c) => r[c.id] ?? null));
    const changed = await run(nec, { fileName: 'tot.xlsx', content: Buffer.from(await wb.xlsx.writeBuffer()) });
    expect(changed.summary).toMatchObject({ added: 0, changed: 1, unchanged: 2 });
    const [c] = await sql(em(), `select occupation, status, unit_id is not null as allocated, council_code, filing_body_code, nominated_by, sort_key is not null as sorted
      from candidate where election_id = ? and external_ref = 'G2'`, [electionId]);
    expect(c).toMatchObject({ occupation: 'Giáo viên', status: 'qualified', allocated: false, council_code: communes[0], filing_body_code: communes[0], nominated_by: 'local', sorted: true });
    const [a] = await sql(em(), `select count(*)::int as n from audit_event where action = 'core.candidate-lists.import' and result = 'success'`);
    expect(a.n).toBeGreaterThanOrEqual(4);
    // Issue 5 point 7: job payloads (kept in clear in Redis) carry ids only — no name, date of birth or file content.
    const payloads = await sql<{ payload: Record<string, unknown> }>(em(), `select payload from job_run where election_id = ? and name like '%candidate%'`, [electionId]);
    expect(payloads.length).toBeGreaterThanOrEqual(3);
    for (const { payload } of payloads) expect(Object.keys(payload)).toEqual(['runId']);
    expect(JSON.stringify(payloads)).not.toContain('Trần Thị Mai');
  });

  it('a commune official imports only into its commune: a row of another commune is reported OUT_OF_SCOPE', async () => {
    const before = await count();
    const r = await run(communeOfficial, { fileName: 'xa.csv', content: csv([person('S1', { council_code: communes[1] }), person('S2')]), scope: communes[1] });
    expect(r.status).toBe('rejected');
    expect(r.errors.map((e) => [e.row, e.code])).toEqual([[3, 'OUT_OF_SCOPE']]);
    expect(await count()).toBe(before);
    const denied = await upload(communeOfficial, { fileName: 'xa.csv', content: csv([person('S3')]), scope: communes[0] });
    expect(denied.status).toBe(403);
  });
});
