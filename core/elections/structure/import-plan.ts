// Plans a structure import without I/O: reads rows out of a sheet (every problem with its row and column), applies
// them to an in-memory Structure — units, compositions, polling areas with their unit per contest — recording what
// changed, then runs the rules (rules.ts) and keeps, as blocking, the problems of the records the import touched.
// The national seed feeds typed rows to the same session, so it is validated exactly like a file.
import type { FieldIssue } from '../../shared/result.js';
import { normalizeName } from '../../shared/vn-text.js';
import type { RawRow, RawSheet } from '../../admin-tree/tree-file.js';
import type { UnitLevel } from '../../plugin-api/index.js';
import {
  allowedColumns, columnOf, columnsOf, parseCount, parseDate, parseKind, parseSmallReason, parseTimeCell,
  CODE_WIDTH, DESCRIPTION_MAX, IMPORT_WARNING_CODES, MAX_ISSUES, TEXT_MAX,
  type ColumnId, type ImportIssueCode, type StructureImportKind,
} from './import-format.js';
import {
  councilKey, councilLevel, defaultAreaName, defaultUnitName, unitColumnOf,
  type AreaKind, type AreaRec, type ContestInfo, type SmallReason, type Structure, type UnitRec,
} from './model.js';
import { STRUCTURE_RULES, checkStructure, ruleMessageKey, summarise, type Labels, type StructureIssue, VI_LABELS } from './rules.js';

// --- typed rows -------------------------------------------------------------------------------------------------

export interface UnitRow {
  row: number;
  parentCode: string;
  number: number;
  seats: number;
  name: string | null;
  description: string | null;
  councilSize: number | null;
  /** Declared number of communes (the NA list's n_communes), checked against the composition. */
  nCommunes?: number | null;
}

export interface CompositionRow {
  row: number;
  /** Province of the unit (province-level contests); when absent, the commune's province. */
  provinceCode: string | null;
  unitNo: number;
  communeCode: string;
  /** Commune-level contests: the polling area's number in its commune. */
  areaNo: number | null;
}

export type UnitColumn = 'na_unit' | 'provincial_unit' | 'commune_unit';

export interface AreaRow {
  row: number;
  communeCode: string;
  number: number;
  name: string | null;
  voters: number;
  kind: AreaKind;
  kindReason: string | null;
  smallReason: SmallReason | null;
  votingDate: string | null;
  approvalRef: string | null;
  opens: string | null;
  closes: string | null;
  /** Unit numbers per contest column: absent key = no such column in the file; null = blank cell. */
  units: Partial<Record<UnitColumn, number | null>>;
}

// --- issues -----------------------------------------------------------------------------------------------------

/** Collects issues of one run (one or two files), capped; counts every error. */
export class IssueSink {
  readonly errors: FieldIssue[] = [];
  readonly warnings: FieldIssue[] = [];
  errorCount = 0;
  truncated = 0;
  /** The file being read, named in every issue when a run has several. */
  file?: string;

  add(i: FieldIssue, warning: boolean): void {
    if (!warning) this.errorCount++;
    if (this.errors.length + this.warnings.length >= MAX_ISSUES) {
      this.truncated++;
      return;
    }
    const withFile = this.file ? { ...i, params: { ...(i.params ?? {}), file: this.file } } : i;
    (warning ? this.warnings : this.errors).push(withFile);
  }

  importIssue(code: ImportIssueCode, at: { row?: number; column?: string }, params?: Record<string, string | number>): void {
    this.add({ ...at, code, messageKey: `structure.issue.${code}`, params }, IMPORT_WARNING_CODES.has(code));
  }

  get hasErrors(): boolean {
    return this.errorCount > 0;
  }
}

// --- parsing a sheet ---------------------------------------------------------------------------------------------

export interface ParseContext {
  kind: StructureImportKind;
  level: UnitLevel;
  sink: IssueSink;
  /** Election day, to store "on election day" as null. */
  electionDay: string;
}

/** Where each column sits and how the file spells it. */
export interface SheetColumns {
  index: Map<ColumnId, number>;
  label: Map<ColumnId, string>;
  headerRow: number;
}

export interface Parsed<T> {
  rows: T[];
  columns?: SheetColumns;
  rowsTotal: number;
}

class RowReader {
  constructor(readonly cols: SheetColumns, private readonly sink: IssueSink) {}

  col(id: ColumnId): string {
    return this.cols.label.get(id) ?? id;
  }
  has(id: ColumnId): boolean {
    return this.cols.index.has(id);
  }
  raw(r: RawRow, id: ColumnId): string {
    const i = this.cols.index.get(id);
    return i === undefined ? '' : (r.cells[i] ?? '');
  }
  add(code: ImportIssueCode, r: RawRow, id: ColumnId | undefined, params?: Record<string, string | number>): void {
    this.sink.importIssue(code, { row: r.row, column: id ? this.col(id) : undefined }, params);
  }

