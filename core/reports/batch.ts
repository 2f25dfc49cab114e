// Batch generation: one document per item (every commune of the tree or of a province, every province, every
// electoral unit of a contest), each by its own job run, then one zip. Implemented as parent + children runs in
// job_run (not a BullMQ FlowProducer): the JobTransport interface carries single runs, and the in-process transport
// (no REDIS_URL) must work the same; job_run is the record either way (docs/reports.md, "Batches").
//
//   core.reports.batch {batchId}        the parent: records one child run per queued item and hands it to the queue
//   core.reports.batch-item {batchId,key}  a child: the report through the engine, then the item is marked and the
//                                          last child to finish queues the zip
//   core.reports.batch-zip {batchId}    zips the items' artefacts (in item order) into one artefact
//
// Batch mode (PDF reports with a print view, e.g. the commune summary): items are grouped into chunks, and a chunk is
// ONE run — core.reports.batch-chunk {batchId} — that builds each item's data, prints all its documents in one
// Chromium call (ReportRenderer.pdfMany), splits the result into one PDF per document (own QR code, code, page numbers,
// hash) and stores them in one transaction. An item's run_id is then its chunk's run. Other formats keep one run per item.
//
// No duplicates, even when a worker dies mid-batch: an item's run id derives from (batch, key, try) and its artefact
// id from the run id, so a recovered or re-delivered run returns the stored document; the zip is built from the item
// rows (one per key), never from a list of finished runs.
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { ZipArchive } from 'archiver';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, exec } from '../persistence/db.js';
import { recordAudit } from '../audit/audit.service.js';
import { idFromKey, type JobService } from '../jobs/job.service.js';
import { PermanentJobError, type JobHandler } from '../jobs/job-types.js';
import { searchKey } from '../shared/vn-text.js';
import { newId } from '../shared/ids.js';
import { generateReport, reportContext, type GenerateJobDeps, type CoreReportContext } from './report-engine.js';
import { ChromiumMissingError } from './browser-pool.js';
import { PDF_MIME, vnDate, type NewArtefact } from './render.service.js';
import { allocateVerifyCode, verifyMark } from './verify.js';
import type { JobContext } from '../jobs/job-types.js';

export const BATCH_JOB = 'core.reports.batch';
export const BATCH_ITEM_JOB = 'core.reports.batch-item';
export const BATCH_ZIP_JOB = 'core.reports.batch-zip';
export const BATCH_CHUNK_JOB = 'core.reports.batch-chunk';
/**
 * Documents per chunk (one Chromium print): large enough that the per-print cost is spread thin, small enough that a
 * chunk takes a second or two (progress moves, a crash redoes little) and that a small batch still has a chunk for
 * every worker slot (see {@link chunkSizeFor}).
 */
export const MAX_CHUNK = 48;
export const BATCH_KIND = 'core.reports.batch';
export const ZIP_MIME = 'application/zip';

export type BatchOver = 'commune' | 'province' | 'unit';
export const BATCH_OVER: readonly BatchOver[] = ['commune', 'province', 'unit'];

export interface BatchRow {
  id: string;
  report_id: string;
  format: 'pdf' | 'xlsx' | 'csv';
  title: string;
  over: BatchOver;
  base_params: Record<string, unknown>;
  election_id: string | null;
  scope_path: string[] | null;
  status: 'running' | 'zipping' | 'succeeded' | 'partial' | 'failed' | 'cancelled';
  total: number;
  done: number;
  failed: number;
  generation: number;
  zip_artefact_id: string | null;
  created_by: string;
  created_at: Date;
  finished_at: Date | null;
}

export const itemRunId = (batchId: string, key: string, tries: number) => idFromKey(`batch-item:${batchId}:${key}:${tries}`);
export const parentRunId = (batchId: string, generation: number) => idFromKey(`batch:${batchId}:${generation}`);
export const chunkRunId = (batchId: string, generation: number, index: number) => idFromKey(`batch-chunk:${batchId}:${generation}:${index}`);
/** The artefact of an item's try: the engine's rule (artefact id from the item's run id), the same in both modes. */
export const itemArtefactId = (batchId: string, key: string, tries: number) => idFromKey(`artefact:${itemRunId(batchId, key, tries)}`);

