// The published 2021 NA candidate list (na15_2021_candidates.csv, 868 rows, read from REFERENCE_DATA_DIR) through the
// product import path with the 'na15-2021' column mapping, into a test election whose 184 NA units are made from
// na15_2021_electoral_units.csv. The 2021 provinces (63) are not in the 2025 tree, so those units belong to the nation
// (parent 'VN') and carry the published 2021 province as their label; rows are matched on province + unit number
// (docs/candidate-lists.md). Checks: 868 rows import cleanly, a re-import changes nothing, finalising every list gives
// the published ballot order in ≥ 180 of 184 units (only Thái Bình/3 differs, docs/collation.md), and the structure
// statistics read back from the database equal the golden figures of docs/candidates.md.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, waitFor, REFERENCE_DATA_DIR, type TestApp } from '../helpers/test-app.js';
import { TestClient, createUser } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import { placeKey } from '../../core/elections/candidates/import-format.js';

let app: TestApp;
const em = () => app.orm.em.fork();
let electionId: string;
let nec: TestClient;
const DATA = process.env.REFERENCE_DATA_DIR ?? REFERENCE_DATA_DIR;
const FILE = path.join(DATA, 'na15_2021_candidates.csv');
const ACCEPT_JSON = { accept: 'application/json' };

interface RunJson { status: string; summary: Record<string, any>; errorCount: number; errors: { row?: number; column?: string; code: string; message: string }[] }

async function uploadCandidates(c: TestClient, election: string, o: { fileName: string; content: Buffer | string; mapping?: string; scope?: string }): Promise<{ status: number; runId?: string; body?: string }> {
  const html = await (await c.get(`/elections/${election}/candidate-lists/import`)).text();
  const token = /name="_csrf" value="([^"]*)"/.exec(html)?.[1] ?? '';
  const fd = new FormData();
  fd.set('_csrf', token);
  if (o.mapping) fd.set('mapping', o.mapping);
  if (o.scope) fd.set('scope', o.scope);
  const bytes = typeof o.content === 'string' ? Buffer.from(o.content, 'utf8') : o.content;
  fd.set('file', new Blob([new Uint8Array(bytes)]), o.fileName);
  const res = await fetch(`${c.base}/elections/${election}/candidate-lists/import?_csrf=${encodeURIComponent(token)}`, {
    method: 'POST', body: fd, redirect: 'manual', headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '), origin: c.base },
  });
  const m = /\/imports\/([0-9a-f-]{36})$/.exec(res.headers.get('location') ?? '');
  return { status: res.status, runId: m?.[1], body: m ? undefined : await res.text() };
}

async function waitRun(c: TestClient, election: string, runId: string): Promise<RunJson> {
  return waitFor(async () => {
    const res = await c.get(`/elections/${election}/candidate-lists/imports/${runId}`, ACCEPT_JSON);
    const j = (await res.json()) as RunJson;
    return ['succeeded', 'rejected', 'failed'].includes(j.status) ? j : undefined;
  }, 120_000, 200);
}

