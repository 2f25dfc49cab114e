// Turnout progress in headless Chromium (real clock: election day 15/03/2026 is past, so every report time has come):
// a commune official enters the 17:00 figures of every polling area of the commune with the keyboard only (Enter
// moves to the next box), sees a rule-22 refusal beside the box, corrects it and saves; the completeness view shows
// the areas still missing with the team leader's phone, overdue highlighted; an observer of the nation sees the
// national page with the server-rendered SVG chart. Screenshots in tmp/screens (git-ignored): turnout-bulk-error.png,
// turnout-missing.png, turnout-national.png, turnout-chart.png.
import fs from 'node:fs';
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
import { insertBody, insertMember } from '../../core/elections/bodies/store.js';
import { rebuildTotals } from '../../core/elections/turnout/store.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');
const CONTESTS = ['national-assembly', 'provincial-council', 'commune-council'];
const SLOTS = ['09:00', '11:00', '14:00', '17:00', 'close'];
/** Share of voters that had voted by each report time (a plausible day). */
const CURVE = [0.27, 0.52, 0.78, 0.93, 0.9968];

let app: TestApp;
let browser: Browser;
let page: Page;
let profile: string;
let official: TestUser;
let observer: TestUser;
let electionId = '';
let commune = '';
const own: { id: string; number: number; voters: number }[] = [];

beforeAll(async () => {
  app = await startTestApp('turnout_browser');
  const em = app.orm.em.fork();
  const tree = referenceUnits(['79', '01', '48']);
  await insertUnits(em, tree);
  electionId = newId();
  await sql(em, `insert into election (id, name, election_day, status) values (?, ?, '2026-03-15', 'voting')`, [electionId, 'Bầu cử đại biểu Quốc hội khóa XVI và đại biểu HĐND các cấp']);
  for (const c of CONTESTS) await sql(em, `insert into plugin_state (election_id, plugin_id, enabled) values (?, ?, true)`, [electionId, c]);
  let seq = 0;
  for (const province of ['79', '01', '48']) {
    const na = newId();
    const pc = newId();
    for (const [id, contest] of [[na, 'national-assembly'], [pc, 'provincial-council']]) {
      await sql(em, `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name) values (?, ?, ?, 'province', ?, 1, 3, 'Đơn vị bầu cử số 1')`, [id, electionId, contest, province]);
    }
    const communes = tree.filter((u) => u.level === 'commune' && u.parent === province).map((u) => u.code).sort().slice(0, 4);
    for (const [ci, code] of communes.entries()) {
      const cc = newId();
      await sql(em, `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name) values (?, ?, 'commune-council', 'commune', ?, 1, 3, 'Đơn vị bầu cử số 1')`, [cc, electionId, code]);
      for (let n = 1; n <= 4; n++) {
        const id = newId();
        const name = [`Khu phố ${n} — Nhà văn hóa`, `Trường Tiểu học Lê Văn Tám (điểm ${n})`, `Ấp ${n} — Hội trường ấp`, `Tổ dân phố ${n} — Đình làng`][n - 1];
        const voters = 900 + ((seq * 137) % 1700);
        seq++;
        await sql(em, `insert into polling_area (id, election_id, commune_code, number, name, search_key, sort_key, voters, kind) values (?, ?, ?, ?, ?, ?, ?, ?, 'regular')`,
          [id, electionId, code, n, name, searchKey(name), collationKey(name), voters]);
        for (const [contest, unit] of [['national-assembly', na], ['provincial-council', pc], ['commune-council', cc]]) {
          await sql(em, `insert into polling_area_unit (polling_area_id, contest, unit_id) values (?, ?, ?)`, [id, contest, unit]);
        }
        const body = await insertBody(em, { electionId, node: { kind: 'team', areaId: id } as never, communeCode: code, variant: 'civil', createdBy: 'test' });
        await insertMember(em, body, { fullName: ['Nguyễn Thị Hoa', 'Trần Văn Bình', 'Lê Thị Mai', 'Phạm Quốc Huy'][n - 1], role: 'leader', organisation: null, phone: `09${String(12_000_000 + seq * 7919).slice(-8)}` });
        if (province === '79' && ci === 0) {
          commune = code;
          own.push({ id, number: n, voters });
          // The commune under test has reported up to 14:00; 17:00 is typed in the browser.
          for (const [k, s] of SLOTS.slice(0, 3).entries()) for (const c of CONTESTS) {
            await sql(em, `insert into turnout_report (election_id, polling_area_id, contest, slot, voted, reported_by, on_behalf) values (?, ?, ?, ?, ?, 'seed', false)`, [electionId, id, c, s, Math.floor(voters * CURVE[k])]);
          }
          continue;
        }
        // Elsewhere: every report time, except that a few areas have not sent 17:00 and the close yet.
        const upTo = seq % 5 === 0 ? 3 : seq % 7 === 0 ? 4 : 5;
        for (const [k, s] of SLOTS.slice(0, upTo).entries()) for (const [ci2, c] of CONTESTS.entries()) {
          await sql(em, `insert into turnout_report (election_id, polling_area_id, contest, slot, voted, reported_by, on_behalf) values (?, ?, ?, ?, ?, 'seed', false)`,
            [electionId, id, c, s, Math.floor(voters * CURVE[k] * (1 - ci2 * 0.004))]);
        }
      }
    }
  }
  await rebuildTotals(em, electionId);
  official = await createUser(em, { roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: commune }], fullName: 'Nguyễn Văn Cán Bộ' });
  observer = await createUser(em, { roles: [{ role: 'observer', scopeType: 'nation', scopeCode: 'VN' }], fullName: 'Giám sát Trung ương' });
  fs.mkdirSync(SCREENS, { recursive: true });
  ({ browser, profile } = await launchChromium());
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  await app?.close();
});