/** Chunk size for `n` items: at most {@link MAX_CHUNK}, and about eight chunks for a small batch so workers share it. */
export function chunkSizeFor(n: number): number {
  return Math.max(1, Math.min(MAX_CHUNK, Math.ceil(n / 8)));
}

/** Whether a report's batch can be printed in chunks: PDF through a print template with its own view model. */
export function chunkable(def: { template?: string; view?: unknown }, format: string): boolean {
  return format === 'pdf' && !!def.template && typeof def.view === 'function';
}

/** A PostgreSQL array literal passed as ONE parameter (Knex would expand a JS array into a list). */
function pgArray(values: readonly string[]): string {
  return '{' + values.map((v) => '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"').join(',') + '}';
}

export interface BatchItemSource {
  key: string;
  label: string;
}

const validToday = `valid_from <= current_date and (valid_to is null or valid_to > current_date)`;

/** The items of a batch: communes or provinces in force today (in dictionary order), or the units of a contest. */
export async function batchItems(em: EntityManager, over: BatchOver, o: { provinceCode?: string; electionId?: string; contest?: string }): Promise<BatchItemSource[]> {
  if (over === 'commune') {
    return sql<BatchItemSource>(em, `select code as key, name as label from admin_unit where level = 'commune' and ${validToday} and (?::text is null or parent_code = ?) order by parent_code, sort_key, code`,
      [o.provinceCode ?? null, o.provinceCode ?? null]);
  }
  if (over === 'province') {
    return sql<BatchItemSource>(em, `select code as key, name as label from admin_unit where level = 'province' and ${validToday} and (?::text is null or code = ?) order by sort_key, code`,
      [o.provinceCode ?? null, o.provinceCode ?? null]);
  }
  return sql<BatchItemSource>(em, `select id::text as key, 'Đơn vị số ' || number || ' — ' || parent_code as label from electoral_unit
    where election_id = ? and contest = ? and (?::text is null or parent_code = ? or parent_code in (select code from admin_unit where parent_code = ?)) order by parent_code, number`,
    [o.electionId, o.contest, o.provinceCode ?? null, o.provinceCode ?? null, o.provinceCode ?? null]);
}

/** Creates the batch and its items in the caller's transaction; returns the parent run id to dispatch after commit. */
export async function createBatch(em: EntityManager, jobs: JobService, b: {
  id: string; reportId: string; format: string; title: string; over: BatchOver; baseParams: Record<string, unknown>; param: string;
  electionId: string | null; scopePath: string[]; createdBy: string; items: BatchItemSource[];
  /** Batch mode: items in chunks of one run each (see {@link chunkable}). */
  chunked?: boolean;
}): Promise<string> {
  await exec(em, `insert into report_batch (id, report_id, format, title, over, base_params, election_id, scope_path, total, created_by)
    values (?, ?, ?, ?, ?, ?::jsonb, ?, string_to_array(?, ','), ?, ?)`,
    [b.id, b.reportId, b.format, b.title, b.over, JSON.stringify(b.baseParams), b.electionId, b.scopePath.join(','), b.items.length, b.createdBy]);
  // One statement for thousands of items: keys, labels, parameters and run ids as parallel arrays.
  const params = b.items.map((it) => JSON.stringify({ ...b.baseParams, [b.param]: it.key }));
  await exec(em, `insert into report_batch_item (batch_id, key, position, label, params, run_id)
    select ?, k, ord::int, l, p::jsonb, r::uuid from unnest(?::text[], ?::text[], ?::text[], ?::text[]) with ordinality as t(k, l, p, r, ord)`,
    [b.id, pgArray(b.items.map((i) => i.key)), pgArray(b.items.map((i) => i.label)), pgArray(params), pgArray(runIdsFor(b.id, 1, b.items.map((i) => i.key), 1, b.chunked))]);
  return jobs.enqueue(BATCH_JOB, { batchId: b.id, ...(b.chunked ? { chunked: true } : {}) }, { runId: parentRunId(b.id, 1), createdBy: b.createdBy, electionId: b.electionId, em });
}

