// Core pages and endpoints: home, /healthz, /metrics, background jobs (progress, failures, schedules), and the
// mounting of plugin routes behind the enabled-per-election guard. Elections and their plugin switches live in
// core/elections (elections.routes.ts).
import { Router, type Request, type Response, type NextFunction } from 'express';
import { z } from 'zod';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Registry as PromRegistry } from 'prom-client';
import type { Config } from '../../config/config.js';
import type { Render } from './render.js';
import { pageParams, pager } from './render.js';
import type { JobService } from '../jobs/job.service.js';
import type { PluginRegistry } from '../plugin-host/registry.js';
import type { PluginStateService } from '../plugin-host/plugin-state.service.js';
import { sql } from '../persistence/db.js';
import { AppException, appError } from '../shared/result.js';
import type { Logger } from '../shared/logger.js';
import type { I18n } from '../shared/i18n.js';
import type { PluginRequestContext, PluginResponse } from '../plugin-api/index.js';
import type { ViewEngine } from '../views/view-engine.js';
import type { KernelDeps } from '../kernel/module.js';
import { guard, authorize } from './endpoint.js';
import { NATION } from '../auth/policy.js';

export interface CoreRouteDeps {
  config: Config;
  orm: MikroORM;
  jobs: JobService;
  plugins: PluginRegistry;
  pluginStates: PluginStateService;
  metrics: PromRegistry;
  embeddedDb: boolean;
  log: Logger;
  i18n: I18n;
  views: ViewEngine;
  /** Counts shown on the home page (the admin tree module provides them). */
  treeCounts(req: Request): Promise<{ provinces: number; communes: number }>;
  access: KernelDeps['access'];
}

const uuid = z.string().uuid();

