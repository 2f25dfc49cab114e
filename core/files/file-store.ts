// Stored uploads (documents and scans): checked by their bytes, images re-encoded, kept under DATA_DIR/files outside
// the web root, one stored_file row each, served only as attachments. Uploads reach routes as Buffers (multer memory
// storage) with refusals as values the endpoint pipeline audits (docs/api.md, "Uploads").
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import multer from 'multer';
import { reencodeImage } from './image-worker.js';
import { sql, exec } from '../persistence/db.js';
import { newId, UUID_RE as UUID } from '../shared/ids.js';
import { ok, err, appError, type Result, type AppError } from '../shared/result.js';
import type { Logger } from '../shared/logger.js';

export type FileKind = 'pdf' | 'jpeg' | 'png';

export interface StoredFile {
  id: string;
  sha256: string;
  mime: string;
  size: number;
  originalName: string;
  kind: FileKind;
  electionId?: string | null;
  createdBy?: string;
  createdAt?: Date;
}

export type FileRejection = {
  code: 'FILE_EMPTY' | 'FILE_TOO_LARGE' | 'FILE_TYPE_NOT_ALLOWED' | 'FILE_TYPE_MISMATCH' | 'FILE_CORRUPT';
  messageKey: string;
  params: Record<string, string | number>;
};

export const MIME_OF: Record<FileKind, string> = { pdf: 'application/pdf', jpeg: 'image/jpeg', png: 'image/png' };
const EXT_OF: Record<FileKind, string> = { pdf: 'pdf', jpeg: 'jpg', png: 'png' };
const KIND_OF_EXT: Record<string, FileKind> = { pdf: 'pdf', png: 'png', jpg: 'jpeg', jpeg: 'jpeg', jpe: 'jpeg' };
const KIND_LABEL: Record<FileKind, string> = { pdf: 'PDF', jpeg: 'JPEG', png: 'PNG' };
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Decoding a 20 000 × 20 000 "image" of a few kilobytes would take gigabytes: refuse above this many pixels. */
export const MAX_IMAGE_PIXELS = 60_000_000;

