// What a bodies import file looks like: one row per member (the body's columns repeated on each of its rows), with
// the Vietnamese headers of the template and a few other spellings, the words accepted in the kind, role and team
// kind cells, and small pure parsers. The export writes the same columns, so an exported file imports back unchanged.
import { headerKey } from '../../admin-tree/import-format.js';
import { searchKey } from '../../shared/vn-text.js';
import type { BodyKind, MemberRole, TeamVariant } from './model.js';
import type { ContestRef } from './store.js';

export type ColumnId =
  | 'kind' | 'admin_code' | 'admin_name' | 'unit_no' | 'area_no' | 'variant' | 'decision_no' | 'decision_date' | 'issued_by'
  | 'formed_on' | 'full_name' | 'role' | 'organisation' | 'phone' | 'status';

export interface ColumnDef {
  id: ColumnId;
  /** Header in the template and the export. */
  vi: string;
  required: boolean;
}

/** The template's columns, in order. 'Trạng thái' is written by the export only and read past on import. */
export const COLUMNS: ColumnDef[] = [
  { id: 'kind', vi: 'Loại tổ chức', required: true },
  { id: 'admin_code', vi: 'Mã đơn vị hành chính', required: true },
  { id: 'admin_name', vi: 'Tên đơn vị hành chính', required: false },
  { id: 'unit_no', vi: 'Số đơn vị bầu cử', required: false },
  { id: 'area_no', vi: 'Số khu vực bỏ phiếu', required: false },
  { id: 'variant', vi: 'Loại tổ bầu cử', required: false },
  { id: 'decision_no', vi: 'Số quyết định', required: false },
  { id: 'decision_date', vi: 'Ngày quyết định', required: false },
  { id: 'issued_by', vi: 'Cơ quan ban hành', required: false },
  { id: 'formed_on', vi: 'Ngày thành lập', required: false },
  { id: 'full_name', vi: 'Họ và tên', required: true },
  { id: 'role', vi: 'Chức vụ trong tổ chức', required: true },
  { id: 'organisation', vi: 'Cơ quan, tổ chức', required: false },
  { id: 'phone', vi: 'Điện thoại', required: false },
];
export const STATUS_COLUMN: ColumnDef = { id: 'status', vi: 'Trạng thái', required: false };

/** Header comparison key: no accents, case, parentheses, punctuation. */
export const hk = (h: string): string => headerKey(h).replace(/[,;:/]+/g, ' ').replace(/\s+/g, ' ').trim();

const ALIASES: Record<ColumnId, string[]> = {
  kind: ['loai to chuc', 'loai', 'to chuc', 'kind', 'body kind', 'loai to chuc phu trach bau cu'],
  admin_code: ['ma don vi hanh chinh', 'ma dvhc', 'ma tinh xa', 'ma', 'admin code', 'code'],
  admin_name: ['ten don vi hanh chinh', 'ten dvhc', 'ten tinh xa', 'admin name'],
  unit_no: ['so don vi bau cu', 'don vi bau cu so', 'so dvbc', 'don vi so', 'unit no', 'unit number'],
  area_no: ['so khu vuc bo phieu', 'khu vuc bo phieu so', 'so kvbp', 'khu vuc so', 'area no', 'area number'],
  variant: ['loai to bau cu', 'variant', 'team kind'],
  decision_no: ['so quyet dinh', 'quyet dinh so', 'so qd', 'decision no', 'decision number'],
  decision_date: ['ngay quyet dinh', 'ngay qd', 'ngay ban hanh', 'decision date'],
  issued_by: ['co quan ban hanh', 'noi ban hanh', 'co quan ra quyet dinh', 'issued by'],
  formed_on: ['ngay thanh lap', 'formed on'],
  full_name: ['ho va ten', 'ho ten', 'full name', 'name'],
  role: ['chuc vu trong to chuc', 'chuc vu', 'chuc danh', 'role'],
  organisation: ['co quan to chuc', 'co quan', 'don vi cong tac', 'noi cong tac', 'organisation', 'organization'],
  phone: ['dien thoai', 'so dien thoai', 'sdt', 'dt', 'phone'],
  status: ['trang thai', 'status'],
};
const IGNORED = new Set(['stt', 'so tt', 'so thu tu', 'tt', 'ghi chu', 'note', 'notes']);

