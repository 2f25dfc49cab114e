// Double entry, verification, corrections, scans and idempotency of the count minutes through HTTP (issue 6):
// identical entries → accepted with the aggregation run recorded; different → the coordinator's comparison and each
// resolution (keep 1, keep 2, return for re-entry of the differing fields only); the same user for both entries refused
// by the server; the second typist never receives the first entry; single entry plus verification; a correction
// approved by a second person only, with the lineage kept; scans (magic bytes, attachment, scope); the same API request
// 10× concurrently → one record, a changed body with the same key → 409.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { PNG } from 'pngjs';
import pg from 'pg';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { CONTEST, buildWorld, entriesPath, expectVietnamese, goodMinutes, insertArea, postJson, signed, submit, tableCounts, type Signed, type World } from '../helpers/count-minutes.js';
import { sql } from '../../core/persistence/db.js';
import { AGGREGATE_MINUTES_JOB } from '../../core/elections/results/aggregation-trigger.js';

let app: TestApp;
let w: World;
let single: World;
let typist1: Signed;
let typist2: Signed;
let typist3: Signed;
let coordinator: Signed;
let approver: Signed;
let stranger: Signed;
let areaN = 0;
const em = () => app.orm.em.fork();
const newArea = async (world = w) => insertArea(em(), world, world.commune, ++areaN, world.unitId);
const votesOf = (xs: number[]) => xs.map((votes, i) => ({ candidateId: w.candidates[i], votes }));
const base = () => `/elections/${w.electionId}/count-minutes`;

