// Streamed determination of many units (issue 7 bench goal: every unit of the three contests ≤ 3 s): one query
// returns every unit's first-round totals, progress and candidates (with birth dates and votes), a row per unit,
// read through a server-side cursor in fixed-size pages so memory stays bounded whatever the number of units; the
// few units with a re-vote or an additional election get their extra rounds from small side queries in the same
// snapshot. Each unit then goes through determination.ts exactly as results.service.ts unitOutcomes does (same
// UnitOutcome, same order) — it is meant to replace that function's per-table reads of every unit's rows.
import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AdditionalElectionRule, ContestTypeDef } from '../../plugin-api/contest-type.js';
import { sql, exec } from '../../persistence/db.js';
import { COUNT_FIELDS, UNIT_SCOPE_SQL, type Counts } from './aggregation.js';
import { determineUnits, shortfallStatus, type Round, type UnitResult, type UnitTally } from './determination.js';
import type { NecDecision, RoundRow, UnitMeta, UnitOutcome, UnitRoundOutcome } from './results.service.js';

/** Which units: all of the election, or of a contest, a province, given ids (combined with and). */
export interface UnitFilter {
  contest?: string;
  province?: string;
  unitIds?: string[];
}

/** Units fetched from the cursor per round trip; bounds the memory held at once. */
const FETCH_ROWS = 5_000;

/** A contest no installed plugin declares (should not happen): the NEC decides, the safest reading. */
const FALLBACK_RULE: AdditionalElectionRule = { kind: 'refer-to-nec' };

const dob = (d: string | null): string => (d ? String(d).slice(0, 10) : '9999-12-31');

/** A streamed row: the unit (UnitMeta, its id as unit_id) with its first-round totals, progress and candidates. */
interface UnitRow extends Omit<UnitMeta, 'id'>, Record<string, unknown> {
  unit_id: string;
  has_total: boolean;
  expected: number | null;
  accepted: number | null;
  cands: string | null;
}

/** The units (as UNIT_SCOPE_SQL with number, name, seats) matching the filter; params after the election id's. */
function unitsCte(o: UnitFilter): { sql: string; params: unknown[] } {
  // Contest and ids filter the units before their province is looked up; the province filters the result.
  const inner: string[] = [];
  const params: unknown[] = [];
  if (o.contest) { inner.push('and u.contest = ?'); params.push(o.contest); }
  if (o.unitIds) { inner.push('and u.id = any(?::uuid[])'); params.push(`{${o.unitIds.join(',')}}`); }
  if (o.province) params.push(o.province);
  return {
    sql: `select us.unit_id, us.contest, us.parent_level, us.parent_code, us.province_code, u.number, u.name, u.seats
      from (${UNIT_SCOPE_SQL} ${inner.join(' ')}) us join electoral_unit u on u.id = us.unit_id ${o.province ? 'where us.province_code = ?' : ''}`,
    params,
  };
}

/** Separators of the candidates string (ASCII unit and record separators: never in a name; stripped if they were). */
const US = '\u001f';
const RS = '\u001e';

/**
 * One row per unit, ordered as unitOutcomes orders them (province, committee, number): its first-round totals,
 * polling areas (expected), accepted first-round minutes, and its official candidates in ballot order as one string
 * (id, first-round votes, date of birth, name; separated by US within and RS between candidates) — a row per
 * unit instead of one per candidate keeps the driver's per-row and per-field work (most of the time) 5 times
 * smaller than the candidates' rows would.
 */
