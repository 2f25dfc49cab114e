// Parsing a count-minutes submission (form fields or API JSON) into the minutes shape, field by field, with a
// Vietnamese message naming the field for every problem: not a whole number, negative, too large, missing, an
// unknown field, a duplicate candidate line. Pure; the rules of the catalogue run afterwards on the parsed value.
import type { FieldIssue } from '../../shared/result.js';
import { INVENTORY_FIELDS } from './minutes.js';
import { UUID_RE as UUID } from '../../shared/ids.js';

export { INVENTORY_FIELDS } from './minutes.js';

/** Largest count accepted on any field: above the largest polling area by orders of magnitude. */
export const MAX_COUNT = 10_000_000;
export const MAX_TEXT = 4000;

/** The minutes as stored on an entry or version: counts may be null while a draft is incomplete. */
export interface MinutesData {
  votersTotal: number | null;
  votersVoted: number | null;
  ballotsIssued: number | null;
  ballotsReceived: number | null;
  ballotsValid: number | null;
  ballotsInvalid: number | null;
  /** candidate id → votes. */
  votes: Record<string, number | null>;
  /** k → ballots leaving k names; absent when the team did not record piles. */
  piles?: Record<string, number | null>;
  complaints: { received: number | null; resolved: number | null; forwarded: number | null; text?: string };
  teamMembersPresent: number | null;
  /**
   * Rule 23, ballot-paper inventory: optional counts (null = not given; absent on entries saved before the fields
   * existed). Never "missing" for the parser; the contest's `ballot-inventory` setting decides (rules F104, F211).
   */
  ballotsFromBoard?: number | null;
  ballotsUnused?: number | null;
  ballotsSpoiled?: number | null;
}

export const TOP_FIELDS = ['votersTotal', 'votersVoted', 'ballotsIssued', 'ballotsReceived', 'ballotsValid', 'ballotsInvalid'] as const;
export const COMPLAINT_FIELDS = ['received', 'resolved', 'forwarded'] as const;

export interface ParsedSubmission {
  data: MinutesData;
  confirmedWarnings: string[];
  note: string | null;
  /** Revision of the caller's own entry it was based on (0 = a new entry): a mismatch is a stale form. */
  rev: number;
  /** true: submit the entry; false: save a draft. */
  submit: boolean;
}

/** Keys a submission may carry besides the minutes themselves (route params and form controls included). */
const CONTROL_KEYS = new Set(['id', 'areaId', 'contest', 'pollingAreaId', 'round', 'rev', 'confirmedWarnings', 'note', 'submit', 'action']);

const issue = (field: string, code: string, messageKey: string, params: Record<string, string | number> = {}): FieldIssue => ({
  field, code, messageKey, params: { field, ...params },
});

/** One count: a number or a string of digits; '' or null is "not filled". */
function count(path: string, v: unknown, issues: FieldIssue[]): number | null {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return null;
  if (Array.isArray(v)) {
    issues.push(issue(path, 'DUPLICATE_FIELD', 'count-minutes.input.duplicate_field'));
    return null;
  }
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    const s = v.trim().replace(/\s+/g, '');
    if (!/^-?\d+(\.\d+)?$/.test(s)) {
      issues.push(issue(path, 'NOT_A_NUMBER', 'count-minutes.input.not_a_number', { value: v.slice(0, 40) }));
      return null;
    }
    n = Number(s);
  } else {
    issues.push(issue(path, 'NOT_A_NUMBER', 'count-minutes.input.not_a_number', { value: String(v).slice(0, 40) }));
    return null;
  }
  if (!Number.isFinite(n) || !Number.isInteger(n)) {
    issues.push(issue(path, 'NOT_INTEGER', 'count-minutes.input.not_integer', { value: String(v).slice(0, 40) }));
    return null;
  }
  if (n < 0) {
    issues.push(issue(path, 'NEGATIVE', 'count-minutes.input.negative', { value: n }));
    return null;
  }
  if (n > MAX_COUNT) {
    issues.push(issue(path, 'TOO_LARGE', 'count-minutes.input.too_large', { value: String(n), max: MAX_COUNT }));
    return null;
  }
  return n;
}

/**
 * Turns a flat HTML form ("votes.<id>", "piles.2", "complaints.received") into the nested API shape, so both paths
 * share one parser. A key given twice arrives as an array and is reported as a duplicate.
 */
