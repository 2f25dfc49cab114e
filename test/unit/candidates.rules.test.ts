// Candidate rules (domain digest rules 12, 17, 19, 20): pure checks, one describe per rule number.
import { describe, expect, it } from 'vitest';
import type { ContestTypeDef } from '../../core/plugin-api/contest-type.js';
import { ageOn, parseVnDate } from '../../core/elections/candidates/dates.js';
import {
  CANDIDATE_RULES,
  checkBodiesPerPerson,
  checkCandidateAge,
  checkDossier,
  checkDuplicateCandidates,
  checkListSurplus,
  filingBody,
  requiredDocuments,
  type DossierDocumentKind,
} from '../../core/elections/candidates/rules.js';
import { candidatesMessages } from '../../core/elections/candidates/messages.js';
import { nationalAssemblyContest as NA } from '../../plugins/national-assembly/contest-type.js';
import { provincialCouncilContest as PC } from '../../plugins/provincial-council/contest-type.js';
import { communeCouncilContest as CC } from '../../plugins/commune-council/contest-type.js';

const codes = (issues: { code: string }[]) => issues.map((i) => i.code);

describe('messages', () => {
  it('every rule code has a vi and an en message', () => {
    for (const code of Object.keys(CANDIDATE_RULES)) {
      expect(candidatesMessages.vi[`candidates.rule.${code}`], code).toBeTruthy();
      expect(candidatesMessages.en[`candidates.rule.${code}`], code).toBeTruthy();
    }
    expect(Object.keys(candidatesMessages.en).sort()).toEqual(Object.keys(candidatesMessages.vi).sort());
  });
});

describe('rule 12: candidate age ≥ 21 on election day', () => {
  const E = '2026-03-15';
  it('exactly 21 on election day passes', () => {
    expect(checkCandidateAge('2005-03-15', E)).toEqual([]);
    expect(checkCandidateAge('15/3/2005', E)).toEqual([]);
  });
  it('one day short fails with CANDIDATE_TOO_YOUNG', () => {
    const issues = checkCandidateAge('2005-03-16', E);
    expect(codes(issues)).toEqual(['CANDIDATE_TOO_YOUNG']);
    expect(issues[0]).toMatchObject({ severity: 'error', field: 'dateOfBirth', messageKey: 'candidates.rule.CANDIDATE_TOO_YOUNG', params: { age: 20, minAge: 21 } });
  });
  it('uses the full date, not the year', () => {
    expect(codes(checkCandidateAge('31/12/2004', E))).toEqual([]);
    expect(codes(checkCandidateAge('16/3/2005', E))).toEqual(['CANDIDATE_TOO_YOUNG']);
  });
  it('29 February births: 28 Feb in a common year by default, 1 Mar with the strict policy', () => {
    const dob = { year: 2004, month: 2, day: 29 };
    expect(ageOn(dob, { year: 2025, month: 2, day: 28 })).toBe(21);
    expect(ageOn(dob, { year: 2025, month: 2, day: 27 })).toBe(20);
    expect(ageOn(dob, { year: 2025, month: 2, day: 28 }, 'mar1')).toBe(20);
    expect(ageOn(dob, { year: 2025, month: 3, day: 1 }, 'mar1')).toBe(21);
    expect(ageOn(dob, { year: 2028, month: 2, day: 28 })).toBe(23);
    expect(ageOn(dob, { year: 2028, month: 2, day: 29 })).toBe(24);
    expect(checkCandidateAge('29/2/2004', '2025-02-28')).toEqual([]);
    expect(codes(checkCandidateAge('29/2/2004', '2025-02-28', { leapDay: 'mar1' }))).toEqual(['CANDIDATE_TOO_YOUNG']);
  });
  it('partial and invalid dates', () => {
    expect(checkCandidateAge('1990', E)).toEqual([]);
    expect(codes(checkCandidateAge('2005', E))).toEqual(['CANDIDATE_DOB_INCOMPLETE']);
    expect(codes(checkCandidateAge('3/2005', E))).toEqual(['CANDIDATE_DOB_INCOMPLETE']);
    expect(codes(checkCandidateAge('4/2005', E))).toEqual(['CANDIDATE_TOO_YOUNG']);
    expect(codes(checkCandidateAge('2006', E))).toEqual(['CANDIDATE_TOO_YOUNG']);
    expect(codes(checkCandidateAge('30/2/1980', E))).toEqual(['CANDIDATE_DOB_INVALID']);
    expect(codes(checkCandidateAge('', E))).toEqual(['CANDIDATE_DOB_INVALID']);
    expect(parseVnDate('08/4/1968')).toEqual({ year: 1968, month: 4, day: 8 });
    expect(parseVnDate('00/00/1968')).toEqual({ year: 1968 });
  });
});

