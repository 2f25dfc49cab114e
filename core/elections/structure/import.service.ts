// Runs structure imports: records a run (with its audit event) and queues `core.structure.import`; in the worker,
// reads the stored file(s), parses, plans against the election's structure under a per-election lock, validates with
// the structure rules, and writes every change, the run's outcome and ONE audit event in one transaction — or nothing
// but a 'rejected' run with its row/column report. Re-importing the same file changes nothing ("no changes").
import fs from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql, exec } from '../../persistence/db.js';
import { recordAudit } from '../../audit/audit.service.js';
import { newId } from '../../shared/ids.js';
import type { FieldIssue } from '../../shared/result.js';
import type { Logger } from '../../shared/logger.js';
import type { JobService } from '../../jobs/job.service.js';
import { PermanentJobError } from '../../jobs/job-types.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import type { PluginStateService } from '../../plugin-host/plugin-state.service.js';
import { readTreeFile, type RawSheet } from '../../admin-tree/tree-file.js';
import { NA_REFERENCE_FILES, type StructureImportKind } from './import-format.js';
import {
  ImportSession, IssueSink, parseAreas, parseCompositions, parseUnits, provincesOf,
  type AreaRow, type CompositionRow, type ImportScope, type Parsed, type UnitRow,
} from './import-plan.js';
import { heldContests, loadElection, loadStructure, writeChanges } from './store.js';
import { NA_CONTEST } from './model.js';

export const STRUCTURE_IMPORT_JOB = 'core.structure.import';
export const STRUCTURE_IMPORT_ACTION = 'core.structure.import';
export const STRUCTURE_IMPORT_REQUEST_ACTION = 'core.structure.import.request';
/** Advisory-lock namespace of structure writers ('stru'); the second key is the election. */
export const STRUCTURE_LOCK = 0x73747275;

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'rejected' | 'failed';
const FINAL: RunStatus[] = ['succeeded', 'rejected', 'failed'];

export interface ImportFile {
  kind: StructureImportKind;
  source: string;
  fileName: string;
  size: number;
  sha256: string;
}

export interface StructureImportRequest {
  electionId: string;
  /** What the run imports: one kind, or 'na-reference' (the official 2026 NA units and compositions). */
  kind: StructureImportKind | 'na-reference';
  contest: string | null;
  scope: ImportScope;
  files: ImportFile[];
  createdBy: string;
  requestId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
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
  kind: string;
  contest: string | null;
  scope_type: string;
  scope_code: string;
  status: RunStatus;
  files: ImportFile[];
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
  changed?: number;
  errors?: number;
}

export const sha256 = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');

/**
 * Records a run and its audit event inside the caller's transaction, and its job_run row (not yet queued: call
 * jobs.dispatch(jobRunId) after the commit, as the endpoint pipeline's afterCommit does).
 */
export async function recordImportRequest(em: EntityManager, jobs: JobService, r: StructureImportRequest, o: { audit?: boolean } = {}): Promise<{ runId: string; jobRunId: string }> {
  const runId = newId();
  const jobRunId = newId();
  await exec(em,
    `insert into structure_import_run (id, election_id, kind, contest, scope_type, scope_code, status, files, created_by, job_run_id)
     values (?, ?, ?, ?, ?, ?, 'queued', ?::jsonb, ?, ?)`,
    [runId, r.electionId, r.kind, r.contest, r.scope.type, r.scope.code, JSON.stringify(r.files), r.createdBy, jobRunId]);
  // Inside the endpoint pipeline the action's own event records the request (one event per request).
  if (o.audit !== false) await recordAudit(em, {
    actor: r.createdBy, action: STRUCTURE_IMPORT_REQUEST_ACTION, targetType: 'structure_import_run', targetId: runId,
    after: { electionId: r.electionId, kind: r.kind, contest: r.contest, scope: r.scope, files: r.files.map((f) => ({ fileName: f.fileName, size: f.size, sha256: f.sha256 })), jobRunId },
    result: 'success', requestId: r.requestId, ip: r.ip, userAgent: r.userAgent,
  });
  await jobs.enqueue(STRUCTURE_IMPORT_JOB, { runId }, { runId: jobRunId, createdBy: r.createdBy, electionId: r.electionId, em });
  return { runId, jobRunId };
}

/** The same in its own transaction, then queued (CLI, tests). */
export async function requestImport(orm: MikroORM, jobs: JobService, r: StructureImportRequest): Promise<{ runId: string; jobRunId: string }> {
  const out = await orm.em.fork().transactional((em) => recordImportRequest(em as EntityManager, jobs, r));
  await jobs.dispatch(out.jobRunId);
  return out;
}

/** The official 2026 NA lists in REFERENCE_DATA_DIR, described as import files (read when the job runs). */
export async function naReferenceFiles(dir: string): Promise<ImportFile[] | undefined> {
  const out: ImportFile[] = [];
  for (const kind of ['units', 'compositions'] as const) {
    const source = path.join(dir, NA_REFERENCE_FILES[kind]);
    try {
      const buf = await fs.readFile(source);
      out.push({ kind, source, fileName: NA_REFERENCE_FILES[kind], size: buf.length, sha256: sha256(buf) });
    } catch {
      return undefined;
    }
  }
  return out;
}

