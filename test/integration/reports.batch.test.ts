// Batch generation (issue 8 point 4) on the real app: one commune summary per commune of a province, through the
// BullMQ transport and the in-process one (no REDIS_URL); progress to 100 %, one zip with exactly one document per
// commune; failures retried alone; cancel; and a worker stopped mid-batch (plus a run left 'running' as a crash
// leaves it) finishes after a restart without duplicate documents. The commune summary is printed in batch mode
// (chunks of documents in one Chromium print, split per document): each document still has its own QR code, code and
// hash, and the public check page confirms it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startTestApp, testConfig, waitFor, dropSchema, type TestApp } from '../helpers/test-app.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { createTokenUser, type TokenUser } from '../helpers/token-user.js';
import { boot } from '../../core/kernel/boot.js';
import { sql, exec } from '../../core/persistence/db.js';
import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import jsQRModule from 'jsqr';
import { BATCH_CHUNK_JOB, BATCH_ITEM_JOB } from '../../core/reports/batch.js';
import { TestClient } from '../helpers/client.js';

type JsQR = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR: JsQR = (jsQRModule as unknown as { default?: JsQR }).default ?? (jsQRModule as unknown as JsQR);

/** A province with few communes keeps the test short; read from the reference file, never quoted. */
const PROVINCE = '12';
const REPORT = 'core.reports.commune-summary';

interface BatchJson { id: string; status: string; total: number; done: number; failed: number; percent: number; zipArtefactId: string | null }

async function startBatch(url: string, who: TokenUser, form: Record<string, string>): Promise<string> {
  const res = await fetch(url + '/reports/batches', { method: 'POST', headers: who.headers, body: new URLSearchParams(form), redirect: 'manual' });
  expect(res.status, await res.clone().text()).toBe(303);
  const loc = res.headers.get('location')!;
  expect(loc).toMatch(/^\/reports\/batches\/[0-9a-f-]{36}$/);
  return loc.split('/').pop()!;
}
const batchJson = async (url: string, who: TokenUser, id: string) =>
  (await (await fetch(`${url}/reports/batches/${id}`, { headers: { accept: 'application/json', ...who.headers } })).json()) as BatchJson;
const settled = (url: string, who: TokenUser, id: string, timeout = 240_000) =>
  waitFor(async () => { const b = await batchJson(url, who, id); return ['succeeded', 'partial', 'failed', 'cancelled'].includes(b.status) ? b : undefined; }, timeout, 250);

function zipEntries(url: string, who: TokenUser, artefactId: string, dir: string): Promise<string[]> {
  return (async () => {
    const res = await fetch(`${url}/artefacts/${artefactId}/download`, { headers: who.headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/zip');
    const file = path.join(dir, `${artefactId}.zip`);
    fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    return execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).split('\n').filter(Boolean);
  })();
}

/** Posts a file to the public check page as a browser would (multipart; the visitor's CSRF token in the form's action). */
async function compare(url: string, pathname: string, bytes: Buffer): Promise<{ status: number; html: string }> {
  const visitor = new TestClient(url);
  const page = await (await visitor.get(pathname)).text();
  const action = /<form method="post" action="([^"]+)" enctype="multipart\/form-data"/.exec(page)![1].replace(/&amp;/g, '&');
  const body = new FormData();
  body.set('file', new Blob([new Uint8Array(bytes)], { type: 'application/pdf' }), 'ban-sao.pdf');
  const cookie = [...visitor.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(url + action, { method: 'POST', body, headers: { cookie }, redirect: 'manual' });
  return { status: res.status, html: await res.text() };
}

