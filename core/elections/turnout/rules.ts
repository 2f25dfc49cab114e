// Coded turnout rules, pure (no I/O, the clock passed in): the report times of an election (HH:MM ascending within
// the voting hours of rule 11, 'close' last) and one turnout figure per polling area, contest and report time —
// an integer ≥ 0 (input), not above the voters entitled for that contest (rule 22: voted ≤ total voters), never
// decreasing over the day (rule 34: cumulative snapshots; both neighbours are checked when an earlier time is
// corrected) and not before the report time has come (rule 34, the area's own closing time for 'close').
import { appError, err, ok, type AppError, type FieldIssue, type Result } from '../../shared/result.js';
import { vnInstant } from '../calendar/dates.js';
import { EARLIEST_VOTING_OPEN, LATEST_VOTING_CLOSE, parseTime } from '../calendar/rules.js';

/** The slot that stands for each polling area's own closing time. */
export const CLOSE = 'close';
export const DEFAULT_SLOTS: readonly string[] = ['09:00', '11:00', '14:00', '17:00', CLOSE];
/** Minutes after a report time before a missing report counts as overdue. */
export const GRACE_MINUTES = 30;
export const MAX_SLOTS = 24;

/** Every code with the rule of election-rules.md it enforces (null: input hygiene), for tests and docs. */
export const TURNOUT_RULES = {
  TURNOUT_VOTED_NOT_INTEGER: { rule: null },
  TURNOUT_VOTED_NEGATIVE: { rule: null },
  TURNOUT_ABOVE_VOTERS: { rule: 22 },
  TURNOUT_BELOW_EARLIER: { rule: 34 },
  TURNOUT_ABOVE_LATER: { rule: 34 },
  TURNOUT_SLOT_NOT_REACHED: { rule: 34 },
  TURNOUT_SLOT_AFTER_CLOSE: { rule: 11 },
  TURNOUT_SLOT_UNKNOWN: { rule: 34 },
  TURNOUT_CONTEST_NOT_HELD: { rule: 5 },
  TURNOUT_AREA_UNKNOWN: { rule: null },
  TURNOUT_DUPLICATE: { rule: null },
  TURNOUT_EMPTY: { rule: null },
  TURNOUT_SLOTS_EMPTY: { rule: 34 },
  TURNOUT_SLOT_FORMAT: { rule: 34 },
  TURNOUT_SLOTS_ORDER: { rule: 34 },
  TURNOUT_SLOTS_CLOSE_LAST: { rule: 34 },
  TURNOUT_SLOT_OUTSIDE_HOURS: { rule: 11 },
  TURNOUT_SLOTS_TOO_MANY: { rule: null },
  TURNOUT_SLOT_HAS_REPORTS: { rule: 34 },
  TURNOUT_SLOTS_LOCKED: { rule: null },
} as const;
export type TurnoutCode = keyof typeof TURNOUT_RULES;

export const messageKeyOf = (code: TurnoutCode): string => `turnout.error.${code.toLowerCase()}`;

export function issue(code: TurnoutCode, field: string | undefined, params: Record<string, string | number> = {}, row?: number): FieldIssue {
  const rule = TURNOUT_RULES[code].rule;
  return { code, field, row, messageKey: messageKeyOf(code), params: { ...params, rule: rule ?? '' } };
}

/** An AppError carrying every issue; its own code and message are the first issue's. */
export function refusal(issues: FieldIssue[], status = 400): AppError {
  return appError(issues[0].code, issues[0].messageKey, status, issues[0].params, issues);
}

// --- report times --------------------------------------------------------------------------------------------

const CLOSE_WORDS = new Set(['close', 'kết thúc', 'ket thuc', 'đóng', 'dong']);
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/**
 * Parses and checks the report times typed as one list ("09:00, 11:00, 14:00, 17:00, kết thúc"): each HH:MM within
 * 05:00–21:00 (rule 11), strictly ascending, 'close' present and last. Returns the normalised list or every problem.
 */
