// Structure statistics from the database (issue 5 point 5) through HTTP: percentages per rule 24 (two decimals, half
// up), the contest's targets met or not by exact comparison (rule 18: NA women ≥ 35 %, ethnic minorities ≥ 18 %,
// exactly at the threshold is met), scopes (nation by province, province by unit, one unit), rounds (withdrawn
// candidates are left out), and who may see what: a commune official sees its commune only.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { TestClient, createUser } from '../helpers/client.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import { searchKey } from '../../core/shared/vn-text.js';
import { ballotSortKey } from '../../core/elections/candidates/ballot-order.js';

let app: TestApp;
const em = () => app.orm.em.fork();
const HCMC = '79';
const HANOI = '01';
const ACCEPT_JSON = { accept: 'application/json' };
let electionId: string;
let nec: TestClient;
let commune: TestClient;
let communes: string[] = [];
const units: Record<string, string> = {};

async function unit(contest: string, level: string, parent: string, n: number, seats = 3): Promise<string> {
  const id = newId();
  await sql(em(), `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name) values (?, ?, ?, ?, ?, ?, ?, ?)`,
    [id, electionId, contest, level, parent, n, seats, `Đơn vị bầu cử số ${n}`]);
  return id;
}

let seq = 0;
async function cand(contest: string, council: string, o: { female?: boolean; ethnicity?: string; party?: boolean; dob?: string; status?: string; unitId?: string; self?: boolean; incumbent?: boolean; degree?: string } = {}): Promise<void> {
  const name = `Người Thử ${++seq}`;
  await sql(em(), `insert into candidate (id, election_id, contest, council_code, full_name, name_key, sort_key, gender, date_of_birth, ethnicity, religion, education, party_member,
      incumbent_na, incumbent_council, nominated_by, filing_body_code, status, unit_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'Không', ?::jsonb, ?, ?, ?, ?, ?, ?, ?)`,
  [newId(), electionId, contest, council, name, searchKey(name), ballotSortKey(name), o.female ? 'female' : 'male', o.dob ?? '1975-06-01', o.ethnicity ?? 'Kinh',
    JSON.stringify(o.degree ? { academicTitle: o.degree } : {}), o.party ?? true, !!o.incumbent && contest === 'national-assembly', !!o.incumbent && contest !== 'national-assembly',
    o.self ? 'self' : 'local', council === 'VN' ? HCMC : council, o.status ?? 'qualified', o.unitId ?? null]);
}

const stats = async (c: TestClient, q: string) => {
  const res = await c.get(`/elections/${electionId}/candidate-statistics?${q}`, ACCEPT_JSON);
  return { status: res.status, body: res.status === 200 ? (await res.json()) as any : undefined };
};

