// The calendar's completeness checks for the formation deadlines of rule 9 (core/elections/calendar/deadlines.ts),
// computed from the bodies tables against what is expected: a committee per province and per commune (less those
// recorded as having none), a board per electoral unit of the contests held, a team per polling area. A body counts
// as formed once it is complete (draft → complete, docs/bodies.md). Each check counts units of its deadline's level
// (provinces or communes) inside the scope asked: "12 xã chưa thành lập tổ bầu cử". Read only.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../persistence/db.js';
import type { CheckResult, CheckScope, DeadlineCheck } from '../calendar/completeness.js';
import { inForce, pgArray } from './store.js';

interface Row {
  code: string;
  name: string;
  done: boolean;
}

function result(rows: Row[]): CheckResult {
  const missing = rows.filter((r) => !r.done);
  return { missing: missing.length, total: rows.length, examples: missing.slice(0, 10).map((r) => ({ code: r.code, name: r.name })) };
}

async function electionDay(em: EntityManager, electionId: string): Promise<string | undefined> {
  const [e] = await sql<{ day: string }>(em, `select election_day::text as day from election where id = ?`, [electionId]);
  return e?.day;
}

async function contestsHeld(em: EntityManager, electionId: string): Promise<string[]> {
  return (await sql<{ plugin_id: string }>(em, `select plugin_id from plugin_state where election_id = ? and enabled`, [electionId])).map((r) => r.plugin_id);
}

/** A filter on a commune-level admin_unit alias for the scope; undefined when the scope is not the nation, a province or a commune. */
function communeFilter(scope: CheckScope, alias: string): [string, unknown[]] | undefined {
  if (scope.type === 'nation') return ['', []];
  if (scope.type === 'province') return [` and ${alias}.parent_code = ?`, [scope.code]];
  if (scope.type === 'commune') return [` and ${alias}.code = ?`, [scope.code]];
  return undefined;
}

function provinceFilter(scope: CheckScope, alias: string): [string, unknown[]] | undefined {
  if (scope.type === 'nation') return ['', []];
  if (scope.type === 'province') return [` and ${alias}.code = ?`, [scope.code]];
  return undefined;
}

/** Provinces without a complete provincial election committee. */
export const provinceCommitteesFormed: DeadlineCheck = async (em, electionId, scope) => {
  const f = provinceFilter(scope, 'p');
  const day = await electionDay(em, electionId);
  if (!f || !day) return undefined;
  return result(await sql<Row>(em,
    `select p.code, p.name, exists (select 1 from election_body b where b.election_id = ? and b.kind = 'province-committee' and b.province_code = p.code and b.status = 'complete') as done
       from admin_unit p where p.level = 'province' and ${inForce('p')}${f[0]} order by p.code`, [electionId, day, day, ...f[1]]));
};

/** Communes without a complete commune election committee; communes recorded as having none are not expected to. */
export const communeCommitteesFormed: DeadlineCheck = async (em, electionId, scope) => {
  const f = communeFilter(scope, 'c');
  const day = await electionDay(em, electionId);
  if (!f || !day) return undefined;
  return result(await sql<Row>(em,
    `select c.code, c.name, b.status = 'complete' as done
       from admin_unit c left join election_body b on b.election_id = ? and b.kind = 'commune-committee' and b.commune_code = c.code
      where c.level = 'commune' and ${inForce('c')}${f[0]} and b.status is distinct from 'none' order by c.sort_key`, [electionId, day, day, ...f[1]]).then((rs) => rs.map((r) => ({ ...r, done: !!r.done }))));
};

/** Provinces with province-level units (NA, provincial council) where some unit has no complete board. */
export const provinceBoardsFormed: DeadlineCheck = async (em, electionId, scope) => {
  const f = provinceFilter(scope, 'p');
  const day = await electionDay(em, electionId);
  if (!f || !day) return undefined;
  return result(await sql<Row>(em,
    `select p.code, p.name, bool_and(b.id is not null) as done
       from admin_unit p join electoral_unit u on u.election_id = ? and u.parent_level = 'province' and u.parent_code = p.code and u.contest = any(?::text[])
       left join election_body b on b.kind = 'board' and b.unit_id = u.id and b.status = 'complete'
      where p.level = 'province' and ${inForce('p')}${f[0]} group by p.code, p.name order by p.code`,
  [electionId, pgArray(await contestsHeld(em, electionId)), day, day, ...f[1]]));
};

/** Communes with commune-level units (commune council) where some unit has no complete board. */
export const communeBoardsFormed: DeadlineCheck = async (em, electionId, scope) => {
  const f = communeFilter(scope, 'c');
  const day = await electionDay(em, electionId);
  if (!f || !day) return undefined;
  return result(await sql<Row>(em,
    `select c.code, c.name, bool_and(b.id is not null) as done
       from admin_unit c join electoral_unit u on u.election_id = ? and u.parent_level = 'commune' and u.parent_code = c.code and u.contest = any(?::text[])
       left join election_body b on b.kind = 'board' and b.unit_id = u.id and b.status = 'complete'
      where c.level = 'commune' and ${inForce('c')}${f[0]} group by c.code, c.name, c.sort_key order by c.sort_key`,
  [electionId, pgArray(await contestsHeld(em, electionId)), day, day, ...f[1]]));
};

/**
 * Communes with polling areas where some area has no complete team ("teams expected = polling areas"; a commune with
 * no polling area yet expects none — the structure deadlines track that).
 */
export const teamsFormed: DeadlineCheck = async (em, electionId, scope) => {
  const f = communeFilter(scope, 'c');
  const day = await electionDay(em, electionId);
  if (!f || !day) return undefined;
  return result(await sql<Row>(em,
    `select c.code, c.name, bool_and(b.id is not null) as done
       from admin_unit c join polling_area a on a.election_id = ? and a.commune_code = c.code
       left join election_body b on b.kind = 'team' and b.polling_area_id = a.id and b.status = 'complete'
      where c.level = 'commune' and ${inForce('c')}${f[0]} group by c.code, c.name, c.sort_key order by c.sort_key`,
  [electionId, day, day, ...f[1]]));
};

/** Check ids of core/elections/calendar/deadlines.ts → the checks above. */
export const BODY_CHECKS: Record<string, DeadlineCheck> = {
  'province-committees-formed': provinceCommitteesFormed,
  'commune-committees-formed': communeCommitteesFormed,
  'province-boards-formed': provinceBoardsFormed,
  'commune-boards-formed': communeBoardsFormed,
  'teams-formed': teamsFormed,
};
