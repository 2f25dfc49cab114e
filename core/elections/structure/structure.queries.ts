// Read side of the structure browser: aggregate counts per province, a province's communes and units, a commune's
// polling areas and council units, one unit, one area. The tree is the one in force on election day; search is
// accent-free (search_key), sorting Vietnamese (sort_key COLLATE "C"), pages by limit/offset.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../persistence/db.js';
import { searchKey } from '../../shared/vn-text.js';
import type { ElectionInfo } from './store.js';

export type SortDir = 'asc' | 'desc';
const dirSql = (d: SortDir) => (d === 'desc' ? 'desc' : 'asc');
const inForce = (a: string) => `${a}.valid_from <= ?::date and (${a}.valid_to is null or ${a}.valid_to > ?::date)`;
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (m) => '\\' + m);

/** Accent-free whole-word prefix filter on search_key, or a code prefix when digits are typed. */
function textFilter(q: string | undefined, keyCol: string, codeCol: string | null, params: unknown[]): string {
  const t = (q ?? '').trim();
  if (!t) return '';
  if (codeCol && /^\d{1,5}$/.test(t)) {
    params.push(escapeLike(t) + '%');
    return ` and ${codeCol} like ?`;
  }
  params.push('% ' + escapeLike(searchKey(t)) + '%');
  return ` and (' ' || ${keyCol}) like ?`;
}

export interface Totals {
  units: Record<string, { units: number; seats: number }>;
  areas: number;
  voters: number;
  communes: number;
  provinces: number;
}

export const PROVINCE_SORTS = ['name', 'code', 'communes', 'areas', 'voters'] as const;
export type ProvinceSort = (typeof PROVINCE_SORTS)[number];

export interface ProvinceRow {
  code: string;
  name: string;
  communes: number;
  areas: number;
  voters: number;
  units: Record<string, { units: number; seats: number }>;
  council: number | null;
}

/** Commune → province as of election day (3,321 rows; joins in JavaScript keep the plans simple whatever the statistics). */
export async function communeProvinces(em: EntityManager, e: ElectionInfo): Promise<Map<string, string>> {
  const day = e.electionDay;
  const rows = await sql<{ code: string; p: string }>(em, `select c.code, c.parent_code as p from admin_unit c where c.level = 'commune' and ${inForce('c')}`, [day, day]);
  return new Map(rows.map((r) => [r.code, r.p]));
}

/** Units and seats per (province, contest); commune-level units are counted in their commune's province. */
async function unitsByProvince(em: EntityManager, e: ElectionInfo, provinceOf: Map<string, string>): Promise<Map<string, Record<string, { units: number; seats: number }>>> {
  const rows = await sql<{ parent_level: string; parent_code: string; contest: string; units: number; seats: number }>(
    em, `select parent_level, parent_code, contest, count(*)::int as units, sum(seats)::int as seats from electoral_unit where election_id = ? group by 1, 2, 3`, [e.id]);
  const m = new Map<string, Record<string, { units: number; seats: number }>>();
  for (const r of rows) {
    const province = r.parent_level === 'province' ? r.parent_code : provinceOf.get(r.parent_code);
    if (!province) continue;
    const x = m.get(province) ?? {};
    const t = (x[r.contest] ??= { units: 0, seats: 0 });
    t.units += r.units;
    t.seats += r.seats;
    m.set(province, x);
  }
  return m;
}

