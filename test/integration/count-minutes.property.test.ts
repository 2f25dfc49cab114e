// Property (fast-check) of the count-minutes lifecycle on the real database (issue 6): any sequence of entries by
// different people (matching or not), resolutions, verifications, corrections and their approvals or rejections
// leaves every minutes with exactly one accepted version when it is accepted (none before), the accepted version the
// one count_minutes points at, version numbers 1..n without gaps, every superseded version once accepted, and
// accepted_revision equal to the number of acceptances (a complete lineage). Each step runs in its own transaction,
// as a request would, and a refused step must leave the database as it was.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { CONTEST, buildWorld, goodMinutes, insertArea, type World } from '../helpers/count-minutes.js';
import { sql } from '../../core/persistence/db.js';
import { TOKENS } from '../../core/kernel/tokens.js';
import type { PluginStateService } from '../../core/plugin-host/plugin-state.service.js';
import { parseSubmission } from '../../core/elections/count-minutes/input.js';
import {
  areaContext, decideCorrection, findMinutes, proposeCorrection, resolveDifferences, saveEntry, verifyEntry, type AreaContext, type MinutesDeps,
} from '../../core/elections/count-minutes/service.js';

let app: TestApp;
let w: World;
let ws: World;
let d: MinutesDeps;
let areaN = 0;
const USERS = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000c'];

beforeAll(async () => {
  app = await startTestApp('count_minutes_property');
  w = await buildWorld(app);
  ws = await buildWorld(app, { mode: 'single-plus-verification' });
  d = { registry: app.plugins, pluginStates: app.container.get<PluginStateService>(TOKENS.PluginStates), jobs: app.jobs };
});

afterAll(async () => {
  await app?.close();
});

/** Two variants of valid minutes: the same paper read two ways (a swapped pair of candidate votes). */
function data(world: World, variant: number) {
  const votes = variant === 0 ? [500, 450, 400, 380, 370] : variant === 1 ? [500, 450, 400, 370, 380] : [501, 449, 400, 380, 370];
  const p = parseSubmission(goodMinutes(world, { votes: votes.map((v, i) => ({ candidateId: world.candidates[i], votes: v })) }));
  if (!p.ok) throw new Error('fixture');
  return p.value;
}

type Op =
  | { k: 'enter'; user: number; variant: number }
  | { k: 'resolve'; user: number; how: 'keep-1' | 'keep-2' | 'return-1' | 'return-2' }
  | { k: 'verify'; user: number; confirm: boolean }
  | { k: 'correct'; user: number; variant: number }
  | { k: 'decide'; user: number; approve: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('enter' as const), user: fc.integer({ min: 0, max: 2 }), variant: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ k: fc.constant('resolve' as const), user: fc.integer({ min: 0, max: 2 }), how: fc.constantFrom('keep-1' as const, 'keep-2' as const, 'return-1' as const, 'return-2' as const) }),
  fc.record({ k: fc.constant('verify' as const), user: fc.integer({ min: 0, max: 2 }), confirm: fc.boolean() }),
  fc.record({ k: fc.constant('correct' as const), user: fc.integer({ min: 0, max: 2 }), variant: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ k: fc.constant('decide' as const), user: fc.integer({ min: 0, max: 2 }), approve: fc.boolean() }),
);

const ROLLBACK = Symbol('rollback');

/** Runs one step in a transaction; a refusal rolls back (as mountAction does). */
async function step(c: AreaContext, o: Op, world: World = w): Promise<boolean> {
  let okStep = false;
  await app.orm.em.fork().transactional(async (tx) => {
    const em = tx as EntityManager;
    const m = await findMinutes(em, c.area.id, c.contest);
    const user = USERS[o.user];
    let r: { ok: boolean };
    if (o.k === 'enter') {
      const [mine] = m ? await sql<{ rev: number }>(em, `select rev from count_minutes_entry where minutes_id = ? and user_id = ?`, [m.id, user]) : [];
      // As the routes do: the context (with the minutes state the entry is decided on) is read for each request.
      const now = await areaContext(em, d, c.electionId, c.area.id, c.contest);
      if (!now.ok) throw new Error('context');
      r = await saveEntry(em, d, now.value, user, { ...data(world, o.variant), rev: mine?.rev ?? 0 });
    } else if (!m) r = { ok: false };
    else if (o.k === 'resolve') r = await resolveDifferences(em, d, m.id, user, o.how, null);
    else if (o.k === 'verify') r = await verifyEntry(em, d, m.id, user, o.confirm, null);
    else if (o.k === 'correct') {
      const p = data(world, o.variant);
      r = await proposeCorrection(em, d, c, m.id, user, { basedOn: m.accepted_version_id ?? '', data: p.data, reason: 'Kiểm phiếu lại', reference: 'QĐ 1', confirmedWarnings: [], note: null });
    } else {
      const [v] = await sql<{ id: string }>(em, `select id from count_minutes_version where minutes_id = ? and status = 'entered' and kind = 'correction'`, [m.id]);
      r = v ? await decideCorrection(em, d, m.id, v.id, user, o.approve, null) : { ok: false };
    }
    okStep = r.ok;
    if (!r.ok) throw ROLLBACK;
  }).catch((e) => {
    if (e !== ROLLBACK) throw e;
  });
  return okStep;
}

