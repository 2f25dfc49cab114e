// Candidates in headless Chromium: a commune official signs in, receives a dossier on the form with the keyboard
// only (Enter submits), uploads a scan and the photo, records a voter conference, and the pages are screenshotted for
// review in tmp/screens (git-ignored): candidate-form.png, candidate-dossier.png, candidates-search.png,
// candidates-consultation.png. Other candidates of the council are filed through HTTP to fill the board.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import { PNG } from 'pngjs';
import { launchChromium, signInOnForm } from '../helpers/browser.js';
import { REPO_ROOT } from '../helpers/test-app.js';
import { TestClient, createUser, type TestUser } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';
import { candidateWorld, createCandidate, dossierForm, uploadDocument, PDF_BYTES, type CandidateWorld } from '../helpers/candidates.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');
let w: CandidateWorld;
let browser: Browser;
let page: Page;
let profile: string;
let official: TestUser;
let http: TestClient;
let files: string;
const png = (() => {
  const p = new PNG({ width: 120, height: 180 });
  for (let i = 0; i < p.data.length; i += 4) p.data.set([70 + ((i / 4) % 120), 110, 160, 255], i);
  return PNG.sync.write(p);
})();

beforeAll(async () => {
  w = await candidateWorld('cand_browser');
  const em = w.app.orm.em.fork();
  await sql(em, `update election set name = 'Bầu cử đại biểu Quốc hội khóa XVI và đại biểu HĐND các cấp' where id = ?`, [w.electionId]);
  official = await createUser(em, { roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: w.communes.A }], fullName: 'Nguyễn Văn Cán Bộ' });
  http = new TestClient(w.app.url);
  await http.login(official, em);
  const people: [string, string, string, string][] = [
    ['Trần Thị Mai Anh', 'female', '14/02/1988', 'local'], ['Lê Văn Bảo', 'male', '03/07/1979', 'local'], ['Phạm Thị Cúc', 'female', '21/11/1992', 'self'],
    ['Hoàng Minh Đức', 'male', '09/09/1984', 'local'], ['Võ Thị Hồng Nhung', 'female', '30/04/1990', 'local'], ['Đặng Quốc Việt', 'male', '12/12/1975', 'local'],
  ];
  const ids: string[] = [];
  for (const [name, gender, dob, route] of people) {
    const r = await createCandidate(http, w.electionId, dossierForm({ councilCode: w.communes.A, fullName: name, gender, dateOfBirth: dob, nominatedBy: route, ...(route === 'self' ? { nominatingBody: undefined, position: undefined } : {}) }));
    ids.push(r.id!);
  }
  const board = `/elections/${w.electionId}/consultation/commune-council/${w.communes.A}`;
  await http.post(`${board}/rounds`, { round: '1', heldOn: '04/12/2025', nominatingBody: 'Ủy ban nhân dân phường', composition: '2 nữ, 1 dưới 40 tuổi', nominees: '4' });
  await http.post(`${board}/rounds`, { round: '1', heldOn: '04/12/2025', nominatingBody: 'Ủy ban MTTQ Việt Nam phường', nominees: '3' });
  await http.post(`${board}/rounds`, { round: '2', heldOn: '03/02/2026', note: 'Lập danh sách sơ bộ 6 người' });
  for (const id of ids.slice(0, 5)) await http.post(`/elections/${w.electionId}/candidates/${id}/status`, { move: 'preliminary' });
  await http.post(`/elections/${w.electionId}/candidates/${ids[0]}/conferences`, { kind: 'residence', heldOn: '05/02/2026', invited: '120', attending: '104', confidence: '98' });
  await http.post(`/elections/${w.electionId}/candidates/${ids[1]}/conferences`, { kind: 'residence', heldOn: '06/02/2026', invited: '95', attending: '80', confidence: '37' });
  await http.post(`/elections/${w.electionId}/candidates/${ids[0]}/status`, { move: 'qualified' });
  await http.post(`/elections/${w.electionId}/candidates/${ids[1]}/status`, { move: 'not-qualified', reason: 'Tín nhiệm nơi cư trú 46,25%, dưới một nửa' });
  await http.post(`/elections/${w.electionId}/candidates/${ids[5]}/status`, { move: 'withdrawn', reason: 'Xin rút vì chuyển công tác' });
  files = fs.mkdtempSync(path.join(os.tmpdir(), 'baucu-cand-'));
  fs.writeFileSync(path.join(files, 'don-ung-cu.pdf'), PDF_BYTES);
  fs.writeFileSync(path.join(files, 'anh-4x6.png'), png);
  fs.mkdirSync(SCREENS, { recursive: true });
  ({ browser, profile } = await launchChromium());
  page = await browser.newPage();
  await page.setViewport({ width: 1180, height: 820 });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  if (files) fs.rmSync(files, { recursive: true, force: true });
  await w?.app.close();
});