/** The provinces with their counts (whole nation), filtered by an accent-free query, sorted, paged; plus totals. */
export async function provinceSummaries(em: EntityManager, e: ElectionInfo, o: { q?: string; sort: ProvinceSort; dir: SortDir; limit: number; offset: number; councilContest?: string }): Promise<{ rows: ProvinceRow[]; total: number; totals: Totals }> {
  const day = e.electionDay;
  const provinceOf = await communeProvinces(em, e);
  const provinces = await sql<{ code: string; name: string; sort_key: string; search_key: string }>(
    em, `select p.code, p.name, p.sort_key, p.search_key from admin_unit p where p.level = 'province' and ${inForce('p')}`, [day, day]);
  const byCommune = await sql<{ commune_code: string; n: number; v: string }>(
    em, `select commune_code, count(*)::int as n, sum(voters)::text as v from polling_area where election_id = ? group by commune_code`, [e.id]);
  const agg = new Map<string, { communes: number; areas: number; voters: number }>();
  const at = (p: string) => {
    let x = agg.get(p);
    if (!x) agg.set(p, (x = { communes: 0, areas: 0, voters: 0 }));
    return x;
  };
  for (const p of provinceOf.values()) at(p).communes++;
  for (const r of byCommune) {
    const p = provinceOf.get(r.commune_code);
    if (!p) continue;
    at(p).areas += r.n;
    at(p).voters += Number(r.v);
  }
  const base = provinces.map((p) => ({ ...p, ...(agg.get(p.code) ?? { communes: 0, areas: 0, voters: 0 }) }));
  const units = await unitsByProvince(em, e, provinceOf);
  const councils = new Map<string, number>();
  if (o.councilContest) {
    for (const r of await sql<{ admin_code: string; size: number }>(em, `select admin_code, size from council where election_id = ? and contest = ?`, [e.id, o.councilContest])) {
      councils.set(r.admin_code, r.size);
    }
  }
  const key = searchKey((o.q ?? '').trim());
  let list = base.filter((p) => !key || (/^\d{1,2}$/.test(key) ? p.code.startsWith(key) : (' ' + p.search_key).includes(' ' + key)));
  const totals: Totals = { units: {}, areas: 0, voters: 0, communes: 0, provinces: base.length };
  for (const p of base) {
    totals.areas += p.areas;
    totals.voters += Number(p.voters);
    totals.communes += p.communes;
    for (const [c, v] of Object.entries(units.get(p.code) ?? {})) {
      const t = (totals.units[c] ??= { units: 0, seats: 0 });
      t.units += v.units;
      t.seats += v.seats;
    }
  }
  const sign = o.dir === 'desc' ? -1 : 1;
  const cmp: Record<ProvinceSort, (a: typeof base[number], b: typeof base[number]) => number> = {
    name: (a, b) => (a.sort_key < b.sort_key ? -1 : a.sort_key > b.sort_key ? 1 : 0),
    code: (a, b) => a.code.localeCompare(b.code),
    communes: (a, b) => a.communes - b.communes,
    areas: (a, b) => a.areas - b.areas,
    voters: (a, b) => a.voters - b.voters,
  };
  list = list.sort((a, b) => sign * cmp[o.sort](a, b) || (a.sort_key < b.sort_key ? -1 : 1));
  const rows = list.slice(o.offset, o.offset + o.limit).map((p) => ({
    code: p.code, name: p.name, communes: p.communes, areas: p.areas, voters: p.voters, units: units.get(p.code) ?? {},
    council: councils.get(p.code) ?? null,
  }));
  return { rows, total: list.length, totals };
}

export interface NamedUnit {
  id: string;
  contest: string;
  number: number;
  seats: number;
  name: string;
  description: string | null;
  communes: { code: string; name: string }[];
  areas: number;
  voters: number;
}

/** The province-level units of a province with their communes, polling areas and voters. */
export async function provinceUnits(em: EntityManager, e: ElectionInfo, province: string): Promise<NamedUnit[]> {
  const day = e.electionDay;
  const rows = await sql<{ id: string; contest: string; number: number; seats: number; name: string; description: string | null; communes: { code: string; name: string }[] | null; areas: number; voters: string }>(
    em,
    `select u.id, u.contest, u.number, u.seats, u.name, u.description,
            (select json_agg(json_build_object('code', uc.commune_code, 'name', coalesce(c.name, uc.commune_code)) order by c.sort_key, uc.commune_code)
               from electoral_unit_commune uc left join admin_unit c on c.code = uc.commune_code and c.level = 'commune' and ${inForce('c')}
              where uc.unit_id = u.id) as communes,
            (select count(*)::int from polling_area_unit pu where pu.unit_id = u.id) as areas,
            (select coalesce(sum(pa.voters), 0)::text from polling_area_unit pu join polling_area pa on pa.id = pu.polling_area_id where pu.unit_id = u.id) as voters
       from electoral_unit u
      where u.election_id = ? and u.parent_level = 'province' and u.parent_code = ?
      order by u.contest, u.number`,
    [day, day, e.id, province],
  );
  return rows.map((r) => ({ ...r, communes: r.communes ?? [], voters: Number(r.voters) }));
}

export const COMMUNE_SORTS = ['name', 'code', 'areas', 'voters'] as const;
export type CommuneSort = (typeof COMMUNE_SORTS)[number];

export interface CommuneRow {
  code: string;
  name: string;
  type: string;
  areas: number;
  voters: number;
  /** Province-level contest → unit number containing the commune. */
  unitNo: Record<string, number>;
  councilUnits: number;
  councilSeats: number;
  council: number | null;
}

