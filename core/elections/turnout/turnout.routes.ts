// Pages and actions of turnout progress (issue 6 point 1): the national, province and commune figures per contest and
// report time with the chart (SVG from ECharts on the server, served as an image: the CSP forbids inline styles), the
// entry of one polling area (its team, or the commune on its behalf), the commune's bulk entry for one report time,
// the completeness view, the report-time settings, and POST /api/v1/elections/{electionId}/turnout for machine
// clients (Idempotency-Key). Reads need core.turnout.view on the place; writes core.turnout.report on the polling
// area (or the lowest place holding every area of a batch) through mountAction: audited, phase-gated ('turnout').
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Render } from '../../http/render.js';
import { pageParams, pager } from '../../http/render.js';
import type { KernelDeps } from '../../kernel/module.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import type { Clock } from '../../shared/clock.js';
import type { Actor } from '../../auth/actor.js';
import { AppException, appError, err, ok, type AppError, type FieldIssue } from '../../shared/result.js';
import { formatPercent } from '../../shared/percent.js';
import { formatNumber, type Lang } from '../../shared/i18n.js';
import { sql } from '../../persistence/db.js';
import { NATION, type Target } from '../../auth/policy.js';
import { authorize, mountAction } from '../../http/endpoint.js';
import { idempotent } from '../../http/idempotency.js';
import { registerApiOperation } from '../../http/openapi.js';
import { contestsOf } from '../elections.service.js';
import { formOpen } from '../phases.js';
import { ddmmyyyy } from '../calendar/dates.js';
import { CLOSE, GRACE_MINUTES, checkEntries, isOverdue, issue, parseSlots, refusal, slotInstant, type Entry } from './rules.js';
import { UUID_RE } from '../../shared/ids.js';
import { areaFacts, existingReports, loadTurnoutElection, saveSlots, slotsWithReports, writeReports, type AreaRow, type TurnoutElection } from './store.js';
import { aggregate, type Cells, type Level } from './aggregation.js';
import { missingReports } from './completeness.js';
import { turnoutChartSvg } from './chart.js';

export const VIEW = 'core.turnout.view';
export const REPORT = 'core.turnout.report';
const MANAGE_ELECTION = 'core.elections.manage';
/** Reports in one API call. */
export const MAX_BATCH = 1000;

export interface TurnoutRouteDeps {
  access: KernelDeps['access'];
  registry: PluginRegistry;
  clock: Clock;
  orm: MikroORM;
}

const uuid = z.string().uuid();
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const nowhere = (electionId: string): Target => ({ type: 'commune', code: 'x', electionId });

/** A form's figure fields: `v:<contest>` (one area) or `v:<areaId>:<contest>` (bulk); at most 40 characters of digits. */
const formWithFigures = (shape: z.ZodRawShape) =>
  z.object(shape).catchall(z.string().max(40)).superRefine((o, ctx) => {
    for (const k of Object.keys(o)) {
      if (k in shape) continue;
      if (!/^v:[0-9a-f-]{0,36}:?[a-z][a-z0-9-]{0,40}$/.test(k)) ctx.addIssue({ code: 'unrecognized_keys', keys: [k], path: [], message: 'unknown field' } as never);
    }
  });

const apiReport = z.object({
  pollingAreaId: z.string().max(40).describe('Id của khu vực bỏ phiếu / polling area id (uuid)'),
  contest: z.string().max(60).describe('Cuộc bầu cử: national-assembly | provincial-council | commune-council'),
  slot: z.string().max(12).describe('Giờ báo cáo "HH:MM" hoặc "close" (giờ kết thúc của khu vực)'),
  voted: z.unknown().describe('Số cử tri đã bỏ phiếu (số nguyên ≥ 0) / voters who have voted (integer ≥ 0)'),
}).strict();
const apiInput = z.object({ id: uuid, reports: z.array(apiReport).min(1).max(MAX_BATCH) }).strict();

