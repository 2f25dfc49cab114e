// CSV writing shared by every export (audit trail, report tables): RFC 4180 fields, UTF-8 with a BOM so Excel opens
// Vietnamese text correctly, and protection against CSV injection (OWASP): a text cell that a spreadsheet would
// run as a formula is prefixed with a single quote.

/** Byte-order mark that tells Excel the file is UTF-8 (without it, "Hồ Chí Minh" opens as mojibake). */
export const CSV_BOM = '\uFEFF';

/** Vietnam has kept UTC+7 without daylight saving since 1975: the offset is a constant. */
const VN_OFFSET_MS = 7 * 3600_000;

/**
 * One CSV field: always quoted, quotes doubled. A text value starting with = + - @, a tab or a carriage return gets a
 * leading single quote, so Excel and LibreOffice show it as text instead of evaluating it. Numbers are written as
 * they are (a number is never a formula, and "-5" must stay a negative number); dates as ISO 8601 in Vietnam time.
 */
export function csvCell(v: unknown): string {
  let s: string;
  if (v === null || v === undefined) s = '';
  else if (typeof v === 'number') return '"' + (Number.isFinite(v) ? String(v) : '') + '"';
  else if (v instanceof Date) s = new Date(v.getTime() + VN_OFFSET_MS).toISOString().replace('Z', '+07:00');
  else s = typeof v === 'string' ? v : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return '"' + s.replace(/"/g, '""') + '"';
}

/** One CSV record with its CRLF terminator. */
export function csvLine(cells: readonly unknown[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}
