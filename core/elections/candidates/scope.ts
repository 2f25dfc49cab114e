// Where a candidate sits in the tree, for the single policy: a commune-council candidate belongs to its commune, a
// provincial-council candidate to its province, an NA candidate to the province it filed with (centrally nominated
// ones, filed with the NEC, to the nation only); once allocated, also to its electoral unit (the board reads it).
// Also the SQL filter that restricts lists to what an actor's assignments reach (the same relation, as a query).
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../persistence/db.js';
import { NATION, type AncestorResolver, type Assignment, type ScopeResolver, type Target } from '../../auth/policy.js';
import type { TreeLevel } from '../../plugin-api/index.js';
import { UUID_RE as UUID } from '../../shared/ids.js';

/**
 * The policy target type of one candidate. Not a level of the administrative tree, so it is cast: the scope
 * resolver maps it to its chain of tree nodes, and audit events name the candidate itself.
 */
export const CANDIDATE_TARGET = 'candidate' as TreeLevel;

const inForceOnDay = (a: string) => `${a}.valid_from <= e.election_day and (${a}.valid_to is null or ${a}.valid_to > e.election_day)`;

/** The node a council (or, for the NA, a filing body) belongs to: 'VN'/'NEC' → nation, a province, a commune. */
export function councilNode(contest: string, code: string): { type: TreeLevel; code: string } {
  if (code === NATION || code === 'NEC') return { type: 'nation', code: NATION };
  if (contest === 'commune-council') return { type: 'commune', code };
  return { type: 'province', code };
}

/** [candidate, (unit), (commune), province, nation] — or [candidate, nation] for an NA candidate filed with the NEC. */
export const candidateAncestors: AncestorResolver = async (em: EntityManager, code: string) => {
  if (!UUID.test(code)) return undefined;
  const [c] = await sql<{ contest: string; council_code: string; filing_body_code: string; unit_id: string | null; province: string | null }>(
    em,
    `select c.contest, c.council_code, c.filing_body_code, c.unit_id::text as unit_id,
            case when c.contest = 'commune-council' then a.parent_code when c.contest = 'provincial-council' then c.council_code
                 when c.filing_body_code = 'NEC' then null else c.filing_body_code end as province
       from candidate c join election e on e.id = c.election_id
       left join admin_unit a on c.contest = 'commune-council' and a.code = c.council_code and a.level = 'commune' and ${inForceOnDay('a')}
      where c.id = ?`,
    [code],
  );
  if (!c) return undefined;
  const chain: { type: TreeLevel; code: string }[] = [{ type: CANDIDATE_TARGET, code }];
  if (c.unit_id) chain.push({ type: 'electoral-unit', code: c.unit_id });
  if (c.contest === 'commune-council') chain.push({ type: 'commune', code: c.council_code });
  if (c.province) chain.push({ type: 'province', code: c.province });
  chain.push({ type: 'nation', code: NATION });
  return chain;
};

export function registerCandidateScope(scopes: ScopeResolver): void {
  scopes.register(CANDIDATE_TARGET, candidateAncestors);
}

/** The policy target of one candidate. */
export const candidateTarget = (id: string, electionId?: string): Target => ({ type: CANDIDATE_TARGET, code: id, electionId });

/**
 * A SQL condition (alias `c`) true for the candidates the assignments reach, and its parameters: nation → all; a
 * province → its councils, its communes' councils and the NA candidates filed with it; a commune → its council;
 * an electoral unit → the candidates allocated to it. Roles without `permissionRoles` are ignored.
 */
export function scopeFilter(assignments: readonly Assignment[], permissionRoles: readonly string[], electionId: string): { where: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const a of assignments) {
    if (!permissionRoles.includes(a.role)) continue;
    if (a.electionId && a.electionId !== electionId) continue;
    if (a.scopeType === 'nation') return { where: 'true', params: [] };
    if (a.scopeType === 'province') {
      parts.push(`(c.contest = 'provincial-council' and c.council_code = ?)
        or (c.contest = 'national-assembly' and c.filing_body_code = ?)
        or (c.contest = 'commune-council' and c.council_code in (select code from admin_unit where level = 'commune' and parent_code = ? and valid_to is null))`);
      params.push(a.scopeCode, a.scopeCode, a.scopeCode);
    } else if (a.scopeType === 'commune') {
      parts.push(`(c.contest = 'commune-council' and c.council_code = ?)`);
      params.push(a.scopeCode);
    } else if (a.scopeType === 'electoral-unit') {
      parts.push(`(c.unit_id::text = ?)`);
      params.push(a.scopeCode);
    }
  }
  return parts.length ? { where: `(${parts.join(' or ')})`, params } : { where: 'false', params: [] };
}
