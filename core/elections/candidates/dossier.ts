// The dossier form (issue 5 point 1): its input schema, the fields each contest's forms require, and the
// validation that turns a submitted form into the candidate row — names NFC, dates "dd/mm/yyyy" or ISO, rule 12
// (age ≥ 21 on election day, blocking, naming the field), the filing body that follows from the nomination route.
// Pure: no database. Every problem is a FieldIssue with a `candidates.form.*` or `candidates.rule.*` key.
import { z } from 'zod';
import type { ContestTypeDef } from '../../plugin-api/contest-type.js';
import type { FieldIssue } from '../../shared/result.js';
import { normalizeName, searchKey } from '../../shared/vn-text.js';
import { ballotSortKey } from './ballot-order.js';
import { fullDate, parseIsoDate, parseVnDate } from './dates.js';
import { checkCandidateAge, filingBody, type CandidacyRoute } from './rules.js';

const text = (max: number) => z.string().max(max).optional();
const flag = z.enum(['1', 'true', 'on', '0', 'false', '']).optional();

/** The form fields (all text, as a browser sends them); meaning is checked by validateDossier. */
export const dossierFields = {
  fullName: text(200),
  otherName: text(200),
  gender: text(10),
  dateOfBirth: text(20),
  ethnicity: text(60),
  religion: text(60),
  nationality: text(60),
  hometown: text(300),
  permanentResidence: text(300),
  currentResidence: text(300),
  idNumber: text(20),
  eduGeneral: text(20),
  eduProfessional: text(200),
  eduAcademicTitle: text(200),
  eduPoliticalTheory: text(100),
  eduLanguages: text(200),
  occupation: text(200),
  position: text(300),
  workplace: text(300),
  partyMember: flag,
  partyJoinedOn: text(20),
  incumbentNa: flag,
  incumbentCouncil: flag,
  deputyTerms: text(100),
  nominatedBy: text(10),
  nominatingBody: text(300),
  fullTimePost: flag,
};

export const createInput = z.object({
  id: z.string().uuid(),
  contest: z.string().min(1).max(60),
  /** The council (province or commune code) for council contests; the filing province for NA local/self nominees. */
  councilCode: text(10),
  ...dossierFields,
}).strict();

export const editInput = z.object({
  id: z.string().uuid(),
  cid: z.string().uuid(),
  version: z.string().regex(/^\d{1,9}$/),
  ...dossierFields,
}).strict();

export type DossierForm = z.infer<typeof createInput> | z.infer<typeof editInput>;

/** Fields that are personal data: shown and written only with core.candidates.personal-data. */
export const PERSONAL_FIELDS = ['idNumber', 'permanentResidence', 'currentResidence'] as const;

/**
 * Fields the contest's CV form requires (NA form 02/HĐBC-QH, council form 06/HĐBC-HĐND list the same personal
 * particulars); the position held is asked of nominees introduced by a body, not of self-nominees. Personal-data
 * fields are required only from someone allowed to enter them (otherwise the province fills them in).
 */
export function requiredFields(contest: Pick<ContestTypeDef, 'id' | 'dossierForms'>, route: CandidacyRoute | undefined, withPersonal: boolean): string[] {
  const base = ['fullName', 'gender', 'dateOfBirth', 'ethnicity', 'nationality', 'hometown', 'eduGeneral', 'occupation', 'workplace', 'nominatedBy'];
  if (withPersonal) base.push('permanentResidence', 'currentResidence');
  if (route && route !== 'self') base.push('position', 'nominatingBody');
  // The NA application (form 01) is filed with the NEC or the province: a local or self nominee names the province.
  if (contest.id === 'national-assembly' && route !== 'central') base.push('councilCode');
  else if (contest.id !== 'national-assembly') base.push('councilCode');
  return base;
}

/** The candidate columns a valid form gives. */
export interface DossierValues {
  full_name: string;
  other_name: string | null;
  name_key: string;
  sort_key: string;
  gender: 'male' | 'female';
  date_of_birth: string;
  date_of_birth_text: string;
  ethnicity: string;
  religion: string | null;
  nationality: string;
  hometown: string | null;
  permanent_residence: string | null;
  current_residence: string | null;
  id_number: string | null;
  education: { general?: string; professional?: string; academicTitle?: string; politicalTheory?: string; languages?: string };
  occupation: string | null;
  position: string | null;
  workplace: string | null;
  party_member: boolean;
  party_joined_on: string | null;
  incumbent_na: boolean;
  incumbent_council: boolean;
  deputy_terms: string | null;
  nominated_by: CandidacyRoute;
  nominating_body: string | null;
  full_time_post: boolean;
}

