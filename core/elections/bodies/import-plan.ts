// Plans a bodies import without I/O: reads the rows of a sheet (every problem with its row and column), finds the
// node of each body (province, commune, electoral unit, polling area) in lookups the service loaded, groups the
// rows into bodies (the body's columns must agree between its rows) and runs the member checks of rule 7 on each.
import type { FieldIssue } from '../../shared/result.js';
import { normalizeName } from '../../shared/vn-text.js';
import type { RawSheet } from '../../admin-tree/tree-file.js';
import type { UnitLevel } from '../../plugin-api/index.js';
import { defaultVariant, phoneValid, type BodyKind, type BodyNode, type MemberRec, type TeamVariant } from './model.js';
import {
  COLUMNS, IMPORT_WARNING_CODES, MAX_ISSUES, NAME_MAX, ROLE_VI, TEXT_MAX, VARIANT_VI, columnOf, kindWords, parseDate, parsePositive,
  parseKind, parseRole, parseVariant, type ColumnId, type ImportIssueCode, type KindCell,
} from './import-format.js';
import { memberIssues, ruleMessageKey, type BodyLabels } from './rules.js';
import type { ContestRef } from './store.js';

/** Collects the issues of one run, capped; counts every error. */
export class IssueSink {
  readonly errors: FieldIssue[] = [];
  readonly warnings: FieldIssue[] = [];
  errorCount = 0;
  truncated = 0;

  add(i: FieldIssue, warning: boolean): void {
    if (!warning) this.errorCount++;
    if (this.errors.length + this.warnings.length >= MAX_ISSUES) {
      this.truncated++;
      return;
    }
    (warning ? this.warnings : this.errors).push(i);
  }

  issue(code: ImportIssueCode, row: number | undefined, column: string | undefined, params: Record<string, string | number> = {}): void {
    this.add({ row, column, code, messageKey: `bodies.issue.${code}`, params }, IMPORT_WARNING_CODES.has(code));
  }

  get hasErrors(): boolean {
    return this.errorCount > 0;
  }
}

export type BodyFieldId = 'decisionNo' | 'decisionDate' | 'issuedBy' | 'formedOn';
const FIELD_COLUMNS: Record<BodyFieldId, ColumnId> = { decisionNo: 'decision_no', decisionDate: 'decision_date', issuedBy: 'issued_by', formedOn: 'formed_on' };

export interface ParsedRow {
  row: number;
  kind: KindCell;
  code: string;
  unitNo: number | null;
  areaNo: number | null;
  variant: TeamVariant | null;
  fields: Record<BodyFieldId, string | null>;
  member: MemberRec | null;
}

export interface Parsed {
  rows: ParsedRow[];
  /** Header text of each column found, for the report. */
  headers: Partial<Record<ColumnId, string>>;
}

