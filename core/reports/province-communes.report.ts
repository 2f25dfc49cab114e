// The first official document: the list of a province's commune-level units (xã, phường, đặc khu) at a date, in
// Vietnamese dictionary order, with counts per type — a report definition of the engine (core.reports.generate) in
// PDF (official layout), XLSX and CSV. The old job name core.reports.province-communes stays as an alias.
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { appError, err, ok, type Result } from '../shared/result.js';
import { sql } from '../persistence/db.js';
import { PermanentJobError, type JobHandler } from '../jobs/job-types.js';
import { defineReport } from '../plugin-api/index.js';
import { dmy, placeDateText, placeName } from './render.service.js';
import type { CoreReportContext, GenerateJobDeps } from './report-engine.js';
import { generateReport } from './report-engine.js';

export const PROVINCE_COMMUNES_REPORT = 'core.reports.province-communes';
/** Job name of the province list before the engine; runs queued under it (e.g. across an upgrade) still run. */
export const PROVINCE_COMMUNES_JOB = 'core.reports.province-communes';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((s) => !isNaN(Date.parse(s + 'T00:00:00Z')) && new Date(s + 'T00:00:00Z').toISOString().startsWith(s));
export { isoDate as isoDateSchema };

/** The report's parameters: ids and a date only. */
export const provinceCommunesParams = z
  .object({
    provinceCode: z.string().regex(/^\d{2}$/),
    asOf: isoDate.optional(),
  })
  .strict();
export type ProvinceCommunesParams = z.infer<typeof provinceCommunesParams>;
/** Kept for callers of the pre-engine name. */
export const provinceCommunesPayload = provinceCommunesParams;

/** Commune-level types in the order the official statistics list them. */
const TYPE_ORDER = ['xã', 'phường', 'đặc khu'] as const;

export interface ProvinceCommunesData {
  province: { code: string; name: string };
  asOf: string;
  /** The latest effective date among the rows shown: the tree version the list reflects. */
  treeSince: string;
  units: { code: string; name: string; type: string; validFrom: string }[];
  counts: { type: string; count: number }[];
  total: number;
}

const validAt = `valid_from <= ?::date and (valid_to is null or valid_to > ?::date)`;

/** Loads the province and its commune-level units valid at `asOf`, ordered by the Vietnamese collation key. */
export async function loadProvinceCommunes(
  em: EntityManager,
  provinceCode: string,
  asOf: string,
): Promise<Result<ProvinceCommunesData, { code: 'PROVINCE_NOT_FOUND' }>> {
  const [province] = await sql<{ code: string; name: string; valid_from: string }>(
    em,
    `select code, name, valid_from::text as valid_from from admin_unit where level = 'province' and code = ? and ${validAt}`,
    [provinceCode, asOf, asOf],
  );
  if (!province) return err({ code: 'PROVINCE_NOT_FOUND' });
  const units = await sql<{ code: string; name: string; type: string; valid_from: string }>(
    em,
    `select code, name, type, valid_from::text as valid_from from admin_unit
     where level = 'commune' and parent_code = ? and ${validAt} order by sort_key, code`,
    [provinceCode, asOf, asOf],
  );
  const byType = new Map<string, number>();
  for (const u of units) byType.set(u.type, (byType.get(u.type) ?? 0) + 1);
  const counts = [...byType.entries()]
    .sort((a, b) => rank(a[0]) - rank(b[0]))
    .map(([type, count]) => ({ type, count }));
  const treeSince = [province.valid_from, ...units.map((u) => u.valid_from)].sort().at(-1)!;
  return ok({
    province: { code: province.code, name: province.name },
    asOf,
    treeSince,
    units: units.map(({ code, name, type, valid_from }) => ({ code, name, type, validFrom: valid_from })),
    counts,
    total: units.length,
  });
}

function rank(type: string): number {
  const i = (TYPE_ORDER as readonly string[]).indexOf(type);
  return i < 0 ? TYPE_ORDER.length : i;
}

/** A translation, or undefined when the catalogue has no such key (I18n.t returns the key itself then). */
type T = (key: string, params?: Record<string, unknown>) => string;
const maybe = (t: T, key: string, params?: Record<string, unknown>) => {
  const s = t(key, params);
  return s === key ? undefined : s;
};

