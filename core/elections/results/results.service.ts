// Determination on the aggregates (issue 7 points 2–3): builds each unit's tally per round from results_total and
// results_candidate_total, runs determination.ts (the same code path as the results tool), combines the rounds of
// a unit as the law says (a re-vote replaces the first round; an additional election adds winners to the first
// round's), applies recorded tie decisions (rule 28) and the NEC's decision on an NA additional election (rule 29),
// and answers rule 31 for a province.
import type { EntityManager } from '@mikro-orm/postgresql';
import { loadUnitOutcomes } from './results-loader.js';
import type { ContestTypeDef } from '../../plugin-api/contest-type.js';
import { sql } from '../../persistence/db.js';
import { UNIT_SCOPE_SQL, type Counts } from './aggregation.js';
import {
  canFinaliseProvince, isPending,
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
  // One streamed, set-based read of every unit's totals, votes and candidates (results-loader.ts), then the engine.
  return loadUnitOutcomes(em, electionId, contestType, o);
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
