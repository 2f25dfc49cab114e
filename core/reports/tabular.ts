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
