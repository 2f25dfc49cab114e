// What an administrative-tree import file may look like: the three kinds (provinces, communes, dated amendments),
// their columns with the English machine headers of the reference files and the Vietnamese headers people type,
// the unit types accepted in cells, and the issue codes a report can carry. Pure data and small pure helpers.
import { searchKey, normalizeName } from '../shared/vn-text.js';
import type { AdminLevel, AdminType } from './admin-unit.entity.js';

export type ImportKind = 'provinces' | 'communes' | 'amendments';

export type ColumnId =
  | 'province_code' | 'province_name' | 'province_type' | 'communes_total' | 'xa' | 'phuong' | 'dac_khu'
  | 'commune_code' | 'commune_name' | 'commune_type'
  | 'level' | 'code' | 'name_before' | 'name_after' | 'type_before' | 'type_after' | 'legal_basis' | 'effective_date';

export interface ColumnDef {
  id: ColumnId;
  required: boolean;
  /** The Vietnamese header used in templates (also accepted on import). */
  vi: string;
}

/** Columns per kind, in template order. English headers are the column ids themselves. */
export const KIND_COLUMNS: Record<ImportKind, ColumnDef[]> = {
  provinces: [
    { id: 'province_code', required: true, vi: 'Mã tỉnh' },
    { id: 'province_name', required: true, vi: 'Tên tỉnh' },
    { id: 'province_type', required: true, vi: 'Loại' },
    { id: 'communes_total', required: false, vi: 'Tổng số xã' },
    { id: 'xa', required: false, vi: 'Số xã' },
    { id: 'phuong', required: false, vi: 'Số phường' },
    { id: 'dac_khu', required: false, vi: 'Số đặc khu' },
  ],
  communes: [
    { id: 'province_code', required: true, vi: 'Mã tỉnh' },
    { id: 'province_name', required: false, vi: 'Tên tỉnh' },
    { id: 'province_type', required: false, vi: 'Loại' },
    { id: 'commune_code', required: true, vi: 'Mã xã' },
    { id: 'commune_name', required: true, vi: 'Tên xã' },
    { id: 'commune_type', required: true, vi: 'Loại xã' },
  ],
  amendments: [
    { id: 'level', required: true, vi: 'Cấp' },
    { id: 'code', required: true, vi: 'Mã' },
    { id: 'name_before', required: true, vi: 'Tên trước' },
    { id: 'name_after', required: true, vi: 'Tên sau' },
    { id: 'type_before', required: true, vi: 'Loại trước' },
    { id: 'type_after', required: true, vi: 'Loại sau' },
    { id: 'legal_basis', required: false, vi: 'Căn cứ pháp lý' },
    { id: 'effective_date', required: true, vi: 'Ngày hiệu lực' },
  ],
};

/** English header of the reference files for a column (the amendments file names its "before" columns by date). */
export const ENGLISH_HEADER: Record<ColumnId, string> = {
  province_code: 'province_code', province_name: 'province_name', province_type: 'province_type',
  communes_total: 'communes_total', xa: 'xa', phuong: 'phuong', dac_khu: 'dac_khu',
  commune_code: 'commune_code', commune_name: 'commune_name', commune_type: 'commune_type',
  level: 'level', code: 'code', name_before: 'name_2025_07_01', name_after: 'name_after',
  type_before: 'type_2025_07_01', type_after: 'type_after', legal_basis: 'legal_basis',
  effective_date: 'effective_date_per_source',
};

/**
 * Header spellings accepted for each column, compared after `headerKey` (accents, case, `_`/`-`/`.` and
 * anything in parentheses removed). "Loại" alone is the province type, as in the Vietnamese template.
 */
