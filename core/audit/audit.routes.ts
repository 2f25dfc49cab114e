// The audit viewer (issue 3 point 9): GET /admin/audit lists the trail newest first with filters and pages, each event
// expandable; GET /admin/audit/export.csv streams the same selection as CSV (UTF-8 with BOM, CSV-injection safe).
// Both need core.audit.view on the actor's own scope, and both only ever read inside the actor's visible scope
// (auditVisibility): filters narrow that scope, never widen it.
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Render } from '../http/render.js';
import { pageParams } from '../http/render.js';
import { guard, zodIssues, type PipelineDeps } from '../http/endpoint.js';
import { NATION, type Assignment, type Target } from '../auth/policy.js';
import { describeVia } from '../auth/actor.js';
import { sql } from '../persistence/db.js';
import { AppException, appError } from '../shared/result.js';
import { recordAudit, type AuditResult } from './audit.service.js';
import { CSV_BOM, csvCell, csvLine } from '../shared/csv.js';

/** The CSV field writer moved to core/shared/csv.ts (reports use it too); re-exported for existing callers. */
export { csvCell };

export const AUDIT_VIEW = 'core.audit.view';
/** Audit action of a CSV export (exporting the trail, with its IPs and user agents, is itself worth a record). */
export const AUDIT_EXPORT_ACTION = 'core.audit.export';
export const AUDIT_PAGE_SIZE = 50;
/** Counting stops here: an exact count of millions of rows would cost more than the page itself. */
export const AUDIT_COUNT_CAP = 10_000;
export const AUDIT_EXPORT_MAX = 100_000;
const EXPORT_BATCH = 1000;
/** Longest before/after JSON shown on the page (the CSV has it in full). */
const JSON_DISPLAY_MAX = 20_000;

export const AUDIT_RESULTS: readonly AuditResult[] = ['success', 'rejected', 'denied', 'failed'];

export interface AuditRouteDeps {
  pipeline: PipelineDeps;
}

// ---------------------------------------------------------------------------------------------------------------
// Filters: parsed at the boundary

/** `datetime-local` (YYYY-MM-DDTHH:MM[:SS[.mmm]]) or a bare date, as typed by hand. */
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;
const optText = (max: number) => z.string().max(max).optional().transform((v) => v?.trim() || undefined);
const optTime = z.string().max(40).optional()
  .transform((v) => v?.trim() || undefined)
  .refine((v) => v === undefined || vnLocalTime(v, 'start') !== undefined, { message: 'invalid date/time' });

export const auditFilterInput = z.object({
  actor: optText(100),
  action: optText(100),
  targetType: optText(60),
  targetId: optText(200),
  scope: optText(100),
  result: z.union([z.enum(AUDIT_RESULTS as [AuditResult, ...AuditResult[]]), z.literal('')]).optional().transform((v) => v || undefined),
  from: optTime,
  to: optTime,
});
export type AuditFilters = z.infer<typeof auditFilterInput>;
const FILTER_KEYS = Object.keys(auditFilterInput.shape) as (keyof AuditFilters)[];

/** Vietnam has kept UTC+7 without daylight saving since 1975: the offset is a constant. */
const VN_OFFSET_MS = 7 * 3600_000;

/**
 * A wall-clock time in Asia/Ho_Chi_Minh → the instant. 'start' gives the moment itself; 'end' gives the first instant
 * AFTER the typed unit (a minute, a second or a whole day), so "to 10:30" includes 10:30:59. Undefined when invalid.
 */
export function vnLocalTime(s: string, edge: 'start' | 'end'): Date | undefined {
  const m = LOCAL_TIME.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h = '0', mi = '0', sec = '0', ms = '0'] = m.slice(1).map((x) => x ?? undefined) as string[];
  const msNum = Number(ms.padEnd(3, '0'));
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), msNum);
  const check = new Date(utc);
  // Reject what Date.UTC would silently roll over (31 February, 25:00).
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)
    || check.getUTCHours() !== Number(h) || check.getUTCMinutes() !== Number(mi) || check.getUTCSeconds() !== Number(sec)) return undefined;
  const unit = m[7] !== undefined ? 1 : m[6] !== undefined ? 1000 : m[4] !== undefined ? 60_000 : 86_400_000;
  return new Date(utc - VN_OFFSET_MS + (edge === 'end' ? unit : 0));
}

/** An instant as ISO 8601 in Vietnam time: 2026-05-24T14:30:00.123+07:00. */
export function vnIso(d: Date): string {
  return new Date(d.getTime() + VN_OFFSET_MS).toISOString().replace('Z', '+07:00');
}

