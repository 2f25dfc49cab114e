// Pages and actions of results (issue 7 points 3 and 6): the nation overview with progress per province, a province
// with its units (and rule 31 finalisation), a unit with its rounds, candidates, votes, % and explanations, the list
// of units needing a re-vote / additional election / decision, the elected deputies, and the public page the NEC
// switches on. Reads need core.results.view on the node (scoped by role); writes go through mountAction. The NEC's
// decision on an NA additional election (rule 29) needs core.results.nec-decide, which only the NEC holds.
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../../config/config.js';
import type { Render } from '../../http/render.js';
import { pageParams, pager } from '../../http/render.js';
import type { JobService } from '../../jobs/job.service.js';
import type { KernelDeps } from '../../kernel/module.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import type { Clock } from '../../shared/clock.js';
import type { Lang } from '../../shared/i18n.js';
import { AppException, appError, err, ok } from '../../shared/result.js';
import { searchKey } from '../../shared/vn-text.js';
import { percent, percentBreakdown } from '../../shared/percent.js';
import { formatPercent } from '../../shared/percent.js';
import { breakdown } from './breakdown.js';
import { sql, exec } from '../../persistence/db.js';
import { NATION, type Target } from '../../auth/policy.js';
import { authorize, mountAction } from '../../http/endpoint.js';
import { getElection } from '../elections.service.js';
import { COUNT_FIELDS, progressBy, type Counts, type ProgressRow } from './aggregation.js';
import { isIsoDate, seatsForAdditional, validateAdditionalPool, type UnitResult } from './determination.js';
import { renderResultsMessage } from './messages.js';
import { outcomePending, provinceFinalisable, unitOutcomes, type NecDecision, type UnitOutcome } from './results.service.js';

export const VIEW = 'core.results.view';
export const MANAGE = 'core.results.manage';
export const PUBLISH = 'core.results.publish';
export const NEC_DECIDE = 'core.results.nec-decide';
export const RECONCILE_JOB_NAME = 'core.results.reconcile';

export interface ResultsRouteDeps {
  config: Config;
  jobs: JobService;
  access: KernelDeps['access'];
  registry: PluginRegistry;
  clock: Clock;
}

const uuid = z.string().uuid();
const CONTESTS = ['national-assembly', 'provincial-council', 'commune-council'];

interface Settings { public: boolean; round_window_days: number }
async function settingsOf(em: EntityManager, electionId: string): Promise<Settings> {
  const [s] = await sql<Settings>(em, `select public, round_window_days from results_settings where election_id = ?`, [electionId]);
  return s ?? { public: false, round_window_days: 15 };
}