/** The run of each item (in item order): its own run, or in batch mode the run of its chunk. */
function runIdsFor(batchId: string, generation: number, keys: string[], tries: number | number[], chunked?: boolean): string[] {
  if (!chunked) return keys.map((k, i) => itemRunId(batchId, k, Array.isArray(tries) ? tries[i] : tries));
  const size = chunkSizeFor(keys.length);
  return keys.map((_, i) => chunkRunId(batchId, generation, Math.floor(i / size)));
}

export async function getBatch(em: EntityManager, id: string): Promise<BatchRow | undefined> {
  const [b] = await sql<BatchRow>(em, `select * from report_batch where id = ?`, [id]);
  return b;
}

/** Recounts done/failed from the items; the child that completes the batch moves it to 'zipping' and queues the zip. */
export async function checkComplete(em: EntityManager, jobs: JobService, batchId: string): Promise<void> {
  const [b] = await sql<{ status: string; total: number; done: number; failed: number; generation: number; created_by: string; election_id: string | null }>(em,
    `update report_batch b set done = (select count(*) from report_batch_item where batch_id = b.id and status = 'succeeded'),
       failed = (select count(*) from report_batch_item where batch_id = b.id and status = 'failed'), updated_at = now()
     where id = ? returning status, total, done, failed, generation, created_by, election_id`, [batchId]);
  if (!b || b.status !== 'running' || b.done + b.failed < b.total) return;
  // The move to 'zipping' and the zip's run are one transaction: a crash cannot leave a batch zipping without a zip
  // run. A fresh run id per pass: a batch completed again (after a retry, or a recovered item) is zipped again.
  let zipRun: string | undefined;
  await em.transactional(async (tx) => {
    const moved = await exec(tx, `update report_batch set status = 'zipping', updated_at = now() where id = ? and status = 'running'`, [batchId]);
    if (moved) zipRun = await jobs.enqueue(BATCH_ZIP_JOB, { batchId }, { runId: newId(), createdBy: b.created_by, electionId: b.election_id, em: tx });
  });
  if (zipRun) await jobs.dispatch(zipRun);
}

const payloadOf = (raw: unknown): { batchId: string; key?: string; chunked: boolean } => {
  const p = raw as { batchId?: unknown; key?: unknown; chunked?: unknown };
  if (typeof p?.batchId !== 'string') throw new PermanentJobError('invalid payload: batchId');
  return { batchId: p.batchId, key: typeof p.key === 'string' ? p.key : undefined, chunked: p.chunked === true };
};

/** The parent: a child run per queued item (idempotent: run ids are fixed), handed to the queue. */
export function batchJob(jobs: JobService): JobHandler {
  return async (raw, ctx) => {
    const { batchId, chunked } = payloadOf(raw);
    const b = await getBatch(ctx.em, batchId);
    if (!b) throw new Error(`batch ${batchId} not found`); // not committed yet: retried
    if (b.status === 'cancelled') return { cancelled: true };
    // All job_run rows in one statement (on conflict: already recorded by an earlier attempt), then dispatched.
    if (chunked) {
      await exec(ctx.em, `insert into job_run (id, name, status, payload, created_by, election_id)
        select distinct run_id, ?, 'queued'::text, jsonb_build_object('batchId', batch_id), ?, ?::uuid from report_batch_item where batch_id = ? and status = 'queued'
        on conflict (id) do nothing`, [BATCH_CHUNK_JOB, b.created_by, b.election_id, batchId]);
    } else {
      await exec(ctx.em, `insert into job_run (id, name, status, payload, created_by, election_id)
        select run_id, ?, 'queued', jsonb_build_object('batchId', batch_id, 'key', key), ?, ? from report_batch_item where batch_id = ? and status = 'queued'
        on conflict (id) do nothing`, [BATCH_ITEM_JOB, b.created_by, b.election_id, batchId]);
    }
    const runs = await sql<{ run_id: string }>(ctx.em, `select i.run_id from report_batch_item i join job_run r on r.id = i.run_id
      where i.batch_id = ? and i.status = 'queued' and r.status = 'queued' group by i.run_id order by min(i.position)`, [batchId]);
    let n = 0;
    for (const r of runs) {
      await jobs.dispatch(r.run_id);
      if (++n % 200 === 0) {
        await ctx.progress(n, runs.length);
        if ((await getBatch(ctx.em, batchId))?.status === 'cancelled') return { cancelled: true, dispatched: n };
      }
    }
    await checkComplete(ctx.em, jobs, batchId);
    return { dispatched: n };
  };
}

