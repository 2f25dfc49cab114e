// One polling area's counting minutes for one contest (rule 25, election-rules §6.4) and the context a
// validation rule needs. The shape is declared in core/plugin-api/rules.ts (plugins' rules read it too);
// this module re-exports it and adds the pure helpers the catalogue (rules.ts) is written with.
import type { CountMinutes, MinutesContext } from '../../plugin-api/rules.js';

export type { CountMinutes, MinutesContext } from '../../plugin-api/rules.js';

export { BALLOT_INVENTORY_MODES, DEFAULT_BALLOT_INVENTORY, type BallotInventoryMode } from '../../plugin-api/rules.js';
import { BALLOT_INVENTORY_MODES, DEFAULT_BALLOT_INVENTORY, type BallotInventoryMode } from '../../plugin-api/rules.js';

/** The ballot-paper inventory fields of rule 23, in form order: received from the board, unused, spoiled. */
export const INVENTORY_FIELDS = ['ballotsFromBoard', 'ballotsUnused', 'ballotsSpoiled'] as const;
export type InventoryField = (typeof INVENTORY_FIELDS)[number];

/**
 * Core's minutes: the plugin-api shape plus the optional ballot-paper inventory (rule 23). Kept here rather than in
 * core/plugin-api so that plugins' rules are unaffected; a plugin rule sees the same object at run time.
 */
export type CoreCountMinutes = CountMinutes & {
  /** Số phiếu nhận từ Ban bầu cử. */
  ballotsFromBoard?: number | null;
  /** Số phiếu không sử dụng (niêm phong). */
  ballotsUnused?: number | null;
  /** Số phiếu hỏng đã đổi (niêm phong). */
  ballotsSpoiled?: number | null;
};

/** Core's rule context: the plugin-api context plus the contest's ballot-inventory setting (absent = default). */
export type CoreMinutesContext = MinutesContext & { ballotInventory?: BallotInventoryMode };

/** The inventory fields that were given (not null / undefined), with their values, in form order. */
export function inventoryGiven(m: CountMinutes): [path: InventoryField, value: number][] {
  const c = m as CoreCountMinutes;
  return INVENTORY_FIELDS.filter((f) => c[f] !== undefined && c[f] !== null).map((f): [InventoryField, number] => [f, c[f] as number]);
}

/** The context's inventory mode; an unknown value counts as the default. */
export function inventoryMode(ctx: MinutesContext): BallotInventoryMode {
  const m = (ctx as CoreMinutesContext).ballotInventory;
  return m && BALLOT_INVENTORY_MODES.includes(m) ? m : DEFAULT_BALLOT_INVENTORY;
}

/** A count as the minutes allow it: a whole number from 0 (safe, so sums stay exact). */
export function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Every count of the minutes with its field path, in form order (rule 25). */
export function countFields(m: CountMinutes): [path: string, value: number][] {
  return [
    ['votersTotal', m.votersTotal],
    ['votersVoted', m.votersVoted],
    ['ballotsIssued', m.ballotsIssued],
    ['ballotsReceived', m.ballotsReceived],
    ['ballotsValid', m.ballotsValid],
    ['ballotsInvalid', m.ballotsInvalid],
    ...Object.entries(m.votes).map(([id, v]): [string, number] => [`votes.${id}`, v]),
    ...Object.entries(m.piles ?? {}).map(([k, v]): [string, number] => [`piles.${k}`, v]),
    ['complaints.received', m.complaints.received],
    ['complaints.resolved', m.complaints.resolved],
    ['complaints.forwarded', m.complaints.forwarded],
    ['teamMembersPresent', m.teamMembersPresent],
    // Rule 23: the inventory counts are optional; only those given are counts to check.
    ...inventoryGiven(m),
  ];
}

/** Σ candidate votes, or undefined if any vote count is not a valid count (F101 reports that). */
export function totalVotes(m: CountMinutes): number | undefined {
  return sumCounts(Object.values(m.votes));
}

/** The piles as [k, count] pairs, or undefined if none were recorded or one is malformed. */
export function pileEntries(m: CountMinutes): [k: number, count: number][] | undefined {
  if (!m.piles) return undefined;
  const entries = Object.entries(m.piles).map(([k, v]): [number, number] => [Number(k), v]);
  return entries.every(([k, v]) => Number.isSafeInteger(k) && isCount(v)) ? entries : undefined;
}

/** Sum of counts, or undefined if any is not a count or the sum leaves the safe range. */
export function sumCounts(values: readonly number[]): number | undefined {
  let s = 0;
  for (const v of values) {
    if (!isCount(v)) return undefined;
    s += v;
  }
  return Number.isSafeInteger(s) ? s : undefined;
}

/** The values of `fields` if all are counts (a cross-field rule only runs on well-formed inputs), else undefined. */
export function counts<K extends keyof CountMinutes>(m: CountMinutes, ...fields: K[]): number[] | undefined {
  const vs = fields.map((f) => m[f] as unknown);
  return vs.every(isCount) ? (vs as number[]) : undefined;
}

/** Whether the context is usable: seats ≥ 1 and a list without duplicates. */
export function contextProblems(ctx: MinutesContext): string[] {
  const p: string[] = [];
  if (!(Number.isSafeInteger(ctx.seats) && ctx.seats >= 1)) p.push(`seats ${ctx.seats} is not a whole number from 1`);
  if (new Set(ctx.candidateIds).size !== ctx.candidateIds.length) p.push('duplicate candidate ids on the list');
  if (!(ctx.invalidShareWarningPercent >= 0 && ctx.invalidShareWarningPercent <= 100)) {
    p.push(`invalid-share threshold ${ctx.invalidShareWarningPercent} is outside 0–100`);
  }
  return p;
}