describe('batch through BullMQ', () => {
  let app: TestApp;
  let nec: TokenUser;
  let communes: number;
  beforeAll(async () => {
    app = await startTestApp('reports_batch');
    const units = referenceUnits([PROVINCE]);
    communes = units.filter((u) => u.level === 'commune').length;
    await insertUnits(app.orm.em.fork(), units);
    nec = await createTokenUser(app.orm.em.fork(), 'nec', 'nec-official', 'nation', 'VN');
  }, 60_000);
  afterAll(async () => { await app?.close(); });

  it('one document per commune reaches 100 % and one zip with exactly one file per commune; the page shows the bar', async () => {
    const id = await startBatch(app.url, nec, { reportId: REPORT, over: 'commune', provinceCode: PROVINCE });
    const b = await settled(app.url, nec, id);
    expect(b).toMatchObject({ status: 'succeeded', total: communes, done: communes, failed: 0, percent: 100 });
    const entries = await zipEntries(app.url, nec, b.zipArtefactId!, app.config.dataDir);
    expect(entries).toHaveLength(communes);
    expect(new Set(entries.map((e) => e.split('-')[1])).size).toBe(communes);
    const html = await (await fetch(`${app.url}/reports/batches/${id}`, { headers: nec.headers })).text();
    expect(html).toContain('progress-fill w100');
    expect(html).toContain(`/artefacts/${b.zipArtefactId}/download`);

    // Batch mode: a handful of chunk runs, not one run per document.
    const em = app.orm.em.fork();
    const runs = await sql<{ name: string; n: string }>(em, `select name, count(*)::text as n from job_run where payload->>'batchId' = ? and name in (?, ?) group by name`, [id, BATCH_CHUNK_JOB, BATCH_ITEM_JOB]);
    expect(runs).toHaveLength(1);
    expect(runs[0].name).toBe(BATCH_CHUNK_JOB);
    expect(Number(runs[0].n)).toBeLessThan(communes / 2);

    // Each document is its own PDF: one page, its own code (distinct), its hash recorded; the QR code of two of them
    // (first and last of the batch) leads to the check page, which confirms the downloaded bytes and refuses a change.
    const docs = await sql<{ id: string; verify_code: string; sha256: string; path: string }>(em,
      `select a.id, a.verify_code, a.sha256, a.path from report_batch_item i join artefact a on a.id = i.artefact_id where i.batch_id = ? order by i.position`, [id]);
    expect(docs).toHaveLength(communes);
    expect(new Set(docs.map((x) => x.verify_code)).size).toBe(communes);
    for (const dct of [docs[0], docs[docs.length - 1]]) {
      const res = await fetch(`${app.url}/artefacts/${dct.id}/download`, { headers: nec.headers });
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(dct.sha256);
      const file = path.join(app.config.dataDir, `check-${dct.id}.pdf`);
      fs.writeFileSync(file, bytes);
      expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/Pages:\s+1\n/);
      execFileSync('pdftoppm', ['-r', '200', '-png', '-singlefile', file, file]);
      const png = PNG.sync.read(fs.readFileSync(`${file}.png`));
      const url = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength), png.width, png.height)?.data;
      expect(url).toBe(`${app.config.publicBaseUrl}/v/${dct.verify_code}`);
      const checkPath = new URL(url!).pathname;
      // An idle keep-alive socket may have been closed by the server while the PNG was decoded: a GET can be repeated.
      const page = await (await fetch(app.url + checkPath).catch(() => fetch(app.url + checkPath))).text();
      expect(page).toContain(dct.sha256);
      expect((await compare(app.url, checkPath, bytes)).html).toContain('<h2>Khớp</h2>');
      const changed = Buffer.from(bytes);
      changed[Math.floor(changed.length / 2)] ^= 0x01;
      expect((await compare(app.url, checkPath, changed)).html).toContain('<h2>Không khớp</h2>');
    }
  }, 300_000);

  it('failed documents are retried alone: two items fail, "retry" makes only those two again (a new try each) and the zip is complete', async () => {
    const id = await startBatch(app.url, nec, { reportId: REPORT, over: 'commune', provinceCode: PROVINCE });
    // The last two items (run last, in item order) get a commune that does not exist: a real, permanent failure.
    const em = app.orm.em.fork();
    const last = await sql<{ key: string }>(em, `select key from report_batch_item where batch_id = ? order by position desc limit 2`, [id]);
    await exec(em, `update report_batch_item set params = jsonb_set(params, '{communeCode}', '"99999"') where batch_id = ? and key in (?, ?)`, [id, last[0].key, last[1].key]);
    const b = await settled(app.url, nec, id);
    expect(b).toMatchObject({ status: 'partial', total: communes, done: communes - 2, failed: 2 });
    expect(await zipEntries(app.url, nec, b.zipArtefactId!, app.config.dataDir)).toHaveLength(communes - 2);
    const page = await (await fetch(`${app.url}/reports/batches/${id}`, { headers: nec.headers })).text();
    expect(page).toContain('Tạo lại 2 tài liệu bị lỗi');
    await exec(em, `update report_batch_item set params = jsonb_set(params, '{communeCode}', to_jsonb(key)) where batch_id = ?`, [id]);
    const docsBefore = await sql<{ n: string }>(em, `select count(*)::text as n from artefact where kind = ?`, [REPORT]);
    const res = await fetch(`${app.url}/reports/batches/${id}/retry`, { method: 'POST', headers: nec.headers, redirect: 'manual' });
    expect(res.status).toBe(303);
    const again = await settled(app.url, nec, id);
    expect(again).toMatchObject({ status: 'succeeded', done: communes, failed: 0, percent: 100 });
    // Only the two failed documents were made again (a new try each), in one chunk run.
    const docsAfter = await sql<{ n: string }>(em, `select count(*)::text as n from artefact where kind = ?`, [REPORT]);
    expect(Number(docsAfter[0].n) - Number(docsBefore[0].n)).toBe(2);
    const tries = await sql<{ key: string }>(em, `select key from report_batch_item where batch_id = ? and tries = 2 order by key`, [id]);
    expect(tries.map((x) => x.key)).toEqual([last[0].key, last[1].key].sort());
    const entries = await zipEntries(app.url, nec, again.zipArtefactId!, app.config.dataDir);
    expect(entries).toHaveLength(communes);
    // One audit event per request: the retry is audited once.
    const [audit] = await sql<{ n: string }>(em, `select count(*)::text as n from audit_event where action = 'core.reports.batch.retry' and target_id = ?`, [id]);
    expect(Number(audit.n)).toBe(1);
  }, 300_000);

  it('cancel stops a running batch: queued items are cancelled and no zip is made', async () => {
    const id = await startBatch(app.url, nec, { reportId: REPORT, over: 'commune', provinceCode: PROVINCE });
    const res = await fetch(`${app.url}/reports/batches/${id}/cancel`, { method: 'POST', headers: nec.headers, redirect: 'manual' });
    expect(res.status).toBe(303);
    const b = await batchJson(app.url, nec, id);
    expect(b.status).toBe('cancelled');
    expect(b.zipArtefactId).toBeNull();
    const em = app.orm.em.fork();
    const [q] = await sql<{ n: string }>(em, `select count(*)::text as n from report_batch_item where batch_id = ? and status = 'queued'`, [id]);
    expect(Number(q.n)).toBe(0);
    const again = await fetch(`${app.url}/reports/batches/${id}/cancel`, { method: 'POST', headers: nec.headers, redirect: 'manual' });
    expect(again.status).toBe(409);
  }, 60_000);

  it('bad input is a 400 naming the field, and nothing is written', async () => {
    const res = await fetch(app.url + '/reports/batches', { method: 'POST', headers: { ...nec.headers, accept: 'application/json' }, body: new URLSearchParams({ reportId: 'core.reports.forms.board-results-minutes', over: 'unit' }), redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('electionId');
  });
});

