// Election bodies in headless Chromium: a commune official signs in, forms the election team of a polling area from
// the commune page, enters the decision, types the members with the keyboard only (Enter adds one, the name box is
// ready for the next), marks the team complete, and the page is screenshotted for review in tmp/screens
// (git-ignored): body-team.png (tablet landscape), body-team-portrait.png, body-team-new.png, bodies-commune.png.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, signInOnForm } from '../helpers/browser.js';
import { startTestApp, REPO_ROOT, type TestApp } from '../helpers/test-app.js';
import { createUser, type TestUser } from '../helpers/client.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import { collationKey, searchKey } from '../../core/shared/vn-text.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');
const BEN_THANH = '26743';

let app: TestApp;
let browser: Browser;
let page: Page;
let profile: string;
let official: TestUser;
let electionId = '';

const MEMBERS: [string, string, string, string][] = [
  ['Nguyễn Thị Thu Hà', 'leader', 'UBND Phường Bến Thành', '0903 112 233'],
  ['Trần Quốc Bảo', 'secretary', 'Công an Phường Bến Thành', '0912 445 566'],
  ['Lê Minh Châu', 'member', 'Ủy ban MTTQ Việt Nam Phường Bến Thành', '0908 778 899'],
  ['Phạm Văn Dũng', 'member', 'Khu phố 1', '0938 123 456'],
  ['Hoàng Thị Lan', 'member', 'Hội Liên hiệp Phụ nữ Phường', '0977 654 321'],
  ['Võ Thanh Sơn', 'member', 'Đoàn Thanh niên Phường', '0919 222 333'],
  ['Đặng Ngọc Mai', 'member', 'Trường THCS Văn Lang', ''],
  ['Bùi Đức Anh', 'member', 'Hội Cựu chiến binh Phường', '0905 444 555'],
  ['Đỗ Thị Hằng', 'member', 'Khu phố 2', '0966 777 888'],
  ['Ngô Văn Khải', 'member', 'Trạm Y tế Phường', '0989 000 111'],
  ['Dương Thị Ngọc Ánh', 'member', 'Khu phố 3', '0932 999 000'],
];

beforeAll(async () => {
  app = await startTestApp('bodies_browser');
  const em = app.orm.em.fork();
  await insertUnits(em, referenceUnits(['79']));
  electionId = newId();
  await sql(em, `insert into election (id, name, election_day) values (?, ?, '2026-03-15')`, [electionId, 'Bầu cử đại biểu Quốc hội khóa XVI và đại biểu HĐND các cấp']);
  for (const c of ['national-assembly', 'provincial-council', 'commune-council']) await sql(em, `insert into plugin_state (election_id, plugin_id, enabled) values (?, ?, true)`, [electionId, c]);
  for (const [n, name] of [[1, 'Khu phố 1 — Nhà văn hóa Phường'], [2, 'Khu phố 2 — Trường THCS Văn Lang'], [3, 'Khu phố 3 — Chợ Bến Thành']] as [number, string][]) {
    await sql(em, `insert into polling_area (id, election_id, commune_code, number, name, search_key, sort_key, voters, kind) values (?, ?, ?, ?, ?, ?, ?, ?, 'regular')`,
      [newId(), electionId, BEN_THANH, n, name, searchKey(name), collationKey(name), 1500 + n * 100]);
  }
  official = await createUser(em, { roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: BEN_THANH }], fullName: 'Nguyễn Văn Cán Bộ' });
  fs.mkdirSync(SCREENS, { recursive: true });
  ({ browser, profile } = await launchChromium());
  page = await browser.newPage();
  await page.setViewport({ width: 1180, height: 820 });
});

afterAll(async () => {
  await browser?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  await app?.close();
});

