// Read side of the administrative tree, always "as of" a date: the version of each unit in force that day.
// Search is accent-free (search_key), matches whole-word prefixes or a code prefix, sorts in Vietnamese order.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../persistence/db.js';
import { searchKey } from '../shared/vn-text.js';
import type { Clock } from '../shared/clock.js';
import type { AdminLevel, AdminType } from './admin-unit.entity.js';

/** Today's date in Vietnam (the default "as of"). */
export function vnToday(clock: Clock): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit' }).format(clock.now());
}

export type SortDir = 'asc' | 'desc';
export const PROVINCE_SORTS = ['name', 'code', 'type', 'xa', 'phuong', 'dac_khu', 'total'] as const;
export const UNIT_SORTS = ['name', 'code', 'type'] as const;
export type ProvinceSort = (typeof PROVINCE_SORTS)[number];
export type UnitSort = (typeof UNIT_SORTS)[number];

const inForce = (a: string) => `${a}.valid_from <= ?::date and (${a}.valid_to is null or ${a}.valid_to > ?::date)`;
// Type order in the Vietnamese alphabet: đặc khu < phường < thành phố < tỉnh < xã.
const TYPE_ORDER = (a: string) => `case ${a}.type when 'đặc khu' then 1 when 'phường' then 2 when 'thành phố' then 3 when 'tỉnh' then 4 when 'xã' then 5 else 9 end`;
const dirSql = (d: SortDir) => (d === 'desc' ? 'desc' : 'asc');

export interface ProvinceSummary {
  code: string;
  name: string;
  type: AdminType;
  xa: number;
  phuong: number;
  dac_khu: number;
  total: number;
}

export async function provinceSummaries(
  em: EntityManager, asOf: string, sort: ProvinceSort, dir: SortDir, limit: number, offset: number,
): Promise<{ rows: ProvinceSummary[]; total: number }> {
  const d = dirSql(dir);
  const order: Record<ProvinceSort, string> = {
    name: `p.sort_key ${d}, p.code`,
    code: `p.code ${d}`,
    type: `${TYPE_ORDER('p')} ${d}, p.sort_key`,
    xa: `xa ${d}, p.sort_key`,
    phuong: `phuong ${d}, p.sort_key`,
    dac_khu: `dac_khu ${d}, p.sort_key`,
    total: `total ${d}, p.sort_key`,
  };
  const rows = await sql<ProvinceSummary>(
    em,
    `select p.code, p.name, p.type,
            (count(c.code) filter (where c.type = 'xã'))::int as xa,
            (count(c.code) filter (where c.type = 'phường'))::int as phuong,
            (count(c.code) filter (where c.type = 'đặc khu'))::int as dac_khu,
            count(c.code)::int as total
       from admin_unit p
       left join admin_unit c on c.parent_code = p.code and c.level = 'commune' and ${inForce('c')}
      where p.level = 'province' and ${inForce('p')}
      group by p.code, p.name, p.type, p.sort_key
      order by ${order[sort]}
      limit ? offset ?`,
    [asOf, asOf, asOf, asOf, limit, offset],
  );
  const [{ n }] = await sql<{ n: number }>(em, `select count(*)::int as n from admin_unit p where p.level = 'province' and ${inForce('p')}`, [asOf, asOf]);
  return { rows, total: n };
}

export interface UnitRow {
  code: string;
  name: string;
  type: AdminType;
  level: AdminLevel;
  parent_code: string | null;
  parent_name: string | null;
  valid_from: string;
  valid_to: string | null;
}

export async function unitAt(em: EntityManager, code: string, asOf: string): Promise<UnitRow | undefined> {
  const [u] = await sql<UnitRow>(
    em,
    `select u.code, u.name, u.type, u.level, u.parent_code, null as parent_name, u.valid_from::text as valid_from, u.valid_to::text as valid_to
       from admin_unit u where u.code = ? and ${inForce('u')}`,
    [code, asOf, asOf],
  );
  return u;
}

