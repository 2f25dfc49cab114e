// Runs bodies imports: the upload records a run (with its audit event) and queues `core.bodies.import`; the worker
// reads the stored file, plans it (import-plan.ts) against the election under a per-election lock, and writes every
// body and member, the run's outcome and ONE audit event in one transaction — or nothing but a 'rejected' run with its
// row/column report. Each body named is set to what the file says (its decision and its whole member list); a body
// whose list passes rule 7 is complete, otherwise it is kept as a draft with a warning. Re-importing the same file
// changes nothing.
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
import { readTreeFile } from '../../admin-tree/tree-file.js';
import { COLUMNS, type ColumnId } from './import-format.js';
import { IssueSink, parseSheet, planBodies, viLabels, type AreaRef, type Lookup, type PlannedBody, type UnitRef } from './import-plan.js';
import { completionIssues, errorsOf, ruleMessageKey } from './rules.js';
import {
  BODY_COLUMNS, BODY_FROM, cleanMember, inForce, insertBody, loadElection, memberRec, pgArray, replaceMembers, setStatus, updateBodyFields,
  type BodyRow, type MemberRow,
} from './store.js';
import type { MemberRec } from './model.js';

export const BODIES_IMPORT_JOB = 'core.bodies.import';
export const BODIES_IMPORT_ACTION = 'core.bodies.import';
export const BODIES_IMPORT_REQUEST_ACTION = 'core.bodies.import.request';
/** Advisory-lock namespace of bodies imports ('body'); the second key is the election. */
export const BODIES_LOCK = 0x626f6479;

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
  changed?: number;
  errors?: number;
}

export const sha256 = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');

