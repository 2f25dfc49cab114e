// Headless Chromium for browser tests: Debian's /usr/bin/chromium with the flags this machine needs (no network
// chatter, no sandbox as root), a throw-away profile, and Vietnamese as the browser language.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { expect } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../core/persistence/db.js';
import { currentTotp } from '../../core/auth/totp.js';
import type { TestUser } from './client.js';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--lang=vi-VN'];

/** Launches Chromium with a fresh profile directory (remove it after browser.close()). */
export async function launchChromium(): Promise<{ browser: Browser; profile: string }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'baucu-chromium-'));
  const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', userDataDir: profile, args: CHROMIUM_ARGS });
  return { browser, profile };
}

/** A browser and one 1280×900 page whose script errors and failed responses (≥ 400, favicon aside) land in `errors`. */
export async function openWatchedPage(errors: string[]): Promise<{ browser: Browser; profile: string; page: Page; close(): Promise<void> }> {
  const { browser, profile } = await launchChromium();
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`); });
  return {
    browser, profile, page,
    async close() {
      await browser.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Signs in on the sign-in form the browser is on (a guarded page redirected there), with the keyboard: username,
 * password, Enter; then the TOTP code when the second factor is asked (required by `secondFactor: true`). A code is
 * accepted once, so with `em` the account's last used step is forgotten first (tests sign in several times a step).
 */
export async function signInOnForm(page: Page, u: TestUser, o: { secondFactor?: boolean; em?: EntityManager } = {}): Promise<void> {
  expect(new URL(page.url()).pathname).toBe('/auth/login');
  await page.type('#username', u.username);
  await page.type('#password', u.password);
  await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
  const path = new URL(page.url()).pathname;
  if (o.secondFactor) expect(path, await page.$eval('main', (m) => m.textContent ?? '')).toBe('/auth/2fa');
  if (path !== '/auth/2fa') return;
  if (o.em) await sql(o.em, 'update app_user set totp_last_step = 0 where id = ?', [u.id]);
  await page.type('#code', await currentTotp(u.totpSecret!));
  await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
}

/**
 * A page in a fresh browser context (its own cookies), 1280×900, signed in as `u` on the sign-in form that `path`
 * redirects to, and back on `path`.
 */
export async function openSignedIn(browser: Browser, baseUrl: string, u: TestUser, path: string): Promise<Page> {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(baseUrl + path, { waitUntil: 'networkidle0' });
  await signInOnForm(page, u);
  if (!page.url().endsWith(path)) await page.goto(baseUrl + path, { waitUntil: 'networkidle0' });
  return page;
}
