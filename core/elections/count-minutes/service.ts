// Count minutes lifecycle (issue 6, docs/count-minutes.md): entry by the election team (or the commune on its
// behalf), the double entry or single entry plus verification, the coordinator's resolution of differences, and
// corrections after acceptance under the two-person rule. Every function runs inside the caller's transaction
// (mountAction), returns a Result and writes nothing on refusal; accepting a version records the aggregation run.
import type { EntityManager } from '@mikro-orm/postgresql';
import { deferredExec, prepared, sql } from '../../persistence/db.js';
import { MEMO, recalledFrom, rememberOn } from '../../persistence/em-memo.js';
import { areaPlaceSql, type AreaPlace } from '../structure/scope.js';
import { newId } from '../../shared/ids.js';
import { appError, err, ok, type AppError, type FieldIssue, type Result } from '../../shared/result.js';
import type { JobService } from '../../jobs/job.service.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import type { PluginStateService } from '../../plugin-host/plugin-state.service.js';
import { recordAggregation, type AggregationTicket } from '../results/aggregation-trigger.js';
import { validateMinutes, type Violation } from './rules.js';
import { BALLOT_INVENTORY_MODES, DEFAULT_BALLOT_INVENTORY, type BallotInventoryMode, type CountMinutes, type CoreMinutesContext } from './minutes.js';
import { copyField, differingFields, type MinutesData, type ParsedSubmission } from './input.js';

export type EntryMode = 'double-entry' | 'single-plus-verification';
export type MinutesStatus = 'draft' | 'entered' | 'differences' | 'accepted' | 'amending';

export interface MinutesDeps {
  registry: PluginRegistry;
  pluginStates: PluginStateService;
  jobs: JobService;
}

export interface CandidateRef {
  id: string;
  name: string;
  order: number;
}

/** Everything the entry of one polling area's minutes for one contest needs. */
export interface AreaContext {
  electionId: string;
  mode: EntryMode;
  area: { id: string; name: string; number: number; commune_code: string; voters: number };
  contest: string;
  unit: { id: string; name: string; number: number; seats: number };
  candidates: CandidateRef[];
  /** The rule context, with the contest's ballot-inventory setting (rule 23) always set. */
  ctx: CoreMinutesContext & { ballotInventory: BallotInventoryMode };
  /**
   * The minutes row (none yet: null) and its entries as read with the context, without a lock; `fingerprint` is what
   * count_minutes_check compares under the lock before the writes decided on this state (migration 20261129001000).
   */
  state: { minutes: MinutesRow; entries: EntryRow[]; fingerprint: string } | null;
}

export interface MinutesRow {
  id: string;
  election_id: string;
  contest: string;
  polling_area_id: string;
  unit_id: string;
  round: string;
  status: MinutesStatus;
  accepted_version_id: string | null;
  accepted_revision: number;
}

export interface EntryRow {
  id: string;
  minutes_id: string;
  slot: 1 | 2;
  user_id: string;
  status: 'draft' | 'submitted' | 'returned';
  data: MinutesData;
  confirmed_warnings: string[];
  note: string | null;
  return_fields: string[] | null;
  rev: number;
}

export interface VersionRow {
  id: string;
  minutes_id: string;
  version_no: number;
  kind: 'original' | 'correction';
  status: 'draft' | 'entered' | 'accepted' | 'superseded' | 'rejected';
  voters_total: number;
  voters_voted: number;
  ballots_issued: number;
  ballots_received: number;
  ballots_valid: number;
  ballots_invalid: number;
  piles: Record<string, number> | null;
  complaints: { received: number; resolved: number; forwarded: number; text?: string };
  team_members_present: number;
  /** Rule 23 inventory; null when not given (or before migration 000980). */
  ballots_from_board: number | null;
  ballots_unused: number | null;
  ballots_spoiled: number | null;
  confirmed_warnings: string[];
  note: string | null;
  reason: string | null;
  reference: string | null;
  created_by: string;
  created_at: string;
  accepted_by: string | null;
  accepted_at: string | null;
  rejected_by: string | null;
  decision: string | null;
}

const fail = (code: string, messageKey: string, status = 409, params?: Record<string, string | number>, details?: FieldIssue[]) =>
  err(appError(code, messageKey, status, params, details));

// --- context ----------------------------------------------------------------------------------------------------

