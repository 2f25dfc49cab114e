// The standalone results tool behind `npm run results`: reads a CSV of unit tallies, determines every unit with
// the application's own engine (determination.ts) and prints the results as JSON or CSV. Bad input is reported
// in Vietnamese and English with row and column, exit code 2, and nothing on stdout.
import { INSTALLED_PLUGINS } from '../../kernel/plugins.js';
import type { ContestTypeDef } from '../../plugin-api/contest-type.js';
import { PluginRegistry } from '../../plugin-host/registry.js';
import type { Lang } from '../../shared/i18n.js';
import type { FieldIssue } from '../../shared/result.js';
import { formatPercent } from '../../shared/percent.js';
import {
  ROUNDS,
  determineUnits,
  isIsoDate,
  validateTally,
  type DeterminationParams,
  type Round,
  type TallyIssue,
  type UnitResult,
  type UnitTally,
} from './determination.js';
import { renderResultsMessage } from './messages.js';

/** Exit codes: success, unexpected failure (a bug), bad arguments or bad input. */
export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;

/** What the tool needs from its surroundings, so tests can run it in-process. */
export interface ResultsToolIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): Promise<Uint8Array | string>;
}

/**
 * The installed contest types, as their plugins declare them (seats per unit: rule 3; additional election:
 * rule 29), read through the kernel's list of installed plugins so the tool and the application share one source.
 * Building the registry only runs the plugins' pure register() functions: no database, no I/O.
 */
export function installedContestTypes(): readonly ContestTypeDef[] {
  contestTypesMemo ??= PluginRegistry.build(INSTALLED_PLUGINS).contestTypes();
  return contestTypesMemo;
}
let contestTypesMemo: readonly ContestTypeDef[] | undefined;

/** Input columns, in the documented order; `round` is optional (default 'first'). */
export const INPUT_COLUMNS = [
  'unit_id',
  'seats',
  'voters_total',
  'voters_voted',
  'ballots_valid',
  'ballots_invalid',
  'candidate_id',
  'candidate_name',
  'date_of_birth',
  'votes',
  'round',
] as const;
type Column = (typeof INPUT_COLUMNS)[number];
const OPTIONAL_COLUMNS = new Set<Column>(['round']);
/** Columns describing the unit: repeated on each of its rows, and required to agree. */
const UNIT_COLUMNS = [
  'seats',
  'voters_total',
  'voters_voted',
  'ballots_valid',
  'ballots_invalid',
  'round',
] as const satisfies readonly Column[];

// Stderr stays readable when a whole file is wrong.
const MAX_REPORTED_ISSUES = 50;

type Format = 'json' | 'csv';

interface Options {
  type: string;
  input: string;
  format: Format;
}

/**
 * Runs the tool: `--type <contest type> --input <file.csv> [--format json|csv]`, also `--opt=value` and `--help`.
 * Writes the results to `io.stdout` only on success.
 *
 * @returns {@link EXIT_OK}, {@link EXIT_BAD_INPUT} for bad arguments or input, {@link EXIT_INTERNAL} for a bug.
 */
