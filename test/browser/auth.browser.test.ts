// Sign-in and account administration in headless Chromium, driven with the keyboard where people would: sign-in,
// the forced two-factor enrolment with its QR code, the account list (search typed + Enter), a new account through
// the form, its page with the one-time password, the bulk page with a problem report and a successful upload.
// Screenshots for review in tmp/screens (git-ignored), at a laptop size and on a tablet in portrait (820×1180).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import puppeteer, { type Browser, type Page, type HTTPResponse } from 'puppeteer-core';
import ExcelJS from 'exceljs';
import { startTestApp, REPO_ROOT, type TestApp } from '../helpers/test-app.js';
import { waitReferenceImport } from '../helpers/admin-tree.js';
import { createUser, type TestUser } from '../helpers/client.js';
import { currentTotp } from '../../core/auth/totp.js';
import { sql } from '../../core/persistence/db.js';
import { BULK_HEADERS } from '../../core/auth/users.routes.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');
const LAPTOP = { width: 1280, height: 800 };
const TABLET_PORTRAIT = { width: 820, height: 1180 };
const NEXT_YEAR = new Date().getFullYear() + 1;

let app: TestApp;
let browser: Browser;
let profile: string;
let files: string;
const em = () => app.orm.em.fork();

beforeAll(async () => {
  app = await startTestApp('auth_browser', { AUTO_IMPORT_REFERENCE: 'true' });
  const { communes } = await waitReferenceImport(app);
  expect(communes.status).toBe('succeeded');
  fs.mkdirSync(SCREENS, { recursive: true });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'baucu-chromium-'));
  files = fs.mkdtempSync(path.join(os.tmpdir(), 'baucu-upload-'));
  browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    userDataDir: profile,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--lang=vi-VN'],
  });
});

afterAll(async () => {
  await browser?.close();
  for (const d of [profile, files]) if (d) fs.rmSync(d, { recursive: true, force: true });
  await app?.close();
});

