// Golden test of the results tool on the real 2021 NA results (184 units, 866 candidates, 500 winners): the
// tool must reproduce every published percentage (rule 24) and exactly the winners of `elected_computed`
// (rules 26–28). Also the tool's behaviour on bad input: exit 2, row and column named, nothing on stdout.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_BAD_INPUT, EXIT_OK, runResultsTool } from '../../core/elections/results/results-tool.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = process.env.REFERENCE_DATA_DIR ?? path.resolve(repoRoot, '../shared/data');

interface Published {
  province: string;
  unit_number: string;
  seats: string;
  candidate_order_on_ballot: string;
  candidate_name: string;
  votes: string;
  percent_of_valid_votes: string;
  rank_in_unit: string;
  elected_computed: string;
}

interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the tool in-process; `files` serves reads from memory, anything else is read from disk. */
async function runTool(argv: string[], files: Record<string, string | Uint8Array> = {}): Promise<ToolRun> {
  let stdout = '';
  let stderr = '';
  const code = await runResultsTool(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readFile: async (p) => (Object.hasOwn(files, p) ? files[p] : readFile(p)),
  });
  return { code, stdout, stderr };
}

// Published percentages as whole hundredths, parsed from the text so that no float rounding enters ("98.7" → 9870).
function hundredths(s: string): number {
  const [i, f = ''] = s.split('.');
  return Number(i) * 100 + Number(f.padEnd(2, '0').slice(0, 2));
}

// Independent of core/shared/percent.ts, so that a rounding bug there cannot also bend the derived ballots.
const refHundredths = (part: number, whole: number): number =>
  Number((BigInt(part) * 20000n + BigInt(whole)) / (2n * BigInt(whole)));

/**
 * The unit's valid ballots, which the results file does not give: the smallest integer that reproduces every
 * published percentage of the unit under rule-24 rounding, searched around votes × 100 / percent of the
 * candidate with most votes (the most precise estimate).
 */
function deriveValid(cands: { votes: number; pct: number }[]): number {
  const top = cands.reduce((a, b) => (b.votes > a.votes ? b : a));
  const lo = Math.max(top.votes, Math.floor((top.votes * 10000) / (top.pct + 0.5)) - 2);
  const hi = Math.ceil((top.votes * 10000) / (top.pct - 0.5)) + 2;
  for (let v = lo; v <= hi; v++) if (cands.every((c) => refHundredths(c.votes, v) === c.pct)) return v;
  throw new Error(`no valid-ballot count reproduces ${JSON.stringify(cands)}`);
}

const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const HEADER =
  'unit_id,seats,voters_total,voters_voted,ballots_valid,ballots_invalid,candidate_id,candidate_name,date_of_birth,votes';