describe('an election team in the browser', () => {
  const errors: string[] = [];

  it('a commune official forms the team of a polling area from the commune page', async () => {
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`); });
    await page.goto(`${app.url}/elections/${electionId}/bodies`, { waitUntil: 'networkidle0' });
    await signInOnForm(page, official);
    // A commune official lands on its own commune.
    expect(new URL(page.url()).pathname).toBe(`/elections/${electionId}/bodies/commune/${BEN_THANH}`);
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Phường Bến Thành');
    expect(await page.$$eval('#teams ~ .table-wrap tbody tr', (trs) => trs.length)).toBe(3);
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('input[name=kind][value=team] ~ button')]);
    expect(new URL(page.url()).pathname).toMatch(/\/bodies\/[0-9a-f-]{36}$/);
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Tổ bầu cử — Khu vực bỏ phiếu số 1');
    // A new team: the check lists what is missing, the decision form is open, the name box is the first field.
    expect(await page.$eval('.bd-check', (s) => s.textContent)).toContain('BODY_SIZE');
    await page.screenshot({ path: path.join(SCREENS, 'body-team-new.png'), fullPage: true });
  });

  it('enters the decision and types the members with the keyboard only', async () => {
    await page.type('#d-no', '25/QĐ-UBND');
    await page.$eval('#d-date', (el) => { (el as HTMLInputElement).value = '2026-01-22'; });
    await page.type('#d-by', 'Ủy ban nhân dân Phường Bến Thành');
    await page.$eval('#d-on', (el) => { (el as HTMLInputElement).value = '2026-01-22'; });
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('.bd-edit-decision button[type=submit]')]);
    expect(await page.$eval('.flash', (f) => f.textContent)).toContain('Đã lưu quyết định thành lập');

    for (const [name, role, org, phone] of MEMBERS) {
      await page.focus('#a-name');
      await page.keyboard.type(name);
      await page.keyboard.press('Tab');
      // The role list starts on the leader while there is none, then on "Ủy viên"; the keyboard picks the rest.
      if ((await page.$eval('#a-role', (s) => (s as HTMLSelectElement).value)) !== role) await page.select('#a-role', role);
      await page.keyboard.press('Tab');
      await page.keyboard.type(org);
      await page.keyboard.press('Tab');
      await page.keyboard.type(phone);
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
      // Back on the page with the name box focused for the next person (autofocus is applied at the next rendering).
      await page.waitForFunction(() => document.activeElement?.id === 'a-name', { timeout: 5_000 });
    }
    expect(await page.$$eval('.bd-member-table tbody tr', (trs) => trs.length)).toBe(MEMBERS.length);
    expect(await page.$eval('.bd-member-table tbody tr:first-child th', (th) => th.textContent)).toBe('Nguyễn Thị Thu Hà');
    expect(await page.$eval('.bd-count', (s) => s.textContent)).toBe('11');
  });

  it('an edit happens in place: Sửa opens the row with the name focused', async () => {
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('tr:nth-child(4) .bd-row-actions a')]);
    await page.waitForFunction(() => document.activeElement?.id === 'e-name', { timeout: 5_000 });
    await page.$eval('#e-phone', (el) => { (el as HTMLInputElement).value = ''; });
    await page.type('#e-phone', '0938 123 457');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
    expect(await page.$eval('.flash', (f) => f.textContent)).toContain('Đã lưu thông tin Phạm Văn Dũng');
  });

  it('marks the team complete and shows it, readable on a tablet (screenshots)', async () => {
    expect(await page.$eval('.bd-check', (s) => s.textContent)).toContain('Đủ điều kiện để đánh dấu hoàn thành');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('.bd-check button[type=submit]')]);
    expect(await page.$eval('.bd-status .badge', (b) => b.textContent)).toBe('Đã hoàn thành');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1180);
    await page.screenshot({ path: path.join(SCREENS, 'body-team.png'), fullPage: true });
    await page.setViewport({ width: 820, height: 1180 });
    await page.reload({ waitUntil: 'networkidle0' });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(820);
    await page.screenshot({ path: path.join(SCREENS, 'body-team-portrait.png'), fullPage: true });
    await page.setViewport({ width: 1180, height: 820 });
    await page.goto(`${app.url}/elections/${electionId}/bodies/commune/${BEN_THANH}`, { waitUntil: 'load' });
    expect(await page.$eval('#teams .bd-h-note', (s) => s.textContent)).toBe('1/3 đã thành lập');
    await page.screenshot({ path: path.join(SCREENS, 'bodies-commune.png'), fullPage: true });
    const [row] = await sql(app.orm.em.fork(), `select status, decision_no, (select count(*)::int from body_member m where m.body_id = b.id) as n from election_body b where b.election_id = ?`, [electionId]);
    expect(row).toEqual({ status: 'complete', decision_no: '25/QĐ-UBND', n: 11 });
    expect(errors).toEqual([]);
  });
});
