// `npm run seed:national -- --seed N [--election <id>] [--provinces 79,01]`: the national rehearsal structure
// (core/elections/structure/seed-national.ts) on DATABASE_URL (or the embedded database). Boots a worker-only
// process (migrations, plugins, the reference tree imported on first start), creates a rehearsal election when none is
// given (15 March 2026, the three contests enabled), seeds, prints the summary as JSON and exits.
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from '../config/config.js';
import { boot } from '../core/kernel/boot.js';
import { sql } from '../core/persistence/db.js';
import { newId } from '../core/shared/ids.js';
import { TOKENS } from '../core/kernel/tokens.js';
import type { PluginStateService } from '../core/plugin-host/plugin-state.service.js';
import { REFERENCE_IDS } from '../core/admin-tree/import.service.js';
import { seedNational } from '../core/elections/structure/seed-national.js';

const USAGE = 'usage: npm run seed:national -- --seed N [--election <uuid>] [--provinces 79,01]';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { seed: { type: 'string' }, election: { type: 'string' }, provinces: { type: 'string' } }, strict: true }).values;
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
  const seed = Number(args.seed);
  if (!args.seed || !Number.isInteger(seed)) {
    process.stderr.write(`--seed must be an integer\n${USAGE}\n`);
    return 2;
  }
  const provinces = args.provinces ? args.provinces.split(',').map((p) => p.trim()).filter(Boolean) : undefined;
  if (provinces?.some((p) => !/^\d{2}$/.test(p))) {
    process.stderr.write(`--provinces takes two-digit province codes, e.g. 79,01\n${USAGE}\n`);
    return 2;
  }
  let config;
  try {
    config = { ...loadConfig(process.env), role: 'worker' as const };
  } catch (e) {
    process.stderr.write((e instanceof ConfigError ? e.message : String(e)) + '\n');
    return 2;
  }
  const app = await boot(config);
  try {
    const em = () => app.orm.em.fork();
    // The tree: imported at the first start of an empty database (AUTO_IMPORT_REFERENCE); wait for it.
    const until = Date.now() + 120_000;
    for (;;) {
      const [{ n }] = await sql<{ n: number }>(em(), `select count(*)::int as n from admin_unit where level = 'commune'`);
      if (n > 0) {
        const [running] = await sql(em(), `select id from job_run where id = ? and status in ('queued','running')`, [REFERENCE_IDS.communes.jobRunId]);
        if (!running) break;
      }
      if (Date.now() > until) {
        process.stderr.write('Cây đơn vị hành chính trống / the administrative tree is empty: import it at /tree/import or set AUTO_IMPORT_REFERENCE=true\n');
        return 1;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const states = app.container.get<PluginStateService>(TOKENS.PluginStates);
    let electionId = args.election;
    if (!electionId) {
      electionId = newId();
      await sql(em(), `insert into election (id, name, election_day) values (?, ?, '2026-03-15')`, [electionId, `Diễn tập toàn quốc (seed ${seed})`]);
      for (const p of app.plugins.plugins()) {
        if (!app.plugins.contestType(p.id)) continue;
        const r = await states.setEnabled(electionId, p.id, true, { actor: 'system' });
        if (!r.ok) throw new Error(`${p.id}: ${r.error.code}`);
      }
    }
    const result = await seedNational(app.orm, { registry: app.plugins, pluginStates: states, log: app.log }, {
      seed, electionId, provinces, referenceDir: config.referenceDataDir, createdBy: 'system',
    });
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return result.check.errors ? 1 : 0;
  } finally {
    await app.stop();
  }
}

process.exitCode = await main();
