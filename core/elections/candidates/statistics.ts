// Structure statistics (cơ cấu, thành phần) of a candidate list: counts and percentages (rule 24) of women, ethnic
// minorities, non-Party, under 40, religious, incumbents / former / first-time deputies, self-nominated, central vs
// local, and education and age bands; comparison with the contest type's structure targets (rule 18).
import type { ContestTypeDef, StructureTarget } from '../../plugin-api/contest-type.js';
import { percent, percentBreakdown } from '../../shared/percent.js';
import { searchKey } from '../../shared/vn-text.js';
import { ageRangeOn, parseIsoDate, parseVnDate, type CalendarDate, type PartialDate } from './dates.js';

/** One candidate as the statistics see them; undefined = not known (counted apart, never guessed). */
export interface CandidateProfile {
  dateOfBirth?: PartialDate;
  gender?: 'male' | 'female';
  /** Ethnicity as written ("Kinh", "Tày" …). */
  ethnicity?: string;
  /** Religion as written; "Không" = none. */
  religion?: string;
  /** Academic title and degree as written ("Phó Giáo sư, Tiến sĩ", "Cử nhân" …). */
  academicTitleDegree?: string;
  partyMember?: boolean;
  /** NA (or council) terms the person has been a deputy of, as roman numerals or any labels. */
  deputyTerms?: string[];
  selfNominated?: boolean;
  level?: 'central' | 'local';
}

/** A yes/no indicator: `count` of `total` (percent of the whole list, rule 24), and how many were unknown. */
export interface Indicator {
  count: number;
  percent: number;
  unknown: number;
}

/** A breakdown whose percentages sum to exactly 100.00 (rule 24, percentBreakdown); 'unknown' is a band. */
export type Breakdown<K extends string> = Record<K | 'unknown', { count: number; percent: number }>;

export type EducationBand = 'postgraduate' | 'university' | 'below';
export type AgeBand = 'under40' | '40to50' | '50to60' | '60to65' | 'over65';
export const EDUCATION_BANDS: readonly EducationBand[] = ['postgraduate', 'university', 'below'];
export const AGE_BANDS: readonly AgeBand[] = ['under40', '40to50', '50to60', '60to65', 'over65'];

export interface CandidateStatistics {
  total: number;
  women: Indicator;
  ethnicMinority: Indicator;
  nonParty: Indicator;
  under40: Indicator;
  religious: Indicator;
  selfNominated: Indicator;
  central: Indicator;
  local: Indicator;
  /** Deputy of the current term (re-standing, tái cử) / of an earlier term only / never: sums to 100 %. */
  deputyHistory: Breakdown<'incumbent' | 'formerDeputy' | 'firstTime'>;
  education: Breakdown<EducationBand>;
  age: Breakdown<AgeBand>;
}

// --- classification of the published texts -----------------------------------------------------------------

const NONE = new Set(['', 'khong', 'khong co', 'none', '-']);
const KINH = new Set(['kinh', 'viet', 'viet (kinh)', 'kinh (viet)']);

/** 'female' for "Nữ" (any Unicode form or case), 'male' for "Nam"; undefined otherwise. */
export function parseGender(s: string | undefined): 'male' | 'female' | undefined {
  const k = searchKey(s ?? '');
  if (k === 'nu' || k === 'female' || k === 'f') return 'female';
  if (k === 'nam' || k === 'male' || k === 'm') return 'male';
  return undefined;
}

/** Ethnic minority = any ethnicity other than Kinh; undefined if not given. */
export function isEthnicMinority(ethnicity: string | undefined): boolean | undefined {
  const k = searchKey(ethnicity ?? '');
  return k === '' ? undefined : !KINH.has(k);
}

/** Religious = a religion other than "Không"; undefined if not given. */
export function isReligious(religion: string | undefined): boolean | undefined {
  if (religion === undefined || religion.trim() === '') return undefined;
  return !NONE.has(searchKey(religion));
}

/**
 * Education band from the academic title/degree text: postgraduate if it names Tiến sĩ, Thạc sĩ, Giáo sư or Phó
 * Giáo sư (also TSKH); university for Cử nhân, Kỹ sư, Bác sĩ (incl. chuyên khoa I/II), Dược sĩ, Kiến trúc sư,
 * Luật sư or "Đại học"; otherwise below university; undefined for an empty text.
 */
export function educationBand(text: string | undefined): EducationBand | undefined {
  const k = searchKey(text ?? '');
  if (k === '') return undefined;
  if (/\b(tien si|thac si|giao su|tskh)\b/.test(k)) return 'postgraduate';
  if (/\b(cu nhan|ky su|bac si|duoc si|kien truc su|luat su|dai hoc)\b/.test(k)) return 'university';
  return 'below';
}

/** Age band of a completed age: <40, 40–<50, 50–<60, 60–65, >65. */
export function ageBand(age: number): AgeBand {
  if (age < 40) return 'under40';
  if (age < 50) return '40to50';
  if (age < 60) return '50to60';
  if (age <= 65) return '60to65';
  return 'over65';
}

/** Terms from "XIII, XIV" / "Không" / "" → ['XIII', 'XIV'] / [] / []. */
export function parseTerms(s: string | undefined): string[] {
  const t = (s ?? '').normalize('NFC').trim();
  if (NONE.has(searchKey(t))) return [];
  return t.split(/[,;]/).map((x) => x.trim().toUpperCase()).filter((x) => x !== '');
}

/** The published list row (na15_2021_candidates.csv and the same columns on import). */
export interface CandidateListRow {
  date_of_birth?: string;
  gender?: string;
  ethnicity?: string;
  religion?: string;
  academic_title_degree?: string;
  party_join_date?: string;
  is_current_na_deputy?: string;
}

