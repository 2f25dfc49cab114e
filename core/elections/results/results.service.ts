// Determination on the aggregates (issue 7 points 2–3): builds each unit's tally per round from results_total and
// results_candidate_total, runs determination.ts (the same code path as the results tool), combines the rounds of
// a unit as the law says (a re-vote replaces the first round; an additional election adds winners to the first
// round's), applies recorded tie decisions (rule 28) and the NEC's decision on an NA additional election (rule 29),
// and answers rule 31 for a province.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AdditionalElectionRule, ContestTypeDef } from '../../plugin-api/contest-type.js';
import { sql } from '../../persistence/db.js';
import { COUNT_FIELDS, UNIT_SCOPE_SQL, type Counts } from './aggregation.js';
import {
  canFinaliseProvince, determineUnits, isPending, shortfallStatus,
  type Round, type UnitResult, type UnitStatus, type UnitTally,
} from './determination.js';

export interface UnitMeta {
  id: string;
  contest: string;
  number: number;
  name: string;
  seats: number;
  parent_level: 'province' | 'commune';
  parent_code: string;
  province_code: string;
}

export interface RoundRow {
  unit_id: string;
  round: 'revote' | 'additional';
  voting_date: string;
  seats: number;
  pool: string[];
}

/** One round of a unit: its aggregates, progress and (when it has any accepted minutes) its determination. */
export interface UnitRoundOutcome {
  round: Round;
  counts: Counts;
  expected: number;
  accepted: number;
  /** Every polling area's minutes of this round accepted. */
  complete: boolean;
  tally?: UnitTally;
  result?: UnitResult;
  /** A recorded rule-28 decision applied to this round. */
  decided?: { elected: string[]; reference: string };
}

/** Rule 29: the NEC's decision on an NA unit that ended with fewer winners than seats. */
export interface NecDecision {
  decision: 'hold' | 'not-hold';
  reference_number: string;
  /** YYYY-MM-DD. */
  reference_date: string;
  note: string | null;
  decided_by: string;
  decided_at: Date;
}

/** A unit's outcome over its rounds. */
export interface UnitOutcome {
  unit: UnitMeta;
  rounds: UnitRoundOutcome[];
  /** The NEC's recorded decision on an additional election (NA units only, rule 29). */
  necDecision?: NecDecision;
  /** The status after combining the rounds; 'counting' while the deciding round still lacks minutes. */
  status: UnitStatus | 'counting';
  elected: string[];
  seatsFilled: number;
}

export interface CandidateRow {
  id: string;
  full_name: string;
  date_of_birth: string | null;
  ballot_order: number | null;
  unit_id: string;
}

/** A contest no installed plugin declares (should not happen): the NEC decides, the safest reading. */
const FALLBACK_RULE: AdditionalElectionRule = { kind: 'refer-to-nec' };

const dob = (d: string | Date | null): string => {
  if (!d) return '9999-12-31';
  if (d instanceof Date) return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  return String(d).slice(0, 10);
};

