// Batch mode of the renderer (issue 8 point 4, throughput): many documents printed in ONE Chromium call and split
// back into one PDF per document. Checked here without an app: documents of different lengths (1 page and 3 pages)
// are split exactly, each keeps its own title, QR code, short code and page numbers "Trang i/n", and each looks
// like the same document rendered alone (the footer template path) within the PDF snapshot tolerance.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { standaloneRenderer, type StandaloneRenderer } from '../helpers/renderer.js';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { PNG } from 'pngjs';
import jsQRModule from 'jsqr';
import { I18n } from '../../core/shared/i18n.js';
import { BrowserPool } from '../../core/reports/browser-pool.js';
import { ReportRenderer, type DocumentOptions } from '../../core/reports/render.service.js';
import { verifyMark } from '../../core/reports/verify.js';
import { FORM_TEMPLATE } from '../../core/reports/forms/forms.reports.js';
import { communeSummaryView, type CommuneSummaryData } from '../../core/reports/forms/commune-summary.report.js';
import { PDFDocument } from 'pdf-lib';
import { locateDocuments, splitFast } from '../../core/reports/pdf-split.js';

type JsQR = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR: JsQR = (jsQRModule as unknown as { default?: JsQR }).default ?? (jsQRModule as unknown as JsQR);
const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const SCREENS = path.join(REPO_ROOT, 'tmp/screens');
/** The PDF snapshot test's tolerance (reports.forms.test.ts): share of pixels, per-channel difference. */
const TOLERANCE = 0.004;
const CHANNEL = 48;
const BASE = 'https://baucu.example.vn';

let pool: BrowserPool;
let renderer: ReportRenderer;
let i18n: I18n;
let work: string;

let standalone: StandaloneRenderer | undefined;
beforeAll(() => {
  standalone = standaloneRenderer('render-batch-');
  ({ pool, renderer, i18n, work } = standalone);
  fs.mkdirSync(SCREENS, { recursive: true });
});
afterAll(async () => {
  await standalone?.close();
});

/** A commune summary; `units` rows of electoral units make it longer (60 rows ≈ 3 pages). */
async function doc(i: number, name: string, units: number): Promise<{ data: Record<string, unknown>; opts: DocumentOptions; code: string }> {
  const t = (k: string, p?: Record<string, unknown>) => i18n.t('vi', k, p);
  const d: CommuneSummaryData = {
    commune: { code: String(26734 + i), name, type: 'phường', validFrom: '2025-07-01' },
    province: { code: '79', name: 'Thành phố Hồ Chí Minh' },
    election: units ? { name: 'Bầu cử đại biểu Quốc hội khóa XVI', areas: 12, voters: 45_678, units: Array.from({ length: units }, (_, j) => ({ contest: 'national-assembly', number: j + 1, name: `Đơn vị ${j + 1} — ${name}` })) } : undefined,
  };
  const view = communeSummaryView(t, d, '2026-03-16', `11111111-2222-4333-8444-${String(i).padStart(12, '0')}`);
  const code = `ABCDEFGH${'JKMNPQRSTV'[i]}${'WXYZ0123456'[i]}`;
  return { data: view as unknown as Record<string, unknown>, opts: { title: `${view.title} ${i}`, lang: 'vi', verify: await verifyMark(BASE, code) }, code };
}

