// Pages and API of the administrative tree: the provinces with counts (/tree), a province's communes
// (/tree/:provinceCode), accent-free search, the "as of" date, the upload form and import reports, the templates,
// and GET /api/v1/tree/search for type-ahead. Handlers stay thin: queries in tree.queries.ts, imports in import.service.ts.
import fs from 'node:fs';
import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../../config/config.js';
import type { Render } from '../http/render.js';
import { pageParams, pager } from '../http/render.js';
import type { JobService } from '../jobs/job.service.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { Lang } from '../shared/i18n.js';
import type { FieldIssue } from '../shared/result.js';
import { AppException, appError } from '../shared/result.js';
import { newId } from '../shared/ids.js';
import { sql } from '../persistence/db.js';
import { isIsoDate, COMMUNE_TYPES, type ImportKind } from './import-format.js';
import { formatOf } from './tree-file.js';
import { getImportRun, requestImport, sha256, treeCountsAt, REFERENCE_EFFECTIVE_DATE } from './import.service.js';
import { templateCsv, templateXlsx, TEMPLATE_FILE_NAMES } from './import-template.js';
import {
  changeDates, communeCountsOf, electionDays, provinceSummaries, searchUnits, unitAt, unitHistory, vnToday,
  PROVINCE_SORTS, UNIT_SORTS, type SortDir,
} from './tree.queries.js';
import type { AdminType } from './admin-unit.entity.js';
import type { KernelDeps } from '../kernel/module.js';
import { authorize, auditRefusal, guard, registerMutating } from '../http/endpoint.js';

export interface TreeRouteDeps {
  config: Config;
  orm: MikroORM;
  jobs: JobService;
  clock: Clock;
  log: Logger;
  access: KernelDeps['access'];
}

const NATION_TARGET = { type: 'nation' as const, code: 'VN' };
const IMPORT_REQUEST_ACTION = 'core.admin-tree.import-request';

export const MAX_UPLOAD_MB = 20;
const PAGE_SIZE = 50;
const uuid = z.string().uuid();
const KINDS: ImportKind[] = ['communes', 'provinces', 'amendments'];

/** Message-key suffix of each unit type (keys stay ASCII). */
const TYPE_KEY: Record<AdminType, string> = { 'quốc gia': 'quoc_gia', 'tỉnh': 'tinh', 'thành phố': 'thanh_pho', 'xã': 'xa', 'phường': 'phuong', 'đặc khu': 'dac_khu' };

