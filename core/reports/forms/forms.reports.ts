// The official forms as report definitions of the engine (core.reports.forms.<form>): parameters are ids and
// codes, the data builders are forms.data.ts, the views forms.views.ts, one print template for all
// (views/reports/forms/official-form.hbs). Titles come from form-numbers.ts; permission core.reports.generate.
// XLSX and CSV are written from the same view model (form-tabular.ts), so every format shows the same figures.
import { z } from 'zod';
import { defineReport, type ReportTarget } from '../../plugin-api/index.js';
import { err, ok, type AppError, type Result } from '../../shared/result.js';
import type { CoreReportContext, DocumentReportDef } from '../report-engine.js';
import { formDocument } from './form-tabular.js';
import { formNumber, type FormId } from './form-numbers.js';
import type { OfficialFormView } from './form-model.js';
import * as data from './forms.data.js';
import * as views from './forms.views.js';

export const FORM_TEMPLATE = 'forms/official-form';
export const FORM_PERMISSION = 'core.reports.generate';
export const formReportId = (form: FormId) => `core.reports.forms.${form}`;
/** PDF first: the default of the request form and of batches. */
export const FORM_FORMATS = ['pdf', 'xlsx', 'csv'] as const;

const uuid = z.string().uuid();
const contest = z.enum(['national-assembly', 'provincial-council', 'commune-council']);
/** 'VN', a province (2 digits) or a commune (5 digits). */
const adminCode = z.string().regex(/^(VN|\d{2}|\d{5})$/);
const slot = z.string().regex(/^(\d{2}:\d{2}|close)$/);

const nodeOf = (code: string, electionId: string): ReportTarget =>
  ({ type: code === 'VN' ? 'nation' : code.length === 2 ? 'province' : 'commune', code, electionId });

type View<D> = (t: (k: string, p?: Record<string, unknown>) => string, d: D, issuedOn: string, documentId: string) => OfficialFormView;

/** A form = id, params, target, a loader and a view; the rest is the same for all. */
function form<P extends { electionId: string }, D>(o: {
  form: FormId;
  contestOf: (p: P, d: D) => string;
  params: z.ZodType<P>;
  fields: { name: string; labelKey: string; kind: 'text' | 'select'; required?: boolean; options?: { value: string; labelKey: string }[] }[];
  target: (p: P) => ReportTarget;
  load: (em: CoreReportContext['em'], p: P) => Promise<Result<D, AppError>>;
  view: View<D>;
  subject: (d: D) => string;
}) {
  const def = defineReport<P, D, unknown, CoreReportContext>({
    id: formReportId(o.form),
    titleKey: `reports.forms.${o.form}`,
    params: o.params,
    fields: o.fields,
    permission: FORM_PERMISSION,
    formats: FORM_FORMATS,
    target: o.target,
    build: async (p, ctx) => {
      const r = await o.load(ctx.em, p);
      return r.ok ? ok(r.value) : err(r.error);
    },
    title: (p, d) => `${formNumber(o.form, o.contestOf(p, d)).title} — ${o.subject(d)}`,
    template: FORM_TEMPLATE,
    view: (_p, d, ctx) => o.view(ctx.t, d, ctx.today(), ctx.documentId),
  });
  const document: DocumentReportDef['document'] = (_p, d: D, ctx) => formDocument(o.view(ctx.t, d, ctx.today(), ctx.documentId));
  return Object.assign(def, { document });
}

const F = {
  election: { name: 'electionId', labelKey: 'reports.forms.f.election', kind: 'text' as const, required: true },
  unit: { name: 'unitId', labelKey: 'reports.forms.f.unit', kind: 'text' as const, required: true },
  area: { name: 'pollingAreaId', labelKey: 'reports.forms.f.area', kind: 'text' as const, required: true },
  code: { name: 'code', labelKey: 'reports.forms.f.code', kind: 'text' as const, required: true },
  slot: { name: 'slot', labelKey: 'reports.forms.f.slot', kind: 'text' as const, required: true },
  contest: {
    name: 'contest', labelKey: 'reports.forms.f.contest', kind: 'select' as const, required: true,
    options: contest.options.map((c) => ({ value: c, labelKey: `reports.forms.contest.${c}` })),
  },
};

