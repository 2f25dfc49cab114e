// Official lists through HTTP on the real app (PostgreSQL, Redis), named by rule: rule 17 — for every seat count
// (NA 1–3, councils 1–5) a list exactly at seats + surplus is finalised and one below is refused with a coded message
// naming the unit and the shortfall; a recorded exception decision (number, date, body) lets a short list through;
// a candidate is on at most one unit's list per contest (a second assignment, or the same person filed twice, is
// refused). Finalising gives the ballot order of ballot-order.ts; every step is audited once; the phase gate and the
// scope of a commune official hold. Units and qualified candidates are inserted with SQL.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import ExcelJS from 'exceljs';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { TestClient, createUser } from '../helpers/client.js';
import { insertUnits, referenceUnits } from '../helpers/admin-units-fixture.js';
import { sql } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import { searchKey } from '../../core/shared/vn-text.js';
import { ballotSortKey, sortByBallotOrder } from '../../core/elections/candidates/ballot-order.js';

let app: TestApp;
const em = () => app.orm.em.fork();
const HCMC = '79';
const CONTESTS = ['national-assembly', 'provincial-council', 'commune-council'] as const;
type Contest = (typeof CONTESTS)[number];
const JSON_ACCEPT = { headers: { accept: 'application/json' } };
const ACCEPT_JSON = { accept: 'application/json' };
let electionId: string;
let communes: string[] = [];
let nec: TestClient;
let province: TestClient;
let communeA: TestClient;
let communeB: TestClient;

const GIVEN = ['An', 'Bình', 'Châu', 'Dũng', 'Duy', 'Đạt', 'Hòa', 'Hoan', 'Khánh', 'Lan', 'Minh', 'Nga', 'Phúc', 'Quân', 'Thắng', 'Thân'];
const SURNAME = ['Nguyễn Văn', 'Trần Thị', 'Lê Minh', 'Phạm Thu', 'Hoàng Đức', 'Võ Thị', 'Đặng Quốc', 'Bùi Thanh'];
let seq = 0;

const councilOf = (contest: Contest) => (contest === 'national-assembly' ? 'VN' : contest === 'provincial-council' ? HCMC : communes[0]);

async function insertUnit(contest: Contest, seats: number, n: number, parent = contest === 'commune-council' ? communes[0] : HCMC): Promise<string> {
  const id = newId();
  await sql(em(), `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name) values (?, ?, ?, ?, ?, ?, ?, ?)`,
    [id, electionId, contest, contest === 'commune-council' ? 'commune' : 'province', parent, n, seats, `Đơn vị bầu cử số ${n}`]);
  return id;
}

async function insertCandidate(contest: Contest, o: { name?: string; dob?: string; status?: string; unitId?: string; council?: string } = {}): Promise<string> {
  const id = newId();
  const i = seq++;
  const name = o.name ?? `${SURNAME[i % SURNAME.length]} ${GIVEN[(i * 7) % GIVEN.length]} ${i}`.replace(/ \d+$/, '') + (i >= GIVEN.length * SURNAME.length ? ` ${i}` : '');
  const council = o.council ?? councilOf(contest);
  await sql(em(), `insert into candidate (id, election_id, contest, council_code, full_name, name_key, sort_key, gender, date_of_birth, ethnicity, nominated_by, filing_body_code, status, unit_id)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'Kinh', 'local', ?, ?, ?)`,
  [id, electionId, contest, council, name, searchKey(name), ballotSortKey(name), i % 2 ? 'female' : 'male', o.dob ?? `19${60 + (i % 30)}-0${1 + (i % 9)}-1${i % 10}`, council === 'VN' ? HCMC : council, o.status ?? 'qualified', o.unitId ?? null]);
  return id;
}

async function signedIn(role: string, scopeType: 'nation' | 'province' | 'commune', scopeCode: string): Promise<TestClient> {
  const u = await createUser(em(), { roles: [{ role, scopeType, scopeCode }], totp: role !== 'commune-official' });
  const c = new TestClient(app.url);
  await c.login(u, em());
  return c;
}

