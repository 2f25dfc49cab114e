// Pages, actions and API of the count minutes (issue 6): the commune's to-do list, the keyboard-first entry form
// with a live check (GET …/check runs the same catalogue without saving), the minutes page (double-entry comparison
// for the coordinator, verification, version lineage with scans, correction approval), the correction form, scan
// upload/download, and POST /api/v1/elections/{electionId}/count-minutes/entries with Idempotency-Key. Every write
// goes through mountAction (permission on the polling area or its commune, phase gate 'count-minutes', one audit
// event); the service (service.ts) holds the rules of the lifecycle.
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Render } from '../../http/render.js';
import { pageParams, pager } from '../../http/render.js';
import type { KernelDeps } from '../../kernel/module.js';
import { AppException, appError, err, ok, type AppError, type FieldIssue } from '../../shared/result.js';
import { sql } from '../../persistence/db.js';
import { searchKey } from '../../shared/vn-text.js';
import { percent, formatPercent } from '../../shared/percent.js';
import type { Lang } from '../../shared/i18n.js';
import type { Target } from '../../auth/policy.js';
import { authorize, auditRefusal, mountAction } from '../../http/endpoint.js';
import { idempotent } from '../../http/idempotency.js';
import { registerApiOperation } from '../../http/openapi.js';
import { fileError, uploadField, uploadOf } from '../../files/file-store.js';
import { getElection } from '../elections.service.js';
import { validateMinutes } from './rules.js';
import type { CountMinutes } from './minutes.js';
import { dispatchAggregation } from '../results/aggregation-trigger.js';
import { fieldLabel, renderMinutesMessage } from './messages.js';
import { COMPLAINT_FIELDS, INVENTORY_FIELDS, TOP_FIELDS, differingFields, nestForm, parseSubmission, presentCounts, type MinutesData } from './input.js';
import {
  areaContext, communeCounts, communeTodo, decideCorrection, entriesOf, findMinutes, getMinutes, proposeCorrection, resolveDifferences,
  saveEntry, verifyEntry, versionData, versionsOf, violationIssues, type AreaContext, type MinutesDeps, type Resolution, type TodoFilter,
} from './service.js';

export const MINUTES_VIEW = 'core.minutes.view';
export const MINUTES_ENTER = 'core.minutes.enter';
export const MINUTES_RESOLVE = 'core.minutes.resolve';
export const MINUTES_CORRECT = 'core.minutes.correct';
export const MINUTES_APPROVE = 'core.minutes.approve';
const SCAN_MAX = 10 * 1024 * 1024;
const uuid = z.string().uuid();
const contestId = z.string().regex(/^[a-z][a-z0-9-]{1,59}$/);
const nowhere = (electionId: string): Target => ({ type: 'commune', code: 'x', electionId });
const areaTarget = (electionId: string, areaId: string): Target => ({ type: 'polling-area', code: areaId, electionId });

export interface CountMinutesRouteDeps extends MinutesDeps {
  access: KernelDeps['access'];
  files: KernelDeps['files'];
  orm: KernelDeps['orm'];
}

/** The commune of a minutes row (its polling area's), as a policy target. */
async function minutesTarget(em: EntityManager, electionId: string, minutesId: string, level: 'commune' | 'polling-area'): Promise<Target> {
  if (!uuid.safeParse(minutesId).success) return nowhere(electionId);
  const [r] = await sql<{ commune_code: string; area_id: string }>(em,
    `select a.commune_code, a.id as area_id from count_minutes m join polling_area a on a.id = m.polling_area_id where m.id = ? and m.election_id = ?`, [minutesId, electionId]);
  if (!r) return nowhere(electionId);
  return level === 'commune' ? { type: 'commune', code: r.commune_code, electionId } : areaTarget(electionId, r.area_id);
}

/** Field label for the reader: a candidate's name for its vote line, the rule-25 label otherwise. */
function labelOf(lang: Lang, path: string, c?: AreaContext): string {
  if (path.startsWith('votes.')) {
    const cand = c?.candidates.find((x) => x.id === path.slice(6));
    if (cand) return fieldLabel(lang, `votes.${cand.name}`);
  }
  if (path === 'complaints.text') return lang === 'vi' ? 'Nội dung khiếu nại, tố cáo' : 'Complaint text';
  return fieldLabel(lang, path);
}

/** Issues with readable parameters: field labels, candidate names, rule-24 percentages; the raw path stays in `field`. */
function readable(lang: Lang, issues: FieldIssue[], c?: AreaContext): FieldIssue[] {
  return issues.map((i) => {
    const params: Record<string, string | number> = { ...(i.params ?? {}) };
    if (typeof params.field === 'string') params.field = labelOf(lang, params.field, c);
    if (typeof params.candidate === 'string') params.candidate = c?.candidates.find((x) => x.id === params.candidate)?.name ?? String(params.candidate);
    for (const p of ['share', 'threshold']) if (typeof params[p] === 'number') params[p] = formatPercent(params[p] as number, lang);
    return { ...i, params };
  });
}

function refuse(lang: Lang, e: AppError, c?: AreaContext): AppError {
  return e.details ? { ...e, details: readable(lang, e.details, c) } : e;
}

/** The submission part of a request body: form fields are nested, API JSON is taken as is (minus route keys). */
function submissionOf(raw: Record<string, unknown>, isForm: boolean): Record<string, unknown> {
  const { id: _id, areaId: _a, contest: _c, pollingAreaId: _p, ...rest } = raw;
  return isForm ? nestForm(rest) : rest;
}

/** Form values to show again (strings keyed by field path) from minutes data. */
function valuesOf(data: MinutesData | undefined): Record<string, string> {
  if (!data) return {};
  const out: Record<string, string> = {};
  for (const [p, v] of presentCounts(data)) out[p] = v === null || v === undefined ? '' : String(v);
  if (data.complaints.text) out['complaints.text'] = data.complaints.text;
  return out;
}

