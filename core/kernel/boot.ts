// THE composition root: builds every process-wide service once (config, logger, database, ORM, queues, plugins,
// views, HTTP) in one greppable place, binds them in the root inversify container, and registers their disposers
// so stop() shuts down in order. Requests and jobs get child containers (core/http/request-scope.ts).
import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Container } from 'inversify';
import { collectDefaultMetrics, Registry as PromRegistry, Gauge } from 'prom-client';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../../config/config.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { I18n } from '../shared/i18n.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { TOKENS } from './tokens.js';
import { Lifecycle } from './lifecycle.js';
import { CORE_MESSAGES } from './messages.js';
import { INSTALLED_PLUGINS } from './plugins.js';
import type { PluginManifest } from '../plugin-api/index.js';
import type { CoreModule, KernelDeps } from './module.js';
import { startEmbeddedPg } from '../persistence/embedded-pg.js';
import { openOrm, migrateUp } from '../persistence/orm.js';
import { JobRouter } from '../jobs/job-router.js';
import { JobService } from '../jobs/job.service.js';
import { BullmqTransport } from '../jobs/bullmq-transport.js';
import { InProcessTransport } from '../jobs/in-process-transport.js';
import { producerConnection, workerConnection, ready } from '../jobs/redis.js';
import type { JobTransport } from '../jobs/job-types.js';
import { PluginRegistry } from '../plugin-host/registry.js';
import { CORE_RULES } from '../elections/count-minutes/rules.js';
import { countMinutesMessages } from '../elections/count-minutes/messages.js';
import { PluginStateService } from '../plugin-host/plugin-state.service.js';
import { ViewEngine } from '../views/view-engine.js';
import { CORE_TEMPLATES, VIEWS_DIR } from '../../views/templates.js';
import { createApp, PUBLIC_DIR } from '../http/app.js';
import { coreRoutes, pluginMenu } from '../http/core.routes.js';
import { createAdminTreeModule } from '../admin-tree/admin-tree.module.js';
import { createReportsModule } from '../reports/reports.module.js';
import { createQueueBoardModule } from '../jobs/queue-board.routes.js';
import { createAuditModule } from '../audit/audit.module.js';
import { createAccessModule } from '../auth/auth.module.js';
import { createStructureModule } from '../elections/structure/structure.module.js';
import { createBodiesModule } from '../elections/bodies/bodies.module.js';
import { createCountMinutesModule } from '../elections/count-minutes/count-minutes.module.js';
import { createTurnoutModule } from '../elections/turnout/turnout.module.js';
import { createCandidatesModule } from '../elections/candidates/candidates.module.js';
import { createCandidateListsModule } from '../elections/candidates/lists.module.js';
import { createElectionsModule } from '../elections/elections.module.js';
import { FileStore } from '../files/file-store.js';
import { createFilesModule } from '../files/files.module.js';
import { createApiModule } from '../http/api.module.js';
import { createResultsModule } from '../elections/results/results.module.js';
import { sql } from '../persistence/db.js';
import type { Redis } from 'ioredis';

export interface BootOptions {
  logger?: Logger;
  clock?: Clock;
  /** The plugin set (tests add a plugin of their own); default INSTALLED_PLUGINS. */
  plugins?: readonly PluginManifest[];
}

export interface BaucuApp {
  container: Container;
  config: Config;
  orm: MikroORM;
  jobs: JobService;
  plugins: PluginRegistry;
  log: Logger;
  /** Base URL of the web server (ROLE all|web), e.g. http://127.0.0.1:3000. */
  url?: string;
  server?: http.Server;
  stop(): Promise<void>;
}

