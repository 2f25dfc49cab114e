// The report engine end to end on the real app, PostgreSQL, Redis and Chromium: the generic request form and route,
// the job core.reports.generate in PDF, XLSX and CSV, a plugin's report declared through r.reports(), and verifiable
// print — the QR code in the PDF decoded from a PNG of page 1, the public check page it leads to, versions, and
// comparing an uploaded copy.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { VERIFY_LIMIT, VERIFY_WINDOW_MS } from '../../core/reports/verify.routes.js';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { z } from 'zod';
import ExcelJS from 'exceljs';
import { PNG } from 'pngjs';
import jsQRModule from 'jsqr';
import { boot } from '../../core/kernel/boot.js';
import { INSTALLED_PLUGINS } from '../../core/kernel/plugins.js';
import { definePlugin, defineReport, ok } from '../../core/plugin-api/index.js';
import { clearQueuePrefix, dropSchema, testConfig, waitFor, REPO_ROOT } from '../helpers/test-app.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { assertTokenAccepted, createTokenUser, type TokenUser } from '../helpers/token-user.js';
import { TestClient } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import type { BaucuApp } from '../../core/kernel/boot.js';

const SCREENS = path.join(REPO_ROOT, 'tmp/screens');
// jsqr is CommonJS (module.exports = the function, typed as a default export): take whichever shape arrives.
type JsQR = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR: JsQR = (jsQRModule as unknown as { default?: JsQR }).default ?? (jsQRModule as unknown as JsQR);

interface DemoRow { name: string; count: number; share: number; day: string | Date | null }
const PUBLIC_BASE = 'https://baucu.example.vn';

/** A plugin contributing a report the way a real one would: only plugin-api, its own permission and messages. */
const testPlugin = definePlugin({
  id: 'report-demo',
  version: '0.0.1',
  titleKey: 'report-demo.title',
  register(r) {
    r.permissions({ id: 'report-demo.summary.generate', level: 'province', titleKey: 'report-demo.perm', roles: ['system-admin', 'nec-official', 'province-official'] });
    r.messages({
      vi: {
        'report-demo.title': 'Báo cáo thử', 'report-demo.perm': 'Tạo bảng tổng hợp thử', 'report-demo.summary': 'Bảng tổng hợp thử của tỉnh',
        'report-demo.province': 'Tỉnh', 'report-demo.col.name': 'Tên', 'report-demo.col.count': 'Số lượng', 'report-demo.col.share': 'Tỷ lệ',
        'report-demo.col.day': 'Ngày',
      },
      en: {
        'report-demo.title': 'Demo report', 'report-demo.perm': 'Generate the demo summary', 'report-demo.summary': 'Demo province summary',
        'report-demo.province': 'Province', 'report-demo.col.name': 'Name', 'report-demo.col.count': 'Count', 'report-demo.col.share': 'Share',
        'report-demo.col.day': 'Day',
      },
    });
    r.reports(defineReport<{ provinceCode: string }, { rows: DemoRow[] }, DemoRow>({
      id: 'report-demo.reports.summary',
      titleKey: 'report-demo.summary',
      params: z.object({ provinceCode: z.string().regex(/^\d{2}$/) }).strict(),
      fields: [{ name: 'provinceCode', labelKey: 'report-demo.province', kind: 'province', required: true }],
      permission: 'report-demo.summary.generate',
      formats: ['csv', 'xlsx', 'pdf'],
      target: (p) => ({ type: 'province', code: p.provinceCode }),
      async build(p, ctx) {
        const [row] = await ctx.sql<{ n: number }>(`select count(*)::int as n from admin_unit where parent_code = ? and valid_to is null`, [p.provinceCode]);
        return ok({
          rows: [
            { name: 'Số đơn vị cấp xã', count: row.n, share: 1, day: '2026-03-15' },
            // Text a spreadsheet would run as a formula: written as text in CSV (quote prefix) and XLSX (a string cell).
            { name: '=HYPERLINK("http://x","bấm")', count: -5, share: -0.125, day: new Date('2026-03-14T18:30:00Z') },
            { name: '@SUM(A1)', count: 1234567, share: 0.5234, day: null },
          ],
        });
      },
      columns: [
        { headerKey: 'report-demo.col.name', type: 'text', value: (r) => r.name },
        { headerKey: 'report-demo.col.count', type: 'integer', value: (r) => r.count },
        { headerKey: 'report-demo.col.share', type: 'percent', value: (r) => r.share },
        { headerKey: 'report-demo.col.day', type: 'date', value: (r) => r.day },
      ],
    }));
  },
});

