// Splitting one Chromium print of many documents (batch mode, render.service.ts pdfMany) back into one PDF per
// document. Boundaries are not guessed: each document starts with an element whose id is the target of an internal
// link, so Chromium writes a named destination (/Dests) pointing at the page where that document begins.
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRef, PDFString, PDFHexString, type PDFObject } from 'pdf-lib';

/** The named destination that marks the first page of document `i` of a combined print. */
export const docAnchor = (i: number): string => `baucu-doc-${i}`;

export interface SplitPdf {
  /** Page count of each document, in order. */
  pageCounts: number[];
  /** Loaded combined PDF (split() copies from it). */
  source: PDFDocument;
  /** First page index (0-based) of each document. */
  starts: number[];
}

/** Reads the first page of every document of a combined print from its named destinations. Throws when one is missing. */
export async function locateDocuments(bytes: Uint8Array, count: number): Promise<SplitPdf> {
  const source = await PDFDocument.load(bytes, { updateMetadata: false });
  const pages = source.getPages();
  const index = new Map(pages.map((p, i) => [p.ref.toString(), i]));
  const dests = new Map<string, number>();
  const read = (name: string, dest: PDFObject | undefined) => {
    const arr = dest instanceof PDFDict ? dest.lookup(PDFName.of('D')) : dest;
    const ref = arr instanceof PDFArray ? arr.get(0) : undefined;
    const i = ref instanceof PDFRef ? index.get(ref.toString()) : undefined;
    if (i !== undefined) dests.set(name, i);
  };
  // PDF 1.1 style (what Chromium writes): a /Dests dictionary in the catalog.
  const old = source.catalog.lookup(PDFName.of('Dests'));
  if (old instanceof PDFDict) for (const [k, v] of old.entries()) read(k.decodeText(), old.lookup(k) ?? v);
  // PDF 1.2 style: a /Names tree, in case a later Chromium switches.
  const names = source.catalog.lookup(PDFName.of('Names'));
  const tree = names instanceof PDFDict ? names.lookup(PDFName.of('Dests')) : undefined;
  const walk = (node: unknown): void => {
    if (!(node instanceof PDFDict)) return;
    const leaf = node.lookup(PDFName.of('Names'));
    if (leaf instanceof PDFArray) {
      for (let i = 0; i + 1 < leaf.size(); i += 2) {
        const k = leaf.lookup(i);
        if (k instanceof PDFString || k instanceof PDFHexString) read(k.decodeText(), leaf.lookup(i + 1));
      }
    }
    const kids = node.lookup(PDFName.of('Kids'));
    if (kids instanceof PDFArray) for (let i = 0; i < kids.size(); i++) walk(kids.lookup(i));
  };
  walk(tree);
  const { starts, pageCounts } = documentPages(dests, count, pages.length);
  return { source, starts, pageCounts };
}

export interface SplitMeta {
  title: string;
}

/** One PDF per document, with the combined print's creator, producer and dates and the document's own title. */
export async function splitDocuments(s: SplitPdf, meta: SplitMeta[]): Promise<Uint8Array[]> {
  const src = s.source;
  const creator = src.getCreator();
  const producer = src.getProducer();
  const created = src.getCreationDate();
  const modified = src.getModificationDate();
  const out: Uint8Array[] = [];
  for (let i = 0; i < s.starts.length; i++) {
    const doc = await PDFDocument.create({ updateMetadata: false });
    const copied = await doc.copyPages(src, Array.from({ length: s.pageCounts[i] }, (_, j) => s.starts[i] + j));
    for (const p of copied) doc.addPage(p);
    // As Chromium does for a single document: the <title> is the PDF's title, shown by viewers.
    doc.setTitle(meta[i].title, { showInWindowTitleBar: true });
    if (creator) doc.setCreator(creator);
    if (producer) doc.setProducer(producer);
    if (created) doc.setCreationDate(created);
    if (modified) doc.setModificationDate(modified);
    // Object streams would deflate every object again: plain cross-reference tables are faster to write and read.
    out.push(await doc.save({ useObjectStreams: false, addDefaultPage: false }));
  }
  return out;
}

/** The combined PDF is not in the form the fast splitter reads (classic cross-reference table, /Dests dictionary). */
export class UnsupportedPdfError extends Error {}

/**
 * The fast path of {@link locateDocuments} + {@link splitDocuments}: Chromium (Skia) writes PDF with a classic
 * cross-reference table and no object streams, so each document's PDF can be assembled from the combined file's
 * object bytes as they are — its pages, everything they reference (fonts, images, contents), a new page tree,
 * catalog and info — without parsing or re-serialising any stream. About 100× faster than copying pages with
 * pdf-lib. Throws {@link UnsupportedPdfError} for any other shape (the caller falls back to pdf-lib) and a plain
 * error when a document's destination is missing or out of order.
 */
