// Results at national scale (docs/results.md): the national rehearsal structure (72,195 polling areas × 3 contests
// = 216,585 accepted minutes, official lists of seats + 2 candidates per unit) seeded with SQL, then (a) the
// from-scratch national aggregation (the SQL fold of every level, and the reconciler that stores it), (b) the
// determination of every unit of the three contests (one streamed query, results-loader.ts → determination.ts; the
// per-contest reads of results.service.ts unitOutcomes beside it, and the bare streamed query as the raw limit), and
// (c) the incremental lag from an accepted correction to the national total through the real (coalescing) BullMQ
// job, at a fixed offered rate. A dedicated schema, dropped after. The machine is shared: `uptime` is recorded.
import { startTestApp, type TestApp } from '../test/helpers/test-app.js';
import { waitReferenceImport } from '../test/helpers/admin-tree.js';
import { createElection } from '../test/helpers/structure.js';
import { percentile, round, type Bench, type BenchEntry } from './lib.js';
import { sql, exec } from '../core/persistence/db.js';
import { newId } from '../core/shared/ids.js';
import { TOKENS } from '../core/kernel/tokens.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PluginStateService } from '../core/plugin-host/plugin-state.service.js';
import { seedNational } from '../core/elections/structure/seed-national.js';
import { foldTotals, foldCandidates, reconcile } from '../core/elections/results/aggregation.js';
import { AGGREGATE_MINUTES_JOB, dispatchAggregation, recordAggregation } from '../core/elections/results/aggregation-trigger.js';
import { unitOutcomes, type UnitOutcome } from '../core/elections/results/results.service.js';
import { forEachUnitOutcome } from '../core/elections/results/results-loader.js';
import { determineUnits, type UnitTally } from '../core/elections/results/determination.js';
import { isDeepStrictEqual } from 'node:util';
import os from 'node:os';

const LAG_RATE = Number(process.env.RESULTS_BENCH_RATE ?? 100);
const LAG_SECONDS = Number(process.env.RESULTS_BENCH_SECONDS ?? 15);
const CONTESTS = ['national-assembly', 'provincial-council', 'commune-council'];
// Jobs coalesce (migration 953): the first job takes every pending acceptance in one batch and the others find
// theirs done; with 8 concurrent jobs a batch is being applied while the next ones queue (4 was too few: p95 6 s).
const WORKER_CONCURRENCY = process.env.RESULTS_BENCH_CONCURRENCY ?? '8';
/** RESULTS_BENCH_OLD_PATH=0 skips the per-contest reads of results.service.ts (the before figure, ~7 s or more). */
const OLD_PATH = process.env.RESULTS_BENCH_OLD_PATH !== '0';
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');

