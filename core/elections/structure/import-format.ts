// What a structure import file may look like: three kinds (electoral units, unit compositions, polling areas), their
// columns with the Vietnamese headers of the templates and the English ones of the reference files (the NEC 2026 NA
// lists are accepted as they are), the words accepted in kind / reason cells, and the import-only issue codes.
// Pure data and small pure parsers.
import { headerKey } from '../../admin-tree/import-format.js';
import { searchKey } from '../../shared/vn-text.js';
import { AREA_KINDS, SMALL_REASONS, type AreaKind, type SmallReason } from './model.js';
import type { UnitLevel } from '../../plugin-api/index.js';

export type StructureImportKind = 'units' | 'compositions' | 'areas';
export const IMPORT_KINDS: StructureImportKind[] = ['units', 'compositions', 'areas'];

export type ColumnId =
  | 'province_code' | 'province_name' | 'commune_code' | 'commune_name' | 'unit_no' | 'unit_id' | 'seats' | 'name'
  | 'n_communes' | 'composition_text' | 'council_size' | 'area_no' | 'voters' | 'kind' | 'kind_reason' | 'small_reason'
  | 'voting_date' | 'approval_ref' | 'opens' | 'closes' | 'na_unit' | 'provincial_unit' | 'commune_unit';

export interface ColumnDef {
  id: ColumnId;
  /** Vietnamese header of the template. */
  vi: string;
  required: boolean;
}

/** Template columns per kind and unit level (a commune-level contest names its parent by commune code). */
export function columnsOf(kind: StructureImportKind, level: UnitLevel): ColumnDef[] {
  if (kind === 'units') {
    return level === 'province'
      ? [
        { id: 'province_code', vi: 'Mã tỉnh', required: true },
        { id: 'province_name', vi: 'Tên tỉnh', required: false },
        { id: 'unit_no', vi: 'Số đơn vị', required: true },
        { id: 'seats', vi: 'Số đại biểu được bầu', required: true },
        { id: 'name', vi: 'Tên đơn vị', required: false },
        { id: 'composition_text', vi: 'Mô tả địa bàn', required: false },
        { id: 'council_size', vi: 'Tổng số đại biểu HĐND', required: false },
      ]
      : [
        { id: 'commune_code', vi: 'Mã xã', required: true },
        { id: 'commune_name', vi: 'Tên xã', required: false },
        { id: 'unit_no', vi: 'Số đơn vị', required: true },
        { id: 'seats', vi: 'Số đại biểu được bầu', required: true },
        { id: 'name', vi: 'Tên đơn vị', required: false },
        { id: 'composition_text', vi: 'Mô tả địa bàn', required: false },
        { id: 'council_size', vi: 'Tổng số đại biểu HĐND', required: false },
      ];
  }
  if (kind === 'compositions') {
    return level === 'province'
      ? [
        { id: 'province_code', vi: 'Mã tỉnh', required: false },
        { id: 'unit_no', vi: 'Số đơn vị', required: true },
        { id: 'commune_code', vi: 'Mã xã', required: true },
        { id: 'commune_name', vi: 'Tên xã', required: false },
      ]
      : [
        { id: 'commune_code', vi: 'Mã xã', required: true },
        { id: 'commune_name', vi: 'Tên xã', required: false },
        { id: 'unit_no', vi: 'Số đơn vị', required: true },
        { id: 'area_no', vi: 'Số khu vực bỏ phiếu', required: true },
      ];
  }
  return [
    { id: 'commune_code', vi: 'Mã xã', required: true },
    { id: 'commune_name', vi: 'Tên xã', required: false },
    { id: 'area_no', vi: 'Số khu vực bỏ phiếu', required: true },
    { id: 'name', vi: 'Tên khu vực', required: false },
    { id: 'voters', vi: 'Số cử tri', required: true },
    { id: 'kind', vi: 'Loại khu vực', required: false },
    { id: 'kind_reason', vi: 'Lý do lập khu vực riêng', required: false },
    { id: 'small_reason', vi: 'Lý do dưới 300 cử tri', required: false },
    { id: 'voting_date', vi: 'Ngày bỏ phiếu', required: false },
    { id: 'approval_ref', vi: 'Văn bản cho phép bỏ phiếu sớm', required: false },
    { id: 'opens', vi: 'Giờ bắt đầu', required: false },
    { id: 'closes', vi: 'Giờ kết thúc', required: false },
    { id: 'na_unit', vi: 'Đơn vị bầu cử ĐBQH số', required: false },
    { id: 'provincial_unit', vi: 'Đơn vị bầu cử HĐND tỉnh số', required: false },
    { id: 'commune_unit', vi: 'Đơn vị bầu cử HĐND xã số', required: false },
  ];
}

