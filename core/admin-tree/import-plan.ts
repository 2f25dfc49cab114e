// Validates an import file row by row against the tree (collecting EVERY problem with its row and column) and,
// while doing so, plans the changes on an in-memory TreeModel. Pure: no I/O. The caller writes the model's dirty
// rows only when there is no error — all or nothing.
import type { FieldIssue } from '../shared/result.js';
import { normalizeName } from '../shared/vn-text.js';
import type { AdminLevel, AdminType } from './admin-unit.entity.js';
import type { RawRow, RawSheet } from './tree-file.js';
import { TreeModel, type SetOutcome, type UnitValues } from './tree-model.js';
import {
  CODE_WIDTH, ENGLISH_HEADER, KIND_COLUMNS, MAX_ISSUES, NAME_MAX, TYPE_ALLOWED_TEXT, TYPE_PREFIX, WARNING_CODES,
  columnOf, detectKind, isIsoDate, nameMatchesType, parseLevel, parseType,
  type ColumnId, type ImportKind, type IssueCode,
} from './import-format.js';

export const NATION: UnitValues = { code: 'VN', level: 'nation', parentCode: null, name: 'Việt Nam', type: 'quốc gia' };

export interface DeclaredCounts {
  total?: number;
  xa?: number;
  phuong?: number;
  dac_khu?: number;
}

export type Counter = Record<SetOutcome, number>;
export type Changes = Record<AdminLevel, Counter>;

export interface PlanInput {
  sheet: RawSheet;
  model: TreeModel;
  /** Date the provinces/communes lists take effect (amendments carry their own date per row). */
  effectiveDate: string;
  importRunId: string;
  /** Counts declared by the latest provinces list at this date (checked against a communes file). */
  declared?: Record<string, DeclaredCounts>;
  /** Called every PROGRESS_STEP rows validated. */
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
}

export interface PlanResult {
  kind?: ImportKind;
  header?: string[];
  headerRow?: number;
  rowsTotal: number;
  rowsOk: number;
  errors: FieldIssue[];
  warnings: FieldIssue[];
  /** Blocking problems found (also those beyond the report's cap). */
  errorCount: number;
  /** Issues not kept in the report (more than MAX_ISSUES). */
  truncated: number;
  changes: Changes;
  /** Counts per province from a provinces file (kept in the import summary for a later communes import). */
  declared?: Record<string, DeclaredCounts>;
  /** Effective dates the import touched. */
  dates: string[];
}

export const PROGRESS_STEP = 200;

const emptyCounter = (): Counter => ({ added: 0, changed: 0, corrected: 0, unchanged: 0 });
export const emptyChanges = (): Changes => ({ nation: emptyCounter(), province: emptyCounter(), commune: emptyCounter() });

const eqName = (a: string, b: string) => normalizeName(a).toLowerCase() === normalizeName(b).toLowerCase();
const typeLabel = (t: AdminType, level: AdminLevel) => (level === 'province' && t === 'thành phố' ? 'thành phố trực thuộc trung ương' : t);

/** Collects issues with a cap; a row with any error is not "ok". */
class Issues {
  readonly errors: FieldIssue[] = [];
  readonly warnings: FieldIssue[] = [];
  readonly badRows = new Set<number>();
  errorCount = 0;
  truncated = 0;

  add(code: IssueCode, at: { row?: number; column?: string }, params?: Record<string, string | number>, messageKey?: string): void {
    const warning = WARNING_CODES.has(code);
    if (!warning) {
      this.errorCount++;
      if (at.row !== undefined) this.badRows.add(at.row);
    }
    if (this.errors.length + this.warnings.length >= MAX_ISSUES) {
      this.truncated++;
      return;
    }
    (warning ? this.warnings : this.errors).push({ ...at, code, messageKey: messageKey ?? `import.issue.${code}`, params });
  }

  get hasErrors(): boolean {
    return this.errorCount > 0;
  }
}

