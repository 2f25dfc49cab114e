// Pickers of the report request forms: instead of typing codes and ids, a person chooses the election, the place
// (nation / province / commune), the electoral unit, the polling area or the turnout report time from lists limited
// to what they may generate a report for. Search is accent-free (shared/vn-text searchKey over the stored
// search_key columns: "ha noi" finds "Hà Nội"), whole-word prefixes or a code prefix, like the tree's search.
// Scope is filtered in SQL from the actor's assignments, then every returned item is checked with the policy.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import { sql } from '../persistence/db.js';
import { searchKey } from '../shared/vn-text.js';
import { NATION, type Assignment, type Target } from '../auth/policy.js';
import type { ReportField, TreeLevel } from '../plugin-api/index.js';
import { DEFAULT_SLOTS, slotsOf } from '../elections/turnout/rules.js';

/** What a field of a report's form is chosen with; the rest stay plain inputs. */
export type PickerKind = 'election' | 'place' | 'unit' | 'area' | 'slot';
export type PlaceLevel = 'nation' | 'province' | 'commune';

export interface PickerItem {
  value: string;
  label: string;
  /** Accent-free words, so a native <datalist> matches "ha noi" without JavaScript. */
  key?: string;
}

/** The picker of a field, by its name (the parameter names reports share). */
export function pickerOf(f: Pick<ReportField, 'name' | 'kind'>): PickerKind | undefined {
  if (f.kind !== 'text') return undefined;
  switch (f.name) {
    case 'electionId':
      return 'election';
    case 'code':
    case 'provinceCode':
    case 'communeCode':
      return 'place';
    case 'unitId':
      return 'unit';
    case 'pollingAreaId':
      return 'area';
    case 'slot':
      return 'slot';
    default:
      return undefined;
  }
}

/** Which levels a place field accepts, read from the report's own zod schema ('VN', a 2- or a 5-digit code). */
export function placeLevels(schema: z.ZodType, name: string): PlaceLevel[] {
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
  const field = shape?.[name];
  if (!field) return ['province', 'commune'];
  const probe: [PlaceLevel, string][] = [['nation', 'VN'], ['province', '01'], ['commune', '00004']];
  const levels = probe.filter(([, v]) => field.safeParse(v).success).map(([l]) => l);
  return levels.length ? levels : ['province', 'commune'];
}

/** The part of the tree an actor's assignments reach for a permission: the nation, or lists of nodes. */
export interface PickerScope {
  all: boolean;
  provinces: string[];
  communes: string[];
  units: string[];
  areas: string[];
  /** Elections the assignments are limited to; undefined = any election. */
  elections?: string[];
}

export function pickerScope(assignments: readonly Assignment[], roles: readonly string[]): PickerScope {
  const mine = assignments.filter((a) => roles.includes(a.role));
  const s: PickerScope = { all: false, provinces: [], communes: [], units: [], areas: [] };
  for (const a of mine) {
    if (a.scopeType === 'nation') s.all = true;
    else if (a.scopeType === 'province') s.provinces.push(a.scopeCode);
    else if (a.scopeType === 'commune') s.communes.push(a.scopeCode);
    else if (a.scopeType === 'electoral-unit') s.units.push(a.scopeCode);
    else if (a.scopeType === 'polling-area') s.areas.push(a.scopeCode);
  }
  if (mine.length && mine.every((a) => a.electionId)) s.elections = [...new Set(mine.map((a) => a.electionId!))];
  return s;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (m) => '\\' + m);
const list = (xs: readonly string[]) => xs.join(',');
/** A typed search as SQL: whole-word prefix of the accent-free key, or a code prefix. */
function match(q: string | undefined, keyCol: string, codeCol: string): { where: string; params: unknown[] } {
  const t = (q ?? '').trim();
  if (!t) return { where: 'true', params: [] };
  if (/^\d+$/.test(t)) return { where: `${codeCol} like ?`, params: [escapeLike(t) + '%'] };
  return { where: `(' ' || ${keyCol}) like ?`, params: ['% ' + escapeLike(searchKey(t)) + '%'] };
}

