// The structure rules, pure and coded (rules 3–6, 10, 11 of shared/domain/election-rules.md): a catalogue of stable
// codes with a severity, the law rule, the field they concern and a Vietnamese and English text; and the checks that
// turn a Structure (model.ts) into issues. Imports, the national seed, the edit forms and the structure check report
// all call these same functions, so "valid" means one thing. docs/structure.md lists the catalogue.
import { checkVotingHours, parseTime } from '../calendar/rules.js';
import {
  CARE_KINDS, DEFAULT_NA_SIZE, NATION_CODE, councilKey, councilLevel, indexStructure, parentKey, unitColumnOf,
  type AreaRec, type ContestInfo, type Structure, type StructureIndex, type UnitRec,
} from './model.js';
import { KIND_VI } from './import-format.js';

export type Severity = 'error' | 'warning';

export interface RuleText {
  vi: string;
  en: string;
}

export interface RuleDef {
  code: string;
  severity: Severity;
  /** Number of the rule in shared/domain/election-rules.md. */
  rule: number;
  /** The field (import column id) the problem is about. */
  field: string;
  /** Texts by variant ('default' always); {placeholders} are issue params. */
  texts: Record<string, RuleText>;
  /** True when an import or a form that touches the record must refuse to save it. */
  blocksSave: boolean;
}

const R = (code: string, severity: Severity, rule: number, field: string, blocksSave: boolean, texts: Record<string, RuleText>): RuleDef =>
  ({ code, severity, rule, field, blocksSave, texts });

