// Candidates at national scale: (a) the import of 120,873 synthetic commune-council candidates (synthetic persons,
// the REAL communes and the council units that `seed:national` builds on them) through the product's path (file →
// import service: parse → plan → rules 12/17 → bulk write + events + audit), against a raw COPY of the same rows into the same
// table in the same run; (b) the structure statistics of the whole country for all three contests (NA 864, provincial
// councils 4,217, commune councils 120,873 — the 2026 figures), the goal being under 2 s. A dedicated schema, dropped after.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, TEST_DATABASE_URL, type TestApp } from '../test/helpers/test-app.js';
import { waitReferenceImport } from '../test/helpers/admin-tree.js';
import { createElection } from '../test/helpers/structure.js';
import { round, type Bench, type BenchEntry } from './lib.js';
import { sql } from '../core/persistence/db.js';
import { newId } from '../core/shared/ids.js';
import { searchKey } from '../core/shared/vn-text.js';
import { TOKENS } from '../core/kernel/tokens.js';
import type { PluginStateService } from '../core/plugin-host/plugin-state.service.js';
import { rng, seedNational } from '../core/elections/structure/seed-national.js';
import { COLUMNS, type ColumnId } from '../core/elections/candidates/import-format.js';
import { executeImport, insertRun, sha256 } from '../core/elections/candidates/import.service.js';
import { ballotSortKey } from '../core/elections/candidates/ballot-order.js';
import { minListSize } from '../core/elections/candidates/rules.js';
import { scopeStatistics } from '../core/elections/candidates/statistics.queries.js';

/** The 2026 figures (issue 5): candidates per contest across the country. */
const TOTALS = { 'national-assembly': 864, 'provincial-council': 4_217, 'commune-council': 120_873 } as const;
type Contest = keyof typeof TOTALS;
const CONTEST_VI: Record<Contest, string> = { 'national-assembly': 'Đại biểu Quốc hội', 'provincial-council': 'HĐND tỉnh', 'commune-council': 'HĐND xã' };

const SURNAMES = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý', 'Lò', 'Hà', 'Y', 'Đinh'];
const MIDDLE = { male: ['Văn', 'Minh', 'Đức', 'Quốc', 'Thanh', 'Hữu', 'Công', 'Ngọc'], female: ['Thị', 'Thu', 'Ngọc', 'Thanh', 'Kim', 'Mỹ', 'Hồng', 'Phương'] };
const GIVEN = { male: ['An', 'Bình', 'Cường', 'Dũng', 'Duy', 'Đạt', 'Hải', 'Hòa', 'Hùng', 'Khánh', 'Long', 'Minh', 'Nam', 'Phúc', 'Quân', 'Sơn', 'Thắng', 'Tuấn', 'Việt'], female: ['Anh', 'Châu', 'Dung', 'Giang', 'Hà', 'Hạnh', 'Hoa', 'Hương', 'Lan', 'Linh', 'Mai', 'Nga', 'Ngân', 'Oanh', 'Phương', 'Thảo', 'Trang', 'Yến'] };
const ETHNIC = ['Tày', 'Thái', 'Mường', 'Khmer', 'Hmông', 'Nùng', 'Dao', 'Gia Rai', 'Ê Đê', 'Ba Na'];
const DEGREES = ['Thạc sĩ', 'Cử nhân', 'Cử nhân', 'Cử nhân', 'Kỹ sư', 'Tiến sĩ', 'Trung cấp', ''];

type Row = Partial<Record<ColumnId, string>>;