/** The polling area, its unit for the contest, the unit's official list and the rule context; or NOT_FOUND. */
export async function areaContext(em: EntityManager, d: MinutesDeps, electionId: string, areaId: string, contest: string): Promise<Result<AreaContext, AppError>> {
  if (!d.registry.contestType(contest)) return fail('NOT_FOUND', 'count-minutes.area_not_found', 404);
  const memoKey = `count-minutes-context:${electionId}:${areaId}:${contest}`;
  const known = recalledFrom<AreaContext>(em, memoKey);
  if (known) return ok(known);
  // One round trip: the area, its unit, the official list, the last turnout report and the contest's settings — and
  // what the policy's scope lookup and the phase gate read next (the area's place in the tree, the election's
  // status), recorded on this EntityManager for them (em-memo.ts).
  const [row] = await prepared<{ id: string; name: string; number: number; commune_code: string; voters: number; unit_voters: number | null; unit_id: string; unit_name: string;
    unit_number: number; seats: number; mode: EntryMode; candidates: CandidateRef[] | null; last_voted: number | null; settings: Record<string, unknown> | null;
    election_status: string; province: string | null; units: string[] | null; state: AreaContext['state'] }>(em,
    `select a.id, a.name, a.number, a.commune_code, a.voters, pu.voters as unit_voters, u.id as unit_id, u.name as unit_name, u.number as unit_number, u.seats,
            e.minutes_entry_mode as mode, e.status as election_status, ${areaPlaceSql.province('a')} as province, ${areaPlaceSql.units('a')} as units,
            (select json_agg(json_build_object('id', c.id, 'name', c.full_name, 'order', c.ballot_order) order by c.ballot_order)
               from candidate c where c.unit_id = u.id and c.status = 'official') as candidates,
            (select t.voted from turnout_report t where t.polling_area_id = a.id and t.contest = pu.contest order by t.reported_at desc, t.slot desc limit 1) as last_voted,
            (select ps.settings from plugin_state ps where ps.election_id = e.id and ps.plugin_id = pu.contest) as settings,
            (select jsonb_build_object('minutes', to_jsonb(m), 'fingerprint', count_minutes_fingerprint(m),
                    'entries', (select coalesce(jsonb_agg(to_jsonb(x) order by x.slot), '[]'::jsonb) from count_minutes_entry x where x.minutes_id = m.id))
               from count_minutes m where m.polling_area_id = a.id and m.contest = pu.contest and m.round = 'first') as state
       from polling_area a join polling_area_unit pu on pu.polling_area_id = a.id and pu.contest = ?
       join electoral_unit u on u.id = pu.unit_id join election e on e.id = a.election_id
      where a.id = ? and a.election_id = ?`, [contest, areaId, electionId]);
  if (!row) return fail('NOT_FOUND', 'count-minutes.area_not_found', 404);
  rememberOn(em, MEMO.ancestors('polling-area', row.id), { commune_code: row.commune_code, province: row.province, units: row.units } satisfies AreaPlace);
  rememberOn(em, MEMO.electionStatus(electionId), row.election_status);
  const candidates = row.candidates ?? [];
  const settings = { ...d.registry.settingDefaults(contest), ...(row.settings ?? {}) };
  const threshold = Number(settings[`${contest}.invalid-share-warning-percent`] ?? 10);
  // Rule 23 is [U]: whether the inventory is checked is the contest's setting per election (default 'optional'),
  // read like the threshold above; core supplies the default while no plugin declares it.
  const inventory = settings[`${contest}.ballot-inventory`];
  const ballotInventory = (BALLOT_INVENTORY_MODES as readonly unknown[]).includes(inventory) ? (inventory as BallotInventoryMode) : DEFAULT_BALLOT_INVENTORY;
  const context: AreaContext = {
    electionId,
    mode: row.mode,
    area: { id: row.id, name: row.name, number: row.number, commune_code: row.commune_code, voters: row.unit_voters ?? row.voters },
    contest,
    unit: { id: row.unit_id, name: row.unit_name, number: row.unit_number, seats: row.seats },
    candidates,
    state: row.state,
    ctx: {
      seats: row.seats,
      candidateIds: candidates.map((c) => c.id),
      lastSlotTurnout: row.last_voted ?? undefined,
      invalidShareWarningPercent: Number.isFinite(threshold) ? Math.min(100, Math.max(0, threshold)) : 10,
      ballotInventory,
    },
  };
  rememberOn(em, memoKey, context);
  return ok(context);
}