  code(r: RawRow, id: ColumnId, level: 'province' | 'commune', required = true): string | null | undefined {
    const raw = this.raw(r, id);
    if (raw === '') {
      if (required) this.add('REQUIRED', r, id);
      return required ? undefined : null;
    }
    const width = CODE_WIDTH[level];
    let v = raw;
    const i = this.cols.index.get(id)!;
    // A code typed into a General cell loses its leading zeros; the code space is fixed-width digits, so padding
    // restores it unambiguously — reported as a warning so the sheet gets fixed.
    if (r.numeric[i] && /^\d+$/.test(raw) && raw.length < width) {
      v = raw.padStart(width, '0');
      this.add('CODE_PADDED', r, id, { value: raw, padded: v });
    }
    if (!new RegExp(`^\\d{${width}}$`).test(v)) {
      this.add('CODE_FORMAT', r, id, { value: raw.slice(0, 20), width });
      return undefined;
    }
    return v;
  }

  count(r: RawRow, id: ColumnId, required = true): number | null | undefined {
    const raw = this.raw(r, id);
    if (raw === '') {
      if (required) this.add('REQUIRED', r, id);
      return required ? undefined : null;
    }
    const n = parseCount(raw);
    if (n === undefined || n > 10_000_000) {
      this.add('NUMBER_FORMAT', r, id, { value: raw.slice(0, 20) });
      return undefined;
    }
    return n;
  }

  text(r: RawRow, id: ColumnId, max = TEXT_MAX): string | null | undefined {
    const v = normalizeName(this.raw(r, id));
    if (!v) return null;
    if (v.length > max) {
      this.add('TEXT_TOO_LONG', r, id, { length: v.length, max });
      return undefined;
    }
    return v;
  }
}

/** Finds the header (first of the first 10 rows naming our columns) and checks it against the kind. */
function readHeader(sheet: RawSheet, ctx: ParseContext): { cols?: SheetColumns; data: RawRow[] } {
  const rows = sheet.rows;
  const sink = ctx.sink;
  if (!rows.length) {
    sink.importIssue('FILE_EMPTY', {});
    return { data: [] };
  }
  const allowed = allowedColumns(ctx.kind, ctx.level);
  const required = columnsOf(ctx.kind, ctx.level).filter((c) => c.required);
  let headerIdx = -1;
  for (let i = 0; i < Math.min(10, rows.length) && headerIdx < 0; i++) {
    const ids = new Set(rows[i].cells.map(columnOf).filter((c): c is ColumnId => !!c && c !== 'ignored'));
    if (required.filter((c) => ids.has(c.id)).length >= Math.min(2, required.length)) headerIdx = i;
  }
  if (headerIdx < 0) {
    sink.importIssue('HEADER_NOT_FOUND', { row: rows[0].row }, {
      found: rows[0].cells.join(', ').slice(0, 200), expected: required.map((c) => c.vi).join(', '),
    });
    return { data: [] };
  }
  const header = rows[headerIdx];
  const index = new Map<ColumnId, number>();
  const label = new Map<ColumnId, string>();
  header.cells.forEach((h, i) => {
    const id = columnOf(h);
    if (id === 'ignored') return;
    if (!id || !allowed.has(id)) {
      sink.importIssue('HEADER_UNKNOWN_COLUMN', { row: header.row, column: h }, { column: h });
      return;
    }
    if (index.has(id)) {
      sink.importIssue('HEADER_DUPLICATE_COLUMN', { row: header.row, column: h }, { column: h });
      return;
    }
    index.set(id, i);
    label.set(id, h);
  });
  for (const c of required) {
    if (!index.has(c.id)) sink.importIssue('HEADER_MISSING_COLUMN', { row: header.row, column: c.vi }, { column: `${c.vi} / ${c.id}` });
  }
  const data = rows.slice(headerIdx + 1);
  if (!sink.hasErrors && !data.length) sink.importIssue('FILE_EMPTY', {});
  return { cols: { index, label, headerRow: header.row }, data };
}

export function parseUnits(sheet: RawSheet, ctx: ParseContext): Parsed<UnitRow> {
  const { cols, data } = readHeader(sheet, ctx);
  if (!cols || ctx.sink.hasErrors) return { rows: [], columns: cols, rowsTotal: data.length };
  const rd = new RowReader(cols, ctx.sink);
  const parentCol: ColumnId = ctx.level === 'province' ? 'province_code' : 'commune_code';
  const out: UnitRow[] = [];
  for (const r of data) {
    const parentCode = rd.code(r, parentCol, ctx.level);
    const number = rd.count(r, 'unit_no');
    const seats = rd.count(r, 'seats');
    const name = rd.text(r, 'name');
    const description = rd.text(r, 'composition_text', DESCRIPTION_MAX);
    const councilSize = rd.count(r, 'council_size', false);
    const nCommunes = rd.count(r, 'n_communes', false);
    if (number === 0) rd.add('NUMBER_FORMAT', r, 'unit_no', { value: '0' });
    // The NA list's unit id "PP-NN" must agree with the province and number beside it.
    const unitId = rd.raw(r, 'unit_id');
    if (unitId && parentCode && number && /^\d{2}-\d{1,3}$/.test(unitId)) {
      const [p, n] = unitId.split('-');
      if (p !== parentCode || Number(n) !== number) rd.add('UNIT_ID_MISMATCH', r, 'unit_id', { value: unitId, expected: `${parentCode}-${String(number).padStart(2, '0')}` });
    }
    if (parentCode && number && seats !== undefined && seats !== null && name !== undefined && description !== undefined && councilSize !== undefined && nCommunes !== undefined) {
      out.push({ row: r.row, parentCode, number, seats, name, description, councilSize, nCommunes });
    }
  }
  return { rows: out, columns: cols, rowsTotal: data.length };
}

