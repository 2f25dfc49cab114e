// The generic count-minute rule catalogue (ARCHITECTURE habit 5): rules 21, 22, 23 and 25 of election-rules.md as
// data with stable codes. It applies to every contest; plugins add their own rules through the registrar
// (PluginRegistry.rules). Codes are never renumbered or reused: a retired rule keeps its number out of use.
// F1xx: the fields themselves (rules 25, 23); F2xx / W2xx: the arithmetic between fields (rules 22, 23).
import { percent } from '../../shared/percent.js';
import type { RuleDef, Violation } from '../../plugin-api/rules.js';
import {
  INVENTORY_FIELDS, contextProblems, countFields, counts, inventoryGiven, inventoryMode, isCount, pileEntries, sumCounts, totalVotes,
  type CountMinutes, type MinutesContext,
} from './minutes.js';

export type { RuleDef, RuleSeverity, Violation } from '../../plugin-api/rules.js';

/** i18n keys of a core rule: `count-minutes.rule.<code>.clerk` / `.supervisor` (messages.ts). */
const keys = (code: string) => ({ clerkKey: `count-minutes.rule.${code}.clerk`, supervisorKey: `count-minutes.rule.${code}.supervisor` });

/** A rule with the usual keys; `check` returns at most what it finds. */
function rule(code: string, severity: RuleDef['severity'], ruleRef: string, check: RuleDef['check']): RuleDef {
  return Object.freeze({ code, severity, ruleRef, ...keys(code), check });
}

const one = (code: string, fields: string[], params: Violation['params']): Violation[] => [{ code, fields, params }];

/** F101 — every count is a whole number from 0 (rule 25). One violation per bad field. */
const F101 = rule('F101', 'error', '25', (m) =>
  countFields(m)
    .filter(([, v]) => !isCount(v))
    .map(([field, value]) => ({ code: 'F101', fields: [field], params: { field, value: String(value) } })),
);

/** F102 — a pile is for k names left, k = 1..seats (a ballot leaving more names than seats is invalid, rule 21). */
const F102 = rule('F102', 'error', '21', (m, ctx) =>
  Object.keys(m.piles ?? {})
    .filter((k) => !(/^[1-9][0-9]*$/.test(k) && Number(k) <= ctx.seats))
    .map((k) => ({ code: 'F102', fields: [`piles.${k}`], params: { k, seats: ctx.seats } })),
);

const complaintFields = ['complaints.received', 'complaints.resolved', 'complaints.forwarded'];
const complaintCounts = (m: CountMinutes) => {
  const { received, resolved, forwarded } = m.complaints;
  return [received, resolved, forwarded].every(isCount) ? { received, resolved, forwarded } : undefined;
};

/** F103 — complaints resolved by the team plus forwarded to the board cannot exceed those received (rule 25). */
const F103 = rule('F103', 'error', '25', (m) => {
  const c = complaintCounts(m);
  return c && c.resolved + c.forwarded > c.received ? one('F103', complaintFields, c) : [];
});

/** W101 — a complaint neither resolved nor forwarded: the team must forward what it cannot resolve (art. 74(3)). */
const W101 = rule('W101', 'warning', '25', (m) => {
  const c = complaintCounts(m);
  return c && c.resolved + c.forwarded < c.received ? one('W101', complaintFields, { ...c, open: c.received - c.resolved - c.forwarded }) : [];
});

/**
 * F104 — with the contest's setting `ballot-inventory` = 'required': the three ballot-paper inventory fields must be
 * given (rule 23). One violation per missing field, naming it.
 */
const F104 = rule('F104', 'error', '23', (m, ctx) => {
  if (inventoryMode(ctx) !== 'required') return [];
  const given = new Set(inventoryGiven(m).map(([f]) => f));
  return INVENTORY_FIELDS.filter((f) => !given.has(f)).map((field) => ({ code: 'F104', fields: [field], params: { field } }));
});

/** F201 — voters who voted ≤ total voters (rule 22). */
const F201 = rule('F201', 'error', '22', (m) => {
  const c = counts(m, 'votersVoted', 'votersTotal');
  return c && c[0] > c[1] ? one('F201', ['votersVoted', 'votersTotal'], { voted: c[0], total: c[1] }) : [];
});

