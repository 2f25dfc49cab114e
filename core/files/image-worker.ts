// Image re-encoding off the event loop: decoding and re-encoding an A4 scan in pure JavaScript takes seconds of CPU
// and hundreds of MB, so it runs in a worker thread (at most IMAGE_WORKERS at a time, queued), never in the request's
// thread. The worker is plain CommonJS evaluated from a string, so it runs alike under tsx, vitest and compiled node.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(import.meta.url);
const PATHS = { jpegPath: require.resolve('jpeg-js'), pngPath: require.resolve('pngjs') };

/** Concurrent re-encodes: each may hold ~300 MB; leave a core for the web server. */
export const IMAGE_WORKERS = Math.max(1, Math.min(2, os.availableParallelism() - 1));
/** A re-encode running longer than this is abandoned (the upload is refused as unreadable). */
export const IMAGE_TIMEOUT_MS = 120_000;

const SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const jpeg = require(workerData.jpegPath);
const { PNG } = require(workerData.pngPath);

// EXIF orientation 2-8 applied to RGBA pixels (5-8 swap width and height).
function orient(img, o) {
  if (!(o >= 2 && o <= 8)) return img;
  const w = img.width, h = img.height, data = img.data;
  const swap = o >= 5, W = swap ? h : w, H = swap ? w : h;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let nx, ny;
      switch (o) {
        case 2: nx = w - 1 - x; ny = y; break;
        case 3: nx = w - 1 - x; ny = h - 1 - y; break;
        case 4: nx = x; ny = h - 1 - y; break;
        case 5: nx = y; ny = x; break;
        case 6: nx = h - 1 - y; ny = x; break;
        case 7: nx = h - 1 - y; ny = w - 1 - x; break;
        default: nx = y; ny = w - 1 - x;
      }
      const si = (y * w + x) * 4, di = (ny * W + nx) * 4;
      out[di] = data[si]; out[di + 1] = data[si + 1]; out[di + 2] = data[si + 2]; out[di + 3] = data[si + 3];
    }
  }
  return { data: out, width: W, height: H };
}

const { kind, bytes, orientation, maxPixels } = workerData;
try {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let out;
  if (kind === 'png') {
    // IHDR: width and height at bytes 16..23, checked before allocating anything.
    if (buf.length < 24 || buf.readUInt32BE(16) * buf.readUInt32BE(20) > maxPixels) throw new Error('too many pixels');
    const img = PNG.sync.read(buf);
    if (!img.width || !img.height) throw new Error('empty image');
    // Keep a grey scan grey (a quarter of the size of RGBA); palettes become RGBA. Only pixels are written: no
    // text, time, gamma or private chunks.
    const source = buf[25];
    const colorType = source === 0 || source === 2 || source === 4 ? source : 6;
    out = PNG.sync.write({ width: img.width, height: img.height, data: img.data }, { colorType, inputColorType: 6, inputHasAlpha: true });
  } else {
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: 1024 });
    if (!img.width || !img.height) throw new Error('empty image');
    // Only the pixels go to the encoder: jpeg-js would write back img.exifBuffer and img.comments.
    out = jpeg.encode(orient({ data: img.data, width: img.width, height: img.height }, orientation), 90).data;
  }
  parentPort.postMessage({ ok: true, out: new Uint8Array(out.buffer, out.byteOffset, out.byteLength) });
} catch (e) {
  parentPort.postMessage({ ok: false, reason: String(e && e.message || e).slice(0, 200) });
}
`;

let running = 0;
const waiting: (() => void)[] = [];

async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= IMAGE_WORKERS) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/**
 * Decodes and re-encodes an image in a worker thread: only pixels survive (no EXIF, text chunks or appended
 * payloads); a JPEG's EXIF orientation is applied to the pixels first. Undefined when the image does not decode.
 */
export function reencodeImage(kind: 'png' | 'jpeg', bytes: Buffer, orientation: number, maxPixels: number): Promise<{ ok: true; bytes: Buffer } | { ok: false; reason: string }> {
  return slot(() => new Promise((resolve) => {
    const w = new Worker(SOURCE, { eval: true, workerData: { ...PATHS, kind, bytes: new Uint8Array(bytes), orientation, maxPixels } });
    let done = false;
    const finish = (r: { ok: true; bytes: Buffer } | { ok: false; reason: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void w.terminate();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout' }), IMAGE_TIMEOUT_MS);
    w.once('message', (m: { ok: boolean; out?: Uint8Array; reason?: string }) =>
      finish(m.ok && m.out ? { ok: true, bytes: Buffer.from(m.out.buffer, m.out.byteOffset, m.out.byteLength) } : { ok: false, reason: m.reason ?? 'failed' }));
    w.once('error', (e) => finish({ ok: false, reason: String(e.message).slice(0, 200) }));
    w.once('exit', (code) => finish({ ok: false, reason: `worker exited (${code})` }));
  }));
}