/** The catalogue. Codes are stable: tests, reports and API clients rely on them. */
export const STRUCTURE_RULES = {
  UNIT_SEATS_RANGE: R('UNIT_SEATS_RANGE', 'error', 3, 'seats', true, {
    default: {
      vi: 'Số đại biểu được bầu của {unit} ({parent}) là {seats}; đơn vị bầu cử {contest} được bầu từ {min} đến {max} đại biểu (trường «Số đại biểu được bầu»).',
      en: '{unit} ({parent}) elects {seats}; a {contest} electoral unit elects {min} to {max} deputies (field "seats").',
    },
  }),
  UNIT_NUMBERING: R('UNIT_NUMBERING', 'error', 4, 'unit_no', true, {
    default: {
      vi: 'Các đơn vị bầu cử {contest} của {parent} phải được đánh số liên tục từ 1 đến {count}: {detail} (trường «Số đơn vị»).',
      en: 'The {contest} electoral units of {parent} must be numbered 1 to {count} without gaps: {detail} (field "unit number").',
    },
  }),
  UNIT_PARENT_UNKNOWN: R('UNIT_PARENT_UNKNOWN', 'error', 4, 'parent_code', true, {
    default: {
      vi: '{unit}: không có {level} mã {parent} trong danh mục đơn vị hành chính tại ngày bầu cử {day} (trường «Mã {level}»).',
      en: '{unit}: no {level} with code {parent} in the administrative tree on election day {day} (field "{level} code").',
    },
  }),
  UNIT_OUTSIDE_PARENT: R('UNIT_OUTSIDE_PARENT', 'error', 4, 'commune_code', true, {
    default: {
      vi: '{unit} của {parent} gồm {commune} ({communeCode}), thuộc {other}: đơn vị bầu cử phải nằm trọn trong {parent} (trường «Mã xã»).',
      en: '{unit} of {parent} includes {commune} ({communeCode}), which is in {other}: an electoral unit lies entirely within {parent} (field "commune code").',
    },
    unknown: {
      vi: '{unit} của {parent} gồm mã xã {communeCode}, không có trong danh mục đơn vị hành chính tại ngày bầu cử (trường «Mã xã»).',
      en: '{unit} of {parent} includes commune code {communeCode}, which is not in the administrative tree on election day (field "commune code").',
    },
    area: {
      vi: '{unit} của {parent} gồm khu vực bỏ phiếu số {area} của {commune}: đơn vị bầu cử HĐND xã chỉ gồm khu vực bỏ phiếu của xã mình (trường «Số khu vực bỏ phiếu»).',
      en: '{unit} of {parent} includes polling area {area} of {commune}: a commune-council unit contains only its own commune\'s polling areas (field "polling area number").',
    },
  }),
  UNIT_EMPTY: R('UNIT_EMPTY', 'error', 5, 'commune_code', false, {
    default: {
      vi: '{unit} ({contest}, {parent}) chưa gồm xã, phường, đặc khu nào.',
      en: '{unit} ({contest}, {parent}) contains no commune yet.',
    },
    area: {
      vi: '{unit} ({contest}, {parent}) chưa gồm khu vực bỏ phiếu nào.',
      en: '{unit} ({contest}, {parent}) contains no polling area yet.',
    },
  }),
  COVERAGE_MISSING: R('COVERAGE_MISSING', 'error', 5, 'commune_code', false, {
    default: {
      vi: '{commune} ({communeCode}) chưa thuộc đơn vị bầu cử {contest} nào.',
      en: '{commune} ({communeCode}) is not in any {contest} electoral unit.',
    },
    province: {
      vi: '{parent} chưa có đơn vị bầu cử {contest} nào ({count} xã, phường, đặc khu chưa được phân chia).',
      en: '{parent} has no {contest} electoral unit yet ({count} communes not divided).',
    },
    commune: {
      vi: '{parent} chưa có đơn vị bầu cử {contest} nào ({count} khu vực bỏ phiếu chưa được phân chia).',
      en: '{parent} has no {contest} electoral unit yet ({count} polling areas not divided).',
    },
    area: {
      vi: 'Khu vực bỏ phiếu số {area} của {commune} chưa thuộc đơn vị bầu cử {contest} nào (trường «Đơn vị bầu cử HĐND xã số»).',
      en: 'Polling area {area} of {commune} is not in any {contest} electoral unit (field "commune-council unit number").',
    },
  }),
  COVERAGE_DUPLICATE: R('COVERAGE_DUPLICATE', 'error', 5, 'commune_code', true, {
    default: {
      vi: '{commune} ({communeCode}) thuộc {count} đơn vị bầu cử {contest} ({units}); mỗi xã chỉ thuộc một đơn vị (trường «Mã xã»).',
      en: '{commune} ({communeCode}) is in {count} {contest} electoral units ({units}); a commune belongs to exactly one (field "commune code").',
    },
    area: {
      vi: 'Khu vực bỏ phiếu số {area} của {commune} được gắn {count} lần với đơn vị bầu cử {contest} ({units}); mỗi khu vực chỉ thuộc một đơn vị (trường «Số khu vực bỏ phiếu»).',
      en: 'Polling area {area} of {commune} is assigned {count} times to {contest} electoral units ({units}); an area belongs to exactly one (field "polling area number").',
    },
  }),
  COUNCIL_SEATS_SUM: R('COUNCIL_SEATS_SUM', 'error', 3, 'seats', false, {
    default: {
      vi: 'Tổng số đại biểu được bầu của các đơn vị bầu cử {contest} {parent} là {sum}, khác tổng số đại biểu {contest} {parent} là {size}.',
      en: 'The {contest} electoral units of {parent} elect {sum} deputies in total, but the council of {parent} has {size}.',
    },
    nation: {
      vi: 'Tổng số đại biểu Quốc hội được bầu của {count} đơn vị bầu cử trong cả nước là {sum}, khác tổng số đại biểu Quốc hội của cuộc bầu cử là {size}.',
      en: 'The {count} National Assembly electoral units elect {sum} deputies in total, but this election fills {size} seats.',
    },
  }),
  COUNCIL_SIZE_MISSING: R('COUNCIL_SIZE_MISSING', 'warning', 3, 'council_size', false, {
    default: {
      vi: 'Chưa nhập tổng số đại biểu {contest} của {parent}: chưa kiểm tra được tổng số đại biểu của các đơn vị ({sum}) (trường «Tổng số đại biểu HĐND»).',
      en: 'The size of the {contest} of {parent} is not recorded: the units\' total ({sum}) cannot be checked (field "council size").',
    },
  }),
  AREA_TOO_SMALL: R('AREA_TOO_SMALL', 'error', 6, 'voters', true, {
    default: {
      vi: 'Khu vực bỏ phiếu số {area} của {commune} có {voters} cử tri, ít hơn 300, nhưng không ghi lý do (miền núi, hải đảo, dân cư không tập trung) (trường «Lý do dưới 300 cử tri»).',
      en: 'Polling area {area} of {commune} has {voters} voters, fewer than 300, without a reason (mountainous, island, sparsely populated) (field "reason for fewer than 300 voters").',
    },
  }),
  AREA_TOO_LARGE: R('AREA_TOO_LARGE', 'error', 6, 'voters', true, {
    default: {
      vi: 'Khu vực bỏ phiếu số {area} của {commune} có {voters} cử tri, nhiều hơn 4.000 (trường «Số cử tri»).',
      en: 'Polling area {area} of {commune} has {voters} voters, more than 4,000 (field "voters").',
    },
  }),
  AREA_SEPARATE_MIN: R('AREA_SEPARATE_MIN', 'error', 6, 'voters', true, {
    default: {
      vi: 'Khu vực bỏ phiếu riêng số {area} của {commune} ({kind}) có {voters} cử tri; khu vực bỏ phiếu riêng ở bệnh viện, nhà hộ sinh, nhà an dưỡng, cơ sở chăm sóc người khuyết tật, người cao tuổi phải có từ 50 cử tri trở lên (trường «Số cử tri»).',
      en: 'Separate polling area {area} of {commune} ({kind}) has {voters} voters; a separate area at a hospital, maternity home, convalescent home or care facility needs at least 50 (field "voters").',
    },
  }),
  AREA_KIND_REASON: R('AREA_KIND_REASON', 'error', 6, 'kind_reason', true, {
    default: {
      vi: 'Khu vực bỏ phiếu số {area} của {commune} thuộc loại «khác» nhưng chưa ghi lý do (trường «Lý do lập khu vực riêng»).',
      en: 'Polling area {area} of {commune} is of kind "other" without a reason (field "reason for the kind").',
    },
  }),
  AREA_EARLY_NO_APPROVAL: R('AREA_EARLY_NO_APPROVAL', 'error', 10, 'approval_ref', true, {
    default: {
      vi: 'Khu vực bỏ phiếu số {area} của {commune} bỏ phiếu ngày {date}, trước ngày bầu cử {day}, nhưng không ghi văn bản cho phép của Hội đồng bầu cử quốc gia (trường «Văn bản cho phép bỏ phiếu sớm»).',
      en: 'Polling area {area} of {commune} votes on {date}, before election day {day}, without the National Election Council\'s approval (field "early-voting approval").',
    },
  }),
  AREA_DATE_AFTER: R('AREA_DATE_AFTER', 'error', 10, 'voting_date', true, {
    default: {
      vi: 'Khu vực bỏ phiếu số {area} của {commune} bỏ phiếu ngày {date}, sau ngày bầu cử {day} (trường «Ngày bỏ phiếu»).',
      en: 'Polling area {area} of {commune} votes on {date}, after election day {day} (field "voting date").',
    },
  }),
  AREA_HOURS: R('AREA_HOURS', 'error', 11, 'opens', true, {
    default: {
      vi: 'Giờ bỏ phiếu {opens}–{closes} của khu vực bỏ phiếu số {area} ({commune}) không hợp lệ (trường «Giờ bắt đầu», «Giờ kết thúc»).',
      en: 'Voting hours {opens}–{closes} of polling area {area} ({commune}) are not valid (fields "opens", "closes").',
    },
    early: {
      vi: 'Khu vực bỏ phiếu số {area} ({commune}) bắt đầu bỏ phiếu lúc {opens}, sớm hơn 05:00 (trường «Giờ bắt đầu»).',
      en: 'Polling area {area} ({commune}) opens at {opens}, before 05:00 (field "opens").',
    },
    late: {
      vi: 'Khu vực bỏ phiếu số {area} ({commune}) kết thúc bỏ phiếu lúc {closes}, muộn hơn 21:00 (trường «Giờ kết thúc»).',
      en: 'Polling area {area} ({commune}) closes at {closes}, after 21:00 (field "closes").',
    },
    order: {
      vi: 'Khu vực bỏ phiếu số {area} ({commune}): giờ bắt đầu {opens} phải trước giờ kết thúc {closes} (trường «Giờ kết thúc»).',
      en: 'Polling area {area} ({commune}): opening {opens} must be before closing {closes} (field "closes").',
    },
    format: {
      vi: 'Khu vực bỏ phiếu số {area} ({commune}): giờ «{value}» không đúng dạng HH:MM (trường «Giờ bắt đầu», «Giờ kết thúc»).',
      en: 'Polling area {area} ({commune}): time "{value}" is not HH:MM (fields "opens", "closes").',
    },
  }),
  AREA_UNIT_MAPPING: R('AREA_UNIT_MAPPING', 'error', 5, 'unit', true, {
    default: {
      vi: 'Khu vực bỏ phiếu số {area} của {commune} chưa được gắn với đơn vị bầu cử {contest}; theo thành phần các đơn vị, {commune} thuộc đơn vị số {expected}.',
      en: 'Polling area {area} of {commune} is not assigned to a {contest} electoral unit; by the units\' composition, {commune} is in unit {expected}.',
    },
    mismatch: {
      vi: 'Khu vực bỏ phiếu số {area} của {commune} được gắn với đơn vị bầu cử {contest} số {unit}, nhưng {commune} thuộc đơn vị số {expected} (trường «Đơn vị bầu cử {contest} số»).',
      en: 'Polling area {area} of {commune} is assigned to {contest} unit {unit}, but {commune} is in unit {expected} (field "{contest} unit number").',
    },
    outside: {
      vi: 'Khu vực bỏ phiếu số {area} của {commune} được gắn với đơn vị bầu cử {contest} số {unit} của {parent}, không phải của {own} (trường «Đơn vị bầu cử {contest} số»).',
      en: 'Polling area {area} of {commune} is assigned to {contest} unit {unit} of {parent}, not of {own} (field "{contest} unit number").',
    },
    commune: {
      vi: 'Khu vực bỏ phiếu số {area}: mã xã {commune} không có trong danh mục đơn vị hành chính tại ngày bầu cử, nên khu vực không thuộc đơn vị bầu cử nào (trường «Mã xã»).',
      en: 'Polling area {area}: commune code {commune} is not in the administrative tree on election day, so the area is in no electoral unit (field "commune code").',
    },
    unknown: {
      vi: 'Khu vực bỏ phiếu số {area} của {commune}: {own} không có đơn vị bầu cử {contest} số {unit} (trường «Đơn vị bầu cử {contest} số»).',
      en: 'Polling area {area} of {commune}: {own} has no {contest} electoral unit {unit} (field "{contest} unit number").',
    },
  }),
  COMMUNE_NO_AREA: R('COMMUNE_NO_AREA', 'warning', 5, 'commune_code', false, {
    default: {
      vi: '{commune} ({communeCode}) chưa có khu vực bỏ phiếu nào.',
      en: '{commune} ({communeCode}) has no polling area yet.',
    },
    province: {
      vi: '{parent} chưa có khu vực bỏ phiếu nào ({count} xã, phường, đặc khu).',
      en: '{parent} has no polling area yet ({count} communes).',
    },
  }),
} as const satisfies Record<string, RuleDef>;