async function post(c: TestClient, path: string, form: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await c.post(path, form, JSON_ACCEPT);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const base = () => `/elections/${electionId}/candidate-lists`;
const managerOf = (contest: Contest) => (contest === 'national-assembly' ? nec : contest === 'provincial-council' ? province : communeA);
const finalise = (contest: Contest, unitId: string) => post(managerOf(contest), `${base()}/units/${unitId}/finalise`);
const codes = (body: any): string[] => (body?.error?.details ?? []).map((d: { code: string }) => d.code);

beforeAll(async () => {
  app = await startTestApp('candidate-lists');
  const tree = referenceUnits([HCMC]);
  await insertUnits(em(), tree);
  communes = tree.filter((u) => u.level === 'commune').map((u) => u.code).sort().slice(0, 2);
  electionId = newId();
  await sql(em(), `insert into election (id, name, election_day, status) values (?, 'Bầu cử thử: danh sách chính thức', '2026-03-15', 'official-lists')`, [electionId]);
  for (const c of CONTESTS) await sql(em(), `insert into plugin_state (election_id, plugin_id, enabled) values (?, ?, true)`, [electionId, c]);
  nec = await signedIn('nec-official', 'nation', 'VN');
  province = await signedIn('province-official', 'province', HCMC);
  communeA = await signedIn('commune-official', 'commune', communes[0]);
  communeB = await signedIn('commune-official', 'commune', communes[1]);
});

afterAll(async () => {
  await app?.close();
});

// Minimum list sizes of rule 17 (seats → seats + surplus), per contest.
const CASES: [Contest, number, number][] = [
  ['national-assembly', 1, 3], ['national-assembly', 2, 4], ['national-assembly', 3, 5],
  ['provincial-council', 1, 2], ['provincial-council', 2, 3], ['provincial-council', 3, 5], ['provincial-council', 4, 7], ['provincial-council', 5, 8],
  ['commune-council', 1, 2], ['commune-council', 2, 3], ['commune-council', 3, 5], ['commune-council', 4, 7], ['commune-council', 5, 8],
];

let unitNo = 100;
describe('rule 17: list size per seat count (surplus), exactly at the threshold and one below', () => {
  for (const [contest, seats, required] of CASES) {
    it(`rule 17: ${contest}, ${seats} seat(s): ${required - 1} names refused (1 short), ${required} names finalised in ballot order`, async () => {
      const unit = await insertUnit(contest, seats, ++unitNo);
      const ids: string[] = [];
      for (let i = 0; i < required - 1; i++) ids.push(await insertCandidate(contest, { unitId: unit }));
      const short = await finalise(contest, unit);
      expect(short.status, JSON.stringify(short.body)).toBe(409);
      expect(short.body.error.code).toBe('LIST_SURPLUS_SHORT');
      const msg: string = short.body.error.message ?? short.body.error.details?.[0]?.message ?? '';
      expect(msg).toContain(`Đơn vị bầu cử số ${unitNo}`);
      expect(msg).toMatch(/thiếu 1 người/);
      expect(msg).toContain('quy tắc 17');
      // Nothing was written by the refusal.
      const [{ n }] = await sql<{ n: number }>(em(), `select count(*)::int as n from candidate where unit_id = ? and status = 'official'`, [unit]);
      expect(n).toBe(0);

      ids.push(await insertCandidate(contest, { unitId: unit }));
      const done = await finalise(contest, unit);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      const rows = await sql<{ id: string; full_name: string; ballot_order: number; status: string }>(em(), `select id, full_name, ballot_order, status from candidate where unit_id = ? order by ballot_order`, [unit]);
      expect(rows).toHaveLength(required);
      expect(rows.every((r) => r.status === 'official')).toBe(true);
      expect(rows.map((r) => r.full_name)).toEqual(sortByBallotOrder(rows.map((r) => r.full_name)));
      expect(rows.map((r) => r.ballot_order)).toEqual(rows.map((_, i) => i + 1));
    });
  }
});

describe('rule 17: the recorded exception decision', () => {
  it('rule 17: a short NA list is refused, a decision missing its body is refused naming the field, with number, date and body it is finalised with a warning', async () => {
    const unit = await insertUnit('national-assembly', 2, ++unitNo);
    for (let i = 0; i < 3; i++) await insertCandidate('national-assembly', { unitId: unit });
    expect((await finalise('national-assembly', unit)).body.error.code).toBe('LIST_SURPLUS_SHORT');
    const bad = await post(nec, `${base()}/units/${unit}/exception`, { decisionNo: '12/NQ-HĐBCQG', decisionDate: '02/02/2026', body: '  ' });
    expect(bad.status).toBe(400);
    expect((bad.body.error.details ?? []).map((d: { field: string }) => d.field)).toContain('body');
    const badDate = await post(nec, `${base()}/units/${unit}/exception`, { decisionNo: '12/NQ-HĐBCQG', decisionDate: '31/02/2026', body: 'Hội đồng bầu cử quốc gia' });
    expect(badDate.status).toBe(400);
    const good = await post(nec, `${base()}/units/${unit}/exception`, { decisionNo: '12/NQ-HĐBCQG', decisionDate: '02/02/2026', body: 'Hội đồng bầu cử quốc gia' });
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    const [x] = await sql(em(), `select decision_no, decision_date::text as d, body from unit_list_exception where unit_id = ?`, [unit]);
    expect(x).toMatchObject({ decision_no: '12/NQ-HĐBCQG', d: '2026-02-02', body: 'Hội đồng bầu cử quốc gia' });
    const done = await finalise('national-assembly', unit);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.warnings.map((w: { code: string }) => w.code)).toEqual(['LIST_SURPLUS_EXCEPTION']);
    expect(done.body.warnings[0].message).toContain('12/NQ-HĐBCQG');
    // A final short list keeps its decision: clearing it is refused until the list is reopened.
    expect((await post(nec, `${base()}/units/${unit}/exception/delete`)).status).toBe(409);
    expect((await post(nec, `${base()}/units/${unit}/reopen`)).status).toBe(200);
    expect((await post(nec, `${base()}/units/${unit}/exception/delete`)).status).toBe(200);
    expect((await finalise('national-assembly', unit)).body.error.code).toBe('LIST_SURPLUS_SHORT');
  });
});

