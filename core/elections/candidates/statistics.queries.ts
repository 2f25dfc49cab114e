// Structure statistics from the database (issue 5 point 5): the candidates of a contest in a scope (the nation, a
// province, a commune or one unit's list) and a round (status), counted in SQL by the definitions of
// candidateStatistics / checkStructureTargets (statistics.ts), with a breakdown by province or by unit.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../persistence/db.js';
import type { ContestTypeDef } from '../../plugin-api/contest-type.js';
import { percent, percentBreakdown } from '../../shared/percent.js';
import { ageRangeOn, parseIsoDate, parseVnDate } from './dates.js';
import {
  AGE_BANDS, EDUCATION_BANDS, ageBand, checkStructureTargets, educationBand, isEthnicMinority, isReligious, parseTerms,
  type AgeBand, type Breakdown, type CandidateStatistics, type Indicator, type TargetCheck,
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

export interface ScopeStatistics {
  stats: CandidateStatistics;
  targets: TargetCheck[];
  groups: { key: string; stats: CandidateStatistics; targets: TargetCheck[] }[];
}

interface CountRow {
  grp: string | null;
  total: number;
  women: number; gender_unknown: number;
  minority: number; ethnicity_known: number;
  non_party: number;
  religious: number; religion_known: number;
  self: number; nomination_unknown: number;
  central: number; local: number; level_unknown: number;
  incumbent: number; former: number; first_time: number;
  postgraduate: number; university: number; below: number;
  under40: number; a40to50: number; a50to60: number; a60to65: number; over65: number;
}

const pgArray = (xs: readonly string[]) => '{' + xs.map((v) => '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"').join(',') + '}';

/** Counts of one group (or of the whole scope), as the statistics read them. */
type Counts = Omit<CountRow, 'grp'>;

/** One distinct value of the scope (one column set, the others null: grouping sets). */
interface DistinctRow {
  ethnicity: string | null;
  religion: string | null;
  degree: string | null;
  terms: string | null;
  /** A 29 February date of birth (ISO), aged by ageOn's leap-day policy in JS. */
  leap_dob: string | null;
  /** The text of a partial date of birth (no full date). */
  dob_text: string | null;
}

/**
 * Classification of the distinct values of the scope (a few hundred at most) by the pure definitions of
 * statistics.ts; each class is then matched in SQL as an array.
 */
interface Classes {
  minority: string[]; kinh: string[];
  religious: string[]; notReligious: string[];
  terms: string[];
  postgraduate: string[]; university: string[]; below: string[];
  /** Per age band: the 29 February dates and the partial-date texts whose every possible day falls in it. */
  leap: Record<AgeBand, string[]>;
  partial: Record<AgeBand, string[]>;
}

function classify(rows: readonly DistinctRow[], electionDay: string): Classes {
  const band = () => Object.fromEntries(AGE_BANDS.map((b) => [b, [] as string[]])) as Record<AgeBand, string[]>;
  const c: Classes = { minority: [], kinh: [], religious: [], notReligious: [], terms: [], postgraduate: [], university: [], below: [], leap: band(), partial: band() };
  const e = parseIsoDate(electionDay)!;
  // Partial dates and 29 February: the pure ageRangeOn decides, a band only when every possible day agrees.
  const aged = (dob: ReturnType<typeof parseVnDate>) => {
    if (!dob) return undefined;
    const { min, max } = ageRangeOn(dob, e);
    return ageBand(min) === ageBand(max) ? ageBand(min) : undefined;
  };
  for (const r of rows) {
    if (r.ethnicity !== null) {
      const v = isEthnicMinority(r.ethnicity || undefined);
      if (v !== undefined) (v ? c.minority : c.kinh).push(r.ethnicity);
    }
    if (r.religion !== null) {
      const v = isReligious(r.religion);
      if (v !== undefined) (v ? c.religious : c.notReligious).push(r.religion);
    }
    if (r.degree !== null) {
      const b = educationBand(r.degree);
      if (b !== undefined) c[b].push(r.degree);
    }
    if (r.terms !== null && parseTerms(r.terms).length > 0) c.terms.push(r.terms);
    if (r.leap_dob !== null) {
      const b = aged(parseIsoDate(r.leap_dob));
      if (b) c.leap[b].push(r.leap_dob);
    }
    if (r.dob_text !== null) {
      const b = aged(parseVnDate(r.dob_text));
      if (b) c.partial[b].push(r.dob_text);
    }
  }
  return c;
}

const EMPTY: Counts = {
  total: 0, women: 0, gender_unknown: 0, minority: 0, ethnicity_known: 0, non_party: 0, religious: 0, religion_known: 0, self: 0, nomination_unknown: 0,
  central: 0, local: 0, level_unknown: 0, incumbent: 0, former: 0, first_time: 0, postgraduate: 0, university: 0, below: 0,
  under40: 0, a40to50: 0, a50to60: 0, a60to65: 0, over65: 0,
};
const BAND_COLUMN: Record<AgeBand, keyof Counts> = { under40: 'under40', '40to50': 'a40to50', '50to60': 'a50to60', '60to65': 'a60to65', over65: 'over65' };

function add(into: Counts, from: Counts): void {
  for (const k of Object.keys(EMPTY) as (keyof Counts)[]) into[k] += from[k];
}

function indicator(count: number, unknown: number, total: number): Indicator {
  return { count, percent: percent(count, total), unknown };
}

function breakdown<K extends string>(keys: readonly K[], counts: number[], total: number): Breakdown<K> {
  const all = [...counts, total - counts.reduce((a, b) => a + b, 0)];
  const pcts = percentBreakdown(all);
  const out = {} as Breakdown<K>;
  [...keys, 'unknown' as const].forEach((k, i) => {
    out[k as K | 'unknown'] = { count: all[i], percent: pcts[i] };
  });
  return out;
}

/** The counts → candidateStatistics' shape (statistics.ts): the same definitions, counted by the database. */
export function statisticsOfCounts(c: Counts): CandidateStatistics {
  const t = c.total;
  const aged = c.under40 + c.a40to50 + c.a50to60 + c.a60to65 + c.over65;
  return {
    total: t,
    women: indicator(c.women, c.gender_unknown, t),
    ethnicMinority: indicator(c.minority, t - c.ethnicity_known, t),
    nonParty: indicator(c.non_party, 0, t),
    under40: indicator(c.under40, t - aged, t),
    religious: indicator(c.religious, t - c.religion_known, t),
    selfNominated: indicator(c.self, c.nomination_unknown, t),
    central: indicator(c.central, c.level_unknown, t),
    local: indicator(c.local, c.level_unknown, t),
    deputyHistory: breakdown(['incumbent', 'formerDeputy', 'firstTime'] as const, [c.incumbent, c.former, c.first_time], t),
    education: breakdown(EDUCATION_BANDS, [c.postgraduate, c.university, c.below], t),
    age: breakdown(AGE_BANDS, [c.under40, c.a40to50, c.a50to60, c.a60to65, c.over65], t),
  };
}

/**
 * The counts of the filter per group (province at national scope, unit in a province or commune, none for one
 * unit's list), counted in SQL with one `count(*) filter` per indicator and band: the texts (ethnicity, religion,
 * degree, terms) are first read distinct and classified by statistics.ts, then matched as arrays, so the definitions
 * stay the pure ones while no candidate row leaves the database. Issue 5: the nation, all three contests, < 2 s.
 */
async function groupCounts(em: EntityManager, f: StatisticsFilter): Promise<Map<string | null, Counts>> {
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
  const incumbent = contest === 'national-assembly' ? 'c.incumbent_na' : 'c.incumbent_council';
  const day = f.electionDay;
  // Each derived value once per row (the counts below read them many times).
  const rowsOf = `select ${grp} as grp, c.gender, c.ethnicity, c.religion, c.party_member, c.nominated_by, ${incumbent} as incumbent, c.deputy_terms as terms,
      coalesce(nullif(c.education->>'academicTitle', ''), nullif(c.education->>'professional', '')) as degree,
      (c.details->>'nominationKnown') is distinct from 'false' as known,
      case when extract(month from c.date_of_birth) = 2 and extract(day from c.date_of_birth) = 29 then c.date_of_birth::text end as leap_dob,
      case when c.date_of_birth is null then c.date_of_birth_text end as dob_text,
      case when not (extract(month from c.date_of_birth) = 2 and extract(day from c.date_of_birth) = 29) then extract(year from age(?::date, c.date_of_birth))::int end as age
    from candidate c ${/\bu\./.test(grp + where) ? 'left join electoral_unit u on u.id = c.unit_id' : ''} where ${where}`;

  // 1. The distinct texts and odd dates of the scope (hashed grouping sets: one pass, no sort), classified in JS.
  const distinct = await sql<DistinctRow>(em, `select ethnicity, religion, degree, case when not incumbent then terms end as terms, leap_dob, dob_text
    from (${rowsOf}) r group by grouping sets ((ethnicity), (religion), (degree), (case when not incumbent then terms end), (leap_dob), (dob_text))`, [day, ...params]);
  const k = classify(distinct, day);

  // 2. Every indicator and band as a `count(*) filter`, per group; a class is a text[] parameter (array literal).
  const qp: unknown[] = [];
  const arr = (col: string, xs: string[]) => {
    qp.push(pgArray(xs));
    return `${col} = any(?::text[])`;
  };
  const cols = [
    `count(*)::int as total`,
    `count(*) filter (where gender = 'female')::int as women`,
    `count(*) filter (where gender not in ('female', 'male'))::int as gender_unknown`,
    `count(*) filter (where ${arr('ethnicity', k.minority)})::int as minority`,
    `count(*) filter (where ${arr('ethnicity', [...k.minority, ...k.kinh])})::int as ethnicity_known`,
    `count(*) filter (where not party_member)::int as non_party`,
    `count(*) filter (where ${arr('religion', k.religious)})::int as religious`,
    `count(*) filter (where ${arr('religion', [...k.religious, ...k.notReligious])})::int as religion_known`,
    `count(*) filter (where known and nominated_by = 'self')::int as self`,
    `count(*) filter (where not known)::int as nomination_unknown`,
    `count(*) filter (where known and nominated_by = 'central')::int as central`,
    `count(*) filter (where known and nominated_by = 'local')::int as local`,
    `count(*) filter (where not known or nominated_by = 'self')::int as level_unknown`,
    `count(*) filter (where incumbent)::int as incumbent`,
    `count(*) filter (where not incumbent and ${arr('terms', k.terms)})::int as former`,
    `count(*) filter (where not incumbent and not coalesce(${arr('terms', k.terms)}, false))::int as first_time`,
    `count(*) filter (where ${arr('degree', k.postgraduate)})::int as postgraduate`,
    `count(*) filter (where ${arr('degree', k.university)})::int as university`,
    `count(*) filter (where ${arr('degree', k.below)})::int as below`,
  ];
  // Age bands as ageBand (< 40, < 50, < 60, ≤ 65, above) of the SQL age, or of the classified odd dates.
  const bands: [AgeBand, string][] = [['under40', 'age < 40'], ['40to50', 'age between 40 and 49'], ['50to60', 'age between 50 and 59'], ['60to65', 'age between 60 and 65'], ['over65', 'age > 65']];
  for (const [b, cond] of bands) {
    cols.push(`count(*) filter (where ${cond} or ${arr('leap_dob', k.leap[b])} or ${arr('dob_text', k.partial[b])})::int as ${BAND_COLUMN[b]}`);
  }
  const rows = await sql<CountRow>(em, `select grp, ${cols.join(',\n      ')} from (${rowsOf}) r group by grp`, [...qp, day, ...params]);

  let province: Map<string, string> | undefined;
  if (contest === 'commune-council' && !f.unitId && (!f.place || f.place === 'VN')) {
    province = new Map((await sql<{ code: string; p: string }>(em, `select code, parent_code as p from admin_unit a where a.level = 'commune'
      and a.valid_from <= ?::date and (a.valid_to is null or a.valid_to > ?::date)`, [day, day])).map((r) => [r.code, r.p]));
  }
  const key = (g: string | null) => (g === null || !province ? g : province.get(g) ?? g);
  const out = new Map<string | null, Counts>();
  const at = (g: string | null) => {
    let c = out.get(key(g));
    if (!c) out.set(key(g), (c = { ...EMPTY }));
    return c;
  };
  for (const { grp: g, ...c } of rows) add(at(g), c);
  return out;
}

/** Statistics of the scope with the contest's targets (rule 18) and, per group, the same figures. */
export async function scopeStatistics(em: EntityManager, f: StatisticsFilter): Promise<ScopeStatistics> {
  const counts = await groupCounts(em, f);
  const all = { ...EMPTY };
  for (const c of counts.values()) add(all, c);
  const stats = statisticsOfCounts(all);
  const groups = [...counts.entries()].filter((e): e is [string, Counts] => e[0] !== null).sort((a, b) => a[0].localeCompare(b[0])).map(([key, c]) => {
    const s = statisticsOfCounts(c);
    return { key, stats: s, targets: checkStructureTargets(s, f.contest) };
  });
  return { stats, targets: checkStructureTargets(stats, f.contest), groups };
}
