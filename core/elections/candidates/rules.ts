// Candidate rules of the domain digest (§5; rules 12, 17, 19, 20) as pure checks: each problem is an issue with a
// stable code, a severity, the field it names and a message key `candidates.rule.<CODE>` (messages.ts).
// Nothing here touches the database; callers pass plain values and the contest type's parameters.
import type { ContestTypeDef } from '../../plugin-api/contest-type.js';
import { minSurplusFor } from '../../plugin-api/contest-type.js';
import { normalizeName } from '../../shared/vn-text.js';
import {
  ageRangeOn,
  parseIsoDate,
  parseVnDate,
  type CalendarDate,
  type LeapDayPolicy,
  type PartialDate,
} from './dates.js';

export type Severity = 'error' | 'warning';

/** Code → rule number of the digest, severity and the field the issue names. */
export const CANDIDATE_RULES = {
  CANDIDATE_TOO_YOUNG: { rule: 12, severity: 'error', field: 'dateOfBirth' },
  CANDIDATE_DOB_INVALID: { rule: 12, severity: 'error', field: 'dateOfBirth' },
  CANDIDATE_DOB_INCOMPLETE: { rule: 12, severity: 'error', field: 'dateOfBirth' },
  LIST_SEATS_OUT_OF_RANGE: { rule: 17, severity: 'error', field: 'seats' },
  LIST_SURPLUS_SHORT: { rule: 17, severity: 'error', field: 'candidates' },
  LIST_SURPLUS_EXCEPTION: { rule: 17, severity: 'warning', field: 'candidates' },
  LIST_DUPLICATE_CANDIDATE: { rule: 17, severity: 'error', field: 'fullName' },
  DOSSIER_DOCUMENT_MISSING: { rule: 19, severity: 'error', field: 'documents' },
  DOSSIER_WRONG_FILING_BODY: { rule: 19, severity: 'error', field: 'filedWith' },
  CANDIDATE_TOO_MANY_BODIES: { rule: 20, severity: 'warning', field: 'fullName' },
} as const satisfies Record<string, { rule: number; severity: Severity; field: string }>;

export type CandidateIssueCode = keyof typeof CANDIDATE_RULES;

export interface CandidateIssue {
  code: CandidateIssueCode;
  severity: Severity;
  field: string;
  messageKey: string;
  params: Record<string, string | number>;
}

function issue(code: CandidateIssueCode, params: Record<string, string | number> = {}, field?: string): CandidateIssue {
  const r = CANDIDATE_RULES[code];
  return { code, severity: r.severity, field: field ?? r.field, messageKey: `candidates.rule.${code}`, params };
}

/** True if any issue blocks (severity 'error'). */
export const hasBlockingIssue = (issues: readonly CandidateIssue[]): boolean => issues.some((i) => i.severity === 'error');

