// Rule 23 in headless Chromium: the entry form's "Kiểm kê phiếu bầu" fieldset reached with Enter after the team
// members present, the live sum (issued + unused + spoiled) against ballots received from the board, the F211 message
// beside the field before saving; fixed, then submitted; the coordinator's comparison with a differing inventory field.
// Screenshots for review in tmp/screens: count-minutes-inventory-entry.png, count-minutes-inventory-compare.png.
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, openSignedIn } from '../helpers/browser.js';
import { startTestApp, REPO_ROOT, type TestApp } from '../helpers/test-app.js';
import { createUser, type TestUser } from '../helpers/client.js';
import { CONTEST, buildWorld, goodMinutes, insertArea, signed, submit, type World } from '../helpers/count-minutes.js';
import { sql } from '../../core/persistence/db.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');

let app: TestApp;
let browser: Browser;
let profile: string;
let w: World;
let typistUser: TestUser;
let coordinatorUser: TestUser;
let areas: string[] = [];
let differingMinutes = '';

beforeAll(async () => {
  app = await startTestApp('cm_inventory_browser');
  w = await buildWorld(app);
  const em = app.orm.em.fork();
  await sql(em, `update election set name = 'Bầu cử đại biểu Quốc hội khóa XVI và đại biểu HĐND các cấp' where id = ?`, [w.electionId]);
  areas = [await insertArea(em, w, w.commune, 1, w.unitId, 950), await insertArea(em, w, w.commune, 2, w.unitId, 1000)];
  typistUser = await createUser(em, { roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: w.commune }], fullName: 'Nguyễn Thị Nhập Liệu' });
  coordinatorUser = await createUser(em, { roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: w.commune }], fullName: 'Trần Văn Điều Phối' });
  const t1 = await signed(app, 'commune-official', 'commune', w.commune);
  const t2 = await signed(app, 'commune-official', 'commune', w.commune);
  await submit(t1, w, areas[1], goodMinutes(w, { ballotsFromBoard: 1000, ballotsUnused: 96, ballotsSpoiled: 4 }));
  differingMinutes = (await submit(t2, w, areas[1], goodMinutes(w, { ballotsFromBoard: 1000, ballotsUnused: 95, ballotsSpoiled: 5 }))).body.minutesId;
  fs.mkdirSync(SCREENS, { recursive: true });
  ({ browser, profile } = await launchChromium());
});

afterAll(async () => {
  await browser?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  await app?.close();
});

const signedPage = (u: TestUser, url: string): Promise<Page> => openSignedIn(browser, app.url, u, url);

describe('rule 23 in the browser', () => {
  it('rule 23: the inventory fieldset by keyboard, the live sum and the F211 message beside the field, then fixed and submitted', async () => {
    const url = `/elections/${w.electionId}/count-minutes/areas/${areas[0]}/${CONTEST}`;
    const page = await signedPage(typistUser, url);
    expect(await page.$eval('#cm-inventory legend', (e) => e.textContent?.trim())).toBe('Kiểm kê phiếu bầu');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-votersTotal');
    // The paper minutes top to bottom with Enter: voters and ballots, the five candidates.
    for (const v of ['950', '900', '900', '900', '880', '20', '500', '450', '400', '380', '370']) {
      await page.keyboard.type(v);
      await page.keyboard.press('Enter');
    }
    await page.type('#f-complaints-received', '0');
    await page.type('#f-complaints-resolved', '0');
    await page.type('#f-complaints-forwarded', '0');
    await page.focus('#f-teamMembersPresent');
    await page.keyboard.type('11');
    // Enter from the last field of the paper minutes goes on to the inventory fieldset.
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-ballotsFromBoard');
    for (const v of ['1001', '96']) {
      await page.keyboard.type(v);
      await page.keyboard.press('Enter');
    }
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-ballotsSpoiled');
    await page.keyboard.type('4');
    await page.waitForSelector('#m-f-ballotsFromBoard p.cm-error');
    const msg = await page.$eval('#m-f-ballotsFromBoard', (e) => e.textContent ?? '');
    expect(msg).toContain('số phiếu nhận từ Ban bầu cử (1.001)');
    expect(msg).toContain('chênh lệch 1');
    expect(await page.$eval('#sum-inventory', (e) => [e.textContent, e.className])).toEqual(['1.000', 'cm-sum cm-bad']);
    expect(await page.$eval('#f-ballotsFromBoard', (e) => e.classList.contains('cm-bad'))).toBe(true);
    await page.$eval('#cm-inventory', (e) => e.scrollIntoView({ block: 'center' }));
    await page.screenshot({ path: path.join(SCREENS, 'count-minutes-inventory-entry.png'), fullPage: true });
    // Fix "received from the board": the message goes away, the sum turns green; submit.
    await page.click('#f-ballotsFromBoard', { count: 3 });
    await page.keyboard.type('1000');
    await page.waitForFunction(() => !document.querySelector('#m-f-ballotsFromBoard p'));
    expect(await page.$eval('#sum-inventory', (e) => e.className)).toBe('cm-sum cm-good');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('#cm-submit')]);
    expect(await page.$eval('main', (m) => m.textContent ?? '')).toContain('Đã nộp lần nhập thứ 1');
    const [entry] = await sql<{ data: Record<string, unknown> }>(app.orm.em.fork(),
      `select e.data from count_minutes_entry e join count_minutes m on m.id = e.minutes_id where m.polling_area_id = ?`, [areas[0]]);
    expect(entry.data).toMatchObject({ ballotsFromBoard: 1000, ballotsUnused: 96, ballotsSpoiled: 4 });
    await page.browserContext().close();
  });

  it('rule 23: the comparison marks the differing inventory fields', async () => {
    const page = await signedPage(coordinatorUser, `/elections/${w.electionId}/count-minutes/m/${differingMinutes}`);
    const differs = await page.$$eval('tr.cm-differs th', (rs) => rs.map((r) => r.textContent?.replace('≠', '').trim()));
    expect(differs).toEqual(['Số phiếu không sử dụng (đã niêm phong)', 'Số phiếu hỏng đã đổi (đã niêm phong)']);
    await page.screenshot({ path: path.join(SCREENS, 'count-minutes-inventory-compare.png'), fullPage: true });
    await page.browserContext().close();
  });
});