/** Runs query thunks one after another, keeping the tuple of their results. */
async function sequence<T extends readonly (() => Promise<unknown>)[]>(fns: T): Promise<{ [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const out: unknown[] = [];
  for (const f of fns) out.push(await f());
  return out as { [K in keyof T]: Awaited<ReturnType<T[K]>> };
}

/** Units of a contest (optionally one province, or a list of ids) with their scopes. */
export async function loadUnits(em: EntityManager, electionId: string, o: { contest?: string; province?: string; unitIds?: string[] } = {}): Promise<UnitMeta[]> {
  const where: string[] = [];
  const params: unknown[] = [electionId];
  if (o.contest) { where.push('us.contest = ?'); params.push(o.contest); }
  if (o.province) { where.push('us.province_code = ?'); params.push(o.province); }
  if (o.unitIds) { where.push(`us.unit_id = any(?::uuid[])`); params.push(`{${o.unitIds.join(',')}}`); }
  return sql<UnitMeta>(em, `select us.unit_id as id, us.contest, u.number, u.name, u.seats, us.parent_level, us.parent_code, us.province_code
    from (${UNIT_SCOPE_SQL}) us join electoral_unit u on u.id = us.unit_id
    ${where.length ? `where ${where.join(' and ')}` : ''} order by us.province_code, us.parent_code, u.number`, params);
}

/** Official candidates of the units (rule 17: one list per unit), by ballot order. */
export async function loadCandidates(em: EntityManager, unitIds: string[]): Promise<Map<string, CandidateRow[]>> {
  const out = new Map<string, CandidateRow[]>();
  if (!unitIds.length) return out;
  const rows = await sql<CandidateRow>(em, `select id, full_name, date_of_birth::text as date_of_birth, ballot_order, unit_id from candidate
    where unit_id = any(?::uuid[]) and status = 'official' order by unit_id, ballot_order`, [`{${unitIds.join(',')}}`]);
  for (const r of rows) {
    const l = out.get(r.unit_id) ?? [];
    l.push(r);
    out.set(r.unit_id, l);
  }
  return out;
}

/**
 * Outcomes of units (all of a contest, a province, or given ids), every round determined through
 * determineUnits — the results tool's code path. `contestTypes` gives the additional-election rule per contest.
 */
export async function unitOutcomes(em: EntityManager, electionId: string, contestType: (id: string) => ContestTypeDef | undefined,
  o: { contest?: string; province?: string; unitIds?: string[] } = {}): Promise<UnitOutcome[]> {
  const units = await loadUnits(em, electionId, o);
  if (!units.length) return [];
  const ids = units.map((u) => u.id);
  const idArr = `{${ids.join(',')}}`;
  // Sequential: inside a transaction these share one connection.
  const [cands, totals, votes, rounds, decisions, expected, accepted, necDecisions] = await sequence([
    () => loadCandidates(em, ids),
    // Unit rows are stored (results_total_base); the view's derived levels are not needed here.
    () => sql<Counts & { scope_code: string; round: string }>(em, `select scope_code, round, ${COUNT_FIELDS.join(', ')} from results_total_base
      where election_id = ? and scope_level = 'unit' and scope_code = any(?::text[])`, [electionId, idArr]),
    // One row per unit and round with its candidates' votes as one JSON object: ~1 M candidate rows nationally
    // would otherwise each become a JS object through the driver (most of the determination time, docs/results.md).
    () => sql<{ unit_id: string; round: string; votes: Record<string, number | string> }>(em, `select unit_id, round, json_object_agg(candidate_id, votes) as votes
      from results_candidate_total where election_id = ? and unit_id = any(?::uuid[]) group by unit_id, round`, [electionId, idArr]),
    () => sql<RoundRow>(em, `select unit_id, round, voting_date::text as voting_date, seats, pool from results_round where unit_id = any(?::uuid[])`, [idArr]),
    () => sql<{ unit_id: string; round: string; elected: string[]; reference: string }>(em, `select unit_id, round, elected, reference from results_decision where unit_id = any(?::uuid[])`, [idArr]),
    // Progress: polling areas per unit, accepted minutes per unit and round (only the pairs that exist).
    () => sql<{ unit_id: string; n: number }>(em, `select unit_id, count(*)::int as n from polling_area_unit where unit_id = any(?::uuid[]) group by unit_id`, [idArr]),
    () => sql<{ unit_id: string; round: string; n: number }>(em, `select unit_id, round, count(*)::int as n from count_minutes
      where unit_id = any(?::uuid[]) and accepted_version_id is not null group by unit_id, round`, [idArr]),
    () => sql<NecDecision & { unit_id: string }>(em, `select unit_id, decision, reference_number, reference_date::text as reference_date, note, decided_by, decided_at
      from results_nec_decision where unit_id = any(?::uuid[])`, [idArr]),
  ] as const);
  const tKey = (u: string, r: string) => `${u}|${r}`;
  const totalBy = new Map(totals.map((t) => [tKey(t.scope_code, t.round), t]));
  const votesBy = new Map<string, Map<string, number>>();
  for (const v of votes) {
    const obj = typeof v.votes === 'string' ? JSON.parse(v.votes) as Record<string, number> : v.votes;
    votesBy.set(tKey(v.unit_id, v.round), new Map(Object.entries(obj).map(([c, n]) => [c, Number(n)])));
  }
  const roundBy = new Map(rounds.map((r) => [tKey(r.unit_id, r.round), r]));
  const decisionBy = new Map(decisions.map((d) => [tKey(d.unit_id, d.round), d]));
  const expectedBy = new Map(expected.map((p) => [p.unit_id, Number(p.n)]));
  const acceptedBy = new Map(accepted.map((p) => [tKey(p.unit_id, p.round), Number(p.n)]));
  const necBy = new Map(necDecisions.map(({ unit_id, ...d }) => [unit_id, d as NecDecision]));

  const outcomes: UnitOutcome[] = [];
  // Tallies grouped by contest so each contest's rule applies; first rounds and re-votes are independent of other
  // rounds, an additional election depends on the first (or re-vote) result for its seats.
  for (const unit of units) {
    const def = contestType(unit.contest);
    const params = { additionalElection: def?.additionalElection ?? FALLBACK_RULE };
    const list = cands.get(unit.id) ?? [];
    const byId = new Map(list.map((c) => [c.id, c]));
    const roundOutcome = (round: Round, seats: number, candidateIds: string[]): UnitRoundOutcome => {
      const t = totalBy.get(tKey(unit.id, round));
      const counts = Object.fromEntries(COUNT_FIELDS.map((f) => [f, Number(t?.[f] ?? 0)])) as Counts;
      const exp = expectedBy.get(unit.id) ?? 0;
      const acc = acceptedBy.get(tKey(unit.id, round)) ?? 0;
      const out: UnitRoundOutcome = { round, counts, expected: exp, accepted: acc, complete: exp > 0 && acc >= exp };
      if (!t || out.accepted === 0) return out;
      const vm = votesBy.get(tKey(unit.id, round)) ?? new Map();
      const tally: UnitTally = {
        unitId: unit.id, seats, round, votersTotal: counts.voters_total, votersVoted: counts.voters_voted,
        ballotsValid: counts.ballots_valid, ballotsInvalid: counts.ballots_invalid,
        candidates: candidateIds.map((id) => ({ candidateId: id, name: byId.get(id)?.full_name ?? id, dateOfBirth: dob(byId.get(id)?.date_of_birth ?? null), votes: vm.get(id) ?? 0 })),
      };
      out.tally = tally;
      const r = determineUnits([tally], params);
      if (r.ok) {
        out.result = r.value[0];
        const d = decisionBy.get(tKey(unit.id, round));
        if (d && out.result.status === 'tie-needs-decision') applyDecision(out.result, d.elected, def);
        if (d) out.decided = { elected: d.elected, reference: d.reference };
      }
      return out;
    };
    const first = roundOutcome('first', unit.seats, list.map((c) => c.id));
    const rounds: UnitRoundOutcome[] = [first];
    const revoteRow = roundBy.get(tKey(unit.id, 'revote'));
    let base = first;
    if (revoteRow) {
      base = roundOutcome('revote', unit.seats, list.map((c) => c.id));
      rounds.push(base);
    }
    const addRow = roundBy.get(tKey(unit.id, 'additional'));
    let additional: UnitRoundOutcome | undefined;
    if (addRow) {
      additional = roundOutcome('additional', addRow.seats, addRow.pool);
      rounds.push(additional);
    }
    const elected = new Set<string>();
    let status: UnitOutcome['status'] = 'counting';
    if (base.result && base.complete) {
      for (const c of base.result.candidates) if (c.elected) elected.add(c.candidateId);
      status = base.result.status;
      if (additional) {
        status = 'counting';
        if (additional.result && additional.complete) {
          for (const c of additional.result.candidates) if (c.elected) elected.add(c.candidateId);
          status = elected.size >= unit.seats ? 'complete' : 'seats-unfilled';
          if (additional.result.status === 'tie-needs-decision') status = 'tie-needs-decision';
        }
      } else if (revoteRow && status === 'revote-required') {
        status = 'revote-required'; // unreachable: a re-vote counts whatever the turnout (rule 30)
      }
    }
    // Rule 29: the NEC decided not to hold an additional election — the shortfall is final, the seats stay vacant.
    // (A decision to hold one opened the additional round, so the unit is already counting that round.)
    const nec = necBy.get(unit.id);
    if (nec?.decision === 'not-hold' && status === 'additional-election-for-nec-decision') status = 'seats-unfilled';
    outcomes.push({ unit, rounds, status, elected: [...elected], seatsFilled: elected.size, ...(nec ? { necDecision: nec } : {}) });
  }
  return outcomes;
}

/** Rule 28 decision: the competent body names who takes the contested seat(s); the unit's status follows. */
function applyDecision(r: UnitResult, chosen: string[], def: ContestTypeDef | undefined): void {
  const set = new Set(chosen);
  for (const c of r.candidates) {
    if (c.reason !== 'tie-undecided') continue;
    c.elected = set.has(c.candidateId);
    c.reason = c.elected ? 'elected' : 'tie-lost-younger';
  }
  r.seatsFilled = r.candidates.filter((c) => c.elected).length;
  r.status = r.seatsFilled >= r.seats ? 'complete' : r.round === 'additional' ? 'seats-unfilled' : shortfallStatus(r.seatsFilled, r.seats, def?.additionalElection ?? FALLBACK_RULE);
}

/** Whether a unit still waits for something (a re-vote, an additional election, a decision, or its count). */
export function outcomePending(o: UnitOutcome): boolean {
  return o.status === 'counting' || isPending(o.status);
}

/**
 * Rule 31: a province's NA results minutes can be finalised only when none of its units awaits a re-vote, an
 * additional election or a decision — and (our addition) every unit's count is complete.
 */
export function provinceFinalisable(outcomes: UnitOutcome[]): { ok: boolean; blocking: UnitOutcome[] } {
  const blocking = outcomes.filter((o) => o.status === 'counting' || !canFinaliseProvince([o.status]));
  return { ok: blocking.length === 0, blocking };
}
