// Count minutes entry through HTTP on the real app (issue 6): every rule of the catalogue (core and the NA plugin's)
// reached through the submission path; rules 21, 22, 24, 25 and 34 by number; more than 25 kinds of bad input, each
// refused with a Vietnamese message naming the field and nothing written; drafts; the phase gate; scope; the round
// trips a submission costs.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { CONTEST, buildWorld, entriesPath, expectVietnamese, goodMinutes, insertArea, postJson, signed, submit, tableCounts, type Signed, type World } from '../helpers/count-minutes.js';
import { statementsSent } from '../helpers/statements.js';
import { sql } from '../../core/persistence/db.js';
import { MEMO, recalledFrom } from '../../core/persistence/em-memo.js';
import { areaContext } from '../../core/elections/count-minutes/service.js';
import { areaAncestors } from '../../core/elections/structure/scope.js';
import { TOKENS } from '../../core/kernel/tokens.js';
import type { PluginStateService } from '../../core/plugin-host/plugin-state.service.js';
import { CORE_RULES } from '../../core/elections/count-minutes/rules.js';
import { INSTALLED_PLUGINS } from '../../core/kernel/plugins.js';
import { PluginRegistry } from '../../core/plugin-host/registry.js';

let app: TestApp;
let w: World;
let typist: Signed;
let communeOfficial: Signed;
let otherCommune: Signed;
let areaN = 0;
const em = () => app.orm.em.fork();
const newArea = async (voters = 1000) => insertArea(em(), w, w.commune, ++areaN, w.unitId, voters);

beforeAll(async () => {
  app = await startTestApp('count_minutes_entry');
  w = await buildWorld(app);
  typist = await signed(app, 'commune-official', 'commune', w.commune);
  communeOfficial = await signed(app, 'commune-official', 'commune', w.commune);
  otherCommune = await signed(app, 'commune-official', 'commune', w.otherCommune);
});

afterAll(async () => {
  await app?.close();
});

const votesOf = (xs: number[]) => xs.map((votes, i) => ({ candidateId: w.candidates[i], votes }));

/** Submits `minutes` for a fresh area; returns the refusal's codes (details) and the response. */
async function codesFor(minutes: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const area = await newArea();
  const r = await submit(typist, w, area, minutes, extra);
  const details = (r.body?.error?.details ?? []) as { code: string; field: string; message: string }[];
  return { r, codes: details.map((d) => d.code), details };
}