export function planImport(input: PlanInput): PlanResult {
  const issues = new Issues();
  const changes = emptyChanges();
  const base = (): PlanResult => ({
    rowsTotal: 0, rowsOk: 0, errors: issues.errors, warnings: issues.warnings, errorCount: issues.errorCount, truncated: issues.truncated, changes, dates: [],
  });
  const rows = input.sheet.rows;
  if (rows.length === 0) {
    issues.add('FILE_EMPTY', {});
    return base();
  }

  // The header: the first of the first 10 rows that names our columns (a title line above it is tolerated).
  let headerIdx = -1;
  let kind: ImportKind | undefined;
  for (let i = 0; i < Math.min(10, rows.length) && headerIdx < 0; i++) {
    const ids = new Set(rows[i].cells.map(columnOf).filter((c): c is ColumnId => !!c && c !== 'ignored'));
    kind = detectKind(ids);
    if (kind) headerIdx = i;
  }
  if (!kind) {
    issues.add('HEADER_UNKNOWN_KIND', { row: rows[0].row }, { found: rows[0].cells.join(', ').slice(0, 200) });
    return base();
  }
  const header = rows[headerIdx];
  const allowed = new Set(KIND_COLUMNS[kind].map((c) => c.id));
  const colIndex = new Map<ColumnId, number>();
  const colLabel = new Map<ColumnId, string>();
  header.cells.forEach((h, i) => {
    const id = columnOf(h);
    if (id === 'ignored') return;
    if (!id || !allowed.has(id)) {
      issues.add('HEADER_UNKNOWN_COLUMN', { row: header.row, column: h }, { column: h });
      return;
    }
    if (colIndex.has(id)) {
      issues.add('HEADER_DUPLICATE_COLUMN', { row: header.row, column: h }, { column: h });
      return;
    }
    colIndex.set(id, i);
    colLabel.set(id, h);
  });
  for (const c of KIND_COLUMNS[kind]) {
    if (c.required && !colIndex.has(c.id)) {
      issues.add('HEADER_MISSING_COLUMN', { row: header.row, column: c.vi }, { column: `${c.vi} / ${ENGLISH_HEADER[c.id]}` });
    }
  }
  const data = rows.slice(headerIdx + 1);
  const result = (): PlanResult => ({
    kind, header: header.cells, headerRow: header.row, rowsTotal: data.length,
    rowsOk: data.length - [...issues.badRows].filter((r) => r !== header.row).length,
    errors: issues.errors, warnings: issues.warnings, errorCount: issues.errorCount, truncated: issues.truncated, changes, dates: [],
  });
  // Rows cannot be read reliably under a wrong header: report the header alone.
  if (issues.hasErrors) return { ...result(), rowsOk: 0 };
  if (data.length === 0) {
    issues.add('FILE_EMPTY', {});
    return result();
  }
  if (data.length > 200_000) {
    issues.add('FILE_TOO_MANY_ROWS', {}, { max: 200_000 });
    return result();
  }

  const ctx = new RowReader(header, colIndex, colLabel, issues, input.sheet.format);
  const progress = (i: number) => {
    if (input.onProgress && (i % PROGRESS_STEP === 0 || i === data.length)) input.onProgress(i, data.length);
  };
  if (kind === 'provinces') {
    const declared = planProvinces(data, ctx, input, changes, progress);
    return { ...result(), declared, dates: [input.effectiveDate] };
  }
  if (kind === 'communes') {
    planCommunes(data, ctx, input, changes, progress);
    return { ...result(), dates: [input.effectiveDate] };
  }
  const dates = planAmendments(data, ctx, input, changes, progress);
  return { ...result(), dates };
}

/** Reads typed values out of a row, reporting each problem at its row and column (as the file names it). */
class RowReader {
  readonly headerLen: number;
  constructor(
    header: RawRow,
    private readonly idx: Map<ColumnId, number>,
    private readonly label: Map<ColumnId, string>,
    readonly issues: Issues,
    private readonly format: 'csv' | 'xlsx',
  ) {
    this.headerLen = header.cells.length;
  }

  col(id: ColumnId): string {
    return this.label.get(id) ?? ENGLISH_HEADER[id];
  }

  has(id: ColumnId): boolean {
    return this.idx.has(id);
  }

  raw(r: RawRow, id: ColumnId): string {
    const i = this.idx.get(id);
    return i === undefined ? '' : (r.cells[i] ?? '');
  }

