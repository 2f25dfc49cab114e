// Verifiable print: the short code printed on every generated PDF (with a QR code of the check page's URL) and the
// look-ups behind the public page GET /v/:code. The code derives from the artefact id, which is known before the PDF
// is rendered; the SHA-256 can only be known after, so the page looks the artefact up by code and shows the stored
// hash (docs/reports.md, "Verifiable print").
import { createHash } from 'node:crypto';
import QRCode from 'qrcode';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../persistence/db.js';
import type { VerifyMark } from './render.service.js';

/** Crockford's base32: no I, L, O, U, so a code read off paper is not misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const VERIFY_CODE_LENGTH = 10;
const CODE_RE = new RegExp(`^[${ALPHABET}]{${VERIFY_CODE_LENGTH}}$`);

/**
 * The code of an artefact: 10 base32 characters (50 bits) of SHA-256("baucu:verify:<id>[:<n>]"). Hashing the id
 * (rather than printing part of it) gives every bit of the code the same chance and reveals nothing of the id.
 * `n` > 0 only after a collision with another artefact's code (see {@link allocateVerifyCode}).
 */
export function verifyCodeFor(artefactId: string, n = 0): string {
  const digest = createHash('sha256').update(`baucu:verify:${artefactId}${n ? `:${n}` : ''}`).digest();
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const byte of digest) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < VERIFY_CODE_LENGTH) {
      out += ALPHABET[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
    if (out.length === VERIFY_CODE_LENGTH) break;
  }
  return out;
}

/**
 * A code as typed or scanned → its canonical form, or undefined. Case, spaces and dashes are ignored, and the
 * letters Crockford's alphabet leaves out are read as the digits they look like (O → 0, I and L → 1).
 */
export function normalizeVerifyCode(input: string): string | undefined {
  const s = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return CODE_RE.test(s) ? s : undefined;
}

/** "ABCDE-FGHIJ": how the code is printed and shown (two groups are easier to read aloud and to type). */
export function formatVerifyCode(code: string): string {
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** The public check page of a code: `<base>/v/<code>` (the canonical code, so the QR stays small). */
export function verifyUrl(publicBaseUrl: string, code: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/v/${code}`;
}

/**
 * The code for a new artefact, unused by any other. A collision of 50-bit codes is very unlikely but not
 * impossible over millions of documents; the next candidate is derived deterministically, so a retried job gets the
 * same code again. (The unique index catches the race of two jobs picking one code at once: the loser is retried.)
 */
export async function allocateVerifyCode(em: EntityManager, artefactId: string): Promise<string> {
  for (let n = 0; ; n++) {
    const code = verifyCodeFor(artefactId, n);
    const [taken] = await sql<{ id: string }>(em, 'select id from artefact where verify_code = ?', [code]);
    if (!taken || taken.id === artefactId) return code;
  }
}

/** The footer mark of a PDF: the URL, the printed code and the QR code (SVG, error correction M). */
export async function verifyMark(publicBaseUrl: string, code: string): Promise<VerifyMark> {
  const url = verifyUrl(publicBaseUrl, code);
  const qrSvg = await QRCode.toString(url, { type: 'svg', margin: 0, errorCorrectionLevel: 'M' });
  return { url, code: formatVerifyCode(code), qrSvg: qrSvg.trim() };
}

/** What the check page shows about an artefact. */
export interface VerifiedArtefact {
  id: string;
  kind: string;
  title: string;
  sha256: string;
  size: number;
  format: string | null;
  verifyCode: string;
  createdAt: Date;
  /** The requester's full name; undefined for the system (schedules, imports). */
  createdByName?: string;
  /** The newest artefact of the same report, format and parameters, if newer than this one. */
  newer?: { verifyCode: string | null; createdAt: Date };
}

/** Looks an artefact up by its (canonical) code, with the newest version of the same document. */
export async function findByVerifyCode(em: EntityManager, code: string): Promise<VerifiedArtefact | undefined> {
  const [a] = await sql<{ id: string; kind: string; title: string; sha256: string; size: number; format: string | null; verify_code: string; params: unknown; created_at: Date; full_name: string | null }>(
    em,
    `select a.id, a.kind, a.title, a.sha256, a.size, a.format, a.verify_code, a.params, a.created_at, u.full_name
     from artefact a left join app_user u on u.id::text = a.created_by where a.verify_code = ?`,
    [code],
  );
  if (!a) return undefined;
  // Versions of one document: same report, same format, same parameters (jsonb equality ignores key order).
  const [newer] = await sql<{ verify_code: string | null; created_at: Date }>(
    em,
    `select verify_code, created_at from artefact
     where kind = ? and format is not distinct from ? and params = ?::jsonb and id <> ? and created_at > ?
     order by created_at desc, id desc limit 1`,
    [a.kind, a.format, JSON.stringify(a.params), a.id, a.created_at],
  );
  return {
    id: a.id,
    kind: a.kind,
    title: a.title,
    sha256: a.sha256,
    size: a.size,
    format: a.format,
    verifyCode: a.verify_code,
    createdAt: new Date(a.created_at),
    createdByName: a.full_name ?? undefined,
    newer: newer ? { verifyCode: newer.verify_code, createdAt: new Date(newer.created_at) } : undefined,
  };
}
