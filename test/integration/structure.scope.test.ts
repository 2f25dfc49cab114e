// Who may read and change which part of the structure (docs/structure.md): reads need core.structure.view on the node
// shown; writes core.structure.manage on the level that decides — the nation for NA units, the province for its
// council, the commune for its polling areas and council units. A commune official cannot touch another commune's
// polling areas (403, audited); board and team members reach their unit and polling area through the scope resolvers.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { waitReferenceImport } from '../helpers/admin-tree.js';
import { createElection, clientAs, uploadStructure, waitRun } from '../helpers/structure.js';
import { TestClient } from '../helpers/client.js';
import { sql } from '../../core/persistence/db.js';
import { createLogger } from '../../core/shared/logger.js';
import { I18n } from '../../core/shared/i18n.js';
import { PluginStateService } from '../../core/plugin-host/plugin-state.service.js';
import { seedNational } from '../../core/elections/structure/seed-national.js';

let app: TestApp;
let election = '';
let communeA = '';
let communeB = '';
const areaOf: Record<string, { id: string; voters: number }> = {};
let naUnit = '';
let councilUnitA = '';
let councilUnitB = '';

beforeAll(async () => {
  app = await startTestApp('structure_scope', { AUTO_IMPORT_REFERENCE: 'true' });
  expect((await waitReferenceImport(app)).communes.status).toBe('succeeded');
  const log = createLogger({ logLevel: 'silent', version: 'test' });
  election = await createElection(app);
  await seedNational(app.orm, { registry: app.plugins, pluginStates: new PluginStateService(app.orm, app.plugins, app.jobs, new I18n(), log), log },
    { seed: 5, electionId: election, provinces: ['79', '01'], referenceDir: app.config.referenceDataDir });
  const em = app.orm.em.fork();
  const communes = await sql<{ code: string }>(em, `select code from admin_unit where parent_code = '79' and level = 'commune' order by code limit 2`);
  [communeA, communeB] = communes.map((c) => c.code);
  for (const c of [communeA, communeB]) {
    [areaOf[c]] = await sql<{ id: string; voters: number }>(em, `select id, voters from polling_area where election_id = ? and commune_code = ? and kind = 'regular' and small_reason is null order by number limit 1`, [election, c]);
  }
  [{ id: naUnit }] = await sql<{ id: string }>(em, `select id from electoral_unit where election_id = ? and contest = 'national-assembly' and parent_code = '79' and number = 1`, [election]);
  [{ id: councilUnitA }] = await sql<{ id: string }>(em, `select id from electoral_unit where election_id = ? and contest = 'commune-council' and parent_code = ? and number = 1`, [election, communeA]);
  [{ id: councilUnitB }] = await sql<{ id: string }>(em, `select id from electoral_unit where election_id = ? and contest = 'commune-council' and parent_code = ? and number = 1`, [election, communeB]);
});
afterAll(async () => {
  await app?.close();
});

const form = (voters: number) => ({ voters: String(voters), kind: 'regular', opens: '07:00', closes: '19:00', smallReason: '', votingDate: '', approvalRef: '', kindReason: '' });
const json = { headers: { accept: 'application/json' } };

