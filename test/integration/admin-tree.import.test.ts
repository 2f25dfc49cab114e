// The administrative tree import, end to end on the real app (PostgreSQL, Redis, BullMQ worker): the reference
// lists through the job, idempotent re-import, all-or-nothing validation with a row/column report in Vietnamese,
// XLSX, dated amendments read "as of" a date, and one audit event per import in the same transaction.
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import ExcelJS from 'exceljs';
import { startTestApp, waitFor, REFERENCE_DATA_DIR, type TestApp } from '../helpers/test-app.js';
import { upload, uploadTreeFile, waitJob, waitReferenceImport, importReport, importFile, countsAt, unitAsOf, adminHeaders } from '../helpers/admin-tree.js';
import { REFERENCE_IDS, requestReferenceImport } from '../../core/admin-tree/import.service.js';
import { sql } from '../../core/persistence/db.js';

const ref = (f: string) => fs.readFileSync(path.join(REFERENCE_DATA_DIR, f));
/** One row of the reference commune list, read at test time (reference rows are never copied into the repository). */
const refLine = (code: string): string => ref('admin_units_2025.csv').toString('utf8').split(/\r?\n/).find((l) => l.split(',')[3] === code)!;
const refRow = (code: string) => {
  const [provinceCode, provinceName, , communeCode, communeName, communeType] = refLine(code).split(',');
  return { provinceCode, provinceName, communeCode, communeName, communeType };
};
const B = refRow('00004');
const ELECTION_DAY = '2026-03-15';
const AFTER_AMENDMENTS = '2026-05-01';
const ALL_ROWS = 1 + 34 + 3321; // nation root + provinces + communes, one version each

let app: TestApp;
const q = <T = Record<string, any>>(query: string, params: unknown[] = []) => sql<T>(app.orm.em.fork(), query, params);

beforeAll(async () => {
  // The module queues the reference import at start when the tree is empty.
  app = await startTestApp('tree_import', { AUTO_IMPORT_REFERENCE: 'true' });
});
afterAll(async () => {
  await app?.close();
});