/**
 * A published row → profile. Party membership: an empty party_join_date or "Không" = non-Party, a date = member.
 * Deputy terms from is_current_na_deputy ("Không" or the list of terms).
 */
export function profileFromListRow(row: CandidateListRow): CandidateProfile {
  const party = (row.party_join_date ?? '').normalize('NFC').trim();
  return {
    dateOfBirth: parseVnDate(row.date_of_birth ?? ''),
    gender: parseGender(row.gender),
    ethnicity: row.ethnicity?.normalize('NFC').trim() || undefined,
    religion: row.religion?.normalize('NFC').trim() || undefined,
    academicTitleDegree: row.academic_title_degree?.normalize('NFC').trim() || undefined,
    partyMember: !NONE.has(searchKey(party)),
    deputyTerms: parseTerms(row.is_current_na_deputy),
  };
}

// --- computation ------------------------------------------------------------------------------------------------

export interface StatisticsOptions {
  electionDay: CalendarDate | string;
  /** The term now sitting ("XIV" in 2021, "XV" in 2026): a deputy of it is an incumbent. */
  currentTerm: string;
}

function indicator(values: (boolean | undefined)[], total: number): Indicator {
  const count = values.filter((v) => v === true).length;
  const unknown = values.filter((v) => v === undefined).length;
  return { count, percent: percent(count, total), unknown };
}

function breakdown<K extends string>(keys: readonly K[], values: (K | undefined)[]): Breakdown<K> {
  const counts = [...keys, 'unknown' as const].map((k) => values.filter((v) => (k === 'unknown' ? v === undefined : v === k)).length);
  const pcts = percentBreakdown(counts);
  const out = {} as Breakdown<K>;
  [...keys, 'unknown' as const].forEach((k, i) => {
    out[k as K | 'unknown'] = { count: counts[i], percent: pcts[i] };
  });
  return out;
}

/**
 * Statistics of a list. Ages are completed years on election day from the full date of birth; a partial date
 * counts in an age band (and for "under 40") only when every day it could stand for gives the same answer,
 * otherwise as unknown. Percentages are of the whole list (`total`), two decimals half-up (rule 24); the
 * breakdowns use percentBreakdown so that they sum to exactly 100.00.
 */
export function candidateStatistics(list: readonly CandidateProfile[], opts: StatisticsOptions): CandidateStatistics {
  const e = typeof opts.electionDay === 'string' ? parseIsoDate(opts.electionDay) : opts.electionDay;
  if (!e) throw new RangeError(`candidateStatistics: invalid election day ${JSON.stringify(opts.electionDay)}`);
  const total = list.length;
  const current = opts.currentTerm.trim().toUpperCase();
  const ages = list.map((c) => {
    if (!c.dateOfBirth) return undefined;
    const { min, max } = ageRangeOn(c.dateOfBirth, e);
    return ageBand(min) === ageBand(max) ? ageBand(min) : undefined;
  });
  return {
    total,
    women: indicator(list.map((c) => (c.gender === undefined ? undefined : c.gender === 'female')), total),
    ethnicMinority: indicator(list.map((c) => isEthnicMinority(c.ethnicity)), total),
    nonParty: indicator(list.map((c) => (c.partyMember === undefined ? undefined : !c.partyMember)), total),
    under40: indicator(ages.map((b) => (b === undefined ? undefined : b === 'under40')), total),
    religious: indicator(list.map((c) => isReligious(c.religion)), total),
    selfNominated: indicator(list.map((c) => c.selfNominated), total),
    central: indicator(list.map((c) => (c.level === undefined ? undefined : c.level === 'central')), total),
    local: indicator(list.map((c) => (c.level === undefined ? undefined : c.level === 'local')), total),
    deputyHistory: breakdown(
      ['incumbent', 'formerDeputy', 'firstTime'] as const,
      list.map((c) => {
        if (c.deputyTerms === undefined) return undefined;
        if (c.deputyTerms.some((t) => t.trim().toUpperCase() === current)) return 'incumbent';
        return c.deputyTerms.length > 0 ? 'formerDeputy' : 'firstTime';
      }),
    ),
    education: breakdown(EDUCATION_BANDS, list.map((c) => educationBand(c.academicTitleDegree))),
    age: breakdown(AGE_BANDS, ages),
  };
}

// --- targets (rule 18) ------------------------------------------------------------------------------------------

export interface TargetCheck {
  id: string;
  titleKey: string;
  minPercent: number;
  binding: boolean;
  level: StructureTarget['level'];
  count: number;
  total: number;
  percent: number;
  /** Exact comparison count/total ≥ minPercent/100 (not the rounded percent); undefined for an unknown target id. */
  met: boolean | undefined;
}

const TARGET_INDICATOR: Record<string, keyof CandidateStatistics> = {
  women: 'women',
  'ethnic-minority': 'ethnicMinority',
  'non-party': 'nonParty',
  'under-40': 'under40',
};

/** Each of the contest type's structure targets (NA: women ≥ 35 %, ethnic minorities ≥ 18 %) → met / not met. */
export function checkStructureTargets(stats: CandidateStatistics, contest: Pick<ContestTypeDef, 'structureTargets'>): TargetCheck[] {
  return contest.structureTargets.map((t) => {
    const key = TARGET_INDICATOR[t.id];
    const ind = key ? (stats[key] as Indicator) : undefined;
    const count = ind?.count ?? 0;
    return {
      id: t.id,
      titleKey: t.titleKey,
      minPercent: t.minPercent,
      binding: t.binding,
      level: t.level,
      count,
      total: stats.total,
      percent: percent(count, stats.total),
      met: ind ? count * 100 >= t.minPercent * stats.total : undefined,
    };
  });
}
