// Runs administrative-tree imports: creates the import_run (with its audit event) and queues the job; in the worker,
// reads the stored file, validates and plans it against the whole tree under a lock, and writes every changed
// version, the run's outcome and ONE audit event in one transaction — or nothing but a 'rejected' run and its report.
import fs from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql, exec } from '../persistence/db.js';
import { recordAudit } from '../audit/audit.service.js';
import { collationKey, searchKey } from '../shared/vn-text.js';
import type { FieldIssue } from '../shared/result.js';
import type { Logger } from '../shared/logger.js';
import { newId } from '../shared/ids.js';
import { idFromKey, type JobService } from '../jobs/job.service.js';
import { PermanentJobError } from '../jobs/job-types.js';
import { readTreeFile, type RawSheet } from './tree-file.js';
import { TreeModel, type Version } from './tree-model.js';
import { planImport, type Changes, type DeclaredCounts, type PlanResult } from './import-plan.js';
import { properName } from './import-format.js';

export const IMPORT_JOB = 'core.admin-tree.import';
export const IMPORT_ACTION = 'core.admin-tree.import';
export const IMPORT_REQUEST_ACTION = 'core.admin-tree.import.request';
/** The 2025 reference lists take effect on 1 July 2025 (Resolution 202/2025/QH15 and the commune resolutions). */
export const REFERENCE_EFFECTIVE_DATE = '2025-07-01';
export const REFERENCE_FILES = { provinces: 'provinces_2025.csv', communes: 'admin_units_2025.csv' } as const;
export const AUTO_IMPORT_KEY = 'auto-import-reference';
/**
 * Fixed ids of the automatic reference import (two processes starting at once queue it once): the provinces run,
 * then the communes run it chains to.
 */
export const REFERENCE_IDS = {
  provinces: { importRunId: idFromKey(`${AUTO_IMPORT_KEY}:provinces`), jobRunId: idFromKey(AUTO_IMPORT_KEY) },
  communes: { importRunId: idFromKey(`${AUTO_IMPORT_KEY}:communes`), jobRunId: idFromKey(`${AUTO_IMPORT_KEY}:communes:job`) },
} as const;

/** Serialises tree writers (two imports never plan against the same snapshot). */
const TREE_LOCK = 0x74726565; // 'tree'
const WRITE_CHUNK = 500;

export type ImportStatus = 'queued' | 'running' | 'succeeded' | 'rejected' | 'failed';
const FINAL: ImportStatus[] = ['succeeded', 'rejected', 'failed'];

export interface ImportRunRow {
  id: string;
  kind: string;
  status: ImportStatus;
  source: string;
  file_sha256: string | null;
  effective_date: string | null;
  rows_total: number;
  rows_ok: number;
  report: ImportReport | null;
  summary: ImportSummary | null;
  created_by: string;
  created_at: string;
  finished_at: string | null;
  job_run_id: string | null;
}

export interface ImportReport {
  errors: FieldIssue[];
  warnings: FieldIssue[];
  errorCount: number;
  truncated: number;
  header?: string[];
  headerRow?: number;
}

export interface TreeCountsAt {
  date: string;
  provinces: number;
  tinh: number;
  thanhPho: number;
  communes: number;
  xa: number;
  phuong: number;
  dacKhu: number;
}

export interface ImportSummary {
  fileName?: string;
  size?: number;
  kind?: string;
  dates?: string[];
  rows?: number;
  changes?: Changes;
  /** Versions added, changed or corrected. */
  changed?: number;
  noChanges?: boolean;
  declared?: Record<string, DeclaredCounts>;
  tree?: { before: TreeCountsAt; after: TreeCountsAt };
  error?: string;
  ms?: number;
  /** The run to queue once this one is done (the reference lists: provinces, then communes). */
  then?: ChainedImport;
}

export interface ChainedImport {
  importRunId: string;
  jobRunId: string;
  source: string;
  fileName: string;
  effectiveDate: string;
  createdBy: string;
}

export interface ImportOutcome {
  importRunId: string;
  status: ImportStatus;
  kind?: string;
  noChanges?: boolean;
  changed?: number;
  errors?: number;
}

export interface ImportRequest {
  /** Absolute path of the stored file. */
  source: string;
  fileName: string;
  size: number;
  sha256: string;
  effectiveDate: string;
  createdBy: string;
  requestId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  then?: ChainedImport;
}

