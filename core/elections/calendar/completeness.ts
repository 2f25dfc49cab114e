// "What is still missing" for a deadline: a registry of completeness checks, filled by the modules that own the
// data (the bodies module registers 'teams-formed', the structure module 'na-units-fixed', …). A deadline whose
// check is not registered shows "not tracked yet". Checks are read-only queries; the recompute job stores their
// answers in deadline_status.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { TreeLevel } from '../../plugin-api/index.js';

/** Where to look: the whole country, a province, a commune (later an electoral unit or a polling area). */
export interface CheckScope {
  type: TreeLevel;
  code: string;
}

export interface CheckResult {
  /** Units of the deadline's level inside the scope that have not met it… */
  missing: number;
  /** …out of this many. */
  total: number;
  /** A few of the missing ones, for the page ("Xã A, Xã B…"); at most 10 are shown. */
  examples: { code: string; name: string }[];
}

/**
 * A completeness query. It counts the units of the deadline's level (provinces for a province-level deadline,
 * communes for a commune-level one, boards, teams) inside `scope`: for a province-level deadline asked at nation
 * scope, "5 of 34 provinces missing"; for a commune-level one asked for a province, "12 of 126 communes". Answer
 * undefined when the scope is not one it can count (the page then says "not tracked"). Read only.
 */
export type DeadlineCheck = (em: EntityManager, electionId: string, scope: CheckScope) => Promise<CheckResult | undefined>;

const CHECKS = new Map<string, DeadlineCheck>();

/**
 * Registers the check with this id (the `check` column of the deadline table). Declare checks as module-level
 * functions: registering the same function again (a second app booted in one process) is a no-op, a different
 * function under a taken id fails loudly. Returns a function that removes it (tests).
 */
export function registerDeadlineCheck(id: string, fn: DeadlineCheck): () => void {
  const existing = CHECKS.get(id);
  if (existing && existing !== fn) throw new Error(`deadline check "${id}" registered twice`);
  CHECKS.set(id, fn);
  return () => {
    if (CHECKS.get(id) === fn) CHECKS.delete(id);
  };
}

export function deadlineCheck(id: string | null): DeadlineCheck | undefined {
  return id ? CHECKS.get(id) : undefined;
}

export function registeredChecks(): string[] {
  return [...CHECKS.keys()];
}

/** Normalises a check's answer: whole non-negative numbers, missing ≤ total, at most 10 examples. */
export function cleanResult(r: CheckResult): CheckResult {
  const total = Math.max(0, Math.floor(Number(r.total) || 0));
  const missing = Math.min(total, Math.max(0, Math.floor(Number(r.missing) || 0)));
  return { missing, total, examples: (r.examples ?? []).slice(0, 10).map((e) => ({ code: String(e.code), name: String(e.name) })) };
}