export async function getRun(em: EntityManager, id: string): Promise<RunRow | undefined> {
  const [r] = await sql<RunRow>(em, `select * from structure_import_run where id = ?`, [id]);
  return r;
}

export interface ExecuteDeps {
  registry: PluginRegistry;
  pluginStates: PluginStateService;
  log: Logger;
  progress?: (done: number, total: number) => Promise<void>;
}

/** Reads, plans, validates and writes one run; exactly once per run (a finished run is not redone). */
export async function executeImport(em: EntityManager, runId: string, d: ExecuteDeps): Promise<ImportOutcome> {
  const first = await getRun(em, runId);
  if (!first) throw new PermanentJobError(`structure_import_run ${runId} not found`);
  if (FINAL.includes(first.status)) return outcomeOf(first);
  await exec(em, `update structure_import_run set status = 'running' where id = ? and status in ('queued','running')`, [runId]);
  const t0 = Date.now();

  // Files are read outside the transaction (they may be large); a missing or unreadable file rejects the run.
  const sheets: { file: ImportFile; sheet?: RawSheet; issue?: FieldIssue }[] = [];
  for (const f of first.files) {
    let buf: Buffer;
    try {
      buf = await fs.readFile(f.source);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      sheets.push({ file: f, issue: { code: 'FILE_MISSING', messageKey: 'import.issue.FILE_MISSING', params: { file: f.fileName } } });
      continue;
    }
    const read = await readTreeFile(buf, f.fileName);
    sheets.push(read.ok ? { file: f, sheet: read.sheet } : { file: f, issue: read.issue });
  }
  const rowsTotal = sheets.reduce((n, s) => n + Math.max(0, (s.sheet?.rows.length ?? 1) - 1), 0);
  const pending: Promise<void>[] = [];
  // Progress goes through another connection: fired, not awaited, inside the transaction (one connection on PGlite).
  const report = (done: number, total: number) => {
    if (d.progress) pending.push(d.progress(done, total).catch(() => undefined));
  };
  let outcome!: ImportOutcome;
  await em.transactional(async (tx) => {
    const t = tx as EntityManager;
    await sql(t, 'select pg_advisory_xact_lock(?, hashtext(?))', [STRUCTURE_LOCK, first.election_id]);
    const [cur] = await sql<{ status: RunStatus }>(t, 'select status from structure_import_run where id = ? for update', [runId]);
    if (!cur || FINAL.includes(cur.status)) {
      outcome = outcomeOf((await getRun(t, runId))!);
      return;
    }
    const sink = new IssueSink();
    for (const s of sheets) if (s.issue) sink.add({ ...s.issue, params: { ...(s.issue.params ?? {}), file: s.file.fileName } }, false);
    const election = await loadElection(t, first.election_id);
    if (!election) throw new PermanentJobError(`election ${first.election_id} not found`);
    const contests = await heldContests(t, d.registry, d.pluginStates, election.id);
    const contestId = first.kind === 'na-reference' ? NA_CONTEST : first.contest;
    const contest = contestId ? contests.find((c) => c.id === contestId) : undefined;
    if (contestId && !contest) {
      sink.importIssue('CONTEST_NOT_HELD', {}, { contest: contestId });
    }
    if (sink.hasErrors) {
      outcome = await reject(t, first, sink, rowsTotal, t0);
      return;
    }
    // Parse every file, then load only the provinces they touch.
    const tree = await loadStructure(t, { election, contests, provinces: new Set() });
    const parsed: { file: ImportFile; kind: StructureImportKind; rows: Parsed<UnitRow | CompositionRow | AreaRow> }[] = [];
    const multi = sheets.length > 1;
    for (const s of sheets) {
      sink.file = multi ? s.file.fileName : undefined;
      const level = contest?.unitLevel ?? 'province';
      const ctx = { kind: s.file.kind, level, sink, electionDay: election.electionDay };
      const rows = s.file.kind === 'units' ? parseUnits(s.sheet!, ctx) : s.file.kind === 'compositions' ? parseCompositions(s.sheet!, ctx) : parseAreas(s.sheet!, ctx);
      parsed.push({ file: s.file, kind: s.file.kind, rows });
    }
    report(Math.round(rowsTotal / 2), rowsTotal * 2);
    const provinces = new Set<string>();
    for (const p of parsed) {
      for (const code of provincesOf(tree, {
        level: contest?.unitLevel,
        units: p.kind === 'units' ? (p.rows.rows as UnitRow[]) : undefined,
        compositions: p.kind === 'compositions' ? (p.rows.rows as CompositionRow[]) : undefined,
        areas: p.kind === 'areas' ? (p.rows.rows as AreaRow[]) : undefined,
      })) provinces.add(code);
    }
    const s = await loadStructure(t, { election, contests, provinces });
    const session = new ImportSession(s, { newId, defaultHours: { opens: election.opens, closes: election.closes }, scope: { type: first.scope_type as ImportScope['type'], code: first.scope_code } });
    // Issues found while parsing belong to the run's report too.
    session.sink.errors.push(...sink.errors);
    session.sink.warnings.push(...sink.warnings);
    session.sink.errorCount += sink.errorCount;
    session.sink.truncated += sink.truncated;
    for (const p of parsed) {
      session.beginFile(multi ? p.file.fileName : undefined, p.rows.columns);
      if (p.kind === 'units') session.units(contest!.id, p.rows.rows as UnitRow[]);
      else if (p.kind === 'compositions') session.compositions(contest!.id, p.rows.rows as CompositionRow[]);
      else session.areas(p.rows.rows as AreaRow[]);
    }
    const { after } = session.validate();
    report(rowsTotal, rowsTotal * 2);
    if (session.sink.hasErrors) {
      outcome = await reject(t, first, session.sink, rowsTotal, t0);
      return;
    }
    const written = await writeChanges(t, s, session.log, (done, total) => report(rowsTotal + Math.round((done / Math.max(1, total)) * rowsTotal), rowsTotal * 2));
    const summary = { ...session.summary(after), rows: rowsTotal, written, provinces: provinces.size, ms: Date.now() - t0 };
    await exec(t, `update structure_import_run set status = 'succeeded', rows_total = ?, report = ?::jsonb, summary = ?::jsonb, finished_at = now() where id = ?`,
      [rowsTotal, JSON.stringify(reportOf(session.sink)), JSON.stringify(summary), runId]);
    await recordAudit(t, {
      actor: first.created_by, action: STRUCTURE_IMPORT_ACTION, targetType: 'structure_import_run', targetId: runId,
      after: { electionId: first.election_id, kind: first.kind, contest: first.contest, scope: { type: first.scope_type, code: first.scope_code },
        files: first.files.map((f) => ({ fileName: f.fileName, sha256: f.sha256 })), rows: rowsTotal, changes: summary.changes, noChanges: summary.noChanges,
        after: summary.after },
      result: 'success',
    });
    outcome = { runId, status: 'succeeded', noChanges: summary.noChanges, changed: summary.changed };
    d.log.info({ runId, kind: first.kind, rows: rowsTotal, changed: summary.changed, ms: summary.ms }, 'Đã nhập cơ cấu bầu cử / structure import done');
  });
  await Promise.allSettled(pending);
  return outcome;
}

