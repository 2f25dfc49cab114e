// The downloadable template of the candidate import: CSV (UTF-8 with BOM, so Excel shows the accents) and XLSX
// (codes as Text so "00004" keeps its zeros), with example rows (invented people, real codes of the 2025 tree) and,
// in the XLSX, a sheet explaining each column.
import ExcelJS from 'exceljs';
import { COLUMNS, CONTEST_VI, NOMINATION_VI, STATUS_VI, type ColumnId } from './import-format.js';

export const TEMPLATE_FILE = 'mau-danh-sach-nguoi-ung-cu';

const SAMPLES: Partial<Record<ColumnId, string | number>>[] = [
  { external_ref: 'QH-01-0001', contest: CONTEST_VI['national-assembly'], unit_place: '01', unit_no: 1, full_name: 'Nguyễn Văn An', date_of_birth: '12/03/1975',
    gender: 'Nam', ethnicity: 'Kinh', religion: 'Không', hometown: 'Xã Đông Anh, Thành phố Hà Nội', academic: 'Tiến sĩ', professional: 'Kinh tế',
    occupation: 'Giám đốc Sở', workplace: 'Sở Tài chính', party_joined: '03/02/2000', deputy_terms: 'Không', nominated_by: NOMINATION_VI.local,
    nominating_body: 'Sở Tài chính', status: STATUS_VI.qualified },
  { external_ref: 'HDX-00004-0001', contest: CONTEST_VI['commune-council'], council_code: '00004', unit_no: 1, full_name: 'Trần Thị Bình', date_of_birth: '05/11/1990',
    gender: 'Nữ', ethnicity: 'Tày', religion: 'Không', academic: 'Cử nhân', occupation: 'Cán bộ', party_joined: 'Không', nominated_by: NOMINATION_VI.self, status: STATUS_VI.qualified },
];

const csvCell = (v: string | number): string => {
  const s = String(v);
  return /[",\r\n;]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
};

export function templateCsv(): string {
  const lines = [COLUMNS.map((c) => csvCell(c.vi)).join(',')];
  for (const r of SAMPLES) lines.push(COLUMNS.map((c) => csvCell(r[c.id] ?? '')).join(','));
  return '\ufeff' + lines.join('\r\n') + '\r\n';
}

export const TEXT_COLUMNS = new Set<ColumnId>(['external_ref', 'council_code', 'unit_place', 'date_of_birth', 'party_joined']);

export function styleHeader(row: ExcelJS.Row): void {
  row.font = { bold: true };
  row.alignment = { vertical: 'middle', wrapText: true };
  row.height = 32;
  row.eachCell((c) => {
    c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFEEF1F4' } };
    c.border = { bottom: { style: 'thin', color: { argb: 'FF9AA3AD' } } };
  });
}

const HELP: [string, string][] = [
  ['Mã hồ sơ', 'Bắt buộc, duy nhất trong cuộc bầu cử: nhập lại cùng mã thì cập nhật người đó, không tạo người mới.'],
  ['Cuộc bầu cử', `Một trong: ${Object.values(CONTEST_VI).join('; ')}.`],
  ['Mã tỉnh/xã của Hội đồng nhân dân', 'HĐND tỉnh: mã tỉnh (2 chữ số); HĐND xã: mã xã (5 chữ số). Để trống với ĐBQH.'],
  ['Tỉnh/thành phố (ĐBQH)', 'Chỉ với ĐBQH: mã hoặc tên tỉnh/thành phố của đơn vị bầu cử (nơi nộp hồ sơ nếu do địa phương giới thiệu hoặc tự ứng cử).'],
  ['Đơn vị bầu cử số', 'Không bắt buộc: số đơn vị bầu cử trong tỉnh (hoặc trong xã) nếu đã dự kiến phân bổ; chỉ với người đủ tiêu chuẩn.'],
  ['Ngày sinh', 'dd/mm/yyyy. Phải đủ 21 tuổi vào ngày bầu cử (quy tắc 12).'],
  ['Giới tính', 'Nam hoặc Nữ.'],
  ['Ngày vào Đảng', 'dd/mm/yyyy; để trống hoặc "Không" nếu không phải đảng viên.'],
  ['Đại biểu Quốc hội khóa', 'Các khóa đã là đại biểu, ví dụ "XIV" hoặc "XIII, XIV"; "Không" nếu chưa.'],
  ['Giới thiệu', `Một trong: ${Object.values(NOMINATION_VI).join('; ')}.`],
  ['Trạng thái', `${STATUS_VI.nominated}; ${STATUS_VI.preliminary}; ${STATUS_VI.qualified} (mặc định). Danh sách chính thức được chốt trên trang phân bổ.`],
  ['Cả tệp', 'Tệp có lỗi thì không ghi dòng nào; báo cáo nêu từng dòng, từng cột.'],
];

export async function templateXlsx(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Danh sách', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = COLUMNS.map((c) => ({ header: c.vi, key: c.id, width: ['full_name', 'occupation', 'workplace', 'hometown', 'nominating_body'].includes(c.id) ? 28 : 16, style: TEXT_COLUMNS.has(c.id) ? { numFmt: '@' } : {} }));
  styleHeader(ws.getRow(1));
  for (const r of SAMPLES) ws.addRow(Object.fromEntries(COLUMNS.map((c) => [c.id, r[c.id] ?? null])));
  const help = wb.addWorksheet('Hướng dẫn');
  help.columns = [{ header: 'Cột', key: 'col', width: 30 }, { header: 'Cách ghi', key: 'how', width: 100 }];
  styleHeader(help.getRow(1));
  for (const [col, how] of HELP) help.addRow({ col, how });
  help.getColumn('how').alignment = { wrapText: true, vertical: 'top' };
  return Buffer.from(await wb.xlsx.writeBuffer());
}
