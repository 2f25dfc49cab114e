// The report-rendering service: print template + data → HTML (a dedicated Handlebars environment) → A4 PDF (the
// browser pool) → an artefact on disk under DATA_DIR with its row and audit event written in one transaction.
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import Handlebars from 'handlebars';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { I18n, Lang } from '../shared/i18n.js';
import { formatNumber } from '../shared/i18n.js';
import type { Logger } from '../shared/logger.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import { sql, exec } from '../persistence/db.js';
import { recordAudit } from '../audit/audit.service.js';
import type { BrowserPool } from './browser-pool.js';
import { PRINT_DIR, PRINT_TEMPLATES } from './print-templates.js';
import { docAnchor, locateDocuments, splitDocuments, splitFast, UnsupportedPdfError } from './pdf-split.js';

export interface PrintTemplateSet {
  dir: string;
  stylesheet: string;
  partials: readonly string[];
  documents: readonly string[];
}

export interface ReportRendererOptions {
  pool: BrowserPool;
  i18n: I18n;
  log: Logger;
  clock: Clock;
  /** Artefacts go to `<dataDir>/artefacts/<id>.<ext>`. */
  dataDir: string;
  templates?: PrintTemplateSet;
}

export interface DocumentOptions {
  /** The <title> of the document (also the PDF's title metadata). */
  title: string;
  /** Official documents are Vietnamese; English exists for previews and tests. */
  lang?: Lang;
  /** Page-number footer ("Trang 1/3") on every page; on by default. */
  pageNumbers?: boolean;
  /** Verifiable print: a QR code and the link to the public check page in the footer of every page. */
  verify?: VerifyMark;
}

/** What the footer prints so a paper copy can be checked (core/reports/verify.ts builds it). */
export interface VerifyMark {
  /** Absolute URL of the check page, `<PUBLIC_BASE_URL>/v/<code>`. */
  url: string;
  /** The code as printed ("ABCDE-FGHIJ"). */
  code: string;
  /** The QR code of `url` as an SVG element (generated, trusted markup). */
  qrSvg: string;
}

export interface NewArtefact {
  /** Give a stable id (e.g. derived from the job run) so a retried job does not store a second copy. */
  id?: string;
  kind: string;
  title: string;
  /** The business parameters (ids, dates) that reproduce the document. Never personal data. */
  params: Record<string, unknown>;
  bytes: Uint8Array;
  mime: string;
  ext: string;
  createdBy: string;
  jobRunId?: string | null;
  requestId?: string | null;
  format?: 'pdf' | 'xlsx' | 'csv';
  /** The verification code printed on a PDF. */
  verifyCode?: string | null;
  /** Ancestors of the document's target (`province:79`, `nation:VN`): who may list it. */
  scopePath?: string[] | null;
  electionId?: string | null;
}

export interface StoredArtefact {
  id: string;
  path: string;
  sha256: string;
  size: number;
  /** False when an artefact with this id already existed (a retried job): nothing was written. */
  created: boolean;
}

export interface ArtefactRow {
  id: string;
  kind: string;
  title: string;
  params: Record<string, unknown>;
  path: string;
  sha256: string;
  size: number;
  mime: string;
  created_by: string;
  created_at: Date;
  job_run_id: string | null;
  format?: string | null;
  verify_code?: string | null;
  scope_path?: string[] | null;
  election_id?: string | null;
}

export const PDF_MIME = 'application/pdf';

/** A document's footer in page-margin boxes: the verification image (data: URL) and the page label. */
interface MarginFooter {
  image?: string;
  page?: string;
}

// Geometry of the footer's margin boxes, in points, matching the Chromium footer template of ReportRenderer.templateFooter()
// (14 mm QR code at the left margin, text 2.5 mm to its right, 8 pt lines of 1.25, page number 10 pt on the right).
const QR_PT = (14 * 72) / 25.4;
const TEXT_X = ((14 + 2.5) * 72) / 25.4 + 0.28;
const LINE1_Y = 26.94;
const LINE2_Y = 36.69;
/** Wide enough for a long check URL at 8 pt; the page number box keeps the right end. */
const FOOTER_IMAGE_WIDTH = 330;
/** Below the top of the 25 mm bottom margin (margin boxes put an image at the top of the box, not at the bottom). */
const FOOTER_IMAGE_TOP = '1.5pt';
const FOOTER_PAGE_BOTTOM = '28.9pt';
const FOOTER_PLAIN_BOTTOM = '14.7pt';

