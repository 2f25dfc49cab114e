// One headless Chromium per worker process and a small pool of reused pages: HTML in, A4 PDF bytes out.
// Launched lazily on the first render, relaunched after a crash, never allowed to touch the network.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { Logger } from '../shared/logger.js';

/** Flags verified on Debian 12 + chromium (STACK.md). Puppeteer adds the headless flag itself. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  // Without it glyph outlines are snapped to the pixel grid at layout time and text widths drift between
  // machines; with it PDFs (and their PNG snapshots) are stable.
  '--font-render-hinting=none',
];

export const INSTALL_COMMAND = 'apt-get install -y chromium fonts-noto-core fonts-liberation2';

/** Chromium is not installed where CHROME_PATH points: rendering cannot work until an administrator installs it. */
export class ChromiumMissingError extends Error {
  constructor(public readonly chromePath: string) {
    super(
      `Không tìm thấy trình duyệt Chromium tại ${chromePath}, nên không thể tạo tệp PDF. ` +
        `Quản trị viên hãy cài đặt: \`${INSTALL_COMMAND}\` (hoặc đặt biến CHROME_PATH trỏ tới Chromium), rồi yêu cầu lại. / ` +
        `Chromium was not found at ${chromePath}, so PDFs cannot be generated. ` +
        `Install it with \`${INSTALL_COMMAND}\` (or point CHROME_PATH at Chromium), then request the document again.`,
    );
    this.name = 'ChromiumMissingError';
  }
}

export interface BrowserPoolOptions {
  chromePath: string;
  log: Logger;
  /** Reused pages (tabs); renders beyond this wait for a free page. */
  size?: number;
  /** Per step (load, print) in milliseconds. */
  timeoutMs?: number;
}

export interface PdfRenderOptions {
  /**
   * Chromium footer template (HTML, already escaped by the caller). It may use the placeholders
   * `<span class="pageNumber"></span>` and `<span class="totalPages"></span>`. Needs a bottom page margin.
   */
  footerTemplate?: string;
  timeoutMs?: number;
  /**
   * Tagged PDF (structure tree for assistive technology; Chromium's default). A batch print, split per document,
   * cannot keep the tree and turns it off (building it would only cost time; ≈ 10 % in a noisy measurement).
   */
  tagged?: boolean;
}

export interface BrowserPoolStats {
  launches: number;
  pagesCreated: number;
  /** Pages closed because a render on them failed (or their browser died). */
  pagesDiscarded: number;
  renders: number;
  failures: number;
  /** Requests the pages tried to make and were refused (anything but data: and about:). */
  blockedRequests: number;
  /** Highest number of pages in use at once. */
  peakInUse: number;
  open: number;
  idle: number;
}

export class BrowserPool {
  private readonly size: number;
  private readonly timeoutMs: number;
  private browser?: Browser;
  private launching?: Promise<Browser>;
  private readonly userDataDirs = new Map<Browser, string>();
  private readonly profileRemovals = new Map<Browser, Promise<void>>();
  private exitHookInstalled = false;
  /** Last resort when the process exits without close() (a crash): kill Chromium and remove its profiles. */
  private readonly onProcessExit = (): void => {
    for (const [browser, dir] of this.userDataDirs) {
      try {
        browser.process()?.kill('SIGKILL');
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
      } catch {
        /* exiting anyway */
      }
    }
  };
  private readonly idle: Page[] = [];
  private readonly waiters: (() => void)[] = [];
  /** Pages alive (idle + in use) or being created. */
  private open = 0;
  private inUse = 0;
  private closed = false;
  private readonly counters = { launches: 0, pagesCreated: 0, pagesDiscarded: 0, renders: 0, failures: 0, blockedRequests: 0, peakInUse: 0 };

  constructor(private readonly o: BrowserPoolOptions) {
    this.size = Math.max(1, o.size ?? 3);
    this.timeoutMs = o.timeoutMs ?? 30_000;
  }

  stats(): BrowserPoolStats {
    return { ...this.counters, open: this.open, idle: this.idle.length };
  }

  /** The running browser, if launched (tests use it to simulate a crash). */
  get current(): Browser | undefined {
    return this.browser;
  }

  /** Renders a complete, self-contained HTML document to A4 PDF bytes. */
  async renderPdf(html: string, o: PdfRenderOptions = {}): Promise<Uint8Array> {
    const timeout = o.timeoutMs ?? this.timeoutMs;
    return this.withPage(async (page) => {
      await page.setContent(html, { waitUntil: 'load', timeout });
      return page.pdf({
        format: 'A4',
        printBackground: true,
        preferCSSPageSize: true,
        displayHeaderFooter: !!o.footerTemplate,
        headerTemplate: '<span></span>',
        footerTemplate: o.footerTemplate ?? '<span></span>',
        tagged: o.tagged ?? true,
        timeout,
      });
    });
  }

  /**
   * Runs `fn` on a pooled page. If `fn` throws, the page is closed and a fresh one replaces it on a later
   * call: a page left mid-navigation or with a hung print job must never serve the next document.
   */
  async withPage<T>(fn: (page: Page) => Promise<T>): Promise<T> {
    const page = await this.acquire();
    let ok = false;
    try {
      const result = await fn(page);
      ok = true;
      this.counters.renders++;
      return result;
    } catch (e) {
      this.counters.failures++;
      throw e;
    } finally {
      await this.release(page, ok);
    }
  }