export type RuleCode = keyof typeof STRUCTURE_RULES;
export const RULE_CODES = Object.keys(STRUCTURE_RULES) as RuleCode[];

export type TargetType = 'nation' | 'province' | 'commune' | 'electoral-unit' | 'polling-area';

/** One problem found in a structure. */
export interface StructureIssue {
  code: RuleCode;
  variant?: string;
  severity: Severity;
  target: { type: TargetType; code: string };
  /** The province the target lies in (nation-wide issues: undefined), for grouping and scoped reports. */
  province?: string;
  /** The commune the target lies in, when there is one. */
  commune?: string;
  field: string;
  params: Record<string, string | number>;
  /** A commune or polling area the issue is about, beside its target (import reports find its row with it). */
  ref?: { commune?: string; areaId?: string };
}

/** The i18n key of an issue's text (messages.ts registers every variant). */
export const ruleMessageKey = (code: string, variant = 'default'): string => `structure.rule.${code}.${variant}`;

/** Labels used inside messages; callers pass localised ones (pages) or Vietnamese (stored reports). */
export interface Labels {
  contest(id: string): string;
  unit(u: UnitRec): string;
  kind(k: string): string;
  date(iso: string): string;
}

export const VI_LABELS: Labels = {
  contest: (id) => ({ 'national-assembly': 'đại biểu Quốc hội', 'provincial-council': 'HĐND tỉnh', 'commune-council': 'HĐND xã' } as Record<string, string>)[id] ?? id,
  unit: (u) => `Đơn vị bầu cử số ${u.number}`,
  kind: (k) => KIND_VI[k as keyof typeof KIND_VI] ?? k,
  date: (iso) => (/^\d{4}-\d{2}-\d{2}$/.test(iso) ? `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}` : iso),
};

