// Rules 24–31 through the aggregated path (issue 7 points 2, 3, 6): accepted minutes → aggregates → determination
// → pages and actions. Re-vote accepted below 50 % and never twice (rules 26, 30), a tie with identical birth dates
// decided by the competent body (rule 28), an additional election among first-round non-winners only and never
// twice (rule 29), province finalisation blocked while a unit is pending (rule 31), the round date window, the
// public page switched on by the NEC only, scoping by role, and one audit event per action.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { createElection, clientAs } from '../helpers/structure.js';
import { TestClient } from '../helpers/client.js';
import { seedResultsStructure, acceptMinutes, type SeedUnit } from '../helpers/results.js';
import { sql, exec } from '../../core/persistence/db.js';
import { applyMinutes } from '../../core/elections/results/aggregation.js';
import { unitOutcomes } from '../../core/elections/results/results.service.js';

let app: TestApp;
let em: EntityManager;
let electionId: string;
let units: SeedUnit[];
let naA: SeedUnit, naB: SeedUnit, cc: SeedUnit;
let nec: TestClient;
const E = '2026-03-15';

async function accept(u: SeedUnit, area: number, voters: number, voted: number, valid: number, votes: number[], round = 'first') {
  const r = await acceptMinutes(em, electionId, {
    areaId: u.areas[area], unitId: u.id, contest: u.contest, round,
    counts: { voters_total: voters, voters_voted: voted, ballots_valid: valid, ballots_invalid: voted - valid },
    votes: Object.fromEntries(votes.map((v, i) => [u.candidates[i].id, v])),
  });
  await applyMinutes(em, electionId, r.minutesId);
}
const outcome = async (u: SeedUnit) => (await unitOutcomes(em, electionId, (id) => app.plugins.contestType(id), { unitIds: [u.id] }))[0];
const audits = async (action: string, result = 'success') =>
  (await sql<{ n: number }>(em, `select count(*)::int as n from audit_event where action = ? and result = ?`, [action, result]))[0].n;

beforeAll(async () => {
  app = await startTestApp('results_rules', { LOG_LEVEL: process.env.RESULTS_LOG ?? 'silent' });
  em = app.orm.em.fork();
  electionId = await createElection(app, { day: E });
  units = await seedResultsStructure(em, electionId, {
    provinces: [{ communes: [{ areas: 2 }, { areas: 2 }] }, { communes: [{ areas: 1 }] }],
    naUnitsPerProvince: 2, seats: (c) => (c === 'national-assembly' ? 2 : 3),
  });
  [naA, naB] = units.filter((u) => u.contest === 'national-assembly' && u.province === 'R01');
  cc = units.find((u) => u.contest === 'commune-council' && u.province === 'R01')!;
  nec = await clientAs(app, 'nec-official', 'nation', 'VN');
}, 90_000);
afterAll(async () => app?.close());