/** 24/05/2026 14:30:05, Vietnam time (seconds matter in an audit trail). */
function vnText(d: Date): string {
  const i = vnIso(d);
  return `${i.slice(8, 10)}/${i.slice(5, 7)}/${i.slice(0, 4)} ${i.slice(11, 19)}`;
}

/** The filters that are set, as query parameters. */
const filterQuery = (f: AuditFilters): Record<string, string> =>
  Object.fromEntries(FILTER_KEYS.filter((k) => f[k] !== undefined).map((k) => [k, String(f[k])]));

function parseFilters(req: Request): AuditFilters {
  const raw: Record<string, unknown> = {};
  for (const k of FILTER_KEYS) if (req.query[k] !== undefined) raw[k] = req.query[k];
  const parsed = auditFilterInput.safeParse(raw);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? '');
    const label = req.scope.t(`audit.f.${field.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())}`);
    throw new AppException(appError('INPUT_INVALID', 'audit.filter_invalid', 400, { field: label }, zodIssues(parsed.error)));
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------------------------
// Scope: what the actor may see

interface Condition {
  sql: string;
  params: unknown[];
}

/**
 * Events recorded within a tree node, by the event's `scope` column ('province:79', 'commune:26737', optionally
 * '@<electionId>'). A province covers its current communes (admin_unit.parent_code, valid_to null); any other node
 * matches itself only. With an election id, only events scoped to that election.
 */
function nodeCondition(scopeType: string, scopeCode: string, electionId?: string | null): Condition {
  const base = `${scopeType}:${scopeCode}`;
  let c: Condition = scopeType === 'province'
    ? {
      sql: `(split_part(e.scope, '@', 1) = ? or split_part(e.scope, '@', 1) in (select 'commune:' || au.code from admin_unit au
             where au.level = 'commune' and au.parent_code = ? and au.valid_to is null))`,
      params: [base, scopeCode],
    }
    : { sql: `split_part(e.scope, '@', 1) = ?`, params: [base] };
  if (electionId) c = { sql: `(${c.sql} and split_part(e.scope, '@', 2) = ?)`, params: [...c.params, electionId] };
  return c;
}

/** The viewing assignments: those whose role holds core.audit.view. */
function viewingAssignments(req: Request, d: AuditRouteDeps): Assignment[] {
  const roles = d.pipeline.policy.permission(AUDIT_VIEW)?.roles ?? [];
  return req.scope.actor.assignments.filter((a) => roles.includes(a.role));
}

/**
 * The events an actor may see (docs/audit.md, "The viewer"): a nation-level viewing assignment sees everything,
 * events without a scope included; otherwise the union of its assignments' subtrees, by the event's scope column.
 * An assignment bound to an election sees only events scoped to that election.
 */
export function auditVisibility(viewing: Assignment[]): Condition & { all: boolean } {
  if (viewing.some((a) => a.scopeType === 'nation' && !a.electionId)) return { all: true, sql: 'true', params: [] };
  const parts: Condition[] = viewing.map((a) => (a.scopeType === 'nation'
    ? { sql: `split_part(e.scope, '@', 2) = ?`, params: [a.electionId] }
    : nodeCondition(a.scopeType, a.scopeCode, a.electionId)));
  if (!parts.length) return { all: false, sql: 'false', params: [] };
  return { all: false, sql: '(' + parts.map((p) => p.sql).join(' or ') + ')', params: parts.flatMap((p) => p.params) };
}

/** The actor's first scope holding the permission (as users.routes.ts: list pages act on one's own scope). */
function ownScope(req: Request, d: AuditRouteDeps): Target {
  const a = viewingAssignments(req, d)[0];
  return a ? { type: a.scopeType, code: a.scopeCode } : { type: 'nation', code: NATION };
}