/** Header spellings per column, compared after headerKey (accents, case, punctuation, parentheses removed). */
const ALIASES: Record<ColumnId, string[]> = {
  province_code: ['province code', 'ma tinh', 'ma tinh thanh pho', 'ma tinh tp'],
  province_name: ['province name', 'ten tinh', 'ten tinh thanh pho', 'ten tinh tp'],
  commune_code: ['commune code', 'ma xa', 'ma xa phuong', 'ma xa phuong dac khu', 'ma don vi cap xa'],
  commune_name: ['commune name', 'ten xa', 'ten xa phuong', 'ten xa phuong dac khu', 'ten don vi cap xa'],
  unit_no: ['unit no', 'unit number', 'so don vi', 'don vi so', 'so don vi bau cu', 'don vi bau cu so'],
  unit_id: ['unit id', 'ma don vi', 'ma don vi bau cu'],
  seats: ['seats', 'so dai bieu', 'so dai bieu duoc bau', 'so dai bieu duoc bau o don vi'],
  name: ['name', 'ten', 'ten don vi', 'ten don vi bau cu', 'ten khu vuc', 'ten khu vuc bo phieu'],
  n_communes: ['n communes', 'so xa', 'so xa phuong', 'so don vi hanh chinh'],
  composition_text: ['composition text', 'composition', 'mo ta', 'mo ta dia ban', 'thanh phan', 'dia ban', 'gom cac xa'],
  council_size: ['council size', 'tong so dai bieu hdnd', 'so dai bieu hdnd', 'tong so dai bieu'],
  area_no: ['area no', 'area number', 'so khu vuc', 'so khu vuc bo phieu', 'khu vuc bo phieu so', 'so kvbp'],
  voters: ['voters', 'so cu tri'],
  kind: ['kind', 'loai khu vuc', 'loai', 'loai khu vuc bo phieu'],
  kind_reason: ['kind reason', 'ly do lap khu vuc rieng', 'ly do loai khac', 'ly do'],
  small_reason: ['small reason', 'ly do duoi 300 cu tri', 'ly do it hon 300 cu tri', 'ly do it cu tri'],
  voting_date: ['voting date', 'ngay bo phieu'],
  approval_ref: ['approval ref', 'van ban cho phep bo phieu som', 'van ban cho phep', 'so van ban cho phep'],
  opens: ['opens', 'gio bat dau', 'gio mo', 'gio bat dau bo phieu'],
  closes: ['closes', 'gio ket thuc', 'gio dong', 'gio ket thuc bo phieu'],
  na_unit: ['na unit', 'don vi bau cu dbqh so', 'don vi dbqh', 'don vi bau cu quoc hoi so', 'don vi bau cu dai bieu quoc hoi so'],
  provincial_unit: ['provincial unit', 'don vi bau cu hdnd tinh so', 'don vi hdnd tinh', 'don vi bau cu hdnd cap tinh so'],
  commune_unit: ['commune unit', 'don vi bau cu hdnd xa so', 'don vi hdnd xa', 'don vi bau cu hdnd cap xa so'],
};

/** Columns carried by the reference files or spreadsheets that the import reads past. */
const IGNORED = new Set(['stt', 'so tt', 'so thu tu', 'ghi chu', 'note', 'notes', 'name in resolution', 'type in resolution',
  'ten trong nghi quyet', 'loai trong nghi quyet', 'loai xa']);