export async function findMinutes(em: EntityManager, areaId: string, contest: string, forUpdate = false): Promise<MinutesRow | undefined> {
  const [m] = await sql<MinutesRow>(em, `select * from count_minutes where polling_area_id = ? and contest = ? and round = 'first'${forUpdate ? ' for update' : ''}`, [areaId, contest]);
  return m;
}

export async function getMinutes(em: EntityManager, id: string, forUpdate = false): Promise<MinutesRow | undefined> {
  const [m] = await sql<MinutesRow>(em, `select * from count_minutes where id = ?${forUpdate ? ' for update' : ''}`, [id]);
  return m;
}

/**
 * The state an entry is decided on — the minutes row and its entries as read with the area context, no lock — and the
 * optimistic check that goes first in the writes (deferredExec: in a lean transaction the check, the writes, the audit
 * event and the COMMIT are one message): count_minutes_check creates the row if there is none, locks it and compares
 * the state under the lock with this one. Changed meanwhile → SQLSTATE 40001: the transaction rolls back and the
 * pipeline decides again on fresh state (endpoint.ts leanRetried). Outside a lean transaction (the property tests call
 * the service directly) the check runs at once, and a changed state fails that transaction the same way.
 */
async function decisionState(em: EntityManager, c: AreaContext): Promise<{ m: MinutesRow; entries: EntryRow[] }> {
  const st = c.state;
  const m: MinutesRow = st?.minutes ?? {
    id: newId(), election_id: c.electionId, contest: c.contest, polling_area_id: c.area.id, unit_id: c.unit.id, round: 'first',
    status: 'draft', accepted_version_id: null, accepted_revision: 0,
  };
  await deferredExec(em, `select count_minutes_check(?::uuid, ?::uuid, ?::text, ?::uuid, ?::uuid, ?::text)`,
    [m.id, c.electionId, c.contest, c.area.id, c.unit.id, st?.fingerprint ?? null]);
  return { m, entries: st?.entries ?? [] };
}

export async function entriesOf(em: EntityManager, minutesId: string): Promise<EntryRow[]> {
  return prepared<EntryRow>(em, `select * from count_minutes_entry where minutes_id = ? order by slot`, [minutesId]);
}

export async function versionsOf(em: EntityManager, minutesId: string): Promise<VersionRow[]> {
  return sql<VersionRow>(em, `select * from count_minutes_version where minutes_id = ? order by version_no`, [minutesId]);
}

export async function votesOf(em: EntityManager, versionId: string): Promise<Record<string, number>> {
  const rows = await sql<{ candidate_id: string; votes: number }>(em, `select candidate_id, votes from count_minutes_vote where version_id = ?`, [versionId]);
  return Object.fromEntries(rows.map((r) => [r.candidate_id, r.votes]));
}

/** A version's fields as minutes data (for comparisons and the correction form). */
export async function versionData(em: EntityManager, v: VersionRow): Promise<MinutesData> {
  return {
    votersTotal: v.voters_total, votersVoted: v.voters_voted, ballotsIssued: v.ballots_issued, ballotsReceived: v.ballots_received,
    ballotsValid: v.ballots_valid, ballotsInvalid: v.ballots_invalid, votes: await votesOf(em, v.id),
    ...(v.piles ? { piles: v.piles } : {}), complaints: { ...v.complaints }, teamMembersPresent: v.team_members_present,
    ballotsFromBoard: v.ballots_from_board ?? null, ballotsUnused: v.ballots_unused ?? null, ballotsSpoiled: v.ballots_spoiled ?? null,
  };
}

// --- rules ----------------------------------------------------------------------------------------------------

/** The catalogue's verdict on complete data: errors, and warnings not confirmed with a note. */
export function checkRules(d: MinutesDeps, c: AreaContext, data: MinutesData, confirmed: string[], note: string | null): { errors: Violation[]; warnings: Violation[]; unconfirmed: Violation[] } {
  const v = validateMinutes(data as unknown as CountMinutes, c.ctx, d.registry.rules(c.contest));
  const unconfirmed = v.warnings.filter((w) => !confirmed.includes(w.code) || !note);
  return { ...v, unconfirmed };
}

