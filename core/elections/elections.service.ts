// Elections: creation with the contests held (enabled plugins) in one transaction, edits, phase moves and the
// per-election deadline overrides. Inputs are parsed by the routes; rules 10 and 11 are checked here and come back
// as Result values with field-level issues. Every function writes through the caller's transactional EntityManager
// (the endpoint pipeline audits in that same transaction).
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { sql } from '../persistence/db.js';
import { newId } from '../shared/ids.js';
import { appError, err, ok, type AppError, type FieldIssue, type Result } from '../shared/result.js';
import type { Lang } from '../shared/i18n.js';
import type { PluginStateService } from '../plugin-host/plugin-state.service.js';
import { checkElectionDay, checkVotingHours, DEFAULT_VOTING_CLOSE, DEFAULT_VOTING_OPEN } from './calendar/rules.js';
import { isPhase, nextPhase, previousPhase, type Phase } from './phases.js';
import type { DeadlineOverrides } from './calendar/deadlines.js';

export interface ElectionRow {
  id: string;
  name: string;
  election_day: string;
  status: Phase;
  voting_open: string;
  voting_close: string;
  deadline_overrides: DeadlineOverrides;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  phase_changed_at: Date | null;
}

const COLUMNS = `id, name, election_day::text as election_day, status, voting_open, voting_close, deadline_overrides, created_by,
  created_at, updated_at, phase_changed_at`;

export async function getElection(em: EntityManager, id: string, forUpdate = false): Promise<ElectionRow | undefined> {
  const [row] = await sql<ElectionRow>(em, `select ${COLUMNS} from election where id = ?${forUpdate ? ' for update' : ''}`, [id]);
  return row;
}

export async function listElections(em: EntityManager): Promise<(ElectionRow & { contests: string[] })[]> {
  return sql<ElectionRow & { contests: string[] }>(em, `select ${COLUMNS},
      coalesce((select array_agg(s.plugin_id order by s.plugin_id) from plugin_state s where s.election_id = e.id and s.enabled), '{}') as contests
    from election e order by election_day desc, name`);
}

/** Plugin ids enabled for an election: the contests it holds (in the order given, e.g. the installation order). */
export async function contestsOf(em: EntityManager, electionId: string, order: string[] = []): Promise<string[]> {
  const rows = await sql<{ plugin_id: string }>(em, 'select plugin_id from plugin_state where election_id = ? and enabled order by plugin_id', [electionId]);
  const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  return rows.map((r) => r.plugin_id).sort((a, b) => rank(a) - rank(b));
}