describe('rule 17: official list size per unit', () => {
  const cases: [ContestTypeDef, number, number][] = [
    [NA, 1, 3], [NA, 2, 4], [NA, 3, 5],
    [PC, 1, 2], [PC, 2, 3], [PC, 3, 5], [PC, 4, 7], [PC, 5, 8],
    [CC, 1, 2], [CC, 2, 3], [CC, 3, 5], [CC, 4, 7], [CC, 5, 8],
  ];
  it.each(cases.map(([c, seats, min]) => [c.id, seats, min, c] as const))('%s, %i seats: %i candidates pass, one fewer is LIST_SURPLUS_SHORT', (_id, seats, min, contest) => {
    expect(checkListSurplus(contest, { unitId: 'u1', seats, candidateCount: min })).toEqual([]);
    expect(checkListSurplus(contest, { unitId: 'u1', seats, candidateCount: min + 1 })).toEqual([]);
    const short = checkListSurplus(contest, { unitId: 'u1', seats, candidateCount: min - 1 });
    expect(short).toHaveLength(1);
    expect(short[0]).toMatchObject({ code: 'LIST_SURPLUS_SHORT', severity: 'error', params: { required: min, candidates: min - 1, seats } });
  });
  it('a recorded exception decision turns the block into a warning', () => {
    const exception = { number: '12/NQ-HĐBCQG', date: '2026-02-20', body: 'Hội đồng bầu cử quốc gia' };
    const issues = checkListSurplus(NA, { unitId: 'u1', seats: 3, candidateCount: 4, exception });
    expect(issues).toEqual([
      expect.objectContaining({ code: 'LIST_SURPLUS_EXCEPTION', severity: 'warning', params: expect.objectContaining({ decisionNumber: '12/NQ-HĐBCQG', required: 5 }) }),
    ]);
    // an incomplete decision is not a recorded exception
    expect(codes(checkListSurplus(NA, { unitId: 'u1', seats: 3, candidateCount: 4, exception: { ...exception, body: ' ' } }))).toEqual(['LIST_SURPLUS_SHORT']);
    expect(codes(checkListSurplus(NA, { unitId: 'u1', seats: 3, candidateCount: 4, exception: null }))).toEqual(['LIST_SURPLUS_SHORT']);
  });
  it('seat counts outside the contest range', () => {
    expect(codes(checkListSurplus(NA, { unitId: 'u1', seats: 4, candidateCount: 9 }))).toEqual(['LIST_SEATS_OUT_OF_RANGE']);
    expect(codes(checkListSurplus(CC, { unitId: 'u1', seats: 0, candidateCount: 3 }))).toEqual(['LIST_SEATS_OUT_OF_RANGE']);
  });
  it('a candidate on two units of the same contest → LIST_DUPLICATE_CANDIDATE', () => {
    const a = { fullName: 'Nguyễn Thị Hà', dateOfBirth: '22/9/1975' };
    const aNfd = { fullName: 'Nguyễn  Thị Hà'.normalize('NFD'), dateOfBirth: '1975-09-22' };
    const b = { fullName: 'Nguyễn Thị Hà', dateOfBirth: '23/9/1975' };
    const issues = checkDuplicateCandidates([
      { unitId: '1', candidates: [a, { fullName: 'Trần Văn B', idNumber: '001080000001' }] },
      { unitId: '2', candidates: [aNfd, b] },
      { unitId: '3', candidates: [{ fullName: 'Trần Văn Bình', idNumber: '001 080 000 001' }] },
    ]);
    expect(issues.map((i) => [i.code, i.params.units])).toEqual([
      ['LIST_DUPLICATE_CANDIDATE', '1, 2'],
      ['LIST_DUPLICATE_CANDIDATE', '1, 3'],
    ]);
    // same name and birth date but different ID numbers: two people
    expect(checkDuplicateCandidates([
      { unitId: '1', candidates: [{ ...a, idNumber: '1' }] },
      { unitId: '2', candidates: [{ ...a, idNumber: '2' }] },
    ])).toEqual([]);
  });
});