/** The kind the bytes say (magic numbers), whatever the name claims. */
export function detectKind(bytes: Buffer): FileKind | undefined {
  if (bytes.length >= 5 && bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** The kind a file name claims by its extension. */
export function kindOfName(name: string): FileKind | undefined {
  const m = /\.([A-Za-z0-9]+)$/.exec(name.trim());
  return m ? KIND_OF_EXT[m[1].toLowerCase()] : undefined;
}

/** A name safe to store and show: last path segment, NFC, no control characters, at most 200 characters. */
export function cleanName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const s = base.normalize('NFC').replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  return (s || 'tep').slice(-200);
}

/** "10 MB", "512 KB": limits as people read them. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} B`;
}

const rejection = (code: FileRejection['code'], params: Record<string, string | number>): FileRejection => ({
  code,
  messageKey: 'files.' + code.slice(5).toLowerCase(),
  params,
});

/** A refusal as the pipeline's AppError (413 too large, 415 wrong type, 400 otherwise), naming the form field. */
export function fileError(r: FileRejection, field = 'file'): AppError {
  const status = r.code === 'FILE_TOO_LARGE' ? 413 : r.code === 'FILE_TYPE_NOT_ALLOWED' || r.code === 'FILE_TYPE_MISMATCH' ? 415 : 400;
  return appError(r.code, r.messageKey, status, r.params, [{ field, code: r.code, messageKey: r.messageKey, params: r.params }]);
}

/** The EXIF orientation (1–8) of a JPEG, 1 when it has none. */
export function exifOrientation(b: Buffer): number {
  let i = 2;
  while (i + 4 <= b.length && b[i] === 0xff) {
    const marker = b[i + 1];
    if (marker === 0xda || marker === 0xd9) break; // image data starts: no more metadata segments
    const len = b.readUInt16BE(i + 2);
    if (marker === 0xe1 && b.subarray(i + 4, i + 10).toString('latin1') === 'Exif\0\0') {
      const t = i + 10;
      if (t + 8 > b.length) return 1;
      const le = b.subarray(t, t + 2).toString('latin1') === 'II';
      const u16 = (o: number) => (o + 2 <= b.length ? (le ? b.readUInt16LE(o) : b.readUInt16BE(o)) : 0);
      const u32 = (o: number) => (o + 4 <= b.length ? (le ? b.readUInt32LE(o) : b.readUInt32BE(o)) : 0);
      const ifd = t + u32(t + 4);
      const n = u16(ifd);
      for (let k = 0; k < n && k < 200; k++) {
        const e = ifd + 2 + k * 12;
        if (u16(e) === 0x0112) {
          const v = u16(e + 8);
          return v >= 1 && v <= 8 ? v : 1;
        }
      }
      return 1;
    }
    i += 2 + len;
  }
  return 1;
}

/** A PDF that does not end with %%EOF (within the last 1 KB) was cut short in transfer. */
function pdfLooksComplete(bytes: Buffer): boolean {
  return bytes.subarray(Math.max(0, bytes.length - 1024)).includes('%%EOF', 0, 'latin1');
}

interface FileRow {
  id: string;
  sha256: string;
  mime: string;
  size: number;
  original_name: string;
  storage_key: string;
  election_id: string | null;
  created_by: string;
  created_at: Date | string;
}

const KIND_OF_MIME: Record<string, FileKind> = { 'application/pdf': 'pdf', 'image/jpeg': 'jpeg', 'image/png': 'png' };

export class FileStore {
  constructor(readonly dir: string, private readonly log?: Logger) {}

  /**
   * Checks magic bytes (PDF %PDF-, PNG signature, JPEG FF D8 FF) against `allowed`; a file whose name says .pdf but
   * whose bytes are PNG → FILE_TYPE_MISMATCH; images are re-encoded (PNG via pngjs, JPEG via jpeg-js) so
   * metadata/payloads are dropped; inserts the stored_file row with `em` (caller's transaction). Nothing is written
   * on a refusal. The file is written (temp file, fsync, rename) before the row; a transaction rolled back later
   * leaves an unreferenced file, never a row without its file.
   */
  async put(
    em: EntityManager,
    input: { bytes: Buffer; originalName: string; allowed: readonly FileKind[]; maxBytes: number; createdBy: string; electionId?: string | null; reencodeImages?: boolean },
  ): Promise<Result<StoredFile, FileRejection>> {
    const name = cleanName(input.originalName);
    const allowed = input.allowed.map((k) => KIND_LABEL[k]).join(', ');
    if (!input.bytes.length) return err(rejection('FILE_EMPTY', { name }));
    if (input.bytes.length > input.maxBytes) return err(rejection('FILE_TOO_LARGE', { name, max: formatBytes(input.maxBytes), size: formatBytes(input.bytes.length) }));
    const claimed = kindOfName(name);
    const actual = detectKind(input.bytes);
    if (!claimed || !input.allowed.includes(claimed)) return err(rejection('FILE_TYPE_NOT_ALLOWED', { name, allowed }));
    if (actual !== claimed) {
      return err(rejection('FILE_TYPE_MISMATCH', { name, declared: KIND_LABEL[claimed], detected: actual ? KIND_LABEL[actual] : '?' }));
    }
    let bytes = input.bytes;
    if (actual === 'pdf') {
      if (!pdfLooksComplete(bytes)) return err(rejection('FILE_CORRUPT', { name }));
    } else {
      // Decoding also proves the image is whole; re-encoding is the default (an archive of originals may opt out).
      // In a worker thread: seconds of CPU for a full-page scan must not stall every other request.
      const out = await reencodeImage(actual, bytes, actual === 'jpeg' ? exifOrientation(bytes) : 1, MAX_IMAGE_PIXELS);
      if (!out.ok) {
        this.log?.info({ name, reason: out.reason }, 'image refused: does not decode');
        return err(rejection('FILE_CORRUPT', { name }));
      }
      if (input.reencodeImages !== false) bytes = out.bytes;
    }
    const id = newId();
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const storageKey = `${id.slice(0, 2)}/${id}.${EXT_OF[actual]}`;
    const final = path.join(this.dir, storageKey);
    await fs.promises.mkdir(path.dirname(final), { recursive: true });
    const tmp = path.join(path.dirname(final), `.${id}.part`);
    const fh = await fs.promises.open(tmp, 'wx', 0o640);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, final);
    try {
      await exec(em, `insert into stored_file (id, sha256, mime, size, original_name, storage_key, election_id, created_by) values (?, ?, ?, ?, ?, ?, ?, ?)`,
        [id, sha256, MIME_OF[actual], bytes.length, name, storageKey, input.electionId ?? null, input.createdBy]);
    } catch (e) {
      await fs.promises.rm(final, { force: true });
      throw e;
    }
    return ok({ id, sha256, mime: MIME_OF[actual], size: bytes.length, originalName: name, kind: actual, electionId: input.electionId ?? null, createdBy: input.createdBy });
  }

  async get(em: EntityManager, id: string): Promise<StoredFile | undefined> {
    return (await this.row(em, id))?.file;
  }

  private async row(em: EntityManager, id: string): Promise<{ file: StoredFile; storageKey: string } | undefined> {
    if (!UUID.test(id)) return undefined;
    const [r] = await sql<FileRow>(em, 'select * from stored_file where id = ?', [id]);
    if (!r) return undefined;
    return {
      storageKey: r.storage_key,
      file: {
        id: r.id, sha256: r.sha256, mime: r.mime, size: Number(r.size), originalName: r.original_name, kind: KIND_OF_MIME[r.mime] ?? 'pdf',
        electionId: r.election_id, createdBy: r.created_by, createdAt: r.created_at instanceof Date ? r.created_at : new Date(r.created_at),
      },
    };
  }

  /**
   * Removes files with no stored_file row (their transaction rolled back) and abandoned temp files, older than
   * `olderThanMs` so a put still in its transaction is never touched. Returns how many files went.
   */
  async sweepOrphans(em: EntityManager, olderThanMs = 3600_000): Promise<number> {
    let removed = 0;
    const cutoff = Date.now() - olderThanMs;
    const shards = await fs.promises.readdir(this.dir, { withFileTypes: true }).catch(() => [] as fs.Dirent[]);
    for (const shard of shards.filter((x) => x.isDirectory())) {
      const sub = path.join(this.dir, shard.name);
      for (const name of await fs.promises.readdir(sub)) {
        const full = path.join(sub, name);
        const st = await fs.promises.stat(full).catch(() => undefined);
        if (!st?.isFile() || st.mtimeMs > cutoff) continue;
        const id = /^\.?([0-9a-f-]{36})\.(pdf|png|jpg|part)$/.exec(name)?.[1];
        const orphan = name.endsWith('.part') || !id || !(await sql(em, 'select 1 from stored_file where id = ?', [id])).length;
        if (orphan) {
          await fs.promises.rm(full, { force: true });
          removed++;
        }
      }
    }
    if (removed) this.log?.info({ removed }, 'stored files without a record removed');
    return removed;
  }

  /** Absolute path of a stored file (jobs that read scans); undefined for an unknown id. */
  async pathOf(em: EntityManager, id: string): Promise<string | undefined> {
    const r = await this.row(em, id);
    return r ? path.join(this.dir, r.storageKey) : undefined;
  }

  /**
   * Streams the file as an attachment: Content-Disposition attachment (RFC 5987 filename*), X-Content-Type-Options
   * nosniff, the stored mime, Cache-Control private no-store. False when the id is unknown (or its bytes are gone:
   * logged), so the caller answers 404; authorisation is the caller's.
   */
  async send(res: Response, em: EntityManager, id: string): Promise<boolean> {
    const r = await this.row(em, id);
    if (!r) return false;
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(path.join(this.dir, r.storageKey), 'r');
    } catch (e) {
      this.log?.error({ err: e, fileId: id }, 'stored file missing on disk');
      return false;
    }
    res.status(200);
    res.setHeader('Content-Type', r.file.mime);
    res.setHeader('Content-Length', String(r.file.size));
    res.setHeader('Content-Disposition', contentDisposition(r.file.originalName));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'private, no-store');
    // Opened directly by a browser anyway, the document runs nothing and loads nothing.
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    await pipeline(fh.createReadStream(), res);
    return true;
  }
}

