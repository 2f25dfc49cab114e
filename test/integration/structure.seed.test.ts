// The national rehearsal dataset (issue 4 point 8), seeded for two provinces (Hồ Chí Minh City and Hà Nội): the same
// seed gives the same structure (hash by natural keys), another seed another one; the result passes every structure
// rule (a clean check report); counts follow the plan (every commune has areas, 300–4,000 voters or a reason, one
// unit per contest for every area). The full national run is for bench/structure.bench.ts.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { waitReferenceImport } from '../helpers/admin-tree.js';
import { createElection, clientAs, uploadStructure, waitRun } from '../helpers/structure.js';
import { sql } from '../../core/persistence/db.js';
import { createLogger } from '../../core/shared/logger.js';
import { PluginStateService } from '../../core/plugin-host/plugin-state.service.js';
import { seedNational, structureHash } from '../../core/elections/structure/seed-national.js';

let app: TestApp;
let deps: Parameters<typeof seedNational>[1];
const PROVINCES = ['79', '01'];

beforeAll(async () => {
  app = await startTestApp('structure_seed', { AUTO_IMPORT_REFERENCE: 'true' });
  expect((await waitReferenceImport(app)).communes.status).toBe('succeeded');
  const log = createLogger({ logLevel: 'silent', version: 'test' });
  const { I18n } = await import('../../core/shared/i18n.js');
  deps = { registry: app.plugins, pluginStates: new PluginStateService(app.orm, app.plugins, app.jobs, new I18n(), log), log };
});
afterAll(async () => {
  await app?.close();
});

describe('seed:national on two provinces', () => {
  let first = '';
  let result: Awaited<ReturnType<typeof seedNational>>;

  it('seeds a law-abiding structure: the check report of the seeded provinces is clean', async () => {
    first = await createElection(app, { name: 'Diễn tập 1' });
    result = await seedNational(app.orm, deps, { seed: 7, electionId: first, provinces: PROVINCES, referenceDir: app.config.referenceDataDir });
    expect(result.check).toEqual({ errors: 0, warnings: 0, byCode: {} });
    expect(result.provinces).toBe(2);
    expect(result.communes).toBe(168 + 126);
    // NA units of the two cities are the real ones: HCMC 13 units / 38 seats, Hà Nội 11 / 32.
    expect(result.units['national-assembly']).toBe(24);
    expect(result.seats['national-assembly']).toBe(70);
    // HCMC's council: 125 seats in 42 units (§9.1).
    const em = app.orm.em.fork();
    const [hcmc] = await sql<{ n: number; s: number }>(em, `select count(*)::int as n, sum(seats)::int as s from electoral_unit where election_id = ? and contest = 'provincial-council' and parent_code = '79'`, [first]);
    expect(hcmc).toEqual({ n: 42, s: 125 });
    // Every polling area: 300–4,000 voters unless separate or with a reason; one unit per contest.
    const [bad] = await sql<{ n: number }>(em, `select count(*)::int as n from polling_area where election_id = ? and (voters > 4000 or (voters < 300 and kind = 'regular' and small_reason is null))`, [first]);
    expect(bad.n).toBe(0);
    const [unmapped] = await sql<{ n: number }>(em, `select count(*)::int as n from polling_area a where a.election_id = ? and (select count(*) from polling_area_unit pu where pu.polling_area_id = a.id) <> 3`, [first]);
    expect(unmapped.n).toBe(0);
    const [noArea] = await sql<{ n: number }>(em, `select count(*)::int as n from admin_unit c where c.parent_code in ('79','01') and c.level = 'commune' and c.valid_to is null
      and not exists (select 1 from polling_area a where a.election_id = ? and a.commune_code = c.code)`, [first]);
    expect(noArea.n).toBe(0);
  });

  it('the check page agrees: no errors, no warnings for Hồ Chí Minh City', async () => {
    const c = await clientAs(app, 'nec-official', 'nation', 'VN');
    const res = await c.get(`/elections/${first}/structure/check?province=79`, { accept: 'application/json' });
    expect(res.status).toBe(200);
    const j = (await res.json()) as { errors: number; warnings: number; issues: unknown[] };
    expect({ errors: j.errors, warnings: j.warnings }).toEqual({ errors: 0, warnings: 0 });
  });

  it('exports its polling areas in the import format: re-imported (XLSX), nothing changes', async () => {
    const c = await clientAs(app, 'nec-official', 'nation', 'VN');
    const res = await c.get(`/elections/${first}/structure/export/areas.xlsx?province=79`);
    expect(res.status).toBe(200);
    const up = await uploadStructure(c, first, { kind: 'areas', fileName: 'khu-vuc-79.xlsx', content: Buffer.from(await res.arrayBuffer()) });
    const run = await waitRun(c, first, up.runId!);
    expect(run.status, JSON.stringify(run.errors.slice(0, 3))).toBe('succeeded');
    expect(run.summary.noChanges).toBe(true);
  });

  it('is deterministic: same seed → same hash; another seed → another hash; seeding again changes nothing', async () => {
    const second = await createElection(app, { name: 'Diễn tập 2' });
    await seedNational(app.orm, deps, { seed: 7, electionId: second, provinces: PROVINCES, referenceDir: app.config.referenceDataDir });
    const em = app.orm.em.fork();
    const h1 = await structureHash(em, first, PROVINCES);
    expect(await structureHash(em, second, PROVINCES)).toBe(h1);
    // Seeding one province alone gives that province the same structure as seeding it with others.
    const alone = await createElection(app, { name: 'Diễn tập 3' });
    await seedNational(app.orm, deps, { seed: 7, electionId: alone, provinces: ['01'], referenceDir: app.config.referenceDataDir });
    expect(await structureHash(em, alone, ['01'])).toBe(await structureHash(em, first, ['01']));
    const other = await createElection(app, { name: 'Diễn tập 4' });
    await seedNational(app.orm, deps, { seed: 8, electionId: other, provinces: ['01'], referenceDir: app.config.referenceDataDir });
    expect(await structureHash(em, other, ['01'])).not.toBe(await structureHash(em, first, ['01']));
    const again = await seedNational(app.orm, deps, { seed: 7, electionId: first, provinces: PROVINCES, referenceDir: app.config.referenceDataDir });
    expect(again.rowsWritten).toBe(0);
    expect(await structureHash(em, first, PROVINCES)).toBe(h1);
  });
});
