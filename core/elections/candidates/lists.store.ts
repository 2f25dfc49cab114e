// Queries of the official lists (issue 5 point 4): the election with its contest types, electoral units with their
// place, the candidates allocated to a unit, the qualified candidates still to allocate, and per-unit summaries for
// the allocation page. Raw SQL through the action's EntityManager; no rule is decided here (allocation.ts does).
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../persistence/db.js';
import type { ContestTypeDef } from '../../plugin-api/contest-type.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import type { Target } from '../../auth/policy.js';
import { NATION } from '../../auth/policy.js';
import { contestsOf, getElection } from '../elections.service.js';

export interface ListsElection {
  id: string;
  name: string;
  electionDay: string;
  status: string;
  contests: ContestTypeDef[];
}

export async function loadListsElection(em: EntityManager, registry: PluginRegistry, id: string): Promise<ListsElection | undefined> {
  const e = await getElection(em, id);
  if (!e) return undefined;
  const contests: ContestTypeDef[] = [];
  for (const c of await contestsOf(em, id, registry.plugins().map((p) => p.id))) {
    const ct = registry.contestType(c);
    if (ct) contests.push(ct);
  }
  return { id: e.id, name: e.name, electionDay: String(e.election_day), status: String((e as { status?: string }).status ?? ''), contests };
}

/** A '.. in force on day' condition on admin_unit alias `a` (two parameters: the day twice). */
export const inForce = (a: string) => `${a}.valid_from <= ?::date and (${a}.valid_to is null or ${a}.valid_to > ?::date)`;

export interface UnitRow {
  id: string;
  election_id: string;
  contest: string;
  parent_level: 'province' | 'commune';
  parent_code: string;
  number: number;
  seats: number;
  name: string;
  description: string | null;
  place_name: string | null;
  province_code: string | null;
}

const UNIT_SELECT = (day: boolean) => `select u.id, u.election_id, u.contest, u.parent_level, u.parent_code, u.number, u.seats, u.name, u.description,
    ${day ? 'n.name' : 'null'} as place_name, ${day ? `case when u.parent_level = 'province' then u.parent_code else n.parent_code end` : 'null'} as province_code
  from electoral_unit u`;

/** One unit of an election, with the name of its place (province or commune) on election day; locked for an action. */
export async function getUnit(em: EntityManager, e: Pick<ListsElection, 'id' | 'electionDay'>, unitId: string, lock = false): Promise<UnitRow | undefined> {
  const [u] = await sql<UnitRow>(em, `${UNIT_SELECT(true)}
      left join admin_unit n on n.code = u.parent_code and n.level = u.parent_level and ${inForce('n')}
     where u.id = ? and u.election_id = ?${lock ? ' for update of u' : ''}`, [e.electionDay, e.electionDay, unitId, e.id]);
  return u;
}

/** The council a unit elects to: 'VN' for the National Assembly, the province or commune otherwise (docs/candidate-lists.md). */
export const councilOfUnit = (u: Pick<UnitRow, 'contest' | 'parent_code'>): string => (u.contest === 'national-assembly' ? 'VN' : u.parent_code);

/** A place code as a policy target: 'VN' is the nation, 2 digits a province, 5 digits a commune. */
export function placeTarget(code: string, electionId: string): Target {
  if (code === 'VN' || code === NATION || code === '') return { type: 'nation', code: NATION, electionId };
  return { type: code.length === 2 ? 'province' : 'commune', code, electionId };
}

/**
 * Who may read a unit's list: the unit itself (so its board reads it; the unit's ancestors — commune, province,
 * nation — reach it too), or the nation for units outside the tree (the 2021 test units, parent 'VN').
 */
export const unitViewTarget = (u: UnitRow): Target =>
  u.parent_code === 'VN' ? placeTarget('VN', u.election_id) : { type: 'electoral-unit', code: u.id, electionId: u.election_id };

/**
 * Who may change a unit's list: the NEC for National Assembly units (it announces their lists), the committee of
 * the council's level for council units (province, commune).
 */
export const unitManageTarget = (u: UnitRow): Target => (u.contest === 'national-assembly' ? placeTarget('VN', u.election_id) : placeTarget(u.parent_code, u.election_id));

export interface CandidateRow {
  id: string;
  contest: string;
  council_code: string;
  full_name: string;
  other_name: string | null;
  sort_key: string;
  gender: 'male' | 'female';
  date_of_birth: string | null;
  date_of_birth_text: string | null;
  ethnicity: string;
  religion: string | null;
  occupation: string | null;
  position: string | null;
  workplace: string | null;
  party_member: boolean;
  nominated_by: 'central' | 'local' | 'self';
  status: string;
  unit_id: string | null;
  ballot_order: number | null;
  version: number;
  details: Record<string, unknown>;
}

