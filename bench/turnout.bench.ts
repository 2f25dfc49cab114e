// Turnout at national scale (docs/turnout.md): (a) slot submissions per second through the HTTP path — a signed-in
// session with its CSRF token posting one polling area's three figures for a report time (form body, JSON answer):
// session + CSRF + schema + policy + phase gate + area lock + rules 22/34 + upsert + running totals + audit in one
// transaction — at a fixed offered rate with autocannon (open model: overallRate, latencies corrected for coordinated
// omission) for TURNOUT_BENCH_SECONDS (60 by default), against (b) the raw PostgreSQL rate for the same writes (the
// three report rows and the three running-total upserts, one transaction per area, same concurrency) in the same run;
// (c) the national aggregation over 72,195 polling areas × 3 contests × 5 report times (1,082,925 reports) from the
// running totals, against the direct group-by over the reports; (d) the national completeness query and page latency.
import pg from 'pg';
import { startTestApp } from '../test/helpers/test-app.js';
import { waitReferenceImport } from '../test/helpers/admin-tree.js';
import { createElection } from '../test/helpers/structure.js';
import { TestClient, createUser } from '../test/helpers/client.js';
import { createTokenUser } from '../test/helpers/token-user.js';
import { benchDatabaseUrl, load, percentile, refusalsSince, round, settle, type Bench, type BenchEntry } from './lib.js';
import { openLoad, startWebTier, type LoadRequest, type OpenLoadResult } from './http-load.js';
import { sql } from '../core/persistence/db.js';
import { newId } from '../core/shared/ids.js';
import { TOKENS } from '../core/kernel/tokens.js';
import type { PluginStateService } from '../core/plugin-host/plugin-state.service.js';
import { seedNational } from '../core/elections/structure/seed-national.js';
import { aggregate, directFold } from '../core/elections/turnout/aggregation.js';
import { missingReports } from '../core/elections/turnout/completeness.js';
import { loadTurnoutElection, rebuildTotals } from '../core/elections/turnout/store.js';

const SECONDS = Number(process.env.TURNOUT_BENCH_SECONDS ?? 60);
const RATE = Number(process.env.TURNOUT_BENCH_RATE ?? 550);
const CONNECTIONS = Number(process.env.TURNOUT_BENCH_CONNECTIONS ?? 64);
const RAW_CLIENTS = 8;
/** The web tier: its own clustered processes (as deployed: web and workers apart), 0 = this process. */
const WEB_PROCESSES = Number(process.env.TURNOUT_BENCH_WEB_PROCESSES ?? 2);
/** Load at the offered rate before the measured run, not counted (JIT-compiled server). */
const WARMUP_SECONDS = Number(process.env.TURNOUT_BENCH_WARMUP_SECONDS ?? 15);
const CONTESTS = ['national-assembly', 'provincial-council', 'commune-council'];

/** An area and the contests held there (the 2026 structure has one area without a commune council). */
interface Area { id: string; commune: string; voters: number; contests: string[] }