describe('writes', () => {
  it('a commune official edits its own polling areas, not another commune\'s (403, audited as denied)', async () => {
    const c = await clientAs(app, 'commune-official', 'commune', communeA);
    expect((await c.post(`/elections/${election}/structure/area/${areaOf[communeA].id}`, form(areaOf[communeA].voters + 1), json)).status).toBe(200);
    const res = await c.post(`/elections/${election}/structure/area/${areaOf[communeB].id}`, form(999), json);
    expect(res.status).toBe(403);
    const requestId = res.headers.get('x-request-id');
    const [ev] = await sql<{ action: string; result: string; target_id: string }>(app.orm.em.fork(), `select action, result, target_id from audit_event where request_id = ?`, [requestId]);
    expect(ev).toEqual({ action: 'core.structure.area.update', result: 'denied', target_id: areaOf[communeB].id });
    const [b] = await sql<{ voters: number }>(app.orm.em.fork(), `select voters from polling_area where id = ?`, [areaOf[communeB].id]);
    expect(b.voters).toBe(areaOf[communeB].voters);
    // Nor its council's units, nor the NA units.
    expect((await c.post(`/elections/${election}/structure/unit/${councilUnitB}`, { seats: '3' }, json)).status).toBe(403);
    expect((await c.post(`/elections/${election}/structure/unit/${naUnit}`, { seats: '2' }, json)).status).toBe(403);
  });

  it('the structure is closed once the election leaves the nomination phase: 409 with the phase named, audited, nothing written', async () => {
    const c = await clientAs(app, 'commune-official', 'commune', communeA);
    await sql(app.orm.em.fork(), `update election set status = 'voting' where id = ?`, [election]);
    try {
      const res = await c.post(`/elections/${election}/structure/area/${areaOf[communeA].id}`, form(areaOf[communeA].voters + 7), json);
      expect(res.status).toBe(409);
      const body = await res.json();
      expect(body.error.code).toBe('FORM_CLOSED');
      expect(body.error.message).toContain('giai đoạn');
      const [a] = await sql(app.orm.em.fork(), 'select voters from polling_area where id = ?', [areaOf[communeA].id]);
      expect(a.voters).not.toBe(areaOf[communeA].voters + 7);
      const [ev] = await sql(app.orm.em.fork(), `select result, after from audit_event where request_id = ?`, [res.headers.get('x-request-id')]);
      expect(ev.result).toBe('rejected');
    } finally {
      await sql(app.orm.em.fork(), `update election set status = 'preparation' where id = ?`, [election]);
    }
  });

  it('a commune official imports only into its commune: another scope is refused, rows outside its scope are rejected', async () => {
    const c = await clientAs(app, 'commune-official', 'commune', communeA);
    const other = await uploadStructure(c, election, { kind: 'areas', scope: communeB, fileName: 'a.csv', content: `Mã xã,Số khu vực bỏ phiếu,Số cử tri\n${communeB},1,900\n` });
    expect(other.status).toBe(403);
    const mine = await uploadStructure(c, election, { kind: 'areas', scope: communeA, fileName: 'a.csv', content: `Mã xã,Số khu vực bỏ phiếu,Số cử tri\n${communeB},1,900\n` });
    expect(mine.status).toBe(303);
    const run = await waitRun(c, election, mine.runId!);
    expect(run.status).toBe('rejected');
    expect(run.errors).toEqual([expect.objectContaining({ row: 2, code: 'OUT_OF_SCOPE' })]);
    // National Assembly units are the NEC's: a commune official's units import of that contest is refused.
    const na = await uploadStructure(c, election, { kind: 'units', contest: 'national-assembly', scope: communeA, fileName: 'u.csv', content: 'Mã tỉnh,Số đơn vị,Số đại biểu được bầu\n79,1,3\n' });
    expect(na.status).toBe(403);
  });

  it('a province official sets its council\'s size and edits its communes\' areas, but not NA units nor another province', async () => {
    const c = await clientAs(app, 'province-official', 'province', '79');
    expect((await c.post(`/elections/${election}/structure/council`, { contest: 'provincial-council', code: '79', size: '125' }, json)).status).toBe(200);
    expect((await c.post(`/elections/${election}/structure/council`, { contest: 'provincial-council', code: '01', size: '95' }, json)).status).toBe(403);
    expect((await c.post(`/elections/${election}/structure/council`, { contest: 'national-assembly', code: 'VN', size: '499' }, json)).status).toBe(403);
    expect((await c.post(`/elections/${election}/structure/unit/${naUnit}`, { seats: '2' }, json)).status).toBe(403);
    expect((await c.post(`/elections/${election}/structure/area/${areaOf[communeB].id}`, form(areaOf[communeB].voters), json)).status).toBe(200);
  });

  it('an NEC official edits NA units; an observer edits nothing', async () => {
    const nec = await clientAs(app, 'nec-official', 'nation', 'VN');
    const [u] = await sql<{ seats: number }>(app.orm.em.fork(), `select seats from electoral_unit where id = ?`, [naUnit]);
    expect((await nec.post(`/elections/${election}/structure/unit/${naUnit}`, { seats: String(u.seats) }, json)).status).toBe(200);
    const obs = await clientAs(app, 'observer', 'nation', 'VN');
    expect((await obs.post(`/elections/${election}/structure/area/${areaOf[communeA].id}`, form(500), json)).status).toBe(403);
    expect((await obs.get(`/elections/${election}/structure/79`)).status).toBe(200);
  });
});

describe('reads', () => {
  it('a commune official reads its commune, not the province; the structure home sends it to its commune', async () => {
    const c = await clientAs(app, 'commune-official', 'commune', communeA);
    expect((await c.get(`/elections/${election}/structure/commune/${communeA}`)).status).toBe(200);
    expect((await c.get(`/elections/${election}/structure/commune/${communeB}`)).status).toBe(403);
    expect((await c.get(`/elections/${election}/structure/79`)).status).toBe(403);
    const home = await c.get(`/elections/${election}/structure`);
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toBe(`/elections/${election}/structure/commune/${communeA}`);
    expect((await c.get(`/elections/${election}/structure/check?commune=${communeA}`, { accept: 'application/json' })).status).toBe(200);
    expect((await c.get(`/elections/${election}/structure/check`, { accept: 'application/json' })).status).toBe(403);
  });

  it('a board member reaches its unit and the unit\'s polling areas; a team member only its polling area', async () => {
    const board = await clientAs(app, 'board-member', 'electoral-unit', councilUnitA);
    expect((await board.get(`/elections/${election}/structure/unit/${councilUnitA}`)).status).toBe(200);
    expect((await board.get(`/elections/${election}/structure/unit/${councilUnitB}`)).status).toBe(403);
    const [inUnit] = await sql<{ id: string }>(app.orm.em.fork(), `select polling_area_id as id from polling_area_unit where unit_id = ? limit 1`, [councilUnitA]);
    expect((await board.get(`/elections/${election}/structure/area/${inUnit.id}`)).status).toBe(200);
    expect((await board.get(`/elections/${election}/structure/area/${areaOf[communeB].id}`)).status).toBe(403);
    const team = await clientAs(app, 'team-member', 'polling-area', areaOf[communeA].id);
    expect((await team.get(`/elections/${election}/structure/area/${areaOf[communeA].id}`)).status).toBe(200);
    expect((await team.get(`/elections/${election}/structure/area/${areaOf[communeB].id}`)).status).toBe(403);
    expect((await team.get(`/elections/${election}/structure/unit/${councilUnitA}`)).status).toBe(403);
    expect((await team.post(`/elections/${election}/structure/area/${areaOf[communeA].id}`, form(800), json)).status).toBe(403);
    // The home page sends them to their own node.
    expect((await team.get(`/elections/${election}/structure`)).headers.get('location')).toBe(`/elections/${election}/structure/area/${areaOf[communeA].id}`);
  });

  it('anonymous visitors are sent to sign in; API clients get 401', async () => {
    const anon = new TestClient(app.url);
    const page = await anon.get(`/elections/${election}/structure/79`);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toMatch(/^\/auth\/login\?next=/);
    expect((await anon.get(`/elections/${election}/structure/check`, { accept: 'application/json' })).status).toBe(401);
  });
});
