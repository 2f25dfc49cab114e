// Consultation (hiệp thương, issue 5 point 3) as data: the three rounds, the candidate status moves each step
// makes (with the reasons they require), and voter-conference figures with the rule 24 percentage. Pure.
import { percent } from '../../shared/percent.js';

export type Move = 'preliminary' | 'qualified' | 'not-qualified' | 'withdrawn' | 'removed';

/** Each move: the statuses it starts from, where it goes, whether a reason is required, and the round it belongs to. */
export const MOVES: Record<Move, { from: string[]; to: string; reason: boolean; round: number | null }> = {
  // Round 2: the preliminary list.
  preliminary: { from: ['nominated'], to: 'preliminary', reason: false, round: 2 },
  // Round 3: the list of qualified candidates.
  qualified: { from: ['preliminary'], to: 'qualified', reason: false, round: 3 },
  // Dropped at round 2 or 3 (voter conferences, verification).
  'not-qualified': { from: ['nominated', 'preliminary'], to: 'not-qualified', reason: true, round: null },
  // Withdrawal by the candidate or removal by the competent body; an allocated candidate leaves through the lists page.
  withdrawn: { from: ['nominated', 'preliminary', 'qualified'], to: 'withdrawn', reason: true, round: null },
  removed: { from: ['nominated', 'preliminary', 'qualified'], to: 'removed', reason: true, round: null },
};
export const MOVE_IDS = Object.keys(MOVES) as Move[];

/** Statuses shown on the board, in the order of the process. */
export const BOARD_STATUSES = ['nominated', 'preliminary', 'qualified', 'official', 'not-qualified', 'withdrawn', 'removed'] as const;

export interface ConferenceFigures {
  invited: number;
  attending: number;
  confidence: number;
}

/** Field problems of a voter conference's figures (codes `candidates.form.*`). */
export function conferenceIssues(f: ConferenceFigures): { field: string; code: string }[] {
  const out: { field: string; code: string }[] = [];
  if (f.invited < 1) out.push({ field: 'invited', code: 'conference_invited' });
  if (f.attending > f.invited) out.push({ field: 'attending', code: 'conference_attending' });
  if (f.confidence > f.attending) out.push({ field: 'confidence', code: 'conference_confidence' });
  return out;
}

/** Attendance and confidence as the minutes print them (rule 24: 2 decimals, half-up); confidence is of those attending. */
export function conferencePercents(f: ConferenceFigures): { attendance: number; confidence: number; majority: boolean } {
  return {
    attendance: percent(f.attending, f.invited),
    confidence: percent(f.confidence, f.attending),
    // "> 50 % of those attending" is the practice for going on to round 3 (UNCERTAIN in law: shown, never blocking).
    majority: f.confidence * 2 > f.attending,
  };
}
