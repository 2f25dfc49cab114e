// Pages and actions of the election structure: the browser (nation → province → commune → unit / polling area), the
// check report, imports (upload, report, templates, the official 2026 NA lists), exports, and the edit forms of a
// polling area, a unit and a council size. Reads need core.structure.view on the node shown; writes core.structure.manage
// on the level that decides (docs/structure.md). Handlers stay thin: queries in structure.queries.ts, rules in rules.ts.
import fs from 'node:fs';
import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../../../config/config.js';
import type { Render } from '../../http/render.js';
import { pageParams, pager } from '../../http/render.js';
import type { JobService } from '../../jobs/job.service.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { KernelDeps } from '../../kernel/module.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import type { PluginStateService } from '../../plugin-host/plugin-state.service.js';
import { AppException, appError, err, ok, type FieldIssue } from '../../shared/result.js';
import { newId } from '../../shared/ids.js';
import { sql, exec } from '../../persistence/db.js';
import { NATION, type Target } from '../../auth/policy.js';
import { authorize, auditRefusal, mountAction, registerMutating } from '../../http/endpoint.js';
import { formatOf } from '../../admin-tree/tree-file.js';
import { showDate } from '../../admin-tree/admin-tree.routes.js';
import type { Lang } from '../../shared/i18n.js';
import {
  AREA_KINDS, NA_CONTEST, NATION_CODE, SMALL_REASONS, councilKey, councilLevel, defaultAreaName, defaultUnitName,
  type AreaRec, type ContestInfo, type UnitRec,
} from './model.js';
import { STRUCTURE_RULES, checkArea, checkStructure, checkUnit, ruleMessageKey, summarise, type Labels, type StructureIssue } from './rules.js';
import { bumpRevision, heldContests, insertAreas, loadElection, loadStructure, naSizeOf, revisionOf, type ElectionInfo } from './store.js';
import { IMPORT_KINDS, KIND_VI, SMALL_REASON_VI, parseTimeCell, type StructureImportKind } from './import-format.js';
import { getRun, naReferenceFiles, recordImportRequest, sha256, type ImportFile } from './import.service.js';
import type { ImportScope } from './import-plan.js';
import {
  AREA_SORTS, COMMUNE_SORTS, PROVINCE_SORTS, areaById, areaRows, communeProvinces, communeRows, communeUnits, councilSize, nodeAt, provinceSummaries,
  provinceUnits, unitById, unitCommunes, type SortDir,
} from './structure.queries.js';
import { templateCsv, templateXlsx, TEMPLATE_NAMES } from './import-template.js';
import { exportStructure, EXPORT_KINDS, type ExportKind } from './export.js';

export interface StructureRouteDeps {
  config: Config;
  orm: MikroORM;
  jobs: JobService;
  clock: Clock;
  log: Logger;
  access: KernelDeps['access'];
  registry: PluginRegistry;
  pluginStates: PluginStateService;
}

const VIEW = 'core.structure.view';
const MANAGE = 'core.structure.manage';
const UPLOAD_ACTION = 'core.structure.import.request';
const MAX_UPLOAD_MB = 30;
const PAGE = 50;
const uuid = z.string().uuid();
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

class UploadRefused extends Error {
  constructor(readonly messageKey: string, readonly params: Record<string, string | number> = {}, readonly status = 400) {
    super(messageKey);
  }
}

/** Labels used in rule messages, in the page's language. */
export function labelsFor(t: (k: string, p?: Record<string, unknown>) => string, lang: Lang): Labels {
  return {
    contest: (id) => t(`structure.contest.${id}`),
    unit: (u) => t('structure.unit_label', { n: u.number }),
    kind: (k) => t(`structure.kind.${k}`),
    date: (iso) => showDate(iso, lang),
  };
}

/** The level whose officials decide a contest's units: the nation (NA), the province, the commune. */
function decisionTarget(c: Pick<ContestInfo, 'id' | 'unitLevel'>, parentCode: string, province: string | undefined, electionId: string): Target {
  const level = councilLevel(c);
  if (level === 'nation') return { type: 'nation', code: NATION, electionId };
  if (level === 'province') return { type: 'province', code: c.unitLevel === 'province' ? parentCode : province ?? parentCode, electionId };
  return { type: 'commune', code: parentCode, electionId };
}

