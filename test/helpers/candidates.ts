// Helpers for the candidate tests: an app with two provinces' tree from the reference files, an election in the
// nomination phase (candidate forms open), a valid dossier form, and creating a candidate through the real form.
import { startTestApp, type TestApp } from './test-app.js';
import { TestClient, createUser } from './client.js';
import { insertUnits, referenceUnits } from './admin-units-fixture.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import type { TreeLevel } from '../../core/plugin-api/index.js';

export const HCMC = '79';
export const HANOI = '01';
export const ELECTION_DAY = '2026-03-15';
export const JSON_ACCEPT = { headers: { accept: 'application/json' } };

export interface CandidateWorld {
  app: TestApp;
  electionId: string;
  /** Three HCMC communes (A, B, C) and one Hanoi commune, by code. */
  communes: { A: string; B: string; C: string; H: string };
}

export async function candidateWorld(name: string): Promise<CandidateWorld> {
  const app = await startTestApp(name);
  const tree = referenceUnits([HCMC, HANOI]);
  await insertUnits(app.orm.em.fork(), tree);
  const hcmc = tree.filter((u) => u.level === 'commune' && u.parent === HCMC).map((u) => u.code).sort();
  const hanoi = tree.filter((u) => u.level === 'commune' && u.parent === HANOI).map((u) => u.code).sort();
  const electionId = newId();
  const em = app.orm.em.fork();
  await sql(em, `insert into election (id, name, election_day, status) values (?, ?, ?, 'nomination')`, [electionId, `Bầu cử thử ${name}`, ELECTION_DAY]);
  for (const c of ['national-assembly', 'provincial-council', 'commune-council']) await sql(em, `insert into plugin_state (election_id, plugin_id, enabled) values (?, ?, true)`, [electionId, c]);
  return { app, electionId, communes: { A: hcmc[0], B: hcmc[1], C: hcmc[2], H: hanoi[0] } };
}

export async function signedIn(app: TestApp, role: string, scopeType: TreeLevel, scopeCode: string): Promise<TestClient> {
  const em = app.orm.em.fork();
  const u = await createUser(em, { roles: [{ role, scopeType, scopeCode }], totp: ['system-admin', 'nec-official', 'province-official'].includes(role) });
  const c = new TestClient(app.url);
  await c.login(u, em);
  return c;
}

let idSeq = 0;

/**
 * A complete, valid dossier form (commune council, locally nominated) with overrides; each call a new ID number
 * (the same ID number is the same person for rules 17 and 20).
 */
export function dossierForm(o: Record<string, string | undefined> = {}): Record<string, string> {
  const base: Record<string, string | undefined> = {
    contest: 'commune-council', nominatedBy: 'local', fullName: 'Nguyễn Thị Thử', gender: 'female', dateOfBirth: '12/05/1985',
    ethnicity: 'Kinh', religion: 'Không', nationality: 'Việt Nam', hometown: 'Xã Thử, Tỉnh Thử', permanentResidence: 'Số 1 đường Thử',
    currentResidence: 'Số 1 đường Thử', idNumber: `0791${String(Date.now() % 1e4).padStart(4, '0')}${String(++idSeq).padStart(4, '0')}`, eduGeneral: '12/12', eduProfessional: 'Cử nhân Luật', occupation: 'Công chức',
    position: 'Chuyên viên', workplace: 'Ủy ban nhân dân xã', nominatingBody: 'Ủy ban nhân dân xã', ...o,
  };
  return Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

/** Posts the create form; returns the status, the new id (from the redirect) and the JSON error when refused. */
export async function createCandidate(c: TestClient, electionId: string, form: Record<string, string>, json = false): Promise<{ status: number; id?: string; error?: { code: string; message: string; details?: { field?: string; code: string; message: string }[] } }> {
  const res = await c.post(`/elections/${electionId}/candidates`, form, json ? JSON_ACCEPT : {});
  const loc = res.headers.get('location') ?? '';
  const m = /\/candidates\/([0-9a-f-]{36})$/.exec(loc);
  if (m) return { status: res.status, id: m[1] };
  const body = await res.text();
  try {
    return { status: res.status, error: (JSON.parse(body) as { error: never }).error };
  } catch {
    return { status: res.status };
  }
}

/** A small valid PDF (header, one object, trailer, %%EOF). */
export const PDF_BYTES = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1');

/** The session's CSRF token, read from a page that carries a form. */
async function tokenOf(c: TestClient, path: string): Promise<string> {
  const html = await (await c.get(path)).text();
  return /name="_csrf" value="([^"]*)"/.exec(html)?.[1] ?? (await c.csrf());
}

/** Uploads a document through the dossier page's multipart form (CSRF token in the query, as the form does). */
export async function uploadDocument(c: TestClient, electionId: string, candidateId: string, o: { kind: string; setNo?: number; fileName: string; bytes: Buffer; json?: boolean }): Promise<Response> {
  const token = await tokenOf(c, `/elections/${electionId}/candidates/${candidateId}`);
  const fd = new FormData();
  fd.set('kind', o.kind);
  if (o.setNo) fd.set('setNo', String(o.setNo));
  fd.set('file', new Blob([new Uint8Array(o.bytes)]), o.fileName);
  return fetch(`${c.base}/elections/${electionId}/candidates/${candidateId}/documents?_csrf=${encodeURIComponent(token)}`, {
    method: 'POST', body: fd, redirect: 'manual',
    headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '), origin: c.base, ...(o.json ? { accept: 'application/json' } : {}) },
  });
}