describe('candidate dossier in the browser', () => {
  const errors: string[] = [];
  let dossierUrl = '';

  it('a commune official receives a dossier with the keyboard only', async () => {
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('response', (r) => { if (r.status() === 404 && !r.url().endsWith('/favicon.ico')) errors.push(`404 ${r.url()}`); });
    await page.goto(`${w.app.url}/elections/${w.electionId}/candidates/new?contest=commune-council`, { waitUntil: 'networkidle0' });
    await signInOnForm(page, official);
    expect(new URL(page.url()).pathname).toBe(`/elections/${w.electionId}/candidates/new`);
    // The name box has the focus; the rest is typed in form order with Tab, radio and select with the keyboard.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-name');
    await page.keyboard.type('Nguyễn Thị Thanh Hương');
    const fill = async (sel: string, text: string) => {
      await page.focus(sel);
      await page.keyboard.type(text);
    };
    await fill('#f-other', '');
    await page.focus('#f-gender');
    await page.keyboard.press('ArrowDown');
    await fill('#f-dob', '15/03/2005');
    await fill('#f-eth', 'Kinh');
    await fill('#f-rel', 'Không');
    await fill('#f-home', 'Xã Hòa Phú, tỉnh Đắk Lắk');
    await fill('#f-perm', 'Số 12 đường Lê Lợi, khu phố 3');
    await fill('#f-cur', 'Số 12 đường Lê Lợi, khu phố 3');
    await fill('#f-id', '079305001234');
    await fill('#f-eg', '12/12');
    await fill('#f-ep', 'Thạc sĩ Quản lý công');
    await fill('#f-et', 'Trung cấp');
    await fill('#f-el', 'Tiếng Anh B2');
    await fill('#f-occ', 'Công chức');
    await fill('#f-pos', 'Phó Chủ tịch Hội Liên hiệp Phụ nữ phường');
    await fill('#f-work', 'Hội Liên hiệp Phụ nữ phường');
    await fill('#f-nbody', 'Hội Liên hiệp Phụ nữ phường');
    await page.focus('input[name=nominatedBy][value=local]');
    await page.keyboard.press('Space');
    await page.screenshot({ path: path.join(SCREENS, 'candidate-form.png'), fullPage: true });
    await page.focus('#f-work');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
    dossierUrl = page.url();
    expect(dossierUrl).toMatch(/\/candidates\/[0-9a-f-]{36}$/);
    expect(await page.$eval('h1', (h) => h.textContent)).toContain('Nguyễn Thị Thanh Hương');
  });

  it('uploads the application scan and the 4×6 photo, records a voter conference; the dossier page shows checklist, documents and history', async () => {
    const upload = async (kind: string, file: string) => {
      await page.select('#up-kind', kind);
      const input = (await page.$('#up-file')) as ElementHandle<HTMLInputElement> | null;
      await input!.uploadFile(path.join(files, file));
      await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('.cd-upload button[type=submit]')]);
    };
    await upload('application', 'don-ung-cu.pdf');
    await upload('photo', 'anh-4x6.png');
    await upload('photo', 'anh-4x6.png');
    const id = dossierUrl.split('/').pop()!;
    await uploadDocument(http, w.electionId, id, { kind: 'cv', fileName: 'so-yeu-ly-lich.pdf', bytes: PDF_BYTES });
    await page.goto(dossierUrl, { waitUntil: 'networkidle0' });
    await page.click('.cd-details summary');
    await page.select('#cf-kind', 'workplace');
    await page.type('#cf-date', '12/01/2026');
    await page.type('#cf-inv', '60');
    await page.type('#cf-att', '55');
    await page.type('#cf-conf', '54');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
    const text = await page.$eval('main', (m) => m.textContent ?? '');
    expect(text).toContain('98,18%');
    expect(text).toContain('don-ung-cu.pdf');
    expect(text).toContain('Hồ sơ còn thiếu giấy tờ.');
    expect(text).toContain('Hội nghị cử tri');
    await page.goto(dossierUrl, { waitUntil: 'networkidle0' });
    await page.screenshot({ path: path.join(SCREENS, 'candidate-dossier.png'), fullPage: true });
  });

  it('the search finds names typed without accents; the consultation board shows each round', async () => {
    await page.goto(`${w.app.url}/elections/${w.electionId}/candidates?q=huong`, { waitUntil: 'networkidle0' });
    expect(await page.$$eval('.cd-table tbody tr', (rows) => rows.length)).toBe(1);
    await page.goto(`${w.app.url}/elections/${w.electionId}/candidates`, { waitUntil: 'networkidle0' });
    await page.screenshot({ path: path.join(SCREENS, 'candidates-search.png'), fullPage: true });
    await page.goto(`${w.app.url}/elections/${w.electionId}/consultation/commune-council/${w.communes.A}`, { waitUntil: 'networkidle0' });
    const text = await page.$eval('main', (m) => m.textContent ?? '');
    expect(text).toContain('Hiệp thương lần thứ nhất');
    expect(text).toContain('2 cơ quan, tổ chức được phân bổ 7 người; đã nhận 7 hồ sơ.');
    await page.screenshot({ path: path.join(SCREENS, 'candidates-consultation.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
