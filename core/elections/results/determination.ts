// Determination of results in an electoral unit (Law 85 arts. 78–80; rules 24, 26–31): who is elected, and
// whether the unit is complete, needs a re-vote, an additional election or a decision on a tie. Pure functions,
// no I/O: the application and the results CLI (results-tool.ts) both call this module, so they cannot disagree.
import type { AdditionalElectionRule, ContestTypeDef } from '../../plugin-api/contest-type.js';
import { percent } from '../../shared/percent.js';
import { err, ok, type Result } from '../../shared/result.js';

/**
 * Which election produced the tally:
 * - 'first': the election on election day;
 * - 'revote' (bầu cử lại, art. 80): same voters and candidates again; accepted whatever the turnout (rule 30);
 * - 'additional' (bầu cử thêm, art. 79): for the seats left unfilled, among first-round non-winners (rule 29).
 */
export type Round = 'first' | 'revote' | 'additional';
export const ROUNDS: readonly Round[] = ['first', 'revote', 'additional'];

/** One candidate's line in the unit's tally. */
export interface CandidateTally {
  /** Unique within the unit. */
  candidateId: string;
  name: string;
  /** Full date of birth, 'YYYY-MM-DD'; decides ties at the last seat (rule 28). */
  dateOfBirth: string;
  votes: number;
}

/** A unit's aggregated count for one contest and one round (board minutes, §6.5). */
export interface UnitTally {
  unitId: string;
  /** Seats to fill in this round; in an additional election, the seats left unfilled by the first round. */
  seats: number;
  votersTotal: number;
  votersVoted: number;
  ballotsValid: number;
  ballotsInvalid?: number;
  round: Round;
  candidates: CandidateTally[];
}

/**
 * The parts of the contest type the determination depends on. A plugin's {@link ContestTypeDef} satisfies it;
 * `seats`, when given, makes the seat count of each unit checked against the contest's range (rule 3).
 */
export type DeterminationParams = Pick<ContestTypeDef, 'additionalElection'> & Partial<Pick<ContestTypeDef, 'seats'>>;

/**
 * Outcome for the unit:
 * - 'complete': every seat filled;
 * - 'seats-unfilled': short of seats, but no further election follows (councils with ≥ 2/3 filled, or after an
 *   additional election);
 * - 'additional-election-required': council unit with fewer than 2/3 of seats filled (rule 29);
 * - 'additional-election-for-nec-decision': NA unit short of seats; the NEC decides (rule 29);
 * - 'revote-required': turnout not above 50 %; nobody elected (rules 26, 30);
 * - 'tie-needs-decision': candidates tied on votes and on date of birth compete for the last seat(s) (rule 28).
 */
export type UnitStatus =
  | 'complete'
  | 'seats-unfilled'
  | 'additional-election-required'
  | 'additional-election-for-nec-decision'
  | 'revote-required'
  | 'tie-needs-decision';

/**
 * Why a candidate is or is not elected. 'turnout-not-met' is for every candidate of a unit whose result is not
 * recognised (rule 26): there the candidates' own votes decide nothing.
 */
export type CandidateReason =
  | 'elected'
  | 'below-majority'
  | 'outranked'
  | 'tie-lost-younger'
  | 'tie-undecided'
  | 'turnout-not-met';

/** A translatable explanation: a key of the results catalogue (messages.ts) with its parameters. */
export interface Explanation {
  key: string;
  params: Record<string, string | number>;
}

/** A candidate's explanation, naming the candidate. */
export interface CandidateExplanation extends Explanation {
  candidateId: string;
}

export interface CandidateResult {
  candidateId: string;
  votes: number;
  /** Votes / valid ballots, two decimals half-up (rule 24). */
  percentOfValid: number;
  /** Standard competition ranking by votes ("1, 2, 2, 4"): equal votes share a rank, the next rank skips. */
  rank: number;
  elected: boolean;
  reason: CandidateReason;
}