describe('rule 19: dossier completeness and filing body', () => {
  const full = (contest: ContestTypeDef, fullTimePost: boolean) =>
    Object.fromEntries(requiredDocuments(contest, { fullTimePost }).map((d) => [d.kind, d.count])) as Partial<Record<DossierDocumentKind, number>>;

  it('sets per contest: NA 2 sets (4 photos), councils 1 set (2 photos), with the contest forms', () => {
    expect(requiredDocuments(NA, { fullTimePost: false })).toEqual([
      { kind: 'application', form: '01/HĐBC-QH', count: 2 },
      { kind: 'cv', form: '02/HĐBC-QH', count: 2 },
      { kind: 'biography', form: '03/HĐBC-QH', count: 2 },
      { kind: 'asset-declaration', form: '09/HĐBC', count: 2 },
      { kind: 'photo', count: 4 },
    ]);
    for (const c of [PC, CC]) {
      expect(full(c, false)).toEqual({ application: 1, cv: 1, biography: 1, 'asset-declaration': 1, photo: 2 });
      expect(requiredDocuments(c, { fullTimePost: false })[0].form).toBe('05/HĐBC-HĐND');
    }
  });
  it('a complete dossier has no issues; one NA set is not enough', () => {
    expect(checkDossier(NA, { route: 'local', fullTimePost: false, documents: full(NA, false) })).toEqual([]);
    expect(checkDossier(CC, { route: 'self', fullTimePost: false, documents: full(CC, false) })).toEqual([]);
    const oneSet = checkDossier(NA, { route: 'local', fullTimePost: false, documents: full(CC, false) });
    expect(oneSet.map((i) => i.params.document)).toEqual(['application', 'cv', 'biography', 'asset-declaration', 'photo']);
  });
  it('a missing photo is DOSSIER_DOCUMENT_MISSING', () => {
    const issues = checkDossier(PC, { route: 'local', fullTimePost: false, documents: { ...full(PC, false), photo: 1 } });
    expect(issues).toEqual([
      expect.objectContaining({ code: 'DOSSIER_DOCUMENT_MISSING', severity: 'error', field: 'documents.photo', params: { document: 'photo', form: '', required: 2, provided: 1 } }),
    ]);
  });
  it('health certificate only when nominated for a full-time post', () => {
    expect(full(NA, false)['health-certificate']).toBeUndefined();
    expect(full(NA, true)['health-certificate']).toBe(2);
    expect(checkDossier(PC, { route: 'local', fullTimePost: false, documents: full(PC, false) })).toEqual([]);
    const issues = checkDossier(PC, { route: 'local', fullTimePost: true, documents: full(PC, false) });
    expect(issues.map((i) => i.params.document)).toEqual(['health-certificate']);
  });
  it('filing body by route', () => {
    expect(filingBody(NA, 'central')).toBe('nec');
    expect(filingBody(NA, 'local')).toBe('provincial-committee');
    expect(filingBody(NA, 'self')).toBe('provincial-committee');
    for (const c of [PC, CC]) for (const r of ['central', 'local', 'self'] as const) expect(filingBody(c, r)).toBe('same-level-committee');
    const wrong = checkDossier(NA, { route: 'central', fullTimePost: false, documents: full(NA, false), filedWith: 'provincial-committee' });
    expect(wrong).toEqual([expect.objectContaining({ code: 'DOSSIER_WRONG_FILING_BODY', params: { expected: 'nec', actual: 'provincial-committee' } })]);
  });
});

describe('rule 20: at most two bodies at once (warning)', () => {
  const p = { fullName: 'Lê Văn An', dateOfBirth: '1/2/1970' };
  it('two bodies are fine; three give CANDIDATE_TOO_MANY_BODIES as a warning', () => {
    const two = [
      { person: p, body: 'national-assembly' },
      { person: { ...p, dateOfBirth: '01/02/1970' }, body: 'provincial-council:01' },
    ];
    expect(checkBodiesPerPerson(two)).toEqual([]);
    const three = [...two, { person: { fullName: 'Lê  Văn An', dateOfBirth: '1970-02-01' }, body: 'commune-council:00004' }];
    const issues = checkBodiesPerPerson(three);
    expect(issues).toEqual([
      expect.objectContaining({ code: 'CANDIDATE_TOO_MANY_BODIES', severity: 'warning', params: expect.objectContaining({ count: 3, max: 2 }) }),
    ]);
  });
  it('matches by ID number when given, even with a different spelling', () => {
    const issues = checkBodiesPerPerson([
      { person: { fullName: 'Lê Văn An', idNumber: '001070000009' }, body: 'a' },
      { person: { fullName: 'Lê Văn Ân', idNumber: '001070000009' }, body: 'b' },
      { person: { fullName: 'Le Van An', idNumber: '001070000009' }, body: 'c' },
    ]);
    expect(codes(issues)).toEqual(['CANDIDATE_TOO_MANY_BODIES']);
  });
  it('the same body listed twice is one body; different people are not merged', () => {
    expect(checkBodiesPerPerson([
      { person: p, body: 'a' }, { person: p, body: 'a' }, { person: p, body: 'b' },
      { person: { ...p, dateOfBirth: '2/2/1970' }, body: 'c' },
    ])).toEqual([]);
  });
});
