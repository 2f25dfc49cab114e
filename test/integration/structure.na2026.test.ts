// The real 2026 National Assembly structure (NEC Resolution 85/NQ-HĐBCQG) goes through the structure imports: the
// "load the official units" action and the upload form (the reference files' English headers are an accepted header
// set) both give 182 units, 500 seats, every one of the 3,321 communes in exactly one unit, and per-province totals
// equal to na16_2026_province_seats.csv; a re-import changes nothing; an export re-imported changes nothing; broken
// files (a 4-seat unit; a commune in two units and an unknown commune code) are rejected with coded rows, nothing written.
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, REFERENCE_DATA_DIR, type TestApp } from '../helpers/test-app.js';
import { waitReferenceImport } from '../helpers/admin-tree.js';
import { createElection, clientAs, uploadStructure, waitRun } from '../helpers/structure.js';
import type { TestClient } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';

let app: TestApp;
let nec: TestClient;
const units = fs.readFileSync(path.join(REFERENCE_DATA_DIR, 'na16_2026_electoral_units.csv'), 'utf8');
const communes = fs.readFileSync(path.join(REFERENCE_DATA_DIR, 'na16_2026_electoral_unit_communes.csv'), 'utf8');
const provinceSeats = fs.readFileSync(path.join(REFERENCE_DATA_DIR, 'na16_2026_province_seats.csv'), 'utf8').trim().split('\n').slice(1)
  .map((l) => l.split(',')).map((c) => ({ code: c[1], units: Number(c[3]), seats: Number(c[4]) }));

beforeAll(async () => {
  app = await startTestApp('structure_na2026', { AUTO_IMPORT_REFERENCE: 'true' });
  expect((await waitReferenceImport(app)).communes.status).toBe('succeeded');
  nec = await clientAs(app, 'nec-official', 'nation', 'VN');
});
afterAll(async () => {
  await app?.close();
});

async function naCounts(electionId: string) {
  const em = app.orm.em.fork();
  const [u] = await sql<{ units: number; seats: number }>(em, `select count(*)::int as units, coalesce(sum(seats), 0)::int as seats from electoral_unit where election_id = ? and contest = 'national-assembly'`, [electionId]);
  const [c] = await sql<{ links: number; distinct: number }>(em, `select count(*)::int as links, count(distinct commune_code)::int as distinct from electoral_unit_commune where election_id = ? and contest = 'national-assembly'`, [electionId]);
  return { ...u, ...c };
}

async function expectOfficialNa(electionId: string) {
  expect(await naCounts(electionId)).toEqual({ units: 182, seats: 500, links: 3321, distinct: 3321 });
  const em = app.orm.em.fork();
  // Every commune of the tree is in exactly one unit, of its own province.
  const [missing] = await sql<{ n: number }>(em, `select count(*)::int as n from admin_unit c where c.level = 'commune' and c.valid_to is null
    and not exists (select 1 from electoral_unit_commune uc join electoral_unit u on u.id = uc.unit_id where uc.election_id = ? and uc.commune_code = c.code and u.parent_code = c.parent_code)`, [electionId]);
  expect(missing.n).toBe(0);
  const perProvince = await sql<{ code: string; units: number; seats: number }>(em,
    `select parent_code as code, count(*)::int as units, sum(seats)::int as seats from electoral_unit where election_id = ? and contest = 'national-assembly' group by 1 order by 1`, [electionId]);
  expect(perProvince).toEqual([...provinceSeats].sort((a, b) => a.code.localeCompare(b.code)));
  // The structure check agrees: no error (only "no polling area yet" warnings while areas are not imported).
  const res = await nec.get(`/elections/${electionId}/structure/check`, { accept: 'application/json' });
  const j = (await res.json()) as { errors: number; byCode: Record<string, number> };
  expect(j.errors).toBe(0);
  expect(Object.keys(j.byCode)).toEqual(['COMMUNE_NO_AREA']);
}