/** attachment; filename="ASCII fallback"; filename*=UTF-8''percent-encoded (RFC 6266 / RFC 5987). */
export function contentDisposition(name: string): string {
  const ascii = name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

// ------------------------------------------------------------------------------------------------ receiving uploads

export interface Upload {
  field: string;
  bytes: Buffer;
  /** As the browser sent it (UTF-8, cleaned); the kind is decided by FileStore.put from the bytes, never from this. */
  originalName: string;
  declaredMime: string;
}

type UploadState = { uploads: Map<string, Upload>; rejection?: FileRejection & { field: string } };
const UPLOADS = new WeakMap<Request, UploadState>();

/**
 * Multer (memory storage) for one multipart file field, at most `maxBytes`. It never throws for a bad upload: an
 * oversized file or a malformed body is kept on the request as a FileRejection for uploadOf(), so the route (through
 * mountAction) refuses it with a Vietnamese message and an audit event like any other bad input. Use in `before`.
 */
export function uploadField(field: string, maxBytes: number): RequestHandler {
  const m = multer({ storage: multer.memoryStorage(), limits: { fileSize: maxBytes, files: 1, fields: 50, fieldSize: 100_000, parts: 60 } }).single(field);
  return (req: Request, res: Response, next: NextFunction) => {
    m(req, res, (e?: unknown) => {
      const state: UploadState = { uploads: new Map() };
      if (e) {
        const code = e instanceof multer.MulterError ? e.code : 'MALFORMED';
        state.rejection = code === 'LIMIT_FILE_SIZE'
          ? { ...rejection('FILE_TOO_LARGE', { name: '-', max: formatBytes(maxBytes), size: '> ' + formatBytes(maxBytes) }), field }
          : { code: 'FILE_CORRUPT', messageKey: 'files.upload_invalid', params: { field, reason: String(code) }, field };
        if (!req.body || typeof req.body !== 'object') req.body = {};
      }
      const f = (req as Request & { file?: Express.Multer.File }).file;
      if (f && !state.rejection) {
        // Browsers send UTF-8 file names; multer reads them as latin1.
        const name = Buffer.from(f.originalname, 'latin1').toString('utf8');
        state.uploads.set(field, { field, bytes: f.buffer, originalName: cleanName(name), declaredMime: f.mimetype });
      }
      UPLOADS.set(req, state);
      next();
    });
  };
}

/** The upload of a field read by uploadField(): the file, or why there is none (FILE_EMPTY when nothing was sent). */
export function uploadOf(req: Request, field: string): Result<Upload, FileRejection> {
  const s = UPLOADS.get(req);
  if (s?.rejection && s.rejection.field === field) {
    const { field: _f, ...r } = s.rejection;
    return err(r);
  }
  const u = s?.uploads.get(field);
  if (!u || !u.bytes.length) return err(rejection('FILE_EMPTY', { name: u?.originalName ?? '-', field }));
  return ok(u);
}

/**
 * Reads one uploaded file inside a handler (when the route has no `before` middleware): runs uploadField, then
 * uploadOf. An oversized body → FILE_TOO_LARGE with the limit in the message.
 */
export async function readUpload(req: Request, field: string, maxBytes: number, res?: Response): Promise<Result<Upload, FileRejection>> {
  if (!UPLOADS.has(req)) {
    await new Promise<void>((resolve) => uploadField(field, maxBytes)(req, res ?? ({} as Response), () => resolve()));
  }
  return uploadOf(req, field);
}