const ALIAS_TO_ID = new Map<string, ColumnId>();
for (const [id, list] of Object.entries(ALIASES) as [ColumnId, string[]][]) {
  for (const a of list) {
    if (ALIAS_TO_ID.has(a)) throw new Error(`bodies: header alias "${a}" used twice`);
    ALIAS_TO_ID.set(a, id);
  }
}

export function columnOf(header: string): ColumnId | 'ignored' | undefined {
  const k = hk(header);
  if (k === '' || IGNORED.has(k)) return 'ignored';
  return ALIAS_TO_ID.get(k);
}

const cellKey = (s: string): string => searchKey(s).replace(/[,.;:_()\-–/]+/g, ' ').replace(/\s+/g, ' ').trim();

/** What the kind cell says: a kind, and for a board the contest of its unit. */
export interface KindCell {
  kind: BodyKind;
  contest?: string;
}

/** Words for a board of each contest, besides "Ban bầu cử <short label>". */
const BOARD_WORDS: Record<string, string[]> = {
  'national-assembly': ['Ban bầu cử ĐBQH', 'Ban bầu cử đại biểu Quốc hội', 'Ban bầu cử Quốc hội'],
  'provincial-council': ['Ban bầu cử HĐND tỉnh', 'Ban bầu cử đại biểu HĐND tỉnh', 'Ban bầu cử HĐND cấp tỉnh', 'Ban bầu cử đại biểu HĐND cấp tỉnh',
    'Ban bầu cử đại biểu Hội đồng nhân dân tỉnh', 'Ban bầu cử đại biểu Hội đồng nhân dân cấp tỉnh'],
  'commune-council': ['Ban bầu cử HĐND xã', 'Ban bầu cử đại biểu HĐND xã', 'Ban bầu cử HĐND cấp xã', 'Ban bầu cử đại biểu HĐND cấp xã',
    'Ban bầu cử đại biểu Hội đồng nhân dân xã', 'Ban bầu cử đại biểu Hội đồng nhân dân cấp xã'],
};

/** The words written in the kind cell by the template and the export. */
export function kindCellText(kind: BodyKind, contest?: { id: string; shortLabel: string } | null): string {
  if (kind === 'province-committee') return 'Ủy ban bầu cử tỉnh';
  if (kind === 'commune-committee') return 'Ủy ban bầu cử xã';
  if (kind === 'team') return 'Tổ bầu cử';
  return BOARD_WORDS[contest?.id ?? '']?.[0] ?? `Ban bầu cử ${contest?.shortLabel ?? ''}`.trim();
}

/** The kind words understood for the contests held. */
export function kindWords(contests: readonly ContestRef[]): Map<string, KindCell> {
  const m = new Map<string, KindCell>();
  const add = (w: string, k: KindCell) => m.set(cellKey(w), k);
  for (const w of ['Ủy ban bầu cử tỉnh', 'Ủy ban bầu cử ở tỉnh', 'Ủy ban bầu cử cấp tỉnh', 'Ủy ban bầu cử tỉnh, thành phố', 'Ủy ban bầu cử ở tỉnh, thành phố', 'UBBC tỉnh', 'province-committee']) {
    add(w, { kind: 'province-committee' });
  }
  for (const w of ['Ủy ban bầu cử xã', 'Ủy ban bầu cử ở xã', 'Ủy ban bầu cử cấp xã', 'Ủy ban bầu cử xã, phường, đặc khu', 'Ủy ban bầu cử ở xã, phường, đặc khu', 'UBBC xã', 'commune-committee']) {
    add(w, { kind: 'commune-committee' });
  }
  for (const w of ['Tổ bầu cử', 'TBC', 'team']) add(w, { kind: 'team' });
  for (const c of contests) {
    for (const w of [`Ban bầu cử ${c.shortLabel}`, ...(BOARD_WORDS[c.id] ?? []), `board ${c.id}`]) add(w, { kind: 'board', contest: c.id });
  }
  return m;
}

export function parseKind(cell: string, words: Map<string, KindCell>): KindCell | undefined {
  return words.get(cellKey(cell));
}

