// An official form as a spreadsheet: the same view model the PDF is printed from (OfficialFormView), written as
// typed cells — counts as numbers, percentages as fractions, dates as dates — so PDF, XLSX and CSV show the same
// figures. The heading (issuing body, national name, form number, place and date, title) tops every sheet.
import type { ReportCellType } from '../../plugin-api/index.js';
import type { DocCell, DocSheet, DocumentSpec } from '../tabular.js';
import type { FormCell, FormTable, OfficialFormView } from './form-model.js';

export const NATIONAL_NAME = 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM';
export const MOTTO = 'Độc lập - Tự do - Hạnh phúc';

const docCell = (c: FormCell | undefined): DocCell[] => {
  if (!c) return [{ type: 'text', value: '' }];
  if (c.parts) return c.parts.map((n) => ({ type: 'integer' as const, value: n, bold: c.bold }));
  if (c.type && c.value !== undefined) return [{ type: c.type, value: c.value, numFmt: c.numFmt, bold: c.bold }];
  return [{ type: 'text', value: c.text, bold: c.bold }];
};

/** Column widths in characters from the longest text, within sensible bounds. */
const widthOf = (header: string, texts: string[], type: ReportCellType) =>
  type === 'text' ? Math.min(60, Math.max(8, header.length * 0.6, ...texts.map((t) => t.length + 2))) : Math.min(24, Math.max(12, header.length * 0.5));

function tableSheet(t: FormTable, i: number): DocSheet {
  const columns: DocSheet['columns'] = [];
  t.columns.forEach((col, k) => {
    const cells = t.rows.map((r) => r.cells[k]).filter((c): c is FormCell => !!c);
    const labels = col.parts ?? [col.label];
    labels.forEach((label) => {
      const type: ReportCellType = col.parts ? 'integer' : (cells.find((c) => c.type && c.value !== undefined)?.type ?? 'text');
      columns.push({ header: label, type, width: widthOf(label, cells.map((c) => c.text), type) });
    });
  });
  const caption = t.caption?.trim();
  const name = caption ? caption.replace(/^\d+\.\s*/, '').replace(/:$/, '') : `Bảng ${i + 1}`;
  return { name, caption, columns, rows: t.rows.map((r) => ({ total: r.total, cells: r.cells.flatMap((c, k) => (t.columns[k]?.parts && !c.parts ? t.columns[k].parts!.map(() => ({ type: 'text' as const, value: c.text })) : docCell(c))) })) };
}

/** The document spec of an official form (documentXlsx / documentCsv in core/reports/tabular.ts). */
export function formDocument(v: OfficialFormView, o: { note?: string; created?: Date } = {}): DocumentSpec {
  const heading: DocumentSpec['heading'] = [
    ...v.header.issuerLines.map((text) => ({ text })),
    { text: NATIONAL_NAME },
    { text: MOTTO },
    ...(v.formNo ? [{ text: v.formNo }] : []),
    { text: v.header.placeDate },
    { text: v.title, bold: true },
    ...v.subtitles.map((text) => ({ text })),
  ];
  const sheets: DocSheet[] = [];
  if (v.facts.length) {
    sheets.push({
      name: 'Số liệu',
      columns: [
        { header: 'STT', type: 'text', width: 6 },
        { header: 'Chỉ tiêu', type: 'text', width: Math.min(60, Math.max(24, ...v.facts.map((f) => f.label.length + 2))) },
        { header: 'Số liệu', type: 'integer', width: 16 },
        { header: 'Bằng chữ', type: 'text', width: 60 },
        { header: 'Ghi chú', type: 'text', width: 30 },
      ],
      rows: v.facts.map((f) => ({
        cells: [
          { type: 'text', value: f.no },
          { type: 'text', value: f.label },
          f.n !== undefined ? { type: 'integer', value: f.n } : { type: 'text', value: f.value },
          { type: 'text', value: f.words ?? '' },
          { type: 'text', value: f.note ?? '' },
        ],
      })),
    });
  }
  v.tables.forEach((t, i) => sheets.push(tableSheet(t, i)));
  return { title: v.title, heading, note: o.note, sheets, created: o.created };
}