describe('results rules through the aggregated path', () => {
  it('rule 26: turnout exactly 50 % → re-vote required; rule 31: the province cannot be finalised', async () => {
    await accept(naA, 0, 500, 250, 240, [200, 150, 30, 10]);
    await accept(naA, 1, 500, 250, 240, [200, 150, 30, 10]);
    const o = await outcome(naA);
    expect(o.status).toBe('revote-required');
    expect(o.elected).toEqual([]);
    const html = await nec.text(`/elections/${electionId}/results/unit/${naA.id}`);
    expect(html).toContain('Phải bầu cử lại');
    expect(html).toContain('không quá một nửa');
    const res = await nec.post(`/elections/${electionId}/results/province/R01/finalise`, { contest: 'national-assembly' });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('Điều 31');
    expect(await audits('core.results.province.finalise', 'rejected')).toBe(1);
  });

  it('rules 30 and 29: a re-vote date must fall within the window; the re-vote is accepted below 50 % and never repeated', async () => {
    const late = await nec.post(`/elections/${electionId}/results/unit/${naA.id}/rounds`, { round: 'revote', votingDate: '2026-03-31' });
    expect(late.status).toBe(400);
    expect(await late.text()).toContain('2026-03-30');
    const okRes = await nec.post(`/elections/${electionId}/results/unit/${naA.id}/rounds`, { round: 'revote', votingDate: '2026-03-22' });
    expect(okRes.status).toBe(303);
    expect(await audits('core.results.round.create')).toBe(1);
    // Re-vote turnout 40 %: accepted anyway (rule 30).
    await accept(naA, 0, 500, 200, 200, [150, 130, 50, 20], 'revote');
    await accept(naA, 1, 500, 200, 200, [150, 130, 50, 20], 'revote');
    const o = await outcome(naA);
    expect(o.status).toBe('complete');
    expect(o.elected.sort()).toEqual([naA.candidates[0].id, naA.candidates[1].id].sort());
    const html = await nec.text(`/elections/${electionId}/results/unit/${naA.id}`);
    expect(html).toContain('75,00%'); // rule 24: 300 / 400, two decimals
    expect(html).toContain('không bầu cử lại lần thứ hai');
    const again = await nec.post(`/elections/${electionId}/results/unit/${naA.id}/rounds`, { round: 'revote', votingDate: '2026-03-25' });
    expect(again.status).toBe(409);
    expect(await audits('core.results.round.create')).toBe(1);
  });

  it('rule 28: a tie at the last seat with identical birth dates waits for a decision, which then fills the seat', async () => {
    await exec(em, `update candidate set date_of_birth = '1970-05-19' where id in (?, ?)`, [naB.candidates[1].id, naB.candidates[2].id]);
    await accept(naB, 0, 1000, 800, 800, [750, 500, 500, 50]);
    await accept(naB, 1, 1000, 800, 800, [750, 500, 500, 50]);
    let o = await outcome(naB);
    expect(o.status).toBe('tie-needs-decision');
    expect(o.elected).toEqual([naB.candidates[0].id]);
    const wrong = await nec.post(`/elections/${electionId}/results/unit/${naB.id}/decision`, { round: 'first', elected: naB.candidates[3].id, reference: 'QĐ 1/HĐBCQG' });
    expect(wrong.status).toBe(400);
    const res = await nec.post(`/elections/${electionId}/results/unit/${naB.id}/decision`, { round: 'first', elected: naB.candidates[1].id, reference: 'QĐ 12/HĐBCQG ngày 20/3/2026' });
    expect(res.status).toBe(303);
    o = await outcome(naB);
    expect(o.status).toBe('complete');
    expect(o.elected.sort()).toEqual([naB.candidates[0].id, naB.candidates[1].id].sort());
  });

  it('rule 31: once no unit is pending the province finalises, once', async () => {
    const res = await nec.post(`/elections/${electionId}/results/province/R01/finalise`, { contest: 'national-assembly' });
    expect(res.status).toBe(303);
    expect(await audits('core.results.province.finalise')).toBe(1);
    expect((await nec.post(`/elections/${electionId}/results/province/R01/finalise`, { contest: 'national-assembly' })).status).toBe(409);
    expect(await nec.text(`/elections/${electionId}/results/province/R01?contest=national-assembly`)).toContain('đã chốt');
  });

  it('rule 29: fewer than 2/3 of council seats → additional election among first-round non-winners only, never twice', async () => {
    // Valid 1,000: 600 (60 %) elected; 500 is exactly 50 % and fails (rule 27).
    await accept(cc, 0, 600, 500, 500, [300, 250, 100, 50, 20]);
    await accept(cc, 1, 600, 500, 500, [300, 250, 100, 50, 20]);
    const o = await outcome(cc);
    expect(o.status).toBe('additional-election-required');
    expect(o.elected).toEqual([cc.candidates[0].id]);
    const commune = await clientAs(app, 'commune-official', 'commune', cc.commune!);
    const bad = await commune.post(`/elections/${electionId}/results/unit/${cc.id}/rounds`, { round: 'additional', votingDate: '2026-03-29', pool: cc.candidates[0].id });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('đã trúng cử');
    const good = await commune.post(`/elections/${electionId}/results/unit/${cc.id}/rounds`, { round: 'additional', votingDate: '2026-03-29', pool: cc.candidates[1].id });
    expect(good.status).toBe(303);
    const [round] = await sql<{ seats: number; pool: string[] }>(em, `select seats, pool from results_round where unit_id = ? and round = 'additional'`, [cc.id]);
    expect(round).toEqual({ seats: 2, pool: [cc.candidates[1].id] });
    await accept(cc, 0, 600, 400, 400, [0, 300, 0, 0, 0], 'additional');
    await accept(cc, 1, 600, 400, 400, [0, 300, 0, 0, 0], 'additional');
    const after = await outcome(cc);
    expect(after.elected.sort()).toEqual([cc.candidates[0].id, cc.candidates[1].id].sort());
    expect(after.status).toBe('seats-unfilled');
    expect((await commune.post(`/elections/${electionId}/results/unit/${cc.id}/rounds`, { round: 'additional', votingDate: '2026-03-29', pool: cc.candidates[2].id })).status).toBe(409);
  });

  it('pages are scoped by role; observers read but do not act', async () => {
    const other = await clientAs(app, 'province-official', 'province', 'R02');
    expect((await other.get(`/elections/${electionId}/results/unit/${naA.id}`)).status).toBe(403);
    const overview = await other.get(`/elections/${electionId}/results`);
    expect(overview.status).toBe(303);
    expect(overview.headers.get('location')).toBe(`/elections/${electionId}/results/province/R02`);
    const observer = await clientAs(app, 'observer', 'nation', 'VN');
    expect((await observer.get(`/elections/${electionId}/results?contest=national-assembly`)).status).toBe(200);
    expect((await observer.get(`/elections/${electionId}/results/elected?contest=national-assembly`)).status).toBe(200);
    expect((await observer.post(`/elections/${electionId}/results/unit/${naA.id}/rounds`, { round: 'additional', votingDate: '2026-03-29' })).status).toBe(403);
    const elected = await nec.text(`/elections/${electionId}/results/elected?contest=national-assembly&q=${encodeURIComponent('nguyen van a')}`);
    expect(elected).toContain(naA.candidates[0].name);
    const pending = await nec.text(`/elections/${electionId}/results/pending?contest=commune-council`);
    expect(pending).not.toContain('/results/unit/' + cc.id); // seats-unfilled after the additional election: nothing pending
  });

  it('the public page opens only when the NEC switches it on, and shows no personal data beyond name and date of birth', async () => {
    const anon = new TestClient(app.url);
    expect((await anon.get(`/public/elections/${electionId}/results`)).status).toBe(404);
    const province = await clientAs(app, 'province-official', 'province', 'R01');
    expect((await province.post(`/elections/${electionId}/results/settings`, { public: 'on', roundWindowDays: '15' })).status).toBe(403);
    expect((await nec.post(`/elections/${electionId}/results/settings`, { public: 'on', roundWindowDays: '15' })).status).toBe(303);
    const res = await anon.get(`/public/elections/${electionId}/results`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(naA.candidates[0].name);
    expect(html).not.toMatch(/Kinh|id_number|hometown/);
  });
});