describe('the official 2026 NA units', () => {
  it('load through the "official units" action: 182 units, 500 seats, 3,321 communes, province totals; again = no changes', async () => {
    const e = await createElection(app, { contests: ['national-assembly'] });
    const res = await nec.post(`/elections/${e}/structure/na-reference`, {});
    expect(res.status).toBe(303);
    const runId = /imports\/([0-9a-f-]{36})$/.exec(res.headers.get('location') ?? '')![1];
    const run = await waitRun(nec, e, runId);
    expect(run.status, JSON.stringify(run.errors.slice(0, 5))).toBe('succeeded');
    expect(run.summary.changes!.units).toEqual({ added: 182, changed: 0, removed: 0 });
    expect(run.warnings).toEqual([]);
    await expectOfficialNa(e);
    // Idempotent.
    const again = await nec.post(`/elections/${e}/structure/na-reference`, {});
    const run2 = await waitRun(nec, e, /imports\/([0-9a-f-]{36})$/.exec(again.headers.get('location') ?? '')![1]);
    expect(run2.status).toBe('succeeded');
    expect(run2.summary.noChanges).toBe(true);
    // The audit trail has the request and the import, each once.
    const em = app.orm.em.fork();
    const events = await sql<{ action: string; result: string }>(em, `select action, result from audit_event where target_id = ? order by seq`, [runId]);
    expect(events.map((x) => `${x.action}:${x.result}`)).toEqual(['core.structure.na-reference:success', 'core.structure.import:success']);
    // The browser shows it: Hồ Chí Minh City has 13 NA units and 38 seats.
    const page = await (await nec.get(`/elections/${e}/structure/79`)).text();
    expect(page).toContain('Thành phố Hồ Chí Minh');
    expect(page).toMatch(/13 đơn vị · 38 đại biểu/);
  });

  it('upload the reference files as they are (English headers), then their export: no changes', async () => {
    const e = await createElection(app, { contests: ['national-assembly'] });
    const u = await uploadStructure(nec, e, { kind: 'units', contest: 'national-assembly', fileName: 'na16_2026_electoral_units.csv', content: units });
    expect(u.status, u.body?.slice(0, 300)).toBe(303);
    const ru = await waitRun(nec, e, u.runId!);
    expect(ru.status, JSON.stringify(ru.errors.slice(0, 3))).toBe('succeeded');
    // Units without communes yet: allowed (the compositions come next), and said.
    expect(ru.summary.after!.byCode.UNIT_EMPTY).toBe(182);
    const c = await uploadStructure(nec, e, { kind: 'compositions', contest: 'national-assembly', fileName: 'na16_2026_electoral_unit_communes.csv', content: communes });
    const rc = await waitRun(nec, e, c.runId!);
    expect(rc.status, JSON.stringify(rc.errors.slice(0, 3))).toBe('succeeded');
    await expectOfficialNa(e);
    // Export (XLSX and CSV) and import again: nothing changes.
    for (const [kind, ext] of [['units', 'xlsx'], ['compositions', 'csv']] as const) {
      const res = await nec.get(`/elections/${e}/structure/export/${kind}.${ext}?contest=national-assembly`);
      expect(res.status).toBe(200);
      const buf = Buffer.from(await res.arrayBuffer());
      const up = await uploadStructure(nec, e, { kind, contest: 'national-assembly', fileName: `export.${ext}`, content: buf });
      const run = await waitRun(nec, e, up.runId!);
      expect(run.status, JSON.stringify(run.errors.slice(0, 3))).toBe('succeeded');
      expect(run.summary.noChanges, `${kind}.${ext}`).toBe(true);
    }
  });

  it('offers templates with Vietnamese headers, which the importer reads back', async () => {
    const e = await createElection(app, { contests: ['national-assembly'] });
    const csv = await nec.get(`/elections/${e}/structure/import/template.csv?template=areas`);
    expect(csv.status).toBe(200);
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // BOM: Excel shows the accents
    expect(bytes.subarray(3).toString('utf8').split('\r\n')[0]).toBe('Mã xã (*),Tên xã,Số khu vực bỏ phiếu (*),Tên khu vực,Số cử tri (*),Loại khu vực,Lý do lập khu vực riêng,Lý do dưới 300 cử tri,Ngày bỏ phiếu,Văn bản cho phép bỏ phiếu sớm,Giờ bắt đầu,Giờ kết thúc,Đơn vị bầu cử ĐBQH số,Đơn vị bầu cử HĐND tỉnh số,Đơn vị bầu cử HĐND xã số');
    const xlsx = await nec.get(`/elections/${e}/structure/import/template.xlsx?template=units-province`);
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers.get('content-type')).toContain('spreadsheetml');
    // The units template, filled with Hà Nội's two sample units, imports (units without communes: not blocking).
    const up = await uploadStructure(nec, e, { kind: 'units', contest: 'national-assembly', fileName: 'mau.xlsx', content: Buffer.from(await xlsx.arrayBuffer()) });
    const run = await waitRun(nec, e, up.runId!);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.summary.changes!.units.added).toBe(2);
  });

  it('rejects a 4-seat NA unit with its row and column; nothing written', async () => {
    const e = await createElection(app, { contests: ['national-assembly'] });
    const lines = units.split('\n');
    // Row 3 of the file (Hà Nội unit 2): 3 seats → 4.
    lines[2] = lines[2].replace(/^(01,Thành phố Hà Nội,2,01-02,)3,/, '$14,');
    expect(lines[2]).toContain('01-02,4,');
    const up = await uploadStructure(nec, e, { kind: 'units', contest: 'national-assembly', fileName: 'broken-units.csv', content: lines.join('\n') });
    const run = await waitRun(nec, e, up.runId!);
    expect(run.status).toBe('rejected');
    expect(run.errors).toEqual([expect.objectContaining({ row: 3, column: 'seats', code: 'UNIT_SEATS_RANGE' })]);
    expect(run.errors[0].message).toContain('từ 1 đến 3');
    expect((await naCounts(e)).units).toBe(0);
  });

  it('rejects a commune in two units and an unknown commune code, each on its row; nothing written', async () => {
    const e = await createElection(app, { contests: ['national-assembly'] });
    const u = await uploadStructure(nec, e, { kind: 'units', contest: 'national-assembly', fileName: 'units.csv', content: units });
    expect((await waitRun(nec, e, u.runId!)).status).toBe('succeeded');
    // The reference files end lines with CRLF; so do the added ones.
    const lines = communes.trim().split(/\r?\n/);
    // Phường Ba Đình (00004) also listed in Hà Nội unit 2; and a code that does not exist.
    const first = lines.find((l) => l.split(',')[2] === '00004')!.split(',');
    first[1] = '2';
    lines.push(first.join(','));
    lines.push('01,3,99999,Phường Không Có,Không Có,phường');
    const up = await uploadStructure(nec, e, { kind: 'compositions', contest: 'national-assembly', fileName: 'broken-communes.csv', content: lines.join('\r\n') });
    const run = await waitRun(nec, e, up.runId!);
    expect(run.status, JSON.stringify(run)).toBe('rejected');
    const n = lines.length; // spreadsheet rows: header = 1
    expect(run.errors).toEqual(expect.arrayContaining([
      expect.objectContaining({ row: n, column: 'commune_code', code: 'COMMUNE_NOT_FOUND' }),
      expect.objectContaining({ row: 2, column: 'commune_code', code: 'COVERAGE_DUPLICATE' }),
      expect.objectContaining({ row: n - 1, column: 'commune_code', code: 'COVERAGE_DUPLICATE' }),
    ]));
    expect(run.errors).toHaveLength(3);
    expect(run.errors.find((x) => x.code === 'COVERAGE_DUPLICATE')!.message).toContain('Phường Ba Đình (00004) thuộc 2 đơn vị bầu cử');
    expect((await naCounts(e)).links).toBe(0);
    // The HTML report shows the same rows.
    const html = await (await nec.get(`/elections/${e}/structure/imports/${up.runId}`)).text();
    expect(html).toContain('COVERAGE_DUPLICATE');
    expect(html).toContain('COMMUNE_NOT_FOUND');
  });
});
