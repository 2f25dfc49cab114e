// Rule 7 as code: the size of each body, the one leader, the team's secretary, the roles each kind may hold, no
// person listed twice — each a stable code with a severity and the field it names (messages: bodies.rule.<CODE>).
// Pure: the pages, the "mark complete" action and the import run the same functions. Sizes are checked when a body
// is completed (draft → complete), not on each member added (docs/bodies.md).
import type { FieldIssue } from '../../shared/result.js';
import {
  LEADER_OF, ROLES_OF, nameKey, phoneKey,
  type BodyKind, type BodyRec, type MemberRec, type MemberRole, type SizeRange, type TeamVariant,
} from './model.js';

/** Committee and team sizes (rule 7); boards take theirs from the contest type (ContestTypeDef.boardSize). */
export const COMMITTEE_SIZES: Record<'province-committee' | 'commune-committee', SizeRange> = {
  'province-committee': { min: 23, max: 37 },
  'commune-committee': { min: 9, max: 17 },
};
export const TEAM_SIZES: Record<TeamVariant, SizeRange> = {
  civil: { min: 11, max: 21 },
  'armed-unit': { min: 5, max: 9 },
  mixed: { min: 11, max: 21 },
};

export type Severity = 'error' | 'warning';

/** The catalogue: code → rule number of the digest (null: a data rule of ours), severity, the field it names. */
export const BODY_RULES = {
  BODY_SIZE: { rule: 7, severity: 'error', field: 'members' },
  BODY_LEADER_MISSING: { rule: 7, severity: 'error', field: 'role' },
  BODY_LEADER_MULTIPLE: { rule: 7, severity: 'error', field: 'role' },
  BODY_TEAM_SECRETARY_MISSING: { rule: 7, severity: 'error', field: 'role' },
  // [U] the law names a secretary for teams; for boards it is common practice but not certain: a warning.
  BODY_BOARD_SECRETARY_MISSING: { rule: 7, severity: 'warning', field: 'role' },
  BODY_ROLE_NOT_ALLOWED: { rule: 7, severity: 'error', field: 'role' },
  BODY_MEMBER_DUPLICATE: { rule: 7, severity: 'error', field: 'fullName' },
  BODY_MEMBER_SAME_NAME: { rule: 7, severity: 'warning', field: 'fullName' },
  BODY_DECISION_REQUIRED: { rule: null, severity: 'error', field: 'decisionNo' },
  BODY_DATE_AFTER_ELECTION: { rule: 9, severity: 'error', field: 'formedOn' },
  BODY_TEAM_VARIANT_KIND: { rule: 7, severity: 'warning', field: 'variant' },
  BODY_FORMED_LATE: { rule: 9, severity: 'warning', field: 'formedOn' },
} as const satisfies Record<string, { rule: number | null; severity: Severity; field: string }>;
export type BodyRuleCode = keyof typeof BODY_RULES;

export interface BodyIssue {
  code: BodyRuleCode;
  severity: Severity;
  field: string;
  /** Index of the member concerned in the list checked (0-based), when there is one. */
  member?: number;
  params: Record<string, string | number>;
}

/** Words the messages need, in the language of the page or report. */
export interface BodyLabels {
  /** "Tổ bầu cử", "Ban bầu cử đại biểu Quốc hội", … */
  body: string;
  role(r: MemberRole): string;
  variant(v: TeamVariant): string;
  areaKind(k: string): string;
  date(iso: string): string;
}

export const ruleMessageKey = (code: BodyRuleCode | string): string => `bodies.rule.${code}`;

/** The allowed member count of a body; undefined for a board whose contest type is unknown. */
export function sizeRange(kind: BodyKind, o: { variant?: TeamVariant | null; boardSize?: SizeRange }): SizeRange | undefined {
  if (kind === 'team') return TEAM_SIZES[o.variant ?? 'civil'];
  if (kind === 'board') return o.boardSize;
  return COMMITTEE_SIZES[kind];
}

const issue = (code: BodyRuleCode, params: Record<string, string | number>, member?: number): BodyIssue => ({
  code, severity: BODY_RULES[code].severity, field: BODY_RULES[code].field, params, ...(member !== undefined ? { member } : {}),
});

/**
 * Checks that hold at every moment, on each member added or edited and in imports: the role belongs to the kind
 * of body; nobody is listed twice (same normalised name and phone → error; same name with a phone missing → warning).
 */