export function parseCompositions(sheet: RawSheet, ctx: ParseContext): Parsed<CompositionRow> {
  const { cols, data } = readHeader(sheet, ctx);
  if (!cols || ctx.sink.hasErrors) return { rows: [], columns: cols, rowsTotal: data.length };
  const rd = new RowReader(cols, ctx.sink);
  const out: CompositionRow[] = [];
  for (const r of data) {
    const provinceCode = rd.has('province_code') ? rd.code(r, 'province_code', 'province', false) : null;
    const unitNo = rd.count(r, 'unit_no');
    const communeCode = rd.code(r, 'commune_code', 'commune');
    const areaNo = ctx.level === 'commune' ? rd.count(r, 'area_no') : null;
    if (provinceCode !== undefined && unitNo && communeCode && areaNo !== undefined) {
      out.push({ row: r.row, provinceCode, unitNo, communeCode, areaNo });
    }
  }
  return { rows: out, columns: cols, rowsTotal: data.length };
}

export function parseAreas(sheet: RawSheet, ctx: ParseContext): Parsed<AreaRow> {
  const { cols, data } = readHeader(sheet, ctx);
  if (!cols || ctx.sink.hasErrors) return { rows: [], columns: cols, rowsTotal: data.length };
  const rd = new RowReader(cols, ctx.sink);
  const out: AreaRow[] = [];
  for (const r of data) {
    let ok = true;
    const communeCode = rd.code(r, 'commune_code', 'commune');
    const number = rd.count(r, 'area_no');
    if (number === 0) {
      rd.add('NUMBER_FORMAT', r, 'area_no', { value: '0' });
      ok = false;
    }
    const voters = rd.count(r, 'voters');
    const name = rd.text(r, 'name');
    const kind = parseKind(rd.raw(r, 'kind'));
    if (!kind) {
      rd.add('KIND_UNKNOWN', r, 'kind', { value: rd.raw(r, 'kind').slice(0, 60) });
      ok = false;
    }
    const kindReason = rd.text(r, 'kind_reason');
    const smallReason = parseSmallReason(rd.raw(r, 'small_reason'));
    if (smallReason === undefined) {
      rd.add('SMALL_REASON_UNKNOWN', r, 'small_reason', { value: rd.raw(r, 'small_reason').slice(0, 60) });
      ok = false;
    }
    let votingDate: string | null = null;
    const rawDate = rd.raw(r, 'voting_date');
    if (rawDate) {
      const d = parseDate(rawDate);
      if (!d) {
        rd.add('DATE_FORMAT', r, 'voting_date', { value: rawDate.slice(0, 20) });
        ok = false;
      } else votingDate = d === ctx.electionDay ? null : d;
    }
    const approvalRef = rd.text(r, 'approval_ref');
    const time = (id: 'opens' | 'closes'): string | null | undefined => {
      const raw = rd.raw(r, id);
      if (!raw) return null;
      const t = parseTimeCell(raw);
      if (!t) {
        rd.add('TIME_FORMAT', r, id, { value: raw.slice(0, 20) });
        ok = false;
      }
      return t;
    };
    const opens = time('opens');
    const closes = time('closes');
    const units: AreaRow['units'] = {};
    for (const c of ['na_unit', 'provincial_unit', 'commune_unit'] as const) {
      if (!rd.has(c)) continue;
      const v = rd.count(r, c, false);
      if (v === undefined || v === 0) ok = false;
      else units[c] = v;
    }
    if (ok && communeCode && number && voters !== undefined && voters !== null && name !== undefined && kindReason !== undefined && approvalRef !== undefined && opens !== undefined && closes !== undefined) {
      out.push({ row: r.row, communeCode, number, name, voters, kind: kind!, kindReason, smallReason: smallReason!, votingDate, approvalRef, opens, closes, units });
    }
  }
  return { rows: out, columns: cols, rowsTotal: data.length };
}

/** Provinces a set of parsed rows touches (to load only those from the database). */
export function provincesOf(s: Pick<Structure, 'communes' | 'provinces'>, rows: { units?: UnitRow[]; level?: UnitLevel; compositions?: CompositionRow[]; areas?: AreaRow[] }): Set<string> {
  const out = new Set<string>();
  for (const u of rows.units ?? []) {
    const p = rows.level === 'commune' ? s.communes.get(u.parentCode)?.province : u.parentCode;
    if (p && s.provinces.has(p)) out.add(p);
  }
  for (const c of rows.compositions ?? []) {
    if (c.provinceCode && s.provinces.has(c.provinceCode)) out.add(c.provinceCode);
    const p = s.communes.get(c.communeCode)?.province;
    if (p) out.add(p);
  }
  for (const a of rows.areas ?? []) {
    const p = s.communes.get(a.communeCode)?.province;
    if (p) out.add(p);
  }
  return out;
}

// --- applying rows to a structure -------------------------------------------------------------------------------

export interface Counter {
  added: number;
  changed: number;
  removed: number;
}
const counter = (): Counter => ({ added: 0, changed: 0, removed: 0 });

