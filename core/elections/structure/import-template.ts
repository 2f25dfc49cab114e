// Downloadable templates for the structure imports, with the Vietnamese headers the importer accepts: CSV (UTF-8 with
// BOM, so Excel shows the accents) and XLSX (code and time columns formatted as Text so "01" and "07:00" survive).
import ExcelJS from 'exceljs';
import type { UnitLevel } from '../../plugin-api/index.js';
import { columnsOf, type ColumnId, type StructureImportKind } from './import-format.js';

export interface TemplateName {
  id: string;
  kind: StructureImportKind;
  level: UnitLevel;
  file: string;
}

export const TEMPLATE_NAMES: TemplateName[] = [
  { id: 'units-province', kind: 'units', level: 'province', file: 'mau-don-vi-bau-cu-cap-tinh' },
  { id: 'compositions-province', kind: 'compositions', level: 'province', file: 'mau-thanh-phan-don-vi-cap-tinh' },
  { id: 'units-commune', kind: 'units', level: 'commune', file: 'mau-don-vi-bau-cu-cap-xa' },
  { id: 'compositions-commune', kind: 'compositions', level: 'commune', file: 'mau-thanh-phan-don-vi-cap-xa' },
  { id: 'areas', kind: 'areas', level: 'commune', file: 'mau-khu-vuc-bo-phieu' },
];

/** Example rows (real codes from the 2025 lists); people replace them with their own. */
const SAMPLES: Record<string, string[][]> = {
  'units-province': [
    ['01', 'Thành phố Hà Nội', '1', '3', '', 'Gồm các phường: Ba Đình, Ngọc Hà, Giảng Võ', ''],
    ['01', 'Thành phố Hà Nội', '2', '3', '', 'Gồm các phường: Tây Hồ, Phú Thượng, Hồng Hà', ''],
  ],
  'units-commune': [
    ['00004', 'Phường Ba Đình', '1', '3', '', 'Khu vực bỏ phiếu số 1 đến số 4', '15'],
    ['00004', 'Phường Ba Đình', '2', '3', '', 'Khu vực bỏ phiếu số 5 đến số 8', '15'],
  ],
  'compositions-province': [
    ['01', '1', '00004', 'Phường Ba Đình'],
    ['01', '1', '00008', 'Phường Ngọc Hà'],
    ['01', '2', '00091', 'Phường Phú Thượng'],
  ],
  'compositions-commune': [
    ['00004', 'Phường Ba Đình', '1', '1'],
    ['00004', 'Phường Ba Đình', '1', '2'],
    ['00004', 'Phường Ba Đình', '2', '3'],
  ],
  areas: [
    ['00004', 'Phường Ba Đình', '1', 'Tổ dân phố 1 và 2', '1250', 'thường', '', '', '', '', '07:00', '19:00', '1', '1', '1'],
    ['00004', 'Phường Ba Đình', '2', 'Bệnh viện đa khoa', '120', 'bệnh viện', '', '', '', '', '07:00', '19:00', '1', '1', '1'],
    ['00004', 'Phường Ba Đình', '3', 'Khu tập thể', '280', 'thường', '', 'dân cư không tập trung', '', '', '06:00', '19:00', '1', '1', '2'],
  ],
};

const TEXT_COLUMNS = new Set<ColumnId>(['province_code', 'commune_code', 'opens', 'closes', 'voting_date']);