const asCalendarDate = (d: CalendarDate | string): CalendarDate | undefined => (typeof d === 'string' ? parseIsoDate(d) : d);
const isoOf = (d: CalendarDate): string =>
  `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;

// ---------------------------------------------------------------------------------------------------------------
// Rule 12: age ≥ 21 on election day.

export const MIN_CANDIDATE_AGE = 21;

/**
 * Rule 12: the candidate must be at least 21 on election day, from the full date of birth (the 21st birthday falling
 * on election day counts). `dateOfBirth`: a date, an ISO "yyyy-mm-dd" or a published "d/m/yyyy" text. A partial
 * date (year, or month and year) passes only if every day it could stand for gives ≥ 21, fails if none does, and
 * is otherwise CANDIDATE_DOB_INCOMPLETE. 29 February births: see LeapDayPolicy.
 */
export function checkCandidateAge(
  dateOfBirth: CalendarDate | PartialDate | string,
  electionDay: CalendarDate | string,
  opts: { minAge?: number; leapDay?: LeapDayPolicy } = {},
): CandidateIssue[] {
  const minAge = opts.minAge ?? MIN_CANDIDATE_AGE;
  const e = asCalendarDate(electionDay);
  if (!e) throw new RangeError(`checkCandidateAge: invalid election day ${JSON.stringify(electionDay)}`);
  let dob: PartialDate | undefined;
  if (typeof dateOfBirth === 'string') {
    const iso = parseIsoDate(dateOfBirth);
    dob = iso ?? parseVnDate(dateOfBirth);
  } else {
    dob = dateOfBirth.month !== undefined && dateOfBirth.day !== undefined
      ? (parseVnDate(`${dateOfBirth.day}/${dateOfBirth.month}/${dateOfBirth.year}`) ?? undefined)
      : dateOfBirth;
  }
  if (!dob) return [issue('CANDIDATE_DOB_INVALID', { value: String(typeof dateOfBirth === 'string' ? dateOfBirth : JSON.stringify(dateOfBirth)) })];
  const { min, max } = ageRangeOn(dob, e, opts.leapDay);
  const params = { minAge, electionDay: isoOf(e) };
  if (min >= minAge) return [];
  if (max < minAge) return [issue('CANDIDATE_TOO_YOUNG', { ...params, age: max })];
  return [issue('CANDIDATE_DOB_INCOMPLETE', params)];
}

// ---------------------------------------------------------------------------------------------------------------
// Persons: the same person on several lists (rules 17, 20).

/** A person as the lists know them: the name, and the date of birth and/or ID number when given. */
export interface PersonRef {
  fullName: string;
  /** Any text form; compared after parsing ("1/2/1970" = "01/02/1970" = "1970-02-01"). */
  dateOfBirth?: string;
  /** Citizen ID number (CCCD); compared without spaces. */
  idNumber?: string;
}

function dobKey(s: string | undefined): string {
  if (!s) return '';
  const d = parseIsoDate(s) ?? parseVnDate(s);
  return d ? `${d.year}-${d.month ?? 0}-${d.day ?? 0}` : normalizeName(s);
}
const idKey = (p: PersonRef): string => (p.idNumber ?? '').replace(/\s+/g, '').toUpperCase();

/**
 * Groups records into persons: two records are the same person if they carry the same ID number, or if they have
 * the same normalised name (accents and case kept, NFC, single spaces) and the same date of birth and do not both
 * carry ID numbers (two different ID numbers are two people even with equal name and birth date). Records with
 * neither a date of birth nor an ID number are never matched to anyone. Returns groups of input indices in first
 * occurrence order.
 */
export function groupPersons(persons: readonly PersonRef[]): number[][] {
  const parent = persons.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const byId = new Map<string, number>();
  const byNameDob = new Map<string, { anchor: number; ids: Set<string>; noId: number[] }>();
  persons.forEach((p, i) => {
    const id = idKey(p);
    if (id) {
      const first = byId.get(id);
      if (first === undefined) byId.set(id, i);
      else union(first, i);
    }
    const dob = dobKey(p.dateOfBirth);
    if (!dob) return;
    const key = `${normalizeName(p.fullName).toLowerCase()}|${dob}`;
    const g = byNameDob.get(key);
    if (!g) byNameDob.set(key, { anchor: i, ids: new Set(id ? [id] : []), noId: id ? [] : [i] });
    else if (id) g.ids.add(id);
    else g.noId.push(i);
  });
  for (const g of byNameDob.values()) {
    // Records without an ID join the group's person; if the group has one ID that person is unambiguous,
    // with several IDs they join the first-listed record (a warning is better than silence).
    for (const i of g.noId) union(g.anchor, i);
    if (g.noId.length > 0 && g.ids.size === 1) {
      const only = byId.get([...g.ids][0]);
      if (only !== undefined) union(g.anchor, only);
    }
  }
  const groups = new Map<number, number[]>();
  persons.forEach((_, i) => {
    const r = find(i);
    const list = groups.get(r) ?? [];
    list.push(i);
    groups.set(r, list);
  });
  return [...groups.values()];
}

// ---------------------------------------------------------------------------------------------------------------
// Rule 17: list size per unit, and one unit per candidate in a contest.

/** The decision that allowed a shorter list (force majeure): NEC for the NA, the election committee for councils. */
export interface SurplusException {
  number: string;
  /** ISO date of the decision. */
  date: string;
  /** The deciding body ("Hội đồng bầu cử quốc gia", …). */
  body: string;
}

export interface UnitList {
  unitId: string;
  seats: number;
  candidateCount: number;
  exception?: SurplusException | null;
}

const exceptionRecorded = (e: SurplusException | null | undefined): e is SurplusException =>
  !!e && [e.number, e.date, e.body].every((s) => typeof s === 'string' && s.trim() !== '');

/** The smallest official list for a seat count (seats + minimum surplus), or undefined outside the rules. */
export function minListSize(contest: Pick<ContestTypeDef, 'surplus'>, seats: number): number | undefined {
  const s = minSurplusFor(contest, seats);
  return s === undefined ? undefined : seats + s;
}

/**
 * Rule 17: a unit's official list must have at least seats + surplus candidates (NA +2; councils 1–2 seats +1,
 * 3 → +2, 4–5 → +3, from the contest type). A short list blocks (LIST_SURPLUS_SHORT) unless an exception decision
 * with number, date and body is recorded, which turns it into the warning LIST_SURPLUS_EXCEPTION.
 */
export function checkListSurplus(
  contest: Pick<ContestTypeDef, 'id' | 'surplus' | 'seats'>,
  unit: UnitList,
): CandidateIssue[] {
  const required = minListSize(contest, unit.seats);
  if (required === undefined || unit.seats < contest.seats.min || unit.seats > contest.seats.max) {
    return [issue('LIST_SEATS_OUT_OF_RANGE', { unit: unit.unitId, seats: unit.seats, min: contest.seats.min, max: contest.seats.max }, 'seats')];
  }
  if (unit.candidateCount >= required) return [];
  const params = { unit: unit.unitId, seats: unit.seats, candidates: unit.candidateCount, required };
  if (exceptionRecorded(unit.exception)) {
    const { number, date, body } = unit.exception;
    return [issue('LIST_SURPLUS_EXCEPTION', { ...params, decisionNumber: number, decisionDate: date, decisionBody: body })];
  }
  return [issue('LIST_SURPLUS_SHORT', params)];
}

export interface UnitCandidates {
  unitId: string;
  candidates: readonly PersonRef[];
}

/**
 * Rule 17: a person may be on the official list of only one unit of a contest. One LIST_DUPLICATE_CANDIDATE per
 * person found on more than one unit (params: name, units joined with ", ").
 */
export function checkDuplicateCandidates(units: readonly UnitCandidates[]): CandidateIssue[] {
  const flat: { person: PersonRef; unitId: string }[] = units.flatMap((u) => u.candidates.map((person) => ({ person, unitId: u.unitId })));
  const out: CandidateIssue[] = [];
  for (const group of groupPersons(flat.map((f) => f.person))) {
    const unitIds = [...new Set(group.map((i) => flat[i].unitId))];
    if (unitIds.length > 1) {
      out.push(issue('LIST_DUPLICATE_CANDIDATE', { name: normalizeName(flat[group[0]].person.fullName), units: unitIds.join(', '), count: unitIds.length }));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Rule 19: dossier completeness and filing body.

/** How the candidate came to stand (§5.1): introduced by a central body, by a local body, or self-nominated. */
export type CandidacyRoute = 'central' | 'local' | 'self';

/** Where the dossier is filed (rule 19). */
export type FilingBody = 'nec' | 'provincial-committee' | 'same-level-committee';

const isNationalAssembly = (contest: Pick<ContestTypeDef, 'id'>): boolean => contest.id === 'national-assembly';

/**
 * Rule 19: NA candidates introduced by central bodies file with the NEC; locally introduced NA candidates and NA
 * self-nominees with the provincial election committee; council candidates (any route) with the election
 * committee of the council's level.
 */
export function filingBody(contest: Pick<ContestTypeDef, 'id'>, route: CandidacyRoute): FilingBody {
  if (!isNationalAssembly(contest)) return 'same-level-committee';
  return route === 'central' ? 'nec' : 'provincial-committee';
}

export type DossierDocumentKind = 'application' | 'cv' | 'biography' | 'asset-declaration' | 'photo' | 'health-certificate';

export interface RequiredDocument {
  kind: DossierDocumentKind;
  /** NEC form number, where there is one. */
  form?: string;
  /** Total copies for the whole filing (per set × dossierSets). */
  count: number;
}

/** Portrait photos 4×6 per dossier set, besides those stuck on the CV and the biography. */
export const PHOTOS_PER_SET = 2;

/**
 * Rule 19: the documents a candidate files, each × the contest's dossierSets (NA 2, councils 1): application,
 * CV, biography (the contest's forms), asset declaration (09/HĐBC), 2 photos 4×6 per set, and a health
 * certificate only for nominees for a full-time (chuyên trách) post.
 */
export function requiredDocuments(
  contest: Pick<ContestTypeDef, 'dossierForms' | 'dossierSets'>,
  opts: { fullTimePost: boolean },
): RequiredDocument[] {
  const n = contest.dossierSets;
  const f = contest.dossierForms;
  const docs: RequiredDocument[] = [
    { kind: 'application', form: f.application, count: n },
    { kind: 'cv', form: f.cv, count: n },
    { kind: 'biography', form: f.biography, count: n },
    { kind: 'asset-declaration', form: f.assetDeclaration, count: n },
    { kind: 'photo', count: PHOTOS_PER_SET * n },
  ];
  if (opts.fullTimePost) docs.push({ kind: 'health-certificate', count: n });
  return docs;
}

export interface Dossier {
  route: CandidacyRoute;
  /** Nominated for a full-time post (then a health certificate is required). */
  fullTimePost: boolean;
  /** Copies received of each document (missing kind = 0). */
  documents: Partial<Record<DossierDocumentKind, number>>;
  /** Where the dossier was filed, when known. */
  filedWith?: FilingBody;
}

/**
 * Rule 19: one DOSSIER_DOCUMENT_MISSING per document with fewer copies than required (params: document, form,
 * required, provided), and DOSSIER_WRONG_FILING_BODY if the dossier was filed elsewhere than filingBody().
 */
export function checkDossier(
  contest: Pick<ContestTypeDef, 'id' | 'dossierForms' | 'dossierSets'>,
  dossier: Dossier,
): CandidateIssue[] {
  const out: CandidateIssue[] = [];
  for (const doc of requiredDocuments(contest, { fullTimePost: dossier.fullTimePost })) {
    const provided = dossier.documents[doc.kind] ?? 0;
    if (provided < doc.count) {
      out.push(issue('DOSSIER_DOCUMENT_MISSING', { document: doc.kind, form: doc.form ?? '', required: doc.count, provided }, `documents.${doc.kind}`));
    }
  }
  const expected = filingBody(contest, dossier.route);
  if (dossier.filedWith !== undefined && dossier.filedWith !== expected) {
    out.push(issue('DOSSIER_WRONG_FILING_BODY', { expected, actual: dossier.filedWith }));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Rule 20: at most two bodies at once (uncertain in law: a warning, never a block).

export const MAX_BODIES_PER_PERSON = 2;

export interface Standing {
  person: PersonRef;
  /** The body stood for: e.g. "national-assembly", "provincial-council:01", "commune-council:00004". */
  body: string;
}

/**
 * Rule 20: a person standing for more than two bodies at once gets one CANDIDATE_TOO_MANY_BODIES warning
 * (params: name, count, bodies). Persons are matched as in groupPersons (name + date of birth, or ID number).
 */
export function checkBodiesPerPerson(standings: readonly Standing[], max = MAX_BODIES_PER_PERSON): CandidateIssue[] {
  const out: CandidateIssue[] = [];
  for (const group of groupPersons(standings.map((s) => s.person))) {
    const bodies = [...new Set(group.map((i) => standings[i].body))];
    if (bodies.length > max) {
      out.push(issue('CANDIDATE_TOO_MANY_BODIES', { name: normalizeName(standings[group[0]].person.fullName), count: bodies.length, max, bodies: bodies.join(', ') }));
    }
  }
  return out;
}