async function invariants(areaId: string): Promise<void> {
  const em = app.orm.em.fork();
  const m = await findMinutes(em, areaId, CONTEST);
  if (!m) return;
  const vs = await sql<{ id: string; version_no: number; status: string; accepted_at: string | null; kind: string }>(em,
    `select id, version_no, status, accepted_at, kind from count_minutes_version where minutes_id = ? order by version_no`, [m.id]);
  const accepted = vs.filter((v) => v.status === 'accepted');
  if (m.status === 'accepted' || m.status === 'amending') {
    expect(accepted.length).toBe(1);
    expect(m.accepted_version_id).toBe(accepted[0].id);
  } else {
    expect(accepted.length).toBe(0);
    expect(m.accepted_version_id).toBeNull();
  }
  expect(vs.map((v) => v.version_no)).toEqual(vs.map((_, i) => i + 1));
  for (const v of vs) if (v.status === 'superseded') expect(v.accepted_at).not.toBeNull();
  expect(m.accepted_revision).toBe(vs.filter((v) => v.accepted_at !== null).length);
  expect(vs.filter((v) => v.status === 'entered').length).toBe(m.status === 'amending' ? 1 : 0);
  // Every version keeps its votes: a complete list per version.
  for (const v of vs) {
    const [n] = await sql<{ n: number }>(em, `select count(*)::int as n from count_minutes_vote where version_id = ?`, [v.id]);
    expect(n.n).toBe(5);
  }
}

describe('lifecycle property (fast-check)', () => {
  for (const [name, world] of [['double entry', () => w], ['single entry plus verification', () => ws]] as const) {
    it(`${name}: any sequence of entries, resolutions and corrections leaves exactly one accepted version once accepted, and a complete lineage`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
          const wd = world();
          const area = await insertArea(app.orm.em.fork(), wd, wd.commune, ++areaN, wd.unitId);
          const c = await areaContext(app.orm.em.fork(), d, wd.electionId, area, CONTEST);
          if (!c.ok) throw new Error('context');
          for (const o of ops) {
            await step(c.value, o, wd);
            await invariants(area);
          }
        }),
        { numRuns: 60 },
      );
    }, 300_000);
  }

  it('a scripted run reaches every state: differences, return, re-entry, acceptance, correction, approval', async () => {
    const area = await insertArea(app.orm.em.fork(), w, w.commune, ++areaN, w.unitId);
    const c = await areaContext(app.orm.em.fork(), d, w.electionId, area, CONTEST);
    if (!c.ok) throw new Error('context');
    const script: [Op, boolean][] = [
      [{ k: 'enter', user: 0, variant: 0 }, true],
      [{ k: 'enter', user: 0, variant: 0 }, false], // same user
      [{ k: 'enter', user: 1, variant: 1 }, true], // differences
      [{ k: 'resolve', user: 0, how: 'keep-1' }, false], // a typist cannot resolve
      [{ k: 'resolve', user: 2, how: 'return-2' }, true],
      [{ k: 'enter', user: 1, variant: 0 }, true], // re-entry matches → accepted
      [{ k: 'correct', user: 2, variant: 2 }, true],
      [{ k: 'decide', user: 2, approve: true }, false], // proposer
      [{ k: 'decide', user: 0, approve: true }, true],
    ];
    for (const [o, expected] of script) {
      expect(await step(c.value, o), JSON.stringify(o)).toBe(expected);
      await invariants(area);
    }
    const m = await findMinutes(app.orm.em.fork(), area, CONTEST);
    expect(m).toMatchObject({ status: 'accepted', accepted_revision: 2 });
  });
});