const INSTRUCTIONS: string[] = [
  'HƯỚNG DẪN NHẬP CƠ CẤU BẦU CỬ (ĐƠN VỊ BẦU CỬ, THÀNH PHẦN ĐƠN VỊ, KHU VỰC BỎ PHIẾU)',
  '',
  '1. Điền vào trang tính đầu tiên, giữ nguyên dòng tiêu đề; xóa các dòng ví dụ. Các cột có dấu (*) trên trang nhập là bắt buộc.',
  '2. Mã tỉnh 2 chữ số, mã xã 5 chữ số, giữ số 0 ở đầu (các cột mã đã định dạng Văn bản).',
  '3. Tệp là danh sách đầy đủ cho mỗi tỉnh (hoặc xã) có trong tệp: đơn vị, thành phần hoặc khu vực của tỉnh/xã đó không có trong tệp sẽ bị xóa.',
  '4. Đơn vị bầu cử được đánh số liên tục từ 1 trong mỗi tỉnh (ĐBQH, HĐND tỉnh) hoặc mỗi xã (HĐND xã); ĐBQH 1–3, HĐND 1–5 đại biểu mỗi đơn vị.',
  '5. Khu vực bỏ phiếu có từ 300 đến 4.000 cử tri; dưới 300 phải ghi lý do: miền núi, hải đảo, dân cư không tập trung.',
  '6. Loại khu vực: thường, lực lượng vũ trang, bệnh viện, nhà hộ sinh, nhà an dưỡng, cơ sở chăm sóc người khuyết tật, cơ sở chăm sóc người cao tuổi, cơ sở giáo dục bắt buộc, cơ sở cai nghiện bắt buộc, trại tạm giam, khác (ghi lý do). Khu vực riêng ở bệnh viện, nhà hộ sinh, nhà an dưỡng, cơ sở chăm sóc phải có từ 50 cử tri.',
  '7. Ngày bỏ phiếu để trống = ngày bầu cử; ngày sớm hơn phải ghi văn bản cho phép của Hội đồng bầu cử quốc gia. Giờ bỏ phiếu trong khoảng 05:00–21:00 (mặc định 07:00–19:00).',
  '8. Đơn vị bầu cử ĐBQH và HĐND tỉnh của khu vực được suy ra từ thành phần đơn vị (xã thuộc đơn vị nào); nếu ghi, số phải khớp. Đơn vị HĐND xã: ghi số đơn vị của xã.',
  '9. Hệ thống kiểm tra toàn bộ tệp; chỉ cần một lỗi là không ghi gì, báo cáo ghi rõ dòng, cột và mã lỗi. Nhập lại cùng tệp không tạo dữ liệu trùng.',
  '',
  'Xem thêm: docs/structure.md',
];

function csvCell(v: string): string {
  return /[",\r\n;]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
}

export function headerOf(kind: StructureImportKind, level: UnitLevel): string[] {
  return columnsOf(kind, level).map((c) => (c.required ? `${c.vi} (*)` : c.vi));
}

export function templateCsv(kind: StructureImportKind, level: UnitLevel): string {
  const id = kind === 'areas' ? 'areas' : `${kind}-${level}`;
  const lines = [headerOf(kind, level), ...(SAMPLES[id] ?? [])].map((r) => r.map(csvCell).join(','));
  return '\ufeff' + lines.join('\r\n') + '\r\n';
}

export async function templateXlsx(kind: StructureImportKind, level: UnitLevel): Promise<Buffer> {
  const id = kind === 'areas' ? 'areas' : `${kind}-${level}`;
  const wb = new ExcelJS.Workbook();
  wb.creator = 'baucu';
  const ws = wb.addWorksheet('Danh sách', { views: [{ state: 'frozen', ySplit: 1 }] });
  const cols = columnsOf(kind, level);
  ws.columns = cols.map((c) => ({
    header: c.required ? `${c.vi} (*)` : c.vi, key: c.id, width: Math.max(12, Math.min(40, c.vi.length + 4)),
    style: TEXT_COLUMNS.has(c.id) ? { numFmt: '@' } : {},
  }));
  ws.getRow(1).font = { bold: true };
  ws.getRow(1).fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFEEF1F4' } };
  for (const r of SAMPLES[id] ?? []) {
    const row = ws.addRow(r.map((v, i) => (TEXT_COLUMNS.has(cols[i].id) || !/^\d+$/.test(v) ? v : Number(v))));
    cols.forEach((c, i) => {
      if (TEXT_COLUMNS.has(c.id)) row.getCell(i + 1).numFmt = '@';
    });
  }
  const help = wb.addWorksheet('Hướng dẫn');
  help.getColumn(1).width = 140;
  for (const line of INSTRUCTIONS) help.addRow([line]);
  help.getRow(1).font = { bold: true };
  return Buffer.from(await wb.xlsx.writeBuffer());
}
