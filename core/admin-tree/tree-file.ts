// Reads an uploaded CSV or XLSX into rows of NFC-normalised text cells with spreadsheet row numbers. File-level
// problems (not UTF-8, not a spreadsheet, corrupt) come back as one issue instead of an exception.
import path from 'node:path';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import type { FieldIssue } from '../shared/result.js';
import { MAX_ROWS } from './import-format.js';

export interface RawRow {
  /** Row number as a spreadsheet shows it (the header is usually row 1). */
  row: number;
  cells: string[];
  /** Cells that were numbers in the workbook (a code typed as a number has lost its leading zeros). */
  numeric: boolean[];
}

export interface RawSheet {
  format: 'csv' | 'xlsx';
  rows: RawRow[];
}

export type ReadResult = { ok: true; sheet: RawSheet } | { ok: false; issue: FieldIssue };

const fileIssue = (code: string, params?: Record<string, string | number>): ReadResult => ({
  ok: false,
  issue: { code, messageKey: `import.issue.${code}`, params },
});

export function formatOf(fileName: string): 'csv' | 'xlsx' | undefined {
  const ext = path.extname(fileName).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.xlsx' ? 'xlsx' : undefined;
}

/** Text of a cell: NFC, trimmed (a cell pasted from Word arrives in NFD or with odd spaces). */
function clean(s: string): string {
  return s.normalize('NFC').replace(/[\u00a0\u200b\ufeff]/g, ' ').trim();
}

export async function readTreeFile(buf: Buffer, fileName: string): Promise<ReadResult> {
  const format = formatOf(fileName);
  if (!format) return fileIssue('FILE_TYPE', { file: fileName });
  return format === 'csv' ? readCsv(buf) : readXlsx(buf);
}

function readCsv(buf: Buffer): ReadResult {
  if (buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))) {
    return fileIssue('FILE_ENCODING', { encoding: 'UTF-16' });
  }
  if (buf.length >= 4 && buf.readUInt32BE(0) === 0x504b0304) return fileIssue('FILE_UNREADABLE', { detail: 'xlsx-as-csv' });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return fileIssue('FILE_ENCODING', { encoding: '?' });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.includes('\u0000')) return fileIssue('FILE_UNREADABLE', { detail: 'binary' });
  // Excel in some locales saves with ";" (or tab); the header line decides, so ";" inside a legal-basis cell is safe.
  const firstLine = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const counts = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length - 1] as const);
  const delimiter = counts.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  let records: { record: string[]; info: { records: number; empty_lines: number } }[];
  try {
    records = parse(text, {
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
    }) as unknown as typeof records;
  } catch (e) {
    const err = e as { code?: string; lines?: number };
    return fileIssue('FILE_UNREADABLE', { detail: `${err.code ?? 'CSV'}${err.lines ? ` (dòng/line ${err.lines})` : ''}` });
  }
  if (records.length > MAX_ROWS + 10) return fileIssue('FILE_TOO_MANY_ROWS', { max: MAX_ROWS });
  const rows: RawRow[] = [];
  for (const { record, info } of records) {
    const cells = record.map(clean);
    if (cells.every((c) => c === '')) continue;
    // Spreadsheet row = records so far + blank lines skipped so far (a quoted multi-line cell stays one row).
    rows.push({ row: info.records + info.empty_lines, cells, numeric: cells.map(() => false) });
  }
  return { ok: true, sheet: { format: 'csv', rows } };
}

async function readXlsx(buf: Buffer): Promise<ReadResult> {
  if (buf.length < 4 || buf.readUInt32BE(0) !== 0x504b0304) return fileIssue('FILE_UNREADABLE', { detail: 'not-xlsx' });
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
  } catch (e) {
    return fileIssue('FILE_UNREADABLE', { detail: e instanceof Error ? e.message.slice(0, 120) : 'xlsx' });
  }
  // The first worksheet holds the data (the template keeps its instructions on the second).
  const ws = wb.worksheets[0];
  const rows: RawRow[] = [];
  if (!ws) return { ok: true, sheet: { format: 'xlsx', rows } };
  if (ws.rowCount > MAX_ROWS + 10) return fileIssue('FILE_TOO_MANY_ROWS', { max: MAX_ROWS });
  ws.eachRow({ includeEmpty: false }, (r, rowNumber) => {
    const cells: string[] = [];
    const numeric: boolean[] = [];
    const n = r.cellCount;
    for (let i = 1; i <= n; i++) {
      const { text, isNumber } = cellText(r.getCell(i).value);
      cells.push(clean(text));
      numeric.push(isNumber);
    }
    while (cells.length && cells[cells.length - 1] === '') {
      cells.pop();
      numeric.pop();
    }
    if (cells.length) rows.push({ row: rowNumber, cells, numeric });
  });
  return { ok: true, sheet: { format: 'xlsx', rows } };
}

function cellText(v: ExcelJS.CellValue): { text: string; isNumber: boolean } {
  if (v === null || v === undefined) return { text: '', isNumber: false };
  if (typeof v === 'string') return { text: v, isNumber: false };
  if (typeof v === 'number') return { text: Number.isInteger(v) ? v.toFixed(0) : String(v), isNumber: true };
  if (typeof v === 'boolean') return { text: v ? 'TRUE' : 'FALSE', isNumber: false };
  if (v instanceof Date) return { text: isNaN(v.getTime()) ? '' : v.toISOString().slice(0, 10), isNumber: false };
  const o = v as unknown as Record<string, unknown>;
  if (Array.isArray(o.richText)) return { text: (o.richText as { text: string }[]).map((t) => t.text).join(''), isNumber: false };
  if ('result' in o) return cellText(o.result as ExcelJS.CellValue);
  if ('formula' in o || 'sharedFormula' in o) return { text: '', isNumber: false };
  if (typeof o.text === 'string') return { text: o.text, isNumber: false };
  if ('error' in o) return { text: String(o.error), isNumber: false };
  return { text: String(v), isNumber: false };
}
