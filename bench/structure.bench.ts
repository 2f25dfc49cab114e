// Election structure at national scale: (a) `seed:national` — the whole rehearsal structure (72,195 polling areas,
// 78.9 million voters, 861 + 24,158 council units) planned, validated by the structure rules and bulk-written, with
// the check of the result; (b) the import of the same 72,195 polling areas through the product's path (file → job →
// parse → plan → rules → bulk write + audit) into a second election, against a raw COPY of the same rows into the same
// tables (polling_area + polling_area_unit) in the same run; (c) the structure check of the whole nation, and the
// latency of the structure pages. A dedicated schema, dropped after.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { startTestApp, TEST_DATABASE_URL, type TestApp } from '../test/helpers/test-app.js';
import { waitReferenceImport } from '../test/helpers/admin-tree.js';
import { createElection } from '../test/helpers/structure.js';
import { createTokenUser } from '../test/helpers/token-user.js';
import { load, percentile, round, type Bench, type BenchEntry } from './lib.js';
import { sql } from '../core/persistence/db.js';
import { newId } from '../core/shared/ids.js';
import { TOKENS } from '../core/kernel/tokens.js';
import type { PluginStateService } from '../core/plugin-host/plugin-state.service.js';
import { seedNational } from '../core/elections/structure/seed-national.js';
import { contestsWithUnits, exportRows, toCsv } from '../core/elections/structure/export.js';
import { naReferenceFiles, requestImport, sha256, type ImportFile } from '../core/elections/structure/import.service.js';
import { checkStructure } from '../core/elections/structure/rules.js';
import { areaKeys, heldContests, loadElection, loadStructure } from '../core/elections/structure/store.js';
import { parseKind, parseSmallReason } from '../core/elections/structure/import-format.js';

