// Reports: PDFs per second through the engine's renderer (template → HTML → browser pool → PDF with the verification
// footer) against a raw puppeteer page.pdf() of the same HTML and footer on the same number of pages, in the same
// run; and a batch of one commune summary per commune of the real tree (3,321; BENCH_BATCH_PROVINCE to limit) through the
// product's own path (HTTP → parent run → one job per document → zip), total time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { pino } from 'pino';
import { I18n } from '../core/shared/i18n.js';
import { BrowserPool } from '../core/reports/browser-pool.js';
import { ReportRenderer } from '../core/reports/render.service.js';
import { REPORT_MESSAGES } from '../core/reports/messages.js';
import { FORM_MESSAGES } from '../core/reports/forms/messages.js';
import { FORM_TEMPLATE } from '../core/reports/forms/forms.reports.js';
import { communeSummaryView } from '../core/reports/forms/commune-summary.report.js';
import { verifyMark } from '../core/reports/verify.js';
import { startTestApp, waitFor } from '../test/helpers/test-app.js';
import { insertUnits, referenceUnits } from '../test/helpers/admin-units-fixture.js';
import { createTokenUser } from '../test/helpers/token-user.js';
import { round, type Bench, type BenchEntry } from './lib.js';

const DOCS = 60;
const PAGES = 3;

async function engineRate(): Promise<{ engine: number; raw: number }> {
  const log = pino({ level: 'silent' });
  const i18n = new I18n();
  i18n.add('reports', REPORT_MESSAGES);
  i18n.add('forms', FORM_MESSAGES);
  const pool = new BrowserPool({ chromePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', size: PAGES, log });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-reports-'));
  const renderer = new ReportRenderer({ pool, i18n, log, clock: { now: () => new Date() } as never, dataDir: dir });
  const t = (k: string, p?: Record<string, unknown>) => i18n.t('vi', k, p);
  const view = communeSummaryView(t, { commune: { code: '26734', name: 'Phường Bến Thành', type: 'phường', validFrom: '2025-07-01' }, province: { code: '79', name: 'Thành phố Hồ Chí Minh' } }, '2026-03-16', '11111111-2222-4333-8444-555555555555');
  const mark = await verifyMark('https://baucu.example.vn', 'ABCDEFGHJK');
  const opts = { title: view.title, lang: 'vi' as const, verify: mark };
  // The exact HTML and footer the engine renders, for the raw side.
  const html = renderer.html(FORM_TEMPLATE, view, opts);
  const footer = (renderer as unknown as { footer(l: string, p: boolean, v: unknown): string }).footer('vi', true, mark);
  const run = async (one: () => Promise<unknown>) => {
    await one(); // warm-up (browser launch, first layout) excluded
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: PAGES * 2 }, async () => { while (next++ < DOCS) await one(); }));
    return DOCS / ((performance.now() - t0) / 1000);
  };
  try {
    const engine = await run(() => renderer.pdf(FORM_TEMPLATE, view, opts));
    await pool.close();
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-raw-'));
    const browser = await puppeteer.launch({ executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', userDataDir: profile, pipe: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--font-render-hinting=none', '--disable-dev-shm-usage'] });
    try {
      const pages = await Promise.all(Array.from({ length: PAGES }, () => browser.newPage()));
      const free = [...pages];
      const waiters: ((p: (typeof pages)[number]) => void)[] = [];
      const take = () => (free.length ? Promise.resolve(free.pop()!) : new Promise<(typeof pages)[number]>((r) => waiters.push(r)));
      const give = (p: (typeof pages)[number]) => (waiters.length ? waiters.shift()!(p) : free.push(p));
      const raw = await run(async () => {
        const p = await take();
        try {
          await p.setContent(html, { waitUntil: 'load' });
          await p.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true, displayHeaderFooter: true, headerTemplate: '<span></span>', footerTemplate: footer });
        } finally { give(p); }
      });
      return { engine, raw };
    } finally {
      await browser.close();
      fs.rmSync(profile, { recursive: true, force: true });
    }
  } finally {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function batchTime(province?: string): Promise<{ ms: number; docs: number }> {
  const app = await startTestApp('bench_reports', { LOG_LEVEL: 'silent' });
  try {
    const codes = fs.readFileSync(path.join(process.env.REFERENCE_DATA_DIR ?? path.resolve('../shared/data'), 'provinces_2025.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]);
    await insertUnits(app.orm.em.fork(), referenceUnits(codes));
    const nec = await createTokenUser(app.orm.em.fork(), 'nec', 'nec-official', 'nation', 'VN');
    const t0 = performance.now();
    const res = await fetch(app.url + '/reports/batches', { method: 'POST', headers: nec.headers, body: new URLSearchParams({ reportId: 'core.reports.commune-summary', over: 'commune', ...(province ? { provinceCode: province } : {}) }), redirect: 'manual' });
    if (res.status !== 303) throw new Error(`batch refused: ${res.status} ${await res.text()}`);
    const loc = res.headers.get('location')!;
    const id = loc.split('/').pop()!;
    const b = await waitFor(async () => {
      const j = (await (await fetch(app.url + loc, { headers: { accept: 'application/json', ...nec.headers } })).json()) as { status: string; done: number; total: number };
      return j.status === 'succeeded' || j.status === 'partial' || j.status === 'failed' ? j : undefined;
    }, 3 * 3600_000, 500);
    return { ms: performance.now() - t0, docs: b.done };
  } finally {
    await app.close();
  }
}

export const reportsBench: Bench = {
  name: 'reports',
  async run() {
    const out: BenchEntry[] = [];
    const r = await engineRate();
    out.push({ name: `PDFs per second through the engine (commune summary, 1 page, ${PAGES} pages, ${DOCS} documents)`, value: round(r.engine), unit: 'PDF/s',
      raw: { name: 'raw puppeteer page.pdf() of the same HTML and footer, same pages and concurrency', value: round(r.raw), unit: 'PDF/s' }, ratio: round(r.engine / r.raw) });
    // Printed at once: the batch below takes minutes. BENCH_BATCH_PROVINCE limits the batch to one province.
    console.log(JSON.stringify(out[0]));
    const b = await batchTime(process.env.BENCH_BATCH_PROVINCE);
    out.push({ name: `batch of ${b.docs} commune summaries (HTTP → parent → one job per PDF → zip), total`, value: round(b.ms / 1000), unit: 's',
      notes: `${round(b.docs / (b.ms / 1000))} documents/s end to end, worker concurrency ${process.env.WORKER_CONCURRENCY ?? 4}` });
    return out;
  },
};