/** Raw posted form values (for re-showing a refused form exactly as typed). */
function postedValues(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** A plugin rule's text through the request's catalogue (core's texts are in messages.ts). */
const lookup = (req: Request) => (_l: Lang, key: string) => {
  const s = req.scope.t(key);
  return s === key ? undefined : s;
};

export function countMinutesRoutes(d: CountMinutesRouteDeps) {
  const p = d.access.pipeline;
  registerOperations();

  return (render: Render): Router => {
    const r = Router();
    const lang = (req: Request): Lang => req.scope.lang as Lang;

    async function canView(req: Request, res: Response, target: Target): Promise<boolean> {
      if (req.scope.actor.kind === 'anonymous' && req.accepts(['html', 'json']) === 'html') {
        res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
        return false;
      }
      await authorize(p, req, MINUTES_VIEW, target);
      return true;
    }
    async function allowed(req: Request, permission: string, target: Target): Promise<boolean> {
      if (req.scope.actor.kind === 'anonymous') return false;
      return (await p.policy.decide(req.scope.em, req.scope.actor.assignments, permission, target)).allowed;
    }
    async function electionOf(req: Request) {
      const id = String(req.params.id);
      const e = uuid.safeParse(id).success ? await getElection(req.scope.em, id) : undefined;
      if (!e) throw new AppException(appError('NOT_FOUND', 'elections.not_found', 404));
      return e;
    }
    async function contextOf(em: EntityManager, electionId: string, areaId: string, contest: string): Promise<AreaContext> {
      if (!uuid.safeParse(areaId).success || !contestId.safeParse(contest).success) throw new AppException(appError('NOT_FOUND', 'count-minutes.area_not_found', 404));
      const c = await areaContext(em, d, electionId, areaId, contest);
      if (!c.ok) throw new AppException(c.error);
      return c.value;
    }
    const userNames = async (em: EntityManager, ids: string[]): Promise<Map<string, string>> => {
      const list = [...new Set(ids.filter((x) => uuid.safeParse(x).success))];
      if (!list.length) return new Map();
      const rows = await sql<{ id: string; full_name: string }>(em, `select id, full_name from app_user where id = any(?::uuid[])`, [`{${list.join(',')}}`]);
      return new Map(rows.map((x) => [x.id, x.full_name]));
    };
    const contestLabel = (contest: string) => d.registry.contestType(contest)?.shortLabel ?? contest;
    const base = (electionId: string) => `/elections/${electionId}/count-minutes`;

    // --- the commune's to-do list ---------------------------------------------------------------------------

    r.get('/elections/:id/count-minutes', async (req, res) => {
      const e = await electionOf(req);
      const assigned = req.scope.actor.assignments.find((a) => a.scopeType === 'commune')?.scopeCode;
      const commune = typeof req.query.commune === 'string' && /^\d{2,6}$/.test(req.query.commune) ? req.query.commune : assigned;
      if (!(await canView(req, res, commune ? { type: 'commune', code: commune, electionId: e.id } : { type: 'nation', code: 'VN', electionId: e.id }))) return;
      const filters: TodoFilter[] = ['all', 'missing', 'differences', 'scans', 'corrections'];
      const filter = (filters as string[]).includes(String(req.query.filter)) ? (req.query.filter as TodoFilter) : 'all';
      const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 100) : '';
      const { page, size, offset } = pageParams(req.query as Record<string, unknown>, 50);
      let rows: Awaited<ReturnType<typeof communeTodo>> = [];
      let counts;
      let communeName = '';
      if (commune) {
        const [n] = await sql<{ name: string }>(req.scope.em, `select name from admin_unit where code = ? and level = 'commune' order by valid_from desc limit 1`, [commune]);
        communeName = n?.name ?? commune;
        rows = await communeTodo(req.scope.em, e.id, commune, { filter, q: searchKey(q), limit: size, offset });
        counts = await communeCounts(req.scope.em, e.id, commune);
      }
      const t = req.scope.t;
      const canResolve = commune ? await allowed(req, MINUTES_RESOLVE, { type: 'commune', code: commune, electionId: e.id }) : false;
      const items = rows.map((x) => {
        const status = x.status ?? 'none';
        const todo = status === 'differences' ? 'resolve' : status === 'amending' ? 'approve' : status === 'accepted' ? (x.scans ? 'open' : 'scan') : 'enter';
        const href = x.minutes_id && (todo === 'resolve' || todo === 'approve' || todo === 'scan' || todo === 'open')
          ? `${base(e.id)}/m/${x.minutes_id}` : `${base(e.id)}/areas/${x.area_id}/${x.contest}`;
        return { ...x, contestLabel: contestLabel(x.contest), statusLabel: t(`count-minutes.status.${status}`), statusClass: status, todoLabel: t(`count-minutes.todo.${todo}`), href, accepted: status === 'accepted' || status === 'amending' };
      });
      render(req, res, 'count-minutes/todo', {
        election: e, commune, communeName, counts, items, filter, q, canResolve,
        filters: filters.map((f) => ({ id: f, label: t(`count-minutes.filter.${f}`), current: f === filter })),
        query: { commune, filter, q }, page: pager(page, size, rows[0]?.total ?? 0), base: base(e.id),
      }, { title: t('count-minutes.todo_title') });
    });

    // --- the entry form -------------------------------------------------------------------------------------

    /** The entry page for one area and contest: the caller's own entry only, never the other typist's. */
    async function entryPage(req: Request, res: Response, o: { status?: number; values?: Record<string, string>; issues?: FieldIssue[]; message?: string; confirmed?: string[]; note?: string } = {}) {
      const e = await electionOf(req);
      const c = await contextOf(req.scope.em, e.id, String(req.params.areaId), String(req.params.contest));
      if (!(await canView(req, res, areaTarget(e.id, c.area.id)))) return;
      const m = await findMinutes(req.scope.em, c.area.id, c.contest);
      const entries = m ? await entriesOf(req.scope.em, m.id) : [];
      const mine = entries.find((x) => x.user_id === req.scope.actor.id);
      const canEnter = await allowed(req, MINUTES_ENTER, areaTarget(e.id, c.area.id));
      const accepted = m && (m.status === 'accepted' || m.status === 'amending');
      const acceptedNo = accepted ? (await versionsOf(req.scope.em, m.id)).find((v) => v.id === m.accepted_version_id)?.version_no : undefined;
      const submitted = mine?.status === 'submitted';
      const wait = m?.status === 'differences' ? 'resolve' : c.mode === 'single-plus-verification' ? 'verify' : 'second';
      const editable = canEnter && !accepted && !submitted && !(entries.length >= (c.mode === 'double-entry' ? 2 : 1) && !mine);
      const returned = mine?.status === 'returned' ? (mine.return_fields ?? null) : undefined;
      renderEntryForm(req, res, e, c, {
        action: `${base(e.id)}/areas/${c.area.id}/${c.contest}/entry`,
        values: o.values ?? valuesOf(mine?.data),
        rev: mine?.rev ?? 0,
        editable,
        slot: mine?.slot ?? (entries.some((x) => x.slot === 1) ? 2 : 1),
        returned,
        submittedWait: submitted && !accepted ? req.scope.t('count-minutes.submitted_wait', { next: req.scope.t(`count-minutes.wait.${wait}`) }) : undefined,
        acceptedNote: accepted ? req.scope.t('count-minutes.accepted_note', { no: acceptedNo ?? 1 }) : undefined,
        minutesHref: m ? `${base(e.id)}/m/${m.id}` : undefined,
        confirmed: o.confirmed ?? mine?.confirmed_warnings ?? [],
        note: o.note ?? mine?.note ?? '',
        issues: o.issues,
        message: o.message,
        status: o.status,
      });
    }

    function renderEntryForm(req: Request, res: Response, e: { id: string; name: string }, c: AreaContext, o: {
      action: string; values: Record<string, string>; rev: number; editable: boolean; slot?: number; returned?: string[] | null; submittedWait?: string;
      acceptedNote?: string; minutesHref?: string; confirmed: string[]; note: string; issues?: FieldIssue[]; message?: string; status?: number;
      correction?: { basedOn: string; reason: string; reference: string };
    }) {
      const t = req.scope.t;
      const L = lang(req);
      const byField = new Map<string, { text: string; severity: string }[]>();
      const warnings: { code: string; text: string; checked: boolean }[] = [];
      const summary: { text: string; severity: string; field?: string }[] = [];
      for (const i of readable(L, o.issues ?? [], c)) {
        const severity = String(i.params?.severity ?? 'error');
        const text = i.messageKey.includes('.rule.') ? renderMinutesMessage(L, i.messageKey, i.params ?? {}, lookup(req)) : t(i.messageKey, i.params);
        summary.push({ text, severity, field: i.field });
        if (i.field) byField.set(i.field, [...(byField.get(i.field) ?? []), { text, severity }]);
        if (severity === 'warning') warnings.push({ code: i.code, text, checked: o.confirmed.includes(i.code) });
      }
      const locked = (path: string) => !o.editable || (Array.isArray(o.returned) && !o.returned.includes(path));
      const field = (path: string, label: string) => ({
        path, id: 'f-' + path.replace(/\./g, '-'), label, value: o.values[path] ?? '', messages: byField.get(path) ?? [],
        invalid: byField.has(path), locked: locked(path), returned: Array.isArray(o.returned) && o.returned.includes(path),
      });
      const top = TOP_FIELDS.map((f) => field(f, fieldLabel(L, f)));
      const candidates = c.candidates.map((x) => ({ ...field(`votes.${x.id}`, x.name), order: x.order }));
      const piles = Array.from({ length: c.unit.seats }, (_, i) => ({ ...field(`piles.${i + 1}`, t('count-minutes.pile_label', { k: i + 1 })), k: i + 1 }));
      const complaints = COMPLAINT_FIELDS.map((f) => field(`complaints.${f}`, fieldLabel(L, `complaints.${f}`)));
      const complaintsText = field('complaints.text', t('count-minutes.complaints_text'));
      const team = field('teamMembersPresent', fieldLabel(L, 'teamMembersPresent'));
      // Rule 23: the ballot-paper inventory, its own fieldset; hidden when the contest's setting is 'off' unless the
      // data already holds a value (so a correction does not drop it silently).
      const inventory = INVENTORY_FIELDS.map((f) => field(f, fieldLabel(L, f)));
      const inventoryMode = c.ctx.ballotInventory;
      const showInventory = inventoryMode !== 'off' || inventory.some((x) => x.value !== '');
      render(req, res, 'count-minutes/entry', {
        election: e, c, contestLabel: contestLabel(c.contest), action: o.action, rev: o.rev, editable: o.editable, slot: o.slot, top, candidates, piles,
        pilesOpen: piles.some((x) => x.value !== ''), complaints, complaintsText, team, warnings, summary, note: o.note, message: o.message,
        returnedN: Array.isArray(o.returned) ? o.returned.length : undefined, returnedAll: o.returned === null,
        submittedWait: o.submittedWait, acceptedNote: o.acceptedNote, minutesHref: o.minutesHref, correction: o.correction,
        modeText: t(`count-minutes.mode.${c.mode}`), checkUrl: `${base(e.id)}/areas/${c.area.id}/${c.contest}/check`, base: base(e.id),
        seats: c.unit.seats, inventory, inventoryMode, showInventory, inventoryHelp: t(`count-minutes.inventory_help.${inventoryMode}`),
      }, { title: t('count-minutes.entry_title', { area: c.area.name }), status: o.status });
    }

    r.get('/elections/:id/count-minutes/areas/:areaId/:contest', async (req, res) => entryPage(req, res));

    /** The live check: the same catalogue on what is typed so far (incomplete fields are skipped), nothing saved. */
    r.get('/elections/:id/count-minutes/areas/:areaId/:contest/check', async (req, res) => {
      const e = await electionOf(req);
      const c = await contextOf(req.scope.em, e.id, String(req.params.areaId), String(req.params.contest));
      await authorize(p, req, MINUTES_VIEW, areaTarget(e.id, c.area.id));
      const L = lang(req);
      const parsed = parseSubmission({ ...submissionOf(req.query as Record<string, unknown>, true), submit: false });
      const out: { code: string; severity: string; fields: string[]; message: string }[] = [];
      let data: MinutesData | undefined;
      if (!parsed.ok) {
        for (const i of readable(L, parsed.issues, c)) out.push({ code: i.code, severity: 'error', fields: i.field ? [i.field] : [], message: req.scope.t(i.messageKey, i.params) });
      } else {
        data = parsed.value.data;
        const v = validateMinutes(data as unknown as CountMinutes, c.ctx, d.registry.rules(c.contest));
        // While typing, an empty field is not yet an error: F101 on an empty value and F210 wait for the submission.
        // F104 (inventory required, rule 23) likewise waits for the submission.
        const live = (x: { code: string; params: Record<string, string | number> }) => !(x.code === 'F101' && x.params.value === 'null') && x.code !== 'F210' && x.code !== 'F104';
        for (const [severity, list] of [['error', v.errors], ['warning', v.warnings]] as const) {
          for (const i of readable(L, violationIssues(list.filter(live), severity, d.registry.rules(c.contest)), c)) {
            out.push({ code: i.code, severity, fields: String(i.params?.fields ?? '').split(',').filter(Boolean), message: renderMinutesMessage(L, i.messageKey, i.params ?? {}, lookup(req)) });
          }
        }
      }
      const pct = (a: number | null | undefined, b: number | null | undefined) => (typeof a === 'number' && typeof b === 'number' && b > 0 && a <= b ? formatPercent(percent(a, b), L) + ' %' : '');
      res.json({
        messages: out,
        percents: data ? {
          voted: pct(data.votersVoted, data.votersTotal), valid: pct(data.ballotsValid, data.ballotsReceived), invalid: pct(data.ballotsInvalid, data.ballotsReceived),
          candidates: Object.fromEntries(Object.entries(data.votes).map(([id, v]) => [id, pct(v, data!.ballotsValid)])),
        } : {},
      });
    });

    const entryInput = z.looseObject({ id: uuid, areaId: uuid, contest: contestId });
    mountAction(r, p, {
      id: 'core.minutes.entry.save',
      method: 'post',
      path: '/elections/:id/count-minutes/areas/:areaId/:contest/entry',
      permission: MINUTES_ENTER,
      form: 'count-minutes',
      lean: true, // the hot path: sql/prepared only (docs/architecture.md)
      input: entryInput,
      // The area context is read first, before the transaction: the same round trip gives the policy and the phase
      // gate what they need (em-memo.ts), and the transaction's BEGIN then travels with its first statement.
      target: async (i, _req, em) => (await areaContext(em, d, i.id, i.areaId, i.contest), areaTarget(i.id, i.areaId)),
      handle: async (i, ctx) => {
        const c = await areaContext(ctx.req.scope.em, d, i.id, i.areaId, i.contest);
        if (!c.ok) return err(c.error);
        const parsed = parseSubmission(submissionOf(i, true));
        if (!parsed.ok) return err(refuse(lang(ctx.req), appError('INPUT_INVALID', 'count-minutes.input.invalid', 400, undefined, parsed.issues), c.value));
        const s = await saveEntry(ctx.em, d, c.value, ctx.actor.id, parsed.value);
        if (!s.ok) return err(refuse(lang(ctx.req), s.error, c.value));
        const o = s.value;
        const flash = !parsed.value.submit ? ctx.t('count-minutes.saved_draft')
          : o.status === 'accepted' ? ctx.t('count-minutes.saved_accepted')
            : o.status === 'differences' ? ctx.t('count-minutes.saved_differences', { n: o.differences ?? 0 })
              : ctx.t('count-minutes.saved_submitted', { slot: o.slot });
        return ok({
          targetType: 'count-minutes', targetId: o.minutesId, before: o.before, after: o.after, flash,
          redirect: `${base(i.id)}/areas/${i.areaId}/${i.contest}`,
          json: ctx.req.accepts(['html', 'json']) === 'json' ? { minutesId: o.minutesId, status: o.status, slot: o.slot, entryStatus: o.entryStatus, rev: o.rev, acceptedVersionId: o.acceptedVersionId ?? null } : undefined,
          afterCommit: o.aggregate ? async () => void (await dispatchAggregation(d.jobs, o.aggregate)) : undefined,
        });
      },
    });
    // A refused form comes back as the form, with the typed values and the messages next to the fields.
    r.use('/elections/:id/count-minutes/areas/:areaId/:contest/entry', async (e: unknown, req: Request, res: Response, next: NextFunction) => {
      if (!(e instanceof AppException) || req.accepts(['html', 'json']) !== 'html' || !['INPUT_INVALID', 'RULE_ERRORS', 'WARNINGS_UNCONFIRMED', 'STALE_VERSION', 'SAME_USER', 'ENTRY_SUBMITTED', 'ENTRY_TAKEN', 'ENTRIES_FULL', 'MINUTES_ACCEPTED'].includes(e.appError.code)) {
        next(e);
        return;
      }
      const body = postedValues((req.body ?? {}) as Record<string, unknown>);
      const confirmed = ([] as unknown[]).concat((req.body as Record<string, unknown>)?.confirmedWarnings ?? []).map(String);
      try {
        await entryPage(req, res, {
          status: e.appError.status ?? 400, values: e.appError.code === 'INPUT_INVALID' || e.appError.code.startsWith('RULE') || e.appError.code.startsWith('WARN') ? body : undefined,
          issues: e.appError.details ?? [], confirmed, note: typeof body.note === 'string' ? body.note : undefined,
          message: req.scope.t(e.appError.messageKey, e.appError.params),
        });
      } catch (x) {
        next(x);
      }
    });

    // --- the minutes page: comparison, verification, lineage, corrections -----------------------------------------

    r.get('/elections/:id/count-minutes/m/:minutesId', async (req, res) => {
      const e = await electionOf(req);
      const m = uuid.safeParse(req.params.minutesId).success ? await getMinutes(req.scope.em, String(req.params.minutesId)) : undefined;
      if (!m || m.election_id !== e.id) throw new AppException(appError('NOT_FOUND', 'count-minutes.not_found', 404));
      const c = await contextOf(req.scope.em, e.id, m.polling_area_id, m.contest);
      if (!(await canView(req, res, areaTarget(e.id, c.area.id)))) return;
      const t = req.scope.t;
      const L = lang(req);
      const commune: Target = { type: 'commune', code: c.area.commune_code, electionId: e.id };
      const entries = await entriesOf(req.scope.em, m.id);
      const versions = await versionsOf(req.scope.em, m.id);
      const scans = versions.length
        ? await sql<{ id: string; version_id: string }>(req.scope.em, `select id, version_id from count_minutes_scan where version_id = any(?::uuid[]) order by uploaded_at`, [`{${versions.map((v) => v.id).join(',')}}`])
        : [];
      const names = await userNames(req.scope.em, [...entries.map((x) => x.user_id), ...versions.flatMap((v) => [v.created_by, v.accepted_by ?? '', v.rejected_by ?? ''])]);
      const isTypist = entries.some((x) => x.user_id === req.scope.actor.id);
      const canResolve = !isTypist && m.status === 'differences' && (await allowed(req, MINUTES_RESOLVE, commune));
      const rowsOf = (a: MinutesData, b?: MinutesData) => {
        const diff = new Set(b ? differingFields(a, b) : []);
        const av = new Map(presentCounts(a));
        const bv = b ? new Map(presentCounts(b)) : undefined;
        // Rule-25 order, candidates in ballot order (jsonb does not keep key order).
        const rank = (path: string) => {
          const i = TOP_FIELDS.indexOf(path as (typeof TOP_FIELDS)[number]);
          if (i >= 0) return i;
          if (path.startsWith('votes.')) return 100 + (c.candidates.findIndex((x) => x.id === path.slice(6)) + 1 || 999);
          if (path.startsWith('piles.')) return 2000 + Number(path.slice(6));
          if (path.startsWith('complaints.')) return 3000 + COMPLAINT_FIELDS.indexOf(path.slice(11) as (typeof COMPLAINT_FIELDS)[number]);
          const inv = INVENTORY_FIELDS.indexOf(path as (typeof INVENTORY_FIELDS)[number]);
          if (inv >= 0) return 5000 + inv;
          return 4000;
        };
        // The optional rule-23 inventory is shown only where one side gave it.
        const given = (path: string) => !(INVENTORY_FIELDS as readonly string[]).includes(path) || (av.get(path) ?? null) !== null || (bv?.get(path) ?? null) !== null;
        const paths = [...new Set([...av.keys(), ...(bv ? bv.keys() : [])])].filter(given).sort((x, y) => rank(x) - rank(y));
        const rows = paths.map((path) => ({ label: labelOf(L, path, c), a: av.get(path), b: bv?.get(path), differs: diff.has(path) }));
        if (a.complaints.text || b?.complaints.text) rows.push({ label: labelOf(L, 'complaints.text', c), a: a.complaints.text as never, b: b?.complaints.text as never, differs: diff.has('complaints.text') });
        return { rows, n: diff.size };
      };
      const comparison = canResolve && entries.length === 2 ? rowsOf(entries[0].data, entries[1].data) : undefined;
      const canVerify = m.status === 'entered' && c.mode === 'single-plus-verification' && entries[0]?.status === 'submitted' && !isTypist && (await allowed(req, MINUTES_ENTER, areaTarget(e.id, c.area.id)));
      const verifyRows = canVerify ? rowsOf(entries[0].data).rows : undefined;
      const accepted = versions.find((v) => v.id === m.accepted_version_id);
      const pending = versions.find((v) => v.kind === 'correction' && v.status === 'entered');
      const acceptedData = accepted ? await versionData(req.scope.em, accepted) : undefined;
      const pendingRows = pending && acceptedData ? rowsOf(acceptedData, await versionData(req.scope.em, pending)) : undefined;
      const canApprove = !!pending && pending.created_by !== req.scope.actor.id && (await allowed(req, MINUTES_APPROVE, commune));
      const canCorrect = m.status === 'accepted' && (await allowed(req, MINUTES_CORRECT, commune));
      const canScan = await allowed(req, MINUTES_ENTER, areaTarget(e.id, c.area.id));
      const percents = acceptedData ? {
        voted: formatPercent(percent(acceptedData.votersVoted ?? 0, acceptedData.votersTotal ?? 0), L),
        valid: formatPercent(percent(acceptedData.ballotsValid ?? 0, acceptedData.ballotsReceived ?? 0), L),
        invalid: formatPercent(percent(acceptedData.ballotsInvalid ?? 0, acceptedData.ballotsReceived ?? 0), L),
      } : undefined;
      render(req, res, 'count-minutes/minutes', {
        election: e, c, m, contestLabel: contestLabel(c.contest), base: base(e.id), statusLabel: t(`count-minutes.status.${m.status}`),
        comparison, entry1: names.get(entries[0]?.user_id ?? '') ?? '', entry2: names.get(entries[1]?.user_id ?? '') ?? '',
        canResolve, canVerify, verifyRows, canApprove, canCorrect, canScan, isTypist,
        acceptedRows: acceptedData ? rowsOf(acceptedData).rows : undefined, percents, pending, pendingRows,
        versions: versions.map((v) => ({
          ...v, kindLabel: t(`count-minutes.kind.${v.kind}`), statusLabel: t(`count-minutes.vstatus.${v.status}`), by: names.get(v.created_by) ?? v.created_by,
          acceptedBy: v.accepted_by ? names.get(v.accepted_by) ?? v.accepted_by : v.rejected_by ? names.get(v.rejected_by) ?? v.rejected_by : '',
          scans: scans.filter((s) => s.version_id === v.id).map((s, i) => ({ id: s.id, n: i + 1 })), current: v.id === m.accepted_version_id,
        })),
        entryHref: `${base(e.id)}/areas/${c.area.id}/${c.contest}`,
      }, { title: t('count-minutes.minutes_title', { area: c.area.name, contest: contestLabel(c.contest) }) });
    });

    const minutesInput = z.object({ id: uuid, minutesId: uuid, note: z.string().max(2000).optional().transform((v) => v?.trim() || null) });
    mountAction(r, p, {
      id: 'core.minutes.resolve',
      method: 'post',
      path: '/elections/:id/count-minutes/m/:minutesId/resolve',
      permission: MINUTES_RESOLVE,
      form: 'count-minutes',
      input: minutesInput.extend({ decision: z.enum(['keep-1', 'keep-2', 'return-1', 'return-2']) }),
      target: (i, _req, em) => minutesTarget(em, i.id, i.minutesId, 'commune'),
      handle: async (i, ctx) => {
        const rr = await resolveDifferences(ctx.em, d, i.minutesId, ctx.actor.id, i.decision as Resolution, i.note);
        if (!rr.ok) return err(rr.error);
        return ok({
          targetType: 'count-minutes', targetId: i.minutesId, before: { status: 'differences' }, after: { status: rr.value.status, decision: i.decision, fields: rr.value.fields },
          flash: rr.value.fields ? ctx.t('count-minutes.resolved_return', { n: rr.value.fields.length }) : ctx.t('count-minutes.resolved_keep'),
          redirect: `${base(i.id)}/m/${i.minutesId}`,
          json: ctx.req.accepts(['html', 'json']) === 'json' ? { status: rr.value.status, versionId: rr.value.versionId ?? null, fields: rr.value.fields ?? null } : undefined,
          afterCommit: rr.value.aggregate ? async () => void (await dispatchAggregation(d.jobs, rr.value.aggregate)) : undefined,
        });
      },
    });

    mountAction(r, p, {
      id: 'core.minutes.verify',
      method: 'post',
      path: '/elections/:id/count-minutes/m/:minutesId/verify',
      permission: MINUTES_ENTER,
      form: 'count-minutes',
      input: minutesInput.extend({ decision: z.enum(['confirm', 'return']) }),
      target: (i, _req, em) => minutesTarget(em, i.id, i.minutesId, 'polling-area'),
      handle: async (i, ctx) => {
        const rr = await verifyEntry(ctx.em, d, i.minutesId, ctx.actor.id, i.decision === 'confirm', i.note);
        if (!rr.ok) return err(rr.error);
        return ok({
          targetType: 'count-minutes', targetId: i.minutesId, before: { status: 'entered' }, after: { status: rr.value.status, decision: i.decision },
          flash: ctx.t(i.decision === 'confirm' ? 'count-minutes.verified' : 'count-minutes.verify_returned'),
          redirect: `${base(i.id)}/m/${i.minutesId}`,
          json: ctx.req.accepts(['html', 'json']) === 'json' ? { status: rr.value.status, versionId: rr.value.versionId ?? null } : undefined,
          afterCommit: rr.value.aggregate ? async () => void (await dispatchAggregation(d.jobs, rr.value.aggregate)) : undefined,
        });
      },
    });

    // The correction form: the whole minutes, prefilled from the version in force, with reason and reference.
    r.get('/elections/:id/count-minutes/m/:minutesId/correct', async (req, res) => {
      const e = await electionOf(req);
      const m = uuid.safeParse(req.params.minutesId).success ? await getMinutes(req.scope.em, String(req.params.minutesId)) : undefined;
      if (!m || m.election_id !== e.id || !m.accepted_version_id) throw new AppException(appError('NOT_FOUND', 'count-minutes.not_found', 404));
      const c = await contextOf(req.scope.em, e.id, m.polling_area_id, m.contest);
      await authorize(p, req, MINUTES_CORRECT, { type: 'commune', code: c.area.commune_code, electionId: e.id });
      const v = (await versionsOf(req.scope.em, m.id)).find((x) => x.id === m.accepted_version_id)!;
      renderEntryForm(req, res, e, c, {
        action: `${base(e.id)}/m/${m.id}/corrections`, values: valuesOf(await versionData(req.scope.em, v)), rev: 0, editable: m.status === 'accepted',
        confirmed: v.confirmed_warnings, note: '', minutesHref: `${base(e.id)}/m/${m.id}`, correction: { basedOn: v.id, reason: '', reference: '' },
      });
    });

    const correctionInput = z.looseObject({ id: uuid, minutesId: uuid, basedOn: uuid, reason: z.string().max(1000), reference: z.string().max(300) });
    mountAction(r, p, {
      id: 'core.minutes.correction.propose',
      method: 'post',
      path: '/elections/:id/count-minutes/m/:minutesId/corrections',
      permission: MINUTES_CORRECT,
      form: 'count-minutes',
      input: correctionInput,
      target: (i, _req, em) => minutesTarget(em, i.id, i.minutesId, 'commune'),
      handle: async (i, ctx) => {
        const m = await getMinutes(ctx.em, i.minutesId);
        if (!m || m.election_id !== i.id) return err(appError('NOT_FOUND', 'count-minutes.not_found', 404));
        const c = await areaContext(ctx.em, d, i.id, m.polling_area_id, m.contest);
        if (!c.ok) return err(c.error);
        const reason = i.reason.trim();
        const reference = i.reference.trim();
        if (!reason || !reference) {
          return err(appError('REASON_REQUIRED', 'count-minutes.reason_required', 400, undefined, [
            ...(!reason ? [{ field: 'reason', code: 'MISSING', messageKey: 'count-minutes.reason_required' }] : []),
            ...(!reference ? [{ field: 'reference', code: 'MISSING', messageKey: 'count-minutes.reason_required' }] : []),
          ]));
        }
        const { minutesId: _m, basedOn: _b, reason: _r, reference: _ref, ...rest } = i;
        const isForm = !!ctx.req.is('application/x-www-form-urlencoded');
        const parsed = parseSubmission({ ...submissionOf(rest, isForm), submit: true });
        if (!parsed.ok) return err(refuse(lang(ctx.req), appError('INPUT_INVALID', 'count-minutes.input.invalid', 400, undefined, parsed.issues), c.value));
        const pr = await proposeCorrection(ctx.em, d, c.value, i.minutesId, ctx.actor.id, {
          basedOn: i.basedOn, data: parsed.value.data, reason, reference, confirmedWarnings: parsed.value.confirmedWarnings, note: parsed.value.note,
        });
        if (!pr.ok) return err(refuse(lang(ctx.req), pr.error, c.value));
        return ok({
          targetType: 'count-minutes', targetId: i.minutesId, before: { status: 'accepted', version: i.basedOn }, after: { status: 'amending', versionId: pr.value.versionId, reason, reference },
          flash: ctx.t('count-minutes.proposed'), redirect: `${base(i.id)}/m/${i.minutesId}`, status: 201,
          json: ctx.req.accepts(['html', 'json']) === 'json' ? { versionId: pr.value.versionId, versionNo: pr.value.versionNo, status: 'amending' } : undefined,
        });
      },
    });

    mountAction(r, p, {
      id: 'core.minutes.correction.decide',
      method: 'post',
      path: '/elections/:id/count-minutes/m/:minutesId/corrections/:versionId/decide',
      permission: MINUTES_APPROVE,
      form: 'count-minutes',
      input: minutesInput.extend({ versionId: uuid, decision: z.enum(['approve', 'reject']) }),
      target: (i, _req, em) => minutesTarget(em, i.id, i.minutesId, 'commune'),
      handle: async (i, ctx) => {
        const rr = await decideCorrection(ctx.em, d, i.minutesId, i.versionId, ctx.actor.id, i.decision === 'approve', i.note);
        if (!rr.ok) return err(rr.error);
        return ok({
          targetType: 'count-minutes', targetId: i.minutesId, before: { status: 'amending', versionId: i.versionId }, after: { status: rr.value.status, decision: i.decision, versionId: i.versionId },
          flash: ctx.t(i.decision === 'approve' ? 'count-minutes.approved' : 'count-minutes.rejected'), redirect: `${base(i.id)}/m/${i.minutesId}`,
          json: ctx.req.accepts(['html', 'json']) === 'json' ? { status: rr.value.status } : undefined,
          afterCommit: rr.value.aggregate ? async () => void (await dispatchAggregation(d.jobs, rr.value.aggregate)) : undefined,
        });
      },
    });

    // --- scans of the signed paper minutes ---------------------------------------------------------------------

    mountAction(r, p, {
      id: 'core.minutes.scan.upload',
      method: 'post',
      path: '/elections/:id/count-minutes/m/:minutesId/versions/:versionId/scans',
      permission: MINUTES_ENTER,
      input: z.object({ id: uuid, minutesId: uuid, versionId: uuid }),
      before: [uploadField('file', SCAN_MAX)],
      target: (i, _req, em) => minutesTarget(em, i.id, i.minutesId, 'polling-area'),
      handle: async (i, ctx) => {
        const [v] = await sql<{ id: string }>(ctx.em, `select v.id from count_minutes_version v join count_minutes m on m.id = v.minutes_id where v.id = ? and m.id = ? and m.election_id = ?`, [i.versionId, i.minutesId, i.id]);
        if (!v) return err(appError('NOT_FOUND', 'count-minutes.not_found', 404));
        const up = uploadOf(ctx.req, 'file');
        if (!up.ok) return err(fileError(up.error));
        const f = await d.files.put(ctx.em, { bytes: up.value.bytes, originalName: up.value.originalName, allowed: ['pdf', 'jpeg', 'png'], maxBytes: SCAN_MAX, createdBy: ctx.actor.id, electionId: i.id, reencodeImages: true });
        if (!f.ok) return err(fileError(f.error));
        const scanId = (await sql<{ id: string }>(ctx.em, `insert into count_minutes_scan (id, version_id, file_id, uploaded_by) values (gen_random_uuid(), ?, ?, ?) returning id`, [i.versionId, f.value.id, ctx.actor.id]))[0].id;
        return ok({
          targetType: 'count-minutes', targetId: i.minutesId, after: { versionId: i.versionId, scanId, fileId: f.value.id, sha256: f.value.sha256, size: f.value.size },
          flash: ctx.t('count-minutes.scan_uploaded'), redirect: `${base(i.id)}/m/${i.minutesId}`, status: 201,
          json: ctx.req.accepts(['html', 'json']) === 'json' ? { scanId, fileId: f.value.id } : undefined,
        });
      },
    });

    r.get('/elections/:id/count-minutes/scans/:scanId', async (req, res) => {
      const e = await electionOf(req);
      const [s] = uuid.safeParse(req.params.scanId).success
        ? await sql<{ file_id: string; area_id: string }>(req.scope.em, `select s.file_id, m.polling_area_id as area_id from count_minutes_scan s join count_minutes_version v on v.id = s.version_id
            join count_minutes m on m.id = v.minutes_id where s.id = ? and m.election_id = ?`, [req.params.scanId, e.id])
        : [];
      if (!s) throw new AppException(appError('NOT_FOUND', 'count-minutes.not_found', 404));
      if (!(await canView(req, res, areaTarget(e.id, s.area_id)))) return;
      if (!(await d.files.send(res, req.scope.em, s.file_id))) throw new AppException(appError('NOT_FOUND', 'count-minutes.not_found', 404));
    });

    // --- API for machine clients -----------------------------------------------------------------------------

    const requireJson = async (req: Request, _res: Response, next: NextFunction) => {
      if (!req.is('application/json')) {
        await auditRefusal(req, 'core.minutes.entry.save', 'rejected', undefined, { code: 'UNSUPPORTED_MEDIA_TYPE', contentType: String(req.get('content-type') ?? '').slice(0, 100) });
        next(new AppException(appError('UNSUPPORTED_MEDIA_TYPE', 'count-minutes.content_type', 415)));
        return;
      }
      next();
    };
    const apiEntryInput = z.looseObject({ id: uuid, pollingAreaId: uuid, contest: contestId });
    mountAction(r, p, {
      id: 'core.minutes.entry.save',
      method: 'post',
      path: '/api/v1/elections/:id/count-minutes/entries',
      permission: MINUTES_ENTER,
      form: 'count-minutes',
      lean: true,
      input: apiEntryInput,
      before: [requireJson, idempotent(d.orm)],
      target: async (i, _req, em) => (await areaContext(em, d, i.id, i.pollingAreaId, i.contest), areaTarget(i.id, i.pollingAreaId)), // as the page's
      handle: async (i, ctx) => {
        const c = await areaContext(ctx.req.scope.em, d, i.id, i.pollingAreaId, i.contest);
        if (!c.ok) return err(c.error);
        const parsed = parseSubmission(submissionOf(i, false));
        if (!parsed.ok) return err(refuse(lang(ctx.req), appError('INPUT_INVALID', 'count-minutes.input.invalid', 400, undefined, parsed.issues), c.value));
        const s = await saveEntry(ctx.em, d, c.value, ctx.actor.id, parsed.value);
        if (!s.ok) return err(refuse(lang(ctx.req), s.error, c.value));
        const o = s.value;
        return ok({
          targetType: 'count-minutes', targetId: o.minutesId, before: o.before, after: o.after, status: o.rev === 1 ? 201 : 200,
          json: { minutesId: o.minutesId, status: o.status, slot: o.slot, entryStatus: o.entryStatus, rev: o.rev, acceptedVersionId: o.acceptedVersionId ?? null },
          afterCommit: o.aggregate ? async () => void (await dispatchAggregation(d.jobs, o.aggregate)) : undefined,
        });
      },
    });

    r.get('/api/v1/elections/:id/count-minutes/:pollingAreaId/:contest', async (req, res) => {
      const e = await electionOf(req);
      const c = await contextOf(req.scope.em, e.id, String(req.params.pollingAreaId), String(req.params.contest));
      await authorize(p, req, MINUTES_VIEW, areaTarget(e.id, c.area.id));
      const m = await findMinutes(req.scope.em, c.area.id, c.contest);
      const mine = m ? (await entriesOf(req.scope.em, m.id)).find((x) => x.user_id === req.scope.actor.id) : undefined;
      res.json({
        pollingAreaId: c.area.id, contest: c.contest, minutesId: m?.id ?? null, status: m?.status ?? 'none', acceptedVersionId: m?.accepted_version_id ?? null,
        acceptedRevision: m?.accepted_revision ?? 0, mode: c.mode, ballotInventory: c.ctx.ballotInventory,
        candidates: c.candidates.map((x) => ({ id: x.id, name: x.name, ballotOrder: x.order })), seats: c.unit.seats,
        yourEntry: mine ? { slot: mine.slot, status: mine.status, rev: mine.rev, returnFields: mine.return_fields } : null,
      });
    });

    return r;
  };
}

const count = z.number().int().min(0).max(10_000_000);
function registerOperations(): void {
  const entry = z.object({
    pollingAreaId: z.string().uuid(),
    contest: z.string().describe('national-assembly | provincial-council | commune-council'),
    rev: z.number().int().min(0).optional().describe('Phiên bản lần nhập của bạn đã đọc (0 = lần đầu); khác → 409 STALE_VERSION'),
    submit: z.boolean().optional().describe('true (mặc định): nộp; false: lưu nháp'),
    votersTotal: count, votersVoted: count, ballotsIssued: count, ballotsReceived: count, ballotsValid: count, ballotsInvalid: count,
    votes: z.array(z.object({ candidateId: z.string().uuid(), votes: count })).describe('Mỗi người ứng cử của danh sách chính thức đúng một dòng'),
    piles: z.record(z.string(), count).optional().describe('Số tên để lại (1..số đại biểu) → số phiếu'),
    complaints: z.object({ received: count, resolved: count, forwarded: count, text: z.string().max(4000).optional() }),
    teamMembersPresent: count,
    ballotsFromBoard: count.nullable().optional().describe('Quy tắc 23 — số phiếu nhận từ Ban bầu cử (không bắt buộc, trừ khi thiết lập ballot-inventory = required)'),
    ballotsUnused: count.nullable().optional().describe('Quy tắc 23 — số phiếu không sử dụng, đã niêm phong'),
    ballotsSpoiled: count.nullable().optional().describe('Quy tắc 23 — số phiếu hỏng đã đổi, đã niêm phong'),
    confirmedWarnings: z.array(z.string()).optional().describe('Mã cảnh báo đã xác nhận (W201…); cần kèm note'),
    note: z.string().max(2000).optional(),
  }).strict();
  const outcome = z.object({ minutesId: z.string().uuid(), status: z.enum(['draft', 'entered', 'differences', 'accepted']), slot: z.number().int(), entryStatus: z.string(), rev: z.number().int(), acceptedVersionId: z.string().uuid().nullable() });
  registerApiOperation({
    method: 'post',
    path: '/api/v1/elections/{electionId}/count-minutes/entries',
    operationId: 'submitCountMinutesEntry',
    summary: 'Nộp (hoặc lưu nháp) một lần nhập biên bản kết quả kiểm phiếu / submit a count-minutes entry',
    tags: ['count-minutes'],
    idempotent: true,
    description: 'Cùng kiểm tra, quy tắc (docs/rules.md), nhập hai lần và nhật ký như trang nhập. Người gọi là một lần nhập; lần nhập thứ hai phải do người khác. Lỗi quy tắc → 400 RULE_ERRORS; cảnh báo chưa xác nhận → 400 WARNINGS_UNCONFIRMED. '
      + 'Kiểm kê phiếu bầu (quy tắc 23): ballotsFromBoard = ballotsIssued + ballotsUnused + ballotsSpoiled (F211) khi có đủ ba ô; thiết lập ballot-inventory của cuộc bầu cử '
      + '(xem ballotInventory trong GET): off — không kiểm tra; optional (mặc định) — kiểm tra khi có đủ ba ô; required — phải có đủ ba ô (F104).',
    request: entry,
    responses: {
      200: { description: 'Đã lưu lần nhập (cập nhật)', schema: outcome },
      201: { description: 'Đã lưu lần nhập (lần đầu)', schema: outcome },
      400: { description: 'INPUT_INVALID, RULE_ERRORS, WARNINGS_UNCONFIRMED (details: field, code, message)' },
      403: { description: 'FORBIDDEN' },
      409: { description: 'SAME_USER, STALE_VERSION, MINUTES_ACCEPTED, ENTRIES_FULL, FORM_CLOSED, IDEMPOTENCY_KEY_REUSED' },
      413: { description: 'PAYLOAD_TOO_LARGE' },
      415: { description: 'UNSUPPORTED_MEDIA_TYPE' },
    },
  });
  registerApiOperation({
    method: 'get',
    path: '/api/v1/elections/{electionId}/count-minutes/{pollingAreaId}/{contest}',
    operationId: 'getCountMinutesStatus',
    summary: 'Tình trạng biên bản của một khu vực bỏ phiếu và danh sách người ứng cử / minutes status and candidate list',
    tags: ['count-minutes'],
    responses: {
      200: {
        description: 'Tình trạng (không bao giờ gồm số liệu của người nhập khác)',
        schema: z.object({
          pollingAreaId: z.string().uuid(), contest: z.string(), minutesId: z.string().uuid().nullable(), status: z.string(), acceptedVersionId: z.string().uuid().nullable(),
          acceptedRevision: z.number().int(), mode: z.string(), seats: z.number().int(),
          ballotInventory: z.enum(['off', 'optional', 'required']).describe('Thiết lập kiểm kê phiếu bầu (quy tắc 23) của cuộc bầu cử cho cuộc bầu này'),
          candidates: z.array(z.object({ id: z.string().uuid(), name: z.string(), ballotOrder: z.number().int() })),
          yourEntry: z.object({ slot: z.number().int(), status: z.string(), rev: z.number().int(), returnFields: z.array(z.string()).nullable() }).nullable(),
        }),
      },
      404: { description: 'NOT_FOUND' },
    },
  });
}