/** The role words written by the template and the export (Vietnamese titles). */
export const ROLE_VI: Record<MemberRole, string> = {
  chair: 'Chủ tịch', 'vice-chair': 'Phó Chủ tịch', head: 'Trưởng ban', 'deputy-head': 'Phó Trưởng ban', leader: 'Tổ trưởng', secretary: 'Thư ký', member: 'Ủy viên',
};
const ROLE_WORDS = new Map<string, MemberRole>();
for (const [r, vi] of Object.entries(ROLE_VI) as [MemberRole, string][]) {
  ROLE_WORDS.set(cellKey(vi), r);
  ROLE_WORDS.set(cellKey(r), r);
}
for (const [w, r] of [['Phó trưởng ban', 'deputy-head'], ['Phó ban', 'deputy-head'], ['Thành viên', 'member'], ['Tổ viên', 'member'], ['Trưởng Ban bầu cử', 'head'],
  ['Chủ tịch Ủy ban bầu cử', 'chair'], ['Phó Chủ tịch Ủy ban bầu cử', 'vice-chair'], ['Tổ trưởng Tổ bầu cử', 'leader']] as [string, MemberRole][]) {
  ROLE_WORDS.set(cellKey(w), r);
}

export function parseRole(cell: string): MemberRole | undefined {
  return ROLE_WORDS.get(cellKey(cell));
}

export const VARIANT_VI: Record<TeamVariant, string> = { civil: 'thường', 'armed-unit': 'lực lượng vũ trang', mixed: 'hỗn hợp' };
const VARIANT_WORDS = new Map<string, TeamVariant>();
for (const [w, v] of [['thường', 'civil'], ['dân sự', 'civil'], ['civil', 'civil'], ['lực lượng vũ trang', 'armed-unit'], ['vũ trang', 'armed-unit'],
  ['đơn vị vũ trang', 'armed-unit'], ['đơn vị vũ trang nhân dân', 'armed-unit'], ['armed-unit', 'armed-unit'], ['armed unit', 'armed-unit'],
  ['hỗn hợp', 'mixed'], ['kết hợp', 'mixed'], ['vũ trang và dân cư', 'mixed'], ['lực lượng vũ trang và dân cư', 'mixed'], ['mixed', 'mixed']] as [string, TeamVariant][]) {
  VARIANT_WORDS.set(cellKey(w), v);
}

/** '' → null (the default for the area's kind); unknown words → undefined. */
export function parseVariant(cell: string): TeamVariant | null | undefined {
  if (!cell.trim()) return null;
  return VARIANT_WORDS.get(cellKey(cell));
}

/** 'YYYY-MM-DD' or 'DD/MM/YYYY' (also with '-' or '.') → ISO; undefined when not a calendar date. */
export function parseDate(cell: string): string | undefined {
  const t = cell.trim();
  let iso: string | undefined;
  const m1 = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  const m2 = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(t);
  if (m1) iso = `${m1[1]}-${m1[2].padStart(2, '0')}-${m1[3].padStart(2, '0')}`;
  else if (m2) iso = `${m2[3]}-${m2[2].padStart(2, '0')}-${m2[1].padStart(2, '0')}`;
  if (!iso) return undefined;
  const d = new Date(iso + 'T00:00:00Z');
  return !isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso ? iso : undefined;
}

/** A whole number ≥ 1. */
export function parsePositive(cell: string): number | undefined {
  const t = cell.trim();
  return /^\d{1,6}$/.test(t) && Number(t) >= 1 ? Number(t) : undefined;
}

export const TEXT_MAX = 300;
export const NAME_MAX = 120;
export const MAX_ISSUES = 5_000;

/** Import-only issue codes (the rule codes come from rules.ts); each has a message `bodies.issue.<CODE>`. */
export const IMPORT_ISSUE_CODES = [
  'FILE_EMPTY', 'HEADER_NOT_FOUND', 'HEADER_MISSING_COLUMN', 'HEADER_UNKNOWN_COLUMN', 'HEADER_DUPLICATE_COLUMN',
  'REQUIRED', 'KIND_UNKNOWN', 'CODE_FORMAT', 'NUMBER_FORMAT', 'DATE_FORMAT', 'ROLE_UNKNOWN', 'VARIANT_UNKNOWN', 'VARIANT_NOT_TEAM',
  'TEXT_TOO_LONG', 'PHONE_FORMAT', 'PROVINCE_NOT_FOUND', 'COMMUNE_NOT_FOUND', 'UNIT_NOT_FOUND', 'AREA_NOT_FOUND', 'OUT_OF_SCOPE',
  'CONFLICT', 'NONE_RECORDED',
  // warnings
  'CODE_PADDED', 'IMPORTED_DRAFT',
] as const;
export type ImportIssueCode = (typeof IMPORT_ISSUE_CODES)[number];
export const IMPORT_WARNING_CODES: ReadonlySet<string> = new Set(['CODE_PADDED', 'IMPORTED_DRAFT']);
