// Seeds a few provinces and their commune-level units into admin_unit straight from the reference CSVs in
// ../shared/data (read at test time: reference data is never copied into the repository).
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { EntityManager } from '@mikro-orm/postgresql';
import { exec } from '../../core/persistence/db.js';
import { searchKey } from '../../core/shared/vn-text.js';
import { sortKey } from '../../core/admin-tree/import.service.js';
import { REFERENCE_DATA_DIR } from './test-app.js';

export const TREE_2025 = '2025-07-01';

interface UnitRow {
  code: string;
  level: 'province' | 'commune';
  parent: string | null;
  name: string;
  type: string;
  from: string;
  to: string | null;
}

function readCsv(file: string): Record<string, string>[] {
  return parse(fs.readFileSync(path.join(REFERENCE_DATA_DIR, file), 'utf8'), { columns: true, skip_empty_lines: true, trim: true });
}

/** Province-level type as admin_unit stores it ("thành phố trực thuộc trung ương" → "thành phố"). */
const provinceType = (t: string) => (t.startsWith('thành phố') ? 'thành phố' : 'tỉnh');

/** The 2025 reference rows of the given provinces (the province itself and every commune-level unit in it). */
export function referenceUnits(provinceCodes: string[]): UnitRow[] {
  const rows: UnitRow[] = [];
  for (const p of readCsv('provinces_2025.csv')) {
    if (provinceCodes.includes(p.province_code)) {
      rows.push({ code: p.province_code, level: 'province', parent: null, name: p.province_name, type: provinceType(p.province_type), from: TREE_2025, to: null });
    }
  }
  for (const c of readCsv('admin_units_2025.csv')) {
    if (provinceCodes.includes(c.province_code)) {
      rows.push({ code: c.commune_code, level: 'commune', parent: c.province_code, name: c.commune_name, type: c.commune_type, from: TREE_2025, to: null });
    }
  }
  return rows;
}

/**
 * The later amendments (admin_units_amendments_2026.csv) for the given provinces, as new versions: the 2025 row
 * gets valid_to = effective date and a new row starts that day.
 */
export function amendedUnits(base: UnitRow[]): UnitRow[] {
  const out = base.map((r) => ({ ...r }));
  for (const a of readCsv('admin_units_amendments_2026.csv')) {
    const old = out.find((r) => r.code === a.code && r.level === a.level && r.to === null);
    if (!old) continue;
    const effective = /^\d{4}-\d{2}-\d{2}/.exec(a.effective_date_per_source)![0];
    old.to = effective;
    out.push({ ...old, name: a.name_after, type: a.level === 'province' ? provinceType(a.type_after) : a.type_after, from: effective, to: null });
  }
  return out;
}

export async function insertUnits(em: EntityManager, rows: UnitRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    await exec(
      em,
      `insert into admin_unit (code, valid_from, valid_to, level, parent_code, name, type, search_key, sort_key) values ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      chunk.flatMap((r) => [r.code, r.from, r.to, r.level, r.parent, r.name, r.type, searchKey(r.name), sortKey(r.name, r.type as Parameters<typeof sortKey>[1])]),
    );
  }
}
