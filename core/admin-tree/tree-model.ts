// An in-memory copy of every admin_unit version, on which an import is planned: "make this the version in force
// from date E" splits the version in force (valid_to = E, new version from E), so the database only ever receives
// the rows that changed. Versions are never deleted: history stays queryable "as of" any date.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../persistence/db.js';
import type { AdminLevel, AdminType } from './admin-unit.entity.js';

export interface Version {
  code: string;
  validFrom: string;
  validTo: string | null;
  level: AdminLevel;
  parentCode: string | null;
  name: string;
  type: AdminType;
  importRunId: string | null;
}

export interface UnitValues {
  code: string;
  level: AdminLevel;
  parentCode: string | null;
  name: string;
  type: AdminType;
}

export type SetOutcome = 'added' | 'changed' | 'corrected' | 'unchanged';

/** True when a version is in force on a date ('YYYY-MM-DD' compares as text). */
export const inForce = (v: Pick<Version, 'validFrom' | 'validTo'>, date: string): boolean =>
  v.validFrom <= date && (v.validTo === null || v.validTo > date);

export class TreeModel {
  private readonly byCode = new Map<string, Version[]>();
  private readonly dirty = new Set<Version>();

  static async load(em: EntityManager): Promise<TreeModel> {
    const rows = await sql<{
      code: string; valid_from: string; valid_to: string | null; level: AdminLevel; parent_code: string | null;
      name: string; type: AdminType; import_run_id: string | null;
    }>(em, `select code, valid_from::text as valid_from, valid_to::text as valid_to, level, parent_code, name, type, import_run_id
            from admin_unit order by code, valid_from`);
    const m = new TreeModel();
    for (const r of rows) {
      m.list(r.code).push({
        code: r.code, validFrom: r.valid_from, validTo: r.valid_to, level: r.level, parentCode: r.parent_code,
        name: r.name, type: r.type, importRunId: r.import_run_id,
      });
    }
    return m;
  }

  private list(code: string): Version[] {
    let l = this.byCode.get(code);
    if (!l) {
      l = [];
      this.byCode.set(code, l);
    }
    return l;
  }

  versions(code: string): readonly Version[] {
    return this.byCode.get(code) ?? [];
  }

  at(code: string, date: string): Version | undefined {
    return this.byCode.get(code)?.find((v) => inForce(v, date));
  }

  /** Every unit in force on a date. */
  unitsAt(date: string): Version[] {
    const out: Version[] = [];
    for (const l of this.byCode.values()) {
      const v = l.find((x) => inForce(x, date));
      if (v) out.push(v);
    }
    return out;
  }

  get size(): number {
    let n = 0;
    for (const l of this.byCode.values()) n += l.length;
    return n;
  }

  /**
   * Makes `want` the version in force from `date`:
   * - same values as the version in force → unchanged;
   * - the version in force starts on `date` → corrected in place;
   * - otherwise the version in force is closed on `date` and a new one starts, ending where the old one ended;
   * - nothing in force → added, ending where the next known version starts (if any).
   */
  set(want: UnitValues, date: string, importRunId: string): SetOutcome {
    const l = this.list(want.code);
    const cur = l.find((v) => inForce(v, date));
    if (cur && same(cur, want)) return 'unchanged';
    if (cur && cur.validFrom === date) {
      Object.assign(cur, { level: want.level, parentCode: want.parentCode, name: want.name, type: want.type, importRunId });
      this.dirty.add(cur);
      return 'corrected';
    }
    let validTo: string | null;
    if (cur) {
      validTo = cur.validTo;
      cur.validTo = date;
      this.dirty.add(cur);
    } else {
      validTo = l.filter((v) => v.validFrom > date).map((v) => v.validFrom).sort()[0] ?? null;
    }
    const v: Version = { ...want, validFrom: date, validTo, importRunId };
    l.push(v);
    l.sort((a, b) => (a.validFrom < b.validFrom ? -1 : 1));
    this.dirty.add(v);
    return cur ? 'changed' : 'added';
  }

  /** Versions created or modified since load: what the import writes (an upsert by (code, valid_from)). */
  dirtyRows(): Version[] {
    return [...this.dirty];
  }
}

function same(v: Version, w: UnitValues): boolean {
  return v.level === w.level && v.parentCode === w.parentCode && v.name === w.name && v.type === w.type;
}