const NATION_ITEM: PickerItem = { value: NATION, label: 'Toàn quốc', key: 'toan quoc viet nam' };

/** Places (nation, provinces, communes in force today) the scope reaches, matching `q`; provinces first. */
export async function searchPlaces(em: EntityManager, scope: PickerScope, o: { q?: string; levels: PlaceLevel[]; limit: number }): Promise<PickerItem[]> {
  const out: PickerItem[] = [];
  const q = (o.q ?? '').trim();
  if (scope.all && o.levels.includes('nation') && (!q || NATION_ITEM.key!.split(' ').some((w) => w.startsWith(searchKey(q).split(' ')[0])) || 'vn'.startsWith(q.toLowerCase()))) out.push(NATION_ITEM);
  const levels = o.levels.filter((l) => l !== 'nation');
  if (!levels.length) return out;
  if (!scope.all && !scope.provinces.length && !scope.communes.length) return out;
  const m = match(q, 'u.search_key', 'u.code');
  // A commune also matches by its province's name: "ha noi" in a commune field lists the communes of Hà Nội.
  if (m.params.length && !/^\d+$/.test(q)) {
    m.where = `(${m.where} or (' ' || coalesce(p.search_key, '')) like ?)`;
    m.params.push(m.params[0]);
  }
  const rows = await sql<{ code: string; name: string; level: string; search_key: string; parent_name: string | null }>(em,
    `select u.code, u.name, u.level, u.search_key, p.name as parent_name
     from admin_unit u left join admin_unit p on p.code = u.parent_code and p.valid_to is null
     where u.valid_to is null and u.level = any(string_to_array(?, ','))
       and (?::boolean or u.code = any(string_to_array(?, ',')) or u.parent_code = any(string_to_array(?, ',')) or u.code = any(string_to_array(?, ',')))
       and ${m.where}
     order by case u.level when 'province' then 0 else 1 end, u.sort_key, u.code limit ?`,
    [list(levels), scope.all, list(scope.provinces), list(scope.provinces), list(scope.communes), ...m.params, o.limit]);
  for (const r of rows) {
    const label = r.level === 'commune' && r.parent_name ? `${r.name} — ${r.parent_name} (${r.code})` : `${r.name} (${r.code})`;
    out.push({ value: r.code, label, key: r.level === 'commune' && r.parent_name ? `${r.search_key} ${searchKey(r.parent_name)}` : r.search_key });
  }
  return out.slice(0, o.limit);
}

const CONTEST_LABEL: Record<string, string> = { 'national-assembly': 'Quốc hội', 'provincial-council': 'HĐND cấp tỉnh', 'commune-council': 'HĐND cấp xã' };

/** Electoral units of an election the scope reaches (their own node, or their place), matching `q` (place name or number). */
export async function searchUnits(em: EntityManager, scope: PickerScope, o: { electionId: string; contest?: string; q?: string; limit: number }): Promise<PickerItem[]> {
  if (!scope.all && !scope.provinces.length && !scope.communes.length && !scope.units.length) return [];
  const q = (o.q ?? '').trim();
  const m = /^\d+$/.test(q) ? { where: 'u.number = ?', params: [Number(q)] as unknown[] } : match(q, 'p.search_key', 'u.parent_code');
  const rows = await sql<{ id: string; number: number; contest: string; parent_code: string; parent_name: string | null; parent_key: string | null }>(em,
    `select u.id, u.number, u.contest, u.parent_code, p.name as parent_name, p.search_key as parent_key
     from electoral_unit u left join admin_unit p on p.code = u.parent_code and p.valid_to is null
     where u.election_id = ? and (?::text is null or u.contest = ?)
       and (?::boolean or u.parent_code = any(string_to_array(?, ',')) or u.parent_code = any(string_to_array(?, ','))
            or u.id::text = any(string_to_array(?, ',')) or p.parent_code = any(string_to_array(?, ',')))
       and ${m.where}
     order by u.contest, p.sort_key nulls last, u.parent_code, u.number limit ?`,
    [o.electionId, o.contest ?? null, o.contest ?? null, scope.all, list(scope.provinces), list(scope.communes), list(scope.units), list(scope.provinces), ...m.params, o.limit]);
  return rows.map((r) => ({
    value: r.id,
    label: `Đơn vị bầu cử số ${r.number} — ${r.parent_name ?? r.parent_code} (${CONTEST_LABEL[r.contest] ?? r.contest})`,
    key: `don vi so ${r.number} ${r.parent_key ?? ''}`.trim(),
  }));
}