export interface UnitResult {
  unitId: string;
  round: Round;
  seats: number;
  /** Voted / total voters, two decimals half-up (rule 24). */
  turnoutPercent: number;
  status: UnitStatus;
  seatsFilled: number;
  /** By votes descending; equal votes by older first, then input order. */
  candidates: CandidateResult[];
  explanation: {
    unit: Explanation;
    /** Extra remarks, e.g. a re-vote accepted below 50 % turnout. */
    notes: Explanation[];
    /** One per candidate, in the order of {@link UnitResult.candidates}. */
    candidates: CandidateExplanation[];
  };
}

/** A problem with a unit's input, naming the unit and the offending field ('candidates[2].votes'). */
export interface TallyIssue {
  unitId: string;
  field: string;
  code: string;
  messageKey: string;
  params: Record<string, string | number>;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digitAt(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : NaN;
}

/** Whether `s` is a real calendar date written 'YYYY-MM-DD' (2023-02-29 is not). */
export function isIsoDate(s: string): boolean {
  // Character codes instead of a regex and Number(): this runs for every candidate of a nationwide count.
  if (typeof s !== 'string' || s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  const y = digitAt(s, 0) * 1000 + digitAt(s, 1) * 100 + digitAt(s, 2) * 10 + digitAt(s, 3);
  const mo = digitAt(s, 5) * 10 + digitAt(s, 6);
  const d = digitAt(s, 8) * 10 + digitAt(s, 9);
  if (!(y >= 0 && mo >= 1 && mo <= 12 && d >= 1)) return false; // a NaN from a non-digit fails every comparison
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]);
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/**
 * Checks a tally before determination: counts are non-negative integers, voted ≤ total voters and
 * 0 ≤ votes ≤ valid ballots (rule 22), seats ≥ 1 and within the contest's range (rule 3), candidate ids unique,
 * dates of birth real dates. Returns every problem found (empty when the tally can be determined).
 */
export function validateTally(unit: UnitTally, params: DeterminationParams): TallyIssue[] {
  const issues: TallyIssue[] = [];
  const u = unit.unitId;
  if (typeof unit.unitId !== 'string' || unit.unitId.trim() === '') addIssue(issues, u, 'unitId', 'required');
  if (!ROUNDS.includes(unit.round)) addIssue(issues, u, 'round', 'unknown-round', { value: String(unit.round) });
  if (!Number.isSafeInteger(unit.seats) || unit.seats < 1)
    addIssue(issues, u, 'seats', 'seats-positive', { value: String(unit.seats) });
  else if (params.seats && (unit.seats < params.seats.min || unit.seats > params.seats.max))
    addIssue(issues, u, 'seats', 'seats-range', { value: unit.seats, min: params.seats.min, max: params.seats.max });
  for (const f of ['votersTotal', 'votersVoted', 'ballotsValid'] as const)
    if (!isCount(unit[f])) addIssue(issues, u, f, 'not-count', { value: String(unit[f]) });
  if (unit.ballotsInvalid !== undefined && !isCount(unit.ballotsInvalid))
    addIssue(issues, u, 'ballotsInvalid', 'not-count', { value: String(unit.ballotsInvalid) });
  if (isCount(unit.votersTotal) && isCount(unit.votersVoted) && unit.votersVoted > unit.votersTotal)
    addIssue(issues, u, 'votersVoted', 'voted-exceeds-total', { voted: unit.votersVoted, total: unit.votersTotal });

  const cs = unit.candidates;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i];
    if (typeof c.candidateId !== 'string' || c.candidateId.trim() === '')
      addIssue(issues, u, `candidates[${i}].candidateId`, 'required');
    else {
      // A unit has a handful of candidates: a scan is cheaper than a Set per unit.
      for (let j = 0; j < i; j++)
        if (cs[j].candidateId === c.candidateId) {
          addIssue(issues, u, `candidates[${i}].candidateId`, 'duplicate-candidate', { candidate: c.candidateId });
          break;
        }
    }
    if (!isIsoDate(c.dateOfBirth))
      addIssue(issues, u, `candidates[${i}].dateOfBirth`, 'bad-date', { value: String(c.dateOfBirth) });
    if (!isCount(c.votes)) addIssue(issues, u, `candidates[${i}].votes`, 'not-count', { value: String(c.votes) });
    else if (isCount(unit.ballotsValid) && c.votes > unit.ballotsValid)
      addIssue(issues, u, `candidates[${i}].votes`, 'votes-exceed-valid', { votes: c.votes, valid: unit.ballotsValid });
  }
  return issues;
}

