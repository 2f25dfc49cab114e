// Idempotency-Key for machine clients of /api/v1 (docs/api.md): the first request with a key runs and its response is
// kept for 24 h; a retry with the same key and body gets that response again (Idempotent-Replayed: true) without
// running the action — so without a second change and without a second audit event.
import { createHash } from 'node:crypto';
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { MikroORM, EntityManager } from '@mikro-orm/postgresql';
import { sql, exec } from '../persistence/db.js';
import { auditRefusal } from './endpoint.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** How long a key (and its stored response) is kept. */
export const IDEMPOTENCY_TTL_HOURS = 24;
/** How long a request waits for a concurrent one with the same key before answering 409 IDEMPOTENCY_IN_PROGRESS. */
export const IDEMPOTENCY_WAIT_MS = 30_000;
/**
 * A key still "in progress" after this long belongs to a request whose process died; the next retry takes it over.
 * (Should the process have died between committing the change and storing the answer, that retry repeats the change.)
 */
export const IDEMPOTENCY_ABANDONED_MINUTES = 5;
const KEY_FORMAT = /^[\x21-\x7e]{1,200}$/;

/**
 * Responses worth replaying: the outcome of the action (success, or refused input / conflict). Authentication,
 * permission, rate-limit and server failures are not stored: the key is released and a retry runs again.
 */
function storable(status: number): boolean {
  return status < 500 && ![401, 403, 408, 429].includes(status);
}

/** Stable JSON (sorted keys), so the same body hashes the same however its fields were ordered. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    return `{${Object.keys(v as object).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  if (Buffer.isBuffer(v)) return JSON.stringify('sha256:' + createHash('sha256').update(v).digest('hex'));
  return JSON.stringify(v) ?? 'null';
}

/**
 * sha256 of the request body as parsed (JSON or form), canonicalised; an uploaded file (multer before this
 * middleware) counts by its bytes.
 */
export function bodyHash(req: Request): string {
  const f = (req as Request & { file?: { fieldname: string; buffer?: Buffer } }).file;
  const body = { body: req.body ?? null, file: f?.buffer ? { field: f.fieldname, bytes: f.buffer } : null };
  return createHash('sha256').update(canonical(body)).digest('hex');
}

interface KeyRow {
  method: string;
  path: string;
  body_hash: string;
  status: number | null;
  response: { json?: string; location?: string; contentType?: string } | null;
  completed_at: Date | string | null;
}

/**
 * A refused request is recorded like every refusal (one audit event for the request); a replay is not a new request
 * and writes none.
 */