beforeAll(async () => {
  app = await startTestApp('candidates-statistics');
  const tree = referenceUnits([HCMC, HANOI]);
  await insertUnits(em(), tree);
  communes = tree.filter((u) => u.level === 'commune' && u.parent === HCMC).map((u) => u.code).sort().slice(0, 2);
  electionId = newId();
  await sql(em(), `insert into election (id, name, election_day, status) values (?, 'Thử: cơ cấu người ứng cử', '2026-03-15', 'official-lists')`, [electionId]);
  for (const c of ['national-assembly', 'provincial-council', 'commune-council']) await sql(em(), `insert into plugin_state (election_id, plugin_id, enabled) values (?, ?, true)`, [electionId, c]);
  units.na79 = await unit('national-assembly', 'province', HCMC, 1);
  units.na01 = await unit('national-assembly', 'province', HANOI, 1);
  // NA, HCMC unit 1: 20 people, exactly 7 women (35.00 %: met) and 4 ethnic minority (20.00 %: met), 2 under 40.
  for (let i = 0; i < 20; i++) await cand('national-assembly', 'VN', { unitId: units.na79, female: i < 7, ethnicity: i < 4 ? 'Tày' : 'Kinh', dob: i < 2 ? '1990-01-01' : '1970-01-01', party: i >= 3, incumbent: i < 5, degree: i < 10 ? 'Thạc sĩ' : 'Cử nhân' });
  // NA, Hà Nội unit 1: 3 people, 1 woman (33.33 %: not met), 2 ethnic minority (66.67 %), one withdrawn (left out).
  for (let i = 0; i < 3; i++) await cand('national-assembly', 'VN', { unitId: units.na01, female: i === 0, ethnicity: i < 2 ? 'Mường' : 'Kinh' });
  await cand('national-assembly', 'VN', { unitId: undefined, female: true, status: 'withdrawn' });
  // Commune councils of two HCMC communes.
  units.cc = await unit('commune-council', 'commune', communes[0], 1, 2);
  for (let i = 0; i < 3; i++) await cand('commune-council', communes[0], { unitId: units.cc, female: i < 2, self: i === 2 });
  await cand('commune-council', communes[1], { female: true });
  const u = await createUser(em(), { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
  nec = new TestClient(app.url);
  await nec.login(u, em());
  const co = await createUser(em(), { roles: [{ role: 'commune-official', scopeType: 'commune', scopeCode: communes[0] }] });
  commune = new TestClient(app.url);
  await commune.login(co, em());
});

afterAll(async () => {
  await app?.close();
});

describe('rule 24 percentages and rule 18 targets', () => {
  it('rule 18: exactly 35 % women and 20 % ethnic minorities meet the NA targets (exact comparison); rule 24: two decimals', async () => {
    const { status, body } = await stats(nec, `contest=national-assembly&unit=${units.na79}`);
    expect(status).toBe(200);
    expect(body.stats.total).toBe(20);
    expect(body.stats.women).toMatchObject({ count: 7, percent: 35 });
    expect(body.stats.ethnicMinority).toMatchObject({ count: 4, percent: 20 });
    expect(body.stats.nonParty).toMatchObject({ count: 3, percent: 15 });
    expect(body.stats.under40).toMatchObject({ count: 2, percent: 10 });
    expect(body.stats.deputyHistory.incumbent).toMatchObject({ count: 5, percent: 25 });
    expect(body.stats.education.postgraduate.count).toBe(10);
    expect(body.targets.map((t: any) => [t.id, t.met])).toEqual([['women', true], ['ethnic-minority', true]]);
  });

  it('rule 24: 1 of 3 is 33.33 %, 2 of 3 is 66.67 % (half up); 33.33 % women is below 35 %: not met; a withdrawn candidate is left out', async () => {
    const { body } = await stats(nec, `contest=national-assembly&unit=${units.na01}`);
    expect(body.stats.total).toBe(3);
    expect(body.stats.women.percent).toBe(33.33);
    expect(body.stats.ethnicMinority.percent).toBe(66.67);
    expect(body.targets.map((t: any) => [t.id, t.met])).toEqual([['women', false], ['ethnic-minority', true]]);
    const withdrawn = await stats(nec, 'contest=national-assembly&place=VN&round=withdrawn');
    expect(withdrawn.body.round).toBe('all');
  });
});

describe('scopes and rounds', () => {
  it('the nation groups by province; a province groups by unit; the official round counts official candidates only', async () => {
    const nation = await stats(nec, 'contest=national-assembly&place=VN&round=all');
    expect(nation.body.stats.total).toBe(23);
    expect(nation.body.groups.map((g: any) => [g.key, g.total])).toEqual([[HANOI, 3], [HCMC, 20]]);
    const province = await stats(nec, `contest=national-assembly&place=${HCMC}`);
    expect(province.body.stats.total).toBe(20);
    expect(province.body.groups.map((g: any) => [g.key, g.total])).toEqual([[units.na79, 20]]);
    const official = await stats(nec, 'contest=national-assembly&place=VN&round=official');
    expect(official.body.stats.total).toBe(0);
    const cc = await stats(nec, `contest=commune-council&place=${HCMC}`);
    expect(cc.body.stats.total).toBe(4);
    expect(cc.body.stats.selfNominated.count).toBe(1);
  });

  it('a commune official sees its own commune\'s statistics only, not the nation\'s nor another commune\'s', async () => {
    const own = await stats(commune, `contest=commune-council&place=${communes[0]}`);
    expect(own.status).toBe(200);
    expect(own.body.stats.total).toBe(3);
    expect((await stats(commune, `contest=commune-council&place=${communes[1]}`)).status).toBe(403);
    expect((await stats(commune, 'contest=national-assembly&place=VN')).status).toBe(403);
    expect((await stats(commune, `contest=national-assembly&unit=${units.na79}`)).status).toBe(403);
  });

  it('the statistics page shows each indicator, the targets with met / not met, and the breakdown', async () => {
    const html = await (await nec.get(`/elections/${electionId}/candidate-statistics?contest=national-assembly&place=VN`)).text();
    expect(html).toContain('Cơ cấu, thành phần người ứng cử');
    expect(html).toContain('Chỉ tiêu cơ cấu');
    expect(html).toMatch(/Đạt|Chưa đạt/);
    expect(html).toContain('Theo tỉnh');
    expect(html).toContain('Thành phố Hồ Chí Minh');
  });
});