/** F202 — valid + invalid = received (rule 22). */
const F202 = rule('F202', 'error', '22', (m) => {
  const c = counts(m, 'ballotsValid', 'ballotsInvalid', 'ballotsReceived');
  return c && c[0] + c[1] !== c[2]
    ? one('F202', ['ballotsValid', 'ballotsInvalid', 'ballotsReceived'], { valid: c[0], invalid: c[1], sum: c[0] + c[1], received: c[2] })
    : [];
});

/** F203 — received ≤ issued (rule 22). */
const F203 = rule('F203', 'error', '22', (m) => {
  const c = counts(m, 'ballotsReceived', 'ballotsIssued');
  return c && c[0] > c[1] ? one('F203', ['ballotsReceived', 'ballotsIssued'], { received: c[0], issued: c[1] }) : [];
});

/** F204 — no candidate has more votes than there are valid ballots (rule 22; 0 ≤ votes is F101). */
const F204 = rule('F204', 'error', '22', (m) => {
  const valid = counts(m, 'ballotsValid')?.[0];
  if (valid === undefined) return [];
  return Object.entries(m.votes)
    .filter(([, v]) => isCount(v) && v > valid)
    .map(([candidate, votes]) => ({ code: 'F204', fields: [`votes.${candidate}`, 'ballotsValid'], params: { candidate, votes, valid } }));
});

const voteFields = (m: CountMinutes) => Object.keys(m.votes).map((id) => `votes.${id}`);

/** F205 — Σ votes ≥ valid: a valid ballot leaves at least one name (rules 21, 22). */
const F205 = rule('F205', 'error', '22', (m) => {
  const valid = counts(m, 'ballotsValid')?.[0];
  const sum = totalVotes(m);
  return valid !== undefined && sum !== undefined && sum < valid ? one('F205', ['ballotsValid', ...voteFields(m)], { sum, valid }) : [];
});

/** F206 — Σ votes ≤ seats × valid: a valid ballot leaves at most `seats` names (rules 21, 22). */
const F206 = rule('F206', 'error', '22', (m, ctx) => {
  const valid = counts(m, 'ballotsValid')?.[0];
  const sum = totalVotes(m);
  if (valid === undefined || sum === undefined) return [];
  const max = ctx.seats * valid;
  return sum > max ? one('F206', ['ballotsValid', ...voteFields(m)], { sum, valid, seats: ctx.seats, max }) : [];
});

const pileFields = (m: CountMinutes) => Object.keys(m.piles ?? {}).map((k) => `piles.${k}`);

/** F207 — with piles recorded: Σ pile_k = valid (rule 22). */
const F207 = rule('F207', 'error', '22', (m) => {
  const piles = pileEntries(m);
  const valid = counts(m, 'ballotsValid')?.[0];
  if (!piles || valid === undefined) return [];
  const sum = sumCounts(piles.map(([, v]) => v));
  return sum !== undefined && sum !== valid ? one('F207', [...pileFields(m), 'ballotsValid'], { sum, valid }) : [];
});

/** F208 — with piles recorded: Σ k·pile_k = Σ votes (rule 22). */
const F208 = rule('F208', 'error', '22', (m) => {
  const piles = pileEntries(m);
  const votes = totalVotes(m);
  if (!piles || votes === undefined) return [];
  const names = piles.reduce((s, [k, v]) => s + k * v, 0);
  return Number.isSafeInteger(names) && names !== votes ? one('F208', [...pileFields(m), ...voteFields(m)], { names, votes }) : [];
});

/** F209 — votes recorded for someone not on the unit's official list (rules 21, 22). */
const F209 = rule('F209', 'error', '22', (m, ctx) => {
  const listed = new Set(ctx.candidateIds);
  return Object.keys(m.votes)
    .filter((id) => !listed.has(id))
    .map((candidate) => ({ code: 'F209', fields: [`votes.${candidate}`], params: { candidate } }));
});

/** F210 — a candidate of the unit's official list has no vote count (write 0, not nothing; rule 25). */
const F210 = rule('F210', 'error', '25', (m, ctx) =>
  ctx.candidateIds
    .filter((id) => !Object.hasOwn(m.votes, id))
    .map((candidate) => ({ code: 'F210', fields: [`votes.${candidate}`], params: { candidate } })),
);

/**
 * F211 — ballot-paper inventory (rule 23): received from the board = issued + unused (sealed) + spoiled (exchanged,
 * sealed). Checked when all three inventory fields are given and the setting is not 'off'. `difference` is
 * fromBoard − (issued + unused + spoiled): positive = ballots unaccounted for, negative = more accounted than received.
 */
