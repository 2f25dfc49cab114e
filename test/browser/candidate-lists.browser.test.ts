// Official lists in headless Chromium, on the published 2021 NA list (imported through the product import service
// with the 'na15-2021' mapping into a test election whose units come from na15_2021_electoral_units.csv): the NEC
// official opens the allocation page, finalises a unit's list with the keyboard (ballot order shown), takes a
// candidate off another list and is refused finalising it (rule 17, message naming the unit and the shortfall), and
// opens the national statistics page. Screenshots for review in tmp/screens (git-ignored): candidate-lists-allocation.png,
// candidate-lists-unit.png, candidate-lists-unit-short.png, candidate-lists-statistics.png.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, signInOnForm } from '../helpers/browser.js';
import { startTestApp, REPO_ROOT, REFERENCE_DATA_DIR, type TestApp } from '../helpers/test-app.js';
import { createUser, type TestUser } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import { executeImport, insertRun, sha256 } from '../../core/elections/candidates/import.service.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');
const DATA = process.env.REFERENCE_DATA_DIR ?? REFERENCE_DATA_DIR;

let app: TestApp;
let browser: Browser;
let page: Page;
let profile: string;
let nec: TestUser;
let electionId = '';
const unitByLabel = new Map<string, string>();

beforeAll(async () => {
  app = await startTestApp('cl_browser');
  const em = app.orm.em.fork();
  electionId = newId();
  await sql(em, `insert into election (id, name, election_day, status) values (?, 'Bầu cử đại biểu Quốc hội khóa XV (thử, dữ liệu 2021)', '2021-05-23', 'official-lists')`, [electionId]);
  await sql(em, `insert into plugin_state (election_id, plugin_id, enabled) values (?, 'national-assembly', true)`, [electionId]);
  const units = parse(fs.readFileSync(path.join(DATA, 'na15_2021_electoral_units.csv')), { columns: true }) as Record<string, string>[];
  for (const u of units) {
    const id = newId();
    unitByLabel.set(`${u.province}/${u.unit_number}`, id);
    await sql(em, `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name, description) values (?, ?, 'national-assembly', 'province', 'VN', ?, ?, ?, ?)`,
      [id, electionId, Number(u.unit_id_national), Number(u.seats), `Đơn vị bầu cử số ${u.unit_number}`, u.province]);
  }
  nec = await createUser(em, { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true, fullName: 'Cán bộ Hội đồng bầu cử quốc gia' });
  const file = path.join(DATA, 'na15_2021_candidates.csv');
  const buf = fs.readFileSync(file);
  const runId = await insertRun(em, { electionId, scope: { type: 'nation', code: 'VN' }, mapping: 'na15-2021', createdBy: nec.id, file: { source: file, fileName: 'na15_2021_candidates.csv', size: buf.length, sha256: sha256(buf) } }, null);
  const out = await executeImport(app.orm.em.fork(), runId, { registry: app.plugins, log: app.log });
  expect(out.status).toBe('succeeded');
  fs.mkdirSync(SCREENS, { recursive: true });
  ({ browser, profile } = await launchChromium());
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 860 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  await app?.close();
});

describe('allocation and official lists in the browser', () => {
  const errors: string[] = [];

  it('the NEC official opens the allocation page: every unit with seats, list size / minimum and structure at a glance', async () => {
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${app.url}/elections/${electionId}/candidate-lists?contest=national-assembly&place=VN`, { waitUntil: 'networkidle0' });
    await signInOnForm(page, nec, { secondFactor: true, em: app.orm.em.fork() });
    expect(await page.$eval('h1', (h) => h.textContent)).toContain('Phân bổ và danh sách chính thức');
    expect(await page.$$eval('.cl-table tbody tr', (trs) => trs.length)).toBe(50);
    expect(await page.$eval('.cl-counts', (c) => c.textContent?.replace(/\s+/g, ' '))).toContain('184');
    expect(await page.$eval('.cl-table tbody tr:first-child', (tr) => tr.textContent?.replace(/\s+/g, ' '))).toContain('Đủ số dư');
    await page.screenshot({ path: path.join(SCREENS, 'candidate-lists-allocation.png'), fullPage: false });
  });

  it('finalises a unit\'s list with the keyboard: the list shows the ballot order', async () => {
    await page.goto(`${app.url}/elections/${electionId}/candidate-lists/units/${unitByLabel.get('TP. Hà Nội/1')}`, { waitUntil: 'networkidle0' });
    await page.focus('form[action$="/finalise"] button');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
    expect(await page.$eval('.flash', (f) => f.textContent)).toContain('Đã chốt danh sách chính thức');
    expect(await page.$eval('#cl-status-h', (h) => h.textContent)).toBe('Đã chốt danh sách chính thức');
    const order = await page.$$eval('#list ~ .table-wrap tbody tr td:first-child', (tds) => tds.map((td) => Number(td.textContent)));
    expect(order).toEqual([1, 2, 3, 4, 5]);
    await page.screenshot({ path: path.join(SCREENS, 'candidate-lists-unit.png'), fullPage: true });
  });

  it('rule 17: a list made one short cannot be finalised; the page names the unit and the shortfall', async () => {
    await page.goto(`${app.url}/elections/${electionId}/candidate-lists/units/${unitByLabel.get('Tỉnh Lạng Sơn/2')}`, { waitUntil: 'networkidle0' });
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('#list ~ .table-wrap tbody tr:last-child form button')]);
    expect(await page.$eval('.flash', (f) => f.textContent)).toContain('Đã bỏ');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('form[action$="/finalise"] button')]);
    const alert = await page.$eval('#errors', (e) => e.textContent ?? '');
    expect(alert).toContain('Đơn vị bầu cử số 2 · Tỉnh Lạng Sơn');
    expect(alert).toContain('còn thiếu 1 người');
    expect(alert).toContain('LIST_SURPLUS_SHORT');
    await page.screenshot({ path: path.join(SCREENS, 'candidate-lists-unit-short.png'), fullPage: true });
  });

  it('the national statistics page shows the indicators, the targets met and the breakdown by province', async () => {
    await page.goto(`${app.url}/elections/${electionId}/candidate-statistics?contest=national-assembly&place=VN&round=all`, { waitUntil: 'networkidle0' });
    const text = await page.$eval('main', (m) => m.textContent?.replace(/\s+/g, ' ') ?? '');
    expect(text).toContain('Tổng số: 868 người.');
    expect(text).toContain('45,28');
    expect(text).toContain('Theo tỉnh');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: path.join(SCREENS, 'candidate-lists-statistics.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
