// Plans a candidate import without I/O: reads the rows of a sheet through a column mapping (every problem with its
// row and column), resolves each row's contest, council and electoral unit in lookups the service loaded, checks
// rule 12 (age on election day) and rule 17 (one unit per person in a contest), and turns each row into the
// candidate record to write, with a fingerprint so that a re-import of the same row changes nothing.
import { createHash } from 'node:crypto';
import type { FieldIssue } from '../../shared/result.js';
import { normalizeName, searchKey } from '../../shared/vn-text.js';
import type { RawSheet } from '../../admin-tree/tree-file.js';
import type { ContestTypeDef } from '../../plugin-api/contest-type.js';
import { ballotSortKey } from './ballot-order.js';
import { parseIsoDate, parseVnDate, fullDate } from './dates.js';
import { checkCandidateAge, checkDuplicateCandidates, filingBody } from './rules.js';
import { parseGender, parseTerms } from './statistics.js';
import {
  COLUMNS, columnOf, councilIncumbent, isNone, parseContest, parseNomination, parseStatus, parseYesNo, placeKey, sittingNaTerm,
  type ColumnId, type ImportStatus, type Mapping,
} from './import-format.js';

export const MAX_ISSUES = 1000;

/** Collects the issues of one run, capped; counts every error. */
export class IssueSink {
  readonly errors: FieldIssue[] = [];
  readonly warnings: FieldIssue[] = [];
  errorCount = 0;
  truncated = 0;

  add(i: FieldIssue, warning = false): void {
    if (!warning) this.errorCount++;
    if (this.errors.length + this.warnings.length >= MAX_ISSUES) {
      this.truncated++;
      return;
    }
    (warning ? this.warnings : this.errors).push(i);
  }

  issue(code: string, row: number | undefined, column: string | undefined, params: Record<string, string | number> = {}, warning = false): void {
    this.add({ row, column, code, messageKey: `candidate-lists.issue.${code}`, params }, warning);
  }

  get hasErrors(): boolean {
    return this.errorCount > 0;
  }
}

export interface UnitRef {
  id: string;
  contest: string;
  parentCode: string;
  number: number;
  seats: number;
}

export interface Lookup {
  electionDay: string;
  contests: Map<string, ContestTypeDef>;
  /** Province code → name, and placeKey(name) → code. */
  provinces: Map<string, string>;
  provinceByKey: Map<string, string>;
  /** Commune code → province code. */
  communes: Map<string, string>;
  /** Units by "contest|parent code|number" and, for units outside the tree (2021), "contest|placeKey(label)|number". */
  units: Map<string, UnitRef>;
  /** Import scope: the nation, or a province / commune the rows must stay in. */
  scope: { type: 'nation' | 'province' | 'commune'; code: string };
}

/** A candidate as the import writes it (column names of the candidate table). */
export interface CandidateRecord {
  contest: string;
  council_code: string;
  external_ref: string;
  full_name: string;
  other_name: string | null;
  name_key: string;
  sort_key: string;
  gender: 'male' | 'female';
  date_of_birth: string | null;
  date_of_birth_text: string;
  ethnicity: string;
  religion: string | null;
  hometown: string | null;
  education: Record<string, string>;
  occupation: string | null;
  workplace: string | null;
  party_member: boolean;
  party_joined_on: string | null;
  incumbent_na: boolean;
  incumbent_council: boolean;
  deputy_terms: string | null;
  nominated_by: 'central' | 'local' | 'self';
  nominating_body: string | null;
  filing_body_code: string;
  status: ImportStatus;
  unit_id: string | null;
  details: Record<string, unknown>;
}

export interface PlannedRow {
  row: number;
  rec: CandidateRecord;
  /** sha256 of the record: equal fingerprints = nothing to change. */
  hash: string;
}

export interface Parsed {
  rows: { row: number; cell: (id: ColumnId) => string }[];
  headers: Partial<Record<ColumnId, string>>;
}

