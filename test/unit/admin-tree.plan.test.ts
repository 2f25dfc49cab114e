// The pure parts of the administrative-tree import: header recognition, versioning on the in-memory model (split,
// same-day correction, insertion before a known future version), the validation catalogue and its messages.
import { describe, it, expect } from 'vitest';
import { TreeModel } from '../../core/admin-tree/tree-model.js';
import { planImport, NATION } from '../../core/admin-tree/import-plan.js';
import { columnOf, detectKind, headerKey, parseType, ISSUE_CODES, KIND_COLUMNS } from '../../core/admin-tree/import-format.js';
import { readTreeFile } from '../../core/admin-tree/tree-file.js';
import { ADMIN_TREE_MESSAGES } from '../../core/admin-tree/messages.js';
import type { RawSheet } from '../../core/admin-tree/tree-file.js';

const RUN = '00000000-0000-4000-8000-000000000001';
const sheet = (rows: string[][]): RawSheet => ({ format: 'csv', rows: rows.map((cells, i) => ({ row: i + 1, cells, numeric: cells.map(() => false) })) });

describe('headers', () => {
  it('accepts the reference files\' English headers and Vietnamese ones, in any case and with or without accents', () => {
    expect(headerKey('Mã tỉnh (*)')).toBe('ma tinh');
    expect(columnOf('province_code')).toBe('province_code');
    expect(columnOf('MÃ TỈNH')).toBe('province_code');
    expect(columnOf('Ma xa')).toBe('commune_code');
    expect(columnOf('Loại')).toBe('province_type');
    expect(columnOf('Loại xã')).toBe('commune_type');
    expect(columnOf('name_2025_07_01')).toBe('name_before');
    expect(columnOf('effective_date_per_source')).toBe('effective_date');
    expect(columnOf('STT')).toBe('ignored');
    expect(columnOf('Dân số')).toBeUndefined();
    for (const kind of ['provinces', 'communes', 'amendments'] as const) {
      const viIds = new Set(KIND_COLUMNS[kind].map((c) => columnOf(c.vi)).filter((x) => x && x !== 'ignored') as never[]);
      expect(detectKind(viIds)).toBe(kind);
    }
  });

  it('maps unit types as written to the stored types', () => {
    expect(parseType('thành phố trực thuộc trung ương', 'province')).toBe('thành phố');
    expect(parseType('Tỉnh', 'province')).toBe('tỉnh');
    expect(parseType('Đặc khu', 'commune')).toBe('đặc khu');
    expect(parseType('xã', 'province')).toBeUndefined();
    expect(parseType('thị trấn', 'commune')).toBeUndefined();
  });
});

describe('versioning on the model', () => {
  const m = new TreeModel();
  const unit = (name: string, type: 'xã' | 'phường' = 'xã') => ({ code: '25270', level: 'commune' as const, parentCode: '75', name, type });

  it('adds, keeps identical values, splits at a later date and corrects in place on the same date', () => {
    expect(m.set(unit('Xã Lộc Ninh'), '2025-07-01', RUN)).toBe('added');
    expect(m.set(unit('Xã Lộc Ninh'), '2025-07-01', RUN)).toBe('unchanged');
    expect(m.set(unit('Phường Lộc Ninh', 'phường'), '2026-04-30', RUN)).toBe('changed');
    expect(m.versions('25270').map((v) => [v.validFrom, v.validTo, v.name])).toEqual([
      ['2025-07-01', '2026-04-30', 'Xã Lộc Ninh'],
      ['2026-04-30', null, 'Phường Lộc Ninh'],
    ]);
    expect(m.at('25270', '2026-03-15')!.name).toBe('Xã Lộc Ninh');
    expect(m.at('25270', '2026-04-30')!.name).toBe('Phường Lộc Ninh');
    expect(m.set(unit('Phường Lộc Ninh Mới', 'phường'), '2026-04-30', RUN)).toBe('corrected');
    expect(m.versions('25270')).toHaveLength(2);
    // A change between two known versions ends where the next one starts.
    expect(m.set(unit('Xã Lộc Ninh B'), '2026-01-01', RUN)).toBe('changed');
    expect(m.versions('25270').map((v) => [v.validFrom, v.validTo])).toEqual([
      ['2025-07-01', '2026-01-01'], ['2026-01-01', '2026-04-30'], ['2026-04-30', null],
    ]);
    // Before the first version: added, ending at it.
    expect(m.set(unit('Xã Cũ'), '2024-01-01', RUN)).toBe('added');
    expect(m.versions('25270')[0]).toMatchObject({ validFrom: '2024-01-01', validTo: '2025-07-01' });
    expect(m.dirtyRows()).toHaveLength(4); // every version (a Set: a version touched twice is written once)
  });
});

