// Facts read once per request: a hot action's first read (count minutes: the area, its unit and list, its place in
// the tree, the election's phase — one round trip) records what the policy's scope lookup and the phase gate would
// read next, so they do not ask the database again a few milliseconds later. The memo belongs to one EntityManager
// fork (a request's or a transaction's) and dies with it; it only ever holds what that fork itself read.
import type { EntityManager } from '@mikro-orm/postgresql';

const memos = new WeakMap<EntityManager, Map<string, unknown>>();

export function rememberOn(em: EntityManager, key: string, value: unknown): void {
  let m = memos.get(em);
  if (!m) memos.set(em, (m = new Map()));
  m.set(key, value);
}

export function recalledFrom<T>(em: EntityManager, key: string): T | undefined {
  return memos.get(em)?.get(key) as T | undefined;
}

/** Forgets what `em` read (before reading again: a transaction retried after a concurrent change). */
export function forgetAll(em: EntityManager): void {
  memos.delete(em);
}

/** Memo keys shared by the readers and the writers of a fact. */
export const MEMO = {
  ancestors: (type: string, code: string) => `ancestors:${type}:${code}`,
  electionStatus: (electionId: string) => `election-status:${electionId}`,
};
