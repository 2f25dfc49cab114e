// Allocation of qualified candidates to electoral units and the official list of each unit (rule 17): assign,
// unassign, record the exception decision that allows a short list, finalise (candidates become 'official' with
// their place on the ballot, ballot-order.ts) and reopen. Runs inside the caller's transaction (an action of
// mountAction, or the import); every candidate whose status or unit changes gets a candidate_event row.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, exec } from '../../persistence/db.js';
import type { ContestTypeDef } from '../../plugin-api/contest-type.js';
import { appError, err, ok, type AppError, type FieldIssue, type Result } from '../../shared/result.js';
import { checkListSurplus, hasBlockingIssue, minListSize, type CandidateIssue } from './rules.js';
import { sortByBallotOrder } from './ballot-order.js';
import { councilOfUnit, exceptionOf, getCandidate, unitCandidates, type CandidateRow, type UnitRow } from './lists.store.js';

/** How a unit is named in messages: "Đơn vị bầu cử số 2 · Tỉnh Lào Cai". */
export const unitLabel = (u: Pick<UnitRow, 'name' | 'number' | 'description' | 'place_name'>): string => {
  const place = u.place_name ?? u.description;
  return place ? `${u.name} · ${place}` : u.name;
};

const issue = (field: string, code: string, messageKey: string, params: Record<string, string | number> = {}): FieldIssue => ({ field, code, messageKey, params });
const refuse = (status: number, code: string, messageKey: string, params: Record<string, string | number> = {}, field = 'candidateId'): AppError =>
  appError(code, messageKey, status, params, [issue(field, code, messageKey, params)]);

async function event(em: EntityManager, ids: string[], actor: string, kind: string, from: string | null, to: string | null, data: Record<string, unknown> = {}): Promise<void> {
  if (!ids.length) return;
  await exec(em, `insert into candidate_event (candidate_id, actor, kind, from_status, to_status, data)
    select x, ?, ?, ?, ?, ?::jsonb from unnest(?::uuid[]) as x`, [actor, kind, from, to, JSON.stringify(data), `{${ids.join(',')}}`]);
}

/** True if the unit's list is final (its candidates are official). */
export async function isFinal(em: EntityManager, unitId: string): Promise<boolean> {
  const [r] = await sql<{ n: number }>(em, `select count(*)::int as n from candidate where unit_id = ? and status = 'official'`, [unitId]);
  return r.n > 0;
}

/**
 * Rule 17: puts a qualified candidate of the unit's contest and council on the unit's list. Refused: a candidate not
 * qualified, of another contest or council, already on this list or on another unit's list (one unit per contest),
 * the same person (ID number, or name and date of birth) already on another unit's list, or a final list.
 */