/** Synthetic candidates of one contest over the real units of the seeded election: every unit gets its rule 17 minimum first, the rest round-robin. */
async function synthesise(em: EntityManager, electionId: string, contest: Contest, minSize: (seats: number) => number): Promise<{ rows: Row[]; units: number }> {
  const units = await sql<{ parent_code: string; number: number; seats: number }>(em,
    `select parent_code, number, seats from electoral_unit where election_id = ? and contest = ? order by parent_code, number`, [electionId, contest]);
  const sizes = units.map((u) => minSize(u.seats));
  let total = sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; total < TOTALS[contest]; i = (i + 1) % sizes.length, total++) sizes[i]++;
  // More minimums than the 2026 total (should not happen): trim the last units, keeping the count exact.
  for (let i = sizes.length - 1; total > TOTALS[contest] && i >= 0; i--) while (sizes[i] > 0 && total > TOTALS[contest]) { sizes[i]--; total--; }
  const r = rng(2026, `candidates:${contest}`);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const rows: Row[] = [];
  // Synthetic persons are distinct persons: a (name, date of birth) pair drawn twice is drawn again, or rule 17
  // would rightly see one person on two lists.
  const seen = new Set<string>();
  units.forEach((u, ui) => {
    for (let k = 0; k < sizes[ui]; k++) {
      const female = r() < 0.42;
      const g = female ? 'female' : 'male';
      let name = '';
      let dob = '';
      let year = 0;
      do {
        year = 1958 + Math.floor(r() * 46); // 1958–2003: everyone is at least 21 on 15 March 2026
        name = `${pick(SURNAMES)} ${pick(MIDDLE[g])} ${pick(GIVEN[g])}`;
        dob = `${1 + Math.floor(r() * 28)}/${1 + Math.floor(r() * 12)}/${year}`;
      } while (seen.has(`${name}|${dob}`));
      seen.add(`${name}|${dob}`);
      const self = contest !== 'national-assembly' && r() < 0.03;
      rows.push({
        external_ref: `${contest}/${u.parent_code}/${u.number}/${k + 1}`, contest: CONTEST_VI[contest],
        council_code: contest === 'national-assembly' ? '' : u.parent_code, unit_place: contest === 'national-assembly' ? u.parent_code : '',
        unit_no: String(u.number), full_name: name, date_of_birth: dob, gender: female ? 'Nữ' : 'Nam',
        ethnicity: r() < 0.16 ? pick(ETHNIC) : 'Kinh', religion: r() < 0.06 ? 'Phật giáo' : 'Không', academic: pick(DEGREES),
        occupation: 'Cán bộ', workplace: 'UBND', party_joined: r() < 0.88 ? `${1 + Math.floor(r() * 28)}/${1 + Math.floor(r() * 12)}/${Math.min(2024, year + 22 + Math.floor(r() * 10))}` : 'Không',
        deputy_terms: 'Không', council_deputy: r() < 0.25 ? 'Có' : 'Không',
        nominated_by: self ? 'Tự ứng cử' : contest === 'national-assembly' && r() < 0.25 ? 'Trung ương' : 'Địa phương', status: 'Đủ tiêu chuẩn',
      });
    }
  });
  return { rows, units: units.length };
}

const q = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const toCsv = (rows: Row[]) => [COLUMNS.map((c) => q(c.vi)).join(','), ...rows.map((r) => COLUMNS.map((c) => q(r[c.id] ?? '')).join(','))].join('\n') + '\n';

/**
 * Through the product import service (executeImport: read file → parse → plan → rules → write + events + audit, one
 * transaction), called directly rather than through the queue: on a shared, loaded machine BullMQ may re-deliver a
 * long job whose lock renewal starved, and the second delivery then waits on the first one's row lock.
 */
async function importFile(app: TestApp, electionId: string, fileName: string, content: string, dir: string): Promise<{ ms: number; summary: Record<string, any> }> {
  const source = path.join(dir, `${newId()}.csv`);
  fs.writeFileSync(source, content);
  const buf = Buffer.from(content);
  const t = performance.now();
  const runId = await insertRun(app.orm.em.fork(), {
    electionId, scope: { type: 'nation', code: 'VN' }, mapping: 'template', createdBy: 'bench', file: { source, fileName, size: buf.length, sha256: sha256(buf) },
  }, null);
  const out = await executeImport(app.orm.em.fork(), runId, { registry: app.plugins, log: app.log });
  const ms = performance.now() - t;
  const [run] = await sql<{ status: string; summary: Record<string, any>; report: any }>(app.orm.em.fork(), `select status, summary, report from candidate_import_run where id = ?`, [runId]);
  if (out.status !== 'succeeded') throw new Error(`${fileName}: ${out.status} ${JSON.stringify(run?.report ?? run?.summary).slice(0, 600)}`);
  return { ms, summary: run.summary };
}

/** COPY of the same candidate rows into the candidate table (keys computed as the import computes them), one transaction. */
async function rawCopy(schema: string, electionId: string, rows: Row[], unitIds: Map<string, string>): Promise<number> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  const v = (x: unknown) => (x === null || x === undefined || x === '' ? '' : `"${String(x).replace(/"/g, '""')}"`);
  const iso = (d: string) => d.split('/').reverse().map((p) => p.padStart(2, '0')).join('-');
  try {
    await c.query(`set search_path to "${schema}", public`);
    const t = performance.now();
    await c.query('begin');
    await pipeline(Readable.from(rows.map((r) => [
      newId(), electionId, 'commune-council', r.council_code, r.external_ref, r.full_name, searchKey(r.full_name!), ballotSortKey(r.full_name!),
      r.gender === 'Nữ' ? 'female' : 'male', iso(r.date_of_birth!), r.date_of_birth, r.ethnicity, r.religion, JSON.stringify(r.academic ? { academicTitle: r.academic } : {}),
      r.occupation, r.workplace, r.party_joined !== 'Không', r.party_joined !== 'Không' ? iso(r.party_joined!) : '', r.nominated_by === 'Tự ứng cử' ? 'self' : 'local',
      r.council_code, 'qualified', unitIds.get(`${r.council_code}|${r.unit_no}`) ?? '',
    ].map(v).join(',') + '\n')), c.query(copyFrom(`copy candidate (id, election_id, contest, council_code, external_ref, full_name, name_key, sort_key, gender, date_of_birth,
      date_of_birth_text, ethnicity, religion, education, occupation, workplace, party_member, party_joined_on, nominated_by, filing_body_code, status, unit_id) from stdin with (format csv)`)));
    await c.query('commit');
    return performance.now() - t;
  } finally {
    await c.end();
  }
}

