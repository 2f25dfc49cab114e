// Helpers for the structure tests: an election row with its contests enabled, a signed-in client of a scoped role,
// an import through the real upload form, and waiting for an import run.
import type { TestApp } from './test-app.js';
import { waitFor } from './test-app.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import { TestClient, createUser, type AssignmentSpec } from './client.js';

export const CONTESTS = ['national-assembly', 'provincial-council', 'commune-council'] as const;

/** Inserts an election (15 March 2026 by default) and enables its contests. */
export async function createElection(app: TestApp, o: { name?: string; day?: string; contests?: readonly string[] } = {}): Promise<string> {
  const id = newId();
  const em = app.orm.em.fork();
  await sql(em, `insert into election (id, name, election_day) values (?, ?, ?)`, [id, o.name ?? `Bầu cử thử ${id.slice(0, 8)}`, o.day ?? '2026-03-15']);
  for (const c of o.contests ?? CONTESTS) await sql(em, `insert into plugin_state (election_id, plugin_id, enabled) values (?, ?, true)`, [id, c]);
  return id;
}

/** A signed-in client with one role assignment. */
export async function clientAs(app: TestApp, role: string, scopeType: AssignmentSpec['scopeType'], scopeCode: string): Promise<TestClient> {
  const em = app.orm.em.fork();
  const u = await createUser(em, { roles: [{ role, scopeType, scopeCode }], totp: ['system-admin', 'nec-official', 'province-official'].includes(role) });
  const c = new TestClient(app.url);
  await c.login(u, em);
  return c;
}

export interface RunJson {
  id: string;
  status: string;
  summary: { changed?: number; noChanges?: boolean; changes?: Record<string, { added: number; changed: number; removed: number }>; after?: { errors: number; warnings: number; byCode: Record<string, number> } };
  errorCount: number;
  errors: { row?: number; column?: string; code: string; message: string; params?: Record<string, string | number> }[];
  warnings: { row?: number; column?: string; code: string; message: string }[];
}

/** Polls an import run's report until it is final. */
export async function waitRun(c: TestClient, electionId: string, runId: string, timeoutMs = 90_000): Promise<RunJson> {
  return waitFor(async () => {
    const res = await c.get(`/elections/${electionId}/structure/imports/${runId}`, { accept: 'application/json' });
    if (res.status !== 200) throw new Error(`report: ${res.status} ${await res.text()}`);
    const j = (await res.json()) as RunJson;
    return ['succeeded', 'rejected', 'failed'].includes(j.status) ? j : undefined;
  }, timeoutMs, 100);
}

/** Uploads a file through the import form (multipart, CSRF token in the query) and returns the run id. */
export async function uploadStructure(c: TestClient, electionId: string, o: { kind: string; contest?: string; scope?: string; fileName: string; content: Buffer | string }): Promise<{ status: number; runId?: string; body?: string }> {
  const page = await c.get(`/elections/${electionId}/structure/import`);
  const html = await page.text();
  const token = /name="_csrf" value="([^"]*)"/.exec(html)?.[1] ?? '';
  const fd = new FormData();
  fd.set('_csrf', token);
  fd.set('kind', o.kind);
  if (o.contest) fd.set('contest', o.contest);
  if (o.scope) fd.set('scope', o.scope);
  const bytes = typeof o.content === 'string' ? Buffer.from(o.content, 'utf8') : o.content;
  fd.set('file', new Blob([new Uint8Array(bytes)]), o.fileName);
  const res = await fetch(`${c.base}/elections/${electionId}/structure/import?_csrf=${encodeURIComponent(token)}`, {
    method: 'POST', body: fd, redirect: 'manual',
    headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '), origin: c.base },
  });
  const loc = res.headers.get('location') ?? '';
  const m = /\/structure\/imports\/([0-9a-f-]{36})$/.exec(loc);
  return { status: res.status, runId: m?.[1], body: m ? undefined : await res.text() };
}