  add(code: IssueCode, r: RawRow, id: ColumnId | undefined, params?: Record<string, string | number>, messageKey?: string): void {
    this.issues.add(code, { row: r.row, column: id ? this.col(id) : undefined }, params, messageKey);
  }

  /** Too few cells (CSV) or values beyond the last header column. */
  checkShape(r: RawRow): void {
    const extra = r.cells.slice(this.headerLen).some((c) => c !== '');
    const short = this.format === 'csv' && r.cells.length < this.headerLen;
    if (extra || short) this.add('ROW_COLUMN_COUNT', r, undefined, { found: r.cells.length, expected: this.headerLen });
  }

  code(r: RawRow, id: ColumnId, level: 'province' | 'commune'): string | undefined {
    const raw = this.raw(r, id);
    if (raw === '') {
      this.add('REQUIRED', r, id);
      return undefined;
    }
    const width = CODE_WIDTH[level];
    let v = raw;
    const i = this.idx.get(id)!;
    // Excel turns "01" typed in a General cell into the number 1; the code space is fixed-width digits, so padding
    // restores it unambiguously — reported as a warning so the sheet gets fixed.
    if (r.numeric[i] && /^\d+$/.test(raw) && raw.length < width) {
      v = raw.padStart(width, '0');
      this.add('CODE_PADDED', r, id, { value: raw, padded: v });
    }
    if (!new RegExp(`^\\d{${width}}$`).test(v)) {
      this.add(level === 'province' ? 'PROVINCE_CODE_FORMAT' : 'COMMUNE_CODE_FORMAT', r, id, { value: raw });
      return undefined;
    }
    return v;
  }

  name(r: RawRow, id: ColumnId, required = true): string | undefined {
    const v = normalizeName(this.raw(r, id));
    if (v === '') {
      if (required) this.add('NAME_EMPTY', r, id);
      return undefined;
    }
    if (v.length > NAME_MAX) {
      this.add('NAME_TOO_LONG', r, id, { length: v.length, max: NAME_MAX });
      return undefined;
    }
    return v;
  }

  type(r: RawRow, id: ColumnId, level: 'province' | 'commune', required = true): AdminType | undefined {
    const raw = this.raw(r, id);
    if (raw === '') {
      if (required) this.add('REQUIRED', r, id);
      return undefined;
    }
    const t = parseType(raw, level);
    if (!t) this.add('TYPE_UNKNOWN', r, id, { value: raw, allowed: TYPE_ALLOWED_TEXT[level] });
    return t;
  }

  nameType(r: RawRow, id: ColumnId, name: string | undefined, type: AdminType | undefined, level: AdminLevel): void {
    if (name && type && !nameMatchesType(name, type)) {
      this.add('NAME_TYPE_MISMATCH', r, id, { value: name, type: typeLabel(type, level), prefix: TYPE_PREFIX[type] });
    }
  }

  count(r: RawRow, id: ColumnId): number | undefined {
    if (!this.has(id)) return undefined;
    const raw = this.raw(r, id);
    if (raw === '') return undefined;
    if (!/^\d{1,6}$/.test(raw)) {
      this.add('COUNT_FORMAT', r, id, { value: raw });
      return undefined;
    }
    return Number(raw);
  }
}

function tally(changes: Changes, level: AdminLevel, o: SetOutcome): void {
  changes[level][o]++;
}