/** A child: one document through the engine; the item records its artefact, or its failure once final. */
export function batchItemJob(jobs: JobService, engine: GenerateJobDeps): JobHandler {
  const generate = generateReport(engine);
  return async (raw, ctx) => {
    const { batchId, key } = payloadOf(raw);
    if (!key) throw new PermanentJobError('invalid payload: key');
    const [it] = await sql<{ status: string; params: Record<string, unknown>; run_id: string; report_id: string; format: 'pdf' | 'xlsx' | 'csv'; batch_status: string }>(ctx.em,
      `select i.status, i.params, i.run_id, b.report_id, b.format, b.status as batch_status from report_batch_item i join report_batch b on b.id = i.batch_id where i.batch_id = ? and i.key = ?`, [batchId, key]);
    if (!it) throw new PermanentJobError(`batch item ${batchId}/${key} not found`);
    // A run of an older try (the item was retried since) or of a cancelled batch does nothing.
    if (it.run_id !== ctx.runId || it.status !== 'queued' || it.batch_status === 'cancelled') return { skipped: true };
    let artefactId: string;
    try {
      ({ artefactId } = await generate({ reportId: it.report_id, params: it.params, format: it.format }, ctx));
    } catch (e) {
      if (e instanceof PermanentJobError || ctx.attempt >= 3) {
        await exec(ctx.em, `update report_batch_item set status = 'failed', error = ? where batch_id = ? and key = ? and run_id = ? and status = 'queued'`,
          [e instanceof Error ? e.message.slice(0, 500) : String(e), batchId, key, ctx.runId]);
        await checkComplete(ctx.em, jobs, batchId);
      }
      throw e;
    }
    await exec(ctx.em, `update report_batch_item set status = 'succeeded', artefact_id = ?, error = null where batch_id = ? and key = ? and run_id = ? and status = 'queued'`,
      [artefactId, batchId, key, ctx.runId]);
    await checkComplete(ctx.em, jobs, batchId);
    return { artefactId };
  };
}

interface ChunkItem {
  key: string;
  params: Record<string, unknown>;
  tries: number;
}

/**
 * A chunk (batch mode): every queued item of this run, printed together. Items whose data cannot be built fail alone
 * (permanently, audited like the engine's failed attempts); documents already stored by an earlier attempt of this run
 * are not made again (artefact ids derive from the item's try). A failure of the print itself is retried with the run;
 * on the last attempt the chunk's remaining items are marked failed, so a retry of the batch redoes only them.
 */
