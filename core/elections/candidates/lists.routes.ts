// Pages and actions of the official lists (issue 5 points 4–7): the allocation page of a contest in a place (each
// unit's seats, list size, rule 17 status and structure at a glance), a unit's list (assign / unassign qualified
// candidates, the exception decision, finalise / reopen, export), the import (upload, report, template), the XLSX
// exports and the structure statistics page. Reads need core.candidates.view on the place; writes
// core.candidates.manage on the level that decides (NEC for NA units, the council's level otherwise), each through
// mountAction (audited in its transaction, phase-gated by the 'candidates' form family).
import fs from 'node:fs';
import path from 'node:path';
import { Router, type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../../config/config.js';
import type { Render } from '../../http/render.js';
import { pageParams, pager } from '../../http/render.js';
import type { JobService } from '../../jobs/job.service.js';
import type { KernelDeps } from '../../kernel/module.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import { AppException, appError, err, ok, type FieldIssue } from '../../shared/result.js';
import { newId, UUID_RE } from '../../shared/ids.js';
import { collationKey, normalizeName, searchKey } from '../../shared/vn-text.js';
import { formatPercent, percent } from '../../shared/percent.js';
import { sql } from '../../persistence/db.js';
import { NATION, type Target } from '../../auth/policy.js';
import { authorize, auditRefusal, mountAction, registerMutating } from '../../http/endpoint.js';
import { formatOf } from '../../admin-tree/tree-file.js';
import type { ContestTypeDef } from '../../plugin-api/contest-type.js';
import { minListSize } from './rules.js';
import { AGE_BANDS, EDUCATION_BANDS, type CandidateStatistics, type Indicator } from './statistics.js';
import {
  assignCandidate, clearException, finaliseUnit, recordException, reopenUnit, surplusIssues, unassignCandidate, unitLabel,
} from './allocation.js';
import {
  councilOfUnit, exceptionOf, getUnit, loadListsElection, placeName, placeTarget, unallocated, unitCandidates, unitManageTarget,
  unitSummaries, unitViewTarget, type ListsElection, type UnitRow,
} from './lists.store.js';
import { MAPPINGS, STATUS_VI } from './import-format.js';
import { getRun, recordImportRequest, sha256, type ImportScope } from './import.service.js';
import { TEMPLATE_FILE, templateCsv, templateXlsx } from './import-template.js';
import { exportUnits } from './export.js';
import { ROUNDS, scopeStatistics, type Round } from './statistics.queries.js';

export interface ListsRouteDeps {
  config: Config;
  jobs: JobService;
  access: KernelDeps['access'];
  registry: PluginRegistry;
}

export const VIEW = 'core.candidates.view';
export const MANAGE = 'core.candidates.manage';
const FORM = 'candidates';
const UPLOAD_ACTION = 'core.candidate-lists.import.request';
const MAX_UPLOAD_MB = 50;
const uuid = z.string().uuid();
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const PLACE_RE = /^(VN|\d{2}|\d{5})$/;
// Sortable columns of the allocation page; the first is the default. 'number' is the store order (place code, then
// unit number), so it stays a total order when a province or the nation shows units of several places.
const UNIT_SORTS = ['number', 'label', 'seats', 'assigned', 'status', 'women'] as const;
type UnitSort = (typeof UNIT_SORTS)[number];
type SortDir = 'asc' | 'desc';
// Status in the order of progress: what still needs work first.
const STATUS_ORDER: Record<string, number> = { short: 0, exception: 1, ok: 2, final: 3 };

class UploadRefused extends Error {
  constructor(readonly messageKey: string, readonly params: Record<string, string | number> = {}, readonly status = 400) {
    super(messageKey);
  }
}

const isoDate = z.string().trim().max(20).transform((v, ctx) => {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v) ?? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: 'date' });
    return z.NEVER;
  }
  const [y, mo, d] = v.includes('/') ? [m[3], m[2], m[1]] : [m[1], m[2], m[3]];
  const iso = `${y}-${mo.padStart(2, '0')}-${d.padStart(2, '0')}`;
  const dt = new Date(iso + 'T00:00:00Z');
  if (isNaN(dt.getTime()) || dt.toISOString().slice(0, 10) !== iso) {
    ctx.addIssue({ code: 'custom', message: 'date' });
    return z.NEVER;
  }
  return iso;
});
const reqText = (max: number) => z.string().max(max).transform((v) => normalizeName(v)).pipe(z.string().min(1).max(max));