export interface ImportRequest {
  electionId: string;
  scope: ImportScope;
  file: ImportFile;
  createdBy: string;
  requestId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

/** Records a run, its audit event and its job_run row in the caller's transaction; dispatch the job after the commit. */
export async function recordImportRequest(em: EntityManager, jobs: JobService, r: ImportRequest): Promise<{ runId: string; jobRunId: string }> {
  const runId = newId();
  const jobRunId = newId();
  await exec(em, `insert into body_import_run (id, election_id, scope_type, scope_code, status, file, created_by, job_run_id) values (?, ?, ?, ?, 'queued', ?::jsonb, ?, ?)`,
    [runId, r.electionId, r.scope.type, r.scope.code, JSON.stringify(r.file), r.createdBy, jobRunId]);
  await recordAudit(em, {
    actor: r.createdBy, action: BODIES_IMPORT_REQUEST_ACTION, targetType: 'body_import_run', targetId: runId,
    after: { electionId: r.electionId, scope: r.scope, file: { fileName: r.file.fileName, size: r.file.size, sha256: r.file.sha256 }, jobRunId },
    result: 'success', requestId: r.requestId, ip: r.ip, userAgent: r.userAgent,
  });
  await jobs.enqueue(BODIES_IMPORT_JOB, { runId }, { runId: jobRunId, createdBy: r.createdBy, electionId: r.electionId, em });
  return { runId, jobRunId };
}

export async function getRun(em: EntityManager, id: string): Promise<RunRow | undefined> {
  const [r] = await sql<RunRow>(em, `select * from body_import_run where id = ?`, [id]);
  return r;
}

export interface ExecuteDeps {
  registry: PluginRegistry;
  log: Logger;
  progress?: (done: number, total: number) => Promise<void>;
}

/** Loads what the rows name: the tree on election day, the units of the parents named, the areas of the communes named. */
async function loadLookup(em: EntityManager, electionId: string, day: string, scope: ImportScope, contests: Lookup['contests'], codes: Set<string>): Promise<Lookup> {
  const tree = await sql<{ code: string; name: string; level: string; parent_code: string | null }>(em,
    `select code, name, level, parent_code from admin_unit u where level in ('province','commune') and ${inForce('u')}`, [day, day]);
  const provinces = new Map<string, string>();
  const communes = new Map<string, { name: string; province: string }>();
  for (const t of tree) {
    if (t.level === 'province') provinces.set(t.code, t.name);
    else communes.set(t.code, { name: t.name, province: t.parent_code ?? '' });
  }
  const list = pgArray([...codes]);
  const units = new Map<string, UnitRef>();
  for (const u of await sql<{ id: string; contest: string; parent_level: 'province' | 'commune'; parent_code: string; number: number }>(em,
    `select id, contest, parent_level, parent_code, number from electoral_unit where election_id = ? and parent_code = any(?::text[])`, [electionId, list])) {
    units.set(`${u.contest}|${u.parent_code}|${u.number}`, { id: u.id, contest: u.contest, parentLevel: u.parent_level, parentCode: u.parent_code, number: u.number });
  }
  const areas = new Map<string, AreaRef>();
  for (const a of await sql<{ id: string; commune_code: string; number: number; kind: string }>(em,
    `select id, commune_code, number, kind from polling_area where election_id = ? and commune_code = any(?::text[])`, [electionId, list])) {
    areas.set(`${a.commune_code}|${a.number}`, { id: a.id, commune: a.commune_code, number: a.number, kind: a.kind });
  }
  return { contests, provinces, communes, units, areas, scope };
}

const sameMembers = (a: readonly MemberRec[], b: readonly MemberRec[]): boolean =>
  a.length === b.length && a.every((m, i) => m.fullName === b[i].fullName && m.role === b[i].role && (m.organisation ?? null) === (b[i].organisation ?? null) && (m.phone ?? null) === (b[i].phone ?? null));

/** Reads, plans, validates and writes one run; exactly once per run (a finished run is not redone). */
export async function executeImport(em: EntityManager, runId: string, d: ExecuteDeps): Promise<ImportOutcome> {
  const first = await getRun(em, runId);
  if (!first) throw new PermanentJobError(`body_import_run ${runId} not found`);
  if (FINAL.includes(first.status)) return outcomeOf(first);
  await exec(em, `update body_import_run set status = 'running' where id = ? and status in ('queued','running')`, [runId]);
  const t0 = Date.now();

  // The file is read outside the transaction; a missing or unreadable file rejects the run.
  const sink = new IssueSink();
  let sheet: Awaited<ReturnType<typeof readTreeFile>> | undefined;
  try {
    sheet = await readTreeFile(await fs.readFile(first.file.source), first.file.fileName);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    sink.add({ code: 'FILE_MISSING', messageKey: 'import.issue.FILE_MISSING', params: { file: first.file.fileName } }, false);
  }
  if (sheet && !sheet.ok) sink.add(sheet.issue, false);
  const rowsTotal = sheet?.ok ? Math.max(0, sheet.sheet.rows.length - 1) : 0;
  const pending: Promise<void>[] = [];
  // Progress goes through another connection: fired, not awaited, inside the transaction (one connection on PGlite).
  const report = (done: number, total: number) => {
    if (d.progress) pending.push(d.progress(done, total).catch(() => undefined));
  };
  const total = Math.max(1, rowsTotal) * 3;

  let outcome!: ImportOutcome;
  await em.transactional(async (tx) => {
    const t = tx as EntityManager;
    await sql(t, 'select pg_advisory_xact_lock(?, hashtext(?))', [BODIES_LOCK, first.election_id]);
    const [cur] = await sql<{ status: RunStatus }>(t, 'select status from body_import_run where id = ? for update', [runId]);
    if (!cur || FINAL.includes(cur.status)) {
      outcome = outcomeOf((await getRun(t, runId))!);
      return;
    }
    const e = await loadElection(t, d.registry, first.election_id);
    if (!e) throw new PermanentJobError(`election ${first.election_id} not found`);
    if (sink.hasErrors || !sheet?.ok) {
      outcome = await reject(t, first, sink, rowsTotal, t0);
      return;
    }
    const parsed = parseSheet(sheet.sheet, e.contests, sink);
    report(rowsTotal, total);
    const lookup = await loadLookup(t, e.id, e.electionDay, { type: first.scope_type, code: first.scope_code }, e.contests, new Set(parsed.rows.map((r) => r.code)));
    const planned = planBodies(parsed, lookup, sink);

    // Existing bodies of the nodes named (two queries, however many bodies), and the state each body will have.
    const existing = await existingBodies(t, e.id, planned);
    for (const b of planned) {
      const row = existing.get(b.key)?.row;
      if (row?.status === 'none') {
        sink.add({ row: b.firstRow, column: parsed.headers.kind ?? COLUMNS[0].vi, code: 'NONE_RECORDED', messageKey: 'bodies.issue.NONE_RECORDED', params: { body: b.label, reason: row.none_reason ?? '' } }, false);
      }
    }
    report(rowsTotal * 2, total);
    if (sink.hasErrors) {
      outcome = await reject(t, first, sink, rowsTotal, t0);
      return;
    }

    let added = 0;
    let changed = 0;
    let unchanged = 0;
    let complete = 0;
    let drafts = 0;
    let members = 0;
    let done = 0;
    for (const b of planned) {
      const contest = b.contest ? e.contests.find((c) => c.id === b.contest) : undefined;
      const list = b.members.map((m) => cleanMember(m.rec));
      members += list.length;
      const issues = completionIssues({ kind: b.kind, contest: b.contest, variant: b.variant, areaKind: b.areaKind, ...b.fields }, list,
        { labels: viLabels(b.label), boardSize: contest?.boardSize, electionDay: e.electionDay });
      const errors = errorsOf(issues);
      const status = errors.length ? 'draft' : 'complete';
      if (errors.length) {
        sink.add({ row: b.firstRow, code: 'IMPORTED_DRAFT', messageKey: 'bodies.issue.IMPORTED_DRAFT', params: { body: b.label, codes: errors.map((x) => x.code).join(', ') } }, true);
        for (const x of errors) sink.add({ row: b.firstRow, column: columnOfField(x.field, parsed.headers), code: x.code, messageKey: ruleMessageKey(x.code), params: x.params }, true);
        drafts++;
      } else complete++;
      const old = existing.get(b.key);
      const fields = { ...b.fields, variant: b.variant };
      if (!old) {
        const id = await insertBody(t, {
          electionId: e.id, node: b.node, contest: b.contest ?? undefined, communeCode: b.communeCode ?? undefined, variant: b.variant ?? undefined,
          ...b.fields, createdBy: first.created_by,
        });
        if (list.length) await replaceMembers(t, id, list);
        if (status === 'complete') await setStatus(t, id, 'complete', first.created_by);
        added++;
      } else {
        const o = old.row;
        const fieldsChanged = o.decision_no !== fields.decisionNo || o.decision_date !== fields.decisionDate || o.issued_by !== fields.issuedBy
          || o.formed_on !== fields.formedOn || (o.kind === 'team' && o.variant !== fields.variant);
        const membersChanged = !sameMembers(old.members, list);
        if (fieldsChanged) await updateBodyFields(t, o.id, fields);
        if (membersChanged) await replaceMembers(t, o.id, list);
        if (o.status !== status) await setStatus(t, o.id, status, first.created_by);
        if (fieldsChanged || membersChanged || o.status !== status) changed++;
        else unchanged++;
      }
      if (++done % 200 === 0) report(rowsTotal * 2 + Math.round((done / planned.length) * rowsTotal), total);
    }
    const summary = { rows: rowsTotal, bodies: planned.length, added, changed, unchanged, complete, drafts, members, noChanges: added + changed === 0, ms: Date.now() - t0 };
    await exec(t, `update body_import_run set status = 'succeeded', rows_total = ?, report = ?::jsonb, summary = ?::jsonb, finished_at = now() where id = ?`,
      [rowsTotal, JSON.stringify(reportOf(sink)), JSON.stringify(summary), runId]);
    await recordAudit(t, {
      actor: first.created_by, action: BODIES_IMPORT_ACTION, targetType: 'body_import_run', targetId: runId,
      after: { electionId: first.election_id, scope: { type: first.scope_type, code: first.scope_code }, file: { fileName: first.file.fileName, sha256: first.file.sha256 }, ...summary },
      result: 'success',
    });
    report(total, total);
    outcome = { runId, status: 'succeeded', noChanges: summary.noChanges, changed: added + changed };
    d.log.info({ runId, rows: rowsTotal, added, changed, ms: summary.ms }, 'Đã nhập tổ chức phụ trách bầu cử / bodies import done');
  });
  await Promise.allSettled(pending);
  return outcome;
}

/** The header of the column a rule's field lives in ('members' has none). */
function columnOfField(field: string, headers: Partial<Record<ColumnId, string>>): string | undefined {
  const id = ({ fullName: 'full_name', role: 'role', decisionNo: 'decision_no', decisionDate: 'decision_date', formedOn: 'formed_on', variant: 'variant' } as Record<string, ColumnId>)[field];
  return id ? headers[id] ?? COLUMNS.find((c) => c.id === id)?.vi : undefined;
}

/** The bodies already recorded for the planned ones (locked, as the page's actions lock them), with their members in list order. */
async function existingBodies(em: EntityManager, electionId: string, planned: PlannedBody[]): Promise<Map<string, { row: BodyRow; members: MemberRec[] }>> {
  const out = new Map<string, { row: BodyRow; members: MemberRec[] }>();
  if (!planned.length) return out;
  const ids = (k: PlannedBody['kind']) => pgArray(planned.filter((b) => b.kind === k).map((b) => b.key.slice(k.length + 1)));
  const rows = await sql<BodyRow>(em, `select ${BODY_COLUMNS} from ${BODY_FROM} where b.election_id = ? and (
      (b.kind = 'province-committee' and b.province_code = any(?::text[])) or (b.kind = 'commune-committee' and b.commune_code = any(?::text[]))
      or (b.kind = 'board' and b.unit_id::text = any(?::text[])) or (b.kind = 'team' and b.polling_area_id::text = any(?::text[])))
      for update of b`,
  [electionId, ids('province-committee'), ids('commune-committee'), ids('board'), ids('team')]);
  const byId = new Map<string, { row: BodyRow; members: MemberRec[] }>();
  for (const r of rows) {
    const node = r.kind === 'province-committee' ? r.province_code : r.kind === 'commune-committee' ? r.commune_code : r.kind === 'board' ? r.unit_id : r.polling_area_id;
    const v = { row: r, members: [] as MemberRec[] };
    out.set(`${r.kind}|${node}`, v);
    byId.set(r.id, v);
  }
  if (byId.size) {
    const ms = await sql<MemberRow & { body_id: string }>(em, `select id, body_id, position, full_name, role, organisation, phone from body_member
      where body_id = any(?::uuid[]) order by body_id, position, id`, [pgArray([...byId.keys()])]);
    for (const m of ms) byId.get(m.body_id)!.members.push(memberRec(m));
  }
  return out;
}

function reportOf(sink: IssueSink): ImportReport {
  return { errors: sink.errors, warnings: sink.warnings, errorCount: sink.errorCount, truncated: sink.truncated };
}

async function reject(em: EntityManager, run: RunRow, sink: IssueSink, rowsTotal: number, t0: number): Promise<ImportOutcome> {
  await exec(em, `update body_import_run set status = 'rejected', rows_total = ?, report = ?::jsonb, summary = ?::jsonb, finished_at = now() where id = ?`,
    [rowsTotal, JSON.stringify(reportOf(sink)), JSON.stringify({ rows: rowsTotal, ms: Date.now() - t0 }), run.id]);
  const codes: Record<string, number> = {};
  for (const x of sink.errors) codes[x.code] = (codes[x.code] ?? 0) + 1;
  await recordAudit(em, {
    actor: run.created_by, action: BODIES_IMPORT_ACTION, targetType: 'body_import_run', targetId: run.id,
    after: { electionId: run.election_id, file: { fileName: run.file.fileName, sha256: run.file.sha256 }, rows: rowsTotal, errors: sink.errorCount, codes },
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
    const n = await exec(t, `update body_import_run set status = 'failed', finished_at = now(), summary = coalesce(summary, '{}'::jsonb) || ?::jsonb
      where id = ? and status in ('queued','running')`, [JSON.stringify({ error: message.slice(0, 500) }), runId]);
    if (n > 0) {
      const [r] = await sql<{ created_by: string }>(t, 'select created_by from body_import_run where id = ?', [runId]);
      await recordAudit(t, { actor: r?.created_by ?? 'system', action: BODIES_IMPORT_ACTION, targetType: 'body_import_run', targetId: runId, after: { error: message.slice(0, 200) }, result: 'failed' });
    }
  });
}
