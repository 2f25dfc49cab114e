// The browser pool on the real Chromium: pages are reused and bounded, a failed page is replaced, a crashed
// browser is relaunched, nothing reaches the network, the profile directory is removed on close.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { BrowserPool, ChromiumMissingError } from '../../core/reports/browser-pool.js';

const log = pino({ level: 'silent' });
const CHROME = '/usr/bin/chromium';
const doc = (body: string) =>
  `<!doctype html><html lang="vi"><head><meta charset="utf-8"><style>@page { size: A4; margin: 20mm }
  body { font-family: "Liberation Serif", "Times New Roman", "Noto Serif", serif; font-size: 14pt }</style></head><body>${body}</body></html>`;
const isPdf = (b: Uint8Array) => Buffer.from(b.subarray(0, 5)).toString('latin1') === '%PDF-';

let pool: BrowserPool;
beforeAll(() => {
  pool = new BrowserPool({ chromePath: CHROME, size: 3, log });
});
afterAll(async () => {
  await pool?.close();
});

describe('BrowserPool', () => {
  it('10 renders in parallel all succeed on at most 3 reused pages and one browser', async () => {
    const pdfs = await Promise.all(Array.from({ length: 10 }, (_, i) => pool.renderPdf(doc(`<h1>Tài liệu số ${i + 1}</h1>`))));
    expect(pdfs.every(isPdf)).toBe(true);
    const s = pool.stats();
    expect(s.launches).toBe(1);
    expect(s.pagesCreated).toBeLessThanOrEqual(3);
    expect(s.peakInUse).toBeLessThanOrEqual(3);
    expect(s.renders).toBe(10);
    expect(s.open).toBe(s.pagesCreated);
  });

  it('a page whose work throws is closed and replaced by a fresh one', async () => {
    const before = pool.stats();
    let broken: import('puppeteer-core').Page | undefined;
    await expect(pool.withPage(async (page) => {
      broken = page;
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(broken!.isClosed()).toBe(true);
    expect(pool.stats().pagesDiscarded).toBe(before.pagesDiscarded + 1);
    expect(pool.stats().open).toBe(before.open - 1);
    // Fill the pool again: one new page replaces the discarded one; the broken page is never handed out.
    const seen = new Set<unknown>();
    await Promise.all(Array.from({ length: 3 }, () => pool.withPage(async (p) => {
      seen.add(p);
      await new Promise((r) => setTimeout(r, 50));
    })));
    expect(seen.has(broken)).toBe(false);
    expect(pool.stats().pagesCreated).toBe(before.pagesCreated + 1);
    expect(isPdf(await pool.renderPdf(doc('<p>sau lỗi</p>')))).toBe(true);
  });

  it('a render that times out fails, its page is replaced, the next render works', async () => {
    const before = pool.stats();
    // 1 ms is not enough to print: page.pdf times out.
    await expect(pool.renderPdf(doc('<p>chậm</p>'), { timeoutMs: 1 })).rejects.toThrow();
    expect(pool.stats().pagesDiscarded).toBe(before.pagesDiscarded + 1);
    expect(isPdf(await pool.renderPdf(doc('<p>tiếp tục</p>')))).toBe(true);
  });

  it('never reaches the network: only data: and about: requests are allowed', async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const before = pool.stats().blockedRequests;
      const pdf = await pool.renderPdf(doc(`<img src="${base}/a.png"><link rel="stylesheet" href="${base}/b.css">
        <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><iframe src="${base}/c.html"></iframe><p>ok</p>`));
      expect(isPdf(pdf)).toBe(true);
      expect(hits).toBe(0);
      expect(pool.stats().blockedRequests - before).toBeGreaterThanOrEqual(3);
    } finally {
      server.close();
    }
  });

  it('renders every stacked Vietnamese mark in Liberation Serif, with no fallback font', async () => {
    const marks = 'ắ ằ ẳ ẵ ặ ấ ầ ẩ ẫ ậ ế ề ể ễ ệ ố ồ ổ ỗ ộ ớ ờ ở ỡ ợ ứ ừ ử ữ ự ỳ ỷ ỹ ỵ Đ Ư Ơ';
    const pdf = await pool.renderPdf(doc(`<p>${marks}</p><p>${marks.toUpperCase()}</p><p><b>${marks}</b></p><p><i>${marks}</i></p>`));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'baucu-marks-')), 'marks.pdf');
    fs.writeFileSync(file, pdf);
    try {
      // pdftotext drops the spaces between single letters: compare without them.
      const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
      expect(text).toContain(marks.replace(/ /g, ''));
      expect(text).toContain(marks.toUpperCase().replace(/ /g, ''));
      const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' }).split('\n').slice(2).filter(Boolean).map((l) => l.split(/\s+/)[0].replace(/^[A-Z]{6}\+/, ''));
      expect(fonts.sort()).toEqual(['LiberationSerif', 'LiberationSerif-Bold', 'LiberationSerif-Italic']);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  it('relaunches Chromium after it dies', async () => {
    const launches = pool.stats().launches;
    const proc = pool.current!.process()!;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
    await new Promise((r) => setTimeout(r, 50));
    expect(isPdf(await pool.renderPdf(doc('<p>khởi động lại</p>')))).toBe(true);
    expect(pool.stats().launches).toBe(launches + 1);
  });

  it('close() shuts the browser and removes its profile directory', async () => {
    const p = new BrowserPool({ chromePath: CHROME, size: 1, log });
    await p.renderPdf(doc('<p>một</p>'));
    const dirs = p.profileDirs;
    expect(dirs).toHaveLength(1);
    expect(fs.existsSync(dirs[0])).toBe(true);
    await p.close();
    expect(fs.existsSync(dirs[0])).toBe(false);
    expect(p.profileDirs).toHaveLength(0);
    await expect(p.renderPdf(doc('<p>hai</p>'))).rejects.toThrow(/closed/);
  });

  it('a missing Chromium is a ChromiumMissingError with the install command', async () => {
    const p = new BrowserPool({ chromePath: '/nonexistent/chromium', log });
    const e = await p.renderPdf(doc('<p>x</p>')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ChromiumMissingError);
    expect((e as Error).message).toContain('apt-get install -y chromium fonts-noto-core fonts-liberation2');
    await p.close();
  });
});
