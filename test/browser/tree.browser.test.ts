// The administrative tree in headless Chromium: an accent-free search typed and submitted with the keyboard finds
// "Phường Ba Đình"; the type-ahead works with arrows + Enter; screenshots of /tree and /tree/79 for review
// (tmp/screens, git-ignored).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, signInOnForm } from '../helpers/browser.js';
import { startTestApp, REPO_ROOT, REFERENCE_DATA_DIR, type TestApp } from '../helpers/test-app.js';
import { waitReferenceImport } from '../helpers/admin-tree.js';
import { createUser } from '../helpers/client.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');

let app: TestApp;
let browser: Browser;
let page: Page;
let profile: string;

beforeAll(async () => {
  app = await startTestApp('tree_browser', { AUTO_IMPORT_REFERENCE: 'true' });
  const { communes } = await waitReferenceImport(app);
  expect(communes.status).toBe('succeeded');
  fs.mkdirSync(SCREENS, { recursive: true });
  ({ browser, profile } = await launchChromium());
  page = await browser.newPage();
  // A tablet in landscape.
  await page.setViewport({ width: 1180, height: 820 });
});

afterAll(async () => {
  await browser?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  await app?.close();
});

describe('administrative tree in the browser', () => {
  it('finds "Phường Ba Đình" when "ba dinh" is typed without accents and submitted with Enter', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`); });
    await page.goto(app.url + '/tree', { waitUntil: 'networkidle0' });
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Đơn vị hành chính');
    expect(await page.$$eval('table.tree-table tbody tr', (rows) => rows.length)).toBe(34);
    expect(await page.$$eval('table.tree-table tfoot td.num', (tds) => tds.map((t) => t.textContent))).toEqual(['2.621', '687', '13', '3.321']);
    await page.screenshot({ path: path.join(SCREENS, 'tree-provinces.png'), fullPage: true });

    await page.focus('#tree-q');
    await page.keyboard.type('ba dinh');
    // Progressive enhancement: suggestions appear under the box…
    await page.waitForSelector('#tree-q-list [role=option]', { visible: true });
    const suggested = await page.$$eval('#tree-q-list [role=option] .s-name', (els) => els.map((e) => e.textContent));
    expect(suggested).toContain('Phường Ba Đình');
    // …but Enter with nothing highlighted submits the search.
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).searchParams.get('q')).toBe('ba dinh');
    const names = await page.$$eval('table.tree-table tbody tr td:nth-child(2)', (tds) => tds.map((td) => td.textContent?.trim()));
    expect(names).toContain('Phường Ba Đình');
    expect(names).toContain('Xã Ba Đình'); // Thanh Hóa
    const row = await page.$$eval('table.tree-table tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.trim())).find((c) => c[1] === 'Phường Ba Đình'));
    expect(row).toEqual(['00004', 'Phường Ba Đình', 'Phường', 'Thành phố Hà Nội']);
    await page.screenshot({ path: path.join(SCREENS, 'tree.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('keyboard only: arrows pick a suggestion, Enter opens it', async () => {
    await page.goto(app.url + '/tree', { waitUntil: 'networkidle0' });
    await page.focus('#tree-q');
    await page.keyboard.type('Côn Đảo');
    await page.waitForSelector('#tree-q-list [role=option]', { visible: true });
    await page.keyboard.press('ArrowDown');
    expect(await page.$eval('#tree-q', (i) => i.getAttribute('aria-activedescendant'))).toBe('tree-q-list-0');
    await page.screenshot({ path: path.join(SCREENS, 'tree-suggest.png') });
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
    const url = new URL(page.url());
    expect(url.pathname).toBe('/tree/79');
    expect(url.searchParams.get('q')).toBe('26732');
    expect(await page.$$eval('table.tree-table tbody th', (ths) => ths.map((t) => t.textContent))).toEqual(['Đặc khu Côn Đảo']);
  });

  it('shows Ho Chi Minh City with its 168 communes by type', async () => {
    await page.goto(app.url + '/tree/79', { waitUntil: 'networkidle0' });
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Thành phố Hồ Chí Minh');
    const counts = await page.$$eval('.tree-counts .count strong', (s) => s.map((x) => x.textContent));
    expect(counts).toEqual(['168', '54', '113', '1']);
    expect(await page.$$eval('table.tree-table tbody tr', (rows) => rows.length)).toBe(50);
    expect(await page.$eval('.pager', (p) => p.textContent)).toContain('Trang 1/4');
    await page.screenshot({ path: path.join(SCREENS, 'tree-79.png'), fullPage: true });
  });

  it('uploads a file through the form, follows the job to its report', async () => {
    // Importing is for administrators: sign in with the keyboard, second factor included.
    const admin = await createUser(app.orm.em.fork(), { roles: [{ role: 'system-admin', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
    await page.goto(app.url + '/tree/import', { waitUntil: 'networkidle0' });
    await signInOnForm(page, admin, { secondFactor: true });
    expect(new URL(page.url()).pathname).toBe('/tree/import');
    expect(await page.$eval('form.upload', (f) => f.getAttribute('enctype'))).toBe('multipart/form-data');
    await page.screenshot({ path: path.join(SCREENS, 'tree-import.png'), fullPage: true });
    const input = await page.$('#imp-file');
    await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(path.join(REFERENCE_DATA_DIR, 'provinces_2025.csv'));
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('form.upload button[type=submit]')]);
    expect(new URL(page.url()).pathname).toMatch(/^\/jobs\/[0-9a-f-]{36}$/);
    // The job page reloads itself when the job ends and then links to the report.
    const report = await page.waitForSelector('a[href^="/tree/imports/"]', { timeout: 30_000 });
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), report!.click()]);
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Báo cáo nhập dữ liệu: provinces_2025.csv');
    expect(await page.$eval('main', (m) => m.textContent)).toContain('Không có thay đổi');
    await page.screenshot({ path: path.join(SCREENS, 'tree-import-report.png'), fullPage: true });
  });
});