describe('planning an import', () => {
  it('collects every problem and plans nothing when a row is wrong', () => {
    const model = new TreeModel();
    const plan = planImport({
      model, effectiveDate: '2025-07-01', importRunId: RUN,
      sheet: sheet([
        ['Mã tỉnh', 'Tên tỉnh', 'Loại', 'Mã xã', 'Tên xã', 'Loại xã'],
        ['01', 'Thành phố Hà Nội', 'thành phố trực thuộc trung ương', '00004', 'Phường Ba Đình', 'phường'],
        ['01', 'Thành phố Hà Nội', 'thành phố trực thuộc trung ương', '00004', 'Phường Ba Đình', 'phường'],
        ['01', 'Hà Nội', 'thành phố trực thuộc trung ương', '00008', 'Phường Ngọc Hà', 'phường'],
      ]),
    });
    expect(plan.kind).toBe('communes');
    expect(plan.errors.map((e) => `${e.row}:${e.code}:${e.column}`)).toEqual(['3:DUPLICATE_CODE:Mã xã', '4:PROVINCE_NAME_MISMATCH:Tên tỉnh']);
    expect(plan.errors[1].messageKey).toBe('import.issue.PROVINCE_NAME_MISMATCH_ROW');
    expect(model.dirtyRows()).toEqual([]);
  });

  it('creates the nation root and the provinces a commune list describes', () => {
    const model = new TreeModel();
    const plan = planImport({
      model, effectiveDate: '2025-07-01', importRunId: RUN,
      sheet: sheet([
        ['DANH SÁCH ĐƠN VỊ HÀNH CHÍNH CẤP XÃ'], // a title above the header is tolerated
        ['province_code', 'province_name', 'province_type', 'commune_code', 'commune_name', 'commune_type'],
        ['79', 'Thành phố Hồ Chí Minh', 'thành phố trực thuộc trung ương', '26732', 'Đặc khu Côn Đảo', 'đặc khu'],
      ]),
    });
    expect(plan.errors).toEqual([]);
    expect(plan.headerRow).toBe(2);
    expect(plan.changes).toMatchObject({ nation: { added: 1 }, province: { added: 1 }, commune: { added: 1 } });
    expect(model.at('VN', '2025-07-01')).toMatchObject({ ...NATION, validFrom: '2025-07-01' });
    expect(model.at('79', '2025-07-01')).toMatchObject({ type: 'thành phố', parentCode: 'VN' });
  });
});

describe('reading files', () => {
  it('reads UTF-8 with a BOM, NFC-normalises cells, numbers rows as a spreadsheet does and detects ";"', async () => {
    const text = '\ufeffMã tỉnh;Tên tỉnh\r\n\r\n01;' + 'Thành phố Hà Nội'.normalize('NFD') + '\r\n';
    const r = await readTreeFile(Buffer.from(text, 'utf8'), 'x.csv');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.sheet.rows.map((x) => [x.row, x.cells])).toEqual([[1, ['Mã tỉnh', 'Tên tỉnh']], [3, ['01', 'Thành phố Hà Nội']]]);
  });

  it('refuses other extensions and non-UTF-8 text', async () => {
    expect(await readTreeFile(Buffer.from('x'), 'a.xls')).toMatchObject({ ok: false, issue: { code: 'FILE_TYPE' } });
    expect(await readTreeFile(Buffer.from([0xff, 0xfe, 0x41, 0x00]), 'a.csv')).toMatchObject({ ok: false, issue: { code: 'FILE_ENCODING' } });
    expect(await readTreeFile(Buffer.from('not a zip'), 'a.xlsx')).toMatchObject({ ok: false, issue: { code: 'FILE_UNREADABLE' } });
  });
});

describe('messages', () => {
  it('has a Vietnamese and an English message for every issue code, and only tree./import. keys', () => {
    for (const code of ISSUE_CODES) {
      expect(ADMIN_TREE_MESSAGES.vi[`import.issue.${code}`], code).toBeTruthy();
      expect(ADMIN_TREE_MESSAGES.en[`import.issue.${code}`], code).toBeTruthy();
    }
    expect(Object.keys(ADMIN_TREE_MESSAGES.en).sort()).toEqual(Object.keys(ADMIN_TREE_MESSAGES.vi).sort());
    expect(Object.keys(ADMIN_TREE_MESSAGES.vi).every((k) => /^(tree|import)\.[a-z0-9_.A-Z]+$/.test(k))).toBe(true);
  });
});