export const sha256 = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');

/** Inserts an import_run (idempotent by id) and its audit event, inside the caller's transaction. */
export async function insertImportRun(em: EntityManager, id: string, jobRunId: string, r: ImportRequest): Promise<boolean> {
  const n = await exec(
    em,
    `insert into import_run (id, kind, status, source, file_sha256, effective_date, created_by, job_run_id, summary)
     values (?, 'pending', 'queued', ?, ?, ?, ?, ?, ?::jsonb) on conflict (id) do nothing`,
    [id, r.source, r.sha256, r.effectiveDate, r.createdBy, jobRunId, JSON.stringify({ fileName: r.fileName, size: r.size, then: r.then })],
  );
  if (n > 0) {
    await recordAudit(em, {
      actor: r.createdBy, action: IMPORT_REQUEST_ACTION, targetType: 'import_run', targetId: id,
      after: { fileName: r.fileName, size: r.size, sha256: r.sha256, effectiveDate: r.effectiveDate, jobRunId },
      result: 'success', requestId: r.requestId, ip: r.ip, userAgent: r.userAgent,
    });
  }
  return n > 0;
}

/**
 * Records an import of an uploaded file and queues it. The job is queued after the commit (never inside the
 * transaction: a fast worker would look for a job_run row not yet visible); if the process dies in between, the
 * module's start() re-queues import runs left without a job.
 */
export async function requestImport(orm: MikroORM, jobs: JobService, r: ImportRequest): Promise<{ importRunId: string; jobRunId: string }> {
  const importRunId = newId();
  const jobRunId = newId();
  await orm.em.fork().transactional((em) => insertImportRun(em, importRunId, jobRunId, r));
  await jobs.enqueue(IMPORT_JOB, { importRunId }, { runId: jobRunId, createdBy: r.createdBy });
  return { importRunId, jobRunId };
}

/**
 * Queues the import of the reference lists: the provinces run now, the communes run chained to it (queued by the
 * worker when the provinces run is done, see queueChained). Both are ordinary `core.admin-tree.import` jobs with
 * fixed ids, so a second process starting at the same time queues nothing.
 */
export async function requestReferenceImport(orm: MikroORM, jobs: JobService, dir: string): Promise<{ jobRunId: string } | undefined> {
  const provinces = path.join(dir, REFERENCE_FILES.provinces);
  const communes = path.join(dir, REFERENCE_FILES.communes);
  let buf: Buffer;
  try {
    buf = await fs.readFile(provinces);
    await fs.access(communes);
  } catch {
    return undefined;
  }
  const { provinces: p, communes: c } = REFERENCE_IDS;
  await orm.em.fork().transactional((em) => insertImportRun(em, p.importRunId, p.jobRunId, {
    source: provinces, fileName: REFERENCE_FILES.provinces, size: buf.length, sha256: sha256(buf),
    effectiveDate: REFERENCE_EFFECTIVE_DATE, createdBy: 'system',
    then: { ...c, source: communes, fileName: REFERENCE_FILES.communes, effectiveDate: REFERENCE_EFFECTIVE_DATE, createdBy: 'system' },
  }));
  await jobs.enqueue(IMPORT_JOB, { importRunId: p.importRunId }, { runId: p.jobRunId, createdBy: 'system' });
  return { jobRunId: p.jobRunId };
}

/**
 * After a run is done (whatever its outcome), records and queues the run it chains to. Idempotent by the fixed ids,
 * so a retry after a crash between the two steps queues it once.
 */
export async function queueChained(orm: MikroORM, jobs: JobService, importRunId: string): Promise<string | undefined> {
  const run = await getImportRun(orm.em.fork(), importRunId);
  const next = run?.summary?.then;
  if (!run || !next || !FINAL.includes(run.status)) return undefined;
  let buf: Buffer = Buffer.alloc(0);
  try {
    buf = await fs.readFile(next.source);
  } catch {
    /* recorded anyway: the run is rejected with FILE_MISSING */
  }
  await orm.em.fork().transactional((em) => insertImportRun(em, next.importRunId, next.jobRunId, {
    source: next.source, fileName: next.fileName, size: buf.length, sha256: sha256(buf), effectiveDate: next.effectiveDate, createdBy: next.createdBy,
  }));
  await jobs.enqueue(IMPORT_JOB, { importRunId: next.importRunId }, { runId: next.jobRunId, createdBy: next.createdBy });
  return next.jobRunId;
}

