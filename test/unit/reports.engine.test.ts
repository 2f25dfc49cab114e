// The report engine's pure parts: verification codes, CSV cells, printed cells, the report registry, and the plugin
// registry's validation of r.reports() (ownership, permission, formats, columns, messages, templates).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PluginRegistry } from '../../core/plugin-host/registry.js';
import { definePlugin, defineReport, ok, type PluginManifest, type ReportDef } from '../../core/plugin-api/index.js';
import { formatVerifyCode, normalizeVerifyCode, verifyCodeFor, verifyUrl, VERIFY_CODE_LENGTH } from '../../core/reports/verify.js';
import { csvCell, csvLine } from '../../core/shared/csv.js';
import { printCell, toCsv } from '../../core/reports/tabular.js';
import { ReportRegistry, reportSlug } from '../../core/reports/report-engine.js';
import { provinceCommunesReport } from '../../core/reports/province-communes.report.js';
import { loadConfig, ConfigError } from '../../config/config.js';

describe('verification codes', () => {
  it('are 10 characters of Crockford base32, stable for an id, different across ids', () => {
    const id = '2c8e8a4e-8d0c-4b9e-9b0e-6f3d2a1b0c9d';
    const code = verifyCodeFor(id);
    expect(code).toHaveLength(VERIFY_CODE_LENGTH);
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{10}$/);
    expect(verifyCodeFor(id)).toBe(code);
    expect(verifyCodeFor(id, 1)).not.toBe(code);
    const many = new Set(Array.from({ length: 2000 }, (_, i) => verifyCodeFor(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)));
    expect(many.size).toBe(2000);
  });

  it('are read back from what people type: case, dashes, spaces, O for 0, I and L for 1', () => {
    expect(formatVerifyCode('ABCDE12345')).toBe('ABCDE-12345');
    expect(normalizeVerifyCode('abcde-12345')).toBe('ABCDE12345');
    expect(normalizeVerifyCode(' ABCDE 1234O ')).toBe('ABCDE12340');
    expect(normalizeVerifyCode('ABCDEl234I')).toBe('ABCDE12341');
    expect(normalizeVerifyCode('ABCDE1234')).toBeUndefined();
    expect(normalizeVerifyCode('ABCDE1234U')).toBeUndefined();
    expect(normalizeVerifyCode('<script>')).toBeUndefined();
    expect(verifyUrl('https://baucu.example.vn/', 'ABCDE12345')).toBe('https://baucu.example.vn/v/ABCDE12345');
  });
});

describe('PUBLIC_BASE_URL', () => {
  it('defaults to http://localhost:3000, drops a trailing slash, refuses what is not an absolute http(s) URL', () => {
    expect(loadConfig({}).publicBaseUrl).toBe('http://localhost:3000');
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://baucu.example.vn/' }).publicBaseUrl).toBe('https://baucu.example.vn');
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://example.vn/baucu' }).publicBaseUrl).toBe('https://example.vn/baucu');
    for (const bad of ['baucu.example.vn', 'ftp://x.vn', 'https://x.vn/?a=1', 'https://user:pw@x.vn', 'javascript:alert(1)']) {
      expect(() => loadConfig({ PUBLIC_BASE_URL: bad }), bad).toThrow(ConfigError);
    }
  });
});

describe('CSV cells (core/shared/csv.ts, shared with the audit export)', () => {
  it('quotes every field, doubles quotes, prefixes formula-looking text, leaves numbers alone', () => {
    expect(csvCell('Nguyễn Văn "An"')).toBe('"Nguyễn Văn ""An"""');
    for (const s of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) expect(csvCell(s)).toBe(`"'${s}"`);
    expect(csvCell(-5)).toBe('"-5"');
    expect(csvCell(1234567)).toBe('"1234567"');
    expect(csvCell(NaN)).toBe('""');
    expect(csvCell(null)).toBe('""');
    expect(csvCell(new Date('2026-03-15T01:02:03.004Z'))).toBe('"2026-03-15T08:02:03.004+07:00"');
    expect(csvLine(['a', 1])).toBe('"a","1"\r\n');
  });

  it('toCsv: BOM, header, typed cells', () => {
    const text = Buffer.from(toCsv({
      title: 'x',
      columns: [{ header: 'Tên', type: 'text' }, { header: 'Số', type: 'integer' }, { header: 'Tỷ lệ', type: 'percent' }, { header: 'Ngày', type: 'date' }],
      rows: [['-cmd', '12', 0.5, '2026-03-15T10:00:00'], [null, undefined, '', new Date('2026-03-14T17:00:00Z')]],
    })).toString('utf8');
    expect(text).toBe('\uFEFF"Tên","Số","Tỷ lệ","Ngày"\r\n"\'-cmd","12","50.00","2026-03-15"\r\n"","","","2026-03-15"\r\n');
  });

  it('printCell: the generic PDF table formats numbers, percentages and dates the Vietnamese way', () => {
    expect(printCell('integer', 1234567, 'vi')).toBe('1.234.567');
    expect(printCell('percent', 0.5234, 'vi')).toBe('52,34%');
    expect(printCell('percent', 0.5234, 'en')).toBe('52.34%');
    expect(printCell('date', '2026-03-15', 'vi')).toBe('15/03/2026');
    expect(printCell('text', null, 'vi')).toBe('');
  });
});