const yes = (v: string | undefined) => v === '1' || v === 'true' || v === 'on';
const clean = (v: string | undefined): string | null => {
  const s = normalizeName(v ?? '');
  return s === '' ? null : s;
};
const iso = (y: number, m: number, d: number) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
const ddmmyyyy = (isoDate: string) => `${isoDate.slice(8, 10)}/${isoDate.slice(5, 7)}/${isoDate.slice(0, 4)}`;

/** A full date "dd/mm/yyyy" (d/m, "-" or "." separators too) or ISO "yyyy-mm-dd" → ISO; undefined otherwise. */
export function parseFormDate(s: string): string | undefined {
  const a = parseIsoDate(s);
  if (a) return iso(a.year, a.month, a.day);
  const b = fullDate(parseVnDate(s));
  return b ? iso(b.year, b.month, b.day) : undefined;
}

export const ROUTES: readonly CandidacyRoute[] = ['central', 'local', 'self'];

/**
 * Checks a submitted dossier form against the contest and the election day. `keep`: for an edit by someone
 * without the personal-data permission, the stored personal fields (the form does not show them, so they are kept).
 * Returns the row values, or the issues (nothing is written then).
 */
export function validateDossier(
  form: DossierForm & { councilCode?: string },
  contest: Pick<ContestTypeDef, 'id' | 'dossierForms'>,
  electionDay: string,
  o: { withPersonal: boolean; keep?: Pick<DossierValues, 'id_number' | 'permanent_residence' | 'current_residence'>; councilCode?: string },
): { ok: true; values: DossierValues } | { ok: false; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const add = (field: string, code: string, params: Record<string, string | number> = {}) =>
    issues.push({ field, code, messageKey: `candidates.form.${code}`, params: { field: `candidates.field.${field}`, ...params } });
  const route = ROUTES.includes(form.nominatedBy as CandidacyRoute) ? (form.nominatedBy as CandidacyRoute) : undefined;
  const given: Record<string, string | null> = {};
  for (const k of Object.keys(dossierFields)) given[k] = clean((form as Record<string, string | undefined>)[k]);
  given.councilCode = clean(o.councilCode ?? form.councilCode);
  for (const f of requiredFields(contest, route, o.withPersonal)) {
    if (given[f] === null) add(f, 'required');
  }
  if (given.nominatedBy !== null && !route) add('nominatedBy', 'invalid_choice');
  if (route === 'central' && contest.id !== 'national-assembly') add('nominatedBy', 'central_na_only');
  const gender = given.gender;
  if (gender !== null && gender !== 'male' && gender !== 'female') add('gender', 'invalid_choice');
  if (given.eduGeneral !== null && !/^(\d{1,2}\/(10|12)|\d{1,2})$/.test(given.eduGeneral)) add('eduGeneral', 'education_general');
  if (given.idNumber !== null && o.withPersonal && !/^\d{9}(\d{3})?$/.test(given.idNumber.replace(/\s+/g, ''))) add('idNumber', 'id_number');
  let dob: string | undefined;
  if (given.dateOfBirth !== null) {
    dob = parseFormDate(given.dateOfBirth);
    if (!dob) add('dateOfBirth', 'date_format', { value: given.dateOfBirth });
    else {
      // Rule 12, blocking: the issue names the field (dateOfBirth) and the election day.
      for (const i of checkCandidateAge(dob, electionDay)) issues.push({ field: 'dateOfBirth', code: i.code, messageKey: i.messageKey, params: i.params });
    }
  }
  let joined: string | null = null;
  if (given.partyJoinedOn !== null) {
    joined = parseFormDate(given.partyJoinedOn) ?? null;
    if (!joined) add('partyJoinedOn', 'date_format', { value: given.partyJoinedOn });
    else if (dob && joined <= dob) add('partyJoinedOn', 'party_before_birth');
    else if (joined > electionDay) add('partyJoinedOn', 'party_after_election');
  }
  if (joined && !yes(form.partyMember)) add('partyMember', 'party_date_without_member');
  if (issues.length) return { ok: false, issues };
  const fullName = given.fullName!;
  const otherName = given.otherName;
  const personal = o.withPersonal
    ? { id_number: given.idNumber?.replace(/\s+/g, '') ?? null, permanent_residence: given.permanentResidence, current_residence: given.currentResidence }
    : { id_number: o.keep?.id_number ?? null, permanent_residence: o.keep?.permanent_residence ?? null, current_residence: o.keep?.current_residence ?? null };
  const education: DossierValues['education'] = {};
  if (given.eduGeneral) education.general = given.eduGeneral;
  if (given.eduProfessional) education.professional = given.eduProfessional;
  if (given.eduAcademicTitle) education.academicTitle = given.eduAcademicTitle;
  if (given.eduPoliticalTheory) education.politicalTheory = given.eduPoliticalTheory;
  if (given.eduLanguages) education.languages = given.eduLanguages;
  return {
    ok: true,
    values: {
      full_name: fullName,
      other_name: otherName,
      name_key: searchKey(otherName ? `${fullName} ${otherName}` : fullName),
      sort_key: ballotSortKey(fullName),
      gender: gender as 'male' | 'female',
      date_of_birth: dob!,
      date_of_birth_text: ddmmyyyy(dob!),
      ethnicity: given.ethnicity!,
      religion: given.religion,
      nationality: given.nationality ?? 'Việt Nam',
      hometown: given.hometown,
      ...personal,
      education,
      occupation: given.occupation,
      position: given.position,
      workplace: given.workplace,
      party_member: yes(form.partyMember),
      party_joined_on: joined,
      incumbent_na: yes(form.incumbentNa),
      incumbent_council: yes(form.incumbentCouncil),
      deputy_terms: given.deputyTerms,
      nominated_by: route!,
      nominating_body: route === 'self' ? null : given.nominatingBody,
      full_time_post: yes(form.fullTimePost),
    },
  };
}