/** Import runs still 'queued' whose job row never got written (the process died between commit and enqueue). */
export async function requeueOrphans(orm: MikroORM, jobs: JobService): Promise<number> {
  const rows = await sql<{ id: string; job_run_id: string; created_by: string }>(
    orm.em.fork(),
    `select i.id, i.job_run_id, i.created_by from import_run i left join job_run j on j.id = i.job_run_id
     where i.status = 'queued' and i.job_run_id is not null and j.id is null`,
  );
  for (const r of rows) await jobs.enqueue(IMPORT_JOB, { importRunId: r.id }, { runId: r.job_run_id, createdBy: r.created_by });
  return rows.length;
}

export async function getImportRun(em: EntityManager, id: string): Promise<ImportRunRow | undefined> {
  const [r] = await sql<ImportRunRow>(
    em,
    `select id, kind, status, source, file_sha256, effective_date::text as effective_date, rows_total, rows_ok, report, summary,
            created_by, created_at, finished_at, job_run_id from import_run where id = ?`,
    [id],
  );
  return r;
}

/** A run ready to execute: its row and its parsed file (or the file-level problem that rejects it). */
export interface PreparedImport {
  run: ImportRunRow;
  sheet?: RawSheet;
  fileIssue?: FieldIssue;
  /** Progress units: every data row is counted twice (checked, then written). */
  total: number;
  done?: ImportOutcome;
}

export async function prepareImport(em: EntityManager, importRunId: string): Promise<PreparedImport> {
  const run = await getImportRun(em, importRunId);
  if (!run) throw new PermanentJobError(`import_run ${importRunId} not found`);
  if (FINAL.includes(run.status)) return { run, total: 0, done: outcomeOf(run) };
  await exec(em, `update import_run set status = 'running' where id = ? and status in ('queued','running')`, [importRunId]);
  let buf: Buffer;
  try {
    buf = await fs.readFile(run.source);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return { run, total: 0, fileIssue: { code: 'FILE_MISSING', messageKey: 'import.issue.FILE_MISSING', params: { file: run.summary?.fileName ?? path.basename(run.source) } } };
  }
  const read = await readTreeFile(buf, run.summary?.fileName ?? run.source);
  if (!read.ok) return { run, total: 0, fileIssue: read.issue };
  return { run, sheet: read.sheet, total: Math.max(0, read.sheet.rows.length - 1) * 2 }; // minus the header
}

export interface ExecuteOptions {
  log: Logger;
  /** Job progress (throttled by the job service). Never awaited inside the transaction: see below. */
  progress?: (done: number, total: number) => Promise<void>;
}

const ANALYZE_AFTER = 500;