describe('turnout in the browser', () => {
  const errors: string[] = [];

  it('a commune official types the 17:00 figures of every area with the keyboard; a rule-22 refusal shows beside its box', async () => {
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('response', (r) => { if (r.status() >= 400 && r.status() !== 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`); });
    await page.goto(`${app.url}/elections/${electionId}/turnout/commune/${commune}/entry?slot=17:00`, { waitUntil: 'networkidle0' });
    await signInOnForm(page, official);
    expect(new URL(page.url()).pathname).toBe(`/elections/${electionId}/turnout/commune/${commune}/entry`);
    // The first box has the focus; type every figure, Enter moving on; the second area's NA figure is too large.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe(`v:${own[0].id}:national-assembly`);
    for (const [i, a] of own.entries()) {
      for (const [k] of CONTESTS.entries()) {
        await page.keyboard.down('Control'); await page.keyboard.press('a'); await page.keyboard.up('Control');
        const v = i === 1 && k === 0 ? a.voters + 5 : Math.floor(a.voters * CURVE[3]);
        await page.keyboard.type(String(v));
        if (i === own.length - 1 && k === CONTESTS.length - 1) await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
        else await page.keyboard.press('Enter');
      }
    }
    const alert = await page.$eval('.to-errors', (e) => e.textContent ?? '');
    expect(alert).toContain('TURNOUT_ABOVE_VOTERS');
    expect(alert).toContain('quy tắc 22');
    expect(await page.$eval(`td.has-error .field-error`, (e) => e.textContent ?? '')).toMatch(/^Số cử tri đã bỏ phiếu \(giờ 17:00\)/);
    // The box with the error has the focus again, with what was typed.
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value)).toBe(String(own[1].voters + 5));
    await page.screenshot({ path: path.join(SCREENS, 'turnout-bulk-error.png'), fullPage: true });
    const [{ n }] = await sql<{ n: number }>(app.orm.em.fork(), `select count(*)::int as n from turnout_report where election_id = ? and slot = '17:00' and polling_area_id = any(?::uuid[])`, [electionId, `{${own.map((a) => a.id).join(',')}}`]);
    expect(n).toBe(0);
    await page.keyboard.down('Control'); await page.keyboard.press('a'); await page.keyboard.up('Control');
    await page.keyboard.type(String(Math.floor(own[1].voters * CURVE[3])));
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('form.to-bulk button[type=submit]')]);
    expect(await page.$eval('.flash, [role=status]', (e) => e.textContent ?? '').catch(() => '')).toContain('Đã lưu 12 số liệu giờ 17:00');
  });

  it('the completeness view lists the areas missing the close with the leader phone, overdue highlighted', async () => {
    await page.goto(`${app.url}/elections/${electionId}/turnout/missing?slot=close&sort=overdue`, { waitUntil: 'networkidle0' });
    const rows = await page.$$eval('table.to-missing tbody tr', (trs) => trs.map((tr) => ({ overdue: tr.classList.contains('to-overdue'), text: tr.textContent ?? '' })));
    expect(rows.length).toBe(own.length);
    expect(rows.every((r) => r.overdue)).toBe(true);
    expect(rows[0].text).toMatch(/09\d{8}/);
    await page.screenshot({ path: path.join(SCREENS, 'turnout-missing.png'), fullPage: true });
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('.userbox button[type=submit]')]);
  });

  it('an observer of the nation sees the national page with the SVG chart', async () => {
    await page.goto(`${app.url}/elections/${electionId}/turnout`, { waitUntil: 'networkidle0' });
    await signInOnForm(page, observer);
    expect(new URL(page.url()).pathname).toBe(`/elections/${electionId}/turnout`);
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Tiến độ cử tri đi bầu toàn quốc');
    const img = await page.$eval('figure.to-chart img', (i) => ({ w: (i as HTMLImageElement).naturalWidth, src: (i as HTMLImageElement).src }));
    expect(img.w).toBeGreaterThan(0);
    expect(await page.$$eval('table.to-rows tbody tr', (trs) => trs.length)).toBe(3);
    await page.screenshot({ path: path.join(SCREENS, 'turnout-national.png'), fullPage: true });
    const svg = await page.goto(img.src, { waitUntil: 'networkidle0' });
    expect(svg?.headers()['content-type']).toMatch(/image\/svg\+xml/);
    expect(await svg?.text()).toContain('<svg');
    await page.screenshot({ path: path.join(SCREENS, 'turnout-chart.png') });
    await page.emulateMediaType('print');
    await page.goto(`${app.url}/elections/${electionId}/turnout`, { waitUntil: 'networkidle0' });
    await page.screenshot({ path: path.join(SCREENS, 'turnout-national-print.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
