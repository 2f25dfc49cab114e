// Helpers for the administrative-tree tests: upload a file through the real form (multipart, with the CSRF token
// and cookie the form page hands out), wait for a job, read an import report and count units as of a date.
import { expect } from 'vitest';
import { sql } from '../../core/persistence/db.js';
import { waitFor, type TestApp } from './test-app.js';
import type { JobRunRow } from '../../core/jobs/job.service.js';
import { REFERENCE_IDS } from '../../core/admin-tree/import.service.js';
import { createTokenUser, type TokenUser } from './token-user.js';
import type { MikroORM } from '@mikro-orm/postgresql';

/** A system administrator's API token per app (importing the tree is for administrators only). */
const adminTokens = new Map<string, Promise<TokenUser>>();
export function adminHeaders(app: { url: string; orm?: MikroORM }): Promise<Record<string, string>> {
  if (!app.orm) throw new Error('admin-tree helpers need the TestApp (for its database)');
  let t = adminTokens.get(app.url);
  if (!t) {
    t = createTokenUser(app.orm.em.fork(), `tree-admin-${Math.random().toString(36).slice(2, 8)}`, 'system-admin', 'nation', 'VN');
    adminTokens.set(app.url, t);
  }
  return t.then((u) => u.headers);
}

export interface Uploaded {
  jobRunId: string;
}

/** GET the form (for the CSRF token and its cookie), then POST the file as a browser would. */
export async function uploadTreeFile(
  app: { url: string; orm?: MikroORM }, fileName: string, content: Buffer | string, effectiveDate?: string,
): Promise<Response> {
  const auth = await adminHeaders(app);
  const form = await fetch(app.url + '/tree/import', { headers: auth });
  const html = await form.text();
  const token = /name="_csrf" value="([^"]*)"/.exec(html)?.[1] ?? '';
  const cookie = (form.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
  const fd = new FormData();
  fd.set('_csrf', token);
  if (effectiveDate) fd.set('effectiveDate', effectiveDate);
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  fd.set('file', new Blob([new Uint8Array(bytes)]), fileName);
  return fetch(app.url + '/tree/import', {
    method: 'POST', body: fd, redirect: 'manual',
    headers: { ...auth, ...(cookie ? { cookie } : {}), ...(token ? { 'x-csrf-token': token } : {}), origin: app.url },
  });
}

/** Uploads and returns the job run id from the redirect to /jobs/:id. */
export async function upload(app: { url: string; orm?: MikroORM }, fileName: string, content: Buffer | string, effectiveDate?: string): Promise<string> {
  const res = await uploadTreeFile(app, fileName, content, effectiveDate);
  if (res.status !== 303) throw new Error(`upload refused: ${res.status} ${(await res.text()).slice(0, 500)}`);
  const loc = res.headers.get('location') ?? '';
  const m = /^\/jobs\/([0-9a-f-]{36})$/.exec(loc);
  expect(m, loc).toBeTruthy();
  return m![1];
}

export async function waitJob(app: TestApp, id: string, timeoutMs = 60_000): Promise<JobRunRow> {
  return waitFor(async () => {
    const j = await app.jobs.get(id);
    return j && ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
  }, timeoutMs, 50);
}

/** Waits for the automatic reference import (provinces, then the chained communes) and returns both job rows. */
export async function waitReferenceImport(app: TestApp): Promise<{ provinces: JobRunRow; communes: JobRunRow }> {
  const provinces = await waitJob(app, REFERENCE_IDS.provinces.jobRunId);
  const communes = await waitJob(app, REFERENCE_IDS.communes.jobRunId);
  return { provinces, communes };
}

export interface ReportJson {
  id: string;
  status: string;
  kind: string;
  rowsTotal: number;
  rowsOk: number;
  errorCount: number;
  summary: { noChanges?: boolean; changed?: number; ms?: number; changes?: Record<string, Record<string, number>> };
  errors: { row?: number; column?: string; code: string; message: string }[];
  warnings: { row?: number; column?: string; code: string; message: string }[];
}

export async function importReport(app: { url: string; orm?: MikroORM }, importRunId: string, lang: 'vi' | 'en' = 'vi'): Promise<ReportJson> {
  const res = await fetch(`${app.url}/tree/imports/${importRunId}?lang=${lang}`, { headers: { accept: 'application/json', ...(await adminHeaders(app)) } });
  expect(res.status).toBe(200);
  return (await res.json()) as ReportJson;
}

/** Uploads, waits for the job and returns its import report. */
export async function importFile(app: TestApp, fileName: string, content: Buffer | string, effectiveDate?: string): Promise<ReportJson> {
  const jobId = await upload(app, fileName, content, effectiveDate);
  const job = await waitJob(app, jobId);
  expect(job.status, job.error ?? '').toBe('succeeded');
  const id = (job.result as { importRunId: string }).importRunId;
  return importReport(app, id);
}

export interface Counts {
  provinces: number;
  communes: number;
  xa: number;
  phuong: number;
  dacKhu: number;
  rows: number;
}

export async function countsAt(app: TestApp, date: string): Promise<Counts> {
  const em = app.orm.em.fork();
  const rows = await sql<{ type: string; n: number }>(
    em,
    `select type, count(*)::int as n from admin_unit where valid_from <= ?::date and (valid_to is null or valid_to > ?::date) group by type`,
    [date, date],
  );
  const g = (t: string) => rows.find((r) => r.type === t)?.n ?? 0;
  const [{ n }] = await sql<{ n: number }>(em, 'select count(*)::int as n from admin_unit');
  return { provinces: g('tỉnh') + g('thành phố'), communes: g('xã') + g('phường') + g('đặc khu'), xa: g('xã'), phuong: g('phường'), dacKhu: g('đặc khu'), rows: n };
}

export async function unitAsOf(app: TestApp, code: string, date: string): Promise<{ name: string; type: string; valid_from: string; valid_to: string | null } | undefined> {
  const [u] = await sql<{ name: string; type: string; valid_from: string; valid_to: string | null }>(
    app.orm.em.fork(),
    `select name, type, valid_from::text as valid_from, valid_to::text as valid_to from admin_unit
      where code = ? and valid_from <= ?::date and (valid_to is null or valid_to > ?::date)`,
    [code, date, date],
  );
  return u;
}
