// The report request form's pickers in headless Chromium, under the application's CSP: typing "ha noi" (no accents)
// in the place field refills its list from the server with Thành phố Hà Nội and its communes; choosing an item shows
// its name under the field; units follow the election. Screenshots: tmp/screens/reports-pickers.png (the page) and
// reports-pickers-form.png (the turnout form after choosing).
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, signInOnForm } from '../helpers/browser.js';
import { startTestApp, REPO_ROOT, type TestApp } from '../helpers/test-app.js';
import { createUser, type TestUser } from '../helpers/client.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { createElection } from '../helpers/structure.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');
let app: TestApp;
let browser: Browser;
let page: Page;
let profile: string;
let nec: TestUser;
const problems: string[] = [];

beforeAll(async () => {
  app = await startTestApp('rp_pick_br');
  await insertUnits(app.orm.em.fork(), referenceUnits(['01', '12', '79']));
  await createElection(app, { name: 'Bầu cử đại biểu Quốc hội khóa XVI' });
  nec = await createUser(app.orm.em.fork(), { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
  fs.mkdirSync(SCREENS, { recursive: true });
  ({ browser, profile } = await launchChromium());
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  page.on('console', (m) => { if (m.type() === 'error' && !m.location().url?.endsWith('/favicon.ico')) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  await app?.close();
});

const options = (id: string) => page.$$eval(`#${id} option`, (os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, label: (o as HTMLOptionElement).label })));

describe('report pickers in the browser', () => {
  it('"ha noi" typed without accents refills the list from the server; choosing shows the name; no CSP or script error', async () => {
    await page.goto(app.url + '/reports', { waitUntil: 'networkidle0' });
    await signInOnForm(page, nec, { secondFactor: true, em: app.orm.em.fork() });
    if (new URL(page.url()).pathname !== '/reports') await page.goto(app.url + '/reports', { waitUntil: 'networkidle0' });
    const before = await options('forms-turnout-slot-code-list');
    expect(before.some((o) => /^\d{5}$/.test(o.value))).toBe(false); // provinces only with the page

    await page.focus('#forms-turnout-slot-code');
    const searched = page.waitForResponse((r) => r.url().includes('/reports/pickers/place') && r.url().includes('q=ha%20noi'));
    await page.keyboard.type('ha noi', { delay: 30 });
    await searched;
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#forms-turnout-slot-code-list option') as unknown as ArrayLike<HTMLOptionElement>).some((o) => o.value === '00004'));
    const after = await options('forms-turnout-slot-code-list');
    expect(after[0]).toEqual({ value: '01', label: 'Thành phố Hà Nội (01) · thanh pho ha noi' });
    expect(after.find((o) => o.value === '00004')?.label).toContain('Phường Ba Đình — Thành phố Hà Nội (00004)');

    // Choose Phường Ba Đình with the keyboard: the value is its code, the hint names it.
    await page.click('#forms-turnout-slot-code', { clickCount: 3 });
    await page.keyboard.type('00004');
    await page.keyboard.press('Tab');
    await page.waitForFunction(() => document.getElementById('forms-turnout-slot-code-hint')!.textContent!.startsWith('✓'));
    expect(await page.$eval('#forms-turnout-slot-code-hint', (e) => e.textContent)).toBe('✓ Phường Ba Đình — Thành phố Hà Nội (00004)');
    await page.select('#forms-turnout-slot-slot', '11:00');

    await page.screenshot({ path: path.join(SCREENS, 'reports-pickers.png'), fullPage: false });
    const form = await page.$('#report-forms-turnout-slot');
    await form!.screenshot({ path: path.join(SCREENS, 'reports-pickers-form.png') });
    expect(problems).toEqual([]);
  }, 60_000);

  it("the schedule page: a '0 8 * * *' schedule set on the form shows its next run at 08:00 Vietnam time", async () => {
    await page.goto(app.url + '/reports/schedules', { waitUntil: 'networkidle0' });
    await page.select('#sch-report', 'core.reports.province-communes');
    await page.select('#sch-format', 'csv');
    await page.type('#sch-cron', '0 8 * * *');
    await page.type('#sch-provinceCode', '01');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('.schedule-form button[type=submit]')]);
    expect(new URL(page.url()).pathname).toBe('/reports/schedules');
    const next = await page.$eval('time.next-run', (e) => ({ text: e.textContent, at: e.getAttribute('datetime') }));
    expect(next.at).toMatch(/T01:00:00\.000Z$/);
    expect(next.text).toMatch(/^\d{2}\/\d{2}\/\d{4} 08:00$/);
    expect(await page.$eval('.tz-note', (e) => e.textContent)).toContain('Asia/Ho_Chi_Minh');
    await page.screenshot({ path: path.join(SCREENS, 'reports-schedules-tz.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 60_000);
});
