// Pages and actions of elections: the list, the creation and edit forms, the overview (contests, phase and the
// "next phase" button, calendar status), phase moves, the contests switch page, and the legal calendar per scope
// with its edit form and on-demand recompute. Writes go through mountAction (validation → policy → transaction →
// audit); a refused form is shown again with its messages beside the fields.
import { Router, type Request, type Response, type NextFunction } from 'express';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Render } from '../http/render.js';
import { guard, mountAction, type PipelineDeps } from '../http/endpoint.js';
import { NATION, type ScopeResolver, type Target } from '../auth/policy.js';
import type { PluginStateService } from '../plugin-host/plugin-state.service.js';
import type { TreeLevel } from '../plugin-api/index.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { AppException, appError, ok, err, type FieldIssue } from '../shared/result.js';
import { sql } from '../persistence/db.js';
import {
  contestsOf, createElection, getElection, listElections, movePhase, newElectionInput, electionFieldsInput, setDeadlineOverrides,
  updateElection, EDITABLE_PHASES, type ElectionRow,
} from './elections.service.js';
import { PHASES, nextPhase, previousPhase, type Phase } from './phases.js';
import { DEADLINES, DEADLINE_LEVELS, OVERRIDE_BOUNDS, computeDeadlines, parseOverrides, type DeadlineLevel } from './calendar/deadlines.js';
import { LEVEL_OF_SCOPE, overdueCounts, recomputeElection, refreshDueDates, scopeCalendar, storedScopes, type ScopeCalendar } from './calendar/calendar.service.js';
import type { CheckScope } from './calendar/completeness.js';
import { daysBetween, ddmmyyyy, showDay, vnDate } from './calendar/dates.js';
import { DEFAULT_VOTING_CLOSE, DEFAULT_VOTING_OPEN } from './calendar/rules.js';

export interface ElectionRouteDeps {
  pipeline: PipelineDeps;
  scopes: ScopeResolver;
  pluginStates: PluginStateService;
  clock: Clock;
  log: Logger;
}

const uuid = z.string().uuid();
const SCOPE_ORDER: TreeLevel[] = ['nation', 'province', 'commune', 'electoral-unit', 'polling-area'];
const WEEK_MS = 7 * 86_400_000;

/** Elections are national records: every permission on them targets the nation node, within the election. */
const electionTarget = (electionId?: string): Target => ({ type: 'nation', code: NATION, electionId });