/** What an import changed, for the writer (ids) and the summary (counts). */
export class ChangeLog {
  readonly unitsUpserted = new Set<string>();
  readonly unitsDeleted = new Set<string>();
  /** Units whose composition (communes) is rewritten. */
  readonly compositions = new Set<string>();
  readonly areasUpserted = new Set<string>();
  readonly areasDeleted = new Set<string>();
  /** Areas inserted by this import (nothing of theirs to delete before writing). */
  readonly areasNew = new Set<string>();
  /** Areas whose unit-per-contest rows are rewritten. */
  readonly mappings = new Set<string>();
  readonly councils = new Map<string, { contest: string; code: string; size: number }>();
  readonly counts = { units: counter(), compositions: counter(), areas: counter(), mappings: counter(), councils: counter() };

  get changed(): number {
    return this.unitsUpserted.size + this.unitsDeleted.size + this.compositions.size + this.areasUpserted.size + this.areasDeleted.size + this.mappings.size + this.councils.size;
  }
}

/** The scope an import was authorised for: every row must lie inside it. */
export interface ImportScope {
  type: 'nation' | 'province' | 'commune';
  code: string;
}

export interface SessionOptions {
  labels?: Labels;
  newId: () => string;
  /** Default voting hours of the election (its own, or 07:00–19:00). */
  defaultHours: { opens: string; closes: string };
  scope?: ImportScope;
}

interface RowRef {
  row: number;
  file?: string;
  columns?: SheetColumns;
}

/**
 * Applies rows of one or more files (or of the seed) to a Structure loaded for the provinces they touch, then
 * validates. Records row numbers so rule issues land on the row and column that caused them.
 */
export class ImportSession {
  readonly log = new ChangeLog();
  readonly sink = new IssueSink();
  private readonly labels: Labels;
  // Where records came from, for the report.
  private readonly unitRows = new Map<string, RowRef>();
  private readonly parentRows = new Map<string, RowRef>();
  private readonly compRows = new Map<string, RowRef>();
  private readonly communeCompRows = new Map<string, RowRef[]>();
  private readonly areaRows = new Map<string, RowRef>();
  private readonly declaredCommunes = new Map<string, RowRef & { n: number }>();
  // What the import touched (only those records' problems block it).
  readonly touchedUnits = new Set<string>();
  readonly touchedParents = new Set<string>();
  readonly touchedCommunes = new Set<string>();
  readonly touchedAreas = new Set<string>();
  private columns?: SheetColumns;

  constructor(readonly s: Structure, private readonly o: SessionOptions) {
    this.labels = o.labels ?? VI_LABELS;
  }

  /** Names the file the next rows come from (reports of multi-file runs say which). */
  beginFile(file: string | undefined, columns: SheetColumns | undefined): void {
    this.sink.file = file;
    this.columns = columns;
  }

  private ref(row: number): RowRef {
    return { row, file: this.sink.file, columns: this.columns };
  }

  private colLabel(id: string, ref?: RowRef): string {
    return ref?.columns?.label.get(id as ColumnId) ?? id;
  }

  private issueAt(code: ImportIssueCode, ref: RowRef, column: ColumnId | undefined, params?: Record<string, string | number>): void {
    const file = this.sink.file;
    this.sink.file = ref.file;
    this.sink.importIssue(code, { row: ref.row, column: column ? this.colLabel(column, ref) : undefined }, params);
    this.sink.file = file;
  }

  private inScope(province: string | undefined, commune?: string): boolean {
    const sc = this.o.scope;
    if (!sc || sc.type === 'nation') return true;
    if (sc.type === 'province') return province === sc.code;
    return commune === sc.code;
  }

  private contest(id: string): ContestInfo {
    const c = this.s.contests.find((x) => x.id === id);
    if (!c) throw new Error(`contest ${id} is not held in this election`);
    return c;
  }

  /** Units of a contest by parent and number (built once per call: a national import has ~24,000 units). */
  private unitIndex(contest: string): Map<string, Map<number, UnitRec>> {
    const ix = new Map<string, Map<number, UnitRec>>();
    for (const u of this.s.units.values()) {
      if (u.contest !== contest) continue;
      let m = ix.get(u.parentCode);
      if (!m) ix.set(u.parentCode, (m = new Map()));
      m.set(u.number, u);
    }
    return ix;
  }

  /** Removes units with their compositions and the area assignments to them (one pass over the areas). */
  private deleteUnits(list: UnitRec[]): void {
    if (!list.length) return;
    const gone = new Set<string>();
    for (const u of list) {
      this.s.units.delete(u.id);
      this.s.unitCommunes.delete(u.id);
      this.log.unitsUpserted.delete(u.id);
      this.log.unitsDeleted.add(u.id);
      this.log.counts.units.removed++;
      gone.add(u.id);
    }
    for (const [areaId, m] of this.s.areaUnits) {
      for (const [contest, unitId] of m) {
        if (!gone.has(unitId)) continue;
        m.delete(contest);
        if (!this.log.mappings.has(areaId)) {
          this.log.mappings.add(areaId);
          this.log.counts.mappings.changed++;
        }
      }
    }
  }