let app: BaucuApp & { url: string };
let closeApp: () => Promise<void>;
let work: string;
let nec: TokenUser;
let province12: TokenUser;

beforeAll(async () => {
  const config = testConfig('reports_engine', { PUBLIC_BASE_URL: PUBLIC_BASE + '/' });
  const booted = await boot(config, { plugins: [...INSTALLED_PLUGINS, testPlugin] });
  app = { ...booted, url: booted.url! };
  closeApp = async () => {
    await booted.stop();
    await dropSchema(config.databaseSchema);
    await clearQueuePrefix(config.queuePrefix);
    fs.rmSync(config.dataDir, { recursive: true, force: true });
  };
  work = fs.mkdtempSync(path.join(config.dataDir, 'engine-'));
  // Lai Châu: 38 communes, a two-page list (quick to render).
  await insertUnits(app.orm.em.fork(), referenceUnits(['12', '46']));
  nec = await createTokenUser(app.orm.em.fork(), 'nec', 'nec-official', 'nation', 'VN');
  province12 = await createTokenUser(app.orm.em.fork(), 'laichau', 'province-official', 'province', '12');
  await assertTokenAccepted(app.url, nec);
});
afterAll(async () => {
  await closeApp?.();
});

interface JobJson { id: string; status: string; error: string | null; result: { artefactId?: string } | null }

async function request(report: string, form: Record<string, string>, as: TokenUser = nec): Promise<Response> {
  return fetch(`${app.url}/reports/${report}`, { method: 'POST', headers: as.headers, body: new URLSearchParams(form), redirect: 'manual' });
}

async function generate(report: string, form: Record<string, string>, as: TokenUser = nec): Promise<string> {
  const res = await request(report, form, as);
  expect(res.status, await res.clone().text()).toBe(303);
  const job = await waitFor(async () => {
    const j = (await (await fetch(app.url + res.headers.get('location')!, { headers: { accept: 'application/json', ...as.headers } })).json()) as JobJson;
    return j.status === 'succeeded' || j.status === 'failed' ? j : undefined;
  }, 60_000, 50);
  expect(job.error).toBeNull();
  return job.result!.artefactId!;
}

async function download(id: string, as: TokenUser = nec): Promise<{ res: Response; bytes: Buffer }> {
  const res = await fetch(`${app.url}/artefacts/${id}/download`, { headers: as.headers });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Page 1 of a PDF → PNG (pdftoppm) → the QR code's text (jsQR), or undefined. */
function decodeQr(pdf: Buffer, name: string): string | undefined {
  const file = path.join(work, `${name}.pdf`);
  fs.writeFileSync(file, pdf);
  execFileSync('pdftoppm', ['-r', '200', '-png', '-f', '1', '-l', '1', '-singlefile', file, path.join(work, name)]);
  const png = PNG.sync.read(fs.readFileSync(path.join(work, `${name}.png`)));
  fs.mkdirSync(SCREENS, { recursive: true });
  fs.copyFileSync(path.join(work, `${name}.png`), path.join(SCREENS, `${name}.png`));
  return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength), png.width, png.height)?.data;
}

/** Posts a file to the check page as a browser would (multipart; CSRF token of the anonymous visitor in the query). */
async function compare(pathname: string, bytes: Buffer): Promise<{ status: number; html: string }> {
  const visitor = new TestClient(app.url);
  const page = await (await visitor.get(pathname)).text();
  const action = /<form method="post" action="([^"]+)" enctype="multipart\/form-data"/.exec(page)![1].replace(/&amp;/g, '&');
  const body = new FormData();
  body.set('file', new Blob([new Uint8Array(bytes)], { type: 'application/pdf' }), 'ban-sao.pdf');
  const cookie = [...visitor.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(app.url + action, { method: 'POST', body, headers: { cookie }, redirect: 'manual' });
  return { status: res.status, html: await res.text() };
}