  /** Closes the browser and removes its profile directory. Pending and later renders fail. */
  async close(): Promise<void> {
    this.closed = true;
    process.removeListener('exit', this.onProcessExit);
    this.exitHookInstalled = false;
    for (const w of this.waiters.splice(0)) w();
    const browser = this.browser;
    this.browser = undefined;
    await this.launching?.catch(() => undefined); // a launch in progress shuts its own browser (closed is set)
    this.idle.length = 0;
    if (browser) {
      try {
        await browser.close();
      } catch {
        browser.process()?.kill('SIGKILL');
      }
      await this.removeProfile(browser);
    }
  }

  private async acquire(): Promise<Page> {
    for (;;) {
      if (this.closed) throw new Error('browser pool is closed');
      const browser = await this.getBrowser();
      const page = this.idle.pop();
      if (page) {
        if (!page.isClosed() && page.browser() === browser) return this.markInUse(page);
        this.open--; // a leftover of a browser that died
        continue;
      }
      if (this.open < this.size) {
        this.open++;
        try {
          return this.markInUse(await this.newPage(browser));
        } catch (e) {
          this.open--;
          this.wakeOne();
          throw e;
        }
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private markInUse(page: Page): Page {
    this.inUse++;
    this.counters.peakInUse = Math.max(this.counters.peakInUse, this.inUse);
    return page;
  }

  private async release(page: Page, ok: boolean): Promise<void> {
    this.inUse--;
    const healthy = ok && !this.closed && !page.isClosed() && page.browser() === this.browser && this.browser?.connected;
    if (healthy) {
      this.idle.push(page);
    } else {
      this.open--;
      if (!this.closed) this.counters.pagesDiscarded++;
      // A hung renderer may not answer a close: do not let it hold the caller; the browser reaps it later.
      await Promise.race([page.close().catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())]);
    }
    this.wakeOne();
  }

  private wakeOne(): void {
    this.waiters.shift()?.();
  }

  private async newPage(browser: Browser): Promise<Page> {
    const page = await browser.newPage();
    // Print templates need no script; Handlebars escapes data, this is the second fence.
    await page.setJavaScriptEnabled(false);
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const url = req.url();
      if (url.startsWith('data:') || url.startsWith('about:')) {
        req.continue().catch(() => undefined);
      } else {
        this.counters.blockedRequests++;
        req.abort('blockedbyclient').catch(() => undefined);
      }
    });
    page.setDefaultTimeout(this.timeoutMs);
    this.counters.pagesCreated++;
    return page;
  }

  private getBrowser(): Promise<Browser> {
    if (this.browser?.connected) return Promise.resolve(this.browser);
    this.launching ??= this.launch().finally(() => {
      this.launching = undefined;
    });
    return this.launching;
  }

  private async launch(): Promise<Browser> {
    const exe = this.o.chromePath;
    if (!isExecutable(exe)) throw new ChromiumMissingError(exe);
    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baucu-chromium-'));
    const t0 = Date.now();
    let browser: Browser;
    try {
      browser = await puppeteer.launch({
        executablePath: exe,
        userDataDir,
        headless: true,
        // A pipe instead of a WebSocket: Chromium exits by itself when this process dies, even on SIGKILL, so a
        // crashed worker never leaves orphan browsers behind.
        pipe: true,
        args: CHROMIUM_FLAGS,
        // The process's Lifecycle owns shutdown; puppeteer must not install its own signal handlers.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        timeout: this.timeoutMs,
      });
    } catch (e) {
      await fs.promises.rm(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }).catch(() => undefined);
      if ((e as NodeJS.ErrnoException)?.code === 'ENOENT') throw new ChromiumMissingError(exe);
      throw e;
    }
    this.counters.launches++;
    this.userDataDirs.set(browser, userDataDir);
    if (!this.exitHookInstalled) {
      process.once('exit', this.onProcessExit);
      this.exitHookInstalled = true;
    }
    // Pages still open from an earlier browser are dead: forget them.
    this.open -= this.idle.length;
    this.idle.length = 0;
    browser.once('disconnected', () => {
      if (this.browser === browser) {
        this.browser = undefined;
        this.open -= this.idle.length;
        this.idle.length = 0;
        if (!this.closed) this.o.log.warn('Chromium đã ngắt kết nối; sẽ khởi động lại ở lần tạo PDF tiếp theo / Chromium disconnected; relaunching on next render');
      }
      void this.removeProfile(browser);
    });
    if (this.closed) {
      // close() ran while Chromium was starting: it will not see this browser, so shut it here.
      await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
      throw new Error('browser pool is closed');
    }
    this.browser = browser;
    this.o.log.info({ ms: Date.now() - t0, version: await browser.version().catch(() => '?') }, 'Chromium started');
    return browser;
  }

  /** Removes a browser's profile directory once its process has exited (Chromium writes to it until then). */
  private removeProfile(browser: Browser): Promise<void> {
    let p = this.profileRemovals.get(browser);
    if (!p) {
      p = this.doRemoveProfile(browser);
      this.profileRemovals.set(browser, p);
    }
    return p;
  }

  private async doRemoveProfile(browser: Browser): Promise<void> {
    const dir = this.userDataDirs.get(browser);
    if (!dir) return;
    const proc = browser.process();
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          proc.kill('SIGKILL');
          resolve();
        }, 5000);
        proc.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }).catch((e: unknown) => {
      this.o.log.warn({ dir, err: String(e) }, 'could not remove the Chromium profile directory');
    });
    this.userDataDirs.delete(browser);
  }

  /** Profile directories of browsers not yet cleaned up (tests check it is empty after close). */
  get profileDirs(): string[] {
    return [...this.userDataDirs.values()];
  }
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