  /** Units of a contest: the rows are the complete list for each parent they name (others are removed). */
  units(contestId: string, rows: UnitRow[]): void {
    const contest = this.contest(contestId);
    const byParent = new Map<string, UnitRow[]>();
    for (const r of rows) {
      const province = contest.unitLevel === 'province' ? r.parentCode : this.s.communes.get(r.parentCode)?.province;
      const known = contest.unitLevel === 'province' ? this.s.provinces.has(r.parentCode) : this.s.communes.has(r.parentCode);
      const col: ColumnId = contest.unitLevel === 'province' ? 'province_code' : 'commune_code';
      if (!known) {
        this.issueAt(contest.unitLevel === 'province' ? 'PROVINCE_NOT_FOUND' : 'COMMUNE_NOT_FOUND', this.ref(r.row), col, { code: r.parentCode, date: this.labels.date(this.s.electionDay) });
        continue;
      }
      if (!this.inScope(province, r.parentCode)) {
        this.issueAt('OUT_OF_SCOPE', this.ref(r.row), col, { code: r.parentCode, scope: this.o.scope!.code });
        continue;
      }
      const l = byParent.get(r.parentCode) ?? [];
      l.push(r);
      byParent.set(r.parentCode, l);
    }
    const index = this.unitIndex(contestId);
    const removed: UnitRec[] = [];
    for (const [parent, list] of byParent) {
      const key = `${contestId}|${parent}`;
      this.touchedParents.add(key);
      this.parentRows.set(key, this.ref(list[0].row));
      const existing = index.get(parent) ?? new Map<number, UnitRec>();
      const seen = new Map<number, UnitRow>();
      const sizes = new Set<number>();
      for (const r of list) {
        if (seen.has(r.number)) {
          this.issueAt('DUPLICATE_ROW', this.ref(r.row), 'unit_no', { value: r.number, first: seen.get(r.number)!.row });
          continue;
        }
        seen.set(r.number, r);
        if (r.councilSize !== null) sizes.add(r.councilSize);
        const prev = existing.get(r.number);
        const next: UnitRec = {
          id: prev?.id ?? this.o.newId(), contest: contestId, parentLevel: contest.unitLevel, parentCode: parent, number: r.number,
          seats: r.seats, name: r.name ?? defaultUnitName(r.number), description: r.description,
        };
        if (!prev) this.log.counts.units.added++;
        else if (prev.seats !== next.seats || prev.name !== next.name || prev.description !== next.description) this.log.counts.units.changed++;
        if (!prev || prev.seats !== next.seats || prev.name !== next.name || prev.description !== next.description) this.log.unitsUpserted.add(next.id);
        this.s.units.set(next.id, next);
        if (!this.s.unitCommunes.has(next.id) && contest.unitLevel === 'province') this.s.unitCommunes.set(next.id, []);
        this.touchedUnits.add(next.id);
        this.unitRows.set(next.id, this.ref(r.row));
        if (r.nCommunes !== undefined && r.nCommunes !== null) this.declaredCommunes.set(next.id, { ...this.ref(r.row), n: r.nCommunes });
      }
      for (const [n, u] of existing) if (!seen.has(n)) removed.push(u);
      if (sizes.size > 1) {
        this.issueAt('COUNCIL_SIZE_CONFLICT', this.ref(list[0].row), 'council_size', { values: [...sizes].join(', '), parent });
      } else if (sizes.size === 1 && councilLevel(contest) !== 'nation') {
        this.setCouncil(contestId, parent, [...sizes][0]);
      }
    }
    this.deleteUnits(removed);
  }

  /** Records a council size (a People's Council's total seats; 0 = no council in this commune). */
  setCouncil(contest: string, code: string, size: number): void {
    const key = councilKey(contest, code);
    const prev = this.s.councils.get(key);
    if (prev === size) return;
    this.s.councils.set(key, size);
    this.log.councils.set(key, { contest, code, size });
    if (prev === undefined) this.log.counts.councils.added++;
    else this.log.counts.councils.changed++;
  }

  /**
   * Compositions of a contest. Province level: unit → commune, complete for each province named (its other
   * assignments are cleared), then every polling area of those provinces follows its commune's unit. Commune
   * level: unit → polling area, complete for each commune named.
   */
  compositions(contestId: string, rows: CompositionRow[]): void {
    const contest = this.contest(contestId);
    if (contest.unitLevel === 'province') this.provinceCompositions(contest, rows);
    else this.communeCompositions(contest, rows);
  }

