// Tables as files: XLSX through exceljs with real typed cells and number formats, CSV as UTF-8 with a BOM and
// CSV-injection-safe text. One table description, both writers; the cell types are those of ReportColumn.
import ExcelJS from 'exceljs';
import type { ReportCellType, ReportCellValue } from '../plugin-api/index.js';
import { CSV_BOM, csvCell } from '../shared/csv.js';
import { formatNumber, type Lang } from '../shared/i18n.js';
import { vnDate } from './render.service.js';

export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const CSV_MIME = 'text/csv; charset=utf-8';

/** Number formats of the XLSX cells (Excel shows them with the reader's own separators). */
export const XLSX_FORMATS: Record<Exclude<ReportCellType, 'text'>, string> = {
  integer: '#,##0',
  percent: '0.00%',
  date: 'dd/mm/yyyy',
};

export interface TableColumn {
  header: string;
  type: ReportCellType;
  width?: number;
}

export interface TableSpec {
  /** Document title: XLSX title row and workbook property; not written to CSV (its first row is the header). */
  title: string;
  /** A line under the title in XLSX (who/when/document id). */
  note?: string;
  columns: TableColumn[];
  rows: ReportCellValue[][];
  created?: Date;
}

const DEFAULT_WIDTH: Record<ReportCellType, number> = { text: 32, integer: 12, percent: 12, date: 14 };

/** A date cell value → the calendar day 'YYYY-MM-DD' (instants are taken in Vietnam time), or undefined. */
export function isoDay(v: ReportCellValue): string | undefined {
  if (v instanceof Date) return isNaN(v.getTime()) ? undefined : vnDate(v);
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) return v.slice(0, 10);
  return undefined;
}

function num(v: ReportCellValue): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && !isNaN(Number(v))) return Number(v);
  return undefined;
}

/** A cell as the XLSX writer stores it: numbers stay numbers, dates become dates (UTC midnight = the calendar day). */
function xlsxValue(type: ReportCellType, v: ReportCellValue): string | number | Date | null {
  if (v === null || v === undefined || v === '') return null;
  switch (type) {
    case 'integer':
    case 'percent':
      return num(v) ?? String(v);
    case 'date': {
      const day = isoDay(v);
      if (!day) return String(v);
      const [y, m, d] = day.split('-').map(Number);
      return new Date(Date.UTC(y, m - 1, d));
    }
    default:
      return v instanceof Date ? vnDate(v) : String(v);
  }
}

/** Excel refuses sheet names over 31 characters or with : \ / ? * [ ]. */
function sheetName(title: string): string {
  return title.replace(/[:\\/?*[\]]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 31) || 'Sheet1';
}

/**
 * An XLSX workbook: the title (row 1), a note (row 2), the header (row 3, bold, frozen, with a filter) and one row
 * per record with typed cells — integers '#,##0', percentages as fractions '0.00%', dates as real dates.
 */
export async function toXlsx(spec: TableSpec): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'baucu';
  wb.title = spec.title;
  if (spec.created) {
    wb.created = spec.created;
    wb.modified = spec.created;
  }
  const ws = wb.addWorksheet(sheetName(spec.title), { views: [{ state: 'frozen', ySplit: 3 }] });
  ws.columns = spec.columns.map((c) => ({ width: c.width ?? DEFAULT_WIDTH[c.type] }));
  const n = spec.columns.length;
  const titleRow = ws.getRow(1);
  titleRow.getCell(1).value = spec.title;
  titleRow.getCell(1).font = { bold: true, size: 14 };
  if (n > 1) ws.mergeCells(1, 1, 1, n);
  if (spec.note) {
    ws.getRow(2).getCell(1).value = spec.note;
    ws.getRow(2).getCell(1).font = { italic: true, size: 10 };
    if (n > 1) ws.mergeCells(2, 1, 2, n);
  }
  const header = ws.getRow(3);
  spec.columns.forEach((c, i) => {
    const cell = header.getCell(i + 1);
    cell.value = c.header;
    cell.font = { bold: true };
    cell.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
    cell.border = { bottom: { style: 'thin' } };
  });
  spec.rows.forEach((values, r) => {
    const row = ws.getRow(4 + r);
    spec.columns.forEach((c, i) => {
      const cell = row.getCell(i + 1);
      const v = xlsxValue(c.type, values[i]);
      cell.value = v;
      if (c.type !== 'text' && (typeof v === 'number' || v instanceof Date)) cell.numFmt = XLSX_FORMATS[c.type];
    });
  });
  if (n > 0) ws.autoFilter = { from: { row: 3, column: 1 }, to: { row: 3, column: n } };
  const buf = await wb.xlsx.writeBuffer();
  return new Uint8Array(buf as ArrayBuffer);
}