/** Every version of a unit, oldest first (its history). */
export async function unitHistory(em: EntityManager, code: string): Promise<UnitRow[]> {
  return sql<UnitRow>(
    em,
    `select code, name, type, level, parent_code, null as parent_name, valid_from::text as valid_from, valid_to::text as valid_to
       from admin_unit where code = ? order by valid_from`,
    [code],
  );
}

export interface SearchOptions {
  q?: string;
  asOf: string;
  /** Only communes of this province. */
  province?: string;
  type?: AdminType;
  sort: UnitSort;
  dir: SortDir;
  limit: number;
  offset: number;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (m) => '\\' + m);

/** Provinces and communes in force on a date, filtered by a query (name without accents, or code) and type. */
export async function searchUnits(em: EntityManager, o: SearchOptions): Promise<{ rows: UnitRow[]; total: number }> {
  const where: string[] = [inForce('u'), `u.level in ('province','commune')`];
  const params: unknown[] = [o.asOf, o.asOf];
  const q = (o.q ?? '').trim();
  let rank = '';
  const rankParams: unknown[] = [];
  if (q) {
    if (/^\d{1,5}$/.test(q)) {
      where.push(`u.code like ?`);
      params.push(escapeLike(q) + '%');
    } else {
      const key = searchKey(q);
      // Whole-word prefix: "dinh" finds "Ba Đình", "inh" does not.
      where.push(`(' ' || u.search_key) like ?`);
      params.push('% ' + escapeLike(key) + '%');
      // Typed with accents: names that contain exactly what was typed come first ("Bà" before "Ba").
      if (key !== q.toLowerCase().normalize('NFC').replace(/\s+/g, ' ')) {
        rank = `(position(? in lower(u.name)) = 0), `;
        rankParams.push(q.toLowerCase().normalize('NFC').replace(/\s+/g, ' '));
      }
    }
  }
  if (o.province) {
    where.push(`u.parent_code = ? and u.level = 'commune'`);
    params.push(o.province);
  }
  if (o.type) {
    where.push(`u.type = ?`);
    params.push(o.type);
  }
  const d = dirSql(o.dir);
  const order: Record<UnitSort, string> = {
    name: `${rank}u.sort_key ${d}, u.code`,
    code: `u.code ${d}`,
    type: `${TYPE_ORDER('u')} ${d}, u.sort_key, u.code`,
  };
  const rows = await sql<UnitRow>(
    em,
    `select u.code, u.name, u.type, u.level, u.parent_code, p.name as parent_name, u.valid_from::text as valid_from, u.valid_to::text as valid_to
       from admin_unit u
       left join admin_unit p on p.code = u.parent_code and ${inForce('p')}
      where ${where.join(' and ')}
      order by ${order[o.sort]}
      limit ? offset ?`,
    [o.asOf, o.asOf, ...params, ...(o.sort === 'name' ? rankParams : []), o.limit, o.offset],
  );
  const [{ n }] = await sql<{ n: number }>(em, `select count(*)::int as n from admin_unit u where ${where.join(' and ')}`, params);
  return { rows, total: n };
}

export interface TypeCounts {
  xa: number;
  phuong: number;
  dac_khu: number;
  total: number;
}

export async function communeCountsOf(em: EntityManager, provinceCode: string, asOf: string): Promise<TypeCounts> {
  const [r] = await sql<TypeCounts>(
    em,
    `select (count(*) filter (where type = 'xã'))::int as xa, (count(*) filter (where type = 'phường'))::int as phuong,
            (count(*) filter (where type = 'đặc khu'))::int as dac_khu, count(*)::int as total
       from admin_unit u where u.parent_code = ? and u.level = 'commune' and ${inForce('u')}`,
    [provinceCode, asOf, asOf],
  );
  return r;
}

/** Dates on which the tree changed (every version start), for the "as of" shortcuts. */
export async function changeDates(em: EntityManager): Promise<string[]> {
  const rows = await sql<{ d: string }>(em, `select distinct valid_from::text as d from admin_unit order by d`);
  return rows.map((r) => r.d);
}

export async function electionDays(em: EntityManager): Promise<{ name: string; day: string }[]> {
  return sql<{ name: string; day: string }>(em, `select name, election_day::text as day from election order by election_day desc limit 5`);
}