function streamSql(o: UnitFilter): { sql: string; params: (electionId: string) => unknown[] } {
  const us = unitsCte(o);
  return {
    sql: `with us as materialized (${us.sql}),
      pa as (select pu.unit_id, count(*)::int as n from polling_area_unit pu join us on us.unit_id = pu.unit_id group by pu.unit_id),
      ac as (select m.unit_id, count(*)::int as n from count_minutes m join us on us.unit_id = m.unit_id
        where m.round = 'first' and m.accepted_version_id is not null group by m.unit_id),
      cs as (select c.unit_id, string_agg(c.id::text || chr(31) || coalesce(ct.votes::text, '') || chr(31) || coalesce(c.date_of_birth::text, '')
          || chr(31) || translate(coalesce(c.full_name, c.id::text), chr(30) || chr(31), '  '), chr(30) order by c.ballot_order) as cands
        from candidate c join us on us.unit_id = c.unit_id
        left join results_candidate_total ct on ct.election_id = ? and ct.contest = us.contest and ct.round = 'first' and ct.unit_id = c.unit_id and ct.candidate_id = c.id
        where c.status = 'official' group by c.unit_id)
      select us.unit_id, us.contest, us.number, us.name, us.seats, us.parent_level, us.parent_code, us.province_code,
        t.scope_code is not null as has_total, ${COUNT_FIELDS.map((f) => `t.${f}`).join(', ')}, pa.n as expected, ac.n as accepted, cs.cands
      from us
      left join results_total_base t on t.election_id = ? and t.contest = us.contest and t.round = 'first' and t.scope_level = 'unit' and t.scope_code = us.unit_id::text
      left join pa on pa.unit_id = us.unit_id
      left join ac on ac.unit_id = us.unit_id
      left join cs on cs.unit_id = us.unit_id
      order by us.province_code, us.parent_code, us.number, us.unit_id`,
    params: (electionId) => [electionId, ...us.params, electionId, electionId],
  };
}

/** Re-vote and additional rounds of the election's units (few): their rows, decisions, totals, votes, progress. */
interface SideData {
  rounds: Map<string, RoundRow>;
  decisions: Map<string, { elected: string[]; reference: string }>;
  /** Rule 29: the NEC's decisions on NA additional elections, by unit. */
  nec: Map<string, NecDecision>;
  totals: Map<string, Counts>;
  votes: Map<string, Map<string, number>>;
  accepted: Map<string, number>;
}

const key = (unit: string, round: string) => `${unit}|${round}`;

async function loadSide(t: EntityManager, electionId: string): Promise<SideData> {
  const rounds = await sql<RoundRow & { contest: string }>(t, `select r.unit_id, r.round, r.voting_date::text as voting_date, r.seats, r.pool, u.contest
    from results_round r join electoral_unit u on u.id = r.unit_id where r.election_id = ?`, [electionId]);
  const decisions = await sql<{ unit_id: string; round: string; elected: string[]; reference: string }>(t, `select d.unit_id, d.round, d.elected, d.reference
    from results_decision d join electoral_unit u on u.id = d.unit_id where u.election_id = ?`, [electionId]);
  const nec = await sql<NecDecision & { unit_id: string }>(t, `select n.unit_id, n.decision, n.reference_number, n.reference_date::text as reference_date, n.note,
      n.decided_by, n.decided_at from results_nec_decision n join electoral_unit u on u.id = n.unit_id where u.election_id = ?`, [electionId]);
  const side: SideData = {
    rounds: new Map(rounds.map((r) => [key(r.unit_id, r.round), r])),
    decisions: new Map(decisions.map((d) => [key(d.unit_id, d.round), { elected: d.elected, reference: d.reference }])),
    nec: new Map(nec.map(({ unit_id, ...d }) => [unit_id, d as NecDecision])),
    totals: new Map(), votes: new Map(), accepted: new Map(),
  };
  if (!rounds.length) return side;
  const units = `{${[...new Set(rounds.map((r) => r.unit_id))].join(',')}}`;
  const contests = `{${[...new Set(rounds.map((r) => r.contest))].join(',')}}`;
  for (const r of await sql<Record<string, string | number> & { scope_code: string; round: string }>(t, `select scope_code, round, ${COUNT_FIELDS.join(', ')}
    from results_total_base where election_id = ? and contest = any(?::text[]) and round <> 'first' and scope_level = 'unit' and scope_code = any(?::text[])`,
  [electionId, contests, units])) {
    side.totals.set(key(r.scope_code, r.round), Object.fromEntries(COUNT_FIELDS.map((f) => [f, Number(r[f] ?? 0)])) as Counts);
  }
  for (const r of await sql<{ unit_id: string; round: string; candidate_id: string; votes: string | number }>(t, `select unit_id, round, candidate_id, votes
    from results_candidate_total where election_id = ? and contest = any(?::text[]) and round <> 'first' and unit_id = any(?::uuid[])`, [electionId, contests, units])) {
    const k = key(r.unit_id, r.round);
    const m = side.votes.get(k) ?? new Map<string, number>();
    m.set(r.candidate_id, Number(r.votes));
    side.votes.set(k, m);
  }
  for (const r of await sql<{ unit_id: string; round: string; n: number }>(t, `select unit_id, round, count(*)::int as n from count_minutes
    where unit_id = any(?::uuid[]) and round <> 'first' and accepted_version_id is not null group by unit_id, round`, [units])) {
    side.accepted.set(key(r.unit_id, r.round), Number(r.n));
  }
  return side;
}

