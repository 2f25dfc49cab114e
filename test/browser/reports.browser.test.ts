// In headless Chromium, as a person would see them: the queue board at /admin/queues under the application's
// Content-Security-Policy (an administrator signed in with the second factor), and the public check page /v/:code
// with a file compared through its upload form. Screenshots in tmp/screens (git-ignored): queues-board.png,
// verify-page.png, verify-match.png, verify-mismatch.png.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium } from '../helpers/browser.js';
import { startTestApp, REPO_ROOT, type TestApp } from '../helpers/test-app.js';
import { TestClient, createUser } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import { verifyCodeFor } from '../../core/reports/verify.js';

const SCREENS = path.join(REPO_ROOT, 'tmp', 'screens');

let app: TestApp;
let browser: Browser;
let page: Page;
let profile: string;
const em = () => app.orm.em.fork();

beforeAll(async () => {
  app = await startTestApp('reports_browser');
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

/** Console errors and failed requests of the page, CSP violations included ("Refused to …"). */
function watch(p: Page): string[] {
  const problems: string[] = [];
  p.on('console', (m) => { if (m.type() === 'error' && !m.location().url?.endsWith('/favicon.ico')) problems.push(m.text()); });
  p.on('pageerror', (e) => problems.push(String(e)));
  p.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`); });
  return problems;
}

describe('queue board in the browser', () => {
  it('renders for a signed-in administrator under the CSP, read-only', async () => {
    const admin = await createUser(em(), { username: 'quan-tri-hang-doi', fullName: 'Trần Quản Trị', roles: [{ role: 'system-admin', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
    const c = new TestClient(app.url);
    expect((await c.login(admin, em())).status).toBe(303);
    await page.setCookie(...[...c.cookies].map(([name, value]) => ({ name, value, url: app.url })));
    // Something to show: a finished job.
    await app.jobs.enqueue('core.reports.generate', { reportId: 'no.such', params: {}, format: 'csv' });
    const problems = watch(page);
    await page.goto(app.url + '/admin/queues', { waitUntil: 'networkidle0' });
    await page.waitForFunction(() => !document.body.textContent?.includes('Loading') && document.querySelectorAll('#root *').length > 20, { timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 500));
    await page.screenshot({ path: path.join(SCREENS, 'queues-board.png') });
    // The application's strict policy applies here too: no relaxation for the board.
    const csp = (await page.evaluate(async () => (await fetch(location.href)).headers.get('content-security-policy'))) ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await page.evaluate(() => document.body.innerText)).toContain('jobs');
    // What the policy blocks, for review: only styles — the "Loading" placeholder's style attributes, the <style> in
    // the inline Redis logo (it stays grey) and the Google Fonts stylesheet (the system sans-serif is used). No script.
    fs.writeFileSync(path.join(SCREENS, 'queues-board-console.txt'), problems.join('\n') + '\n');
    const blocked = problems.filter((m) => /Content Security Policy/.test(m));
    for (const m of blocked) expect(m).toMatch(/^(Applying inline style violates|Loading the stylesheet 'https:\/\/fonts\.googleapis\.com)/);
    expect(problems.filter((m) => !/Content Security Policy/.test(m))).toEqual([]);
    // Read-only: the queue is monitored, not operated (no retry/clean/add buttons).
    expect(await page.evaluate(() => Array.from(document.querySelectorAll('button')).map((b) => b.textContent?.trim()).filter((t) => /retry|clean|add job|pause|empty/i.test(t ?? '')))).toEqual([]);
  });
});

describe('check page in the browser', () => {
  it('shows the document and compares an uploaded file through the form', async () => {
    const original = Buffer.from('%PDF-1.7\n% bản gốc để thử\n%%EOF\n');
    const id = newId();
    const code = verifyCodeFor(id);
    const nec = await createUser(em(), { username: 'can-bo-hdbcqg', fullName: 'Lê Thị Hội Đồng', roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }] });
    await sql(em(), `insert into artefact (id, kind, title, params, path, sha256, size, mime, created_by, format, verify_code, scope_path)
      values (?, 'core.reports.province-communes', 'Danh sách đơn vị hành chính cấp xã — Tỉnh Lai Châu', '{"provinceCode":"12","asOf":"2026-11-29"}', ?, ?, ?, 'application/pdf', ?, 'pdf', ?, array['province:12','nation:VN'])`,
    [id, `artefacts/${id}.pdf`, createHash('sha256').update(original).digest('hex'), original.length, nec.id, code]);
    const files = fs.mkdtempSync(path.join(os.tmpdir(), 'baucu-verify-'));
    const same = path.join(files, 'ban-goc.pdf');
    const changed = path.join(files, 'ban-sua.pdf');
    fs.writeFileSync(same, original);
    fs.writeFileSync(changed, Buffer.concat([original, Buffer.from(' ')]));

    const visitor = await browser.createBrowserContext(); // nobody signed in
    const p = await visitor.newPage();
    await p.setViewport({ width: 1000, height: 900 });
    const problems = watch(p);
    await p.goto(`${app.url}/v/${code}`, { waitUntil: 'networkidle0' });
    expect(await p.$eval('.verify-status', (e) => e.textContent)).toBe('Đây là phiên bản mới nhất');
    await p.screenshot({ path: path.join(SCREENS, 'verify-page.png'), fullPage: true });

    for (const [file, shot, heading] of [[same, 'verify-match.png', 'Khớp'], [changed, 'verify-mismatch.png', 'Không khớp']] as const) {
      await p.goto(`${app.url}/v/${code}`, { waitUntil: 'networkidle0' });
      const input = await p.$('#verify-file');
      await (input as unknown as { uploadFile(f: string): Promise<void> }).uploadFile(file);
      await Promise.all([p.waitForNavigation({ waitUntil: 'networkidle0' }), p.click('.verify-form button')]);
      expect(await p.$eval('.verify-result h2', (e) => e.textContent)).toBe(heading);
      await p.screenshot({ path: path.join(SCREENS, shot), fullPage: true });
    }
    expect(problems).toEqual([]);
    await visitor.close();
    fs.rmSync(files, { recursive: true, force: true });
  });
});