export function formReports() {
  const scoped = z.object({ electionId: uuid, contest, code: adminCode }).strict();
  return [
    form({
      form: 'team-count-minutes', contestOf: (p) => p.contest,
      params: z.object({ electionId: uuid, pollingAreaId: uuid, contest }).strict(),
      fields: [F.election, F.area, F.contest],
      target: (p) => ({ type: 'polling-area', code: p.pollingAreaId, electionId: p.electionId }),
      load: data.loadTeamMinutes, view: views.teamMinutesView,
      subject: (d) => `Khu vực bỏ phiếu số ${d.area.number}, ${d.commune}`,
    }),
    form({
      form: 'board-results-minutes', contestOf: (_p, d) => d.contest,
      params: z.object({ electionId: uuid, unitId: uuid }).strict(),
      fields: [F.election, F.unit],
      target: (p) => ({ type: 'electoral-unit', code: p.unitId, electionId: p.electionId }),
      load: data.loadBoardResults, view: views.boardResultsView,
      subject: (d) => `Đơn vị bầu cử số ${d.unit.number} — ${d.councilName}`,
    }),
    form({
      form: 'province-na-results-minutes', contestOf: () => 'national-assembly',
      params: z.object({ electionId: uuid, provinceCode: z.string().regex(/^\d{2}$/) }).strict(),
      fields: [F.election, { name: 'provinceCode', labelKey: 'reports.pc.province', kind: 'text', required: true }],
      target: (p) => ({ type: 'province', code: p.provinceCode, electionId: p.electionId }),
      load: (em, p) => data.loadCouncilResults(em, { electionId: p.electionId, contest: 'national-assembly', code: p.provinceCode }),
      view: views.councilResultsView, subject: (d) => d.scope.name,
    }),
    form({
      form: 'council-summary-minutes', contestOf: (p) => p.contest,
      params: z.object({ electionId: uuid, contest: z.enum(['provincial-council', 'commune-council']), code: z.string().regex(/^(\d{2}|\d{5})$/) }).strict(),
      fields: [F.election, F.contest, F.code],
      target: (p) => nodeOf(p.code, p.electionId),
      load: data.loadCouncilResults, view: views.councilResultsView, subject: (d) => `Hội đồng nhân dân ${d.scope.name}`,
    }),
    form({
      form: 'nec-na-summary', contestOf: () => 'national-assembly',
      params: z.object({ electionId: uuid }).strict(),
      fields: [F.election],
      target: (p) => ({ type: 'nation', code: 'VN', electionId: p.electionId }),
      load: data.loadNecSummary, view: views.necSummaryView, subject: (d) => d.election.name,
    }),
    form({
      form: 'candidate-list', contestOf: (_p, d) => d.contest,
      params: z.object({ electionId: uuid, unitId: uuid }).strict(),
      fields: [F.election, F.unit],
      target: (p) => ({ type: 'electoral-unit', code: p.unitId, electionId: p.electionId }),
      load: data.loadCandidateList, view: views.candidateListView, subject: (d) => `Đơn vị bầu cử số ${d.unit.number} — ${d.councilName}`,
    }),
    form({
      form: 'elected-list', contestOf: (p) => p.contest, params: scoped, fields: [F.election, F.contest, F.code],
      target: (p) => nodeOf(p.code, p.electionId),
      load: data.loadElectedList, view: views.electedListView, subject: (d) => d.scope.name,
    }),
    form({
      form: 'candidate-structure', contestOf: (p) => p.contest, params: scoped, fields: [F.election, F.contest, F.code],
      target: (p) => nodeOf(p.code, p.electionId),
      load: data.loadStructure, view: views.structureView, subject: (d) => d.scope.name,
    }),
    form({
      form: 'turnout-slot', contestOf: (p) => p.contest,
      params: z.object({ electionId: uuid, contest, code: adminCode, slot }).strict(),
      fields: [F.election, F.contest, F.code, F.slot],
      target: (p) => nodeOf(p.code, p.electionId),
      load: data.loadTurnoutSlot, view: views.turnoutSlotView, subject: (d) => `${d.scope.name}, ${d.slot === 'close' ? 'kết thúc' : d.slot}`,
    }),
  ];
}