describe('report engine', () => {
  it('GET /reports offers one form per report the actor may generate, with its formats', async () => {
    const html = await (await fetch(app.url + '/reports', { headers: nec.headers })).text();
    expect(html).toMatch(/action="\/reports\/province-communes"/);
    expect(html).toMatch(/action="\/reports\/report-demo\.reports\.summary"/);
    for (const f of ['pdf', 'xlsx', 'csv']) expect(html).toContain(`name="format" value="${f}"`);
    expect(html).toContain('<option value="12">Tỉnh Lai Châu</option>');
    // A province official: only their province, and still both reports (the plugin granted the role).
    const own = await (await fetch(app.url + '/reports', { headers: province12.headers })).text();
    expect(own).toContain('<option value="12">Tỉnh Lai Châu</option>');
    expect(own).not.toContain('<option value="46">');
  });

  it('refuses an unknown report, a format the report does not offer, an unknown field (400, audited)', async () => {
    expect((await request('no-such-report', { provinceCode: '12' })).status).toBe(400);
    expect((await request('province-communes', { provinceCode: '12', format: 'docx' })).status).toBe(400);
    expect((await request('province-communes', { provinceCode: '12', colour: 'red' })).status).toBe(400);
    const [{ n }] = await sql<{ n: number }>(app.orm.em.fork(), `select count(*)::int as n from audit_event where action = 'core.reports.request' and result = 'rejected'`);
    expect(n).toBeGreaterThanOrEqual(3);
    // Out of scope: the Lai Châu official may not generate for Huế.
    expect((await request('province-communes', { provinceCode: '46' }, province12)).status).toBe(403);
  });

  it('XLSX: real cells — integers with #,##0, codes as text, dates as dates, a title row and a frozen header', async () => {
    const id = await generate('province-communes', { provinceCode: '12', format: 'xlsx' });
    const { res, bytes } = await download(id);
    expect(res.headers.get('content-type')).toContain('spreadsheetml');
    expect(res.headers.get('content-disposition')).toMatch(/\.xlsx"?$/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.getCell('A1').value).toBe('Danh sách đơn vị hành chính cấp xã — Tỉnh Lai Châu');
    expect([1, 2, 3, 4, 5].map((c) => ws.getRow(3).getCell(c).value)).toEqual(['STT', 'Mã', 'Tên đơn vị', 'Loại', 'Có hiệu lực từ']);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 3 });
    const first = ws.getRow(4);
    expect(first.getCell(1).value).toBe(1);
    expect(first.getCell(1).numFmt).toBe('#,##0');
    expect(typeof first.getCell(2).value).toBe('string'); // a code keeps its leading zeros: text, not a number
    expect(first.getCell(5).value).toBeInstanceOf(Date);
    expect((first.getCell(5).value as Date).toISOString()).toBe('2025-07-01T00:00:00.000Z');
    expect(first.getCell(5).numFmt).toBe('dd/mm/yyyy');
    expect(ws.rowCount).toBe(3 + 38);
    const [row] = await sql<{ format: string; verify_code: string | null; mime: string }>(app.orm.em.fork(), 'select format, verify_code, mime from artefact where id = ?', [id]);
    expect(row).toEqual({ format: 'xlsx', verify_code: null, mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
  });

  it('CSV: UTF-8 with BOM, header row, one record per unit, CRLF', async () => {
    const id = await generate('province-communes', { provinceCode: '12', format: 'csv' });
    const { res, bytes } = await download(id);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').slice(1).split('\r\n');
    expect(lines[0]).toBe('"STT","Mã","Tên đơn vị","Loại","Có hiệu lực từ"');
    expect(lines[1]).toMatch(/^"1","\d{5}","(Xã|Phường) [^"]+","(Xã|Phường)","2025-07-01"$/);
    expect(lines.length).toBe(1 + 38 + 1); // trailing CRLF
  });

  it('a plugin report (r.reports): CSV cells typed and injection-safe, XLSX numbers and percentages', async () => {
    const csvId = await generate('report-demo.reports.summary', { provinceCode: '12', format: 'csv' });
    const lines = (await download(csvId)).bytes.toString('utf8').slice(1).split('\r\n');
    expect(lines[0]).toBe('"Tên","Số lượng","Tỷ lệ","Ngày"');
    expect(lines[1]).toBe('"Số đơn vị cấp xã","38","100.00","2026-03-15"');
    // Formula-looking text is prefixed with ' ; numbers (even negative) are not; an instant is its day in Vietnam.
    expect(lines[2]).toBe(`"'=HYPERLINK(""http://x"",""bấm"")","-5","-12.50","2026-03-15"`);
    expect(lines[3]).toBe(`"'@SUM(A1)","1234567","52.34",""`);

    const xlsxId = await generate('report-demo.reports.summary', { provinceCode: '12', format: 'xlsx' });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await download(xlsxId)).bytes as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.getCell('A5').value).toBe('=HYPERLINK("http://x","bấm")'); // a string cell, not a formula
    expect(ws.getCell('B6').value).toBe(1234567);
    expect(ws.getCell('B6').numFmt).toBe('#,##0');
    expect(ws.getCell('C6').value).toBeCloseTo(0.5234);
    expect(ws.getCell('C6').numFmt).toBe('0.00%');
    expect(ws.getCell('D4').value).toEqual(new Date('2026-03-15T00:00:00Z'));

    // The generic PDF table (the plugin has no print template): official header, its rows, the verification footer.
    const pdfId = await generate('report-demo.reports.summary', { provinceCode: '12', format: 'pdf' });
    const file = path.join(work, 'demo.pdf');
    fs.writeFileSync(file, (await download(pdfId)).bytes);
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    fs.mkdirSync(SCREENS, { recursive: true });
    execFileSync('pdftoppm', ['-r', '110', '-png', '-f', '1', '-l', '1', '-singlefile', file, path.join(SCREENS, 'report-table-p1')]);
    expect(text).toContain('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM');
    expect(text).toContain('Bảng tổng hợp thử của tỉnh');
    expect(text).toContain('1.234.567');
    expect(text).toContain('52,34%');
    expect(text).toContain('Mã xác thực');
    // The artefact is scoped to its target, so the Lai Châu official sees it.
    expect((await download(pdfId, province12)).res.status).toBe(200);
  });
});