export function parseSlots(text: string, field = 'slots'): Result<string[], AppError> {
  const parts = text.split(/[,;\n]+/).map((s) => s.trim()).filter(Boolean);
  const issues: FieldIssue[] = [];
  if (!parts.length) return err(refusal([issue('TURNOUT_SLOTS_EMPTY', field)]));
  if (parts.length > MAX_SLOTS) return err(refusal([issue('TURNOUT_SLOTS_TOO_MANY', field, { max: MAX_SLOTS })]));
  const out: string[] = [];
  let last = -1;
  const earliest = parseTime(EARLIEST_VOTING_OPEN)!;
  const latest = parseTime(LATEST_VOTING_CLOSE)!;
  parts.forEach((p, i) => {
    if (CLOSE_WORDS.has(p.toLowerCase())) {
      if (i !== parts.length - 1) issues.push(issue('TURNOUT_SLOTS_CLOSE_LAST', field));
      out.push(CLOSE);
      return;
    }
    const m = parseTime(p.length === 4 && /^\d:\d\d$/.test(p) ? '0' + p : p);
    if (m === undefined) {
      issues.push(issue('TURNOUT_SLOT_FORMAT', field, { value: p.slice(0, 12) }));
      return;
    }
    if (m < earliest || m > latest) issues.push(issue('TURNOUT_SLOT_OUTSIDE_HOURS', field, { value: hhmm(m), earliest: EARLIEST_VOTING_OPEN, latest: LATEST_VOTING_CLOSE }));
    if (m <= last) issues.push(issue('TURNOUT_SLOTS_ORDER', field, { value: hhmm(m), previous: hhmm(last) }));
    last = Math.max(last, m);
    out.push(hhmm(m));
  });
  if (out[out.length - 1] !== CLOSE && !issues.some((x) => x.code === 'TURNOUT_SLOTS_CLOSE_LAST')) issues.push(issue('TURNOUT_SLOTS_CLOSE_LAST', field));
  if (issues.length) return err(refusal(issues));
  return ok(out);
}

/** The slots stored on an election, or the default when the column holds something unexpected. */
export function slotsOf(v: unknown): string[] {
  return Array.isArray(v) && v.length && v.every((s) => typeof s === 'string') ? (v as string[]) : [...DEFAULT_SLOTS];
}

// --- one figure ----------------------------------------------------------------------------------------------

/**
 * A voted figure as typed or sent: a JSON integer, or digits (Vietnamese thousands groups "1.250" or "1 250"
 * accepted). Anything else is not an integer; a minus sign is negative.
 */
export function parseVoted(raw: unknown): { value: number } | { code: 'TURNOUT_VOTED_NOT_INTEGER' | 'TURNOUT_VOTED_NEGATIVE' } {
  if (typeof raw === 'number') {
    if (!Number.isSafeInteger(raw)) return { code: 'TURNOUT_VOTED_NOT_INTEGER' };
    return raw < 0 ? { code: 'TURNOUT_VOTED_NEGATIVE' } : { value: raw };
  }
  if (typeof raw !== 'string') return { code: 'TURNOUT_VOTED_NOT_INTEGER' };
  const s = raw.trim();
  if (/^-\s*\d[\d. ]*$/.test(s)) return { code: 'TURNOUT_VOTED_NEGATIVE' };
  const digits = /^\d+$/.test(s) ? s : /^\d{1,3}([. ]\d{3})+$/.test(s) ? s.replace(/[. ]/g, '') : undefined;
  if (!digits || digits.length > 9) return { code: 'TURNOUT_VOTED_NOT_INTEGER' };
  return { value: Number(digits) };
}

/** What the checks of one figure need to know about its polling area. */
export interface AreaFacts {
  id: string;
  /** Voters entitled per contest held in the area (polling_area_unit.voters, else polling_area.voters). */
  voters: Record<string, number>;
  /** 'HH:MM' closing time and the civil date the area votes on (its early-voting date or election day). */
  closes: string;
  votingDate: string;
}

/** The instant a slot comes for an area: HH:MM on its voting date, or its own closing time for 'close'. */
export function slotInstant(slot: string, area: Pick<AreaFacts, 'closes' | 'votingDate'>): Date {
  return vnInstant(area.votingDate, slot === CLOSE ? area.closes : slot);
}

export function isOverdue(slot: string, area: Pick<AreaFacts, 'closes' | 'votingDate'>, now: Date, graceMinutes = GRACE_MINUTES): boolean {
  return now.getTime() > slotInstant(slot, area).getTime() + graceMinutes * 60_000;
}

export interface Entry {
  areaId: string;
  contest: string;
  slot: string;
  voted: unknown;
  /** Where the figure sits in the form or the batch, for the message. */
  field?: string;
  row?: number;
  /** Machine clients send JSON numbers: a string figure is refused rather than read. */
  numbersOnly?: boolean;
}

export interface CheckedEntry {
  areaId: string;
  contest: string;
  slot: string;
  voted: number;
  /** The figure it replaces, when it is a correction. */
  previous?: number;
}

/**
 * Checks a batch of figures against the areas' facts and their reports so far (areaId → contest → slot → voted).
 * All or nothing: returns the checked entries, or every problem found (each with its field and row).
 */
