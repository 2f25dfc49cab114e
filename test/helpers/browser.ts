// Headless Chromium for browser tests: Debian's /usr/bin/chromium with the flags this machine needs (no network
// chatter, no sandbox as root), a throw-away profile, and Vietnamese as the browser language.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--lang=vi-VN'];

/** Launches Chromium with a fresh profile directory (remove it after browser.close()). */
export async function launchChromium(): Promise<{ browser: Browser; profile: string }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'baucu-chromium-'));
  const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', userDataDir: profile, args: CHROMIUM_ARGS });
  return { browser, profile };
}