describe('the rule catalogue through the submission path (each rule reachable)', () => {
  // One input per rule that breaks exactly that rule (and possibly others), with the code expected in the refusal.
  const cases: Record<string, () => Record<string, unknown>> = {
    F101: () => goodMinutes(w, { ballotsValid: 1.5 }),
    F102: () => goodMinutes(w, { piles: { 4: 10 } }),
    F103: () => goodMinutes(w, { complaints: { received: 1, resolved: 1, forwarded: 1 } }),
    W101: () => goodMinutes(w, { complaints: { received: 2, resolved: 1, forwarded: 0 } }),
    F201: () => goodMinutes(w, { votersTotal: 800 }),
    F202: () => goodMinutes(w, { ballotsInvalid: 21 }),
    F203: () => goodMinutes(w, { ballotsIssued: 899, votersVoted: 899 }),
    F204: () => goodMinutes(w, { votes: votesOf([881, 450, 400, 380, 370]) }),
    F205: () => goodMinutes(w, { votes: votesOf([100, 100, 100, 100, 100]) }),
    F206: () => goodMinutes(w, { votes: votesOf([880, 880, 880, 1, 0]) }),
    F207: () => goodMinutes(w, { piles: { 1: 100, 2: 100, 3: 100 } }),
    F208: () => goodMinutes(w, { piles: { 1: 0, 2: 880, 3: 0 } }),
    F209: () => goodMinutes(w, { votes: [...votesOf([500, 450, 400, 380, 370]), { candidateId: w.foreignCandidate, votes: 0 }] }),
    F210: () => goodMinutes(w, { votes: votesOf([500, 450, 400, 380]) }),
    W201: () => goodMinutes(w, { votersVoted: 901, votersTotal: 1000 }),
    W202: () => goodMinutes(w, { ballotsIssued: 905 }),
    W204: () => goodMinutes(w, { ballotsValid: 800, ballotsInvalid: 100, votes: votesOf([500, 450, 400, 380, 370]) }),
    'QH-W01': () => goodMinutes(w, { votersTotal: 1800 }),
    F211: () => goodMinutes(w, { ballotsFromBoard: 1000, ballotsUnused: 95, ballotsSpoiled: 4 }),
  };

  it('every rule of the catalogue has a case here', () => {
    const registry = PluginRegistry.build(INSTALLED_PLUGINS, { coreRules: CORE_RULES });
    const codes = registry.rules(CONTEST).map((r) => r.code);
    // F104 needs the 'required' ballot-inventory setting: count-minutes.inventory.test.ts (rule 23).
    expect(codes.filter((c) => !(c in cases) && c !== 'W203' && c !== 'F104')).toEqual([]);
  });

  for (const code of Object.keys(cases)) {
    it(`${code}: refused through the service with the code, a Vietnamese message and nothing written`, async () => {
      const before = await tableCounts(app);
      const { r, codes, details } = await codesFor(cases[code]());
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      if (code === 'F101') return; // see the bad-input table (F101 is the parser's per-field check)
      expect(codes).toContain(code);
      expectVietnamese(details.find((d) => d.code === code)!.message);
      expect(await tableCounts(app)).toEqual(before);
    });
  }

  it('F101: a count that is not a whole number from 0 never reaches the catalogue: the parser names the field', async () => {
    const { r, details } = await codesFor(goodMinutes(w, { ballotsValid: 1.5 }));
    expect(r.status).toBe(400);
    expect(details[0].field).toBe('ballotsValid');
    expect(details[0].message).toContain('Số phiếu hợp lệ');
  });

  it('rule 34 / W203: fewer voters in the minutes than at the last turnout report is a warning', async () => {
    const area = await newArea();
    await sql(em(), `insert into turnout_report (election_id, polling_area_id, contest, slot, voted, reported_by) values (?, ?, ?, 'close', 950, 'test')`, [w.electionId, area, CONTEST]);
    const r = await submit(typist, w, area, goodMinutes(w));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('WARNINGS_UNCONFIRMED');
    expect(r.body.error.details.map((d: { code: string }) => d.code)).toContain('W203');
    const ok = await submit(typist, w, area, goodMinutes(w), { confirmedWarnings: ['W203'], note: 'Một số cử tri bỏ phiếu ở khu vực khác theo giấy chứng nhận' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });
});

describe('rules 21, 22, 24, 25 by number', () => {
  it('rule 25: every field of the minutes is required on submission (missing voters-voted named)', async () => {
    const m = goodMinutes(w);
    delete m.votersVoted;
    const { r, details } = await codesFor(m);
    expect(r.status).toBe(400);
    expect(details.map((d) => [d.field, d.code])).toEqual([['votersVoted', 'MISSING']]);
    expect(details[0].message).toContain('Số lượng cử tri đã tham gia bỏ phiếu');
  });

  it('rule 22: valid + invalid = received, off by one in each direction', async () => {
    for (const invalid of [19, 21]) {
      const { r, codes } = await codesFor(goodMinutes(w, { ballotsInvalid: invalid }));
      expect(r.status).toBe(400);
      expect(codes).toContain('F202');
    }
  });

  it('rule 22: Σ votes between valid and seats × valid, off by one each way', async () => {
    // valid 880, seats 3: Σ 879 refused (F205), 880 accepted, 2640 accepted, 2641 refused (F206).
    expect((await codesFor(goodMinutes(w, { votes: votesOf([879, 0, 0, 0, 0]) }))).codes).toContain('F205');
    expect((await codesFor(goodMinutes(w, { votes: votesOf([880, 880, 880, 1, 0]) }))).codes).toContain('F206');
    expect((await submit(typist, w, await newArea(), goodMinutes(w, { votes: votesOf([880, 0, 0, 0, 0]) }))).status).toBe(201);
    expect((await submit(typist, w, await newArea(), goodMinutes(w, { votes: votesOf([880, 880, 880, 0, 0]) }))).status).toBe(201);
  });

  it('rule 21: a pile of ballots leaving more names than seats is refused (F102); piles that add up are accepted', async () => {
    expect((await codesFor(goodMinutes(w, { piles: { 1: 0, 2: 0, 3: 0, 4: 1 } }))).codes).toContain('F102');
    // 880 valid ballots: 200 × 1 + 360 × 2 + 320 × 3 = 200 + 720 + 960 = 1880 names.
    const r = await submit(typist, w, await newArea(), goodMinutes(w, { votes: votesOf([500, 450, 400, 300, 230]), piles: { 1: 200, 2: 360, 3: 320 } }));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  });

  it('rule 21: an invalid share above the contest threshold is a warning needing a note, then accepted', async () => {
    const area = await newArea();
    const m = goodMinutes(w, { ballotsValid: 800, ballotsInvalid: 100 });
    const noNote = await submit(typist, w, area, m, { confirmedWarnings: ['W204'] });
    expect(noNote.status).toBe(400);
    expect(noNote.body.error.code).toBe('WARNINGS_UNCONFIRMED');
    expect(noNote.body.error.message).toMatch(/ghi chú/);
    // The supervisor text shows the share with two decimals (rule 24): 100/900 = 11,11 %.
    expect(noNote.body.error.details[0].message).toContain('11,11');
    const ok = await submit(typist, w, area, m, { confirmedWarnings: ['W204'], note: 'Nhiều phiếu gạch hết tên' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const [v] = await sql<{ confirmed_warnings: string[]; note: string }>(em(), `select e.confirmed_warnings, e.note from count_minutes_entry e join count_minutes m on m.id = e.minutes_id where m.polling_area_id = ?`, [area]);
    expect(v.confirmed_warnings).toEqual(['W204']);
  });

  it('rule 24: the live check prints the percentages with two decimals, half-up', async () => {
    const area = await newArea();
    const q = new URLSearchParams({ votersTotal: '3', votersVoted: '2', ballotsReceived: '3', ballotsValid: '2', ballotsInvalid: '1' });
    const res = await communeOfficial.client.get(`/elections/${w.electionId}/count-minutes/areas/${area}/${CONTEST}/check?${q}`, { accept: 'application/json' });
    const j = await res.json();
    expect(j.percents.voted).toBe('66,67 %');
    expect(j.percents.invalid).toBe('33,33 %');
  });
});

describe('bad input: each refused with a clear Vietnamese message and nothing written', () => {
  const bad: [string, () => Record<string, unknown>, { status?: number; field?: string; code?: string; raw?: () => string; contentType?: string }][] = [
    ['non-integer', () => goodMinutes(w, { ballotsValid: 880.5 }), { field: 'ballotsValid', code: 'NOT_INTEGER' }],
    ['non-integer as text', () => goodMinutes(w, { ballotsValid: '880,5' }), { field: 'ballotsValid', code: 'NOT_A_NUMBER' }],
    ['negative', () => goodMinutes(w, { ballotsInvalid: -1 }), { field: 'ballotsInvalid', code: 'NEGATIVE' }],
    ['too large', () => goodMinutes(w, { votersTotal: 10_000_001 }), { field: 'votersTotal', code: 'TOO_LARGE' }],
    ['a word instead of a number', () => goodMinutes(w, { votersVoted: 'chín trăm' }), { field: 'votersVoted', code: 'NOT_A_NUMBER' }],
    ['a boolean instead of a number', () => goodMinutes(w, { ballotsIssued: true }), { field: 'ballotsIssued', code: 'NOT_A_NUMBER' }],
    ['missing field', () => { const m = goodMinutes(w); delete m.ballotsReceived; return m; }, { field: 'ballotsReceived', code: 'MISSING' }],
    ['missing candidate', () => goodMinutes(w, { votes: votesOf([500, 450, 400, 380]) }), { code: 'F210' }],
    ['candidate of another unit', () => goodMinutes(w, { votes: [...votesOf([500, 450, 400, 380, 370]), { candidateId: w.foreignCandidate, votes: 1 }] }), { code: 'F209' }],
    ['duplicate candidate', () => goodMinutes(w, { votes: [...votesOf([500, 450, 400, 380, 370]), { candidateId: w.candidates[0], votes: 500 }] }), { code: 'DUPLICATE_CANDIDATE' }],
    ['malformed candidate id', () => goodMinutes(w, { votes: [...votesOf([500, 450, 400, 380, 370]), { candidateId: 'abc', votes: 1 }] }), { code: 'BAD_CANDIDATE_ID' }],
    ['votes not a list', () => goodMinutes(w, { votes: { a: 1 } }), { field: 'votes', code: 'NOT_A_LIST' }],
    ['valid + invalid one above received', () => goodMinutes(w, { ballotsInvalid: 21 }), { code: 'F202' }],
    ['valid + invalid one below received', () => goodMinutes(w, { ballotsInvalid: 19 }), { code: 'F202' }],
    ['voted above total voters by one', () => goodMinutes(w, { votersTotal: 899 }), { code: 'F201' }],
    ['received above issued by one', () => goodMinutes(w, { ballotsIssued: 899, votersVoted: 899 }), { code: 'F203' }],
    ['candidate above valid by one', () => goodMinutes(w, { votes: votesOf([881, 450, 400, 380, 370]) }), { code: 'F204' }],
    ['Σ votes one below valid', () => goodMinutes(w, { votes: votesOf([879, 0, 0, 0, 0]) }), { code: 'F205' }],
    ['Σ votes one above seats × valid', () => goodMinutes(w, { votes: votesOf([880, 880, 880, 1, 0]) }), { code: 'F206' }],
    ['piles off by one', () => goodMinutes(w, { piles: { 1: 200, 2: 360, 3: 321 } }), { code: 'F207' }],
    ['pile key not a number of names', () => goodMinutes(w, { piles: { x: 1 } }), { code: 'BAD_PILE' }],
    ['complaints resolved + forwarded above received', () => goodMinutes(w, { complaints: { received: 0, resolved: 1, forwarded: 0 } }), { code: 'F103' }],
    ['unknown field', () => goodMinutes(w, { ballotsSpoilt: 3 }), { field: 'ballotsSpoilt', code: 'UNKNOWN_FIELD' }],
    ['unknown field inside complaints', () => goodMinutes(w, { complaints: { received: 0, resolved: 0, forwarded: 0, pending: 1 } }), { code: 'UNKNOWN_FIELD' }],
    ['warning not confirmed', () => goodMinutes(w, { ballotsIssued: 905 }), { code: 'W202' }],
    ['complaint text too long', () => goodMinutes(w, { complaints: { received: 0, resolved: 0, forwarded: 0, text: 'x'.repeat(4001) } }), { code: 'TEXT_TOO_LONG' }],
    ['stale revision', () => goodMinutes(w, { rev: 3 }), { status: 409, code: 'STALE_VERSION' }],
    ['contest not held in the area', () => goodMinutes(w, { contest: 'commune-council' }), { status: 404, code: 'NOT_FOUND' }],
    ['oversized body', () => goodMinutes(w), { status: 413, raw: () => JSON.stringify({ ...goodMinutes(w), note: 'x'.repeat(1_100_000) }), code: 'PAYLOAD_TOO_LARGE' }],
    ['wrong content type', () => goodMinutes(w), { status: 415, contentType: 'text/plain', code: 'UNSUPPORTED_MEDIA_TYPE' }],
    ['malformed JSON', () => goodMinutes(w), { status: 400, raw: () => '{"votersTotal": 1000,', code: 'BAD_REQUEST' }],
  ];

  it('there are at least 25 kinds', () => expect(bad.length).toBeGreaterThanOrEqual(25));

  for (const [name, make, o] of bad) {
    it(`${name}: refused (${o.code}), Vietnamese message, nothing written`, async () => {
      const area = await newArea();
      const before = await tableCounts(app);
      const body = { pollingAreaId: area, contest: CONTEST, ...make() };
      const r = await postJson(typist, entriesPath(w), body, { raw: o.raw?.(), contentType: o.contentType });
      expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(o.status ?? 400);
      expectVietnamese(r.body.error.message);
      const details = (r.body.error.details ?? []) as { field: string; code: string; message: string }[];
      if (o.code && details.length) {
        const d = details.find((x) => x.code === o.code);
        expect(d, JSON.stringify(details)).toBeTruthy();
        expectVietnamese(d!.message);
        if (o.field) expect(d!.field).toBe(o.field);
      } else if (o.code) expect(r.body.error.code).toBe(o.code);
      expect(await tableCounts(app)).toEqual(before);
    });
  }

  it('scope: a commune official of another commune is refused (403) and nothing is written', async () => {
    const area = await newArea();
    const before = await tableCounts(app);
    const r = await submit(otherCommune, w, area, goodMinutes(w));
    expect(r.status).toBe(403);
    expect(await tableCounts(app)).toEqual(before);
  });

  it('phase gate: entry is refused while the election is not in voting/counting (FORM_CLOSED)', async () => {
    const area = await newArea();
    await sql(em(), `update election set status = 'official-lists' where id = ?`, [w.electionId]);
    try {
      const r = await submit(typist, w, area, goodMinutes(w));
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('FORM_CLOSED');
    } finally {
      await sql(em(), `update election set status = 'counting' where id = ?`, [w.electionId]);
    }
  });
});

describe('drafts and the entry form', () => {
  it('a draft may be incomplete, is saved with a revision, and the form shows it back', async () => {
    const area = await newArea();
    const d1 = await submit(typist, w, area, { votersTotal: 1000, votersVoted: 900 }, { submit: false });
    expect(d1.status, JSON.stringify(d1.body)).toBe(201);
    expect(d1.body).toMatchObject({ status: 'draft', entryStatus: 'draft', rev: 1 });
    const stale = await submit(typist, w, area, { votersTotal: 1000 }, { submit: false, rev: 0 });
    expect(stale.status).toBe(409);
    const page = await typist.client.text(`/elections/${w.electionId}/count-minutes/areas/${area}/${CONTEST}`);
    expect(page).toContain('value="900"');
    expect(page).toContain('Nguyễn Văn An');
    // Ballot order: the candidates appear as on the ballot.
    const order = ['Nguyễn Văn An', 'Trần Thị Bình', 'Lê Văn Cường', 'Phạm Thị Dung', 'Hoàng Văn Em'].map((n) => page.indexOf(n));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const done = await submit(typist, w, area, goodMinutes(w), { rev: 1 });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({ status: 'entered', entryStatus: 'submitted', rev: 2 });
  });

  it('the HTML form: a refused submission comes back as the form with the message beside the field', async () => {
    const area = await newArea();
    const form: Record<string, string> = {
      votersTotal: '1000', votersVoted: '900', ballotsIssued: '900', ballotsReceived: '900', ballotsValid: '880', ballotsInvalid: '21',
      'complaints.received': '0', 'complaints.resolved': '0', 'complaints.forwarded': '0', teamMembersPresent: '11', rev: '0', submit: '1',
    };
    [500, 450, 400, 380, 370].forEach((v, i) => (form[`votes.${w.candidates[i]}`] = String(v)));
    const res = await typist.client.post(`/elections/${w.electionId}/count-minutes/areas/${area}/${CONTEST}/entry`, form);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('Số phiếu hợp lệ (880) cộng số phiếu không hợp lệ (21) phải bằng số phiếu thu vào (900)');
    expect(html).toContain('value="21"');
    form.ballotsInvalid = '20';
    const ok = await typist.client.post(`/elections/${w.electionId}/count-minutes/areas/${area}/${CONTEST}/entry`, form);
    expect(ok.status).toBe(303);
  });
});

describe('round trips of a submission (docs/count-minutes.md "Round trips")', () => {
  it('the area context records the same place in the tree and election status the policy and the phase gate would read (em-memo)', async () => {
    const area = await newArea();
    const d = { registry: app.plugins, pluginStates: app.container.get<PluginStateService>(TOKENS.PluginStates), jobs: app.jobs };
    const withMemo = em();
    const c = await areaContext(withMemo, d, w.electionId, area, CONTEST);
    expect(c.ok).toBe(true);
    const fresh = await areaAncestors(em(), area);
    expect(fresh).toBeDefined();
    expect(await areaAncestors(withMemo, area)).toEqual(fresh);
    expect(recalledFrom(withMemo, MEMO.electionStatus(w.electionId))).toBe((await sql<{ status: string }>(em(), 'select status from election where id = ?', [w.electionId]))[0].status);
  });

  it('a first entry through the API costs four statements: session user, area context (with the minutes state), one message for the transaction (begin, check, writes, audit event, commit), audit seal', async () => {
    const area = await newArea();
    let r;
    // Background work of earlier tests (aggregation runs, job bookkeeping) is not this request's.
    const seen = await statementsSent(async () => {
      r = await submit(typist, w, area, goodMinutes(w));
    }, (text) => !/job_run|job_coalesce|results_|pg_advisory_xact_lock_shared|^prepare /.test(text));
    expect(r!.status).toBe(201);
    expect(seen, seen.map((x) => x.slice(0, 80)).join('\n')).toHaveLength(4);
    expect(seen[1]).toMatch(/count_minutes_fingerprint/);
    // The check, the entry and the audit event: deferred writes, each a statement prepared once per connection
    // (db.ts deferredExec; its PREPARE, the first time on a connection, is left out above).
    expect(seen[2]).toMatch(/^begin; execute d[0-9a-f]{20}\(.*\); execute d[0-9a-f]{20}\(.*\); execute d[0-9a-f]{20}\(.*\); commit$/);
    expect(seen[3]).toMatch(/audit_seal_pending\(\)/);
  });
});