/** A user-facing refusal of an upload, shown on the form. */
class UploadRefused extends Error {
  constructor(readonly messageKey: string, readonly params: Record<string, string | number> = {}, readonly status = 400) {
    super(messageKey);
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** ISO date → dd/mm/yyyy in Vietnamese, as-is in English (ISO reads well). */
export function showDate(iso: string, lang: Lang): string {
  if (lang !== 'vi' || !isIsoDate(iso)) return iso;
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}

export function adminTreeRoutes(d: TreeRouteDeps) {
  const uploadsDir = path.join(d.config.dataDir, 'uploads');
  fs.mkdirSync(uploadsDir, { recursive: true });
  const upload = multer({
    storage: multer.diskStorage({ destination: uploadsDir, filename: (_req, _f, cb) => cb(null, newId()) }),
    limits: { fileSize: MAX_UPLOAD_MB * 1024 * 1024, files: 1, fields: 10, parts: 12 },
    fileFilter: (_req, file, cb) => {
      if (!formatOf(file.originalname)) cb(new UploadRefused('tree.import.bad_type', { file: file.originalname }, 415));
      else cb(null, true);
    },
    // File names arrive as UTF-8 from browsers ("danh sách xã.csv"); multer's default reads them as latin1.
    defParamCharset: 'utf8',
  } as multer.Options);

  return (render: Render): Router => {
    const r = Router();

    /** The "as of" date from ?asOf=, defaulting to today in Vietnam. */
    function asOfOf(req: Request): { asOf: string; invalid?: string; today: string } {
      const today = vnToday(d.clock);
      const raw = str(req.query.asOf).trim();
      if (!raw) return { asOf: today, today };
      if (isIsoDate(raw)) return { asOf: raw, today };
      return { asOf: today, invalid: raw.slice(0, 30), today };
    }

    function sortOf<T extends string>(req: Request, allowed: readonly T[]): { sort: T; dir: SortDir } {
      const s = str(req.query.sort) as T;
      return { sort: allowed.includes(s) ? s : allowed[0], dir: req.query.dir === 'desc' ? 'desc' : 'asc' };
    }

    /** Column header links: clicking the sorted column flips the direction; page resets to 1. */
    function sortLinks(req: Request, res: Response, cols: readonly string[], cur: { sort: string; dir: SortDir }) {
      const base = { ...(res.locals.query as Record<string, unknown>) };
      delete base.page;
      const out: Record<string, { href: string; aria: string; arrow: string }> = {};
      for (const c of cols) {
        const active = cur.sort === c;
        const dir = active && cur.dir === 'asc' ? 'desc' : 'asc';
        const p = new URLSearchParams();
        for (const [k, v] of Object.entries({ ...base, sort: c, dir })) if (v !== undefined && v !== '') p.set(k, String(v));
        out[c] = { href: `${req.path}?${p}`, aria: active ? (cur.dir === 'asc' ? 'ascending' : 'descending') : 'none', arrow: active ? (cur.dir === 'asc' ? '▲' : '▼') : '' };
      }
      return out;
    }

    async function shortcuts(req: Request, asOf: string, today: string) {
      const lang = req.scope.lang;
      const qBase = (date: string) => {
        const p = new URLSearchParams();
        if (typeof req.query.q === 'string' && req.query.q) p.set('q', req.query.q);
        if (typeof req.query.type === 'string' && req.query.type) p.set('type', req.query.type);
        p.set('asOf', date);
        return `${req.path}?${p}`;
      };
      const list: { href: string; label: string; current: boolean }[] = [
        { href: qBase(today), label: req.scope.t('tree.as_of_today'), current: asOf === today },
      ];
      for (const e of await electionDays(req.scope.em)) {
        list.push({ href: qBase(e.day), label: `${req.scope.t('tree.as_of_election', { name: e.name })} (${showDate(e.day, lang)})`, current: asOf === e.day });
      }
      for (const c of await changeDates(req.scope.em)) {
        list.push({ href: qBase(c), label: req.scope.t('tree.as_of_change', { date: showDate(c, lang) }), current: asOf === c });
      }
      return list;
    }

    const typeLabel = (req: Request, t: string) => req.scope.t(`tree.type.${TYPE_KEY[t as AdminType] ?? t}`);

    r.get('/tree', async (req, res) => {
      const { asOf, invalid, today } = asOfOf(req);
      const q = str(req.query.q).trim().slice(0, 100);
      const { page, size, offset } = pageParams(req.query, PAGE_SIZE);
      const totals = await treeCountsAt(req.scope.em, asOf);
      const data: Record<string, unknown> = {
        asOf, asOfText: showDate(asOf, req.scope.lang), q, totals, shortcuts: await shortcuts(req, asOf, today),
      };
      if (q) {
        const cur = sortOf(req, UNIT_SORTS);
        const { rows, total } = await searchUnits(req.scope.em, { q, asOf, sort: cur.sort, dir: cur.dir, limit: size, offset });
        Object.assign(data, {
          results: rows.map((u) => ({ ...u, typeText: typeLabel(req, u.type), href: unitHref(u, asOf) })),
          resultsTotal: total, page: pager(page, size, total), sorts: sortLinks(req, res, UNIT_SORTS, cur),
        });
      } else {
        const cur = sortOf(req, PROVINCE_SORTS);
        const { rows, total } = await provinceSummaries(req.scope.em, asOf, cur.sort, cur.dir, size, offset);
        Object.assign(data, {
          provinces: rows.map((p) => ({ ...p, typeText: typeLabel(req, p.type) })),
          page: pager(page, size, total), sorts: sortLinks(req, res, PROVINCE_SORTS, cur),
        });
      }
      render(req, res, 'tree/index', data, {
        title: req.scope.t('tree.title'), nav: 'tree',
        flash: invalid ? { kind: 'error', text: req.scope.t('tree.as_of_invalid', { value: invalid }) } : undefined,
      });
    });

    r.get('/api/v1/tree/search', async (req, res) => {
      const { asOf, invalid } = asOfOf(req);
      if (invalid) throw new AppException(appError('BAD_DATE', 'tree.as_of_bad', 400, { value: invalid }));
      const q = str(req.query.q).trim().slice(0, 100);
      const limit = Math.max(1, Math.min(50, parseInt(str(req.query.limit), 10) || 10));
      const province = /^\d{2}$/.test(str(req.query.province)) ? str(req.query.province) : undefined;
      if (!q) {
        res.json({ asOf, q, total: 0, items: [] });
        return;
      }
      const { rows, total } = await searchUnits(req.scope.em, { q, asOf, province, sort: 'name', dir: 'asc', limit, offset: 0 });
      res.json({
        asOf, q, total,
        items: rows.map((u) => ({
          code: u.code, name: u.name, type: u.type, level: u.level, parentCode: u.parent_code, parentName: u.parent_name,
          href: unitHref(u, asOf),
        })),
      });
    });

    // --- import ---------------------------------------------------------------------------------------------

    async function importPage(req: Request, res: Response, status = 200, error?: string) {
      if (error) await auditRefusal(req, IMPORT_REQUEST_ACTION, 'rejected', NATION_TARGET, { status });
      const { page, size, offset } = pageParams(req.query, 20);
      const em = req.scope.em;
      const runs = await sql<Record<string, unknown>>(
        em,
        `select id, kind, status, summary->>'fileName' as file_name, rows_total, (summary->>'changed')::int as changed,
                (summary->>'noChanges')::boolean as no_changes, (report->>'errorCount')::int as error_count, created_at, created_by
           from import_run order by created_at desc limit ? offset ?`,
        [size, offset],
      );
      const [{ n }] = await sql<{ n: number }>(em, 'select count(*)::int as n from import_run');
      render(req, res, 'tree/import', {
        runs, page: pager(page, size, n), maxMb: MAX_UPLOAD_MB, defaultDate: REFERENCE_EFFECTIVE_DATE,
        effectiveDate: str(req.body?.effectiveDate) || REFERENCE_EFFECTIVE_DATE, csrfToken: res.locals.csrfToken ?? '',
      }, { title: req.scope.t('tree.import.title'), nav: 'tree', status, flash: error ? { kind: 'error', text: error } : undefined });
    }

    // Browsing and search are public reference data; importing is for system administrators only.
    const importGuard = guard(d.access.pipeline, 'core.tree.import', () => NATION_TARGET);
    r.get('/tree/import', importGuard, (req, res) => importPage(req, res));

    registerMutating(r, 'post', '/tree/import', IMPORT_REQUEST_ACTION);
    r.post('/tree/import', async (req, res) => {
      await authorize(d.access.pipeline, req, 'core.tree.import', NATION_TARGET);
      try {
        await new Promise<void>((resolve, reject) => upload.single('file')(req, res, (e: unknown) => (e ? reject(e) : resolve())));
      } catch (e) {
        if (req.file?.path) fs.rmSync(req.file.path, { force: true });
        if (e instanceof UploadRefused) return importPage(req, res, e.status, req.scope.t(e.messageKey, e.params));
        if (e instanceof multer.MulterError) {
          const tooLarge = e.code === 'LIMIT_FILE_SIZE';
          return importPage(req, res, tooLarge ? 413 : 400, req.scope.t(tooLarge ? 'tree.import.too_large' : 'tree.import.upload_failed', { mb: MAX_UPLOAD_MB }));
        }
        throw e;
      }
      const file = req.file;
      if (!file) return importPage(req, res, 400, req.scope.t('tree.import.no_file'));
      const refuse = (key: string, params: Record<string, string | number> = {}) => {
        fs.rmSync(file.path, { force: true });
        return importPage(req, res, 400, req.scope.t(key, params));
      };
      const effectiveDate = str(req.body?.effectiveDate).trim() || REFERENCE_EFFECTIVE_DATE;
      if (!isIsoDate(effectiveDate)) return refuse('tree.import.bad_date');
      if (file.size === 0) return refuse('tree.import.empty_file', { file: file.originalname });
      const buf = await fs.promises.readFile(file.path);
      const isZip = buf.length >= 4 && buf.readUInt32BE(0) === 0x504b0304;
      const fmt = formatOf(file.originalname)!;
      if ((fmt === 'xlsx') !== isZip) return refuse('tree.import.bad_content', { file: file.originalname, ext: '.' + fmt });
      const { jobRunId } = await requestImport(d.orm, d.jobs, {
        source: file.path, fileName: file.originalname, size: file.size, sha256: sha256(buf), effectiveDate,
        createdBy: req.scope.actor.id, requestId: req.scope.requestId, ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null,
      });
      res.redirect(303, `/jobs/${jobRunId}`);
    });

    const kindOf = (req: Request): ImportKind => (KINDS.includes(req.query.kind as ImportKind) ? (req.query.kind as ImportKind) : 'communes');

    r.get('/tree/import/template.csv', importGuard, (req, res) => {
      const kind = kindOf(req);
      res.type('text/csv; charset=utf-8').attachment(`${TEMPLATE_FILE_NAMES[kind]}.csv`).send(templateCsv(kind));
    });

    r.get('/tree/import/template.xlsx', importGuard, async (req, res) => {
      const kind = kindOf(req);
      res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').attachment(`${TEMPLATE_FILE_NAMES[kind]}.xlsx`).send(await templateXlsx(kind));
    });

    r.get('/tree/imports/:id', importGuard, async (req, res) => {
      const id = String(req.params.id);
      if (!uuid.safeParse(id).success) throw new AppException(appError('NOT_FOUND', 'tree.import.not_found', 404));
      const run = await getImportRun(req.scope.em, id);
      if (!run) throw new AppException(appError('NOT_FOUND', 'tree.import.not_found', 404));
      const lang = req.scope.lang;
      const show = (i: FieldIssue) => ({ ...i, message: req.scope.t(i.messageKey, localParams(i.params, lang)) });
      const errors = (run.report?.errors ?? []).map(show);
      const warnings = (run.report?.warnings ?? []).map(show);
      if (req.accepts(['html', 'json']) === 'json') {
        const { declared: _d, then: _t, ...summary } = run.summary ?? {};
        res.json({
          id: run.id, status: run.status, kind: run.kind, effectiveDate: run.effective_date, rowsTotal: run.rows_total, rowsOk: run.rows_ok,
          summary, errorCount: run.report?.errorCount ?? 0, truncated: run.report?.truncated ?? 0, errors, warnings, jobRunId: run.job_run_id,
        });
        return;
      }
      const { page, size, offset } = pageParams(req.query, PAGE_SIZE);
      const job = run.status === 'queued' || run.status === 'running' ? (run.job_run_id ? await d.jobs.get(run.job_run_id) : undefined) : undefined;
      const changes = run.summary?.changes;
      render(req, res, 'tree/import-report', {
        run,
        fileName: run.summary?.fileName ?? path.basename(run.source),
        summary: run.summary,
        changeRows: changes ? (['province', 'commune', 'nation'] as const).map((l) => ({ level: l, ...changes[l] })) : [],
        tree: run.summary?.tree,
        treeDate: run.summary?.tree ? showDate(run.summary.tree.after.date, lang) : undefined,
        effectiveText: run.effective_date ? showDate(run.effective_date, lang) : '',
        datesText: (run.summary?.dates ?? []).map((x) => showDate(x, lang)).join(', '),
        errors: errors.slice(offset, offset + size),
        errorTotal: run.report?.errorCount ?? errors.length,
        page: errors.length > size ? pager(page, size, errors.length) : undefined,
        warnings: warnings.slice(0, 500),
        warningTotal: warnings.length,
        truncated: run.report?.truncated ?? 0,
        job,
        failedError: run.summary?.error,
      }, { title: req.scope.t('import.report.title'), nav: 'tree' });
    });

    // --- one province ---------------------------------------------------------------------------------------

    r.get('/tree/:provinceCode', async (req, res) => {
      const code = String(req.params.provinceCode);
      const { asOf, invalid, today } = asOfOf(req);
      if (!/^\d{2}$/.test(code)) throw new AppException(appError('NOT_FOUND', 'error.not_found', 404));
      const province = await unitAt(req.scope.em, code, asOf);
      if (!province || province.level !== 'province') {
        throw new AppException(appError('NOT_FOUND', 'tree.not_found', 404, { code, date: showDate(asOf, req.scope.lang) }));
      }
      const q = str(req.query.q).trim().slice(0, 100);
      const type = (COMMUNE_TYPES as string[]).includes(str(req.query.type)) ? (str(req.query.type) as AdminType) : undefined;
      const cur = sortOf(req, UNIT_SORTS);
      const { page, size, offset } = pageParams(req.query, PAGE_SIZE);
      const { rows, total } = await searchUnits(req.scope.em, { q, asOf, province: code, type, sort: cur.sort, dir: cur.dir, limit: size, offset });
      const counts = await communeCountsOf(req.scope.em, code, asOf);
      const history = (await unitHistory(req.scope.em, code)).map((h) => ({
        ...h, typeText: typeLabel(req, h.type),
        range: h.valid_to
          ? req.scope.t('tree.history_range', { from: showDate(h.valid_from, req.scope.lang), to: showDate(h.valid_to, req.scope.lang) })
          : req.scope.t('tree.history_from', { from: showDate(h.valid_from, req.scope.lang) }),
      }));
      render(req, res, 'tree/province', {
        province: { ...province, typeText: typeLabel(req, province.type) },
        asOf, asOfText: showDate(asOf, req.scope.lang), q, type, counts,
        types: COMMUNE_TYPES.map((t) => ({ value: t, label: typeLabel(req, t), selected: t === type })),
        communes: rows.map((u) => ({ ...u, typeText: typeLabel(req, u.type) })),
        total, page: pager(page, size, total), sorts: sortLinks(req, res, UNIT_SORTS, cur),
        shortcuts: await shortcuts(req, asOf, today),
        history: history.length > 1 ? history : undefined,
      }, {
        title: province.name, nav: 'tree',
        flash: invalid ? { kind: 'error', text: req.scope.t('tree.as_of_invalid', { value: invalid }) } : undefined,
      });
    });

    return r;
  };
}

/** A province opens its page; a commune opens its province's page filtered to its code. */
function unitHref(u: { level: string; code: string; parent_code: string | null }, asOf: string): string {
  return u.level === 'province' ? `/tree/${u.code}?asOf=${asOf}` : `/tree/${u.parent_code}?q=${u.code}&asOf=${asOf}`;
}

/** Dates in issue parameters read as dd/mm/yyyy in Vietnamese. */
function localParams(p: Record<string, string | number> | undefined, lang: Lang): Record<string, string | number> | undefined {
  if (!p) return p;
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(p)) out[k] = typeof v === 'string' && (k === 'date' || k === 'from') ? showDate(v, lang) : v;
  return out;
}