/** A province's communes with their units and polling areas; accent-free search, Vietnamese sort, paged. */
export async function communeRows(em: EntityManager, e: ElectionInfo, province: string, o: { q?: string; sort: CommuneSort; dir: SortDir; limit: number; offset: number; councilContest?: string }): Promise<{ rows: CommuneRow[]; total: number }> {
  const day = e.electionDay;
  const params: unknown[] = [day, day, province];
  const filter = textFilter(o.q, 'c.search_key', 'c.code', params);
  const d = dirSql(o.dir);
  const order: Record<CommuneSort, string> = {
    name: `c.sort_key ${d}, c.code`, code: `c.code ${d}`, areas: `areas ${d}, c.sort_key`, voters: `voters ${d}, c.sort_key`,
  };
  const [{ n }] = await sql<{ n: number }>(em, `select count(*)::int as n from admin_unit c where ${inForce('c')} and c.parent_code = ? and c.level = 'commune'${filter}`, params);
  const rows = await sql<{ code: string; name: string; type: string; areas: number; voters: string; units: Record<string, number> | null; cu: number; cs: number; council: number | null }>(
    em,
    `select c.code, c.name, c.type,
            (select count(*)::int from polling_area pa where pa.election_id = ? and pa.commune_code = c.code) as areas,
            (select coalesce(sum(pa.voters), 0)::text from polling_area pa where pa.election_id = ? and pa.commune_code = c.code) as voters,
            (select json_object_agg(u.contest, u.number) from electoral_unit_commune uc join electoral_unit u on u.id = uc.unit_id
              where uc.election_id = ? and uc.commune_code = c.code) as units,
            (select count(*)::int from electoral_unit u where u.election_id = ? and u.parent_level = 'commune' and u.parent_code = c.code) as cu,
            (select coalesce(sum(u.seats), 0)::int from electoral_unit u where u.election_id = ? and u.parent_level = 'commune' and u.parent_code = c.code) as cs,
            (select k.size from council k where k.election_id = ? and k.contest = ? and k.admin_code = c.code) as council
       from admin_unit c
      where ${inForce('c')} and c.parent_code = ? and c.level = 'commune'${filter}
      order by ${order[o.sort]} limit ? offset ?`,
    [e.id, e.id, e.id, e.id, e.id, e.id, o.councilContest ?? '', ...params, o.limit, o.offset],
  );
  return {
    total: n,
    rows: rows.map((r) => ({ code: r.code, name: r.name, type: r.type, areas: r.areas, voters: Number(r.voters), unitNo: r.units ?? {}, councilUnits: r.cu, councilSeats: r.cs, council: r.council })),
  };
}

export interface AdminNode {
  code: string;
  name: string;
  type: string;
  parent_code: string | null;
  parent_name: string | null;
}

export async function nodeAt(em: EntityManager, e: ElectionInfo, code: string, level: 'province' | 'commune'): Promise<AdminNode | undefined> {
  const day = e.electionDay;
  const [r] = await sql<AdminNode>(
    em,
    `select u.code, u.name, u.type, u.parent_code, p.name as parent_name from admin_unit u
       left join admin_unit p on p.code = u.parent_code and p.level = 'province' and ${inForce('p')}
      where u.code = ? and u.level = ? and ${inForce('u')}`,
    [day, day, code, level, day, day],
  );
  return r;
}

export const AREA_SORTS = ['number', 'name', 'voters', 'kind'] as const;
export type AreaSort = (typeof AREA_SORTS)[number];

export interface AreaListRow {
  id: string;
  commune_code: string;
  number: number;
  name: string;
  voters: number;
  kind: string;
  kind_reason: string | null;
  small_reason: string | null;
  voting_date: string | null;
  approval_ref: string | null;
  opens: string;
  closes: string;
  units: Record<string, { id: string; number: number }>;
}

const AREA_COLS = `a.id, a.commune_code, a.number, a.name, a.voters, a.kind, a.kind_reason, a.small_reason, a.voting_date::text as voting_date, a.approval_ref,
  to_char(a.opens, 'HH24:MI') as opens, to_char(a.closes, 'HH24:MI') as closes,
  (select json_object_agg(pu.contest, json_build_object('id', u.id, 'number', u.number)) from polling_area_unit pu join electoral_unit u on u.id = pu.unit_id
    where pu.polling_area_id = a.id) as units`;