export function nestForm(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const votes: { candidateId: string; votes: unknown }[] = [];
  let piles: Record<string, unknown> | undefined;
  const complaints: Record<string, unknown> = {};
  let hasComplaints = false;
  for (const [k, v] of Object.entries(body)) {
    if (k.startsWith('votes.')) {
      const id = k.slice(6);
      if (Array.isArray(v)) for (const x of v) votes.push({ candidateId: id, votes: x });
      else votes.push({ candidateId: id, votes: v });
    } else if (k.startsWith('piles.')) {
      piles ??= {};
      piles[k.slice(6)] = v;
    } else if (k.startsWith('complaints.')) {
      complaints[k.slice(11)] = v;
      hasComplaints = true;
    } else if (k === 'confirmedWarnings') out[k] = Array.isArray(v) ? v : typeof v === 'string' && v ? [v] : [];
    else out[k] = v;
  }
  out.votes = votes;
  if (piles) {
    // Empty pile inputs mean "piles not recorded" when all are empty.
    const filled = Object.values(piles).some((x) => typeof x === 'string' ? x.trim() !== '' : x !== undefined && x !== null);
    if (filled) out.piles = piles;
  }
  if (hasComplaints) out.complaints = complaints;
  if (typeof out.submit === 'string') out.submit = out.submit !== '0' && out.submit !== 'false' && out.submit !== '';
  if (typeof out.rev === 'string') out.rev = out.rev.trim() === '' ? 0 : Number(out.rev);
  return out;
}

/**
 * Parses a nested submission. Unknown keys, malformed counts and duplicate candidate lines are issues; missing
 * counts are issues only when `submit` (a draft may be incomplete).
 */
export function parseSubmission(raw: Record<string, unknown>): { ok: true; value: ParsedSubmission } | { ok: false; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const known = new Set<string>([...TOP_FIELDS, 'votes', 'piles', 'complaints', 'teamMembersPresent', ...INVENTORY_FIELDS, ...CONTROL_KEYS]);
  for (const k of Object.keys(raw)) if (!known.has(k)) issues.push(issue(k.slice(0, 60), 'UNKNOWN_FIELD', 'count-minutes.input.unknown_field'));
  const submit = raw.submit === undefined ? true : raw.submit === true;
  if (raw.submit !== undefined && typeof raw.submit !== 'boolean') issues.push(issue('submit', 'NOT_BOOLEAN', 'count-minutes.input.not_boolean'));
  let rev = 0;
  if (raw.rev !== undefined) {
    if (typeof raw.rev === 'number' && Number.isSafeInteger(raw.rev) && raw.rev >= 0) rev = raw.rev;
    else issues.push(issue('rev', 'NOT_INTEGER', 'count-minutes.input.not_integer', { value: String(raw.rev).slice(0, 20) }));
  }
  const data: MinutesData = {
    votersTotal: null, votersVoted: null, ballotsIssued: null, ballotsReceived: null, ballotsValid: null, ballotsInvalid: null,
    votes: {}, complaints: { received: null, resolved: null, forwarded: null }, teamMembersPresent: null,
    ballotsFromBoard: null, ballotsUnused: null, ballotsSpoiled: null,
  };
  for (const f of TOP_FIELDS) data[f] = count(f, raw[f], issues);
  data.teamMembersPresent = count('teamMembersPresent', raw.teamMembersPresent, issues);
  for (const f of INVENTORY_FIELDS) data[f] = count(f, raw[f], issues);
  // Votes: a list of {candidateId, votes} so that a candidate given twice is visible (a JSON object would hide it).
  if (raw.votes !== undefined) {
    if (!Array.isArray(raw.votes)) issues.push(issue('votes', 'NOT_A_LIST', 'count-minutes.input.votes_list'));
    else if (raw.votes.length > 500) issues.push(issue('votes', 'TOO_MANY', 'count-minutes.input.too_many_votes'));
    else {
      for (const [i, line] of raw.votes.entries()) {
        const l = line as Record<string, unknown>;
        if (!l || typeof l !== 'object' || Array.isArray(l)) {
          issues.push(issue(`votes.${i}`, 'NOT_AN_OBJECT', 'count-minutes.input.votes_list'));
          continue;
        }
        const extra = Object.keys(l).filter((k) => k !== 'candidateId' && k !== 'votes');
        for (const k of extra) issues.push(issue(`votes.${i}.${k.slice(0, 40)}`, 'UNKNOWN_FIELD', 'count-minutes.input.unknown_field'));
        const id = typeof l.candidateId === 'string' ? l.candidateId : '';
        if (!UUID.test(id)) {
          issues.push(issue(`votes.${i}.candidateId`, 'BAD_CANDIDATE_ID', 'count-minutes.input.bad_candidate_id', { value: String(l.candidateId ?? '').slice(0, 40) }));
          continue;
        }
        const key = id.toLowerCase();
        if (Object.hasOwn(data.votes, key)) {
          issues.push(issue(`votes.${key}`, 'DUPLICATE_CANDIDATE', 'count-minutes.input.duplicate_candidate'));
          continue;
        }
        data.votes[key] = count(`votes.${key}`, l.votes, issues);
      }
    }
  }
  if (raw.piles !== undefined && raw.piles !== null) {
    if (typeof raw.piles !== 'object' || Array.isArray(raw.piles)) issues.push(issue('piles', 'NOT_AN_OBJECT', 'count-minutes.input.piles_object'));
    else {
      const piles: Record<string, number | null> = {};
      for (const [k, v] of Object.entries(raw.piles as Record<string, unknown>)) {
        if (!/^[1-9][0-9]{0,2}$/.test(k)) {
          issues.push(issue(`piles.${k.slice(0, 20)}`, 'BAD_PILE', 'count-minutes.input.bad_pile'));
          continue;
        }
        piles[k] = count(`piles.${k}`, v, issues);
      }
      data.piles = piles;
    }
  }
  if (raw.complaints !== undefined) {
    const c = raw.complaints as Record<string, unknown>;
    if (!c || typeof c !== 'object' || Array.isArray(c)) issues.push(issue('complaints', 'NOT_AN_OBJECT', 'count-minutes.input.complaints_object'));
    else {
      for (const k of Object.keys(c)) if (!(COMPLAINT_FIELDS as readonly string[]).includes(k) && k !== 'text') issues.push(issue(`complaints.${k.slice(0, 40)}`, 'UNKNOWN_FIELD', 'count-minutes.input.unknown_field'));
      for (const f of COMPLAINT_FIELDS) data.complaints[f] = count(`complaints.${f}`, c[f], issues);
      if (c.text !== undefined && c.text !== null && c.text !== '') {
        if (typeof c.text !== 'string' || c.text.length > MAX_TEXT) issues.push(issue('complaints.text', 'TEXT_TOO_LONG', 'count-minutes.input.text_too_long', { max: MAX_TEXT }));
        else data.complaints.text = c.text.trim();
      }
    }
  }
  let confirmedWarnings: string[] = [];
  if (raw.confirmedWarnings !== undefined) {
    const cw = raw.confirmedWarnings;
    if (!Array.isArray(cw) || cw.length > 50 || !cw.every((x) => typeof x === 'string' && x.length <= 20)) {
      issues.push(issue('confirmedWarnings', 'BAD_CONFIRMATIONS', 'count-minutes.input.bad_confirmations'));
    } else confirmedWarnings = [...new Set(cw as string[])];
  }
  let note: string | null = null;
  if (raw.note !== undefined && raw.note !== null) {
    if (typeof raw.note !== 'string' || raw.note.length > 2000) issues.push(issue('note', 'TEXT_TOO_LONG', 'count-minutes.input.text_too_long', { max: 2000 }));
    else note = raw.note.trim() || null;
  }
  if (submit && !issues.length) {
    // The inventory (rule 23) is optional here: whether it is required is the contest's setting (rule F104).
    for (const [path, v] of presentCounts(data)) if (v === null && !isInventory(path)) issues.push(issue(path, 'MISSING', 'count-minutes.input.missing'));
  }
  if (issues.length) return { ok: false, issues };
  return { ok: true, value: { data, confirmedWarnings, note, rev, submit } };
}

