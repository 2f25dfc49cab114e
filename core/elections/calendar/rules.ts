// Coded calendar rules, pure: election day is a Sunday (rule 10) and voting hours lie within 05:00–21:00 with the
// opening before the closing (rule 11). Used by the election forms here and by the polling-area forms (per-area hours).
import { appError, err, ok, type AppError, type FieldIssue, type Result } from '../../shared/result.js';
import { dayOfWeek, ddmmyyyy, isIsoDate, weekdayName } from './dates.js';

/** Law 85 art. 71(1): voting runs 07:00–19:00; a team may open earlier, not before 05:00, and close later, not after 21:00. */
export const DEFAULT_VOTING_OPEN = '07:00';
export const DEFAULT_VOTING_CLOSE = '19:00';
export const EARLIEST_VOTING_OPEN = '05:00';
export const LATEST_VOTING_CLOSE = '21:00';

/**
 * Rule 10: election day must be a Sunday (Law 85 art. 5). Error ELECTION_DAY_NOT_SUNDAY names the field and the
 * weekday the date falls on; ELECTION_DAY_INVALID for something that is not a calendar date.
 */
export function checkElectionDay(iso: string, field = 'electionDay'): Result<string, AppError> {
  if (!isIsoDate(iso)) {
    return err(appError('ELECTION_DAY_INVALID', 'elections.error.day_invalid', 400, undefined, [
      { field, code: 'ELECTION_DAY_INVALID', messageKey: 'elections.error.day_invalid' },
    ]));
  }
  if (dayOfWeek(iso) !== 0) {
    const params = { date: ddmmyyyy(iso), weekday: weekdayName(iso, 'vi'), weekdayEn: weekdayName(iso, 'en') };
    return err(appError('ELECTION_DAY_NOT_SUNDAY', 'elections.error.day_not_sunday', 400, params, [
      { field, code: 'ELECTION_DAY_NOT_SUNDAY', messageKey: 'elections.error.day_not_sunday', params },
    ]));
  }
  return ok(iso);
}

/** Minutes since midnight of 'HH:MM' (or 'HH:MM:00' as browsers may send), undefined when malformed. */
export function parseTime(s: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)(?::00)?$/.exec(s.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

export interface VotingHours {
  open: string;
  close: string;
}

/**
 * Rule 11: voting hours of an election or a polling area. Opening not before 05:00, closing not after 21:00, opening
 * strictly before closing. Returns the hours normalised to 'HH:MM', or every problem found (one FieldIssue each,
 * on `fields.open` / `fields.close`); the error's code is the first problem's.
 */
export function checkVotingHours(open: string, close: string, fields: { open: string; close: string } = { open: 'votingOpen', close: 'votingClose' }): Result<VotingHours, AppError> {
  const issues: FieldIssue[] = [];
  const o = parseTime(open);
  const c = parseTime(close);
  if (o === undefined) issues.push({ field: fields.open, code: 'VOTING_TIME_FORMAT', messageKey: 'elections.error.time_format', params: { value: open.slice(0, 10) } });
  if (c === undefined) issues.push({ field: fields.close, code: 'VOTING_TIME_FORMAT', messageKey: 'elections.error.time_format', params: { value: close.slice(0, 10) } });
  const earliest = parseTime(EARLIEST_VOTING_OPEN)!;
  const latest = parseTime(LATEST_VOTING_CLOSE)!;
  if (o !== undefined && o < earliest) issues.push({ field: fields.open, code: 'VOTING_OPEN_TOO_EARLY', messageKey: 'elections.error.open_too_early', params: { open: hhmm(o), earliest: EARLIEST_VOTING_OPEN } });
  if (c !== undefined && c > latest) issues.push({ field: fields.close, code: 'VOTING_CLOSE_TOO_LATE', messageKey: 'elections.error.close_too_late', params: { close: hhmm(c), latest: LATEST_VOTING_CLOSE } });
  if (o !== undefined && c !== undefined && o >= c) issues.push({ field: fields.close, code: 'VOTING_HOURS_ORDER', messageKey: 'elections.error.hours_order', params: { open: hhmm(o), close: hhmm(c) } });
  if (issues.length) return err(appError(issues[0].code, issues[0].messageKey, 400, issues[0].params, issues));
  return ok({ open: hhmm(o!), close: hhmm(c!) });
}
