// Where electoral units and polling areas sit in the tree, for the policy: the ancestor chains that let a role scoped
// to a province, a commune, a unit (board member) or a polling area (team member) reach them. The tree version is the
// one in force on the election's day.
import type { EntityManager } from '@mikro-orm/postgresql';
import { prepared } from '../../persistence/db.js';
import { NATION, type AncestorResolver, type ScopeResolver } from '../../auth/policy.js';
import { MEMO, recalledFrom } from '../../persistence/em-memo.js';
import { UUID_RE as UUID } from '../../shared/ids.js';

const inForceOnDay = (a: string) => `${a}.valid_from <= e.election_day and (${a}.valid_to is null or ${a}.valid_to > e.election_day)`;

/** [unit, (its commune), province, nation]. */
export const unitAncestors: AncestorResolver = async (em: EntityManager, code: string) => {
  if (!UUID.test(code)) return undefined;
  const [u] = await prepared<{ parent_level: string; parent_code: string; province: string | null }>(
    em,
    `select u.parent_level, u.parent_code, case when u.parent_level = 'province' then u.parent_code else c.parent_code end as province
       from electoral_unit u join election e on e.id = u.election_id
       left join admin_unit c on u.parent_level = 'commune' and c.code = u.parent_code and c.level = 'commune' and ${inForceOnDay('c')}
      where u.id = ?`,
    [code],
  );
  if (!u || !u.province) return undefined;
  return [
    { type: 'electoral-unit' as const, code },
    ...(u.parent_level === 'commune' ? [{ type: 'commune' as const, code: u.parent_code }] : []),
    { type: 'province' as const, code: u.province },
    { type: 'nation' as const, code: NATION },
  ];
};

/**
 * [area, its units (one per contest), commune, province, nation]: an election board member reaches the polling areas
 * of the unit (the board receives their teams' minutes); a team member reaches only the area.
 */
export const areaAncestors: AncestorResolver = async (em: EntityManager, code: string) => {
  if (!UUID.test(code)) return undefined;
  const known = recalledFrom<AreaPlace>(em, MEMO.ancestors('polling-area', code));
  const [a] = known ? [known] : await prepared<AreaPlace>(
    em,
    `select a.commune_code, ${areaPlaceSql.province('a')} as province, ${areaPlaceSql.units('a')} as units
       from polling_area a join election e on e.id = a.election_id
      where a.id = ?`,
    [code],
  );
  if (!a || !a.province) return undefined;
  return [
    { type: 'polling-area' as const, code },
    ...(a.units ?? []).map((u) => ({ type: 'electoral-unit' as const, code: u })),
    { type: 'commune' as const, code: a.commune_code },
    { type: 'province' as const, code: a.province },
    { type: 'nation' as const, code: NATION },
  ];
};

/**
 * What areaAncestors reads of an area: its commune, the commune's province in the tree in force on election day, and
 * its units (one per contest, ordered by contest). A reader that already has these (count minutes' area context)
 * records them under MEMO.ancestors('polling-area', id) on its EntityManager, and the policy's lookup uses them.
 */
export interface AreaPlace {
  commune_code: string;
  province: string | null;
  units: string[] | null;
}

/** AreaPlace's columns as SQL expressions for polling area alias `a`, its election joined as `e`. */
export const areaPlaceSql = {
  province: (a: string) => `(select c.parent_code from admin_unit c where c.code = ${a}.commune_code and c.level = 'commune' and ${inForceOnDay('c')})`,
  units: (a: string) => `(select array_agg(pu.unit_id::text order by pu.contest) from polling_area_unit pu where pu.polling_area_id = ${a}.id)`,
};

export function registerScopeResolvers(scopes: ScopeResolver): void {
  scopes.register('electoral-unit', unitAncestors);
  scopes.register('polling-area', areaAncestors);
}