describe('rule 17: a candidate is on at most one unit\'s list per contest', () => {
  it('rule 17: a second assignment to another unit is refused with a message naming the first unit; the same person filed twice is refused too', async () => {
    const u1 = await insertUnit('provincial-council', 3, ++unitNo);
    const u2 = await insertUnit('provincial-council', 3, ++unitNo);
    const c = await insertCandidate('provincial-council');
    const first = await post(province, `${base()}/units/${u1}/assign`, { candidateId: c });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const second = await post(province, `${base()}/units/${u2}/assign`, { candidateId: c });
    expect(second.status).toBe(409);
    expect(codes(second.body)).toEqual(['LIST_DUPLICATE_CANDIDATE']);
    expect(second.body.error.details[0].message).toContain(`Đơn vị bầu cử số ${unitNo - 1}`);
    const again = await post(province, `${base()}/units/${u1}/assign`, { candidateId: c });
    expect(codes(again.body)).toEqual(['LIST_ALREADY_ON_UNIT']);
    // Two rows for one person (same name and date of birth): the second cannot reach another unit's list.
    const a = await insertCandidate('provincial-council', { name: 'Trương Thị Mỹ Hạnh', dob: '1980-04-05' });
    const b = await insertCandidate('provincial-council', { name: 'Trương Thị Mỹ Hạnh', dob: '1980-04-05' });
    expect((await post(province, `${base()}/units/${u1}/assign`, { candidateId: a })).status).toBe(200);
    const twin = await post(province, `${base()}/units/${u2}/assign`, { candidateId: b });
    expect(twin.status).toBe(409);
    expect(codes(twin.body)).toEqual(['LIST_DUPLICATE_CANDIDATE']);
    const [{ n }] = await sql<{ n: number }>(em(), `select count(*)::int as n from candidate where unit_id = ?`, [u2]);
    expect(n).toBe(0);
  });

  it('a candidate not yet qualified, or of another council, is refused; unassign works until the list is final', async () => {
    const u = await insertUnit('commune-council', 1, ++unitNo);
    const nominated = await insertCandidate('commune-council', { status: 'nominated' });
    expect(codes((await post(communeA, `${base()}/units/${u}/assign`, { candidateId: nominated })).body)).toEqual(['CANDIDATE_NOT_QUALIFIED']);
    const other = await insertCandidate('commune-council', { council: communes[1] });
    expect(codes((await post(communeA, `${base()}/units/${u}/assign`, { candidateId: other })).body)).toEqual(['CANDIDATE_OTHER_COUNCIL']);
    const a = await insertCandidate('commune-council');
    const b = await insertCandidate('commune-council');
    expect((await post(communeA, `${base()}/units/${u}/assign`, { candidateId: a })).status).toBe(200);
    expect((await post(communeA, `${base()}/units/${u}/assign`, { candidateId: b })).status).toBe(200);
    expect((await post(communeA, `${base()}/units/${u}/unassign`, { candidateId: b })).status).toBe(200);
    expect((await post(communeA, `${base()}/units/${u}/assign`, { candidateId: b })).status).toBe(200);
    expect((await finalise('commune-council', u)).status).toBe(200);
    expect(codes((await post(communeA, `${base()}/units/${u}/unassign`, { candidateId: b })).body)).toEqual(['LIST_FINAL']);
    const events = await sql<{ kind: string }>(em(), `select kind from candidate_event where candidate_id = ? order by id`, [b]);
    expect(events.map((e) => e.kind)).toEqual(['list.assigned', 'list.unassigned', 'list.assigned', 'list.official']);
  });
});

