// Dates of birth and ages for the candidate rules (rule 12) and structure statistics: parsing of the
// published "d/m/yyyy" form (possibly with the day or the month missing) and age in completed years on a day.

/** A calendar day; month 1–12. */
export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

/** A date of birth as published: the year always, the month and day when known. */
export interface PartialDate {
  year: number;
  month?: number;
  day?: number;
}

/**
 * How a person born on 29 February ages in a common year. 'feb28': they complete a year on 28 February (the last
 * day of February — the Civil Code's way of ending a period on a day the month lacks; UNCERTAIN for rule 12);
 * 'mar1': only on 1 March (strict "has the date passed").
 */
export type LeapDayPolicy = 'feb28' | 'mar1';

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (y: number, m: number): number => [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];

/** True for a real calendar day. */
export function isValidDate(d: CalendarDate): boolean {
  return (
    Number.isInteger(d.year) && Number.isInteger(d.month) && Number.isInteger(d.day) &&
    d.year >= 1 && d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= daysIn(d.year, d.month)
  );
}

/** "2021-05-23" → {2021, 5, 23}; undefined if malformed or not a real day. */
export function parseIsoDate(s: string): CalendarDate | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s.trim());
  if (!m) return undefined;
  const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  return isValidDate(d) ? d : undefined;
}

/**
 * A published date "d/m/yyyy" (also "dd/mm/yyyy", "-" or "." separators), "m/yyyy" or "yyyy" → a partial date;
 * "00" for a day or month means unknown. Undefined for empty or malformed text or an impossible day.
 */
export function parseVnDate(s: string): PartialDate | undefined {
  const t = s.normalize('NFC').trim();
  if (!t) return undefined;
  const parts = t.split(/[/.-]/).map((p) => p.trim());
  if (!parts.every((p) => /^\d+$/.test(p))) return undefined;
  const nums = parts.map(Number);
  let day: number | undefined;
  let month: number | undefined;
  let year: number;
  if (nums.length === 3) [day, month, year] = nums;
  else if (nums.length === 2) [month, year] = nums;
  else if (nums.length === 1) [year] = nums;
  else return undefined;
  if (parts[parts.length - 1].length !== 4 || year < 1000) return undefined;
  if (month === 0) month = undefined;
  if (day === 0) day = undefined;
  if (day !== undefined && month === undefined) return undefined;
  if (month !== undefined && (month < 1 || month > 12)) return undefined;
  if (day !== undefined && !isValidDate({ year, month: month!, day })) return undefined;
  return { year, ...(month !== undefined ? { month } : {}), ...(day !== undefined ? { day } : {}) };
}

/** The full date if day and month are known. */
export function fullDate(d: PartialDate | undefined): CalendarDate | undefined {
  return d && d.month !== undefined && d.day !== undefined ? { year: d.year, month: d.month, day: d.day } : undefined;
}

/** Age in completed years on `on` (the birthday itself counts as completed). Negative if born after `on`. */
export function ageOn(dob: CalendarDate, on: CalendarDate, leapDay: LeapDayPolicy = 'feb28'): number {
  let { month, day } = dob;
  if (month === 2 && day === 29 && !isLeap(on.year)) {
    if (leapDay === 'feb28') day = 28;
    else [month, day] = [3, 1];
  }
  const hadBirthday = on.month > month || (on.month === month && on.day >= day);
  return on.year - dob.year - (hadBirthday ? 0 : 1);
}

/**
 * The possible ages on `on` of someone with a partial date of birth: {min, max} (equal when the date is full).
 * Year only → born between 1 Jan and 31 Dec; month and year → between the 1st and the last day of the month.
 */
export function ageRangeOn(dob: PartialDate, on: CalendarDate, leapDay: LeapDayPolicy = 'feb28'): { min: number; max: number } {
  const full = fullDate(dob);
  if (full) {
    const a = ageOn(full, on, leapDay);
    return { min: a, max: a };
  }
  const earliest = { year: dob.year, month: dob.month ?? 1, day: 1 };
  const lm = dob.month ?? 12;
  const latest = { year: dob.year, month: lm, day: daysIn(dob.year, lm) };
  return { min: ageOn(latest, on, leapDay), max: ageOn(earliest, on, leapDay) };
}