describe('batch in process (no REDIS_URL): a worker stopped mid-batch finishes after a restart without duplicates', () => {
  it('stop mid-batch, leave one run as a crash would (document stored, item not marked), restart: 100 %, no duplicate', async () => {
    const config = testConfig('reports_batch_restart', { REDIS_URL: undefined, QUEUE_PREFIX: undefined, WORKER_CONCURRENCY: '2' });
    let app = await boot(config);
    try {
      const units = referenceUnits([PROVINCE]);
      const communes = units.filter((u) => u.level === 'commune').length;
      await insertUnits(app.orm.em.fork(), units);
      const nec = await createTokenUser(app.orm.em.fork(), 'nec', 'nec-official', 'nation', 'VN');
      const id = await startBatch(app.url!, nec, { reportId: REPORT, over: 'commune', provinceCode: PROVINCE });
      await waitFor(async () => { const b = await batchJson(app.url!, nec, id); return b.done >= 5 ? b : undefined; }, 120_000, 50);
      await app.stop(); // the worker stops: running documents finish, the in-process queue is lost
      app = await boot(config); // the same schema; recover() re-queues the runs left 'queued' or 'running'
      const em2 = app.orm.em.fork();
      const before = await sql<{ done: string }>(em2, `select done::text from report_batch where id = ?`, [id]);
      expect(Number(before[0].done)).toBeLessThan(communes);
      const b = await settled(app.url!, nec, id);
      expect(b).toMatchObject({ status: 'succeeded', total: communes, done: communes, failed: 0, percent: 100 });
      // Exactly one artefact per commune for this batch, and a zip of exactly one file per commune.
      const [arts] = await sql<{ n: string; d: string }>(em2, `select count(*)::text as n, count(distinct i.key)::text as d from artefact a join report_batch_item i on i.artefact_id = a.id where i.batch_id = ?`, [id]);
      expect(Number(arts.n)).toBe(communes);
      const [all] = await sql<{ n: string }>(em2, `select count(*)::text as n from artefact where kind = ?`, [REPORT]);
      expect(Number(all.n)).toBe(communes);
      const entries = await zipEntries(app.url!, nec, b.zipArtefactId!, config.dataDir);
      expect(entries).toHaveLength(communes);
      expect(new Set(entries).size).toBe(communes);

      // A crash between "document stored" and "item marked": the run re-executes after a restart and finds its
      // artefact (same id), so the count of documents does not change.
      const [one] = await sql<{ key: string; run_id: string }>(em2, `select key, run_id from report_batch_item where batch_id = ? order by position limit 1`, [id]);
      await exec(em2, `update report_batch_item set status = 'queued' where batch_id = ? and key = ?`, [id, one.key]);
      await exec(em2, `update report_batch set status = 'running', done = done - 1 where id = ?`, [id]);
      await exec(em2, `update job_run set status = 'running' where id = ?`, [one.run_id]);
      await app.stop();
      app = await boot(config);
      const b2 = await settled(app.url!, nec, id);
      expect(b2).toMatchObject({ status: 'succeeded', done: communes });
      const [all2] = await sql<{ n: string }>(app.orm.em.fork(), `select count(*)::text as n from artefact where kind = ?`, [REPORT]);
      expect(Number(all2.n)).toBe(communes);
    } finally {
      await app.stop();
      await dropSchema(config.databaseSchema);
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    }
  }, 400_000);
});