const LIMITS = { tooSmall: 300, tooLarge: 4000, separateMin: 50 } as const;
export const AREA_LIMITS = LIMITS;

/** Separate kinds are exempt from the 300-voter minimum; care facilities need 50 (rule 6). */
export const isSeparate = (a: Pick<AreaRec, 'kind'>): boolean => a.kind !== 'regular';

function issue(code: RuleCode, target: StructureIssue['target'], params: Record<string, string | number>, o: Partial<Pick<StructureIssue, 'variant' | 'province' | 'commune' | 'field' | 'ref'>> = {}): StructureIssue {
  const def: RuleDef = STRUCTURE_RULES[code];
  return { code, severity: def.severity, target, params, field: o.field ?? def.field, variant: o.variant, province: o.province, commune: o.commune, ref: o.ref };
}

/** Context the record checks need: names for messages. */
export interface CheckContext {
  s: Structure;
  labels: Labels;
}

const parentName = (s: Structure, level: string, code: string): string =>
  (level === 'province' ? s.provinces.get(code)?.name : s.communes.get(code)?.name) ?? code;
const communeName = (s: Structure, code: string): string => s.communes.get(code)?.name ?? code;
const provinceOfParent = (s: Structure, u: UnitRec): string | undefined =>
  u.parentLevel === 'province' ? u.parentCode : s.communes.get(u.parentCode)?.province;

