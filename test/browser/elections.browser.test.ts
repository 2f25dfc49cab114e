// Elections in headless Chromium: an NEC official signs in with the forms (password, then TOTP), creates the
// 15 March 2026 election through the form, and reads its overview and legal calendar; screenshots for review in
// tmp/screens (git-ignored): election-overview.png, calendar.png (tablet landscape) and calendar-portrait.png.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, signInOnForm } from '../helpers/browser.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, REPO_ROOT, type TestApp } from '../helpers/test-app.js';
import { createUser } from '../helpers/client.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { sql } from '../../core/persistence/db.js';
import type { CheckScope, CheckResult } from '../../core/elections/calendar/completeness.js';
import { standInCheck, withoutChecks } from '../helpers/deadline-checks.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');

let app: TestApp;
let browser: Browser;
let page: Page;
let profile: string;
const unregister: (() => void)[] = [];

/** Communes in a scope, for the stand-in checks below. */
async function communesIn(em: EntityManager, scope: CheckScope) {
  const f = scope.type === 'province' ? ' and parent_code = ?' : scope.type === 'commune' ? ' and code = ?' : '';
  if (!['nation', 'province', 'commune'].includes(scope.type)) return undefined;
  return sql<{ code: string; name: string }>(em, `select code, name from admin_unit where level = 'commune' and valid_to is null${f} order by sort_key`, f ? [scope.code] : []);
}

/** A stand-in check counting communes in scope, every `every`-th one missing (0: none). */
const communeCheck = (every: number) => async (em: EntityManager, _e: string, scope: CheckScope): Promise<CheckResult | undefined> => {
  const rows = await communesIn(em, scope);
  if (!rows) return undefined;
  const missing = every ? rows.filter((_r, i) => i % every === 0) : [];
  return { missing: missing.length, total: rows.length, examples: missing.slice(0, 3) };
};

beforeAll(async () => {
  app = await startTestApp('elections_browser');
  // Hà Nội and Hồ Chí Minh City: 126 + 168 commune-level units.
  await insertUnits(app.orm.em.fork(), referenceUnits(['01', '79']));
  // Stand-ins for the bodies module's real checks (and the voter lists'), so the page shows controlled figures.
  unregister.push(
    withoutChecks(['province-boards-formed', 'commune-boards-formed']),
    standInCheck('commune-committees-formed', communeCheck(0)),
    standInCheck('teams-formed', communeCheck(25)),
    standInCheck('voter-lists-posted', communeCheck(0)),
    standInCheck('province-committees-formed', async (em, _e, scope) => {
      const rows = await sql<{ code: string; name: string }>(em, `select code, name from admin_unit where level = 'province' and valid_to is null${scope.type === 'province' ? ' and code = ?' : ''}`, scope.type === 'province' ? [scope.code] : []);
      return { missing: 0, total: rows.length, examples: [] };
    }),
  );
  fs.mkdirSync(SCREENS, { recursive: true });
  ({ browser, profile } = await launchChromium());
  page = await browser.newPage();
  // A tablet in landscape.
  await page.setViewport({ width: 1180, height: 820 });
});

afterAll(async () => {
  for (const u of unregister) u();
  await browser?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  await app?.close();
});

describe('elections in the browser', () => {
  let electionUrl = '';
  const errors: string[] = [];

  it('an NEC official signs in with TOTP and creates the 15 March 2026 election through the form', async () => {
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`); });
    const nec = await createUser(app.orm.em.fork(), { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true, fullName: 'Trần Thị Bình' });
    await page.goto(app.url + '/elections/new', { waitUntil: 'networkidle0' });
    await signInOnForm(page, nec, { secondFactor: true });
    expect(new URL(page.url()).pathname).toBe('/elections/new');

    await page.type('#name', 'Bầu cử đại biểu Quốc hội khóa XVI và đại biểu HĐND các cấp nhiệm kỳ 2026–2031');
    // The date picker's typing order depends on the locale; set the value as the picker would.
    await page.$eval('#electionDay', (el) => { (el as HTMLInputElement).value = '2026-03-15'; });
    expect(await page.$$eval('input[name=contests]:checked', (els) => els.length)).toBe(3);
    await page.screenshot({ path: path.join(SCREENS, 'election-new.png'), fullPage: true });
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('form.election-form button[type=submit]')]);
    expect(new URL(page.url()).pathname).toMatch(/^\/elections\/[0-9a-f-]{36}$/);
    electionUrl = page.url();
  });

  it('shows the overview: day, phase steps, next-phase button, calendar status and contests', async () => {
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Bầu cử đại biểu Quốc hội khóa XVI và đại biểu HĐND các cấp nhiệm kỳ 2026–2031');
    expect(await page.$eval('.lead', (p) => p.textContent)).toContain('Chủ nhật, 15/03/2026');
    expect(await page.$$eval('.phases li', (lis) => lis.length)).toBe(8);
    expect(await page.$eval('.phases li[aria-current=step]', (li) => li.textContent)).toContain('Chuẩn bị');
    expect(await page.$eval('button.next-phase', (b) => b.textContent)).toContain('Nộp hồ sơ ứng cử');
    expect(await page.$$eval('.contest-list li', (lis) => lis.length)).toBe(3);
    await page.screenshot({ path: path.join(SCREENS, 'election-overview.png'), fullPage: true });
    // One step forward through the button.
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('button.next-phase')]);
    expect(await page.$eval('.phases li[aria-current=step]', (li) => li.textContent)).toContain('Nộp hồ sơ ứng cử');
    expect(await page.$eval('.flash', (f) => f.textContent)).toContain('Nộp hồ sơ ứng cử');
  });

  it('shows the legal calendar with Vietnamese dates, the overdue item highlighted, readable on a tablet', async () => {
    await page.goto(electionUrl + '/calendar', { waitUntil: 'networkidle0' });
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Lịch bầu cử');
    const due = (id: string) => page.$eval(`#dl-${id} .due`, (td) => td.textContent?.replace(/\s+/g, ' ').trim());
    expect(await due('province-committees-formed')).toContain('Chủ nhật, 30/11/2025');
    expect(await due('na-units-fixed')).toContain('Thứ Năm, 25/12/2025');
    expect(await due('teams-formed')).toContain('Thứ Bảy, 31/01/2026');
    expect(await due('dossiers-filed')).toContain('Chủ nhật, 01/02/2026 lúc 17:00');
    expect(await page.$eval('#dl-teams-formed', (tr) => tr.className)).toContain('dl-overdue');
    expect(await page.$eval('#dl-teams-formed .status', (td) => td.textContent)).toContain('12 xã chưa thành lập tổ bầu cử');
    expect(await page.$eval('#dl-province-committees-formed', (tr) => tr.className)).toContain('dl-done');
    // The overdue row is visibly different: a red background.
    const bg = await page.$eval('#dl-teams-formed td', (td) => getComputedStyle(td).backgroundColor);
    expect(bg).not.toBe('rgba(0, 0, 0, 0)');
    // Nothing wider than the tablet screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1180);
    await page.screenshot({ path: path.join(SCREENS, 'calendar.png'), fullPage: true });
    await page.setViewport({ width: 820, height: 1180 });
    await page.reload({ waitUntil: 'networkidle0' });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(820);
    await page.screenshot({ path: path.join(SCREENS, 'calendar-portrait.png'), fullPage: true });
    await page.setViewport({ width: 1180, height: 820 });
    expect(errors).toEqual([]);
  });
});