export function batchChunkJob(jobs: JobService, d: GenerateJobDeps): JobHandler {
  return async (raw, ctx) => {
    const { batchId } = payloadOf(raw);
    const b = await getBatch(ctx.em, batchId);
    if (!b) throw new PermanentJobError(`batch ${batchId} not found`);
    if (b.status === 'cancelled') return { cancelled: true };
    const items = await sql<ChunkItem>(ctx.em, `select key, params, tries from report_batch_item where batch_id = ? and run_id = ? and status = 'queued' order by position`, [batchId, ctx.runId]);
    if (!items.length) {
      await checkComplete(ctx.em, jobs, batchId);
      return { skipped: true };
    }
    const failItems = async (list: { key: string; error: string }[]) => {
      if (!list.length) return;
      await exec(ctx.em, `update report_batch_item i set status = 'failed', error = v.e from unnest(?::text[], ?::text[]) as v(k, e)
        where i.batch_id = ? and i.key = v.k and i.run_id = ? and i.status = 'queued'`, [pgArray(list.map((f) => f.key)), pgArray(list.map((f) => f.error.slice(0, 500))), batchId, ctx.runId]);
    };
    try {
      const made = await makeChunk(d, ctx, b, items, failItems);
      if (made.length) {
        await exec(ctx.em, `update report_batch_item i set status = 'succeeded', artefact_id = v.a::uuid, error = null from unnest(?::text[], ?::text[]) as v(k, a)
          where i.batch_id = ? and i.key = v.k and i.run_id = ? and i.status = 'queued'`, [pgArray(made.map((m) => m.key)), pgArray(made.map((m) => m.artefactId)), batchId, ctx.runId]);
      }
      await checkComplete(ctx.em, jobs, batchId);
      return { documents: made.length, failed: items.length - made.length };
    } catch (e) {
      const permanent = e instanceof PermanentJobError || e instanceof ChromiumMissingError;
      if (permanent || ctx.attempt >= 3) {
        await failItems(items.map((it) => ({ key: it.key, error: e instanceof Error ? e.message : String(e) })));
        await checkComplete(ctx.em, jobs, batchId);
      }
      if (e instanceof ChromiumMissingError) throw new PermanentJobError(e.message);
      throw e;
    }
  };
}

/** Builds, prints, splits and stores the documents of a chunk; returns the items done (stored now or before). */
async function makeChunk(d: GenerateJobDeps, ctx: JobContext, b: BatchRow, items: ChunkItem[], failItems: (l: { key: string; error: string }[]) => Promise<void>): Promise<{ key: string; artefactId: string }[]> {
  const entry = d.registry.get(b.report_id);
  if (!entry) throw new PermanentJobError(d.i18n.t('vi', 'reports.engine.unknown_report', { id: b.report_id }));
  const { def, owner } = entry;
  if (!chunkable(def, b.format)) throw new PermanentJobError(d.i18n.t('vi', 'reports.engine.bad_format', { id: def.id, format: b.format }));
  const [run] = await sql<{ created_by: string }>(ctx.em, 'select created_by from job_run where id = ?', [ctx.runId]);
  const createdBy = run?.created_by ?? b.created_by;
  const ids = items.map((it) => itemArtefactId(b.id, it.key, it.tries));
  const stored = new Set((await sql<{ id: string }>(ctx.em, `select id::text as id from artefact where id = any(?::uuid[])`, [pgArray(ids)])).map((r) => r.id));
  const done: { key: string; artefactId: string }[] = [];
  const failed: { key: string; error: string }[] = [];
  const todo: { key: string; artefact: Omit<NewArtefact, 'bytes'>; view: Record<string, unknown>; title: string; verify: Awaited<ReturnType<typeof verifyMark>> }[] = [];
  const today = vnDate(d.clock.now());
  const rctx = reportContext(d, ctx.em, owner, ctx.log) as CoreReportContext;
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    const artefactId = ids[i];
    if (stored.has(artefactId)) {
      done.push({ key: it.key, artefactId });
      continue;
    }
    const parsed = def.params.safeParse(it.params);
    if (!parsed.success) {
      failed.push({ key: it.key, error: `invalid params: ${parsed.error.issues.map((x) => x.path.join('.') + ' ' + x.message).join('; ')}` });
      continue;
    }
    const params = def.defaults ? def.defaults(parsed.data, { today }) : parsed.data;
    const built = await def.build(params, rctx);
    if (!built.ok) {
      const reason = d.i18n.t('vi', built.error.messageKey, built.error.params);
      // A document that could not be produced is audited (as the engine does for a single request).
      await ctx.em.transactional(async (tx) => {
        await recordAudit(tx, { actor: createdBy, action: 'reports.artefact.create', targetType: 'job_run', targetId: ctx.runId,
          after: { kind: def.id, format: b.format, params, batchId: b.id, key: it.key, reason }, result: 'failed' });
      });
      failed.push({ key: it.key, error: reason });
      continue;
    }
    const data = built.value;
    const title = def.title ? def.title(params, data, rctx) : d.i18n.t('vi', def.titleKey);
    const target = def.target(params);
    const chain = await d.scopes.ancestors(ctx.em, target);
    const scopePath = (chain ?? [target, { type: 'nation', code: 'VN' }]).map((n) => `${n.type}:${n.code}`);
    const verifyCode = await allocateVerifyCode(ctx.em, artefactId);
    const view = def.view!(params, data, { ...rctx, documentId: artefactId });
    todo.push({
      key: it.key, view, title, verify: await verifyMark(d.publicBaseUrl, verifyCode),
      artefact: { id: artefactId, kind: def.id, title, params, mime: PDF_MIME, ext: 'pdf', format: 'pdf', verifyCode, scopePath, electionId: target.electionId ?? null, createdBy, jobRunId: ctx.runId },
    });
    if (i % 8 === 7) await ctx.progress(i + 1, items.length * 2);
  }
  await failItems(failed);
  if (todo.length) {
    const pdfs = await d.renderer.pdfMany(def.template!, todo.map((t) => ({ data: t.view, opts: { title: t.title, lang: 'vi', verify: t.verify } })));
    await ctx.progress(items.length + Math.floor(items.length / 2), items.length * 2);
    const saved = await d.renderer.storeMany(ctx.em, todo.map((t, i) => ({ ...t.artefact, bytes: pdfs[i] })));
    saved.forEach((s, i) => done.push({ key: todo[i].key, artefactId: s.id }));
    ctx.log.info({ batchId: b.id, documents: saved.length, report: def.id }, 'batch chunk generated');
  }
  await ctx.progress(items.length * 2, items.length * 2);
  return done;
}