/** One unit's streamed rows, gathered. */
interface UnitData {
  unit: UnitMeta;
  candidates: { id: string; full_name: string; date_of_birth: string | null }[];
  firstTotals?: Counts;
  firstVotes: Map<string, number>;
  expected: number;
  firstAccepted: number;
}

/**
 * A unit's outcome over its rounds: the rounds determined through determineUnits (the results tool's code path)
 * and combined as the law says (a re-vote replaces the first round; an additional election adds winners to the
 * first round's), with recorded rule-28 decisions applied — the logic of results.service.ts unitOutcomes.
 */
function outcomeOf(d: UnitData, side: SideData, contestType: (id: string) => ContestTypeDef | undefined): UnitOutcome {
  const unit = d.unit;
  const def = contestType(unit.contest);
  const params = { additionalElection: def?.additionalElection ?? FALLBACK_RULE };
  const byId = new Map(d.candidates.map((c) => [c.id, c]));
  const roundOutcome = (round: Round, seats: number, candidateIds: string[]): UnitRoundOutcome => {
    const first = round === 'first';
    const t = first ? d.firstTotals : side.totals.get(key(unit.id, round));
    const counts = t ?? (Object.fromEntries(COUNT_FIELDS.map((f) => [f, 0])) as Counts);
    const exp = d.expected;
    const acc = first ? d.firstAccepted : side.accepted.get(key(unit.id, round)) ?? 0;
    const out: UnitRoundOutcome = { round, counts, expected: exp, accepted: acc, complete: exp > 0 && acc >= exp };
    if (!t || out.accepted === 0) return out;
    const vm = first ? d.firstVotes : side.votes.get(key(unit.id, round)) ?? new Map<string, number>();
    const tally: UnitTally = {
      unitId: unit.id, seats, round, votersTotal: counts.voters_total, votersVoted: counts.voters_voted,
      ballotsValid: counts.ballots_valid, ballotsInvalid: counts.ballots_invalid,
      candidates: candidateIds.map((id) => ({ candidateId: id, name: byId.get(id)?.full_name ?? id, dateOfBirth: dob(byId.get(id)?.date_of_birth ?? null), votes: vm.get(id) ?? 0 })),
    };
    out.tally = tally;
    const r = determineUnits([tally], params);
    if (r.ok) {
      out.result = r.value[0];
      const dec = side.decisions.get(key(unit.id, round));
      if (dec && out.result.status === 'tie-needs-decision') applyDecision(out.result, dec.elected, def);
      if (dec) out.decided = { elected: dec.elected, reference: dec.reference };
    }
    return out;
  };
  const ids = d.candidates.map((c) => c.id);
  const first = roundOutcome('first', unit.seats, ids);
  const rounds: UnitRoundOutcome[] = [first];
  const revoteRow = side.rounds.get(key(unit.id, 'revote'));
  let base = first;
  if (revoteRow) {
    base = roundOutcome('revote', unit.seats, ids);
    rounds.push(base);
  }
  const addRow = side.rounds.get(key(unit.id, 'additional'));
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
    }
  }
  // Rule 29: the NEC decided not to hold an additional election — the shortfall is final, the seats stay vacant.
  // (A decision to hold one opened the additional round, so the unit is already counting that round.)
  const nec = side.nec.get(unit.id);
  if (nec?.decision === 'not-hold' && status === 'additional-election-for-nec-decision') status = 'seats-unfilled';
  return { unit, rounds, status, elected: [...elected], seatsFilled: elected.size, ...(nec ? { necDecision: nec } : {}) };
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