/** A CSS string literal (content: …) of trusted text: quotes, backslashes and line breaks escaped. */
function cssString(s: string): string {
  return '"' + s.replace(/[\\"]/g, (c) => '\\' + c).replace(/[\n\r\f]/g, ' ') + '"';
}
const FONT_STACK = `"Liberation Serif", "Times New Roman", "Noto Serif", serif`;

export class ReportRenderer {
  private readonly hb = Handlebars.create();
  private readonly documents = new Map<string, Handlebars.TemplateDelegate>();
  /** The print stylesheet: a trusted constant read at boot, inlined by code (never a template variable). */
  private readonly css: string;
  readonly artefactsDir: string;

  constructor(private readonly o: ReportRendererOptions) {
    const set = o.templates ?? { dir: PRINT_DIR, ...PRINT_TEMPLATES };
    this.css = fs.readFileSync(path.join(set.dir, set.stylesheet), 'utf8');
    if (/<\/style/i.test(this.css)) throw new Error(`print stylesheet ${set.stylesheet} must not contain "</style"`);
    this.registerHelpers();
    for (const name of set.partials) {
      if (this.hb.partials[name]) throw new Error(`print: duplicate partial "${name}"`);
      this.hb.registerPartial(name, fs.readFileSync(path.join(set.dir, 'partials', `${name}.hbs`), 'utf8'));
    }
    for (const name of set.documents) {
      if (this.documents.has(name)) throw new Error(`print: duplicate document "${name}"`);
      this.documents.set(name, this.hb.compile(fs.readFileSync(path.join(set.dir, `${name}.hbs`), 'utf8')));
    }
    this.artefactsDir = path.join(o.dataDir, 'artefacts');
  }

  has(document: string): boolean {
    return this.documents.has(document);
  }

  /** Adds a print document from a file (a plugin's report template, `<pluginId>/<name>`); a duplicate name fails. */
  registerDocument(name: string, file: string): void {
    if (this.documents.has(name)) throw new Error(`print: duplicate document "${name}"`);
    this.documents.set(name, this.hb.compile(fs.readFileSync(file, 'utf8')));
  }

  /**
   * A complete, self-contained HTML document (no external resources: the pool blocks the network), footer included:
   * page numbers and the verification mark are CSS page-margin boxes, so printing this HTML as it is gives the PDF.
   */
  html(document: string, data: Record<string, unknown>, o: DocumentOptions): string {
    const lang = o.lang ?? 'vi';
    const body = this.body(document, data, lang);
    const footer = this.footerRules('@page', this.marginFooter(o), 'counter(page)', 'counter(pages)');
    return (
      `<!doctype html>\n<html lang="${lang}">\n<head>\n<meta charset="utf-8">\n` +
      `<title>${Handlebars.Utils.escapeExpression(o.title)}</title>\n` +
      `<style>\n${this.css}\n</style>\n${footer ? `<style>\n${footer}\n</style>\n` : ''}</head>\n<body>\n${body}\n</body>\n</html>\n`
    );
  }

  /** The body of a print document: the template applied to its data. */
  private body(document: string, data: Record<string, unknown>, lang: Lang): string {
    const tpl = this.documents.get(document);
    if (!tpl) throw new Error(`print: unknown document "${document}"`);
    return tpl({ ...data, lang });
  }

  /**
   * Renders a print template to A4 PDF bytes. The footer is part of the HTML (page-margin boxes), not a Chromium
   * footer template: one footer mechanism for single documents and batch prints ({@link pdfMany}, where a footer
   * template — the same for every page of a print — cannot carry each document's own code), so a document looks the
   * same whichever way it was made. The margin boxes draw the footer of {@link templateFooter} at the same places
   * (checked within the PDF snapshot tolerance, test/integration/reports.render-batch.test.ts); a single print costs
   * about the same either way (bench/reports.bench.ts).
   */
  async pdf(document: string, data: Record<string, unknown>, o: DocumentOptions): Promise<Uint8Array> {
    return this.o.pool.renderPdf(this.html(document, data, o));
  }

  /** CSS margin boxes of a footer for the page rule `selector`; `page` and `pages` are CSS content (counters or strings). */
  private footerRules(selector: string, f: MarginFooter, page: string, pages: string): string {
    if (!f.image && !f.page) return '';
    let rules = `${selector} {`;
    if (f.image) rules += ` @bottom-left { content: url("${f.image}"); vertical-align: top; padding-top: ${FOOTER_IMAGE_TOP}; }`;
    if (f.page) {
      rules += ` @${f.image ? 'bottom-right' : 'bottom-center'} { content: ${cssString(f.page + ' ')} ${page} "/" ${pages}; font-family: ${FONT_STACK};` +
        ` font-size: 10pt; color: #000; white-space: nowrap; vertical-align: bottom; text-align: ${f.image ? 'right' : 'center'}; padding-bottom: ${f.image ? FOOTER_PAGE_BOTTOM : FOOTER_PLAIN_BOTTOM}; }`;
    }
    return rules + ' }\n';
  }

  /**
   * Batch mode: renders many documents of one print template in ONE Chromium print and splits the result into one
   * PDF per document, each byte-for-byte its own file (own title, own verification mark, own page numbers "Trang i/n").
   * A print costs mostly per call, not per page: in the same run (bench/reports.bench.ts, loaded machine) batch mode
   * made 17 documents/s where one document per print made 5–7.
   *
   * Every document starts on a new page of its own CSS named page; that page's margin boxes carry the document's
   * footer (the QR code and check link as an image, the page number through a counter style that restarts at the
   * document's first page). Where each document starts is read back from the PDF's named destinations
   * (pdf-split.ts), never assumed. The page numbers need each document's page count before printing: the first pass
   * assumes the counts given (one page by default); if any differs, the chunk is printed again with the measured
   * counts (layout does not depend on the margin boxes, so the second pass is exact — checked again).
   */
  async pdfMany(document: string, docs: readonly { data: Record<string, unknown>; opts: DocumentOptions; pages?: number }[]): Promise<Uint8Array[]> {
    if (!docs.length) return [];
    const lang = docs[0].opts.lang ?? 'vi';
    const bodies = docs.map((d) => this.body(document, d.data, d.opts.lang ?? 'vi'));
    const footers = docs.map((d) => this.marginFooter(d.opts));
    let counts = docs.map((d) => Math.max(1, d.pages ?? 1));
    for (let pass = 0; pass < 2; pass++) {
      const html = this.combinedHtml(lang, bodies, footers, counts);
      // Untagged: the structure tree of a combined print cannot be split per document (and costs a lot to build).
      const bytes = await this.o.pool.renderPdf(html, { tagged: false });
      const meta = docs.map((d) => ({ title: d.opts.title }));
      let fast: ReturnType<typeof splitFast> | undefined;
      try {
        fast = splitFast(bytes, meta);
      } catch (e) {
        if (!(e instanceof UnsupportedPdfError)) throw e;
        this.o.log.warn({ err: e.message }, 'print: combined PDF not in the expected form; splitting with pdf-lib');
      }
      if (fast) {
        if (fast.pageCounts.every((n, i) => n === counts[i])) return fast.pdfs;
        counts = fast.pageCounts;
        continue;
      }
      const split = await locateDocuments(bytes, docs.length);
      if (split.pageCounts.every((n, i) => n === counts[i])) return splitDocuments(split, meta);
      counts = split.pageCounts;
    }
    throw new Error('print: page counts of a combined print changed between two passes');
  }

  /** The combined document of a batch print: the stylesheet once, then each document in its own named page. */
  private combinedHtml(lang: Lang, bodies: string[], footers: MarginFooter[], counts: number[]): string {
    let start = 1;
    let rules = '';
    let html = '';
    for (let i = 0; i < bodies.length; i++) {
      const f = footers[i];
      const n = counts[i];
      // counter(page) counts pages of the whole print; a fixed counter style maps this document's pages to 1..n.
      rules += `@counter-style bp${i} { system: fixed ${start}; symbols:${Array.from({ length: n }, (_, j) => ` "${j + 1}"`).join('')}; }\n`;
      rules += `#${docAnchor(i)} { page: bd${i}; }\n` + this.footerRules(`@page bd${i}`, f, `counter(page, bp${i})`, `"${n}"`);
      // The self-link makes Chromium write a named destination at the document's first page (pdf-split.ts); an empty,
      // absolutely positioned anchor takes no space and produces no link annotation.
      html += `<section id="${docAnchor(i)}"><a href="#${docAnchor(i)}" style="position:absolute"></a>\n${bodies[i]}\n</section>\n`;
      start += n;
    }
    return (
      `<!doctype html>\n<html lang="${lang}">\n<head>\n<meta charset="utf-8">\n<title>batch</title>\n` +
      `<style>\n${this.css}\n</style>\n<style>\n${rules}</style>\n</head>\n<body>\n${html}</body>\n</html>\n`
    );
  }

  /**
   * A document's footer for margin boxes: the verification block (QR code, check link, code) drawn as one SVG image at
   * the places the Chromium footer template of {@link footer} puts them, and the page label.
   */
  private marginFooter(o: DocumentOptions): MarginFooter {
    const lang = o.lang ?? 'vi';
    const page = o.pageNumbers === false ? undefined : this.o.i18n.t(lang, 'reports.doc.page');
    if (!o.verify) return { page };
    const esc = Handlebars.Utils.escapeExpression;
    const v = o.verify;
    const viewBox = /viewBox="([^"]+)"/.exec(v.qrSvg)?.[1];
    if (!viewBox) throw new Error('print: QR code without a viewBox');
    const inner = v.qrSvg.replace(/^<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '');
    const q = QR_PT;
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${FOOTER_IMAGE_WIDTH}pt" height="${q}pt" viewBox="0 0 ${FOOTER_IMAGE_WIDTH} ${q}">` +
      `<svg x="0" y="0" width="${q}" height="${q}" viewBox="${viewBox}" shape-rendering="crispEdges">${inner}</svg>` +
      `<g font-family="${FONT_STACK.replace(/"/g, "'")}" font-size="8" fill="#000">` +
      `<text x="${TEXT_X}" y="${LINE1_Y}">${esc(this.o.i18n.t(lang, 'reports.doc.verify_at'))} ${esc(v.url)}</text>` +
      `<text x="${TEXT_X}" y="${LINE2_Y}">${esc(this.o.i18n.t(lang, 'reports.doc.verify_code'))}: <tspan font-weight="bold">${esc(v.code)}</tspan></text></g></svg>`;
    return { page, image: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
  }

  /**
   * Stores many generated files in ONE transaction (a batch chunk): every file is written first, then all rows and
   * audit events are inserted and the files moved into place; if anything fails, nothing is left behind. An artefact
   * that already exists (a re-run chunk) is not written again.
   */
  async storeMany(em: EntityManager, list: NewArtefact[]): Promise<StoredArtefact[]> {
    if (!list.length) return [];
    await fs.promises.mkdir(this.artefactsDir, { recursive: true });
    const prepared = await Promise.all(list.map(async (a) => {
      const id = a.id ?? newId();
      const bytes = Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const rel = `artefacts/${id}.${a.ext}`;
      const abs = path.join(this.o.dataDir, rel);
      const tmp = `${abs}.${randomBytes(4).toString('hex')}.tmp`;
      await fs.promises.writeFile(tmp, bytes);
      return { a, id, bytes, sha256, rel, abs, tmp, created: false, moved: false };
    }));
    try {
      await em.transactional(async (tx) => {
        for (const p of prepared) {
          const a = p.a;
          const n = await exec(
            tx,
            `insert into artefact (id, kind, title, params, path, sha256, size, mime, created_by, created_at, job_run_id, format, verify_code, scope_path, election_id)
             values (?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?, string_to_array(?, ','), ?) on conflict (id) do nothing`,
            [p.id, a.kind, a.title, JSON.stringify(a.params), p.rel, p.sha256, p.bytes.length, a.mime, a.createdBy, this.o.clock.now(), a.jobRunId ?? null,
              a.format ?? a.ext, a.verifyCode ?? null, a.scopePath?.length ? a.scopePath.join(',') : null, a.electionId ?? null],
          );
          if (n === 0) continue;
          p.created = true;
          await fs.promises.rename(p.tmp, p.abs);
          p.moved = true;
          await recordAudit(tx, {
            actor: a.createdBy,
            action: 'reports.artefact.create',
            targetType: 'artefact',
            targetId: p.id,
            after: { kind: a.kind, title: a.title, params: a.params, sha256: p.sha256, size: p.bytes.length, mime: a.mime, format: a.format ?? a.ext, verifyCode: a.verifyCode ?? null, jobRunId: a.jobRunId ?? null },
            result: 'success',
            requestId: a.requestId ?? null,
          });
        }
      });
    } catch (e) {
      await Promise.all(prepared.map((p) => fs.promises.rm(p.moved ? p.abs : p.tmp, { force: true })));
      throw e;
    }
    await Promise.all(prepared.filter((p) => !p.created).map((p) => fs.promises.rm(p.tmp, { force: true })));
    const stale = prepared.filter((p) => !p.created);
    const rows = stale.length ? await sql<ArtefactRow>(em, `select * from artefact where id in (${stale.map(() => '?').join(',')})`, stale.map((p) => p.id)) : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return prepared.map((p) => {
      if (p.created) return { id: p.id, path: p.rel, sha256: p.sha256, size: p.bytes.length, created: true };
      const row = byId.get(p.id)!;
      return { id: p.id, path: row.path, sha256: row.sha256, size: row.size, created: false };
    });
  }

  /**
   * Stores a generated file: writes it under DATA_DIR, then inserts the artefact row and its audit event in
   * one transaction. The file is moved into place inside that transaction and removed again if it fails, so
   * a row never points at a missing file and a failed attempt leaves nothing behind.
   */
  async store(em: EntityManager, a: NewArtefact): Promise<StoredArtefact> {
    // The batch path with one file: the same write-then-insert-then-move order and the same clean-up.
    const [stored] = await this.storeMany(em, [a]);
    return stored;
  }

  /** Renders and stores in one call; returns the artefact. */
  async renderToArtefact(
    em: EntityManager,
    document: string,
    data: Record<string, unknown>,
    doc: DocumentOptions,
    meta: Omit<NewArtefact, 'bytes' | 'mime' | 'ext' | 'title'> & { title?: string },
  ): Promise<StoredArtefact> {
    const bytes = await this.pdf(document, data, doc);
    return this.store(em, { ...meta, title: meta.title ?? doc.title, bytes, mime: PDF_MIME, ext: 'pdf' });
  }

  /** Absolute path of an artefact's file, refusing anything that would leave the artefacts directory. */
  resolve(relPath: string): string | undefined {
    const abs = path.resolve(this.o.dataDir, relPath);
    return abs.startsWith(this.artefactsDir + path.sep) ? abs : undefined;
  }

  /**
   * The footer as a Chromium footer template (`page.pdf({ displayHeaderFooter, footerTemplate })`) — how documents were
   * printed before the margin boxes. No longer used to render; kept as the reference the margin-box footer is compared
   * with (tests) and for the bench's "raw page.pdf() with a footer template" figure.
   *
   * Chromium's footer template: its own tiny document, so the font is set here as well. Page numbers centred; with
   * verifiable print, the QR code (14 mm, kept 5 mm above the paper's edge, inside most printers' printable area) and
   * the check link with the code on the left, the page number on the right. Everything fits the 25 mm bottom margin
   * (print.css), leaving a quiet zone of about 6 mm between the text and the code.
   */
  templateFooter(lang: Lang, pageNumbers: boolean, verify?: VerifyMark): string {
    const esc = Handlebars.Utils.escapeExpression;
    const font = `font-family:${FONT_STACK.replace(/"/g, "'")};color:#000;`;
    const page = pageNumbers ? `${esc(this.o.i18n.t(lang, 'reports.doc.page'))} <span class="pageNumber"></span>/<span class="totalPages"></span>` : '';
    if (!verify) {
      return `<div style="width:100%;padding:0 15mm 0 30mm;${font}font-size:10pt;text-align:center;">${page}</div>`;
    }
    // The SVG comes from the qrcode package (our own input, a URL): sized here, never taken from data.
    const qr = verify.qrSvg.replace(/^<svg /, '<svg width="14mm" height="14mm" style="display:block;flex:none;" ');
    return (
      `<div style="width:100%;box-sizing:border-box;padding:0 15mm 5mm 30mm;${font}display:flex;align-items:flex-end;justify-content:space-between;">` +
      `<div style="display:flex;align-items:flex-end;gap:2.5mm;font-size:8pt;line-height:1.25;">${qr}` +
      `<div>${esc(this.o.i18n.t(lang, 'reports.doc.verify_at'))} <span>${esc(verify.url)}</span><br>` +
      `${esc(this.o.i18n.t(lang, 'reports.doc.verify_code'))}: <b>${esc(verify.code)}</b></div></div>` +
      `<div style="font-size:10pt;white-space:nowrap;">${page}</div></div>`
    );
  }

  private registerHelpers(): void {
    const i18n = this.o.i18n;
    const lang = (options: Handlebars.HelperOptions | undefined): Lang => (options?.data?.root?.lang as Lang) ?? 'vi';
    const helpers: Record<string, Handlebars.HelperDelegate> = {
      /** {{t "key" name=value}}: translated and HTML-escaped. */
      t: (key: string, options: Handlebars.HelperOptions) => i18n.t(lang(options), key, options?.hash),
      /** {{num n}}: grouped the Vietnamese way (78.928.647). */
      num: (n: unknown, options: Handlebars.HelperOptions) =>
        typeof n === 'number' || (typeof n === 'string' && n !== '' && !isNaN(Number(n))) ? formatNumber(Number(n), lang(options)) : '',
      /** {{inc @index}}: 1-based row numbers. */
      inc: (n: unknown) => Number(n) + 1,
      eq: (a: unknown, b: unknown) => a === b,
    };
    for (const [name, fn] of Object.entries(helpers)) this.hb.registerHelper(name, fn);
  }
}

/** Vietnam's calendar date (YYYY-MM-DD) of an instant. */
export function vnDate(d: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/** "29/11/2026" from "2026-11-29". */
export function dmy(isoDate: string): string {
  const [y, m, d] = isoDate.split('-');
  return `${d}/${m}/${y}`;
}

/**
 * The place-and-date line of an official document: "Thành phố Hồ Chí Minh, ngày 29 tháng 11 năm 2026".
 * Nghị định 30/2020 writes days below 10 and months 1 and 2 with a leading zero ("ngày 05 tháng 02").
 */
export function placeDateLine(i18n: I18n, lang: Lang, place: string, isoDate: string): string {
  return placeDateText((key, params) => i18n.t(lang, key, params), place, isoDate);
}

/** {@link placeDateLine} with a translate function (a report's context); without a place, "Ngày 05 tháng 02 năm 2026". */
export function placeDateText(t: (key: string, params?: Record<string, unknown>) => string, place: string | undefined, isoDate: string): string {
  const [y, m, d] = isoDate.split('-').map(Number);
  const day = d < 10 ? `0${d}` : String(d);
  const month = m <= 2 ? `0${m}` : String(m);
  return t(place ? 'reports.doc.place_date' : 'reports.doc.date_line', { place, day, month, year: String(y) });
}

/**
 * The place name (địa danh) for a province-level unit: the name without "Tỉnh"/"Thành phố" ("Cao Bằng",
 * "Hà Nội"), except Thành phố Hồ Chí Minh, which official documents always write in full.
 */
export function placeName(provinceName: string): string {
  const bare = provinceName.replace(/^(Tỉnh|Thành phố)\s+/u, '');
  return bare === 'Hồ Chí Minh' ? 'Thành phố Hồ Chí Minh' : bare;
}