export function electionsRoutes(d: ElectionRouteDeps) {
  return (render: Render): Router => {
    const r = Router();
    const p = d.pipeline;
    const nation = () => electionTarget();

    /** Whether the signed-in actor holds a permission on a target (to show or hide a button; the action re-checks). */
    const can = async (req: Request, permission: string, target: Target = nation()) =>
      req.scope.actor.kind !== 'anonymous' && (await p.policy.decide(req.scope.em, req.scope.actor.assignments, permission, target)).allowed;

    async function loadElection(req: Request): Promise<ElectionRow> {
      const id = String(req.params.id);
      if (!uuid.safeParse(id).success) throw new AppException(appError('NOT_FOUND', 'elections.not_found', 404));
      const e = await getElection(req.scope.em, id);
      if (!e) throw new AppException(appError('NOT_FOUND', 'elections.not_found', 404));
      return e;
    }

    const phaseLabel = (req: Request, ph: string) => req.scope.t(`elections.phase.${ph}`);
    const pluginTitle = (req: Request, id: string) => {
      const pl = d.pluginStates.installed().find((x) => x.pluginId === id);
      return pl ? req.scope.t(pl.titleKey) : id;
    };

    /** Days to (or since) election day, as a sentence. */
    function countdown(req: Request, day: string): string {
      const n = daysBetween(vnDate(d.clock.now()), day);
      return n > 0 ? req.scope.t('elections.days_to_go', { n }) : n === 0 ? req.scope.t('elections.day_today') : req.scope.t('elections.days_since', { n: -n });
    }

    /**
     * A form refused with field-level problems (rules 10/11, bounds) is shown again with what was typed and each
     * message beside its field, status 400; other errors go on to the error page. The refusal is already audited.
     */
    function formErrors(page: string, data: (req: Request) => Promise<Record<string, unknown>>) {
      return async (e: unknown, req: Request, res: Response, next: NextFunction) => {
        if (!(e instanceof AppException) || (e.appError.status ?? 400) !== 400 || req.accepts(['html', 'json']) !== 'html') return next(e);
        try {
          const issues: FieldIssue[] = e.appError.details?.length ? e.appError.details : [{ code: e.appError.code, messageKey: e.appError.messageKey, params: e.appError.params }];
          const fieldErrors: Record<string, string> = {};
          // Generic input messages name the field by its id ("«electionDay»"): show its label instead.
          const label = (f: string) => {
            for (const key of [`elections.field.${f}`, `calendar.deadline.${f}`]) if (req.scope.t(key) !== key) return req.scope.t(key);
            return f;
          };
          const messages = issues.map((i) => {
            const text = req.scope.t(i.messageKey, i.field && i.params?.field ? { ...i.params, field: label(i.field) } : i.params);
            if (i.field && !fieldErrors[i.field]) fieldErrors[i.field] = text;
            return { field: i.field, text };
          });
          render(req, res, page, { ...(await data(req)), form: { ...(req.body ?? {}) }, errors: messages, fieldErrors, errorCode: e.appError.code },
            { status: 400, title: req.scope.t('elections.error.form_title'), nav: 'elections' });
        } catch (e2) {
          next(e2);
        }
      };
    }

    // ---- list, creation -------------------------------------------------------------------------------------------

    r.get('/elections', guard(p, 'core.elections.view', nation), async (req, res) => {
      const rows = await listElections(req.scope.em);
      const overdue = await overdueCounts(req.scope.em, rows.map((e) => e.id));
      const installedOrder = d.pluginStates.installed().map((x) => x.pluginId);
      const elections = rows.map((e) => ({
        id: e.id, name: e.name, dayText: showDay(e.election_day, req.scope.lang), phaseText: phaseLabel(req, e.status), phase: e.status,
        contests: installedOrder.filter((c) => e.contests.includes(c)).map((c) => pluginTitle(req, c)), overdue: overdue.get(e.id) ?? 0,
      }));
      render(req, res, 'elections/index', { elections, canCreate: await can(req, 'core.elections.manage') }, { title: req.scope.t('elections.title'), nav: 'elections' });
    });

    /** The creation form: installed election types as checkboxes (all ticked for a general election). */
    const newFormData = (req: Request, checked?: string[]) => ({
      plugins: d.pluginStates.installed().map((pl) => ({ ...pl, title: req.scope.t(pl.titleKey), checked: !checked || checked.includes(pl.pluginId) })),
    });

    r.get('/elections/new', guard(p, 'core.elections.manage', nation), async (req, res) => {
      render(req, res, 'elections/new', { ...newFormData(req), form: { votingOpen: DEFAULT_VOTING_OPEN, votingClose: DEFAULT_VOTING_CLOSE } },
        { title: req.scope.t('elections.new'), nav: 'elections' });
    });

    mountAction(r, p, {
      id: 'core.elections.create',
      method: 'post',
      path: '/elections/new',
      permission: 'core.elections.manage',
      input: newElectionInput.strict(),
      target: () => nation(),
      handle: async (i, ctx) => {
        const created = await createElection(ctx.em, ctx.actor.id, i, d.pluginStates, ctx.req.scope.lang);
        if (!created.ok) return created;
        const e = created.value.election;
        return ok({
          targetType: 'election', targetId: e.id,
          after: { name: e.name, electionDay: e.election_day, votingOpen: e.voting_open, votingClose: e.voting_close, phase: e.status, contests: created.value.contests },
          redirect: `/elections/${e.id}`,
          flash: ctx.t('elections.created', { name: e.name }),
          afterCommit: async () => {
            for (const c of created.value.contests) await d.pluginStates.syncSchedules(e.id, c, true);
          },
        });
      },
    });
    r.use('/elections/new', formErrors('elections/new', async (req) => {
      const raw: unknown = req.body?.contests;
      return newFormData(req, Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? [raw] : []);
    }));

    // ---- overview, edit, phases -----------------------------------------------------------------------------------

    r.get('/elections/:id', guard(p, 'core.elections.view', (req) => electionTarget(String(req.params.id))), async (req, res) => {
      const e = await loadElection(req);
      const now = d.clock.now();
      const contests = await contestsOf(req.scope.em, e.id, d.pluginStates.installed().map((x) => x.pluginId));
      const scope = await viewScope(req, e);
      const cal = await scopeCalendar(req.scope.em, e, scope, now, logCheckError(e.id));
      const view = calendarView(req, e, cal, now);
      const next = nextPhase(e.status);
      const prev = previousPhase(e.status);
      const canManage = await can(req, 'core.elections.manage', electionTarget(e.id));
      render(req, res, 'elections/show', {
        election: e,
        dayText: showDay(e.election_day, req.scope.lang),
        countdown: countdown(req, e.election_day),
        phaseText: phaseLabel(req, e.status),
        steps: PHASES.map((ph, i) => ({ id: ph, n: i + 1, label: phaseLabel(req, ph), current: ph === e.status, done: PHASES.indexOf(e.status) > i })),
        next: next && { id: next, label: phaseLabel(req, next) },
        prev: prev && { id: prev, label: phaseLabel(req, prev) },
        contests: contests.map((c) => ({ id: c, title: pluginTitle(req, c) })),
        summary: view.summary,
        upcoming: view.rows.filter((x) => !x.passed).slice(0, 4),
        overdueRows: view.rows.filter((x) => x.state === 'overdue').slice(0, 5),
        scopeText: await scopeName(req.scope.em, req, scope),
        canManage,
        canEdit: canManage && EDITABLE_PHASES.includes(e.status),
        canStepBack: await can(req, 'core.elections.phase-back', electionTarget(e.id)),
        canPlugins: await can(req, 'core.plugins.manage', electionTarget(e.id)),
      }, { title: e.name, nav: 'elections' });
    });

    const editFormData = async (req: Request) => {
      const e = await loadElection(req);
      return { election: e };
    };

    r.get('/elections/:id/edit', guard(p, 'core.elections.manage', (req) => electionTarget(String(req.params.id))), async (req, res) => {
      const { election: e } = await editFormData(req);
      if (!EDITABLE_PHASES.includes(e.status)) throw new AppException(appError('ELECTION_LOCKED', 'elections.error.locked', 409));
      render(req, res, 'elections/edit', { election: e, form: { name: e.name, electionDay: e.election_day, votingOpen: e.voting_open, votingClose: e.voting_close } },
        { title: req.scope.t('elections.edit'), nav: 'elections' });
    });

    mountAction(r, p, {
      id: 'core.elections.update',
      method: 'post',
      path: '/elections/:id/edit',
      permission: 'core.elections.manage',
      input: electionFieldsInput.extend({ id: uuid }).strict(),
      target: (i) => electionTarget(i.id),
      handle: async (i, ctx) => {
        const u = await updateElection(ctx.em, i.id, i);
        if (!u.ok) return u;
        await refreshDueDates(ctx.em, (await getElection(ctx.em, i.id))!, d.clock.now());
        return ok({ targetType: 'election', targetId: i.id, before: u.value.before, after: u.value.after, redirect: `/elections/${i.id}`, flash: ctx.t('elections.updated') });
      },
    });
    r.use('/elections/:id/edit', formErrors('elections/edit', editFormData));

    mountAction(r, p, {
      id: 'core.elections.phase',
      method: 'post',
      path: '/elections/:id/phase',
      // Forward: election managers. Back: administrators only (step-up), with a reason.
      permission: (i) => (PHASES.indexOf(i.to as Phase) < PHASES.indexOf(i.from as Phase) ? 'core.elections.phase-back' : 'core.elections.manage'),
      input: z.object({ id: uuid, from: z.string().max(30), to: z.string().max(30), reason: z.string().max(1000).optional() }).strict(),
      target: (i) => electionTarget(i.id),
      handle: async (i, ctx) => {
        const m = await movePhase(ctx.em, i.id, i.from, i.to, i.reason);
        if (!m.ok) return m;
        return ok({ targetType: 'election', targetId: i.id, before: m.value.before, after: m.value.after, redirect: `/elections/${i.id}`, flash: ctx.t('elections.phase_moved', { phase: ctx.t(`elections.phase.${i.to}`) }) });
      },
    });

    // ---- contests (plugins) held by the election --------------------------------------------------------------------

    /**
     * The plugins page; after a refused settings form (`refused`), that plugin's fields show what was typed and each
     * message beside its field.
     */
    async function pluginsPage(req: Request, res: Response, refused?: { pluginId: string; values: Record<string, unknown>; issues: FieldIssue[]; message: string }) {
      const election = await loadElection(req);
      const states = (await d.pluginStates.states(req.scope.em, election.id)).map((st) => {
        const mine = refused?.pluginId === st.pluginId ? refused : undefined;
        const fields = d.pluginStates.settingFields(st.pluginId, mine ? { ...st.settings, ...mine.values } : st.settings).map((f) => {
          const issue = mine?.issues.find((x) => x.field === f.id);
          return { ...f, error: issue ? req.scope.t(issue.messageKey, issue.params) : undefined };
        });
        const unknown = mine?.issues.filter((x) => !fields.some((f) => f.id === x.field)).map((x) => req.scope.t(x.messageKey, x.params)) ?? [];
        return { ...st, fields, refusedMessage: mine?.message, unknown };
      });
      const canManage = (await p.policy.decide(req.scope.em, req.scope.actor.assignments, 'core.plugins.manage', electionTarget(election.id))).allowed;
      render(req, res, 'elections/plugins', { election, states, canManage }, { title: req.scope.t('elections.plugins'), nav: 'elections', status: refused ? 400 : 200 });
    }

    r.get('/elections/:id/plugins', guard(p, 'core.elections.view', (req) => electionTarget(String(req.params.id))), async (req, res) => {
      await pluginsPage(req, res);
    });

    // Settings of one contest type for this election (the [U] rules' values: invalid-share threshold, rule 23 ballot
    // inventory …), checked against the plugin's declarations, all or nothing, audited with before and after.
    mountAction(r, p, {
      id: 'core.plugin.settings',
      method: 'post',
      path: '/elections/:id/plugins/:pluginId/settings',
      permission: 'core.plugins.manage',
      input: z.looseObject({ id: uuid, pluginId: z.string().min(1).max(60) }),
      target: (i) => electionTarget(i.id),
      handle: async (i, ctx) => {
        const { id: _id, pluginId: _plugin, _csrf, ...form } = i as Record<string, unknown>;
        const res = await d.pluginStates.saveSettingsIn(ctx.em, i.id, i.pluginId, form, ctx.req.scope.lang);
        if (!res.ok) return res;
        return ok({
          targetType: 'plugin', targetId: `${i.id}:${i.pluginId}`, before: res.value.before, after: res.value.after,
          redirect: `/elections/${i.id}/plugins`, flash: ctx.t('elections.plugin_settings_saved', { plugin: pluginTitle(ctx.req, i.pluginId) }),
          json: ctx.req.accepts(['html', 'json']) === 'json' ? { settings: res.value.after } : undefined,
        });
      },
    });
    // A refused settings form comes back as the page, with what was typed and each message beside its field (400).
    r.use('/elections/:id/plugins/:pluginId/settings', async (e: unknown, req: Request, res: Response, next: NextFunction) => {
      if (!(e instanceof AppException) || e.appError.code !== 'INPUT_INVALID' || req.method !== 'POST' || req.accepts(['html', 'json']) !== 'html') return next(e);
      const values = Object.fromEntries(Object.entries((req.body ?? {}) as Record<string, unknown>).filter(([k]) => k !== '_csrf'));
      try {
        await pluginsPage(req, res, { pluginId: String(req.params.pluginId), values, issues: e.appError.details ?? [], message: req.scope.t(e.appError.messageKey, e.appError.params) });
      } catch (x) {
        next(x);
      }
    });

    mountAction(r, p, {
      id: 'core.plugin.set-enabled',
      method: 'post',
      path: '/elections/:id/plugins/:pluginId',
      permission: 'core.plugins.manage',
      input: z.object({ id: uuid, pluginId: z.string().min(1).max(60), enabled: z.enum(['true', 'false']) }).strict(),
      target: (i) => electionTarget(i.id),
      handle: async (i, ctx) => {
        const enabled = i.enabled === 'true';
        const res = await d.pluginStates.setEnabledIn(ctx.em, i.id, i.pluginId, enabled, ctx.req.scope.lang);
        if (!res.ok) return res;
        // The contests held decide which deadlines apply.
        await refreshDueDates(ctx.em, (await getElection(ctx.em, i.id))!, d.clock.now());
        return ok({
          targetType: 'plugin', targetId: `${i.id}:${i.pluginId}`, before: res.value.before, after: res.value.after,
          redirect: `/elections/${i.id}/plugins`,
          flash: ctx.t(enabled ? 'elections.plugin_enabled' : 'elections.plugin_disabled', { plugin: pluginTitle(ctx.req, i.pluginId) }),
          afterCommit: () => d.pluginStates.syncSchedules(i.id, i.pluginId, enabled),
        });
      },
    });

    // ---- legal calendar -----------------------------------------------------------------------------------------------

    const logCheckError = (electionId: string) => (check: string, e: unknown) =>
      d.log.warn({ electionId, check, err: e instanceof Error ? e.message : String(e) }, 'deadline check failed');

    /**
     * The scope a calendar is shown for: the actor's broadest assignment (nation, else its province, else its
     * commune …), or `?scope=province:79` when that node lies inside one of the actor's assignments.
     */
    async function viewScope(req: Request, e: ElectionRow): Promise<CheckScope> {
      const own = req.scope.actor.assignments
        .filter((a) => !a.electionId || a.electionId === e.id)
        .sort((a, b) => SCOPE_ORDER.indexOf(a.scopeType) - SCOPE_ORDER.indexOf(b.scopeType));
      const fallback: CheckScope = own[0] ? { type: own[0].scopeType, code: own[0].scopeCode } : { type: 'nation', code: NATION };
      const m = typeof req.query.scope === 'string' ? /^(nation|province|commune):([0-9A-Za-z]{1,12})$/.exec(req.query.scope) : null;
      if (!m) return fallback;
      const wanted: CheckScope = { type: m[1] as TreeLevel, code: m[2] };
      const chain = await d.scopes.ancestors(req.scope.em, wanted);
      if (!chain) return fallback;
      return own.some((a) => chain.some((n) => n.type === a.scopeType && n.code === a.scopeCode)) ? wanted : fallback;
    }

    async function scopeName(em: EntityManager, req: Request, s: CheckScope): Promise<string> {
      if (s.type === 'nation') return req.scope.t('calendar.scope.nation');
      if (s.type === 'province' || s.type === 'commune') {
        const [u] = await sql<{ name: string }>(em, `select name from admin_unit where code = ? and level = ? and valid_to is null`, [s.code, s.type]);
        return u?.name ?? s.code;
      }
      return `${s.type} ${s.code}`;
    }

    /** The rows of a calendar page: dates in Vietnamese style, relative days, state and what is missing. */
    function calendarView(req: Request, e: ElectionRow, cal: ScopeCalendar, now: Date, level?: DeadlineLevel) {
      const t = req.scope.t;
      const lang = req.scope.lang;
      const today = vnDate(now);
      const ownLevel = LEVEL_OF_SCOPE[cal.scope.type];
      const rows = cal.states.filter((s) => !level || s.due.def.level === level).map((s) => {
        const due = s.due;
        const def = due.def;
        const diff = daysBetween(today, due.date);
        let state: string;
        let statusText: string;
        let detail: string | undefined;
        let examples: string | undefined;
        const sameLevel = def.level === ownLevel;
        if (def.kind === 'cutoff') {
          state = s.passed ? 'closed' : 'open';
          statusText = t(s.passed ? 'calendar.state.closed' : 'calendar.state.open');
        } else if (!s.result) {
          state = s.passed ? 'passed-untracked' : 'untracked';
          statusText = t(s.passed ? 'calendar.state.passed_untracked' : 'calendar.state.untracked');
        } else if (s.result.missing === 0) {
          state = 'done';
          statusText = sameLevel ? t('calendar.state.done') : t('calendar.state.done_all', { total: s.result.total });
        } else {
          state = s.overdue ? 'overdue' : 'pending';
          statusText = sameLevel && s.result.total === 1 ? t('calendar.state.not_done') : t(`calendar.pending.${def.id}`, { missing: s.result.missing, total: s.result.total });
          if (!(sameLevel && s.result.total === 1)) detail = t('calendar.of_total', { missing: s.result.missing, total: s.result.total });
          if (s.result.examples.length) examples = t('calendar.examples', { list: s.result.examples.map((x) => x.name).join(', ') + (s.result.missing > s.result.examples.length ? '…' : '') });
        }
        return {
          id: def.id,
          title: t(`calendar.deadline.${def.id}`),
          level: def.level,
          levelText: t(`calendar.level.${def.level}`),
          uncertain: !!def.uncertain,
          basis: def.basis,
          dateText: showDay(due.date, lang),
          time: due.time,
          eText: due.days < 0 ? t('calendar.e_short_before', { n: -due.days }) : t('calendar.e_short_after', { n: due.days }),
          overriddenText: due.overridden ? t('calendar.overridden', { e: def.days < 0 ? t('calendar.e_short_before', { n: -def.days }) : t('calendar.e_short_after', { n: def.days }) }) : undefined,
          relText: diff > 0 ? t('calendar.in_days', { n: diff }) : diff === 0 ? t('calendar.due_today') : t('calendar.days_ago', { n: -diff }),
          passed: s.passed,
          soon: !s.passed && due.dueAt.getTime() - now.getTime() <= WEEK_MS,
          state, statusText, detail, examples,
          todayBefore: false,
        };
      });
      // A "today" line between what has passed and what is ahead.
      const firstAhead = rows.findIndex((x) => !x.passed);
      if (firstAhead >= 0) rows[firstAhead].todayBefore = true;
      const tasks = rows.filter((x) => !['open', 'closed'].includes(x.state));
      const summary = {
        overdue: rows.filter((x) => x.state === 'overdue').length,
        soon: rows.filter((x) => x.soon && x.state !== 'done').length,
        done: rows.filter((x) => x.state === 'done').length,
        untracked: tasks.filter((x) => x.state === 'untracked' || x.state === 'passed-untracked').length,
      };
      return {
        rows, summary, todayText: t('calendar.today', { date: showDay(today, lang) }), allPassed: firstAhead < 0,
      };
    }

    r.get('/elections/:id/calendar', guard(p, 'core.elections.view', (req) => electionTarget(String(req.params.id))), async (req, res) => {
      const e = await loadElection(req);
      const now = d.clock.now();
      const scope = await viewScope(req, e);
      const level = DEADLINE_LEVELS.includes(req.query.level as DeadlineLevel) ? (req.query.level as DeadlineLevel) : undefined;
      const cal = await scopeCalendar(req.scope.em, e, scope, now, logCheckError(e.id));
      const view = calendarView(req, e, cal, now, level);
      const levelsHere = DEADLINE_LEVELS.filter((l) => cal.states.some((s) => s.due.def.level === l));
      const provinces = scope.type === 'nation' || req.query.scope
        ? await sql<{ code: string; name: string }>(req.scope.em, `select code, name from admin_unit where level = 'province' and valid_to is null order by sort_key`)
        : [];
      const isNationActor = req.scope.actor.assignments.some((a) => a.scopeType === 'nation' && (!a.electionId || a.electionId === e.id));
      render(req, res, 'elections/calendar', {
        election: e,
        dayText: showDay(e.election_day, req.scope.lang),
        scope, scopeText: await scopeName(req.scope.em, req, scope), scopeParam: req.query.scope === `${scope.type}:${scope.code}` ? `${scope.type}:${scope.code}` : '',
        ...view,
        level: level ?? '',
        levels: levelsHere.map((l) => ({ id: l, text: req.scope.t(`calendar.level.${l}`), current: l === level })),
        provinces: isNationActor ? provinces.map((pv) => ({ ...pv, current: scope.type === 'province' && scope.code === pv.code })) : [],
        computedAtText: cal.computedAt ? formatInstant(cal.computedAt) : undefined,
        canRecompute: await can(req, 'core.elections.calendar-recompute', { ...scope, electionId: e.id } as Target),
        canEdit: await can(req, 'core.elections.manage', electionTarget(e.id)),
      }, { title: `${req.scope.t('calendar.title')} — ${e.name}`, nav: 'elections' });
    });

    mountAction(r, p, {
      id: 'core.elections.calendar-recompute',
      method: 'post',
      path: '/elections/:id/calendar/recompute',
      permission: 'core.elections.calendar-recompute',
      input: z.object({ id: uuid, scope: z.string().regex(/^(nation|province|commune):[0-9A-Za-z]{1,12}$/) }).strict(),
      target: (i) => {
        const [type, code] = i.scope.split(':');
        return { type: type as TreeLevel, code, electionId: i.id };
      },
      handle: async (i, ctx) => {
        const e = await getElection(ctx.em, i.id);
        if (!e) return err(appError('ELECTION_NOT_FOUND', 'elections.not_found', 404));
        const [type, code] = i.scope.split(':');
        const scope: CheckScope = { type: type as TreeLevel, code };
        // At nation scope the provinces are refreshed too: the NEC's figures and a province's own must agree.
        const scopes = type === 'nation' ? (await storedScopes(ctx.em, e.id)).filter((s) => s.type === 'nation' || s.type === 'province') : [scope];
        const r2 = await recomputeElection(ctx.em, e, scopes, d.clock.now(), logCheckError(e.id));
        const back = ctx.req.get('referer')?.replace(/^https?:\/\/[^/]+/, '');
        return ok({ targetType: 'election', targetId: e.id, after: { scope: i.scope, scopes: r2.scopes, overdue: r2.overdue }, redirect: back?.startsWith(`/elections/${e.id}`) ? back : `/elections/${e.id}/calendar`, flash: ctx.t('calendar.recomputed') });
      },
    });

    const calendarEditData = async (req: Request) => {
      const e = await loadElection(req);
      const defaults = computeDeadlines({ electionDay: e.election_day, overrides: {}, votingOpen: e.voting_open });
      return {
        election: e,
        dayText: showDay(e.election_day, req.scope.lang),
        deadlines: DEADLINES.map((def) => {
          const due = defaults.find((x) => x.def.id === def.id)!;
          return {
            id: def.id, title: req.scope.t(`calendar.deadline.${def.id}`), levelText: req.scope.t(`calendar.level.${def.level}`), uncertain: !!def.uncertain,
            defaultDays: def.days, defaultDate: ddmmyyyy(due.date), time: due.time, basis: def.basis,
            defaultText: def.days < 0 ? req.scope.t('calendar.e_short_before', { n: -def.days }) : req.scope.t('calendar.e_short_after', { n: def.days }),
            min: def.days < 0 ? OVERRIDE_BOUNDS.before.min : OVERRIDE_BOUNDS.after.min,
            max: def.days < 0 ? OVERRIDE_BOUNDS.before.max : OVERRIDE_BOUNDS.after.max,
            value: e.deadline_overrides[def.id] !== undefined ? String(e.deadline_overrides[def.id]) : '',
          };
        }),
      };
    };

    r.get('/elections/:id/calendar/edit', guard(p, 'core.elections.manage', (req) => electionTarget(String(req.params.id))), async (req, res) => {
      const data = await calendarEditData(req);
      render(req, res, 'elections/calendar-edit', { ...data, form: Object.fromEntries(data.deadlines.map((x) => [x.id, x.value])) }, { title: req.scope.t('calendar.edit_title'), nav: 'elections' });
    });

    mountAction(r, p, {
      id: 'core.elections.calendar-update',
      method: 'post',
      path: '/elections/:id/calendar/edit',
      permission: 'core.elections.manage',
      input: z.object({ id: uuid, ...Object.fromEntries(DEADLINES.map((x) => [x.id, z.string().max(10).optional()])) }).strict(),
      target: (i) => electionTarget(i.id as string),
      handle: async (i, ctx) => {
        const { id, ...raw } = i as Record<string, string | undefined> & { id: string };
        const parsed = parseOverrides(raw);
        if (!parsed.ok) return parsed;
        const s = await setDeadlineOverrides(ctx.em, id, parsed.value);
        if (!s.ok) return s;
        await refreshDueDates(ctx.em, (await getElection(ctx.em, id))!, d.clock.now());
        return ok({ targetType: 'election', targetId: id, before: { deadlineOverrides: s.value.before }, after: { deadlineOverrides: s.value.after }, redirect: `/elections/${id}/calendar`, flash: ctx.t('calendar.saved') });
      },
    });
    r.use('/elections/:id/calendar/edit', formErrors('elections/calendar-edit', calendarEditData));

    return r;
  };
}

/** "01:00 15/02/2026", Vietnam time (the same in both languages). */
function formatInstant(at: Date): string {
  const local = new Date(at.getTime() + 7 * 3_600_000).toISOString();
  return `${local.slice(11, 16)} ${ddmmyyyy(local.slice(0, 10))}`;
}
