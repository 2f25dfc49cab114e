// What a candidate import file looks like: one row per candidate, the Vietnamese headers of the template (and other
// spellings), the words accepted in the contest, gender, nomination and status cells, small pure parsers, and the
// column mapping of the published 2021 NA list (na15_2021_candidates.csv), which imports through the same path.
import { headerKey } from '../../admin-tree/import-format.js';
import { searchKey } from '../../shared/vn-text.js';

export type ColumnId =
  | 'external_ref' | 'contest' | 'council_code' | 'unit_place' | 'unit_no' | 'published_order' | 'full_name' | 'other_name'
  | 'date_of_birth' | 'gender' | 'ethnicity' | 'religion' | 'hometown' | 'academic' | 'professional' | 'occupation' | 'workplace'
  | 'party_joined' | 'deputy_terms' | 'incumbent_na' | 'council_deputy' | 'nominated_by' | 'nominating_body' | 'status';

export interface ColumnDef {
  id: ColumnId;
  /** Header in the template and the export. */
  vi: string;
  required: boolean;
}

export const COLUMNS: ColumnDef[] = [
  { id: 'external_ref', vi: 'Mã hồ sơ', required: true },
  { id: 'contest', vi: 'Cuộc bầu cử', required: true },
  { id: 'council_code', vi: 'Mã tỉnh/xã của Hội đồng nhân dân', required: false },
  { id: 'unit_place', vi: 'Tỉnh/thành phố (ĐBQH)', required: false },
  { id: 'unit_no', vi: 'Đơn vị bầu cử số', required: false },
  { id: 'published_order', vi: 'Thứ tự đã công bố', required: false },
  { id: 'full_name', vi: 'Họ và tên', required: true },
  { id: 'other_name', vi: 'Tên gọi khác', required: false },
  { id: 'date_of_birth', vi: 'Ngày sinh', required: true },
  { id: 'gender', vi: 'Giới tính', required: true },
  { id: 'ethnicity', vi: 'Dân tộc', required: true },
  { id: 'religion', vi: 'Tôn giáo', required: false },
  { id: 'hometown', vi: 'Quê quán', required: false },
  { id: 'academic', vi: 'Học hàm, học vị', required: false },
  { id: 'professional', vi: 'Trình độ chuyên môn', required: false },
  { id: 'occupation', vi: 'Nghề nghiệp, chức vụ', required: false },
  { id: 'workplace', vi: 'Nơi công tác', required: false },
  { id: 'party_joined', vi: 'Ngày vào Đảng', required: false },
  { id: 'deputy_terms', vi: 'Đại biểu Quốc hội khóa', required: false },
  { id: 'incumbent_na', vi: 'Đại biểu Quốc hội đương nhiệm', required: false },
  { id: 'council_deputy', vi: 'Đại biểu HĐND', required: false },
  { id: 'nominated_by', vi: 'Giới thiệu', required: false },
  { id: 'nominating_body', vi: 'Cơ quan, tổ chức giới thiệu', required: false },
  { id: 'status', vi: 'Trạng thái', required: false },
];

export const hk = (h: string): string => headerKey(h).replace(/[,;:/()]+/g, ' ').replace(/\s+/g, ' ').trim();