export async function assignCandidate(em: EntityManager, unit: UnitRow, candidateId: string, actor: string): Promise<Result<{ candidate: CandidateRow }, AppError>> {
  const c = await getCandidate(em, unit.election_id, candidateId, true);
  if (!c) return err(refuse(404, 'NOT_FOUND', 'candidate-lists.error.candidate_not_found'));
  const name = c.full_name;
  if (c.unit_id === unit.id) return err(refuse(409, 'LIST_ALREADY_ON_UNIT', 'candidate-lists.error.already_on_unit', { name, unit: unitLabel(unit) }));
  if (c.unit_id) {
    const [other] = await sql<UnitRow>(em, `select u.name, u.number, u.description, n.name as place_name from electoral_unit u
      left join admin_unit n on n.code = u.parent_code and n.level = u.parent_level and n.valid_to is null where u.id = ?`, [c.unit_id]);
    return err(refuse(409, 'LIST_DUPLICATE_CANDIDATE', 'candidate-lists.error.on_other_unit', { name, unit: other ? unitLabel(other) : c.unit_id }));
  }
  if (c.contest !== unit.contest || c.council_code !== councilOfUnit(unit)) {
    return err(refuse(400, 'CANDIDATE_OTHER_COUNCIL', 'candidate-lists.error.other_council', { name, unit: unitLabel(unit) }));
  }
  if (c.status !== 'qualified') return err(refuse(409, 'CANDIDATE_NOT_QUALIFIED', 'candidate-lists.error.not_qualified', { name, status: c.status }));
  if (await isFinal(em, unit.id)) return err(refuse(409, 'LIST_FINAL', 'candidate-lists.error.list_final', { unit: unitLabel(unit) }));
  // The same person filed twice in one contest (two rows) must not reach two lists either (groupPersons' identity).
  const [twin] = await sql<UnitRow & { full_name: string }>(em, `select u.name, u.number, u.description, null as place_name, o.full_name
      from candidate me join candidate o on o.election_id = me.election_id and o.contest = me.contest and o.id <> me.id and o.unit_id is not null and o.unit_id <> ?
      join electoral_unit u on u.id = o.unit_id
     where me.id = ? and ((me.id_number is not null and replace(o.id_number, ' ', '') = replace(me.id_number, ' ', ''))
        or (me.date_of_birth is not null and lower(o.full_name) = lower(me.full_name) and o.date_of_birth = me.date_of_birth)) limit 1`, [unit.id, c.id]);
  if (twin) return err(refuse(409, 'LIST_DUPLICATE_CANDIDATE', 'candidate-lists.error.on_other_unit', { name, unit: unitLabel(twin) }));
  await exec(em, `update candidate set unit_id = ?, version = version + 1, updated_at = now() where id = ?`, [unit.id, c.id]);
  await event(em, [c.id], actor, 'list.assigned', c.status, c.status, { unitId: unit.id });
  return ok({ candidate: c });
}

/** Takes a candidate off a unit's list (not once the list is final: reopen it first). */
export async function unassignCandidate(em: EntityManager, unit: UnitRow, candidateId: string, actor: string): Promise<Result<{ candidate: CandidateRow }, AppError>> {
  const c = await getCandidate(em, unit.election_id, candidateId, true);
  if (!c || c.unit_id !== unit.id) return err(refuse(404, 'NOT_FOUND', 'candidate-lists.error.not_on_unit', { unit: unitLabel(unit) }));
  if (c.status === 'official') return err(refuse(409, 'LIST_FINAL', 'candidate-lists.error.list_final', { unit: unitLabel(unit) }));
  await exec(em, `update candidate set unit_id = null, version = version + 1, updated_at = now() where id = ?`, [c.id]);
  await event(em, [c.id], actor, 'list.unassigned', c.status, c.status, { unitId: unit.id });
  return ok({ candidate: c });
}

/** Rule 17 on a unit's list as it stands (its candidates, seats and exception). */
export async function surplusIssues(em: EntityManager, contest: ContestTypeDef, unit: UnitRow, count?: number): Promise<CandidateIssue[]> {
  const n = count ?? (await unitCandidates(em, unit.id)).length;
  const x = await exceptionOf(em, unit.id);
  return checkListSurplus(contest, {
    unitId: unitLabel(unit), seats: unit.seats, candidateCount: n,
    exception: x ? { number: x.decision_no, date: x.decision_date, body: x.body } : null,
  });
}

/** A blocking rule 17 issue as a refusal naming the unit and the shortfall. */
export function surplusRefusal(unit: UnitRow, issues: CandidateIssue[]): AppError {
  const i = issues.find((x) => x.severity === 'error')!;
  if (i.code === 'LIST_SURPLUS_SHORT') {
    const params = { unit: unitLabel(unit), seats: unit.seats, candidates: Number(i.params.candidates), required: Number(i.params.required), short: Number(i.params.required) - Number(i.params.candidates) };
    return refuse(409, 'LIST_SURPLUS_SHORT', 'candidate-lists.error.surplus_short', params, 'candidates');
  }
  return refuse(409, i.code, i.messageKey, { ...i.params, unit: unitLabel(unit) }, i.field);
}