export function turnoutRoutes(d: TurnoutRouteDeps) {
  const p = d.access.pipeline;
  const contestOrder = d.registry.plugins().map((x) => x.id);

  registerApiOperation({
    method: 'post',
    path: '/api/v1/elections/{electionId}/turnout',
    operationId: 'submitTurnout',
    summary: 'Báo cáo số cử tri đã bỏ phiếu theo giờ / submit turnout reports (batch)',
    tags: ['turnout'],
    idempotent: true,
    description: 'Một lô tối đa 1.000 báo cáo {pollingAreaId, contest, slot, voted}. Cả lô được kiểm tra theo cùng quy tắc với trang nhập '
      + '(quy tắc 22: không vượt số cử tri; quy tắc 34: không giảm giữa các giờ, không trước giờ báo cáo) và ghi trong một giao dịch, hoặc không ghi gì. '
      + 'A batch of up to 1,000 reports, checked like the pages and written all or nothing; a correction of an earlier time is checked against both neighbours.',
    request: z.object({ reports: z.array(apiReport.extend({ voted: z.number().int().min(0) })).min(1).max(MAX_BATCH) }),
    responses: {
      200: { description: 'Đã ghi / written', schema: z.object({ written: z.number().int(), corrected: z.number().int(), reports: z.array(z.object({ pollingAreaId: z.string(), contest: z.string(), slot: z.string(), voted: z.number().int(), previous: z.number().int().nullable() })) }) },
      400: { description: 'Dữ liệu không hợp lệ, không ghi gì (mã TURNOUT_*, mỗi lỗi có row = vị trí trong lô) / refused, nothing written' },
      403: { description: 'Ngoài phạm vi / out of scope' },
      409: { description: 'Ngoài giai đoạn bỏ phiếu, kiểm phiếu (FORM_CLOSED) hoặc Idempotency-Key đã dùng cho nội dung khác' },
    },
  });

  return (render: Render): Router => {
    const r = Router();
    const lang = (req: Request): Lang => (req.scope.lang === 'en' ? 'en' : 'vi');
    const wantsJson = (req: Request) => req.accepts(['html', 'json']) === 'json';

    async function electionOf(req: Request, id = String(req.params.id)): Promise<TurnoutElection> {
      const e = UUID_RE.test(id) ? await loadTurnoutElection(req.scope.em, id) : undefined;
      if (!e) throw new AppException(appError('NOT_FOUND', 'elections.not_found', 404));
      return e;
    }

    async function contests(em: EntityManager, e: TurnoutElection): Promise<{ id: string; label: string }[]> {
      return (await contestsOf(em, e.id, contestOrder)).map((id) => ({ id, label: d.registry.contestType(id)?.shortLabel ?? id }));
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

    const slotLabel = (req: Request, s: string) => (s === CLOSE ? req.scope.t('turnout.slot.close') : s);
    const pct = (req: Request, n: number) => formatPercent(n, lang(req));
    const num = (req: Request, n: number) => formatNumber(n, lang(req));

    /** A place's name and parents (tree in force on election day). */
    async function placeOf(em: EntityManager, e: TurnoutElection, level: Level, code: string): Promise<{ name: string; province?: { code: string; name: string } } | undefined> {
      if (level === 'nation') return code === NATION ? { name: '' } : undefined;
      const [row] = await sql<{ name: string; parent_code: string | null; parent_name: string | null }>(em,
        `select u.name, u.parent_code, pp.name as parent_name from admin_unit u
           left join admin_unit pp on pp.code = u.parent_code and pp.level = 'province' and pp.valid_from <= ?::date and (pp.valid_to is null or pp.valid_to > ?::date)
          where u.code = ? and u.level = ? and u.valid_from <= ?::date and (u.valid_to is null or u.valid_to > ?::date)`,
        [e.electionDay, e.electionDay, code, level, e.electionDay, e.electionDay]);
      if (!row) return undefined;
      return { name: row.name, province: level === 'commune' && row.parent_code ? { code: row.parent_code, name: row.parent_name ?? row.parent_code } : undefined };
    }

    const targetOf = (e: TurnoutElection, level: Level, code: string): Target => ({ type: level, code, electionId: e.id });

    /** The slot a page shows first: the last one whose time has come on election day (the first before that). */
    function currentSlot(e: TurnoutElection): string {
      const now = d.clock.now();
      let cur = e.slots[0];
      for (const s of e.slots) if (slotInstant(s, { votingDate: e.electionDay, closes: e.closes }).getTime() <= now.getTime()) cur = s;
      return cur;
    }

    function cellsView(req: Request, e: TurnoutElection, cs: { id: string; label: string }[], cells: Cells) {
      return cs.map((c) => ({
        id: c.id, label: c.label,
        slots: e.slots.map((s) => {
          const x = cells[c.id]?.[s];
          return x
            ? { slot: s, label: slotLabel(req, s), voted: num(req, x.voted), voters: num(req, x.voters), pct: pct(req, x.pct), pctReported: pct(req, x.pctReported), reported: x.reported, areas: x.areas, complete: x.reported >= x.areas && x.areas > 0, none: x.reported === 0 }
            : { slot: s, label: slotLabel(req, s), none: true };
        }),
      }));
    }

    // --- overview pages: nation, province, commune ------------------------------------------------------------

    async function overview(req: Request, res: Response, e: TurnoutElection, level: Level, code: string): Promise<void> {
      const place = await placeOf(req.scope.em, e, level, code);
      if (!place) throw new AppException(appError('NOT_FOUND', 'turnout.place_not_found', 404));
      if (!(await canView(req, res, targetOf(e, level, code)))) return;
      const em = req.scope.em;
      const cs = await contests(em, e);
      const agg = await aggregate(em, e, cs.map((c) => c.id), level, code);
      if (wantsJson(req)) {
        res.json({ election: { id: e.id, name: e.name, slots: e.slots }, level, code, name: place.name, contests: cs, cells: agg.cells, rows: agg.rows });
        return;
      }
      const t = req.scope.t;
      const contest = cs.find((c) => c.id === str(req.query.contest)) ?? cs[0];
      const base = `/elections/${e.id}/turnout`;
      const childHref = (row: { code: string }) => level === 'nation' ? `${base}/province/${row.code}` : level === 'province' ? `${base}/commune/${row.code}` : `${base}/area/${row.code}`;
      const rows = agg.rows.map((row) => ({
        code: row.code, name: row.name, number: row.number, href: childHref(row),
        slots: e.slots.map((s) => {
          const x = row.cells[contest?.id ?? '']?.[s];
          if (!x || x.areas === 0) return { na: true };
          if (level === 'commune') return { value: x.reported ? num(req, x.voted) : '', pct: x.reported ? pct(req, x.pct) : '', none: !x.reported };
          return { value: pct(req, x.pct), sub: `${num(req, x.reported)}/${num(req, x.areas)}`, none: x.reported === 0, complete: x.reported >= x.areas };
        }),
      }));
      const title = level === 'nation' ? t('turnout.title_nation') : level === 'province' ? t('turnout.title_place', { name: place.name }) : t('turnout.title_place', { name: place.name });
      const canReportHere = level === 'commune' && (await allowed(req, REPORT, targetOf(e, 'commune', code)));
      const canManage = level === 'nation' && (await allowed(req, MANAGE_ELECTION, { type: 'nation', code: NATION }));
      render(req, res, 'turnout/overview', {
        election: e, base, level, code, place, title, open: formOpen(e.status, 'turnout'), phase: t(`elections.phase.${e.status}`),
        summary: cellsView(req, e, cs, agg.cells), slots: e.slots.map((s) => ({ slot: s, label: slotLabel(req, s) })),
        contests: cs.map((c) => ({ ...c, selected: c.id === contest?.id })), contest, rows, canReportHere, canManage,
        chartSrc: `${base}/chart.svg?level=${level}&code=${encodeURIComponent(code)}&lang=${lang(req)}`,
        chartAlt: t('turnout.chart_alt', { place: level === 'nation' ? t('turnout.nation') : place.name }),
        missingHref: `${base}/missing?place=${level}:${code}&slot=${encodeURIComponent(currentSlot(e))}`,
        childHeading: t(`turnout.rows.${level}`), query: req.query,
      }, { title, nav: 'elections' });
    }

    r.get('/elections/:id/turnout', async (req, res) => {
      const e = await electionOf(req);
      const a = req.scope.actor;
      // Officials below the nation land on their own place.
      if (a.kind !== 'anonymous' && !(await allowed(req, VIEW, targetOf(e, 'nation', NATION)))) {
        const own = a.assignments.find((x) => (!x.electionId || x.electionId === e.id) && ['province', 'commune', 'polling-area'].includes(x.scopeType));
        if (own) {
          const path = own.scopeType === 'polling-area' ? `area/${own.scopeCode}` : `${own.scopeType}/${own.scopeCode}`;
          res.redirect(303, `/elections/${e.id}/turnout/${path}`);
          return;
        }
      }
      await overview(req, res, e, 'nation', NATION);
    });
    r.get('/elections/:id/turnout/province/:code', async (req, res) => overview(req, res, await electionOf(req), 'province', String(req.params.code).slice(0, 10)));
    r.get('/elections/:id/turnout/commune/:code', async (req, res) => overview(req, res, await electionOf(req), 'commune', String(req.params.code).slice(0, 10)));

    // The chart as an image (inline SVG would need inline styles, which the CSP refuses).
    r.get('/elections/:id/turnout/chart.svg', async (req, res) => {
      const e = await electionOf(req);
      const level = (['nation', 'province', 'commune'] as const).find((l) => l === req.query.level) ?? 'nation';
      const code = level === 'nation' ? NATION : str(req.query.code).slice(0, 10);
      const place = await placeOf(req.scope.em, e, level, code);
      if (!place) throw new AppException(appError('NOT_FOUND', 'turnout.place_not_found', 404));
      await authorize(p, req, VIEW, targetOf(e, level, code));
      const cs = await contests(req.scope.em, e);
      const agg = await aggregate(req.scope.em, e, cs.map((c) => c.id), level, code);
      const t = req.scope.t;
      const svg = turnoutChartSvg({
        title: t('turnout.chart_title', { place: level === 'nation' ? t('turnout.nation') : place.name }),
        slots: e.slots, opens: e.opens, closes: e.closes, contests: cs, cells: agg.cells,
        labels: { time: t('turnout.chart_time'), percent: t('turnout.chart_percent'), close: t('turnout.slot.close'), decimalComma: lang(req) === 'vi' },
      });
      res.setHeader('Cache-Control', 'private, max-age=10');
      res.type('image/svg+xml').send(svg);
    });

    // --- one polling area ---------------------------------------------------------------------------------------

    interface FormState {
      status?: number;
      errors?: { code: string; field?: string; message: string }[];
      fieldErrors?: Record<string, string>;
      form?: Record<string, string>;
    }

    async function areaOf(req: Request, e: TurnoutElection, areaId: string): Promise<AreaRow> {
      const a = UUID_RE.test(areaId) ? (await areaFacts(req.scope.em, e.id, [areaId])).get(areaId) : undefined;
      if (!a) throw new AppException(appError('NOT_FOUND', 'turnout.area_not_found', 404));
      return a;
    }

    async function areaPage(req: Request, res: Response, e: TurnoutElection, a: AreaRow, x: FormState = {}): Promise<void> {
      const em = req.scope.em;
      const t = req.scope.t;
      const cs = (await contests(em, e)).filter((c) => a.voters[c.id] !== undefined);
      const existing = (await existingReports(em, [a.id])).get(a.id);
      const now = d.clock.now();
      const firstOpen = e.slots.find((s) => slotInstant(s, a).getTime() <= now.getTime() && cs.some((c) => existing?.get(c.id)?.get(s) === undefined));
      const slot = e.slots.includes(str(x.form?.slot ?? req.query.slot)) ? str(x.form?.slot ?? req.query.slot) : firstOpen ?? [...e.slots].reverse().find((s) => slotInstant(s, a).getTime() <= now.getTime()) ?? e.slots[0];
      const commune = await placeOf(em, e, 'commune', a.communeCode);
      const canReport = await allowed(req, REPORT, { type: 'polling-area', code: a.id, electionId: e.id });
      const base = `/elections/${e.id}/turnout`;
      const grid = cs.map((c) => ({
        label: c.label, voters: num(req, a.voters[c.id]),
        slots: e.slots.map((s) => {
          const v = existing?.get(c.id)?.get(s);
          return { value: v === undefined ? '' : num(req, v), pct: v === undefined ? '' : pct(req, a.voters[c.id] ? Math.round((v * 10000) / a.voters[c.id]) / 100 : 0), current: s === slot };
        }),
      }));
      const due = slotInstant(slot, a);
      const title = t('turnout.area_title', { n: a.number, name: a.name });
      render(req, res, 'turnout/area', {
        election: e, base, area: a, commune, title, slot, slotLabel: slotLabel(req, slot),
        slots: e.slots.map((s) => ({ slot: s, label: slotLabel(req, s), selected: s === slot, href: `${base}/area/${a.id}?slot=${encodeURIComponent(s)}` })),
        grid, canReport, open: formOpen(e.status, 'turnout'), phase: t(`elections.phase.${e.status}`),
        notYet: now.getTime() < due.getTime(), dueText: `${slot === CLOSE ? a.closes : slot} ${ddmmyyyy(a.votingDate)}`,
        inputs: cs.map((c, i) => {
          const name = `v:${c.id}`;
          const cur = existing?.get(c.id)?.get(slot);
          return { name, id: `v-${c.id}`, label: c.label, voters: num(req, a.voters[c.id]), value: x.form?.[name] ?? (cur === undefined ? '' : String(cur)), error: x.fieldErrors?.[name], autofocus: i === 0 };
        }),
        errors: x.errors ?? [], csrfToken: res.locals.csrfToken,
      }, { title, nav: 'elections', status: x.status });
    }

    r.get('/elections/:id/turnout/area/:areaId', async (req, res) => {
      const e = await electionOf(req);
      const a = await areaOf(req, e, String(req.params.areaId));
      if (!(await canView(req, res, { type: 'polling-area', code: a.id, electionId: e.id }))) return;
      if (wantsJson(req)) {
        const ex = (await existingReports(req.scope.em, [a.id])).get(a.id);
        res.json({ area: a, slots: e.slots, reports: Object.fromEntries([...(ex ?? new Map())].map(([c, m]) => [c, Object.fromEntries(m)])) });
        return;
      }
      await areaPage(req, res, e, a);
    });

    /** Is the actor this area's own team (then the report is not on its behalf)? */
    const ownTeam = (actor: Actor, areaId: string) => actor.assignments.some((x) => x.role === 'team-member' && x.scopeType === 'polling-area' && x.scopeCode === areaId);

    /**
     * The common write: locks the areas, checks every figure against the reports so far (all or nothing), writes
     * the reports and the running totals. Unchanged figures (the same number again) are skipped.
     */
    async function submit(em: EntityManager, actor: Actor, e: TurnoutElection, entries: Entry[], only?: { commune: string }) {
      const areas = await areaFacts(em, e.id, entries.map((x) => x.areaId), true);
      if (only) for (const [id, a] of areas) if (a.communeCode !== only.commune) areas.delete(id);
      const existing = await existingReports(em, [...areas.keys()]);
      const checked = checkEntries(entries, { slots: e.slots, areas, existing, now: d.clock.now() });
      if (!checked.ok) return checked;
      const changed = checked.value.filter((c) => c.previous !== c.voted);
      await writeReports(em, e.id, changed, areas, { actorId: actor.id, onBehalf: (id) => !ownTeam(actor, id), at: d.clock.now() });
      return ok({ changed, all: checked.value });
    }

    const audited = (c: { areaId: string; contest: string; slot: string; voted: number; previous?: number }[]) => c.map((x) => ({ area: x.areaId, contest: x.contest, slot: x.slot, voted: x.voted, previous: x.previous ?? null }));

    mountAction(r, p, {
      id: 'core.turnout.report',
      form: 'turnout',
      lean: true, // the hot path: sql/prepared only (docs/architecture.md)
      method: 'post',
      path: '/elections/:id/turnout/area/:areaId',
      permission: REPORT,
      input: formWithFigures({ id: uuid, areaId: uuid, slot: z.string().max(12) }),
      // The election is read first, outside the transaction: the phase gate and the handler find it (em-memo.ts).
      target: async (i, _req, em) => (await loadTurnoutElection(em, String(i.id), false, String(i.areaId)), { type: 'polling-area', code: String(i.areaId), electionId: String(i.id) }),
      handle: async (i, ctx) => {
        const e = await loadTurnoutElection(ctx.req.scope.em, String(i.id));
        if (!e) return err(appError('NOT_FOUND', 'elections.not_found', 404));
        const entries: Entry[] = Object.entries(i).filter(([k, v]) => k.startsWith('v:') && String(v).trim() !== '')
          .map(([k, v]) => ({ areaId: String(i.areaId), contest: k.slice(2), slot: String(i.slot), voted: v, field: k }));
        if (!entries.length) return err(refusal([issue('TURNOUT_EMPTY', undefined)]));
        const res = await submit(ctx.em, ctx.actor, e, entries);
        if (!res.ok) return res;
        return ok({
          targetType: 'polling_area', targetId: String(i.areaId), before: audited(res.value.changed.filter((c) => c.previous !== undefined).map((c) => ({ ...c, voted: c.previous! }))), after: audited(res.value.changed),
          redirect: `/elections/${e.id}/turnout/area/${i.areaId}?slot=${encodeURIComponent(String(i.slot))}`,
          flash: ctx.t('turnout.flash.saved', { n: res.value.changed.length, slot: i.slot === CLOSE ? ctx.t('turnout.slot.close') : String(i.slot) }),
          json: wantsJson(ctx.req) ? { written: res.value.changed.length } : undefined,
        });
      },
    });

    // --- the commune's bulk entry for one report time -----------------------------------------------------------

    async function bulkPage(req: Request, res: Response, e: TurnoutElection, code: string, x: FormState = {}): Promise<void> {
      const em = req.scope.em;
      const t = req.scope.t;
      const place = await placeOf(em, e, 'commune', code);
      if (!place) throw new AppException(appError('NOT_FOUND', 'turnout.place_not_found', 404));
      const slot = e.slots.includes(str(x.form?.slot ?? req.query.slot)) ? str(x.form?.slot ?? req.query.slot) : currentSlot(e);
      const cs = await contests(em, e);
      const ids = (await sql<{ id: string }>(em, `select id from polling_area where election_id = ? and commune_code = ? order by number`, [e.id, code])).map((z0) => z0.id);
      const facts = await areaFacts(em, e.id, ids);
      const existing = await existingReports(em, ids);
      const now = d.clock.now();
      let tab = 0;
      const rows = ids.map((id) => facts.get(id)!).filter(Boolean).map((a) => ({
        id: a.id, number: a.number, name: a.name, notYet: now.getTime() < slotInstant(slot, a).getTime(),
        cells: cs.map((c) => {
          if (a.voters[c.id] === undefined) return { na: true };
          const name = `v:${a.id}:${c.id}`;
          const cur = existing.get(a.id)?.get(c.id)?.get(slot);
          return { name, id: `v-${a.number}-${c.id}`, value: x.form?.[name] ?? (cur === undefined ? '' : String(cur)), voters: num(req, a.voters[c.id]), error: x.fieldErrors?.[name], reported: cur !== undefined, first: tab++ === 0, label: `${t('turnout.area_short', { n: a.number })} · ${c.label}` };
        }),
      }));
      const title = t('turnout.bulk_title', { name: place.name, slot: slotLabel(req, slot) });
      render(req, res, 'turnout/bulk', {
        election: e, base: `/elections/${e.id}/turnout`, code, place, title, slot, slotLabel: slotLabel(req, slot), contests: cs, rows,
        slots: e.slots.map((s) => ({ slot: s, label: slotLabel(req, s), selected: s === slot })),
        open: formOpen(e.status, 'turnout'), phase: t(`elections.phase.${e.status}`), errors: x.errors ?? [], csrfToken: res.locals.csrfToken,
      }, { title, nav: 'elections', status: x.status });
    }

    r.get('/elections/:id/turnout/commune/:code/entry', async (req, res) => {
      const e = await electionOf(req);
      const code = String(req.params.code).slice(0, 10);
      if (req.scope.actor.kind === 'anonymous') {
        res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
        return;
      }
      await authorize(p, req, REPORT, targetOf(e, 'commune', code));
      await bulkPage(req, res, e, code);
    });

    mountAction(r, p, {
      id: 'core.turnout.report-bulk',
      lean: true, // the hot path: sql/prepared only (docs/architecture.md)
      form: 'turnout',
      method: 'post',
      path: '/elections/:id/turnout/commune/:code/entry',
      permission: REPORT,
      input: formWithFigures({ id: uuid, code: z.string().regex(/^\d{1,10}$/), slot: z.string().max(12) }),
      target: async (i, _req, em) => (await loadTurnoutElection(em, String(i.id)), { type: 'commune', code: String(i.code), electionId: String(i.id) }), // as above
      handle: async (i, ctx) => {
        const e = await loadTurnoutElection(ctx.req.scope.em, String(i.id));
        if (!e) return err(appError('NOT_FOUND', 'elections.not_found', 404));
        let row = 0;
        const entries: Entry[] = [];
        for (const [k, v] of Object.entries(i)) {
          if (!k.startsWith('v:')) continue;
          row++;
          if (String(v).trim() === '') continue;
          const [, areaId, contest] = k.split(':');
          entries.push({ areaId: areaId ?? '', contest: contest ?? '', slot: String(i.slot), voted: v, field: k, row });
        }
        if (!entries.length) return err(refusal([issue('TURNOUT_EMPTY', undefined)]));
        const res = await submit(ctx.em, ctx.actor, e, entries, { commune: String(i.code) });
        if (!res.ok) return res;
        const slotText = i.slot === CLOSE ? ctx.t('turnout.slot.close') : String(i.slot);
        return ok({
          targetType: 'commune', targetId: String(i.code), before: audited(res.value.changed.filter((c) => c.previous !== undefined).map((c) => ({ ...c, voted: c.previous! }))), after: audited(res.value.changed),
          redirect: `/elections/${e.id}/turnout/commune/${i.code}/entry?slot=${encodeURIComponent(String(i.slot))}`,
          flash: ctx.t('turnout.flash.bulk_saved', { n: res.value.changed.length, same: res.value.all.length - res.value.changed.length, slot: slotText }),
          json: wantsJson(ctx.req) ? { written: res.value.changed.length, unchanged: res.value.all.length - res.value.changed.length } : undefined,
        });
      },
    });

    // A refused entry form comes back as its page with what was typed and each message beside its field (400/409).
    async function formError(x: unknown, req: Request, res: Response, next: NextFunction, page: (st: FormState) => Promise<void>): Promise<void> {
      if (!(x instanceof AppException) || req.method !== 'POST' || ![400, 409].includes(x.appError.status ?? 400) || wantsJson(req)) return next(x);
      try {
        const issues = x.appError.details?.length ? x.appError.details : [{ code: x.appError.code, messageKey: x.appError.messageKey, params: x.appError.params } as FieldIssue];
        const fieldErrors: Record<string, string> = {};
        const errors = issues.map((i) => {
          const message = i.code.startsWith('INPUT_') ? req.scope.t('turnout.error.field_invalid', { field: i.field ?? '-' }) : req.scope.t(i.messageKey, i.params);
          if (i.field && !fieldErrors[i.field]) fieldErrors[i.field] = message;
          return { code: i.code, field: i.field, message };
        });
        const form = Object.fromEntries(Object.entries((req.body ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
        await page({ status: x.appError.status ?? 400, errors, fieldErrors, form });
      } catch (x2) {
        next(x2);
      }
    }
    r.use('/elections/:id/turnout/area/:areaId', (x: unknown, req: Request, res: Response, next: NextFunction) => {
      void formError(x, req, res, next, async (st) => {
        const e = await electionOf(req);
        await areaPage(req, res, e, await areaOf(req, e, String(req.params.areaId)), st);
      });
    });
    r.use('/elections/:id/turnout/commune/:code/entry', (x: unknown, req: Request, res: Response, next: NextFunction) => {
      void formError(x, req, res, next, async (st) => bulkPage(req, res, await electionOf(req), String(req.params.code).slice(0, 10), st));
    });

    // --- completeness ----------------------------------------------------------------------------------------------

    r.get('/elections/:id/turnout/missing', async (req, res) => {
      const e = await electionOf(req);
      const t = req.scope.t;
      // The place: ?place=level:code, else the actor's widest place that can view.
      let [level, code] = str(req.query.place).split(':') as [Level, string];
      if (!['nation', 'province', 'commune'].includes(level) || !code) {
        const own = req.scope.actor.assignments.find((x) => (!x.electionId || x.electionId === e.id) && ['nation', 'province', 'commune'].includes(x.scopeType));
        [level, code] = own ? [own.scopeType as Level, own.scopeCode] : ['nation', NATION];
      }
      code = code.slice(0, 10);
      const place = await placeOf(req.scope.em, e, level, code);
      if (!place) throw new AppException(appError('NOT_FOUND', 'turnout.place_not_found', 404));
      if (!(await canView(req, res, targetOf(e, level, code)))) return;
      const cs = await contests(req.scope.em, e);
      const slot = e.slots.includes(str(req.query.slot)) ? str(req.query.slot) : currentSlot(e);
      const contest = cs.find((c) => c.id === str(req.query.contest))?.id;
      const q = str(req.query.q).slice(0, 100);
      const overdueOnly = req.query.overdue === '1';
      const sort = req.query.sort === 'overdue' ? 'overdue' : 'place';
      const { page, size, offset } = pageParams(req.query as Record<string, unknown>, 50);
      const now = d.clock.now();
      const m = await missingReports(req.scope.em, { electionId: e.id, slot, contest, level, code, q, overdueOnly, sort, now, offset, limit: size });
      const labelOf = (id: string) => cs.find((c) => c.id === id)?.label ?? id;
      const rows = m.rows.map((x) => ({ ...x, missingLabels: [...x.missing].sort((a, b) => cs.findIndex((c) => c.id === a) - cs.findIndex((c) => c.id === b)).map(labelOf).join(', '), areaHref: `/elections/${e.id}/turnout/area/${x.id}?slot=${encodeURIComponent(slot)}` }));
      if (wantsJson(req)) {
        res.json({ slot, contest: contest ?? null, level, code, areas: m.areas, missing: m.missing, overdue: m.overdue, page, size, rows: m.rows });
        return;
      }
      const title = t('turnout.missing_title', { slot: slotLabel(req, slot) });
      const bulkHref = level === 'commune' && (await allowed(req, REPORT, targetOf(e, 'commune', code))) ? `/elections/${e.id}/turnout/commune/${code}/entry?slot=${encodeURIComponent(slot)}` : undefined;
      const dueAt = slotInstant(slot, { votingDate: e.electionDay, closes: e.closes });
      render(req, res, 'turnout/missing', {
        election: e, base: `/elections/${e.id}/turnout`, place, level, code, title, slot, slotLabel: slotLabel(req, slot),
        placeName: level === 'nation' ? t('turnout.nation') : place.name, placeValue: `${level}:${code}`,
        slots: e.slots.map((s) => ({ slot: s, label: slotLabel(req, s), selected: s === slot })),
        contests: cs.map((c) => ({ ...c, selected: c.id === contest })), q, overdueOnly, sortOverdue: sort === 'overdue',
        counts: { areas: num(req, m.areas), missing: num(req, m.missing), overdue: num(req, m.overdue), reported: num(req, m.areas - m.missing) },
        rows, page: pager(page, size, overdueOnly ? m.overdue : m.missing), query: req.query, bulkHref,
        graceText: t('turnout.grace', { n: GRACE_MINUTES }), slotPassed: isOverdue(slot, { votingDate: e.electionDay, closes: e.closes }, now, 0),
        dueText: slot === CLOSE ? t('turnout.due_close') : `${slot} ${ddmmyyyy(e.electionDay)}`, dueAt,
      }, { title, nav: 'elections' });
    });

    // --- report times -----------------------------------------------------------------------------------------------

    const slotsText = (req: Request, slots: string[]) => slots.map((s) => (s === CLOSE ? req.scope.t('turnout.slot.close_word') : s)).join(', ');

    r.get('/elections/:id/turnout/slots', async (req, res) => {
      const e = await electionOf(req);
      if (req.scope.actor.kind === 'anonymous') {
        res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
        return;
      }
      await authorize(p, req, MANAGE_ELECTION, { type: 'nation', code: NATION, electionId: e.id });
      const title = req.scope.t('turnout.slots_title');
      render(req, res, 'turnout/slots', { election: e, base: `/elections/${e.id}/turnout`, title, value: slotsText(req, e.slots), csrfToken: res.locals.csrfToken }, { title, nav: 'elections' });
    });

    mountAction(r, p, {
      id: 'core.turnout.slots',
      method: 'post',
      path: '/elections/:id/turnout/slots',
      permission: MANAGE_ELECTION,
      input: z.object({ id: uuid, slots: z.string().max(400) }).strict(),
      target: (i) => ({ type: 'nation', code: NATION, electionId: i.id }),
      handle: async (i, ctx) => {
        const e = await loadTurnoutElection(ctx.em, i.id, true);
        if (!e) return err(appError('NOT_FOUND', 'elections.not_found', 404));
        if (['results', 'certified'].includes(e.status)) return err(refusal([issue('TURNOUT_SLOTS_LOCKED', 'slots', { phase: ctx.t(`elections.phase.${e.status}`) })], 409));
        const parsed = parseSlots(i.slots, 'slots');
        if (!parsed.ok) return parsed;
        const removed = e.slots.filter((s) => !parsed.value.includes(s));
        const used = await slotsWithReports(ctx.em, e.id, removed);
        if (used.length) return err(refusal(used.map((s) => issue('TURNOUT_SLOT_HAS_REPORTS', 'slots', { slot: s === CLOSE ? ctx.t('turnout.slot.close') : s })), 409));
        await saveSlots(ctx.em, e.id, parsed.value);
        return ok({
          targetType: 'election', targetId: e.id, before: { turnoutSlots: e.slots }, after: { turnoutSlots: parsed.value },
          redirect: `/elections/${e.id}/turnout/slots`, flash: ctx.t('turnout.flash.slots_saved'), json: wantsJson(ctx.req) ? { slots: parsed.value } : undefined,
        });
      },
    });

    r.use('/elections/:id/turnout/slots', (x: unknown, req: Request, res: Response, next: NextFunction) => {
      if (!(x instanceof AppException) || req.method !== 'POST' || wantsJson(req) || ![400, 409].includes(x.appError.status ?? 400)) return next(x);
      void (async () => {
        const e = await electionOf(req);
        const issues = x.appError.details?.length ? x.appError.details : [{ code: x.appError.code, messageKey: x.appError.messageKey, params: x.appError.params } as FieldIssue];
        const errors = issues.map((i) => ({ code: i.code, message: i.code.startsWith('INPUT_') ? req.scope.t('turnout.error.field_invalid', { field: i.field ?? '-' }) : req.scope.t(i.messageKey, i.params) }));
        const title = req.scope.t('turnout.slots_title');
        render(req, res, 'turnout/slots', { election: e, base: `/elections/${e.id}/turnout`, title, value: str((req.body as Record<string, unknown>)?.slots), errors, csrfToken: res.locals.csrfToken }, { title, nav: 'elections', status: x.appError.status ?? 400 });
      })().catch(next);
    });

    // --- API for machine clients ------------------------------------------------------------------------------------

    /** The lowest place holding every area of a batch (policy on it ⇒ on each area: scopes are a tree). */
    async function batchTarget(em: EntityManager, electionId: string, ids: string[]): Promise<Target> {
      const areas = await areaFacts(em, electionId, ids);
      if (!areas.size) return nowhere(electionId);
      const list = [...areas.values()];
      if (areas.size === 1) return { type: 'polling-area', code: list[0].id, electionId };
      if (new Set(list.map((a) => a.communeCode)).size === 1) return { type: 'commune', code: list[0].communeCode, electionId };
      if (new Set(list.map((a) => a.provinceCode)).size === 1 && list[0].provinceCode) return { type: 'province', code: list[0].provinceCode, electionId };
      return { type: 'nation', code: NATION, electionId };
    }

    mountAction(r, p, {
      id: 'core.turnout.api-report',
      form: 'turnout',
      lean: true, // the hot path: sql/prepared only (docs/architecture.md)
      method: 'post',
      path: '/api/v1/elections/:id/turnout',
      permission: REPORT,
      before: [idempotent(d.orm)],
      input: apiInput,
      target: async (i, _req, em) => (await loadTurnoutElection(em, i.id), batchTarget(em, i.id, i.reports.map((x) => x.pollingAreaId))), // as above
      handle: async (i, ctx) => {
        const e = await loadTurnoutElection(ctx.req.scope.em, i.id);
        if (!e) return err(appError('NOT_FOUND', 'elections.not_found', 404));
        const entries: Entry[] = i.reports.map((x, k) => ({ areaId: x.pollingAreaId, contest: x.contest, slot: x.slot, voted: x.voted, numbersOnly: true, field: `reports.${k}.voted`, row: k + 1 }));
        const res = await submit(ctx.em, ctx.actor, e, entries);
        if (!res.ok) return res;
        return ok({
          targetType: 'election', targetId: e.id, before: audited(res.value.changed.filter((c) => c.previous !== undefined).map((c) => ({ ...c, voted: c.previous! }))), after: audited(res.value.changed),
          json: {
            written: res.value.changed.length, corrected: res.value.changed.filter((c) => c.previous !== undefined).length,
            reports: res.value.all.map((c) => ({ pollingAreaId: c.areaId, contest: c.contest, slot: c.slot, voted: c.voted, previous: c.previous ?? null })),
          },
        });
      },
    });

    return r;
  };
}

export type { AppError };