const ALIASES: Record<ColumnId, string[]> = {
  province_code: ['province code', 'ma tinh', 'ma tinh thanh pho', 'ma tinh tp', 'ma don vi cap tinh'],
  province_name: ['province name', 'ten tinh', 'ten tinh thanh pho', 'ten tinh tp', 'ten don vi cap tinh'],
  province_type: ['province type', 'loai', 'loai tinh', 'loai tinh thanh pho', 'loai don vi cap tinh'],
  communes_total: ['communes total', 'tong so xa', 'tong so', 'tong so don vi cap xa', 'so don vi cap xa'],
  xa: ['xa', 'so xa'],
  phuong: ['phuong', 'so phuong'],
  dac_khu: ['dac khu', 'so dac khu'],
  commune_code: ['commune code', 'ma xa', 'ma xa phuong', 'ma don vi cap xa'],
  commune_name: ['commune name', 'ten xa', 'ten xa phuong', 'ten don vi cap xa'],
  commune_type: ['commune type', 'loai xa', 'loai xa phuong', 'loai don vi cap xa'],
  level: ['level', 'cap'],
  code: ['code', 'ma', 'ma don vi'],
  name_before: ['name before', 'name 2025 07 01', 'ten truoc', 'ten cu', 'ten truoc thay doi'],
  name_after: ['name after', 'ten sau', 'ten moi', 'ten sau thay doi'],
  type_before: ['type before', 'type 2025 07 01', 'loai truoc', 'loai cu', 'loai truoc thay doi'],
  type_after: ['type after', 'loai sau', 'loai moi', 'loai sau thay doi'],
  legal_basis: ['legal basis', 'can cu', 'can cu phap ly'],
  effective_date: ['effective date per source', 'effective date', 'ngay hieu luc', 'ngay co hieu luc'],
};

/** Columns that spreadsheets often carry and that are ignored: row numbers and notes. */
const IGNORED = new Set(['stt', 'so tt', 'so thu tu', 'ghi chu', 'note', 'notes']);

const ALIAS_TO_ID = new Map<string, ColumnId>();
for (const [id, list] of Object.entries(ALIASES) as [ColumnId, string[]][]) {
  for (const a of list) {
    if (ALIAS_TO_ID.has(a)) throw new Error(`admin-tree: header alias "${a}" used twice`);
    ALIAS_TO_ID.set(a, id);
  }
}

/** Comparable form of a header cell: "Mã tỉnh (*)" → "ma tinh", "province_code" → "province code". */
export function headerKey(h: string): string {
  return searchKey(h.replace(/\([^)]*\)/g, ' ').replace(/\*/g, ' ')).replace(/[_.\-]+/g, ' ').replace(/\s+/g, ' ').trim();
}

export function columnOf(header: string): ColumnId | 'ignored' | undefined {
  const k = headerKey(header);
  if (k === '' || IGNORED.has(k)) return 'ignored';
  return ALIAS_TO_ID.get(k);
}

/** The kind a header row describes, or undefined when it is not a header of ours. */
export function detectKind(ids: Set<ColumnId>): ImportKind | undefined {
  if (ids.has('commune_code') || ids.has('commune_name') || ids.has('commune_type')) return 'communes';
  if (ids.has('name_after') || ids.has('type_after') || (ids.has('level') && ids.has('code'))) return 'amendments';
  if (ids.has('province_code') && (ids.has('province_name') || ids.has('province_type') || ids.has('communes_total'))) return 'provinces';
  return undefined;
}

export const PROVINCE_TYPES: AdminType[] = ['tỉnh', 'thành phố'];
export const COMMUNE_TYPES: AdminType[] = ['xã', 'phường', 'đặc khu'];

/** Type cells as written (lower-cased, NFC) → stored type. The long form is the official wording. */
const TYPE_INPUT: Record<string, AdminType> = {
  'tỉnh': 'tỉnh',
  'thành phố trực thuộc trung ương': 'thành phố',
  'thành phố': 'thành phố',
  'xã': 'xã',
  'phường': 'phường',
  'đặc khu': 'đặc khu',
};

/** Allowed spellings shown in messages, per level. */
export const TYPE_ALLOWED_TEXT: Record<'province' | 'commune', string> = {
  province: 'tỉnh, thành phố trực thuộc trung ương',
  commune: 'xã, phường, đặc khu',
};

export function parseType(cell: string, level: 'province' | 'commune'): AdminType | undefined {
  const t = TYPE_INPUT[normalizeName(cell).toLowerCase()];
  if (!t) return undefined;
  return (level === 'province' ? PROVINCE_TYPES : COMMUNE_TYPES).includes(t) ? t : undefined;
}

