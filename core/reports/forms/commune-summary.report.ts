// Commune summary (tóm tắt đơn vị cấp xã): one page per commune — its name, type, province and effective date, and
// for an election its polling areas, voters and the electoral units its areas belong to. The document a batch
// makes for every commune of the tree (3,321), drawn with the official-form template.
import { z } from 'zod';
import { defineReport } from '../../plugin-api/index.js';
import { appError, err, ok } from '../../shared/result.js';
import { sql } from '../../persistence/db.js';
import { placeDateText, placeName, dmy } from '../render.service.js';
import type { CoreReportContext, DocumentReportDef } from '../report-engine.js';
import { formDocument } from './form-tabular.js';
import { cell, countFact, type OfficialFormView } from './form-model.js';
import { FORM_FORMATS, FORM_TEMPLATE } from './forms.reports.js';

export const COMMUNE_SUMMARY_REPORT = 'core.reports.commune-summary';

export interface CommuneSummaryData {
  commune: { code: string; name: string; type: string; validFrom: string };
  province: { code: string; name: string };
  election?: { name: string; areas: number; voters: number; units: { contest: string; number: number; name: string }[] };
}

const params = z.object({ communeCode: z.string().regex(/^\d{5}$/), electionId: z.string().uuid().optional() }).strict();
type P = z.infer<typeof params>;

const CONTEST: Record<string, string> = { 'national-assembly': 'Quốc hội', 'provincial-council': 'HĐND cấp tỉnh', 'commune-council': 'HĐND cấp xã' };

export function communeSummaryView(t: (k: string, p?: Record<string, unknown>) => string, d: CommuneSummaryData, issuedOn: string, documentId: string): OfficialFormView {
  return {
    header: { issuerLines: ['HỆ THỐNG QUẢN LÝ', 'THÔNG TIN BẦU CỬ'], placeDate: placeDateText(t, placeName(d.province.name), issuedOn) },
    formNo: null,
    title: 'THÔNG TIN TÓM TẮT ĐƠN VỊ HÀNH CHÍNH CẤP XÃ',
    subtitles: [`${d.commune.name} — ${d.province.name}`],
    intro: [`Mã đơn vị: ${d.commune.code}. Loại: ${d.commune.type}. Có hiệu lực từ ngày ${dmy(d.commune.validFrom)}.`],
    facts: d.election ? [countFact('1.', 'Số khu vực bỏ phiếu', d.election.areas), countFact('2.', 'Tổng số cử tri', d.election.voters)] : [],
    tables: d.election?.units.length ? [{
      caption: `Đơn vị bầu cử (${d.election.name}):`,
      columns: [{ label: 'Cuộc bầu cử' }, { label: 'Đơn vị bầu cử' }],
      rows: d.election.units.map((u) => ({ cells: [cell(CONTEST[u.contest] ?? u.contest), cell(`Số ${u.number} — ${u.name}`)] })),
    }] : [],
    closing: [],
    signatures: [],
    documentId,
  };
}

export function communeSummaryReport() {
  const def = defineReport<P, CommuneSummaryData, unknown, CoreReportContext>({
    id: COMMUNE_SUMMARY_REPORT,
    titleKey: 'reports.forms.commune-summary',
    params,
    fields: [{ name: 'communeCode', labelKey: 'reports.forms.f.commune', kind: 'text', required: true }, { name: 'electionId', labelKey: 'reports.forms.f.election', kind: 'text' }],
    permission: 'core.reports.generate',
    formats: FORM_FORMATS,
    target: (p) => ({ type: 'commune', code: p.communeCode, ...(p.electionId ? { electionId: p.electionId } : {}) }),
    async build(p, ctx) {
      const [c] = await sql<{ code: string; name: string; type: string; valid_from: string; parent_code: string }>(ctx.em,
        `select code, name, type, valid_from::text as valid_from, parent_code from admin_unit where level = 'commune' and code = ? order by valid_from desc limit 1`, [p.communeCode]);
      if (!c) return err(appError('NOT_FOUND', 'reports.forms.not_found', 404, { what: p.communeCode }));
      const [pr] = await sql<{ code: string; name: string }>(ctx.em, `select code, name from admin_unit where code = ? order by valid_from desc limit 1`, [c.parent_code]);
      let election: CommuneSummaryData['election'];
      if (p.electionId) {
        const [e] = await sql<{ name: string }>(ctx.em, `select name from election where id = ?`, [p.electionId]);
        const [a] = await sql<{ n: string; v: string }>(ctx.em, `select count(*)::text as n, coalesce(sum(voters), 0)::text as v from polling_area where election_id = ? and commune_code = ?`, [p.electionId, p.communeCode]);
        const units = await sql<{ contest: string; number: number; name: string }>(ctx.em,
          `select distinct u.contest, u.number, u.name from polling_area pa join polling_area_unit pau on pau.polling_area_id = pa.id join electoral_unit u on u.id = pau.unit_id
           where pa.election_id = ? and pa.commune_code = ? order by u.contest, u.number`, [p.electionId, p.communeCode]);
        if (e) election = { name: e.name, areas: Number(a.n), voters: Number(a.v), units };
      }
      return ok({ commune: { code: c.code, name: c.name, type: c.type, validFrom: c.valid_from }, province: pr ?? { code: c.parent_code, name: '' }, election });
    },
    title: (_p, d) => `Thông tin tóm tắt — ${d.commune.name}, ${d.province.name}`,
    template: FORM_TEMPLATE,
    view: (_p, d, ctx) => communeSummaryView(ctx.t, d, ctx.today(), ctx.documentId),
  });
  // XLSX/CSV from the same view as the PDF.
  const document: DocumentReportDef['document'] = (_p, d: CommuneSummaryData, ctx) => formDocument(communeSummaryView(ctx.t, d, ctx.today(), ctx.documentId));
  return Object.assign(def, { document });
}
