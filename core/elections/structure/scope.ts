// Where electoral units and polling areas sit in the tree, for the policy: the ancestor chains that let a role scoped
// to a province, a commune, a unit (board member) or a polling area (team member) reach them. The tree version is the
// one in force on the election's day.
import type { EntityManager } from '@mikro-orm/postgresql';
import { prepared } from '../../persistence/db.js';
import { NATION, type AncestorResolver, type ScopeResolver } from '../../auth/policy.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
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
  const [a] = await prepared<{ commune_code: string; province: string | null; units: string[] | null }>(
    em,
    `select a.commune_code, c.parent_code as province,
            (select array_agg(pu.unit_id::text order by pu.contest) from polling_area_unit pu where pu.polling_area_id = a.id) as units
       from polling_area a join election e on e.id = a.election_id
       left join admin_unit c on c.code = a.commune_code and c.level = 'commune' and ${inForceOnDay('c')}
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

export function registerScopeResolvers(scopes: ScopeResolver): void {
  scopes.register('electoral-unit', unitAncestors);
  scopes.register('polling-area', areaAncestors);
}
