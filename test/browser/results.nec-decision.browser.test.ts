// Rule 29 in headless Chromium: an NEC official signs in, opens an NA unit that elected fewer deputies than its
// seats, sees the NEC decision form (hold / do not hold, decision number and date, date of the additional election
// defaulting to the last day of the window, candidate pool, note), records "do not hold" with the keyboard-usable
// form, and sees the decision on the unit page and in the pending list. Screenshots in tmp/screens
// (results-nec-decision-form.png, results-nec-decision-recorded.png, results-nec-pending.png).
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'puppeteer-core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { openWatchedPage, signInOnForm } from '../helpers/browser.js';
import { startTestApp, REPO_ROOT, type TestApp } from '../helpers/test-app.js';
import { createUser } from '../helpers/client.js';
import { createElection } from '../helpers/structure.js';
import { seedResultsStructure, acceptMinutes, type SeedUnit } from '../helpers/results.js';
import { exec } from '../../core/persistence/db.js';
import { applyMinutes } from '../../core/elections/results/aggregation.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');
// Synthetic names for the screenshots (not reference data).
const NAMES = ['Nguyễn Thị Minh Châu', 'Trần Văn Hải', 'Lê Hoàng Nam', 'Phạm Thu Hà', 'Võ Quốc Bảo'];

let app: TestApp;
let watched: Awaited<ReturnType<typeof openWatchedPage>> | undefined;
let page: Page;
let electionId = '';
let unit: SeedUnit;
const errors: string[] = [];

beforeAll(async () => {
  app = await startTestApp('results_nec_browser');
  const em = app.orm.em.fork() as EntityManager;
  electionId = await createElection(app, { name: 'Bầu cử ĐBQH khóa XVI và HĐND các cấp 2026–2031 (diễn tập)', contests: ['national-assembly'] });
  const units = await seedResultsStructure(em, electionId, {
    provinces: [{ communes: [{ areas: 2 }, { areas: 2 }] }], naUnitsPerProvince: 1, seats: () => 3, candidates: () => 5,
  });
  unit = units.find((u) => u.contest === 'national-assembly')!;
  for (const [i, c] of unit.candidates.entries()) {
    await exec(em, `update candidate set full_name = ? where id = ?`, [NAMES[i], c.id]);
    c.name = NAMES[i];
  }
  // Valid 2,000 per area: 62 %, 56 % elected; 49 %, 45 %, 20 % not — 2 of 3 seats, the NEC decides.
  for (const a of unit.areas) {
    const r = await acceptMinutes(em, electionId, { areaId: a, unitId: unit.id, contest: unit.contest,
      counts: { voters_total: 2300, voters_voted: 2031, ballots_valid: 2000, ballots_invalid: 31 },
      votes: Object.fromEntries(unit.candidates.map((c, i) => [c.id, [1240, 1120, 980, 900, 400][i]])) });
    await applyMinutes(em, electionId, r.minutesId);
  }
  fs.mkdirSync(SCREENS, { recursive: true });
  watched = await openWatchedPage(errors);
  page = watched.page;
}, 120_000);

afterAll(async () => {
  await watched?.close();
  await app?.close();
});

describe('rule 29: the NEC decision form', () => {
  it('rule 29: the unit page offers the NEC the decision form', async () => {
    const nec = await createUser(app.orm.em.fork(), { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true, fullName: 'Trần Thị Bầu Cử' });
    await page.goto(`${app.url}/elections/${electionId}/results/unit/${unit.id}`, { waitUntil: 'networkidle0' });
    await signInOnForm(page, nec, { secondFactor: true, em: app.orm.em.fork() });
    expect(new URL(page.url()).pathname).toBe(`/elections/${electionId}/results/unit/${unit.id}`);
    expect(await page.$eval('.rs-final', (e) => e.textContent)).toContain('Chờ HĐBCQG quyết định bầu cử thêm');
    expect(await page.$eval('#rs-nec-vdate', (e) => (e as HTMLInputElement).value)).toBe('2026-03-30');
    expect(await page.$$eval('.rs-nec-form input[name="pool"]', (xs) => xs.map((x) => (x.parentElement?.textContent ?? '').trim()))).toEqual(NAMES.slice(2));
    await page.screenshot({ path: path.join(SCREENS, 'results-nec-decision-form.png'), fullPage: true });
    // The pending list: awaiting the NEC, with a link to the form.
    await page.goto(`${app.url}/elections/${electionId}/results/pending?contest=national-assembly`, { waitUntil: 'networkidle0' });
    expect(await page.$eval('.rs-nec-cell', (e) => e.textContent)).toContain('Chờ quyết định');
    await page.screenshot({ path: path.join(SCREENS, 'results-nec-pending.png'), fullPage: true });
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('.rs-nec-cell a')]);
  });

  it('rule 29: recording "do not hold" shows the decision and the unit becomes seats-unfilled', async () => {
    await page.click('.rs-nec-form input[value="not-hold"]');
    await page.type('#rs-nec-num', '31/NQ-HĐBCQG');
    // A date input takes its digits in the locale's order; set it directly.
    await page.$eval('#rs-nec-date', (e) => { (e as HTMLInputElement).value = '2026-03-19'; });
    await page.type('#rs-nec-note', 'Để trống 1 ghế theo Nghị quyết của Hội đồng');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('.rs-nec-form button[type="submit"]')]);
    expect(new URL(page.url()).pathname).toBe(`/elections/${electionId}/results/unit/${unit.id}`);
    expect(await page.$eval('.rs-nec-recorded', (e) => e.textContent)).toContain('Không tổ chức bầu cử thêm (văn bản số 31/NQ-HĐBCQG ngày 19/03/2026)');
    expect(await page.$eval('.rs-final', (e) => e.textContent)).toContain('Còn ghế trống');
    expect(await page.$('.rs-nec-form')).toBeNull();
    expect(await page.$eval('.rs-round h2', (e) => e.textContent)).toContain('HĐBCQG đã quyết định');
    await page.screenshot({ path: path.join(SCREENS, 'results-nec-decision-recorded.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