/** Reads the rows of a sheet. Problems go to the sink; rows with a problem are left out. */
export function parseSheet(sheet: RawSheet, contests: readonly ContestRef[], sink: IssueSink): Parsed {
  const headers: Partial<Record<ColumnId, string>> = {};
  if (!sheet.rows.length) {
    sink.issue('FILE_EMPTY', undefined, undefined);
    return { rows: [], headers };
  }
  // The header is the first row (of the first ten) that names the kind column and at least two others.
  const headerAt = sheet.rows.slice(0, 10).findIndex((r) => {
    const ids = r.cells.map(columnOf);
    return ids.includes('kind') && ids.filter((x) => x && x !== 'ignored').length >= 3;
  });
  if (headerAt < 0) {
    sink.issue('HEADER_NOT_FOUND', sheet.rows[0].row, undefined, { expected: COLUMNS.filter((c) => c.required).map((c) => c.vi).join(', ') });
    return { rows: [], headers };
  }
  const header = sheet.rows[headerAt];
  const index: Partial<Record<ColumnId, number>> = {};
  header.cells.forEach((h, i) => {
    const id = columnOf(h);
    if (id === 'ignored') return;
    if (!id) return sink.issue('HEADER_UNKNOWN_COLUMN', header.row, h, { column: h });
    if (index[id] !== undefined) return sink.issue('HEADER_DUPLICATE_COLUMN', header.row, h, { column: h });
    index[id] = i;
    headers[id] = h;
  });
  for (const c of COLUMNS) if (c.required && index[c.id] === undefined) sink.issue('HEADER_MISSING_COLUMN', header.row, c.vi, { column: c.vi });
  if (sink.hasErrors) return { rows: [], headers };

  const words = kindWords(contests);
  const out: ParsedRow[] = [];
  for (const raw of sheet.rows.slice(headerAt + 1)) {
    const cell = (id: ColumnId) => (index[id] === undefined ? '' : raw.cells[index[id]!] ?? '');
    const numeric = (id: ColumnId) => index[id] !== undefined && !!raw.numeric[index[id]!];
    const col = (id: ColumnId) => headers[id] ?? COLUMNS.find((c) => c.id === id)?.vi ?? id;
    if (COLUMNS.every((c) => !cell(c.id).trim())) continue;
    const before = sink.errorCount;
    const at = (code: ImportIssueCode, id: ColumnId, params: Record<string, string | number> = {}) => sink.issue(code, raw.row, col(id), params);

    const kindText = cell('kind');
    const kind = kindText ? parseKind(kindText, words) : undefined;
    if (!kindText) at('REQUIRED', 'kind', { column: col('kind') });
    else if (!kind) at('KIND_UNKNOWN', 'kind', { value: kindText });

    // Codes: 2 digits for a province, 5 for a commune; a code typed as a number has lost its leading zeros.
    let code = cell('admin_code').trim();
    if (kind) {
      const level: UnitLevel = kind.kind === 'province-committee' ? 'province' : kind.kind === 'board' ? contests.find((c) => c.id === kind.contest)!.unitLevel : 'commune';
      const width = level === 'province' ? 2 : 5;
      if (!code) at('REQUIRED', 'admin_code', { column: col('admin_code') });
      else if (/^\d+$/.test(code) && code.length < width && numeric('admin_code')) {
        const padded = code.padStart(width, '0');
        at('CODE_PADDED', 'admin_code', { value: code, code: padded });
        code = padded;
      } else if (!new RegExp(`^\\d{${width}}$`).test(code)) at('CODE_FORMAT', 'admin_code', { value: code, width });
    }

    const number = (id: 'unit_no' | 'area_no', needed: boolean): number | null => {
      const t = cell(id).trim();
      if (!t) {
        if (needed) at('REQUIRED', id, { column: col(id) });
        return null;
      }
      const n = parsePositive(t);
      if (n === undefined) at('NUMBER_FORMAT', id, { value: t });
      return n ?? null;
    };
    const unitNo = number('unit_no', kind?.kind === 'board');
    const areaNo = number('area_no', kind?.kind === 'team');

    const variantText = cell('variant');
    const variant = parseVariant(variantText);
    if (variant === undefined) at('VARIANT_UNKNOWN', 'variant', { value: variantText });
    else if (variant && kind && kind.kind !== 'team') at('VARIANT_NOT_TEAM', 'variant', { value: variantText });

    const text = (id: ColumnId, max = TEXT_MAX): string | null => {
      const t = normalizeName(cell(id));
      if (t.length > max) at('TEXT_TOO_LONG', id, { max });
      return t || null;
    };
    const date = (id: ColumnId): string | null => {
      const t = cell(id).trim();
      if (!t) return null;
      const d = parseDate(t);
      if (!d) at('DATE_FORMAT', id, { value: t });
      return d ?? null;
    };
    const fields: Record<BodyFieldId, string | null> = {
      decisionNo: text('decision_no', 100), decisionDate: date('decision_date'), issuedBy: text('issued_by'), formedOn: date('formed_on'),
    };

    let member: MemberRec | null = null;
    const name = text('full_name', NAME_MAX);
    const roleText = cell('role').trim();
    if (name || roleText) {
      const role = roleText ? parseRole(roleText) : undefined;
      if (!name) at('REQUIRED', 'full_name', { column: col('full_name') });
      if (!roleText) at('REQUIRED', 'role', { column: col('role') });
      else if (!role) at('ROLE_UNKNOWN', 'role', { value: roleText, allowed: Object.values(ROLE_VI).join(', ') });
      const phone = text('phone', 30);
      if (phone && !phoneValid(phone)) at('PHONE_FORMAT', 'phone', { value: phone });
      if (name && role) member = { fullName: name, role, organisation: text('organisation'), phone };
    }
    if (sink.errorCount === before && kind) {
      out.push({ row: raw.row, kind, code, unitNo, areaNo, variant: variant ?? null, fields, member });
    }
  }
  return { rows: out, headers };
}