describe('administrative tree import', () => {
  it('imports the reference lists through the job at first start: 34 provinces, 3,321 communes', async () => {
    // Provinces first; its job queues the communes import when done. Both are ordinary import jobs.
    const { provinces, communes: job } = await waitReferenceImport(app);
    expect(provinces.status, provinces.error ?? '').toBe('succeeded');
    expect(job.status, job.error ?? '').toBe('succeeded');
    expect([provinces.name, job.name]).toEqual(['core.admin-tree.import', 'core.admin-tree.import']);
    expect(provinces.payload).toEqual({ importRunId: REFERENCE_IDS.provinces.importRunId }); // ids only
    expect((provinces.result as { next: string }).next).toBe(REFERENCE_IDS.communes.jobRunId);
    expect([provinces.progress_total, job.progress_total]).toEqual([34 * 2, 3321 * 2]);
    expect(job.progress_done).toBe(job.progress_total);
    // Queuing it again (a second process starting at the same moment) is a no-op.
    await requestReferenceImport(app.orm, app.jobs, REFERENCE_DATA_DIR);
    expect((await q(`select 1 from job_run where name = 'core.admin-tree.import'`)).length).toBe(2);

    const c = await countsAt(app, '2025-07-01');
    expect(c).toMatchObject({ provinces: 34, communes: 3321, xa: 2621, phuong: 687, dacKhu: 13, rows: ALL_ROWS });
    expect(await countsAt(app, ELECTION_DAY)).toMatchObject({ provinces: 34, communes: 3321 });
    expect(await countsAt(app, '2025-06-30')).toMatchObject({ provinces: 0, communes: 0 });

    const [root] = await q(`select code, level, type, parent_code from admin_unit where level = 'nation'`);
    expect(root).toEqual({ code: 'VN', level: 'nation', type: 'quốc gia', parent_code: null });
    const [hcm] = await q(`select name, type, parent_code, search_key from admin_unit where code = '79'`);
    expect(hcm).toEqual({ name: 'Thành phố Hồ Chí Minh', type: 'thành phố', parent_code: 'VN', search_key: 'thanh pho ho chi minh' });
    const [bd] = await q(`select code, parent_code, type from admin_unit where name = 'Phường Ba Đình'`);
    expect(bd).toEqual({ code: '00004', parent_code: '01', type: 'phường' });

    const runs = await q<{ id: string; kind: string; status: string; rows_total: number; summary: any }>(
      `select id, kind, status, rows_total, summary from import_run order by kind`);
    expect(runs.map((r) => [r.kind, r.status, r.rows_total])).toEqual([['communes', 'succeeded', 3321], ['provinces', 'succeeded', 34]]);
    const communes = runs.find((r) => r.kind === 'communes')!;
    expect(communes.summary.changes.commune.added).toBe(3321);
    expect(communes.summary.noChanges).toBe(false);
    // Measured, not asserted: printed for the report.
    console.log(`[measure] reference import: provinces ${runs.find((r) => r.kind === 'provinces')!.summary.ms} ms, communes (3,321 rows) ${communes.summary.ms} ms`);
  });

  it('writes ONE audit event per import, in the same transaction as its rows', async () => {
    const events = await q<{ target_id: string; result: string; after: any; xmin: string }>(
      `select target_id, result, after, xmin::text as xmin from audit_event where action = 'core.admin-tree.import' order by seq`);
    expect(events).toHaveLength(2);
    const [communesRun] = await q<{ id: string }>(`select id from import_run where kind = 'communes'`);
    const ev = events.find((e) => e.target_id === communesRun.id)!;
    expect(ev.result).toBe('success');
    expect(ev.after.changes.commune.added).toBe(3321);
    expect(JSON.stringify(ev.after)).not.toContain('Phường Ba Đình'); // a counts summary, not the rows
    // Same transaction: the audit row and the unit rows carry the same transaction id.
    const xmins = await q<{ xmin: string }>(`select distinct xmin::text as xmin from admin_unit where import_run_id = ?`, [communesRun.id]);
    expect(xmins.map((x) => x.xmin)).toEqual([ev.xmin]);
    const requests = await q(`select 1 from audit_event where action = 'core.admin-tree.import.request'`);
    expect(requests).toHaveLength(2);
  });

  it('re-importing the same content is idempotent: no new versions, the report says "no changes"', async () => {
    const before = await countsAt(app, '2025-07-01');
    // Also with a BOM and in NFD (as pasted from some editors): normalised to the same text.
    const communesNfd = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(ref('admin_units_2025.csv').toString('utf8').normalize('NFD'))]);
    const r1 = await importFile(app, 'admin_units_2025.csv', communesNfd);
    expect(r1.status).toBe('succeeded');
    expect(r1.kind).toBe('communes');
    expect(r1.summary.noChanges).toBe(true);
    expect(r1.summary.changes!.commune.unchanged).toBe(3321);
    const r2 = await importFile(app, 'provinces_2025.csv', ref('provinces_2025.csv'));
    expect(r2.status).toBe('succeeded');
    expect(r2.kind).toBe('provinces');
    expect(r2.summary.noChanges).toBe(true);
    expect(r2.warnings).toEqual([]); // declared counts agree with the commune list
    expect(await countsAt(app, '2025-07-01')).toEqual(before);
    const html = await (await fetch(`${app.url}/tree/imports/${r1.id}`, { headers: await adminHeaders(app) })).text();
    expect(html).toContain('Không có thay đổi');
    const dup = await q(`select code, valid_from, count(*) from admin_unit group by code, valid_from having count(*) > 1`);
    expect(dup).toEqual([]);
  });

  it('rejects a file with bad rows, reporting every problem by row and column in Vietnamese, and writes nothing', async () => {
    const before = await countsAt(app, '2025-07-01');
    const auditBefore = (await q(`select 1 from audit_event`)).length;
    const csv = [
      'province_code,province_name,province_type,commune_code,commune_name,commune_type', // row 1
      refLine('00004'), // 2: fine (unchanged)
      '1,Thành phố Hà Nội,thành phố trực thuộc trung ương,90001,Phường Một,phường', // 3: province code format
      '01,Thành phố Hà Nội,thành phố trực thuộc trung ương,9002,Phường Hai,phường', // 4: commune code format
      '98,,,90003,Xã Ba,xã', // 5: province not found
      '01,Thành phố Hà Nội,thành phố trực thuộc trung ương,90004,Thị trấn Bốn,thị trấn', // 6: type unknown
      refLine('00004'), // 7: duplicate code
      '01,Thành phố Hà Nội,thành phố trực thuộc trung ương,90006,,xã', // 8: name empty
      `01,Thành phố Hà Nội,thành phố trực thuộc trung ương,90007,Xã ${'Dài'.repeat(40)},xã`, // 9: name too long
      '01,Thủ đô Hà Nội,thành phố trực thuộc trung ương,90008,Xã Tám,xã', // 10: province name mismatch
      '01,Thành phố Hà Nội,tỉnh,90009,Xã Chín,xã', // 11: province type mismatch
      '79,Thành phố Hồ Chí Minh,thành phố trực thuộc trung ương,00008,Phường Ngọc Hà,phường', // 12: code of another province
      '01,Thành phố Hà Nội,thành phố trực thuộc trung ương,90011,Xã Mười Một,phường', // 13: name/type mismatch
      '01,Thành phố Hà Nội,thành phố trực thuộc trung ương,90012,Phường Mười Hai', // 14: too few cells
      '01,Thành phố Hà Nội,thành phố trực thuộc trung ương,90013,,', // 15: name empty + type required
    ].join('\n');
    const jobId = await upload(app, 'xa-loi.csv', csv);
    const job = await waitJob(app, jobId);
    // A bad file is not a job failure.
    expect(job.status).toBe('succeeded');
    expect(job.result).toMatchObject({ status: 'rejected' });
    const rep = await importReport(app, (job.result as { importRunId: string }).importRunId);
    expect(rep.status).toBe('rejected');
    const at = (row: number) => rep.errors.filter((e) => e.row === row).map((e) => `${e.code}@${e.column}`);
    expect(at(2)).toEqual([]);
    expect(at(3)).toEqual(['PROVINCE_CODE_FORMAT@province_code']);
    expect(at(4)).toEqual(['COMMUNE_CODE_FORMAT@commune_code']);
    expect(at(5)).toEqual(['PROVINCE_NOT_FOUND@province_code']);
    expect(at(6)).toEqual(['TYPE_UNKNOWN@commune_type']);
    expect(at(7)).toEqual(['DUPLICATE_CODE@commune_code']);
    expect(at(8)).toEqual(['NAME_EMPTY@commune_name']);
    expect(at(9)).toEqual(['NAME_TOO_LONG@commune_name']);
    expect(at(10)).toEqual(['PROVINCE_NAME_MISMATCH@province_name']);
    expect(at(11)).toEqual(['PROVINCE_TYPE_MISMATCH@province_type']);
    expect(at(12)).toEqual(['COMMUNE_CODE_OTHER_PROVINCE@commune_code']);
    expect(at(13)).toEqual(['NAME_TYPE_MISMATCH@commune_name']);
    expect(at(14)).toEqual(['ROW_COLUMN_COUNT@undefined', 'REQUIRED@commune_type']);
    expect(at(15)).toEqual(['NAME_EMPTY@commune_name', 'REQUIRED@commune_type']);
    expect(new Set(rep.errors.map((e) => e.code)).size).toBeGreaterThanOrEqual(12);
    expect(rep.rowsTotal).toBe(14);
    expect(rep.rowsOk).toBe(1);
    // Vietnamese messages, with the offending values.
    const msg = (row: number) => rep.errors.find((e) => e.row === row)!.message;
    expect(msg(3)).toBe('Mã tỉnh «1» không hợp lệ: phải gồm đúng 2 chữ số, giữ số 0 ở đầu (ví dụ 01, 79).');
    expect(msg(5)).toContain('Tỉnh mã «98» chưa có trong hệ thống tại ngày 01/07/2025');
    expect(msg(6)).toBe('Loại «thị trấn» không hợp lệ. Chỉ nhận: xã, phường, đặc khu.');
    expect(msg(7)).toBe('Mã «00004» bị trùng: đã có ở dòng 2.');
    expect(msg(10)).toBe('Tên tỉnh «Thủ đô Hà Nội» khác với tên của tỉnh mã 01 trong hệ thống: «Thành phố Hà Nội».');
    expect(msg(12)).toBe('Mã xã «00008» đã được dùng cho «Phường Ngọc Hà» thuộc Thành phố Hà Nội (01); không thể gán cho tỉnh mã 79.');
    expect(msg(13)).toBe('Tên «Xã Mười Một» không khớp với loại «phường»: tên phải bắt đầu bằng «Phường».');
    // English second.
    const en = await importReport(app, rep.id, 'en');
    expect(en.errors.find((e) => e.row === 7)!.message).toBe('Code "00004" is duplicated: already on row 2.');
    // Nothing written; the rejection is audited.
    expect(await countsAt(app, '2025-07-01')).toEqual(before);
    const [run] = await q(`select status, kind from import_run where id = ?`, [rep.id]);
    expect(run).toEqual({ status: 'rejected', kind: 'communes' });
    const [ev] = await q(`select result, after from audit_event where action = 'core.admin-tree.import' and target_id = ?`, [rep.id]);
    expect(ev.result).toBe('rejected');
    expect(ev.after.errors).toBe(rep.errorCount);
    expect((await q(`select 1 from audit_event`)).length).toBe(auditBefore + 2); // request + rejection
    // The report page renders the table of problems.
    const html = await (await fetch(`${app.url}/tree/imports/${rep.id}`, { headers: await adminHeaders(app) })).text();
    expect(html).toContain('Tệp bị từ chối');
    expect(html).toContain('Mã «00004» bị trùng: đã có ở dòng 2.');
  });

  it('rejects file-level problems: empty file, unknown header, unknown/missing columns, bad counts, not UTF-8', async () => {
    const before = await countsAt(app, '2025-07-01');
    const cases: [string, string | Buffer, string[]][] = [
      ['rong.csv', 'province_code,province_name,province_type,commune_code,commune_name,commune_type\n', ['FILE_EMPTY']],
      ['la.csv', 'a,b,c\n1,2,3\n', ['HEADER_UNKNOWN_KIND']],
      ['cot.csv', `Mã tỉnh,Tên tỉnh,Loại,Mã xã,Tên xã,Loại xã,Dân số\n${B.provinceCode},${B.provinceName},thành phố,${B.communeCode},${B.communeName},${B.communeType},1000\n`, ['HEADER_UNKNOWN_COLUMN']],
      ['thieu.csv', `Mã tỉnh,Mã xã,Tên xã\n${B.provinceCode},${B.communeCode},${B.communeName}\n`, ['HEADER_MISSING_COLUMN']],
      ['tinh.csv', 'province_code,province_name,province_type,communes_total,xa,phuong,dac_khu\n01,Thành phố Hà Nội,thành phố trực thuộc trung ương,127,75,51,0\n04,Tỉnh Cao Bằng,tỉnh,5x,53,3,0\n', ['COUNT_SUM_MISMATCH', 'COUNT_FORMAT']],
      ['latin.csv', Buffer.from('province_code,province_name\n01,H\xe0 N\xf4i\n', 'latin1'), ['FILE_ENCODING']],
    ];
    for (const [name, content, codes] of cases) {
      const jobId = await upload(app, name, content);
      const job = await waitJob(app, jobId);
      expect(job.status).toBe('succeeded');
      const rep = await importReport(app, (job.result as { importRunId: string }).importRunId);
      expect(rep.status, name).toBe('rejected');
      expect(rep.errors.map((e) => e.code), name).toEqual(codes);
      for (const e of rep.errors) expect(e.message, name).not.toMatch(/^import\.issue\./);
    }
    expect(await countsAt(app, '2025-07-01')).toEqual(before);
  });

  it('refuses anything but .csv/.xlsx at upload, with a Vietnamese message', async () => {
    const res = await uploadTreeFile(app, 'danh-sach.pdf', '%PDF-1.4');
    expect(res.status).toBe(415);
    expect(await res.text()).toContain('chỉ nhận tệp .csv hoặc .xlsx');
    const fake = await uploadTreeFile(app, 'gia.xlsx', 'province_code\n01\n');
    expect(fake.status).toBe(400);
    expect(await fake.text()).toContain('không khớp với phần mở rộng');
  });

  it('applies the 2026 amendments as a dated change: the 15 March 2026 election day still reads the 2025 list', async () => {
    const rep = await importFile(app, 'admin_units_amendments_2026.csv', ref('admin_units_amendments_2026.csv'));
    expect(rep.status, JSON.stringify(rep.errors)).toBe('succeeded');
    expect(rep.kind).toBe('amendments');
    expect(rep.summary.changes).toMatchObject({ province: { changed: 1 }, commune: { changed: 10 } });

    expect(await unitAsOf(app, '75', ELECTION_DAY)).toMatchObject({ name: 'Tỉnh Đồng Nai', type: 'tỉnh', valid_to: '2026-04-30' });
    expect(await unitAsOf(app, '25270', ELECTION_DAY)).toMatchObject({ name: 'Xã Lộc Ninh', type: 'xã' });
    expect(await unitAsOf(app, '75', AFTER_AMENDMENTS)).toMatchObject({ name: 'Thành phố Đồng Nai', type: 'thành phố', valid_from: '2026-04-30', valid_to: null });
    expect(await unitAsOf(app, '25270', AFTER_AMENDMENTS)).toMatchObject({ name: 'Phường Lộc Ninh', type: 'phường' });
    // The other Xã Lộc Ninh (Tây Ninh) is untouched.
    expect(await unitAsOf(app, '25579', AFTER_AMENDMENTS)).toMatchObject({ name: 'Xã Lộc Ninh', type: 'xã' });

    const election = await countsAt(app, ELECTION_DAY);
    expect(election).toMatchObject({ provinces: 34, communes: 3321, xa: 2621, phuong: 687, dacKhu: 13 });
    const later = await countsAt(app, AFTER_AMENDMENTS);
    expect(later).toMatchObject({ provinces: 34, communes: 3321, xa: 2611, phuong: 697, dacKhu: 13, rows: ALL_ROWS + 11 });

    // Through the API and the pages, "as of" a date.
    const api = async (date: string) => (await (await fetch(`${app.url}/api/v1/tree/search?q=25270&asOf=${date}`)).json()).items[0];
    expect(await api(ELECTION_DAY)).toMatchObject({ name: 'Xã Lộc Ninh', type: 'xã', parentName: 'Tỉnh Đồng Nai' });
    expect(await api(AFTER_AMENDMENTS)).toMatchObject({ name: 'Phường Lộc Ninh', type: 'phường', parentName: 'Thành phố Đồng Nai' });
    const page = await (await fetch(`${app.url}/tree/75?asOf=${AFTER_AMENDMENTS}`)).text();
    expect(page).toContain('Thành phố Đồng Nai');
    expect(page).toContain('Lịch sử thay đổi');

    // Applying it again changes nothing.
    const again = await importFile(app, 'admin_units_amendments_2026.csv', ref('admin_units_amendments_2026.csv'));
    expect(again.status).toBe('succeeded');
    expect(again.summary.noChanges).toBe(true);
    expect((await countsAt(app, AFTER_AMENDMENTS)).rows).toBe(ALL_ROWS + 11);

    // Re-importing the 2025 list at 2025-07-01 does not undo the amendment (it reads the version in force then).
    const re2025 = await importFile(app, 'admin_units_2025.csv', ref('admin_units_2025.csv'));
    expect(re2025.summary.noChanges).toBe(true);
    expect(await unitAsOf(app, '25270', AFTER_AMENDMENTS)).toMatchObject({ name: 'Phường Lộc Ninh' });
  });

  it('rejects an amendment whose "before" does not match the version in force, writing nothing', async () => {
    const before = await countsAt(app, AFTER_AMENDMENTS);
    const csv = [
      'level,code,name_2025_07_01,name_after,type_2025_07_01,type_after,legal_basis,effective_date_per_source',
      `commune,${B.communeCode},${B.communeName} Cũ,${B.communeName} Mới,phường,phường,Thử,2027-01-01`, // before name mismatch
      'commune,00008,Phường Ngọc Hà,Phường Ngọc Hà Mới,xã,phường,Thử,2027-01-01', // before type mismatch
      'commune,99999,Xã Không Có,Phường Không Có,xã,phường,Thử,2027-01-01', // unknown unit
      'huyện,00025,Phường Giảng Võ,Phường Giảng Võ,phường,phường,Thử,2027-01-01', // level unknown
      'commune,00070,Phường Hoàn Kiếm,Phường Hoàn Kiếm Mới,phường,phường,Thử,ngày mai', // date format
      'province,01,Thành phố Hà Nội,Thủ đô Hà Nội,thành phố trực thuộc trung ương,thành phố trực thuộc trung ương,Thử,2027-01-01', // name/type
    ].join('\r\n');
    const jobId = await upload(app, 'thay-doi.csv', csv);
    const job = await waitJob(app, jobId);
    const rep = await importReport(app, (job.result as { importRunId: string }).importRunId);
    expect(rep.status).toBe('rejected');
    expect(rep.kind).toBe('amendments');
    expect(rep.errors.map((e) => `${e.row}:${e.code}`).sort()).toEqual([
      '2:AMEND_BEFORE_NAME_MISMATCH', '3:AMEND_BEFORE_TYPE_MISMATCH', '4:AMEND_UNIT_NOT_FOUND', '5:LEVEL_UNKNOWN', '6:DATE_FORMAT', '7:NAME_TYPE_MISMATCH',
    ]);
    expect(rep.errors.find((e) => e.row === 2)!.message).toBe('Tên trước thay đổi «Phường Ba Đình Cũ» khác với tên đang có hiệu lực tại ngày 01/01/2027: «Phường Ba Đình».');
    expect(await countsAt(app, AFTER_AMENDMENTS)).toEqual(before);
  });
});