function planProvinces(
  data: RawRow[], rd: RowReader, input: PlanInput, changes: Changes, progress: (i: number) => void,
): Record<string, DeclaredCounts> {
  const E = input.effectiveDate;
  const seen = new Map<string, number>();
  const good: { r: RawRow; code: string; name: string; type: AdminType; counts: DeclaredCounts }[] = [];
  const declared: Record<string, DeclaredCounts> = {};
  data.forEach((r, i) => {
    rd.checkShape(r);
    const code = rd.code(r, 'province_code', 'province');
    const name = rd.name(r, 'province_name');
    const type = rd.type(r, 'province_type', 'province');
    rd.nameType(r, 'province_name', name, type, 'province');
    const counts: DeclaredCounts = {
      total: rd.count(r, 'communes_total'), xa: rd.count(r, 'xa'), phuong: rd.count(r, 'phuong'), dac_khu: rd.count(r, 'dac_khu'),
    };
    if (counts.total !== undefined && counts.xa !== undefined && counts.phuong !== undefined && counts.dac_khu !== undefined) {
      const sum = counts.xa + counts.phuong + counts.dac_khu;
      if (sum !== counts.total) rd.add('COUNT_SUM_MISMATCH', r, 'communes_total', { total: counts.total, sum });
    }
    if (code) {
      const first = seen.get(code);
      if (first !== undefined) rd.add('DUPLICATE_CODE', r, 'province_code', { value: code, firstRow: first });
      else seen.set(code, r.row);
    }
    if (code && name && type && !rd.issues.badRows.has(r.row)) {
      good.push({ r, code, name, type, counts });
      declared[code] = counts;
    }
    progress(i + 1);
  });
  if (rd.issues.hasErrors) return declared;
  tally(changes, 'nation', input.model.set(NATION, E, input.importRunId));
  for (const g of good) {
    tally(changes, 'province', input.model.set({ code: g.code, level: 'province', parentCode: NATION.code, name: g.name, type: g.type }, E, input.importRunId));
  }
  // Declared counts against the communes already known at this date (a warning: the commune list is the record).
  const actual = communeCounts(input.model, E);
  for (const g of good) {
    const a = actual.get(g.code);
    if (!a) continue;
    for (const [id, key] of [['communes_total', 'total'], ['xa', 'xa'], ['phuong', 'phuong'], ['dac_khu', 'dac_khu']] as const) {
      const d = g.counts[key];
      if (d !== undefined && d !== a[key]) {
        rd.add('COUNT_MISMATCH', g.r, id, { province: g.name, type: COUNT_LABEL[key], declared: d, actual: a[key] });
      }
    }
  }
  return declared;
}

const COUNT_LABEL: Record<keyof DeclaredCounts, string> = { total: 'đơn vị cấp xã', xa: 'xã', phuong: 'phường', dac_khu: 'đặc khu' };

function communeCounts(model: TreeModel, date: string): Map<string, Required<DeclaredCounts>> {
  const m = new Map<string, Required<DeclaredCounts>>();
  for (const v of model.unitsAt(date)) {
    if (v.level !== 'commune' || !v.parentCode) continue;
    let c = m.get(v.parentCode);
    if (!c) m.set(v.parentCode, (c = { total: 0, xa: 0, phuong: 0, dac_khu: 0 }));
    c.total++;
    if (v.type === 'xã') c.xa++;
    else if (v.type === 'phường') c.phuong++;
    else if (v.type === 'đặc khu') c.dac_khu++;
  }
  return m;
}

interface CommuneRow {
  r: RawRow;
  pc?: string;
  cc?: string;
  name?: string;
  type?: AdminType;
  pName?: string;
  pType?: AdminType;
}

