// Downloadable templates for the import, with the Vietnamese headers the importer accepts: CSV (UTF-8 with BOM, so
// Excel opens it with the accents right) and XLSX (code columns formatted as Text so leading zeros survive).
import ExcelJS from 'exceljs';
import { KIND_COLUMNS, type ImportKind } from './import-format.js';

/** Example rows (real units from the 2025 lists); people replace them with their own. */
const SAMPLES: Record<ImportKind, string[][]> = {
  communes: [
    ['01', 'Thành phố Hà Nội', 'thành phố trực thuộc trung ương', '00004', 'Phường Ba Đình', 'phường'],
    ['79', 'Thành phố Hồ Chí Minh', 'thành phố trực thuộc trung ương', '26732', 'Đặc khu Côn Đảo', 'đặc khu'],
    ['38', 'Tỉnh Thanh Hóa', 'tỉnh', '16171', 'Xã Ba Đình', 'xã'],
  ],
  provinces: [
    ['01', 'Thành phố Hà Nội', 'thành phố trực thuộc trung ương', '126', '75', '51', '0'],
    ['04', 'Tỉnh Cao Bằng', 'tỉnh', '56', '53', '3', '0'],
  ],
  amendments: [
    ['xã', '25270', 'Xã Lộc Ninh', 'Phường Lộc Ninh', 'xã', 'phường', 'Nghị quyết 237/NQ-UBTVQH16', '2026-04-30'],
  ],
};

const CODE_COLUMNS = new Set(['province_code', 'commune_code', 'code']);

export const TEMPLATE_FILE_NAMES: Record<ImportKind, string> = {
  communes: 'mau-danh-sach-xa',
  provinces: 'mau-danh-sach-tinh',
  amendments: 'mau-danh-sach-thay-doi',
};

const INSTRUCTIONS: string[] = [
  'HƯỚNG DẪN NHẬP DỮ LIỆU ĐƠN VỊ HÀNH CHÍNH',
  '',
  '1. Điền dữ liệu vào trang tính đầu tiên («Danh sách»), giữ nguyên dòng tiêu đề. Xóa các dòng ví dụ.',
  '2. Mã tỉnh gồm 2 chữ số, mã xã gồm 5 chữ số, giữ số 0 ở đầu (cột mã đã được định dạng Văn bản).',
  '3. Loại tỉnh: «tỉnh» hoặc «thành phố trực thuộc trung ương». Loại xã: «xã», «phường» hoặc «đặc khu».',
  '4. Tên đơn vị bắt đầu bằng loại: «Tỉnh …», «Thành phố …», «Xã …», «Phường …», «Đặc khu …».',
  '5. Danh sách thay đổi: Cấp là «tỉnh» hoặc «xã»; Ngày hiệu lực dạng YYYY-MM-DD; Tên trước, Loại trước phải khớp dữ liệu đang có hiệu lực.',
  '6. Hệ thống kiểm tra toàn bộ tệp; chỉ cần một dòng lỗi là không ghi gì, và báo cáo lỗi ghi rõ dòng, cột.',
  '7. Nhập lại cùng một tệp không tạo dữ liệu trùng: báo cáo sẽ ghi «Không có thay đổi».',
  '',
  'Xem thêm: docs/admin-tree-import.md',
];

function csvCell(v: string): string {
  return /[",\r\n;]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
}

export function templateCsv(kind: ImportKind): string {
  const header = KIND_COLUMNS[kind].map((c) => c.vi);
  const lines = [header, ...SAMPLES[kind]].map((r) => r.map(csvCell).join(','));
  return '\ufeff' + lines.join('\r\n') + '\r\n';
}

export async function templateXlsx(kind: ImportKind): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'baucu';
  const ws = wb.addWorksheet('Danh sách', { views: [{ state: 'frozen', ySplit: 1 }] });
  const cols = KIND_COLUMNS[kind];
  ws.columns = cols.map((c) => ({
    header: c.vi,
    key: c.id,
    width: c.id.includes('name') || c.id.startsWith('type') || c.id === 'province_type' || c.id === 'legal_basis' ? 32 : 14,
    style: CODE_COLUMNS.has(c.id) || c.id === 'effective_date' ? { numFmt: '@' } : {},
  }));
  ws.getRow(1).font = { bold: true };
  ws.getRow(1).fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFEEF1F4' } };
  for (const r of SAMPLES[kind]) {
    const row = ws.addRow(r.map((v, i) => (CODE_COLUMNS.has(cols[i].id) || !/^\d+$/.test(v) ? v : Number(v))));
    cols.forEach((c, i) => {
      if (CODE_COLUMNS.has(c.id) || c.id === 'effective_date') row.getCell(i + 1).numFmt = '@';
    });
  }
  const help = wb.addWorksheet('Hướng dẫn');
  help.getColumn(1).width = 120;
  for (const line of INSTRUCTIONS) help.addRow([line]);
  help.getRow(1).font = { bold: true };
  return Buffer.from(await wb.xlsx.writeBuffer());
}