  private provinceCompositions(contest: ContestInfo, rows: CompositionRow[]): void {
    const byProvince = new Map<string, CompositionRow[]>();
    for (const r of rows) {
      const commune = this.s.communes.get(r.communeCode);
      if (r.provinceCode && !this.s.provinces.has(r.provinceCode)) {
        this.issueAt('PROVINCE_NOT_FOUND', this.ref(r.row), 'province_code', { code: r.provinceCode, date: this.labels.date(this.s.electionDay) });
        continue;
      }
      if (!commune) {
        this.issueAt('COMMUNE_NOT_FOUND', this.ref(r.row), 'commune_code', { code: r.communeCode, date: this.labels.date(this.s.electionDay) });
        continue;
      }
      const province = r.provinceCode ?? commune.province;
      if (!this.inScope(province)) {
        this.issueAt('OUT_OF_SCOPE', this.ref(r.row), r.provinceCode ? 'province_code' : 'commune_code', { code: province, scope: this.o.scope!.code });
        continue;
      }
      const l = byProvince.get(province) ?? [];
      l.push(r);
      byProvince.set(province, l);
    }
    const index = this.unitIndex(contest.id);
    for (const [province, list] of byProvince) {
      const units = index.get(province) ?? new Map<number, UnitRec>();
      const next = new Map<string, string[]>();
      for (const u of units.values()) next.set(u.id, []);
      const pairs = new Set<string>();
      for (const r of list) {
        const u = units.get(r.unitNo);
        if (!u) {
          this.issueAt('UNIT_NOT_FOUND', this.ref(r.row), 'unit_no', { value: r.unitNo, parent: this.s.provinces.get(province)?.name ?? province, contest: this.labels.contest(contest.id) });
          continue;
        }
        const pair = `${u.id}|${r.communeCode}`;
        if (pairs.has(pair)) {
          this.issueAt('DUPLICATE_ROW', this.ref(r.row), 'commune_code', { value: r.communeCode, first: this.compRows.get(pair)?.row ?? '' });
          continue;
        }
        pairs.add(pair);
        next.get(u.id)!.push(r.communeCode);
        this.compRows.set(pair, this.ref(r.row));
        const l = this.communeCompRows.get(`${contest.id}|${r.communeCode}`) ?? [];
        l.push(this.ref(r.row));
        this.communeCompRows.set(`${contest.id}|${r.communeCode}`, l);
        this.touchedCommunes.add(`${contest.id}|${r.communeCode}`);
      }
      for (const [unitId, communes] of next) {
        const prev = this.s.unitCommunes.get(unitId) ?? [];
        communes.sort();
        this.touchedUnits.add(unitId);
        if (prev.length !== communes.length || [...prev].sort().some((c, i) => c !== communes[i])) {
          this.log.compositions.add(unitId);
          this.log.counts.compositions.changed++;
        }
        this.s.unitCommunes.set(unitId, communes);
      }
      this.deriveAreaUnits(contest, province);
    }
  }

  /** Every polling area of a province follows the (single) unit its commune belongs to, for a province-level contest. */
  deriveAreaUnits(contest: ContestInfo, province: string): void {
    const unitOf = new Map<string, string[]>();
    for (const [unitId, communes] of this.s.unitCommunes) {
      const u = this.s.units.get(unitId);
      if (!u || u.contest !== contest.id) continue;
      for (const c of communes) unitOf.set(c, [...(unitOf.get(c) ?? []), unitId]);
    }
    for (const a of this.s.areas.values()) {
      if (this.s.communes.get(a.communeCode)?.province !== province) continue;
      const ids = unitOf.get(a.communeCode);
      const want = ids && ids.length === 1 ? ids[0] : undefined;
      this.setMapping(a.id, contest.id, want);
    }
  }

  private setMapping(areaId: string, contest: string, unitId: string | undefined): void {
    let m = this.s.areaUnits.get(areaId);
    const prev = m?.get(contest);
    if (prev === unitId) return;
    if (!m) {
      m = new Map();
      this.s.areaUnits.set(areaId, m);
    }
    if (unitId) m.set(contest, unitId);
    else m.delete(contest);
    if (!this.log.mappings.has(areaId)) {
      this.log.mappings.add(areaId);
      this.log.counts.mappings.changed++;
    }
  }

  private communeCompositions(contest: ContestInfo, rows: CompositionRow[]): void {
    const byCommune = new Map<string, CompositionRow[]>();
    for (const r of rows) {
      const commune = this.s.communes.get(r.communeCode);
      if (!commune) {
        this.issueAt('COMMUNE_NOT_FOUND', this.ref(r.row), 'commune_code', { code: r.communeCode, date: this.labels.date(this.s.electionDay) });
        continue;
      }
      if (!this.inScope(commune.province, commune.code)) {
        this.issueAt('OUT_OF_SCOPE', this.ref(r.row), 'commune_code', { code: commune.code, scope: this.o.scope!.code });
        continue;
      }
      byCommune.set(commune.code, [...(byCommune.get(commune.code) ?? []), r]);
    }
    const index = this.unitIndex(contest.id);
    const areaIndex = new Map<string, Map<number, AreaRec>>();
    for (const a of this.s.areas.values()) {
      if (!byCommune.has(a.communeCode)) continue;
      let m = areaIndex.get(a.communeCode);
      if (!m) areaIndex.set(a.communeCode, (m = new Map()));
      m.set(a.number, a);
    }
    for (const [code, list] of byCommune) {
      const units = index.get(code) ?? new Map<number, UnitRec>();
      const areas = areaIndex.get(code) ?? new Map<number, AreaRec>();
      const want = new Map<string, string>();
      const firstRow = new Map<string, RowRef>();
      for (const r of list) {
        const u = units.get(r.unitNo);
        const a = areas.get(r.areaNo!);
        if (!u) this.issueAt('UNIT_NOT_FOUND', this.ref(r.row), 'unit_no', { value: r.unitNo, parent: this.s.communes.get(code)!.name, contest: this.labels.contest(contest.id) });
        if (!a) this.issueAt('AREA_NOT_FOUND', this.ref(r.row), 'area_no', { value: r.areaNo!, commune: this.s.communes.get(code)!.name });
        if (!u || !a) continue;
        if (want.has(a.id)) {
          const other = this.s.units.get(want.get(a.id)!)!;
          this.addRuleIssue({
            code: 'COVERAGE_DUPLICATE', variant: 'area', severity: 'error', target: { type: 'polling-area', code: a.id }, field: 'area_no',
            params: { area: a.number, commune: this.s.communes.get(code)!.name, contest: this.labels.contest(contest.id), count: 2, units: `${other.number}, ${u.number}` },
          }, this.ref(r.row));
          continue;
        }
        want.set(a.id, u.id);
        firstRow.set(a.id, this.ref(r.row));
        this.compRows.set(`${u.id}|#${a.id}`, this.ref(r.row));
        this.touchedUnits.add(u.id);
      }
      for (const a of areas.values()) {
        this.touchedAreas.add(a.id);
        const ref = firstRow.get(a.id);
        if (ref) this.areaRows.set(a.id, ref);
        this.setMapping(a.id, contest.id, want.get(a.id));
      }
    }
  }

