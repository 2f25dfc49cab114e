// Issue 7 point 1: accepted minutes roll up polling area → unit → commune → province → nation through the job the
// count-minutes module triggers; corrections apply new − old; stale and duplicate runs are no-ops; the reconciler
// recomputes from scratch, repairs drift and records what it repaired; progress per level.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.js';
import { createElection } from '../helpers/structure.js';
import { seedResultsStructure, acceptMinutes, makeCounts, type SeedUnit } from '../helpers/results.js';
import { sql, exec } from '../../core/persistence/db.js';
import { AGGREGATE_MINUTES_JOB, dispatchAggregation, recordAggregation } from '../../core/elections/results/aggregation-trigger.js';
import { applyMinutes, foldTotals, storedTotals, reconcile, progressBy, foldCandidates, storedCandidates } from '../../core/elections/results/aggregation.js';

let app: TestApp;
let em: EntityManager;
let electionId: string;
let units: SeedUnit[];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}
const key = (r: { contest: string; round: string; scope_level: string; scope_code: string }) => `${r.contest}|${r.round}|${r.scope_level}|${r.scope_code}`;
const sorted = <T extends object>(rows: T[], k: (r: T) => string) => [...rows].sort((a, b) => (k(a) < k(b) ? -1 : 1));

async function expectEqualsFold() {
  const f = (await foldTotals(em, electionId)).filter((r) => r.minutes_accepted !== 0);
  const s = (await storedTotals(em, electionId)).filter((r) => r.minutes_accepted !== 0);
  expect(sorted(s, key)).toEqual(sorted(f, key));
  const ck = (r: any) => `${r.contest}|${r.round}|${r.unit_id}|${r.candidate_id}`;
  expect(sorted((await storedCandidates(em, electionId)).filter((r) => r.votes !== 0), ck)).toEqual(sorted((await foldCandidates(em, electionId)).filter((r) => r.votes !== 0), ck));
}

beforeAll(async () => {
  app = await startTestApp('results_agg');
  em = app.orm.em.fork();
  electionId = await createElection(app);
  units = await seedResultsStructure(em, electionId, { provinces: [{ communes: [{ areas: 3 }, { areas: 2 }] }, { communes: [{ areas: 2 }] }] });
}, 60_000);
afterAll(async () => app?.close());