describe('golden: 2021 National Assembly results through the results tool', () => {
  let tmp: string;
  let inputPath: string;
  let published: Published[];
  const candidateId = (r: Published) => `${unitIdOf(r)}-${r.candidate_order_on_ballot}`;
  const unitIds = new Map<string, string>();
  const unitIdOf = (r: Published) => unitIds.get(`${r.province}|${r.unit_number}`)!;

  beforeAll(async () => {
    published = parse(await readFile(path.join(dataDir, 'na15_2021_results.csv')), { columns: true, bom: true });
    const units = new Map<string, Published[]>();
    for (const r of published) {
      const k = `${r.province}|${r.unit_number}`;
      if (!units.has(k)) {
        units.set(k, []);
        unitIds.set(k, `NA15-${String(units.size).padStart(3, '0')}`);
      }
      units.get(k)!.push(r);
    }
    const lines = [HEADER];
    for (const rows of units.values()) {
      const valid = deriveValid(rows.map((r) => ({ votes: Number(r.votes), pct: hundredths(r.percent_of_valid_votes) })));
      // The file has no turnout figures: synthesise a plausible ~98 % turnout with a few invalid ballots.
      const invalid = Math.floor(valid / 50) + 1;
      const voted = valid + invalid;
      const total = voted + Math.floor(voted / 100);
      // No unit has two candidates with equal votes (asserted below), so a fixed date of birth decides nothing.
      for (const r of rows)
        lines.push(
          [unitIdOf(r), r.seats, total, voted, valid, invalid, candidateId(r), csvField(r.candidate_name), '1970-01-01', r.votes].join(','),
        );
    }
    tmp = await mkdtemp(path.join(os.tmpdir(), 'baucu-golden-'));
    inputPath = path.join(tmp, 'na15_2021_input.csv');
    await writeFile(inputPath, `${lines.join('\n')}\n`, 'utf8');
  });

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the reference data has 184 units, 866 candidates, 500 winners and no equal votes within a unit', () => {
    expect(unitIds.size).toBe(184);
    expect(published).toHaveLength(866);
    expect(published.filter((r) => r.elected_computed === '1')).toHaveLength(500);
    const seen = new Set<string>();
    for (const r of published) {
      const k = `${unitIdOf(r)}|${r.votes}`;
      expect(seen.has(k), `tie in ${k}`).toBe(false);
      seen.add(k);
    }
  });

  it('rules 24, 26–28: elects exactly the 500 published winners and reproduces every published percentage', async () => {
    const run = await runTool(['--type', 'national-assembly', '--input', inputPath]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT_OK);
    const out = JSON.parse(run.stdout) as {
      units: {
        unit_id: string;
        seats: number;
        turnout_percent: number;
        status: string;
        seats_filled: number;
        candidates: { candidate_id: string; votes: number; percent_of_valid: number; rank: number; elected: boolean; reason: string }[];
      }[];
    };
    expect(out.units).toHaveLength(184);
    const results = new Map(out.units.flatMap((u) => u.candidates.map((c) => [c.candidate_id, c] as const)));
    expect(results.size).toBe(866);

    const elected = [...results.values()].filter((c) => c.elected).map((c) => c.candidate_id).sort();
    const expected = published.filter((r) => r.elected_computed === '1').map(candidateId).sort();
    expect(elected).toHaveLength(500);
    expect(elected).toEqual(expected);

    const mismatches: string[] = [];
    for (const r of published) {
      const c = results.get(candidateId(r))!;
      if (Math.round(c.percent_of_valid * 100) !== hundredths(r.percent_of_valid_votes))
        mismatches.push(`${candidateId(r)}: ${c.percent_of_valid} ≠ ${r.percent_of_valid_votes}`);
      if (c.votes !== Number(r.votes) || c.rank !== Number(r.rank_in_unit)) mismatches.push(`${candidateId(r)}: votes/rank`);
    }
    expect(mismatches).toEqual([]);

    expect(out.units.every((u) => u.status === 'complete' && u.seats_filled === u.seats && u.turnout_percent > 50)).toBe(true);
    expect(out.units.reduce((s, u) => s + u.seats_filled, 0)).toBe(500);
    // Percentages are printed with exactly two decimals.
    expect(run.stdout).toMatch(/"turnout_percent": \d+\.\d\d,/);
  });

  it('CSV output carries the same decisions, one row per candidate', async () => {
    const run = await runTool(['--type=national-assembly', `--input=${inputPath}`, '--format', 'csv']);
    expect(run.code).toBe(EXIT_OK);
    const rows = parse(run.stdout, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(866);
    expect(Object.keys(rows[0])).toEqual([
      'unit_id',
      'seats',
      'turnout_percent',
      'status',
      'seats_filled',
      'candidate_id',
      'votes',
      'percent_of_valid',
      'rank',
      'elected',
      'reason',
    ]);
    const elected = rows.filter((r) => r.elected === 'true').map((r) => r.candidate_id).sort();
    expect(elected).toEqual(published.filter((r) => r.elected_computed === '1').map(candidateId).sort());
    const byId = new Map(rows.map((r) => [r.candidate_id, r]));
    for (const r of published) expect(byId.get(candidateId(r))!.percent_of_valid).toMatch(/^\d+\.\d\d$/);
  });

  it('the npm entry point (jobs/results-cli.ts) prints the same as the in-process tool', async () => {
    const inProcess = await runTool(['--type', 'national-assembly', '--input', inputPath]);
    const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
    const { stdout } = await promisify(execFile)(tsx, ['jobs/results-cli.ts', '--type', 'national-assembly', '--input', inputPath], {
      cwd: repoRoot,
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(stdout).toBe(inProcess.stdout);
  });
});

describe('results tool: bad input → exit 2, Vietnamese and English message naming row and column, nothing on stdout', () => {
  const good = [
    HEADER,
    'U1,2,1000,900,880,20,c1,Nguyễn Văn A,1970-01-01,500',
    'U1,2,1000,900,880,20,c2,"Trần Thị B",1975-02-02,450',
    'U1,2,1000,900,880,20,c3,Lê Văn C,1980-03-03,100',
  ];
  /** The good file with one line replaced (line numbers as in the file: header = 1). */
  const withLine = (line: number, text: string) => good.map((l, i) => (i === line - 1 ? text : l)).join('\n');

  const cases: { name: string; csv: string | Uint8Array; row: number; column?: string; args?: string[]; mentions?: RegExp }[] = [
    { name: 'missing column', csv: good.map((l) => l.split(',').slice(0, -1).join(',')).join('\n'), row: 1, column: 'votes' },
    { name: 'non-integer votes', csv: withLine(3, 'U1,2,1000,900,880,20,c2,B,1975-02-02,45x'), row: 3, column: 'votes', mentions: /45x/ },
    { name: 'decimal count', csv: withLine(2, 'U1,2,1000,900,880,20,c1,A,1970-01-01,500.5'), row: 2, column: 'votes' },
    {
      name: 'negative count',
      csv: good.map((l, i) => (i === 0 ? l : l.replace('U1,2,1000,', 'U1,2,-1000,'))).join('\n'),
      row: 2,
      column: 'voters_total',
      mentions: /số âm/,
    },
    { name: 'impossible date', csv: withLine(4, 'U1,2,1000,900,880,20,c3,C,1980-02-30,100'), row: 4, column: 'date_of_birth' },
    { name: 'date in another format', csv: withLine(2, 'U1,2,1000,900,880,20,c1,A,01/01/1970,500'), row: 2, column: 'date_of_birth' },
    { name: 'votes > valid ballots', csv: withLine(3, 'U1,2,1000,900,880,20,c2,B,1975-02-02,881'), row: 3, column: 'votes', mentions: /881/ },
    {
      name: 'unknown round',
      csv: [`${HEADER},round`, 'U1,1,1000,900,880,20,c1,A,1970-01-01,500,second'].join('\n'),
      row: 2,
      column: 'round',
      mentions: /second/,
    },
    {
      name: 'disagreeing unit columns',
      csv: withLine(3, 'U1,2,1000,900,870,30,c2,B,1975-02-02,450'),
      row: 3,
      column: 'ballots_valid',
      mentions: /U1.*880/,
    },
    { name: 'duplicate candidate id', csv: withLine(4, 'U1,2,1000,900,880,20,c1,C,1980-03-03,100'), row: 4, column: 'candidate_id' },
    {
      name: 'voted > total voters',
      csv: good.map((l, i) => (i === 0 ? l : l.replace('U1,2,1000,900,', 'U1,2,800,900,'))).join('\n'),
      row: 2,
      column: 'voters_voted',
    },
    { name: 'seats outside the NA range', csv: good.map((l, i) => (i === 0 ? l : l.replace('U1,2,', 'U1,4,'))).join('\n'), row: 2, column: 'seats' },
    { name: 'missing value', csv: withLine(2, 'U1,2,1000,900,880,20,,A,1970-01-01,500'), row: 2, column: 'candidate_id' },
    { name: 'unknown column', csv: [`${HEADER},note`, 'U1,1,1000,900,880,20,c1,A,1970-01-01,500,x'].join('\n'), row: 1, column: 'note' },
    { name: 'wrong number of fields', csv: withLine(3, 'U1,2,1000,900,880,20,c2,B,1975-02-02'), row: 3, mentions: /có 9 cột.*10 cột/ },
  ];

  it.each(cases)('$name', async ({ csv, row, column, mentions }) => {
    const run = await runTool(['--type', 'national-assembly', '--input', 'in.csv'], { 'in.csv': csv });
    expect(run.code).toBe(EXIT_BAD_INPUT);
    expect(run.stdout).toBe('');
    if (column) {
      expect(run.stderr).toContain(`Dòng ${row}, cột "${column}"`);
      expect(run.stderr).toContain(`Row ${row}, column "${column}"`);
    } else {
      expect(run.stderr).toContain(`Dòng ${row}:`);
      expect(run.stderr).toContain(`Row ${row}:`);
    }
    // Vietnamese first, English after.
    expect(run.stderr.indexOf('Dòng')).toBeLessThan(run.stderr.indexOf('Row'));
    if (mentions) expect(run.stderr).toMatch(mentions);
  });

  it('reports all problems at once, in file order', async () => {
    const csv = [HEADER, 'U1,2,1000,900,880,20,c1,A,1970-13-01,500', 'U1,2,1000,900,880,20,c2,B,1975-02-02,abc'].join('\n');
    const run = await runTool(['--type', 'commune-council', '--input', 'in.csv'], { 'in.csv': csv });
    expect(run.code).toBe(EXIT_BAD_INPUT);
    expect(run.stderr).toMatch(/2 lỗi/);
    expect(run.stderr.indexOf('Dòng 2, cột "date_of_birth"')).toBeLessThan(run.stderr.indexOf('Dòng 3, cột "votes"'));
  });

  it('empty file (also BOM only or blank lines)', async () => {
    for (const csv of ['', '\uFEFF', '\n\n  \n']) {
      const run = await runTool(['--type', 'national-assembly', '--input', 'in.csv'], { 'in.csv': csv });
      expect(run.code).toBe(EXIT_BAD_INPUT);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/tệp rỗng/i);
      expect(run.stderr).toMatch(/file is empty/);
    }
  });

  it('header without data rows', async () => {
    const run = await runTool(['--type', 'national-assembly', '--input', 'in.csv'], { 'in.csv': `${HEADER}\n` });
    expect(run.code).toBe(EXIT_BAD_INPUT);
    expect(run.stderr).toContain('Dòng 1');
  });

  it('unclosed quote', async () => {
    const run = await runTool(['--type', 'national-assembly', '--input', 'in.csv'], {
      'in.csv': withLine(3, 'U1,2,1000,900,880,20,c2,"Trần Thị B,1975-02-02,450'),
    });
    expect(run.code).toBe(EXIT_BAD_INPUT);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/Dòng 3: lỗi cú pháp CSV.*\n.*Row 3: CSV syntax error/);
  });

  it('quoted fields may hold commas, doubled quotes and line breaks; rows are named by the line they start on', async () => {
    const csv = [
      HEADER,
      'U1,1,1000,900,880,20,c1,"Nguyễn ""Văn"", A",1970-01-01,500',
      'U1,1,1000,900,880,20,c2,"Trần',
      'Thị B",1975-02-02,450',
      'U1,1,1000,900,880,20,c3,C,1980-03-03,9999',
    ].join('\r\n');
    const run = await runTool(['--type', 'national-assembly', '--input', 'in.csv'], { 'in.csv': csv });
    expect(run.code).toBe(EXIT_BAD_INPUT);
    expect(run.stderr).toContain('Dòng 5, cột "votes"');
    expect(run.stderr.match(/Dòng/g)).toHaveLength(1);
  });

  it('file that is not UTF-8', async () => {
    const latin1 = Buffer.from(`${HEADER}\nU1,1,10,9,9,0,c1,Nguy\xeAn,1970-01-01,5\n`, 'latin1');
    const run = await runTool(['--type', 'national-assembly', '--input', 'in.csv'], { 'in.csv': latin1 });
    expect(run.code).toBe(EXIT_BAD_INPUT);
    expect(run.stderr).toMatch(/UTF-8/);
  });

  it('a UTF-8 BOM is accepted (Excel writes one) and names stay intact', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(good.join('\r\n'), 'utf8')]);
    const run = await runTool(['--type', 'national-assembly', '--input', 'in.csv'], { 'in.csv': bytes });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT_OK);
    const out = JSON.parse(run.stdout);
    expect(out.units[0]).toMatchObject({ unit_id: 'U1', status: 'complete', seats_filled: 2 });
  });

  it('unknown contest type, unknown format, missing options, unreadable file', async () => {
    const files = { 'in.csv': good.join('\n') };
    const cases: [string[], RegExp][] = [
      [['--type', 'senate', '--input', 'in.csv'], /senate/],
      [['--type', 'national-assembly', '--input', 'in.csv', '--format', 'xml'], /xml/],
      [['--input', 'in.csv'], /--type/],
      [['--type', 'national-assembly'], /--input/],
      [['--type', 'national-assembly', '--input'], /--input/],
      [['--type', 'national-assembly', '--input', 'in.csv', '--verbose'], /--verbose/],
      [['--type', 'national-assembly', '--input', path.join(os.tmpdir(), 'baucu-no-such-file.csv')], /ENOENT/],
    ];
    for (const [argv, mentions] of cases) {
      const run = await runTool(argv, files);
      expect(run.code, argv.join(' ')).toBe(EXIT_BAD_INPUT);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(mentions);
      expect(run.stderr).toMatch(/^Lỗi: .*\nError: /);
    }
  });

  it('--help prints the usage and exits 0', async () => {
    const run = await runTool(['--help']);
    expect(run.code).toBe(EXIT_OK);
    expect(run.stdout).toMatch(/Cách dùng: npm run results -- --type/);
  });
});