export async function executeImport(em: EntityManager, p: PreparedImport, o: ExecuteOptions): Promise<ImportOutcome> {
  if (p.done) return p.done;
  const t0 = Date.now();
  const run = p.run;
  // Progress goes through another connection. Inside our transaction it is fired, not awaited: on the embedded
  // database (one connection) it waits for the commit instead of deadlocking; it is awaited before returning.
  const pending: Promise<void>[] = [];
  const report = (done: number) => {
    if (o.progress) pending.push(o.progress(done, p.total).catch(() => undefined));
  };
  let outcome!: ImportOutcome;
  await em.transactional(async (tem) => {
    await sql(tem, 'select pg_advisory_xact_lock(?)', [TREE_LOCK]);
    const [cur] = await sql<{ status: ImportStatus }>(tem, 'select status from import_run where id = ? for update', [run.id]);
    if (!cur) throw new PermanentJobError(`import_run ${run.id} not found`);
    if (FINAL.includes(cur.status)) {
      // Another delivery finished it (a retry after a crash past the commit): exactly once.
      outcome = outcomeOf((await getImportRun(tem, run.id))!);
      return;
    }
    if (p.fileIssue) {
      outcome = await reject(tem, run, { errors: [p.fileIssue], warnings: [], errorCount: 1, truncated: 0 }, undefined, 0, 0, t0);
      return;
    }
    const sheet = p.sheet!;
    const model = await TreeModel.load(tem);
    const effectiveDate = run.effective_date ?? REFERENCE_EFFECTIVE_DATE;
    const plan = planImport({
      sheet, model, effectiveDate, importRunId: run.id, declared: await declaredCounts(tem, effectiveDate),
      onProgress: (i) => report(i),
    });
    const rowsTotal = plan.rowsTotal;
    if (plan.errorCount > 0) {
      outcome = await reject(tem, run, reportOf(plan), plan.kind, rowsTotal, plan.rowsOk, t0);
      return;
    }
    const date = plan.dates.at(-1) ?? effectiveDate;
    const before = await treeCountsAt(tem, date);
    const dirty = model.dirtyRows();
    await writeVersions(tem, dirty, (n) => report(rowsTotal + Math.round((n / Math.max(1, dirty.length)) * rowsTotal)));
    report(p.total);
    // Fresh statistics after a bulk load (3,356 rows for the reference tree): without them the planner joins
    // admin_unit by its level index instead of its key, 20× slower on every area-scope lookup until autovacuum runs.
    if (dirty.length >= ANALYZE_AFTER) await sql(tem, 'analyze admin_unit');
    const after = await treeCountsAt(tem, date);
    const changed = (['nation', 'province', 'commune'] as const).reduce((s, l) => s + plan.changes[l].added + plan.changes[l].changed + plan.changes[l].corrected, 0);
    const summary: ImportSummary = {
      ...(run.summary ?? {}), kind: plan.kind, dates: plan.dates, rows: rowsTotal, changes: plan.changes, changed,
      noChanges: changed === 0, declared: plan.declared, tree: { before, after }, ms: Date.now() - t0,
    };
    await exec(tem, `update import_run set status = 'succeeded', kind = ?, rows_total = ?, rows_ok = ?, report = ?::jsonb, summary = ?::jsonb,
      finished_at = now() where id = ?`, [plan.kind!, rowsTotal, plan.rowsOk, JSON.stringify(reportOf(plan)), JSON.stringify(summary), run.id]);
    const { declared: _omit, then: _then, ...auditAfter } = summary; // counts, not rows
    await recordAudit(tem, {
      actor: run.created_by, action: IMPORT_ACTION, targetType: 'import_run', targetId: run.id,
      before: { tree: before }, after: { ...auditAfter, sha256: run.file_sha256, versionsWritten: dirty.length }, result: 'success',
    });
    outcome = { importRunId: run.id, status: 'succeeded', kind: plan.kind, noChanges: changed === 0, changed };
    o.log.info({ importRunId: run.id, kind: plan.kind, rows: rowsTotal, changed, written: dirty.length, ms: Date.now() - t0 }, 'Đã nhập danh sách đơn vị hành chính / tree import done');
  });
  await Promise.allSettled(pending);
  return outcome;
}

/** Marks a run failed for good (infrastructure errors after the last retry), audited. */
export async function markImportFailed(em: EntityManager, importRunId: string, message: string): Promise<void> {
  await em.transactional(async (tem) => {
    const n = await exec(tem, `update import_run set status = 'failed', finished_at = now(), summary = coalesce(summary, '{}'::jsonb) || ?::jsonb
      where id = ? and status in ('queued','running')`, [JSON.stringify({ error: message.slice(0, 500) }), importRunId]);
    if (n > 0) {
      const [r] = await sql<{ created_by: string }>(tem, 'select created_by from import_run where id = ?', [importRunId]);
      await recordAudit(tem, { actor: r?.created_by ?? 'system', action: IMPORT_ACTION, targetType: 'import_run', targetId: importRunId, after: { error: message.slice(0, 200) }, result: 'failed' });
    }
  });
}

function reportOf(plan: PlanResult): ImportReport {
  return { errors: plan.errors, warnings: plan.warnings, errorCount: plan.errorCount, truncated: plan.truncated, header: plan.header, headerRow: plan.headerRow };
}

function outcomeOf(run: ImportRunRow): ImportOutcome {
  return {
    importRunId: run.id, status: run.status, kind: run.kind, noChanges: run.summary?.noChanges, changed: run.summary?.changed,
    errors: run.report?.errorCount,
  };
}