/** Header row (first of the first ten rows that names the name column and three others) and the rows under it. */
export function parseSheet(sheet: RawSheet, mapping: Mapping, sink: IssueSink): Parsed {
  const headers: Partial<Record<ColumnId, string>> = {};
  if (!sheet.rows.length) {
    sink.issue('FILE_EMPTY', undefined, undefined);
    return { rows: [], headers };
  }
  const headerAt = sheet.rows.slice(0, 10).findIndex((r) => {
    const ids = r.cells.map((h) => columnOf(h, mapping));
    return ids.includes('full_name') && ids.filter((x) => x && x !== 'ignored').length >= 4;
  });
  if (headerAt < 0) {
    sink.issue('HEADER_NOT_FOUND', sheet.rows[0].row, undefined, { expected: COLUMNS.filter((c) => c.required).map((c) => c.vi).join(', ') });
    return { rows: [], headers };
  }
  const header = sheet.rows[headerAt];
  const index: Partial<Record<ColumnId, number>> = {};
  header.cells.forEach((h, i) => {
    if (!h.trim()) return;
    const id = columnOf(h, mapping);
    if (id === 'ignored') return;
    if (!id) return sink.issue('HEADER_UNKNOWN_COLUMN', header.row, h, { column: h });
    if (index[id] !== undefined) return sink.issue('HEADER_DUPLICATE_COLUMN', header.row, h, { column: h });
    index[id] = i;
    headers[id] = h;
  });
  for (const c of COLUMNS) {
    if (!c.required || index[c.id] !== undefined) continue;
    if (c.id === 'external_ref' && mapping.ref) continue;
    if (c.id === 'contest' && mapping.contest) continue;
    sink.issue('HEADER_MISSING_COLUMN', header.row, c.vi, { column: c.vi });
  }
  if (sink.hasErrors) return { rows: [], headers };
  const rows: Parsed['rows'] = [];
  for (const raw of sheet.rows.slice(headerAt + 1)) {
    const cell = (id: ColumnId) => (index[id] === undefined ? '' : raw.cells[index[id]!] ?? '');
    if (COLUMNS.every((c) => !cell(c.id).trim())) continue;
    rows.push({ row: raw.row, cell });
  }
  return { rows, headers };
}