/** The view model of views/reports/province-communes.hbs. `t` translates in the document's language. */
export function provinceCommunesView(t: T, data: ProvinceCommunesData, issuedOn: string, documentId: string, placeDate: string): Record<string, unknown> {
  const typeLabel = (type: string) => maybe(t, `reports.type.${type}`) ?? type;
  const parts = data.counts.map((c) => maybe(t, `reports.type_count.${c.type}`, { n: c.count }) ?? `${c.count} ${c.type}`);
  return {
    header: {
      issuerLines: t('reports.doc.issuer_system').split('\n'),
      placeDate,
    },
    province: data.province,
    asOfText: dmy(data.asOf),
    treeSinceText: dmy(data.treeSince),
    units: data.units.map((u) => ({ ...u, typeLabel: typeLabel(u.type) })),
    counts: data.counts.map((c) => ({ label: typeLabel(c.type), count: c.count })),
    total: data.total,
    summaryText: t('reports.pc.summary_text', { province: data.province.name, total: data.total, parts: parts.join(', ') }),
    documentId,
    issuedOn,
  };
}

type Row = ProvinceCommunesData['units'][number] & { no: number; typeLabel: string };

/** The report definition: PDF in the official layout, XLSX and CSV with one row per unit. */
export function provinceCommunesReport() {
  return defineReport<ProvinceCommunesParams, ProvinceCommunesData & { rows: Row[] }, Row, CoreReportContext>({
    id: PROVINCE_COMMUNES_REPORT,
    titleKey: 'reports.pc.request',
    params: provinceCommunesParams,
    fields: [
      { name: 'provinceCode', labelKey: 'reports.pc.province', kind: 'province', required: true },
      { name: 'asOf', labelKey: 'reports.pc.as_of_label', kind: 'date' },
    ],
    permission: 'core.reports.generate',
    formats: ['pdf', 'xlsx', 'csv'],
    target: (p) => ({ type: 'province', code: p.provinceCode }),
    // "As of" defaults to the day of the request: the stored parameters name the document exactly.
    defaults: (p, at) => ({ ...p, asOf: p.asOf ?? at.today }),
    async check(p, ctx) {
      const at = p.asOf ?? ctx.today();
      const [province] = await ctx.sql(`select code from admin_unit where level = 'province' and code = ? and ${validAt}`, [p.provinceCode, at, at]);
      return province ? ok(undefined) : err(appError('PROVINCE_NOT_FOUND', 'reports.invalid_province', 400));
    },
    async build(p, ctx) {
      const asOf = p.asOf ?? ctx.today();
      const loaded = await loadProvinceCommunes(ctx.em, p.provinceCode, asOf);
      if (!loaded.ok) return err(appError('PROVINCE_NOT_FOUND', 'reports.province_not_found', 404, { code: p.provinceCode, date: dmy(asOf) }));
      const typeLabel = (type: string) => maybe(ctx.t, `reports.type.${type}`) ?? type;
      return ok({ ...loaded.value, rows: loaded.value.units.map((u, i) => ({ ...u, no: i + 1, typeLabel: typeLabel(u.type) })) });
    },
    title: (_p, data, ctx) => ctx.t('reports.pc.artefact_title', { province: data.province.name }),
    template: 'province-communes',
    view: (_p, data, ctx) =>
      provinceCommunesView(ctx.t, data, ctx.today(), ctx.documentId, placeDateText(ctx.t, placeName(data.province.name), ctx.today())),
    columns: [
      { headerKey: 'reports.pc.col_no', type: 'integer', value: (r) => r.no, width: 7 },
      { headerKey: 'reports.pc.col_code', type: 'text', value: (r) => r.code, width: 10 },
      { headerKey: 'reports.pc.col_name', type: 'text', value: (r) => r.name, width: 36 },
      { headerKey: 'reports.pc.col_type', type: 'text', value: (r) => r.typeLabel, width: 12 },
      { headerKey: 'reports.pc.col_since', type: 'date', value: (r) => r.validFrom },
    ],
  });
}

/**
 * The pre-engine job name, kept as an alias: payload {provinceCode, asOf?} → the PDF through the engine. A run queued
 * under the old name before an upgrade (and re-queued by recover()) still produces its document.
 */
export function provinceCommunesAliasJob(d: GenerateJobDeps): JobHandler<unknown, { artefactId: string }> {
  const run = generateReport(d);
  return async (raw, ctx) => {
    const parsed = provinceCommunesParams.safeParse(raw);
    if (!parsed.success) throw new PermanentJobError(`invalid payload: ${parsed.error.issues.map((i) => i.path.join('.') + ' ' + i.message).join('; ')}`);
    return run({ reportId: PROVINCE_COMMUNES_REPORT, params: parsed.data, format: 'pdf' }, ctx);
  };
}

