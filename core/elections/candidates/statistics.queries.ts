// Structure statistics from the database (issue 5 point 5): the candidates of a contest in a scope (the nation, a
// province, a commune or one unit's list) and a round (status), turned into CandidateProfile and computed by the
// definitions of candidateStatistics / checkStructureTargets (statistics.ts) over groups the query counts, with a
// breakdown by province or by unit.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../persistence/db.js';
import type { ContestTypeDef } from '../../plugin-api/contest-type.js';
import { percent, percentBreakdown } from '../../shared/percent.js';
import { ageRangeOn, parseIsoDate, parseVnDate } from './dates.js';
import {
  AGE_BANDS, EDUCATION_BANDS, ageBand, checkStructureTargets, educationBand, isEthnicMinority, isReligious, parseTerms,
  type AgeBand, type Breakdown, type CandidateProfile, type CandidateStatistics, type Indicator, type TargetCheck,
} from './statistics.js';

/** Rounds of the consultation as list filters: every candidate not dropped, each status, or the official lists. */
export const ROUNDS = ['all', 'nominated', 'preliminary', 'qualified', 'official'] as const;
export type Round = (typeof ROUNDS)[number];

export interface StatisticsFilter {
  electionId: string;
  electionDay: string;
  contest: ContestTypeDef;
  /** 'VN'/undefined = the whole country; 2 digits a province; 5 digits a commune. */
  place?: string;
  unitId?: string;
  round: Round;
}

interface ProfileRow {
  grp: string | null;
  gender: string;
  /** Completed age on election day from a full date of birth (PostgreSQL age()), except 29 February births. */
  age: number | null;
  /** A full date of birth on 29 February (aged by ageOn's leap-day policy in JS), else null. */
  leap_dob: string | null;
  dob_text: string | null;
  ethnicity: string;
  religion: string | null;
  degree: string | null;
  party_member: boolean;
  incumbent: boolean;
  deputy_terms: string | null;
  nominated_by: string;
  nomination_known: string | null;
  /** How many candidates share all of the above (the query groups them). */
  n: number;
}

/** Marker term: a candidate flagged as incumbent is a deputy of "the current term", whatever its numeral. */
const CURRENT = '__CURRENT__';

/** A row (or group) → profile, as statistics.ts reads one; a SQL-computed age is kept apart (see weighted()). */
export function profileOf(r: Omit<ProfileRow, 'grp' | 'n' | 'age' | 'leap_dob'> & { dob?: string | null; leap_dob?: string | null }): CandidateProfile {
  const known = r.nomination_known !== 'false';
  const terms = parseTerms(r.deputy_terms ?? '');
  const iso = r.dob ?? r.leap_dob ?? null;
  return {
    dateOfBirth: (iso ? parseIsoDate(iso) : undefined) ?? parseVnDate(r.dob_text ?? ''),
    gender: r.gender === 'female' ? 'female' : r.gender === 'male' ? 'male' : undefined,
    ethnicity: r.ethnicity || undefined,
    religion: r.religion ?? undefined,
    academicTitleDegree: r.degree ?? undefined,
    partyMember: r.party_member,
    deputyTerms: r.incumbent ? [...terms, CURRENT] : terms,
    selfNominated: known ? r.nominated_by === 'self' : undefined,
    level: known && r.nominated_by !== 'self' ? (r.nominated_by as 'central' | 'local') : undefined,
  };
}

export interface ScopeStatistics {
  stats: CandidateStatistics;
  targets: TargetCheck[];
  groups: { key: string; stats: CandidateStatistics; targets: TargetCheck[] }[];
}

/**
 * The candidates of the filter, grouped by everything the statistics read (so a national query returns a few
 * thousand groups, not 126,000 rows), with a province (national scope) or unit key per group.
 */
async function profileRows(em: EntityManager, f: StatisticsFilter): Promise<ProfileRow[]> {
  const contest = f.contest.id;
  const params: unknown[] = [];
  // Commune councils are grouped by commune here and mapped to their province afterwards (no per-row join with
  // admin_unit: right after a bulk import the planner's row estimates are stale and such a join degenerates).
  const provinceOf = contest === 'commune-council' ? 'c.council_code' : contest === 'provincial-council' ? 'c.council_code' : `coalesce(nullif(u.parent_code, 'VN'), nullif(nullif(c.filing_body_code, 'NEC'), 'VN'), u.description)`;
  const grp = f.unitId ? 'null' : f.place && f.place !== 'VN' ? `coalesce(u.id::text, '')` : provinceOf;
  let where = 'c.election_id = ? and c.contest = ?';
  params.push(f.electionId, f.contest.id);
  if (f.round === 'all') where += ` and c.status not in ('not-qualified', 'withdrawn', 'removed')`;
  else {
    where += ' and c.status = ?';
    params.push(f.round);
  }
  if (f.unitId) {
    where += ' and c.unit_id = ?';
    params.push(f.unitId);
  } else if (f.place && f.place !== 'VN') {
    if (f.place.length === 5) where += ' and c.council_code = ?';
    else if (contest === 'commune-council') where += ` and c.council_code = any(array(select a.code from admin_unit a where a.parent_code = ? and a.level = 'commune'))`;
    else where += ` and ${provinceOf} = ?`;
    params.push(f.place);
  }
  const degree = `coalesce(nullif(c.education->>'academicTitle', ''), nullif(c.education->>'professional', ''))`;
  const incumbent = contest === 'national-assembly' ? 'c.incumbent_na' : 'c.incumbent_council';
  const leap = `(extract(month from c.date_of_birth) = 2 and extract(day from c.date_of_birth) = 29)`;
  const day = f.electionDay;
  const rows = await sql<ProfileRow>(em, `select ${grp} as grp, c.gender,
      case when c.date_of_birth is not null and not ${leap} then extract(year from age(?::date, c.date_of_birth))::int end as age,
      case when ${leap} then c.date_of_birth::text end as leap_dob,
      case when c.date_of_birth is null then c.date_of_birth_text end as dob_text,
      c.ethnicity, c.religion, ${degree} as degree, c.party_member, ${incumbent} as incumbent, c.deputy_terms, c.nominated_by,
      c.details->>'nominationKnown' as nomination_known, count(*)::int as n
    from candidate c left join electoral_unit u on u.id = c.unit_id
    where ${where}
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13`, [day, ...params]);
  if (contest === 'commune-council' && !f.unitId && (!f.place || f.place === 'VN')) {
    const province = new Map((await sql<{ code: string; p: string }>(em, `select code, parent_code as p from admin_unit a where a.level = 'commune'
      and a.valid_from <= ?::date and (a.valid_to is null or a.valid_to > ?::date)`, [day, day])).map((r) => [r.code, r.p]));
    for (const r of rows) if (r.grp !== null) r.grp = province.get(r.grp) ?? r.grp;
  }
  return rows;
}