/** A form field that may arrive once (a string) or repeated (an array): always an array of strings. */
const manyStrings = z.union([z.string(), z.array(z.string())]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

const trimmed = (max: number) => z.string().trim().min(1).max(max);

export const electionFieldsInput = z.object({
  name: trimmed(200),
  electionDay: z.string().trim().max(20),
  votingOpen: z.string().trim().max(8).optional().transform((v) => v || DEFAULT_VOTING_OPEN),
  votingClose: z.string().trim().max(8).optional().transform((v) => v || DEFAULT_VOTING_CLOSE),
});
export const newElectionInput = electionFieldsInput.extend({ contests: manyStrings });
export type NewElectionInput = z.infer<typeof newElectionInput>;
export type ElectionFields = z.infer<typeof electionFieldsInput>;

/** Rules 10 and 11 on the submitted fields: every problem at once, the first one's code on the error. */
function checkFields(i: ElectionFields): Result<{ electionDay: string; votingOpen: string; votingClose: string }, AppError> {
  const day = checkElectionDay(i.electionDay, 'electionDay');
  const hours = checkVotingHours(i.votingOpen, i.votingClose, { open: 'votingOpen', close: 'votingClose' });
  if (day.ok && hours.ok) return ok({ electionDay: day.value, votingOpen: hours.value.open, votingClose: hours.value.close });
  const errors = [day, hours].flatMap((r) => (r.ok ? [] : [r.error]));
  return err({ ...errors[0], details: errors.flatMap((e) => e.details ?? []) });
}

/**
 * Creates an election in preparation with its contests enabled (PluginStateService.setEnabledIn in the same
 * transaction). At least one contest; only installed ones.
 */
export async function createElection(
  em: EntityManager, actorId: string, i: NewElectionInput, states: PluginStateService, lang: Lang,
): Promise<Result<{ election: ElectionRow; contests: string[] }, AppError>> {
  const fields = checkFields(i);
  const installed = states.installed().map((p) => p.pluginId);
  const contests = [...new Set(i.contests)];
  const contestIssues: FieldIssue[] = [];
  if (!contests.length) contestIssues.push({ field: 'contests', code: 'ELECTION_NO_CONTEST', messageKey: 'elections.error.no_contest' });
  for (const c of contests) {
    if (!installed.includes(c)) contestIssues.push({ field: 'contests', code: 'PLUGIN_UNKNOWN', messageKey: 'plugins.unknown', params: { plugin: c.slice(0, 60) } });
  }
  if (!fields.ok || contestIssues.length) {
    const base = fields.ok ? appError(contestIssues[0].code, contestIssues[0].messageKey, 400, contestIssues[0].params) : fields.error;
    return err({ ...base, details: [...(fields.ok ? [] : fields.error.details ?? []), ...contestIssues] });
  }
  const id = newId();
  await sql(em, `insert into election (id, name, election_day, status, voting_open, voting_close, created_by) values (?, ?, ?, 'preparation', ?, ?, ?)`,
    [id, i.name, fields.value.electionDay, fields.value.votingOpen, fields.value.votingClose, actorId]);
  for (const c of installed.filter((p) => contests.includes(p))) {
    const r = await states.setEnabledIn(em, id, c, true, lang);
    if (!r.ok) return r;
  }
  return ok({ election: (await getElection(em, id))!, contests: installed.filter((p) => contests.includes(p)) });
}

/** Phases in which the election's day and hours may still change: until voting starts. */
export const EDITABLE_PHASES: readonly Phase[] = ['preparation', 'nomination', 'consultation', 'official-lists'];

export async function updateElection(em: EntityManager, id: string, i: ElectionFields): Promise<Result<{ before: Partial<ElectionRow>; after: Partial<ElectionRow> }, AppError>> {
  const e = await getElection(em, id, true);
  if (!e) return err(appError('ELECTION_NOT_FOUND', 'elections.not_found', 404));
  if (!EDITABLE_PHASES.includes(e.status)) return err(appError('ELECTION_LOCKED', 'elections.error.locked', 409, { phase: e.status }));
  const fields = checkFields(i);
  if (!fields.ok) return fields;
  await sql(em, `update election set name = ?, election_day = ?, voting_open = ?, voting_close = ?, updated_at = now() where id = ?`,
    [i.name, fields.value.electionDay, fields.value.votingOpen, fields.value.votingClose, id]);
  const pick = (x: { name: string; election_day: string; voting_open: string; voting_close: string }) => ({ name: x.name, election_day: x.election_day, voting_open: x.voting_open, voting_close: x.voting_close });
  return ok({ before: pick(e), after: pick({ name: i.name, election_day: fields.value.electionDay, voting_open: fields.value.votingOpen, voting_close: fields.value.votingClose }) });
}

/**
 * Moves the phase one step: forward to the next phase, or back to the previous one (the route requires the
 * system administrator's permission and a reason for that). `from` is the phase the user saw: a stale page (someone
 * else moved it meanwhile) is refused rather than skipping a phase.
 */
export async function movePhase(em: EntityManager, id: string, from: string, to: string, reason: string | undefined): Promise<Result<{ before: { phase: Phase }; after: { phase: Phase; reason?: string }; direction: 'forward' | 'back' }, AppError>> {
  const e = await getElection(em, id, true);
  if (!e) return err(appError('ELECTION_NOT_FOUND', 'elections.not_found', 404));
  if (!isPhase(from) || !isPhase(to)) return err(appError('PHASE_UNKNOWN', 'elections.error.phase_unknown', 400));
  if (e.status !== from) return err(appError('PHASE_STALE', 'elections.error.phase_stale', 409, { phase: e.status }));
  const direction = to === nextPhase(from) ? 'forward' : to === previousPhase(from) ? 'back' : undefined;
  if (!direction) return err(appError('PHASE_NOT_ADJACENT', 'elections.error.phase_not_adjacent', 400, { from, to }));
  if (direction === 'back' && (reason ?? '').trim().length < 10) {
    return err(appError('PHASE_BACK_REASON', 'elections.error.phase_reason', 400, undefined, [{ field: 'reason', code: 'PHASE_BACK_REASON', messageKey: 'elections.error.phase_reason' }]));
  }
  await sql(em, `update election set status = ?, phase_changed_at = now(), updated_at = now() where id = ?`, [to, id]);
  return ok({ before: { phase: from }, after: direction === 'back' ? { phase: to, reason: reason!.trim() } : { phase: to }, direction });
}

export async function setDeadlineOverrides(em: EntityManager, id: string, overrides: DeadlineOverrides): Promise<Result<{ before: DeadlineOverrides; after: DeadlineOverrides }, AppError>> {
  const e = await getElection(em, id, true);
  if (!e) return err(appError('ELECTION_NOT_FOUND', 'elections.not_found', 404));
  await sql(em, `update election set deadline_overrides = ?::jsonb, updated_at = now() where id = ?`, [JSON.stringify(overrides), id]);
  return ok({ before: e.deadline_overrides, after: overrides });
}