const CANDIDATE_COLUMNS = `c.id, c.contest, c.council_code, c.full_name, c.other_name, c.sort_key, c.gender, c.date_of_birth::text as date_of_birth,
  c.date_of_birth_text, c.ethnicity, c.religion, c.occupation, c.position, c.workplace, c.party_member, c.nominated_by, c.status, c.unit_id,
  c.ballot_order, c.version, c.details`;

/** The candidates on a unit's list: by ballot order once official, by the ballot collation before. */
export async function unitCandidates(em: EntityManager, unitId: string, lock = false): Promise<CandidateRow[]> {
  return sql<CandidateRow>(em, `select ${CANDIDATE_COLUMNS} from candidate c where c.unit_id = ?
    order by c.ballot_order nulls last, c.sort_key, c.id${lock ? ' for update' : ''}`, [unitId]);
}

export async function getCandidate(em: EntityManager, electionId: string, id: string, lock = false): Promise<CandidateRow | undefined> {
  const [c] = await sql<CandidateRow>(em, `select ${CANDIDATE_COLUMNS} from candidate c where c.id = ? and c.election_id = ?${lock ? ' for update' : ''}`, [id, electionId]);
  return c;
}

/** Qualified candidates of a contest and council not yet on any list, optionally filtered by an accent-free search. */
export async function unallocated(em: EntityManager, electionId: string, contest: string, council: string, q = '', limit = 200): Promise<CandidateRow[]> {
  return sql<CandidateRow>(em, `select ${CANDIDATE_COLUMNS} from candidate c
    where c.election_id = ? and c.contest = ? and c.council_code = ? and c.status = 'qualified' and c.unit_id is null
      and (? = '' or c.name_key like '%' || ? || '%')
    order by c.sort_key, c.id limit ?`, [electionId, contest, council, q, q, limit]);
}

export interface ExceptionRow {
  unit_id: string;
  decision_no: string;
  decision_date: string;
  body: string;
  note: string | null;
  recorded_by: string;
  recorded_at: Date;
}

export async function exceptionOf(em: EntityManager, unitId: string): Promise<ExceptionRow | undefined> {
  const [x] = await sql<ExceptionRow>(em, `select unit_id, decision_no, decision_date::text as decision_date, body, note, recorded_by, recorded_at
    from unit_list_exception where unit_id = ?`, [unitId]);
  return x;
}

export interface UnitSummary {
  id: string;
  contest: string;
  parent_code: string;
  number: number;
  seats: number;
  name: string;
  description: string | null;
  place_name: string | null;
  assigned: number;
  official: number;
  women: number;
  ethnic_minority: number;
  non_party: number;
  exception_no: string | null;
  exception_date: string | null;
  exception_body: string | null;
}

/**
 * Units of a contest (optionally of one place: a province for province-level units, a commune — or, for
 * commune-level units, a province meaning all its communes) with their list counts and, at a glance, women,
 * ethnic-minority and non-Party counts of the list.
 */
export async function unitSummaries(em: EntityManager, e: Pick<ListsElection, 'id' | 'electionDay'>, contest: string, place?: string): Promise<UnitSummary[]> {
  const params: unknown[] = [e.electionDay, e.electionDay, e.id, contest];
  let where = '';
  if (place && place !== 'VN') {
    where = ` and (u.parent_code = ? or (u.parent_level = 'commune' and n.parent_code = ?))`;
    params.push(place, place);
  }
  return sql<UnitSummary>(em, `select u.id, u.contest, u.parent_code, u.number, u.seats, u.name, u.description, n.name as place_name,
      count(c.id)::int as assigned, count(c.id) filter (where c.status = 'official')::int as official,
      count(c.id) filter (where c.gender = 'female')::int as women,
      count(c.id) filter (where lower(c.ethnicity) not in ('kinh', 'việt', 'viet'))::int as ethnic_minority,
      count(c.id) filter (where not c.party_member)::int as non_party,
      x.decision_no as exception_no, x.decision_date::text as exception_date, x.body as exception_body
    from electoral_unit u
    left join admin_unit n on n.code = u.parent_code and n.level = u.parent_level and ${inForce('n')}
    left join candidate c on c.unit_id = u.id
    left join unit_list_exception x on x.unit_id = u.id
    where u.election_id = ? and u.contest = ?${where}
    group by u.id, n.name, n.parent_code, x.unit_id
    order by u.parent_code, u.number`, params);
}

/** Province/commune name on election day. */
export async function placeName(em: EntityManager, day: string, code: string): Promise<string | undefined> {
  if (code === 'VN') return undefined;
  const [r] = await sql<{ name: string }>(em, `select name from admin_unit a where code = ? and level = ? and ${inForce('a')}`,
    [code, code.length === 2 ? 'province' : 'commune', day, day]);
  return r?.name;
}