const ALIAS_TO_ID = new Map<string, ColumnId>();
for (const [id, list] of Object.entries(ALIASES) as [ColumnId, string[]][]) {
  for (const a of list) {
    if (ALIAS_TO_ID.has(a)) throw new Error(`structure: header alias "${a}" used twice`);
    ALIAS_TO_ID.set(a, id);
  }
}

export function columnOf(header: string): ColumnId | 'ignored' | undefined {
  const k = headerKey(header);
  if (k === '' || IGNORED.has(k)) return 'ignored';
  return ALIAS_TO_ID.get(k);
}

/** Columns that may appear in a file of a kind (others are refused as unknown, so a wrong file is caught early). */
export function allowedColumns(kind: StructureImportKind, level: UnitLevel): Set<ColumnId> {
  const s = new Set(columnsOf(kind, level).map((c) => c.id));
  if (kind === 'units') {
    for (const c of ['unit_id', 'n_communes', 'province_name', 'commune_name'] as ColumnId[]) s.add(c);
  }
  if (kind === 'compositions' && level === 'province') s.add('province_name');
  if (kind === 'compositions' && level === 'commune') s.add('province_code');
  if (kind === 'areas') s.add('province_code');
  return s;
}

const KIND_WORDS: Record<string, AreaKind> = {};
const addKind = (k: AreaKind, ...words: string[]) => {
  for (const w of [k, k.replace(/-/g, ' '), ...words]) KIND_WORDS[searchKey(w).replace(/[-_]/g, ' ')] = k;
};
addKind('regular', 'thường', 'khu vực thường', 'bình thường', 'chung', 'dân cư');
addKind('armed-unit', 'lực lượng vũ trang', 'đơn vị vũ trang', 'đơn vị vũ trang nhân dân', 'quân đội', 'đơn vị quân đội', 'armed forces');
addKind('hospital', 'bệnh viện');
addKind('maternity-home', 'nhà hộ sinh');
addKind('convalescent-home', 'nhà an dưỡng');
addKind('disability-care', 'cơ sở chăm sóc người khuyết tật', 'chăm sóc người khuyết tật', 'người khuyết tật');
addKind('elderly-care', 'cơ sở chăm sóc người cao tuổi', 'chăm sóc người cao tuổi', 'người cao tuổi');
addKind('compulsory-education', 'cơ sở giáo dục bắt buộc', 'giáo dục bắt buộc', 'trường giáo dưỡng');
addKind('compulsory-rehab', 'cơ sở cai nghiện bắt buộc', 'cai nghiện bắt buộc', 'cơ sở cai nghiện');
addKind('temporary-detention', 'trại tạm giam', 'tạm giam', 'nhà tạm giữ');
addKind('other', 'khác', 'loại khác');

/** The Vietnamese word written in templates and exports for each kind. */
export const KIND_VI: Record<AreaKind, string> = {
  'regular': 'thường',
  'armed-unit': 'lực lượng vũ trang',
  'hospital': 'bệnh viện',
  'maternity-home': 'nhà hộ sinh',
  'convalescent-home': 'nhà an dưỡng',
  'disability-care': 'cơ sở chăm sóc người khuyết tật',
  'elderly-care': 'cơ sở chăm sóc người cao tuổi',
  'compulsory-education': 'cơ sở giáo dục bắt buộc',
  'compulsory-rehab': 'cơ sở cai nghiện bắt buộc',
  'temporary-detention': 'trại tạm giam',
  'other': 'khác',
};
export const SMALL_REASON_VI: Record<SmallReason, string> = { mountain: 'miền núi', island: 'hải đảo', sparse: 'dân cư không tập trung' };

const REASON_WORDS: Record<string, SmallReason> = {};
for (const r of SMALL_REASONS) REASON_WORDS[r] = r;
for (const [w, r] of [['miền núi', 'mountain'], ['vùng cao', 'mountain'], ['núi', 'mountain'], ['hải đảo', 'island'], ['đảo', 'island'],
  ['dân cư không tập trung', 'sparse'], ['dân cư phân tán', 'sparse'], ['phân tán', 'sparse'], ['thưa dân', 'sparse']] as [string, SmallReason][]) {
  REASON_WORDS[searchKey(w)] = r;
}