export interface UnitRef {
  id: string;
  contest: string;
  parentLevel: UnitLevel;
  parentCode: string;
  number: number;
}

export interface AreaRef {
  id: string;
  commune: string;
  number: number;
  kind: string;
}

/** What the rows are resolved against: the tree on election day and the units and areas of the codes named. */
export interface Lookup {
  contests: readonly ContestRef[];
  provinces: Map<string, string>;
  communes: Map<string, { name: string; province: string }>;
  /** `${contest}|${parentCode}|${number}`. */
  units: Map<string, UnitRef>;
  /** `${commune}|${number}`. */
  areas: Map<string, AreaRef>;
  scope: { type: 'nation' | 'province' | 'commune'; code: string };
}

export interface PlannedMember {
  rec: MemberRec;
  row: number;
}

export interface PlannedBody {
  /** `${kind}|${node id}`. */
  key: string;
  node: BodyNode;
  kind: BodyKind;
  contest: string | null;
  /** Teams: the commune and the kind of the polling area. */
  communeCode: string | null;
  areaKind: string | null;
  /** Vietnamese label for messages ("Tổ bầu cử khu vực bỏ phiếu số 3, Phường Bến Thành"). */
  label: string;
  firstRow: number;
  fields: Record<BodyFieldId, string | null>;
  variant: TeamVariant | null;
  members: PlannedMember[];
}

/** Labels in Vietnamese for the messages an import stores (the report shows them as they were found). */
export function viLabels(body: string): BodyLabels {
  return {
    body,
    role: (r) => ROLE_VI[r],
    variant: (v) => VARIANT_VI[v],
    areaKind: (k) => k,
    date: (iso) => iso.split('-').reverse().join('/'),
  };
}

