// Reports pages: the download centre (GET /reports: request forms for the reports the actor may generate, and the
// artefacts in the actor's scope), requesting a report (POST /reports/:report → job core.reports.generate → 303 to
// the job page; /reports/province-communes keeps working) and downloading an artefact (GET /artefacts/:id/download).
// Permissions: the report's own permission on its target to generate; core.reports.view on the artefact's target to
// list and download.
import fs from 'node:fs';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Render } from '../http/render.js';
import { pageParams, pager } from '../http/render.js';
import { guard, mountAction, type PipelineDeps } from '../http/endpoint.js';
import { NATION, type Target } from '../auth/policy.js';
import type { TreeLevel } from '../plugin-api/index.js';
import type { JobService } from '../jobs/job.service.js';
import type { Clock } from '../shared/clock.js';
import type { I18n } from '../shared/i18n.js';
import { newId } from '../shared/ids.js';
import { sql } from '../persistence/db.js';
import { AppException, appError, err, ok } from '../shared/result.js';
import { searchKey } from '../shared/vn-text.js';
import type { ArtefactRow, ReportRenderer } from './render.service.js';
import { vnDate } from './render.service.js';
import { GENERATE_JOB, reportContext, reportSlug, type RegisteredReportDef, type ReportRegistry } from './report-engine.js';
import { formatVerifyCode } from './verify.js';
import { itemTarget, listElections, listSlots, pickerOf, pickerScope, placeLevels, searchAreas, searchPlaces, searchUnits, type PickerItem, type PickerKind, type PickerScope, type PlaceLevel } from './pickers.js';

export interface ReportRouteDeps {
  jobs: JobService;
  renderer: ReportRenderer;
  registry: ReportRegistry;
  i18n: I18n;
  clock: Clock;
  pipeline: PipelineDeps;
}

export const VIEW_PERMISSION = 'core.reports.view';
export const GENERATE_PERMISSION = 'core.reports.generate';
/** Audit action of a report request (any report, any format). */
export const REQUEST_ACTION = 'core.reports.request';

const uuid = z.string().uuid();
const TREE_LEVELS: readonly TreeLevel[] = ['nation', 'province', 'commune', 'electoral-unit', 'polling-area'];

/** The node an artefact belongs to from its parameters (artefacts from before the engine): province or nation. */
export function artefactTarget(params: unknown): Target {
  const code = (params as { provinceCode?: unknown } | null)?.provinceCode;
  return typeof code === 'string' && /^\d{2}$/.test(code) ? { type: 'province', code } : { type: 'nation', code: NATION };
}

/** The node an artefact belongs to: the report's target as stored (first element of scope_path), else from params. */
export function storedTarget(a: Pick<ArtefactRow, 'params' | 'scope_path' | 'election_id'>): Target {
  const first = a.scope_path?.[0];
  const i = first?.indexOf(':') ?? -1;
  if (first && i > 0 && (TREE_LEVELS as readonly string[]).includes(first.slice(0, i))) {
    return { type: first.slice(0, i) as TreeLevel, code: first.slice(i + 1), ...(a.election_id ? { electionId: a.election_id } : {}) };
  }
  return artefactTarget(a.params);
}

/** The listing scope of an artefact: its stored ancestor chain, or (older rows) its province and the nation. */
const SCOPE_SQL = `coalesce(a.scope_path, case when a.params->>'provinceCode' is not null
  then array['nation:VN', 'province:' || (a.params->>'provinceCode')] else array['nation:VN'] end)`;

const validAt = `valid_from <= ?::date and (valid_to is null or valid_to > ?::date)`;
/** Items put in a picker's list with the page (the rest come from the search endpoint as the person types). */
const PREFILL = 400;
/** Items a picker search returns. */
const SEARCH_LIMIT = 20;
const pickerQuery = z.object({
  report: z.string().max(160),
  q: z.string().max(100).optional(),
  field: z.string().max(40).optional(),
  electionId: z.preprocess((v) => (v === '' ? undefined : v), uuid.optional()),
  contest: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['national-assembly', 'provincial-council', 'commune-council']).optional()),
});
const blankToUndefined = (v: unknown) => (typeof v === 'string' ? (v.trim() === '' ? undefined : v.trim()) : v);