function addIssue(
  issues: TallyIssue[],
  unitId: string,
  field: string,
  code: string,
  p: Record<string, string | number> = {},
): void {
  issues.push({ unitId, field, code, messageKey: `results.input.${code}`, params: { unit: unitId, field, ...p } });
}

/**
 * Whether a shortfall of winners calls for an additional election (rule 29) after a first round or a re-vote.
 * NA ('refer-to-nec'): any shortfall goes to the NEC. Councils ('below-fraction'): only when
 * winners / seats < numerator / denominator, compared as winners·denominator < seats·numerator (exact).
 */
export function shortfallStatus(winners: number, seats: number, rule: AdditionalElectionRule): UnitStatus {
  if (winners >= seats) return 'complete';
  if (rule.kind === 'refer-to-nec') return 'additional-election-for-nec-decision';
  return winners * rule.denominator < seats * rule.numerator ? 'additional-election-required' : 'seats-unfilled';
}

/**
 * Determines one unit's result (rules 26–30). The tally must pass {@link validateTally}; the Result carries its
 * issues otherwise.
 *
 * 1. Turnout must be strictly above half of the listed voters (2·voted > total), except in a re-vote, which is
 *    accepted whatever the turnout (rules 26, 30). Otherwise status 'revote-required' and nobody is elected.
 * 2. A candidate qualifies with strictly more than half of the valid ballots (2·votes > valid; rule 27).
 * 3. Qualified candidates take the seats by descending votes. If candidates with equal votes compete for the
 *    last seat(s), the older (earlier full date of birth) win, the others lose as 'tie-lost-younger'; if the
 *    boundary falls between candidates born on the same day, those are 'tie-undecided' and the unit waits for a
 *    decision (rule 28).
 * 4. Fewer winners than seats: see {@link shortfallStatus} after a first round or a re-vote; after an
 *    additional election the seats stay unfilled (no second additional election; rule 29).
 */
export function determineUnit(unit: UnitTally, params: DeterminationParams): Result<UnitResult, TallyIssue[]> {
  const issues = validateTally(unit, params);
  if (issues.length) return err(issues);
  return ok(determineValidated(unit, params.additionalElection));
}

/**
 * Determines many units (e.g. every unit of the three contests nationally) with one contest's parameters.
 * Returns all units' issues together if any tally is invalid, so a caller reports everything at once.
 */
export function determineUnits(
  units: readonly UnitTally[],
  params: DeterminationParams,
): Result<UnitResult[], TallyIssue[]> {
  const issues: TallyIssue[] = [];
  for (const u of units) issues.push(...validateTally(u, params));
  if (issues.length) return err(issues);
  return ok(units.map((u) => determineValidated(u, params.additionalElection)));
}

interface Work {
  c: CandidateTally;
  index: number;
  rank: number;
  percent: number;
  elected: boolean;
  reason: CandidateReason;
  key: string;
  params: Record<string, string | number>;
}

// Module-level helpers rather than closures: this runs for every unit of a nationwide count.
function byVotesThenOlder(a: Work, b: Work): number {
  if (a.c.votes !== b.c.votes) return b.c.votes - a.c.votes;
  if (a.c.dateOfBirth !== b.c.dateOfBirth) return a.c.dateOfBirth < b.c.dateOfBirth ? -1 : 1;
  return a.index - b.index;
}

function settle(w: Work, reason: CandidateReason, key: string): void {
  w.elected = reason === 'elected';
  w.reason = reason;
  w.key = key;
}

