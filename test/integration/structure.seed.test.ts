// The national rehearsal dataset (issue 4 point 8), seeded for two provinces (Hồ Chí Minh City and Hà Nội): the same
// seed gives the same structure (hash by natural keys), another seed another one; the result passes every structure
// rule (a clean check report), and so do its election bodies (rules 7–8, the calendar's completeness checks); counts follow the plan (every commune has areas, 300–4,000 voters or a reason, one
// unit per contest for every area). The full national run is for bench/structure.bench.ts.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { waitReferenceImport } from '../helpers/admin-tree.js';
import { createElection, clientAs, uploadStructure, waitRun } from '../helpers/structure.js';
import { sql } from '../../core/persistence/db.js';
import { createLogger } from '../../core/shared/logger.js';
import { PluginStateService } from '../../core/plugin-host/plugin-state.service.js';
import { bodiesHash, seedNational, structureHash } from '../../core/elections/structure/seed-national.js';
import { BODY_CHECKS } from '../../core/elections/bodies/completeness.js';
import { COMMITTEE_SIZES, TEAM_SIZES } from '../../core/elections/bodies/rules.js';

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

  it('seeds the bodies of rules 7–8: one per province, commune, unit and area, sized by rule 7, one leader each, all formed', async () => {
    const em = app.orm.em.fork();
    const scope = `with k as (select code from admin_unit where level = 'commune' and parent_code in ('79','01') and valid_to is null)`;
    const [n] = await sql<Record<string, number>>(em, `${scope} select
        (select count(*)::int from admin_unit where level = 'province' and code in ('79','01') and valid_to is null) as provinces,
        (select count(*)::int from election_body where election_id = ? and kind = 'province-committee') as pc,
        (select count(*)::int from k) as communes,
        (select count(*)::int from election_body b join k on k.code = b.commune_code where b.election_id = ? and b.kind = 'commune-committee' and b.status = 'complete') as cc,
        (select count(*)::int from electoral_unit where election_id = ?) as units,
        (select count(*)::int from election_body b join electoral_unit u on u.id = b.unit_id and u.contest = b.contest where b.election_id = ? and b.kind = 'board') as boards,
        (select count(*)::int from polling_area where election_id = ?) as areas,
        (select count(*)::int from election_body b join polling_area a on a.id = b.polling_area_id and a.commune_code = b.commune_code where b.election_id = ? and b.kind = 'team') as teams,
        (select count(*)::int from election_body where election_id = ? and status <> 'complete') as unformed`,
    [first, first, first, first, first, first, first]);
    expect(n.provinces).toBe(2);
    expect(n.pc).toBe(2);
    expect(n.cc).toBe(n.communes); // every commune of the two cities has a council
    expect(n.boards).toBe(n.units);
    expect(n.teams).toBe(n.areas);
    expect(n.unformed).toBe(0);
    expect(result.bodies.byKind).toEqual({ 'province-committee': 2, 'commune-committee': n.communes, board: n.units, team: n.areas });
    // Member counts (rule 7) and exactly one leader, per body.
    const sizes: Record<string, { min: number; max: number }> = {
      'province-committee': COMMITTEE_SIZES['province-committee'], 'commune-committee': COMMITTEE_SIZES['commune-committee'],
      'board:national-assembly': app.plugins.contestType('national-assembly')!.boardSize, 'board:provincial-council': app.plugins.contestType('provincial-council')!.boardSize,
      'board:commune-council': app.plugins.contestType('commune-council')!.boardSize, 'team:civil': TEAM_SIZES.civil, 'team:armed-unit': TEAM_SIZES['armed-unit'],
    };
    const rows = await sql<{ k: string; members: number; leaders: number; secretaries: number }>(em,
      `select b.kind || coalesce(':' || b.contest, '') || coalesce(':' || b.variant, '') as k, count(m.id)::int as members,
              count(*) filter (where m.role in ('chair','head','leader'))::int as leaders, count(*) filter (where m.role = 'secretary')::int as secretaries
         from election_body b left join body_member m on m.body_id = b.id where b.election_id = ? group by b.id, b.kind, b.contest, b.variant`, [first]);
    const bad = rows.filter((r) => !sizes[r.k] || r.members < sizes[r.k].min || r.members > sizes[r.k].max || r.leaders !== 1
      || ((r.k.startsWith('team') || r.k.startsWith('board')) && r.secretaries !== 1));
    expect(bad.slice(0, 5)).toEqual([]);
    expect(new Set(rows.map((r) => r.k))).toContain('team:armed-unit');
    const total = rows.reduce((a, r) => a + r.members, 0);
    expect(total).toBe(result.bodies.members);
    // Plausible members: 09xxxxxxxx phones, organisations, three-part names; decisions before the rule 9 deadlines.
    const [m] = await sql<{ badPhone: number; noOrg: number; badName: number }>(em,
      `select count(*) filter (where m.phone !~ '^09[0-9]{8}$')::int as "badPhone", count(*) filter (where m.organisation is null)::int as "noOrg",
              count(*) filter (where m.full_name !~ '^[^ ]+ [^ ]+ [^ ]+$')::int as "badName"
         from body_member m join election_body b on b.id = m.body_id where b.election_id = ?`, [first]);
    expect(m).toEqual({ badPhone: 0, noOrg: 0, badName: 0 });
    const [late] = await sql<{ n: number }>(em, `select count(*)::int as n from election_body b join election e on e.id = b.election_id where b.election_id = ? and (b.decision_no is null
        or b.formed_on > e.election_day - case when b.kind like '%committee' then 105 when b.kind = 'board' then 70 else 43 end)`, [first]);
    expect(late.n).toBe(0);
    // The calendar's completeness checks of the bodies module: nothing missing in either city.
    for (const [id, check] of Object.entries(BODY_CHECKS)) {
      for (const code of PROVINCES) {
        const r = await check(em, first, { type: 'province', code });
        expect({ id, code, missing: r?.missing }).toEqual({ id, code, missing: 0 });
        expect(r!.total, `${id} ${code}`).toBeGreaterThan(0);
      }
    }
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
    // The bodies too: same members (names, roles, organisations, phones) and decisions.
    const b1 = await bodiesHash(em, first, PROVINCES);
    expect(await bodiesHash(em, second, PROVINCES)).toBe(b1);
    // Seeding one province alone gives that province the same structure as seeding it with others.
    const alone = await createElection(app, { name: 'Diễn tập 3' });
    await seedNational(app.orm, deps, { seed: 7, electionId: alone, provinces: ['01'], referenceDir: app.config.referenceDataDir });
    expect(await structureHash(em, alone, ['01'])).toBe(await structureHash(em, first, ['01']));
    expect(await bodiesHash(em, alone, ['01'])).toBe(await bodiesHash(em, first, ['01']));
    const other = await createElection(app, { name: 'Diễn tập 4' });
    await seedNational(app.orm, deps, { seed: 8, electionId: other, provinces: ['01'], referenceDir: app.config.referenceDataDir });
    expect(await structureHash(em, other, ['01'])).not.toBe(await structureHash(em, first, ['01']));
    expect(await bodiesHash(em, other, ['01'])).not.toBe(await bodiesHash(em, first, ['01']));
    const again = await seedNational(app.orm, deps, { seed: 7, electionId: first, provinces: PROVINCES, referenceDir: app.config.referenceDataDir });
    expect(again.rowsWritten).toBe(0);
    expect(await structureHash(em, first, PROVINCES)).toBe(h1);
    // Seeding again replaces the bodies of the provinces seeded with the same ones.
    expect(again.bodies.members).toBe(result.bodies.members);
    expect(await bodiesHash(em, first, PROVINCES)).toBe(b1);
    // Five seedings of several provinces: allow for a loaded machine (the default 60 s is per test).
  }, 180_000);
});