export async function runResultsTool(argv: readonly string[], io: ResultsToolIo): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args === 'help') {
      io.stdout(`${renderBoth('results.cli.usage')}\n`);
      return EXIT_OK;
    }
    if ('error' in args) {
      io.stderr(usageError(args.error.key, args.error.params));
      return EXIT_BAD_INPUT;
    }
    const contestTypes = installedContestTypes();
    const params = contestTypes.find((c) => c.id === args.type);
    if (!params) {
      io.stderr(usageError('results.cli.unknown-type', { value: args.type, allowed: contestTypes.map((c) => c.id).join(', ') }));
      return EXIT_BAD_INPUT;
    }

    let raw: Uint8Array | string;
    try {
      raw = await io.readFile(args.input);
    } catch (e) {
      const detail = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      io.stderr(usageError('results.cli.file-unreadable', { path: args.input, detail }));
      return EXIT_BAD_INPUT;
    }

    const parsed = parseResultsCsv(raw, params);
    if (!parsed.ok) {
      io.stderr(renderIssues(parsed.issues));
      return EXIT_BAD_INPUT;
    }
    const determined = determineUnits(parsed.units, params);
    // parseResultsCsv has already run the same validation, so this branch means the two disagree: a bug.
    if (!determined.ok) throw new Error(`results tool: engine rejected validated input: ${JSON.stringify(determined.error[0])}`);
    io.stdout(args.format === 'csv' ? formatResultsCsv(determined.value) : formatResultsJson(determined.value));
    return EXIT_OK;
  } catch (e) {
    io.stderr(`Lỗi không mong đợi / Unexpected error: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT_INTERNAL;
  }
}

type ParsedArgs = Options | 'help' | { error: { key: string; params: Record<string, string> } };

function parseArgs(argv: readonly string[]): ParsedArgs {
  const values: Partial<Record<'type' | 'input' | 'format', string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return 'help';
    const m = /^--(type|input|format)(?:=(.*))?$/.exec(a);
    if (!m) return { error: { key: 'results.cli.unknown-option', params: { value: a } } };
    const name = m[1] as 'type' | 'input' | 'format';
    let value = m[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--'))
        return { error: { key: 'results.cli.missing-value', params: { option: `--${name}` } } };
      value = next;
      i++;
    }
    if (value === '') return { error: { key: 'results.cli.missing-value', params: { option: `--${name}` } } };
    values[name] = value;
  }
  if (values.type === undefined) return { error: { key: 'results.cli.missing-option', params: { option: '--type' } } };
  if (values.input === undefined) return { error: { key: 'results.cli.missing-option', params: { option: '--input' } } };
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'csv') return { error: { key: 'results.cli.bad-format', params: { value: format } } };
  return { type: values.type, input: values.input, format };
}

/** Outcome of reading an input file: the tallies in order of first appearance, or every problem found. */
export type ParsedInput = { ok: true; units: UnitTally[] } | { ok: false; issues: FieldIssue[] };

interface UnitAcc {
  tally: UnitTally;
  firstRow: number;
  /** Parsed unit-column values of the first row, for the agreement check. */
  values: UnitValues;
  /** Unit columns that failed to parse on the first row (bit per column). */
  badFirst: number;
  candidateRows: number[];
  broken: boolean;
}

type UnitValues = Record<(typeof UNIT_COLUMNS)[number], string | number | undefined>;

const COLUMN_BIT = new Map<Column, number>(INPUT_COLUMNS.map((c, i) => [c, 1 << i]));

/** One data row being read: its cells by column name, and the problems found in it. */
class RowReader {
  /** Columns that failed to parse (bit per column): already reported, so not compared across the unit's rows. */
  bad = 0;

  constructor(
    private readonly fields: string[],
    private readonly colIndex: ReadonlyMap<Column, number>,
    readonly row: number,
    private readonly issues: FieldIssue[],
  ) {}

  cell(c: Column): string {
    const i = this.colIndex.get(c);
    return i === undefined ? '' : this.fields[i].trim();
  }

  report(c: Column, code: string, params: Record<string, string | number> = {}): undefined {
    this.bad |= COLUMN_BIT.get(c)!;
    this.issues.push(issue(this.row, c, code, params));
    return undefined;
  }

  required(c: Column): string {
    const v = this.cell(c);
    if (v === '') this.report(c, 'required');
    return v;
  }

  /** A non-negative integer; empty gives undefined, reported unless `optional`. */
  count(c: Column, optional = false): number | undefined {
    const v = this.cell(c);
    if (v === '') return optional ? undefined : this.report(c, 'required');
    if (/^-\d+$/.test(v)) return this.report(c, 'negative', { value: v });
    if (!/^\d+$/.test(v)) return this.report(c, 'not-integer', { value: v });
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : this.report(c, 'too-large', { value: v });
  }
}

/**
 * Parses and validates the input CSV (UTF-8, optional BOM, header row; see docs/results-tool.md). Checks the
 * syntax of each value, the agreement of unit columns across a unit's rows, and runs the engine's own
 * {@link validateTally} on each unit so that semantic problems (votes > valid ballots, seats outside the
 * contest's range, duplicate candidate ids) are also reported with their row and column. Rows are file line
 * numbers (the header is row 1).
 */
export function parseResultsCsv(input: Uint8Array | string, params: DeterminationParams): ParsedInput {
  const issues: FieldIssue[] = [];
  const fail = (issue: Omit<FieldIssue, 'messageKey'>): ParsedInput => ({
    ok: false,
    issues: [{ ...issue, messageKey: `results.input.${issue.code}` }],
  });

  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      return fail({ code: 'not-utf8' });
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const csv = readCsv(text);
  if ('error' in csv) return fail({ row: csv.error.line, code: csv.error.code });
  const records = csv.records;
  if (records.length === 0) return fail({ code: 'empty-file' });

  // Header.
  const headerRow = records[0].line;
  const header = records[0].fields.map((h) => h.trim().toLowerCase());
  const colIndex = new Map<Column, number>();
  header.forEach((h, i) => {
    if (!(INPUT_COLUMNS as readonly string[]).includes(h)) {
      issues.push(issue(headerRow, h, 'unknown-column', { column: h }));
    } else if (colIndex.has(h as Column)) {
      issues.push(issue(headerRow, h, 'duplicate-column', { column: h }));
    } else colIndex.set(h as Column, i);
  });
  for (const c of INPUT_COLUMNS)
    if (!colIndex.has(c) && !OPTIONAL_COLUMNS.has(c)) issues.push(issue(headerRow, c, 'missing-column', { column: c }));
  if (issues.length) return { ok: false, issues };
  if (records.length === 1) return fail({ row: headerRow, code: 'no-data' });

  // Data rows.
  const units = new Map<string, UnitAcc>();
  for (let r = 1; r < records.length; r++) {
    const { fields, line: row } = records[r];
    if (fields.length !== header.length) {
      const params = { actual: fields.length, expected: header.length };
      issues.push({ row, code: 'field-count', messageKey: 'results.input.field-count', params });
      continue;
    }
    const rd = new RowReader(fields, colIndex, row, issues);
    const unitId = rd.required('unit_id');
    const roundText = rd.cell('round').toLowerCase();
    let round: Round = 'first';
    if ((ROUNDS as readonly string[]).includes(roundText)) round = roundText as Round;
    else if (roundText !== '') rd.report('round', 'unknown-round', { value: rd.cell('round') });
    const values: UnitValues = {
      seats: rd.count('seats'),
      voters_total: rd.count('voters_total'),
      voters_voted: rd.count('voters_voted'),
      ballots_valid: rd.count('ballots_valid'),
      ballots_invalid: rd.count('ballots_invalid', true),
      round,
    };
    const candidateId = rd.required('candidate_id');
    const name = rd.required('candidate_name');
    const dateOfBirth = rd.required('date_of_birth');
    if (dateOfBirth !== '' && !isIsoDate(dateOfBirth)) rd.report('date_of_birth', 'bad-date', { value: dateOfBirth });
    const votes = rd.count('votes');
    if (unitId === '') continue;

    let acc = units.get(unitId);
    if (!acc) {
      acc = {
        firstRow: row,
        values,
        badFirst: rd.bad,
        candidateRows: [],
        broken: rd.bad !== 0,
        tally: {
          unitId,
          seats: (values.seats as number | undefined) ?? 0,
          votersTotal: (values.voters_total as number | undefined) ?? 0,
          votersVoted: (values.voters_voted as number | undefined) ?? 0,
          ballotsValid: (values.ballots_valid as number | undefined) ?? 0,
          ballotsInvalid: values.ballots_invalid as number | undefined,
          round,
          candidates: [],
        },
      };
      units.set(unitId, acc);
    } else {
      if (rd.bad !== 0) acc.broken = true;
      for (const c of UNIT_COLUMNS) {
        const bit = COLUMN_BIT.get(c)!;
        if (rd.bad & bit || acc.badFirst & bit || values[c] === acc.values[c]) continue;
        acc.broken = true;
        issues.push(
          issue(row, c, 'unit-disagrees', {
            unit: unitId,
            value: values[c] === undefined ? '' : String(values[c]),
            first: acc.values[c] === undefined ? '' : String(acc.values[c]),
            firstRow: acc.firstRow,
          }),
        );
      }
    }
    acc.candidateRows.push(row);
    acc.tally.candidates.push({ candidateId, name, dateOfBirth, votes: votes ?? 0 });
  }

  // The engine's own checks, mapped back to rows and columns.
  for (const acc of units.values()) {
    if (acc.broken) continue;
    for (const ti of validateTally(acc.tally, params)) issues.push(tallyIssueToField(ti, acc));
  }
  if (issues.length) {
    issues.sort((a, b) => (a.row ?? 0) - (b.row ?? 0) || columnOrder(a.column) - columnOrder(b.column));
    return { ok: false, issues };
  }
  return { ok: true, units: [...units.values()].map((u) => u.tally) };
}

interface CsvRecord {
  fields: string[];
  /** Line of the file on which the record starts (1-based). */
  line: number;
}

/**
 * Reads RFC 4180 CSV (comma, double quotes with "" escapes, LF / CRLF / CR line ends, line breaks inside quotes),
 * recording the line each record starts on, which is what the error messages name. Blank lines and lines of bare
 * separators (spreadsheets export trailing ",,,," rows) are skipped. A small reader of its own, because a general
 * parser with position tracking costs several seconds on a nationwide file.
 */
function readCsv(
  text: string,
): { records: CsvRecord[] } | { error: { line: number; code: 'unclosed-quote' | 'text-after-quote' } } {
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let blank = true;
    for (;;) {
      let field: string;
      if (text.charCodeAt(i) === 34) {
        let value = '';
        let from = ++i;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) return { error: { line: start, code: 'unclosed-quote' } };
          for (let k = i; k < q; k++) {
            const ch = text.charCodeAt(k);
            if (ch === 10 || (ch === 13 && text.charCodeAt(k + 1) !== 10)) line++;
          }
          if (text.charCodeAt(q + 1) === 34) {
            value += text.slice(from, q + 1);
            i = from = q + 2;
          } else {
            value += text.slice(from, q);
            i = q + 1;
            break;
          }
        }
        const next = text.charCodeAt(i);
        if (i < n && next !== 44 && next !== 10 && next !== 13) return { error: { line, code: 'text-after-quote' } };
        field = value;
      } else {
        let j = i;
        while (j < n) {
          const ch = text.charCodeAt(j);
          if (ch === 44 || ch === 10 || ch === 13) break;
          j++;
        }
        field = text.slice(i, j);
        i = j;
      }
      fields.push(field);
      if (blank && field.trim() !== '') blank = false;
      if (i >= n) break;
      const ch = text.charCodeAt(i);
      if (ch === 44) {
        i++;
        if (i >= n) {
          fields.push('');
          break;
        }
        continue;
      }
      i += ch === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
      line++;
      break;
    }
    if (!blank) records.push({ fields, line: start });
  }
  return { records };
}

function issue(row: number, column: string, code: string, params: Record<string, string | number> = {}): FieldIssue {
  return { row, column, code, messageKey: `results.input.${code}`, params };
}

const FIELD_COLUMN: Record<string, Column> = {
  unitId: 'unit_id',
  seats: 'seats',
  votersTotal: 'voters_total',
  votersVoted: 'voters_voted',
  ballotsValid: 'ballots_valid',
  ballotsInvalid: 'ballots_invalid',
  round: 'round',
  candidateId: 'candidate_id',
  name: 'candidate_name',
  dateOfBirth: 'date_of_birth',
  votes: 'votes',
};

function tallyIssueToField(ti: TallyIssue, acc: UnitAcc): FieldIssue {
  const m = /^candidates\[(\d+)\]\.(\w+)$/.exec(ti.field);
  const row = m ? acc.candidateRows[Number(m[1])] : acc.firstRow;
  const column = FIELD_COLUMN[m ? m[2] : ti.field] ?? ti.field;
  return { row, column, code: ti.code, messageKey: ti.messageKey, params: ti.params };
}

function columnOrder(c: string | undefined): number {
  const i = (INPUT_COLUMNS as readonly string[]).indexOf(c ?? '');
  return i < 0 ? INPUT_COLUMNS.length : i;
}

function renderIssue(lang: Lang, i: FieldIssue): string {
  const where =
    i.row !== undefined && i.column !== undefined
      ? renderResultsMessage(lang, 'results.input.location.row-column', { row: String(i.row), column: i.column })
      : i.row !== undefined
        ? renderResultsMessage(lang, 'results.input.location.row', { row: String(i.row) })
        : undefined;
  const what = renderResultsMessage(lang, i.messageKey, i.params);
  return where ? `${where}: ${what}` : capitalise(what);
}

/** Vietnamese then English for each problem, under a bilingual count; long lists are cut. */
function renderIssues(issues: readonly FieldIssue[]): string {
  const lines = [
    bilingualLine('results.cli.input-errors', { count: issues.length }),
  ];
  for (const i of issues.slice(0, MAX_REPORTED_ISSUES)) lines.push(`  ${renderIssue('vi', i)}`, `    ${renderIssue('en', i)}`);
  const rest = issues.length - MAX_REPORTED_ISSUES;
  if (rest > 0)
    lines.push(`  ${bilingualLine('results.input.more-errors', { count: rest })}`);
  return `${lines.join('\n')}\n`;
}

function usageError(key: string, params: Record<string, string>): string {
  return [
    `Lỗi: ${renderResultsMessage('vi', key, params)}`,
    `Error: ${renderResultsMessage('en', key, params)}`,
    renderBoth('results.cli.usage'),
  ].join('\n') + '\n';
}

function bilingualLine(key: string, params: Record<string, unknown>): string {
  return `${renderResultsMessage('vi', key, params)} / ${renderResultsMessage('en', key, params)}`;
}

function renderBoth(key: string): string {
  return `${renderResultsMessage('vi', key)}\n${renderResultsMessage('en', key)}`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// Percentages go out as JSON numbers with two decimals ("turnout_percent": 99.60), as printed in the minutes.
const pct = (n: number): string => formatPercent(n, 'en');

/**
 * The JSON output: `{"units":[{unit_id, seats, turnout_percent, status, seats_filled, candidates:[{candidate_id,
 * votes, percent_of_valid, rank, elected, reason}]}]}`, one candidate per line, percentages with two decimals.
 */
export function formatResultsJson(results: readonly UnitResult[]): string {
  const units = results.map((u) => {
    const candidates = u.candidates.map(
      (c) =>
        `        {"candidate_id": ${JSON.stringify(c.candidateId)}, "votes": ${c.votes}, ` +
        `"percent_of_valid": ${pct(c.percentOfValid)}, "rank": ${c.rank}, "elected": ${c.elected}, ` +
        `"reason": ${JSON.stringify(c.reason)}}`,
    );
    return [
      '    {',
      `      "unit_id": ${JSON.stringify(u.unitId)},`,
      `      "seats": ${u.seats},`,
      `      "turnout_percent": ${pct(u.turnoutPercent)},`,
      `      "status": ${JSON.stringify(u.status)},`,
      `      "seats_filled": ${u.seatsFilled},`,
      candidates.length ? `      "candidates": [\n${candidates.join(',\n')}\n      ]` : '      "candidates": []',
      '    }',
    ].join('\n');
  });
  return units.length ? `{\n  "units": [\n${units.join(',\n')}\n  ]\n}\n` : '{\n  "units": []\n}\n';
}

/** Header of the CSV output: the unit's columns repeated on each candidate's row. */
export const OUTPUT_CSV_COLUMNS = [
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
] as const;

function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV output: one row per candidate with the unit's columns, percentages with two decimals (dot). */
export function formatResultsCsv(results: readonly UnitResult[]): string {
  const lines: string[] = [OUTPUT_CSV_COLUMNS.join(',')];
  for (const u of results) {
    const unitPart = [csvField(u.unitId), u.seats, pct(u.turnoutPercent), u.status, u.seatsFilled].join(',');
    for (const c of u.candidates)
      lines.push([unitPart, csvField(c.candidateId), c.votes, pct(c.percentOfValid), c.rank, c.elected, c.reason].join(','));
  }
  return `${lines.join('\n')}\n`;
}
