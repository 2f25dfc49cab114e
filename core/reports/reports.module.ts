// Reports module: the process's browser pool (one Chromium, launched on the first render, closed in the 'browser'
// phase), the report renderer, the core.reports.* jobs and the download centre routes.
import type { CoreModule, KernelDeps } from '../kernel/module.js';
import { BrowserPool } from './browser-pool.js';
import { ReportRenderer } from './render.service.js';
import { REPORT_MESSAGES } from './messages.js';
import { PROVINCE_COMMUNES_JOB, provinceCommunesJob } from './province-communes.report.js';
import { reportsRoutes } from './reports.routes.js';

/** Reused pages per process. The worker runs WORKER_CONCURRENCY jobs; PDF jobs beyond this wait for a page. */
export const BROWSER_POOL_SIZE = 3;

export interface ReportsModule extends CoreModule {
  pool: BrowserPool;
  renderer: ReportRenderer;
}

export function createReportsModule(d: KernelDeps): ReportsModule {
  const log = d.log.child({ module: 'reports' });
  const pool = new BrowserPool({ chromePath: d.config.chromePath, size: BROWSER_POOL_SIZE, log });
  d.lifecycle.onStop('browser', 'chromium', () => pool.close());
  // Templates and the print stylesheet are read here, at boot: a missing file stops the boot, not a job.
  const renderer = new ReportRenderer({ pool, i18n: d.i18n, log, clock: d.clock, dataDir: d.config.dataDir });
  return {
    id: 'reports',
    messages: REPORT_MESSAGES,
    jobs: { [PROVINCE_COMMUNES_JOB]: provinceCommunesJob({ renderer, i18n: d.i18n, clock: d.clock }) },
    routes: reportsRoutes({ jobs: d.jobs, renderer, clock: d.clock, pipeline: d.access.pipeline }),
    pool,
    renderer,
  };
}
