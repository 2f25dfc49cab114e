// The structure rules by number (shared/domain/election-rules.md), each through the real app: the area edit form of a
// commune official, the imports, and the check report. Rule 3 seats per unit and council sums; rule 4 numbering and
// units inside their parent; rule 5 coverage and one unit per contest for every area; rule 6 polling-area size and
// separate areas; rule 10 early voting only with approval; rule 11 voting hours within 05:00–21:00.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { waitReferenceImport } from '../helpers/admin-tree.js';
import { createElection, clientAs, uploadStructure, waitRun } from '../helpers/structure.js';
import type { TestClient } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';
import { createLogger } from '../../core/shared/logger.js';
import { I18n } from '../../core/shared/i18n.js';
import { PluginStateService } from '../../core/plugin-host/plugin-state.service.js';
import { seedNational } from '../../core/elections/structure/seed-national.js';
import { checkStructure, STRUCTURE_RULES } from '../../core/elections/structure/rules.js';
import { emptyStructure, type AreaRec } from '../../core/elections/structure/model.js';

let app: TestApp;
let election = '';
let commune = ''; // in Hồ Chí Minh City
let area: { id: string; number: number; voters: number } = { id: '', number: 0, voters: 0 };
let official: TestClient; // commune official of `commune`
let province: TestClient; // province official of HCMC
let nec: TestClient;

beforeAll(async () => {
  app = await startTestApp('structure_rules', { AUTO_IMPORT_REFERENCE: 'true' });
  expect((await waitReferenceImport(app)).communes.status).toBe('succeeded');
  const log = createLogger({ logLevel: 'silent', version: 'test' });
  election = await createElection(app);
  await seedNational(app.orm, { registry: app.plugins, pluginStates: new PluginStateService(app.orm, app.plugins, app.jobs, new I18n(), log), log },
    { seed: 3, electionId: election, provinces: ['79'], referenceDir: app.config.referenceDataDir });
  const em = app.orm.em.fork();
  [{ code: commune }] = await sql<{ code: string }>(em, `select commune_code as code from polling_area where election_id = ? and kind = 'regular' group by 1 having count(*) >= 8 order by 1 limit 1`, [election]);
  [area] = await sql<typeof area>(em, `select id, number, voters from polling_area where election_id = ? and commune_code = ? and kind = 'regular' and small_reason is null order by number limit 1`, [election, commune]);
  official = await clientAs(app, 'commune-official', 'commune', commune);
  province = await clientAs(app, 'province-official', 'province', '79');
  nec = await clientAs(app, 'nec-official', 'nation', 'VN');
});
afterAll(async () => {
  await app?.close();
});

const base = () => ({ voters: String(area.voters), kind: 'regular', opens: '07:00', closes: '19:00', smallReason: '', votingDate: '', approvalRef: '', kindReason: '' });

/** Posts the area form as the commune official; returns the status and the error codes with their fields. */
async function saveArea(fields: Record<string, string>): Promise<{ status: number; codes: string[]; fields: string[]; message?: string }> {
  const res = await official.post(`/elections/${election}/structure/area/${area.id}`, { ...base(), ...fields }, { headers: { accept: 'application/json' } });
  if (res.status === 200) return { status: res.status, codes: [], fields: [] };
  const j = (await res.json()) as { error: { code: string; message: string; details?: { code: string; field: string }[] } };
  return { status: res.status, codes: (j.error.details ?? []).map((d) => d.code), fields: (j.error.details ?? []).map((d) => d.field), message: j.error.message };
}

async function check(scope = '?province=79'): Promise<{ errors: number; warnings: number; byCode: Record<string, number>; issues: { code: string; href: string; message: string }[] }> {
  const res = await nec.get(`/elections/${election}/structure/check${scope}`, { accept: 'application/json' });
  expect(res.status).toBe(200);
  return res.json() as never;
}