async function problem(req: Request, res: Response, status: number, code: string, messageKey: string): Promise<void> {
  await auditRefusal(req, 'core.api.idempotency', 'rejected', undefined, { code, path: req.originalUrl.split('?')[0].slice(0, 200) });
  res.status(status).json({ error: { code, message: req.scope.t(messageKey) } });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Express middleware for POST /api/v1 routes: with an Idempotency-Key header (1–200 visible ASCII chars), the first
 * request runs and its response (status + JSON body) is stored; the same key with the same body (sha256 of the
 * canonical JSON) replays the stored response with header Idempotent-Replayed: true; the same key with a different
 * body (or another method or path) → 409 IDEMPOTENCY_KEY_REUSED; concurrent requests with the same key → exactly one
 * runs (insert-first with ON CONFLICT DO NOTHING; the others poll until it completes, at most IDEMPOTENCY_WAIT_MS,
 * and replay). Missing key → passes through (400 IDEMPOTENCY_KEY_REQUIRED when `required`). Keys are per actor
 * (session user or API token owner) and expire after 24 h (expired rows are deleted on insert; a key left in progress for 5 minutes is taken over). Anonymous requests
 * pass through: they are refused by the route anyway.
 */
export function idempotent(orm: MikroORM, opts: { required?: boolean } = {}): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = req.get(IDEMPOTENCY_HEADER);
    if (key === undefined) {
      if (opts.required && req.scope.actor.kind !== 'anonymous') return problem(req, res, 400, 'IDEMPOTENCY_KEY_REQUIRED', 'api.idempotency_required');
      return next();
    }
    if (!KEY_FORMAT.test(key)) return problem(req, res, 400, 'IDEMPOTENCY_KEY_INVALID', 'api.idempotency_invalid');
    if (req.scope.actor.kind === 'anonymous') return next();
    const actor = req.scope.actor.id;
    const method = req.method.toUpperCase();
    const path = req.originalUrl.split('?')[0].slice(0, 500);
    const hash = bodyHash(req);
    // Its own EntityManager and no transaction: the key must be visible to concurrent requests at once, and must
    // not be rolled back with the action's transaction.
    const em = orm.em.fork() as EntityManager;
    const until = Date.now() + IDEMPOTENCY_WAIT_MS;
    for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
      // Expired, or abandoned (its process died mid-request: no request runs for minutes): free for this request.
      await exec(em, `delete from idempotency_key where actor = ? and key = ?
        and (created_at < now() - make_interval(hours => ?) or (completed_at is null and created_at < now() - make_interval(mins => ?)))`,
        [actor, key, IDEMPOTENCY_TTL_HOURS, IDEMPOTENCY_ABANDONED_MINUTES]);
      const inserted = await sql(em, `insert into idempotency_key (actor, key, method, path, body_hash) values (?, ?, ?, ?, ?) on conflict do nothing returning key`,
        [actor, key, method, path, hash]);
      if (inserted.length) break;
      const [row] = await sql<KeyRow>(em, 'select method, path, body_hash, status, response, completed_at from idempotency_key where actor = ? and key = ?', [actor, key]);
      if (!row) continue; // released between our insert and our read: try to take it
      if (row.method !== method || row.path !== path || row.body_hash !== hash) {
        return problem(req, res, 409, 'IDEMPOTENCY_KEY_REUSED', 'api.idempotency_reused');
      }
      if (row.completed_at && row.status !== null) return replay(res, row);
      if (Date.now() > until) {
        res.setHeader('Retry-After', '1');
        return problem(req, res, 409, 'IDEMPOTENCY_IN_PROGRESS', 'api.idempotency_in_progress');
      }
      await sleep(pause);
    }
    // This request owns the key: run it, store what it answered (before answering, so a retry that follows the
    // response always finds it), or release the key when the outcome is not one to replay.
    occasionallyPurge(em);
    let settled = false;
    const settle = async (status: number, response: KeyRow['response']) => {
      if (settled) return;
      settled = true;
      if (storable(status)) {
        await exec(em, `update idempotency_key set status = ?, response = ?::jsonb, completed_at = now() where actor = ? and key = ?`,
          [status, JSON.stringify(response), actor, key]);
      } else {
        await exec(em, 'delete from idempotency_key where actor = ? and key = ?', [actor, key]);
      }
    };
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (settled) return json(body);
      // Kept as the exact text sent (jsonb would reorder the keys), so a replay is byte for byte the first answer.
      const status = res.statusCode;
      settle(status, { json: JSON.stringify(body) ?? 'null' })
        .catch((e) => req.log?.error({ err: e }, 'idempotency: storing the response failed'))
        .finally(() => json(body));
      return res;
    };
    // A redirect or other non-JSON answer: its status and Location are kept (after it is sent).
    res.on('finish', () => {
      if (!settled) void settle(res.statusCode, { location: res.getHeader('location') as string | undefined, contentType: res.getHeader('content-type') as string | undefined }).catch(() => undefined);
    });
    // A client that hangs up does not release the key: the action still completes and its answer is stored above.
    next();
  };
}

function replay(res: Response, row: KeyRow): void {
  res.setHeader('Idempotent-Replayed', 'true');
  res.status(row.status!);
  const r = row.response ?? {};
  if (r.location) res.setHeader('Location', r.location);
  if (r.json !== undefined) res.type('application/json').send(r.json);
  else res.end();
}

let inserts = 0;
/** Now and then, expired keys of every actor go too (one statement, indexed on created_at). */
function occasionallyPurge(em: EntityManager): void {
  if (++inserts % 200 !== 0) return;
  void exec(em, `delete from idempotency_key where created_at < now() - make_interval(hours => ?)`, [IDEMPOTENCY_TTL_HOURS]).catch(() => undefined);
}