/** A fresh browser session (own cookies) that records page errors and unexpected HTTP errors. */
async function session(): Promise<{ page: Page; problems: string[]; allow: (status: number) => void }> {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.setViewport(LAPTOP);
  const problems: string[] = [];
  const allowed = new Set<number>();
  page.on('pageerror', (e) => problems.push(String(e)));
  // Failed loads are reported by the response listener (with their URL and the statuses a test expects).
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`); });
  page.on('response', (r: HTTPResponse) => {
    if (r.status() >= 400 && !allowed.has(r.status()) && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
  });
  return { page, problems, allow: (s) => allowed.add(s) };
}

const shot = (page: Page, name: string, fullPage = true) => page.screenshot({ path: path.join(SCREENS, name), fullPage });
const pathOf = (page: Page) => new URL(page.url()).pathname;
const enter = (page: Page) => Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);

/** Signs in as a person would: the username field has the focus; type, Tab, type, Enter; then the 6-digit code. */
async function signIn(page: Page, u: TestUser): Promise<void> {
  await page.goto(app.url + '/auth/login', { waitUntil: 'networkidle0' });
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('username');
  await page.keyboard.type(u.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(u.password);
  await enter(page);
  if (pathOf(page) === '/auth/2fa') {
    await sql(em(), 'update app_user set totp_last_step = 0 where id = ?', [u.id]);
    await page.keyboard.type(await currentTotp(u.totpSecret!));
    await enter(page);
  }
}

describe('signing in', () => {
  it('a system administrator without a second factor signs in with the keyboard and enrols from the QR code', async () => {
    const admin = await createUser(em(), { roles: [{ role: 'system-admin', scopeType: 'nation', scopeCode: 'VN' }], fullName: 'Quản Trị Viên Hệ Thống' });
    const { page, problems, allow } = await session();
    await page.goto(app.url + '/auth/login', { waitUntil: 'networkidle0' });
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Đăng nhập');
    await shot(page, 'login.png');

    // A wrong password first: the message, the username kept, the password field emptied.
    allow(401);
    await page.keyboard.type(admin.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type('sai-mat-khau-123');
    await enter(page);
    expect(await page.$eval('[role=alert]', (e) => e.textContent)).toBe('Tên đăng nhập hoặc mật khẩu không đúng.');
    expect(await page.$eval('#username', (i) => (i as HTMLInputElement).value)).toBe(admin.username);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
    await shot(page, 'login-error.png');
    await page.keyboard.type(admin.password);
    await enter(page);

    expect(pathOf(page)).toBe('/auth/2fa/enrol');
    const qr = await page.$eval('.qr img', (img) => ({ w: (img as HTMLImageElement).naturalWidth, src: (img as HTMLImageElement).src.slice(0, 22) }));
    expect(qr).toEqual({ w: 220, src: 'data:image/png;base64,' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('code');
    await shot(page, '2fa-enrol.png');
    const secret = (await page.$eval('code.secret', (c) => c.textContent ?? '')).replace(/\s+/g, '');
    await page.keyboard.type(await currentTotp(secret));
    await enter(page);

    expect(pathOf(page)).toBe('/auth/recovery-codes');
    expect(await page.$$eval('ol.codes li', (li) => li.length)).toBe(10);
    await shot(page, 'recovery-codes.png');
    await page.focus('a.button');
    await enter(page);
    expect(pathOf(page)).toBe('/');
    expect(await page.$eval('.userbox a', (a) => a.textContent)).toBe('Quản Trị Viên Hệ Thống');
    expect(problems).toEqual([]);
  });
});

describe('account administration', () => {
  const PEOPLE: [string, string][] = [
    ['Nguyễn Văn An', '26740'], ['Nguyễn Văn Bình', '26743'], ['Nguyễn Thị Cúc', '26737'], ['Trần Văn Dũng', '26740'],
    ['Lê Thị Đào', '26743'], ['Phạm Minh Giang', '25747'], ['Hoàng Thị Hạnh', '25750'], ['Võ Văn Kiệt', '26740'],
    ['Đặng Thùy Trâm', '26737'], ['Bùi Thị Xuân', '25760'], ['Nguyễn Văn Trỗi', '26732'], ['Huỳnh Tấn Phát', '25768'],
    ['Dương Văn Minh', '25771'], ['Ưng Hoàng Phúc', '26743'],
  ];
  let official: TestUser;
  let page: Page;
  let problems: string[];
  let allow: (s: number) => void;

  beforeAll(async () => {
    official = await createUser(em(), { roles: [{ role: 'province-official', scopeType: 'province', scopeCode: '79' }], totp: true, fullName: 'Trần Thị Thu Hà' });
    await Promise.all(PEOPLE.map(([fullName, code], i) => createUser(em(), {
      fullName, username: `ubbc-${code}-${i}`, roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: code }],
      expiresAt: i % 5 === 0 ? new Date(`${NEXT_YEAR}-12-31T16:59:59Z`) : undefined, status: i === 7 ? 'disabled' : 'active',
    })));
    ({ page, problems, allow } = await session());
    await signIn(page, official);
    expect(pathOf(page)).toBe('/');
  });

  it('lists the accounts of the province and searches without accents (typed, then Enter)', async () => {
    await page.goto(app.url + '/admin/users', { waitUntil: 'networkidle0' });
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Quản lý tài khoản');
    expect(await page.$$eval('table tbody tr', (r) => r.length)).toBe(PEOPLE.length + 1);
    await shot(page, 'users-list.png');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('q');
    await page.keyboard.type('nguyen van');
    await enter(page);
    const names = await page.$$eval('table tbody tr td:first-child', (tds) => tds.map((t) => t.textContent?.trim()));
    expect(names).toEqual(['Nguyễn Văn An', 'Nguyễn Văn Bình', 'Nguyễn Văn Trỗi']);
    await shot(page, 'users-search.png');
    await page.setViewport(TABLET_PORTRAIT);
    await page.goto(app.url + '/admin/users', { waitUntil: 'networkidle0' });
    await shot(page, 'users-list-portrait.png');
    await page.setViewport(LAPTOP);
    expect(problems).toEqual([]);
  });

  it('creates an account through the form and shows its one-time password once', async () => {
    await page.goto(app.url + '/admin/users/new', { waitUntil: 'networkidle0' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('username');
    // A taken username first: the form comes back with the message by the field and what was typed.
    allow(400);
    await page.keyboard.type('ubbc-26740-0');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Lương Thế Vinh');
    await page.keyboard.press('Tab');
    await page.keyboard.type('0283 829 1234');
    await page.focus('#scopeCode');
    await page.keyboard.type('26743');
    // The date picker's typing order follows the browser's locale: set it as a picked date.
    await page.$eval('#expiresAt', (i) => { (i as HTMLInputElement).value = `${new Date().getFullYear() + 1}-06-30`; });
    await page.focus('#scopeCode');
    await enter(page);
    expect(await page.$eval('#username-err', (e) => e.textContent)).toBe('Tên đăng nhập «ubbc-26740-0» đã được dùng.');
    expect(await page.$eval('#fullName', (i) => (i as HTMLInputElement).value)).toBe('Lương Thế Vinh');
    expect(await page.$eval('#expiresAt', (i) => (i as HTMLInputElement).value)).toBe(`${NEXT_YEAR}-06-30`);
    await shot(page, 'users-new-error.png');
    // The field in error has the focus: select what is there and type over it.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('username');
    await page.keyboard.down('Control');
    await page.keyboard.press('KeyA');
    await page.keyboard.up('Control');
    await page.keyboard.type('luong-the-vinh');
    await enter(page);

    expect(pathOf(page)).toMatch(/^\/admin\/users\/[0-9a-f-]{36}$/);
    expect(await page.$eval('h1', (h) => h.textContent)).toContain('Lương Thế Vinh');
    const password = await page.$eval('.one-time code', (c) => c.textContent ?? '');
    expect(password).toMatch(/^[A-Za-z2-9]{14}$/);
    await shot(page, 'user-show.png');
    await page.setViewport(TABLET_PORTRAIT);
    await shot(page, 'user-show-portrait.png');
    await page.setViewport(LAPTOP);
    await page.reload({ waitUntil: 'networkidle0' });
    expect(await page.$('.one-time')).toBeNull();
    expect(problems).toEqual([]);
  });

  it('the bulk page: a file with problems gets a table by row and column; a good file gives the password sheet', async () => {
    await page.goto(app.url + '/admin/users/bulk', { waitUntil: 'networkidle0' });
    await shot(page, 'users-bulk.png');
    const write = async (name: string, rows: string[][]) => {
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('Tài khoản');
      ws.addRow(BULK_HEADERS);
      for (const r of rows) ws.addRow(r);
      const file = path.join(files, name);
      await wb.xlsx.writeFile(file);
      return file;
    };
    const bad = await write('co-loi.xlsx', [
      ['ubbc-moi-1', 'Chu Văn An', '', '', 'commune-official', 'commune', '26740', ''],
      ['ubbc-moi-2', 'Hà Nội Ngoài Phạm Vi', '', '', 'commune-official', 'commune', '00004', ''],
      ['ubbc-moi-3', 'Vai Trò Sai', '', '', 'chu-tich', 'commune', '26743', ''],
      ['ubbc-moi-1', 'Lặp Lại', '', '', 'commune-official', 'commune', '26737', '2020-01-01'],
    ]);
    allow(400);
    const input = await page.$('#file');
    await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(bad);
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('form.upload button[type=submit]')]);
    expect(await page.$eval('[role=alert]', (e) => e.textContent)).toContain('chưa tạo tài khoản nào');
    const report = await page.$$eval('.issues-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.trim())));
    expect(report.map((r) => [r[0], r[1]])).toEqual([['3', 'Mã phạm vi'], ['4', 'Vai trò'], ['5', 'Tên đăng nhập'], ['5', 'Hết hạn (YYYY-MM-DD)']]);
    await shot(page, 'users-bulk-errors.png');

    const good = await write('tot.xlsx', [
      ['ubbc-moi-1', 'Chu Văn An', '', '', 'commune-official', 'commune', '26740', ''],
      ['ubbc-moi-2', 'Nguyễn Thị Minh Khai', '', '', 'commune-official', 'commune', '26743', `${NEXT_YEAR}-12-31`],
    ]);
    const again = await page.$('#file');
    await (again as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(good);
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('form.upload button[type=submit]')]);
    expect(pathOf(page)).toBe('/admin/users/bulk');
    expect(await page.$eval('a[href$="/passwords.xlsx"]', (a) => a.textContent)).toBe('Tải bảng mật khẩu một lần');
    await shot(page, 'users-bulk-done.png');
    await page.setViewport(TABLET_PORTRAIT);
    await shot(page, 'users-bulk-portrait.png');
    await page.setViewport(LAPTOP);
    expect(problems).toEqual([]);
  });
});