describe('rule 6 — polling-area size and separate areas', () => {
  it('299 voters without a reason: refused (AREA_TOO_SMALL); with "mountainous": saved', async () => {
    const refused = await saveArea({ voters: '299' });
    expect(refused).toMatchObject({ status: 400, codes: ['AREA_TOO_SMALL'], fields: ['smallReason'] });
    expect(refused.message).toContain('299 cử tri, ít hơn 300');
    expect((await saveArea({ voters: '299', smallReason: 'mountain' })).status).toBe(200);
    const [a] = await sql<{ voters: number; small_reason: string }>(app.orm.em.fork(), `select voters, small_reason from polling_area where id = ?`, [area.id]);
    expect(a).toEqual({ voters: 299, small_reason: 'mountain' });
    expect((await saveArea({ voters: '300' })).status).toBe(200);
  });

  it('more than 4,000 voters: refused (AREA_TOO_LARGE, an error: the law says 300–4,000)', async () => {
    expect(await saveArea({ voters: '4001' })).toMatchObject({ status: 400, codes: ['AREA_TOO_LARGE'] });
    expect((await saveArea({ voters: '4000' })).status).toBe(200);
  });

  it('a hospital area of 49 voters: refused (AREA_SEPARATE_MIN); 50: saved without a small-area reason', async () => {
    expect(await saveArea({ kind: 'hospital', voters: '49' })).toMatchObject({ status: 400, codes: ['AREA_SEPARATE_MIN'] });
    expect((await saveArea({ kind: 'hospital', voters: '50' })).status).toBe(200);
    // Armed-forces and detention areas are separate too, with no 50-voter floor.
    expect((await saveArea({ kind: 'armed-unit', voters: '35' })).status).toBe(200);
  });

  it('kind "other" needs a reason (AREA_KIND_REASON)', async () => {
    expect(await saveArea({ kind: 'other', voters: '800' })).toMatchObject({ status: 400, codes: ['AREA_KIND_REASON'] });
    expect((await saveArea({ kind: 'other', voters: '800', kindReason: 'Ký túc xá đại học' })).status).toBe(200);
  });
});

describe('rule 10 — voting date', () => {
  it('an earlier date without the NEC approval: refused (AREA_EARLY_NO_APPROVAL); with it: saved; a later date: refused', async () => {
    expect(await saveArea({ votingDate: '2026-03-14' })).toMatchObject({ status: 400, codes: ['AREA_EARLY_NO_APPROVAL'] });
    expect((await saveArea({ votingDate: '2026-03-14', approvalRef: 'Công văn 123/HĐBCQG' })).status).toBe(200);
    expect(await saveArea({ votingDate: '2026-03-16' })).toMatchObject({ status: 400, codes: ['AREA_DATE_AFTER'] });
    // Election day itself is stored as "on election day".
    expect((await saveArea({ votingDate: '2026-03-15' })).status).toBe(200);
    const [a] = await sql<{ voting_date: string | null }>(app.orm.em.fork(), `select voting_date::text as voting_date from polling_area where id = ?`, [area.id]);
    expect(a.voting_date).toBeNull();
  });
});

describe('rule 11 — voting hours', () => {
  it('04:59 and 21:01 are refused (AREA_HOURS), 05:00–21:00 is saved, opening after closing is refused', async () => {
    expect(await saveArea({ opens: '04:59' })).toMatchObject({ status: 400, codes: ['AREA_HOURS'], fields: ['opens'] });
    expect(await saveArea({ closes: '21:01' })).toMatchObject({ status: 400, codes: ['AREA_HOURS'], fields: ['closes'] });
    expect(await saveArea({ opens: '04:59', closes: '21:01' })).toMatchObject({ codes: ['AREA_HOURS', 'AREA_HOURS'] });
    expect((await saveArea({ opens: '05:00', closes: '21:00' })).status).toBe(200);
    expect(await saveArea({ opens: '19:00', closes: '07:00' })).toMatchObject({ status: 400, codes: ['AREA_HOURS'] });
    expect((await saveArea({})).status).toBe(200);
  });
});

