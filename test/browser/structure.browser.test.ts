// The structure browser in headless Chromium, after seeding Hồ Chí Minh City: sign in through the forms (second factor
// included), open the nation page, the city (its 13 NA units, 42 council units and 168 communes), search a commune
// without accents, open it; screenshots for review in tmp/screens (git-ignored), structure-79.png among them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, signInOnForm } from '../helpers/browser.js';
import { startTestApp, REPO_ROOT, type TestApp } from '../helpers/test-app.js';
import { waitReferenceImport } from '../helpers/admin-tree.js';
import { createUser } from '../helpers/client.js';
import { createElection } from '../helpers/structure.js';
import { createLogger } from '../../core/shared/logger.js';
import { I18n } from '../../core/shared/i18n.js';
import { PluginStateService } from '../../core/plugin-host/plugin-state.service.js';
import { seedNational } from '../../core/elections/structure/seed-national.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');

let app: TestApp;
let browser: Browser;
let page: Page;
let profile: string;
let election = '';
const errors: string[] = [];

beforeAll(async () => {
  app = await startTestApp('structure_browser', { AUTO_IMPORT_REFERENCE: 'true' });
  expect((await waitReferenceImport(app)).communes.status).toBe('succeeded');
  election = await createElection(app, { name: 'Bầu cử ĐBQH khóa XVI và HĐND các cấp 2026–2031 (diễn tập)' });
  const log = createLogger({ logLevel: 'silent', version: 'test' });
  await seedNational(app.orm, { registry: app.plugins, pluginStates: new PluginStateService(app.orm, app.plugins, app.jobs, new I18n(), log), log },
    { seed: 2026, electionId: election, provinces: ['79'], referenceDir: app.config.referenceDataDir });
  fs.mkdirSync(SCREENS, { recursive: true });
  ({ browser, profile } = await launchChromium());
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`); });
});

afterAll(async () => {
  await browser?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  await app?.close();
});

describe('structure browser', () => {
  it('signs in through the forms and lands on the structure of the election', async () => {
    const nec = await createUser(app.orm.em.fork(), { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true, fullName: 'Trần Thị Bầu Cử' });
    await page.goto(`${app.url}/elections/${election}/structure`, { waitUntil: 'networkidle0' });
    await signInOnForm(page, nec, { secondFactor: true });
    expect(new URL(page.url()).pathname).toBe(`/elections/${election}/structure`);
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Cơ cấu bầu cử');
    expect(await page.$$eval('table.st-table tbody tr', (rows) => rows.length)).toBe(34);
    await page.screenshot({ path: path.join(SCREENS, 'structure-nation.png'), fullPage: true });
  });

  it('shows Hồ Chí Minh City: 13 NA units (38 seats), 42 council units (125 seats), 168 communes', async () => {
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('a[href$="/structure/79"]')]);
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Thành phố Hồ Chí Minh');
    const counts = await page.$$eval('.st-counts .count strong', (s) => s.map((x) => x.textContent));
    expect(counts.slice(0, 3)).toEqual(['168', '13', '42']);
    expect(await page.$eval('#units-national-assembly', (h) => h.textContent)).toContain('13 đơn vị · 38 đại biểu');
    expect(await page.$eval('#units-provincial-council', (h) => h.textContent)).toContain('42 đơn vị · 125 đại biểu');
    expect(await page.$eval('.st-check', (c) => c.textContent)).toContain('Cơ cấu hợp lệ');
    await page.screenshot({ path: path.join(SCREENS, 'structure-79.png'), fullPage: true });
    // The first screen, and the communes table, at the size a reviewer reads them.
    await page.screenshot({ path: path.join(SCREENS, 'structure-79-top.png') });
    const y = await page.$eval('#communes', (h) => (h as HTMLElement).offsetTop);
    await page.screenshot({ path: path.join(SCREENS, 'structure-79-communes.png'), clip: { x: 0, y, width: 1280, height: 900 }, captureBeyondViewport: true });
  });

  it('finds "Phường Bến Thành" typed without accents and opens its polling areas', async () => {
    await page.focus('#st-q');
    await page.keyboard.type('ben thanh');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
    const names = await page.$$eval('#communes ~ .table-wrap tbody th', (ths) => ths.map((t) => t.textContent?.trim()));
    expect(names).toContain('Phường Bến Thành');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('xpath/.//a[normalize-space(text())="Phường Bến Thành"]')]);
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Phường Bến Thành');
    expect(await page.$$eval('table.st-table tbody tr', (rows) => rows.length)).toBeGreaterThan(3);
    await page.screenshot({ path: path.join(SCREENS, 'structure-commune.png'), fullPage: true });
    await page.goto(`${app.url}/elections/${election}/structure/check?province=79`, { waitUntil: 'networkidle0' });
    expect(await page.$eval('.flash', (f) => f.textContent)).toContain('Cơ cấu bầu cử hợp lệ');
    expect(errors).toEqual([]);
  });
});
