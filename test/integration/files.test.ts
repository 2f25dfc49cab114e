// Stored uploads (core/files/file-store.ts): kinds decided by the bytes, names that lie refused, limits, images
// re-encoded without their metadata, nothing written on a refusal, downloads only as attachments.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { sql } from '../../core/persistence/db.js';
import { FileStore, detectKind, uploadField, uploadOf, contentDisposition, type FileKind } from '../../core/files/file-store.js';
import { TOKENS } from '../../core/kernel/tokens.js';
import type { I18n } from '../../core/shared/i18n.js';

let app: TestApp;
let store: FileStore;
let dir: string;
let i18n: I18n;
const ALL: FileKind[] = ['pdf', 'jpeg', 'png'];
const MB = 1024 * 1024;

function png(w = 4, h = 3, extra?: Buffer): Buffer {
  const img = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) img.data.set([i * 20, 100, 200 - i * 10, 255], i * 4);
  const bytes = PNG.sync.write(img);
  if (!extra) return bytes;
  // A tEXt chunk (metadata) right after IHDR: signature 8 + IHDR chunk 25 bytes.
  const len = Buffer.alloc(4);
  len.writeUInt32BE(extra.length);
  const chunk = Buffer.concat([len, Buffer.from('tEXt'), extra, Buffer.alloc(4)]);
  return Buffer.concat([bytes.subarray(0, 33), chunk, bytes.subarray(33)]);
}

function jpg(w = 8, h = 8): Buffer {
  const data = Buffer.alloc(w * h * 4, 180);
  return jpeg.encode({ data, width: w, height: h, comments: ['GPS 10.77 106.70 — camera serial 1234'] }, 90).data;
}