/** Raw limit: the same six statements per area (3 report rows, 3 running-total upserts) in one transaction, RAW_CLIENTS in parallel. */
async function rawRate(schema: string, electionId: string, areas: Area[], slot: string, seconds: number): Promise<{ rate: number; p50: number; p99: number; n: number }> {
  const clients = await Promise.all(Array.from({ length: RAW_CLIENTS }, async () => {
    const c = new pg.Client({ connectionString: benchDatabaseUrl() });
    await c.connect();
    await c.query(`set search_path to "${schema}", public`);
    return c;
  }));
  let next = 0;
  const lat: number[] = [];
  const until = Date.now() + seconds * 1000;
  const t0 = performance.now();
  try {
    await Promise.all(clients.map(async (c) => {
      while (Date.now() < until && next < areas.length) {
        const a = areas[next++];
        const t = performance.now();
        const v = Math.floor(a.voters * 0.5);
        await c.query('begin');
        await c.query(`insert into turnout_report (election_id, polling_area_id, contest, slot, voted, reported_at, reported_by, on_behalf)
          select $1, $2, x, $3, $4, now(), 'raw', true from unnest($5::text[]) as x`, [electionId, a.id, slot, v, a.contests]);
        await c.query(`insert into turnout_commune_total (election_id, contest, slot, commune_code, areas_reported, voted, voters_reported)
          select $1, x, $2, $3, 1, $4, $5 from unnest($6::text[]) as x
          on conflict (election_id, contest, slot, commune_code) do update set areas_reported = turnout_commune_total.areas_reported + 1,
            voted = turnout_commune_total.voted + excluded.voted, voters_reported = turnout_commune_total.voters_reported + excluded.voters_reported`,
          [electionId, slot, a.commune, v, a.voters, a.contests]);
        await c.query('commit');
        lat.push(performance.now() - t);
      }
    }));
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
  lat.sort((x, y) => x - y);
  return { rate: lat.length / ((performance.now() - t0) / 1000), p50: percentile(lat, 50), p99: percentile(lat, 99), n: lat.length };
}

export const turnoutBench: Bench = {
  name: 'turnout',
  async run() {
    const app = await startTestApp('bench_turnout', { AUTO_IMPORT_REFERENCE: 'true', LOG_LEVEL: 'silent', DATABASE_URL: benchDatabaseUrl() });
    const out: BenchEntry[] = [];
    try {
      await waitReferenceImport(app);
      const states = app.container.get<PluginStateService>(TOKENS.PluginStates);
      const electionId = await createElection(app, { name: 'Bench turnout' });
      const t0 = performance.now();
      const seeded = await seedNational(app.orm, { registry: app.plugins, pluginStates: states, log: app.log }, { seed: 2026, electionId, referenceDir: app.config.referenceDataDir });
      const seedS = (performance.now() - t0) / 1000;
      const em = app.orm.em.fork();
      await sql(em, `update election set status = 'voting' where id = ?`, [electionId]);
      // Areas in a shuffled order (the HTTP run, then the raw run, take different areas).
      const areas = (await sql<Area>(em, `select a.id, a.commune_code as commune, a.voters,
          (select array_agg(pu.contest order by pu.contest) from polling_area_unit pu where pu.polling_area_id = a.id) as contests
        from polling_area a where a.election_id = ? order by md5(a.id::text)`, [electionId]));

      // (a) HTTP: a nation-level official (signed in with the second factor), one session, its CSRF token.
      const u = await createUser(em, { roles: [{ role: 'nec-official', scopeType: 'nation', scopeCode: 'VN' }], totp: true });
      const client = new TestClient(app.url);
      await client.login(u, em);
      const csrf = await client.csrf();
      const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      let i = 0;
      const httpSlot = '09:00';
      const bodyFor = (a: Area) => new URLSearchParams({ _csrf: csrf, slot: httpSlot, ...Object.fromEntries(a.contests.map((c) => [`v:${c}`, String(Math.floor(a.voters * 0.27))])) }).toString();
      // The web tier under test: this process's app (WEB_PROCESSES=0, the default) or its own clustered web processes
      // (bench/http-load.ts), this process keeping the workers. The load generator always runs in a child process.
      const web = WEB_PROCESSES ? await startWebTier(app.config, WEB_PROCESSES) : { url: app.url, stop: async () => {} };
      const hdrs = { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      let result: OpenLoadResult;
      let audit0: number;
      let loadStart = new Date();
      try {
        // Warm-up (statements, templates, pools).
        for (let w = 0; w < 20; w++) {
          const a = areas[i++];
          const r = await fetch(`${web.url}/elections/${electionId}/turnout/area/${a.id}`, { method: 'POST', headers: hdrs, body: bodyFor(a) });
          if (r.status !== 200) throw new Error(`warm-up: ${r.status} ${await r.text()}`);
        }
        if (WARMUP_SECONDS > 0) {
          await openLoad({ url: web.url, connections: CONNECTIONS, rate: RATE, seconds: WARMUP_SECONDS, requests: Array.from({ length: Math.ceil(RATE * WARMUP_SECONDS * 1.05) }, () => {
            const a = areas[i++ % areas.length];
            return { method: 'POST' as const, path: `/elections/${electionId}/turnout/area/${a.id}`, body: bodyFor(a), headers: hdrs };
          }) });
        }
        await settle(em, ['admin_unit', 'polling_area', 'polling_area_unit', 'electoral_unit', 'turnout_report', 'turnout_commune_total', 'audit_event']);
        audit0 = (await sql<{ n: number }>(em, `select count(*)::int as n from audit_event where action = 'core.turnout.report' and result = 'success'`))[0].n;
        const requests: LoadRequest[] = Array.from({ length: Math.ceil(RATE * SECONDS * 1.05) }, () => {
          const a = areas[i++ % areas.length];
          return { method: 'POST', path: `/elections/${electionId}/turnout/area/${a.id}`, body: bodyFor(a), headers: hdrs };
        });
        loadStart = new Date();
        result = await openLoad({ url: web.url, connections: CONNECTIONS, rate: RATE, seconds: SECONDS, requests });
      } finally {
        await web.stop();
      }
      const [{ n: audit1 }] = await sql<{ n: number }>(em, `select count(*)::int as n from audit_event where action = 'core.turnout.report' and result = 'success'`);
      const refused = await refusalsSince(em, 'core.turnout.report', loadStart);
      const ok = result.ok;
      const httpRate = ok / SECONDS;

      // (b) raw PostgreSQL: the same writes for other areas at another slot, same run.
      const rawAreas = areas.slice(i + 100, i + 100 + Math.max(20_000, Math.round(httpRate * SECONDS * 3)));
      const raw = await rawRate(app.config.databaseSchema, electionId, rawAreas, '11:00', Math.min(SECONDS, 30));
      out.push({
        name: `turnout slot submissions over HTTP (session + CSRF + rules 22/34 + 3 reports + running totals + audit), offered ${RATE}/s for ${SECONDS} s after ${WARMUP_SECONDS} s of warm-up, ${CONNECTIONS} connections, ${WEB_PROCESSES ? `${WEB_PROCESSES} web processes (job workers in another process)` : 'web + workers in one process'}, load generator in its own process`,
        value: round(httpRate, 1), unit: 'submissions/s',
        raw: { name: `raw PostgreSQL: the same 3 report rows + 3 total upserts per area in one transaction, ${RAW_CLIENTS} clients`, value: round(raw.rate, 1), unit: 'transactions/s' },
        ratio: round(httpRate / raw.rate, 3),
        notes: `latency p50 ${result.latency.p50} ms, p97.5 ${result.latency.p97_5} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms (corrected for coordinated omission); ` +
          `${ok} × 2xx, ${result.non2xx} non-2xx ${JSON.stringify(result.statuses)}, ${result.errors} errors, ${result.timeouts} timeouts${refused}; ${audit1 - audit0} audited successes; ` +
          `raw p50 ${round(raw.p50)} ms, p99 ${round(raw.p99)} ms over ${raw.n} transactions; seed:national ${round(seedS, 1)} s (${seeded.areas} areas)`,
      });
      out.push({ name: 'turnout submission latency p99 at the offered rate', value: result.latency.p99, unit: 'ms' });

      // (c) national aggregation over every area × 3 contests × 5 slots.
      const t1 = performance.now();
      await sql(em, `insert into turnout_report (election_id, polling_area_id, contest, slot, voted, reported_at, reported_by, on_behalf)
        select a.election_id, a.id, pu.contest, s.slot, floor(coalesce(pu.voters, a.voters) * s.share)::int, now(), 'bench', true
          from polling_area a join polling_area_unit pu on pu.polling_area_id = a.id
          cross join (values ('09:00', 0.27), ('11:00', 0.52), ('14:00', 0.78), ('17:00', 0.93), ('close', 0.9968)) as s(slot, share)
         where a.election_id = ?
        on conflict (polling_area_id, contest, slot) do update set voted = excluded.voted`, [electionId]);
      await rebuildTotals(em, electionId);
      await sql(em, 'analyze turnout_report, turnout_commune_total');
      const fillS = (performance.now() - t1) / 1000;
      const [{ n: reports }] = await sql<{ n: number }>(em, `select count(*)::int as n from turnout_report where election_id = ?`, [electionId]);
      const e = (await loadTurnoutElection(em, electionId))!;
      const time = async (f: () => Promise<unknown>, n = 5) => {
        const ms: number[] = [];
        for (let k = 0; k < n; k++) {
          const t = performance.now();
          await f();
          ms.push(performance.now() - t);
        }
        ms.sort((x, y) => x - y);
        return { first: ms[0], p50: percentile(ms, 50) };
      };
      const agg = await time(() => aggregate(app.orm.em.fork(), e, CONTESTS, 'nation', 'VN'));
      const fold = await time(() => directFold(app.orm.em.fork(), electionId, 'nation', 'VN'), 3);
      const prov = await time(() => aggregate(app.orm.em.fork(), e, CONTESTS, 'province', '79'));
      const check = await aggregate(app.orm.em.fork(), e, CONTESTS, 'nation', 'VN');
      const direct = await directFold(app.orm.em.fork(), electionId, 'nation', 'VN');
      const equal = CONTESTS.every((c) => e.slots.every((s) => check.cells[c][s].voted === (direct[c]?.[s]?.voted ?? 0)));
      out.push({
        name: `national turnout aggregation, ${seeded.areas} polling areas × 3 contests × 5 report times (${reports} reports), from the per-commune running totals`,
        value: round(agg.p50, 1), unit: 'ms',
        raw: { name: 'direct group-by over the reports (sum per contest and slot, nation only)', value: round(fold.p50, 1), unit: 'ms' },
        ratio: round(fold.p50 / agg.p50, 2),
        notes: `rows per province included; equal to the direct fold: ${equal}; province 79 ${round(prov.p50, 1)} ms; fill of ${reports} reports + rebuild ${round(fillS, 1)} s; NA 'close' turnout ${check.cells['national-assembly'].close.pct} %`,
      });

      // (d) completeness of the nation for one slot (after deleting some reports), and page latencies.
      await sql(em, `delete from turnout_report where election_id = ? and slot = 'close' and polling_area_id in (select id from polling_area where election_id = ? order by md5(id::text) limit 1500)`, [electionId, electionId]);
      const miss = await time(() => missingReports(app.orm.em.fork(), { electionId, slot: 'close', level: 'nation', code: 'VN', now: new Date(), offset: 0, limit: 50 }), 3);
      const m = await missingReports(app.orm.em.fork(), { electionId, slot: 'close', level: 'nation', code: 'VN', now: new Date(), offset: 0, limit: 50 });
      out.push({ name: `completeness of the nation for one report time (${m.areas} areas, ${m.missing} missing; first page of 50 with leaders)`, value: round(miss.p50, 0), unit: 'ms' });
      const nec = await createTokenUser(app.orm.em.fork(), `bench-nec-${newId().slice(0, 6)}`, 'nec-official', 'nation', 'VN');
      const healthz = await load(app.url + '/healthz', 4, 3000);
      for (const [label, url] of [
        ['GET /elections/:id/turnout (national page)', `/elections/${electionId}/turnout`],
        ['GET /elections/:id/turnout/chart.svg (ECharts SSR)', `/elections/${electionId}/turnout/chart.svg`],
      ] as const) {
        const r = await load(app.url + url, 4, 5000, { headers: nec.headers });
        out.push({
          name: `latency p50 ${label}`, value: round(percentile(r.latencies, 50)), unit: 'ms',
          raw: { name: 'GET /healthz p50, same server', value: round(percentile(healthz.latencies, 50)), unit: 'ms' },
          ratio: round(percentile(r.latencies, 50) / percentile(healthz.latencies, 50)),
          notes: `4 concurrent clients, ${r.latencies.length} requests, ${r.errors} errors; p95 ${round(percentile(r.latencies, 95))} ms`,
        });
      }
    } finally {
      await app.close();
    }
    return out;
  },
};