/** Polling areas of an election the scope reaches (their commune, its province, or the area itself), matching `q`. */
export async function searchAreas(em: EntityManager, scope: PickerScope, o: { electionId: string; q?: string; limit: number }): Promise<PickerItem[]> {
  if (!scope.all && !scope.provinces.length && !scope.communes.length && !scope.areas.length) return [];
  const q = (o.q ?? '').trim();
  const m = /^\d+$/.test(q) ? { where: 'a.number = ?', params: [Number(q)] as unknown[] } : (() => {
    const k = '% ' + escapeLike(searchKey(q)) + '%';
    return q ? { where: `((' ' || a.search_key) like ? or (' ' || c.search_key) like ?)`, params: [k, k] as unknown[] } : { where: 'true', params: [] as unknown[] };
  })();
  const rows = await sql<{ id: string; number: number; name: string; commune_code: string; commune_name: string | null; search_key: string; commune_key: string | null }>(em,
    `select a.id, a.number, a.name, a.commune_code, c.name as commune_name, a.search_key, c.search_key as commune_key
     from polling_area a left join admin_unit c on c.code = a.commune_code and c.valid_to is null
     where a.election_id = ?
       and (?::boolean or a.commune_code = any(string_to_array(?, ',')) or c.parent_code = any(string_to_array(?, ',')) or a.id::text = any(string_to_array(?, ',')))
       and ${m.where}
     order by c.sort_key nulls last, a.commune_code, a.number limit ?`,
    [o.electionId, scope.all, list(scope.communes), list(scope.provinces), list(scope.areas), ...m.params, o.limit]);
  return rows.map((r) => ({
    value: r.id,
    label: `Khu vực bỏ phiếu số ${r.number}: ${r.name} — ${r.commune_name ?? r.commune_code}`,
    key: `khu vuc so ${r.number} ${r.search_key} ${r.commune_key ?? ''}`.trim(),
  }));
}

/** Elections, newest first (limited to those of election-bound assignments). */
export async function listElections(em: EntityManager, scope: PickerScope): Promise<PickerItem[]> {
  const rows = await sql<{ id: string; name: string; day: string }>(em,
    `select id, name, election_day::text as day from election where (?::boolean or id::text = any(string_to_array(?, ','))) order by election_day desc, name`,
    [scope.elections === undefined, list(scope.elections ?? [])]);
  return rows.map((r) => ({ value: r.id, label: `${r.name} (${r.day.split('-').reverse().join('/')})` }));
}

/** Turnout report times of an election (or of all, merged), 'close' last. */
export async function listSlots(em: EntityManager, electionId?: string): Promise<PickerItem[]> {
  const rows = await sql<{ turnout_slots: unknown }>(em, electionId ? `select turnout_slots from election where id = ?` : `select turnout_slots from election`, electionId ? [electionId] : []);
  const all = new Set<string>(rows.length ? rows.flatMap((r) => slotsOf(r.turnout_slots)) : DEFAULT_SLOTS);
  const slots = [...all].sort((a, b) => (a === 'close' ? 1 : b === 'close' ? -1 : a.localeCompare(b)));
  return slots.map((s) => ({ value: s, label: s === 'close' ? 'Kết thúc bỏ phiếu' : s }));
}

/** The policy target of a picked item (to check each with the policy before it is shown). */
export function itemTarget(kind: 'place' | 'unit' | 'area', value: string, electionId?: string): Target {
  if (kind === 'unit') return { type: 'electoral-unit', code: value, electionId };
  if (kind === 'area') return { type: 'polling-area', code: value, electionId };
  const type: TreeLevel = value === NATION ? 'nation' : value.length === 2 ? 'province' : 'commune';
  return { type, code: value };
}