async function reject(
  em: EntityManager, run: ImportRunRow, rep: ImportReport, kind: string | undefined, rowsTotal: number, rowsOk: number, t0: number,
): Promise<ImportOutcome> {
  const summary: ImportSummary = { ...(run.summary ?? {}), kind, rows: rowsTotal, ms: Date.now() - t0 };
  await exec(em, `update import_run set status = 'rejected', kind = ?, rows_total = ?, rows_ok = ?, report = ?::jsonb, summary = ?::jsonb,
    finished_at = now() where id = ?`, [kind ?? run.kind, rowsTotal, rowsOk, JSON.stringify(rep), JSON.stringify(summary), run.id]);
  const codes: Record<string, number> = {};
  for (const e of rep.errors) codes[e.code] = (codes[e.code] ?? 0) + 1;
  await recordAudit(em, {
    actor: run.created_by, action: IMPORT_ACTION, targetType: 'import_run', targetId: run.id,
    after: { fileName: run.summary?.fileName, sha256: run.file_sha256, kind, rows: rowsTotal, errors: rep.errorCount, codes }, result: 'rejected',
  });
  return { importRunId: run.id, status: 'rejected', kind, errors: rep.errorCount };
}

/** Counts declared by the latest successful provinces list at this date. */
async function declaredCounts(em: EntityManager, date: string): Promise<Record<string, DeclaredCounts> | undefined> {
  const [r] = await sql<{ declared: Record<string, DeclaredCounts> | null }>(
    em,
    `select summary->'declared' as declared from import_run where status = 'succeeded' and kind = 'provinces' and effective_date = ?
     order by finished_at desc limit 1`,
    [date],
  );
  return r?.declared ?? undefined;
}

export async function treeCountsAt(em: EntityManager, date: string): Promise<TreeCountsAt> {
  const rows = await sql<{ type: string; n: string }>(
    em,
    `select type, count(*)::text as n from admin_unit where valid_from <= ? and (valid_to is null or valid_to > ?) group by type`,
    [date, date],
  );
  const g = (t: string) => Number(rows.find((r) => r.type === t)?.n ?? 0);
  return {
    date, tinh: g('tỉnh'), thanhPho: g('thành phố'), provinces: g('tỉnh') + g('thành phố'),
    xa: g('xã'), phuong: g('phường'), dacKhu: g('đặc khu'), communes: g('xã') + g('phường') + g('đặc khu'),
  };
}

/** A PostgreSQL array literal of text (NULL for null), passed as ONE parameter: Knex would expand a JS array. */
function pgArray(values: (string | null)[]): string {
  return '{' + values.map((v) => (v === null ? 'NULL' : '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"')).join(',') + '}';
}

/**
 * The bulk path: one INSERT … SELECT FROM unnest(…) ON CONFLICT per chunk (an upsert by (code, valid_from): new
 * versions are inserted, closed or corrected ones updated). Not COPY: it must also run on the embedded PGlite.
 */
async function writeVersions(em: EntityManager, rows: Version[], onChunk: (written: number) => void): Promise<void> {
  for (let i = 0; i < rows.length; i += WRITE_CHUNK) {
    const c = rows.slice(i, i + WRITE_CHUNK);
    await exec(
      em,
      `insert into admin_unit (code, valid_from, valid_to, level, parent_code, name, type, search_key, sort_key, import_run_id)
       select * from unnest(?::text[], ?::date[], ?::date[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::uuid[])
       on conflict (code, valid_from) do update set valid_to = excluded.valid_to, level = excluded.level, parent_code = excluded.parent_code,
         name = excluded.name, type = excluded.type, search_key = excluded.search_key, sort_key = excluded.sort_key,
         import_run_id = excluded.import_run_id`,
      [
        pgArray(c.map((v) => v.code)),
        pgArray(c.map((v) => v.validFrom)),
        pgArray(c.map((v) => v.validTo)),
        pgArray(c.map((v) => v.level)),
        pgArray(c.map((v) => v.parentCode)),
        pgArray(c.map((v) => v.name)),
        pgArray(c.map((v) => v.type)),
        pgArray(c.map((v) => searchKey(v.name))),
        pgArray(c.map((v) => sortKey(v.name, v.type))),
        pgArray(c.map((v) => v.importRunId)),
      ],
    );
    onChunk(i + c.length);
  }
}

/** Sorted by the proper name ("Ba Đình" for "Phường Ba Đình") in Vietnamese dictionary order. */
export function sortKey(name: string, type: Version['type']): string {
  return collationKey(properName(name, type));
}