export function checkEntries(entries: readonly Entry[], o: { slots: readonly string[]; areas: ReadonlyMap<string, AreaFacts>; existing: ReadonlyMap<string, ReadonlyMap<string, ReadonlyMap<string, number>>>; now: Date }): Result<CheckedEntry[], AppError> {
  const issues: FieldIssue[] = [];
  if (!entries.length) return err(refusal([issue('TURNOUT_EMPTY', undefined)]));
  const seen = new Set<string>();
  const good: (CheckedEntry & { field?: string; row?: number })[] = [];
  for (const e of entries) {
    const field = e.field ?? 'voted';
    const at = (code: TurnoutCode, params: Record<string, string | number> = {}) => issues.push(issue(code, field, { slot: e.slot, ...params }, e.row));
    const key = `${e.areaId}|${e.contest}|${e.slot}`;
    if (seen.has(key)) {
      at('TURNOUT_DUPLICATE');
      continue;
    }
    seen.add(key);
    const area = o.areas.get(e.areaId);
    if (!area) {
      at('TURNOUT_AREA_UNKNOWN', { area: String(e.areaId).slice(0, 40) });
      continue;
    }
    if (!o.slots.includes(e.slot)) {
      at('TURNOUT_SLOT_UNKNOWN', { slot: String(e.slot).slice(0, 12), slots: o.slots.map((s) => (s === CLOSE ? 'kết thúc' : s)).join(', ') });
      continue;
    }
    const voters = area.voters[e.contest];
    if (voters === undefined) {
      at('TURNOUT_CONTEST_NOT_HELD', { contest: String(e.contest).slice(0, 40) });
      continue;
    }
    const v = e.numbersOnly && typeof e.voted !== 'number' ? { code: 'TURNOUT_VOTED_NOT_INTEGER' as const } : parseVoted(e.voted);
    if ('code' in v) {
      at(v.code, { value: (typeof e.voted === 'object' ? JSON.stringify(e.voted) ?? '' : String(e.voted)).slice(0, 20) });
      continue;
    }
    if (v.value > voters) at('TURNOUT_ABOVE_VOTERS', { voted: v.value, voters });
    if (e.slot !== CLOSE && parseTime(e.slot)! > parseTime(area.closes)!) at('TURNOUT_SLOT_AFTER_CLOSE', { closes: area.closes });
    const due = slotInstant(e.slot, area);
    if (o.now.getTime() < due.getTime()) at('TURNOUT_SLOT_NOT_REACHED', { time: e.slot === CLOSE ? area.closes : e.slot, date: area.votingDate.split('-').reverse().join('/') });
    good.push({ areaId: e.areaId, contest: e.contest, slot: e.slot, voted: v.value, previous: o.existing.get(e.areaId)?.get(e.contest)?.get(e.slot), field: e.field, row: e.row });
  }
  // Rule 34, cumulative: each new figure against its nearest reported neighbours, with the batch's own figures applied
  // (correcting 11:00 and 14:00 together is judged on the corrected pair).
  const merged = new Map<string, Map<string, number>>();
  for (const [areaId, byContest] of o.existing) for (const [contest, bySlot] of byContest) merged.set(`${areaId}|${contest}`, new Map(bySlot));
  for (const g of good) {
    const k = `${g.areaId}|${g.contest}`;
    if (!merged.has(k)) merged.set(k, new Map());
    merged.get(k)!.set(g.slot, g.voted);
  }
  for (const g of good) {
    const m = merged.get(`${g.areaId}|${g.contest}`)!;
    const i = o.slots.indexOf(g.slot);
    const field = g.field ?? 'voted';
    for (let j = i - 1; j >= 0; j--) {
      const p = m.get(o.slots[j]);
      if (p === undefined) continue;
      if (g.voted < p) issues.push(issue('TURNOUT_BELOW_EARLIER', field, { slot: g.slot, voted: g.voted, earlier: o.slots[j] === CLOSE ? 'kết thúc' : o.slots[j], previous: p }, g.row));
      break;
    }
    for (let j = i + 1; j < o.slots.length; j++) {
      const n = m.get(o.slots[j]);
      if (n === undefined) continue;
      if (g.voted > n) issues.push(issue('TURNOUT_ABOVE_LATER', field, { slot: g.slot, voted: g.voted, later: o.slots[j] === CLOSE ? 'kết thúc' : o.slots[j], next: n }, g.row));
      break;
    }
  }
  if (issues.length) return err(refusal(issues));
  return ok(good.map(({ field: _f, row: _r, ...c }) => c));
}
