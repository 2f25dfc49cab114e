// The in-memory shape of an election's structure — the tree as of election day, the contests held, electoral units
// with their compositions, polling areas with their unit per contest, council sizes — on which the pure rules
// (rules.ts) run. Imports, the national seed and the structure check all build one of these and call the same rules.
import type { UnitLevel } from '../../plugin-api/index.js';

/** Kinds of polling area (Law 85 art. 11; rule 6): the ordinary one and the separate ones. */
export const AREA_KINDS = [
  'regular', 'armed-unit', 'hospital', 'maternity-home', 'convalescent-home', 'disability-care', 'elderly-care',
  'compulsory-education', 'compulsory-rehab', 'temporary-detention', 'other',
] as const;
export type AreaKind = (typeof AREA_KINDS)[number];

/** Separate areas that need at least 50 voters (rule 6: hospitals, maternity/convalescent homes, care facilities). */
export const CARE_KINDS: ReadonlySet<AreaKind> = new Set<AreaKind>(['hospital', 'maternity-home', 'convalescent-home', 'disability-care', 'elderly-care']);

/** Reasons that allow fewer than 300 voters (rule 6: mountainous, island, sparsely populated). */
export const SMALL_REASONS = ['mountain', 'island', 'sparse'] as const;
export type SmallReason = (typeof SMALL_REASONS)[number];

/** The NA size when an election does not set one (500 deputies, 16th legislature). */
export const DEFAULT_NA_SIZE = 500;
/** Where the NA size is kept in the council table. */
export const NATION_CODE = 'VN';

export interface ContestInfo {
  id: string;
  unitLevel: UnitLevel;
  seats: { min: number; max: number };
  shortLabel: string;
}

export interface ProvinceNode {
  code: string;
  name: string;
}
export interface CommuneNode {
  code: string;
  name: string;
  province: string;
  type: string;
}

export interface UnitRec {
  id: string;
  contest: string;
  parentLevel: UnitLevel;
  parentCode: string;
  number: number;
  seats: number;
  name: string;
  description: string | null;
}

export interface AreaRec {
  id: string;
  communeCode: string;
  number: number;
  name: string;
  voters: number;
  kind: AreaKind;
  kindReason: string | null;
  smallReason: SmallReason | null;
  /** Null: on election day. */
  votingDate: string | null;
  approvalRef: string | null;
  opens: string;
  closes: string;
}

export interface Structure {
  electionId: string;
  electionDay: string;
  contests: ContestInfo[];
  provinces: Map<string, ProvinceNode>;
  communes: Map<string, CommuneNode>;
  units: Map<string, UnitRec>;
  /** NA and provincial-council units → their communes. */
  unitCommunes: Map<string, string[]>;
  areas: Map<string, AreaRec>;
  /** Polling area → contest → unit id. */
  areaUnits: Map<string, Map<string, string>>;
  /** `${contest}|${adminCode}` → size; the NA size under `national-assembly|VN`. */
  councils: Map<string, number>;
  /** Provinces loaded (and checked); undefined = the whole nation, which also checks the national NA sum. */
  scope?: ReadonlySet<string>;
}

export const councilKey = (contest: string, code: string): string => `${contest}|${code}`;

/**
 * The one place that knows the National Assembly contest by id: its "council" is national (Σ seats of all its units =
 * the NA size), whereas a People's Council belongs to the parent of its units (a province or a commune).
 */
export const NA_CONTEST = 'national-assembly';
export function councilLevel(c: Pick<ContestInfo, 'id' | 'unitLevel'>): 'nation' | UnitLevel {
  return c.id === NA_CONTEST ? 'nation' : c.unitLevel;
}

/** The import column that carries an area's unit number for a contest. */
export function unitColumnOf(c: Pick<ContestInfo, 'id' | 'unitLevel'>): 'na_unit' | 'provincial_unit' | 'commune_unit' {
  return c.unitLevel === 'commune' ? 'commune_unit' : c.id === NA_CONTEST ? 'na_unit' : 'provincial_unit';
}

export function emptyStructure(electionId: string, electionDay: string, contests: ContestInfo[]): Structure {
  return {
    electionId, electionDay, contests, provinces: new Map(), communes: new Map(), units: new Map(), unitCommunes: new Map(),
    areas: new Map(), areaUnits: new Map(), councils: new Map(),
  };
}

/** The unit's display name when none is given: "Đơn vị bầu cử số 3". */
export const defaultUnitName = (n: number): string => `Đơn vị bầu cử số ${n}`;
/** The area's display name when none is given: "Khu vực bỏ phiếu số 3". */
export const defaultAreaName = (n: number): string => `Khu vực bỏ phiếu số ${n}`;

/** Indexes derived once per check: units by contest and parent, communes by province, areas by commune. */
export interface StructureIndex {
  unitsByParent: Map<string, UnitRec[]>;
  communesByProvince: Map<string, CommuneNode[]>;
  areasByCommune: Map<string, AreaRec[]>;
  /** `${contest}|${commune}` → unit ids containing it (NA/provincial). */
  communeUnits: Map<string, string[]>;
  /** unit id → area ids (any contest). */
  unitAreas: Map<string, string[]>;
}

export const parentKey = (contest: string, parent: string): string => `${contest}|${parent}`;

export function indexStructure(s: Structure): StructureIndex {
  const unitsByParent = new Map<string, UnitRec[]>();
  for (const u of s.units.values()) push(unitsByParent, parentKey(u.contest, u.parentCode), u);
  const communesByProvince = new Map<string, CommuneNode[]>();
  for (const c of s.communes.values()) push(communesByProvince, c.province, c);
  const areasByCommune = new Map<string, AreaRec[]>();
  for (const a of s.areas.values()) push(areasByCommune, a.communeCode, a);
  const communeUnits = new Map<string, string[]>();
  for (const [unitId, list] of s.unitCommunes) {
    const u = s.units.get(unitId);
    if (!u) continue;
    for (const c of list) push(communeUnits, `${u.contest}|${c}`, unitId);
  }
  const unitAreas = new Map<string, string[]>();
  for (const [areaId, m] of s.areaUnits) for (const unitId of m.values()) push(unitAreas, unitId, areaId);
  return { unitsByParent, communesByProvince, areasByCommune, communeUnits, unitAreas };
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}
