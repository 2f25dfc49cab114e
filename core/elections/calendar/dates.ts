// Calendar dates without time-zone surprises: election days and deadlines are civil dates in Vietnam (UTC+7, no
// daylight saving), handled as ISO strings 'YYYY-MM-DD' and turned into instants only at the edge.
import type { Lang } from '../../shared/i18n.js';

const DAY_MS = 86_400_000;
/** Vietnam has used UTC+7 all year since 1975. */
export const VN_OFFSET = '+07:00';

/** A real calendar date written 'YYYY-MM-DD' (2026-02-30 is not). */
export function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(s + 'T00:00:00Z');
  return !isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

const utc = (iso: string) => Date.parse(iso + 'T00:00:00Z');

/** iso + n days. */
export function addDays(iso: string, n: number): string {
  return new Date(utc(iso) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from a to b (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((utc(b) - utc(a)) / DAY_MS);
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(iso: string): number {
  return new Date(utc(iso)).getUTCDay();
}

const WEEKDAYS: Record<Lang, string[]> = {
  vi: ['Chủ nhật', 'Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy'],
  en: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
};

export function weekdayName(iso: string, lang: Lang): string {
  return WEEKDAYS[lang][dayOfWeek(iso)];
}

/** dd/mm/yyyy, as Vietnamese documents write dates (English pages use the same, unambiguous with the weekday). */
export function ddmmyyyy(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}

/** "Chủ nhật, 15/03/2026" / "Sunday, 15/03/2026". */
export function showDay(iso: string, lang: Lang): string {
  return `${weekdayName(iso, lang)}, ${ddmmyyyy(iso)}`;
}

/** Today's date in Vietnam. */
export function vnDate(now: Date): string {
  return new Date(now.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);
}

/** The instant of a local time ('HH:MM', or end of day when omitted) on a Vietnamese calendar date. */
export function vnInstant(iso: string, time?: string): Date {
  return new Date(`${iso}T${time ? time + ':00.000' : '23:59:59.999'}${VN_OFFSET}`);
}