beforeAll(async () => {
  app = await startTestApp('candidates-2021');
  electionId = newId();
  await sql(em(), `insert into election (id, name, election_day, status) values (?, 'Thử: bầu cử ĐBQH khóa XV (2021)', '2021-05-23', 'official-lists')`, [electionId]);
  await sql(em(), `insert into plugin_state (election_id, plugin_id, enabled) values (?, 'national-assembly', true)`, [electionId]);
  // The 184 units of 2021 as published: nation-level (no 2025 province), labelled by their 2021 province.
  const units = parse(fs.readFileSync(path.join(DATA, 'na15_2021_electoral_units.csv')), { columns: true }) as Record<string, string>[];
  for (const u of units) {
    await sql(em(), `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name, description) values (?, ?, 'national-assembly', 'province', 'VN', ?, ?, ?, ?)`,
      [newId(), electionId, Number(u.unit_id_national), Number(u.seats), `Đơn vị bầu cử số ${u.unit_number}`, u.province]);
  }
  const user = await createUser(em(), { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
  nec = new TestClient(app.url);
  await nec.login(user, em());
}, 120_000);

afterAll(async () => {
  await app?.close();
});

describe('the 2021 NA candidate list through the import (mapping na15-2021)', () => {
  it('868 rows import cleanly onto the 184 units; a second import of the same file changes nothing', async () => {
    const content = fs.readFileSync(FILE);
    const up = await uploadCandidates(nec, electionId, { fileName: 'na15_2021_candidates.csv', content, mapping: 'na15-2021' });
    expect(up.status, up.body).toBe(303);
    const run = await waitRun(nec, electionId, up.runId!);
    expect(run.status, JSON.stringify([run.summary, run.errors.slice(0, 5)])).toBe('succeeded');
    expect(run.summary).toMatchObject({ rows: 868, added: 868, changed: 0 });
    const [{ n, units }] = await sql<{ n: number; units: number }>(em(), `select count(*)::int as n, count(distinct unit_id)::int as units from candidate where election_id = ? and status = 'qualified'`, [electionId]);
    expect(n).toBe(868);
    expect(units).toBe(184);
    const again = await waitRun(nec, electionId, (await uploadCandidates(nec, electionId, { fileName: 'na15_2021_candidates.csv', content, mapping: 'na15-2021' })).runId!);
    expect(again.status).toBe('succeeded');
    expect(again.summary).toMatchObject({ added: 0, changed: 0, unchanged: 868, noChanges: true });
  });

  it('rule 17 and the ballot order: every 2021 list meets the surplus; the computed order matches the published one in 183 of 184 units (Thái Bình/3 differs)', async () => {
    const r = await nec.post(`/elections/${electionId}/candidate-lists/finalise`, { contest: 'national-assembly', place: 'VN' }, { headers: ACCEPT_JSON });
    const body = await r.json() as { units: number; candidates: number };
    expect(r.status, JSON.stringify(body).slice(0, 500)).toBe(200);
    expect(body).toMatchObject({ units: 184, candidates: 868 });
    const rows = await sql<{ label: string; name: string; ballot_order: number; published: number }>(em(),
      `select u.description as label, u.name, c.ballot_order, (c.details->>'publishedBallotOrder')::int as published
         from candidate c join electoral_unit u on u.id = c.unit_id where c.election_id = ? and c.status = 'official'`, [electionId]);
    const byUnit = new Map<string, boolean>();
    for (const x of rows) {
      const k = `${placeKey(x.label)}/${/(\d+)$/.exec(x.name)![1]}`;
      byUnit.set(k, (byUnit.get(k) ?? true) && x.ballot_order === x.published);
    }
    const differing = [...byUnit.entries()].filter(([, same]) => !same).map(([k]) => k);
    expect(byUnit.size).toBe(184);
    expect(byUnit.size - differing.length).toBeGreaterThanOrEqual(180);
    expect(differing).toEqual(['thai binh/3']);
  });

  it('structure statistics of the imported official lists, from the database, equal the golden 2021 figures (docs/candidates.md)', async () => {
    const res = await nec.get(`/elections/${electionId}/candidate-statistics?contest=national-assembly&place=VN&round=official`, ACCEPT_JSON);
    expect(res.status).toBe(200);
    const j = await res.json() as { stats: any; targets: { id: string; percent: number; met: boolean }[]; groups: { key: string; total: number }[] };
    expect(j.stats.total).toBe(868);
    expect(j.stats.women).toMatchObject({ count: 393, percent: 45.28 });
    expect(j.stats.ethnicMinority).toMatchObject({ count: 185, percent: 21.31 });
    expect(j.stats.nonParty).toMatchObject({ count: 74, percent: 8.53 });
    expect(j.stats.under40).toMatchObject({ count: 221, percent: 25.46 });
    expect(j.stats.religious).toMatchObject({ count: 22, percent: 2.53, unknown: 1 });
    expect(j.stats.deputyHistory.incumbent).toMatchObject({ count: 205, percent: 23.62 });
    expect(j.stats.deputyHistory.formerDeputy.count).toBe(9);
    expect(j.stats.deputyHistory.firstTime).toMatchObject({ count: 654, percent: 75.34 });
    expect(j.stats.education.postgraduate.count).toBe(554);
    expect(j.stats.education.university.count).toBe(303);
    expect(j.stats.education.below.count).toBe(1);
    expect([j.stats.age.under40.count, j.stats.age['40to50'].count, j.stats.age['50to60'].count, j.stats.age['60to65'].count, j.stats.age.over65.count, j.stats.age.unknown.count])
      .toEqual([221, 365, 236, 36, 10, 0]);
    expect(j.stats.education.unknown).toMatchObject({ count: 10, percent: 1.15 });
    // The 2021 file does not say who nominated: self-nominated / central / local are unknown, never guessed.
    expect(j.stats.selfNominated).toMatchObject({ count: 0, unknown: 868 });
    expect(j.targets.map((t) => [t.id, t.percent, t.met])).toEqual([['women', 45.28, true], ['ethnic-minority', 21.31, true]]);
    expect(j.groups).toHaveLength(63);
    expect(j.groups.reduce((a, g) => a + g.total, 0)).toBe(868);
    // The statistics page renders the same figures.
    const html = await (await nec.get(`/elections/${electionId}/candidate-statistics?contest=national-assembly&place=VN&round=official`)).text();
    expect(html).toContain('45,28');
    expect(html).toContain('21,31');
  });
});
