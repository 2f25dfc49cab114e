// The calendar of an election at a scope: its deadlines (computed from election day and the overrides), and for
// each the completeness check's answer — stored in deadline_status by the recompute job (nation and every province,
// plus any scope someone recomputed on demand), or computed on the spot for a scope with nothing stored.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, exec } from '../../persistence/db.js';
import type { TreeLevel } from '../../plugin-api/index.js';
import { computeDeadlines, type DeadlineLevel, type DueDeadline } from './deadlines.js';
import { cleanResult, deadlineCheck, type CheckResult, type CheckScope } from './completeness.js';
import { contestsOf, type ElectionRow } from '../elections.service.js';
import { NATION } from '../../auth/policy.js';

/** Deadline levels a scope is concerned with: its own and those below it (NEC sees every level). */
export const LEVELS_FOR_SCOPE: Record<TreeLevel, readonly DeadlineLevel[]> = {
  nation: ['nec', 'province', 'commune', 'board', 'team'],
  province: ['province', 'commune', 'board', 'team'],
  commune: ['commune', 'board', 'team'],
  'electoral-unit': ['board', 'team'],
  'polling-area': ['team'],
};

/** The deadline level a scope itself sits at (a province official's own province-level items). */
export const LEVEL_OF_SCOPE: Record<TreeLevel, DeadlineLevel> = {
  nation: 'nec', province: 'province', commune: 'commune', 'electoral-unit': 'board', 'polling-area': 'team',
};

export interface DeadlineState {
  due: DueDeadline;
  /** The check's answer; undefined = not tracked (no check registered, or it cannot count this scope). */
  result?: CheckResult;
  /** Past its due instant. */
  passed: boolean;
  /** A task past due with something still missing. */
  overdue: boolean;
}

export interface ScopeCalendar {
  scope: CheckScope;
  states: DeadlineState[];
  /** When the stored answers were computed; undefined when computed just now for this page. */
  computedAt?: Date;
}

/** The deadlines of an election concerning a scope, in chronological order (contests not held are left out). */
export async function deadlinesFor(em: EntityManager, e: ElectionRow, scopeType: TreeLevel): Promise<DueDeadline[]> {
  const contests = await contestsOf(em, e.id);
  const levels = LEVELS_FOR_SCOPE[scopeType];
  return computeDeadlines({ electionDay: e.election_day, overrides: e.deadline_overrides, votingOpen: e.voting_open, contests })
    .filter((d) => levels.includes(d.def.level));
}

function stateOf(due: DueDeadline, result: CheckResult | undefined, now: Date): DeadlineState {
  const passed = now.getTime() > due.dueAt.getTime();
  return { due, result, passed, overdue: passed && due.def.kind === 'task' && !!result && result.missing > 0 };
}

/** Runs the registered checks for one scope (read only). A failing check counts as not tracked, and is logged by the caller. */
export async function computeScope(em: EntityManager, e: ElectionRow, scope: CheckScope, now: Date, onError?: (id: string, err: unknown) => void): Promise<DeadlineState[]> {
  const out: DeadlineState[] = [];
  for (const due of await deadlinesFor(em, e, scope.type)) {
    const check = deadlineCheck(due.def.check);
    let result: CheckResult | undefined;
    if (check) {
      try {
        const r = await check(em, e.id, scope);
        result = r ? cleanResult(r) : undefined;
      } catch (err) {
        onError?.(due.def.id, err);
      }
    }
    out.push(stateOf(due, result, now));
  }
  return out;
}

/** Replaces the stored answers of one scope (compute-then-swap: a re-run leaves exactly one row per deadline). */
export async function storeScope(em: EntityManager, electionId: string, scope: CheckScope, states: DeadlineState[], now: Date): Promise<void> {
  await exec(em, 'delete from deadline_status where election_id = ? and scope_type = ? and scope_code = ?', [electionId, scope.type, scope.code]);
  if (!states.length) return;
  await exec(em, `insert into deadline_status (election_id, deadline_id, scope_type, scope_code, due_at, missing, total, examples, overdue, computed_at)
    values ${states.map(() => '(?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)').join(', ')}`,
  states.flatMap((s) => [electionId, s.due.def.id, scope.type, scope.code, s.due.dueAt, s.result?.missing ?? null, s.result?.total ?? null,
    JSON.stringify(s.result?.examples ?? []), s.overdue, now]));
}