export function listsRoutes(d: ListsRouteDeps) {
  const uploadsDir = path.join(d.config.dataDir, 'uploads', 'candidates');
  fs.mkdirSync(uploadsDir, { recursive: true });
  const upload = multer({
    storage: multer.diskStorage({ destination: uploadsDir, filename: (_req, _f, cb) => cb(null, newId()) }),
    limits: { fileSize: MAX_UPLOAD_MB * 1024 * 1024, files: 1, fields: 10, parts: 12 },
    fileFilter: (_req, file, cb) => {
      if (!formatOf(file.originalname)) cb(new UploadRefused('candidate-lists.import.bad_type', { file: file.originalname }, 415));
      else cb(null, true);
    },
    defParamCharset: 'utf8',
  } as multer.Options);
  const p = d.access.pipeline;

  return (render: Render): Router => {
    const r = Router();
    const base = (e: { id: string }) => `/elections/${e.id}/candidate-lists`;

    async function electionOf(req: Request, id = String(req.params.id)): Promise<ListsElection> {
      const e = uuid.safeParse(id).success ? await loadListsElection(req.scope.em, d.registry, id) : undefined;
      if (!e) throw new AppException(appError('NOT_FOUND', 'elections.not_found', 404));
      return e;
    }

    async function canView(req: Request, res: Response, target: Target): Promise<boolean> {
      if (req.scope.actor.kind === 'anonymous' && req.accepts(['html', 'json']) === 'html') {
        res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
        return false;
      }
      await authorize(p, req, VIEW, target);
      return true;
    }

    async function allowed(req: Request, permission: string, target: Target): Promise<boolean> {
      if (req.scope.actor.kind === 'anonymous') return false;
      return (await p.policy.decide(req.scope.em, req.scope.actor.assignments, permission, target)).allowed;
    }

    /** The place an account starts at: the nation if it reaches it, else its first province / commune assignment. */
    async function homePlace(req: Request, e: ListsElection): Promise<string> {
      if (await allowed(req, VIEW, placeTarget('VN', e.id))) return 'VN';
      for (const a of req.scope.actor.assignments.filter((x) => !x.electionId || x.electionId === e.id)) {
        if (a.scopeType === 'province' || a.scopeType === 'commune') return a.scopeCode;
      }
      return 'VN';
    }

    function contestOf(e: ListsElection, id: string): ContestTypeDef {
      const c = e.contests.find((x) => x.id === id) ?? e.contests[0];
      if (!c) throw new AppException(appError('NOT_FOUND', 'candidate-lists.error.no_contest', 404));
      return c;
    }

    const pct = (req: Request, n: number, total: number) => formatPercent(percent(n, total), req.scope.lang);

    async function unitOf(req: Request, e: ListsElection): Promise<UnitRow> {
      const id = String(req.params.unitId);
      const u = UUID_RE.test(id) ? await getUnit(req.scope.em, e, id) : undefined;
      if (!u) throw new AppException(appError('NOT_FOUND', 'candidate-lists.error.unit_not_found', 404));
      return u;
    }

    // --- the allocation page -----------------------------------------------------------------------------------

    r.get('/elections/:id/candidate-lists', async (req, res) => {
      const e = await electionOf(req);
      const tt = req.scope.t;
      const contest = contestOf(e, str(req.query.contest));
      const place = PLACE_RE.test(str(req.query.place)) ? str(req.query.place) : await homePlace(req, e);
      if (!(await canView(req, res, placeTarget(place, e.id)))) return;
      const em = req.scope.em;
      const all = await unitSummaries(em, e, contest.id, place);
      const rows = all.map((u) => {
        const required = minListSize(contest, u.seats) ?? u.seats;
        const status = u.official > 0 ? 'final' : u.assigned >= required ? 'ok' : u.exception_no ? 'exception' : 'short';
        return {
          ...u, label: u.place_name ?? u.description ?? '', required, status, statusLabel: tt(`candidate-lists.status.${status}`, { short: required - u.assigned }),
          women: pct(req, u.women, u.assigned), ethnic: pct(req, u.ethnic_minority, u.assigned), nonParty: pct(req, u.non_party, u.assigned), href: `${base(e)}/units/${u.id}`,
        };
      });
      const totals = {
        units: rows.length, final: rows.filter((x) => x.status === 'final').length, short: rows.filter((x) => x.status === 'short').length,
        seats: rows.reduce((a, x) => a + x.seats, 0), candidates: rows.reduce((a, x) => a + x.assigned, 0),
      };
      if (req.accepts(['html', 'json']) === 'json') {
        res.json({ electionId: e.id, contest: contest.id, place, totals, units: rows.map(({ id, number, seats, assigned, official, required, status, exception_no }) => ({ id, number, seats, assigned, official, required, status, exception: exception_no })) });
        return;
      }
      // Search (accent-free, on the place name / description / unit name, or the unit number when digits are typed)
      // and sort happen on the whole place before the page is cut; the totals above stay those of the whole place.
      const q = str(req.query.q).trim().slice(0, 100);
      const key = searchKey(q);
      const sortParam = str(req.query.sort);
      const sortGiven = (UNIT_SORTS as readonly string[]).includes(sortParam);
      const cur: { sort: UnitSort; dir: SortDir } = { sort: sortGiven ? (sortParam as UnitSort) : UNIT_SORTS[0], dir: req.query.dir === 'desc' ? 'desc' : 'asc' };
      const keyed = rows.map((u, i) => ({
        u, i, sortKey: collationKey(u.label || u.name), womenPct: percent(all[i].women, u.assigned),
        hay: ' ' + searchKey([u.label, u.name, u.description ?? ''].join(' ')),
      }));
      const found = !key ? keyed : keyed.filter((x) => (/^\d{1,6}$/.test(key) ? x.u.number === Number(key) : x.hay.includes(' ' + key)));
      type Keyed = (typeof keyed)[number];
      const cmp: Record<UnitSort, (a: Keyed, b: Keyed) => number> = {
        number: (a, b) => a.i - b.i,
        label: (a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0),
        seats: (a, b) => a.u.seats - b.u.seats,
        assigned: (a, b) => a.u.assigned - b.u.assigned,
        status: (a, b) => STATUS_ORDER[a.u.status] - STATUS_ORDER[b.u.status],
        women: (a, b) => a.womenPct - b.womenPct,
      };
      const sign = cur.dir === 'desc' ? -1 : 1;
      const shown = [...found].sort((a, b) => sign * cmp[cur.sort](a, b) || a.i - b.i).map((x) => x.u);
      const filterQuery = { contest: contest.id, place, q: q || undefined, size: /^\d{1,3}$/.test(str(req.query.size)) ? str(req.query.size) : undefined };
      const query = { ...filterQuery, sort: sortGiven ? cur.sort : undefined, dir: sortGiven && cur.dir === 'desc' ? 'desc' : undefined };
      const sorts: Record<string, { href: string; aria: string; arrow: string }> = {};
      for (const c of UNIT_SORTS) {
        const active = cur.sort === c;
        const qs = new URLSearchParams();
        for (const [k, v] of Object.entries({ ...filterQuery, sort: c, dir: active && cur.dir === 'asc' ? 'desc' : 'asc' })) if (v !== undefined && v !== '') qs.set(k, String(v));
        sorts[c] = { href: `${base(e)}?${qs}`, aria: active ? (cur.dir === 'asc' ? 'ascending' : 'descending') : 'none', arrow: active ? (cur.dir === 'asc' ? '▲' : '▼') : '' };
      }
      const { page, size, offset } = pageParams(req.query, 50);
      const council = contest.id === 'national-assembly' ? 'VN' : place;
      const canManage = await allowed(req, MANAGE, contest.id === 'national-assembly' ? placeTarget('VN', e.id) : placeTarget(place, e.id));
      render(req, res, 'candidate-lists/index', {
        election: e, base: base(e), contest: { id: contest.id, label: contest.shortLabel }, place, placeName: (await placeName(em, e.electionDay, place)) ?? tt('candidate-lists.nation'),
        contests: e.contests.map((c) => ({ id: c.id, label: c.shortLabel, selected: c.id === contest.id })),
        units: shown.slice(offset, offset + size), page: pager(page, size, shown.length), query, exportQuery: { contest: contest.id, place },
        q, found: shown.length, sorts, sort: query.sort, dir: query.dir,
        totals, csrfToken: res.locals.csrfToken ?? '',
        canFinaliseAll: canManage && (contest.unitLevel === 'province' ? place.length === 2 || place === 'VN' : place.length === 5) && totals.final < totals.units,
        unallocated: (await sql<{ n: number }>(em, `select count(*)::int as n from candidate where election_id = ? and contest = ? and status = 'qualified' and unit_id is null${council === 'VN' || contest.id === 'national-assembly' ? '' : ' and council_code = ?'}`,
          council === 'VN' || contest.id === 'national-assembly' ? [e.id, contest.id] : [e.id, contest.id, council]))[0].n,
        statsHref: `/elections/${e.id}/candidate-statistics?contest=${contest.id}&place=${place}&round=official`,
      }, { title: `${tt('candidate-lists.title')} · ${contest.shortLabel}`, nav: 'elections' });
    });

    // --- one unit's list ----------------------------------------------------------------------------------------

    interface UnitPageExtra {
      status?: number;
      errors?: { code: string; field?: string; message: string }[];
      form?: Record<string, string>;
    }

    async function unitPage(req: Request, res: Response, e: ListsElection, u: UnitRow, x: UnitPageExtra = {}): Promise<void> {
      const tt = req.scope.t;
      const em = req.scope.em;
      const contest = contestOf(e, u.contest);
      const list = await unitCandidates(em, u.id);
      const final = list.some((c) => c.status === 'official');
      const exception = await exceptionOf(em, u.id);
      const issues = await surplusIssues(em, contest, u, list.length);
      const required = minListSize(contest, u.seats) ?? u.seats;
      const canManage = await allowed(req, MANAGE, unitManageTarget(u));
      const q = searchKey(str(req.query.q)).slice(0, 100);
      const pool = canManage && !final ? await unallocated(em, e.id, u.contest, councilOfUnit(u), q, 100) : [];
      const stats = await scopeStatistics(em, { electionId: e.id, electionDay: e.electionDay, contest, unitId: u.id, round: 'all' });
      const glance = ['women', 'ethnicMinority', 'nonParty', 'under40'] as const;
      render(req, res, 'candidate-lists/unit', {
        election: e, base: base(e), unit: { ...u, label: unitLabel(u) }, contest: { id: contest.id, label: contest.shortLabel },
        backHref: `${base(e)}?contest=${u.contest}&place=${u.contest === 'national-assembly' && u.parent_code !== 'VN' ? u.province_code ?? u.parent_code : u.parent_code}`,
        required, count: list.length, final, exception, csrfToken: res.locals.csrfToken ?? '', canManage, q: str(req.query.q),
        surplus: issues.map((i) => ({ code: i.code, severity: i.severity, message: tt(i.code === 'LIST_SURPLUS_SHORT' ? 'candidate-lists.error.surplus_short' : i.messageKey, { ...i.params, short: Number(i.params.required) - Number(i.params.candidates) }) })),
        ok: !issues.some((i) => i.severity === 'error'),
        candidates: list.map((c, i) => ({
          ...c, no: c.ballot_order ?? i + 1, genderLabel: tt(`candidate-lists.gender.${c.gender}`), statusLabel: STATUS_VI[c.status] ?? c.status,
          dob: c.date_of_birth ? c.date_of_birth.split('-').reverse().join('/') : c.date_of_birth_text ?? '', party: c.party_member ? tt('candidate-lists.yes') : tt('candidate-lists.no'),
          published: (c.details as { publishedBallotOrder?: number })?.publishedBallotOrder,
        })),
        pool: pool.map((c) => ({ ...c, dob: c.date_of_birth ? c.date_of_birth.split('-').reverse().join('/') : c.date_of_birth_text ?? '', genderLabel: tt(`candidate-lists.gender.${c.gender}`) })),
        glance: glance.map((k) => ({ label: tt(`candidates.stat.${k}`), count: (stats.stats[k] as Indicator).count, percent: formatPercent((stats.stats[k] as Indicator).percent, req.scope.lang) })),
        targets: stats.targets.map((t) => ({ ...t, title: tt(t.titleKey), percentText: formatPercent(t.percent, req.scope.lang), met: t.met, reference: t.level === 'national' })),
        errors: x.errors ?? [], form: x.form ?? {}, statsHref: `/elections/${e.id}/candidate-statistics?contest=${u.contest}&unit=${u.id}&round=all`,
        today: new Date().toISOString().slice(0, 10),
      }, { title: `${unitLabel(u)} · ${contest.shortLabel}`, nav: 'elections', status: x.status });
    }

    r.get('/elections/:id/candidate-lists/units/:unitId', async (req, res, next) => {
      if (!UUID_RE.test(String(req.params.unitId))) return next();
      const e = await electionOf(req);
      const u = await unitOf(req, e);
      if (!(await canView(req, res, unitViewTarget(u)))) return;
      if (req.accepts(['html', 'json']) === 'json') {
        const list = await unitCandidates(req.scope.em, u.id);
        const contest = contestOf(e, u.contest);
        const issues = await surplusIssues(req.scope.em, contest, u, list.length);
        res.json({
          id: u.id, contest: u.contest, number: u.number, seats: u.seats, required: minListSize(contest, u.seats), final: list.some((c) => c.status === 'official'),
          exception: (await exceptionOf(req.scope.em, u.id)) ?? null,
          issues: issues.map((i) => ({ code: i.code, severity: i.severity, message: req.scope.t(i.messageKey, i.params) })),
          candidates: list.map((c) => ({ id: c.id, fullName: c.full_name, status: c.status, ballotOrder: c.ballot_order })),
        });
        return;
      }
      await unitPage(req, res, e, u);
    });

    r.get('/elections/:id/candidate-lists/units/:unitId/export.xlsx', async (req, res) => {
      const e = await electionOf(req);
      const u = await unitOf(req, e);
      if (!(await canView(req, res, unitViewTarget(u)))) return;
      await exportUnits(req.scope.em, res, [{ ...u }], `danh-sach-${u.contest}-${u.parent_code}-don-vi-${u.number}`);
    });

    r.get('/elections/:id/candidate-lists/export.xlsx', async (req, res) => {
      const e = await electionOf(req);
      const contest = contestOf(e, str(req.query.contest));
      const place = PLACE_RE.test(str(req.query.place)) ? str(req.query.place) : 'VN';
      if (!(await canView(req, res, placeTarget(place, e.id)))) return;
      const ids = (await unitSummaries(req.scope.em, e, contest.id, place)).map((u) => u.id);
      const units: UnitRow[] = [];
      for (const id of ids.slice(0, 1000)) units.push((await getUnit(req.scope.em, e, id))!);
      await exportUnits(req.scope.em, res, units, `danh-sach-${contest.id}-${place}`);
    });

    // --- actions on a unit ----------------------------------------------------------------------------------------

    const unitTarget = async (i: { id: string; unitId: string }, em: EntityManager): Promise<Target> => {
      const e = await loadListsElection(em, d.registry, i.id);
      const u = e ? await getUnit(em, e, i.unitId) : undefined;
      // An unknown unit reaches nobody: the policy refuses it and the refusal is audited.
      return u ? unitManageTarget(u) : { type: 'commune', code: 'x', electionId: i.id };
    };
    async function lockUnit(em: EntityManager, i: { id: string; unitId: string }) {
      const e = await loadListsElection(em, d.registry, i.id);
      const u = e ? await getUnit(em, e, i.unitId, true) : undefined;
      return e && u ? { e, u, contest: contestOf(e, u.contest) } : undefined;
    }
    const notFound = () => err(appError('NOT_FOUND', 'candidate-lists.error.unit_not_found', 404));
    const json = (req: Request, v: unknown) => (req.accepts(['html', 'json']) === 'json' ? v : undefined);
    const unitHref = (e: { id: string }, u: { id: string }, hash = '') => `${base(e)}/units/${u.id}${hash}`;
    const ids = z.object({ id: uuid, unitId: uuid });

    mountAction(r, p, {
      id: 'core.candidate-lists.assign', form: FORM, method: 'post', path: '/elections/:id/candidate-lists/units/:unitId/assign', permission: MANAGE,
      input: ids.extend({ candidateId: uuid }).strict(),
      target: (i, _req, em) => unitTarget(i, em),
      handle: async (i, ctx) => {
        const l = await lockUnit(ctx.em, i);
        if (!l) return notFound();
        const out = await assignCandidate(ctx.em, l.u, i.candidateId, ctx.actor.id);
        if (!out.ok) return out;
        return ok({
          targetType: 'candidate', targetId: i.candidateId, before: { unitId: null }, after: { unitId: l.u.id },
          redirect: unitHref(l.e, l.u, '#list'), flash: ctx.t('candidate-lists.flash.assigned', { name: out.value.candidate.full_name }), json: json(ctx.req, { ok: true }),
        });
      },
    });

    mountAction(r, p, {
      id: 'core.candidate-lists.unassign', form: FORM, method: 'post', path: '/elections/:id/candidate-lists/units/:unitId/unassign', permission: MANAGE,
      input: ids.extend({ candidateId: uuid }).strict(),
      target: (i, _req, em) => unitTarget(i, em),
      handle: async (i, ctx) => {
        const l = await lockUnit(ctx.em, i);
        if (!l) return notFound();
        const out = await unassignCandidate(ctx.em, l.u, i.candidateId, ctx.actor.id);
        if (!out.ok) return out;
        return ok({
          targetType: 'candidate', targetId: i.candidateId, before: { unitId: l.u.id }, after: { unitId: null },
          redirect: unitHref(l.e, l.u, '#list'), flash: ctx.t('candidate-lists.flash.unassigned', { name: out.value.candidate.full_name }), json: json(ctx.req, { ok: true }),
        });
      },
    });

    mountAction(r, p, {
      id: 'core.candidate-lists.exception.record', form: FORM, method: 'post', path: '/elections/:id/candidate-lists/units/:unitId/exception', permission: MANAGE,
      input: ids.extend({ decisionNo: reqText(100), decisionDate: isoDate, body: reqText(300), note: z.string().max(1000).optional().transform((v) => (v && normalizeName(v)) || null) }).strict(),
      target: (i, _req, em) => unitTarget(i, em),
      handle: async (i, ctx) => {
        const l = await lockUnit(ctx.em, i);
        if (!l) return notFound();
        const before = (await exceptionOf(ctx.em, l.u.id)) ?? null;
        const x = { decisionNo: i.decisionNo, decisionDate: i.decisionDate, body: i.body, note: i.note };
        await recordException(ctx.em, l.u, x, ctx.actor.id);
        return ok({ targetType: 'electoral_unit', targetId: l.u.id, before, after: x, redirect: unitHref(l.e, l.u), flash: ctx.t('candidate-lists.flash.exception_recorded'), json: json(ctx.req, { ok: true }) });
      },
    });

    mountAction(r, p, {
      id: 'core.candidate-lists.exception.clear', form: FORM, method: 'post', path: '/elections/:id/candidate-lists/units/:unitId/exception/delete', permission: MANAGE,
      input: ids.strict(),
      target: (i, _req, em) => unitTarget(i, em),
      handle: async (i, ctx) => {
        const l = await lockUnit(ctx.em, i);
        if (!l) return notFound();
        const before = (await exceptionOf(ctx.em, l.u.id)) ?? null;
        const out = await clearException(ctx.em, l.contest, l.u);
        if (!out.ok) return out;
        return ok({ targetType: 'electoral_unit', targetId: l.u.id, before, after: null, redirect: unitHref(l.e, l.u), flash: ctx.t('candidate-lists.flash.exception_cleared'), json: json(ctx.req, { ok: true }) });
      },
    });

    mountAction(r, p, {
      id: 'core.candidate-lists.finalise', form: FORM, method: 'post', path: '/elections/:id/candidate-lists/units/:unitId/finalise', permission: MANAGE,
      input: ids.strict(),
      target: (i, _req, em) => unitTarget(i, em),
      handle: async (i, ctx) => {
        const l = await lockUnit(ctx.em, i);
        if (!l) return notFound();
        const out = await finaliseUnit(ctx.em, l.contest, l.u, ctx.actor.id);
        if (!out.ok) return out;
        const order = out.value.order.map((o) => ({ id: o.id, ballotOrder: o.ballotOrder }));
        return ok({
          targetType: 'electoral_unit', targetId: l.u.id, before: { final: false }, after: { final: true, order, warnings: out.value.warnings.map((w) => w.code) },
          redirect: unitHref(l.e, l.u, '#list'), flash: ctx.t('candidate-lists.flash.finalised', { n: order.length }),
          json: json(ctx.req, { ok: true, order, warnings: out.value.warnings.map((w) => ({ code: w.code, message: ctx.t(w.messageKey, w.params) })) }),
        });
      },
    });

    mountAction(r, p, {
      id: 'core.candidate-lists.reopen', form: FORM, method: 'post', path: '/elections/:id/candidate-lists/units/:unitId/reopen', permission: MANAGE,
      input: ids.strict(),
      target: (i, _req, em) => unitTarget(i, em),
      handle: async (i, ctx) => {
        const l = await lockUnit(ctx.em, i);
        if (!l) return notFound();
        const out = await reopenUnit(ctx.em, l.u, ctx.actor.id);
        if (!out.ok) return out;
        return ok({ targetType: 'electoral_unit', targetId: l.u.id, before: { final: true }, after: { final: false, count: out.value.count }, redirect: unitHref(l.e, l.u, '#list'), flash: ctx.t('candidate-lists.flash.reopened'), json: json(ctx.req, { ok: true }) });
      },
    });

    // Finalising every list of a place at once (the NEC announcing all NA lists): all or nothing, one audit event.
    mountAction(r, p, {
      id: 'core.candidate-lists.finalise-all', form: FORM, method: 'post', path: '/elections/:id/candidate-lists/finalise', permission: MANAGE,
      input: z.object({ id: uuid, contest: z.string().max(60), place: z.string().regex(PLACE_RE) }).strict(),
      target: (i) => (i.contest === 'national-assembly' ? placeTarget('VN', i.id) : placeTarget(i.place, i.id)),
      handle: async (i, ctx) => {
        const e = await loadListsElection(ctx.em, d.registry, i.id);
        const contest = e?.contests.find((c) => c.id === i.contest);
        if (!e || !contest) return err(appError('NOT_FOUND', 'candidate-lists.error.no_contest', 404));
        const units = (await unitSummaries(ctx.em, e, contest.id, i.place)).filter((u) => u.official === 0);
        const details: FieldIssue[] = [];
        let done = 0;
        let candidates = 0;
        for (const s of units) {
          const u = (await getUnit(ctx.em, e, s.id, true))!;
          const out = await finaliseUnit(ctx.em, contest, u, ctx.actor.id);
          if (!out.ok) details.push(...(out.error.details ?? []));
          else {
            done++;
            candidates += out.value.order.length;
          }
        }
        // All or nothing: a refusal rolls the transaction back, so no list of the place is finalised.
        if (details.length) return err(appError(details[0].code, 'candidate-lists.error.finalise_all_refused', 409, { count: details.length }, details.slice(0, 50)));
        return ok({
          targetType: 'council', targetId: `${contest.id}:${i.place}`, after: { units: done, candidates },
          redirect: `${base(e)}?contest=${contest.id}&place=${i.place}`, flash: ctx.t('candidate-lists.flash.finalised_all', { units: done, n: candidates }),
          json: json(ctx.req, { ok: true, units: done, candidates }),
        });
      },
    });

    // --- import -----------------------------------------------------------------------------------------------

    function manageScopes(req: Request, e: ListsElection): ImportScope[] {
      const roles = p.policy.permission(MANAGE)?.roles ?? [];
      const out: ImportScope[] = [];
      for (const a of req.scope.actor.assignments) {
        if (!roles.includes(a.role) || (a.electionId && a.electionId !== e.id)) continue;
        if ((a.scopeType === 'nation' || a.scopeType === 'province' || a.scopeType === 'commune') && !out.some((o) => o.type === a.scopeType && o.code === a.scopeCode)) {
          out.push({ type: a.scopeType, code: a.scopeCode });
        }
      }
      return out.sort((a, b) => ['nation', 'province', 'commune'].indexOf(a.type) - ['nation', 'province', 'commune'].indexOf(b.type));
    }

    async function importPage(req: Request, res: Response, e: ListsElection, status = 200, error?: string) {
      const scopes = manageScopes(req, e);
      const { page, size, offset } = pageParams(req.query, 20);
      const mine = !scopes.some((s) => s.type === 'nation');
      const where = mine ? 'and created_by = ?' : '';
      const args = mine ? [e.id, req.scope.actor.id] : [e.id];
      const runs = await sql<Record<string, unknown>>(req.scope.em,
        `select id, status, scope_type, scope_code, mapping, file->>'fileName' as file_name, rows_total, (summary->>'added')::int as added, (summary->>'changed')::int as changed,
                (summary->>'noChanges')::boolean as no_changes, (report->>'errorCount')::int as error_count, created_at
           from candidate_import_run where election_id = ? ${where} order by created_at desc limit ? offset ?`, [...args, size, offset]);
      const [{ n }] = await sql<{ n: number }>(req.scope.em, `select count(*)::int as n from candidate_import_run where election_id = ? ${where}`, args);
      const names = new Map<string, string>();
      for (const s of scopes) if (s.type !== 'nation') names.set(s.code, (await placeName(req.scope.em, e.electionDay, s.code)) ?? s.code);
      render(req, res, 'candidate-lists/import', {
        election: e, base: base(e), maxMb: MAX_UPLOAD_MB, csrfToken: res.locals.csrfToken ?? '',
        scopes: scopes.map((s) => ({ value: s.type === 'nation' ? '' : s.code, label: s.type === 'nation' ? req.scope.t('candidate-lists.nation') : `${names.get(s.code)} (${s.code})` })),
        mappings: Object.keys(MAPPINGS).map((m) => ({ value: m, label: req.scope.t(`candidate-lists.mapping.${m}`) })),
        runs, page: pager(page, size, n),
      }, { title: req.scope.t('candidate-lists.import.title'), nav: 'elections', status, flash: error ? { kind: 'error', text: error } : undefined });
    }

    r.get('/elections/:id/candidate-lists/import', async (req, res) => {
      const e = await electionOf(req);
      if (req.scope.actor.kind === 'anonymous') return void res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
      if (!manageScopes(req, e).length) await authorize(p, req, MANAGE, { type: 'nation', code: NATION, electionId: e.id });
      await importPage(req, res, e);
    });

    r.get('/elections/:id/candidate-lists/import/template.:ext', async (req, res) => {
      await electionOf(req);
      if (req.scope.actor.kind === 'anonymous') {
        if (req.accepts(['html', 'json']) === 'html') return void res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
        throw new AppException(appError('AUTH_REQUIRED', 'auth.login_required', 401));
      }
      if (req.params.ext === 'csv') res.type('text/csv; charset=utf-8').attachment(`${TEMPLATE_FILE}.csv`).send(templateCsv());
      else if (req.params.ext === 'xlsx') res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').attachment(`${TEMPLATE_FILE}.xlsx`).send(await templateXlsx());
      else throw new AppException(appError('NOT_FOUND', 'error.not_found', 404));
    });

    const uploadInput = z.object({ scope: z.string().regex(/^(\d{2}|\d{5})?$/).optional().default(''), mapping: z.enum(Object.keys(MAPPINGS) as [string, ...string[]]).optional().default('template') });

    registerMutating(r, 'post', '/elections/:id/candidate-lists/import', UPLOAD_ACTION);
    r.post('/elections/:id/candidate-lists/import', async (req, res) => {
      const id = String(req.params.id);
      const refuse = async (status: number, key: string, params: Record<string, string | number> = {}, e?: ListsElection) => {
        if (req.file?.path) fs.rmSync(req.file.path, { force: true });
        await auditRefusal(req, UPLOAD_ACTION, 'rejected', undefined, { status, key });
        if (!e) throw new AppException(appError(status === 404 ? 'NOT_FOUND' : 'INPUT_INVALID', key, status, params));
        return importPage(req, res, e, status, req.scope.t(key, params));
      };
      if (req.scope.actor.kind === 'anonymous') {
        await auditRefusal(req, UPLOAD_ACTION, 'denied', undefined, { reason: 'anonymous' });
        throw new AppException(appError('AUTH_REQUIRED', 'auth.login_required', 401));
      }
      const e = uuid.safeParse(id).success ? await loadListsElection(req.scope.em, d.registry, id) : undefined;
      if (!e) return refuse(404, 'elections.not_found');
      const gate = await p.formGate?.(req.scope.em, e.id, FORM);
      if (gate && !gate.open) return refuse(409, 'elections.form_closed', { phase: req.scope.t(gate.phaseKey) }, e);
      try {
        await new Promise<void>((resolve, reject) => upload.single('file')(req, res, (x: unknown) => (x ? reject(x) : resolve())));
      } catch (x) {
        if (x instanceof UploadRefused) return refuse(x.status, x.messageKey, x.params, e);
        if (x instanceof multer.MulterError) return refuse(x.code === 'LIMIT_FILE_SIZE' ? 413 : 400, x.code === 'LIMIT_FILE_SIZE' ? 'candidate-lists.import.too_large' : 'candidate-lists.import.upload_failed', { mb: MAX_UPLOAD_MB }, e);
        throw x;
      }
      const parsed = uploadInput.safeParse(req.body ?? {});
      if (!parsed.success) return refuse(400, 'candidate-lists.import.bad_form', {}, e);
      const code = parsed.data.scope;
      const scope: ImportScope = code.length === 2 ? { type: 'province', code } : code.length === 5 ? { type: 'commune', code } : { type: 'nation', code: NATION };
      try {
        await authorize(p, req, MANAGE, { type: scope.type, code: scope.code, electionId: e.id });
      } catch (x) {
        if (req.file?.path) fs.rmSync(req.file.path, { force: true });
        throw x;
      }
      const file = req.file;
      if (!file) return refuse(400, 'candidate-lists.import.no_file', {}, e);
      if (file.size === 0) return refuse(400, 'candidate-lists.import.empty_file', { file: file.originalname }, e);
      const buf = await fs.promises.readFile(file.path);
      const isZip = buf.length >= 4 && buf.readUInt32BE(0) === 0x504b0304;
      const fmt = formatOf(file.originalname)!;
      if ((fmt === 'xlsx') !== isZip) return refuse(400, 'candidate-lists.import.bad_content', { file: file.originalname, ext: '.' + fmt }, e);
      const out = await req.scope.em.fork().transactional((tx) => recordImportRequest(tx as EntityManager, d.jobs, {
        electionId: e.id, scope, mapping: parsed.data.mapping, file: { source: file.path, fileName: file.originalname, size: file.size, sha256: sha256(buf) },
        createdBy: req.scope.actor.id, requestId: req.scope.requestId, ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null,
      }));
      await d.jobs.dispatch(out.jobRunId);
      res.redirect(303, `${base(e)}/imports/${out.runId}`);
    });

    r.get('/elections/:id/candidate-lists/imports/:runId', async (req, res) => {
      const e = await electionOf(req);
      const runId = String(req.params.runId);
      const run = UUID_RE.test(runId) ? await getRun(req.scope.em, runId) : undefined;
      if (!run || run.election_id !== e.id) throw new AppException(appError('NOT_FOUND', 'candidate-lists.import.not_found', 404));
      if (run.created_by !== req.scope.actor.id && !(await canView(req, res, { type: run.scope_type, code: run.scope_code, electionId: e.id }))) return;
      const show = (i: FieldIssue) => ({ ...i, message: req.scope.t(i.messageKey, i.params) });
      const errors = (run.report?.errors ?? []).map(show);
      const warnings = (run.report?.warnings ?? []).map(show);
      if (req.accepts(['html', 'json']) === 'json') {
        res.json({ id: run.id, status: run.status, rowsTotal: run.rows_total, summary: run.summary, errorCount: run.report?.errorCount ?? 0, truncated: run.report?.truncated ?? 0, errors, warnings, jobRunId: run.job_run_id });
        return;
      }
      const { page, size, offset } = pageParams(req.query, 50);
      const job = run.status === 'queued' || run.status === 'running' ? (run.job_run_id ? await d.jobs.get(run.job_run_id) : undefined) : undefined;
      render(req, res, 'candidate-lists/import-report', {
        election: e, base: base(e), run, errors: errors.slice(offset, offset + size), errorTotal: run.report?.errorCount ?? 0,
        page: errors.length > size ? pager(page, size, errors.length) : undefined, warnings: warnings.slice(0, 500), warningTotal: warnings.length,
        truncated: run.report?.truncated ?? 0, job, failedError: run.summary?.error,
      }, { title: req.scope.t('candidate-lists.import.report_title'), nav: 'elections' });
    });

    // --- structure statistics ------------------------------------------------------------------------------------

    r.get('/elections/:id/candidate-statistics', async (req, res) => {
      const e = await electionOf(req);
      const tt = req.scope.t;
      const contest = contestOf(e, str(req.query.contest));
      const round: Round = (ROUNDS as readonly string[]).includes(str(req.query.round)) ? (str(req.query.round) as Round) : 'all';
      let unit: UnitRow | undefined;
      if (UUID_RE.test(str(req.query.unit))) unit = await getUnit(req.scope.em, e, str(req.query.unit));
      const place = unit ? unit.parent_code : PLACE_RE.test(str(req.query.place)) ? str(req.query.place) : await homePlace(req, e);
      if (!(await canView(req, res, unit ? unitViewTarget(unit) : placeTarget(place, e.id)))) return;
      const s = await scopeStatistics(req.scope.em, { electionId: e.id, electionDay: e.electionDay, contest, place, unitId: unit?.id, round });
      if (req.accepts(['html', 'json']) === 'json') {
        res.json({ contest: contest.id, place, unitId: unit?.id ?? null, round, stats: s.stats, targets: s.targets, groups: s.groups.map((g) => ({ key: g.key, total: g.stats.total, women: g.stats.women, ethnicMinority: g.stats.ethnicMinority, nonParty: g.stats.nonParty })) });
        return;
      }
      const lang = req.scope.lang;
      const fp = (n: number) => formatPercent(n, lang);
      const ind = (k: keyof CandidateStatistics) => {
        const v = s.stats[k] as Indicator;
        return { label: tt(`candidates.stat.${k}`), count: v.count, percent: fp(v.percent), unknown: v.unknown };
      };
      const indicators = (['women', 'ethnicMinority', 'nonParty', 'under40', 'religious', 'selfNominated', 'central', 'local'] as const).map(ind);
      const band = (title: string, prefix: string, keys: readonly string[], b: Record<string, { count: number; percent: number }>) => ({
        title, rows: [...keys, 'unknown'].map((k) => ({ label: tt(k === 'unknown' ? 'candidates.stat.unknown' : `${prefix}${k}`), count: b[k].count, percent: fp(b[k].percent) })),
      });
      const breakdowns = [
        band(tt('candidate-lists.stats.history'), 'candidates.stat.', ['incumbent', 'formerDeputy', 'firstTime'], s.stats.deputyHistory),
        band(tt('candidate-lists.stats.education'), 'candidates.band.education.', EDUCATION_BANDS, s.stats.education),
        band(tt('candidate-lists.stats.age'), 'candidates.band.age.', AGE_BANDS, s.stats.age),
      ];
      const unitNames = new Map<string, string>();
      if (!unit && place !== 'VN') for (const u of await unitSummaries(req.scope.em, e, contest.id, place)) unitNames.set(u.id, `${u.name}${u.place_name ? ' · ' + u.place_name : ''}`);
      const groupName = async (k: string) => (unitNames.get(k) ?? (/^\d{2}$/.test(k) ? (await placeName(req.scope.em, e.electionDay, k)) ?? k : k || tt('candidate-lists.stats.unallocated')));
      const groups = [];
      for (const g of s.groups) {
        groups.push({
          name: await groupName(g.key), total: g.stats.total, women: fp(g.stats.women.percent), ethnic: fp(g.stats.ethnicMinority.percent), nonParty: fp(g.stats.nonParty.percent),
          under40: fp(g.stats.under40.percent),
          // A group is a province (national scope) or a unit: only targets declared for that level are judged there.
          targets: g.targets.filter((t) => t.level === (place === 'VN' ? 'province' : 'commune')).length ? g.targets.filter((t) => t.level === (place === 'VN' ? 'province' : 'commune')).every((t) => t.met !== false) : undefined,
        });
      }
      render(req, res, 'candidate-lists/statistics', {
        election: e, base: base(e), contest: { id: contest.id, label: contest.shortLabel }, contests: e.contests.map((c) => ({ id: c.id, label: c.shortLabel, selected: c.id === contest.id })),
        rounds: ROUNDS.map((x) => ({ id: x, label: tt(`candidate-lists.round.${x}`), selected: x === round })), place, unit: unit ? { ...unit, label: unitLabel(unit) } : undefined,
        scopeName: unit ? unitLabel(unit) : (await placeName(req.scope.em, e.electionDay, place)) ?? tt('candidate-lists.nation'),
        total: s.stats.total, indicators, breakdowns,
        // A national target (NA: women ≥ 35 %) is judged on the whole country; below it is shown for reference only.
        targets: s.targets.map((t) => ({ title: tt(t.titleKey), min: fp(t.minPercent), percent: fp(t.percent), count: t.count, total: t.total, met: t.met, binding: t.binding,
          reference: t.level === 'national' && (place !== 'VN' || !!unit) })),
        groups, groupTitle: place === 'VN' && !unit ? tt('candidate-lists.stats.by_province') : tt('candidate-lists.stats.by_unit'),
        allocationHref: `${base(e)}?contest=${contest.id}&place=${place}`,
      }, { title: `${tt('candidate-lists.stats.title')} · ${contest.shortLabel}`, nav: 'elections' });
    });

    // A refused form on a unit's page comes back as that page with the message (400/409); the refusal is audited.
    r.use('/elections/:id/candidate-lists/units/:unitId', async (x: unknown, req: Request, res: Response, next: NextFunction) => {
      if (!(x instanceof AppException) || req.method !== 'POST' || ![400, 404, 409].includes(x.appError.status ?? 400) || req.accepts(['html', 'json']) !== 'html'
        || !UUID_RE.test(String(req.params.unitId)) || !UUID_RE.test(String(req.params.id))) return next(x);
      try {
        const e = await electionOf(req);
        const u = await getUnit(req.scope.em, e, String(req.params.unitId));
        if (!u) return next(x);
        const issues = x.appError.details?.length ? x.appError.details : [{ code: x.appError.code, messageKey: x.appError.messageKey, params: x.appError.params }];
        const errors = issues.map((i) => ({
          code: i.code, field: i.field,
          message: i.code.startsWith('INPUT_') ? req.scope.t('candidate-lists.error.field_invalid', { field: req.scope.t(`candidate-lists.field.${i.field}`) }) : req.scope.t(i.messageKey, i.params),
        }));
        const form = Object.fromEntries(Object.entries((req.body ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
        await unitPage(req, res, e, u, { status: x.appError.status ?? 400, errors, form });
      } catch (x2) {
        next(x2);
      }
    });

    return r;
  };
}