function unitTarget(s: Structure, u: UnitRec) {
  return {
    target: { type: 'electoral-unit' as const, code: u.id },
    province: provinceOfParent(s, u),
    commune: u.parentLevel === 'commune' ? u.parentCode : undefined,
  };
}

/** Rules 3 and 4 on one unit: seats within the contest's limits, the parent exists at the right level. */
export function checkUnit(ctx: CheckContext, u: UnitRec, contest: ContestInfo): StructureIssue[] {
  const { s, labels } = ctx;
  const out: StructureIssue[] = [];
  const t = unitTarget(s, u);
  const base = { unit: labels.unit(u), parent: parentName(s, u.parentLevel, u.parentCode), contest: labels.contest(u.contest) };
  if (!Number.isInteger(u.seats) || u.seats < contest.seats.min || u.seats > contest.seats.max) {
    out.push(issue('UNIT_SEATS_RANGE', t.target, { ...base, seats: u.seats, min: contest.seats.min, max: contest.seats.max }, t));
  }
  const exists = u.parentLevel === 'province' ? s.provinces.has(u.parentCode) : s.communes.has(u.parentCode);
  if (!exists || u.parentLevel !== contest.unitLevel) {
    out.push(issue('UNIT_PARENT_UNKNOWN', t.target, { ...base, level: u.parentLevel === 'province' ? 'tỉnh' : 'xã', day: labels.date(s.electionDay) }, { ...t, field: 'parent_code' }));
  }
  return out;
}

/** Rule 4: the units of one contest in one parent are numbered 1..n without gaps or repeats. */
export function checkNumbering(ctx: CheckContext, contest: string, parentLevel: string, parent: string, units: readonly UnitRec[]): StructureIssue[] {
  const nums = units.map((u) => u.number).sort((a, b) => a - b);
  const n = nums.length;
  const seen = new Set<number>();
  const dup = new Set<number>();
  for (const x of nums) (seen.has(x) ? dup : seen).add(x);
  const missing: number[] = [];
  for (let i = 1; i <= n; i++) if (!seen.has(i)) missing.push(i);
  const extra = [...seen].filter((x) => x > n || x < 1);
  if (!missing.length && !dup.size && !extra.length) return [];
  const parts: string[] = [];
  if (missing.length) parts.push(`thiếu số ${missing.slice(0, 10).join(', ')}`);
  if (dup.size) parts.push(`trùng số ${[...dup].slice(0, 10).join(', ')}`);
  if (extra.length) parts.push(`thừa số ${extra.slice(0, 10).join(', ')}`);
  const { s, labels } = ctx;
  const province = parentLevel === 'province' ? parent : s.communes.get(parent)?.province;
  return [issue('UNIT_NUMBERING', { type: parentLevel === 'province' ? 'province' : 'commune', code: parent },
    { contest: labels.contest(contest), parent: parentName(s, parentLevel, parent), count: n, detail: parts.join('; ') },
    { province, commune: parentLevel === 'commune' ? parent : undefined })];
}

/** Rules 6, 10, 11 on one polling area: size, separate kinds, reason for "other", voting date and hours. */
export function checkArea(ctx: CheckContext, a: AreaRec): StructureIssue[] {
  const { s, labels } = ctx;
  const out: StructureIssue[] = [];
  const province = s.communes.get(a.communeCode)?.province;
  const t = { province, commune: a.communeCode };
  const target = { type: 'polling-area' as const, code: a.id };
  const base = { area: a.number, commune: communeName(s, a.communeCode) };
  if (a.voters > LIMITS.tooLarge) out.push(issue('AREA_TOO_LARGE', target, { ...base, voters: a.voters }, t));
  if (CARE_KINDS.has(a.kind)) {
    if (a.voters < LIMITS.separateMin) out.push(issue('AREA_SEPARATE_MIN', target, { ...base, voters: a.voters, kind: labels.kind(a.kind) }, t));
  } else if (!isSeparate(a) && a.voters < LIMITS.tooSmall && !a.smallReason) {
    out.push(issue('AREA_TOO_SMALL', target, { ...base, voters: a.voters }, { ...t, field: 'small_reason' }));
  }
  if (a.kind === 'other' && !(a.kindReason ?? '').trim()) out.push(issue('AREA_KIND_REASON', target, base, t));
  if (a.votingDate && a.votingDate < s.electionDay && !(a.approvalRef ?? '').trim()) {
    out.push(issue('AREA_EARLY_NO_APPROVAL', target, { ...base, date: labels.date(a.votingDate), day: labels.date(s.electionDay) }, t));
  }
  if (a.votingDate && a.votingDate > s.electionDay) {
    out.push(issue('AREA_DATE_AFTER', target, { ...base, date: labels.date(a.votingDate), day: labels.date(s.electionDay) }, t));
  }
  out.push(...checkAreaHours(target, base, a.opens, a.closes, t));
  return out;
}