interface StoredRow {
  deadline_id: string;
  missing: number | null;
  total: number | null;
  examples: { code: string; name: string }[] | string;
  computed_at: Date | string;
}

/**
 * The calendar of a scope for a page: stored answers when the scope has any (the job's or an on-demand recompute),
 * otherwise computed now and not stored (a GET never writes). Due dates always come from the election as it is now.
 */
export async function scopeCalendar(em: EntityManager, e: ElectionRow, scope: CheckScope, now: Date, onError?: (id: string, err: unknown) => void): Promise<ScopeCalendar> {
  const stored = await sql<StoredRow>(em, `select deadline_id, missing, total, examples, computed_at from deadline_status
    where election_id = ? and scope_type = ? and scope_code = ?`, [e.id, scope.type, scope.code]);
  if (!stored.length) return { scope, states: await computeScope(em, e, scope, now, onError) };
  const byId = new Map(stored.map((r) => [r.deadline_id, r]));
  const states = (await deadlinesFor(em, e, scope.type)).map((due) => {
    const r = byId.get(due.def.id);
    const examples = typeof r?.examples === 'string' ? JSON.parse(r.examples) : r?.examples ?? [];
    const result = r && r.missing !== null && r.total !== null ? { missing: r.missing, total: r.total, examples } : undefined;
    return stateOf(due, result, now);
  });
  // Raw SQL may hand timestamps back as text: compare instants, not values.
  const computedAt = new Date(Math.min(...stored.map((r) => new Date(r.computed_at).getTime())));
  return { scope, states, computedAt };
}

/** Scopes the job keeps current: the nation, every province in force, and any other scope that already has rows. */
export async function storedScopes(em: EntityManager, electionId: string): Promise<CheckScope[]> {
  const provinces = await sql<{ code: string }>(em, `select code from admin_unit where level = 'province' and valid_to is null order by code`);
  const extra = await sql<{ scope_type: TreeLevel; scope_code: string }>(em, `select distinct scope_type, scope_code from deadline_status
    where election_id = ? and scope_type not in ('nation', 'province')`, [electionId]);
  return [{ type: 'nation', code: NATION }, ...provinces.map((p) => ({ type: 'province' as const, code: p.code })), ...extra.map((x) => ({ type: x.scope_type, code: x.scope_code }))];
}

/** Recomputes and stores the given scopes of one election; returns how many rows are overdue. */
export async function recomputeElection(em: EntityManager, e: ElectionRow, scopes: CheckScope[], now: Date, onError?: (id: string, err: unknown) => void): Promise<{ scopes: number; overdue: number }> {
  let overdue = 0;
  for (const scope of scopes) {
    const states = await computeScope(em, e, scope, now, onError);
    await storeScope(em, e.id, scope, states, now);
    overdue += states.filter((s) => s.overdue).length;
  }
  return { scopes: scopes.length, overdue };
}

/**
 * After election day, voting hours or an override changed: moves the stored due instants and overdue flags with it
 * (the missing counts stay until the next recompute), and drops rows of deadlines no longer held.
 */
export async function refreshDueDates(em: EntityManager, e: ElectionRow, now: Date): Promise<void> {
  const all = await deadlinesFor(em, e, 'nation');
  await exec(em, `delete from deadline_status where election_id = ? and not (deadline_id = any(?::text[]))`, [e.id, `{${all.map((d) => `"${d.def.id}"`).join(',')}}`]);
  for (const d of all) {
    await exec(em, `update deadline_status set due_at = ?, overdue = (? and missing is not null and missing > 0) where election_id = ? and deadline_id = ?`,
      [d.dueAt, d.def.kind === 'task' && now.getTime() > d.dueAt.getTime(), e.id, d.def.id]);
  }
}

/** Overdue counts of an election from the stored nation rows, for the list and overview pages. */
export async function overdueCounts(em: EntityManager, electionIds: string[]): Promise<Map<string, number>> {
  if (!electionIds.length) return new Map();
  const rows = await sql<{ election_id: string; n: number }>(em, `select election_id, count(*)::int as n from deadline_status
    where overdue and scope_type = 'nation' and election_id = any(?::uuid[]) group by election_id`, [`{${electionIds.join(',')}}`]);
  return new Map(rows.map((r) => [r.election_id, r.n]));
}
