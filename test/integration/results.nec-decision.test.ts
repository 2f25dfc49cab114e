// Rule 29: an NA unit that ends with fewer winners than seats waits for the National Election Council, which records
// either "hold an additional election" (the additional round opens, dated within the configured window — by default
// its last day — among the first round's non-winners) or "do not hold" (the seats stay vacant, final); with a
// decision number, date and note, audited in the same transaction, once per unit. Only the NEC decides (the server's
// policy: core.results.nec-decide); council units follow the 2/3 rule instead. Rule 31: the province's NA minutes
// cannot be finalised while the decision (or the additional election it opened) is pending.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { createElection, clientAs } from '../helpers/structure.js';
import type { TestClient } from '../helpers/client.js';
import { seedResultsStructure, acceptMinutes, type SeedUnit } from '../helpers/results.js';
import { sql } from '../../core/persistence/db.js';
import { applyMinutes } from '../../core/elections/results/aggregation.js';
import { unitOutcomes } from '../../core/elections/results/results.service.js';

let app: TestApp;
let em: EntityManager;
let electionId: string;
let naHold: SeedUnit; // province R01
let naNot: SeedUnit; // province R02
let cc: SeedUnit;
let nec: TestClient;
let province: TestClient;
const E = '2026-03-15';
const ACTION = 'core.results.nec-decision.record';

async function accept(u: SeedUnit, votes: number[], round = 'first', voted = 900, valid = 1000) {
  for (const area of u.areas) {
    const r = await acceptMinutes(em, electionId, {
      areaId: area, unitId: u.id, contest: u.contest, round,
      counts: { voters_total: 1200, voters_voted: voted, ballots_valid: valid, ballots_invalid: voted > valid ? voted - valid : 0 },
      votes: Object.fromEntries(votes.map((v, i) => [u.candidates[i].id, v])),
    });
    await applyMinutes(em, electionId, r.minutesId);
  }
}
const outcome = async (u: SeedUnit) => (await unitOutcomes(em, electionId, (id) => app.plugins.contestType(id), { unitIds: [u.id] }))[0];
const audits = async (result: string) =>
  (await sql<{ n: number }>(em, `select count(*)::int as n from audit_event where action = ? and result = ?`, [ACTION, result]))[0].n;
const decide = (c: TestClient, u: SeedUnit, body: Record<string, string>) =>
  c.post(`/elections/${electionId}/results/unit/${u.id}/nec-decision`, body);

beforeAll(async () => {
  app = await startTestApp('results_nec_decision', { LOG_LEVEL: process.env.RESULTS_LOG ?? 'silent' });
  em = app.orm.em.fork();
  electionId = await createElection(app, { day: E });
  const units = await seedResultsStructure(em, electionId, {
    provinces: [{ communes: [{ areas: 2 }] }, { communes: [{ areas: 1 }] }],
    naUnitsPerProvince: 1, seats: (c) => (c === 'national-assembly' ? 2 : 3),
  });
  naHold = units.find((u) => u.contest === 'national-assembly' && u.province === 'R01')!;
  naNot = units.find((u) => u.contest === 'national-assembly' && u.province === 'R02')!;
  cc = units.find((u) => u.contest === 'commune-council' && u.province === 'R01')!;
  for (const u of units.filter((x) => x.contest === 'commune-council' && x.id !== cc.id)) await accept(u, [800, 700, 600, 10, 10]);
  // Valid 1,000 per area: only the first candidate clears 50 % — 1 of 2 NA seats, 1 of 3 council seats.
  await accept(naHold, [700, 400, 300, 100]);
  await accept(naNot, [650, 450, 350, 50]);
  await accept(cc, [600, 300, 200, 100, 50]);
  nec = await clientAs(app, 'nec-official', 'nation', 'VN');
  province = await clientAs(app, 'province-official', 'province', 'R01');
}, 120_000);
afterAll(async () => app?.close());