/** Violations as field issues for the error response: the clerk's text (core's or the plugin's key), the field named. */
export function violationIssues(vs: Violation[], severity: 'error' | 'warning', rules: readonly { code: string; clerkKey: string }[] = []): FieldIssue[] {
  return vs.map((v) => ({
    field: v.fields[0],
    code: v.code,
    messageKey: rules.find((r) => r.code === v.code)?.clerkKey ?? `count-minutes.rule.${v.code}.clerk`,
    params: { ...v.params, severity, fields: v.fields.join(',') },
  }));
}

/** Refusal of complete data by the catalogue, or undefined when it may be saved. */
function ruleRefusal(d: MinutesDeps, c: AreaContext, data: MinutesData, confirmed: string[], note: string | null): AppError | undefined {
  const r = checkRules(d, c, data, confirmed, note);
  const rules = d.registry.rules(c.contest);
  if (r.errors.length) return appError('RULE_ERRORS', 'count-minutes.rule_errors', 400, { n: r.errors.length }, violationIssues(r.errors, 'error', rules));
  if (r.unconfirmed.length) {
    return appError('WARNINGS_UNCONFIRMED', note ? 'count-minutes.warnings_unconfirmed' : 'count-minutes.warnings_need_note', 400, { n: r.unconfirmed.length },
      violationIssues(r.unconfirmed, 'warning', rules));
  }
  return undefined;
}

// --- entry ----------------------------------------------------------------------------------------------------

export interface EntryOutcome {
  minutesId: string;
  status: MinutesStatus;
  slot: 1 | 2;
  entryStatus: EntryRow['status'];
  rev: number;
  acceptedVersionId?: string;
  /** Aggregation run to dispatch after commit. */
  aggregate?: AggregationTicket;
  differences?: number;
  before: unknown;
  after: unknown;
}

/**
 * Saves the caller's entry (draft or submitted). Double entry: the first two different people get slots 1 and 2,
 * and nobody is told what the other typed; the same person cannot fill both slots. When both are submitted they
 * are compared: identical → a version is accepted; different → status 'differences' for the coordinator.
 */