export const candidatesBench: Bench = {
  name: 'candidates',
  async run() {
    const app = await startTestApp('bench_candidates', { AUTO_IMPORT_REFERENCE: 'true', LOG_LEVEL: 'silent' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baucu-bench-candidates-'));
    const out: BenchEntry[] = [];
    try {
      await waitReferenceImport(app);
      const states = app.container.get<PluginStateService>(TOKENS.PluginStates);
      const a = await createElection(app, { name: 'Bench candidates A' });
      const t0 = performance.now();
      const seeded = await seedNational(app.orm, { registry: app.plugins, pluginStates: states, log: app.log }, { seed: 2026, electionId: a, referenceDir: app.config.referenceDataDir });
      const seedMs = performance.now() - t0;
      await sql(app.orm.em.fork(), `update election set status = 'official-lists' where id = ?`, [a]);
      const em = app.orm.em.fork();
      const def = (id: Contest) => app.plugins.contestType(id)!;

      const cc = await synthesise(em, a, 'commune-council', (s) => minListSize(def('commune-council'), s) ?? s);
      const ccCsv = toCsv(cc.rows);
      const imp = await importFile(app, a, 'hdnd-xa.csv', ccCsv, dir);
      const [{ n: written }] = await sql<{ n: number }>(em, `select count(*)::int as n from candidate where election_id = ? and contest = 'commune-council'`, [a]);

      const c = await createElection(app, { name: 'Bench candidates C (raw COPY)' });
      const unitIds = new Map((await sql<{ k: string; id: string }>(em, `select parent_code || '|' || number as k, id from electoral_unit where election_id = ? and contest = 'commune-council'`, [a])).map((r) => [r.k, r.id]));
      const copyMs = await rawCopy(app.config.databaseSchema, c, cc.rows, unitIds);
      const rate = cc.rows.length / (imp.ms / 1000);
      const copyRate = cc.rows.length / (copyMs / 1000);
      out.push({
        name: `import of ${cc.rows.length} synthetic commune-council candidates over ${cc.units} real-commune units (CSV ${round(Buffer.byteLength(ccCsv) / 2 ** 20, 1)} MiB) — file → import service (parse → plan → rules 12/17 → bulk write + events + audit)`,
        value: round(rate, 0), unit: 'rows/s',
        raw: { name: 'COPY of the same rows into candidate (keys computed), one transaction', value: round(copyRate, 0), unit: 'rows/s' },
        ratio: round(rate / copyRate, 3),
        notes: `import ${round(imp.ms, 0)} ms (job ${imp.summary?.ms} ms, ${written} written); COPY ${round(copyMs, 0)} ms; seed:national ${round(seedMs / 1000, 1)} s (${seeded.areas} areas)`,
      });

      const again = await importFile(app, a, 'hdnd-xa.csv', ccCsv, dir);
      out.push({ name: 're-import of the same 120,873-row file (idempotent: nothing written)', value: round(again.ms / 1000, 2), unit: 's', notes: `noChanges=${again.summary?.noChanges}, unchanged ${again.summary?.unchanged}` });

      for (const contest of ['provincial-council', 'national-assembly'] as const) {
        const s = await synthesise(em, a, contest, (x) => minListSize(def(contest), x) ?? x);
        await importFile(app, a, `${contest}.csv`, toCsv(s.rows), dir);
      }
      const [{ n: all }] = await sql<{ n: number }>(em, `select count(*)::int as n from candidate where election_id = ?`, [a]);
      const day = (await sql<{ d: string }>(em, `select election_day::text as d from election where id = ?`, [a]))[0].d;
      const times: string[] = [];
      const t1 = performance.now();
      for (const contest of ['national-assembly', 'provincial-council', 'commune-council'] as const) {
        const t = performance.now();
        const s = await scopeStatistics(app.orm.em.fork(), { electionId: a, electionDay: day, contest: def(contest), place: 'VN', round: 'all' });
        times.push(`${contest} ${s.stats.total} in ${round(performance.now() - t, 0)} ms (women ${s.stats.women.percent} %, ${s.groups.length} provinces)`);
      }
      const statsMs = performance.now() - t1;
      out.push({ name: `structure statistics of the whole country, all three contests (${all} candidates; goal < 2000 ms)`, value: round(statsMs, 0), unit: 'ms', notes: times.join('; ') });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await app.close();
    }
    return out;
  },
};
