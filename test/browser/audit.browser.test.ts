// The audit viewer in headless Chromium: an administrator signs in with the keyboard (second factor included), lands
// on /admin/audit, filters with the form, opens an event with the keyboard; screenshots for review in tmp/screens
// (git-ignored): audit-viewer.png (1280×900) and audit-viewer-tablet.png (a tablet in portrait).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, signInOnForm } from '../helpers/browser.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, REPO_ROOT, type TestApp } from '../helpers/test-app.js';
import { TestClient, createUser, type TestUser } from '../helpers/client.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { recordAudit } from '../../core/audit/audit.service.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');

let app: TestApp;
let browser: Browser;
let page: Page;
let profile: string;
let admin: TestUser;
const em = () => app.orm.em.fork();

/** A few varied events, as the application writes them: sign-ins, a refused one, a denial, user administration, a count. */
async function generateEvents(): Promise<void> {
  const prov = await createUser(em(), { username: 'ubbc-tinh-79', fullName: 'Lê Văn Tỉnh', roles: [{ role: 'province-official', scopeType: 'province', scopeCode: '79' }], totp: true });
  const commune = await createUser(em(), { username: 'ubbc-tan-dinh', fullName: 'Phạm Thị Xã', roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: '26737' }] });
  const p = new TestClient(app.url);
  expect((await p.login(prov, em())).status).toBe(303);
  // A province official creates a commune account (audited with its after-image), then disables it.
  const created = await p.post('/admin/users', { username: 'to-truong-kv7', fullName: 'Võ Minh Tổ', role: 'commune-official', scopeType: 'commune', scopeCode: '26737', phone: '', email: '', expiresAt: '' });
  expect(created.status).toBe(303);
  const userId = /\/admin\/users\/([0-9a-f-]{36})/.exec(created.headers.get('location') ?? '')![1];
  expect((await p.post(`/admin/users/${userId}/disable`)).status).toBe(303);
  // A mistyped password, and a commune official trying the audit viewer.
  await new TestClient(app.url).post('/auth/login', { username: commune.username, password: 'sai-mat-khau-1' });
  const c = new TestClient(app.url);
  await c.login(commune);
  expect((await c.get('/admin/audit')).status).toBe(403);
  // A count-minutes submission refused by a rule (as a plugin would record it), in an election.
  await em().transactional(async (tx) => {
    await recordAudit(tx as EntityManager, {
      actor: commune.id, role: 'commune-official', scope: `commune:26737@${newId()}`, action: 'national-assembly.count-minutes.submit',
      targetType: 'count-minutes', targetId: 'KV-07', result: 'rejected', before: null,
      after: { issues: [{ code: 'NA-F201', field: 'ballotsCast', message: 'Số phiếu thu vào lớn hơn số cử tri đã bỏ phiếu' }], ballotsCast: 1012, votersVoted: 1010 },
      requestId: 'r7Kq2xWm', ip: '10.20.30.40', userAgent: 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1',
    });
  });
}

async function signIn(): Promise<void> {
  await page.goto(app.url + '/admin/audit', { waitUntil: 'networkidle0' });
  await signInOnForm(page, admin, { secondFactor: true, em: em() });
}

beforeAll(async () => {
  app = await startTestApp('audit_browser');
  await insertUnits(em(), referenceUnits(['79']));
  admin = await createUser(em(), { username: 'quan-tri', fullName: 'Nguyễn Thị Quản Trị', roles: [{ role: 'system-admin', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
  await generateEvents();
  fs.mkdirSync(SCREENS, { recursive: true });
  ({ browser, profile } = await launchChromium());
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
});

afterAll(async () => {
  await browser?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  await app?.close();
});

describe('audit viewer in the browser', () => {
  it('signs in, lists the events, opens one with the keyboard and filters with the form', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`); });
    await signIn();
    expect(new URL(page.url()).pathname).toBe('/admin/audit');
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Nhật ký kiểm toán');
    const actions = await page.$$eval('.audit-list .a-action code', (els) => els.map((e) => e.textContent));
    expect(actions).toEqual(expect.arrayContaining(['core.users.create', 'core.users.disable', 'core.auth.login', 'core.audit.view', 'national-assembly.count-minutes.submit']));
    // The stylesheet applied (CSP allows only same-origin styles): summaries are grid rows.
    expect(await page.$eval('.audit-list summary .a-row', (el) => getComputedStyle(el).display)).toBe('grid');

    // Keyboard: a focused summary opens with Enter.
    const createdIndex = actions.indexOf('core.users.create');
    const summaries = await page.$$('.audit-list summary');
    await summaries[createdIndex].focus();
    await page.keyboard.press('Enter');
    expect(await page.$$eval('.audit-list details', (ds, i) => (ds[i as number] as HTMLDetailsElement).open, createdIndex)).toBe(true);
    const after = await page.$$eval('.audit-list details', (ds, i) => ds[i as number].querySelectorAll('pre')[0]?.textContent ?? '', createdIndex);
    expect(after).toContain('"username": "to-truong-kv7"');
    // Also open the refused count submission: its JSON and its request details make the screenshot.
    const countIndex = actions.indexOf('national-assembly.count-minutes.submit');
    await summaries[countIndex].click();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENS, 'audit-viewer.png') });
    await page.screenshot({ path: path.join(SCREENS, 'audit-viewer-full.png'), fullPage: true });

    // The filter form: type an action prefix, choose a result, submit with Enter.
    await page.focus('#af-action');
    await page.keyboard.type('core.users');
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
    const url = new URL(page.url());
    expect(url.searchParams.get('action')).toBe('core.users');
    expect(await page.$$eval('.audit-list .a-action code', (els) => [...new Set(els.map((e) => e.textContent))].sort())).toEqual(['core.users.create', 'core.users.disable']);
    expect(await page.$eval('a.audit-export', (a) => a.getAttribute('href'))).toBe('/admin/audit/export.csv?action=core.users');
    expect(errors).toEqual([]);
  });

  it('is readable on a tablet in portrait', async () => {
    await page.setViewport({ width: 820, height: 1180 });
    await page.goto(app.url + '/admin/audit', { waitUntil: 'networkidle0' });
    await page.click('.audit-list summary');
    // Nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(820);
    await page.screenshot({ path: path.join(SCREENS, 'audit-viewer-tablet.png') });
  });
});