/** '' → 'regular'; unknown words → undefined. */
export function parseKind(cell: string): AreaKind | undefined {
  if (!cell.trim()) return 'regular';
  return KIND_WORDS[searchKey(cell).replace(/[-_]/g, ' ').replace(/\s+/g, ' ')];
}

/** '' → null; unknown words → undefined. */
export function parseSmallReason(cell: string): SmallReason | null | undefined {
  if (!cell.trim()) return null;
  return REASON_WORDS[searchKey(cell)];
}

/** Whole numbers, with Vietnamese ("1.234") or English ("1,234") thousands separators. */
export function parseCount(cell: string): number | undefined {
  const t = cell.trim();
  if (/^\d+$/.test(t)) return Number(t);
  if (/^\d{1,3}([.,\s\u00a0]\d{3})+$/.test(t)) return Number(t.replace(/[.,\s\u00a0]/g, ''));
  return undefined;
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

/** '7:00', '07:00', '07:00:00', '7h', '7h30', '07g30' or a spreadsheet day fraction → 'HH:MM'; undefined otherwise. */
export function parseTimeCell(cell: string): string | undefined {
  const t = cell.trim().toLowerCase();
  let h: number | undefined;
  let m = 0;
  const a = /^(\d{1,2}):(\d{2})(?::00)?$/.exec(t);
  const b = /^(\d{1,2})\s*[hg](?:\s*(\d{2}))?$/.exec(t);
  if (a) {
    h = Number(a[1]);
    m = Number(a[2]);
  } else if (b) {
    h = Number(b[1]);
    m = b[2] ? Number(b[2]) : 0;
  } else if (/^0?\.\d+$/.test(t)) {
    const mins = Math.round(Number(t) * 1440);
    h = Math.floor(mins / 60);
    m = mins % 60;
  }
  if (h === undefined || h > 23 || m > 59) return undefined;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** Import-only issue codes (the rule codes come from rules.ts); each has a message `structure.issue.<CODE>`. */
export const IMPORT_ISSUE_CODES = [
  'FILE_EMPTY', 'HEADER_NOT_FOUND', 'HEADER_MISSING_COLUMN', 'HEADER_UNKNOWN_COLUMN', 'HEADER_DUPLICATE_COLUMN',
  'CONTEST_NOT_HELD', 'REQUIRED', 'CODE_FORMAT', 'NUMBER_FORMAT', 'DATE_FORMAT', 'TIME_FORMAT', 'KIND_UNKNOWN',
  'SMALL_REASON_UNKNOWN', 'TEXT_TOO_LONG', 'PROVINCE_NOT_FOUND', 'COMMUNE_NOT_FOUND', 'UNIT_NOT_FOUND', 'AREA_NOT_FOUND',
  'DUPLICATE_ROW', 'UNIT_ID_MISMATCH', 'COUNCIL_SIZE_CONFLICT', 'OUT_OF_SCOPE',
  // warnings
  'CODE_PADDED', 'NAME_MISMATCH', 'UNIT_COMMUNES_COUNT',
] as const;
export type ImportIssueCode = (typeof IMPORT_ISSUE_CODES)[number];
export const IMPORT_WARNING_CODES: ReadonlySet<string> = new Set(['CODE_PADDED', 'NAME_MISMATCH', 'UNIT_COMMUNES_COUNT']);

export const CODE_WIDTH = { province: 2, commune: 5 } as const;
export const TEXT_MAX = 300;
/** A unit's description (the NA list's composition text runs to ~500 characters). */
export const DESCRIPTION_MAX = 2000;
export const MAX_ISSUES = 5_000;

/** File names of the 2026 NA lists in REFERENCE_DATA_DIR, read at run time (never copied into the repository). */
export const NA_REFERENCE_FILES = {
  units: 'na16_2026_electoral_units.csv',
  compositions: 'na16_2026_electoral_unit_communes.csv',
} as const;