/** One CSV field of a typed cell (numbers unquoted-safe, text injection-safe). */
function csvField(type: ReportCellType, v: ReportCellValue): string {
  if (v === null || v === undefined || v === '') return '""';
  switch (type) {
    case 'integer': {
      const x = num(v);
      return x === undefined ? csvCell(String(v)) : csvCell(x);
    }
    case 'percent': {
      // Percentage points with two decimals: 0.5234 → 52.34 (a number, never prefixed, whatever its sign).
      const x = num(v);
      return x === undefined ? csvCell(String(v)) : `"${(x * 100).toFixed(2)}"`;
    }
    case 'date':
      return csvCell(isoDay(v) ?? String(v));
    default:
      return csvCell(v instanceof Date ? vnDate(v) : v);
  }
}

/** CSV: BOM, the header row, one record per row, CRLF line ends; every field quoted. */
export function toCsv(spec: TableSpec): Uint8Array {
  const lines = [spec.columns.map((c) => csvCell(c.header)).join(',')];
  for (const values of spec.rows) lines.push(spec.columns.map((c, i) => csvField(c.type, values[i])).join(','));
  return new Uint8Array(Buffer.from(CSV_BOM + lines.join('\r\n') + '\r\n', 'utf8'));
}

/** A cell as text for the generic PDF table: grouped integers, "52,34%", dd/mm/yyyy. */
export function printCell(type: ReportCellType, v: ReportCellValue, lang: Lang): string {
  if (v === null || v === undefined) return '';
  switch (type) {
    case 'integer': {
      const x = num(v);
      return x === undefined ? String(v) : formatNumber(x, lang);
    }
    case 'percent': {
      const x = num(v);
      if (x === undefined) return String(v);
      const s = (x * 100).toFixed(2);
      return (lang === 'vi' ? s.replace('.', ',') : s) + '%';
    }
    case 'date': {
      const day = isoDay(v);
      if (!day) return String(v);
      const [y, m, d] = day.split('-');
      return `${d}/${m}/${y}`;
    }
    default:
      return v instanceof Date ? vnDate(v) : String(v);
  }
}

// ------------------------------------------------------------------------------------------- documents (forms)

/** A typed cell of a document sheet: the same types as report columns, an optional XLSX format, bold. */
export interface DocCell {
  type: ReportCellType;
  value: ReportCellValue;
  numFmt?: string;
  bold?: boolean;
}

/** One table of a document: a sheet of its own in XLSX (header frozen), a section in CSV. */
export interface DocSheet {
  /** Sheet name (≤ 31 characters after cleaning) and the caption above the table. */
  name: string;
  caption?: string;
  columns: { header: string; type: ReportCellType; width?: number }[];
  rows: { cells: DocCell[]; total?: boolean }[];
}

/**
 * A document with several tables (an official form): the lines at its top — issuing body, form number, title,
 * subtitles, place and date — repeated on every sheet, then the table. Numbers stay numbers, dates dates.
 */
export interface DocumentSpec {
  title: string;
  /** Lines of the heading, in order; the ones in `bold` are printed bold (the title). */
  heading: { text: string; bold?: boolean }[];
  note?: string;
  sheets: DocSheet[];
  created?: Date;
}

function uniqueSheetName(name: string, used: Set<string>): string {
  const base = sheetName(name);
  let s = base;
  for (let i = 2; used.has(s.toLowerCase()); i++) s = `${base.slice(0, 31 - String(i).length - 1)} ${i}`;
  used.add(s.toLowerCase());
  return s;
}

/**
 * An XLSX workbook of a document: one sheet per table; each sheet starts with the heading lines (bold title), the
 * note, the caption, then the header row (bold, frozen, filtered) and the typed rows (total rows bold).
 */