export async function seedMinutes(app: TestApp, electionId: string): Promise<{ minutes: number; votes: number; candidates: number; ms: number }> {
  const t0 = performance.now();
  const em = app.orm.em.fork();
  await em.transactional(async (tx) => {
    const t = tx as EntityManager;
    await exec(t, `insert into candidate (id, election_id, contest, council_code, full_name, name_key, sort_key, gender, date_of_birth, ethnicity, nominated_by, filing_body_code, status, unit_id, ballot_order)
      select gen_random_uuid(), u.election_id, u.contest, u.parent_code, 'Ứng cử viên ' || u.number || '-' || g, 'ung cu vien ' || u.number || '-' || g, 'ung cu vien ' || u.number || '-' || g,
        case when g % 2 = 0 then 'female' else 'male' end, date '1960-01-01' + (abs(hashtext(u.id::text || g::text)) % 12000), 'Kinh', 'local', u.parent_code, 'official', u.id, g
      from electoral_unit u cross join lateral generate_series(1, u.seats + 2) g where u.election_id = ?`, [electionId]);
    await exec(t, `insert into count_minutes (id, election_id, contest, polling_area_id, unit_id, round, status, accepted_revision)
      select gen_random_uuid(), a.election_id, pu.contest, pu.polling_area_id, pu.unit_id, 'first', 'accepted', 1
      from polling_area_unit pu join polling_area a on a.id = pu.polling_area_id where a.election_id = ?`, [electionId]);
    // Turnout 60–99.9 %, 0–4 % invalid; each candidate's votes a pseudo-random share of the valid ballots.
    await exec(t, `insert into count_minutes_version (id, minutes_id, version_no, kind, status, voters_total, voters_voted, ballots_issued, ballots_received, ballots_valid, ballots_invalid, created_by, accepted_by, accepted_at)
      select gen_random_uuid(), m.id, 1, 'original', 'accepted', a.voters, x.voted, x.voted, x.voted, x.voted - x.inv, x.inv, 'bench', 'bench', now()
      from count_minutes m join polling_area a on a.id = m.polling_area_id
      cross join lateral (select (a.voters * (0.6 + (abs(hashtext(m.id::text)) % 399) / 1000.0))::int as voted) v0
      cross join lateral (select v0.voted, (v0.voted * ((abs(hashtext(m.id::text || 'i')) % 40) / 1000.0))::int as inv) x
      where m.election_id = ?`, [electionId]);
    await exec(t, `update count_minutes m set accepted_version_id = v.id from count_minutes_version v where v.minutes_id = m.id and m.election_id = ?`, [electionId]);
    await exec(t, `insert into count_minutes_vote (version_id, candidate_id, votes)
      select v.id, c.id, floor(v.ballots_valid * ((abs(hashtext(c.id::text || v.id::text)) % 1000) / 1000.0))::int
      from count_minutes m join count_minutes_version v on v.id = m.accepted_version_id join candidate c on c.unit_id = m.unit_id and c.status = 'official'
      where m.election_id = ?`, [electionId]);
  });
  const [{ minutes }] = await sql<{ minutes: number }>(em, `select count(*)::int as minutes from count_minutes where election_id = ?`, [electionId]);
  const [{ votes }] = await sql<{ votes: number }>(em, `select count(*)::int as votes from count_minutes_vote`);
  const [{ candidates }] = await sql<{ candidates: number }>(em, `select count(*)::int as candidates from candidate where election_id = ?`, [electionId]);
  await exec(em, 'analyze');
  return { minutes, votes, candidates, ms: performance.now() - t0 };
}