/** The zip of a batch: every succeeded item's file, in item order, named by position, key and title. */
export function batchZipJob(dataDir: string): JobHandler {
  return async (raw, ctx) => {
    const { batchId } = payloadOf(raw);
    const b = await getBatch(ctx.em, batchId);
    if (!b) throw new PermanentJobError(`batch ${batchId} not found`);
    if (b.status === 'cancelled') return { cancelled: true };
    const artefactId = idFromKey(`artefact:${ctx.runId}`);
    const [existing] = await sql<{ id: string }>(ctx.em, `select id from artefact where id = ?`, [artefactId]);
    if (!existing) {
      const files = await sql<{ key: string; position: number; title: string; path: string }>(ctx.em,
        `select i.key, i.position, a.title, a.path from report_batch_item i join artefact a on a.id = i.artefact_id where i.batch_id = ? and i.status = 'succeeded' order by i.position`, [batchId]);
      const dir = path.join(dataDir, 'artefacts');
      await fs.promises.mkdir(dir, { recursive: true });
      const rel = `artefacts/${artefactId}.zip`;
      const abs = path.join(dataDir, rel);
      const tmp = `${abs}.${randomBytes(4).toString('hex')}.tmp`;
      const width = String(files.length).length;
      await new Promise<void>((resolve, reject) => {
        const out = fs.createWriteStream(tmp);
        // PDFs are already compressed: store them (level 0) — zipping 3,321 documents stays I/O bound.
        const zip = new ZipArchive({ zlib: { level: 0 } });
        out.on('close', () => resolve());
        zip.on('error', reject);
        out.on('error', reject);
        zip.pipe(out);
        for (const f of files) {
          const slug = searchKey(f.title).replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
          zip.file(path.join(dataDir, f.path), { name: `${String(f.position).padStart(width, '0')}-${f.key}-${slug}${path.extname(f.path)}` });
        }
        void zip.finalize();
      });
      await ctx.progress(1, 2);
      const hash = createHash('sha256');
      for await (const chunk of fs.createReadStream(tmp)) hash.update(chunk as Buffer);
      const sha256 = hash.digest('hex');
      const size = (await fs.promises.stat(tmp)).size;
      let moved = false;
      try {
        await ctx.em.transactional(async (tx) => {
          const n = await exec(tx, `insert into artefact (id, kind, title, params, path, sha256, size, mime, created_by, created_at, job_run_id, format, scope_path, election_id)
            values (?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, now(), ?, null, string_to_array(?, ','), ?) on conflict (id) do nothing`,
            [artefactId, BATCH_KIND, `${b.title} (${files.length} tệp)`, JSON.stringify({ batchId, reportId: b.report_id, over: b.over, ...b.base_params }), rel, sha256, size, ZIP_MIME,
              b.created_by, ctx.runId, (b.scope_path ?? []).join(',') || null, b.election_id]);
          if (!n) return;
          await fs.promises.rename(tmp, abs);
          moved = true;
          await recordAudit(tx, { actor: b.created_by, action: 'reports.artefact.create', targetType: 'artefact', targetId: artefactId,
            after: { kind: BATCH_KIND, batchId, files: files.length, sha256, size, mime: ZIP_MIME, jobRunId: ctx.runId }, result: 'success' });
        });
      } finally {
        if (!moved) await fs.promises.rm(tmp, { force: true });
      }
    }
    await exec(ctx.em, `update report_batch set zip_artefact_id = ?, status = case when failed > 0 then 'partial' else 'succeeded' end, finished_at = now(), updated_at = now()
      where id = ? and status = 'zipping'`, [artefactId, batchId]);
    return { artefactId };
  };
}