async function waitRun(app: TestApp, runId: string): Promise<{ status: string; summary: Record<string, unknown> | null; report: unknown }> {
  for (;;) {
    const [r] = await sql<{ status: string; summary: Record<string, unknown> | null; report: unknown }>(app.orm.em.fork(), `select status, summary, report from structure_import_run where id = ?`, [runId]);
    if (r && ['succeeded', 'rejected', 'failed'].includes(r.status)) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function importFile(app: TestApp, electionId: string, kind: ImportFile['kind'], contest: string | null, fileName: string, content: string, dir: string): Promise<{ ms: number; summary: Record<string, unknown> | null }> {
  const source = path.join(dir, `${newId()}.csv`);
  fs.writeFileSync(source, content);
  const buf = Buffer.from(content);
  const t = performance.now();
  const { runId } = await requestImport(app.orm, app.jobs, {
    electionId, kind, contest, scope: { type: 'nation', code: 'VN' }, createdBy: 'bench',
    files: [{ kind, source, fileName, size: buf.length, sha256: sha256(buf) }],
  });
  const run = await waitRun(app, runId);
  const ms = performance.now() - t;
  if (run.status !== 'succeeded') throw new Error(`${fileName}: ${run.status} ${JSON.stringify(run.report).slice(0, 500)}`);
  return { ms, summary: run.summary };
}

/** COPY of the same polling-area rows (and their unit rows) into the real tables, in one transaction. */
async function rawCopy(schema: string, electionId: string, areas: RawArea[]): Promise<number> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  const q = (v: unknown) => (v === null || v === undefined || v === '' ? '' : `"${String(v).replace(/"/g, '""')}"`);
  try {
    await c.query(`set search_path to "${schema}", public`);
    const ids = areas.map(() => newId());
    const t = performance.now();
    await c.query('begin');
    await pipeline(Readable.from(areas.map((a, i) => {
      const k = areaKeys(a.name);
      return [ids[i], electionId, a.commune, a.number, a.name, k.search, k.sort, a.voters, a.kind, a.kindReason, a.smallReason, a.votingDate, a.approvalRef, a.opens, a.closes].map(q).join(',') + '\n';
    })), c.query(copyFrom(`copy polling_area (id, election_id, commune_code, number, name, search_key, sort_key, voters, kind, kind_reason, small_reason, voting_date, approval_ref, opens, closes) from stdin with (format csv)`)));
    await pipeline(Readable.from(areas.flatMap((a, i) => a.units.map(([contest, unit]) => `${ids[i]},${contest},${unit}\n`))),
      c.query(copyFrom(`copy polling_area_unit (polling_area_id, contest, unit_id) from stdin with (format csv)`)));
    await c.query('commit');
    return performance.now() - t;
  } finally {
    await c.end();
  }
}

interface RawArea {
  commune: string;
  number: number;
  name: string;
  voters: number;
  kind: string;
  kindReason: string | null;
  smallReason: string | null;
  votingDate: string | null;
  approvalRef: string | null;
  opens: string;
  closes: string;
  units: [string, string][];
}

export const structureBench: Bench = {
  name: 'structure',
  async run() {
    const app = await startTestApp('bench_structure', { AUTO_IMPORT_REFERENCE: 'true', LOG_LEVEL: 'silent' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baucu-bench-structure-'));
    const out: BenchEntry[] = [];
    try {
      await waitReferenceImport(app);
      const states = app.container.get<PluginStateService>(TOKENS.PluginStates);
      const deps = { registry: app.plugins, pluginStates: states, log: app.log };

      // (a) seed:national
      const a = await createElection(app, { name: 'Bench A' });
      const t0 = performance.now();
      const seeded = await seedNational(app.orm, deps, { seed: 2026, electionId: a, referenceDir: app.config.referenceDataDir });
      const seedMs = performance.now() - t0;
      out.push({
        name: `seed:national — ${seeded.areas} polling areas, ${seeded.voters} voters, ${Object.values(seeded.units).reduce((x, y) => x + y, 0)} units; plan + rules + bulk write + audit, one transaction`,
        value: round(seedMs / 1000, 2), unit: 's',
        notes: `plan ${seeded.ms.plan} ms, rules ${seeded.ms.validate} ms, write ${seeded.ms.write} ms (${seeded.rowsWritten} rows); check: ${seeded.check.errors} errors, ${seeded.check.warnings} warnings; seats ${JSON.stringify(seeded.seats)}`,
      });

      // (b) the same areas through the import, into election B with the same units
      const em = app.orm.em.fork();
      const election = (await loadElection(em, a))!;
      const contests = await heldContests(em, app.plugins, states, a);
      const b = await createElection(app, { name: 'Bench B' });
      const naFiles = (await naReferenceFiles(app.config.referenceDataDir))!;
      const na = await requestImport(app.orm, app.jobs, { electionId: b, kind: 'na-reference', contest: 'national-assembly', scope: { type: 'nation', code: 'VN' }, files: naFiles, createdBy: 'bench' });
      if ((await waitRun(app, na.runId)).status !== 'succeeded') throw new Error('NA reference import failed');
      const provincial = contests.find((c) => c.id === 'provincial-council')!;
      const commune = contests.find((c) => c.id === 'commune-council')!;
      await importFile(app, b, 'units', provincial.id, 'pc-units.csv', toCsv(await exportRows(em, { election, kind: 'units', contest: provincial })), dir);
      await importFile(app, b, 'compositions', provincial.id, 'pc-compositions.csv', toCsv(await exportRows(em, { election, kind: 'compositions', contest: provincial })), dir);
      await importFile(app, b, 'units', commune.id, 'cc-units.csv', toCsv(await exportRows(em, { election, kind: 'units', contest: commune })), dir);
      const areasData = await exportRows(em, { election, kind: 'areas' }, await contestsWithUnits(em, a));
      const areasCsv = toCsv(areasData);
      const rows = areasData.rows.length;
      const imp = await importFile(app, b, 'areas', null, 'areas.csv', areasCsv, dir);
      const [{ n: imported }] = await sql<{ n: number }>(em, `select count(*)::int as n from polling_area where election_id = ?`, [b]);

      // raw: the same rows by COPY into the same tables (election C), with election A's unit ids
      const c = await createElection(app, { name: 'Bench C' });
      const unitIds = new Map((await sql<{ k: string; id: string }>(em, `select contest || '|' || parent_code || '|' || number as k, id from electoral_unit where election_id = ?`, [a])).map((r) => [r.k, r.id]));
      const communeProvince = new Map((await sql<{ code: string; p: string }>(em, `select code, parent_code as p from admin_unit where level = 'commune' and valid_to is null`)).map((r) => [r.code, r.p]));
      const col = (id: string) => areasData.columns.indexOf(id as never);
      const cell = (r: (string | number)[], id: string) => String(r[col(id)] ?? '');
      const raw: RawArea[] = areasData.rows.map((r) => {
        const commune = cell(r, 'commune_code');
        const p = communeProvince.get(commune)!;
        const units: [string, string][] = [];
        for (const [contest, column, parent] of [['national-assembly', 'na_unit', p], ['provincial-council', 'provincial_unit', p], ['commune-council', 'commune_unit', commune]] as const) {
          const id = unitIds.get(`${contest}|${parent}|${cell(r, column)}`);
          if (id) units.push([contest, id]);
        }
        return {
          commune, number: Number(r[col('area_no')]), name: cell(r, 'name'), voters: Number(r[col('voters')]), kind: parseKind(cell(r, 'kind'))!,
          kindReason: cell(r, 'kind_reason') || null, smallReason: parseSmallReason(cell(r, 'small_reason')) ?? null, votingDate: cell(r, 'voting_date') || null,
          approvalRef: cell(r, 'approval_ref') || null, opens: cell(r, 'opens'), closes: cell(r, 'closes'), units,
        };
      });
      const copyMs = await rawCopy(app.config.databaseSchema, c, raw);
      const importRate = rows / (imp.ms / 1000);
      const copyRate = raw.length / (copyMs / 1000);
      out.push({
        name: `import of ${rows} polling areas (CSV ${round(Buffer.byteLength(areasCsv) / 2 ** 20, 1)} MiB) — file → job → parse → plan → rules → bulk write of areas + 3 units each + audit`,
        value: round(importRate, 0), unit: 'rows/s',
        raw: { name: `COPY of the same rows (+ ${raw.reduce((x, r) => x + r.units.length, 0)} unit rows) into polling_area + polling_area_unit, one transaction`, value: round(copyRate, 0), unit: 'rows/s' },
        ratio: round(importRate / copyRate, 3),
        notes: `import ${round(imp.ms, 0)} ms (job ${JSON.stringify((imp.summary as { ms?: number })?.ms)} ms, ${imported} areas written); COPY ${round(copyMs, 0)} ms`,
      });

      // (c) the check of the whole nation, and page latency
      const t1 = performance.now();
      const s = await loadStructure(em, { election, contests });
      const tLoad = performance.now() - t1;
      const issues = checkStructure(s);
      const checkMs = performance.now() - t1;
      out.push({ name: 'structure check of the whole nation (load + every rule)', value: round(checkMs, 0), unit: 'ms', notes: `load ${round(tLoad, 0)} ms; ${issues.length} issues` });
      const nec = await createTokenUser(app.orm.em.fork(), `bench-nec-${newId().slice(0, 6)}`, 'nec-official', 'nation', 'VN');
      const init = { headers: nec.headers };
      const healthz = await load(app.url + '/healthz', 4, 4000);
      for (const [label, url] of [
        ['/elections/:id/structure (34 provinces, counts over 72,195 areas)', `/elections/${a}/structure`],
        ['/elections/:id/structure/79 (Hồ Chí Minh City)', `/elections/${a}/structure/79`],
      ] as const) {
        const r = await load(app.url + url, 4, 6000, init);
        out.push({
          name: `latency p50 ${label}`, value: round(percentile(r.latencies, 50)), unit: 'ms',
          raw: { name: 'GET /healthz p50, same server', value: round(percentile(healthz.latencies, 50)), unit: 'ms' },
          ratio: round(percentile(r.latencies, 50) / percentile(healthz.latencies, 50)),
          notes: `4 concurrent clients, ${r.latencies.length} requests, ${r.errors} errors; p95 ${round(percentile(r.latencies, 95))} ms`,
        });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await app.close();
    }
    return out;
  },
};