function planCommunes(data: RawRow[], rd: RowReader, input: PlanInput, changes: Changes, progress: (i: number) => void): void {
  const E = input.effectiveDate;
  const model = input.model;
  const seen = new Map<string, number>();
  const parsed: CommuneRow[] = [];
  data.forEach((r, i) => {
    rd.checkShape(r);
    const row: CommuneRow = { r };
    row.pc = rd.code(r, 'province_code', 'province');
    row.cc = rd.code(r, 'commune_code', 'commune');
    row.name = rd.name(r, 'commune_name');
    row.type = rd.type(r, 'commune_type', 'commune');
    rd.nameType(r, 'commune_name', row.name, row.type, 'commune');
    if (rd.has('province_name')) row.pName = rd.name(r, 'province_name', false);
    if (rd.has('province_type')) row.pType = rd.type(r, 'province_type', 'province', false);
    if (row.cc) {
      const first = seen.get(row.cc);
      if (first !== undefined) rd.add('DUPLICATE_CODE', r, 'commune_code', { value: row.cc, firstRow: first });
      else seen.set(row.cc, r.row);
    }
    parsed.push(row);
    progress(i + 1);
  });

  // Parent provinces: in the database at this date, or described by the rows themselves (province name + type).
  const byProvince = new Map<string, CommuneRow[]>();
  for (const p of parsed) if (p.pc) (byProvince.get(p.pc) ?? byProvince.set(p.pc, []).get(p.pc)!).push(p);
  const newProvinces: UnitValues[] = [];
  for (const [pc, group] of byProvince) {
    const db = model.at(pc, E);
    if (db && db.level === 'province') {
      for (const p of group) {
        if (p.pName && !eqName(p.pName, db.name)) rd.add('PROVINCE_NAME_MISMATCH', p.r, 'province_name', { value: p.pName, code: pc, expected: db.name });
        if (p.pType && p.pType !== db.type) {
          rd.add('PROVINCE_TYPE_MISMATCH', p.r, 'province_type', { value: typeLabel(p.pType, 'province'), code: pc, expected: typeLabel(db.type, 'province') });
        }
      }
      continue;
    }
    const def = group.find((p) => p.pName && p.pType);
    if (!def) {
      for (const p of group) rd.add('PROVINCE_NOT_FOUND', p.r, 'province_code', { value: pc, date: E });
      continue;
    }
    rd.nameType(def.r, 'province_name', def.pName, def.pType, 'province');
    for (const p of group) {
      if (p === def) continue;
      if (p.pName && !eqName(p.pName, def.pName!)) {
        rd.add('PROVINCE_NAME_MISMATCH', p.r, 'province_name', { value: p.pName, code: pc, expected: def.pName!, firstRow: def.r.row }, 'import.issue.PROVINCE_NAME_MISMATCH_ROW');
      }
      if (p.pType && p.pType !== def.pType) {
        rd.add('PROVINCE_TYPE_MISMATCH', p.r, 'province_type', { value: typeLabel(p.pType, 'province'), code: pc, expected: typeLabel(def.pType!, 'province'), firstRow: def.r.row }, 'import.issue.PROVINCE_TYPE_MISMATCH_ROW');
      }
    }
    newProvinces.push({ code: pc, level: 'province', parentCode: NATION.code, name: def.pName!, type: def.pType! });
  }

  // A commune code is national: one already filed under another province cannot move by import.
  for (const p of parsed) {
    if (!p.cc || !p.pc) continue;
    const other = model.versions(p.cc).find((v) => v.level === 'commune' && v.parentCode !== p.pc);
    if (other) {
      const op = other.parentCode ? model.at(other.parentCode, E) ?? model.versions(other.parentCode).at(-1) : undefined;
      rd.add('COMMUNE_CODE_OTHER_PROVINCE', p.r, 'commune_code', {
        value: p.cc, name: other.name, other: op ? `${op.name} (${other.parentCode})` : String(other.parentCode), province: p.pc,
      });
    }
  }
  if (rd.issues.hasErrors) return;

  tally(changes, 'nation', model.set(NATION, E, input.importRunId));
  for (const np of newProvinces) tally(changes, 'province', model.set(np, E, input.importRunId));
  for (const p of parsed) {
    tally(changes, 'commune', model.set({ code: p.cc!, level: 'commune', parentCode: p.pc!, name: p.name!, type: p.type! }, E, input.importRunId));
  }
  // The provinces list's declared counts against the resulting tree (warning; see docs/admin-tree-import.md).
  if (input.declared) {
    const actual = communeCounts(model, E);
    for (const pc of byProvince.keys()) {
      const d = input.declared[pc];
      const a = actual.get(pc) ?? { total: 0, xa: 0, phuong: 0, dac_khu: 0 };
      if (!d) continue;
      const pname = model.at(pc, E)?.name ?? pc;
      for (const key of ['total', 'xa', 'phuong', 'dac_khu'] as const) {
        if (d[key] !== undefined && d[key] !== a[key]) {
          rd.issues.add('COUNT_MISMATCH', {}, { province: pname, type: COUNT_LABEL[key], declared: d[key]!, actual: a[key] });
        }
      }
    }
  }
}

