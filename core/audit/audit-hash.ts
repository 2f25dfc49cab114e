// The audit chain's hash format (version 1), shared by the writer, the database sealer, the checkpoint job and the
// verifier. Changing anything here breaks every existing chain: it is a file format, not an implementation detail.
//
//   content_hash = sha256_hex(canonicalJson({ action, actor, after, at, before, ip, requestId, result, role, scope,
//                                             targetId, targetType, userAgent }))
//   hash         = sha256_hex(prev_hash + "\n" + seq + "\n" + content_hash)        (prev_hash of seq 1 = 64 × "0")
//
// The content is hashed in its STORED form (see normaliseAuditContent): what PostgreSQL gives back when the row is
// read again, so the verifier recomputes the same bytes from the database and nothing else.
import { hash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** Canonical JSON: keys sorted at every depth, so the hash does not depend on key order. */
export function canonicalJson(v: unknown): string {
  // Written as loops (no map/filter/join): the verifier runs this on every event.
  if (v === null || v === undefined) return 'null';
  if (typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + canonicalJson(v[i]);
    return s + ']';
  }
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length > 1) keys.sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    s += (first ? '' : ',') + JSON.stringify(k) + ':' + canonicalJson(x);
    first = false;
  }
  return s + '}';
}

/** The event fields covered by content_hash, in their stored form. */
export interface AuditContent {
  /** ISO-8601 UTC with milliseconds (see canonicalAt). */
  at: string;
  actor: string;
  role: string | null;
  scope: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  before: unknown;
  after: unknown;
  result: string;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

// PostgreSQL text and jsonb cannot hold U+0000, and the UTF-8 encoder turns a lone UTF-16 surrogate into U+FFFD:
// both are replaced up front so that the hashed string is the one the database keeps.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A string as PostgreSQL stores it (no NUL, no lone surrogate: each becomes U+FFFD). */
export function storableText(s: string): string {
  return s.replace(UNSTORABLE, '\uFFFD');
}

function storableTextOrNull(s: string | null | undefined): string | null {
  return s === null || s === undefined ? null : storableText(String(s));
}

/**
 * A value as jsonb gives it back: JSON round trip (Dates → ISO strings, undefined members dropped, NaN/±Infinity →
 * null, bigint → decimal string, toJSON honoured), strings and keys made storable. Numbers are JavaScript doubles:
 * jsonb keeps their exact decimal and the pg driver parses it back to the same double.
 */
export function storableJson(v: unknown): unknown {
  if (v === undefined) return null;
  const text = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  if (text === undefined) return null; // a function or symbol at the top
  return fixStrings(JSON.parse(text));
}

function fixStrings(v: unknown): unknown {
  if (typeof v === 'string') return storableText(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = fixStrings(v[i]);
    return v;
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) out[storableText(k)] = fixStrings(o[k]);
    return out;
  }
  return v;
}

let lastSecond = NaN;
let lastSecondPrefix = '';

/**
 * The canonical text of a timestamp given as epoch microseconds: `Date.toISOString()` (milliseconds) — what the
 * writer stores. A timestamptz with sub-millisecond digits (never written by the application) keeps them, so it can
 * never match a written hash. Throws for a time JavaScript cannot represent.
 */
export function canonicalAt(epochMicros: bigint | string | number): string {
  const n = typeof epochMicros === 'bigint' ? Number(epochMicros) : Number(epochMicros);
  if (Number.isSafeInteger(n)) {
    // The common case, in plain numbers, formatting each second once (the verifier calls this for every event).
    const ms = Math.floor(n / 1000);
    const micro = n - ms * 1000;
    const sec = Math.floor(ms / 1000);
    if (sec !== lastSecond) {
      lastSecondPrefix = new Date(sec * 1000).toISOString().slice(0, -4); // "YYYY-MM-DDTHH:MM:SS."
      lastSecond = sec;
    }
    return lastSecondPrefix + String(ms - sec * 1000).padStart(3, '0') + (micro === 0 ? '' : String(micro).padStart(3, '0')) + 'Z';
  }
  const us = BigInt(epochMicros);
  let ms = us / 1000n;
  let micro = us % 1000n;
  if (micro < 0n) {
    micro += 1000n;
    ms -= 1n;
  }
  const iso = new Date(Number(ms)).toISOString();
  return micro === 0n ? iso : iso.slice(0, -1) + micro.toString().padStart(3, '0') + 'Z';
}

/** The input fields of an event, before normalisation (what callers of recordAudit pass). */
export interface AuditContentInput {
  at: Date;
  actor: string;
  role?: string | null;
  scope?: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
  result: string;
  requestId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

/** Normalises an event to exactly what the database will store and give back. */
export function normaliseAuditContent(e: AuditContentInput): AuditContent {
  if (!(e.at instanceof Date) || Number.isNaN(e.at.getTime())) throw new Error('audit: invalid event time');
  return {
    at: e.at.toISOString(),
    actor: storableText(String(e.actor)),
    role: storableTextOrNull(e.role),
    scope: storableTextOrNull(e.scope),
    action: storableText(String(e.action)),
    targetType: storableTextOrNull(e.targetType),
    targetId: storableTextOrNull(e.targetId),
    before: storableJson(e.before),
    after: storableJson(e.after),
    result: storableText(String(e.result)),
    requestId: storableTextOrNull(e.requestId),
    ip: storableTextOrNull(e.ip),
    userAgent: storableTextOrNull(e.userAgent),
  };
}

/** The top-level keys of AuditContent in canonical (sorted) order. */
const CONTENT_KEYS = ['action', 'actor', 'after', 'at', 'before', 'ip', 'requestId', 'result', 'role', 'scope', 'targetId', 'targetType', 'userAgent'] as const;

/** canonicalJson(c) for an event's content, without sorting its thirteen known keys each time. */
export function canonicalContent(c: AuditContent): string {
  let s = '{';
  let first = true;
  for (const k of CONTENT_KEYS) {
    const x = c[k];
    if (x === undefined) continue;
    s += (first ? '"' : ',"') + k + '":' + canonicalJson(x);
    first = false;
  }
  return s + '}';
}

// One-shot crypto.hash (Node ≥ 20.12, within package.json's engines) is cheaper than createHash for small inputs.
const sha256hex = (s: string): string => hash('sha256', s, 'hex');

/** sha256 of the canonical JSON of the stored content. */
export function contentHash(c: AuditContent): string {
  return sha256hex(canonicalContent(c));
}

/** The chain link: binds an event's content to its sequence number and to the previous event's hash. */
export function linkHash(prevHash: string, seq: string | bigint | number, contentHashHex: string): string {
  return sha256hex(prevHash + '\n' + String(seq) + '\n' + contentHashHex);
}

/** The full hash of an event at `seq` after `prevHash` (what the database sealer computes at commit). */
export function eventHashOf(prevHash: string, seq: string | bigint | number, c: AuditContent): string {
  return linkHash(prevHash, seq, contentHash(c));
}