/** A parsed report request. */
interface ReportRequest {
  entry: RegisteredReportDef;
  format: 'pdf' | 'xlsx' | 'csv';
  params: Record<string, unknown>;
}

export function reportsRoutes(d: ReportRouteDeps) {
  /**
   * The request input: `reportId` (from the URL), `format` and the report's own fields, parsed by the report's zod
   * schema. Unknown reports, formats and fields are input errors like any other (400, audited).
   */
  const requestInput = z
    .object({ reportId: z.string().max(160), format: z.string().max(10).optional() })
    .catchall(z.unknown())
    .transform((raw, zctx): ReportRequest => {
      const entry = d.registry.resolve(raw.reportId);
      if (!entry) {
        zctx.addIssue({ code: 'custom', path: ['reportId'], message: 'unknown report' });
        return z.NEVER;
      }
      const def = entry.def;
      const format = (blankToUndefined(raw.format) as string | undefined) ?? def.formats[0];
      if (!def.formats.includes(format as never)) {
        zctx.addIssue({ code: 'custom', path: ['format'], message: 'format not offered by this report' });
        return z.NEVER;
      }
      const known = new Set(def.fields.map((f) => f.name));
      const values: Record<string, unknown> = {};
      const unknown: string[] = [];
      for (const [k, v] of Object.entries(raw)) {
        if (k === 'reportId' || k === 'format') continue;
        if (!known.has(k)) unknown.push(k);
        else if (blankToUndefined(v) !== undefined) values[k] = blankToUndefined(v);
      }
      if (unknown.length) {
        zctx.addIssue({ code: 'unrecognized_keys', keys: unknown, path: [], message: 'unknown fields' } as never);
        return z.NEVER;
      }
      const parsed = def.params.safeParse(values);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) zctx.addIssue({ ...issue } as never);
        return z.NEVER;
      }
      const today = vnDate(d.clock.now());
      const params = def.defaults ? def.defaults(parsed.data, { today }) : parsed.data;
      return { entry, format: format as ReportRequest['format'], params };
    });

  return (render: Render): Router => {
    const r = Router();
    const policy = d.pipeline.policy;

    /** Provinces (in the tree today) where the actor holds `permission`; `all` = nation-wide. */
    async function allowedProvinces(req: Request, permission: string): Promise<{ all: boolean; codes: { code: string; name: string }[] }> {
      const em = req.scope.em;
      const today = vnDate(d.clock.now());
      const provinces = await sql<{ code: string; name: string }>(em, `select code, name from admin_unit where level = 'province' and ${validAt} order by sort_key, code`, [today, today]);
      const assignments = req.scope.actor.assignments;
      if ((await policy.decide(em, assignments, permission, { type: 'nation', code: NATION })).allowed) return { all: true, codes: provinces };
      const codes: { code: string; name: string }[] = [];
      for (const p of provinces) if ((await policy.decide(em, assignments, permission, { type: 'province', code: p.code })).allowed) codes.push(p);
      return { all: false, codes };
    }

    /**
     * A picker's field on the request form: elections and report times as selects; places, units and areas as a text
     * input with a <datalist> (accent-free words in each label, so "ha noi" matches without JavaScript) that the
     * search endpoint refills as the person types. Lists are limited to the actor's scope for the permission.
     */
    async function pickerField(req: Request, def: RegisteredReportDef['def'], f: RegisteredReportDef['def']['fields'][number], kind: PickerKind, cache: Map<string, unknown>) {
      const em = req.scope.em;
      const perm = policy.permission(def.permission);
      const scope = pickerScope(req.scope.actor.assignments, perm?.roles ?? []);
      const memo = async <T>(key: string, load: () => Promise<T>): Promise<T> => {
        const k = `${def.permission}|${key}`;
        if (!cache.has(k)) cache.set(k, await load());
        return cache.get(k) as T;
      };
      const elections = await memo('elections', () => listElections(em, scope));
      let items: PickerItem[] = [];
      let levels: PlaceLevel[] | undefined;
      if (kind === 'election') items = elections;
      else if (kind === 'slot') items = await memo('slots', () => listSlots(em));
      else if (kind === 'place') {
        const accepted = placeLevels(def.params, f.name);
        levels = accepted;
        // Nation-wide: the 34 provinces with the page, the 3,321 communes through the search.
        const prefill = scope.all ? accepted.filter((l) => l !== 'commune') : accepted;
        items = await memo(`place:${accepted.join(',')}`, () => searchPlaces(em, scope, { levels: prefill.length ? prefill : accepted, limit: PREFILL }));
      } else if (elections[0]) {
        const electionId = elections[0].value;
        // Nation-wide there are thousands: a first page with the form, the rest through the search.
        const limit = scope.all ? SEARCH_LIMIT * 3 : PREFILL;
        items = await memo(`${kind}:${electionId}`, () => (kind === 'unit' ? searchUnits(em, scope, { electionId, limit }) : searchAreas(em, scope, { electionId, limit })));
      }
      const slug = reportSlug(def.id);
      return {
        picker: kind,
        listed: kind === 'place' || kind === 'unit' || kind === 'area',
        items: items.map((i) => ({ ...i, listLabel: i.key ? `${i.label} · ${i.key}` : i.label })),
        levels: levels?.join(' '),
        searchUrl: `/reports/pickers/${kind}?report=${encodeURIComponent(slug)}&field=${encodeURIComponent(f.name)}`,
        placeholderKey: `reports.picker.placeholder.${kind === 'place' ? (levels?.includes('commune') ? 'place' : 'province') : kind}`,
      };
    }

    /** The request forms of the reports whose permission one of the actor's roles holds. */
    async function requestForms(req: Request) {
      const roles = new Set(req.scope.actor.assignments.map((a) => a.role));
      const provincesBy = new Map<string, Awaited<ReturnType<typeof allowedProvinces>>>();
      const pickerCache = new Map<string, unknown>();
      const forms = [];
      let treeEmpty = false;
      for (const { def } of d.registry.list()) {
        const perm = policy.permission(def.permission);
        if (!perm || !perm.roles.some((role) => roles.has(role))) continue;
        let provinces: { code: string; name: string }[] | undefined;
        if (def.fields.some((f) => f.kind === 'province')) {
          if (!provincesBy.has(def.permission)) provincesBy.set(def.permission, await allowedProvinces(req, def.permission));
          const allowed = provincesBy.get(def.permission)!;
          if (allowed.all && !allowed.codes.length) treeEmpty = true;
          if (!allowed.codes.length) continue;
          provinces = allowed.codes;
        }
        const slug = reportSlug(def.id);
        const fields = [];
        for (const f of def.fields) {
          const inputId = `${slug.replace(/[^a-z0-9]+/g, '-')}-${f.name}`;
          const kind = pickerOf(f);
          fields.push({ ...f, inputId, listId: `${inputId}-list`, provinces: f.kind === 'province' ? provinces : undefined, ...(kind ? await pickerField(req, def, f, kind, pickerCache) : {}) });
        }
        forms.push({
          slug,
          htmlId: slug.replace(/[^a-z0-9]+/g, '-'),
          titleKey: def.titleKey,
          fields,
          formats: def.formats.map((f, i) => ({ value: f, label: f.toUpperCase(), first: i === 0 })),
        });
      }
      return { forms, treeEmpty };
    }

    /** SQL condition (and its parameters) for the artefacts the actor may see: those whose scope chain meets one of theirs. */
    function visibility(req: Request): { where: string; params: unknown[] } {
      const viewRoles = policy.permission(VIEW_PERMISSION)?.roles ?? [];
      const mine = req.scope.actor.assignments.filter((a) => viewRoles.includes(a.role));
      if (mine.some((a) => a.scopeType === 'nation' && !a.electionId)) return { where: 'true', params: [] };
      const general = mine.filter((a) => !a.electionId).map((a) => `${a.scopeType}:${a.scopeCode}`);
      const parts = [`${SCOPE_SQL} && string_to_array(?, ',')`];
      const params: unknown[] = [general.join(',')];
      // An assignment limited to one election sees that election's documents in its scope only.
      for (const a of mine.filter((x) => x.electionId)) {
        parts.push(`(a.election_id = ?::uuid and ${SCOPE_SQL} && array[?::text])`);
        params.push(a.electionId, `${a.scopeType}:${a.scopeCode}`);
      }
      return { where: `(${parts.join(' or ')})`, params };
    }

    r.get('/reports', async (req, res) => {
      if (req.scope.actor.kind === 'anonymous') return res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
      const { page, size, offset } = pageParams(req.query, 20);
      const { forms, treeEmpty } = await requestForms(req);
      const vis = visibility(req);
      const artefacts = await sql<ArtefactRow & { created_by_name: string | null }>(
        req.scope.em,
        `select a.id, a.kind, a.title, a.size, a.sha256, a.created_by, a.created_at, a.format, a.verify_code, a.path, u.full_name as created_by_name
         from artefact a left join app_user u on u.id::text = a.created_by where ${vis.where}
         order by a.created_at desc, a.id limit ? offset ?`,
        [...vis.params, size, offset],
      );
      const [{ n }] = await sql<{ n: string }>(req.scope.em, `select count(*)::text as n from artefact a where ${vis.where}`, vis.params);
      render(req, res, 'reports/index', {
        artefacts: artefacts.map((a) => ({
          ...a,
          formatLabel: (a.format ?? a.path.split('.').pop() ?? '').toUpperCase(),
          verifyCode: a.verify_code ? formatVerifyCode(a.verify_code) : undefined,
          sizeKb: Math.max(1, Math.round(a.size / 1024)),
          shaShort: a.sha256.slice(0, 12),
        })),
        page: pager(page, size, Number(n)),
        forms,
        treeEmpty: treeEmpty && !forms.length,
      }, { title: req.scope.t('reports.title'), nav: 'reports' });
    });

    /**
     * GET /reports/pickers/:kind?report=&q=&field=&electionId=&contest= → { items: [{ value, label, key }] }: what the
     * actor may pick for that report, matching q without accents ("ha noi" → "Hà Nội"). Every item is checked with
     * the policy; the request itself is authorised again when the form is sent.
     */
    r.get('/reports/pickers/:kind', async (req: Request, res: Response) => {
      if (req.scope.actor.kind === 'anonymous') return res.status(401).json({ error: 'UNAUTHENTICATED' });
      const kind = String(req.params.kind) as PickerKind;
      const parsed = pickerQuery.safeParse(req.query);
      const entry = parsed.success ? d.registry.resolve(parsed.data.report) : undefined;
      if (!parsed.success || !entry || !['election', 'place', 'unit', 'area', 'slot'].includes(kind)) return res.status(400).json({ error: 'INVALID_INPUT' });
      const { q, field, electionId, contest } = parsed.data;
      const def = entry.def;
      const perm = policy.permission(def.permission);
      const scope: PickerScope = pickerScope(req.scope.actor.assignments, perm?.roles ?? []);
      const em = req.scope.em;
      let items: PickerItem[] = [];
      if (kind === 'election') items = await listElections(em, scope);
      else if (kind === 'slot') items = await listSlots(em, electionId);
      else if (kind === 'place') {
        const levels = placeLevels(def.params, field && def.fields.some((f) => f.name === field) ? field : (def.fields.find((f) => pickerOf(f) === 'place')?.name ?? 'code'));
        items = await searchPlaces(em, scope, { q, levels, limit: SEARCH_LIMIT });
      } else if (electionId && (!scope.elections || scope.elections.includes(electionId))) {
        items = kind === 'unit' ? await searchUnits(em, scope, { electionId, contest, q, limit: SEARCH_LIMIT }) : await searchAreas(em, scope, { electionId, q, limit: SEARCH_LIMIT });
      }
      if (kind === 'place' || kind === 'unit' || kind === 'area') {
        const allowed: PickerItem[] = [];
        for (const i of items) if ((await policy.decide(em, req.scope.actor.assignments, def.permission, itemTarget(kind, i.value, electionId))).allowed) allowed.push(i);
        items = allowed;
      }
      res.setHeader('Cache-Control', 'private, no-store');
      res.json({ items });
    });

    mountAction(r, d.pipeline, {
      id: REQUEST_ACTION,
      method: 'post',
      path: '/reports/:reportId',
      input: requestInput,
      permission: (i) => i.entry.def.permission,
      target: (i) => i.entry.def.target(i.params),
      handle: async (i, ctx) => {
        const def = i.entry.def;
        if (def.check) {
          const checked = await def.check(i.params, reportContext(d, ctx.em, i.entry.owner, undefined));
          if (!checked.ok) return err(checked.error);
        }
        const payload = { reportId: def.id, params: i.params, format: i.format };
        // Queued on its own connection, not in this transaction: JobService hands an in-transaction run to the queue
        // before the commit, and a fast worker would not find the row. The request's audit event names the run.
        const runId = newId();
        const electionId = def.target(i.params).electionId;
        await d.jobs.enqueue(GENERATE_JOB, payload, { runId, createdBy: ctx.actor.id, electionId: electionId && uuid.safeParse(electionId).success ? electionId : null });
        return ok({ targetType: 'job_run', targetId: runId, after: { job: GENERATE_JOB, ...payload }, redirect: `/jobs/${runId}` });
      },
    });

    r.get('/artefacts/:id/download', async (req: Request, res: Response) => {
      const id = String(req.params.id);
      const notFound = () => new AppException(appError('NOT_FOUND', 'reports.artefact_not_found', 404));
      if (!uuid.safeParse(id).success) throw notFound();
      const [a] = await sql<ArtefactRow>(req.scope.em, 'select * from artefact where id = ?', [id]);
      if (!a) throw notFound();
      let allowed = false;
      await guard(d.pipeline, VIEW_PERMISSION, () => storedTarget(a))(req, res, () => {
        allowed = true;
      });
      if (!allowed) return; // redirected to the sign-in page
      const abs = d.renderer.resolve(a.path);
      if (!abs || !fs.existsSync(abs)) throw new AppException(appError('GONE', 'reports.artefact_file_missing', 410));
      res.attachment(downloadName(a));
      res.type(a.mime);
      res.setHeader('Cache-Control', 'private, no-store');
      res.setHeader('ETag', `"${a.sha256}"`);
      await new Promise<void>((resolve, reject) => res.sendFile(abs, { dotfiles: 'deny', lastModified: false }, (e) => (e ? reject(e) : resolve())));
    });

    return r;
  };
}

/** An ASCII file name from the title and date ("danh-sach-don-vi-hanh-chinh-cap-xa-thanh-pho-ho-chi-minh-2026-11-29.pdf"). */
export function downloadName(a: Pick<ArtefactRow, 'title' | 'created_at' | 'path'>): string {
  const slug = searchKey(a.title).replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100) || 'tai-lieu';
  const ext = a.path.split('.').pop() ?? 'bin';
  return `${slug}-${vnDate(new Date(a.created_at))}.${ext}`;
}