describe('audit, phase and scope', () => {
  it('each action writes exactly one audit event; a refusal is audited as rejected', async () => {
    const u = await insertUnit('commune-council', 2, ++unitNo);
    const c = await insertCandidate('commune-council');
    const before = (await sql<{ n: number }>(em(), `select count(*)::int as n from audit_event`))[0].n;
    expect((await post(communeA, `${base()}/units/${u}/assign`, { candidateId: c })).status).toBe(200);
    const after = await sql<{ action: string; result: string }>(em(), `select action, result from audit_event order by seq desc limit ?`, [1 + 0]);
    expect((await sql<{ n: number }>(em(), `select count(*)::int as n from audit_event`))[0].n).toBe(before + 1);
    expect(after[0]).toMatchObject({ action: 'core.candidate-lists.assign', result: 'success' });
    await finalise('commune-council', u);
    const [r] = await sql(em(), `select action, result from audit_event order by seq desc limit 1`);
    expect(r).toMatchObject({ action: 'core.candidate-lists.finalise', result: 'rejected' });
  });

  it('candidate forms are closed outside nomination … official-lists: an assignment in the voting phase is refused (FORM_CLOSED)', async () => {
    const u = await insertUnit('commune-council', 1, ++unitNo);
    const c = await insertCandidate('commune-council');
    await sql(em(), `update election set status = 'voting' where id = ?`, [electionId]);
    try {
      const r = await post(communeA, `${base()}/units/${u}/assign`, { candidateId: c });
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('FORM_CLOSED');
    } finally {
      await sql(em(), `update election set status = 'official-lists' where id = ?`, [electionId]);
    }
  });

  it('a commune official cannot read or change the lists of another commune, nor NA lists', async () => {
    const u = await insertUnit('commune-council', 1, ++unitNo);
    const c = await insertCandidate('commune-council');
    expect((await post(communeB, `${base()}/units/${u}/assign`, { candidateId: c })).status).toBe(403);
    expect((await communeB.get(`${base()}/units/${u}`, ACCEPT_JSON)).status).toBe(403);
    expect((await communeA.get(`${base()}/units/${u}`, ACCEPT_JSON)).status).toBe(200);
    const na = await insertUnit('national-assembly', 1, ++unitNo);
    expect((await post(communeA, `${base()}/units/${na}/finalise`)).status).toBe(403);
    expect((await communeB.get(`${base()}?contest=commune-council&place=${communes[0]}`, ACCEPT_JSON)).status).toBe(403);
  });
});

describe('pages and export', () => {
  it('the allocation page lists units with their rule 17 status; a unit page and its XLSX export show the list in ballot order', async () => {
    const own = await insertUnit('provincial-council', 1, ++unitNo);
    for (let i = 0; i < 2; i++) await insertCandidate('provincial-council', { unitId: own });
    expect((await finalise('provincial-council', own)).status).toBe(200);
    await insertUnit('provincial-council', 2, ++unitNo);
    const page = await province.get(`${base()}?contest=provincial-council&place=${HCMC}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Phân bổ và danh sách chính thức');
    expect(html).toContain('Thiếu 3 người');
    expect(html).toContain('Đã chốt');
    const j = await (await province.get(`${base()}?contest=provincial-council&place=${HCMC}`, ACCEPT_JSON)).json() as { units: { id: string; status: string }[] };
    const final = j.units.find((u) => u.status === 'final')!;
    expect((await province.get(`${base()}/units/${final.id}`)).status).toBe(200);
    const x = await province.get(`${base()}/units/${final.id}/export.xlsx`);
    expect(x.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await x.arrayBuffer()) as any);
    const ws = wb.worksheets[0];
    expect(ws.getRow(3).getCell(2).value).toBe('Họ và tên');
    expect(typeof ws.getRow(4).getCell(1).value).toBe('number');
    expect(ws.getRow(4).getCell(3).value).toBeInstanceOf(Date);
    const rows = await sql<{ full_name: string }>(em(), `select full_name from candidate where unit_id = ? order by ballot_order`, [final.id]);
    expect(ws.getRow(4).getCell(2).value).toBe(rows[0].full_name);
  });
});
