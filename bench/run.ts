// `npm run bench [-- name …]`: runs the benchmarks and writes bench/results/latest.json. Figures, not pass/fail.
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import type { Bench, BenchEntry } from './lib.js';
import { REPO_ROOT } from './paths.js';
import { BENCHES } from './benches.js';

const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected = BENCHES.filter((b: Bench) => !only.length || only.includes(b.name));
const results: (BenchEntry & { bench: string })[] = [];
for (const b of selected) {
  process.stderr.write(`▶ ${b.name}\n`);
  const t = Date.now();
  try {
    for (const e of await b.run()) {
      results.push({ bench: b.name, ...e });
      process.stderr.write(`  ${e.name}: ${e.value} ${e.unit}${e.raw ? `  (raw: ${e.raw.name} ${e.raw.value} ${e.raw.unit}; ratio ${e.ratio})` : ''}\n`);
    }
  } catch (err) {
    process.stderr.write(`  failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    results.push({ bench: b.name, name: `${b.name} failed`, value: NaN, unit: 'error', notes: String(err) });
  }
  process.stderr.write(`  (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
}
const out = {
  at: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  results,
};
const dir = path.join(REPO_ROOT, 'bench/results');
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, only.length ? `latest-${only.join('-')}.json` : 'latest.json');
fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
process.stderr.write(`→ ${path.relative(REPO_ROOT, file)}\n`);
process.exit(0);
