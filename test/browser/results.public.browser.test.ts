// The public results page in headless Chromium, signed out: totals per contest, then the elected of every contest
// (NA and commune councils here) grouped by contest and level, with no date of birth; an accent-free search through
// the form. Screenshots in tmp/screens (results-public.png, results-public-search.png).
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'puppeteer-core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { openWatchedPage } from '../helpers/browser.js';
import { startTestApp, REPO_ROOT, type TestApp } from '../helpers/test-app.js';
import { createElection } from '../helpers/structure.js';
import { seedResultsStructure, acceptMinutes } from '../helpers/results.js';
import { exec } from '../../core/persistence/db.js';
import { applyMinutes } from '../../core/elections/results/aggregation.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');
// Synthetic names for the screenshots (not reference data).
const NAMES = ['Nguyễn Thị Minh Châu', 'Trần Văn Hải', 'Lê Hoàng Nam', 'Phạm Thu Hà', 'Võ Quốc Bảo', 'Đặng Thị Hồng Nhung', 'Bùi Đức Thắng',
  'Hoàng Thị Lan', 'Đỗ Mạnh Cường', 'Ngô Thị Thu Trang', 'Dương Văn Lợi', 'Lý Thị Ngọc Ánh', 'Vũ Đình Khải', 'Mai Thị Hương'];

let app: TestApp;
let watched: Awaited<ReturnType<typeof openWatchedPage>> | undefined;
let page: Page;
let electionId = '';
const errors: string[] = [];

beforeAll(async () => {
  app = await startTestApp('results_public_browser');
  const em = app.orm.em.fork() as EntityManager;
  electionId = await createElection(app, { name: 'Bầu cử ĐBQH khóa XVI và HĐND các cấp 2026–2031 (diễn tập)', contests: ['national-assembly', 'commune-council'] });
  const units = await seedResultsStructure(em, electionId, {
    provinces: [{ communes: [{ areas: 1 }, { areas: 1 }] }, { communes: [{ areas: 1 }] }],
    naUnitsPerProvince: 1, seats: (c) => (c === 'national-assembly' ? 2 : 3),
  });
  await exec(em, `update admin_unit set name = case code when 'R01' then 'Tỉnh Đắk Lắk' when 'R02' then 'Thành phố Huế'
    when 'R01001' then 'Xã Ea Kar' when 'R01002' then 'Phường Buôn Ma Thuột' when 'R02001' then 'Phường Thuận Hóa' else name end`);
  let n = 0;
  for (const u of units) {
    for (const c of u.candidates) {
      c.name = NAMES[n++ % NAMES.length] + (n > NAMES.length ? ` (${Math.floor(n / NAMES.length)})` : '');
      await exec(em, `update candidate set full_name = ? where id = ?`, [c.name, c.id]);
    }
    const votes = u.candidates.map((_, k) => (k < u.seats ? 720 - k * 55 : 180 + k * 10));
    for (const area of u.areas) {
      const r = await acceptMinutes(em, electionId, { areaId: area, unitId: u.id, contest: u.contest,
        counts: { voters_total: 1180, voters_voted: 1012, ballots_valid: 1000, ballots_invalid: 12 },
        votes: Object.fromEntries(u.candidates.map((c, k) => [c.id, votes[k]])) });
      await applyMinutes(em, electionId, r.minutesId);
    }
  }
  await exec(em, `insert into results_settings (election_id, public) values (?, true)`, [electionId]);
  fs.mkdirSync(SCREENS, { recursive: true });
  watched = await openWatchedPage(errors);
  page = watched.page;
}, 120_000);

afterAll(async () => {
  await watched?.close();
  await app?.close();
});

describe('public results page', () => {
  it('lists the elected of every contest, commune councils included, without dates of birth', async () => {
    await page.goto(`${app.url}/public/elections/${electionId}/results`, { waitUntil: 'networkidle0' });
    const groups = await page.$$eval('tr.rs-group th', (xs) => xs.map((x) => x.textContent));
    expect(groups).toContain('Đại biểu HĐND cấp xã — Xã Ea Kar, Tỉnh Đắk Lắk');
    expect(groups).toContain('Đại biểu Quốc hội — Thành phố Huế');
    expect(groups).toContain('Đại biểu Quốc hội — Tỉnh Đắk Lắk');
    const text = await page.$eval('main, body', (e) => e.textContent ?? '');
    expect(text).not.toContain('Ngày sinh');
    expect(text).not.toMatch(/\b\d{2}\/\d{2}\/(19|20)\d{2}\b/);
    await page.screenshot({ path: path.join(SCREENS, 'results-public.png'), fullPage: true });
  });

  it('searches without accents through the form', async () => {
    await page.type('#rs-pub-q', 'hong nhung');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('.rs-search button')]);
    const names = await page.$$eval('.rs-public-table tbody tr:not(.rs-group) th', (xs) => xs.map((x) => x.textContent));
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((x) => x?.startsWith('Đặng Thị Hồng Nhung'))).toBe(true);
    await page.screenshot({ path: path.join(SCREENS, 'results-public-search.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
