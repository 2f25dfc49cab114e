// The view model every official form is drawn from (views/reports/forms/official-form.hbs): header, form number,
// title, numbered figures written in digits and in words, tables, closing text and signature blocks. Forms differ
// only in the model their view functions build, so the layout rules of Nghị định 30/2020 live in one template.
import { capitalizedWords } from '../../shared/numbers-in-words.js';
import { formatNumber } from '../../shared/i18n.js';

export interface FormCell {
  text: string;
  numeric?: boolean;
  bold?: boolean;
  center?: boolean;
  /**
   * The figure behind `text`, for XLSX/CSV (the print template ignores it): a count, a fraction (0.5234 for
   * "52,34%"), or an ISO date. Absent = the cell is text in every format.
   */
  value?: number | string;
  type?: 'integer' | 'percent' | 'date';
  /** XLSX number format when the type's default does not fit ('"≥ "0%' for a target). */
  numFmt?: string;
  /** A cell printed as "12/15" is two figures in XLSX/CSV: one column each (see FormTable column `parts`). */
  parts?: number[];
}
export interface FormTable {
  caption?: string;
  /** Narrow tables (many columns) print at 10.5 pt. */
  dense?: boolean;
  /** `parts`: the XLSX/CSV headers of a column whose cells are split into several figures ("12/15"). */
  columns: { label: string; numeric?: boolean; width?: number; parts?: string[] }[];
  rows: { cells: FormCell[]; total?: boolean }[];
}
export interface FormFact {
  no: string;
  label: string;
  /** Digits, grouped the Vietnamese way ("78.928.647"). */
  value: string;
  /** "Bảy mươi tám triệu …" — only for counts, never for percentages. */
  words?: string;
  note?: string;
  /** The count itself, for XLSX/CSV. */
  n?: number;
}
export interface FormSignature {
  /** Upper-case title line ("TỔ TRƯỞNG", "TM. ỦY BAN BẦU CỬ"). */
  title: string;
  /** Second line ("CHỦ TỊCH"), optional. */
  role?: string;
  /** "(Ký, ghi rõ họ tên)" / "(Ký tên, đóng dấu)". */
  hint: string;
  name?: string;
}
export interface OfficialFormView extends Record<string, unknown> {
  header: { issuerLines: string[]; placeDate: string };
  formNo: string | null;
  title: string;
  subtitles: string[];
  intro: string[];
  facts: FormFact[];
  tables: FormTable[];
  closing: string[];
  signatures: FormSignature[];
  documentId: string;
}

export const num = (n: number): string => formatNumber(n, 'vi');
/** "52,34%" — percentages to two decimals, Vietnamese decimal comma; "—" when the base is 0. */
export const pct = (part: number, whole: number): string => (whole > 0 ? `${(Math.round((part / whole) * 10000) / 100).toFixed(2).replace('.', ',')}%` : '—');

/** A numbered figure in digits and in words (the "bằng chữ" the forms require for every count). */
export function countFact(no: string, label: string, n: number, note?: string): FormFact {
  return { no, label, value: num(n), words: capitalizedWords(n), note, n };
}

export const cell = (text: string | number, o: { numeric?: boolean; bold?: boolean; center?: boolean } = {}): FormCell =>
  typeof text === 'number' ? { text: num(text), numeric: true, bold: o.bold, value: text, type: 'integer' } : { text, numeric: o.numeric, bold: o.bold, center: o.center };

/** A percentage cell: printed as {@link pct}, a fraction in XLSX ('0.00%'); "—" (text) when the base is 0. */
export const pctCell = (part: number, whole: number, o: { bold?: boolean } = {}): FormCell =>
  whole > 0 ? { text: pct(part, whole), numeric: true, bold: o.bold, value: part / whole, type: 'percent' } : { text: pct(part, whole), numeric: true, bold: o.bold };

/** The row number ("STT"), centred in print, a number in XLSX. */
export const sttCell = (n: number): FormCell => ({ text: String(n), center: true, value: n, type: 'integer', numFmt: '0' });

/** "12/15": two counts printed as a fraction, two columns in XLSX/CSV. */
export const partsCell = (a: number, b: number): FormCell => ({ text: `${num(a)}/${num(b)}`, numeric: true, parts: [a, b] });

/** A date printed dd/mm/yyyy (as the loaders give it) that is a date cell in XLSX; other text stays text. */
export function dateCell(text: string): FormCell {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
  return m ? { text, value: `${m[3]}-${m[2]}-${m[1]}`, type: 'date' } : { text };
}

export const SIGN_HINT = '(Ký, ghi rõ họ tên)';
export const SEAL_HINT = '(Ký tên, đóng dấu)';

/** "ngày 15/3/2026" style for the body of a minutes ("Hôm nay, ngày 15 tháng 3 năm 2026"). */
export function longDate(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number);
  return `ngày ${d < 10 ? '0' + d : d} tháng ${m <= 2 ? '0' + m : m} năm ${y}`;
}