export function splitFast(bytes: Uint8Array, meta: SplitMeta[]): { pdfs: Uint8Array[]; pageCounts: number[] } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buf.toString('latin1');
  const sx = text.lastIndexOf('startxref');
  if (sx < 0) throw new UnsupportedPdfError('no startxref');
  const xrefAt = Number(/^startxref\s+(\d+)/.exec(text.slice(sx))?.[1]);
  if (!Number.isFinite(xrefAt) || !text.startsWith('xref', xrefAt)) throw new UnsupportedPdfError('not a classic xref table');
  const tAt = text.indexOf('trailer', xrefAt);
  if (tAt < 0) throw new UnsupportedPdfError('no trailer');
  // Cross-reference table: subsections "first count" followed by 20-byte entries.
  const offsets = new Map<number, number>();
  const lines = text.slice(xrefAt + 4, tAt).trim().split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; ) {
    const [first, count] = lines[i++].trim().split(/\s+/).map(Number);
    if (!Number.isInteger(first) || !Number.isInteger(count)) throw new UnsupportedPdfError('bad xref subsection');
    for (let j = 0; j < count; j++, i++) {
      const m = /^(\d{10}) (\d{5}) ([nf])/.exec(lines[i] ?? '');
      if (!m) throw new UnsupportedPdfError('bad xref entry');
      if (m[3] === 'n') offsets.set(first + j, Number(m[1]));
    }
  }
  const trailer = text.slice(tAt, sx);
  const rootNum = Number(/\/Root\s+(\d+)\s+0\s+R/.exec(trailer)?.[1]);
  const infoNum = Number(/\/Info\s+(\d+)\s+0\s+R/.exec(trailer)?.[1]);
  // Each object's bytes run from its offset to the next object's (objects are written one after another).
  const sorted = [...offsets.entries()].sort((a, b) => a[1] - b[1]);
  const spans = new Map<number, [number, number]>();
  sorted.forEach(([n, off], i) => spans.set(n, [off, i + 1 < sorted.length ? sorted[i + 1][1] : xrefAt]));
  const dictCache = new Map<number, string>();
  /** The object's text up to its stream data (dictionaries only: stream bytes are never scanned). */
  const dict = (n: number): string => {
    let d = dictCache.get(n);
    if (d === undefined) {
      const span = spans.get(n);
      if (!span) throw new UnsupportedPdfError(`object ${n} missing`);
      const s = text.slice(span[0], span[1]);
      if (!s.startsWith(`${n} 0 obj`)) throw new UnsupportedPdfError(`object ${n} not at its offset`);
      const st = s.search(/\bstream\r?\n/);
      d = st < 0 ? s : s.slice(0, st);
      dictCache.set(n, d);
    }
    return d;
  };
  const refs = (s: string): number[] => [...s.matchAll(/(\d+)\s+0\s+R\b/g)].map((m) => Number(m[1]));
  const one = (s: string, key: string): number | undefined => {
    const m = new RegExp(`/${key}\\s+(\\d+)\\s+0\\s+R`).exec(s);
    return m ? Number(m[1]) : undefined;
  };
  if (!spans.has(rootNum) || !spans.has(infoNum)) throw new UnsupportedPdfError('no catalog or info');
  const catalog = dict(rootNum);
  const pagesRoot = one(catalog, 'Pages');
  const destsNum = one(catalog, 'Dests');
  if (pagesRoot === undefined || destsNum === undefined) throw new UnsupportedPdfError('no page tree or /Dests');
  // Pages in document order: walk the page tree.
  const pageOrder: number[] = [];
  const walk = (n: number, depth: number): void => {
    if (depth > 32) throw new UnsupportedPdfError('page tree too deep');
    const d = dict(n);
    if (/\/Type\s*\/Pages\b/.test(d)) {
      const kids = /\/Kids\s*\[([^\]]*)\]/.exec(d);
      if (!kids) throw new UnsupportedPdfError('page tree node without kids');
      for (const k of refs(kids[1])) walk(k, depth + 1);
    } else if (/\/Type\s*\/Page\b/.test(d)) {
      // Attributes inherited from the tree would be lost by re-parenting: Skia puts them on every page.
      if (!/\/MediaBox/.test(d) || !/\/Resources/.test(d)) throw new UnsupportedPdfError('page relies on inherited attributes');
      pageOrder.push(n);
    } else throw new UnsupportedPdfError('unexpected node in the page tree');
  };
  walk(pagesRoot, 0);
  const pageIndex = new Map(pageOrder.map((p, i) => [p, i]));
  const dests = new Map<string, number>();
  for (const m of dict(destsNum).matchAll(/\/([A-Za-z0-9_.-]+)\s*\[\s*(\d+)\s+0\s+R/g)) {
    const i = pageIndex.get(Number(m[2]));
    if (i !== undefined) dests.set(m[1], i);
  }
  const count = meta.length;
  const { starts, pageCounts } = documentPages(dests, count, pageOrder.length);
  const header = buf.subarray(0, sorted[0][1]);
  const info = dict(infoNum).replace(/^\d+ 0 obj\s*/, '').replace(/\s*endobj\s*$/, '').trim();
  const newPages = Math.max(...offsets.keys()) + 1;
  const newCatalog = newPages + 1;
  const newInfo = newPages + 2;
  const pdfs: Uint8Array[] = [];
  for (let d = 0; d < count; d++) {
    const pages = pageOrder.slice(starts[d], starts[d] + pageCounts[d]);
    // Everything the pages reference, except their parent (the page tree is rebuilt).
    const need = new Set<number>();
    const queue = [...pages];
    for (const p of pages) need.add(p);
    while (queue.length) {
      const n = queue.pop()!;
      const body = pages.includes(n) ? dict(n).replace(/\/Parent\s+\d+\s+0\s+R/, '') : dict(n);
      for (const r of refs(body.replace(/^\d+ 0 obj/, ''))) {
        if (!need.has(r) && spans.has(r)) {
          need.add(r);
          queue.push(r);
        }
      }
    }
    const parts: Buffer[] = [header];
    let pos = header.length;
    const at = new Map<number, number>();
    const pageSet = new Set(pages);
    for (const n of [...need].sort((a, b) => a - b)) {
      const [s, e] = spans.get(n)!;
      let chunk = buf.subarray(s, e);
      if (pageSet.has(n)) {
        const d0 = dict(n);
        const fixed = d0.replace(/\/Parent\s+\d+\s+0\s+R/, `/Parent ${newPages} 0 R`);
        chunk = Buffer.concat([Buffer.from(fixed, 'latin1'), buf.subarray(s + d0.length, e)]);
      }
      at.set(n, pos);
      parts.push(chunk);
      pos += chunk.length;
    }
    const add = (n: number, body: string) => {
      const b = Buffer.from(`${n} 0 obj\n${body}\nendobj\n`, 'latin1');
      at.set(n, pos);
      parts.push(b);
      pos += b.length;
    };
    add(newPages, `<</Type /Pages\n/Count ${pages.length}\n/Kids [${pages.map((p) => `${p} 0 R`).join(' ')}]>>`);
    add(newCatalog, `<</Type /Catalog\n/Pages ${newPages} 0 R\n/ViewerPreferences <</Type /ViewerPreferences\n/DisplayDocTitle true>>>>`);
    const title = `/Title <FEFF${Buffer.from(meta[d].title, 'utf16le').swap16().toString('hex').toUpperCase()}>`;
    add(newInfo, /\/Title\s*(<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\))/.test(info) ? info.replace(/\/Title\s*(<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\))/, () => title) : info.replace(/^<</, `<<${title}\n`));
    // Cross-reference table: one subsection per run of consecutive object numbers.
    const nums = [...at.keys()].sort((a, b) => a - b);
    let xref = 'xref\n0 1\n0000000000 65535 f \n';
    for (let i = 0; i < nums.length; ) {
      let j = i;
      while (j + 1 < nums.length && nums[j + 1] === nums[j] + 1) j++;
      xref += `${nums[i]} ${j - i + 1}\n`;
      for (let k = i; k <= j; k++) xref += `${String(at.get(nums[k])).padStart(10, '0')} 00000 n \n`;
      i = j + 1;
    }
    xref += `trailer\n<</Size ${newInfo + 1}\n/Root ${newCatalog} 0 R\n/Info ${newInfo} 0 R>>\nstartxref\n${pos}\n%%EOF\n`;
    parts.push(Buffer.from(xref, 'latin1'));
    const out = Buffer.concat(parts);
    pdfs.push(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  }
  return { pdfs, pageCounts };
}

/**
 * Where each of `count` documents starts (page index of its named destination) and how many pages it has; a missing
 * or out-of-order boundary is an error, never a guess.
 */
function documentPages(dests: ReadonlyMap<string, number>, count: number, totalPages: number): { starts: number[]; pageCounts: number[] } {
  const starts: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = dests.get(docAnchor(i));
    if (s === undefined) throw new Error(`combined PDF: no destination for document ${i}`);
    if (i === 0 ? s !== 0 : s <= starts[i - 1]) throw new Error(`combined PDF: document ${i} starts on page ${s + 1}, out of order`);
    starts.push(s);
  }
  return { starts, pageCounts: starts.map((s, i) => (i + 1 < count ? starts[i + 1] : totalPages) - s) };
}