describe('rule 29: the NEC decides on an NA additional election', () => {
  it('rule 29: an NA unit short of winners awaits the NEC — on the unit page and in the pending list', async () => {
    expect((await outcome(naHold)).status).toBe('additional-election-for-nec-decision');
    expect((await outcome(naNot)).status).toBe('additional-election-for-nec-decision');
    const page = await nec.text(`/elections/${electionId}/results/unit/${naHold.id}`);
    expect(page).toContain('Quyết định của Hội đồng Bầu cử quốc gia về bầu cử thêm');
    expect(page).toContain(`action="/elections/${electionId}/results/unit/${naHold.id}/nec-decision"`);
    expect(page).toContain('value="2026-03-30"'); // default additional-election date: E + 15 (the configured window)
    const pending = await nec.text(`/elections/${electionId}/results/pending?contest=national-assembly`);
    expect(pending).toMatch(new RegExp(`data-unit="${naHold.id}"[\\s\\S]*?Chờ quyết định[\\s\\S]*?Ghi nhận quyết định`));
    // A provincial official sees that the NEC must decide, but gets no form.
    const provincePage = await province.text(`/elections/${electionId}/results/unit/${naHold.id}`);
    expect(provincePage).toContain('Đang chờ Hội đồng Bầu cử quốc gia quyết định');
    expect(provincePage).not.toContain('/nec-decision"');
  });

  it('rule 29: a provincial official is refused (403, audited as denied) and cannot open the NA additional election either', async () => {
    const res = await decide(province, naHold, { decision: 'hold', referenceNumber: '12/QĐ-UBBC', referenceDate: '2026-03-18' });
    expect(res.status).toBe(403);
    expect(await audits('denied')).toBe(1);
    const round = await province.post(`/elections/${electionId}/results/unit/${naHold.id}/rounds`, { round: 'additional', votingDate: '2026-03-29', pool: naHold.candidates[1].id });
    expect(round.status).toBe(409);
    expect(await round.text()).toContain('do Hội đồng Bầu cử quốc gia quyết định');
    expect(await sql(em, `select 1 from results_nec_decision`)).toHaveLength(0);
    expect(await sql(em, `select 1 from results_round`)).toHaveLength(0);
  });

  it('rule 31: the province\'s NA minutes cannot be finalised while the NEC decision is pending', async () => {
    for (const code of ['R01', 'R02']) {
      const res = await nec.post(`/elections/${electionId}/results/province/${code}/finalise`, { contest: 'national-assembly' });
      expect(res.status).toBe(409);
      expect(await res.text()).toContain('Điều 31');
    }
  });

  it('rule 29: a council unit cannot get an NEC decision — councils follow the 2/3 rule', async () => {
    expect((await outcome(cc)).status).toBe('additional-election-required');
    const res = await decide(nec, cc, { decision: 'hold', referenceNumber: '5/NQ-HĐBCQG', referenceDate: '2026-03-18' });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('hai phần ba');
    expect(await sql(em, `select 1 from results_nec_decision where unit_id = ?`, [cc.id])).toHaveLength(0);
  });

  it('rule 29: input is checked — a date outside the window rolls everything back', async () => {
    const late = await decide(nec, naHold, { decision: 'hold', referenceNumber: '20/NQ-HĐBCQG', referenceDate: '2026-03-18', votingDate: '2026-03-31' });
    expect(late.status).toBe(400);
    expect(await late.text()).toContain('2026-03-30');
    const badRef = await decide(nec, naHold, { decision: 'not-hold', referenceNumber: '20/NQ-HĐBCQG', referenceDate: '18/03/2026' });
    expect(badRef.status).toBe(400);
    const noNumber = await decide(nec, naHold, { decision: 'not-hold', referenceNumber: ' ', referenceDate: '2026-03-18' });
    expect(noNumber.status).toBe(400);
    expect(await sql(em, `select 1 from results_nec_decision`)).toHaveLength(0);
    expect(await sql(em, `select 1 from results_round`)).toHaveLength(0);
  });

  it('rule 29: the NEC records "hold" — the additional round opens (default date, non-winners), audited in the same transaction', async () => {
    const res = await decide(nec, naHold, { decision: 'hold', referenceNumber: '21/NQ-HĐBCQG', referenceDate: '2026-03-19', note: 'Bầu thêm 1 đại biểu' });
    expect(res.status).toBe(303);
    const [round] = await sql<{ voting_date: string; seats: number; pool: string[]; reason: string }>(em,
      `select voting_date::text as voting_date, seats, pool, reason from results_round where unit_id = ? and round = 'additional'`, [naHold.id]);
    expect(round.voting_date).toBe('2026-03-30');
    expect(round.seats).toBe(1);
    expect([...round.pool].sort()).toEqual(naHold.candidates.slice(1).map((c) => c.id).sort());
    expect(round.reason).toContain('21/NQ-HĐBCQG');
    const [d] = await sql<{ decision: string; reference_number: string; reference_date: string; note: string; decided_by: string }>(em,
      `select decision, reference_number, reference_date::text as reference_date, note, decided_by from results_nec_decision where unit_id = ?`, [naHold.id]);
    expect(d).toMatchObject({ decision: 'hold', reference_number: '21/NQ-HĐBCQG', reference_date: '2026-03-19', note: 'Bầu thêm 1 đại biểu' });
    const [a] = await sql<{ after: Record<string, unknown>; before: Record<string, unknown>; target_id: string; actor: string }>(em,
      `select after, before, target_id, actor from audit_event where action = ? and result = 'success'`, [ACTION]);
    expect(a.target_id).toBe(naHold.id);
    expect(a.actor).toBe(d.decided_by);
    expect(a.before).toMatchObject({ status: 'additional-election-for-nec-decision', seatsFilled: 1, seats: 2 });
    expect(a.after).toMatchObject({ decision: 'hold', referenceNumber: '21/NQ-HĐBCQG', referenceDate: '2026-03-19', round: 'additional', votingDate: '2026-03-30', seats: 1 });
    expect((await outcome(naHold)).status).toBe('counting');
    const page = await nec.text(`/elections/${electionId}/results/unit/${naHold.id}`);
    expect(page).toContain('Hội đồng Bầu cử quốc gia đã quyết định: Tổ chức bầu cử thêm (văn bản số 21/NQ-HĐBCQG ngày 19/03/2026)');
    expect(page).toContain('Bầu cử thêm ngày 2026-03-30');
    expect(page).not.toContain('/nec-decision"');
    // Still pending (the additional election is not counted): listed with the decision, and rule 31 still blocks.
    const pending = await nec.text(`/elections/${electionId}/results/pending?contest=national-assembly`);
    expect(pending).toMatch(new RegExp(`data-unit="${naHold.id}"[\\s\\S]*?Bầu cử thêm ngày 2026-03-30: chờ kết quả[\\s\\S]*?Tổ chức bầu cử thêm — 21/NQ-HĐBCQG, 19/03/2026`));
    expect((await nec.post(`/elections/${electionId}/results/province/R01/finalise`, { contest: 'national-assembly' })).status).toBe(409);
  });

  it('rule 29: a second decision on the same unit is refused with a clear message', async () => {
    const before = await audits('success');
    const again = await decide(nec, naHold, { decision: 'not-hold', referenceNumber: '22/NQ-HĐBCQG', referenceDate: '2026-03-20' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('Đơn vị này đã có quyết định của Hội đồng Bầu cử quốc gia (Tổ chức bầu cử thêm, văn bản số 21/NQ-HĐBCQG ngày 19/03/2026); không ghi nhận quyết định thứ hai.');
    expect(await audits('success')).toBe(before);
    expect(await audits('rejected')).toBeGreaterThanOrEqual(1);
    expect(await sql(em, `select 1 from results_nec_decision where unit_id = ?`, [naHold.id])).toHaveLength(1);
  });

  it('rule 29: the NEC records "do not hold" — seats-unfilled, final; rule 31: the province can then be finalised', async () => {
    const res = await decide(nec, naNot, { decision: 'not-hold', referenceNumber: '23/NQ-HĐBCQG', referenceDate: '2026-03-19', note: 'Để trống 1 ghế' });
    expect(res.status).toBe(303);
    const o = await outcome(naNot);
    expect(o.status).toBe('seats-unfilled');
    expect(o.elected).toEqual([naNot.candidates[0].id]);
    expect(o.necDecision).toMatchObject({ decision: 'not-hold', reference_number: '23/NQ-HĐBCQG' });
    expect(await sql(em, `select 1 from results_round where unit_id = ?`, [naNot.id])).toHaveLength(0);
    const page = await nec.text(`/elections/${electionId}/results/unit/${naNot.id}`);
    expect(page).toContain('Không tổ chức bầu cử thêm (văn bản số 23/NQ-HĐBCQG ngày 19/03/2026)');
    expect(page).toContain('Để trống 1 ghế');
    expect(page).toContain('Còn ghế trống');
    const pending = await nec.text(`/elections/${electionId}/results/pending?contest=national-assembly`);
    expect(pending).not.toContain(`data-unit="${naNot.id}"`);
    const fin = await nec.post(`/elections/${electionId}/results/province/R02/finalise`, { contest: 'national-assembly' });
    expect(fin.status).toBe(303);
  });

  it('rule 31: once the additional election the NEC decided is counted, its province can be finalised', async () => {
    // Additional round: 1 seat; valid 1,000 per area, candidate 2 with 60 %.
    await accept(naHold, [0, 600, 300, 100], 'additional');
    const o = await outcome(naHold);
    expect(o.status).toBe('complete');
    expect([...o.elected].sort()).toEqual([naHold.candidates[0].id, naHold.candidates[1].id].sort());
    const fin = await nec.post(`/elections/${electionId}/results/province/R01/finalise`, { contest: 'national-assembly' });
    expect(fin.status).toBe(303);
    expect(await audits('success')).toBe(2);
  });
});