export function coreRoutes(d: CoreRouteDeps) {
  return (render: Render): Router => {
    const r = Router();
    const nation = () => ({ type: 'nation' as const, code: NATION });
    const p = d.access.pipeline;

    r.get('/', async (req, res) => {
      const counts = await d.treeCounts(req);
      const [importing] = await sql(req.scope.em, `select id, progress_done, progress_total, status from job_run where name = 'core.admin-tree.import' and status in ('queued','running') order by created_at desc limit 1`);
      render(req, res, 'home', {
        counts,
        importing,
        plugins: d.plugins.plugins(),
        embeddedDb: d.embeddedDb,
        jobsInProcess: d.jobs.transportKind === 'in-process',
      }, { title: req.scope.t('home.title') });
    });

    r.get('/healthz', async (_req, res) => {
      const started = Date.now();
      let database = 'ok';
      try {
        await d.orm.em.fork().getConnection().execute('select 1');
      } catch {
        database = 'down';
      }
      const redis = d.jobs.transportKind === 'bullmq' ? ((await d.jobs.ping()) ? 'ok' : 'down') : 'not-configured';
      let queues: Record<string, number> | string = 'unavailable';
      try {
        queues = await d.jobs.counts();
      } catch {
        /* reported as unavailable */
      }
      const status = database === 'ok' && redis !== 'down' ? 'ok' : 'degraded';
      res.status(status === 'ok' ? 200 : 503).json({
        status,
        version: d.config.version,
        role: d.config.role,
        database: { status: database, embedded: d.embeddedDb },
        redis,
        jobs: d.jobs.transportKind,
        queues,
        plugins: d.plugins.plugins().map((p) => ({ id: p.id, version: p.version })),
        ms: Date.now() - started,
      });
    });

    r.get('/metrics', async (_req, res) => {
      res.type(d.metrics.contentType).send(await d.metrics.metrics());
    });

    r.get('/jobs', guard(p, 'core.jobs.view', nation), async (req, res) => {
      const { page, size, offset } = pageParams(req.query);
      const status = req.query.status === 'failed' ? 'failed' : undefined;
      const { rows, total } = await d.jobs.list(size, offset, status);
      const schedules = await d.jobs.listSchedules();
      render(req, res, 'jobs/index', { jobs: rows, page: pager(page, size, total), onlyFailed: !!status, schedules }, { title: req.scope.t('jobs.title'), nav: 'jobs' });
    });

    r.get('/jobs/:id', async (req, res) => {
      if (!uuid.safeParse(req.params.id).success) throw new AppException(appError('NOT_FOUND', 'jobs.not_found', 404));
      const job = await d.jobs.get(req.params.id);
      if (!job) throw new AppException(appError('NOT_FOUND', 'jobs.not_found', 404));
      // Everyone sees the jobs they started; the jobs overview permission sees all.
      if (job.created_by !== req.scope.actor.id) {
        await authorize(p, req, 'core.jobs.view', nation());
      }
      if (req.accepts(['html', 'json']) === 'json') {
        res.json({ id: job.id, name: job.name, status: job.status, done: job.progress_done, total: job.progress_total, error: job.error, result: job.result });
        return;
      }
      render(req, res, 'jobs/show', { job, resultJson: job.result ? JSON.stringify(job.result, null, 2) : '' }, { title: req.scope.t('jobs.title'), nav: 'jobs' });
    });

    // Plugin routes: /elections/:id/p/:pluginId/<path>, refused (404) while the plugin is disabled for the election.
    for (const plugin of d.plugins.plugins()) {
      for (const route of d.plugins.routes(plugin.id)) {
        const full = `/elections/:electionId/p/${plugin.id}${route.path === '/' ? '' : route.path}`;
        const handler = async (req: Request, res: Response, next: NextFunction) => {
          const electionId = String(req.params.electionId);
          if (!uuid.safeParse(electionId).success) throw new AppException(appError('NOT_FOUND', 'elections.not_found', 404));
          if (!(await d.pluginStates.isEnabled(req.scope.em, electionId, plugin.id))) {
            throw new AppException(appError('PLUGIN_DISABLED', 'error.plugin_disabled', 404));
          }
          const tgt = route.target?.({ params: req.params as Record<string, string>, query: req.query as Record<string, string | undefined> }) ?? nation();
          await authorize(p, req, route.permission, { ...tgt, electionId });
          const settings = await d.pluginStates.settings(req.scope.em, electionId, plugin.id);
          const ctx: PluginRequestContext = {
            pluginId: plugin.id,
            electionId,
            lang: req.scope.lang,
            t: req.scope.t,
            now: () => new Date(),
            log: d.log.child({ plugin: plugin.id }),
            sql: (q, params) => sql(req.scope.em, q, params),
            settings,
            params: req.params as Record<string, string>,
            query: req.query as Record<string, string | undefined>,
            body: req.body,
          };
          const out: PluginResponse = await route.handle(ctx);
          if ('redirect' in out) res.redirect(303, out.redirect);
          else if ('json' in out) res.status(out.status ?? 200).json(out.json);
          else render(req, res, out.view, { ...(out.data ?? {}), electionId }, { title: out.title });
          void next;
        };
        if (route.method === 'get') r.get(full, handler);
        else r.post(full, handler);
      }
    }

    return r;
  };
}

/** Plugin menu entries for requests inside an election where the plugin is enabled. */
export function pluginMenu(plugins: PluginRegistry, states: PluginStateService) {
  return async (req: Request): Promise<{ href: string; titleKey: string }[]> => {
    const m = /^\/elections\/([0-9a-f-]{36})(?:\/|$)/.exec(req.path);
    // A caller that prefers JSON (API clients, fetch from the pages) gets no page, so no menu.
    if (!m || req.accepts(['html', 'json']) === 'json') return [];
    const electionId = m[1];
    const items: { href: string; titleKey: string }[] = [];
    const enabled = await states.enabledPlugins(req.scope.em, electionId);
    for (const p of plugins.plugins()) {
      if (!enabled.has(p.id)) continue;
      for (const mi of plugins.menu(p.id)) items.push({ href: `/elections/${electionId}/p/${p.id}${mi.path === '/' ? '' : mi.path}`, titleKey: mi.titleKey });
    }
    return items;
  };
}
