// Reports: (a) PDFs per second through the engine's renderer, one document per print (template → HTML → browser pool →
// PDF with the verification footer), against a raw puppeteer page.pdf() of the same HTML and footer on the same number
// of pages, in the same run; (b) batch mode — documents per second through ReportRenderer.pdfMany (chunks of documents
// in one print, split per document, each with its own QR code) against the same raw per-document page.pdf() and against
// a raw page.pdf() of the same combined HTML; (c) a batch of one commune summary per commune of the real tree (3,321;
// BENCH_BATCH_PROVINCE to limit) through the product's own path (HTTP → parent run → chunk runs → zip), total time; and a
// profile of one document through the single-document job path, stage by stage. The machine is shared: every figure
// carries the load average (1 min) at its start and end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import puppeteer from 'puppeteer-core';
import { pino } from 'pino';
import { I18n } from '../core/shared/i18n.js';
import { BrowserPool } from '../core/reports/browser-pool.js';
import { ReportRenderer } from '../core/reports/render.service.js';
import { REPORT_MESSAGES } from '../core/reports/messages.js';
import { FORM_MESSAGES } from '../core/reports/forms/messages.js';
import { FORM_TEMPLATE } from '../core/reports/forms/forms.reports.js';
import { communeSummaryReport, communeSummaryView } from '../core/reports/forms/commune-summary.report.js';
import { verifyMark, allocateVerifyCode } from '../core/reports/verify.js';
import { MAX_CHUNK } from '../core/reports/batch.js';
import { reportContext, type CoreReportContext } from '../core/reports/report-engine.js';
import { startTestApp, waitFor } from '../test/helpers/test-app.js';
import { insertUnits, referenceUnits } from '../test/helpers/admin-units-fixture.js';
import { createTokenUser } from '../test/helpers/token-user.js';
import { sql } from '../core/persistence/db.js';
import { round, type Bench, type BenchEntry } from './lib.js';

const load = () => os.loadavg()[0].toFixed(2);
/** Runs `fn` and returns its result with the 1-minute load average before and after ("4.1→5.3"). */
async function withLoad<T>(fn: () => Promise<T>): Promise<{ r: T; load: string }> {
  const a = load();
  const r = await fn();
  return { r, load: `load ${a}→${load()}` };
}

const DOCS = 60;
const PAGES = 3;
/** Batch mode: documents rendered (several chunks of MAX_CHUNK, two chunks at a time as two worker slots would). */
const BATCH_DOCS = Number(process.env.BENCH_BATCH_DOCS ?? MAX_CHUNK * 10);

interface Rates { engine: number; raw: number; rawTemplate: number; batch: number; rawCombined: number; loads: Record<string, string> }