function reportOf(sink: IssueSink): ImportReport {
  return { errors: sink.errors, warnings: sink.warnings, errorCount: sink.errorCount, truncated: sink.truncated };
}

async function reject(em: EntityManager, run: RunRow, sink: IssueSink, rowsTotal: number, t0: number): Promise<ImportOutcome> {
  await exec(em, `update structure_import_run set status = 'rejected', rows_total = ?, report = ?::jsonb, summary = ?::jsonb, finished_at = now() where id = ?`,
    [rowsTotal, JSON.stringify(reportOf(sink)), JSON.stringify({ rows: rowsTotal, ms: Date.now() - t0 }), run.id]);
  const codes: Record<string, number> = {};
  for (const e of sink.errors) codes[e.code] = (codes[e.code] ?? 0) + 1;
  await recordAudit(em, {
    actor: run.created_by, action: STRUCTURE_IMPORT_ACTION, targetType: 'structure_import_run', targetId: run.id,
    after: { electionId: run.election_id, kind: run.kind, contest: run.contest, files: run.files.map((f) => ({ fileName: f.fileName, sha256: f.sha256 })), rows: rowsTotal, errors: sink.errorCount, codes },
    result: 'rejected',
  });
  return { runId: run.id, status: 'rejected', errors: sink.errorCount };
}

function outcomeOf(r: RunRow): ImportOutcome {
  return { runId: r.id, status: r.status, noChanges: r.summary?.noChanges, changed: r.summary?.changed, errors: r.report?.errorCount };
}

/** Marks a run failed for good (infrastructure errors after the last retry), audited. */
export async function markFailed(em: EntityManager, runId: string, message: string): Promise<void> {
  await em.transactional(async (tx) => {
    const t = tx as EntityManager;
    const n = await exec(t, `update structure_import_run set status = 'failed', finished_at = now(), summary = coalesce(summary, '{}'::jsonb) || ?::jsonb
      where id = ? and status in ('queued','running')`, [JSON.stringify({ error: message.slice(0, 500) }), runId]);
    if (n > 0) {
      const [r] = await sql<{ created_by: string }>(t, 'select created_by from structure_import_run where id = ?', [runId]);
      await recordAudit(t, { actor: r?.created_by ?? 'system', action: STRUCTURE_IMPORT_ACTION, targetType: 'structure_import_run', targetId: runId, after: { error: message.slice(0, 200) }, result: 'failed' });
    }
  });
}
