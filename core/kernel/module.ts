// The shape of a core module (admin tree, reports, …) as the composition root wires it: its messages, its job
// handlers (`core.<module>.<job>`), its routes, and start/stop hooks.
import type { Router, Request } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../../config/config.js';
import type { Logger } from '../shared/logger.js';
import type { I18n, Catalogue } from '../shared/i18n.js';
import type { Clock } from '../shared/clock.js';
import type { JobHandler } from '../jobs/job-types.js';
import type { JobService } from '../jobs/job.service.js';
import type { Render } from '../http/render.js';
import type { Lifecycle } from './lifecycle.js';
import type { ViewEngine } from '../views/view-engine.js';
import type { Policy, ScopeResolver } from '../auth/policy.js';
import type { PipelineDeps } from '../http/endpoint.js';
import type { FileStore } from '../files/file-store.js';

export interface KernelDeps {
  config: Config;
  log: Logger;
  orm: MikroORM;
  jobs: JobService;
  i18n: I18n;
  clock: Clock;
  lifecycle: Lifecycle;
  /** The view engine, available once templates are compiled (routes and jobs run after that). */
  views(): ViewEngine;
  /** True in processes that run the worker (ROLE all or worker). */
  runsWorker: boolean;
  runsWeb: boolean;
  /** Authorisation: the single policy, the scope resolver (modules register unit/area resolvers) and the endpoint pipeline. */
  access: {
    policy: Policy; scopes: ScopeResolver; pipeline: PipelineDeps;
    /** A rate limit shared by the web processes (the sign-in counters' store): counts one attempt under the key. */
    withinLimit(key: string, limit: number, windowMs: number): Promise<boolean>;
  };
  /** Uploaded documents and scans under DATA_DIR/files (core/files/file-store.ts). */
  files: FileStore;
}

export interface CoreModule {
  id: string;
  messages?: Catalogue;
  /** Job handlers by full name (`core.<module>.<job>`). */
  jobs?: Record<string, JobHandler>;
  routes?: (render: Render) => Router;
  /** After the database is migrated and the worker (if any) runs. */
  start?(): Promise<void>;
}

/** Home-page counts the admin tree module provides. */
export type TreeCounts = (req: Request) => Promise<{ provinces: number; communes: number }>;
