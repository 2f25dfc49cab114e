// The words of the election bodies module as types: the four kinds of body, the roles a member can hold in each
// (rule 7 role enums), the three kinds of election team, and the shapes the rules, pages, import and export share.
import { normalizeName } from '../../shared/vn-text.js';

/** Provincial election committee, commune election committee, election board (one per unit), election team (one per polling area). */
export const BODY_KINDS = ['province-committee', 'commune-committee', 'board', 'team'] as const;
export type BodyKind = (typeof BODY_KINDS)[number];

export const MEMBER_ROLES = ['chair', 'vice-chair', 'head', 'deputy-head', 'leader', 'secretary', 'member'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/**
 * Roles allowed in each kind of body (rule 7): committee {Chủ tịch, Phó Chủ tịch, Ủy viên}; board {Trưởng ban,
 * Phó Trưởng ban, Thư ký, Ủy viên}; team {Tổ trưởng, Thư ký, Ủy viên}. Listed in the order members are shown.
 */
export const ROLES_OF: Record<BodyKind, readonly MemberRole[]> = {
  'province-committee': ['chair', 'vice-chair', 'member'],
  'commune-committee': ['chair', 'vice-chair', 'member'],
  board: ['head', 'deputy-head', 'secretary', 'member'],
  team: ['leader', 'secretary', 'member'],
};

/** The one role a body must have exactly once: Chủ tịch, Trưởng ban, Tổ trưởng. */
export const LEADER_OF: Record<BodyKind, MemberRole> = {
  'province-committee': 'chair',
  'commune-committee': 'chair',
  board: 'head',
  team: 'leader',
};

/**
 * Election teams: an ordinary (civil) one; a separate team of an armed unit in its own polling area (5–9 members:
 * the commander's representatives and soldiers); a mixed team where an armed unit votes with local voters (11–21).
 */
export const TEAM_VARIANTS = ['civil', 'armed-unit', 'mixed'] as const;
export type TeamVariant = (typeof TEAM_VARIANTS)[number];

/** draft: being entered; complete: checked against rule 7 and counted as formed; none: a commune without a committee. */
export type BodyStatus = 'draft' | 'complete' | 'none';

export interface SizeRange {
  min: number;
  max: number;
}

export interface MemberRec {
  id?: string;
  fullName: string;
  role: MemberRole;
  organisation: string | null;
  phone: string | null;
}

/** A body as the rules see it. */
export interface BodyRec {
  kind: BodyKind;
  /** Boards: the contest of the unit. */
  contest?: string | null;
  variant?: TeamVariant | null;
  decisionNo: string | null;
  decisionDate: string | null;
  issuedBy: string | null;
  formedOn: string | null;
  /** Teams: the kind of the polling area ('armed-unit', 'regular', …), for the variant warning. */
  areaKind?: string | null;
}

/** Name as compared for duplicates: NFC, single spaces, lower case (accents kept: "Lê" and "Lệ" are different names). */
export const nameKey = (s: string): string => normalizeName(s).toLowerCase();

/** Phone as compared: digits only, +84 / 84 written as 0. '' when none. */
export function phoneKey(s: string | null | undefined): string {
  if (!s) return '';
  let d = s.replace(/\D/g, '');
  if (s.trim().startsWith('+84') || (d.startsWith('84') && d.length === 11)) d = '0' + d.slice(2);
  return d;
}

/** A phone number people write: digits with spaces, dots, dashes, parentheses, a leading +; 8 to 15 digits. */
export function phoneValid(s: string): boolean {
  return /^\+?[\d\s.\-()]+$/.test(s) && s.replace(/\D/g, '').length >= 8 && s.replace(/\D/g, '').length <= 15;
}

/** Sort rank of a role inside its body (leader first, members last). */
export function roleRank(kind: BodyKind, role: MemberRole): number {
  const i = ROLES_OF[kind].indexOf(role);
  return i < 0 ? 99 : i;
}

/** The team variant an ordinary polling area or an armed unit's own area gets when none is chosen. */
export const defaultVariant = (areaKind: string | null | undefined): TeamVariant => (areaKind === 'armed-unit' ? 'armed-unit' : 'civil');

/** The tree node (or unit / polling area) a body belongs to. */
export type BodyNode =
  | { kind: 'province-committee'; provinceCode: string }
  | { kind: 'commune-committee'; communeCode: string }
  | { kind: 'board'; unitId: string }
  | { kind: 'team'; areaId: string };