async function engineRate(): Promise<Rates> {
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
  // The former rendering, for reference: the same body with the footer as a Chromium footer template.
  const bare = renderer.html(FORM_TEMPLATE, view, { ...opts, verify: undefined, pageNumbers: false });
  const footer = renderer.templateFooter('vi', true, mark);
  const run = async (one: () => Promise<unknown>) => {
    await one(); // warm-up (browser launch, first layout) excluded
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: PAGES * 2 }, async () => { while (next++ < DOCS) await one(); }));
    return DOCS / ((performance.now() - t0) / 1000);
  };
  const loads: Record<string, string> = {};
  try {
    const e = await withLoad(() => run(() => renderer.pdf(FORM_TEMPLATE, view, opts)));
    const engine = e.r;
    loads.engine = e.load;
    // Batch mode: every document with its own verification mark (QR code generated inside the timed region).
    const codes = Array.from({ length: BATCH_DOCS }, (_, i) => `BENCH${String(i).padStart(5, '0')}`.replace(/[ILOU]/g, 'X'));
    const many = async (from: number, n: number) => {
      const docs = await Promise.all(codes.slice(from, from + n).map(async (c) => ({ data: view as unknown as Record<string, unknown>, opts: { ...opts, verify: await verifyMark('https://baucu.example.vn', c) } })));
      return renderer.pdfMany(FORM_TEMPLATE, docs);
    };
    await many(0, 4); // warm-up
    const b = await withLoad(async () => {
      const t0 = performance.now();
      let next = 0;
      let made = 0;
      await Promise.all([0, 1].map(async () => {
        for (;;) {
          const from = next;
          next += MAX_CHUNK;
          if (from >= BATCH_DOCS) return;
          made += (await many(from, Math.min(MAX_CHUNK, BATCH_DOCS - from))).length;
        }
      }));
      return made / ((performance.now() - t0) / 1000);
    });
    loads.batch = b.load;
    // Chromium's floor for batch mode: page.pdf() of the same combined HTML pdfMany prints (every chunk, each document
    // with its own QR code — printing one HTML over and over would let Chromium reuse decoded images), no splitting.
    const r = renderer as unknown as { combinedHtml(l: string, b: string[], f: unknown[], c: number[]): string; body(d: string, v: unknown, l: string): string; marginFooter(o: unknown): unknown };
    const combinedHtmls: string[] = [];
    for (let from = 0; from < BATCH_DOCS; from += MAX_CHUNK) {
      const docs = await Promise.all(codes.slice(from, from + MAX_CHUNK).map(async (c) => ({ data: view as unknown as Record<string, unknown>, opts: { ...opts, verify: await verifyMark('https://baucu.example.vn', c) } })));
      combinedHtmls.push(r.combinedHtml('vi', docs.map((x) => r.body(FORM_TEMPLATE, x.data, 'vi')), docs.map((x) => r.marginFooter(x.opts)), docs.map(() => 1)));
    }
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
      const rw = await withLoad(() => run(async () => {
        const p = await take();
        try {
          await p.setContent(html, { waitUntil: 'load' });
          await p.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
        } finally { give(p); }
      }));
      loads.raw = rw.load;
      const rt = await withLoad(() => run(async () => {
        const p = await take();
        try {
          await p.setContent(bare, { waitUntil: 'load' });
          await p.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true, displayHeaderFooter: true, headerTemplate: '<span></span>', footerTemplate: footer });
        } finally { give(p); }
      }));
      loads.rawTemplate = rt.load;
      const rc = await withLoad(async () => {
        const t0 = performance.now();
        let next = 0;
        await Promise.all([0, 1].map(async () => {
          while (next < combinedHtmls.length) {
            const html = combinedHtmls[next++];
            const p = await take();
            try {
              await p.setContent(html, { waitUntil: 'load' });
              await p.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
            } finally { give(p); }
          }
        }));
        return BATCH_DOCS / ((performance.now() - t0) / 1000);
      });
      loads.rawCombined = rc.load;
      return { engine, raw: rw.r, rawTemplate: rt.r, batch: b.r, rawCombined: rc.r, loads };
    } finally {
      await browser.close();
      fs.rmSync(profile, { recursive: true, force: true });
    }
  } finally {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One document through the single-document path, stage by stage (median of `n` communes): data build (SQL), verification
 * code (SQL), QR code, HTML templating, setContent, page.pdf, SHA-256, storing (file + artefact row + audit, one
 * transaction); and the same document end to end as a job (enqueue → BullMQ → worker → stored), whose remainder is the
 * job overhead (job_run updates, progress writes, queue round trips).
 */
async function profileOne(n = 15): Promise<Record<string, number>> {
  const app = await startTestApp('bench_reports_profile', { LOG_LEVEL: 'silent' });
  try {
    await insertUnits(app.orm.em.fork(), referenceUnits(['12']));
    const em = app.orm.em.fork();
    const communes = (await sql<{ code: string }>(em, `select code from admin_unit where level = 'commune' order by code limit ?`, [n])).map((r) => r.code);
    const log = pino({ level: 'silent' });
    const i18n = new I18n();
    i18n.add('reports', REPORT_MESSAGES);
    i18n.add('forms', FORM_MESSAGES);
    const pool = new BrowserPool({ chromePath: app.config.chromePath, size: 1, log });
    const renderer = new ReportRenderer({ pool, i18n, log, clock: { now: () => new Date() } as never, dataDir: app.config.dataDir });
    const def = communeSummaryReport();
    const rctx = reportContext({ i18n, clock: { now: () => new Date() } as never }, em, 'core', undefined) as CoreReportContext;
    const stages: Record<string, number[]> = {};
    const time = async <T>(k: string, fn: () => Promise<T> | T): Promise<T> => {
      const t = performance.now();
      const r = await fn();
      (stages[k] ??= []).push(performance.now() - t);
      return r;
    };
    await renderer.pdf(FORM_TEMPLATE, communeSummaryView(rctx.t, { commune: { code: '1', name: 'x', type: 'xã', validFrom: '2025-07-01' }, province: { code: '12', name: 'y' } }, '2026-03-16', 'x'), { title: 'warm' });
    for (const code of communes) {
      const id = crypto.randomUUID();
      const built = await time('1 data build (SQL)', () => def.build({ communeCode: code }, rctx));
      if (!built.ok) throw new Error('build failed');
      const vcode = await time('2 verification code (SQL)', () => allocateVerifyCode(em, id));
      const mark = await time('3 QR code', () => verifyMark(app.config.publicBaseUrl, vcode));
      const view = communeSummaryView(rctx.t, built.value, '2026-03-16', id);
      const html = await time('4 HTML templating', () => renderer.html(FORM_TEMPLATE, view, { title: 'x', verify: mark }));
      const bytes = await pool.withPage(async (page) => {
        await time('5 setContent', () => page.setContent(html, { waitUntil: 'load' }));
        return time('6 page.pdf (footer in margin boxes)', () => page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true }));
      });
      // The former rendering of the same document, for comparison: footer as a Chromium footer template.
      const bare = renderer.html(FORM_TEMPLATE, view, { title: 'x', pageNumbers: false });
      await pool.withPage(async (page) => {
        await page.setContent(bare, { waitUntil: 'load' });
        await time('x former: page.pdf with a footer template', () => page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true, displayHeaderFooter: true, headerTemplate: '<span></span>', footerTemplate: renderer.templateFooter('vi', true, mark) }));
      });
      await time('7 SHA-256', () => createHash('sha256').update(bytes).digest('hex'));
      await time('8 store (file + row + audit)', () => renderer.store(em, { id, kind: 'bench.profile', title: 'x', params: { code }, bytes, mime: 'application/pdf', ext: 'pdf', createdBy: 'system' }));
    }
    // End to end as a job (single-document request path), one at a time.
    for (const code of communes.slice(0, 8)) {
      const t = performance.now();
      const runId = await app.jobs.enqueue('core.reports.generate', { reportId: 'core.reports.commune-summary', params: { communeCode: code }, format: 'pdf' });
      await waitFor(async () => ((await app.jobs.get(runId))?.status === 'succeeded' ? true : undefined), 60_000, 5);
      (stages['9 end to end as a job'] ??= []).push(performance.now() - t);
    }
    await pool.close();
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    return Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, round(med(v))]));
  } finally {
    await app.close();
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
    const print = (e: BenchEntry) => {
      out.push(e);
      console.log(JSON.stringify(e)); // at once: the batch below takes minutes
    };
    if (process.env.BENCH_REPORTS_PROFILE !== '0') {
      const p = await withLoad(() => profileOne());
      print({ name: 'one commune summary, single-document path: median ms per stage', value: round(Object.entries(p.r).filter(([k]) => /^[1-8] /.test(k)).reduce((a, [, v]) => a + v, 0)), unit: 'ms (sum of stages)',
        notes: `${Object.entries(p.r).map(([k, v]) => `${k}: ${v} ms`).join('; ')}; ${p.load}` });
    }
    const r = await engineRate();
    print({ name: `(a) PDFs per second through the engine, one document per print (commune summary, 1 page, ${PAGES} pages, ${DOCS} documents)`, value: round(r.engine), unit: 'PDF/s',
      raw: { name: 'raw puppeteer page.pdf() of the same HTML (footer in it), same pages and concurrency', value: round(r.raw), unit: 'PDF/s' }, ratio: round(r.engine / r.raw),
      notes: `engine ${r.loads.engine}; raw ${r.loads.raw}; the former rendering (same body, footer as a Chromium footer template), raw page.pdf(): ${round(r.rawTemplate)} PDF/s (${r.loads.rawTemplate})` });
    print({ name: `(b) batch mode: documents per second through ReportRenderer.pdfMany (${BATCH_DOCS} documents, chunks of ${MAX_CHUNK}, 2 at a time, own QR code each, split per document)`, value: round(r.batch), unit: 'PDF/s',
      raw: { name: 'raw puppeteer page.pdf() per document (same HTML, as in (a))', value: round(r.raw), unit: 'PDF/s' }, ratio: round(r.batch / r.raw),
      notes: `batch ${r.loads.batch}; raw page.pdf() of the same combined HTML (no split): ${round(r.rawCombined)} documents/s (${r.loads.rawCombined}), batch mode = ${round(r.batch / r.rawCombined)} × that` });
    const b = await withLoad(() => batchTime(process.env.BENCH_BATCH_PROVINCE));
    print({ name: `(c) batch of ${b.r.docs} commune summaries (HTTP → parent → chunk runs → zip), total`, value: round(b.r.ms / 1000), unit: 's',
      notes: `${round(b.r.docs / (b.r.ms / 1000))} documents/s end to end, worker concurrency ${process.env.WORKER_CONCURRENCY ?? 4}; ${b.load}` });
    return out;
  },
};