function addDays(iso: string, n: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

async function enabledContests(em: EntityManager, electionId: string): Promise<string[]> {
  const rows = await sql<{ plugin_id: string }>(em, `select plugin_id from plugin_state where election_id = ? and enabled`, [electionId]);
  const set = new Set(rows.map((r) => r.plugin_id));
  return CONTESTS.filter((c) => set.has(c));
}

async function provinceNames(em: EntityManager, day: string): Promise<Map<string, string>> {
  const rows = await sql<{ code: string; name: string }>(em, `select distinct on (code) code, name from admin_unit where level = 'province'
    and valid_from <= ?::date and (valid_to is null or valid_to > ?::date) order by code, valid_from desc`, [day, day]);
  return new Map(rows.map((r) => [r.code, r.name]));
}

/**
 * Rule-25 fields with the turnout percentage, for a table, and the rule-24 breakdowns that must sum to 100.00:
 * voters who voted / did not vote (of the voter list) and valid / invalid ballots (of the ballots received).
 */
function countsView(c: Counts, lang: Lang, t: (k: string) => string) {
  const view = (parts: { key: string; count: number }[]) => {
    const b = breakdown(parts);
    return {
      rows: b.rows.map((r) => ({ label: t(`results.breakdown.${r.key}`), count: r.count, percent: formatPercent(r.percent, lang) })),
      total: formatPercent(b.rows.reduce((s, r) => s + Math.round(r.percent * 100), 0) / 100, lang),
      adjusted: b.adjusted,
    };
  };
  const breakdowns = [];
  if (c.voters_total > 0) {
    breakdowns.push({ title: t('results.breakdown.voters'), ...view([
      { key: 'voted', count: Math.min(c.voters_voted, c.voters_total) }, { key: 'not_voted', count: Math.max(0, c.voters_total - c.voters_voted) }]) });
  }
  if (c.ballots_valid + c.ballots_invalid > 0) {
    breakdowns.push({ title: t('results.breakdown.ballots'), ...view([{ key: 'valid', count: c.ballots_valid }, { key: 'invalid', count: c.ballots_invalid }]) });
  }
  return {
    rows: COUNT_FIELDS.map((f) => ({ label: t(`results.field.${f}`), value: c[f] })),
    turnout: c.voters_total > 0 ? formatPercent(percent(c.voters_voted, c.voters_total), lang) : '',
    breakdowns,
  };
}

function progressView(p: ProgressRow | undefined, lang: Lang) {
  const expected = p?.expected ?? 0;
  const accepted = p?.accepted ?? 0;
  return {
    expected, entered: p?.entered ?? 0, accepted, missing: p?.missing ?? expected,
    percent: expected > 0 ? formatPercent(percent(accepted, expected), lang) : '0',
    width: expected > 0 ? Math.min(100, Math.floor((accepted / expected) * 100)) : 0,
  };
}

export function resultsRoutes(d: ResultsRouteDeps) {
  const p = d.access.pipeline;
  return (render: Render): Router => {
    const r = Router();
    const lang = (req: Request): Lang => req.scope.lang ?? 'vi';
    const t = (req: Request) => req.scope.t;
    const contestLabel = (req: Request, c: string) => t(req)(`results.contest.${c}`);
    const contestTypeOf = (id: string) => d.registry.contestType(id);

    async function electionOf(req: Request, id = String(req.params.id)) {
      const e = uuid.safeParse(id).success ? await getElection(req.scope.em, id) : undefined;
      if (!e) throw new AppException(appError('NOT_FOUND', 'elections.not_found', 404));
      return e;
    }

    /** Anonymous browsers go to sign in; others need the permission on the target (denials audited). */
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

    /**
     * What the actor's assignments reach for results: everything (a national scope), or a set of provinces,
     * communes and units. Pages filter lists with it; the policy decides each assignment.
     */
    async function reach(req: Request, electionId: string): Promise<{ all: boolean; provinces: Set<string>; communes: Set<string>; units: Set<string> }> {
      const out = { all: false, provinces: new Set<string>(), communes: new Set<string>(), units: new Set<string>() };
      for (const a of req.scope.actor.assignments) {
        if (a.electionId && a.electionId !== electionId) continue;
        const target: Target = { type: a.scopeType, code: a.scopeCode, electionId };
        if (!(await allowed(req, VIEW, target))) continue;
        if (a.scopeType === 'nation') out.all = true;
        else if (a.scopeType === 'province') out.provinces.add(a.scopeCode);
        else if (a.scopeType === 'commune') out.communes.add(a.scopeCode);
        else if (a.scopeType === 'electoral-unit') out.units.add(a.scopeCode);
      }
      return out;
    }
    const reaches = (rc: Awaited<ReturnType<typeof reach>>, o: UnitOutcome) =>
      rc.all || rc.provinces.has(o.unit.province_code) || (o.unit.parent_level === 'commune' && rc.communes.has(o.unit.parent_code)) || rc.units.has(o.unit.id);

    const contestOf = (req: Request, contests: string[]) => {
      const q = typeof req.query.contest === 'string' ? req.query.contest : '';
      return contests.includes(q) ? q : contests[0] ?? 'national-assembly';
    };

    function candidateRows(req: Request, res: UnitResult | undefined, names: Map<string, { name: string; dob: string | null }>, unitName: string) {
      if (!res) return [];
      const l = lang(req);
      return res.candidates.map((c, i) => {
        const ex = res.explanation.candidates[i];
        return {
          id: c.candidateId,
          name: names.get(c.candidateId)?.name ?? c.candidateId,
          dob: names.get(c.candidateId)?.dob ?? '',
          votes: c.votes,
          percent: formatPercent(c.percentOfValid, l),
          rank: c.rank,
          elected: c.elected,
          undecided: c.reason === 'tie-undecided',
          explanation: renderResultsMessage(l, ex.key, { ...ex.params, unit: unitName }),
        };
      });
    }

    /** The NEC's decision (rule 29) as the unit page and the pending list show it. */
    function necDecisionView(req: Request, nd: NecDecision) {
      const [y, m, dd] = nd.reference_date.split('-');
      return {
        decision: nd.decision, label: t(req)(`results.nec.decision.${nd.decision}`),
        referenceNumber: nd.reference_number, referenceDate: `${dd}/${m}/${y}`, note: nd.note, decidedAt: nd.decided_at,
      };
    }

    // --- overview: nation + provinces -------------------------------------------------------------------------
    r.get('/elections/:id/results', async (req, res) => {
      const e = await electionOf(req);
      if (req.scope.actor.kind === 'anonymous') {
        res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
        return;
      }
      const rc = await reach(req, e.id);
      if (!rc.all) {
        // A province- or lower-scoped role goes to the province it reaches (scoped by role).
        const first = [...rc.provinces][0];
        if (first) return res.redirect(303, `/elections/${e.id}/results/province/${first}`);
        const [u] = [...rc.units];
        if (u) return res.redirect(303, `/elections/${e.id}/results/unit/${u}`);
        await authorize(p, req, VIEW, { type: 'nation', code: NATION, electionId: e.id });
      }
      const em = req.scope.em;
      const contests = await enabledContests(em, e.id);
      const contest = contestOf(req, contests);
      const l = lang(req);
      const [nationProgress, provProgress, names, totals, settings, lastRun] = await Promise.all([
        progressBy(em, e.id, contest, 'first', 'nation'),
        progressBy(em, e.id, contest, 'first', 'province'),
        provinceNames(em, e.election_day),
        sql<Counts & { scope_level: string; scope_code: string }>(em, `select scope_level, scope_code, ${COUNT_FIELDS.join(', ')} from results_total
          where election_id = ? and contest = ? and round = 'first' and scope_level in ('nation', 'province')`, [e.id, contest]),
        settingsOf(em, e.id),
        sql<{ finished_at: Date; drift: number; ms: number }>(em, `select finished_at, drift, ms from results_reconcile_run where election_id = ? order by started_at desc limit 1`, [e.id]),
      ]);
      const num = (c: any): Counts => Object.fromEntries(COUNT_FIELDS.map((f) => [f, Number(c?.[f] ?? 0)])) as Counts;
      const nationTotals = num(totals.find((x) => x.scope_level === 'nation'));
      const provTotals = new Map(totals.filter((x) => x.scope_level === 'province').map((x) => [x.scope_code, num(x)]));
      // Rule 24: the provinces' shares of the nation's valid ballots are a breakdown — adjusted to sum to 100.00.
      const shares = percentBreakdown(provProgress.map((pp) => (provTotals.get(pp.scope_code) ?? num(undefined)).ballots_valid));
      const provinces = provProgress.map((pp, i) => {
        const c = provTotals.get(pp.scope_code) ?? num(undefined);
        return {
          code: pp.scope_code, name: names.get(pp.scope_code) ?? pp.scope_code, progress: progressView(pp, l),
          voted: c.voters_voted, valid: c.ballots_valid, share: nationTotals.ballots_valid > 0 ? formatPercent(shares[i], l) : '',
          turnout: c.voters_total > 0 ? formatPercent(percent(c.voters_voted, c.voters_total), l) : '',
        };
      });
      render(req, res, 'results/index', {
        election: e, contest, contestLabel: contestLabel(req, contest),
        contests: contests.map((c) => ({ id: c, label: contestLabel(req, c), current: c === contest })),
        progress: progressView(nationProgress[0], l), counts: countsView(nationTotals, l, t(req)), provinces,
        sharesTotal: nationTotals.ballots_valid > 0 ? formatPercent(shares.reduce((a, x) => a + Math.round(x * 100), 0) / 100, l) : '',
        canPublish: await allowed(req, PUBLISH, { type: 'nation', code: NATION, electionId: e.id }),
        canManage: await allowed(req, MANAGE, { type: 'nation', code: NATION, electionId: e.id }),
        settings, lastRun: lastRun[0],
      }, { title: t(req)('results.title'), nav: 'elections' });
    });

    // --- province: units with status ------------------------------------------------------------------------
    r.get('/elections/:id/results/province/:code', async (req, res) => {
      const e = await electionOf(req);
      const code = String(req.params.code).slice(0, 20);
      if (!(await canView(req, res, { type: 'province', code, electionId: e.id }))) return;
      const em = req.scope.em;
      const contests = await enabledContests(em, e.id);
      const contest = contestOf(req, contests);
      const l = lang(req);
      const names = await provinceNames(em, e.election_day);
      if (!names.has(code)) throw new AppException(appError('NOT_FOUND', 'results.error.province_not_found', 404));
      const [progress, outcomes, [fin], [tot]] = await Promise.all([
        progressBy(em, e.id, contest, 'first', 'province', code),
        unitOutcomes(em, e.id, contestTypeOf, { contest, province: code }),
        sql<{ finalised_at: Date; finalised_by: string }>(em, `select finalised_at, finalised_by from results_province_final where election_id = ? and contest = ? and province_code = ?`, [e.id, contest, code]),
        sql<Counts>(em, `select ${COUNT_FIELDS.join(', ')} from results_total where election_id = ? and contest = ? and round = 'first' and scope_level = 'province' and scope_code = ?`, [e.id, contest, code]),
      ]);
      const provCounts = Object.fromEntries(COUNT_FIELDS.map((f) => [f, Number(tot?.[f] ?? 0)])) as Counts;
      const { page, size, offset } = pageParams(req.query as Record<string, unknown>, 100);
      const units = outcomes.slice(offset, offset + size).map((o) => ({
        id: o.unit.id, number: o.unit.number, commune: o.unit.parent_level === 'commune' ? o.unit.parent_code : '',
        seats: o.unit.seats, filled: o.seatsFilled, status: o.status, statusLabel: t(req)(`results.status.${o.status}`),
        pending: outcomePending(o), accepted: o.rounds[0].accepted, expected: o.rounds[0].expected,
      }));
      const fz = provinceFinalisable(outcomes);
      render(req, res, 'results/province', {
        election: e, contest, contestLabel: contestLabel(req, contest), province: { code, name: names.get(code) },
        contests: contests.map((c) => ({ id: c, label: contestLabel(req, c), current: c === contest })),
        progress: progressView(progress[0], l), counts: countsView(provCounts, l, t(req)), units, page: pager(page, size, outcomes.length), query: req.query,
        finalisable: fz.ok, blocking: fz.blocking.length, finalised: fin,
        canFinalise: contest === 'national-assembly' && !fin && await allowed(req, MANAGE, { type: 'province', code, electionId: e.id }),
        canNation: await allowed(req, VIEW, { type: 'nation', code: NATION, electionId: e.id }),
      }, { title: `${t(req)('results.title')} — ${names.get(code)}`, nav: 'elections' });
    });

    // --- unit -------------------------------------------------------------------------------------------------
    r.get('/elections/:id/results/unit/:unitId', async (req, res) => {
      const e = await electionOf(req);
      const unitId = String(req.params.unitId);
      if (!uuid.safeParse(unitId).success) throw new AppException(appError('NOT_FOUND', 'results.error.unit_not_found', 404));
      if (!(await canView(req, res, { type: 'electoral-unit', code: unitId, electionId: e.id }))) return;
      const em = req.scope.em;
      const [o] = await unitOutcomes(em, e.id, contestTypeOf, { unitIds: [unitId] });
      if (!o) throw new AppException(appError('NOT_FOUND', 'results.error.unit_not_found', 404));
      const l = lang(req);
      const cands = await sql<{ id: string; full_name: string; date_of_birth: string | null }>(em,
        `select id, full_name, to_char(date_of_birth, 'DD/MM/YYYY') as date_of_birth from candidate where unit_id = ?`, [unitId]);
      const names = new Map(cands.map((c) => [c.id, { name: c.full_name, dob: c.date_of_birth }]));
      const pnames = await provinceNames(em, e.election_day);
      const unitName = `${t(req)('results.col.unit')} ${o.unit.number}`;
      // The catalogue's texts already say "Đơn vị bầu cử {unit}": the parameter is the number.
      const unitParam = String(o.unit.number);
      const settings = await settingsOf(em, e.id);
      const lastDay = addDays(e.election_day, settings.round_window_days);
      const rounds = o.rounds.map((ro) => ({
        round: ro.round, label: t(req)(`results.round.${ro.round}`),
        counts: countsView(ro.counts, l, t(req)), accepted: ro.accepted, expected: ro.expected, complete: ro.complete,
        hasResult: !!ro.result, candidates: candidateRows(req, ro.result, names, unitParam),
        unitExplanation: ro.result ? renderResultsMessage(l, ro.result.explanation.unit.key, { ...ro.result.explanation.unit.params, unit: unitParam }) : '',
        notes: (ro.result?.explanation.notes ?? []).map((n) => renderResultsMessage(l, n.key, { ...n.params, unit: unitParam })),
        status: ro.result?.status,
        // Once the NEC has decided (rule 29), the round's "awaiting the NEC" no longer holds: say it was decided.
        statusLabel: !ro.result ? '' : o.necDecision && ro.result.status === 'additional-election-for-nec-decision'
          ? t(req)('results.nec.round_decided') : t(req)(`results.status.${ro.result.status}`),
        decided: ro.decided,
        tied: (ro.result?.candidates ?? []).filter((c) => c.reason === 'tie-undecided').map((c) => ({ id: c.candidateId, name: names.get(c.candidateId)?.name })),
        open: ro.result ? ro.result.seats - ro.result.candidates.filter((c) => c.elected).length : 0,
      }));
      const canManage = await allowed(req, MANAGE, { type: 'electoral-unit', code: unitId, electionId: e.id });
      const [roundRows] = [await sql<{ round: string; voting_date: string }>(em, `select round, voting_date::text as voting_date from results_round where unit_id = ?`, [unitId])];
      const last = o.rounds[o.rounds.length - 1];
      const offerRevote = canManage && last.result?.status === 'revote-required' && last.round === 'first' && !roundRows.some((x) => x.round === 'revote');
      // NA units (rule 29): the additional election is opened by the NEC's decision below, not by the committee.
      const offerAdditional = canManage && !!last.result && last.round !== 'additional' && last.complete
        && last.result.status === 'additional-election-required' && !roundRows.some((x) => x.round === 'additional');
      const awaitingNec = o.status === 'additional-election-for-nec-decision' && !o.necDecision;
      const offerNecDecision = awaitingNec && await allowed(req, NEC_DECIDE, { type: 'electoral-unit', code: unitId, electionId: e.id });
      const pool = offerAdditional || offerNecDecision ? last.result!.candidates.filter((c) => !c.elected).map((c) => ({ id: c.candidateId, name: names.get(c.candidateId)?.name })) : [];
      render(req, res, 'results/unit', {
        election: e, unit: o.unit, unitName, contestLabel: contestLabel(req, o.unit.contest),
        province: { code: o.unit.province_code, name: pnames.get(o.unit.province_code) ?? o.unit.province_code },
        rounds, status: o.status, statusLabel: t(req)(`results.status.${o.status}`), pending: outcomePending(o),
        elected: o.elected.map((id) => names.get(id)?.name ?? id), roundRows,
        offerRevote, offerAdditional, pool, lastDay, windowDays: settings.round_window_days, today: d.clock.now().toISOString().slice(0, 10),
        canDecide: canManage && rounds.some((x) => x.tied.length > 0 && !x.decided),
        awaitingNec, offerNecDecision, necDecision: o.necDecision ? necDecisionView(req, o.necDecision) : undefined,
        additionalDate: roundRows.find((x) => x.round === 'additional')?.voting_date,
      }, { title: `${unitName} — ${t(req)('results.title')}`, nav: 'elections' });
    });

    // --- pending units --------------------------------------------------------------------------------------
    r.get('/elections/:id/results/pending', async (req, res) => {
      const e = await electionOf(req);
      if (req.scope.actor.kind === 'anonymous') return void res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
      const rc = await reach(req, e.id);
      if (!rc.all && !rc.provinces.size && !rc.communes.size && !rc.units.size) await authorize(p, req, VIEW, { type: 'nation', code: NATION, electionId: e.id });
      const em = req.scope.em;
      const contests = await enabledContests(em, e.id);
      const contest = contestOf(req, contests);
      const names = await provinceNames(em, e.election_day);
      // Pending: a unit whose result calls for a step, and a unit whose re-vote or additional election (e.g. the one
      // the NEC decided, rule 29) is opened but not yet counted — both block the province's minutes (rule 31).
      const outcomes = (await unitOutcomes(em, e.id, contestTypeOf, { contest, province: !rc.all && rc.provinces.size === 1 && !rc.communes.size ? [...rc.provinces][0] : undefined }))
        .filter((o) => reaches(rc, o) && (o.status === 'counting' ? o.rounds.length > 1 : outcomePending(o)));
      const ids = outcomes.map((o) => o.unit.id);
      const openRounds = ids.length ? await sql<{ unit_id: string; round: string; voting_date: string }>(em,
        `select unit_id, round, voting_date::text as voting_date from results_round where unit_id = any(?::uuid[])`, [`{${ids.join(',')}}`]) : [];
      const canNec = contest === 'national-assembly' && await allowed(req, NEC_DECIDE, { type: 'nation', code: NATION, electionId: e.id });
      const units = outcomes.map((o) => {
        const opened = o.status === 'counting' ? openRounds.filter((x) => x.unit_id === o.unit.id).sort((a, b) => (a.round === 'additional' ? -1 : b.round === 'additional' ? 1 : 0))[0] : undefined;
        const awaitingNec = o.status === 'additional-election-for-nec-decision' && !o.necDecision;
        return {
          id: o.unit.id, number: o.unit.number, province: names.get(o.unit.province_code) ?? o.unit.province_code,
          commune: o.unit.parent_level === 'commune' ? o.unit.parent_code : '', seats: o.unit.seats, filled: o.seatsFilled,
          statusLabel: opened ? t(req)('results.pending.round_open', { round: t(req)(`results.round.${opened.round}`), date: opened.voting_date }) : t(req)(`results.status.${o.status}`),
          necDecision: o.necDecision ? necDecisionView(req, o.necDecision) : undefined, awaitingNec, canNec: awaitingNec && canNec,
        };
      });
      render(req, res, 'results/pending', {
        election: e, contest, contestLabel: contestLabel(req, contest),
        contests: contests.map((c) => ({ id: c, label: contestLabel(req, c), current: c === contest })),
        units, showNec: contest === 'national-assembly',
      }, { title: t(req)('results.pending.title'), nav: 'elections' });
    });

    // --- elected deputies -----------------------------------------------------------------------------------
    async function electedRows(em: EntityManager, electionId: string, contest: string, day: string, filter: (o: UnitOutcome) => boolean) {
      const outcomes = (await unitOutcomes(em, electionId, contestTypeOf, { contest })).filter(filter);
      const ids = outcomes.flatMap((o) => o.elected);
      const names = await provinceNames(em, day);
      const cands = ids.length ? await sql<{ id: string; full_name: string; dob: string | null }>(em,
        `select id, full_name, to_char(date_of_birth, 'DD/MM/YYYY') as dob from candidate where id = any(?::uuid[])`, [`{${ids.join(',')}}`]) : [];
      const byId = new Map(cands.map((c) => [c.id, c]));
      const rows = [];
      for (const o of outcomes) {
        for (const id of o.elected) {
          const ro = [...o.rounds].reverse().find((x) => x.result?.candidates.some((c) => c.candidateId === id && c.elected));
          const c = ro?.result?.candidates.find((x) => x.candidateId === id);
          rows.push({ id, name: byId.get(id)?.full_name ?? id, dob: byId.get(id)?.dob ?? '', unitId: o.unit.id, unitNumber: o.unit.number,
            province: names.get(o.unit.province_code) ?? o.unit.province_code, provinceCode: o.unit.province_code,
            commune: o.unit.parent_level === 'commune' ? o.unit.parent_code : '', votes: c?.votes ?? 0, percentOfValid: c?.percentOfValid ?? 0 });
        }
      }
      return rows;
    }

    r.get('/elections/:id/results/elected', async (req, res) => {
      const e = await electionOf(req);
      if (req.scope.actor.kind === 'anonymous') return void res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
      const rc = await reach(req, e.id);
      if (!rc.all && !rc.provinces.size && !rc.communes.size && !rc.units.size) await authorize(p, req, VIEW, { type: 'nation', code: NATION, electionId: e.id });
      const em = req.scope.em;
      const contests = await enabledContests(em, e.id);
      const contest = contestOf(req, contests);
      const province = typeof req.query.province === 'string' ? req.query.province.slice(0, 20) : '';
      const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 100) : '';
      const key = searchKey(q);
      const l = lang(req);
      let rows = await electedRows(em, e.id, contest, e.election_day, (o) => reaches(rc, o) && (!province || o.unit.province_code === province));
      if (key) rows = rows.filter((x) => searchKey(x.name).includes(key));
      const { page, size, offset } = pageParams(req.query as Record<string, unknown>, 100);
      render(req, res, 'results/elected', {
        election: e, contest, contestLabel: contestLabel(req, contest), province, q, query: req.query,
        contests: contests.map((c) => ({ id: c, label: contestLabel(req, c), current: c === contest })),
        rows: rows.slice(offset, offset + size).map((x) => ({ ...x, percent: formatPercent(x.percentOfValid, l) })), total: rows.length,
        page: pager(page, size, rows.length),
      }, { title: t(req)('results.elected.title'), nav: 'elections' });
    });

    // --- public page ----------------------------------------------------------------------------------------
    // The elected of every contest, grouped by contest and level (NA and provincial council by province, commune
    // councils by commune), with only what the law publishes: name, unit, votes, % of valid ballots — no date of
    // birth, no address. Determining every unit of the three contests is seconds nationally (docs/results.md), so
    // the list is kept per election for PUBLIC_TTL_MS: a public page may lag by that much, never by more.
    const PUBLIC_TTL_MS = 15_000;
    const publicCache = new Map<string, { at: number; rows: Promise<PublicRow[]> }>();
    interface PublicRow { contest: string; group: string; name: string; place: string; unitNumber: number; votes: number; percentOfValid: number; key: string }

    async function publicRows(em: EntityManager, e: { id: string; election_day: string }, contests: string[], tr: (k: string) => string): Promise<PublicRow[]> {
      const out: PublicRow[] = [];
      for (const c of contests) {
        const rows = await electedRows(em, e.id, c, e.election_day, (o) => o.status !== 'counting');
        const codes = [...new Set(rows.map((x) => x.commune).filter(Boolean))];
        const communes = new Map((codes.length ? await sql<{ code: string; name: string }>(em, `select distinct on (code) code, name from admin_unit
          where level = 'commune' and code = any(?::text[]) order by code, (valid_from <= ?::date and (valid_to is null or valid_to > ?::date)) desc, valid_from desc`,
        [`{${codes.join(',')}}`, e.election_day, e.election_day]) : []).map((r) => [r.code, r.name]));
        for (const x of rows) {
          const place = x.commune ? `${communes.get(x.commune) ?? x.commune}, ${x.province}` : x.province;
          out.push({
            contest: c, group: `${tr(`results.contest.${c}`)} — ${place}`, name: x.name, place, unitNumber: x.unitNumber,
            votes: x.votes, percentOfValid: x.percentOfValid, key: searchKey(`${x.name} ${place}`),
          });
        }
      }
      return out;
    }

    r.get('/public/elections/:id/results', async (req, res) => {
      const e = await electionOf(req);
      const em = req.scope.em;
      const s = await settingsOf(em, e.id);
      if (!s.public) {
        render(req, res, 'results/public', { election: e, closed: true }, { title: t(req)('results.public.title'), status: 404 });
        return;
      }
      const l = lang(req);
      const contests = await enabledContests(em, e.id);
      const sections = [];
      for (const c of contests) {
        const [prog] = await progressBy(em, e.id, c, 'first', 'nation');
        const [tot] = await sql<any>(em, `select ${COUNT_FIELDS.join(', ')} from results_total where election_id = ? and contest = ? and round = 'first' and scope_level = 'nation'`, [e.id, c]);
        const counts = Object.fromEntries(COUNT_FIELDS.map((f) => [f, Number(tot?.[f] ?? 0)])) as Counts;
        sections.push({ contest: c, label: contestLabel(req, c), progress: progressView(prog, l), counts: countsView(counts, l, t(req)) });
      }
      const contest = typeof req.query.contest === 'string' && contests.includes(req.query.contest) ? req.query.contest : '';
      const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 100) : '';
      const key = searchKey(q);
      const cacheKey = `${e.id}|${l}`;
      let cached = publicCache.get(cacheKey);
      if (!cached || Date.now() - cached.at > PUBLIC_TTL_MS) {
        cached = { at: Date.now(), rows: publicRows(em, e, contests, t(req)) };
        publicCache.set(cacheKey, cached);
        cached.rows.catch(() => publicCache.delete(cacheKey));
      }
      let rows = await cached.rows;
      if (contest) rows = rows.filter((x) => x.contest === contest);
      if (key) rows = rows.filter((x) => x.key.includes(key));
      const { page, size, offset } = pageParams(req.query as Record<string, unknown>, 100);
      const slice = rows.slice(offset, offset + size);
      render(req, res, 'results/public', {
        election: { id: e.id, name: e.name, election_day: e.election_day }, sections, contest, q, query: req.query,
        filters: [{ id: '', label: t(req)('results.public.all'), current: !contest }, ...contests.map((c) => ({ id: c, label: contestLabel(req, c), current: c === contest }))],
        rows: slice.map((x, i) => ({
          group: i === 0 || slice[i - 1].group !== x.group ? x.group : undefined,
          name: x.name, place: x.place, unitNumber: x.unitNumber, votes: x.votes, percent: formatPercent(x.percentOfValid, l),
        })),
        total: rows.length, page: pager(page, size, rows.length),
      }, { title: t(req)('results.public.title') });
    });

    // --- actions --------------------------------------------------------------------------------------------
    const unitTarget = (i: { id: string; unitId: string }): Target => ({ type: 'electoral-unit', code: i.unitId, electionId: i.id });

    mountAction(r, p, {
      id: 'core.results.round.create',
      method: 'post',
      path: '/elections/:id/results/unit/:unitId/rounds',
      permission: MANAGE,
      input: z.object({
        id: uuid, unitId: uuid, _csrf: z.string().optional(),
        round: z.enum(['revote', 'additional']),
        votingDate: z.string().max(20),
        pool: z.union([z.array(uuid), uuid]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
        reason: z.string().max(500).optional(),
      }),
      target: (i) => unitTarget(i),
      handle: async (i, ctx) => {
        const e = await getElection(ctx.em, i.id);
        if (!e) return err(appError('NOT_FOUND', 'elections.not_found', 404));
        // Serialise round decisions of one unit.
        const [u] = await sql<{ id: string }>(ctx.em, `select id from electoral_unit where id = ? and election_id = ? for update`, [i.unitId, i.id]);
        if (!u) return err(appError('NOT_FOUND', 'results.error.unit_not_found', 404));
        const s = await settingsOf(ctx.em, i.id);
        const last = addDays(e.election_day, s.round_window_days);
        if (!isIsoDate(i.votingDate)) return err(appError('INPUT_INVALID', 'results.error.round_date_format', 400, undefined, [{ field: 'votingDate', code: 'date', messageKey: 'results.error.round_date_format' }]));
        if (i.votingDate <= e.election_day || i.votingDate > last) {
          const params = { days: s.round_window_days, last };
          return err(appError('INPUT_INVALID', 'results.error.round_date', 400, params, [{ field: 'votingDate', code: 'range', messageKey: 'results.error.round_date', params }]));
        }
        const roundName = ctx.t(`results.round.${i.round}`);
        const existing = await sql<{ round: string }>(ctx.em, `select round from results_round where unit_id = ?`, [i.unitId]);
        if (existing.some((x) => x.round === i.round)) return err(appError('ROUND_EXISTS', 'results.error.round_exists', 409, { round: roundName }));
        const [o] = await unitOutcomes(ctx.em, i.id, contestTypeOf, { unitIds: [i.unitId] });
        const prev = o.rounds[o.rounds.length - 1];
        const status = prev.result ? prev.result.status : 'counting';
        let seats = o.unit.seats;
        let pool: string[] = [];
        if (i.round === 'revote') {
          // Rule 30: a re-vote follows a first round whose turnout was not above 50 %; never a second one.
          if (prev.round !== 'first' || !prev.complete || status !== 'revote-required') {
            return err(appError('ROUND_NOT_ALLOWED', 'results.error.round_not_allowed', 409, { round: roundName, status: ctx.t(`results.status.${status}`) }));
          }
        } else {
          // Rule 29: an NA additional election is the NEC's decision (core.results.nec-decision.record), not the committee's.
          if (contestTypeOf(o.unit.contest)?.additionalElection.kind !== 'below-fraction') {
            return err(appError('NEC_DECIDES', 'results.error.additional_needs_nec', 409));
          }
          if (!prev.result || !prev.complete || prev.round === 'additional') {
            return err(appError('ROUND_NOT_ALLOWED', 'results.error.round_not_allowed', 409, { round: roundName, status: ctx.t(`results.status.${status}`) }));
          }
          const v = validateAdditionalPool(prev.result, i.pool);
          if (!v.ok) {
            const detail = v.error.map((x) => renderResultsMessage(ctx.req.scope.lang ?? 'vi', x.messageKey, x.params)).join('; ');
            return err(appError('POOL_INVALID', 'results.error.pool', 400, { detail }, [{ field: 'pool', code: 'pool', messageKey: 'results.error.pool', params: { detail } }]));
          }
          pool = v.value;
          seats = seatsForAdditional(prev.result);
        }
        await exec(ctx.em, `insert into results_round (election_id, unit_id, round, voting_date, seats, pool, reason, created_by) values (?, ?, ?, ?, ?, ?::jsonb, ?, ?)`,
          [i.id, i.unitId, i.round, i.votingDate, seats, JSON.stringify(pool), i.reason ?? null, ctx.actor.id]);
        return ok({
          targetType: 'electoral-unit', targetId: i.unitId, after: { round: i.round, votingDate: i.votingDate, seats, pool },
          redirect: `/elections/${i.id}/results/unit/${i.unitId}`, flash: ctx.t('results.round.created', { round: roundName, date: i.votingDate }),
        });
      },
    });

    mountAction(r, p, {
      id: 'core.results.decision.record',
      method: 'post',
      path: '/elections/:id/results/unit/:unitId/decision',
      permission: MANAGE,
      input: z.object({
        id: uuid, unitId: uuid, _csrf: z.string().optional(),
        round: z.enum(['first', 'revote', 'additional']),
        elected: z.union([z.array(uuid), uuid]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
        reference: z.string().trim().min(1).max(300),
      }),
      target: (i) => unitTarget(i),
      handle: async (i, ctx) => {
        const [u] = await sql<{ id: string }>(ctx.em, `select id from electoral_unit where id = ? and election_id = ? for update`, [i.unitId, i.id]);
        if (!u) return err(appError('NOT_FOUND', 'results.error.unit_not_found', 404));
        const [o] = await unitOutcomes(ctx.em, i.id, contestTypeOf, { unitIds: [i.unitId] });
        const ro = o.rounds.find((x) => x.round === i.round);
        const tied = (ro?.result?.candidates ?? []).filter((c) => c.reason === 'tie-undecided');
        if (!ro?.result || !ro.complete || ro.decided || tied.length === 0) return err(appError('NO_TIE', 'results.error.no_tie', 409));
        const open = ro.result.seats - ro.result.candidates.filter((c) => c.elected).length;
        if (i.elected.some((id) => !tied.some((c) => c.candidateId === id))) {
          return err(appError('INPUT_INVALID', 'results.error.decision_candidate', 400, undefined, [{ field: 'elected', code: 'candidate', messageKey: 'results.error.decision_candidate' }]));
        }
        if (new Set(i.elected).size !== open) {
          return err(appError('INPUT_INVALID', 'results.error.decision_count', 400, { n: open }, [{ field: 'elected', code: 'count', messageKey: 'results.error.decision_count', params: { n: open } }]));
        }
        await exec(ctx.em, `insert into results_decision (unit_id, round, elected, reference, decided_by) values (?, ?, ?::jsonb, ?, ?)`,
          [i.unitId, i.round, JSON.stringify([...new Set(i.elected)]), i.reference, ctx.actor.id]);
        return ok({ targetType: 'electoral-unit', targetId: i.unitId, after: { round: i.round, elected: i.elected, reference: i.reference },
          redirect: `/elections/${i.id}/results/unit/${i.unitId}`, flash: ctx.t('results.decision.recorded') });
      },
    });

    // Rule 29: the NEC decides whether an NA unit with fewer winners than seats holds an additional election. "Hold"
    // opens the additional round as core.results.round.create does (date within the configured window, by default
    // its last day; pool = the first round's non-winners unless narrowed); "do not hold" makes the shortfall final.
    mountAction(r, p, {
      id: 'core.results.nec-decision.record',
      method: 'post',
      path: '/elections/:id/results/unit/:unitId/nec-decision',
      permission: NEC_DECIDE,
      input: z.object({
        id: uuid, unitId: uuid, _csrf: z.string().optional(),
        decision: z.enum(['hold', 'not-hold']),
        referenceNumber: z.string().trim().min(1).max(100),
        referenceDate: z.string().trim().min(1).max(20),
        note: z.string().trim().max(1000).optional().transform((v) => v || null),
        votingDate: z.string().trim().max(20).optional().transform((v) => v || undefined),
        pool: z.union([z.array(uuid), uuid]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
      }),
      target: (i) => unitTarget(i),
      handle: async (i, ctx) => {
        const e = await getElection(ctx.em, i.id);
        if (!e) return err(appError('NOT_FOUND', 'elections.not_found', 404));
        // Serialise decisions and rounds of one unit (the same lock as core.results.round.create).
        const [u] = await sql<{ id: string }>(ctx.em, `select id from electoral_unit where id = ? and election_id = ? for update`, [i.unitId, i.id]);
        if (!u) return err(appError('NOT_FOUND', 'results.error.unit_not_found', 404));
        const [prior] = await sql<{ decision: string; reference_number: string; reference_date: string }>(ctx.em,
          `select decision, reference_number, to_char(reference_date, 'DD/MM/YYYY') as reference_date from results_nec_decision where unit_id = ?`, [i.unitId]);
        if (prior) {
          return err(appError('NEC_DECISION_EXISTS', 'results.error.nec_decision_exists', 409,
            { decision: ctx.t(`results.nec.decision.${prior.decision}`), number: prior.reference_number, date: prior.reference_date }));
        }
        const badDate = (field: string, key: string, params?: Record<string, string | number>) =>
          err(appError('INPUT_INVALID', key, 400, params, [{ field, code: 'date', messageKey: key, params }]));
        if (!isIsoDate(i.referenceDate)) return badDate('referenceDate', 'results.error.nec_reference_date');
        if (i.referenceDate < e.election_day) return badDate('referenceDate', 'results.error.nec_reference_before', { day: e.election_day });
        const [o] = await unitOutcomes(ctx.em, i.id, contestTypeOf, { unitIds: [i.unitId] });
        // Councils follow the 2/3 rule: their committee dates the additional election, the NEC does not decide it.
        if (contestTypeOf(o.unit.contest)?.additionalElection.kind === 'below-fraction') {
          return err(appError('NOT_NEC_MATTER', 'results.error.nec_decision_council', 409, { contest: ctx.t(`results.contest.${o.unit.contest}`) }));
        }
        if (o.status !== 'additional-election-for-nec-decision') {
          return err(appError('NOT_PENDING_NEC', 'results.error.nec_decision_not_pending', 409, { status: ctx.t(`results.status.${o.status}`) }));
        }
        let round: { votingDate: string; seats: number; pool: string[] } | undefined;
        if (i.decision === 'hold') {
          const prev = o.rounds[o.rounds.length - 1];
          const s = await settingsOf(ctx.em, i.id);
          const lastDay = addDays(e.election_day, s.round_window_days);
          const votingDate = i.votingDate ?? lastDay;
          if (!isIsoDate(votingDate)) return badDate('votingDate', 'results.error.round_date_format');
          if (votingDate <= e.election_day || votingDate > lastDay) return badDate('votingDate', 'results.error.round_date', { days: s.round_window_days, last: lastDay });
          const proposed = i.pool.length ? i.pool : prev.result!.candidates.filter((c) => !c.elected).map((c) => c.candidateId);
          const v = validateAdditionalPool(prev.result!, proposed);
          if (!v.ok) {
            const detail = v.error.map((x) => renderResultsMessage(ctx.req.scope.lang ?? 'vi', x.messageKey, x.params)).join('; ');
            return err(appError('POOL_INVALID', 'results.error.pool', 400, { detail }, [{ field: 'pool', code: 'pool', messageKey: 'results.error.pool', params: { detail } }]));
          }
          round = { votingDate, seats: seatsForAdditional(prev.result!), pool: v.value };
          const reason = ctx.t('results.nec.round_reason', { number: i.referenceNumber, date: i.referenceDate }) + (i.note ? ` — ${i.note}` : '');
          await exec(ctx.em, `insert into results_round (election_id, unit_id, round, voting_date, seats, pool, reason, created_by) values (?, ?, 'additional', ?, ?, ?::jsonb, ?, ?)`,
            [i.id, i.unitId, round.votingDate, round.seats, JSON.stringify(round.pool), reason.slice(0, 2000), ctx.actor.id]);
        }
        await exec(ctx.em, `insert into results_nec_decision (unit_id, election_id, decision, reference_number, reference_date, note, decided_by) values (?, ?, ?, ?, ?, ?, ?)`,
          [i.unitId, i.id, i.decision, i.referenceNumber, i.referenceDate, i.note, ctx.actor.id]);
        return ok({
          targetType: 'electoral-unit', targetId: i.unitId,
          before: { status: o.status, seatsFilled: o.seatsFilled, seats: o.unit.seats },
          after: { decision: i.decision, referenceNumber: i.referenceNumber, referenceDate: i.referenceDate, note: i.note, status: i.decision === 'hold' ? 'counting' : 'seats-unfilled', ...(round ? { round: 'additional', ...round } : {}) },
          redirect: `/elections/${i.id}/results/unit/${i.unitId}`,
          flash: i.decision === 'hold' ? ctx.t('results.nec.recorded_hold', { date: round!.votingDate }) : ctx.t('results.nec.recorded_not_hold'),
        });
      },
    });

    mountAction(r, p, {
      id: 'core.results.province.finalise',
      method: 'post',
      path: '/elections/:id/results/province/:code/finalise',
      permission: MANAGE,
      input: z.object({ id: uuid, code: z.string().min(1).max(20), _csrf: z.string().optional(), contest: z.enum(['national-assembly']).default('national-assembly') }),
      target: (i) => ({ type: 'province', code: i.code, electionId: i.id }),
      handle: async (i, ctx) => {
        const [f] = await sql(ctx.em, `select 1 from results_province_final where election_id = ? and contest = ? and province_code = ? for update`, [i.id, i.contest, i.code]);
        if (f) return err(appError('FINALISED', 'results.error.finalised', 409));
        const outcomes = await unitOutcomes(ctx.em, i.id, contestTypeOf, { contest: i.contest, province: i.code });
        if (!outcomes.length) return err(appError('NOT_FOUND', 'results.error.province_not_found', 404));
        const fz = provinceFinalisable(outcomes);
        // Rule 31: not while any unit of the province awaits a re-vote, an additional election or a decision.
        if (!fz.ok) return err(appError('FINALISE_BLOCKED', 'results.error.finalise_blocked', 409, { n: fz.blocking.length }));
        await exec(ctx.em, `insert into results_province_final (election_id, contest, province_code, finalised_by) values (?, ?, ?, ?)`, [i.id, i.contest, i.code, ctx.actor.id]);
        return ok({ targetType: 'province', targetId: i.code, after: { contest: i.contest, elected: outcomes.flatMap((o) => o.elected).length },
          redirect: `/elections/${i.id}/results/province/${i.code}?contest=${i.contest}`, flash: ctx.t('results.finalise.ok') });
      },
    });

    mountAction(r, p, {
      id: 'core.results.settings.update',
      method: 'post',
      path: '/elections/:id/results/settings',
      permission: PUBLISH,
      input: z.object({
        id: uuid, _csrf: z.string().optional(),
        public: z.union([z.literal('on'), z.literal('true'), z.literal('1'), z.literal('')]).optional().transform((v) => !!v),
        roundWindowDays: z.coerce.number().int().min(1).max(60).default(15),
      }),
      target: (i) => ({ type: 'nation', code: NATION, electionId: i.id }),
      handle: async (i, ctx) => {
        const e = await getElection(ctx.em, i.id, true);
        if (!e) return err(appError('NOT_FOUND', 'elections.not_found', 404));
        const before = await settingsOf(ctx.em, i.id);
        await exec(ctx.em, `insert into results_settings (election_id, public, round_window_days, updated_by, updated_at) values (?, ?, ?, ?, now())
          on conflict (election_id) do update set public = excluded.public, round_window_days = excluded.round_window_days, updated_by = excluded.updated_by, updated_at = now()`,
        [i.id, i.public, i.roundWindowDays, ctx.actor.id]);
        return ok({ targetType: 'election', targetId: i.id, before, after: { public: i.public, round_window_days: i.roundWindowDays },
          redirect: `/elections/${i.id}/results`, flash: ctx.t('results.settings.saved') });
      },
    });

    mountAction(r, p, {
      id: 'core.results.reconcile.request',
      method: 'post',
      path: '/elections/:id/results/reconcile',
      permission: MANAGE,
      input: z.object({ id: uuid, _csrf: z.string().optional() }),
      target: (i) => ({ type: 'nation', code: NATION, electionId: i.id }),
      handle: async (i, ctx) => {
        const runId = await d.jobs.enqueue(RECONCILE_JOB_NAME, { electionId: i.id }, { em: ctx.em, electionId: i.id, createdBy: ctx.actor.id });
        return ok({ targetType: 'election', targetId: i.id, after: { runId }, redirect: `/elections/${i.id}/results`,
          flash: ctx.t('results.reconcile.queued'), afterCommit: () => d.jobs.dispatch(runId) });
      },
    });

    return r;
  };
}