export const resultsBench: Bench = {
  name: 'results',
  async run() {
    const app = await startTestApp('bench_results', { AUTO_IMPORT_REFERENCE: 'true', LOG_LEVEL: 'silent',
      WORKER_CONCURRENCY, DB_POOL_MAX: String(Number(WORKER_CONCURRENCY) + 32) });
    const out: BenchEntry[] = [];
    // Each figure is printed as soon as it exists: on this shared machine a later phase may fail or be cut short.
    const push0 = out.push.bind(out);
    out.push = (...e: BenchEntry[]) => { for (const x of e) process.stderr.write(`  · ${x.name}: ${x.value} ${x.unit}${x.notes ? ` — ${x.notes}` : ''}\n`); return push0(...e); };
    try {
      await waitReferenceImport(app);
      const states = app.container.get<PluginStateService>(TOKENS.PluginStates);
      const electionId = await createElection(app, { name: 'Bench results' });
      await seedNational(app.orm, { registry: app.plugins, pluginStates: states, log: app.log }, { seed: 2026, electionId, referenceDir: app.config.referenceDataDir });
      const seeded = await seedMinutes(app, electionId);
      out.push({ name: `seed: ${seeded.minutes} accepted minutes, ${seeded.votes} vote rows, ${seeded.candidates} official candidates (SQL insert … select)`, value: round(seeded.ms / 1000, 1), unit: 's' });
      const em = app.orm.em.fork();

      // (a) from-scratch national aggregation: every level of every contest, then the per-candidate unit totals.
      const runs: { totals: number; cands: number }[] = [];
      let rows = 0;
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const f = await foldTotals(em, electionId);
        const t1 = performance.now();
        await foldCandidates(em, electionId);
        runs.push({ totals: t1 - t0, cands: performance.now() - t1 });
        rows = f.length;
      }
      const best = (k: 'totals' | 'cands') => Math.min(...runs.map((r) => r[k]));
      out.push({ name: `from-scratch national aggregation (SQL fold, ${rows} scope rows: units, communes, provinces, nation × 3 contests), best of 3`, value: round(best('totals'), 0), unit: 'ms',
        notes: `goal ≤ 1500 ms; runs ${runs.map((r) => round(r.totals, 0)).join(', ')} ms; per-candidate unit totals fold ${round(best('cands'), 0)} ms more` });
      const t2 = performance.now();
      const rec = await reconcile(em, electionId);
      // Statistics of the aggregates the reconciler just stored (autovacuum would gather them in a deployment).
      await exec(em, 'analyze results_total_base, results_candidate_total, results_applied');
      out.push({ name: 'reconciler, first run after seeding (lock-free compare; if anything differs, exclusive lock + fold + rewrite of all aggregates)', value: round(performance.now() - t2, 0), unit: 'ms', notes: `${rec.drift} rows repaired (0 when the scheduled reconciler of the worker stored them first)` });
      const t3 = performance.now();
      const rec2 = await reconcile(em, electionId);
      out.push({ name: 'reconciler with nothing to repair (lock-free fold + compare on one snapshot)', value: round(performance.now() - t3, 0), unit: 'ms', notes: `${rec2.drift} rows repaired` });

      // (b) determination of every unit of all three contests: one streamed query (results-loader.ts), batches of
      // outcomes handed on as they come (memory bounded), each unit through determination.ts.
      const contestType = (id: string) => app.plugins.contestType(id);
      const tallies: Record<string, UnitTally[]> = Object.fromEntries(CONTESTS.map((c) => [c, []]));
      const streamed = new Map<string, UnitOutcome[]>(CONTESTS.map((c) => [c, []]));
      const detRuns: number[] = [];
      let units = 0;
      let elected = 0;
      const loadB = load();
      for (let i = 0; i < 2; i++) {
        units = 0;
        elected = 0;
        for (const c of CONTESTS) { tallies[c] = []; streamed.set(c, []); }
        const t4 = performance.now();
        await forEachUnitOutcome(em, electionId, contestType, {}, (batch) => {
          for (const o of batch) {
            units++;
            elected += o.elected.length;
            if (o.rounds[0].tally) tallies[o.unit.contest]?.push(o.rounds[0].tally);
            if (i === 1 && OLD_PATH) streamed.get(o.unit.contest)?.push(o);
          }
        });
        detRuns.push(performance.now() - t4);
      }
      const detMs = Math.min(...detRuns);
      // The raw limit: the same streamed query read to its end with no JS work per unit.
      const t6 = performance.now();
      const rawRows = await em.fork().transactional(async (tx) => {
        const t = tx as EntityManager;
        await exec(t, `set local cursor_tuple_fraction = 1.0; set local jit = off; set local work_mem = '64MB'`);
        const [{ n }] = await sql<{ n: number }>(t, `select count(*)::int as n from candidate c join electoral_unit u on u.id = c.unit_id
          left join results_candidate_total ct on ct.election_id = u.election_id and ct.contest = u.contest and ct.round = 'first' and ct.unit_id = u.id and ct.candidate_id = c.id
          where u.election_id = ? and c.status = 'official'`, [electionId]);
        return n;
      });
      const joinMs = performance.now() - t6;
      const t5 = performance.now();
      for (const c of CONTESTS) determineUnits(tallies[c], { additionalElection: contestType(c)!.additionalElection, seats: contestType(c)!.seats });
      const pureMs = performance.now() - t5;
      let oldNote = 'old path skipped (RESULTS_BENCH_OLD_PATH=0)';
      if (OLD_PATH) {
        const t7 = performance.now();
        let same = 0;
        let total = 0;
        for (const c of CONTESTS) {
          const os0 = await unitOutcomes(em, electionId, contestType, { contest: c });
          const ns = streamed.get(c)!;
          total += os0.length;
          for (let k = 0; k < os0.length; k++) if (isDeepStrictEqual(os0[k], ns[k])) same++;
        }
        oldNote = `the same through results.service.ts unitOutcomes, one contest at a time (the pages' path): ${round(performance.now() - t7, 0)} ms, outcomes identical for ${same}/${total} units`;
      }
      out.push({ name: `determination of every unit of the 3 contests (${units} units, ${elected} elected): one streamed query (results-loader.ts) + determination.ts, best of 2`, value: round(detMs, 0), unit: 'ms',
        raw: { name: 'pure determination.ts of the same tallies (the machine-speed yardstick)', value: round(pureMs, 0), unit: 'ms' }, ratio: round(pureMs / detMs, 3),
        notes: `goal ≤ 3000 ms; runs ${detRuns.map((x) => round(x, 0)).join(', ')} ms; candidates ⋈ candidate totals count alone (${rawRows} rows): ${round(joinMs, 0)} ms; ${oldNote}; load average ${loadB} → ${load()}` });

      // (c) incremental lag: corrections accepted at a fixed rate, each dispatching the election's coalesced
      // aggregation run after commit; lag = the commit that applied the revision − the acceptance's commit.
      const areas = await sql<{ id: string; unit_id: string; contest: string; minutes_id: string; ballots_valid: number; voters: number }>(em,
        `select m.polling_area_id as id, m.unit_id, m.contest, m.id as minutes_id, v.ballots_valid, a.voters from count_minutes m
          join count_minutes_version v on v.id = m.accepted_version_id join polling_area a on a.id = m.polling_area_id
          where m.election_id = ? order by random() limit ?`, [electionId, LAG_RATE * LAG_SECONDS]);
      const cands = new Map<string, string[]>();
      for (const r of await sql<{ unit_id: string; ids: string[] }>(em, `select unit_id, array_agg(id) as ids from candidate where election_id = ? and status = 'official' group by unit_id`, [electionId])) cands.set(r.unit_id, r.ids);
      const committed = new Map<string, number>(); // acceptance key (minutes:revision) → commit time
      const minutesOf = new Map<string, { minutesId: string; revision: number }>();
      const runIds = new Set<string>();
      const t0Runs = new Date();
      const interval = 1000 / LAG_RATE;
      const loadC = load();
      const start = Date.now();
      let late = 0;
      // At most ACCEPT_SLOTS acceptances in flight (a count-minutes web process has a bounded pool too); one that
      // cannot start on time counts as late instead of queueing for a connection until the pool times out.
      const ACCEPT_SLOTS = Number(process.env.RESULTS_BENCH_ACCEPT_SLOTS ?? 24);
      let inFlight = 0;
      const slotFree: (() => void)[] = [];
      await Promise.all(areas.map(async (a, i) => {
        const due = start + i * interval;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        while (inFlight >= ACCEPT_SLOTS) await new Promise<void>((r) => slotFree.push(r));
        inFlight++;
        if (Date.now() - due > interval) late++;
        try {
          const { ticket, revision } = await app.orm.em.fork().transactional(async (tx) => {
            const t = tx as EntityManager;
            const [{ n }] = await sql<{ n: number }>(t, `select coalesce(max(version_no), 0)::int as n from count_minutes_version where minutes_id = ?`, [a.minutes_id]);
            const [m] = await sql<{ accepted_revision: number }>(t, `select accepted_revision from count_minutes where id = ? for update`, [a.minutes_id]);
            await exec(t, `update count_minutes_version set status = 'superseded' where minutes_id = ? and status = 'accepted'`, [a.minutes_id]);
            const vid = newId();
            const valid = Math.max(0, a.ballots_valid - 1);
            await exec(t, `insert into count_minutes_version (id, minutes_id, version_no, kind, status, voters_total, voters_voted, ballots_issued, ballots_received, ballots_valid, ballots_invalid, created_by, accepted_by, accepted_at)
              values (?, ?, ?, 'correction', 'accepted', ?, ?, ?, ?, ?, 0, 'bench', 'bench', now())`, [vid, a.minutes_id, n + 1, a.voters, valid, valid, valid, valid]);
            const ids = cands.get(a.unit_id) ?? [];
            if (ids.length) await exec(t, `insert into count_minutes_vote (version_id, candidate_id, votes) select ?, x, ? from unnest(?::uuid[]) x`, [vid, Math.floor(valid / 2), `{${ids.join(',')}}`]);
            await exec(t, `update count_minutes set accepted_version_id = ?, accepted_revision = ? where id = ?`, [vid, m.accepted_revision + 1, a.minutes_id]);
            const ticket = await recordAggregation(app.jobs, t, { electionId, minutesId: a.minutes_id, revision: m.accepted_revision + 1 }, 'bench');
            return { ticket: ticket!, revision: m.accepted_revision + 1 };
          });
          const key = `${a.minutes_id}:${revision}`;
          committed.set(key, Date.now());
          minutesOf.set(key, { minutesId: a.minutes_id, revision });
          const d = await dispatchAggregation(app.jobs, ticket);
          if (d) runIds.add(d.runId);
        } finally {
          inFlight--;
          slotFree.shift()?.();
        }
      }));
      const ids = [...committed.keys()];
      const deadline = Date.now() + 300_000;
      while (Date.now() < deadline) {
        const [{ open }] = await sql<{ open: number }>(em, `select count(*)::int as open from job_run where name = ? and election_id = ? and status in ('queued', 'running')`, [AGGREGATE_MINUTES_JOB, electionId]);
        const [{ pending }] = await sql<{ pending: number }>(em, `select count(*)::int as pending from results_pending where election_id = ?`, [electionId]);
        if (open === 0 && pending === 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const drainedAt = Date.now();
      // Lag to the national total: when the transaction that applied the minutes' revision to its unit row (which the
      // view sums into the nation) did so (results_applied.applied_at), minus the acceptance's commit.
      const applied = new Map((await sql<{ minutes_id: string; revision: number; applied_at: Date }>(em, `select minutes_id, revision, applied_at from results_applied where minutes_id = any(?::uuid[])`,
        [`{${[...minutesOf.values()].map((m) => m.minutesId).join(',')}}`])).map((r) => [r.minutes_id, r]));
      const lags = ids.flatMap((id) => {
        const m = minutesOf.get(id)!;
        const r = applied.get(m.minutesId);
        return r && r.revision >= m.revision ? [new Date(r.applied_at).getTime() - committed.get(id)!] : [];
      }).sort((x, y) => x - y);
      const [aggRuns] = await sql<{ n: number; failed: number; maxb: number; avgb: number }>(em, `select count(*)::int as n, count(*) filter (where status = 'failed')::int as failed,
        max((result->>'batch')::int) as maxb, avg((result->>'batch')::int) as avgb from job_run where name = ? and election_id = ? and created_at >= ?`, [AGGREGATE_MINUTES_JOB, electionId, t0Runs]);
      const offered = ids.length / ((drainedAt - start) / 1000);
      out.push({ name: `incremental lag acceptance → national total (coalesced BullMQ runs per election, in-process worker concurrency ${app.config.workerConcurrency}), p95 at ${LAG_RATE}/s offered for ${LAG_SECONDS} s`, value: round(percentile(lags, 95), 0), unit: 'ms',
        notes: `goal p95 ≤ 1000 ms; n=${lags.length}/${ids.length}, p50 ${round(percentile(lags, 50), 0)} ms, p99 ${round(percentile(lags, 99), 0)} ms, max ${round(lags[lags.length - 1] ?? NaN, 0)} ms; `
          + `${aggRuns?.n ?? 0} aggregation runs for ${ids.length} acceptances (${runIds.size} distinct runs dispatched; mean ${round(Number(aggRuns?.avgb ?? 0), 1)}, max ${aggRuns?.maxb ?? 0} minutes per run; ${aggRuns?.failed ?? 0} failed); `
          + `${late} acceptances started late; acceptances + runs share this process and PostgreSQL (overall ${round(offered, 0)}/s incl. drain); load average ${loadC} → ${load()}` });
      const rec3 = await reconcile(em, electionId);
      out.push({ name: 'reconciler after the incremental run (drift found)', value: rec3.drift, unit: 'rows', notes: `${round(rec3.ms, 0)} ms` });
    } finally {
      await app.close();
    }
    return out;
  },
};