function determineValidated(unit: UnitTally, rule: AdditionalElectionRule): UnitResult {
  const seats = unit.seats;
  const valid = unit.ballotsValid;
  const turnoutPercent = percent(unit.votersVoted, unit.votersTotal);
  const turnoutMet = 2 * unit.votersVoted > unit.votersTotal;
  const recognised = turnoutMet || unit.round === 'revote';

  const n = unit.candidates.length;
  const work: Work[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const c = unit.candidates[i];
    const pct = percent(c.votes, valid);
    work[i] = {
      c,
      index: i,
      rank: 0,
      percent: pct,
      elected: false,
      reason: 'below-majority',
      key: 'results.reason.below-majority',
      params: { name: c.name, votes: c.votes, percent: pct, rank: 0, seats },
    };
  }
  work.sort(byVotesThenOlder);
  for (let i = 0; i < n; i++) {
    const w = work[i];
    w.rank = i > 0 && work[i - 1].c.votes === w.c.votes ? work[i - 1].rank : i + 1;
    w.params.rank = w.rank;
  }

  const notes: Explanation[] = [];
  let status: UnitStatus;
  let seatsFilled = 0;

  if (!recognised) {
    for (const w of work) {
      settle(w, 'turnout-not-met', 'results.reason.turnout-not-met');
      w.params.turnout = turnoutPercent;
    }
    status = 'revote-required';
  } else {
    if (!turnoutMet) notes.push({ key: 'results.note.revote-accepted-low-turnout', params: { turnout: turnoutPercent } });
    // Sorted by votes, so the qualified candidates are a prefix of `work`; the rest keep 'below-majority'.
    let qualified = 0;
    while (qualified < n && 2 * work[qualified].c.votes > valid) qualified++;

    let undecided = 0;
    if (qualified <= seats) {
      for (let i = 0; i < qualified; i++) settle(work[i], 'elected', 'results.reason.elected');
    } else {
      const cut = work[seats - 1].c.votes;
      // Candidates with the cut-off vote count form the tie group; it contests the last seat(s) only if it
      // continues past position `seats`.
      let lo = seats - 1;
      while (lo > 0 && work[lo - 1].c.votes === cut) lo--;
      let hi = seats; // exclusive end of the tie group among the qualified
      while (hi < qualified && work[hi].c.votes === cut) hi++;
      for (let i = 0; i < lo; i++) settle(work[i], 'elected', 'results.reason.elected');
      for (let i = hi; i < qualified; i++) settle(work[i], 'outranked', 'results.reason.outranked');
      if (hi === seats) {
        for (let i = lo; i < seats; i++) settle(work[i], 'elected', 'results.reason.elected');
      } else {
        // Within the tie group `work` is already ordered oldest first.
        const open = seats - lo;
        const boundaryDob = work[lo + open - 1].c.dateOfBirth;
        const splitsSameDay = work[lo + open].c.dateOfBirth === boundaryDob;
        const tied = work.slice(lo, hi).map((w) => w.c.name).join(', ');
        for (let i = lo; i < hi; i++) {
          const w = work[i];
          if (splitsSameDay && w.c.dateOfBirth === boundaryDob) {
            settle(w, 'tie-undecided', 'results.reason.tie-undecided');
            undecided++;
          } else if (i - lo < open) settle(w, 'elected', 'results.reason.elected-tie-older');
          else settle(w, 'tie-lost-younger', 'results.reason.tie-lost-younger');
          const others = work.slice(lo, hi).filter((x) => x !== w).map((x) => x.c.name).join(', ');
          // born: the date as officials write it (dd/mm/yyyy); dateOfBirth stays ISO for machine readers.
          const born = w.c.dateOfBirth.split('-').reverse().join('/');
          Object.assign(w.params, { dateOfBirth: w.c.dateOfBirth, born, tied, others, tiedCount: hi - lo, open });
        }
      }
    }
    for (const w of work) if (w.elected) seatsFilled++;
    if (undecided > 0) status = 'tie-needs-decision';
    else if (seatsFilled >= seats) status = 'complete';
    else if (unit.round === 'additional') status = 'seats-unfilled';
    else status = shortfallStatus(seatsFilled, seats, rule);
  }

  const unitParams: Record<string, string | number> = {
    unit: unit.unitId,
    seats,
    filled: seatsFilled,
    unfilled: seats - seatsFilled,
    turnout: turnoutPercent,
    candidates: n,
  };
  if (rule.kind === 'below-fraction') {
    unitParams.numerator = rule.numerator;
    unitParams.denominator = rule.denominator;
  }
  const unitKey =
    status === 'seats-unfilled' && unit.round === 'additional'
      ? 'results.unit.seats-unfilled-after-additional'
      : `results.unit.${status}`;

  const candidates: CandidateResult[] = new Array(n);
  const candidateExplanations: CandidateExplanation[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const w = work[i];
    candidates[i] = {
      candidateId: w.c.candidateId,
      votes: w.c.votes,
      percentOfValid: w.percent,
      rank: w.rank,
      elected: w.elected,
      reason: w.reason,
    };
    candidateExplanations[i] = { candidateId: w.c.candidateId, key: w.key, params: w.params };
  }
  return {
    unitId: unit.unitId,
    round: unit.round,
    seats,
    turnoutPercent,
    status,
    seatsFilled,
    candidates,
    explanation: { unit: { key: unitKey, params: unitParams }, notes, candidates: candidateExplanations },
  };
}