/** A JPEG with an EXIF APP1 segment after SOI and a payload after EOI. */
function jpgWithExif(): Buffer {
  const base = jpg();
  const payload = Buffer.from('Exif\0\0SECRET-EXIF-GPS');
  const seg = Buffer.concat([Buffer.from([0xff, 0xe1]), Buffer.from([0, payload.length + 2]), payload]);
  return Buffer.concat([base.subarray(0, 2), seg, base.subarray(2), Buffer.from('<script>alert(1)</script>')]);
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');

async function counts(em: EntityManager): Promise<{ rows: number; files: number }> {
  const [{ n }] = await sql<{ n: number }>(em, 'select count(*)::int as n from stored_file');
  const files = fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((e) => e.isFile()).length : 0;
  return { rows: n, files };
}

beforeAll(async () => {
  app = await startTestApp('files');
  dir = path.join(app.config.dataDir, 'files');
  store = new FileStore(dir);
  i18n = app.container.get<I18n>(TOKENS.I18n);
});
afterAll(async () => {
  await app?.close();
});

const put = (bytes: Buffer, originalName: string, o: { allowed?: FileKind[]; maxBytes?: number; reencodeImages?: boolean } = {}) => {
  const em = app.orm.em.fork() as EntityManager;
  return em.transactional((tx) => store.put(tx as EntityManager, { bytes, originalName, allowed: o.allowed ?? ALL, maxBytes: o.maxBytes ?? 5 * MB, createdBy: 'test', reencodeImages: o.reencodeImages }));
};

describe('file store', () => {
  it('recognises each kind by its magic bytes, not by its name', async () => {
    expect(detectKind(PDF)).toBe('pdf');
    expect(detectKind(png())).toBe('png');
    expect(detectKind(jpg())).toBe('jpeg');
    expect(detectKind(Buffer.from('hello'))).toBeUndefined();
    for (const [bytes, name, kind, mime] of [[PDF, 'Biên bản.pdf', 'pdf', 'application/pdf'], [png(), 'scan.PNG', 'png', 'image/png'], [jpg(), 'ảnh chụp.jpeg', 'jpeg', 'image/jpeg']] as const) {
      const r = await put(bytes, name);
      expect(r.ok, name).toBe(true);
      if (!r.ok) continue;
      expect(r.value).toMatchObject({ kind, mime, originalName: name.normalize('NFC') });
      const got = await store.get(app.orm.em.fork() as EntityManager, r.value.id);
      expect(got).toMatchObject({ id: r.value.id, kind, mime, sha256: r.value.sha256, size: r.value.size });
      // Outside the web root, under DATA_DIR/files.
      const p = (await store.pathOf(app.orm.em.fork() as EntityManager, r.value.id))!;
      expect(p.startsWith(dir + path.sep)).toBe(true);
      expect(fs.statSync(p).size).toBe(r.value.size);
    }
  });

  it('refuses a PNG renamed .pdf (FILE_TYPE_MISMATCH), and writes nothing', async () => {
    const em = app.orm.em.fork() as EntityManager;
    const before = await counts(em);
    const r = await put(png(), 'bien-ban.pdf');
    expect(r).toMatchObject({ ok: false, error: { code: 'FILE_TYPE_MISMATCH', params: { declared: 'PDF', detected: 'PNG' } } });
    if (!r.ok) expect(i18n.t('vi', r.error.messageKey, r.error.params)).toBe('Tên tệp «bien-ban.pdf» ghi là PDF nhưng nội dung là PNG. Hãy lưu lại tệp đúng định dạng rồi tải lên.');
    expect(await counts(em)).toEqual(before);
  });

  it('refuses oversized, empty, not-allowed and damaged files — with a Vietnamese message — and writes nothing', async () => {
    const em = app.orm.em.fork() as EntityManager;
    const before = await counts(em);
    const big = Buffer.concat([PDF.subarray(0, 9), Buffer.alloc(2 * MB, 0x20), Buffer.from('\n%%EOF\n')]);
    const tooBig = await put(big, 'to.pdf', { maxBytes: MB });
    expect(tooBig).toMatchObject({ ok: false, error: { code: 'FILE_TOO_LARGE', params: { max: '1 MB', size: '2 MB' } } });
    if (!tooBig.ok) expect(i18n.t('vi', tooBig.error.messageKey, tooBig.error.params)).toContain('tối đa 1 MB');
    expect(await put(Buffer.alloc(0), 'rong.pdf')).toMatchObject({ ok: false, error: { code: 'FILE_EMPTY' } });
    expect(await put(png(), 'scan.png', { allowed: ['pdf'] })).toMatchObject({ ok: false, error: { code: 'FILE_TYPE_NOT_ALLOWED', params: { allowed: 'PDF' } } });
    expect(await put(PDF, 'tai-lieu.exe')).toMatchObject({ ok: false, error: { code: 'FILE_TYPE_NOT_ALLOWED' } });
    expect(await put(Buffer.from('<html><script>x</script>'), 'trang.pdf')).toMatchObject({ ok: false, error: { code: 'FILE_TYPE_MISMATCH', params: { detected: '?' } } });
    expect(await put(png().subarray(0, 40), 'cut.png')).toMatchObject({ ok: false, error: { code: 'FILE_CORRUPT' } });
    expect(await put(jpg().subarray(0, 60), 'cut.jpg')).toMatchObject({ ok: false, error: { code: 'FILE_CORRUPT' } });
    expect(await put(PDF.subarray(0, 30), 'cut.pdf')).toMatchObject({ ok: false, error: { code: 'FILE_CORRUPT' } });
    for (const key of ['files.empty', 'files.too_large', 'files.type_not_allowed', 'files.type_mismatch', 'files.corrupt', 'files.upload_invalid']) {
      expect(i18n.has(key), key).toBe(true);
      expect(i18n.t('en', key)).not.toBe(i18n.t('vi', key));
    }
    expect(await counts(em)).toEqual(before);
  });

  it('re-encodes images: they still decode to the same size, metadata and appended payloads are gone', async () => {
    const p = await put(png(5, 4, Buffer.from('Comment\0GPS 21.02 105.85 SECRET-PNG-TEXT')), 'scan.png');
    expect(p.ok).toBe(true);
    const j = await put(jpgWithExif(), 'anh.jpg');
    expect(j.ok).toBe(true);
    if (!p.ok || !j.ok) return;
    const em = app.orm.em.fork() as EntityManager;
    const pb = fs.readFileSync((await store.pathOf(em, p.value.id))!);
    const jb = fs.readFileSync((await store.pathOf(em, j.value.id))!);
    const pi = PNG.sync.read(pb);
    expect([pi.width, pi.height]).toEqual([5, 4]);
    expect([...pi.data.subarray(0, 4)]).toEqual([0, 100, 200, 255]);
    expect(pb.includes('SECRET-PNG-TEXT')).toBe(false);
    const ji = jpeg.decode(jb, { useTArray: true });
    expect([ji.width, ji.height]).toEqual([8, 8]);
    for (const s of ['SECRET-EXIF-GPS', 'camera serial', '<script>']) expect(jb.includes(s), s).toBe(false);
    // The stored checksum is that of the stored (re-encoded) bytes.
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(jb).digest('hex')).toBe(j.value.sha256);
    // A grey scan stays grey (colour type 0), pixels unchanged.
    const grey = new PNG({ width: 6, height: 2 });
    for (let i = 0; i < 12; i++) grey.data.set([i * 20, i * 20, i * 20, 255], i * 4);
    const g = await put(PNG.sync.write(grey, { colorType: 0 }), 'xam.png');
    expect(g.ok).toBe(true);
    if (g.ok) {
      const gb = fs.readFileSync((await store.pathOf(em, g.value.id))!);
      expect(gb[25]).toBe(0);
      expect([...PNG.sync.read(gb).data.subarray(4 * 5, 4 * 6)]).toEqual([100, 100, 100, 255]);
    }
    // An archive of originals may opt out of re-encoding; the image must still decode.
    const orig = await put(jpgWithExif(), 'goc.jpg', { reencodeImages: false });
    expect(orig.ok && orig.value.size).toBe(jpgWithExif().length);
  });

  it('a phone photo keeps its orientation: EXIF orientation 6 is applied to the pixels before EXIF is dropped', async () => {
    // 16 × 8: left half red, right half blue; orientation 6 = "rotate 90° clockwise to display".
    const w = 16, h = 8;
    const data = Buffer.alloc(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(x < 8 ? [255, 0, 0, 255] : [0, 0, 255, 255], (y * w + x) * 4);
    const base = jpeg.encode({ data, width: w, height: h }, 95).data;
    const tiff = Buffer.from([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]);
    const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
    const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0, payload.length + 2]), payload]);
    const photo = Buffer.concat([base.subarray(0, 2), app1, base.subarray(2)]);
    const { exifOrientation } = await import('../../core/files/file-store.js');
    expect(exifOrientation(photo)).toBe(6);
    expect(exifOrientation(base)).toBe(1);
    const r = await put(photo, 'bien-ban-chup.jpg');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const img = jpeg.decode(fs.readFileSync((await store.pathOf(app.orm.em.fork() as EntityManager, r.value.id))!), { useTArray: true });
    expect([img.width, img.height]).toEqual([8, 16]);
    const px = (x: number, y: number) => [...img.data.subarray((y * 8 + x) * 4, (y * 8 + x) * 4 + 3)];
    const [tr, , tb] = px(4, 3);
    const [br, , bb] = px(4, 12);
    expect(tr > 200 && tb < 60, `top ${px(4, 3)}`).toBe(true);
    expect(bb > 200 && br < 60, `bottom ${px(4, 12)}`).toBe(true);
    expect(exifOrientation(Buffer.from(fs.readFileSync((await store.pathOf(app.orm.em.fork() as EntityManager, r.value.id))!)))).toBe(1);
  });

  it('a transaction rolled back leaves no row', async () => {
    const em = app.orm.em.fork() as EntityManager;
    const before = await counts(em);
    await em.transactional(async (tx) => {
      const r = await store.put(tx as EntityManager, { bytes: PDF, originalName: 'x.pdf', allowed: ['pdf'], maxBytes: MB, createdBy: 'test' });
      expect(r.ok).toBe(true);
      throw new Error('rollback');
    }).catch(() => undefined);
    expect((await counts(em)).rows).toBe(before.rows);
    // Its file is an orphan: the sweep removes it (and only it), once old enough.
    expect(await store.sweepOrphans(em)).toBe(0);
    expect((await counts(em)).files).toBe(before.files + 1);
    expect(await store.sweepOrphans(em, 0)).toBe(1);
    expect(await counts(em)).toEqual(before);
  });

  describe('over HTTP', () => {
    let server: http.Server;
    let base = '';
    beforeAll(async () => {
      const web = express();
      web.get('/files/:id', async (req, res) => {
        if (!(await store.send(res, app.orm.em.fork() as EntityManager, req.params.id))) res.status(404).json({ error: 'not found' });
      });
      web.post('/upload', uploadField('scan', 1024), (req, res) => {
        const u = uploadOf(req, 'scan');
        res.json(u.ok ? { ok: true, name: u.value.originalName, size: u.value.bytes.length, title: req.body.title } : { ok: false, code: u.error.code, message: i18n.t('vi', u.error.messageKey, u.error.params) });
      });
      server = http.createServer(web);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('serves a stored file only as an attachment: RFC 5987 name, nosniff, stored mime, private no-store', async () => {
      const r = await put(PDF, 'Biên bản kiểm phiếu "số 1".pdf');
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const res = await fetch(`${base}/files/${r.value.id}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('private, no-store');
      const cd = res.headers.get('content-disposition')!;
      expect(cd).toBe(contentDisposition('Biên bản kiểm phiếu "số 1".pdf'));
      expect(cd).toMatch(/^attachment; filename="Bien ban kiem phieu _so 1_.pdf"; filename\*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n%20/);
      expect(decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(cd)![1])).toBe('Biên bản kiểm phiếu "số 1".pdf');
      expect(Buffer.from(await res.arrayBuffer()).equals(PDF)).toBe(true);
      expect((await fetch(`${base}/files/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
      expect((await fetch(`${base}/files/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
    });

    it('an upload over the limit arrives as FILE_TOO_LARGE with the limit in Vietnamese; a good one as a Buffer with its UTF-8 name', async () => {
      const big = new FormData();
      big.set('title', 'x');
      big.set('scan', new Blob([Buffer.alloc(4096, 1)]), 'lớn.pdf');
      const a = await (await fetch(`${base}/upload`, { method: 'POST', body: big })).json();
      expect(a).toMatchObject({ ok: false, code: 'FILE_TOO_LARGE' });
      expect(a.message).toContain('tối đa 1 KB');
      const small = new FormData();
      small.set('title', 'Biên bản');
      small.set('scan', new Blob([PDF]), 'biên bản.pdf');
      expect(await (await fetch(`${base}/upload`, { method: 'POST', body: small })).json()).toEqual({ ok: true, name: 'biên bản.pdf', size: PDF.length, title: 'Biên bản' });
      const none = new FormData();
      none.set('title', 'x');
      expect(await (await fetch(`${base}/upload`, { method: 'POST', body: none })).json()).toMatchObject({ ok: false, code: 'FILE_EMPTY' });
    });
  });
});
