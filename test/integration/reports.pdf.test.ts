// The province list PDF end to end on the real app, PostgreSQL, Redis and Chromium: request over HTTP → job →
// artefact (file + row + audit) → download → text and fonts checked with poppler, first page saved as PNG.
import { sortKey } from '../../core/admin-tree/import.service.js';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { startTestApp, waitFor, REPO_ROOT, type TestApp } from '../helpers/test-app.js';
import { amendedUnits, insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { assertTokenAccepted, createTokenUser, type TokenUser } from '../helpers/token-user.js';
import { sql } from '../../core/persistence/db.js';
import { collationKey } from '../../core/shared/vn-text.js';

const SCREENS = path.join(REPO_ROOT, 'tmp/screens');

let app: TestApp;
let work: string;
/** A national election official (nation scope) and a Hồ Chí Minh City official. */
let nec: TokenUser;
let hcmcOfficial: TokenUser;
const hcmc = referenceUnits(['79']);

beforeAll(async () => {
  app = await startTestApp('reports_pdf');
  work = fs.mkdtempSync(path.join(app.config.dataDir, 'poppler-'));
  // Hồ Chí Minh City as published in 2025, Đồng Nai with its 2026 amendments (a second version of some rows).
  await insertUnits(app.orm.em.fork(), [...hcmc, ...amendedUnits(referenceUnits(['75']))]);
  nec = await createTokenUser(app.orm.em.fork(), 'nec', 'nec-official', 'nation', 'VN');
  hcmcOfficial = await createTokenUser(app.orm.em.fork(), 'hcmc', 'province-official', 'province', '79');
  await assertTokenAccepted(app.url, nec);
});
afterAll(async () => {
  await app?.close();
});

interface JobJson {
  id: string;
  status: string;
  error: string | null;
  result: { artefactId?: string } | null;
  done: number;
  total: number;
}

async function requestList(form: Record<string, string>, as: TokenUser = nec): Promise<Response> {
  return fetch(app.url + '/reports/province-communes', {
    method: 'POST',
    headers: as.headers,
    body: new URLSearchParams(form),
    redirect: 'manual',
  });
}

async function finished(location: string, as: TokenUser = nec): Promise<JobJson> {
  return waitFor(async () => {
    const j = (await (await fetch(app.url + location, { headers: { accept: 'application/json', ...as.headers } })).json()) as JobJson;
    return j.status === 'succeeded' || j.status === 'failed' ? j : undefined;
  }, 60_000, 100);
}

async function download(artefactId: string, as: TokenUser = nec): Promise<{ res: Response; bytes: Buffer; file: string }> {
  const res = await fetch(`${app.url}/artefacts/${artefactId}/download`, { headers: as.headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  const file = path.join(work, `${artefactId}.pdf`);
  fs.writeFileSync(file, bytes);
  return { res, bytes, file };
}

const pdftotext = (file: string, layout = false) => execFileSync('pdftotext', [...(layout ? ['-layout'] : []), '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
/** Text with line breaks and runs of spaces collapsed, for sentences that wrap. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

describe('province communes list (PDF)', () => {
  let artefactId: string;
  let file: string;

  it('POST /reports/province-communes enqueues the job and redirects to it; the job stores an artefact', async () => {
    const res = await requestList({ provinceCode: '79' });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^\/jobs\/[0-9a-f-]{36}$/);
    const job = await finished(location);
    expect(job.error).toBeNull();
    expect(job.status).toBe('succeeded');
    expect(job.done).toBe(job.total);
    artefactId = job.result!.artefactId!;
    expect(artefactId).toMatch(/^[0-9a-f-]{36}$/);

    const page = await (await fetch(app.url + location, { headers: nec.headers })).text();
    expect(page).toContain(`href="/artefacts/${artefactId}/download"`);

    const [row] = await sql<{ path: string; sha256: string; size: number; mime: string; kind: string; params: unknown; job_run_id: string; created_by: string }>(
      app.orm.em.fork(), 'select * from artefact where id = ?', [artefactId]);
    expect(row).toMatchObject({ kind: 'core.reports.province-communes', format: 'pdf', mime: 'application/pdf', path: `artefacts/${artefactId}.pdf`, job_run_id: location.split('/').pop(), created_by: nec.id });
    expect((row.params as { provinceCode: string }).provinceCode).toBe('79');
    const onDisk = fs.readFileSync(path.join(app.config.dataDir, row.path));
    expect(onDisk.length).toBe(row.size);
    expect(createHash('sha256').update(onDisk).digest('hex')).toBe(row.sha256);

    const [audit] = await sql<{ actor: string; result: string; after: { sha256: string } }>(
      app.orm.em.fork(), `select actor, result, after from audit_event where action = 'reports.artefact.create' and target_id = ?`, [artefactId]);
    expect(audit).toMatchObject({ actor: nec.id, result: 'success' });
    expect(audit.after.sha256).toBe(row.sha256);
    // The request itself is audited too, naming the job run.
    const [request] = await sql<{ actor: string; role: string; result: string }>(
      app.orm.em.fork(), `select actor, role, result from audit_event where action = 'core.reports.request' and target_id = ?`, [row.job_run_id]);
    expect(request).toMatchObject({ actor: nec.id, role: 'nec-official', result: 'success' });
  });

  it('GET /artefacts/:id/download sends the PDF as an attachment', async () => {
    const d = await download(artefactId);
    file = d.file;
    expect(d.res.status).toBe(200);
    expect(d.res.headers.get('content-type')).toBe('application/pdf');
    expect(d.res.headers.get('content-disposition')).toMatch(/^attachment; filename="?danh-sach-don-vi-hanh-chinh-cap-xa-thanh-pho-ho-chi-minh-\d{4}-\d{2}-\d{2}\.pdf"?$/);
    expect(d.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('has the official header, title, every unit with its diacritics, totals and page numbers', () => {
    const text = pdftotext(file);
    expect(text).toContain('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM');
    expect(text).toContain('Độc lập - Tự do - Hạnh phúc');
    expect(text).toContain('HỆ THỐNG QUẢN LÝ');
    expect(text).toContain('DANH SÁCH ĐƠN VỊ HÀNH CHÍNH CẤP XÃ');
    expect(text).toMatch(/Thành phố Hồ Chí Minh, ngày \d{2} tháng (0[12]|[3-9]|1[0-2]) năm \d{4}/);
    for (const name of ['Phường Sài Gòn', 'Phường Bến Thành', 'Xã Cần Giờ', 'Đặc khu Côn Đảo', 'Phường Thủ Dầu Một', 'Xã Thạnh An']) expect(text).toContain(name);
    for (const u of hcmc.filter((r) => r.level === 'commune')) expect(text).toContain(u.name);
    expect(text).toMatch(/Tổng cộng\s+168/);
    expect(flat(text)).toContain('Thành phố Hồ Chí Minh có 168 đơn vị hành chính cấp xã, gồm: 54 xã, 113 phường, 1 đặc khu.'); // flat() also turns no-break spaces into spaces
    expect(flat(text)).toContain(`Mã tài liệu: ${artefactId}`);
    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);
    expect(pages).toBeGreaterThan(1);
    expect(text).toContain(`Trang 1/${pages}`);
    expect(text).toContain(`Trang ${pages}/${pages}`);
  });

  it('lists the units in Vietnamese dictionary order (sort_key), numbered 1..n', () => {
    const rows = pdftotext(file, true)
      .split('\n')
      .map((l) => /^\s*(\d{1,3})\s+(\d{5})\s{2,}/.exec(l))
      .filter((m): m is RegExpExecArray => !!m);
    const expected = hcmc
      .filter((r) => r.level === 'commune')
      .map((r) => ({ ...r, key: sortKey(r.name, r.type as Parameters<typeof sortKey>[1]) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.code.localeCompare(b.code)))
      .map((r) => r.code);
    expect(rows.map((m) => m[2])).toEqual(expected);
    expect(rows.map((m) => Number(m[1]))).toEqual(expected.map((_, i) => i + 1));
  });

  it('uses Liberation Serif only (no glyph fell back to another font)', () => {
    const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' }).split('\n').slice(2).filter(Boolean).map((l) => l.split(/\s+/)[0].replace(/^[A-Z]{6}\+/, ''));
    expect(fonts.length).toBeGreaterThan(0);
    for (const f of fonts) expect(f).toMatch(/^LiberationSerif/);
  });

  it('renders the first page to PNG for review (tmp/screens/province-communes-p1.png)', () => {
    fs.mkdirSync(SCREENS, { recursive: true });
    execFileSync('pdftoppm', ['-r', '150', '-png', '-f', '1', '-l', '1', '-singlefile', file, path.join(SCREENS, 'province-communes-p1')]);
    const png = fs.readFileSync(path.join(SCREENS, 'province-communes-p1.png'));
    fs.copyFileSync(file, path.join(SCREENS, 'province-communes.pdf'));
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    // Last page too: the totals block.
    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);
    execFileSync('pdftoppm', ['-r', '150', '-png', '-f', String(pages), '-l', String(pages), '-singlefile', file, path.join(SCREENS, 'province-communes-last')]);
  });

  it('the list "as of" a date shows the tree version valid that day', async () => {
    const before = await finished((await requestList({ provinceCode: '75', asOf: '2026-01-15' })).headers.get('location')!);
    const after = await finished((await requestList({ provinceCode: '75', asOf: '2026-06-01' })).headers.get('location')!);
    const t1 = pdftotext((await download(before.result!.artefactId!)).file);
    const t2 = pdftotext((await download(after.result!.artefactId!)).file);
    expect(t1).toContain('Tỉnh Đồng Nai');
    expect(t1).toMatch(/\nĐồng Nai, ngày/);
    expect(t1).toContain('Xã Lộc Ninh');
    expect(flat(t1)).toContain('tại ngày 15/01/2026, danh mục có hiệu lực từ ngày 01/07/2025');
    expect(t2).toContain('Thành phố Đồng Nai');
    expect(t2).toContain('Phường Lộc Ninh');
    expect(t2).not.toContain('Xã Lộc Ninh');
    expect(flat(t2)).toContain('tại ngày 01/06/2026, danh mục có hiệu lực từ ngày 30/04/2026');
  });

  it('a province that did not exist on the date: the form refuses it, the job fails with a Vietnamese message', async () => {
    const form = await requestList({ provinceCode: '79', asOf: '2025-06-30' });
    expect(form.status).toBe(400);
    // The job checks again (the tree may change between request and run); payloads are ids and dates only.
    const runId = await app.jobs.enqueue('core.reports.province-communes', { provinceCode: '79', asOf: '2025-06-30' });
    const job = await finished(`/jobs/${runId}`);
    expect(job.status).toBe('failed');
    expect(job.error).toBe('Không tìm thấy tỉnh, thành phố có mã 79 tại ngày 30/06/2025.');
    const [audit] = await sql<{ result: string }>(app.orm.em.fork(), `select result from audit_event where action = 'reports.artefact.create' and target_id = ?`, [runId]);
    expect(audit.result).toBe('failed');
  });

  it('refuses an unknown province or a bad date (400, Vietnamese message)', async () => {
    const bad = await requestList({ provinceCode: '98' });
    expect([400, 403]).toContain(bad.status); // a code outside the tree is not a valid target for the policy either
    const badDate = await requestList({ provinceCode: '79', asOf: '2026-02-30' });
    expect(badDate.status).toBe(400);
    expect(await badDate.text()).toContain('asOf');
  });

  it('needs sign-in and the generate permission in scope', async () => {
    const anon = await fetch(app.url + '/reports/province-communes', { method: 'POST', body: new URLSearchParams({ provinceCode: '79' }), redirect: 'manual' });
    expect(anon.status).not.toBe(303);
    expect((await fetch(app.url + '/reports', { redirect: 'manual' })).headers.get('location')).toMatch(/^\/auth\/login/);
    // The Hồ Chí Minh City official may request 79 but not Đồng Nai.
    expect((await requestList({ provinceCode: '75' }, hcmcOfficial)).status).toBe(403);
    const own = await requestList({ provinceCode: '79' }, hcmcOfficial);
    expect(own.status).toBe(303);
    const job = await finished(own.headers.get('location')!, hcmcOfficial);
    expect(job.status).toBe('succeeded');
    expect((await download(job.result!.artefactId!, hcmcOfficial)).res.status).toBe(200);
  });

  it('a province official sees and downloads only the documents of their province', async () => {
    const [dongNai] = await sql<{ id: string }>(app.orm.em.fork(), `select id from artefact where params->>'provinceCode' = '75' limit 1`);
    expect((await download(dongNai.id, hcmcOfficial)).res.status).toBe(403);
    const html = await (await fetch(app.url + '/reports', { headers: hcmcOfficial.headers })).text();
    expect(html).not.toContain(`/artefacts/${dongNai.id}/download`);
    expect(html).toContain(`/artefacts/${artefactId}/download`);
    expect(html).toContain('<option value="79">Thành phố Hồ Chí Minh</option>');
    expect(html).not.toContain('<option value="75">');
  });

  it('GET /reports lists recent artefacts and offers the request form', async () => {
    const res = await fetch(app.url + '/reports', { headers: nec.headers });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Danh sách đơn vị hành chính cấp xã — Thành phố Hồ Chí Minh');
    expect(html).toContain(`/artefacts/${artefactId}/download`);
    expect(html).toContain('<option value="79">Thành phố Hồ Chí Minh</option>');
    expect(html).toContain('name="_csrf"');
    expect(html).toMatch(/action="\/reports\/province-communes"/);
    const page2 = await (await fetch(app.url + '/reports?page=2&size=10', { headers: nec.headers })).text();
    expect(page2).not.toContain(`/artefacts/${artefactId}/download`);
  });

  it('an unknown artefact is a Vietnamese 404', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await fetch(`${app.url}/artefacts/${id}/download`, { headers: nec.headers });
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('Không tìm thấy tài liệu bạn yêu cầu.');
    }
  });
});
