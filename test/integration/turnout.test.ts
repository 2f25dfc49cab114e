// Turnout progress through HTTP on the real app (PostgreSQL, Redis) with a fixed clock on election day, named by
// rule: rule 22 (voted ≤ the voters of that contest), rule 34 (cumulative over the day, checked against both
// neighbours on a correction; not before the report time), rule 11 (report times within the voting window), input
// hygiene (non-integer, negative: Vietnamese message, nothing written); scope (a team only its area, a commune only
// its own); the phase gate; live totals equal a direct fold; completeness lists exactly the missing areas with the
// leader's phone; the chart is SVG; the API batch with Idempotency-Key.
import fs from 'node:fs';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { boot, type BaucuApp } from '../../core/kernel/boot.js';
import { testConfig, dropSchema, clearQueuePrefix } from '../helpers/test-app.js';
import { TestClient, createUser } from '../helpers/client.js';
import { createTokenUser, type TokenUser } from '../helpers/token-user.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import { fixedClock } from '../../core/shared/clock.js';
import { collationKey, searchKey } from '../../core/shared/vn-text.js';
import { insertBody, insertMember } from '../../core/elections/bodies/store.js';
import { aggregate, directFold } from '../../core/elections/turnout/aggregation.js';
import { loadTurnoutElection, rebuildTotals } from '../../core/elections/turnout/store.js';
import { TURNOUT_RULES } from '../../core/elections/turnout/rules.js';
import { statementsSent } from '../helpers/statements.js';

const HCMC = '79';
const CONTESTS = ['national-assembly', 'provincial-council', 'commune-council'];
const clock = fixedClock('2026-03-15T11:30:00+07:00');
let app: BaucuApp & { url: string };
let config: ReturnType<typeof testConfig>;
const em = () => app.orm.em.fork();

let electionId: string;
let communeA: string;
let communeB: string;
const areas: Record<string, string> = {}; // A1, A2, A3, B1 → id
let team: TestClient; // team member of A1
let officialA: TestClient;
let officialB: TestClient;
let nec: TokenUser;
const LEADER_PHONE = '0912 345 678';

async function insertUnit(contest: string, level: 'province' | 'commune', parent: string): Promise<string> {
  const id = newId();
  await sql(em(), `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name) values (?, ?, ?, ?, ?, 1, 3, 'Đơn vị bầu cử số 1')`, [id, electionId, contest, level, parent]);
  return id;
}

async function insertArea(commune: string, n: number, name: string, units: Record<string, string>, votersOf: Record<string, number> = {}): Promise<string> {
  const id = newId();
  await sql(em(), `insert into polling_area (id, election_id, commune_code, number, name, search_key, sort_key, voters, kind) values (?, ?, ?, ?, ?, ?, ?, 1000, 'regular')`,
    [id, electionId, commune, n, name, searchKey(name), collationKey(name)]);
  for (const [contest, unit] of Object.entries(units)) {
    await sql(em(), `insert into polling_area_unit (polling_area_id, contest, unit_id, voters) values (?, ?, ?, ?)`, [id, contest, unit, votersOf[contest] ?? null]);
  }
  return id;
}

async function signedIn(role: string, scopeType: 'commune' | 'polling-area', scopeCode: string): Promise<TestClient> {
  const u = await createUser(em(), { roles: [{ role, scopeType, scopeCode }] });
  const c = new TestClient(app.url);
  await c.login(u, em());
  return c;
}