export function memberIssues(kind: BodyKind, members: readonly MemberRec[], labels: BodyLabels): BodyIssue[] {
  const out: BodyIssue[] = [];
  const allowed = ROLES_OF[kind];
  const seen = new Map<string, number>();
  const byName = new Map<string, number>();
  members.forEach((m, i) => {
    if (!allowed.includes(m.role)) {
      out.push(issue('BODY_ROLE_NOT_ALLOWED', { role: labels.role(m.role), body: labels.body, allowed: allowed.map((r) => labels.role(r)).join(', ') }, i));
    }
    const nk = nameKey(m.fullName);
    const pk = phoneKey(m.phone);
    if (pk) {
      const k = `${nk}|${pk}`;
      if (seen.has(k)) out.push(issue('BODY_MEMBER_DUPLICATE', { name: m.fullName, phone: m.phone ?? '', body: labels.body, first: seen.get(k)! + 1 }, i));
      else seen.set(k, i);
    }
    const first = byName.get(nk);
    if (first === undefined) byName.set(nk, i);
    else if (!pk || !phoneKey(members[first].phone)) out.push(issue('BODY_MEMBER_SAME_NAME', { name: m.fullName, first: first + 1 }, i));
  });
  return out;
}

export interface CompletionContext {
  labels: BodyLabels;
  /** Boards: the contest type's board size. */
  boardSize?: SizeRange;
  electionDay: string;
  /** The formation deadline of rule 9 for this kind of body (the election's own N), when known. */
  deadline?: string;
}

/**
 * Everything rule 7 asks of a body that is declared formed: the member checks, the size of its kind, exactly one
 * leader, a secretary (teams: error; boards: warning [U]), the decision that formed it, dates not after election day.
 */
export function completionIssues(body: BodyRec, members: readonly MemberRec[], ctx: CompletionContext): BodyIssue[] {
  const { labels } = ctx;
  const out = memberIssues(body.kind, members, labels);
  const range = sizeRange(body.kind, { variant: body.variant, boardSize: ctx.boardSize });
  if (range && (members.length < range.min || members.length > range.max)) {
    out.push(issue('BODY_SIZE', { body: labels.body, count: members.length, min: range.min, max: range.max }));
  }
  const leader = LEADER_OF[body.kind];
  const leaders = members.filter((m) => m.role === leader).length;
  if (leaders === 0) out.push(issue('BODY_LEADER_MISSING', { body: labels.body, leader: labels.role(leader) }));
  else if (leaders > 1) out.push(issue('BODY_LEADER_MULTIPLE', { body: labels.body, leader: labels.role(leader), count: leaders }));
  const secretaries = members.filter((m) => m.role === 'secretary').length;
  if (body.kind === 'team' && secretaries === 0) out.push(issue('BODY_TEAM_SECRETARY_MISSING', { body: labels.body }));
  if (body.kind === 'board' && secretaries === 0) out.push(issue('BODY_BOARD_SECRETARY_MISSING', { body: labels.body }));
  if (!body.decisionNo || !body.decisionDate) out.push({ ...issue('BODY_DECISION_REQUIRED', {}), field: body.decisionNo ? 'decisionDate' : 'decisionNo' });
  for (const [field, value] of [['decisionDate', body.decisionDate], ['formedOn', body.formedOn]] as const) {
    if (value && value > ctx.electionDay) out.push({ ...issue('BODY_DATE_AFTER_ELECTION', { date: labels.date(value), day: labels.date(ctx.electionDay) }), field });
  }
  const formed = body.formedOn ?? body.decisionDate;
  if (ctx.deadline && formed && formed > ctx.deadline && formed <= ctx.electionDay) {
    out.push(issue('BODY_FORMED_LATE', { date: labels.date(formed), deadline: labels.date(ctx.deadline) }));
  }
  if (body.kind === 'team' && body.variant && body.areaKind) {
    // A separate armed-unit area has the unit's own team; an ordinary area a civil or a mixed one.
    const armedArea = body.areaKind === 'armed-unit';
    if (armedArea ? body.variant !== 'armed-unit' : body.variant === 'armed-unit') {
      out.push(issue('BODY_TEAM_VARIANT_KIND', { variant: labels.variant(body.variant), areaKind: labels.areaKind(body.areaKind) }));
    }
  }
  return out;
}

export const errorsOf = (xs: readonly BodyIssue[]): BodyIssue[] => xs.filter((x) => x.severity === 'error');
export const warningsOf = (xs: readonly BodyIssue[]): BodyIssue[] => xs.filter((x) => x.severity === 'warning');

/** A rule issue as a field issue (for AppError details and import reports). */
export function toFieldIssue(i: BodyIssue): FieldIssue {
  return { field: i.field, code: i.code, messageKey: ruleMessageKey(i.code), params: i.params };
}