export async function boot(config: Config, opts: BootOptions = {}): Promise<BaucuApp> {
  const t0 = Date.now();
  const log = opts.logger ?? createLogger(config);
  const clock = opts.clock ?? systemClock;
  const lifecycle = new Lifecycle(log);
  const runsWeb = config.role !== 'worker';
  const runsWorker = config.role !== 'web';
  try {
    // Database: a real PostgreSQL when DATABASE_URL is set, otherwise an embedded one under DATA_DIR.
    let dbUrl = config.databaseUrl;
    let poolMax = config.dbPoolMax;
    if (!dbUrl) {
      const embedded = await startEmbeddedPg(config.dataDir, log);
      lifecycle.onStop('database', 'embedded-pg', () => embedded.stop());
      dbUrl = embedded.url;
      poolMax = 1;
    }
    const orm = await openOrm({ url: dbUrl, schema: config.databaseSchema, poolMax, log });
    lifecycle.onStop('orm', 'orm', () => orm.close(true));
    const applied = await migrateUp(orm);
    if (applied.length) log.info({ applied }, 'migrations applied');

    // i18n, plugins (validated graph; refuses to boot on a conflict).
    const i18n = new I18n();
    i18n.add('core', CORE_MESSAGES);
    i18n.add('count-minutes', countMinutesMessages);
    const plugins = PluginRegistry.build(opts.plugins ?? INSTALLED_PLUGINS, { i18n, coreRules: CORE_RULES });

    // Jobs: BullMQ when REDIS_URL is set, otherwise in-process through the same interface.
    let transport: JobTransport;
    let sessionRedis: Redis | undefined;
    if (config.redisUrl) {
      const producer = producerConnection(config.redisUrl, log);
      await ready(producer);
      sessionRedis = producerConnection(config.redisUrl, log);
      await ready(sessionRedis);
      const workerConns: Redis[] = [];
      transport = new BullmqTransport(producer, () => {
        const c = workerConnection(config.redisUrl!, log);
        workerConns.push(c);
        return c;
      }, config.queuePrefix, log);
      lifecycle.onStop('workers', 'bullmq-worker', () => transport.closeWorker());
      lifecycle.onStop('queues', 'bullmq-queue', () => transport.close());
      lifecycle.onStop('redis', 'redis', async () => {
        for (const c of workerConns) c.disconnect();
        await sessionRedis!.quit().catch(() => sessionRedis!.disconnect());
        await producer.quit().catch(() => producer.disconnect());
      });
      log.info({ prefix: config.queuePrefix }, 'Tác vụ nền chạy qua BullMQ + Redis / jobs run through BullMQ + Redis');
    } else {
      transport = new InProcessTransport(log);
      lifecycle.onStop('workers', 'in-process-worker', () => transport.closeWorker());
      lifecycle.onStop('queues', 'in-process-queue', () => transport.close());
      log.info('Không có REDIS_URL: tác vụ nền chạy trong tiến trình / no REDIS_URL: jobs run in-process');
    }
    const router = new JobRouter();
    const jobs = new JobService(orm, transport, router, log);
    const pluginStates = new PluginStateService(orm, plugins, jobs, i18n, log);

    let views: ViewEngine | undefined;
    const deps: KernelDeps = {
      config, log, orm, jobs, i18n, clock, lifecycle, runsWeb, runsWorker,
      views: () => {
        if (!views) throw new Error('views not ready');
        return views;
      },
      access: undefined as unknown as KernelDeps['access'],
      files: new FileStore(`${config.dataDir}/files`, log),
    };
    const access = createAccessModule(deps, plugins, pluginStates, sessionRedis);
    deps.access = { policy: access.policy, scopes: access.scopes, pipeline: access.pipeline, withinLimit: (k, l, w) => access.auth.withinLimit(k, l, w) };

    // Core modules, in an explicit list.
    const adminTree = createAdminTreeModule(deps);
    // One module per line: a new module is one added line (and one import above).
    const modules: CoreModule[] = [
      access,
      adminTree,
      createElectionsModule(deps, pluginStates),
      createStructureModule(deps, plugins, pluginStates),
      createBodiesModule(deps, plugins),
      createCountMinutesModule(deps, plugins, pluginStates),
      createTurnoutModule(deps, plugins),
      createCandidatesModule(deps, plugins),
      createCandidateListsModule(deps, plugins),
      createReportsModule(deps, plugins),
      createResultsModule(deps, plugins),
      createAuditModule(deps),
      createFilesModule(deps),
      createApiModule(deps),
      createQueueBoardModule(deps, transport instanceof BullmqTransport ? transport.rawQueue : undefined),
    ];
    for (const m of modules) {
      if (m.messages) i18n.add(m.id, m.messages);
      for (const [name, h] of Object.entries(m.jobs ?? {})) router.register('core', name, h);
    }
    // Plugin jobs run with a PluginContext; the job handler never sees the kernel.
    for (const [name, { pluginId, def }] of plugins.jobs()) {
      router.register(pluginId, name, async (payload, ctx) =>
        def.handle(payload, {
          pluginId,
          electionId: (payload as { electionId?: string })?.electionId,
          lang: 'vi',
          t: (k, p) => i18n.t('vi', k, p),
          now: () => clock.now(),
          log: ctx.log,
          sql: (q, p) => sql(ctx.em, q, p),
          settings: {},
          progress: ctx.progress,
        }),
      );
    }

    views = new ViewEngine({ viewsDir: VIEWS_DIR, ...CORE_TEMPLATES, i18n, pluginViews: plugins.viewsDirs() });

    // Metrics registry per app (tests boot several apps in one process).
    const metrics = new PromRegistry();
    collectDefaultMetrics({ register: metrics, prefix: 'baucu_' });
    new Gauge({
      name: 'baucu_jobs', help: 'Jobs by state', labelNames: ['state'], registers: [metrics],
      async collect() {
        try {
          const c = await jobs.counts();
          for (const [k, v] of Object.entries(c)) this.set({ state: k }, v);
        } catch {
          /* queue unavailable: no sample */
        }
      },
    });

    const container = new Container();
    container.bind(TOKENS.Config).toConstantValue(config);
    container.bind(TOKENS.Logger).toConstantValue(log);
    container.bind(TOKENS.Clock).toConstantValue(clock);
    container.bind(TOKENS.Orm).toConstantValue(orm);
    container.bind(TOKENS.I18n).toConstantValue(i18n);
    container.bind(TOKENS.Views).toConstantValue(views);
    container.bind(TOKENS.Plugins).toConstantValue(plugins);
    container.bind(TOKENS.PluginStates).toConstantValue(pluginStates);
    container.bind(TOKENS.JobRouter).toConstantValue(router);
    container.bind(TOKENS.Jobs).toConstantValue(jobs);
    container.bind(TOKENS.Metrics).toConstantValue(metrics);
    container.bind(TOKENS.Lifecycle).toConstantValue(lifecycle);
    jobs.useContainer(container);

    if (runsWorker) {
      await jobs.startWorker(config.workerConcurrency);
      await jobs.recover();
      await pluginStates.syncAllSchedules();
    }
    for (const m of modules) await m.start?.();

    let server: http.Server | undefined;
    let url: string | undefined;
    if (runsWeb) {
      const app = createApp({
        container, config, log, orm, i18n, views, publicDir: PUBLIC_DIR,
        menu: pluginMenu(plugins, pluginStates),
        beforeRoutes: access.middleware,
        routers: [
          coreRoutes({ config, orm, jobs, plugins, pluginStates, metrics, embeddedDb: !config.databaseUrl, log, i18n, views, treeCounts: adminTree.treeCounts, access: deps.access }),
          ...modules.filter((m) => m.routes).map((m) => m.routes!),
        ],
      });
      server = http.createServer(app);
      server.keepAliveTimeout = 5000;
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(config.port, config.host, () => resolve());
      });
      const addr = server.address() as AddressInfo;
      url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${addr.port}`;
      lifecycle.onStop('http', 'http-server', () => new Promise<void>((resolve) => {
        server!.close(() => resolve());
        server!.closeIdleConnections();
        setTimeout(() => server!.closeAllConnections(), 10_000).unref();
      }));
      log.info({ url, ms: Date.now() - t0 }, `baucu đang chạy tại ${url} / listening`);
    } else {
      log.info({ ms: Date.now() - t0 }, 'worker started');
    }

    return { container, config, orm, jobs, plugins, log, url, server, stop: () => lifecycle.stop() };
  } catch (e) {
    await lifecycle.stop();
    throw e;
  }
}