export async function saveEntry(em: EntityManager, d: MinutesDeps, c: AreaContext, actorId: string, s: ParsedSubmission): Promise<Result<EntryOutcome, AppError>> {
  const { m, entries } = await decisionState(em, c);
  if (m.status === 'accepted' || m.status === 'amending') return fail('MINUTES_ACCEPTED', 'count-minutes.already_accepted');
  const mine = entries.find((e) => e.user_id === actorId);
  const other = entries.find((e) => e.user_id !== actorId);
  let slot: 1 | 2;
  let data = s.data;
  if (mine) {
    if (mine.status === 'submitted') {
      return other || c.mode === 'single-plus-verification'
        ? fail('ENTRY_SUBMITTED', 'count-minutes.entry_submitted')
        : fail('SAME_USER', 'count-minutes.same_user', 409);
    }
    if (s.rev !== mine.rev) return fail('STALE_VERSION', 'count-minutes.stale', 409, { rev: s.rev, current: mine.rev });
    slot = mine.slot;
    if (mine.status === 'returned' && mine.return_fields) {
      // Re-entry of the differing fields only: everything else stays as first typed.
      data = structuredClone(mine.data);
      for (const f of mine.return_fields) copyField(data, s.data, f);
    }
  } else {
    if (s.rev !== 0) return fail('STALE_VERSION', 'count-minutes.stale', 409, { rev: s.rev, current: 0 });
    if (c.mode === 'single-plus-verification') {
      if (other) return fail('ENTRY_TAKEN', 'count-minutes.entry_taken');
      slot = 1;
    } else if (entries.length >= 2) return fail('ENTRIES_FULL', 'count-minutes.entries_full');
    else slot = entries.some((e) => e.slot === 1) ? 2 : 1;
  }
  if (s.submit) {
    const refusal = ruleRefusal(d, c, data, s.confirmedWarnings, s.note);
    if (refusal) return err(refusal);
  }
  const status: EntryRow['status'] = s.submit ? 'submitted' : mine?.status === 'returned' ? 'returned' : 'draft';
  const rev = (mine?.rev ?? 0) + 1;
  const saved: EntryRow = {
    ...(mine ?? { id: newId(), minutes_id: m.id, slot, user_id: actorId, return_fields: null }),
    status, data, confirmed_warnings: s.confirmedWarnings, note: s.note, rev,
  };
  // What the minutes become is known before writing (from the entries read under the row lock and this one): a plain
  // status change travels with the entry's own statement; an acceptance writes its version after it. Nothing below
  // reads a result back, so in a lean transaction every write travels with the COMMIT (deferredExec).
  const now = s.submit ? [...entries.filter((e) => e.id !== saved.id && e.user_id !== actorId), saved].sort((a, b) => a.slot - b.slot) : [];
  const both = now.length === 2 && now.every((e) => e.status === 'submitted');
  const diff = s.submit && c.mode === 'double-entry' && both ? differingFields(now[0].data, now[1].data) : [];
  const next: MinutesStatus | undefined = !s.submit ? undefined : c.mode === 'double-entry' && both ? (diff.length ? 'differences' : 'accepted') : 'entered';
  const withStatus = (q: string) => (next && next !== 'accepted' ? `with e as (${q}) update count_minutes set status = ?, updated_at = now() where id = ?` : q);
  const statusParams = next && next !== 'accepted' ? [next, m.id] : [];
  if (mine) {
    await deferredExec(em, withStatus(`update count_minutes_entry set status = ?, data = ?::jsonb, confirmed_warnings = ?::jsonb, note = ?, return_fields = ?::jsonb, rev = ?, updated_at = now() where id = ?`),
      [status, JSON.stringify(data), JSON.stringify(s.confirmedWarnings), s.note, status === 'returned' ? JSON.stringify(mine.return_fields) : null, rev, mine.id, ...statusParams]);
  } else {
    await deferredExec(em, withStatus(`insert into count_minutes_entry (id, minutes_id, slot, user_id, status, data, confirmed_warnings, note, rev) values (?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?)`),
      [saved.id, m.id, slot, actorId, status, JSON.stringify(data), JSON.stringify(s.confirmedWarnings), s.note, rev, ...statusParams]);
  }
  const out: EntryOutcome = { minutesId: m.id, status: m.status, slot, entryStatus: status, rev, before: { status: m.status }, after: undefined };
  if (next === 'accepted') {
    const acc = await accept(em, d, m, now[0].data, {
      createdBy: now[0].user_id, acceptedBy: now[1].user_id, confirmed: union(now[0].confirmed_warnings, now[1].confirmed_warnings),
      note: joinNotes(now[0].note, now[1].note), decision: 'identical',
    }, actorId);
    Object.assign(out, { status: 'accepted', acceptedVersionId: acc.versionId, aggregate: acc.aggregate });
  } else if (next === 'differences') {
    Object.assign(out, { status: 'differences', differences: diff.length });
  } else if (next === 'entered') {
    out.status = 'entered';
  } else if (m.status === 'draft') out.status = 'draft';
  out.after = { status: out.status, slot, entryStatus: status, rev };
  return ok(out);
}

const union = (a: string[], b: string[]) => [...new Set([...a, ...b])];
const joinNotes = (a: string | null, b: string | null) => [a, b].filter(Boolean).join(' | ') || null;

async function setStatus(em: EntityManager, minutesId: string, status: MinutesStatus): Promise<void> {
  await sql(em, `update count_minutes set status = ?, updated_at = now() where id = ?`, [status, minutesId]);
}

