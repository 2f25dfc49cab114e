// Count minutes in headless Chromium (issue 6): a commune official types the minutes with the keyboard only (Enter
// moves to the next field), sees the live sum and the rule message beside the field (F202) before saving, fixes it and
// submits; the coordinator compares two differing entries field by field and keeps one; the commune's to-do list.
// Screenshots for review in tmp/screens: count-minutes-entry.png, count-minutes-compare.png, count-minutes-todo.png.
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, openSignedIn } from '../helpers/browser.js';
import { startTestApp, REPO_ROOT, type TestApp } from '../helpers/test-app.js';
import { createUser, type TestUser } from '../helpers/client.js';
import { CONTEST, buildWorld, goodMinutes, insertArea, signed, submit, type Signed, type World } from '../helpers/count-minutes.js';
import { sql } from '../../core/persistence/db.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');

let app: TestApp;
let browser: Browser;
let profile: string;
let w: World;
let typistUser: TestUser;
let coordinatorUser: TestUser;
let t1: Signed;
let t2: Signed;
const areas: string[] = [];

beforeAll(async () => {
  app = await startTestApp('count_minutes_browser');
  w = await buildWorld(app);
  const em = app.orm.em.fork();
  await sql(em, `update election set name = 'Bầu cử đại biểu Quốc hội khóa XVI và đại biểu HĐND các cấp' where id = ?`, [w.electionId]);
  for (let n = 1; n <= 14; n++) areas.push(await insertArea(em, w, w.commune, n, w.unitId, 900 + n * 50));
  typistUser = await createUser(em, { roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: w.commune }], fullName: 'Nguyễn Thị Nhập Liệu' });
  coordinatorUser = await createUser(em, { roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: w.commune }], fullName: 'Trần Văn Điều Phối' });
  t1 = await signed(app, 'commune-official', 'commune', w.commune);
  t2 = await signed(app, 'commune-official', 'commune', w.commune);
  // A commune in progress: some minutes accepted, one with differences, one entered once, the rest missing.
  const good = (n: number) => goodMinutes(w, { votersTotal: 900 + n * 50 });
  for (const i of [2, 3, 4, 5]) {
    await submit(t1, w, areas[i], good(i + 1));
    await submit(t2, w, areas[i], good(i + 1));
  }
  await submit(t1, w, areas[6], good(7));
  await submit(t1, w, areas[1], good(2));
  await submit(t2, w, areas[1], goodMinutes(w, {
    votersTotal: 950, votes: [500, 450, 400, 370, 380].map((votes, i) => ({ candidateId: w.candidates[i], votes })),
  }));
  fs.mkdirSync(SCREENS, { recursive: true });
  ({ browser, profile } = await launchChromium());
});

afterAll(async () => {
  await browser?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  await app?.close();
});

const signedPage = (u: TestUser, url: string): Promise<Page> => openSignedIn(browser, app.url, u, url);

describe('count minutes in the browser', () => {
  it('keyboard entry: live sums and the F202 message beside the field, then a clean submission', async () => {
    const url = `/elections/${w.electionId}/count-minutes/areas/${areas[0]}/${CONTEST}`;
    const page = await signedPage(typistUser, url);
    // The first empty field has the focus: type top to bottom, Enter to move on.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-votersTotal');
    for (const v of ['950', '900', '900', '900', '880', '21', '500', '450', '400', '380', '370']) {
      await page.keyboard.type(v);
      await page.keyboard.press('Enter');
    }
    await page.waitForSelector('#m-f-ballotsValid p.cm-error');
    const msg = await page.$eval('#m-f-ballotsValid', (e) => e.textContent ?? '');
    expect(msg).toContain('phải bằng số phiếu thu vào (900)');
    expect(await page.$eval('#sum-vi', (e) => e.textContent)).toBe('901');
    expect(await page.$eval('#sum-votes', (e) => e.textContent)).toBe('2.100');
    await page.type('#f-complaints-received', '0');
    await page.type('#f-complaints-resolved', '0');
    await page.type('#f-complaints-forwarded', '0');
    await page.type('#f-teamMembersPresent', '11');
    await page.waitForFunction(() => document.querySelector('#pct-voted')?.textContent?.includes('94,74'));
    await page.screenshot({ path: path.join(SCREENS, 'count-minutes-entry.png'), fullPage: true });
    // Fix the invalid ballots: the message goes away; submit with the button.
    await page.click('#f-ballotsInvalid', { count: 3 });
    await page.keyboard.type('20');
    await page.waitForFunction(() => !document.querySelector('#m-f-ballotsValid p'));
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('#cm-submit')]);
    expect(await page.$eval('main', (m) => m.textContent ?? '')).toContain('Đã nộp lần nhập thứ 1');
    await page.browserContext().close();
  });

  it('the coordinator compares two differing entries field by field and keeps the first; the to-do list', async () => {
    const [m] = await sql<{ id: string }>(app.orm.em.fork(), `select id from count_minutes where polling_area_id = ?`, [areas[1]]);
    const url = `/elections/${w.electionId}/count-minutes/m/${m.id}`;
    const page = await signedPage(coordinatorUser, url);
    const differs = await page.$$eval('tr.cm-differs', (rs) => rs.length);
    expect(differs).toBe(3);
    await page.screenshot({ path: path.join(SCREENS, 'count-minutes-compare.png'), fullPage: true });
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('button[value="keep-1"]')]);
    expect(await page.$eval('main', (x) => x.textContent ?? '')).toContain('Đã chấp nhận theo lần nhập đã chọn');
    await page.goto(`${app.url}/elections/${w.electionId}/count-minutes?commune=${w.commune}`, { waitUntil: 'networkidle0' });
    const text = await page.$eval('main', (x) => x.textContent ?? '');
    expect(text).toContain('5/14 biên bản đã chấp nhận');
    await page.screenshot({ path: path.join(SCREENS, 'count-minutes-todo.png'), fullPage: true });
    await page.goto(`${app.url}/elections/${w.electionId}/count-minutes?commune=${w.commune}&q=khu+vuc+bo+phieu+so+7`, { waitUntil: 'networkidle0' });
    expect(await page.$$eval('table.cm-todo tbody tr', (rs) => rs.length)).toBe(1);
    await page.browserContext().close();
  });
});
