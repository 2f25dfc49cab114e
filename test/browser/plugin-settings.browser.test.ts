// The settings of a contest type per election in headless Chromium (rule 23's ballot inventory, the invalid-share
// threshold): a system administrator changes them on the election's plugins page with the keyboard only, sees the
// saved values, and a bad value comes back in the form with a Vietnamese message beside the setting. Screenshot for review:
// tmp/screens/plugin-settings.png (git-ignored).
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, openSignedIn } from '../helpers/browser.js';
import { startTestApp, REPO_ROOT, type TestApp } from '../helpers/test-app.js';
import { createUser } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');
let app: TestApp;
let browser: Browser;
let profile: string;
const electionId = randomUUID();

beforeAll(async () => {
  app = await startTestApp('plugin_set_br');
  const em = app.orm.em.fork();
  await sql(em, `insert into election (id, name, election_day) values (?, 'Bầu cử thử nghiệm', '2026-03-15')`, [electionId]);
  await app.container.get<{ setEnabled: (...a: unknown[]) => Promise<unknown> }>((await import('../../core/kernel/tokens.js')).TOKENS.PluginStates)
    .setEnabled(electionId, 'national-assembly', true, { actor: 'test' });
  fs.mkdirSync(SCREENS, { recursive: true });
  ({ browser, profile } = await launchChromium());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  await app?.close();
});

/** Focuses a field, selects what it holds (Ctrl+A) and types `text` over it. */
async function retype(page: Page, selector: string, text: string): Promise<void> {
  await page.focus(selector);
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.type(text);
}

describe('contest settings per election on the plugins page (keyboard only)', () => {
  it('rule 23: the administrator picks "required" for the ballot inventory and 7 % as threshold; a bad threshold is refused naming it', async () => {
    const em = app.orm.em.fork();
    const admin = await createUser(em, { roles: [{ role: 'system-admin', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
    const page = await openSignedIn(browser, app.url, admin, `/elections/${electionId}/plugins`);
    // Keyboard: focus the inventory select, choose "required" with the arrow keys, tab to the threshold, type, submit.
    await page.focus('#s-national-assembly\\.ballot-inventory');
    await page.keyboard.press('ArrowDown');
    await retype(page, '#s-national-assembly\\.invalid-share-warning-percent', '7');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
    const body = await page.$eval('main', (m) => m.textContent ?? '');
    expect(body).toContain('Đã lưu thiết lập của');
    expect(await page.$eval('#s-national-assembly\\.ballot-inventory', (s) => (s as HTMLSelectElement).value)).toBe('required');
    const [row] = await sql<{ settings: Record<string, unknown> }>(em, `select settings from plugin_state where election_id = ? and plugin_id = 'national-assembly'`, [electionId]);
    expect(row.settings).toMatchObject({ 'national-assembly.ballot-inventory': 'required', 'national-assembly.invalid-share-warning-percent': 7 });
    await page.screenshot({ path: path.join(SCREENS, 'plugin-settings.png'), fullPage: true });

    await retype(page, '#s-national-assembly\\.invalid-share-warning-percent', '120');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
    // The form comes back with what was typed and the message beside the field.
    expect(await page.$eval('#e-national-assembly\\.invalid-share-warning-percent', (e) => e.textContent ?? '')).toBe('«Ngưỡng cảnh báo tỷ lệ phiếu không hợp lệ (%)» phải là một số từ 0 đến 100.');
    expect(await page.$eval('#s-national-assembly\\.invalid-share-warning-percent', (e) => [(e as HTMLInputElement).value, e.getAttribute('aria-invalid')])).toEqual(['120', 'true']);
    expect(await page.$eval('main', (m) => m.textContent ?? '')).toContain('Thiết lập chưa được lưu: có 1 giá trị không hợp lệ.');
    await page.screenshot({ path: path.join(SCREENS, 'plugin-settings-refused.png'), fullPage: true });
    const [after] = await sql<{ settings: Record<string, unknown> }>(em, `select settings from plugin_state where election_id = ? and plugin_id = 'national-assembly'`, [electionId]);
    expect(after.settings['national-assembly.invalid-share-warning-percent']).toBe(7);
  }, 60_000);
});