/** Statuses that leave an election step outstanding in the unit (rule 31). */
export const PENDING_STATUSES: ReadonlySet<UnitStatus> = new Set<UnitStatus>([
  'revote-required',
  'additional-election-required',
  'additional-election-for-nec-decision',
  'tie-needs-decision',
]);

/** Whether a unit's status leaves a re-vote, an additional election or a decision outstanding. */
export function isPending(status: UnitStatus): boolean {
  return PENDING_STATUSES.has(status);
}

/**
 * Whether the province's NA-results minutes (Mẫu 20/HĐBC-QH) may be finalised (rule 31): only when no unit has
 * a re-vote, an additional election, an NEC decision on one, or a tie decision pending. Pass each unit's latest
 * status; once the NEC decides against an additional election, the caller records that unit as 'seats-unfilled'.
 */
export function canFinaliseProvince(unitStatuses: Iterable<UnitStatus>): boolean {
  for (const s of unitStatuses) if (PENDING_STATUSES.has(s)) return false;
  return true;
}

/** A problem with an additional election's candidate pool. */
export interface PoolIssue {
  code:
    | 'no-additional-election'
    | 'second-additional-election'
    | 'empty-pool'
    | 'duplicate-candidate'
    | 'not-a-candidate'
    | 'already-elected';
  messageKey: string;
  params: Record<string, string | number>;
}

/**
 * Checks the candidate pool of an additional election against the unit's previous result (rule 29): an
 * additional election follows only a first round or re-vote whose status calls for one (or refers it to the
 * NEC), never another additional election; its candidates must be that unit's non-winners of the previous round.
 * Returns the pool, or every problem found.
 */
export function validateAdditionalPool(previous: UnitResult, pool: readonly string[]): Result<string[], PoolIssue[]> {
  const issues: PoolIssue[] = [];
  const add = (code: PoolIssue['code'], params: Record<string, string | number> = {}) =>
    issues.push({ code, messageKey: `results.pool.${code}`, params: { unit: previous.unitId, ...params } });

  if (previous.round === 'additional') add('second-additional-election');
  else if (previous.status !== 'additional-election-required' && previous.status !== 'additional-election-for-nec-decision')
    add('no-additional-election', { status: previous.status });
  if (pool.length === 0) add('empty-pool');
  const byId = new Map(previous.candidates.map((c) => [c.candidateId, c]));
  const seen = new Set<string>();
  for (const id of pool) {
    if (seen.has(id)) add('duplicate-candidate', { candidate: id });
    seen.add(id);
    const c = byId.get(id);
    if (!c) add('not-a-candidate', { candidate: id });
    else if (c.elected) add('already-elected', { candidate: id });
  }
  return issues.length ? err(issues) : ok([...pool]);
}

/** Seats an additional election fills: those the previous round left empty. */
export function seatsForAdditional(previous: UnitResult): number {
  return previous.seats - previous.seatsFilled;
}