/** Level cells of the amendments file: the reference file's English words or the Vietnamese ones. */
export function parseLevel(cell: string): 'province' | 'commune' | undefined {
  const k = searchKey(cell);
  if (['province', 'tinh', 'cap tinh'].includes(k)) return 'province';
  if (['commune', 'xa', 'cap xa'].includes(k)) return 'commune';
  return undefined;
}

/** Official names start with the unit type: "Phường Ba Đình", "Tỉnh Cao Bằng", "Thành phố Hà Nội". */
export const TYPE_PREFIX: Record<AdminType, string> = {
  'quốc gia': '',
  'tỉnh': 'Tỉnh',
  'thành phố': 'Thành phố',
  'xã': 'Xã',
  'phường': 'Phường',
  'đặc khu': 'Đặc khu',
};

export function nameMatchesType(name: string, type: AdminType): boolean {
  const prefix = TYPE_PREFIX[type];
  if (!prefix) return true;
  const n = name.toLowerCase();
  const p = prefix.toLowerCase() + ' ';
  return n.startsWith(p) && n.length > p.length;
}

/** The proper name without the type word, for sorting: "Phường Ba Đình" → "Ba Đình". */
export function properName(name: string, type: AdminType): string {
  const prefix = TYPE_PREFIX[type];
  if (prefix && name.toLowerCase().startsWith(prefix.toLowerCase() + ' ')) return name.slice(prefix.length + 1);
  return name;
}

export const CODE_WIDTH: Record<'province' | 'commune', number> = { province: 2, commune: 5 };
export const NAME_MAX = 100;
export const MAX_ROWS = 200_000;
/** Issues kept in a report; the rest are counted. */
export const MAX_ISSUES = 5_000;

/** Level of the unit types, for the nation root and display. */
export const LEVEL_OF_TYPE: Record<AdminType, AdminLevel> = {
  'quốc gia': 'nation', 'tỉnh': 'province', 'thành phố': 'province', 'xã': 'commune', 'phường': 'commune', 'đặc khu': 'commune',
};

/** Every issue code a report can carry; each has a message `import.issue.<CODE>` in messages.ts. */
export const ISSUE_CODES = [
  // file
  'FILE_MISSING', 'FILE_TYPE', 'FILE_ENCODING', 'FILE_UNREADABLE', 'FILE_EMPTY', 'FILE_TOO_MANY_ROWS',
  // header
  'HEADER_UNKNOWN_KIND', 'HEADER_MISSING_COLUMN', 'HEADER_UNKNOWN_COLUMN', 'HEADER_DUPLICATE_COLUMN',
  // rows
  'ROW_COLUMN_COUNT', 'REQUIRED', 'PROVINCE_CODE_FORMAT', 'COMMUNE_CODE_FORMAT', 'NAME_EMPTY', 'NAME_TOO_LONG',
  'NAME_TYPE_MISMATCH', 'TYPE_UNKNOWN', 'DUPLICATE_CODE', 'PROVINCE_NOT_FOUND', 'PROVINCE_NAME_MISMATCH',
  'PROVINCE_TYPE_MISMATCH', 'COMMUNE_CODE_OTHER_PROVINCE', 'COUNT_FORMAT', 'COUNT_SUM_MISMATCH',
  'LEVEL_UNKNOWN', 'DATE_FORMAT', 'AMEND_UNIT_NOT_FOUND', 'AMEND_BEFORE_NAME_MISMATCH', 'AMEND_BEFORE_TYPE_MISMATCH',
  'AMEND_DATE_NOT_AFTER',
  // warnings
  'CODE_PADDED', 'COUNT_MISMATCH', 'AMEND_NO_CHANGE',
] as const;
export type IssueCode = (typeof ISSUE_CODES)[number];

/** Codes that never block an import. */
export const WARNING_CODES: ReadonlySet<IssueCode> = new Set<IssueCode>(['CODE_PADDED', 'COUNT_MISMATCH', 'AMEND_NO_CHANGE']);

/** True for a real calendar date written YYYY-MM-DD. */
export function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(s + 'T00:00:00Z');
  return !isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}