/** Rule 11 through the calendar's own check (one definition of the 05:00–21:00 window). */
function checkAreaHours(target: StructureIssue['target'], base: Record<string, string | number>, opens: string, closes: string, t: { province?: string; commune?: string }): StructureIssue[] {
  const r = checkVotingHours(opens, closes, { open: 'opens', close: 'closes' });
  if (r.ok) return [];
  const variantOf: Record<string, string> = { VOTING_OPEN_TOO_EARLY: 'early', VOTING_CLOSE_TOO_LATE: 'late', VOTING_HOURS_ORDER: 'order', VOTING_TIME_FORMAT: 'format' };
  return (r.error.details ?? []).map((d) => issue('AREA_HOURS', target, { ...base, opens, closes, value: String(d.params?.value ?? '') }, {
    ...t, variant: variantOf[d.code] ?? 'default', field: d.field ?? 'opens',
  }));
}

/** 'HH:MM' of a time cell or column ('07:00:00' → '07:00'); undefined when it is not a time. */
export function normTime(v: string): string | undefined {
  const m = parseTime(v.length === 8 && v.endsWith(':00') ? v.slice(0, 5) : v);
  if (m === undefined) return undefined;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

export interface CheckOptions {
  labels?: Labels;
  /** The NA size of the election (DEFAULT_NA_SIZE when the election does not record one). */
  naSize?: number;
}

/**
 * Every rule on the whole structure (or on its scope of provinces): units, numbering, compositions and coverage,
 * council sums, polling areas and their unit per contest. Issues come sorted by province, commune, target, code.
 */
export function checkStructure(s: Structure, o: CheckOptions = {}): StructureIssue[] {
  const labels = o.labels ?? VI_LABELS;
  const ctx: CheckContext = { s, labels };
  const ix = indexStructure(s);
  const out: StructureIssue[] = [];
  const inScope = (province: string | undefined) => !s.scope || (province !== undefined && s.scope.has(province));
  const provinces = [...s.provinces.keys()].filter((p) => inScope(p)).sort();

  for (const contest of s.contests) {
    const cl = labels.contest(contest.id);
    // Units: intrinsic checks and numbering per parent.
    const parents = contest.unitLevel === 'province' ? provinces : provinces.flatMap((p) => (ix.communesByProvince.get(p) ?? []).map((c) => c.code));
    for (const u of s.units.values()) {
      if (u.contest !== contest.id || !inScope(provinceOfParent(s, u) ?? (s.scope ? undefined : u.parentCode))) continue;
      out.push(...checkUnit(ctx, u, contest));
    }
    const unitParents = new Set([...s.units.values()].filter((u) => u.contest === contest.id).map((u) => u.parentCode));
    for (const parent of unitParents) {
      const list = ix.unitsByParent.get(parentKey(contest.id, parent)) ?? [];
      const province = contest.unitLevel === 'province' ? parent : s.communes.get(parent)?.province;
      if (!inScope(province)) continue;
      out.push(...checkNumbering(ctx, contest.id, contest.unitLevel, parent, list));
    }

    if (contest.unitLevel === 'province') {
      // Compositions: communes inside the parent, each commune in exactly one unit (rules 4, 5).
      for (const u of s.units.values()) {
        if (u.contest !== contest.id || !inScope(u.parentCode)) continue;
        const list = s.unitCommunes.get(u.id) ?? [];
        const t = unitTarget(s, u);
        const base = { unit: labels.unit(u), parent: parentName(s, 'province', u.parentCode), contest: cl };
        if (!list.length) out.push(issue('UNIT_EMPTY', t.target, base, t));
        for (const c of list) {
          const node = s.communes.get(c);
          if (!node) out.push(issue('UNIT_OUTSIDE_PARENT', t.target, { ...base, communeCode: c }, { ...t, variant: 'unknown', ref: { commune: c } }));
          else if (node.province !== u.parentCode) {
            out.push(issue('UNIT_OUTSIDE_PARENT', t.target, { ...base, commune: node.name, communeCode: c, other: s.provinces.get(node.province)?.name ?? node.province }, { ...t, ref: { commune: c } }));
          }
        }
      }
      for (const p of provinces) {
        const communes = ix.communesByProvince.get(p) ?? [];
        const hasUnits = (ix.unitsByParent.get(parentKey(contest.id, p)) ?? []).length > 0;
        if (!hasUnits) {
          if (communes.length && s.councils.get(councilKey(contest.id, p)) !== 0) {
            out.push(issue('COVERAGE_MISSING', { type: 'province', code: p }, { parent: s.provinces.get(p)!.name, contest: cl, count: communes.length }, { variant: 'province', province: p }));
          }
          continue;
        }
        for (const c of communes) {
          const units = ix.communeUnits.get(`${contest.id}|${c.code}`) ?? [];
          const t = { province: p, commune: c.code };
          if (!units.length) out.push(issue('COVERAGE_MISSING', { type: 'commune', code: c.code }, { commune: c.name, communeCode: c.code, contest: cl }, t));
          else if (units.length > 1) {
            out.push(issue('COVERAGE_DUPLICATE', { type: 'commune', code: c.code }, {
              commune: c.name, communeCode: c.code, contest: cl, count: units.length,
              units: units.map((id) => s.units.get(id)!).map((u) => `${u.number} (${parentName(s, 'province', u.parentCode)})`).join(', '),
            }, { ...t, ref: { commune: c.code } }));
          }
        }
      }
    } else {
      // Commune-level contest: compositions are the areas' assignments (rules 4, 5).
      for (const u of s.units.values()) {
        if (u.contest !== contest.id) continue;
        const prov = s.communes.get(u.parentCode)?.province;
        if (!inScope(prov)) continue;
        const t = unitTarget(s, u);
        const base = { unit: labels.unit(u), parent: parentName(s, 'commune', u.parentCode), contest: cl };
        const areas = (ix.unitAreas.get(u.id) ?? []).filter((aid) => s.areaUnits.get(aid)?.get(contest.id) === u.id);
        if (!areas.length) out.push(issue('UNIT_EMPTY', t.target, base, { ...t, variant: 'area', field: 'area_no' }));
        for (const aid of areas) {
          const a = s.areas.get(aid);
          if (a && a.communeCode !== u.parentCode) {
            out.push(issue('UNIT_OUTSIDE_PARENT', t.target, { ...base, area: a.number, commune: communeName(s, a.communeCode) }, { ...t, variant: 'area', field: 'area_no', ref: { areaId: a.id } }));
          }
        }
      }
      for (const p of provinces) {
        for (const c of ix.communesByProvince.get(p) ?? []) {
          if (s.councils.get(councilKey(contest.id, c.code)) === 0) continue; // no council in this commune (rule 1 [U])
          const areas = ix.areasByCommune.get(c.code) ?? [];
          const hasUnits = (ix.unitsByParent.get(parentKey(contest.id, c.code)) ?? []).length > 0;
          if (!areas.length) continue; // COMMUNE_NO_AREA says it
          if (!hasUnits) {
            out.push(issue('COVERAGE_MISSING', { type: 'commune', code: c.code }, { parent: c.name, contest: cl, count: areas.length }, { variant: 'commune', province: p, commune: c.code }));
            continue;
          }
          for (const a of areas) {
            if (!s.areaUnits.get(a.id)?.get(contest.id)) {
              out.push(issue('COVERAGE_MISSING', { type: 'polling-area', code: a.id }, { area: a.number, commune: c.name, contest: cl }, { variant: 'area', province: p, commune: c.code, field: 'commune_unit' }));
            }
          }
        }
      }
    }

    // Council sums (rule 3 [D]): Σ NA seats nationwide = the NA size; Σ seats of a council's units = its size.
    if (councilLevel(contest) === 'nation') {
      if (!s.scope) {
        const units = [...s.units.values()].filter((u) => u.contest === contest.id);
        const sum = units.reduce((x, u) => x + u.seats, 0);
        const size = s.councils.get(councilKey(contest.id, NATION_CODE)) ?? o.naSize ?? DEFAULT_NA_SIZE;
        if (sum !== size) out.push(issue('COUNCIL_SEATS_SUM', { type: 'nation', code: NATION_CODE }, { sum, size, count: units.length, contest: cl }, { variant: 'nation' }));
      }
    } else {
      for (const parent of parents) {
        const units = ix.unitsByParent.get(parentKey(contest.id, parent)) ?? [];
        const size = s.councils.get(councilKey(contest.id, parent));
        const sum = units.reduce((x, u) => x + u.seats, 0);
        const province = contest.unitLevel === 'province' ? parent : s.communes.get(parent)?.province;
        const tgt = { type: (contest.unitLevel === 'province' ? 'province' : 'commune') as TargetType, code: parent };
        const t = { province, commune: contest.unitLevel === 'commune' ? parent : undefined };
        const params = { contest: cl, parent: parentName(s, contest.unitLevel, parent), sum, size: size ?? '' };
        if (size === undefined) {
          if (units.length) out.push(issue('COUNCIL_SIZE_MISSING', tgt, params, t));
        } else if (size !== sum && (units.length || size > 0)) {
          out.push(issue('COUNCIL_SEATS_SUM', tgt, params, t));
        }
      }
    }
  }

  // Polling areas: intrinsic rules and their unit per contest (rules 5, 6, 10, 11).
  for (const p of provinces) {
    const communes = ix.communesByProvince.get(p) ?? [];
    const provinceAreas = communes.reduce((x, c) => x + (ix.areasByCommune.get(c.code)?.length ?? 0), 0);
    if (!provinceAreas) {
      if (communes.length) out.push(issue('COMMUNE_NO_AREA', { type: 'province', code: p }, { parent: s.provinces.get(p)!.name, count: communes.length }, { variant: 'province', province: p }));
      continue;
    }
    for (const c of communes) {
      const areas = ix.areasByCommune.get(c.code) ?? [];
      if (!areas.length) out.push(issue('COMMUNE_NO_AREA', { type: 'commune', code: c.code }, { commune: c.name, communeCode: c.code }, { province: p, commune: c.code }));
      for (const a of areas) {
        out.push(...checkArea(ctx, a));
        out.push(...checkAreaUnits(ctx, ix, a));
      }
    }
  }
  // Areas in communes that are not in the tree at election day.
  for (const a of s.areas.values()) {
    if (!s.communes.has(a.communeCode) && !s.scope) {
      out.push(issue('AREA_UNIT_MAPPING', { type: 'polling-area', code: a.id }, { area: a.number, commune: a.communeCode }, { variant: 'commune', field: 'commune_code' }));
    }
  }
  return sortIssues(out);
}

/** Rule 5: an area has one unit per contest held, inside its commune (commune council) or matching its commune's unit. */
export function checkAreaUnits(ctx: CheckContext, ix: StructureIndex, a: AreaRec): StructureIssue[] {
  const { s, labels } = ctx;
  const out: StructureIssue[] = [];
  const c = s.communes.get(a.communeCode);
  if (!c) return out;
  const target = { type: 'polling-area' as const, code: a.id };
  const t = { province: c.province, commune: c.code };
  const mapped = s.areaUnits.get(a.id);
  for (const contest of s.contests) {
    const cl = labels.contest(contest.id);
    const unitId = mapped?.get(contest.id);
    const u = unitId ? s.units.get(unitId) : undefined;
    const base = { area: a.number, commune: c.name, contest: cl };
    const field = unitColumnOf(contest);
    if (contest.unitLevel === 'commune') {
      // Missing: COVERAGE_MISSING; a unit of another commune: UNIT_OUTSIDE_PARENT (reported on the unit).
      continue;
    }
    const expectedIds = ix.communeUnits.get(`${contest.id}|${c.code}`) ?? [];
    const expected = expectedIds.length === 1 ? s.units.get(expectedIds[0]) : undefined;
    if (!u) {
      if (expected) out.push(issue('AREA_UNIT_MAPPING', target, { ...base, expected: expected.number }, { ...t, field }));
      continue;
    }
    if (u.contest !== contest.id || u.parentCode !== c.province) {
      out.push(issue('AREA_UNIT_MAPPING', target, { ...base, unit: u.number, parent: parentName(s, u.parentLevel, u.parentCode), own: s.provinces.get(c.province)?.name ?? c.province }, { ...t, variant: 'outside', field }));
    } else if (expected && expected.id !== u.id) {
      out.push(issue('AREA_UNIT_MAPPING', target, { ...base, unit: u.number, expected: expected.number }, { ...t, variant: 'mismatch', field }));
    }
  }
  return out;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1 };

export function sortIssues(list: StructureIssue[]): StructureIssue[] {
  return list.sort((a, b) =>
    (a.province ?? '').localeCompare(b.province ?? '') || (a.commune ?? '').localeCompare(b.commune ?? '') ||
    SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.code.localeCompare(b.code) || a.target.code.localeCompare(b.target.code));
}

/** Counts by severity and by code, for summaries and audit events. */
export function summarise(list: readonly StructureIssue[]): { errors: number; warnings: number; byCode: Record<string, number> } {
  const byCode: Record<string, number> = {};
  let errors = 0;
  let warnings = 0;
  for (const i of list) {
    byCode[i.code] = (byCode[i.code] ?? 0) + 1;
    if (i.severity === 'error') errors++;
    else warnings++;
  }
  return { errors, warnings, byCode };
}