/** Inserts a version with its votes. */
async function insertVersion(em: EntityManager, minutesId: string, data: MinutesData, o: {
  kind: 'original' | 'correction'; status: 'entered' | 'accepted'; createdBy: string; acceptedBy?: string; confirmed: string[]; note: string | null;
  reason?: string | null; reference?: string | null; decision?: string | null;
  /** Sent with the next statement or the COMMIT (deferredExec): the version number is then not returned. */
  deferred?: boolean;
}): Promise<{ id: string; versionNo?: number }> {
  // One statement (one round trip, or none of its own when deferred): the next version number under the minutes row
  // lock the caller holds, the version, and its votes.
  const id = newId();
  const ids = Object.keys(data.votes);
  const text = `with v as (
      insert into count_minutes_version (id, minutes_id, version_no, kind, status, voters_total, voters_voted, ballots_issued, ballots_received,
        ballots_valid, ballots_invalid, piles, complaints, team_members_present, ballots_from_board, ballots_unused, ballots_spoiled,
        confirmed_warnings, note, reason, reference, created_by, accepted_by, accepted_at, decision)
      select ?::uuid, ?::uuid, coalesce(max(version_no), 0)::int + 1, ?::text, ?::text, ?::int, ?::int, ?::int, ?::int, ?::int, ?::int, ?::jsonb, ?::jsonb, ?::int, ?::int, ?::int, ?::int, ?::jsonb,
          ?::text, ?::text, ?::text, ?::text, ?::text, ${o.status === 'accepted' ? 'now()' : 'null'}, ?::text
        from count_minutes_version where minutes_id = ?::uuid
      returning id, version_no),
    votes as (insert into count_minutes_vote (version_id, candidate_id, votes) select v.id, x.c::uuid, x.v from v, unnest(?::text[], ?::int[]) as x(c, v))
    select version_no as n from v`;
  const params = [id, minutesId, o.kind, o.status, data.votersTotal, data.votersVoted, data.ballotsIssued, data.ballotsReceived, data.ballotsValid, data.ballotsInvalid,
    data.piles ? JSON.stringify(data.piles) : null, JSON.stringify(data.complaints), data.teamMembersPresent,
    data.ballotsFromBoard ?? null, data.ballotsUnused ?? null, data.ballotsSpoiled ?? null, JSON.stringify(o.confirmed), o.note,
    o.reason ?? null, o.reference ?? null, o.createdBy, o.acceptedBy ?? null, o.decision ?? null, minutesId,
    `{${ids.join(',')}}`, `{${ids.map((k) => data.votes[k]).join(',')}}`];
  if (o.deferred) {
    await deferredExec(em, text, params);
    return { id };
  }
  const [{ n }] = await prepared<{ n: number }>(em, text, params);
  return { id, versionNo: n };
}

/** Makes `versionId` (or new data) the accepted version: bumps the revision and records the aggregation run. */
async function accept(em: EntityManager, d: MinutesDeps, m: MinutesRow, data: MinutesData, o: {
  createdBy: string; acceptedBy: string; confirmed: string[]; note: string | null; decision: string;
}, actorId: string): Promise<{ versionId: string; aggregate?: AggregationTicket }> {
  const v = await insertVersion(em, m.id, data, { kind: 'original', status: 'accepted', ...o, deferred: true });
  return { versionId: v.id, aggregate: await markAccepted(em, d, m, v.id, actorId) };
}

/** `m` is the state under the row lock (checked by decisionState, or read with getMinutes forUpdate): the new revision is its revision + 1. */
async function markAccepted(em: EntityManager, d: MinutesDeps, m: MinutesRow, versionId: string, actorId: string): Promise<AggregationTicket | undefined> {
  await deferredExec(em, `update count_minutes set status = 'accepted', accepted_version_id = ?::uuid, accepted_revision = accepted_revision + 1, updated_at = now() where id = ?::uuid`,
    [versionId, m.id]);
  return recordAggregation(d.jobs, em, { electionId: m.election_id, minutesId: m.id, revision: m.accepted_revision + 1 }, actorId);
}

// --- resolution of differences --------------------------------------------------------------------------------

export type Resolution = 'keep-1' | 'keep-2' | 'return-1' | 'return-2';

/**
 * The coordinator's decision on two differing entries: keep one (it becomes the accepted version), or return the
 * minutes to one typist, who re-enters only the differing fields. The coordinator is neither typist.
 */
export async function resolveDifferences(em: EntityManager, d: MinutesDeps, minutesId: string, actorId: string, how: Resolution, note: string | null): Promise<Result<{ status: MinutesStatus; versionId?: string; aggregate?: AggregationTicket; fields?: string[] }, AppError>> {
  const m = await getMinutes(em, minutesId, true);
  if (!m) return fail('NOT_FOUND', 'count-minutes.not_found', 404);
  if (m.status !== 'differences') return fail('NOT_DIFFERENCES', 'count-minutes.not_differences');
  const entries = await entriesOf(em, m.id);
  if (entries.length !== 2) return fail('NOT_DIFFERENCES', 'count-minutes.not_differences');
  if (entries.some((e) => e.user_id === actorId)) return fail('RESOLVER_IS_TYPIST', 'count-minutes.resolver_is_typist', 403);
  const [e1, e2] = entries;
  const slot = how.endsWith('1') ? 0 : 1;
  const chosen = entries[slot];
  if (how.startsWith('keep')) {
    const acc = await accept(em, d, m, chosen.data, {
      createdBy: chosen.user_id, acceptedBy: actorId, confirmed: chosen.confirmed_warnings, note: joinNotes(chosen.note, note), decision: how,
    }, actorId);
    return ok({ status: 'accepted', versionId: acc.versionId, aggregate: acc.aggregate });
  }
  const fields = differingFields(e1.data, e2.data);
  await sql(em, `update count_minutes_entry set status = 'returned', return_fields = ?::jsonb, rev = rev + 1, updated_at = now() where id = ?`, [JSON.stringify(fields), chosen.id]);
  await setStatus(em, m.id, 'entered');
  return ok({ status: 'entered', fields });
}