export interface FinaliseOutcome {
  order: { id: string; fullName: string; ballotOrder: number }[];
  warnings: CandidateIssue[];
}

/**
 * Finalises a unit's official list (rule 17): at least seats + surplus candidates, or an exception decision
 * recorded; then every candidate on it becomes 'official' with its place in the Vietnamese ballot order of the
 * given name, then the rest (ballot-order.ts, docs/collation.md).
 */
export async function finaliseUnit(em: EntityManager, contest: ContestTypeDef, unit: UnitRow, actor: string): Promise<Result<FinaliseOutcome, AppError>> {
  const rows = await unitCandidates(em, unit.id, true);
  if (rows.some((r) => r.status === 'official')) return err(refuse(409, 'LIST_ALREADY_FINAL', 'candidate-lists.error.already_final', { unit: unitLabel(unit) }, 'unitId'));
  const issues = await surplusIssues(em, contest, unit, rows.length);
  if (hasBlockingIssue(issues)) return err(surplusRefusal(unit, issues));
  const sorted = sortByBallotOrder(rows, (r) => r.full_name);
  const ids = sorted.map((r) => r.id);
  await exec(em, `update candidate c set status = 'official', ballot_order = x.n, version = c.version + 1, updated_at = now()
    from unnest(?::uuid[]) with ordinality as x(id, n) where c.id = x.id`, [`{${ids.join(',')}}`]);
  await event(em, ids, actor, 'list.official', 'qualified', 'official', { unitId: unit.id });
  return ok({ order: sorted.map((r, i) => ({ id: r.id, fullName: r.full_name, ballotOrder: i + 1 })), warnings: issues });
}

/** Reopens a final list: its candidates go back to 'qualified' on the unit, without a ballot order. */
export async function reopenUnit(em: EntityManager, unit: UnitRow, actor: string): Promise<Result<{ count: number }, AppError>> {
  const rows = await unitCandidates(em, unit.id, true);
  const ids = rows.filter((r) => r.status === 'official').map((r) => r.id);
  if (!ids.length) return err(refuse(409, 'LIST_NOT_FINAL', 'candidate-lists.error.not_final', { unit: unitLabel(unit) }, 'unitId'));
  await exec(em, `update candidate set status = 'qualified', ballot_order = null, version = version + 1, updated_at = now() where id = any(?::uuid[])`, [`{${ids.join(',')}}`]);
  await event(em, ids, actor, 'list.reopened', 'official', 'qualified', { unitId: unit.id });
  return ok({ count: ids.length });
}

export interface ExceptionInput {
  decisionNo: string;
  decisionDate: string;
  body: string;
  note: string | null;
}

/** Records (or replaces) the rule 17 exception decision of a unit; cleared only while the list is not final. */
export async function recordException(em: EntityManager, unit: UnitRow, x: ExceptionInput, actor: string): Promise<void> {
  await exec(em, `insert into unit_list_exception (unit_id, election_id, decision_no, decision_date, body, note, recorded_by) values (?, ?, ?, ?, ?, ?, ?)
    on conflict (unit_id) do update set decision_no = excluded.decision_no, decision_date = excluded.decision_date, body = excluded.body,
      note = excluded.note, recorded_by = excluded.recorded_by, recorded_at = now()`,
  [unit.id, unit.election_id, x.decisionNo, x.decisionDate, x.body, x.note, actor]);
}

export async function clearException(em: EntityManager, contest: ContestTypeDef, unit: UnitRow): Promise<Result<{ cleared: boolean }, AppError>> {
  if (await isFinal(em, unit.id)) {
    const n = (await unitCandidates(em, unit.id)).length;
    const required = minListSize(contest, unit.seats);
    if (required !== undefined && n < required) return err(refuse(409, 'LIST_FINAL', 'candidate-lists.error.list_final', { unit: unitLabel(unit) }, 'unitId'));
  }
  const n = await exec(em, `delete from unit_list_exception where unit_id = ?`, [unit.id]);
  return ok({ cleared: n > 0 });
}