const ALIASES: Record<ColumnId, string[]> = {
  external_ref: ['ma ho so', 'ma tham chieu', 'external ref', 'ref'],
  contest: ['cuoc bau cu', 'bau cu', 'contest'],
  council_code: ['ma tinh xa cua hoi dong nhan dan', 'ma hoi dong', 'ma tinh xa', 'council code'],
  unit_place: ['tinh thanh pho dbqh', 'tinh thanh pho', 'tinh', 'province', 'unit place'],
  unit_no: ['don vi bau cu so', 'so don vi bau cu', 'don vi so', 'unit number', 'unit no'],
  published_order: ['thu tu da cong bo', 'thu tu', 'stt tren phieu', 'ballot order'],
  full_name: ['ho va ten', 'ho ten', 'full name'],
  other_name: ['ten goi khac', 'ten khac', 'other name'],
  date_of_birth: ['ngay sinh', 'ngay thang nam sinh', 'date of birth'],
  gender: ['gioi tinh', 'gender'],
  ethnicity: ['dan toc', 'ethnicity'],
  religion: ['ton giao', 'religion'],
  hometown: ['que quan', 'hometown'],
  academic: ['hoc ham hoc vi', 'hoc vi', 'academic title degree'],
  professional: ['trinh do chuyen mon', 'chuyen mon', 'professional'],
  occupation: ['nghe nghiep chuc vu', 'nghe nghiep', 'chuc vu', 'occupation position', 'occupation'],
  workplace: ['noi cong tac', 'co quan cong tac', 'workplace'],
  party_joined: ['ngay vao dang', 'party join date'],
  deputy_terms: ['dai bieu quoc hoi khoa', 'la dai bieu quoc hoi khoa', 'deputy terms'],
  incumbent_na: ['dai bieu quoc hoi duong nhiem', 'dbqh duong nhiem', 'incumbent na'],
  council_deputy: ['dai bieu hdnd', 'dai bieu hoi dong nhan dan', 'council deputy'],
  nominated_by: ['gioi thieu', 'hinh thuc gioi thieu', 'nominated by'],
  nominating_body: ['co quan to chuc gioi thieu', 'co quan gioi thieu', 'nominating body'],
  status: ['trang thai', 'status'],
};
const IGNORED = new Set(['stt', 'so tt', 'so thu tu', 'tt', 'ghi chu', 'note', 'notes']);

const BY_KEY = new Map<string, ColumnId>();
for (const c of COLUMNS) {
  BY_KEY.set(hk(c.vi), c.id);
  for (const a of ALIASES[c.id]) if (!BY_KEY.has(a)) BY_KEY.set(a, c.id);
}

/** A header cell → column id, 'ignored' for row numbers and notes, undefined if unknown. */
export function columnOf(header: string, mapping: Mapping = TEMPLATE_MAPPING): ColumnId | 'ignored' | undefined {
  const k = hk(header);
  if (mapping.headers[k]) return mapping.headers[k];
  if (IGNORED.has(k)) return 'ignored';
  return BY_KEY.get(k);
}

/**
 * A column mapping: extra header names, values the file does not carry, and how a row's external reference is made
 * when the file has none. 'template' is the template itself; 'na15-2021' the published 2021 NA candidate list.
 */
export interface Mapping {
  id: string;
  headers: Record<string, ColumnId>;
  /** Contest of every row when the file has no contest column. */
  contest?: string;
  /** External reference of a row from its cells (the file has no reference column). */
  ref?: (cell: (id: ColumnId) => string) => string;
  /** The file does not say who nominated: recorded as 'local' with details.nominationKnown = false (statistics: unknown). */
  nominationUnknown?: boolean;
}

export const TEMPLATE_MAPPING: Mapping = { id: 'template', headers: {} };

/**
 * na15_2021_candidates.csv (VietThan/vietnam-elections, CC-BY-4.0): province, unit_number, ballot_order, full_name,
 * date_of_birth, gender, ethnicity, religion, hometown, academic_title_degree, occupation_position, workplace,
 * party_join_date, is_current_na_deputy (the NA terms), is_current_pc_deputy (council term text). The row's place on
 * the published list is its identity: "2021/<province>/<unit>/<order>".
 */
export const NA15_2021_MAPPING: Mapping = {
  id: 'na15-2021',
  headers: {
    province: 'unit_place', 'unit number': 'unit_no', 'ballot order': 'published_order', 'academic title degree': 'academic',
    'occupation position': 'occupation', 'party join date': 'party_joined', 'is current na deputy': 'deputy_terms', 'is current pc deputy': 'council_deputy',
  },
  contest: 'national-assembly',
  ref: (cell) => `2021/${placeKey(cell('unit_place'))}/${cell('unit_no').trim()}/${cell('published_order').trim()}`,
  nominationUnknown: true,
};

export const MAPPINGS: Record<string, Mapping> = { template: TEMPLATE_MAPPING, 'na15-2021': NA15_2021_MAPPING };

/** A province named in any published way ("TP. Hà Nội", "Thành phố Hà Nội", "Tỉnh Thanh Hoá") → one key ("ha noi"). */
export function placeKey(s: string): string {
  return searchKey(s).replace(/^(tinh|thanh pho|tp\.?)\s+/, '').replace(/[.\s]+/g, ' ').trim();
}

