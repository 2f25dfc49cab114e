// Export of a scope's bodies with their members to XLSX, in the template's columns (one row per member; a body
// without members gets one row), so the file imports back unchanged. Real cells: codes as text, unit and area
// numbers as numbers, dates as dates. Streamed: a nation-wide export is large.
import type { Response } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import ExcelJS from 'exceljs';
import { sql } from '../../persistence/db.js';
import { roleRank, type BodyKind, type BodyStatus, type MemberRole, type TeamVariant } from './model.js';
import { COLUMNS, ROLE_VI, STATUS_COLUMN, VARIANT_VI, kindCellText, type ColumnId } from './import-format.js';
import { DATE_COLUMNS, TEXT_COLUMNS, styleHeader, widthOf } from './import-template.js';
import { inForce, type ElectionRef } from './store.js';

export interface ExportScope {
  province?: string;
  commune?: string;
}

interface Row {
  id: string;
  kind: BodyKind;
  contest: string | null;
  variant: TeamVariant | null;
  status: BodyStatus;
  decision_no: string | null;
  decision_date: string | null;
  issued_by: string | null;
  formed_on: string | null;
  admin_code: string;
  admin_name: string | null;
  unit_no: number | null;
  area_no: number | null;
  full_name: string | null;
  role: MemberRole | null;
  organisation: string | null;
  phone: string | null;
  position: number | null;
}

const KIND_ORDER: BodyKind[] = ['province-committee', 'board', 'commune-committee', 'team'];

/** The rows of an export, in the columns of the template plus the status. */
export async function exportRows(em: EntityManager, e: ElectionRef, scope: ExportScope): Promise<{ columns: ColumnId[]; header: string[]; rows: (string | number | Date | null)[][] }> {
  const day = e.electionDay;
  const params: unknown[] = [day, day, e.id];
  let where = '';
  if (scope.commune) {
    where = ` and (b.commune_code = ? or (u.parent_level = 'commune' and u.parent_code = ?))`;
    params.push(scope.commune, scope.commune);
  } else if (scope.province) {
    const communes = `(select c.code from admin_unit c where c.level = 'commune' and c.parent_code = ? and ${inForce('c')})`;
    where = ` and (b.province_code = ? or b.commune_code in ${communes} or (u.parent_level = 'province' and u.parent_code = ?) or (u.parent_level = 'commune' and u.parent_code in ${communes}))`;
    params.push(scope.province, scope.province, day, day, scope.province, scope.province, day, day);
  }
  const rows = await sql<Row>(em,
    `select b.id, b.kind, b.contest, b.variant, b.status, b.decision_no, b.decision_date::text as decision_date, b.issued_by, b.formed_on::text as formed_on,
            coalesce(b.province_code, u.parent_code, b.commune_code) as admin_code, n.name as admin_name, u.number as unit_no, a.number as area_no,
            m.full_name, m.role, m.organisation, m.phone, m.position
       from election_body b left join electoral_unit u on u.id = b.unit_id left join polling_area a on a.id = b.polling_area_id
       left join admin_unit n on n.code = coalesce(b.province_code, u.parent_code, b.commune_code) and n.level in ('province','commune') and ${inForce('n')}
       left join body_member m on m.body_id = b.id
      where b.election_id = ? and b.status <> 'none'${where}`, params);
  const contestOrder = (c: string | null) => (c ? e.contests.findIndex((x) => x.id === c) : -1);
  rows.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || contestOrder(a.contest) - contestOrder(b.contest)
    || a.admin_code.localeCompare(b.admin_code) || (a.unit_no ?? 0) - (b.unit_no ?? 0) || (a.area_no ?? 0) - (b.area_no ?? 0) || a.id.localeCompare(b.id)
    || (a.role ? roleRank(a.kind, a.role) : 0) - (b.role ? roleRank(b.kind, b.role) : 0) || (a.position ?? 0) - (b.position ?? 0));
  const columns = [...COLUMNS.map((c) => c.id), STATUS_COLUMN.id];
  const header = [...COLUMNS.map((c) => c.vi), STATUS_COLUMN.vi];
  const date = (iso: string | null) => (iso ? new Date(iso + 'T00:00:00Z') : null);
  return {
    columns, header,
    rows: rows.map((r) => columns.map((id) => ({
      kind: kindCellText(r.kind, r.contest ? e.contests.find((c) => c.id === r.contest) ?? { id: r.contest, shortLabel: r.contest } : null),
      admin_code: r.admin_code, admin_name: r.admin_name, unit_no: r.unit_no, area_no: r.area_no, variant: r.variant ? VARIANT_VI[r.variant] : null,
      decision_no: r.decision_no, decision_date: date(r.decision_date), issued_by: r.issued_by, formed_on: date(r.formed_on),
      full_name: r.full_name, role: r.role ? ROLE_VI[r.role] : null, organisation: r.organisation, phone: r.phone,
      status: r.status === 'complete' ? 'Đã hoàn thành' : 'Nháp',
    } as Record<ColumnId, string | number | Date | null>)[id] ?? null)),
  };
}

/** Streams the export of a scope to the response as an attachment. */
export async function exportBodies(em: EntityManager, res: Response, e: ElectionRef, scope: ExportScope): Promise<void> {
  const data = await exportRows(em, e, scope);
  const name = `to-chuc-phu-trach-bau-cu-${scope.commune ?? scope.province ?? 'toan-quoc'}`;
  res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').attachment(`${name}.xlsx`);
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: res, useStyles: true });
  const ws = wb.addWorksheet('Danh sách', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = data.columns.map((id, i) => ({
    header: data.header[i], key: id, width: id === 'status' ? 14 : widthOf(id),
    style: TEXT_COLUMNS.has(id) ? { numFmt: '@' } : DATE_COLUMNS.has(id) ? { numFmt: 'dd/mm/yyyy' } : {},
  }));
  styleHeader(ws.getRow(1));
  ws.getRow(1).commit();
  for (const r of data.rows) ws.addRow(r).commit();
  ws.commit();
  await wb.commit();
}