describe('rule 3 — seats per unit and council sums', () => {
  it('an NA unit of 4 seats is refused (UNIT_SEATS_RANGE); a provincial-council unit of 6 in a file too', async () => {
    const [u] = await sql<{ id: string }>(app.orm.em.fork(), `select id from electoral_unit where election_id = ? and contest = 'national-assembly' and parent_code = '79' and number = 1`, [election]);
    const res = await nec.post(`/elections/${election}/structure/unit/${u.id}`, { seats: '4' }, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNIT_SEATS_RANGE');
    const up = await uploadStructure(province, election, {
      kind: 'units', contest: 'provincial-council', scope: '79', fileName: 'units.csv',
      content: 'Mã tỉnh,Số đơn vị,Số đại biểu được bầu\n79,1,3\n79,2,6\n',
    });
    const run = await waitRun(province, election, up.runId!);
    expect(run.status).toBe('rejected');
    expect(run.errors).toEqual([expect.objectContaining({ row: 3, column: 'Số đại biểu được bầu', code: 'UNIT_SEATS_RANGE' })]);
  });

  it('Σ seats of a council\'s units must equal its size (COUNCIL_SEATS_SUM); the NA sum nationwide must be 500', async () => {
    expect((await check()).byCode.COUNCIL_SEATS_SUM).toBeUndefined();
    const set = (size: string) => province.post(`/elections/${election}/structure/council`, { contest: 'provincial-council', code: '79', size });
    expect((await set('130')).status).toBe(303);
    const c = await check();
    expect(c.byCode.COUNCIL_SEATS_SUM).toBe(1);
    expect(c.issues.find((i) => i.code === 'COUNCIL_SEATS_SUM')!.message).toContain('125, khác tổng số đại biểu HĐND tỉnh Thành phố Hồ Chí Minh là 130');
    expect((await set('125')).status).toBe(303);
    // Only Hồ Chí Minh City's NA units are loaded: 38 of the 500 seats.
    const national = await check('');
    expect(national.issues.filter((i) => i.code === 'COUNCIL_SEATS_SUM').map((i) => i.message)).toEqual([expect.stringContaining('là 38, khác tổng số đại biểu Quốc hội của cuộc bầu cử là 500')]);
  });
});

describe('rule 4 — numbering and units inside their parent', () => {
  it('units numbered 1, 2, 4 are refused (UNIT_NUMBERING)', async () => {
    const up = await uploadStructure(official, election, {
      kind: 'units', contest: 'commune-council', scope: commune, fileName: 'units.csv',
      content: `Mã xã,Số đơn vị,Số đại biểu được bầu\n${commune},1,5\n${commune},2,5\n${commune},4,5\n`,
    });
    const run = await waitRun(official, election, up.runId!);
    expect(run.status).toBe('rejected');
    expect(run.errors.map((e) => e.code)).toEqual(['UNIT_NUMBERING']);
    expect(run.errors[0].message).toContain('thiếu số 3');
  });

  it('a commune of Hà Nội in a Hồ Chí Minh City unit is refused (UNIT_OUTSIDE_PARENT)', async () => {
    const up = await uploadStructure(nec, election, {
      kind: 'compositions', contest: 'provincial-council', fileName: 'c.csv',
      content: 'Mã tỉnh,Số đơn vị,Mã xã\n79,1,00004\n',
    });
    const run = await waitRun(nec, election, up.runId!);
    expect(run.status).toBe('rejected');
    expect(run.errors).toEqual(expect.arrayContaining([expect.objectContaining({ row: 2, code: 'UNIT_OUTSIDE_PARENT' })]));
  });
});

describe('rule 5 — coverage and one unit per contest', () => {
  it('an area in two commune-council units is refused (COVERAGE_DUPLICATE)', async () => {
    const up = await uploadStructure(official, election, {
      kind: 'compositions', contest: 'commune-council', scope: commune, fileName: 'c.csv',
      content: `Mã xã,Số đơn vị,Số khu vực bỏ phiếu\n${commune},1,1\n${commune},2,1\n`,
    });
    const run = await waitRun(official, election, up.runId!);
    expect(run.status).toBe('rejected');
    expect(run.errors).toEqual([expect.objectContaining({ row: 3, code: 'COVERAGE_DUPLICATE' })]);
  });

  it('an area whose NA unit contradicts its commune\'s unit is refused (AREA_UNIT_MAPPING)', async () => {
    const em = app.orm.em.fork();
    const [{ n }] = await sql<{ n: number }>(em, `select u.number as n from electoral_unit_commune uc join electoral_unit u on u.id = uc.unit_id where uc.election_id = ? and uc.contest = 'national-assembly' and uc.commune_code = ?`, [election, commune]);
    const wrong = n === 1 ? 2 : 1;
    const up = await uploadStructure(official, election, {
      kind: 'areas', scope: commune, fileName: 'areas.csv',
      content: `Mã xã,Số khu vực bỏ phiếu,Số cử tri,Đơn vị bầu cử ĐBQH số\n${commune},1,1000,${wrong}\n`,
    });
    const run = await waitRun(official, election, up.runId!);
    expect(run.status).toBe('rejected');
    expect(run.errors).toEqual([expect.objectContaining({ row: 2, column: 'Đơn vị bầu cử ĐBQH số', code: 'AREA_UNIT_MAPPING' })]);
  });

  it('the check finds communes outside every unit (COVERAGE_MISSING) and areas without a unit (AREA_UNIT_MAPPING)', () => {
    // Pure rules on a small structure: two communes, one NA unit holding only the first.
    const s = emptyStructure('e', '2026-03-15', [{ id: 'national-assembly', unitLevel: 'province', seats: { min: 1, max: 3 }, shortLabel: 'QH' }]);
    s.scope = new Set(['79']);
    s.provinces.set('79', { code: '79', name: 'Thành phố Hồ Chí Minh' });
    s.communes.set('26734', { code: '26734', name: 'Phường Sài Gòn', province: '79', type: 'phường' });
    s.communes.set('26737', { code: '26737', name: 'Phường Tân Định', province: '79', type: 'phường' });
    s.units.set('u1', { id: 'u1', contest: 'national-assembly', parentLevel: 'province', parentCode: '79', number: 1, seats: 3, name: 'Đơn vị bầu cử số 1', description: null });
    s.unitCommunes.set('u1', ['26734']);
    const a = (id: string, commune: string, voters: number): AreaRec => ({ id, communeCode: commune, number: 1, name: 'KV 1', voters, kind: 'regular', kindReason: null, smallReason: null, votingDate: null, approvalRef: null, opens: '07:00', closes: '19:00' });
    s.areas.set('a1', a('a1', '26734', 900));
    s.areas.set('a2', a('a2', '26737', 900));
    const codes = checkStructure(s).map((i) => `${i.code}:${i.target.code}`);
    expect(codes).toEqual(['AREA_UNIT_MAPPING:a1', 'COVERAGE_MISSING:26737']);
    s.areaUnits.set('a1', new Map([['national-assembly', 'u1']]));
    s.unitCommunes.set('u1', ['26734', '26737']);
    s.areaUnits.set('a2', new Map([['national-assembly', 'u1']]));
    expect(checkStructure(s)).toEqual([]);
  });
});

describe('the rule catalogue', () => {
  it('every code has a severity, a law rule, a field and both texts; every variant text is translated', () => {
    for (const def of Object.values(STRUCTURE_RULES)) {
      expect([3, 4, 5, 6, 10, 11]).toContain(def.rule);
      expect(def.field).toBeTruthy();
      for (const t of Object.values(def.texts)) {
        expect(t.vi.length).toBeGreaterThan(20);
        expect(t.en.length).toBeGreaterThan(20);
      }
    }
  });

  it('the seeded province is clean again after the edits above were undone', async () => {
    expect((await saveArea({ voters: String(area.voters) })).status).toBe(200);
    const c = await check();
    expect(c.errors).toBe(0);
  });
});