/**
 * Determines the units matching the filter and hands their outcomes to `each` in batches of `batchUnits`, in
 * unitOutcomes' order, reading one consistent snapshot (a repeatable-read, read-only transaction unless `em` is
 * already in one). At most one page of rows and one batch of outcomes are held at a time. Returns the unit count.
 */
export async function forEachUnitOutcome(em: EntityManager, electionId: string, contestType: (id: string) => ContestTypeDef | undefined,
  o: UnitFilter, each: (batch: UnitOutcome[]) => void | Promise<void>, batchUnits = 1000): Promise<number> {
  const run = async (t: EntityManager): Promise<number> => {
    // The cursor is read to its end: plan for all rows (hash joins), not the first 10 % (nested loops, the
    // default cursor_tuple_fraction). The nation-wide plan's cost crosses the JIT thresholds, and compiling it
    // costs more than it saves. A sort of ~130k rows by unit fits in 64 MB instead of spilling to disk.
    await exec(t, `set local cursor_tuple_fraction = 1.0; set local jit = off; set local work_mem = '64MB'`);
    const side = await loadSide(t, electionId);
    const q = streamSql(o);
    const cursor = `results_units_${Math.random().toString(36).slice(2, 10)}`;
    await exec(t, `declare ${cursor} no scroll cursor for ${q.sql}`, q.params(electionId));
    let units = 0;
    let batch: UnitOutcome[] = [];
    let cur: UnitData | undefined;
    const flush = async (force: boolean) => {
      if (batch.length && (force || batch.length >= batchUnits)) {
        const b = batch;
        batch = [];
        await each(b);
      }
    };
    const finish = async () => {
      if (!cur) return;
      batch.push(outcomeOf(cur, side, contestType));
      units++;
      cur = undefined;
      await flush(false);
    };
    try {
      for (;;) {
        const rows = await sql<UnitRow>(t, `fetch ${FETCH_ROWS} from ${cursor}`);
        for (const r of rows) {
          await finish();
          const candidates: UnitData['candidates'] = [];
          const firstVotes = new Map<string, number>();
          if (r.cands) {
            for (const c of r.cands.split(RS)) {
              const [id, votes, birth, name] = c.split(US);
              candidates.push({ id, full_name: name, date_of_birth: birth || null });
              if (votes !== '') firstVotes.set(id, Number(votes));
            }
          }
          cur = {
            unit: { id: r.unit_id, contest: r.contest, number: r.number, name: r.name, seats: r.seats, parent_level: r.parent_level, parent_code: r.parent_code, province_code: r.province_code },
            candidates,
            firstTotals: r.has_total ? (Object.fromEntries(COUNT_FIELDS.map((f) => [f, Number(r[f] ?? 0)])) as Counts) : undefined,
            firstVotes,
            expected: Number(r.expected ?? 0),
            firstAccepted: Number(r.accepted ?? 0),
          };
        }
        if (rows.length < FETCH_ROWS) break;
      }
      await finish();
      await flush(true);
    } finally {
      await exec(t, `close ${cursor}`).catch(() => undefined);
    }
    return units;
  };
  if (em.getTransactionContext()) return run(em);
  return em.fork().transactional(async (tx) => run(tx as EntityManager), { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true });
}

/** Outcomes of the units matching the filter, as results.service.ts unitOutcomes returns them (same order). */
export async function loadUnitOutcomes(em: EntityManager, electionId: string, contestType: (id: string) => ContestTypeDef | undefined,
  o: UnitFilter = {}): Promise<UnitOutcome[]> {
  const out: UnitOutcome[] = [];
  await forEachUnitOutcome(em, electionId, contestType, o, (b) => { out.push(...b); }, 5000);
  return out;
}