export async function documentXlsx(spec: DocumentSpec): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'baucu';
  wb.title = spec.title;
  if (spec.created) {
    wb.created = spec.created;
    wb.modified = spec.created;
  }
  const used = new Set<string>();
  for (const sheet of spec.sheets) {
    const top = spec.heading.length + (spec.note ? 1 : 0) + (sheet.caption ? 1 : 0) + 1;
    const headerRow = top + 1;
    const ws = wb.addWorksheet(uniqueSheetName(sheet.name, used), { views: [{ state: 'frozen', ySplit: headerRow }] });
    const n = Math.max(1, sheet.columns.length);
    ws.columns = sheet.columns.map((c) => ({ width: c.width ?? DEFAULT_WIDTH[c.type] }));
    let r = 1;
    const line = (text: string, font: Partial<ExcelJS.Font>) => {
      const cell = ws.getRow(r).getCell(1);
      cell.value = text;
      cell.font = font;
      cell.alignment = { horizontal: 'center', vertical: 'middle', wrapText: false };
      if (n > 1) ws.mergeCells(r, 1, r, n);
      r++;
    };
    for (const h of spec.heading) line(h.text, h.bold ? { bold: true, size: 13 } : { size: 11 });
    if (spec.note) line(spec.note, { italic: true, size: 9 });
    if (sheet.caption) {
      const cell = ws.getRow(r).getCell(1);
      cell.value = sheet.caption;
      cell.font = { bold: true };
      if (n > 1) ws.mergeCells(r, 1, r, n);
      r++;
    }
    r++; // a blank row before the table
    const header = ws.getRow(headerRow);
    sheet.columns.forEach((c, i) => {
      const cell = header.getCell(i + 1);
      cell.value = c.header;
      cell.font = { bold: true };
      cell.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
      cell.border = { bottom: { style: 'thin' } };
    });
    sheet.rows.forEach((row, k) => {
      const xr = ws.getRow(headerRow + 1 + k);
      sheet.columns.forEach((c, i) => {
        const dc = row.cells[i];
        const cell = xr.getCell(i + 1);
        if (!dc) return;
        const v = xlsxValue(dc.type, dc.value);
        cell.value = v;
        if (dc.type !== 'text' && (typeof v === 'number' || v instanceof Date)) cell.numFmt = dc.numFmt ?? XLSX_FORMATS[dc.type];
        if (row.total || dc.bold) cell.font = { bold: true };
      });
    });
    if (sheet.columns.length) ws.autoFilter = { from: { row: headerRow, column: 1 }, to: { row: headerRow, column: sheet.columns.length } };
  }
  if (!spec.sheets.length) {
    const ws = wb.addWorksheet(sheetName(spec.title));
    spec.heading.forEach((h, i) => {
      ws.getRow(i + 1).getCell(1).value = h.text;
      if (h.bold) ws.getRow(i + 1).getCell(1).font = { bold: true };
    });
  }
  const buf = await wb.xlsx.writeBuffer();
  return new Uint8Array(buf as ArrayBuffer);
}

/**
 * A document as one CSV: the heading lines, then per table its caption, header and rows, sections separated by an
 * empty record; every record padded to the widest table so the file stays rectangular. Same field rules as
 * {@link toCsv} (BOM, CRLF, injection-safe text).
 */
export function documentCsv(spec: DocumentSpec): Uint8Array {
  const width = Math.max(1, ...spec.sheets.map((s) => s.columns.length));
  const pad = (fields: string[]) => [...fields, ...Array(Math.max(0, width - fields.length)).fill('""')].join(',');
  const lines: string[] = spec.heading.map((h) => pad([csvCell(h.text)]));
  for (const sheet of spec.sheets) {
    lines.push(pad([]));
    lines.push(pad([csvCell(sheet.caption ?? sheet.name)]));
    lines.push(pad(sheet.columns.map((c) => csvCell(c.header))));
    for (const row of sheet.rows) lines.push(pad(sheet.columns.map((_c, i) => (row.cells[i] ? csvField(row.cells[i].type, row.cells[i].value) : '""'))));
  }
  return new Uint8Array(Buffer.from(CSV_BOM + lines.join('\r\n') + '\r\n', 'utf8'));
}