  /** Polling areas: the rows are the complete list for each commune named; each area gets its unit per contest. */
  areas(rows: AreaRow[]): void {
    const byCommune = new Map<string, AreaRow[]>();
    for (const r of rows) {
      const commune = this.s.communes.get(r.communeCode);
      if (!commune) {
        this.issueAt('COMMUNE_NOT_FOUND', this.ref(r.row), 'commune_code', { code: r.communeCode, date: this.labels.date(this.s.electionDay) });
        continue;
      }
      if (!this.inScope(commune.province, commune.code)) {
        this.issueAt('OUT_OF_SCOPE', this.ref(r.row), 'commune_code', { code: commune.code, scope: this.o.scope!.code });
        continue;
      }
      const l = byCommune.get(commune.code);
      if (l) l.push(r);
      else byCommune.set(commune.code, [r]);
    }
    // Units by (contest, parent, number) and the commune → unit of province-level contests, once.
    const unitByNumber = new Map<string, UnitRec>();
    const unitsByParent = new Map<string, number>();
    for (const u of this.s.units.values()) {
      unitByNumber.set(`${u.contest}|${u.parentCode}|${u.number}`, u);
      const k = `${u.contest}|${u.parentCode}`;
      unitsByParent.set(k, (unitsByParent.get(k) ?? 0) + 1);
    }
    const singleUnit = new Map<string, UnitRec>();
    for (const u of this.s.units.values()) if (unitsByParent.get(`${u.contest}|${u.parentCode}`) === 1) singleUnit.set(`${u.contest}|${u.parentCode}`, u);
    const communeUnit = new Map<string, string[]>();
    for (const [unitId, communes] of this.s.unitCommunes) {
      const u = this.s.units.get(unitId);
      if (!u) continue;
      for (const c of communes) communeUnit.set(`${u.contest}|${c}`, [...(communeUnit.get(`${u.contest}|${c}`) ?? []), unitId]);
    }
    const areasByCommune = new Map<string, Map<number, AreaRec>>();
    for (const a of this.s.areas.values()) {
      if (!byCommune.has(a.communeCode)) continue;
      let m = areasByCommune.get(a.communeCode);
      if (!m) areasByCommune.set(a.communeCode, (m = new Map()));
      m.set(a.number, a);
    }

    for (const [code, list] of byCommune) {
      const commune = this.s.communes.get(code)!;
      const existing = areasByCommune.get(code) ?? new Map<number, AreaRec>();
      const seen = new Map<number, AreaRow>();
      for (const r of list) {
        const ref = this.ref(r.row);
        if (seen.has(r.number)) {
          this.issueAt('DUPLICATE_ROW', ref, 'area_no', { value: r.number, first: seen.get(r.number)!.row });
          continue;
        }
        seen.set(r.number, r);
        const prev = existing.get(r.number);
        const next: AreaRec = {
          id: prev?.id ?? this.o.newId(), communeCode: code, number: r.number, name: r.name ?? defaultAreaName(r.number), voters: r.voters,
          kind: r.kind, kindReason: r.kindReason, smallReason: r.smallReason, votingDate: r.votingDate, approvalRef: r.approvalRef,
          opens: r.opens ?? this.o.defaultHours.opens, closes: r.closes ?? this.o.defaultHours.closes,
        };
        const changed = !prev || AREA_FIELDS.some((f) => prev[f] !== next[f]);
        if (!prev) {
          this.log.counts.areas.added++;
          this.log.areasNew.add(next.id);
        } else if (changed) this.log.counts.areas.changed++;
        if (changed) this.log.areasUpserted.add(next.id);
        this.s.areas.set(next.id, next);
        this.touchedAreas.add(next.id);
        this.areaRows.set(next.id, ref);

        // The unit of each contest held.
        const mapped = this.s.areaUnits.get(next.id);
        for (const contest of this.s.contests) {
          const column = unitColumnOf(contest);
          const parent = contest.unitLevel === 'province' ? commune.province : code;
          const given = r.units[column];
          const explicit = given ? unitByNumber.get(`${contest.id}|${parent}|${given}`) : undefined;
          if (given && !explicit) {
            this.addRuleIssue({
              code: 'AREA_UNIT_MAPPING', variant: 'unknown', severity: 'error', target: { type: 'polling-area', code: next.id }, field: column,
              params: { area: r.number, commune: commune.name, contest: this.labels.contest(contest.id), unit: given, own: contest.unitLevel === 'province' ? this.s.provinces.get(parent)?.name ?? parent : commune.name },
            }, ref, column);
            continue;
          }
          let want: string | undefined;
          if (contest.unitLevel === 'province') {
            const derived = communeUnit.get(`${contest.id}|${code}`);
            const d = derived && derived.length === 1 ? this.s.units.get(derived[0]) : undefined;
            if (explicit && d && explicit.id !== d.id) {
              this.addRuleIssue({
                code: 'AREA_UNIT_MAPPING', variant: 'mismatch', severity: 'error', target: { type: 'polling-area', code: next.id }, field: column,
                params: { area: r.number, commune: commune.name, contest: this.labels.contest(contest.id), unit: explicit.number, expected: d.number },
              }, ref, column);
              continue;
            }
            want = d?.id ?? explicit?.id;
          } else {
            const keep = mapped?.get(contest.id);
            want = explicit?.id ?? (keep && this.s.units.has(keep) ? keep : singleUnit.get(`${contest.id}|${code}`)?.id);
          }
          this.setMapping(next.id, contest.id, want);
        }
      }
      for (const [n, a] of existing) {
        if (seen.has(n)) continue;
        this.s.areas.delete(a.id);
        this.s.areaUnits.delete(a.id);
        this.log.areasUpserted.delete(a.id);
        this.log.mappings.delete(a.id);
        this.log.areasDeleted.add(a.id);
        this.log.counts.areas.removed++;
      }
    }
  }