interface Weighted {
  p: CandidateProfile;
  /** Age band when the age is known exactly (SQL age or a full/partial date deciding one band), else undefined. */
  band: AgeBand | undefined;
  n: number;
}

function indicator(xs: readonly Weighted[], f: (w: Weighted) => boolean | undefined, total: number): Indicator {
  let count = 0;
  let unknown = 0;
  for (const w of xs) {
    const v = f(w);
    if (v === true) count += w.n;
    else if (v === undefined) unknown += w.n;
  }
  return { count, percent: percent(count, total), unknown };
}

function breakdown<K extends string>(keys: readonly K[], xs: readonly Weighted[], f: (w: Weighted) => K | undefined): Breakdown<K> {
  const all = [...keys, 'unknown' as const];
  const counts = all.map(() => 0);
  for (const w of xs) {
    const k = f(w);
    counts[k === undefined ? keys.length : keys.indexOf(k)] += w.n;
  }
  const pcts = percentBreakdown(counts);
  const out = {} as Breakdown<K>;
  all.forEach((k, i) => {
    out[k as K | 'unknown'] = { count: counts[i], percent: pcts[i] };
  });
  return out;
}

/**
 * candidateStatistics (statistics.ts) over weighted groups: the same definitions, each group classified once and
 * counted n times. Checked against candidateStatistics on the 2021 list (test/integration/candidates.statistics.test.ts).
 */
export function weightedStatistics(xs: readonly Weighted[]): CandidateStatistics {
  const total = xs.reduce((a, w) => a + w.n, 0);
  return {
    total,
    women: indicator(xs, (w) => (w.p.gender === undefined ? undefined : w.p.gender === 'female'), total),
    ethnicMinority: indicator(xs, (w) => isEthnicMinority(w.p.ethnicity), total),
    nonParty: indicator(xs, (w) => (w.p.partyMember === undefined ? undefined : !w.p.partyMember), total),
    under40: indicator(xs, (w) => (w.band === undefined ? undefined : w.band === 'under40'), total),
    religious: indicator(xs, (w) => isReligious(w.p.religion), total),
    selfNominated: indicator(xs, (w) => w.p.selfNominated, total),
    central: indicator(xs, (w) => (w.p.level === undefined ? undefined : w.p.level === 'central'), total),
    local: indicator(xs, (w) => (w.p.level === undefined ? undefined : w.p.level === 'local'), total),
    deputyHistory: breakdown(['incumbent', 'formerDeputy', 'firstTime'] as const, xs, (w) => {
      const t = w.p.deputyTerms;
      if (t === undefined) return undefined;
      if (t.includes(CURRENT)) return 'incumbent';
      return t.length > 0 ? 'formerDeputy' : 'firstTime';
    }),
    education: breakdown(EDUCATION_BANDS, xs, (w) => educationBand(w.p.academicTitleDegree)),
    age: breakdown(AGE_BANDS, xs, (w) => w.band),
  };
}

/** Statistics of the scope with the contest's targets (rule 18) and, per group, the same figures. */
export async function scopeStatistics(em: EntityManager, f: StatisticsFilter): Promise<ScopeStatistics> {
  const rows = await profileRows(em, f);
  const e = parseIsoDate(f.electionDay)!;
  const all: Weighted[] = [];
  const byGroup = new Map<string, Weighted[]>();
  for (const r of rows) {
    const p = profileOf(r);
    let band: AgeBand | undefined;
    if (r.age !== null) band = ageBand(r.age);
    else if (p.dateOfBirth) {
      // Partial dates and 29 February: the pure ageRangeOn decides, a band only when every possible day agrees.
      const { min, max } = ageRangeOn(p.dateOfBirth, e);
      band = ageBand(min) === ageBand(max) ? ageBand(min) : undefined;
    }
    const w = { p, band, n: r.n };
    all.push(w);
    if (r.grp !== null) {
      const list = byGroup.get(r.grp) ?? [];
      list.push(w);
      byGroup.set(r.grp, list);
    }
  }
  const stats = weightedStatistics(all);
  const groups = [...byGroup.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([key, list]) => {
    const s = weightedStatistics(list);
    return { key, stats: s, targets: checkStructureTargets(s, f.contest) };
  });
  return { stats, targets: checkStructureTargets(stats, f.contest), groups };
}