/** Single entry plus verification: a second person confirms the entry against the paper, or returns it. */
export async function verifyEntry(em: EntityManager, d: MinutesDeps, minutesId: string, actorId: string, confirm: boolean, note: string | null): Promise<Result<{ status: MinutesStatus; versionId?: string; aggregate?: AggregationTicket }, AppError>> {
  const m = await getMinutes(em, minutesId, true);
  if (!m) return fail('NOT_FOUND', 'count-minutes.not_found', 404);
  const [e] = await entriesOf(em, m.id);
  if (m.status !== 'entered' || !e || e.status !== 'submitted') return fail('NOTHING_TO_VERIFY', 'count-minutes.nothing_to_verify');
  if (e.user_id === actorId) return fail('SAME_USER', 'count-minutes.same_user_verify', 409);
  if (!confirm) {
    await sql(em, `update count_minutes_entry set status = 'returned', return_fields = null, rev = rev + 1, updated_at = now() where id = ?`, [e.id]);
    await setStatus(em, m.id, 'draft');
    return ok({ status: 'draft' });
  }
  const acc = await accept(em, d, m, e.data, { createdBy: e.user_id, acceptedBy: actorId, confirmed: e.confirmed_warnings, note: joinNotes(e.note, note), decision: 'verified' }, actorId);
  return ok({ status: 'accepted', versionId: acc.versionId, aggregate: acc.aggregate });
}

// --- corrections ------------------------------------------------------------------------------------------------

export interface CorrectionInput {
  basedOn: string;
  data: MinutesData;
  reason: string;
  reference: string;
  confirmedWarnings: string[];
  note: string | null;
}

/**
 * Proposes a correction of accepted minutes (after a recount, a complaint, a board decision): a new version with a
 * reason and a reference, pending approval by a second person. The accepted version stays untouched.
 */
export async function proposeCorrection(em: EntityManager, d: MinutesDeps, c: AreaContext, minutesId: string, actorId: string, i: CorrectionInput): Promise<Result<{ versionId: string; versionNo: number }, AppError>> {
  const m = await getMinutes(em, minutesId, true);
  if (!m) return fail('NOT_FOUND', 'count-minutes.not_found', 404);
  if (m.status === 'amending') return fail('CORRECTION_PENDING', 'count-minutes.correction_pending');
  if (m.status !== 'accepted') return fail('NOT_ACCEPTED', 'count-minutes.not_accepted');
  if (i.basedOn !== m.accepted_version_id) return fail('STALE_VERSION', 'count-minutes.stale_version', 409);
  const refusal = ruleRefusal(d, c, i.data, i.confirmedWarnings, i.note);
  if (refusal) return err(refusal);
  const [acc] = await versionsOf(em, m.id).then((vs) => vs.filter((v) => v.id === m.accepted_version_id));
  if (acc && !differingFields(await versionData(em, acc), i.data).length) return fail('NO_CHANGE', 'count-minutes.correction_no_change', 400);
  const v = await insertVersion(em, m.id, i.data, {
    kind: 'correction', status: 'entered', createdBy: actorId, confirmed: i.confirmedWarnings, note: i.note, reason: i.reason, reference: i.reference,
  });
  await setStatus(em, m.id, 'amending');
  return ok({ versionId: v.id, versionNo: v.versionNo! });
}