async function form(s: Signed, path: string, body: Record<string, string>) {
  const res = await s.client.post(path, body, { headers: { accept: 'application/json' } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function minutesOf(area: string) {
  const [m] = await sql<{ id: string; status: string; accepted_version_id: string | null; accepted_revision: number }>(em(), `select * from count_minutes where polling_area_id = ?`, [area]);
  return m;
}

beforeAll(async () => {
  app = await startTestApp('count_minutes_double');
  w = await buildWorld(app);
  single = await buildWorld(app, { mode: 'single-plus-verification' });
  typist1 = await signed(app, 'commune-official', 'commune', w.commune);
  typist2 = await signed(app, 'commune-official', 'commune', w.commune);
  typist3 = await signed(app, 'commune-official', 'commune', w.commune);
  coordinator = await signed(app, 'commune-official', 'commune', w.commune);
  approver = await signed(app, 'commune-official', 'commune', w.commune);
  stranger = await signed(app, 'commune-official', 'commune', w.otherCommune);
});

afterAll(async () => {
  await app?.close();
});

describe('double entry', () => {
  it('identical entries by two different people → accepted, one version, aggregation run recorded', async () => {
    const area = await newArea();
    const a = await submit(typist1, w, area, goodMinutes(w));
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    expect(a.body).toMatchObject({ status: 'entered', slot: 1 });
    const b = await submit(typist2, w, area, goodMinutes(w));
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    expect(b.body).toMatchObject({ status: 'accepted', slot: 2 });
    const m = await minutesOf(area);
    expect(m).toMatchObject({ status: 'accepted', accepted_revision: 1, accepted_version_id: b.body.acceptedVersionId });
    const versions = await sql<{ status: string; created_by: string; accepted_by: string }>(em(), `select status, created_by, accepted_by from count_minutes_version where minutes_id = ?`, [m.id]);
    expect(versions).toEqual([{ status: 'accepted', created_by: typist1.user.id, accepted_by: typist2.user.id }]);
    const votes = await sql<{ n: number }>(em(), `select count(*)::int as n from count_minutes_vote where version_id = ?`, [m.accepted_version_id]);
    expect(votes[0].n).toBe(5);
    // The acceptance (revision 1) reached aggregation: pending, or already applied by the election's coalesced run.
    const seen = await sql<{ revision: number }>(em(), `select revision from results_pending where minutes_id = ? union all select revision from results_applied where minutes_id = ?`, [m.id, m.id]);
    expect(seen.map((r) => r.revision)).toEqual(app.jobs.knows(AGGREGATE_MINUTES_JOB) ? [1] : []);
    // Accepted minutes are closed to entry.
    const again = await submit(typist3, w, area, goodMinutes(w));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('MINUTES_ACCEPTED');
  });

  it('the same user cannot make both entries: refused by the server (SAME_USER), nothing written', async () => {
    const area = await newArea();
    expect((await submit(typist1, w, area, goodMinutes(w))).status).toBe(201);
    const before = await tableCounts(app);
    const r = await submit(typist1, w, area, goodMinutes(w), { rev: 1 });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('SAME_USER');
    expectVietnamese(r.body.error.message);
    expect(await tableCounts(app)).toEqual(before);
    // A third person cannot slip in either once both slots are taken.
    expect((await submit(typist2, w, area, goodMinutes(w, { ballotsInvalid: 20 }))).status).toBe(201);
    expect((await submit(typist3, w, area, goodMinutes(w))).status).toBe(409);
  });

  it('the second typist never receives the first entry (page and API)', async () => {
    const area = await newArea();
    expect((await submit(typist1, w, area, goodMinutes(w, { votersTotal: 1234 }))).status).toBe(201);
    const page = await typist2.client.text(`${base()}/areas/${area}/${CONTEST}`);
    expect(page).not.toContain('1234');
    expect(page).not.toContain('value="900"');
    const api = await typist2.client.get(`/api/v1/elections/${w.electionId}/count-minutes/${area}/${CONTEST}`, { accept: 'application/json' });
    const j = await api.json();
    expect(j.yourEntry).toBeNull();
    expect(JSON.stringify(j)).not.toContain('1234');
    const check = await typist2.client.get(`${base()}/areas/${area}/${CONTEST}/check`, { accept: 'application/json' });
    expect(JSON.stringify(await check.json())).not.toContain('1234');
  });

  async function differing(): Promise<{ area: string; minutesId: string }> {
    const area = await newArea();
    expect((await submit(typist1, w, area, goodMinutes(w))).status).toBe(201);
    const b = await submit(typist2, w, area, goodMinutes(w, { votes: votesOf([500, 450, 400, 370, 380]) }));
    expect(b.body.status).toBe('differences');
    return { area, minutesId: b.body.minutesId };
  }

  it('different entries → the coordinator sees a field-by-field comparison; typists do not', async () => {
    const { minutesId } = await differing();
    const html = await coordinator.client.text(`${base()}/m/${minutesId}`);
    expect(html).toContain('So sánh hai lần nhập');
    expect(html).toContain('2 ô khác nhau');
    expect((html.match(/class="cm-differs"/g) ?? []).length).toBe(2);
    const typistView = await typist1.client.text(`${base()}/m/${minutesId}`);
    expect(typistView).not.toContain('So sánh hai lần nhập');
  });

  it('resolution: keep the first entry → accepted with entry 1 figures', async () => {
    const { minutesId } = await differing();
    const r = await form(coordinator, `${base()}/m/${minutesId}/resolve`, { decision: 'keep-1' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const [v] = await sql<{ votes: number }>(em(), `select cv.votes from count_minutes m join count_minutes_vote cv on cv.version_id = m.accepted_version_id where m.id = ? and cv.candidate_id = ?`, [minutesId, w.candidates[3]]);
    expect(v.votes).toBe(380);
  });

  it('resolution: keep the second entry → accepted with entry 2 figures', async () => {
    const { minutesId } = await differing();
    expect((await form(coordinator, `${base()}/m/${minutesId}/resolve`, { decision: 'keep-2' })).status).toBe(200);
    const [v] = await sql<{ votes: number }>(em(), `select cv.votes from count_minutes m join count_minutes_vote cv on cv.version_id = m.accepted_version_id where m.id = ? and cv.candidate_id = ?`, [minutesId, w.candidates[3]]);
    expect(v.votes).toBe(370);
  });

  it('resolution: return to one typist → only the differing fields are re-entered; a match is then accepted', async () => {
    const { area, minutesId } = await differing();
    const r = await form(coordinator, `${base()}/m/${minutesId}/resolve`, { decision: 'return-2' });
    expect(r.status).toBe(200);
    expect([...r.body.fields].sort()).toEqual([`votes.${w.candidates[3]}`, `votes.${w.candidates[4]}`].sort());
    const page = await typist2.client.text(`${base()}/areas/${area}/${CONTEST}`);
    expect(page).toContain('nhập lại 2 ô');
    // The typist sends everything, but only the two returned fields are taken (votersTotal 9999 is ignored).
    const [e] = await sql<{ rev: number }>(em(), `select rev from count_minutes_entry where minutes_id = ? and slot = 2`, [minutesId]);
    const again = await submit(typist2, w, area, goodMinutes(w, { votersTotal: 9999 }), { rev: e.rev });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.status).toBe('accepted');
    const [v] = await sql<{ voters_total: number }>(em(), `select v.voters_total from count_minutes m join count_minutes_version v on v.id = m.accepted_version_id where m.id = ?`, [minutesId]);
    expect(v.voters_total).toBe(1000);
  });

  it('the coordinator may not be one of the typists, and only differences can be resolved', async () => {
    const { minutesId } = await differing();
    const r = await form(typist1, `${base()}/m/${minutesId}/resolve`, { decision: 'keep-1' });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('RESOLVER_IS_TYPIST');
    expect((await form(coordinator, `${base()}/m/${minutesId}/resolve`, { decision: 'keep-1' })).status).toBe(200);
    expect((await form(coordinator, `${base()}/m/${minutesId}/resolve`, { decision: 'keep-1' })).status).toBe(409);
  });
});

describe('single entry plus verification (per-election setting)', () => {
  it('one entry, a second person verifies → accepted; the typist cannot verify their own entry', async () => {
    const area = await newArea(single);
    const a = await submit(typist1, single, area, goodMinutes(single));
    expect(a.body.status).toBe('entered');
    const b = await submit(typist2, single, area, goodMinutes(single));
    expect(b.status).toBe(409);
    expect(b.body.error.code).toBe('ENTRY_TAKEN');
    const self = await form(typist1, `/elections/${single.electionId}/count-minutes/m/${a.body.minutesId}/verify`, { decision: 'confirm' });
    expect(self.status).toBe(409);
    expect(self.body.error.code).toBe('SAME_USER');
    const v = await form(typist2, `/elections/${single.electionId}/count-minutes/m/${a.body.minutesId}/verify`, { decision: 'confirm' });
    expect(v.status, JSON.stringify(v.body)).toBe(200);
    expect(v.body.status).toBe('accepted');
  });
});

describe('corrections after acceptance (two-person rule) and lineage', () => {
  async function accepted(): Promise<{ area: string; minutesId: string; versionId: string }> {
    const area = await newArea();
    await submit(typist1, w, area, goodMinutes(w));
    const b = await submit(typist2, w, area, goodMinutes(w));
    return { area, minutesId: b.body.minutesId, versionId: b.body.acceptedVersionId };
  }
  const correctionForm = (basedOn: string, o: Record<string, string> = {}) => {
    const f: Record<string, string> = {
      basedOn, reason: 'Kiểm phiếu lại theo yêu cầu của Ban bầu cử', reference: 'Biên bản kiểm phiếu lại số 3/BB ngày 16/3/2026',
      votersTotal: '1000', votersVoted: '900', ballotsIssued: '900', ballotsReceived: '900', ballotsValid: '880', ballotsInvalid: '20',
      'complaints.received': '1', 'complaints.resolved': '0', 'complaints.forwarded': '1', teamMembersPresent: '11', ...o,
    };
    [500, 450, 400, 381, 369].forEach((v, i) => (f[`votes.${w.candidates[i]}`] = String(v)));
    return f;
  };

  it('rule 25: accepted versions are immutable — the proposer cannot approve a correction; a second person approves; the earlier version is kept as superseded', async () => {
    const { minutesId, versionId } = await accepted();
    const p = await form(coordinator, `${base()}/m/${minutesId}/corrections`, correctionForm(versionId));
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    expect((await minutesOf((await sql<{ polling_area_id: string }>(em(), `select polling_area_id from count_minutes where id = ?`, [minutesId]))[0].polling_area_id)).status).toBe('amending');
    const self = await form(coordinator, `${base()}/m/${minutesId}/corrections/${p.body.versionId}/decide`, { decision: 'approve' });
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('TWO_PERSON');
    expectVietnamese(self.body.error.message);
    const ok = await form(approver, `${base()}/m/${minutesId}/corrections/${p.body.versionId}/decide`, { decision: 'approve' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const vs = await sql<{ version_no: number; kind: string; status: string; reason: string | null }>(em(), `select version_no, kind, status, reason from count_minutes_version where minutes_id = ? order by version_no`, [minutesId]);
    expect(vs.map((v) => [v.version_no, v.kind, v.status])).toEqual([[1, 'original', 'superseded'], [2, 'correction', 'accepted']]);
    const [m] = await sql<{ accepted_version_id: string; accepted_revision: number }>(em(), `select * from count_minutes where id = ?`, [minutesId]);
    expect(m).toMatchObject({ accepted_version_id: p.body.versionId, accepted_revision: 2 });
    const page = await typist3.client.text(`${base()}/m/${minutesId}`);
    expect(page).toContain('Đã được thay thế');
    expect(page).toContain('Kiểm phiếu lại theo yêu cầu của Ban bầu cử');
  });

  it('a correction needs a reason and a reference, must rest on the version in force, and may be rejected', async () => {
    const { minutesId, versionId } = await accepted();
    const before = await tableCounts(app);
    const noReason = await form(coordinator, `${base()}/m/${minutesId}/corrections`, correctionForm(versionId, { reason: ' ' }));
    expect(noReason.status).toBe(400);
    expectVietnamese(noReason.body.error.message);
    const stale = await form(coordinator, `${base()}/m/${minutesId}/corrections`, correctionForm('00000000-0000-4000-8000-000000000000'));
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('STALE_VERSION');
    const bad = await form(coordinator, `${base()}/m/${minutesId}/corrections`, correctionForm(versionId, { ballotsInvalid: '21' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { code: string }) => d.code)).toContain('F202');
    expect(await tableCounts(app)).toEqual(before);
    const p = await form(coordinator, `${base()}/m/${minutesId}/corrections`, correctionForm(versionId));
    const rej = await form(approver, `${base()}/m/${minutesId}/corrections/${p.body.versionId}/decide`, { decision: 'reject', note: 'Không có căn cứ' });
    expect(rej.status).toBe(200);
    const [m] = await sql<{ status: string; accepted_version_id: string }>(em(), `select * from count_minutes where id = ?`, [minutesId]);
    expect(m).toMatchObject({ status: 'accepted', accepted_version_id: versionId });
  });

  it('every transition is audited: one success event per accepted request', async () => {
    const { minutesId } = await accepted();
    const rows = await sql<{ action: string; result: string }>(em(), `select action, result from audit_event where target_id = ? order by at`, [minutesId]);
    expect(rows.map((r) => r.action)).toEqual(['core.minutes.entry.save', 'core.minutes.entry.save']);
    expect(rows.every((r) => r.result === 'success')).toBe(true);
  });
});

describe('scans of the signed paper minutes', () => {
  const png = () => {
    const p = new PNG({ width: 4, height: 4 });
    p.data.fill(200);
    return PNG.sync.write(p);
  };
  async function upload(s: Signed, minutesId: string, versionId: string, bytes: Buffer, name: string) {
    const fd = new FormData();
    fd.set('file', new Blob([new Uint8Array(bytes)]), name);
    const res = await fetch(`${app.url}${base()}/m/${minutesId}/versions/${versionId}/scans?_csrf=${encodeURIComponent(s.csrf)}`, {
      method: 'POST', body: fd, redirect: 'manual',
      headers: { cookie: [...s.client.cookies].map(([k, v]) => `${k}=${v}`).join('; '), accept: 'application/json' },
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  it('a PNG scan is stored and served as an attachment to authorised users only; wrong magic bytes are refused', async () => {
    const area = await newArea();
    await submit(typist1, w, area, goodMinutes(w));
    const b = await submit(typist2, w, area, goodMinutes(w));
    const before = await tableCounts(app);
    const fake = await upload(typist1, b.body.minutesId, b.body.acceptedVersionId, Buffer.from('GIF89a not a png at all'), 'bien-ban.png');
    expect(fake.status).toBe(415);
    expect(fake.body.error.code).toBe('FILE_TYPE_MISMATCH');
    expectVietnamese(fake.body.error.message);
    expect(await tableCounts(app)).toEqual(before);
    const ok = await upload(typist1, b.body.minutesId, b.body.acceptedVersionId, png(), 'bien-ban.png');
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const res = await typist3.client.get(`${base()}/scans/${ok.body.scanId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(res.headers.get('content-type')).toBe('image/png');
    const denied = await stranger.client.get(`${base()}/scans/${ok.body.scanId}`, { accept: 'application/json' });
    expect(denied.status).toBe(403);
    // The to-do list no longer counts this minutes among "scans missing".
    const todo = await coordinator.client.text(`${base()}?commune=${w.commune}&filter=scans`);
    expect(todo).not.toContain(`m/${b.body.minutesId}`);
  });
});

describe('idempotency of the submission API', () => {
  it('the same request 10× concurrently creates one record; a changed body with the same key → 409', async () => {
    const area = await newArea();
    const body = { pollingAreaId: area, contest: CONTEST, ...goodMinutes(w) };
    const key = `cm-${area}`;
    const results = await Promise.all(Array.from({ length: 10 }, () => postJson(typist1, entriesPath(w), body, { key })));
    expect(results.map((r) => r.status).sort(), JSON.stringify(results.map((r) => r.body))).toEqual(Array(10).fill(201));
    expect(new Set(results.map((r) => r.body.minutesId)).size).toBe(1);
    const [n] = await sql<{ n: number }>(em(), `select count(*)::int as n from count_minutes_entry e join count_minutes m on m.id = e.minutes_id where m.polling_area_id = ?`, [area]);
    expect(n.n).toBe(1);
    const [audits] = await sql<{ n: number }>(em(), `select count(*)::int as n from audit_event where action = 'core.minutes.entry.save' and result = 'success' and target_id = ?`, [results[0].body.minutesId]);
    expect(audits.n).toBe(1);
    const changed = await postJson(typist1, entriesPath(w), { ...body, ballotsInvalid: 21 }, { key });
    expect(changed.status).toBe(409);
    expect(changed.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('the OpenAPI document lists the count-minutes operations', async () => {
    const res = await fetch(`${app.url}/api/v1/openapi.json`);
    const doc = await res.json();
    expect(Object.keys(doc.paths)).toContain('/api/v1/elections/{electionId}/count-minutes/entries');
  });
});

describe('two typists at the same moment (optimistic check, tried again on a concurrent change)', () => {
  it('both entries read the same state before either writes: the one checked second decides again and the minutes are accepted once', async () => {
    const area = await newArea();
    const [{ id: minutesId }] = await sql<{ id: string }>(em(), `insert into count_minutes (id, election_id, contest, polling_area_id, unit_id, round, status)
      values (gen_random_uuid(), ?, ?, ?, ?, 'first', 'draft') returning id`, [w.electionId, CONTEST, area, w.unitId]);
    // Another session holds the row lock: both requests read the (empty) state, then wait at their check.
    const locker = new pg.Client({ connectionString: app.config.databaseUrl });
    await locker.connect();
    try {
      await locker.query(`set search_path to "${app.config.databaseSchema}"`);
      await locker.query('begin');
      await locker.query('select id from count_minutes where id = $1 for update', [minutesId]);
      const both = Promise.all([submit(typist1, w, area, goodMinutes(w)), submit(typist2, w, area, goodMinutes(w))]);
      // Both wait at their check: one on the locker's row lock, the other queued behind it (or on the locker too).
      await waitFor(async () => (await locker.query(`with b as (select pid, pg_blocking_pids(pid) as bl from pg_stat_activity where wait_event_type = 'Lock')
        select count(*)::int as n from b where pg_backend_pid() = any(b.bl) or exists (select 1 from b b2 where b2.pid = any(b.bl) and pg_backend_pid() = any(b2.bl))`)).rows[0].n === 2);
      await locker.query('commit');
      const [a, b] = await both;
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(new Set([a.body.slot, b.body.slot])).toEqual(new Set([1, 2]));
      expect([a.body.status, b.body.status].sort()).toEqual(['accepted', 'entered']);
    } finally {
      await locker.end();
    }
    const [m] = await sql<{ status: string; accepted_revision: number }>(em(), 'select status, accepted_revision from count_minutes where id = ?', [minutesId]);
    expect(m).toEqual({ status: 'accepted', accepted_revision: 1 });
    const [{ n }] = await sql<{ n: number }>(em(), `select count(*)::int as n from count_minutes_version where minutes_id = ? and status = 'accepted'`, [minutesId]);
    expect(n).toBe(1);
    // One audit event per request (the retried attempt left none of its own).
    const [{ e }] = await sql<{ e: number }>(em(), `select count(*)::int as e from audit_event where action = 'core.minutes.entry.save' and target_id = ? and result = 'success'`, [minutesId]);
    expect(e).toBe(2);
  });

  it('ten pairs of typists racing on ten areas: every area accepted exactly once, no error', async () => {
    const areas = await Promise.all(Array.from({ length: 10 }, () => newArea()));
    const rs = await Promise.all(areas.flatMap((a) => [submit(typist1, w, a, goodMinutes(w)), submit(typist2, w, a, goodMinutes(w))]));
    expect(rs.map((r) => r.status)).toEqual(Array(20).fill(201));
    const rows = await sql<{ status: string; accepted_revision: number }>(em(), `select status, accepted_revision from count_minutes where polling_area_id = any(?::uuid[])`, [`{${areas.join(',')}}`]);
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => r.status === 'accepted' && r.accepted_revision === 1)).toBe(true);
  });
});

async function waitFor(f: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