const pdfFile = (name: string, bytes: Uint8Array) => {
  const f = path.join(work, `${name}.pdf`);
  fs.writeFileSync(f, bytes);
  return f;
};
const pages = (f: string) => Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [f], { encoding: 'utf8' }))![1]);
const title = (f: string) => /Title:\s+(.*)/.exec(execFileSync('pdfinfo', [f], { encoding: 'utf8' }))![1].trim();
const pageText = (f: string, p: number) => execFileSync('pdftotext', ['-enc', 'UTF-8', '-f', String(p), '-l', String(p), f, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
function png(f: string, p: number, dpi: number, out = path.join(work, `${path.basename(f, '.pdf')}-${p}-${dpi}`)): PNG {
  execFileSync('pdftoppm', ['-r', String(dpi), '-png', '-f', String(p), '-l', String(p), '-singlefile', f, out]);
  return PNG.sync.read(fs.readFileSync(`${out}.png`));
}
function diffRatio(a: PNG, b: PNG): number {
  if (a.width !== b.width || a.height !== b.height) return 1;
  let bad = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    if (Math.abs(a.data[i] - b.data[i]) > CHANNEL || Math.abs(a.data[i + 1] - b.data[i + 1]) > CHANNEL || Math.abs(a.data[i + 2] - b.data[i + 2]) > CHANNEL) bad++;
  }
  return bad / (a.width * a.height);
}

describe('batch mode: many documents in one print, split per document', () => {
  it('documents of 1, 3, 1 and 1 pages are split exactly; each has its own title, code, QR code and "Trang i/n"', async () => {
    const docs = [await doc(0, 'Phường Bến Thành', 0), await doc(1, 'Phường Ưởng Ỗ Ặ Ẫ Ợ Ữ Ỹ', 60), await doc(2, 'Xã Đặng Ắ Ằ Ẳ', 0), await doc(3, 'Phường Sài Gòn', 3)];
    const out = await renderer.pdfMany(FORM_TEMPLATE, docs);
    expect(out).toHaveLength(4);
    const files = out.map((b, i) => pdfFile(`batch-${i}`, b));
    expect(files.map(pages)).toEqual([1, 3, 1, 1]);
    // Each file is a well-formed PDF of its own: poppler reads it without a complaint, pdf-lib parses it.
    for (const f of files) {
      expect(execFileSync('pdfinfo', [f], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toMatch(/Pages:/);
      const err = execFileSync('sh', ['-c', `pdftotext "${f}" - 2>&1 >/dev/null`], { encoding: 'utf8' });
      expect(err).toBe('');
      expect((await PDFDocument.load(fs.readFileSync(f))).getPageCount()).toBe(pages(f));
    }
    // The fast splitter (object bytes copied as they are) and pdf-lib's page copy agree on every boundary.
    const html = (renderer as unknown as { combinedHtml(l: string, b: string[], f: unknown[], c: number[]): string }).combinedHtml('vi', ['<p>a</p>', '<p>b</p><p style="break-before: page">b2</p>', '<p>c</p>'], [{}, {}, {}], [1, 2, 1]);
    const combined = await pool.renderPdf(html);
    expect(splitFast(combined, [{ title: 'a' }, { title: 'b' }, { title: 'c' }]).pageCounts).toEqual([1, 2, 1]);
    expect((await locateDocuments(combined, 3)).pageCounts).toEqual([1, 2, 1]);
    for (let i = 0; i < docs.length; i++) {
      expect(title(files[i])).toBe(docs[i].opts.title);
      const n = pages(files[i]);
      for (let p = 1; p <= n; p++) {
        const text = pageText(files[i], p);
        expect(text).toContain(`Trang ${p}/${n}`);
        expect(text).toContain(`Mã xác thực: ${docs[i].opts.verify!.code}`);
        // No other document's code leaks onto this page.
        for (let j = 0; j < docs.length; j++) if (j !== i) expect(text).not.toContain(docs[j].opts.verify!.code);
      }
      // Every page's QR code leads to this document's check page.
      for (let p = 1; p <= n; p++) {
        const img = png(files[i], p, 200);
        expect(jsQR(new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.byteLength), img.width, img.height)?.data).toBe(`${BASE}/v/${docs[i].code}`);
      }
      expect(pageText(files[i], 1)).toContain(String(26734 + i));
    }
    // The 3-page document's rows: all 60 units, the first on page 1, the last on page 3.
    expect(pageText(files[1], 1)).toContain('Số 1 —');
    expect(pageText(files[1], 3)).toContain('Số 60 —');
  }, 120_000);

  it('margin-box footers (single and batch) look like the former Chromium footer template, every page within the snapshot tolerance', async () => {
    const docs = [await doc(4, 'Phường Bến Thành', 0), await doc(5, 'Phường Ưởng Ỗ Ặ Ẫ Ợ Ữ Ỹ', 60)];
    const many = await renderer.pdfMany(FORM_TEMPLATE, docs);
    for (let i = 0; i < docs.length; i++) {
      // The reference: the same body printed with the footer as a Chromium footer template (how documents were printed).
      const bare = renderer.html(FORM_TEMPLATE, docs[i].data, { ...docs[i].opts, verify: undefined, pageNumbers: false });
      expect(bare).not.toContain('@bottom-');
      const reference = pdfFile(`reference-${i}`, await pool.renderPdf(bare, { footerTemplate: renderer.templateFooter('vi', true, docs[i].opts.verify) }));
      const single = pdfFile(`single-${i}`, await renderer.pdf(FORM_TEMPLATE, docs[i].data, docs[i].opts));
      const split = pdfFile(`split-${i}`, many[i]);
      expect(pages(single)).toBe(pages(reference));
      expect(pages(split)).toBe(pages(reference));
      for (let p = 1; p <= pages(reference); p++) {
        const ref = png(reference, p, 60);
        expect(diffRatio(ref, png(single, p, 60)), `single document ${i} page ${p}`).toBeLessThanOrEqual(TOLERANCE / 4);
        expect(diffRatio(ref, png(split, p, 60)), `batch document ${i} page ${p}`).toBeLessThanOrEqual(TOLERANCE / 4);
        expect(pageText(single, p)).toContain(`Trang ${p}/${pages(reference)}`);
      }
      // Same fonts as before (the official serif only).
      for (const f of execFileSync('pdffonts', [split], { encoding: 'utf8' }).split('\n').slice(2).filter(Boolean)) expect(f).toMatch(/LiberationSerif/);
    }
    png(pdfFile('split-screen', many[1]), 1, 110, path.join(SCREENS, 'batch-split-doc-p1'));
  }, 120_000);

  it('the boundaries come from the PDF (named destinations), and a missing one is an error, not a guess', async () => {
    const docs = [await doc(6, 'Phường A', 0), await doc(7, 'Phường B', 0)];
    const html = (renderer as unknown as { combinedHtml(l: string, b: string[], f: unknown[], c: number[]): string }).combinedHtml('vi', ['<p>a</p>', '<p>b</p>'], [{}, {}], [1, 1]);
    const bytes = await pool.renderPdf(html);
    const s = await locateDocuments(bytes, 2);
    expect(s.starts).toEqual([0, 1]);
    await expect(locateDocuments(bytes, 3)).rejects.toThrow(/no destination for document 2/);
    expect(() => splitFast(bytes, [{ title: 'a' }, { title: 'b' }, { title: 'c' }])).toThrow(/no destination for document 2/);
    expect((await renderer.pdfMany(FORM_TEMPLATE, docs)).length).toBe(2);
  }, 60_000);
});