/** Polling areas of a commune or of a unit: accent-free search on the name (or a number), sorted, paged. */
export async function areaRows(em: EntityManager, e: ElectionInfo, o: { commune?: string; unitId?: string; q?: string; sort: AreaSort; dir: SortDir; limit: number; offset: number }): Promise<{ rows: AreaListRow[]; total: number; voters: number }> {
  const params: unknown[] = [e.id];
  let where = 'a.election_id = ?';
  if (o.commune) {
    where += ' and a.commune_code = ?';
    params.push(o.commune);
  }
  if (o.unitId) {
    where += ' and exists (select 1 from polling_area_unit pu where pu.polling_area_id = a.id and pu.unit_id = ?)';
    params.push(o.unitId);
  }
  const t = (o.q ?? '').trim();
  if (/^\d{1,5}$/.test(t)) {
    where += ' and a.number = ?';
    params.push(Number(t));
  } else where += textFilter(t, 'a.search_key', null, params);
  const d = dirSql(o.dir);
  const order: Record<AreaSort, string> = {
    number: `a.commune_code ${d}, a.number ${d}`, name: `a.sort_key ${d}, a.number`, voters: `a.voters ${d}, a.number`, kind: `a.kind ${d}, a.number`,
  };
  const [{ n, v }] = await sql<{ n: number; v: string }>(em, `select count(*)::int as n, coalesce(sum(a.voters), 0)::text as v from polling_area a where ${where}`, params);
  const rows = await sql<AreaListRow>(em, `select ${AREA_COLS} from polling_area a where ${where} order by ${order[o.sort]} limit ? offset ?`, [...params, o.limit, o.offset]);
  return { rows: rows.map((r) => ({ ...r, units: r.units ?? {} })), total: n, voters: Number(v) };
}

export async function areaById(em: EntityManager, e: ElectionInfo, id: string): Promise<AreaListRow | undefined> {
  const [r] = await sql<AreaListRow>(em, `select ${AREA_COLS} from polling_area a where a.election_id = ? and a.id = ?`, [e.id, id]);
  return r ? { ...r, units: r.units ?? {} } : undefined;
}

/** A commune's council units with their polling area numbers and voters. */
export async function communeUnits(em: EntityManager, e: ElectionInfo, commune: string): Promise<(Omit<NamedUnit, 'communes'> & { areaNumbers: number[] })[]> {
  const rows = await sql<{ id: string; contest: string; number: number; seats: number; name: string; description: string | null; nums: number[] | null; areas: number; voters: string }>(
    em,
    `select u.id, u.contest, u.number, u.seats, u.name, u.description,
            (select array_agg(pa.number order by pa.number) from polling_area_unit pu join polling_area pa on pa.id = pu.polling_area_id where pu.unit_id = u.id) as nums,
            (select count(*)::int from polling_area_unit pu where pu.unit_id = u.id) as areas,
            (select coalesce(sum(pa.voters), 0)::text from polling_area_unit pu join polling_area pa on pa.id = pu.polling_area_id where pu.unit_id = u.id) as voters
       from electoral_unit u where u.election_id = ? and u.parent_level = 'commune' and u.parent_code = ? order by u.contest, u.number`,
    [e.id, commune],
  );
  return rows.map((r) => ({ ...r, areaNumbers: r.nums ?? [], voters: Number(r.voters) }));
}

export interface UnitDetail {
  id: string;
  contest: string;
  parent_level: 'province' | 'commune';
  parent_code: string;
  number: number;
  seats: number;
  name: string;
  description: string | null;
}

export async function unitById(em: EntityManager, e: ElectionInfo, id: string): Promise<UnitDetail | undefined> {
  const [r] = await sql<UnitDetail>(em, `select id, contest, parent_level, parent_code, number, seats, name, description from electoral_unit where election_id = ? and id = ?`, [e.id, id]);
  return r;
}

export async function unitCommunes(em: EntityManager, e: ElectionInfo, unitId: string): Promise<{ code: string; name: string; type: string }[]> {
  const day = e.electionDay;
  return sql(em,
    `select uc.commune_code as code, coalesce(c.name, uc.commune_code) as name, coalesce(c.type, '') as type from electoral_unit_commune uc
       left join admin_unit c on c.code = uc.commune_code and c.level = 'commune' and ${inForce('c')}
      where uc.unit_id = ? order by c.sort_key, uc.commune_code`, [day, day, unitId]);
}

export async function councilSize(em: EntityManager, electionId: string, contest: string, code: string): Promise<number | null> {
  const [r] = await sql<{ size: number }>(em, `select size from council where election_id = ? and contest = ? and admin_code = ?`, [electionId, contest, code]);
  return r?.size ?? null;
}
