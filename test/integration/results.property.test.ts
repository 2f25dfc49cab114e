// Issue 7 done-when: for random structures and minutes accepted in any order, with duplicates, corrections and job
// retries (run concurrently), national = Σ provinces = Σ units = Σ polling areas = the from-scratch fold, and the
// determination never elects more than the seats or anyone at ≤ 50 % of valid ballots (rule 27).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { createElection } from '../helpers/structure.js';
import { seedResultsStructure, acceptMinutes, makeCounts } from '../helpers/results.js';
import { sql } from '../../core/persistence/db.js';
import { applyMinutes, foldTotals, storedTotals, foldCandidates, storedCandidates, COUNT_FIELDS, type TotalRow } from '../../core/elections/results/aggregation.js';
import { unitOutcomes } from '../../core/elections/results/results.service.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('results_prop');
}, 60_000);
afterAll(async () => app?.close());

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}
const key = (r: TotalRow) => `${r.contest}|${r.round}|${r.scope_level}|${r.scope_code}`;

const structureArb = fc.record({
  provinces: fc.array(fc.record({ communes: fc.array(fc.record({ areas: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 3 }),
  naUnitsPerProvince: fc.integer({ min: 1, max: 2 }),
  communeUnitsPerCommune: fc.integer({ min: 1, max: 2 }),
  seatsSeed: fc.integer({ min: 0, max: 1000 }),
});
// An operation: accept (a first acceptance or a correction) a minutes, or run the job of some minutes once or
// several times at once (a duplicate delivery, a retry after a crash).
const opArb = fc.oneof(
  fc.record({ kind: fc.constant('accept' as const), target: fc.nat(), seed: fc.integer({ min: 1, max: 1e9 }) }),
  fc.record({ kind: fc.constant('apply' as const), target: fc.nat(), copies: fc.integer({ min: 1, max: 3 }) }),
);

describe('aggregation property (issue 7)', () => {
  it('national = Σ provinces = Σ units = Σ polling areas = fold; rule 27: never more than seats, never anyone at ≤ 50 %', async () => {
    await fc.assert(fc.asyncProperty(structureArb, fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 1e9 }), async (st, ops, drainSeed) => {
      const em = app.orm.em.fork() as EntityManager;
      const electionId = await createElection(app, { contests: ['national-assembly', 'commune-council'] });
      const units = await seedResultsStructure(em, electionId, {
        provinces: st.provinces, naUnitsPerProvince: st.naUnitsPerProvince, communeUnitsPerCommune: st.communeUnitsPerCommune,
        seats: (c, i) => 1 + ((st.seatsSeed + i) % (c === 'national-assembly' ? 3 : 5)),
        codePrefix: `P${electionId.slice(0, 4)}`,
      });
      const slots = units.flatMap((u) => u.areas.map((a) => ({ u, a })));
      const minutes = new Map<string, string>(); // slot key → minutes id
      for (const op of ops) {
        if (op.kind === 'accept') {
          const s = slots[op.target % slots.length];
          const c = makeCounts(s.u, rng(op.seed));
          const r = await acceptMinutes(em, electionId, { areaId: s.a, unitId: s.u.id, contest: s.u.contest, ...c });
          minutes.set(`${s.a}|${s.u.contest}`, r.minutesId);
        } else if (minutes.size) {
          const ids = [...minutes.values()];
          const id = ids[op.target % ids.length];
          await Promise.all(Array.from({ length: op.copies }, () => applyMinutes(em, electionId, id)));
        }
      }
      // Drain: every minutes' job runs (some twice at once), in a random order.
      const r = rng(drainSeed);
      const ids = [...minutes.values()].sort(() => r() - 0.5);
      await Promise.all(ids.map((id, i) => Promise.all(Array.from({ length: 1 + (i % 2) }, () => applyMinutes(em, electionId, id)))));

      const stored = (await storedTotals(em, electionId)).filter((x) => x.minutes_accepted !== 0);
      const fold = await foldTotals(em, electionId);
      expect([...stored].sort((a, b) => (key(a) < key(b) ? -1 : 1))).toEqual([...fold].sort((a, b) => (key(a) < key(b) ? -1 : 1)));
      const ck = (x: any) => `${x.contest}|${x.round}|${x.unit_id}|${x.candidate_id}`;
      const sc = (await storedCandidates(em, electionId)).filter((x) => x.votes !== 0).sort((a, b) => (ck(a) < ck(b) ? -1 : 1));
      const fc2 = (await foldCandidates(em, electionId)).filter((x) => x.votes !== 0).sort((a, b) => (ck(a) < ck(b) ? -1 : 1));
      expect(sc).toEqual(fc2);

      // Σ over each level equals the level above, and the polling areas' accepted versions directly.
      const areas = await sql<any>(em, `select m.contest, ${COUNT_FIELDS.map((f) => `coalesce(sum(v.${f}), 0)::bigint as ${f}`).join(', ')}, count(*)::int as n
        from count_minutes m join count_minutes_version v on v.id = m.accepted_version_id where m.election_id = ? group by m.contest`, [electionId]);
      for (const a of areas) {
        const level = (l: string) => stored.filter((x) => x.contest === a.contest && x.scope_level === l);
        const sum = (rows: TotalRow[], f: keyof TotalRow) => rows.reduce((s, x) => s + Number(x[f]), 0);
        const [nation] = level('nation');
        for (const f of [...COUNT_FIELDS, 'minutes_accepted'] as const) {
          const fromAreas = f === 'minutes_accepted' ? a.n : Number(a[f]);
          expect(nation[f]).toBe(fromAreas);
          expect(sum(level('province'), f)).toBe(fromAreas);
          expect(sum(level('unit'), f)).toBe(fromAreas);
          if (a.contest === 'commune-council') expect(sum(level('commune'), f)).toBe(fromAreas);
        }
      }

      // Rule 27 through the aggregated path.
      const outcomes = await unitOutcomes(em, electionId, (id) => app.plugins.contestType(id));
      for (const o of outcomes) {
        for (const ro of o.rounds) {
          if (!ro.result || !ro.tally) continue;
          const elected = ro.result.candidates.filter((c) => c.elected);
          expect(elected.length).toBeLessThanOrEqual(ro.tally.seats);
          for (const c of elected) expect(2 * c.votes).toBeGreaterThan(ro.tally.ballotsValid);
        }
      }
    }), { numRuns: 12, endOnFailure: true });
  }, 300_000);
});