/**
 * The council and filing body codes of a new candidate (conventions shared with the import): council_code 'VN'
 * for the NA, else the province / commune code; filing_body_code 'NEC' for centrally nominated NA candidates, the
 * province for other NA candidates, the council's own code for councils.
 */
export function codesFor(contest: Pick<ContestTypeDef, 'id'>, route: CandidacyRoute, councilCode: string | null): { council_code: string; filing_body_code: string } {
  if (contest.id === 'national-assembly') {
    const body = filingBody(contest, route);
    return { council_code: 'VN', filing_body_code: body === 'nec' ? 'NEC' : councilCode! };
  }
  return { council_code: councilCode!, filing_body_code: councilCode! };
}

/** The form values of a stored candidate (for the edit form). */
export function formOf(c: DossierValues & { council_code: string; filing_body_code: string; contest: string }): Record<string, string | boolean> {
  return {
    fullName: c.full_name, otherName: c.other_name ?? '', gender: c.gender, dateOfBirth: c.date_of_birth ? ddmmyyyy(c.date_of_birth) : '',
    ethnicity: c.ethnicity, religion: c.religion ?? '', nationality: c.nationality, hometown: c.hometown ?? '',
    permanentResidence: c.permanent_residence ?? '', currentResidence: c.current_residence ?? '', idNumber: c.id_number ?? '',
    eduGeneral: c.education?.general ?? '', eduProfessional: c.education?.professional ?? '', eduAcademicTitle: c.education?.academicTitle ?? '',
    eduPoliticalTheory: c.education?.politicalTheory ?? '', eduLanguages: c.education?.languages ?? '',
    occupation: c.occupation ?? '', position: c.position ?? '', workplace: c.workplace ?? '', partyMember: c.party_member,
    partyJoinedOn: c.party_joined_on ? ddmmyyyy(c.party_joined_on) : '', incumbentNa: c.incumbent_na, incumbentCouncil: c.incumbent_council,
    deputyTerms: c.deputy_terms ?? '', nominatedBy: c.nominated_by, nominatingBody: c.nominating_body ?? '', fullTimePost: c.full_time_post,
    councilCode: c.contest === 'national-assembly' ? (c.filing_body_code === 'NEC' ? '' : c.filing_body_code) : c.council_code,
  };
}
