// Runs candidate imports (issue 5 point 6): the upload records a run (with its audit event) and queues
// `core.candidate-lists.import`; the worker reads the stored file, plans it (import-plan.ts) against the election
// under a per-election lock, and writes every candidate, the run's outcome and ONE audit event in one transaction —
// or nothing but a 'rejected' run with its row/column report. A row is identified by its external reference; a row
// whose fingerprint is unchanged is left alone, so re-importing the same file changes nothing.
import fs from 'node:fs/promises';
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, exec } from '../../persistence/db.js';
import { recordAudit } from '../../audit/audit.service.js';
import { newId } from '../../shared/ids.js';
import type { FieldIssue } from '../../shared/result.js';
import type { Logger } from '../../shared/logger.js';
import type { JobService } from '../../jobs/job.service.js';
import { PermanentJobError } from '../../jobs/job-types.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import { readTreeFile, type RawSheet } from '../../admin-tree/tree-file.js';
import { MAPPINGS, placeKey, type Mapping } from './import-format.js';
import { IssueSink, parseSheet, planRows, type CandidateRecord, type Lookup, type PlannedRow, type UnitRef } from './import-plan.js';
import { inForce, loadListsElection } from './lists.store.js';

export const IMPORT_JOB = 'core.candidate-lists.import';
export const IMPORT_ACTION = 'core.candidate-lists.import';
export const IMPORT_REQUEST_ACTION = 'core.candidate-lists.import.request';
/** Advisory-lock namespace of candidate imports ('cand'); the second key is the election. */
export const IMPORT_LOCK = 0x63616e64;
const BATCH = 5000;
/** A PostgreSQL array literal of texts (bound as one parameter: knex would expand a JS array). */
const pgArray = (xs: readonly string[]): string => '{' + xs.map((x) => '"' + x.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"').join(',') + '}';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'rejected' | 'failed';
const FINAL: RunStatus[] = ['succeeded', 'rejected', 'failed'];

export interface ImportFile {
  source: string;
  fileName: string;
  size: number;
  sha256: string;
}
export interface ImportScope {
  type: 'nation' | 'province' | 'commune';
  code: string;
}
export interface ImportReport {
  errors: FieldIssue[];
  warnings: FieldIssue[];
  errorCount: number;
  truncated: number;
}
export interface RunRow {
  id: string;
  election_id: string;
  scope_type: ImportScope['type'];
  scope_code: string;
  mapping: string;
  status: RunStatus;
  file: ImportFile;
  rows_total: number;
  report: ImportReport | null;
  summary: Record<string, any> | null;
  created_by: string;
  created_at: Date;
  finished_at: Date | null;
  job_run_id: string | null;
}
export interface ImportOutcome {
  runId: string;
  status: RunStatus;
  noChanges?: boolean;
  added?: number;
  changed?: number;
  errors?: number;
}

export const sha256 = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');

export interface ImportRequest {
  electionId: string;
  scope: ImportScope;
  mapping: string;
  file: ImportFile;
  createdBy: string;
  requestId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

/** Inserts a run row (no job): the bench and the request both start here. */
export async function insertRun(em: EntityManager, r: ImportRequest, jobRunId: string | null): Promise<string> {
  const runId = newId();
  await exec(em, `insert into candidate_import_run (id, election_id, scope_type, scope_code, mapping, status, file, created_by, job_run_id) values (?, ?, ?, ?, ?, 'queued', ?::jsonb, ?, ?)`,
    [runId, r.electionId, r.scope.type, r.scope.code, r.mapping, JSON.stringify(r.file), r.createdBy, jobRunId]);
  return runId;
}

/** Records a run, its audit event and its job_run row in the caller's transaction; dispatch the job after the commit. */
export async function recordImportRequest(em: EntityManager, jobs: JobService, r: ImportRequest): Promise<{ runId: string; jobRunId: string }> {
  const jobRunId = newId();
  const runId = await insertRun(em, r, jobRunId);
  await recordAudit(em, {
    actor: r.createdBy, action: IMPORT_REQUEST_ACTION, targetType: 'candidate_import_run', targetId: runId,
    after: { electionId: r.electionId, scope: r.scope, mapping: r.mapping, file: { fileName: r.file.fileName, size: r.file.size, sha256: r.file.sha256 }, jobRunId },
    result: 'success', requestId: r.requestId, ip: r.ip, userAgent: r.userAgent,
  });
  // The payload carries the run id only: never a candidate's personal data.
  await jobs.enqueue(IMPORT_JOB, { runId }, { runId: jobRunId, createdBy: r.createdBy, electionId: r.electionId, em });
  return { runId, jobRunId };
}

export async function getRun(em: EntityManager, id: string): Promise<RunRow | undefined> {
  const [r] = await sql<RunRow>(em, `select * from candidate_import_run where id = ?`, [id]);
  return r;
}

export interface ExecuteDeps {
  registry: PluginRegistry;
  log: Logger;
  progress?: (done: number, total: number) => Promise<void>;
}

/** What the rows can name: provinces and communes on election day, and the election's units. */
async function loadLookup(em: EntityManager, e: { id: string; electionDay: string; contests: Lookup['contests'] }, scope: ImportScope): Promise<Lookup> {
  const day = e.electionDay;
  const provinces = new Map<string, string>();
  const provinceByKey = new Map<string, string>();
  const communes = new Map<string, string>();
  for (const t of await sql<{ code: string; name: string; level: string; parent_code: string | null }>(em,
    `select code, name, level, parent_code from admin_unit u where level in ('province','commune') and ${inForce('u')}`, [day, day])) {
    if (t.level === 'province') {
      provinces.set(t.code, t.name);
      provinceByKey.set(placeKey(t.name), t.code);
    } else communes.set(t.code, t.parent_code ?? '');
  }
  const units = new Map<string, UnitRef>();
  for (const u of await sql<{ id: string; contest: string; parent_code: string; number: number; seats: number; name: string; description: string | null }>(em,
    `select id, contest, parent_code, number, seats, name, description from electoral_unit where election_id = ?`, [e.id])) {
    const ref = { id: u.id, contest: u.contest, parentCode: u.parent_code, number: u.number, seats: u.seats };
    units.set(`${u.contest}|${u.parent_code}|${u.number}`, ref);
    // Units outside the administrative tree (the 2021 NA units of a test election, docs/candidate-lists.md): their
    // place is the published province label in `description`, their number in the province is in their name.
    const n = /(\d+)\s*$/.exec(u.name)?.[1];
    if (u.description && n && !provinces.has(u.parent_code) && !communes.has(u.parent_code)) units.set(`${u.contest}|${placeKey(u.description)}|${Number(n)}`, ref);
  }
  return { electionDay: day, contests: e.contests, provinces, provinceByKey, communes, units, scope };
}

/** Plans a sheet against an election (no write): used by the job and by tests. */
export async function planSheet(em: EntityManager, registry: PluginRegistry, electionId: string, sheet: RawSheet, mapping: Mapping, scope: ImportScope, sink: IssueSink): Promise<PlannedRow[]> {
  const e = await loadListsElection(em, registry, electionId);
  if (!e) throw new PermanentJobError(`election ${electionId} not found`);
  const parsed = parseSheet(sheet, mapping, sink);
  if (sink.hasErrors) return [];
  const lookup = await loadLookup(em, { id: e.id, electionDay: e.electionDay, contests: new Map(e.contests.map((c) => [c.id, c])) }, scope);
  return planRows(parsed, mapping, lookup, sink);
}

const REC_COLUMNS: (keyof CandidateRecord)[] = [
  'contest', 'council_code', 'external_ref', 'full_name', 'other_name', 'name_key', 'sort_key', 'gender', 'date_of_birth', 'date_of_birth_text',
  'ethnicity', 'religion', 'hometown', 'education', 'occupation', 'workplace', 'party_member', 'party_joined_on', 'incumbent_na', 'incumbent_council',
  'deputy_terms', 'nominated_by', 'nominating_body', 'filing_body_code', 'status', 'unit_id', 'details',
];
const RECORDSET = `x(id uuid, contest text, council_code text, external_ref text, full_name text, other_name text, name_key text, sort_key text,
  gender text, date_of_birth date, date_of_birth_text text, ethnicity text, religion text, hometown text, education jsonb, occupation text,
  workplace text, party_member boolean, party_joined_on date, incumbent_na boolean, incumbent_council boolean, deputy_terms text, nominated_by text,
  nominating_body text, filing_body_code text, status text, unit_id uuid, details jsonb)`;

interface Existing {
  id: string;
  external_ref: string;
  contest: string;
  status: string;
  unit_id: string | null;
  hash: string | null;
}

/** Writes the planned rows (inserts and updates in batches); returns counts, or adds issues and writes nothing. */
export async function writePlanned(em: EntityManager, electionId: string, planned: PlannedRow[], actor: string, runId: string, sink: IssueSink,
  onBatch?: (done: number) => void): Promise<{ added: number; changed: number; unchanged: number }> {
  const existing = new Map<string, Existing>();
  for (let i = 0; i < planned.length; i += 50_000) {
    const refs = planned.slice(i, i + 50_000).map((p) => `${p.rec.contest}\u0001${p.rec.external_ref}`);
    for (const x of await sql<Existing>(em, `select id, external_ref, contest, status, unit_id, details->>'importHash' as hash from candidate
        where election_id = ? and external_ref is not null and contest || chr(1) || external_ref = any(?::text[]) for update`, [electionId, pgArray(refs)])) {
      existing.set(`${x.contest}\u0001${x.external_ref}`, x);
    }
  }
  const finalUnits = new Set((await sql<{ unit_id: string }>(em, `select distinct unit_id from candidate where election_id = ? and status = 'official'`, [electionId])).map((r) => r.unit_id));
  const inserts: Record<string, unknown>[] = [];
  const updates: Record<string, unknown>[] = [];
  let unchanged = 0;
  for (const p of planned) {
    const old = existing.get(`${p.rec.contest}\u0001${p.rec.external_ref}`);
    const rec = { ...p.rec, details: { ...p.rec.details, importHash: p.hash } };
    if (old && old.hash === p.hash && old.unit_id === p.rec.unit_id) {
      unchanged++;
      continue;
    }
    if (old && old.status === 'official') {
      sink.issue('CANDIDATE_OFFICIAL', p.row, undefined, { name: p.rec.full_name });
      continue;
    }
    if (p.rec.unit_id && finalUnits.has(p.rec.unit_id) && old?.unit_id !== p.rec.unit_id) {
      sink.issue('UNIT_FINAL', p.row, undefined, { name: p.rec.full_name });
      continue;
    }
    if (old) updates.push({ ...rec, id: old.id, status: ['nominated', 'preliminary', 'qualified'].includes(old.status) ? rec.status : old.status });
    else inserts.push({ ...rec, id: newId() });
  }
  if (sink.hasErrors) return { added: 0, changed: 0, unchanged };
  const cols = REC_COLUMNS.join(', ');
  let done = 0;
  for (let i = 0; i < inserts.length; i += BATCH) {
    const batch = inserts.slice(i, i + BATCH);
    await exec(em, `insert into candidate (id, election_id, ${cols}, created_by) select x.id, ?, ${REC_COLUMNS.map((c) => `x.${c}`).join(', ')}, ?
      from jsonb_to_recordset(?::jsonb) as ${RECORDSET}`, [electionId, actor, JSON.stringify(batch)]);
    await exec(em, `insert into candidate_event (candidate_id, actor, kind, to_status, data) select x.id, ?, 'import.created', x.status, jsonb_build_object('runId', ?::text)
      from jsonb_to_recordset(?::jsonb) as x(id uuid, status text)`, [actor, runId, JSON.stringify(batch.map((b) => ({ id: b.id, status: b.status })))]);
    done += batch.length;
    onBatch?.(done);
  }
  for (let i = 0; i < updates.length; i += BATCH) {
    const batch = updates.slice(i, i + BATCH);
    await exec(em, `update candidate c set ${REC_COLUMNS.map((k) => `${k} = x.${k}`).join(', ')}, version = c.version + 1, updated_at = now()
      from jsonb_to_recordset(?::jsonb) as ${RECORDSET} where c.id = x.id`, [JSON.stringify(batch)]);
    await exec(em, `insert into candidate_event (candidate_id, actor, kind, to_status, data) select x.id, ?, 'import.updated', x.status, jsonb_build_object('runId', ?::text)
      from jsonb_to_recordset(?::jsonb) as x(id uuid, status text)`, [actor, runId, JSON.stringify(batch.map((b) => ({ id: b.id, status: b.status })))]);
    done += batch.length;
    onBatch?.(done);
  }
  return { added: inserts.length, changed: updates.length, unchanged };
}

function reportOf(sink: IssueSink): ImportReport {
  return { errors: sink.errors, warnings: sink.warnings, errorCount: sink.errorCount, truncated: sink.truncated };
}

/** Reads, plans, validates and writes one run; exactly once per run (a finished run is not redone). */
export async function executeImport(em: EntityManager, runId: string, d: ExecuteDeps): Promise<ImportOutcome> {
  const first = await getRun(em, runId);
  if (!first) throw new PermanentJobError(`candidate_import_run ${runId} not found`);
  if (FINAL.includes(first.status)) return outcomeOf(first);
  await exec(em, `update candidate_import_run set status = 'running' where id = ? and status in ('queued','running')`, [runId]);
  const t0 = Date.now();
  const sink = new IssueSink();
  let sheet: Awaited<ReturnType<typeof readTreeFile>> | undefined;
  try {
    sheet = await readTreeFile(await fs.readFile(first.file.source), first.file.fileName);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    sink.add({ code: 'FILE_MISSING', messageKey: 'import.issue.FILE_MISSING', params: { file: first.file.fileName } });
  }
  if (sheet && !sheet.ok) sink.add(sheet.issue);
  const rowsTotal = sheet?.ok ? Math.max(0, sheet.sheet.rows.length - 1) : 0;
  const pending: Promise<void>[] = [];
  const report = (done: number, total: number) => {
    if (d.progress) pending.push(d.progress(done, total).catch(() => undefined));
  };
  const mapping = MAPPINGS[first.mapping] ?? MAPPINGS.template;
  let outcome!: ImportOutcome;
  await em.transactional(async (tx) => {
    const t = tx as EntityManager;
    await sql(t, 'select pg_advisory_xact_lock(?, hashtext(?))', [IMPORT_LOCK, first.election_id]);
    const [cur] = await sql<{ status: RunStatus }>(t, 'select status from candidate_import_run where id = ? for update', [runId]);
    if (!cur || FINAL.includes(cur.status)) {
      outcome = outcomeOf((await getRun(t, runId))!);
      return;
    }
    if (sink.hasErrors || !sheet?.ok) {
      outcome = await reject(t, first, sink, rowsTotal, t0);
      return;
    }
    const planned = await planSheet(t, d.registry, first.election_id, sheet.sheet, mapping, { type: first.scope_type, code: first.scope_code }, sink);
    report(Math.round(rowsTotal / 2), rowsTotal);
    if (sink.hasErrors) {
      outcome = await reject(t, first, sink, rowsTotal, t0);
      return;
    }
    const counts = await writePlanned(t, first.election_id, planned, first.created_by, runId, sink, (n) => report(Math.round(rowsTotal / 2 + n / 2), rowsTotal));
    if (sink.hasErrors) {
      outcome = await reject(t, first, sink, rowsTotal, t0);
      return;
    }
    const summary = { rows: rowsTotal, candidates: planned.length, ...counts, noChanges: counts.added + counts.changed === 0, ms: Date.now() - t0 };
    await exec(t, `update candidate_import_run set status = 'succeeded', rows_total = ?, report = ?::jsonb, summary = ?::jsonb, finished_at = now() where id = ?`,
      [rowsTotal, JSON.stringify(reportOf(sink)), JSON.stringify(summary), runId]);
    await recordAudit(t, {
      actor: first.created_by, action: IMPORT_ACTION, targetType: 'candidate_import_run', targetId: runId,
      after: { electionId: first.election_id, scope: { type: first.scope_type, code: first.scope_code }, mapping: first.mapping, file: { fileName: first.file.fileName, sha256: first.file.sha256 }, ...summary },
      result: 'success',
    });
    report(rowsTotal, rowsTotal);
    outcome = { runId, status: 'succeeded', noChanges: summary.noChanges, added: counts.added, changed: counts.changed };
    d.log.info({ runId, rows: rowsTotal, added: counts.added, changed: counts.changed, ms: summary.ms }, 'Đã nhập danh sách người ứng cử / candidate import done');
  });
  await Promise.allSettled(pending);
  return outcome;
}

async function reject(em: EntityManager, run: RunRow, sink: IssueSink, rowsTotal: number, t0: number): Promise<ImportOutcome> {
  await exec(em, `update candidate_import_run set status = 'rejected', rows_total = ?, report = ?::jsonb, summary = ?::jsonb, finished_at = now() where id = ?`,
    [rowsTotal, JSON.stringify(reportOf(sink)), JSON.stringify({ rows: rowsTotal, ms: Date.now() - t0 }), run.id]);
  const codes: Record<string, number> = {};
  for (const x of sink.errors) codes[x.code] = (codes[x.code] ?? 0) + 1;
  await recordAudit(em, {
    actor: run.created_by, action: IMPORT_ACTION, targetType: 'candidate_import_run', targetId: run.id,
    after: { electionId: run.election_id, file: { fileName: run.file.fileName, sha256: run.file.sha256 }, rows: rowsTotal, errors: sink.errorCount, codes },
    result: 'rejected',
  });
  return { runId: run.id, status: 'rejected', errors: sink.errorCount };
}

function outcomeOf(r: RunRow): ImportOutcome {
  return { runId: r.id, status: r.status, noChanges: r.summary?.noChanges, added: r.summary?.added, changed: r.summary?.changed, errors: r.report?.errorCount };
}

/** Marks a run failed for good (infrastructure errors after the last retry), audited. */
export async function markFailed(em: EntityManager, runId: string, message: string): Promise<void> {
  await em.transactional(async (tx) => {
    const t = tx as EntityManager;
    const n = await exec(t, `update candidate_import_run set status = 'failed', finished_at = now(), summary = coalesce(summary, '{}'::jsonb) || ?::jsonb
      where id = ? and status in ('queued','running')`, [JSON.stringify({ error: message.slice(0, 500) }), runId]);
    if (n > 0) {
      const [r] = await sql<{ created_by: string }>(t, 'select created_by from candidate_import_run where id = ?', [runId]);
      await recordAudit(t, { actor: r?.created_by ?? 'system', action: IMPORT_ACTION, targetType: 'candidate_import_run', targetId: runId, after: { error: message.slice(0, 200) }, result: 'failed' });
    }
  });
}