describe('aggregation (issue 7 point 1)', () => {
  it('the aggregate job the count-minutes module triggers is registered and rolls an acceptance up to the nation', async () => {
    expect(app.jobs.knows(AGGREGATE_MINUTES_JOB)).toBe(true);
    const u = units.find((x) => x.contest === 'national-assembly')!;
    const c = makeCounts(u, rng(1));
    const acc = await acceptMinutes(em, electionId, { areaId: u.areas[0], unitId: u.id, contest: u.contest, counts: c.counts, votes: c.votes });
    const ticket = await em.fork().transactional((tx) => recordAggregation(app.jobs, tx as EntityManager, { electionId, ...acc }, 'test'));
    const d = await dispatchAggregation(app.jobs, ticket);
    expect(d?.queued).toBe(true);
    await waitFor(async () => (await app.jobs.get(d!.runId))?.status === 'succeeded', 20_000);
    expect(await sql(em, `select 1 from results_pending where election_id = ?`, [electionId])).toEqual([]);
    const [nation] = await sql<any>(em, `select * from results_total where election_id = ? and contest = 'national-assembly' and scope_level = 'nation'`, [electionId]);
    expect(Number(nation.voters_voted)).toBe(c.counts.voters_voted);
    expect(nation.minutes_accepted).toBe(1);
    const [prov] = await sql<any>(em, `select * from results_total where election_id = ? and scope_level = 'province' and scope_code = ?`, [electionId, u.province]);
    expect(Number(prov.ballots_valid)).toBe(c.counts.ballots_valid);
    await expectEqualsFold();
  });

  it('a correction applies new − old; a duplicate or stale run is a no-op', async () => {
    const u = units.find((x) => x.contest === 'commune-council')!;
    const r = rng(2);
    const first = makeCounts(u, r);
    const a1 = await acceptMinutes(em, electionId, { areaId: u.areas[0], unitId: u.id, contest: u.contest, ...first });
    expect((await applyMinutes(em, electionId, a1.minutesId)).applied).toBe(true);
    expect((await applyMinutes(em, electionId, a1.minutesId)).applied).toBe(false); // duplicate
    const second = makeCounts(u, r);
    await acceptMinutes(em, electionId, { areaId: u.areas[0], unitId: u.id, contest: u.contest, ...second });
    expect((await applyMinutes(em, electionId, a1.minutesId)).applied).toBe(true); // the stale run reads the current version
    expect((await applyMinutes(em, electionId, a1.minutesId)).applied).toBe(false);
    const [unit] = await sql<any>(em, `select * from results_total where election_id = ? and scope_level = 'unit' and scope_code = ?`, [electionId, u.id]);
    expect(Number(unit.voters_voted)).toBe(second.counts.voters_voted);
    expect(unit.minutes_accepted).toBe(1);
    const [commune] = await sql<any>(em, `select * from results_total where election_id = ? and scope_level = 'commune' and scope_code = ?`, [electionId, u.commune]);
    expect(Number(commune.ballots_valid)).toBe(second.counts.ballots_valid);
    await expectEqualsFold();
  });

  it('the reconciler repairs drift and records what it repaired; a clean run repairs nothing', async () => {
    for (const u of units) {
      const c = makeCounts(u, rng(u.areas.length + 7));
      const a = await acceptMinutes(em, electionId, { areaId: u.areas[u.areas.length - 1], unitId: u.id, contest: u.contest, ...c });
      await applyMinutes(em, electionId, a.minutesId);
    }
    await expectEqualsFold();
    const clean = await reconcile(em, electionId);
    expect(clean.drift).toBe(0);
    // Drift: a lost job (accepted, never applied) and a hand-edited total.
    const u = units[0];
    await acceptMinutes(em, electionId, { areaId: u.areas[0], unitId: u.id, contest: u.contest, ...makeCounts(u, rng(99)) });
    await exec(em, `update results_total set voters_total = voters_total + 5 where election_id = ? and scope_level = 'nation' and contest = 'national-assembly'`, [electionId]);
    const rep = await reconcile(em, electionId);
    expect(rep.drift).toBeGreaterThan(0);
    expect(rep.repaired.some((x) => x.kind === 'applied')).toBe(true);
    expect(rep.repaired.some((x) => x.kind === 'total' && x.key.includes('|nation|'))).toBe(true);
    await expectEqualsFold();
    const [run] = await sql<any>(em, `select drift, repaired from results_reconcile_run where id = ?`, [rep.runId]);
    expect(run.drift).toBe(rep.drift);
    expect((await reconcile(em, electionId)).drift).toBe(0);
  });

  it('progress per level: expected = polling areas of the units, accepted, missing', async () => {
    const nation = await progressBy(em, electionId, 'national-assembly', 'first', 'nation');
    const totalAreas = units.filter((u) => u.contest === 'national-assembly').reduce((s, u) => s + u.areas.length, 0);
    const [{ n }] = await sql<{ n: number }>(em, `select count(*)::int as n from count_minutes where election_id = ? and contest = 'national-assembly' and accepted_version_id is not null`, [electionId]);
    expect(nation).toEqual([{ scope_code: 'VN', expected: totalAreas, entered: n, accepted: n, missing: totalAreas - n }]);
    const provinces = await progressBy(em, electionId, 'national-assembly', 'first', 'province');
    expect(provinces.reduce((s, p) => s + p.expected, 0)).toBe(totalAreas);
    const perUnit = await progressBy(em, electionId, 'commune-council', 'first', 'unit', units[0].province);
    expect(perUnit.length).toBe(units.filter((u) => u.contest === 'commune-council' && u.province === units[0].province).length);
  });
});
