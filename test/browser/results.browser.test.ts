// Results pages in headless Chromium: an NEC official signs in through the forms, opens the national progress page
// and a unit's results with the explanation of every candidate (a tie at the last seat lost by the younger
// candidate, rule 28); keyboard reachable; screenshots in tmp/screens (results-nation.png, results-unit.png).
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'puppeteer-core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { openWatchedPage, signInOnForm } from '../helpers/browser.js';
import { startTestApp, REPO_ROOT, type TestApp } from '../helpers/test-app.js';
import { createUser } from '../helpers/client.js';
import { createElection } from '../helpers/structure.js';
import { seedResultsStructure, acceptMinutes, makeCounts, type SeedUnit } from '../helpers/results.js';
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
  app = await startTestApp('results_browser');
  const em = app.orm.em.fork() as EntityManager;
  electionId = await createElection(app, { name: 'Bầu cử ĐBQH khóa XVI và HĐND các cấp 2026–2031 (diễn tập)', contests: ['national-assembly'] });
  const units = await seedResultsStructure(em, electionId, {
    provinces: [{ communes: [{ areas: 3 }, { areas: 2 }] }, { communes: [{ areas: 4 }] }, { communes: [{ areas: 2 }, { areas: 3 }] }],
    naUnitsPerProvince: 1, communeUnitsPerCommune: 1, seats: () => 3, candidates: () => 5,
  });
  unit = units.find((u) => u.contest === 'national-assembly')!;
  for (const [i, c] of unit.candidates.entries()) {
    await exec(em, `update candidate set full_name = ?, date_of_birth = ? where id = ?`, [NAMES[i], ['1968-04-12', '1975-09-30', '1971-02-03', '1979-11-21', '1983-06-15'][i], c.id]);
    c.name = NAMES[i];
  }
  // Valid 2,000 per area: 70 %, 60 %, then 55 % and 55 % tied for the last seat (the older wins), 30 %.
  for (const a of unit.areas) {
    const r = await acceptMinutes(em, electionId, { areaId: a, unitId: unit.id, contest: unit.contest,
      counts: { voters_total: 2300, voters_voted: 2100, ballots_valid: 2000, ballots_invalid: 100 },
      votes: Object.fromEntries(unit.candidates.map((c, i) => [c.id, [1400, 1200, 1100, 1100, 600][i]])) });
    await applyMinutes(em, electionId, r.minutesId);
  }
  // Other provinces partly counted, for the progress page.
  let seed = 3;
  const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  for (const u of units.filter((x) => x.contest === 'national-assembly' && x.id !== unit.id)) {
    for (const a of u.areas.slice(0, u.areas.length - 1)) {
      const r = await acceptMinutes(em, electionId, { areaId: a, unitId: u.id, contest: u.contest, ...makeCounts(u, rnd) });
      await applyMinutes(em, electionId, r.minutesId);
    }
  }
  fs.mkdirSync(SCREENS, { recursive: true });
  watched = await openWatchedPage(errors);
  page = watched.page;
}, 120_000);

afterAll(async () => {
  await watched?.close();
  await app?.close();
});

describe('results pages', () => {
  it('national progress: per-province minutes expected / accepted / missing', async () => {
    const nec = await createUser(app.orm.em.fork(), { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true, fullName: 'Trần Thị Bầu Cử' });
    await page.goto(`${app.url}/elections/${electionId}/results`, { waitUntil: 'networkidle0' });
    await signInOnForm(page, nec, { secondFactor: true, em: app.orm.em.fork() });
    expect(new URL(page.url()).pathname).toBe(`/elections/${electionId}/results`);
    expect(await page.$eval('h1', (h) => h.textContent)).toContain('Kết quả bầu cử');
    expect(await page.$$eval('table.rs-table tbody tr', (rows) => rows.length)).toBe(3);
    expect(await page.$eval('.rs-counts', (e) => e.textContent)).toContain('Còn thiếu');
    await page.screenshot({ path: path.join(SCREENS, 'results-nation.png'), fullPage: true });
  });

  it("a unit's results: votes, %, elected and the explanation of each candidate (rule 28: the older wins the tie)", async () => {
    await page.goto(`${app.url}/elections/${electionId}/results/unit/${unit.id}`, { waitUntil: 'networkidle0' });
    const rows = await page.$$eval('table.rs-cands tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows).toHaveLength(5);
    expect(rows[0]).toContain(NAMES[0]);
    expect(rows[0]).toContain('70,00%');
    // Equal votes: the older (born 1971) is listed first and takes the last seat; the younger does not.
    expect(rows[2]).toMatch(new RegExp(`${NAMES[2]}[\\s\\S]*Trúng cử[\\s\\S]*người nhiều tuổi hơn trúng cử`));
    expect(rows[3]).toMatch(new RegExp(`${NAMES[3]}[\\s\\S]*Không trúng cử: bằng phiếu`));
    expect(await page.$eval('.rs-final', (e) => e.textContent)).toContain('Đã bầu đủ');
    // Keyboard: the breadcrumb links are reachable with Tab.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('A');
    await page.screenshot({ path: path.join(SCREENS, 'results-unit.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
