// The legal calendar (rule 9) as a declared table: each deadline is a number of days relative to election day E
// (negative before), an optional time of day, the level that must meet it and the completeness check that tells
// what is still missing. Every N can be overridden per election (election.deadline_overrides); [U] rows are
// uncertain after Law 83/2025 and marked so on the pages. Legal basis and sources: docs/calendar.md.
import { appError, err, ok, type AppError, type FieldIssue, type Result } from '../../shared/result.js';
import { addDays, vnInstant } from './dates.js';

/** Who must meet a deadline: the NEC, a provincial or commune election committee, an election board or team. */
export const DEADLINE_LEVELS = ['nec', 'province', 'commune', 'board', 'team'] as const;
export type DeadlineLevel = (typeof DEADLINE_LEVELS)[number];

/** The contest types (plugin ids) a deadline can be limited to. */
export type ContestId = 'national-assembly' | 'provincial-council' | 'commune-council';

export interface DeadlineDef {
  /** Stable id, also the suffix of its message keys (`calendar.deadline.<id>`, `calendar.pending.<id>`). */
  id: string;
  /** Days relative to election day: −105 = 105 days before, +3 = 3 days after. */
  days: number;
  /** Local time the deadline falls at ('17:00'); end of the day when absent. */
  time?: string;
  /** The deadline falls at the election's voting opening time (e.g. 24 hours before voting starts). */
  atVotingOpen?: boolean;
  level: DeadlineLevel;
  /** A task to complete (completeness can be checked) or a cut-off after which something is no longer accepted. */
  kind: 'task' | 'cutoff';
  /** Completeness check id (registerDeadlineCheck); null when "done" cannot be defined yet. */
  check: string | null;
  /** Only when one of these contests is held; every election otherwise. */
  contests?: ContestId[];
  /** [U]: the day count was not confirmed against the amended law; shown as uncertain, configurable. */
  uncertain?: boolean;
  /** Legal basis, short (the full citation is in docs/calendar.md). */
  basis: string;
}

const COUNCILS: ContestId[] = ['provincial-council', 'commune-council'];

/** Rule 9, in chronological order. */
export const DEADLINES: readonly DeadlineDef[] = [
  { id: 'province-committees-formed', days: -105, level: 'province', kind: 'task', check: 'province-committees-formed', basis: 'Luật 85/2015 đ.22, sửa đổi 2025' },
  { id: 'commune-committees-formed', days: -105, level: 'commune', kind: 'task', check: 'commune-committees-formed', basis: 'Luật 85/2015 đ.22, sửa đổi 2025' },
  { id: 'na-units-fixed', days: -80, level: 'nec', kind: 'task', check: 'na-units-fixed', contests: ['national-assembly'], basis: 'Luật 85/2015 đ.10' },
  { id: 'provincial-council-units-fixed', days: -80, level: 'province', kind: 'task', check: 'provincial-council-units-fixed', contests: ['provincial-council'], basis: 'Luật 85/2015 đ.10' },
  { id: 'commune-council-units-fixed', days: -80, level: 'commune', kind: 'task', check: 'commune-council-units-fixed', contests: ['commune-council'], basis: 'Luật 85/2015 đ.10' },
  { id: 'province-boards-formed', days: -70, level: 'province', kind: 'task', check: 'province-boards-formed', contests: ['national-assembly', 'provincial-council'], basis: 'Luật 85/2015 đ.24, sửa đổi 2025' },
  { id: 'commune-boards-formed', days: -70, level: 'commune', kind: 'task', check: 'commune-boards-formed', contests: ['commune-council'], basis: 'Luật 85/2015 đ.24, sửa đổi 2025' },
  { id: 'teams-formed', days: -43, level: 'commune', kind: 'task', check: 'teams-formed', basis: 'Luật 85/2015 đ.25, sửa đổi 2025' },
  { id: 'dossiers-filed', days: -42, time: '17:00', level: 'commune', kind: 'cutoff', check: null, basis: 'Luật 85/2015 đ.35 (sửa đổi bởi Luật 83/2025)' },
  { id: 'voter-lists-posted', days: -40, level: 'commune', kind: 'task', check: 'voter-lists-posted', basis: 'Luật 85/2015 đ.32' },
  { id: 'candidate-complaints-resolved', days: -10, level: 'province', kind: 'task', check: 'candidate-complaints-resolved', uncertain: true, basis: 'Luật 85/2015 đ.61' },
  { id: 'voter-list-complaints-resolved', days: -5, level: 'commune', kind: 'task', check: 'voter-list-complaints-resolved', basis: 'Luật 85/2015 đ.33' },
  { id: 'voter-list-changes-cutoff', days: -1, atVotingOpen: true, level: 'commune', kind: 'cutoff', check: null, basis: 'Luật 85/2015 đ.34' },
  { id: 'team-minutes-delivered', days: 3, level: 'team', kind: 'task', check: 'team-minutes-delivered', basis: 'Luật 85/2015 đ.76' },
  { id: 'board-minutes-delivered', days: 5, level: 'board', kind: 'task', check: 'board-minutes-delivered', basis: 'Luật 85/2015 đ.77' },
  { id: 'na-results-announced', days: 10, level: 'nec', kind: 'task', check: 'na-results-announced', contests: ['national-assembly'], basis: 'Luật 85/2015 đ.86, sửa đổi 2025' },
  { id: 'provincial-council-results-announced', days: 10, level: 'province', kind: 'task', check: 'provincial-council-results-announced', contests: ['provincial-council'], basis: 'Luật 85/2015 đ.86, sửa đổi 2025' },
  { id: 'commune-council-results-announced', days: 10, level: 'commune', kind: 'task', check: 'commune-council-results-announced', contests: ['commune-council'], uncertain: true, basis: 'Luật 85/2015 đ.86' },
  { id: 'additional-or-revote-held', days: 15, level: 'province', kind: 'task', check: null, uncertain: true, basis: 'Luật 85/2015 đ.79, 80' },
];