const JSON_ACCEPT = { headers: { accept: 'application/json' } };
async function post(c: TestClient, path: string, form: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await c.post(path, form, JSON_ACCEPT);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
const report = (c: TestClient, area: string, slot: string, figures: Record<string, string>) =>
  post(c, `/elections/${electionId}/turnout/area/${areas[area]}`, { slot, ...Object.fromEntries(Object.entries(figures).map(([k, v]) => [`v:${k}`, v])) });

async function api(user: TokenUser, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${app.url}/api/v1/elections/${electionId}/turnout`, { method: 'POST', headers: { ...user.headers, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

const reportCount = async () => (await sql<{ n: number }>(em(), `select count(*)::int as n from turnout_report where election_id = ?`, [electionId]))[0].n;
const voted = async (area: string, contest: string, slot: string) =>
  (await sql<{ voted: number; on_behalf: boolean }>(em(), `select voted, on_behalf from turnout_report where polling_area_id = ? and contest = ? and slot = ?`, [areas[area], contest, slot]))[0];
const codes = (b: any): string[] => (b?.error?.details ?? []).map((x: { code: string }) => x.code);

beforeAll(async () => {
  config = testConfig('turnout', { LOG_LEVEL: process.env.TURNOUT_TEST_LOG ?? 'silent' });
  const booted = await boot(config, { clock });
  app = { ...booted, url: booted.url! };
  const tree = referenceUnits([HCMC]);
  await insertUnits(em(), tree);
  [communeA, communeB] = tree.filter((u) => u.level === 'commune').map((u) => u.code).sort().slice(0, 2);
  electionId = newId();
  await sql(em(), `insert into election (id, name, election_day, status) values (?, 'Bầu cử thử: tiến độ đi bầu', '2026-03-15', 'voting')`, [electionId]);
  for (const c of CONTESTS) await sql(em(), `insert into plugin_state (election_id, plugin_id, enabled) values (?, ?, true)`, [electionId, c]);
  const na = await insertUnit('national-assembly', 'province', HCMC);
  const pc = await insertUnit('provincial-council', 'province', HCMC);
  const ccA = await insertUnit('commune-council', 'commune', communeA);
  const ccB = await insertUnit('commune-council', 'commune', communeB);
  // A1 has fewer commune-council voters (entitled voters differ per contest, rule 14); A3 holds only NA and province.
  areas.A1 = await insertArea(communeA, 1, 'Khu phố Bến Nghé', { 'national-assembly': na, 'provincial-council': pc, 'commune-council': ccA }, { 'commune-council': 800 });
  areas.A2 = await insertArea(communeA, 2, 'Trường Tiểu học Đinh Tiên Hoàng', { 'national-assembly': na, 'provincial-council': pc, 'commune-council': ccA });
  areas.A3 = await insertArea(communeA, 3, 'Bệnh viện Nhi Đồng', { 'national-assembly': na, 'provincial-council': pc });
  areas.B1 = await insertArea(communeB, 1, 'Nhà văn hóa khu phố 4', { 'national-assembly': na, 'provincial-council': pc, 'commune-council': ccB });
  const bodyId = await insertBody(em(), { electionId, node: { kind: 'team', areaId: areas.A1 } as never, communeCode: communeA, variant: 'civil', createdBy: 'test' });
  await insertMember(em(), bodyId, { fullName: 'Trần Thị Tổ Trưởng', role: 'leader', organisation: null, phone: LEADER_PHONE });
  team = await signedIn('team-member', 'polling-area', areas.A1);
  officialA = await signedIn('commune-official', 'commune', communeA);
  officialB = await signedIn('commune-official', 'commune', communeB);
  nec = await createTokenUser(em(), `nec-${newId().slice(0, 6)}`, 'nec-official', 'nation', 'VN');
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await dropSchema(config.databaseSchema);
  await clearQueuePrefix(config.queuePrefix);
  fs.rmSync(config.dataDir, { recursive: true, force: true });
});

describe('turnout entry rules', () => {
  it('the team reports its own area at 09:00 and 11:00 (not on behalf), one audit event per request', async () => {
    const [{ n: before }] = await sql<{ n: number }>(em(), `select count(*)::int as n from audit_event where action = 'core.turnout.report' and result = 'success'`);
    expect((await report(team, 'A1', '09:00', { 'national-assembly': '120', 'provincial-council': '118', 'commune-council': '100' })).status).toBe(200);
    expect((await report(team, 'A1', '11:00', { 'national-assembly': '400', 'provincial-council': '390', 'commune-council': '350' })).status).toBe(200);
    expect(await voted('A1', 'national-assembly', '11:00')).toEqual({ voted: 400, on_behalf: false });
    const [{ n: after }] = await sql<{ n: number }>(em(), `select count(*)::int as n from audit_event where action = 'core.turnout.report' and result = 'success'`);
    expect(after - before).toBe(2);
  });

  it('rule 22: voted above the voters of that contest is refused (TURNOUT_ABOVE_VOTERS), per contest, nothing written', async () => {
    const n0 = await reportCount();
    // 900 is fine for the NA (1,000 voters) but above A1's 800 commune-council voters: the whole submission is refused.
    const r = await report(team, 'A1', '11:00', { 'national-assembly': '900', 'commune-council': '900' });
    expect(r.status).toBe(400);
    expect(codes(r.body)).toEqual(['TURNOUT_ABOVE_VOTERS']);
    expect(r.body.error.details[0].field).toBe('v:commune-council');
    expect(r.body.error.details[0].message).toMatch(/^Số cử tri đã bỏ phiếu \(giờ 11:00\): 900 lớn hơn tổng số cử tri .*\(800\) \(quy tắc 22\)/);
    expect(await reportCount()).toBe(n0);
    expect((await voted('A1', 'national-assembly', '11:00')).voted).toBe(400);
  });

  it('non-integer and negative figures are refused with a Vietnamese message naming the field, nothing written', async () => {
    const n0 = await reportCount();
    for (const [value, code] of [['12.5', 'TURNOUT_VOTED_NOT_INTEGER'], ['abc', 'TURNOUT_VOTED_NOT_INTEGER'], ['1e3', 'TURNOUT_VOTED_NOT_INTEGER'], ['-5', 'TURNOUT_VOTED_NEGATIVE']] as const) {
      const r = await report(officialA, 'A2', '09:00', { 'national-assembly': value });
      expect(r.status, value).toBe(400);
      expect(codes(r.body), value).toEqual([code]);
      expect(r.body.error.details[0].message).toMatch(/^Số cử tri đã bỏ phiếu \(giờ 09:00\): «/);
    }
    // An unknown field is refused by the schema.
    const u = await post(officialA, `/elections/${electionId}/turnout/area/${areas.A2}`, { slot: '09:00', 'v:national-assembly': '10', hack: '1' });
    expect(u.status).toBe(400);
    expect(await reportCount()).toBe(n0);
  });

  it('rule 34: a report time that has not come yet is refused (TURNOUT_SLOT_NOT_REACHED), accepted once it has', async () => {
    const r = await report(team, 'A1', '14:00', { 'national-assembly': '500' });
    expect(r.status).toBe(400);
    expect(codes(r.body)).toEqual(['TURNOUT_SLOT_NOT_REACHED']);
    expect(r.body.error.details[0].message).toContain('14:00 ngày 15/03/2026');
    expect(await voted('A1', 'national-assembly', '14:00')).toBeUndefined();
    // A session would end on a 2½-hour jump of the clock (idle timeout): the team's machine client reports instead.
    const teamToken = await createTokenUser(em(), `team-${newId().slice(0, 6)}`, 'team-member', 'polling-area', areas.A1);
    clock.set('2026-03-15T14:05:00+07:00');
    try {
      const r2 = await api(teamToken, { reports: [{ pollingAreaId: areas.A1, contest: 'national-assembly', slot: '14:00', voted: 500 }] });
      expect(r2.status, JSON.stringify(r2.body)).toBe(200);
      expect((await voted('A1', 'national-assembly', '14:00')).on_behalf).toBe(false);
    } finally {
      clock.set('2026-03-15T11:30:00+07:00');
    }
  });

  it('rule 34: never decreasing — a later figure below the earlier one, and a correction of an earlier time checked against both neighbours', async () => {
    // A1 NA: 09:00 = 120, 11:00 = 400, 14:00 = 500.
    const below = await report(team, 'A1', '11:00', { 'national-assembly': '100' });
    expect(codes(below.body)).toEqual(['TURNOUT_BELOW_EARLIER']);
    expect(below.body.error.details[0].message).toContain('nhỏ hơn số đã báo cáo lúc 09:00 (120)');
    // Correcting 11:00 upwards past 14:00 breaks the later neighbour.
    const above = await report(team, 'A1', '11:00', { 'national-assembly': '600' });
    expect(codes(above.body)).toEqual(['TURNOUT_ABOVE_LATER']);
    expect(above.body.error.details[0].message).toContain('lớn hơn số đã báo cáo lúc 14:00 (500)');
    // Correcting 09:00 above 11:00 is refused; within both neighbours it is accepted.
    expect(codes((await report(team, 'A1', '09:00', { 'national-assembly': '450' })).body)).toEqual(['TURNOUT_ABOVE_LATER']);
    expect((await report(team, 'A1', '11:00', { 'national-assembly': '450' })).status).toBe(200);
    expect((await voted('A1', 'national-assembly', '11:00')).voted).toBe(450);
    // Both in one batch (API): 09:00 = 460 with 11:00 = 470 is judged on the corrected pair.
    const both = await api(nec, { reports: [{ pollingAreaId: areas.A1, contest: 'national-assembly', slot: '09:00', voted: 460 }, { pollingAreaId: areas.A1, contest: 'national-assembly', slot: '11:00', voted: 470 }] });
    expect(both.status, JSON.stringify(both.body)).toBe(200);
    expect(both.body.corrected).toBe(2);
  });

  it('rule 34 / 5 / input: unknown report time, a contest the area does not hold, an unknown area, a duplicate in one batch', async () => {
    const n0 = await reportCount();
    const r = await api(nec, { reports: [
      { pollingAreaId: areas.A2, contest: 'national-assembly', slot: '10:00', voted: 5 },
      { pollingAreaId: areas.A3, contest: 'commune-council', slot: '09:00', voted: 5 },
      { pollingAreaId: newId(), contest: 'national-assembly', slot: '09:00', voted: 5 },
      { pollingAreaId: areas.A2, contest: 'provincial-council', slot: '09:00', voted: 5 },
      { pollingAreaId: areas.A2, contest: 'provincial-council', slot: '09:00', voted: 6 },
      { pollingAreaId: areas.A2, contest: 'national-assembly', slot: '09:00', voted: '7' },
    ] });
    expect(r.status).toBe(400);
    expect(codes(r.body)).toEqual(['TURNOUT_SLOT_UNKNOWN', 'TURNOUT_CONTEST_NOT_HELD', 'TURNOUT_AREA_UNKNOWN', 'TURNOUT_DUPLICATE', 'TURNOUT_VOTED_NOT_INTEGER']);
    expect(r.body.error.details.map((x: { row: number }) => x.row)).toEqual([1, 2, 3, 5, 6]);
    expect(await reportCount()).toBe(n0);
  });

  it('every coded entry rule has a Vietnamese and an English message', async () => {
    const { TURNOUT_MESSAGES } = await import('../../core/elections/turnout/messages.js');
    for (const code of Object.keys(TURNOUT_RULES)) {
      expect(TURNOUT_MESSAGES.vi[`turnout.error.${code.toLowerCase()}`], code).toBeTruthy();
      expect(TURNOUT_MESSAGES.en[`turnout.error.${code.toLowerCase()}`], code).toBeTruthy();
    }
  });
});

describe('turnout scope and phase', () => {
  it('a team member cannot report another polling area (403, audited, nothing written)', async () => {
    const r = await report(team, 'A2', '09:00', { 'national-assembly': '10' });
    expect(r.status).toBe(403);
    expect(await voted('A2', 'national-assembly', '09:00')).toBeUndefined();
    const [d] = await sql(em(), `select result from audit_event where action = 'core.turnout.report' order by seq desc limit 1`);
    expect(d.result).toBe('denied');
  });

  it('a commune official reports on behalf of its own areas only, and bulk-enters only its own commune', async () => {
    expect((await report(officialA, 'A2', '09:00', { 'national-assembly': '80' })).status).toBe(200);
    expect(await voted('A2', 'national-assembly', '09:00')).toEqual({ voted: 80, on_behalf: true });
    expect((await report(officialB, 'A2', '09:00', { 'national-assembly': '90' })).status).toBe(403);
    const bulk = await post(officialB, `/elections/${electionId}/turnout/commune/${communeA}/entry`, { slot: '09:00', [`v:${areas.A3}:national-assembly`]: '10' });
    expect(bulk.status).toBe(403);
    // An area of another commune slipped into the commune's own bulk form is refused.
    const sneaky = await post(officialB, `/elections/${electionId}/turnout/commune/${communeB}/entry`, { slot: '09:00', [`v:${areas.A3}:national-assembly`]: '10' });
    expect(codes(sneaky.body)).toEqual(['TURNOUT_AREA_UNKNOWN']);
    // The API batch across two communes needs a scope above both.
    const tokB = await createTokenUser(em(), `cb-${newId().slice(0, 6)}`, 'commune-official', 'commune', communeB);
    const mixed = await api(tokB, { reports: [{ pollingAreaId: areas.B1, contest: 'national-assembly', slot: '09:00', voted: 1 }, { pollingAreaId: areas.A3, contest: 'national-assembly', slot: '09:00', voted: 1 }] });
    expect(mixed.status).toBe(403);
  });

  it('the commune bulk form saves every area of one report time at once; a bad cell refuses the page with its message', async () => {
    const good = await post(officialA, `/elections/${electionId}/turnout/commune/${communeA}/entry`, {
      slot: '11:00',
      [`v:${areas.A2}:national-assembly`]: '300', [`v:${areas.A2}:provincial-council`]: '299', [`v:${areas.A2}:commune-council`]: '',
      [`v:${areas.A3}:national-assembly`]: '250', [`v:${areas.A3}:provincial-council`]: '250',
    });
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    expect(good.body.written).toBe(4);
    const n0 = await reportCount();
    const res = await officialA.post(`/elections/${electionId}/turnout/commune/${communeA}/entry`, { slot: '11:00', [`v:${areas.A2}:national-assembly`]: '310', [`v:${areas.A3}:national-assembly`]: '5000' });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('quy tắc 22');
    expect(html).toContain('value="5000"');
    expect(await reportCount()).toBe(n0);
    expect((await voted('A2', 'national-assembly', '11:00')).voted).toBe(300);
  });

  it('turnout is open only in voting and counting (409 FORM_CLOSED, nothing written)', async () => {
    await sql(em(), `update election set status = 'official-lists' where id = ?`, [electionId]);
    try {
      const r = await report(team, 'A1', '11:00', { 'provincial-council': '395' });
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('FORM_CLOSED');
      expect((await voted('A1', 'provincial-council', '11:00')).voted).toBe(390);
    } finally {
      await sql(em(), `update election set status = 'voting' where id = ?`, [electionId]);
    }
  });
});

describe('turnout totals, completeness, chart', () => {
  it('rule 24: live totals per commune, province and nation equal a direct fold of the reports', async () => {
    await api(nec, { reports: [{ pollingAreaId: areas.B1, contest: 'national-assembly', slot: '09:00', voted: 77 }, { pollingAreaId: areas.B1, contest: 'commune-council', slot: '11:00', voted: 333 }] });
    const x = em();
    const e = (await loadTurnoutElection(x, electionId))!;
    for (const [level, code] of [['nation', 'VN'], ['province', HCMC], ['commune', communeA], ['commune', communeB]] as const) {
      const agg = await aggregate(x, e, CONTESTS, level, code);
      const fold = await directFold(x, electionId, level, code);
      for (const c of CONTESTS) for (const s of e.slots) {
        expect(agg.cells[c][s].voted, `${level} ${c} ${s}`).toBe(fold[c]?.[s]?.voted ?? 0);
        expect(agg.cells[c][s].reported, `${level} ${c} ${s}`).toBe(fold[c]?.[s]?.reported ?? 0);
      }
    }
    // Percent per rule 24: NA at 11:00 in the nation = (470 + 300 + 250) / 4,000.
    const nation = await aggregate(x, e, CONTESTS, 'nation', 'VN');
    expect(nation.cells['national-assembly']['11:00']).toMatchObject({ voted: 1020, voters: 4000, areas: 4, reported: 3, pct: 25.5, pctReported: 34 });
    expect(nation.cells['commune-council']['11:00'].voters).toBe(800 + 1000 + 1000);
    // The running totals equal a rebuild from the reports.
    const before = await sql(x, `select contest, slot, commune_code, areas_reported, voted::int, voters_reported::int from turnout_commune_total where election_id = ? order by 1, 2, 3`, [electionId]);
    await rebuildTotals(x, electionId);
    const after = await sql(x, `select contest, slot, commune_code, areas_reported, voted::int, voters_reported::int from turnout_commune_total where election_id = ? order by 1, 2, 3`, [electionId]);
    expect(after).toEqual(before);
    // The same through the JSON page.
    const res = await fetch(`${app.url}/elections/${electionId}/turnout`, { headers: { ...nec.headers, accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect((await res.json()).cells['national-assembly']['11:00'].voted).toBe(1020);
  });

  it('completeness lists exactly the areas missing a report time, with the leader phone, overdue after the grace', async () => {
    const missing = async (q: string) => {
      const res = await fetch(`${app.url}/elections/${electionId}/turnout/missing?${q}`, { headers: { ...nec.headers, accept: 'application/json' } });
      expect(res.status).toBe(200);
      return res.json();
    };
    // 11:00, any contest: A1 has all three; A2 lacks commune-council; A3 has both of its two; B1 lacks NA and province.
    const m = await missing('place=nation:VN&slot=11:00');
    expect(m.rows.map((r: { id: string }) => r.id).sort()).toEqual([areas.A2, areas.B1].sort());
    expect(m.rows.find((r: { id: string }) => r.id === areas.B1).missing).toEqual(['national-assembly', 'provincial-council']);
    // 11:30 is exactly 11:00 + the 30 minutes of grace: not overdue yet; at 11:45 both are.
    expect(m).toMatchObject({ areas: 4, missing: 2, overdue: 0 });
    clock.set('2026-03-15T11:45:00+07:00');
    try {
      expect(await missing('place=nation:VN&slot=11:00')).toMatchObject({ missing: 2, overdue: 2 });
      expect((await missing('place=nation:VN&slot=11:00&overdue=1')).rows).toHaveLength(2);
    } finally {
      clock.set('2026-03-15T11:30:00+07:00');
    }
    // One contest only; a commune only; the leader's phone; search without accents.
    expect((await missing('place=nation:VN&slot=11:00&contest=commune-council')).rows.map((r: { id: string }) => r.id)).toEqual([areas.A2]);
    expect((await missing(`place=commune:${communeB}&slot=11:00`)).rows.map((r: { id: string }) => r.id)).toEqual([areas.B1]);
    const at14 = await missing('place=nation:VN&slot=14:00');
    expect(at14.missing).toBe(4);
    const a1 = at14.rows.find((r: { id: string }) => r.id === areas.A1);
    expect(a1).toMatchObject({ missing: ['commune-council', 'provincial-council'], leader_phone: LEADER_PHONE, leader_name: 'Trần Thị Tổ Trưởng' });
    expect((await missing('place=nation:VN&slot=14:00&q=ben nghe')).rows.map((r: { id: string }) => r.id)).toEqual([areas.A1]);
    expect((await missing('place=nation:VN&slot=14:00&q=0912345')).rows.map((r: { id: string }) => r.id)).toEqual([areas.A1]);
    // Scoped: commune B's official cannot look at commune A's list.
    expect((await officialB.get(`/elections/${electionId}/turnout/missing?place=commune:${communeA}&slot=11:00`)).status).toBe(403);
    const html = await officialA.text(`/elections/${electionId}/turnout/missing?slot=14:00`);
    expect(html).toContain(LEADER_PHONE);
  });

  it('the chart is an SVG image; pages render for the nation, the commune and the area', async () => {
    const svg = await fetch(`${app.url}/elections/${electionId}/turnout/chart.svg?level=nation`, { headers: nec.headers });
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toMatch(/image\/svg\+xml/);
    expect(await svg.text()).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const page = await officialA.get(`/elections/${electionId}/turnout`);
    expect(page.status).toBe(303); // a commune official lands on its commune
    const commune = await officialA.text(page.headers.get('location')!);
    expect(commune).toContain('Khu phố Bến Nghé');
    expect(commune).toMatch(/chart\.svg\?level(=|&#x3D;)commune/);
    expect(await team.text(`/elections/${electionId}/turnout/area/${areas.A1}`)).toContain('name="v:national-assembly"');
    expect((await team.get(`/elections/${electionId}/turnout/area/${areas.A2}`)).status).toBe(403);
  });
});

describe('turnout report times and API', () => {
  it('rule 11 / 34: report times are HH:MM ascending within 05:00–21:00 with close last; a reported time cannot be removed', async () => {
    const admin = await createTokenUser(em(), `adm-${newId().slice(0, 6)}`, 'nec-official', 'nation', 'VN');
    const put = async (slots: string) => {
      const res = await fetch(`${app.url}/elections/${electionId}/turnout/slots`, { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: new URLSearchParams({ slots }) });
      return { status: res.status, body: await res.json() };
    };
    expect(codes((await put('')).body)).toEqual(['TURNOUT_SLOTS_EMPTY']);
    expect(codes((await put('9h, close')).body)).toEqual(['TURNOUT_SLOT_FORMAT']);
    expect(codes((await put('11:00, 09:00, 11:00, 14:00, 17:00, close')).body)).toEqual(['TURNOUT_SLOTS_ORDER', 'TURNOUT_SLOTS_ORDER']);
    expect(codes((await put('09:00, close, 11:00, 14:00, 17:00')).body)).toEqual(['TURNOUT_SLOTS_CLOSE_LAST']);
    expect(codes((await put('04:30, 09:00, 11:00, 14:00, 17:00, close')).body)).toEqual(['TURNOUT_SLOT_OUTSIDE_HOURS']);
    const removed = await put('11:00, 14:00, 17:00, close');
    expect(removed.status).toBe(409);
    expect(codes(removed.body)).toEqual(['TURNOUT_SLOT_HAS_REPORTS']);
    const ok = await put('09:00, 11:00, 14:00, 16:00, 17:00, kết thúc');
    expect(ok.status).toBe(200);
    expect(ok.body.slots).toEqual(['09:00', '11:00', '14:00', '16:00', '17:00', 'close']);
    expect((await loadTurnoutElection(em(), electionId))!.slots).toEqual(['09:00', '11:00', '14:00', '16:00', '17:00', 'close']);
    // A team member may not change them.
    expect((await team.post(`/elections/${electionId}/turnout/slots`, { slots: '09:00, close' }, JSON_ACCEPT)).status).toBe(403);
  });

  it('API: the same Idempotency-Key and body replays without a second write; another body with the key is 409', async () => {
    const key = `k-${newId()}`;
    const body = { reports: [{ pollingAreaId: areas.B1, contest: 'provincial-council', slot: '09:00', voted: 50 }] };
    const [{ n: a0 }] = await sql<{ n: number }>(em(), `select count(*)::int as n from audit_event where action = 'core.turnout.api-report' and result = 'success'`);
    const results = await Promise.all(Array.from({ length: 5 }, () => api(nec, body, { 'Idempotency-Key': key })));
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
    const [{ n: a1 }] = await sql<{ n: number }>(em(), `select count(*)::int as n from audit_event where action = 'core.turnout.api-report' and result = 'success'`);
    expect(a1 - a0).toBe(1);
    const other = await api(nec, { reports: [{ ...body.reports[0], voted: 51 }] }, { 'Idempotency-Key': key });
    expect(other.status).toBe(409);
    expect((await voted('B1', 'provincial-council', '09:00')).voted).toBe(50);
    const doc = await (await fetch(`${app.url}/api/v1/openapi.json`)).json();
    expect(doc.paths['/api/v1/elections/{electionId}/turnout'].post.operationId).toBe('submitTurnout');
  });
});

describe('turnout round trips (docs/turnout.md)', () => {
  it('a report from the form costs six statements: session user, the election with the area\'s place (no separate scope lookup), begin with the locking read, the reports so far, the writes with the commit, the audit seal', async () => {
    const csrf = await officialA.csrf(); // the token's page is not the report's
    const seen = await statementsSent(async () => {
      const res = await officialA.post(`/elections/${electionId}/turnout/area/${areas.A3}`, { slot: '11:00', 'v:national-assembly': '1000', 'v:provincial-council': '1000' }, { csrf, ...JSON_ACCEPT });
      expect(res.status).toBe(200);
    }, (text) => !/job_run|job_coalesce|results_|pg_advisory_xact_lock_shared|^prepare /.test(text));
    expect(seen, seen.map((x) => x.slice(0, 90)).join('\n')).toHaveLength(6);
    expect(seen[0]).toMatch(/from app_user u where u\.id = \$1$/);
    expect(seen[1]).toMatch(/from election e left join lateral .* from polling_area a where a\.id = \$1::uuid/);
    expect(seen[2]).toMatch(/^begin; execute d[0-9a-f]{20}\('[^']+', '[^']+'\)$/);
    expect(seen[3]).toMatch(/from turnout_report where polling_area_id = \$1::uuid$/);
    expect(seen[4]).toMatch(/^execute d[0-9a-f]{20}\(.*; commit$/);
    expect(seen[5]).toMatch(/audit_seal_pending\(\)/);
    expect((await voted('A3', 'national-assembly', '11:00')).voted).toBe(1000);
  });
});
