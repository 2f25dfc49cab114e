// Administrative tree rows: nation → province → commune-level unit, versioned by effective date (valid_from/valid_to).
import { EntitySchema } from '@mikro-orm/core';

export type AdminLevel = 'nation' | 'province' | 'commune';
/** Unit types: tỉnh / thành phố (province level); xã / phường / đặc khu (commune level). */
export type AdminType = 'quốc gia' | 'tỉnh' | 'thành phố' | 'xã' | 'phường' | 'đặc khu';

export class AdminUnit {
  code!: string;
  validFrom!: string;
  validTo?: string | null;
  level!: AdminLevel;
  parentCode?: string | null;
  name!: string;
  type!: AdminType;
  searchKey!: string;
  sortKey!: string;
  importRunId?: string | null;
}

export const AdminUnitSchema = new EntitySchema<AdminUnit>({
  class: AdminUnit,
  tableName: 'admin_unit',
  properties: {
    code: { type: 'string', primary: true },
    validFrom: { type: 'string', columnType: 'date', primary: true, fieldName: 'valid_from' },
    validTo: { type: 'string', columnType: 'date', nullable: true, fieldName: 'valid_to' },
    level: { type: 'string' },
    parentCode: { type: 'string', nullable: true, fieldName: 'parent_code' },
    name: { type: 'string' },
    type: { type: 'string' },
    searchKey: { type: 'string', fieldName: 'search_key' },
    sortKey: { type: 'string', fieldName: 'sort_key' },
    importRunId: { type: 'uuid', nullable: true, fieldName: 'import_run_id' },
  },
});

export class ImportRun {
  id!: string;
  kind!: string;
  status!: string;
  source!: string;
  fileSha256?: string | null;
  effectiveDate?: string | null;
  rowsTotal!: number;
  rowsOk!: number;
  report?: unknown;
  summary?: unknown;
  createdBy!: string;
  createdAt!: Date;
  finishedAt?: Date | null;
  jobRunId?: string | null;
}

export const ImportRunSchema = new EntitySchema<ImportRun>({
  class: ImportRun,
  tableName: 'import_run',
  properties: {
    id: { type: 'uuid', primary: true },
    kind: { type: 'string' },
    status: { type: 'string' },
    source: { type: 'string' },
    fileSha256: { type: 'string', nullable: true, fieldName: 'file_sha256' },
    effectiveDate: { type: 'string', columnType: 'date', nullable: true, fieldName: 'effective_date' },
    rowsTotal: { type: 'integer', fieldName: 'rows_total' },
    rowsOk: { type: 'integer', fieldName: 'rows_ok' },
    report: { type: 'json', nullable: true },
    summary: { type: 'json', nullable: true },
    createdBy: { type: 'string', fieldName: 'created_by' },
    createdAt: { type: 'Date', fieldName: 'created_at' },
    finishedAt: { type: 'Date', nullable: true, fieldName: 'finished_at' },
    jobRunId: { type: 'uuid', nullable: true, fieldName: 'job_run_id' },
  },
});

export const ADMIN_TREE_ENTITIES = [AdminUnitSchema, ImportRunSchema];