const isInventory = (path: string) => (INVENTORY_FIELDS as readonly string[]).includes(path);

/** Every count of the data with its path, in form order (null = not filled); the rule-23 inventory last. */
export function presentCounts(d: MinutesData): [string, number | null][] {
  return [
    ...TOP_FIELDS.map((f): [string, number | null] => [f, d[f]]),
    ...Object.entries(d.votes).map(([id, v]): [string, number | null] => [`votes.${id}`, v]),
    ...Object.entries(d.piles ?? {}).map(([k, v]): [string, number | null] => [`piles.${k}`, v]),
    ...COMPLAINT_FIELDS.map((f): [string, number | null] => [`complaints.${f}`, d.complaints[f]]),
    ['teamMembersPresent', d.teamMembersPresent],
    ...INVENTORY_FIELDS.map((f): [string, number | null] => [f, d[f] ?? null]),
  ];
}

/** Field paths where two entries differ (the comparison of the double entry); complaint text included. */
export function differingFields(a: MinutesData, b: MinutesData): string[] {
  const av = new Map(presentCounts(a));
  const bv = new Map(presentCounts(b));
  const paths = [...new Set([...av.keys(), ...bv.keys()])];
  const out = paths.filter((p) => (av.get(p) ?? null) !== (bv.get(p) ?? null));
  if ((a.complaints.text ?? '') !== (b.complaints.text ?? '')) out.push('complaints.text');
  return out;
}

/** Sets one field path of `target` from `source` (re-entry of returned fields only). */
export function copyField(target: MinutesData, source: MinutesData, path: string): void {
  const [head, tail] = path.includes('.') ? [path.slice(0, path.indexOf('.')), path.slice(path.indexOf('.') + 1)] : [path, ''];
  if (head === 'votes') target.votes[tail] = source.votes[tail] ?? null;
  else if (head === 'piles') {
    target.piles ??= {};
    target.piles[tail] = source.piles?.[tail] ?? null;
  } else if (head === 'complaints') {
    if (tail === 'text') target.complaints.text = source.complaints.text;
    else target.complaints[tail as 'received'] = source.complaints[tail as 'received'];
  } else (target as unknown as Record<string, unknown>)[head] = (source as unknown as Record<string, unknown>)[head];
}