describe('verifiable print', () => {
  let firstId: string;
  let firstBytes: Buffer;
  let checkPath: string;

  it('the PDF carries a QR code of <PUBLIC_BASE_URL>/v/<code>, readable from a 200 dpi scan of page 1', async () => {
    firstId = await generate('province-communes', { provinceCode: '12' });
    firstBytes = (await download(firstId)).bytes;
    const url = decodeQr(firstBytes, 'verify-qr-p1');
    expect(url).toBeDefined();
    expect(url).toMatch(new RegExp(`^${PUBLIC_BASE.replace(/\./g, '\\.')}/v/[0-9A-HJKMNP-TV-Z]{10}$`));
    checkPath = new URL(url!).pathname;
    const [row] = await sql<{ verify_code: string }>(app.orm.em.fork(), 'select verify_code from artefact where id = ?', [firstId]);
    expect(checkPath).toBe(`/v/${row.verify_code}`);
    // The same code is printed for people to type, grouped 5-5.
    const file = path.join(work, 'verify-qr-p1.pdf');
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    expect(text).toContain(`Mã xác thực: ${row.verify_code.slice(0, 5)}-${row.verify_code.slice(5)}`);
    expect(text).toContain(`Kiểm tra tài liệu tại ${PUBLIC_BASE}/v/${row.verify_code}`);
  });

  it('the check page (public, no sign-in) shows title, the SHA-256 of the downloaded file, who, when, latest version', async () => {
    const res = await fetch(app.url + checkPath);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Danh sách đơn vị hành chính cấp xã — Tỉnh Lai Châu');
    expect(html).toContain(`<code class="sha" id="stored-sha">${sha256(firstBytes)}</code>`);
    expect(html).toContain('Người dùng nec'); // the requester's name, nothing more about them
    expect(html).toMatch(/\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/);
    expect(html).toContain('Đây là phiên bản mới nhất');
    expect(html).not.toContain('Đã có phiên bản mới hơn');
    // A code typed by hand (lower case, with the dash, O for 0) lands on the canonical page.
    const typed = checkPath.slice(3).toLowerCase().replace(/^(.{5})/, '$1-').replace(/0/g, 'o');
    const redirected = await fetch(`${app.url}/v/${typed}`, { redirect: 'manual' });
    expect(redirected.status).toBe(301);
    expect(redirected.headers.get('location')).toBe(checkPath);
    expect((await fetch(`${app.url}/v/ZZZZZZZZZZ`)).status).toBe(404);
  });

  it('the same report with the same parameters again: the first code now says a newer version exists', async () => {
    const secondId = await generate('province-communes', { provinceCode: '12' });
    expect(secondId).not.toBe(firstId);
    const html = await (await fetch(app.url + checkPath)).text();
    expect(html).toMatch(/Đã có phiên bản mới hơn, tạo lúc \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/);
    expect(html).not.toContain('Đây là phiên bản mới nhất');
    const [second] = await sql<{ verify_code: string }>(app.orm.em.fork(), 'select verify_code from artefact where id = ?', [secondId]);
    expect(html).toContain(`href="/v/${second.verify_code}"`);
    expect(await (await fetch(`${app.url}/v/${second.verify_code}`)).text()).toContain('Đây là phiên bản mới nhất');
    // Another province, or another format, is another document: not a version of this one.
    await generate('province-communes', { provinceCode: '46' });
    expect(await (await fetch(`${app.url}/v/${second.verify_code}`)).text()).toContain('Đây là phiên bản mới nhất');
  });

  it('comparing a file: the original bytes → "Khớp"; a modified copy → "Không khớp"; each comparison audited', async () => {
    const same = await compare(checkPath, firstBytes);
    expect(same.status).toBe(200);
    expect(same.html).toContain('<h2>Khớp</h2>');
    expect(same.html).not.toContain('Không khớp');

    const changed = Buffer.from(firstBytes);
    changed[Math.floor(changed.length / 2)] ^= 0x01; // one bit
    const flipped = await compare(checkPath, changed);
    expect(flipped.html).toContain('<h2>Không khớp</h2>');
    expect(flipped.html).toContain(sha256(changed));
    const appended = await compare(checkPath, Buffer.concat([firstBytes, Buffer.from('\n% sửa\n')]));
    expect(appended.html).toContain('<h2>Không khớp</h2>');

    const events = await sql<{ actor: string; result: string; after: { match: boolean } }>(app.orm.em.fork(),
      `select actor, result, after from audit_event where action = 'core.reports.verify' and target_id = ? order by seq`, [firstId]);
    expect(events.map((e) => [e.actor, e.result, e.after.match])).toEqual([['anonymous', 'success', true], ['anonymous', 'success', false], ['anonymous', 'success', false]]);
  });

  it('a comparison without a file, or without the CSRF token, is refused', async () => {
    const visitor = new TestClient(app.url);
    await visitor.get(checkPath);
    const noFile = await visitor.post(checkPath, {});
    expect(noFile.status).toBe(400);
    expect(await noFile.text()).toContain('Vui lòng chọn một tệp để đối chiếu.');
    const body = new FormData();
    body.set('file', new Blob([new Uint8Array(firstBytes)]), 'x.pdf');
    const forged = await fetch(app.url + checkPath, { method: 'POST', body, redirect: 'manual' });
    expect(forged.status).toBe(403);
  });

  it('an assignment limited to one election lists only the documents of that election in its scope', async () => {
    const em = app.orm.em.fork();
    const electionId = newId();
    await sql(em, `insert into election (id, name, election_day) values (?, 'Bầu cử thử', '2026-03-15')`, [electionId]);
    const observer = await createTokenUser(em, 'quan-sat', 'observer', 'province', '12');
    await sql(em, 'update role_assignment set election_id = ? where user_id = ?', [electionId, observer.id]);
    const res = await fetch(app.url + '/reports', { headers: observer.headers });
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain('/artefacts/');
    await sql(em, 'update artefact set election_id = ? where id = ?', [electionId, firstId]);
    const html = await (await fetch(app.url + '/reports', { headers: observer.headers })).text();
    expect(html).toContain(`/artefacts/${firstId}/download`);
    expect(html.match(/\/artefacts\/[0-9a-f-]{36}\/download/g)).toHaveLength(1);
    await sql(em, 'update artefact set election_id = null where id = ?', [firstId]);
  });

  it('the download centre lists the artefacts with their format and verification code', async () => {
    const html = await (await fetch(app.url + '/reports', { headers: nec.headers })).text();
    const [row] = await sql<{ verify_code: string }>(app.orm.em.fork(), 'select verify_code from artefact where id = ?', [firstId]);
    expect(html).toContain(`<a href="/v/${row.verify_code}">${row.verify_code.slice(0, 5)}-${row.verify_code.slice(5)}</a>`);
    expect(html).toContain('<td>XLSX</td>');
    expect(html).toContain('<td>CSV</td>');
  });

  // Last: it uses up this address's comparisons for the window.
  it(`more than VERIFY_LIMIT comparisons from one address within the window: 429 with a Vietnamese message, not audited`, async () => {
    const visitor = new TestClient(app.url);
    await visitor.get(checkPath);
    const count = async () => (await sql<{ n: number }>(app.orm.em.fork(), `select count(*)::int as n from audit_event where action = 'core.reports.verify'`))[0].n;
    let last: Response | undefined;
    for (let i = 0; i <= VERIFY_LIMIT; i++) {
      last = await visitor.post(checkPath, {});
      if (last.status === 429) break;
      expect(last.status).toBe(400); // no file: refused, counted, audited
    }
    expect(last!.status).toBe(429);
    expect(last!.headers.get('retry-after')).toBe(String(VERIFY_WINDOW_MS / 1000));
    expect(await last!.text()).toContain(`Đã đối chiếu quá ${VERIFY_LIMIT} lần trong 10 phút từ địa chỉ này`);
    const before = await count();
    expect((await visitor.post(checkPath, {})).status).toBe(429);
    expect(await count()).toBe(before);
  });
});
