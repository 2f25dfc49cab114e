// Report definitions: how core modules and plugins contribute documents. A definition only declares (parameters,
// permission, target, data loader, template, table columns); the kernel's report engine runs it in the worker and
// renders PDF, XLSX or CSV, stores the artefact and makes PDFs verifiable (docs/reports.md).
import type { z } from 'zod';
import type { Lang } from '../shared/i18n.js';
import type { AppError, Result } from '../shared/result.js';
import type { TreeLevel } from './types.js';

/** Output formats the engine renders. */
export type ReportFormat = 'pdf' | 'xlsx' | 'csv';
export const REPORT_FORMATS: readonly ReportFormat[] = ['pdf', 'xlsx', 'csv'];

/**
 * How a table cell is written. XLSX: `text` a string cell, `integer` a number with format `#,##0`, `percent` a
 * fraction (0.5234) with format `0.00%`, `date` a date cell shown dd/mm/yyyy. CSV: text as is (injection-safe),
 * integers without grouping, percentages as percentage points with two decimals (52.34), dates as YYYY-MM-DD.
 */
export type ReportCellType = 'text' | 'integer' | 'percent' | 'date';

/** A cell value: dates as 'YYYY-MM-DD' strings or Date instants (taken as their calendar day in Vietnam). */
export type ReportCellValue = string | number | Date | null | undefined;

/** One column of the XLSX/CSV table. */
export interface ReportColumn<Row> {
  /** i18n key of the column header. */
  headerKey: string;
  type: ReportCellType;
  value(row: Row): ReportCellValue;
  /** XLSX column width in characters (default from the type). */
  width?: number;
}

/**
 * A field of the generic request form on GET /reports. `province` is a list of the provinces where the actor may
 * generate the report; `date` a date picker (YYYY-MM-DD); `select` a fixed list; `text` a short text (codes, ids).
 * The form only helps: the report's zod `params` schema is what decides (blank fields arrive as undefined).
 */
export interface ReportField {
  name: string;
  labelKey: string;
  kind: 'province' | 'date' | 'text' | 'select';
  required?: boolean;
  /** For `select`. */
  options?: { value: string; labelKey: string }[];
}

/** The node a report is about, for the policy (and the election, for a plugin report gated per election). */
export interface ReportTarget {
  type: TreeLevel;
  code: string;
  electionId?: string;
}

/** What a report's code receives in the worker: no globals. */
export interface ReportContext {
  /** Documents are issued in Vietnamese. */
  lang: Lang;
  t(key: string, params?: Record<string, unknown>): string;
  now(): Date;
  /** Today in Vietnam, YYYY-MM-DD. */
  today(): string;
  /** Read-only, parameterised SQL against the application schema. */
  sql<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

/**
 * A report: parameters in, data out, rendered by the kernel.
 *
 * Parameters are ids, codes and dates only: they travel in the job payload (Redis) and are stored with the artefact;
 * two artefacts of the same report, format and parameters are versions of one document (the newer supersedes).
 */
export interface ReportDef<P = any, D = any, Row = any, C extends ReportContext = ReportContext> {
  /** `<owner>.<report>`: `core.reports.province-communes`, `national-assembly.reports.winners`. */
  id: string;
  /** Title of the report in lists and forms. */
  titleKey: string;
  /** Parses the request form and the job payload (parse at the boundary). */
  params: z.ZodType<P>;
  /** The request form's fields, in order (names must be keys of `params`). */
  fields: readonly ReportField[];
  /** Permission to generate; checked on `target(params)`. */
  permission: string;
  formats: readonly ReportFormat[];
  target(params: P): ReportTarget;
  /** Fills in defaults at request time (e.g. "as of today"), so the stored parameters name the document exactly. */
  defaults?(params: P, at: { today: string }): P;
  /**
   * Checks the parameters in the web request, before the job is queued (e.g. the unit exists at that date): a
   * refusal is answered on the form (400) instead of becoming a failed job. The job checks again when it runs.
   */
  check?(params: P, ctx: ReportContext): Promise<Result<void, AppError>>;
  /** Loads the data, in the worker. Expected failures (unit not found) are values, shown on the job page. */
  build(params: P, ctx: C): Promise<Result<D, AppError>>;
  /** Title of the artefact ("Danh sách … — Thành phố Hồ Chí Minh"); default the translated titleKey. */
  title?(params: P, data: D, ctx: C): string;
  /**
   * PDF print template: a core document name (core/reports/print-templates.ts) or, for a plugin,
   * `<pluginId>/<name>` = `<plugin views dir>/reports/<name>.hbs`. Default: the generic official table built
   * from `columns`.
   */
  template?: string;
  /** View model of the print template; default `{ ...data }`. Format dates, numbers and sentences here. */
  view?(params: P, data: D, ctx: C & { documentId: string }): Record<string, unknown>;
  /** Rows of the XLSX/CSV table (and of the generic PDF table); default `data.rows`. */
  rows?(data: D): readonly Row[];
  columns?: readonly ReportColumn<Row>[];
}

/** Identity function that gives a report definition its types. */
export function defineReport<P, D, Row = unknown, C extends ReportContext = ReportContext>(def: ReportDef<P, D, Row, C>): ReportDef<P, D, Row, C> {
  return def;
}