export const deadlineDef = (id: string): DeadlineDef | undefined => DEADLINES.find((d) => d.id === id);

/** Days of each deadline set for one election, by id; absent ids use the table's default. */
export type DeadlineOverrides = Record<string, number>;

export interface DueDeadline {
  def: DeadlineDef;
  /** The N in force for this election. */
  days: number;
  overridden: boolean;
  /** Calendar date (Vietnam) the deadline falls on. */
  date: string;
  /** Local time, when the deadline has one. */
  time?: string;
  /** The instant it passes: at `time`, or at the end of `date`. */
  dueAt: Date;
}

export interface CalendarInput {
  electionDay: string;
  overrides?: DeadlineOverrides;
  /** Voting opening time of the election ('07:00'), for deadlines tied to it. */
  votingOpen?: string;
  /** Contests held (enabled plugin ids); when given, deadlines of other contests are left out. */
  contests?: string[];
}

/** The deadlines of one election, in chronological order. Pure. */
export function computeDeadlines(e: CalendarInput): DueDeadline[] {
  const out: DueDeadline[] = [];
  for (const def of DEADLINES) {
    if (def.contests && e.contests && !def.contests.some((c) => e.contests!.includes(c))) continue;
    const override = e.overrides?.[def.id];
    const days = typeof override === 'number' && Number.isInteger(override) ? override : def.days;
    const date = addDays(e.electionDay, days);
    const time = def.atVotingOpen ? (e.votingOpen ?? '07:00') : def.time;
    out.push({ def, days, overridden: days !== def.days, date, time, dueAt: vnInstant(date, time) });
  }
  return out.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || DEADLINES.indexOf(a.def) - DEADLINES.indexOf(b.def));
}

/** Bounds of a configurable N: deadlines before election day stay before it, those after stay after it. */
export const OVERRIDE_BOUNDS = { before: { min: -365, max: -1 }, after: { min: 1, max: 90 } } as const;

/**
 * Validates the N values submitted for an election (strings from a form, by deadline id; blank = the default).
 * Returns only the values that differ from the table, so a later change of a default reaches every election that
 * did not choose its own.
 */
export function parseOverrides(raw: Record<string, string | number | undefined>): Result<DeadlineOverrides, AppError> {
  const out: DeadlineOverrides = {};
  const issues: FieldIssue[] = [];
  for (const [id, v] of Object.entries(raw)) {
    const def = deadlineDef(id);
    if (!def) {
      issues.push({ field: id, code: 'DEADLINE_UNKNOWN', messageKey: 'calendar.error.unknown', params: { id: id.slice(0, 60) } });
      continue;
    }
    const s = String(v ?? '').trim();
    if (s === '') continue;
    const n = /^[+-]?\d{1,3}$/.test(s) ? Number(s) : NaN;
    const b = def.days < 0 ? OVERRIDE_BOUNDS.before : OVERRIDE_BOUNDS.after;
    if (!Number.isInteger(n) || n < b.min || n > b.max) {
      issues.push({ field: id, code: 'DEADLINE_DAYS_INVALID', messageKey: def.days < 0 ? 'calendar.error.days_before' : 'calendar.error.days_after', params: { min: b.min, max: b.max, value: s.slice(0, 10) } });
      continue;
    }
    if (n !== def.days) out[id] = n;
  }
  if (issues.length) return err(appError(issues[0].code, 'input.invalid_form', 400, undefined, issues));
  return ok(out);
}