const text = (s: string, max = 500): string | null => {
  const t = normalizeName(s);
  return t ? t.slice(0, max) : null;
};
const isoOf = (d: { year: number; month: number; day: number }) =>
  `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;

/** Each row → a candidate record, or issues. Rows with an issue are left out (the run is then rejected anyway). */
export function planRows(parsed: Parsed, mapping: Mapping, lk: Lookup, sink: IssueSink): PlannedRow[] {
  const col = (id: ColumnId) => parsed.headers[id] ?? COLUMNS.find((c) => c.id === id)!.vi;
  const out: PlannedRow[] = [];
  const refs = new Map<string, number>();
  const sitting = sittingNaTerm(lk.electionDay);
  for (const { row, cell } of parsed.rows) {
    const before = sink.errorCount;
    const at = (code: string, id: ColumnId, params: Record<string, string | number> = {}) => sink.issue(code, row, col(id), params);
    const req = (id: ColumnId): string => {
      const v = normalizeName(cell(id));
      if (!v) at('REQUIRED', id, { column: col(id) });
      return v;
    };

    const ref = mapping.ref ? mapping.ref(cell) : req('external_ref');
    if (ref) {
      const first = refs.get(ref);
      if (first !== undefined) at('DUPLICATE_REF', mapping.ref ? 'full_name' : 'external_ref', { ref, first });
      else refs.set(ref, row);
    }
    const contestText = mapping.contest ?? req('contest');
    const contestId = contestText ? (mapping.contest ?? parseContest(contestText)) : undefined;
    const contest = contestId ? lk.contests.get(contestId) : undefined;
    if (contestText && !contestId) at('CONTEST_UNKNOWN', 'contest', { value: contestText });
    else if (contestId && !contest) at('CONTEST_NOT_HELD', 'contest', { value: contestText });

    const fullName = req('full_name');
    if (fullName.length > 120) at('TOO_LONG', 'full_name', { max: 120 });
    const genderText = req('gender');
    const gender = genderText ? parseGender(genderText) : undefined;
    if (genderText && !gender) at('GENDER_UNKNOWN', 'gender', { value: genderText });
    const ethnicity = req('ethnicity');

    // Rule 12: the date of birth must show the candidate is 21 on election day.
    const dobText = req('date_of_birth');
    let dobIso: string | null = null;
    if (dobText) {
      const dob = parseIsoDate(dobText) ?? parseVnDate(dobText);
      if (!dob) at('CANDIDATE_DOB_INVALID', 'date_of_birth', { value: dobText });
      else {
        const full = fullDate(dob);
        dobIso = full ? isoOf(full) : null;
        for (const x of checkCandidateAge(dobText, lk.electionDay)) sink.add({ row, column: col('date_of_birth'), code: x.code, messageKey: x.messageKey, params: x.params }, x.severity === 'warning');
      }
    }

    const partyText = normalizeName(cell('party_joined'));
    let partyJoined: string | null = null;
    if (!isNone(partyText)) {
      const d = parseIsoDate(partyText) ?? parseVnDate(partyText);
      if (!d) at('DATE_INVALID', 'party_joined', { value: partyText });
      else partyJoined = fullDate(d) ? isoOf(fullDate(d)!) : null;
    }

    const nominationText = normalizeName(cell('nominated_by'));
    let route = nominationText ? parseNomination(nominationText) : undefined;
    if (nominationText && !route) at('NOMINATION_UNKNOWN', 'nominated_by', { value: nominationText });
    else if (!nominationText) {
      if (mapping.nominationUnknown) route = 'local';
      else at('REQUIRED', 'nominated_by', { column: col('nominated_by') });
    }
    if (route === 'central' && contest && contest.id !== 'national-assembly') at('NOMINATION_CENTRAL_NA_ONLY', 'nominated_by', { value: nominationText });

    const statusText = normalizeName(cell('status'));
    const status = statusText ? parseStatus(statusText) : 'qualified';
    if (statusText && !status) at('STATUS_UNKNOWN', 'status', { value: statusText });

    // Council and unit: NA rows name their province (code or name); council rows the council's province/commune code.
    let council = '';
    let unit: UnitRef | undefined;
    let filingPlace = '';
    const unitNoText = normalizeName(cell('unit_no'));
    const unitNo = unitNoText ? Number(unitNoText) : undefined;
    if (unitNoText && !(Number.isInteger(unitNo) && unitNo! >= 1)) at('NUMBER_INVALID', 'unit_no', { value: unitNoText });
    if (contest?.id === 'national-assembly') {
      council = 'VN';
      const place = req('unit_place');
      if (place) {
        const code = /^\d{1,2}$/.test(place) ? place.padStart(2, '0') : lk.provinceByKey.get(placeKey(place));
        if (code && lk.provinces.has(code)) {
          filingPlace = code;
          if (unitNo) {
            unit = lk.units.get(`${contest.id}|${code}|${unitNo}`);
            if (!unit) at('UNIT_UNKNOWN', 'unit_no', { value: unitNoText, place });
          }
        } else if (unitNo) {
          // A unit outside the tree (the 2021 units, labelled by their 2021 province): matched on label and number.
          unit = lk.units.get(`${contest.id}|${placeKey(place)}|${unitNo}`);
          if (!unit) at('PLACE_UNKNOWN', 'unit_place', { value: place });
          else filingPlace = unit.parentCode;
        } else at('PLACE_UNKNOWN', 'unit_place', { value: place });
      }
    } else if (contest) {
      const width = contest.unitLevel === 'province' ? 2 : 5;
      let code = req('council_code');
      if (code && /^\d+$/.test(code) && code.length < width) code = code.padStart(width, '0');
      const known = width === 2 ? lk.provinces.has(code) : lk.communes.has(code);
      if (code && !known) at('COUNCIL_UNKNOWN', 'council_code', { value: code });
      else if (code) {
        council = code;
        filingPlace = code;
        if (unitNo) {
          unit = lk.units.get(`${contest.id}|${code}|${unitNo}`);
          if (!unit) at('UNIT_UNKNOWN', 'unit_no', { value: unitNoText, place: code });
        }
      }
    }
    if (council && lk.scope.type !== 'nation') {
      const province = council.length === 5 ? lk.communes.get(council) : council === 'VN' ? filingPlace : council;
      const inside = lk.scope.type === 'province' ? province === lk.scope.code : council === lk.scope.code;
      if (!inside) at('OUT_OF_SCOPE', contest?.id === 'national-assembly' ? 'unit_place' : 'council_code', { value: council === 'VN' ? filingPlace : council, scope: lk.scope.code });
    }
    if (unit && status !== 'qualified') at('UNIT_NEEDS_QUALIFIED', 'unit_no', { value: unitNoText });

    const publishedText = normalizeName(cell('published_order'));
    const published = publishedText ? Number(publishedText) : undefined;
    if (publishedText && !(Number.isInteger(published) && published! >= 1)) at('NUMBER_INVALID', 'published_order', { value: publishedText });

    if (sink.errorCount > before || !contest || !gender || !route || !status) continue;
    const termsText = normalizeName(cell('deputy_terms'));
    const terms = parseTerms(termsText);
    const incumbentCell = normalizeName(cell('incumbent_na'));
    const incumbentNa = incumbentCell ? parseYesNo(incumbentCell) ?? false : terms.includes(sitting);
    const councilText = normalizeName(cell('council_deputy'));
    const fb = filingBody(contest, route);
    const academic = text(cell('academic'), 200);
    const professional = text(cell('professional'), 200);
    const rec: CandidateRecord = {
      contest: contest.id,
      council_code: council,
      external_ref: ref,
      full_name: fullName,
      other_name: text(cell('other_name'), 120),
      name_key: searchKey(fullName),
      sort_key: ballotSortKey(fullName),
      gender,
      date_of_birth: dobIso,
      date_of_birth_text: dobText,
      ethnicity,
      religion: text(cell('religion'), 100),
      hometown: text(cell('hometown')),
      education: { ...(academic ? { academicTitle: academic } : {}), ...(professional ? { professional } : {}) },
      occupation: text(cell('occupation')),
      workplace: text(cell('workplace')),
      party_member: !isNone(partyText),
      party_joined_on: partyJoined,
      incumbent_na: incumbentNa,
      incumbent_council: councilText ? councilIncumbent(councilText, lk.electionDay) : false,
      deputy_terms: isNone(termsText) ? null : termsText,
      nominated_by: route,
      nominating_body: text(cell('nominating_body'), 300),
      filing_body_code: fb === 'nec' ? 'NEC' : fb === 'provincial-committee' ? filingPlace : council,
      status,
      unit_id: unit?.id ?? null,
      details: {
        ...(published ? { publishedBallotOrder: published } : {}),
        ...(councilText && !isNone(councilText) ? { councilDeputy: councilText } : {}),
        ...(mapping.nominationUnknown && !nominationText ? { nominationKnown: false } : {}),
        importMapping: mapping.id,
      },
    };
    out.push({ row, rec, hash: createHash('sha256').update(JSON.stringify(rec)).digest('hex').slice(0, 32) });
  }

  // Rule 17: one person on one unit's list per contest (ID number, or name and date of birth, groupPersons).
  const byUnit = new Map<string, PlannedRow[]>();
  for (const p of out) {
    if (!p.rec.unit_id) continue;
    const k = `${p.rec.contest}|${p.rec.unit_id}`;
    byUnit.set(k, [...(byUnit.get(k) ?? []), p]);
  }
  for (const contest of new Set(out.map((p) => p.rec.contest))) {
    const units = [...byUnit.entries()].filter(([k]) => k.startsWith(contest + '|')).map(([k, rows]) => ({
      unitId: k, candidates: rows.map((r) => ({ fullName: r.rec.full_name, dateOfBirth: r.rec.date_of_birth ?? undefined })),
    }));
    for (const x of checkDuplicateCandidates(units)) {
      const keys = new Set(String(x.params.units).split(', '));
      const rows = out.filter((p) => p.rec.contest === contest && keys.has(`${contest}|${p.rec.unit_id}`) && normalizeName(p.rec.full_name) === x.params.name);
      sink.add({ row: rows[1]?.row ?? rows[0]?.row, column: col('full_name'), code: x.code, messageKey: x.messageKey, params: { ...x.params, units: rows.map((r) => r.row).join(', ') } });
    }
  }
  return out;
}