const UUID_RE = `'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;
/** A text column as a uuid, or null — the CASE keeps PostgreSQL from casting anything that is not one. */
const asUuid = (col: string) => `(case when ${col} ~ ${UUID_RE} then ${col}::uuid end)`;

interface ResolvedActor {
  /** Actor column values to match. */
  ids: string[];
  user?: { id: string; username: string; full_name: string };
}

/** The actor filter: a username (its account id, and its failed sign-ins 'login:<username>') or an actor id as typed. */
async function resolveActor(em: EntityManager, actor: string): Promise<ResolvedActor> {
  // Decided here, not in SQL: PostgreSQL folds a constant `'…'::uuid` at plan time, whatever guards it.
  const byId = new RegExp(UUID_RE.slice(1, -1), 'i').test(actor);
  const [user] = await sql<{ id: string; username: string; full_name: string }>(em,
    `select id::text as id, username, full_name from app_user where ${byId ? 'id = cast(? as uuid)' : 'lower(username) = lower(?)'} limit 1`, [actor]);
  if (!user) return { ids: [actor] };
  return { ids: [...new Set([actor, user.id, `login:${user.username.toLowerCase()}`])], user };
}

/** Escapes LIKE wildcards for a prefix match. */
const likePrefix = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c) + '%';

/** The WHERE clause (on `audit_event e`) for the actor's visibility AND the filters. */
async function buildWhere(em: EntityManager, viewing: Assignment[], f: AuditFilters): Promise<Condition & { actor?: ResolvedActor }> {
  const vis = auditVisibility(viewing);
  const where: string[] = [vis.sql];
  const params: unknown[] = [...vis.params];
  let actor: ResolvedActor | undefined;
  if (f.actor) {
    actor = await resolveActor(em, f.actor);
    where.push(`e.actor in (${actor.ids.map(() => '?').join(', ')})`);
    params.push(...actor.ids);
  }
  if (f.action) {
    where.push(`e.action like ? escape '\\'`);
    params.push(likePrefix(f.action));
  }
  if (f.targetType) {
    where.push('e.target_type = ?');
    params.push(f.targetType);
  }
  if (f.targetId) {
    where.push('e.target_id = ?');
    params.push(f.targetId);
  }
  if (f.scope) {
    const m = /^([a-z-]+):([^@\s]+)(?:@(\S+))?$/.exec(f.scope);
    const c = m ? nodeCondition(m[1], m[2], m[3]) : { sql: 'e.scope = ?', params: [f.scope] };
    where.push(c.sql);
    params.push(...c.params);
  }
  if (f.result) {
    where.push('e.result = ?');
    params.push(f.result);
  }
  if (f.from) {
    where.push('e.at >= ?');
    params.push(vnLocalTime(f.from, 'start'));
  }
  if (f.to) {
    where.push('e.at < ?');
    params.push(vnLocalTime(f.to, 'end'));
  }
  return { sql: where.join(' and '), params, actor };
}

interface EventRow {
  seq: string;
  /** UTC ISO text (the driver hands timestamptz back as text in the server's format; this one is unambiguous). */
  at_iso: string;
  actor: string;
  role: string | null;
  scope: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  before: unknown;
  after: unknown;
  result: string;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  hash: string;
  username: string | null;
  full_name: string | null;
  target_username: string | null;
  target_full_name: string | null;
}

/** Events of one page or batch, newest first, with the actor's (and a user target's) account names. */
async function selectEvents(em: EntityManager, w: Condition, o: { limit: number; offset?: number; beforeSeq?: string }): Promise<EventRow[]> {
  const keyset = o.beforeSeq ? ' and e.seq < cast(? as bigint)' : '';
  return sql<EventRow>(em, `
    select e.seq::text as seq, to_char(e.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at_iso, e.actor, e.role, e.scope, e.action, e.target_type, e.target_id, e.before, e.after, e.result,
           e.request_id, e.ip, e.user_agent, e.hash, u.username, u.full_name, tu.username as target_username, tu.full_name as target_full_name
    from (select * from audit_event e where ${w.sql}${keyset} order by e.seq desc limit ? offset ?) e
    left join app_user u on u.id = ${asUuid('e.actor')}
    left join app_user tu on e.target_type = 'user' and tu.id = ${asUuid('e.target_id')}
    order by e.seq desc`,
  [...w.params, ...(o.beforeSeq ? [o.beforeSeq] : []), o.limit, o.offset ?? 0]);
}

// ---------------------------------------------------------------------------------------------------------------
// CSV

const csvJson = (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v));

const CSV_COLUMNS: [string, (r: EventRow) => unknown][] = [
  ['seq', (r) => r.seq],
  ['at', (r) => vnIso(new Date(r.at_iso))],
  ['actor', (r) => r.actor],
  ['username', (r) => r.username],
  ['full_name', (r) => r.full_name],
  ['role', (r) => r.role],
  ['scope', (r) => r.scope],
  ['action', (r) => r.action],
  ['target_type', (r) => r.target_type],
  ['target_id', (r) => r.target_id],
  ['result', (r) => r.result],
  ['before', (r) => csvJson(r.before)],
  ['after', (r) => csvJson(r.after)],
  ['request_id', (r) => r.request_id],
  ['ip', (r) => r.ip],
  ['user_agent', (r) => r.user_agent],
  ['hash', (r) => r.hash],
];


// ---------------------------------------------------------------------------------------------------------------
// Page view model

function prettyJson(v: unknown): { text: string; truncated: boolean } | undefined {
  if (v === null || v === undefined) return undefined;
  const text = JSON.stringify(v, null, 2);
  return text.length > JSON_DISPLAY_MAX ? { text: text.slice(0, JSON_DISPLAY_MAX), truncated: true } : { text, truncated: false };
}

/** Names of the provinces and communes the page's scopes refer to (current names). */
async function unitNames(em: EntityManager, scopes: (string | null)[]): Promise<Map<string, string>> {
  const keys = new Set<string>();
  for (const s of scopes) {
    const base = s?.split('@')[0];
    if (base && /^(province|commune):[0-9A-Za-z]+$/.test(base)) keys.add(base);
  }
  if (!keys.size) return new Map();
  const list = [...keys];
  const rows = await sql<{ k: string; name: string }>(em,
    `select level || ':' || code as k, name from admin_unit where valid_to is null and level || ':' || code in (${list.map(() => '?').join(', ')})`, list);
  return new Map(rows.map((r) => [r.k, r.name]));
}

export function auditRoutes(d: AuditRouteDeps) {
  return (render: Render): Router => {
    const r = Router();
    const viewGuard = guard(d.pipeline, AUDIT_VIEW, (req) => ownScope(req, d));
    const tr = (req: Request, key: string, fallback: string, params?: Record<string, unknown>) => {
      const s = req.scope.t(key, params);
      return s === key ? fallback : s;
    };

    /** "Whom I see": the visible scopes in words, for the page's lead. */
    const visibleText = async (req: Request, viewing: Assignment[]): Promise<string> => {
      if (auditVisibility(viewing).all) return req.scope.t('audit.visible_all');
      const names = await unitNames(req.scope.em, viewing.map((a) => `${a.scopeType}:${a.scopeCode}`));
      const parts = viewing.map((a) => {
        const key = `${a.scopeType}:${a.scopeCode}`;
        const name = names.get(key) ?? key;
        const text = a.scopeType === 'province' ? req.scope.t('audit.visible_province', { name }) : name;
        return a.electionId ? req.scope.t('audit.visible_election', { scope: text, election: a.electionId }) : text;
      });
      return req.scope.t('audit.visible_scopes', { scopes: [...new Set(parts)].join('; ') });
    };

    r.get('/admin/audit', viewGuard, async (req, res) => {
      const f = parseFilters(req);
      const em = req.scope.em;
      const viewing = viewingAssignments(req, d);
      const w = await buildWhere(em, viewing, f);
      const { page: asked, size } = pageParams(req.query, AUDIT_PAGE_SIZE);
      const maxPage = Math.ceil(AUDIT_COUNT_CAP / size);
      const [{ n }] = await sql<{ n: number }>(em, `select count(*)::int as n from (select 1 from audit_event e where ${w.sql} limit ?) x`, [...w.params, AUDIT_COUNT_CAP + 1]);
      const capped = n > AUDIT_COUNT_CAP;
      const pages = Math.max(1, Math.min(maxPage, Math.ceil(n / size)));
      const page = Math.min(asked, pages);
      const rows = await selectEvents(em, w, { limit: size, offset: (page - 1) * size });
      const names = await unitNames(em, rows.map((x) => x.scope));
      const t = req.scope.t;
      const events = rows.map((e) => {
        const [scopeBase, election] = e.scope?.split('@') ?? [];
        const actorText = e.username ? `${e.full_name} (${e.username})`
          : e.actor === 'system' ? t('audit.system')
            : e.actor === 'anonymous' ? t('audit.anonymous')
              : e.actor.startsWith('login:') ? t('audit.failed_login', { username: e.actor.slice(6) })
                : e.actor;
        return {
          seq: e.seq,
          atIso: vnIso(new Date(e.at_iso)),
          atText: vnText(new Date(e.at_iso)),
          actor: e.actor,
          actorText,
          action: e.action,
          // Line breaks after the dots only (never inside "count-minutes"): each part is kept whole by the stylesheet.
          actionParts: e.action.split(/(?<=\.)/),
          targetType: e.target_type,
          targetId: e.target_id,
          targetText: e.target_username ? `${e.target_full_name} (${e.target_username})` : undefined,
          scope: e.scope,
          scopeBase,
          scopeName: scopeBase ? names.get(scopeBase) : undefined,
          // An election id is a uuid: its first block is enough to tell elections apart on screen (the title has it all).
          electionShort: election ? t('audit.election', { id: election.slice(0, 8) + (election.length > 8 ? '…' : '') }) : undefined,
          election,
          role: e.role,
          roleText: e.role ? tr(req, `role.${e.role}`, e.role) : undefined,
          result: e.result,
          resultText: tr(req, `audit.result.${e.result}`, e.result),
          resultHint: tr(req, `audit.result_hint.${e.result}`, ''),
          before: prettyJson(e.before),
          after: prettyJson(e.after),
          requestId: e.request_id,
          ip: e.ip,
          userAgent: e.user_agent,
          hashPrefix: e.hash.slice(0, 16),
        };
      });
      const qs = (extra: Record<string, unknown> = {}) => {
        const p = new URLSearchParams();
        for (const [k, v] of Object.entries({ ...filterQuery(f), ...(size !== AUDIT_PAGE_SIZE ? { size } : {}), ...extra })) if (v !== undefined) p.set(k, String(v));
        const s = p.toString();
        return s ? '?' + s : '';
      };
      render(req, res, 'audit/index', {
        f,
        events,
        filtered: Object.keys(filterQuery(f)).length > 0,
        results: AUDIT_RESULTS.map((value) => ({ value, label: t(`audit.result.${value}`), selected: f.result === value })),
        actorResolved: f.actor && w.actor?.user ? t('audit.actor_resolved', { username: w.actor.user.username, name: w.actor.user.full_name }) : undefined,
        actorUnknown: f.actor && !w.actor?.user ? t('audit.actor_unknown', { actor: f.actor }) : undefined,
        visible: await visibleText(req, viewing),
        countText: capped ? t('audit.count_capped', { total: AUDIT_COUNT_CAP }) : t('audit.count', { total: n }),
        capped,
        pager: pages > 1 ? {
          status: t('audit.pager_status', { page, pages }),
          prev: page > 1 ? qs({ page: page - 1 }) : undefined,
          next: page < pages ? qs({ page: page + 1 }) : undefined,
        } : undefined,
        exportHref: '/admin/audit/export.csv' + qs(),
        exportHint: t('audit.export_hint', { max: AUDIT_EXPORT_MAX }),
      }, { title: t('audit.title'), nav: 'audit' });
    });

    r.get('/admin/audit/export.csv', viewGuard, async (req, res) => {
      const f = parseFilters(req);
      const viewing = viewingAssignments(req, d);
      const w = await buildWhere(req.scope.em, viewing, f);
      const stamp = vnIso(new Date()).slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
      res.status(200);
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="nhat-ky-kiem-toan-${stamp}.csv"`);
      res.setHeader('Cache-Control', 'no-store');
      let closed = false;
      res.on('close', () => {
        closed = true;
      });
      const write = async (chunk: string) => {
        if (res.write(chunk) || closed) return;
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      };
      let rows = 0;
      let truncated = false;
      let failed = false;
      try {
        // The BOM makes Excel read the file as UTF-8 (Vietnamese diacritics); the header row follows the UI language.
        await write(CSV_BOM + csvLine(CSV_COLUMNS.map(([k]) => req.scope.t(`audit.csv.${k}`))));
        // Keyset batches on seq (the chain order): stable while new events are appended above the first batch.
        let beforeSeq: string | undefined;
        while (!closed) {
          const want = Math.min(EXPORT_BATCH, AUDIT_EXPORT_MAX - rows);
          const batch = await selectEvents(req.scope.em, w, { limit: want + 1, beforeSeq });
          const take = batch.slice(0, want);
          if (take.length) await write(take.map((e) => csvLine(CSV_COLUMNS.map(([, get]) => get(e)))).join(''));
          rows += take.length;
          if (batch.length <= want) break;
          if (rows >= AUDIT_EXPORT_MAX) {
            truncated = true;
            break;
          }
          beforeSeq = take[take.length - 1].seq;
        }
      } catch (e) {
        failed = true;
        req.log?.error({ err: e }, 'audit export failed');
      }
      // Recorded before the response ends, so the event exists once the download is complete (and also when the
      // client gave up half-way, or the export failed).
      const complete = !failed && !closed;
      await req.scope.em.fork().transactional(async (tx) => {
        await recordAudit(tx as EntityManager, {
          actor: req.scope.actor.id, ...describeVia(viewing[0]), action: AUDIT_EXPORT_ACTION, result: failed ? 'failed' : 'success',
          targetType: 'audit-export', after: { filters: filterQuery(f), rows, truncated, complete },
          requestId: req.scope.requestId, ip: req.ip, userAgent: req.get('user-agent')?.slice(0, 200),
        });
      }).catch((e) => req.log?.error({ err: e }, 'audit export: could not record the export'));
      // Headers are gone, so the error boundary cannot answer: a failed export is cut off, never passed off as whole.
      if (failed) res.destroy();
      else res.end();
    });

    return r;
  };
}
