// Export of official lists to XLSX (real cells: numbers as numbers, dates as dates): one unit's list, or all the
// units of a council (one sheet per unit), in ballot order once final and in the ballot collation before.
import type { Response } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import ExcelJS from 'exceljs';
import { sql } from '../../persistence/db.js';
import { styleHeader } from './import-template.js';
import { STATUS_VI } from './import-format.js';
import { unitLabel } from './allocation.js';
import type { UnitRow } from './lists.store.js';

interface ExportRow {
  ballot_order: number | null;
  full_name: string;
  date_of_birth: string | null;
  date_of_birth_text: string | null;
  gender: string;
  ethnicity: string;
  religion: string | null;
  hometown: string | null;
  degree: string | null;
  occupation: string | null;
  workplace: string | null;
  party_joined_on: string | null;
  party_member: boolean;
  status: string;
}

const HEADERS = ['Số thứ tự', 'Họ và tên', 'Ngày sinh', 'Giới tính', 'Dân tộc', 'Tôn giáo', 'Quê quán', 'Học hàm, học vị', 'Nghề nghiệp, chức vụ', 'Nơi công tác', 'Ngày vào Đảng', 'Trạng thái'];

async function rowsOf(em: EntityManager, unitId: string): Promise<ExportRow[]> {
  return sql<ExportRow>(em, `select ballot_order, full_name, date_of_birth::text as date_of_birth, date_of_birth_text, gender, ethnicity, religion, hometown,
      coalesce(education->>'academicTitle', education->>'professional') as degree, occupation, workplace, party_joined_on::text as party_joined_on, party_member, status
    from candidate where unit_id = ? order by ballot_order nulls last, sort_key, id`, [unitId]);
}

const asDate = (iso: string | null) => (iso ? new Date(iso + 'T00:00:00Z') : null);

function addSheet(wb: ExcelJS.Workbook, u: UnitRow, rows: ExportRow[]): void {
  const ws = wb.addWorksheet(`ĐV ${u.number}`.slice(0, 31), { views: [{ state: 'frozen', ySplit: 3 }] });
  ws.getCell('A1').value = `Danh sách người ứng cử — ${unitLabel(u)} (${u.seats} đại biểu được bầu)`;
  ws.getCell('A1').font = { bold: true, size: 13 };
  ws.getRow(3).values = HEADERS;
  styleHeader(ws.getRow(3));
  ws.columns = HEADERS.map((_, i) => ({ width: [8, 28, 12, 9, 10, 10, 30, 18, 36, 30, 12, 14][i] }));
  rows.forEach((r, i) => {
    const row = ws.addRow([
      r.ballot_order ?? i + 1, r.full_name, asDate(r.date_of_birth) ?? r.date_of_birth_text, r.gender === 'female' ? 'Nữ' : 'Nam', r.ethnicity, r.religion, r.hometown,
      r.degree, r.occupation, r.workplace, r.party_member ? asDate(r.party_joined_on) ?? 'Có' : 'Không', STATUS_VI[r.status] ?? r.status,
    ]);
    row.getCell(3).numFmt = 'dd/mm/yyyy';
    row.getCell(11).numFmt = 'dd/mm/yyyy';
  });
}

/** Writes one workbook with a sheet per unit to the response (attachment). */
export async function exportUnits(em: EntityManager, res: Response, units: UnitRow[], fileName: string): Promise<void> {
  const wb = new ExcelJS.Workbook();
  for (const u of units) addSheet(wb, u, await rowsOf(em, u.id));
  if (!units.length) wb.addWorksheet('Danh sách');
  res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').attachment(`${fileName}.xlsx`);
  res.send(Buffer.from(await wb.xlsx.writeBuffer()));
}