/** Approves (second person only) or rejects a pending correction. Approval supersedes the accepted version. */
export async function decideCorrection(em: EntityManager, d: MinutesDeps, minutesId: string, versionId: string, actorId: string, approve: boolean, note: string | null): Promise<Result<{ status: MinutesStatus; aggregate?: AggregationTicket }, AppError>> {
  const m = await getMinutes(em, minutesId, true);
  if (!m) return fail('NOT_FOUND', 'count-minutes.not_found', 404);
  const [v] = await sql<VersionRow>(em, `select * from count_minutes_version where id = ? and minutes_id = ? for update`, [versionId, minutesId]);
  if (!v || v.kind !== 'correction' || v.status !== 'entered' || m.status !== 'amending') return fail('NO_PENDING_CORRECTION', 'count-minutes.no_pending_correction');
  if (v.created_by === actorId) return fail('TWO_PERSON', 'count-minutes.two_person', 403);
  if (!approve) {
    await sql(em, `update count_minutes_version set status = 'rejected', rejected_by = ?, rejected_at = now(), decision = ? where id = ?`, [actorId, note, v.id]);
    await setStatus(em, m.id, 'accepted');
    return ok({ status: 'accepted' });
  }
  // Superseding first: at most one accepted version per minutes (unique partial index).
  await sql(em, `update count_minutes_version set status = 'superseded' where minutes_id = ? and status = 'accepted'`, [m.id]);
  await sql(em, `update count_minutes_version set status = 'accepted', accepted_by = ?, accepted_at = now(), decision = ? where id = ?`, [actorId, note, v.id]);
  const aggregate = await markAccepted(em, d, m, v.id, actorId);
  return ok({ status: 'accepted', aggregate });
}

// --- commune to-do list -----------------------------------------------------------------------------------------

export interface TodoRow {
  area_id: string;
  area_number: number;
  area_name: string;
  contest: string;
  minutes_id: string | null;
  status: MinutesStatus | null;
  scans: number;
  pending_correction: boolean;
  total: number;
}

export type TodoFilter = 'all' | 'missing' | 'differences' | 'scans' | 'corrections';

/** Per polling area of a commune and contest: what is left to do, filtered, searched without accents, paginated. */
export async function communeTodo(em: EntityManager, electionId: string, commune: string, o: { filter: TodoFilter; q: string; limit: number; offset: number }): Promise<TodoRow[]> {
  const where: string[] = ['a.election_id = ?', 'a.commune_code = ?'];
  const params: unknown[] = [electionId, commune];
  if (o.q) {
    where.push(`(a.search_key like ? or a.number::text = ?)`);
    params.push(`%${o.q}%`, o.q);
  }
  const filters: Record<TodoFilter, string> = {
    all: 'true',
    missing: `(m.id is null or m.status in ('draft', 'entered'))`,
    differences: `m.status = 'differences'`,
    scans: `m.status in ('accepted', 'amending') and s.n = 0`,
    corrections: `m.status = 'amending'`,
  };
  return sql<TodoRow>(em,
    `select * from (
       select a.id as area_id, a.number as area_number, a.name as area_name, pu.contest, m.id as minutes_id, m.status,
              coalesce(s.n, 0)::int as scans, m.status = 'amending' as pending_correction, count(*) over ()::int as total
         from polling_area a join polling_area_unit pu on pu.polling_area_id = a.id
         left join count_minutes m on m.polling_area_id = a.id and m.contest = pu.contest and m.round = 'first'
         left join lateral (select count(*) as n from count_minutes_scan sc where sc.version_id = m.accepted_version_id) s on true
        where ${where.join(' and ')} and ${filters[o.filter]}
     ) x order by area_number, contest limit ? offset ?`, [...params, o.limit, o.offset]);
}

/** Counts per kind of work left in a commune (the summary line above the list). */
export async function communeCounts(em: EntityManager, electionId: string, commune: string): Promise<{ expected: number; accepted: number; missing: number; differences: number; scans: number; corrections: number }> {
  const [r] = await sql<{ expected: number; accepted: number; missing: number; differences: number; scans: number; corrections: number }>(em,
    `select count(*)::int as expected,
            count(*) filter (where m.status in ('accepted', 'amending'))::int as accepted,
            count(*) filter (where m.id is null or m.status in ('draft', 'entered'))::int as missing,
            count(*) filter (where m.status = 'differences')::int as differences,
            count(*) filter (where m.status in ('accepted', 'amending') and not exists (select 1 from count_minutes_scan sc where sc.version_id = m.accepted_version_id))::int as scans,
            count(*) filter (where m.status = 'amending')::int as corrections
       from polling_area a join polling_area_unit pu on pu.polling_area_id = a.id
       left join count_minutes m on m.polling_area_id = a.id and m.contest = pu.contest and m.round = 'first'
      where a.election_id = ? and a.commune_code = ?`, [electionId, commune]);
  return r;
}