interface AmendRow {
  r: RawRow;
  level: 'province' | 'commune';
  code: string;
  date: string;
  nameBefore: string;
  typeBefore: AdminType;
  nameAfter: string;
  typeAfter: AdminType;
}

function planAmendments(data: RawRow[], rd: RowReader, input: PlanInput, changes: Changes, progress: (i: number) => void): string[] {
  const model = input.model;
  const seen = new Map<string, number>();
  const good: AmendRow[] = [];
  data.forEach((r, i) => {
    rd.checkShape(r);
    const before = rd.issues.errorCount;
    const levelRaw = rd.raw(r, 'level');
    const level = levelRaw === '' ? undefined : parseLevel(levelRaw);
    if (levelRaw === '') rd.add('REQUIRED', r, 'level');
    else if (!level) rd.add('LEVEL_UNKNOWN', r, 'level', { value: levelRaw });
    const code = level ? rd.code(r, 'code', level) : undefined;
    const dateRaw = rd.raw(r, 'effective_date');
    // The reference file writes "2026-04-30 (per … README; not independently verified)": the date is the first 10 characters.
    const date = dateRaw.slice(0, 10);
    if (dateRaw === '') rd.add('REQUIRED', r, 'effective_date');
    else if (!isIsoDate(date)) rd.add('DATE_FORMAT', r, 'effective_date', { value: dateRaw.slice(0, 40) });
    const lv = level ?? 'commune';
    const nameBefore = rd.name(r, 'name_before');
    const nameAfter = rd.name(r, 'name_after');
    const typeBefore = level ? rd.type(r, 'type_before', lv) : undefined;
    const typeAfter = level ? rd.type(r, 'type_after', lv) : undefined;
    rd.nameType(r, 'name_after', nameAfter, typeAfter, lv);
    if (code && isIsoDate(date)) {
      const key = `${code}@${date}`;
      const first = seen.get(key);
      if (first !== undefined) rd.add('DUPLICATE_CODE', r, 'code', { value: code, firstRow: first });
      else seen.set(key, r.row);
    }
    if (rd.issues.errorCount === before && level && code && nameBefore && nameAfter && typeBefore && typeAfter) {
      good.push({ r, level, code, date, nameBefore, typeBefore, nameAfter, typeAfter });
    }
    progress(i + 1);
  });

  // Applied in date order on the model, so a later row sees an earlier one's result.
  const ordered = [...good].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.r.row - b.r.row));
  for (const a of ordered) {
    const cur = model.at(a.code, a.date);
    if (!cur || cur.level !== a.level) {
      rd.add('AMEND_UNIT_NOT_FOUND', a.r, 'code', { value: a.code, date: a.date });
      continue;
    }
    if (eqName(cur.name, a.nameAfter) && cur.type === a.typeAfter) {
      tally(changes, a.level, 'unchanged'); // already applied (a re-import)
      continue;
    }
    if (eqName(a.nameBefore, a.nameAfter) && a.typeBefore === a.typeAfter) {
      rd.add('AMEND_NO_CHANGE', a.r, 'name_after', { value: a.nameAfter });
      tally(changes, a.level, 'unchanged');
      continue;
    }
    let ok = true;
    if (!eqName(a.nameBefore, cur.name)) {
      rd.add('AMEND_BEFORE_NAME_MISMATCH', a.r, 'name_before', { value: a.nameBefore, expected: cur.name, date: a.date });
      ok = false;
    }
    if (a.typeBefore !== cur.type) {
      rd.add('AMEND_BEFORE_TYPE_MISMATCH', a.r, 'type_before', { value: typeLabel(a.typeBefore, a.level), expected: typeLabel(cur.type, a.level), date: a.date });
      ok = false;
    }
    if (cur.validFrom === a.date) {
      rd.add('AMEND_DATE_NOT_AFTER', a.r, 'effective_date', { date: a.date, from: cur.validFrom });
      ok = false;
    }
    if (!ok) continue;
    tally(changes, a.level, model.set({ code: cur.code, level: cur.level, parentCode: cur.parentCode, name: a.nameAfter, type: a.typeAfter }, a.date, input.importRunId));
  }
  return [...new Set(good.map((g) => g.date))].sort();
}