describe('XLSX import', () => {
  let x: TestApp;
  beforeAll(async () => {
    x = await startTestApp('tree_xlsx');
  });
  afterAll(async () => {
    await x?.close();
  });

  it('imports an XLSX built with exceljs (Vietnamese headers, a code typed as a number), creating its provinces', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Danh sách');
    ws.addRow(['Mã tỉnh', 'Tên tỉnh', 'Loại', 'Mã xã', 'Tên xã', 'Loại xã']);
    ws.addRow(['01', 'Thành phố Hà Nội', 'thành phố trực thuộc trung ương', '00004', 'Phường Ba Đình', 'phường']);
    ws.addRow([1, 'Thành phố Hà Nội', 'thành phố trực thuộc trung ương', '00008', 'Phường Ngọc Hà', 'phường']); // Excel lost the zero
    ws.addRow(['79', 'Thành phố Hồ Chí Minh', 'thành phố trực thuộc trung ương', '26740', 'Phường Sài Gòn', 'phường']);
    ws.addRow(['79', 'Thành phố Hồ Chí Minh', 'thành phố trực thuộc trung ương', '26732', { richText: [{ text: 'Đặc khu ' }, { text: 'Côn Đảo' }] }, 'đặc khu']);
    ws.addRow([]);
    ws.addRow(['38', 'Tỉnh Thanh Hóa'.normalize('NFD'), 'tỉnh', '16171', 'Xã Ba Đình', 'xã']);
    const buf = Buffer.from(await wb.xlsx.writeBuffer());

    const jobId = await upload(x, 'danh sách xã.xlsx', buf, '2025-07-01');
    const job = await waitJob(x, jobId);
    expect(job.status).toBe('succeeded');
    const rep = await importReport(x, (job.result as { importRunId: string }).importRunId);
    expect(rep.status, JSON.stringify(rep.errors)).toBe('succeeded');
    expect(rep.kind).toBe('communes');
    expect(rep.rowsTotal).toBe(5);
    expect(rep.warnings.map((w) => `${w.row}:${w.code}:${w.column}`)).toEqual(['3:CODE_PADDED:Mã tỉnh']);
    expect(rep.summary.changes).toMatchObject({ nation: { added: 1 }, province: { added: 3 }, commune: { added: 5 } });
    expect(await countsAt(x, '2025-07-01')).toMatchObject({ provinces: 3, communes: 5, phuong: 3, dacKhu: 1, xa: 1 });
    expect(await unitAsOf(x, '26732', '2025-07-01')).toMatchObject({ name: 'Đặc khu Côn Đảo', type: 'đặc khu' });
    expect(await unitAsOf(x, '38', '2025-07-01')).toMatchObject({ name: 'Tỉnh Thanh Hóa' }); // NFC
    const [run] = await sql<{ summary: { fileName: string } }>(x.orm.em.fork(), 'select summary from import_run where id = ?', [rep.id]);
    expect(run.summary.fileName).toBe('danh sách xã.xlsx');
  });

  it('serves templates whose headers the importer accepts', async () => {
    for (const kind of ['communes', 'provinces', 'amendments']) {
      const csv = await fetch(`${x.url}/tree/import/template.csv?kind=${kind}`, { headers: await adminHeaders(x) });
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-disposition')).toContain('.csv');
      const xlsx = await fetch(`${x.url}/tree/import/template.xlsx?kind=${kind}`, { headers: await adminHeaders(x) });
      expect(xlsx.status).toBe(200);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(await xlsx.arrayBuffer());
      expect(wb.worksheets.map((w) => w.name)).toEqual(['Danh sách', 'Hướng dẫn']);
    }
    // The communes template (Vietnamese headers, sample rows) imports cleanly, in both formats.
    const csv = Buffer.from(await (await fetch(`${x.url}/tree/import/template.csv`, { headers: await adminHeaders(x) })).arrayBuffer());
    expect(csv.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(csv.toString('utf8')).toContain('Mã tỉnh,Tên tỉnh,Loại,Mã xã,Tên xã,Loại xã');
    const r1 = await importFile(x, 'mau.csv', csv);
    expect(r1.status, JSON.stringify(r1.errors)).toBe('succeeded');
    const xlsx = Buffer.from(await (await fetch(`${x.url}/tree/import/template.xlsx`, { headers: await adminHeaders(x) })).arrayBuffer());
    const r2 = await importFile(x, 'mau.xlsx', xlsx);
    expect(r2.status, JSON.stringify(r2.errors)).toBe('succeeded');
    expect(r2.warnings).toEqual([]);
    expect(r2.summary.noChanges).toBe(true);
  });

  it('re-queues an import run whose job was never queued (the process died between commit and enqueue)', async () => {
    // Simulated: an import_run row pointing at a job_run id that does not exist; a restart's start() queues it.
    const file = path.join(x.config.dataDir, 'uploads', 'orphan');
    fs.writeFileSync(file, ref('provinces_2025.csv'));
    const id = '00000000-0000-4000-8000-00000000000a';
    const jobRunId = '00000000-0000-4000-8000-00000000000b';
    await sql(x.orm.em.fork(), `insert into import_run (id, kind, status, source, effective_date, created_by, job_run_id, summary)
      values (?, 'pending', 'queued', ?, '2025-07-01', 'test', ?, '{"fileName":"provinces_2025.csv"}')`, [id, file, jobRunId]);
    const { requeueOrphans } = await import('../../core/admin-tree/import.service.js');
    expect(await requeueOrphans(x.orm, x.jobs)).toBe(1);
    await waitJob(x, jobRunId);
    const rep = await waitFor(async () => {
      const r = await importReport(x, id);
      return r.status === 'succeeded' ? r : undefined;
    });
    expect(rep.kind).toBe('provinces');
  });
});
