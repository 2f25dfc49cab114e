// The downloadable template of the bodies import: CSV (UTF-8 with BOM, so Excel shows the accents) and XLSX (codes
// formatted as Text so "00004" keeps its zeros, dates as real dates), with example rows and, in the XLSX, a second
// sheet listing the words accepted in each column.
import ExcelJS from 'exceljs';
import { COLUMNS, ROLE_VI, VARIANT_VI, kindCellText, type ColumnId } from './import-format.js';
import type { ContestRef } from './store.js';

export const TEMPLATE_FILE = 'mau-to-chuc-phu-trach-bau-cu';

/** Example rows (real codes of the 2025 tree); people replace them with their own. */
function samples(contests: readonly ContestRef[]): Partial<Record<ColumnId, string | number>>[] {
  const decision = { decision_no: '15/QĐ-UBND', decision_date: '2026-01-20', issued_by: 'UBND Phường Ba Đình', formed_on: '2026-01-20' };
  const team = { kind: kindCellText('team'), admin_code: '00004', admin_name: 'Phường Ba Đình', area_no: 1, variant: VARIANT_VI.civil, ...decision };
  const rows: Partial<Record<ColumnId, string | number>>[] = [
    { ...team, full_name: 'Nguyễn Văn An', role: ROLE_VI.leader, organisation: 'UBND Phường Ba Đình', phone: '0912 345 678' },
    { ...team, full_name: 'Trần Thị Bình', role: ROLE_VI.secretary, organisation: 'Ủy ban MTTQ Việt Nam Phường Ba Đình', phone: '0987 654 321' },
    { ...team, full_name: 'Lê Văn Cường', role: ROLE_VI.member, organisation: 'Tổ dân phố số 1', phone: '' },
    { kind: kindCellText('commune-committee'), admin_code: '00004', admin_name: 'Phường Ba Đình', decision_no: '02/QĐ-UBND', decision_date: '2025-11-25',
      issued_by: 'UBND Phường Ba Đình', formed_on: '2025-11-25', full_name: 'Phạm Thị Dung', role: ROLE_VI.chair, organisation: 'UBND Phường Ba Đình', phone: '0904 111 222' },
  ];
  const provincial = contests.find((c) => c.unitLevel === 'province');
  if (provincial) {
    rows.push({ kind: kindCellText('board', provincial), admin_code: '01', admin_name: 'Thành phố Hà Nội', unit_no: 1, decision_no: '120/QĐ-UBND', decision_date: '2026-01-02',
      issued_by: 'UBND Thành phố Hà Nội', formed_on: '2026-01-02', full_name: 'Hoàng Văn Em', role: ROLE_VI.head, organisation: 'UBND Thành phố Hà Nội', phone: '0243 825 1234' });
  }
  return rows;
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\r\n;]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

const showDate = (iso: string) => iso.split('-').reverse().join('/');

export function templateCsv(contests: readonly ContestRef[]): string {
  const lines = [COLUMNS.map((c) => csvCell(c.vi)).join(',')];
  for (const r of samples(contests)) {
    lines.push(COLUMNS.map((c) => {
      const v = r[c.id] ?? '';
      return csvCell(typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? showDate(v) : v);
    }).join(','));
  }
  return '\ufeff' + lines.join('\r\n') + '\r\n';
}

export const TEXT_COLUMNS = new Set<ColumnId>(['admin_code', 'phone', 'decision_no']);
export const DATE_COLUMNS = new Set<ColumnId>(['decision_date', 'formed_on']);
export const widthOf = (id: ColumnId): number => (['admin_name', 'full_name', 'organisation', 'issued_by', 'kind'].includes(id) ? 28 : id === 'role' ? 18 : 14);

/** Header styling shared with the export. */
export function styleHeader(row: ExcelJS.Row): void {
  row.font = { bold: true };
  row.alignment = { vertical: 'middle', wrapText: true };
  row.height = 32;
  row.eachCell((c) => {
    c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFEEF1F4' } };
    c.border = { bottom: { style: 'thin', color: { argb: 'FF9AA3AD' } } };
  });
}

export async function templateXlsx(contests: readonly ContestRef[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Danh sách', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = COLUMNS.map((c) => ({ header: c.vi, key: c.id, width: widthOf(c.id), style: TEXT_COLUMNS.has(c.id) ? { numFmt: '@' } : DATE_COLUMNS.has(c.id) ? { numFmt: 'dd/mm/yyyy' } : {} }));
  styleHeader(ws.getRow(1));
  for (const r of samples(contests)) {
    ws.addRow(Object.fromEntries(COLUMNS.map((c) => {
      const v = r[c.id];
      return [c.id, DATE_COLUMNS.has(c.id) && typeof v === 'string' ? new Date(v + 'T00:00:00Z') : v ?? null];
    })));
  }
  const help = wb.addWorksheet('Hướng dẫn');
  help.columns = [{ header: 'Cột', key: 'col', width: 28 }, { header: 'Cách ghi', key: 'how', width: 100 }];
  styleHeader(help.getRow(1));
  const kinds = [kindCellText('province-committee'), kindCellText('commune-committee'), ...contests.map((c) => kindCellText('board', c)), kindCellText('team')];
  for (const [col, how] of [
    ['Loại tổ chức', `Một trong: ${kinds.join('; ')}.`],
    ['Mã đơn vị hành chính', 'Mã tỉnh (2 chữ số) cho Ủy ban bầu cử tỉnh và Ban bầu cử ĐBQH, HĐND tỉnh; mã xã (5 chữ số) cho Ủy ban bầu cử xã, Ban bầu cử HĐND xã và Tổ bầu cử.'],
    ['Số đơn vị bầu cử', 'Bắt buộc với Ban bầu cử: số của đơn vị bầu cử trong tỉnh (hoặc trong xã).'],
    ['Số khu vực bỏ phiếu', 'Bắt buộc với Tổ bầu cử: số của khu vực bỏ phiếu trong xã.'],
    ['Loại tổ bầu cử', `Chỉ với Tổ bầu cử: ${Object.values(VARIANT_VI).join('; ')}. Để trống: theo loại khu vực bỏ phiếu.`],
    ['Số, ngày quyết định; cơ quan ban hành; ngày thành lập', 'Ghi trên mỗi dòng của tổ chức, hoặc chỉ trên dòng đầu. Ngày theo dạng dd/mm/yyyy.'],
    ['Họ và tên; Chức vụ trong tổ chức', `Mỗi thành viên một dòng. Chức vụ: ${Object.values(ROLE_VI).join('; ')} (theo loại tổ chức).`],
    ['Cả danh sách', 'Mỗi tổ chức có trong tệp được cập nhật đúng như tệp (quyết định và toàn bộ danh sách thành viên). Tổ chức đủ điều kiện (số thành viên, một người đứng đầu…) được ghi nhận là đã hoàn thành; nếu chưa đủ, được lưu ở trạng thái nháp.'],
  ]) help.addRow({ col, how });
  help.getColumn('how').alignment = { wrapText: true, vertical: 'top' };
  return Buffer.from(await wb.xlsx.writeBuffer());
}