/** Retry of the failed items only: a new try (new run id) for each, then the parent again. */
export async function retryFailed(em: EntityManager, jobs: JobService, batchId: string, chunked = false): Promise<{ runId: string; items: number } | undefined> {
  const [b] = await sql<{ generation: number }>(em, `update report_batch set status = 'running', generation = generation + 1, zip_artefact_id = null, finished_at = null, updated_at = now()
    where id = ? and status in ('partial', 'failed') and failed > 0 returning generation`, [batchId]);
  if (!b) return undefined;
  const failed = await sql<{ key: string; tries: number }>(em, `select key, tries from report_batch_item where batch_id = ? and status = 'failed' order by position`, [batchId]);
  const runIds = runIdsFor(batchId, b.generation, failed.map((f) => f.key), failed.map((f) => f.tries + 1), chunked);
  for (let i = 0; i < failed.length; i += 1000) {
    const chunk = failed.slice(i, i + 1000);
    await exec(em, `update report_batch_item i set status = 'queued', tries = i.tries + 1, error = null, run_id = v.r::uuid from unnest(?::text[], ?::text[]) as v(k, r)
      where i.batch_id = ? and i.key = v.k and i.status = 'failed'`, [pgArray(chunk.map((c) => c.key)), pgArray(runIds.slice(i, i + 1000)), batchId]);
  }
  await exec(em, `update report_batch set failed = 0 where id = ?`, [batchId]);
  const [row] = await sql<{ created_by: string; election_id: string | null }>(em, `select created_by, election_id from report_batch where id = ?`, [batchId]);
  const runId = await jobs.enqueue(BATCH_JOB, { batchId, ...(chunked ? { chunked: true } : {}) }, { runId: parentRunId(batchId, b.generation), createdBy: row.created_by, electionId: row.election_id, em });
  return { runId, items: failed.length };
}

/** Cancel: the batch stops; queued items and their runs are cancelled (running documents finish, unused). */
export async function cancelBatch(em: EntityManager, batchId: string): Promise<boolean> {
  const n = await exec(em, `update report_batch set status = 'cancelled', finished_at = now(), updated_at = now() where id = ? and status in ('running', 'zipping')`, [batchId]);
  if (!n) return false;
  await exec(em, `update job_run set status = 'cancelled', finished_at = now(), updated_at = now()
    where id in (select run_id from report_batch_item where batch_id = ? and status = 'queued') and status in ('queued', 'running')`, [batchId]);
  await exec(em, `update report_batch_item set status = 'cancelled' where batch_id = ? and status = 'queued'`, [batchId]);
  return true;
}