export function structureRoutes(d: StructureRouteDeps) {
  const uploadsDir = path.join(d.config.dataDir, 'uploads', 'structure');
  fs.mkdirSync(uploadsDir, { recursive: true });
  const upload = multer({
    storage: multer.diskStorage({ destination: uploadsDir, filename: (_req, _f, cb) => cb(null, newId()) }),
    limits: { fileSize: MAX_UPLOAD_MB * 1024 * 1024, files: 1, fields: 10, parts: 12 },
    fileFilter: (_req, file, cb) => {
      if (!formatOf(file.originalname)) cb(new UploadRefused('structure.import.bad_type', { file: file.originalname }, 415));
      else cb(null, true);
    },
    defParamCharset: 'utf8',
  } as multer.Options);
  const p = d.access.pipeline;

  return (render: Render): Router => {
    const r = Router();

    async function electionOf(req: Request): Promise<ElectionInfo> {
      const id = String(req.params.id);
      if (!uuid.safeParse(id).success) throw new AppException(appError('NOT_FOUND', 'elections.not_found', 404));
      const e = await loadElection(req.scope.em, id);
      if (!e) throw new AppException(appError('NOT_FOUND', 'elections.not_found', 404));
      return e;
    }

    /** Read permission on the node shown; an anonymous browser goes to the sign-in page (returns false). */
    async function canView(req: Request, res: Response, t: Target): Promise<boolean> {
      if (req.scope.actor.kind === 'anonymous' && req.accepts(['html', 'json']) === 'html') {
        res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
        return false;
      }
      await authorize(p, req, VIEW, t);
      return true;
    }

    async function allowed(req: Request, permission: string, t: Target): Promise<boolean> {
      if (req.scope.actor.kind === 'anonymous') return false;
      return (await p.policy.decide(req.scope.em, req.scope.actor.assignments, permission, t)).allowed;
    }

    const tr = (req: Request) => req.scope.t;
    const contestLabel = (req: Request, id: string) => req.scope.t(`structure.contest.${id}`);
    const kindLabel = (req: Request, k: string) => req.scope.t(`structure.kind.${k}`);

    function sortOf<T extends string>(req: Request, allowedSorts: readonly T[]): { sort: T; dir: SortDir } {
      const s = str(req.query.sort) as T;
      return { sort: allowedSorts.includes(s) ? s : allowedSorts[0], dir: req.query.dir === 'desc' ? 'desc' : 'asc' };
    }

    function sortLinks(req: Request, res: Response, cols: readonly string[], cur: { sort: string; dir: SortDir }) {
      const base = { ...(res.locals.query as Record<string, unknown>) };
      delete base.page;
      const out: Record<string, { href: string; aria: string; arrow: string }> = {};
      for (const c of cols) {
        const active = cur.sort === c;
        const dir = active && cur.dir === 'asc' ? 'desc' : 'asc';
        const q = new URLSearchParams();
        for (const [k, v] of Object.entries({ ...base, sort: c, dir })) if (v !== undefined && v !== '') q.set(k, String(v));
        out[c] = { href: `${req.baseUrl}${req.path}?${q}`, aria: active ? (cur.dir === 'asc' ? 'ascending' : 'descending') : 'none', arrow: active ? (cur.dir === 'asc' ? '▲' : '▼') : '' };
      }
      return out;
    }

    /** The structure check of a scope (the nation, a province, a commune), with messages in the page's language. */
    async function checkOf(req: Request, e: ElectionInfo, contests: ContestInfo[], scope: { province?: string; commune?: string }) {
      const s = await loadStructure(req.scope.em, { election: e, contests, provinces: scope.province ? new Set([scope.province]) : undefined });
      let issues = checkStructure(s, { labels: labelsFor(req.scope.t, req.scope.lang), naSize: await naSizeOf(req.scope.em, e.id) });
      if (scope.commune) issues = issues.filter((i) => i.commune === scope.commune);
      return { s, issues };
    }

    /**
     * Error and warning counts of a scope for the browser pages, cached by (election, structure revision, contests):
     * the check of a province costs a few hundred milliseconds, the revision lookup one index probe.
     */
    const checkCache = new Map<string, ReturnType<typeof summarise>>();
    async function checkSummary(req: Request, e: ElectionInfo, contests: ContestInfo[], scope: { province?: string; commune?: string }) {
      const key = [e.id, await revisionOf(req.scope.em, e.id), contests.map((c) => c.id).join(','), scope.province ?? '', scope.commune ?? ''].join('|');
      const hit = checkCache.get(key);
      if (hit) return hit;
      const sum = summarise((await checkOf(req, e, contests, scope)).issues);
      if (checkCache.size >= 500) checkCache.delete(checkCache.keys().next().value!);
      checkCache.set(key, sum);
      return sum;
    }

    function issueView(req: Request, e: ElectionInfo, i: StructureIssue, s: { units: Map<string, UnitRec>; areas: Map<string, AreaRec>; communes: Map<string, { name: string }>; provinces: Map<string, { name: string }> }) {
      const base = `/elections/${e.id}/structure`;
      const t = i.target;
      let href = base;
      let label = '';
      if (t.type === 'electoral-unit') {
        const u = s.units.get(t.code);
        href = `${base}/unit/${t.code}`;
        label = u ? `${contestLabel(req, u.contest)} · ${req.scope.t('structure.unit_label', { n: u.number })}` : t.code;
      } else if (t.type === 'polling-area') {
        const a = s.areas.get(t.code);
        href = `${base}/area/${t.code}`;
        label = a ? `${req.scope.t('structure.area_label', { n: a.number })} · ${s.communes.get(a.communeCode)?.name ?? a.communeCode}` : t.code;
      } else if (t.type === 'commune') {
        href = `${base}/commune/${t.code}`;
        label = s.communes.get(t.code)?.name ?? t.code;
      } else if (t.type === 'province') {
        href = `${base}/${t.code}`;
        label = s.provinces.get(t.code)?.name ?? t.code;
      } else label = req.scope.t('structure.nation');
      return {
        code: i.code, severity: i.severity, rule: STRUCTURE_RULES[i.code].rule, href, label, field: i.field,
        message: req.scope.t(ruleMessageKey(i.code, i.variant), i.params),
        province: i.province ? s.provinces.get(i.province)?.name ?? i.province : '',
      };
    }

    const scopePages = (e: ElectionInfo, a: { scopeType: string; scopeCode: string }) => {
      const base = `/elections/${e.id}/structure`;
      return ({ province: `${base}/${a.scopeCode}`, commune: `${base}/commune/${a.scopeCode}`, 'electoral-unit': `${base}/unit/${a.scopeCode}`, 'polling-area': `${base}/area/${a.scopeCode}` } as Record<string, string>)[a.scopeType];
    };

    // --- the nation ------------------------------------------------------------------------------------------

    r.get('/elections/:id/structure', async (req, res) => {
      const e = await electionOf(req);
      const nationTarget: Target = { type: 'nation', code: NATION, electionId: e.id };
      if (req.scope.actor.kind !== 'anonymous' && !(await allowed(req, VIEW, nationTarget))) {
        // A scoped account starts at its own province, commune, unit or polling area.
        const own = req.scope.actor.assignments.find((a) => a.scopeType !== 'nation' && (!a.electionId || a.electionId === e.id));
        const href = own && scopePages(e, own);
        if (href) return res.redirect(303, href);
      }
      if (!(await canView(req, res, nationTarget))) return;
      const contests = await heldContests(req.scope.em, d.registry, d.pluginStates, e.id);
      const q = str(req.query.q).trim().slice(0, 100);
      const cur = sortOf(req, PROVINCE_SORTS);
      const { page, size, offset } = pageParams(req.query, PAGE);
      const provincial = contests.find((c) => c.unitLevel === 'province' && c.id !== NA_CONTEST);
      const { rows, total, totals } = await provinceSummaries(req.scope.em, e, { q, sort: cur.sort, dir: cur.dir, limit: size, offset, councilContest: provincial?.id });
      const naSize = await naSizeOf(req.scope.em, e.id);
      const canManageNation = await allowed(req, MANAGE, nationTarget);
      render(req, res, 'structure/index', {
        election: { ...e, dayText: showDate(e.electionDay, req.scope.lang) },
        contests: contests.map((c) => ({ ...c, label: contestLabel(req, c.id), totals: totals.units[c.id] ?? { units: 0, seats: 0 } })),
        totals, naSize, q,
        provinces: rows.map((row) => ({ ...row, cells: contests.map((c) => row.units[c.id] ?? { units: 0, seats: 0 }) })),
        page: pager(page, size, total), sorts: sortLinks(req, res, PROVINCE_SORTS, cur),
        canLoadNa: canManageNation && contests.some((c) => c.id === NA_CONTEST),
        canManage: canManageNation,
        csrfToken: res.locals.csrfToken ?? '',
        exportKinds: EXPORT_KINDS,
      }, { title: tr(req)('structure.title_election', { name: e.name }), nav: 'elections' });
    });

    // --- the check report ----------------------------------------------------------------------------------

    r.get('/elections/:id/structure/check', async (req, res) => {
      const e = await electionOf(req);
      const province = /^\d{2}$/.test(str(req.query.province)) ? str(req.query.province) : undefined;
      const commune = /^\d{5}$/.test(str(req.query.commune)) ? str(req.query.commune) : undefined;
      let provinceOfCommune: string | undefined;
      if (commune) {
        const node = await nodeAt(req.scope.em, e, commune, 'commune');
        if (!node) throw new AppException(appError('NOT_FOUND', 'structure.not_found', 404));
        provinceOfCommune = node.parent_code ?? undefined;
      }
      const target: Target = commune ? { type: 'commune', code: commune, electionId: e.id } : province ? { type: 'province', code: province, electionId: e.id } : { type: 'nation', code: NATION, electionId: e.id };
      if (!(await canView(req, res, target))) return;
      const contests = await heldContests(req.scope.em, d.registry, d.pluginStates, e.id);
      const { s, issues } = await checkOf(req, e, contests, { province: provinceOfCommune ?? province, commune });
      const code = str(req.query.code);
      const severity = str(req.query.severity);
      const filtered = issues.filter((i) => (!code || i.code === code) && (!severity || i.severity === severity));
      const sum = summarise(issues);
      if (req.accepts(['html', 'json']) === 'json') {
        res.json({
          electionId: e.id, scope: target, errors: sum.errors, warnings: sum.warnings, byCode: sum.byCode,
          issues: filtered.map((i) => ({ ...issueView(req, e, i, s), target: i.target, params: i.params })),
        });
        return;
      }
      const { page, size, offset } = pageParams(req.query, 100);
      render(req, res, 'structure/check', {
        election: e, province, commune, scopeName: commune ? s.communes.get(commune)?.name : province ? s.provinces.get(province)?.name : undefined,
        summary: sum, codes: Object.entries(sum.byCode).sort().map(([c, n]) => ({ code: c, n, severity: STRUCTURE_RULES[c as keyof typeof STRUCTURE_RULES].severity, current: c === code })),
        code, severity, issues: filtered.slice(offset, offset + size).map((i) => issueView(req, e, i, s)), shown: filtered.length,
        page: pager(page, size, filtered.length),
      }, { title: tr(req)('structure.check.title'), nav: 'elections' });
    });

    // --- imports -------------------------------------------------------------------------------------------

    /** Scopes the actor may import into (its manage assignments), nation first. */
    function manageScopes(req: Request, e: ElectionInfo): { type: ImportScope['type']; code: string }[] {
      const roles = p.policy.permission(MANAGE)?.roles ?? [];
      const out: { type: ImportScope['type']; code: string }[] = [];
      for (const a of req.scope.actor.assignments) {
        if (!roles.includes(a.role) || (a.electionId && a.electionId !== e.id)) continue;
        if (a.scopeType === 'nation' || a.scopeType === 'province' || a.scopeType === 'commune') {
          if (!out.some((o) => o.type === a.scopeType && o.code === a.scopeCode)) out.push({ type: a.scopeType, code: a.scopeCode });
        }
      }
      return out.sort((a, b) => ['nation', 'province', 'commune'].indexOf(a.type) - ['nation', 'province', 'commune'].indexOf(b.type));
    }

    async function importPage(req: Request, res: Response, e: ElectionInfo, status = 200, error?: string) {
      const contests = await heldContests(req.scope.em, d.registry, d.pluginStates, e.id);
      const scopes = manageScopes(req, e);
      const names = new Map<string, string>();
      for (const sc of scopes) if (sc.type !== 'nation') names.set(sc.code, (await nodeAt(req.scope.em, e, sc.code, sc.type))?.name ?? sc.code);
      const { page, size, offset } = pageParams(req.query, 20);
      const where = scopes.some((s) => s.type === 'nation') ? '' : `and created_by = ?`;
      const runs = await sql<Record<string, unknown>>(req.scope.em,
        `select id, kind, contest, status, scope_type, scope_code, files->0->>'fileName' as file_name, rows_total, (summary->>'changed')::int as changed,
                (summary->>'noChanges')::boolean as no_changes, (report->>'errorCount')::int as error_count, created_at
           from structure_import_run where election_id = ? ${where} order by created_at desc limit ? offset ?`,
        where ? [e.id, req.scope.actor.id, size, offset] : [e.id, size, offset]);
      const [{ n }] = await sql<{ n: number }>(req.scope.em, `select count(*)::int as n from structure_import_run where election_id = ? ${where}`, where ? [e.id, req.scope.actor.id] : [e.id]);
      const levels = [...new Set(contests.map((c) => c.unitLevel))];
      render(req, res, 'structure/import', {
        election: e, maxMb: MAX_UPLOAD_MB, csrfToken: res.locals.csrfToken ?? '',
        contests: contests.map((c) => ({ id: c.id, label: contestLabel(req, c.id), selected: c.id === str(req.body?.contest) })),
        kinds: IMPORT_KINDS.map((k) => ({ id: k, label: req.scope.t(`structure.import.kind.${k}`), selected: k === str(req.body?.kind) })),
        scopes: scopes.map((s) => ({ value: s.type === 'nation' ? '' : s.code, label: s.type === 'nation' ? req.scope.t('structure.nation') : `${names.get(s.code)} (${s.code})` })),
        templates: TEMPLATE_NAMES.filter((t) => t.kind === 'areas' || levels.includes(t.level)).map((t) => ({ ...t, label: req.scope.t(`structure.template.${t.id}`) })),
        canLoadNa: contests.some((c) => c.id === NA_CONTEST) && (await allowed(req, MANAGE, { type: 'nation', code: NATION, electionId: e.id })),
        runs: runs.map((x) => ({ ...x, contestLabel: x.contest ? contestLabel(req, String(x.contest)) : '' })), page: pager(page, size, n),
      }, { title: req.scope.t('structure.import.title'), nav: 'elections', status, flash: error ? { kind: 'error', text: error } : undefined });
    }

    r.get('/elections/:id/structure/import', async (req, res) => {
      const e = await electionOf(req);
      if (req.scope.actor.kind === 'anonymous') return void res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
      const scopes = manageScopes(req, e);
      // No manage assignment at all: the same denial (audited) as any other refused page.
      if (!scopes.length) await authorize(p, req, MANAGE, { type: 'nation', code: NATION, electionId: e.id });
      await importPage(req, res, e);
    });

    const uploadInput = z.object({
      kind: z.enum(IMPORT_KINDS as [StructureImportKind, ...StructureImportKind[]]),
      contest: z.string().max(60).optional().default(''),
      scope: z.string().regex(/^(\d{2}|\d{5})?$/).optional().default(''),
      _csrf: z.string().optional(),
    }).strict();

    registerMutating(r, 'post', '/elections/:id/structure/import', UPLOAD_ACTION);
    r.post('/elections/:id/structure/import', async (req, res) => {
      const id = String(req.params.id);
      const refuse = async (status: number, key: string, params: Record<string, string | number> = {}, e?: ElectionInfo) => {
        if (req.file?.path) fs.rmSync(req.file.path, { force: true });
        await auditRefusal(req, UPLOAD_ACTION, 'rejected', undefined, { status, key });
        if (!e) throw new AppException(appError(status === 404 ? 'NOT_FOUND' : 'INPUT_INVALID', key, status, params));
        return importPage(req, res, e, status, req.scope.t(key, params));
      };
      if (req.scope.actor.kind === 'anonymous') {
        await auditRefusal(req, UPLOAD_ACTION, 'denied', undefined, { reason: 'anonymous' });
        throw new AppException(appError('AUTH_REQUIRED', 'auth.login_required', 401));
      }
      const e = uuid.safeParse(id).success ? await loadElection(req.scope.em, id) : undefined;
      if (!e) return refuse(404, 'elections.not_found');
      // Structure is open only in the election's early phases (core/elections/phases.ts).
      const gate = await p.formGate?.(req.scope.em, e.id, 'structure');
      if (gate && !gate.open) return refuse(409, 'elections.form_closed', { phase: req.scope.t(gate.phaseKey) }, e);
      try {
        await new Promise<void>((resolve, reject) => upload.single('file')(req, res, (x: unknown) => (x ? reject(x) : resolve())));
      } catch (x) {
        if (x instanceof UploadRefused) return refuse(x.status, x.messageKey, x.params, e);
        if (x instanceof multer.MulterError) return refuse(x.code === 'LIMIT_FILE_SIZE' ? 413 : 400, x.code === 'LIMIT_FILE_SIZE' ? 'structure.import.too_large' : 'structure.import.upload_failed', { mb: MAX_UPLOAD_MB }, e);
        throw x;
      }
      const parsed = uploadInput.safeParse(req.body ?? {});
      if (!parsed.success) return refuse(400, 'structure.import.bad_form', {}, e);
      const { kind, contest: contestId, scope: scopeCode } = parsed.data;
      const contests = await heldContests(req.scope.em, d.registry, d.pluginStates, e.id);
      const contest = contests.find((c) => c.id === contestId);
      if (kind !== 'areas' && !contest) return refuse(400, 'structure.import.contest_required', {}, e);
      // The scope chosen, raised to the level that decides the contest's units (NA: the nation).
      let scope: ImportScope = scopeCode.length === 2 ? { type: 'province', code: scopeCode } : scopeCode.length === 5 ? { type: 'commune', code: scopeCode } : { type: 'nation', code: NATION };
      if (kind !== 'areas' && contest) {
        const lvl = councilLevel(contest);
        if (lvl === 'nation') scope = { type: 'nation', code: NATION };
        else if (lvl === 'province' && scope.type === 'commune') return refuse(400, 'structure.import.scope_level', {}, e);
      }
      await authorize(p, req, MANAGE, { type: scope.type, code: scope.code, electionId: e.id });
      const file = req.file;
      if (!file) return refuse(400, 'structure.import.no_file', {}, e);
      if (file.size === 0) return refuse(400, 'structure.import.empty_file', { file: file.originalname }, e);
      const buf = await fs.promises.readFile(file.path);
      const isZip = buf.length >= 4 && buf.readUInt32BE(0) === 0x504b0304;
      const fmt = formatOf(file.originalname)!;
      if ((fmt === 'xlsx') !== isZip) return refuse(400, 'structure.import.bad_content', { file: file.originalname, ext: '.' + fmt }, e);
      const f: ImportFile = { kind, source: file.path, fileName: file.originalname, size: file.size, sha256: sha256(buf) };
      const out = await req.scope.em.fork().transactional((tx) => recordImportRequest(tx as EntityManager, d.jobs, {
        electionId: e.id, kind, contest: kind === 'areas' ? null : contest!.id, scope, files: [f], createdBy: req.scope.actor.id,
        requestId: req.scope.requestId, ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null,
      }));
      await d.jobs.dispatch(out.jobRunId);
      res.redirect(303, `/elections/${e.id}/structure/imports/${out.runId}`);
    });

    mountAction(r, p, {
      id: 'core.structure.na-reference',
      form: 'structure',
      method: 'post',
      path: '/elections/:id/structure/na-reference',
      permission: MANAGE,
      input: z.object({ id: uuid }).strict(),
      target: (i) => ({ type: 'nation', code: NATION, electionId: i.id }),
      handle: async (i, ctx) => {
        const e = await loadElection(ctx.em, i.id);
        if (!e) return err(appError('NOT_FOUND', 'elections.not_found', 404));
        const contests = await heldContests(ctx.em, d.registry, d.pluginStates, e.id);
        if (!contests.some((c) => c.id === NA_CONTEST)) return err(appError('CONTEST_NOT_HELD', 'structure.import.na_not_held', 400));
        const files = await naReferenceFiles(d.config.referenceDataDir);
        if (!files) return err(appError('REFERENCE_MISSING', 'structure.import.reference_missing', 400, { dir: d.config.referenceDataDir }));
        const out = await recordImportRequest(ctx.em, d.jobs, {
          electionId: e.id, kind: 'na-reference', contest: NA_CONTEST, scope: { type: 'nation', code: NATION }, files, createdBy: ctx.actor.id,
          requestId: ctx.req.scope.requestId, ip: ctx.req.ip ?? null, userAgent: ctx.req.get('user-agent') ?? null,
        }, { audit: false });
        return ok({
          targetType: 'structure_import_run', targetId: out.runId, after: { files: files.map((f) => ({ fileName: f.fileName, sha256: f.sha256 })), jobRunId: out.jobRunId },
          redirect: `/elections/${e.id}/structure/imports/${out.runId}`, json: ctx.req.accepts(['html', 'json']) === 'json' ? { runId: out.runId, jobRunId: out.jobRunId } : undefined,
          status: 202, afterCommit: () => d.jobs.dispatch(out.jobRunId),
        });
      },
    });

    r.get('/elections/:id/structure/imports/:runId', async (req, res) => {
      const e = await electionOf(req);
      const runId = String(req.params.runId);
      if (!uuid.safeParse(runId).success) throw new AppException(appError('NOT_FOUND', 'structure.import.not_found', 404));
      const run = await getRun(req.scope.em, runId);
      if (!run || run.election_id !== e.id) throw new AppException(appError('NOT_FOUND', 'structure.import.not_found', 404));
      // Whoever started it, or anyone who may read the structure of its scope.
      if (run.created_by !== req.scope.actor.id && !(await canView(req, res, { type: run.scope_type as Target['type'], code: run.scope_code, electionId: e.id }))) return;
      const show = (i: FieldIssue) => ({ ...i, message: req.scope.t(i.messageKey, i.params) });
      const errors = (run.report?.errors ?? []).map(show);
      const warnings = (run.report?.warnings ?? []).map(show);
      if (req.accepts(['html', 'json']) === 'json') {
        res.json({ id: run.id, status: run.status, kind: run.kind, contest: run.contest, rowsTotal: run.rows_total, summary: run.summary, errorCount: run.report?.errorCount ?? 0, truncated: run.report?.truncated ?? 0, errors, warnings, jobRunId: run.job_run_id });
        return;
      }
      const { page, size, offset } = pageParams(req.query, PAGE);
      const job = run.status === 'queued' || run.status === 'running' ? (run.job_run_id ? await d.jobs.get(run.job_run_id) : undefined) : undefined;
      const changes = run.summary?.changes as Record<string, { added: number; changed: number; removed: number }> | undefined;
      render(req, res, 'structure/import-report', {
        election: e, run, multi: run.files.length > 1, files: run.files.map((f) => f.fileName).join(', '),
        kindLabel: req.scope.t(`structure.import.kind.${run.kind}`), contestLabel: run.contest ? contestLabel(req, run.contest) : '',
        changeRows: changes ? Object.entries(changes).map(([k, v]) => ({ what: req.scope.t(`structure.import.what.${k}`), ...v })) : [],
        after: run.summary?.after, errors: errors.slice(offset, offset + size), errorTotal: run.report?.errorCount ?? 0,
        page: errors.length > size ? pager(page, size, errors.length) : undefined, warnings: warnings.slice(0, 500), warningTotal: warnings.length,
        truncated: run.report?.truncated ?? 0, job, failedError: run.summary?.error,
      }, { title: req.scope.t('structure.import.report_title'), nav: 'elections' });
    });

    const templateOf = (req: Request) => TEMPLATE_NAMES.find((t) => t.id === str(req.query.template)) ?? TEMPLATE_NAMES[0];
    r.get('/elections/:id/structure/import/template.:ext', async (req, res) => {
      const e = await electionOf(req);
      void e;
      // A blank template is no secret: any signed-in account may download one.
      if (req.scope.actor.kind === 'anonymous') {
        if (req.accepts(['html', 'json']) === 'html') return void res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
        throw new AppException(appError('AUTH_REQUIRED', 'auth.login_required', 401));
      }
      const t = templateOf(req);
      if (req.params.ext === 'csv') res.type('text/csv; charset=utf-8').attachment(`${t.file}.csv`).send(templateCsv(t.kind, t.level));
      else if (req.params.ext === 'xlsx') res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').attachment(`${t.file}.xlsx`).send(await templateXlsx(t.kind, t.level));
      else throw new AppException(appError('NOT_FOUND', 'error.not_found', 404));
    });

    // --- exports -------------------------------------------------------------------------------------------

    r.get('/elections/:id/structure/export/:kind.:ext', async (req, res) => {
      const e = await electionOf(req);
      const kind = String(req.params.kind) as ExportKind;
      const ext = String(req.params.ext);
      if (!EXPORT_KINDS.includes(kind) || !['xlsx', 'csv'].includes(ext)) throw new AppException(appError('NOT_FOUND', 'error.not_found', 404));
      const province = /^\d{2}$/.test(str(req.query.province)) ? str(req.query.province) : undefined;
      const commune = /^\d{5}$/.test(str(req.query.commune)) ? str(req.query.commune) : undefined;
      const target: Target = commune ? { type: 'commune', code: commune, electionId: e.id } : province ? { type: 'province', code: province, electionId: e.id } : { type: 'nation', code: NATION, electionId: e.id };
      if (!(await canView(req, res, target))) return;
      const contests = await heldContests(req.scope.em, d.registry, d.pluginStates, e.id);
      const contest = contests.find((c) => c.id === str(req.query.contest));
      if (kind !== 'areas' && !contest) throw new AppException(appError('INPUT_INVALID', 'structure.export.contest_required', 400));
      await exportStructure(req.scope.em, res, { election: e, kind, contest, province, commune, format: ext as 'xlsx' | 'csv' });
    });

    // --- edits ---------------------------------------------------------------------------------------------

    const optionalText = (max: number) => z.string().trim().max(max).optional().transform((v) => (v ? v : null));
    mountAction(r, p, {
      id: 'core.structure.area.update',
      form: 'structure',
      method: 'post',
      path: '/elections/:id/structure/area/:areaId',
      permission: MANAGE,
      input: z.object({
        id: uuid, areaId: uuid,
        name: z.string().trim().max(300).optional(),
        voters: z.string().trim().regex(/^\d{1,7}$/),
        kind: z.enum(AREA_KINDS),
        kindReason: optionalText(300),
        smallReason: z.union([z.enum(SMALL_REASONS), z.literal('')]).optional().transform((v) => (v ? v : null)),
        votingDate: z.union([z.string().regex(/^\d{4}-\d{2}-\d{2}$/), z.literal('')]).optional().transform((v) => (v ? v : null)),
        approvalRef: optionalText(300),
        opens: z.string().trim().max(8),
        closes: z.string().trim().max(8),
        communeUnit: z.string().trim().regex(/^\d{0,4}$/).optional(),
      }).strict(),
      target: (i) => ({ type: 'polling-area', code: i.areaId, electionId: i.id }),
      handle: async (i, ctx) => {
        const e = await loadElection(ctx.em, i.id);
        const before = e ? await areaById(ctx.em, e, i.areaId) : undefined;
        if (!e || !before) return err(appError('NOT_FOUND', 'structure.area_not_found', 404));
        await sql(ctx.em, 'select pg_advisory_xact_lock(?, hashtext(?))', [0x73747275, e.id]);
        const contests = await heldContests(ctx.em, d.registry, d.pluginStates, e.id);
        const s = await loadStructure(ctx.em, { election: e, contests, provinces: new Set() });
        const node = s.communes.get(before.commune_code);
        if (node) s.communes.set(node.code, node);
        const opens = parseTimeCell(i.opens) ?? i.opens;
        const closes = parseTimeCell(i.closes) ?? i.closes;
        const next: AreaRec = {
          id: before.id, communeCode: before.commune_code, number: before.number, name: i.name || defaultAreaName(before.number), voters: Number(i.voters),
          kind: i.kind, kindReason: i.kindReason, smallReason: i.smallReason, votingDate: i.votingDate === e.electionDay ? null : i.votingDate,
          approvalRef: i.approvalRef, opens, closes,
        };
        const labels = labelsFor(ctx.t, ctx.req.scope.lang);
        const issues = checkArea({ s, labels }, next);
        // The commune-council unit (rule 5): one of the commune's own units.
        const communeContest = contests.find((c) => c.unitLevel === 'commune');
        let communeUnitId: string | undefined | null;
        if (communeContest && i.communeUnit !== undefined) {
          if (i.communeUnit === '') communeUnitId = null;
          else {
            const [u] = await sql<{ id: string }>(ctx.em, `select id from electoral_unit where election_id = ? and contest = ? and parent_code = ? and number = ?`,
              [e.id, communeContest.id, before.commune_code, Number(i.communeUnit)]);
            if (!u) {
              issues.push({ code: 'AREA_UNIT_MAPPING', variant: 'unknown', severity: 'error', target: { type: 'polling-area', code: before.id }, field: 'commune_unit',
                params: { area: before.number, commune: node?.name ?? before.commune_code, contest: labels.contest(communeContest.id), unit: i.communeUnit, own: node?.name ?? before.commune_code } });
            } else communeUnitId = u.id;
          }
        }
        const blocking = issues.filter((x) => STRUCTURE_RULES[x.code].blocksSave);
        if (blocking.length) {
          const fieldOf: Record<string, string> = { voters: 'voters', small_reason: 'smallReason', kind_reason: 'kindReason', approval_ref: 'approvalRef', voting_date: 'votingDate', opens: 'opens', closes: 'closes', commune_unit: 'communeUnit' };
          const details: FieldIssue[] = blocking.map((x) => ({ field: fieldOf[x.field] ?? x.field, code: x.code, messageKey: ruleMessageKey(x.code, x.variant), params: x.params }));
          return err(appError(blocking[0].code, ruleMessageKey(blocking[0].code, blocking[0].variant), 400, blocking[0].params, details));
        }
        await insertAreas(ctx.em, e.id, [next]);
        await bumpRevision(ctx.em, e.id);
        if (communeContest && communeUnitId !== undefined) {
          await exec(ctx.em, `delete from polling_area_unit where polling_area_id = ? and contest = ?`, [before.id, communeContest.id]);
          if (communeUnitId) await exec(ctx.em, `insert into polling_area_unit (polling_area_id, contest, unit_id) values (?, ?, ?)`, [before.id, communeContest.id, communeUnitId]);
        }
        const { units: _u, ...beforeFields } = before;
        return ok({
          targetType: 'polling-area', targetId: before.id, before: beforeFields, after: { ...next, communeUnit: i.communeUnit ?? null },
          redirect: `/elections/${e.id}/structure/area/${before.id}`, flash: ctx.t('structure.area_saved', { n: before.number }),
          json: ctx.req.accepts(['html', 'json']) === 'json' ? { ok: true } : undefined,
        });
      },
    });

    /** The decision-level target of a unit (for the policy); an unknown unit stays a unit target, which is refused. */
    async function unitTarget(em: EntityManager, electionId: string, unitId: string): Promise<Target> {
      const e = await loadElection(em, electionId);
      const u = e ? await unitById(em, e, unitId) : undefined;
      if (!e || !u) return { type: 'electoral-unit', code: unitId, electionId };
      const ct = d.registry.contestType(u.contest);
      if (!ct) return { type: 'electoral-unit', code: unitId, electionId };
      const province = u.parent_level === 'commune' ? (await nodeAt(em, e, u.parent_code, 'commune'))?.parent_code ?? undefined : u.parent_code;
      return decisionTarget({ id: u.contest, unitLevel: ct.unitLevel }, u.parent_code, province, electionId);
    }

    mountAction(r, p, {
      id: 'core.structure.unit.update',
      form: 'structure',
      method: 'post',
      path: '/elections/:id/structure/unit/:unitId',
      permission: MANAGE,
      input: z.object({ id: uuid, unitId: uuid, seats: z.string().trim().regex(/^\d{1,2}$/), name: z.string().trim().max(300).optional() }).strict(),
      target: (i, _req, em) => unitTarget(em, i.id, i.unitId),
      handle: async (i, ctx) => {
        const e = await loadElection(ctx.em, i.id);
        const u = e ? await unitById(ctx.em, e, i.unitId) : undefined;
        if (!e || !u) return err(appError('NOT_FOUND', 'structure.unit_not_found', 404));
        const contests = await heldContests(ctx.em, d.registry, d.pluginStates, e.id);
        const contest = contests.find((c) => c.id === u.contest);
        if (!contest) return err(appError('CONTEST_NOT_HELD', 'structure.import.contest_required', 400));
        const s = await loadStructure(ctx.em, { election: e, contests, provinces: new Set() });
        const next: UnitRec = { id: u.id, contest: u.contest, parentLevel: u.parent_level, parentCode: u.parent_code, number: u.number, seats: Number(i.seats), name: i.name || u.name, description: u.description };
        const issues = checkUnit({ s, labels: labelsFor(ctx.t, ctx.req.scope.lang) }, next, contest).filter((x) => x.code === 'UNIT_SEATS_RANGE');
        if (issues.length) {
          const x = issues[0];
          return err(appError(x.code, ruleMessageKey(x.code, x.variant), 400, x.params, [{ field: 'seats', code: x.code, messageKey: ruleMessageKey(x.code, x.variant), params: x.params }]));
        }
        await exec(ctx.em, `update electoral_unit set seats = ?, name = ?, updated_at = now() where id = ?`, [next.seats, next.name, u.id]);
        await bumpRevision(ctx.em, e.id);
        return ok({
          targetType: 'electoral-unit', targetId: u.id, before: { seats: u.seats, name: u.name }, after: { seats: next.seats, name: next.name },
          redirect: `/elections/${e.id}/structure/unit/${u.id}`, flash: ctx.t('structure.unit_saved', { n: u.number }),
          json: ctx.req.accepts(['html', 'json']) === 'json' ? { ok: true } : undefined,
        });
      },
    });

    mountAction(r, p, {
      id: 'core.structure.council.update',
      form: 'structure',
      method: 'post',
      path: '/elections/:id/structure/council',
      permission: MANAGE,
      input: z.object({ id: uuid, contest: z.string().min(1).max(60), code: z.string().regex(/^(VN|\d{2}|\d{5})$/), size: z.string().trim().regex(/^\d{1,4}$/) }).strict(),
      target: async (i, _req, em) => {
        const ct = d.registry.contestType(i.contest);
        if (!ct) return { type: 'nation', code: NATION, electionId: i.id };
        const e = await loadElection(em, i.id);
        const province = e && i.code.length === 5 ? (await nodeAt(em, e, i.code, 'commune'))?.parent_code ?? undefined : i.code;
        const t = decisionTarget({ id: i.contest, unitLevel: ct.unitLevel }, i.code, province, i.id);
        // A code that is not the council's own level targets a node nobody is scoped to (refused).
        const expected = councilLevel({ id: i.contest, unitLevel: ct.unitLevel });
        const level = i.code === NATION_CODE ? 'nation' : i.code.length === 2 ? 'province' : 'commune';
        return expected === level ? t : { type: 'commune', code: `x${i.code}`, electionId: i.id };
      },
      handle: async (i, ctx) => {
        const e = await loadElection(ctx.em, i.id);
        if (!e) return err(appError('NOT_FOUND', 'elections.not_found', 404));
        const contests = await heldContests(ctx.em, d.registry, d.pluginStates, e.id);
        if (!contests.some((c) => c.id === i.contest)) return err(appError('CONTEST_NOT_HELD', 'structure.import.contest_required', 400));
        const before = await councilSize(ctx.em, e.id, i.contest, i.code);
        await exec(ctx.em, `insert into council (election_id, contest, admin_code, size) values (?, ?, ?, ?)
          on conflict (election_id, contest, admin_code) do update set size = excluded.size, updated_at = now()`, [e.id, i.contest, i.code, Number(i.size)]);
        await bumpRevision(ctx.em, e.id);
        const back = i.code === NATION_CODE ? '' : i.code.length === 2 ? `/${i.code}` : `/commune/${i.code}`;
        return ok({
          targetType: 'council', targetId: councilKey(i.contest, i.code), before: { size: before }, after: { size: Number(i.size) },
          redirect: `/elections/${e.id}/structure${back}`, flash: ctx.t('structure.council_saved'),
          json: ctx.req.accepts(['html', 'json']) === 'json' ? { ok: true } : undefined,
        });
      },
    });

    // --- one unit, one area, one commune, one province --------------------------------------------------------

    r.get('/elections/:id/structure/unit/:unitId', async (req, res) => {
      const e = await electionOf(req);
      const unitId = String(req.params.unitId);
      if (!uuid.safeParse(unitId).success) throw new AppException(appError('NOT_FOUND', 'structure.unit_not_found', 404));
      const u = await unitById(req.scope.em, e, unitId);
      if (!u) throw new AppException(appError('NOT_FOUND', 'structure.unit_not_found', 404));
      if (!(await canView(req, res, { type: 'electoral-unit', code: u.id, electionId: e.id }))) return;
      const parent = await nodeAt(req.scope.em, e, u.parent_code, u.parent_level);
      const q = str(req.query.q).trim().slice(0, 100);
      const cur = sortOf(req, AREA_SORTS);
      const { page, size, offset } = pageParams(req.query, PAGE);
      const areas = await areaRows(req.scope.em, e, { unitId: u.id, q, sort: cur.sort, dir: cur.dir, limit: size, offset });
      const communes = u.parent_level === 'province' ? await unitCommunes(req.scope.em, e, u.id) : [];
      const ct = d.registry.contestType(u.contest);
      const province = u.parent_level === 'province' ? u.parent_code : parent?.parent_code ?? '';
      const canEdit = !!ct && (await allowed(req, MANAGE, decisionTarget({ id: u.contest, unitLevel: ct.unitLevel }, u.parent_code, province, e.id)));
      render(req, res, 'structure/unit', {
        election: e, unit: { ...u, contestLabel: contestLabel(req, u.contest), seatsRange: ct ? `${ct.seats.min}–${ct.seats.max}` : '' },
        customName: u.name !== defaultUnitName(u.number) ? u.name : undefined,
        parent, province, communes, areas: areas.rows.map((a) => areaView(req, a)), areaTotal: areas.total, voters: areas.voters, q,
        page: pager(page, size, areas.total), sorts: sortLinks(req, res, AREA_SORTS, cur), canEdit, csrfToken: res.locals.csrfToken ?? '',
        parentHref: u.parent_level === 'province' ? `/elections/${e.id}/structure/${u.parent_code}` : `/elections/${e.id}/structure/commune/${u.parent_code}`,
      }, { title: `${req.scope.t('structure.unit_label', { n: u.number })} · ${parent?.name ?? u.parent_code}`, nav: 'elections' });
    });

    function areaView(req: Request, a: Awaited<ReturnType<typeof areaRows>>['rows'][number]) {
      return {
        ...a, kindText: kindLabel(req, a.kind), small: a.small_reason ? req.scope.t(`structure.small.${a.small_reason}`) : '',
        defaultName: a.name === defaultAreaName(a.number),
        dateText: a.voting_date ? showDate(a.voting_date, req.scope.lang) : '', hoursDefault: a.opens === '07:00' && a.closes === '19:00',
        unitCells: Object.fromEntries(Object.entries(a.units).map(([c, u]) => [c, u])),
      };
    }

    r.get('/elections/:id/structure/area/:areaId', async (req, res) => {
      const e = await electionOf(req);
      const areaId = String(req.params.areaId);
      if (!uuid.safeParse(areaId).success) throw new AppException(appError('NOT_FOUND', 'structure.area_not_found', 404));
      const a = await areaById(req.scope.em, e, areaId);
      if (!a) throw new AppException(appError('NOT_FOUND', 'structure.area_not_found', 404));
      if (!(await canView(req, res, { type: 'polling-area', code: a.id, electionId: e.id }))) return;
      const commune = await nodeAt(req.scope.em, e, a.commune_code, 'commune');
      const contests = await heldContests(req.scope.em, d.registry, d.pluginStates, e.id);
      const canEdit = await allowed(req, MANAGE, { type: 'polling-area', code: a.id, electionId: e.id });
      const s = await loadStructure(req.scope.em, { election: e, contests, provinces: new Set(commune?.parent_code ? [commune.parent_code] : []) });
      const issues = checkStructure(s, { labels: labelsFor(req.scope.t, req.scope.lang) }).filter((i) => i.target.type === 'polling-area' && i.target.code === a.id);
      const communeContest = contests.find((c) => c.unitLevel === 'commune');
      const councilUnits = communeContest ? await communeUnits(req.scope.em, e, a.commune_code) : [];
      render(req, res, 'structure/area', {
        election: e, area: areaView(req, a), commune, csrfToken: res.locals.csrfToken ?? '', canEdit,
        mapping: contests.map((c) => ({ label: contestLabel(req, c.id), unit: a.units[c.id], href: a.units[c.id] ? `/elections/${e.id}/structure/unit/${a.units[c.id].id}` : '' })),
        kinds: AREA_KINDS.map((k) => ({ value: k, label: kindLabel(req, k), selected: k === a.kind })),
        smalls: SMALL_REASONS.map((k) => ({ value: k, label: req.scope.t(`structure.small.${k}`), selected: k === a.small_reason })),
        communeUnits: councilUnits.map((u) => ({ number: u.number, selected: a.units[u.contest]?.number === u.number })), hasCommuneContest: !!communeContest,
        issues: issues.map((i) => issueView(req, e, i, s)), electionDay: e.electionDay,
      }, { title: `${req.scope.t('structure.area_label', { n: a.number })} · ${commune?.name ?? a.commune_code}`, nav: 'elections' });
    });

    r.get('/elections/:id/structure/commune/:communeCode', async (req, res) => {
      const e = await electionOf(req);
      const code = String(req.params.communeCode);
      if (!/^\d{5}$/.test(code)) throw new AppException(appError('NOT_FOUND', 'structure.not_found', 404));
      const commune = await nodeAt(req.scope.em, e, code, 'commune');
      if (!commune) throw new AppException(appError('NOT_FOUND', 'structure.not_found', 404));
      if (!(await canView(req, res, { type: 'commune', code, electionId: e.id }))) return;
      const contests = await heldContests(req.scope.em, d.registry, d.pluginStates, e.id);
      const q = str(req.query.q).trim().slice(0, 100);
      const cur = sortOf(req, AREA_SORTS);
      const { page, size, offset } = pageParams(req.query, PAGE);
      const areas = await areaRows(req.scope.em, e, { commune: code, q, sort: cur.sort, dir: cur.dir, limit: size, offset });
      const communeContest = contests.find((c) => c.unitLevel === 'commune');
      const units = communeContest ? await communeUnits(req.scope.em, e, code) : [];
      const council = communeContest ? await councilSize(req.scope.em, e.id, communeContest.id, code) : null;
      const check = await checkSummary(req, e, contests, { province: commune.parent_code ?? undefined, commune: code });
      const canEdit = await allowed(req, MANAGE, { type: 'commune', code, electionId: e.id });
      const [{ total: all, voters }] = await sql<{ total: number; voters: string }>(req.scope.em, `select count(*)::int as total, coalesce(sum(voters), 0)::text as voters from polling_area where election_id = ? and commune_code = ?`, [e.id, code]);
      render(req, res, 'structure/commune', {
        election: e, commune, contests: contests.map((c) => ({ id: c.id, label: contestLabel(req, c.id) })),
        areas: areas.rows.map((a) => ({ ...areaView(req, a), cells: contests.map((c) => a.units[c.id] ? { ...a.units[c.id], href: `/elections/${e.id}/structure/unit/${a.units[c.id].id}` } : undefined) })),
        areaTotal: areas.total, allAreas: all, voters: Number(voters), q, page: pager(page, size, areas.total), sorts: sortLinks(req, res, AREA_SORTS, cur),
        councilContest: communeContest ? { id: communeContest.id, label: contestLabel(req, communeContest.id) } : undefined,
        units: units.map((u) => ({ ...u, areaText: compactNumbers(u.areaNumbers) })), council, councilSeats: units.reduce((a, u) => a + u.seats, 0),
        check, canEdit, csrfToken: res.locals.csrfToken ?? '',
      }, { title: commune.name, nav: 'elections' });
    });

    r.get('/elections/:id/structure/:provinceCode', async (req, res, next) => {
      const code = String(req.params.provinceCode);
      if (!/^\d{2}$/.test(code)) return next();
      const e = await electionOf(req);
      const province = await nodeAt(req.scope.em, e, code, 'province');
      if (!province) throw new AppException(appError('NOT_FOUND', 'structure.not_found', 404));
      if (!(await canView(req, res, { type: 'province', code, electionId: e.id }))) return;
      const contests = await heldContests(req.scope.em, d.registry, d.pluginStates, e.id);
      const q = str(req.query.q).trim().slice(0, 100);
      const cur = sortOf(req, COMMUNE_SORTS);
      const { page, size, offset } = pageParams(req.query, PAGE);
      const communeContest = contests.find((c) => c.unitLevel === 'commune');
      const provincial = contests.find((c) => c.unitLevel === 'province' && c.id !== NA_CONTEST);
      const communes = await communeRows(req.scope.em, e, code, { q, sort: cur.sort, dir: cur.dir, limit: size, offset, councilContest: communeContest?.id });
      const units = await provinceUnits(req.scope.em, e, code);
      const check = await checkSummary(req, e, contests, { province: code });
      const communeCodes = [...(await communeProvinces(req.scope.em, e))].filter(([, pc]) => pc === code).map(([c]) => c);
      const [{ areas, voters }] = await sql<{ areas: number; voters: string }>(req.scope.em,
        `select count(*)::int as areas, coalesce(sum(voters), 0)::text as voters from polling_area where election_id = ? and commune_code = any(?::text[])`,
        [e.id, `{${communeCodes.join(',')}}`]);
      const n = communeCodes.length;
      const groups = contests.filter((c) => c.unitLevel === 'province').map((c) => {
        const list = units.filter((u) => u.contest === c.id);
        return {
          id: c.id, label: contestLabel(req, c.id), seats: list.reduce((a, u) => a + u.seats, 0),
          units: list.map((u) => ({ ...u, communeCount: u.communes.length, communesShown: u.communes.slice(0, 40), more: Math.max(0, u.communes.length - 40) })),
        };
      });
      const canEdit = await allowed(req, MANAGE, { type: 'province', code, electionId: e.id });
      render(req, res, 'structure/province', {
        election: e, province, groups, q, areas, voters: Number(voters), communeCount: n,
        council: provincial ? await councilSize(req.scope.em, e.id, provincial.id, code) : null, provincial: provincial ? { id: provincial.id, label: contestLabel(req, provincial.id) } : undefined,
        contestCols: contests.filter((c) => c.unitLevel === 'province').map((c) => ({ id: c.id, label: contestLabel(req, c.id) })),
        communeContest: communeContest ? { id: communeContest.id, label: contestLabel(req, communeContest.id) } : undefined,
        communes: communes.rows.map((c) => ({ ...c, typeText: req.scope.t(`structure.commune_type.${c.type === 'đặc khu' ? 'dac_khu' : c.type === 'phường' ? 'phuong' : 'xa'}`), cells: contests.filter((x) => x.unitLevel === 'province').map((x) => c.unitNo[x.id] ?? null) })),
        total: communes.total, page: pager(page, size, communes.total), sorts: sortLinks(req, res, COMMUNE_SORTS, cur),
        check, canEdit, csrfToken: res.locals.csrfToken ?? '',
      }, { title: province.name, nav: 'elections' });
    });

    return r;
  };
}

/** [1,2,3,5,7,8] → "1–3, 5, 7–8". */
export function compactNumbers(nums: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < nums.length; i++) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j] + 1) j++;
    out.push(j > i ? `${nums[i]}–${nums[j]}` : String(nums[i]));
    i = j;
  }
  return out.join(', ');
}