export const CONTEST_WORDS: Record<string, string[]> = {
  'national-assembly': ['national-assembly', 'dai bieu quoc hoi', 'quoc hoi', 'dbqh'],
  'provincial-council': ['provincial-council', 'hoi dong nhan dan tinh', 'hdnd tinh', 'hdnd cap tinh'],
  'commune-council': ['commune-council', 'hoi dong nhan dan xa', 'hdnd xa', 'hdnd cap xa'],
};
export const CONTEST_VI: Record<string, string> = {
  'national-assembly': 'Đại biểu Quốc hội', 'provincial-council': 'HĐND tỉnh', 'commune-council': 'HĐND xã',
};
export function parseContest(s: string): string | undefined {
  const k = searchKey(s);
  return Object.entries(CONTEST_WORDS).find(([, ws]) => ws.includes(k))?.[0];
}

export const NOMINATION_VI = { central: 'Trung ương', local: 'Địa phương', self: 'Tự ứng cử' } as const;
export function parseNomination(s: string): 'central' | 'local' | 'self' | undefined {
  const k = searchKey(s);
  if (['trung uong', 'central', 'tw'].includes(k)) return 'central';
  if (['dia phuong', 'local'].includes(k)) return 'local';
  if (['tu ung cu', 'self', 'tuc'].includes(k)) return 'self';
  return undefined;
}

export const IMPORT_STATUSES = ['nominated', 'preliminary', 'qualified'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];
export const STATUS_VI: Record<string, string> = {
  nominated: 'Được giới thiệu', preliminary: 'Danh sách sơ bộ', qualified: 'Đủ tiêu chuẩn', official: 'Chính thức',
  'not-qualified': 'Không đủ tiêu chuẩn', withdrawn: 'Rút', removed: 'Bị xóa tên',
};
export function parseStatus(s: string): ImportStatus | undefined {
  const k = searchKey(s);
  if (['nominated', 'duoc gioi thieu', 'vong 1'].includes(k)) return 'nominated';
  if (['preliminary', 'danh sach so bo', 'so bo', 'vong 2'].includes(k)) return 'preliminary';
  if (['qualified', 'du tieu chuan', 'vong 3'].includes(k)) return 'qualified';
  return undefined;
}

const YES = new Set(['co', 'x', 'yes', 'true', '1', 'dung']);
const NO = new Set(['', 'khong', 'no', 'false', '0']);
export function parseYesNo(s: string): boolean | undefined {
  const k = searchKey(s);
  return YES.has(k) ? true : NO.has(k) ? false : undefined;
}
export const isNone = (s: string): boolean => ['', 'khong', 'khong co', '-', 'none'].includes(searchKey(s));

const ROMAN: Record<string, number> = { I: 1, V: 5, X: 10, L: 50 };
const romanOf = (n: number): string => {
  const table: [number, string][] = [[50, 'L'], [40, 'XL'], [10, 'X'], [9, 'IX'], [5, 'V'], [4, 'IV'], [1, 'I']];
  let out = '';
  for (const [v, s] of table) while (n >= v) { out += s; n -= v; }
  return out;
};
export const romanValue = (s: string): number => [...s].reduce((acc, ch, i, a) => (ROMAN[a[i + 1]] > ROMAN[ch] ? acc - ROMAN[ch] : acc + ROMAN[ch]), 0);

/**
 * The NA term sitting when an election is held (so "incumbent" = a deputy of that term): the XIII NA was elected in
 * 2011 and the NA has been elected every five years since, so an election in 2021 is held by the XIV, in 2026 by the XV.
 */
export function sittingNaTerm(electionDay: string): string {
  const year = Number(electionDay.slice(0, 4));
  return romanOf(12 + Math.floor((year - 2011) / 5));
}

/**
 * Council deputy text: "Có"/"Không", or the published "Tỉnh X nhiệm kỳ 2016-2021" — incumbent when a term ends in
 * the election year (the council elected then is the one being replaced).
 */
export function councilIncumbent(text: string, electionDay: string): boolean {
  const yn = parseYesNo(text);
  if (yn !== undefined) return yn;
  const year = electionDay.slice(0, 4);
  return new RegExp(`\\d{4}\\s*-\\s*${year}`).test(text);
}
