// Reports module: the process's browser pool (one Chromium, launched on the first render, closed in the 'browser'
// phase), the report renderer, the report registry (core's reports and every plugin's), the generic job
// core.reports.generate, and the routes: download centre, requests, downloads, and the public check page /v/:code.
import { Router } from 'express';
import type { CoreModule, KernelDeps } from '../kernel/module.js';
import type { PluginRegistry } from '../plugin-host/registry.js';
import { CORE_OWNER } from '../plugin-host/registry.js';
import { BrowserPool } from './browser-pool.js';
import { ReportRenderer } from './render.service.js';
import { REPORT_MESSAGES } from './messages.js';
import { GENERATE_JOB, ReportRegistry, generateJob, type GenerateJobDeps } from './report-engine.js';
import { PROVINCE_COMMUNES_JOB, provinceCommunesAliasJob, provinceCommunesReport } from './province-communes.report.js';
import { reportsRoutes } from './reports.routes.js';
import { formReports } from './forms/forms.reports.js';
import { FORM_MESSAGES } from './forms/messages.js';
import { communeSummaryReport } from './forms/commune-summary.report.js';
import { BATCH_ITEM_JOB, BATCH_JOB, BATCH_ZIP_JOB, batchItemJob, batchJob, batchZipJob } from './batch.js';
import { BATCH_CHUNK_JOB, batchChunkJob } from './batch.js';
import { batchRoutes } from './batch.routes.js';
import { SCHEDULED_JOB, scheduledJob, syncSchedules } from './schedules.js';
import { scheduleRoutes } from './schedules.routes.js';
import { dashboardRoutes } from './dashboards.routes.js';
import { verifyRoutes } from './verify.routes.js';

/** Reused pages per process. The worker runs WORKER_CONCURRENCY jobs; PDF jobs beyond this wait for a page. */
export const BROWSER_POOL_SIZE = 3;

export interface ReportsModule extends CoreModule {
  pool: BrowserPool;
  renderer: ReportRenderer;
  registry: ReportRegistry;
}

export function createReportsModule(d: KernelDeps, plugins?: PluginRegistry): ReportsModule {
  const log = d.log.child({ module: 'reports' });
  const pool = new BrowserPool({ chromePath: d.config.chromePath, size: BROWSER_POOL_SIZE, log });
  d.lifecycle.onStop('browser', 'chromium', () => pool.close());
  // Templates and the print stylesheet are read here, at boot: a missing file stops the boot, not a job.
  const renderer = new ReportRenderer({ pool, i18n: d.i18n, log, clock: d.clock, dataDir: d.config.dataDir });

  // Core's reports, in an explicit list; then the plugins' (their templates are registered with the renderer).
  const registry = new ReportRegistry();
  registry.register(CORE_OWNER, provinceCommunesReport(), communeSummaryReport(), ...formReports());
  if (plugins) registry.addPlugins(plugins, renderer);
  registry.checkTemplates(renderer);

  const engine: GenerateJobDeps = { registry, renderer, i18n: d.i18n, clock: d.clock, scopes: d.access.scopes, publicBaseUrl: d.config.publicBaseUrl };
  const reports = reportsRoutes({ jobs: d.jobs, renderer, registry, i18n: d.i18n, clock: d.clock, pipeline: d.access.pipeline });
  const verify = verifyRoutes({ withinLimit: (key, limit, windowMs) => d.access.withinLimit(key, limit, windowMs) });
  // Mounted before the request route POST /reports/:reportId, which would otherwise take /reports/batches.
  const batches = batchRoutes({ jobs: d.jobs, registry, pipeline: d.access.pipeline, scopes: d.access.scopes });
  const schedules = scheduleRoutes({ jobs: d.jobs, registry, pipeline: d.access.pipeline, scopes: d.access.scopes, clock: d.clock, timeZone: d.config.scheduleTimezone });
  return {
    id: 'reports',
    messages: { vi: { ...REPORT_MESSAGES.vi, ...FORM_MESSAGES.vi }, en: { ...REPORT_MESSAGES.en, ...FORM_MESSAGES.en } },
    jobs: {
      [GENERATE_JOB]: generateJob(engine),
      [PROVINCE_COMMUNES_JOB]: provinceCommunesAliasJob(engine),
      [BATCH_JOB]: batchJob(d.jobs),
      [BATCH_ITEM_JOB]: batchItemJob(d.jobs, engine),
      [BATCH_CHUNK_JOB]: batchChunkJob(d.jobs, engine),
      [BATCH_ZIP_JOB]: batchZipJob(d.config.dataDir),
      [SCHEDULED_JOB]: scheduledJob(engine),
    },
    // In-process timers do not survive a restart, and a BullMQ upsert is idempotent: arm every active schedule.
    start: async () => {
      if (d.runsWorker) await syncSchedules(d.orm.em.fork(), d.jobs, log, d.config.scheduleTimezone);
    },
    routes: (render) => Router().use(batches(render), schedules(render), dashboardRoutes({ pipeline: d.access.pipeline })(render), reports(render), verify(render)),
    pool,
    renderer,
    registry,
  };
}