  /** A rule issue found while applying rows (with its row), reported like the checker's. */
  private addRuleIssue(i: StructureIssue, ref: RowRef, column?: ColumnId): void {
    const def = STRUCTURE_RULES[i.code];
    const file = this.sink.file;
    this.sink.file = ref.file;
    this.sink.add({ row: ref.row, column: this.colLabel(column ?? i.field, ref), code: i.code, messageKey: ruleMessageKey(i.code, i.variant), params: i.params }, def.severity === 'warning');
    this.sink.file = file;
  }

  /**
   * Runs every rule on the provinces loaded. Problems of records this import touched that block saving become
   * errors on their rows; the rest is the state of the structure after the import (for the summary).
   */
  validate(): { after: StructureIssue[]; blocking: number } {
    // Declared commune counts (the NA list's n_communes) against the compositions.
    for (const [unitId, d] of this.declaredCommunes) {
      const have = this.s.unitCommunes.get(unitId)?.length ?? 0;
      if (have && have !== d.n) this.issueAt('UNIT_COMMUNES_COUNT', d, 'n_communes', { declared: d.n, found: have, unit: this.s.units.get(unitId)?.number ?? '' });
    }
    const after = checkStructure(this.s, { labels: this.labels });
    let blocking = 0;
    for (const i of after) {
      const def = STRUCTURE_RULES[i.code];
      if (!def.blocksSave) continue;
      const refs = this.refsOf(i);
      if (!refs) continue;
      blocking++;
      for (const ref of refs.length ? refs : [undefined]) {
        const f = this.sink.file;
        this.sink.file = ref?.file;
        this.sink.add({
          row: ref?.row, column: ref ? this.colLabel(this.columnFor(i, ref), ref) : undefined, code: i.code,
          messageKey: ruleMessageKey(i.code, i.variant), params: i.params,
        }, def.severity === 'warning');
        this.sink.file = f;
      }
    }
    return { after, blocking };
  }

  private columnFor(i: StructureIssue, ref: RowRef): string {
    if (i.field === 'parent_code') return ref.columns?.index.has('province_code') ? 'province_code' : 'commune_code';
    return i.field;
  }

  /** The rows behind an issue when the import touched its target; undefined when it did not. */
  private refsOf(i: StructureIssue): RowRef[] | undefined {
    const t = i.target;
    if (t.type === 'electoral-unit') {
      if (!this.touchedUnits.has(t.code)) return undefined;
      if (i.ref?.commune) {
        const r = this.compRows.get(`${t.code}|${i.ref.commune}`);
        if (r) return [r];
      }
      if (i.ref?.areaId) {
        const r = this.compRows.get(`${t.code}|#${i.ref.areaId}`) ?? this.areaRows.get(i.ref.areaId);
        if (r) return [r];
      }
      const r = this.unitRows.get(t.code);
      return r ? [r] : [];
    }
    if (t.type === 'polling-area') {
      if (!this.touchedAreas.has(t.code)) return undefined;
      const r = this.areaRows.get(t.code);
      return r ? [r] : [];
    }
    if (i.code === 'UNIT_NUMBERING') {
      const key = [...this.touchedParents].find((k) => k.endsWith(`|${t.code}`));
      if (!key) return undefined;
      const r = this.parentRows.get(key);
      return r ? [r] : [];
    }
    if (i.code === 'COVERAGE_DUPLICATE' && t.type === 'commune') {
      const refs = [...this.touchedCommunes].filter((k) => k.endsWith(`|${t.code}`)).flatMap((k) => this.communeCompRows.get(k) ?? []);
      return refs.length ? refs : undefined;
    }
    return undefined;
  }

  /** Counts for the run summary and its audit event. */
  summary(after: StructureIssue[]) {
    return { changes: this.log.counts, changed: this.log.changed, noChanges: this.log.changed === 0, after: summarise(after) };
  }
}

const AREA_FIELDS = ['name', 'voters', 'kind', 'kindReason', 'smallReason', 'votingDate', 'approvalRef', 'opens', 'closes'] as const;