const F211 = rule('F211', 'error', '23', (m, ctx) => {
  if (inventoryMode(ctx) === 'off') return [];
  const inv = inventoryGiven(m);
  const issued = counts(m, 'ballotsIssued')?.[0];
  if (inv.length !== INVENTORY_FIELDS.length || issued === undefined || !inv.every(([, v]) => isCount(v))) return [];
  const [[, fromBoard], [, unused], [, spoiled]] = inv;
  const sum = issued + unused + spoiled;
  if (!Number.isSafeInteger(sum) || sum === fromBoard) return [];
  return one('F211', ['ballotsFromBoard', 'ballotsIssued', 'ballotsUnused', 'ballotsSpoiled'], {
    fromBoard, issued, unused, spoiled, sum, difference: fromBoard - sum,
  });
});

/** W201 — ballots received ≠ voters who voted: each voter puts one ballot in the box (rule 22). */
const W201 = rule('W201', 'warning', '22', (m) => {
  const c = counts(m, 'ballotsReceived', 'votersVoted');
  return c && c[0] !== c[1] ? one('W201', ['ballotsReceived', 'votersVoted'], { received: c[0], voted: c[1] }) : [];
});

/** W202 — ballots received < issued: ballots issued that did not come back (rule 22, "flag if ≠"). */
const W202 = rule('W202', 'warning', '22', (m) => {
  const c = counts(m, 'ballotsReceived', 'ballotsIssued');
  return c && c[0] < c[1] ? one('W202', ['ballotsReceived', 'ballotsIssued'], { received: c[0], issued: c[1], missing: c[1] - c[0] }) : [];
});

/** W203 — fewer voters in the minutes than already reported at the last E-day turnout slot (rule 34). */
const W203 = rule('W203', 'warning', '34', (m, ctx) => {
  const voted = counts(m, 'votersVoted')?.[0];
  const reported = ctx.lastSlotTurnout;
  return voted !== undefined && isCount(reported) && voted < reported ? one('W203', ['votersVoted'], { voted, reported }) : [];
});

/**
 * W204 — share of invalid ballots in ballots received above the contest's threshold setting (rule 21). Compared
 * exactly (invalid · 100 > threshold · received); the share shown is the two-decimal percentage of rule 24.
 */
const W204 = rule('W204', 'warning', '21', (m, ctx) => {
  const c = counts(m, 'ballotsInvalid', 'ballotsReceived');
  if (!c || c[1] === 0 || !(c[0] * 100 > ctx.invalidShareWarningPercent * c[1])) return [];
  return one('W204', ['ballotsInvalid', 'ballotsReceived'], {
    invalid: c[0],
    received: c[1],
    share: percent(c[0], c[1]),
    threshold: ctx.invalidShareWarningPercent,
  });
});

/** The generic catalogue, in documentation order. */
export const CORE_RULES: readonly RuleDef[] = Object.freeze([
  F101, F102, F103, F104, W101,
  F201, F202, F203, F204, F205, F206, F207, F208, F209, F210, F211,
  W201, W202, W203, W204,
]);

/** Core codes: 'F' (error) or 'W' (warning) and three digits; plugin codes carry a prefix ('QH-W01'). */
export const CORE_RULE_CODE = /^[FW]\d{3}$/;

/** Outcome of {@link validateMinutes}: errors block saving; warnings need a confirmation with a note. */
export interface MinutesValidation {
  errors: Violation[];
  warnings: Violation[];
}

/**
 * Runs `rules` (default: the core catalogue) over one polling area's minutes, in catalogue order.
 *
 * @throws Error if the context itself is unusable (seats < 1, duplicate list ids): a caller bug, not a clerk's.
 */
export function validateMinutes(minutes: CountMinutes, ctx: MinutesContext, rules: readonly RuleDef[] = CORE_RULES): MinutesValidation {
  const problems = contextProblems(ctx);
  if (problems.length) throw new Error(`validateMinutes: ${problems.join('; ')}`);
  const out: MinutesValidation = { errors: [], warnings: [] };
  for (const r of rules) {
    const found = r.check(minutes, ctx);
    (r.severity === 'error' ? out.errors : out.warnings).push(...found);
  }
  return out;
}