/** Resolves and groups parsed rows into bodies; every row problem goes to the sink with its row and column. */
export function planBodies(parsed: Parsed, lk: Lookup, sink: IssueSink): PlannedBody[] {
  const bodies = new Map<string, PlannedBody>();
  const firstOf = new Map<string, Partial<Record<BodyFieldId | 'variant', number>>>();
  const col = (id: ColumnId) => parsed.headers[id] ?? COLUMNS.find((c) => c.id === id)?.vi ?? id;
  const inScope = (province: string, commune?: string) =>
    lk.scope.type === 'nation' || (lk.scope.type === 'province' && lk.scope.code === province) || (lk.scope.type === 'commune' && lk.scope.code === commune);
  for (const r of parsed.rows) {
    const at = (code: ImportIssueCode, id: ColumnId, params: Record<string, string | number> = {}) => sink.issue(code, r.row, col(id), params);
    const outOfScope = () => at('OUT_OF_SCOPE', 'admin_code', { code: r.code, scope: lk.scope.code });
    let node: BodyNode | undefined;
    let label = '';
    let communeCode: string | null = null;
    let areaKind: string | null = null;
    if (r.kind.kind === 'province-committee') {
      const name = lk.provinces.get(r.code);
      if (!name) {
        at('PROVINCE_NOT_FOUND', 'admin_code', { code: r.code });
        continue;
      }
      if (!inScope(r.code)) {
        outOfScope();
        continue;
      }
      node = { kind: 'province-committee', provinceCode: r.code };
      label = `Ủy ban bầu cử ${name}`;
    } else if (r.kind.kind === 'board') {
      const contest = lk.contests.find((c) => c.id === r.kind.contest)!;
      const parent = contest.unitLevel === 'province' ? lk.provinces.get(r.code) : lk.communes.get(r.code)?.name;
      if (!parent) {
        at(contest.unitLevel === 'province' ? 'PROVINCE_NOT_FOUND' : 'COMMUNE_NOT_FOUND', 'admin_code', { code: r.code });
        continue;
      }
      const province = contest.unitLevel === 'province' ? r.code : lk.communes.get(r.code)!.province;
      if (!inScope(province, contest.unitLevel === 'commune' ? r.code : undefined)) {
        outOfScope();
        continue;
      }
      const unit = lk.units.get(`${contest.id}|${r.code}|${r.unitNo}`);
      if (!unit) {
        at('UNIT_NOT_FOUND', 'unit_no', { value: r.unitNo ?? '', parent, contest: contest.shortLabel });
        continue;
      }
      node = { kind: 'board', unitId: unit.id };
      label = `Ban bầu cử ${contest.shortLabel} đơn vị bầu cử số ${unit.number} (${parent})`;
    } else {
      const commune = lk.communes.get(r.code);
      if (!commune) {
        at('COMMUNE_NOT_FOUND', 'admin_code', { code: r.code });
        continue;
      }
      if (!inScope(commune.province, r.code)) {
        outOfScope();
        continue;
      }
      if (r.kind.kind === 'commune-committee') {
        node = { kind: 'commune-committee', communeCode: r.code };
        label = `Ủy ban bầu cử ${commune.name}`;
      } else {
        const area = lk.areas.get(`${r.code}|${r.areaNo}`);
        if (!area) {
          at('AREA_NOT_FOUND', 'area_no', { value: r.areaNo ?? '', commune: commune.name });
          continue;
        }
        node = { kind: 'team', areaId: area.id };
        label = `Tổ bầu cử khu vực bỏ phiếu số ${area.number} (${commune.name})`;
        communeCode = r.code;
        areaKind = area.kind;
      }
    }
    const key = `${node.kind}|${'provinceCode' in node ? node.provinceCode : 'communeCode' in node ? node.communeCode : 'unitId' in node ? node.unitId : node.areaId}`;
    let b = bodies.get(key);
    if (!b) {
      b = {
        key, node, kind: node.kind, contest: r.kind.contest ?? null, communeCode, areaKind, label, firstRow: r.row,
        fields: { decisionNo: null, decisionDate: null, issuedBy: null, formedOn: null }, variant: null, members: [],
      };
      bodies.set(key, b);
      firstOf.set(key, {});
    }
    // The body's columns: blank cells say nothing; two different values for one body are a conflict.
    const first = firstOf.get(key)!;
    for (const f of Object.keys(FIELD_COLUMNS) as BodyFieldId[]) {
      const v = r.fields[f];
      if (v === null) continue;
      if (b.fields[f] === null) {
        b.fields[f] = v;
        first[f] = r.row;
      } else if (b.fields[f] !== v) at('CONFLICT', FIELD_COLUMNS[f], { value: v, other: b.fields[f]!, first: first[f]! });
    }
    if (r.variant) {
      if (b.variant === null) {
        b.variant = r.variant;
        first.variant = r.row;
      } else if (b.variant !== r.variant) at('CONFLICT', 'variant', { value: VARIANT_VI[r.variant], other: VARIANT_VI[b.variant], first: first.variant! });
    }
    if (r.member) b.members.push({ rec: r.member, row: r.row });
  }
  for (const b of bodies.values()) {
    if (b.kind === 'team' && !b.variant) b.variant = defaultVariant(b.areaKind);
    for (const i of memberIssues(b.kind, b.members.map((m) => m.rec), viLabels(b.label))) {
      const m = i.member !== undefined ? b.members[i.member] : undefined;
      sink.add({ row: m?.row ?? b.firstRow, column: col(i.field === 'fullName' ? 'full_name' : 'role'), code: i.code, messageKey: ruleMessageKey(i.code), params: i.params }, i.severity === 'warning');
    }
  }
  return [...bodies.values()];
}