describe('report registry', () => {
  it('holds core reports; resolves the short URL name of a core report', () => {
    const reg = new ReportRegistry();
    reg.register('core', provinceCommunesReport());
    expect(reg.resolve('province-communes')?.def.id).toBe('core.reports.province-communes');
    expect(reg.resolve('core.reports.province-communes')?.owner).toBe('core');
    expect(reg.resolve('nope')).toBeUndefined();
    expect(reportSlug('core.reports.province-communes')).toBe('province-communes');
    expect(reportSlug('national-assembly.reports.winners')).toBe('national-assembly.reports.winners');
    expect(() => reg.register('core', provinceCommunesReport())).toThrow(/duplicate report/);
    expect(() => reg.register('core', { ...provinceCommunesReport(), id: 'other.reports.x' })).toThrow(/not owned by "core"/);
  });

  it('the province list keeps its "as of" default at request time and refuses unknown fields', () => {
    const def = provinceCommunesReport();
    expect(def.defaults!({ provinceCode: '79' }, { today: '2026-11-29' })).toEqual({ provinceCode: '79', asOf: '2026-11-29' });
    expect(def.params.safeParse({ provinceCode: '79', extra: 1 }).success).toBe(false);
    expect(def.params.safeParse({ provinceCode: '79', asOf: '2026-02-30' }).success).toBe(false);
    expect(def.formats).toEqual(['pdf', 'xlsx', 'csv']);
  });
});

describe('plugin registry: r.reports()', () => {
  const report = (over: Partial<ReportDef> = {}): ReportDef => defineReport({
    id: 'alpha.reports.summary',
    titleKey: 'alpha.report',
    params: z.object({ provinceCode: z.string() }),
    fields: [{ name: 'provinceCode', labelKey: 'alpha.field', kind: 'province', required: true }],
    permission: 'alpha.report.generate',
    formats: ['csv', 'pdf'],
    target: (p: { provinceCode: string }) => ({ type: 'province', code: p.provinceCode }),
    build: async () => ok({ rows: [] }),
    columns: [{ headerKey: 'alpha.col', type: 'text', value: () => 'x' }],
    ...over,
  });
  const plugin = (...reports: ReportDef[]): PluginManifest => definePlugin({
    id: 'alpha',
    version: '1.0.0',
    titleKey: 'alpha.title',
    register(r) {
      r.messages({ vi: { 'alpha.title': 'A', 'alpha.perm': 'Q', 'alpha.report': 'Báo cáo', 'alpha.field': 'Tỉnh', 'alpha.col': 'Cột' }, en: {} });
      r.permissions({ id: 'alpha.report.generate', level: 'province', titleKey: 'alpha.perm', roles: ['province-official'] });
      r.reports(...reports);
    },
  });
  const build = (m: PluginManifest) => PluginRegistry.build([m], { roles: ['province-official', 'system-admin'] });

  it('accepts a valid report and lists it with its plugin', () => {
    const reg = build(plugin(report()));
    expect([...reg.reports().keys()]).toEqual(['alpha.reports.summary']);
    expect(reg.reports().get('alpha.reports.summary')!.pluginId).toBe('alpha');
  });

  it.each([
    ['an id outside the plugin', { id: 'beta.reports.x' }, /report "beta.reports.x" is not owned by "alpha"/],
    ['a permission of someone else', { permission: 'core.reports.generate' }, /uses permission "core.reports.generate", which is not owned by "alpha"/],
    ['an undeclared permission', { permission: 'alpha.report.other' }, /undeclared permission "alpha.report.other"/],
    ['no format', { formats: [] }, /declares no format/],
    ['an unknown format', { formats: ['docx' as never] }, /unknown format "docx"/],
    ['a table format without columns', { columns: undefined }, /need columns/],
    ['a template outside the plugin', { template: 'province-communes' }, /must be "alpha\/<kebab-name>"/],
    ['a template without views()', { template: 'alpha/summary' }, /needs views\(\) to be declared/],
    ['a header key missing from the catalogue', { columns: [{ headerKey: 'alpha.missing', type: 'text', value: () => '' }] }, /message key "alpha.missing" is used but not in the plugin's Vietnamese catalogue/],
  ] as const)('refuses %s', (_what, over, message) => {
    expect(() => build(plugin(report(over as Partial<ReportDef>)))).toThrow(message);
  });

  it('refuses a duplicate report id', () => {
    expect(() => build(plugin(report(), report()))).toThrow(/duplicate report "alpha.reports.summary"/);
  });
});
