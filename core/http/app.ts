// The Express application: security headers (strict CSP, no inline scripts), compression, static assets, request
// ids and logs, request scope, core and plugin routes, and ONE error boundary that never shows a stack trace.
import path from 'node:path';
import express, { type Request, type Response, type NextFunction, type Router, type RequestHandler } from 'express';
import helmet from 'helmet';
import compression from 'compression';
import { pinoHttp } from 'pino-http';
import type { Container } from 'inversify';
import type { MikroORM } from '@mikro-orm/postgresql';
import { TOKENS } from '../kernel/tokens.js';
import type { Config } from '../../config/config.js';
import type { Logger } from '../shared/logger.js';
import type { I18n } from '../shared/i18n.js';
import { shortId } from '../shared/ids.js';
import { AppException } from '../shared/result.js';
import type { ViewEngine } from '../views/view-engine.js';
import { requestScope } from './request-scope.js';
import { renderPage, type Render } from './render.js';

export interface HttpDeps {
  container: Container;
  config: Config;
  log: Logger;
  orm: MikroORM;
  i18n: I18n;
  views: ViewEngine;
  publicDir: string;
  /** Route factories, in mount order (core modules, then plugin routes). */
  routers: ((render: Render) => Router)[];
  /** Middleware after the request scope and before the routes (session, CSRF, forced password change). */
  beforeRoutes?: RequestHandler[];
  /** Menu entries for the current request (plugin menus depend on the election and state). */
  menu?: (req: Request) => Promise<{ href: string; titleKey: string }[]>;
}

export function createApp(d: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const render = renderPage(d.views, d.config.version);

  app.use(
    pinoHttp({
      logger: d.log,
      genReqId: (req, res) => {
        const id = shortId();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
      serializers: { req: (r) => ({ id: r.id, method: r.method, url: r.url }), res: (r) => ({ statusCode: r.statusCode }) },
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'font-src': ["'self'"],
          'form-action': ["'self'"],
          'frame-ancestors': ["'none'"],
          'base-uri': ["'self'"],
          'object-src': ["'none'"],
        },
      },
      crossOriginEmbedderPolicy: false,
      // 'no-referrer' would make browsers send "Origin: null" on our own form posts; same-origin keeps the check exact.
      referrerPolicy: { policy: 'same-origin' },
    }),
  );
  app.use(compression());
  app.use('/static', express.static(d.publicDir, { maxAge: '1h', fallthrough: false, index: false }));
  app.use(express.urlencoded({ extended: false, limit: '1mb' }));
  app.use(express.json({ limit: '1mb' }));
  app.use(requestScope(d.container, d.orm, d.i18n));
  for (const m of d.beforeRoutes ?? []) app.use(m);
  if (d.menu) {
    app.use(async (req, res, next) => {
      res.locals.pluginMenu = await d.menu!(req);
      next();
    });
  }
  for (const r of d.routers) app.use(r(render));

  app.use((req: Request, res: Response) => {
    const t = (k: string) => d.i18n.t(req.scope?.lang ?? 'vi', k);
    if (wantsJson(req)) {
      res.status(404).json({ error: { code: 'NOT_FOUND', message: t('error.not_found') } });
      return;
    }
    render(req, res, 'errors/error', { message: t('error.not_found'), code: 404 }, { status: 404, title: t('error.title') });
  });

  // The error boundary: a Vietnamese (or English) message and an error id for people, a code for machines,
  // details only in the log.
  app.use((e: unknown, req: Request, res: Response, _next: NextFunction) => {
    const lang = req.scope?.lang ?? 'vi';
    const t = (k: string, p?: Record<string, unknown>) => d.i18n.t(lang, k, p);
    let status = 500;
    let code = 'INTERNAL';
    let message = t('error.internal');
    let details: unknown;
    const errorId = String(req.id ?? shortId());
    const anyE = e as { status?: number; statusCode?: number; type?: string };
    if (e instanceof AppException) {
      status = e.appError.status ?? 400;
      code = e.appError.code;
      message = t(e.appError.messageKey, e.appError.params);
      details = e.appError.details?.map((x) => ({ ...x, message: t(x.messageKey, x.params) }));
    } else if (anyE?.type === 'entity.too.large') {
      status = 413; code = 'PAYLOAD_TOO_LARGE'; message = t('error.payload_too_large');
    } else if (anyE?.type === 'entity.parse.failed' || anyE?.status === 400 || anyE?.statusCode === 400) {
      status = 400; code = 'BAD_REQUEST'; message = t('error.bad_request');
    } else if (anyE?.status === 415 || anyE?.type === 'encoding.unsupported') {
      status = 415; code = 'UNSUPPORTED_MEDIA_TYPE'; message = t('error.unsupported_media');
    } else if (anyE?.status === 404 || anyE?.statusCode === 404) {
      status = 404; code = 'NOT_FOUND'; message = t('error.not_found');
    }
    if (status >= 500) d.log.error({ err: e, errorId, url: req.originalUrl }, 'request failed');
    else d.log.info({ code, errorId, url: req.originalUrl }, 'request rejected');
    if (res.headersSent) return;
    if (wantsJson(req)) {
      res.status(status).json({ error: { code, message, errorId, details } });
      return;
    }
    try {
      render(req, res, 'errors/error', { message, code: status, errorId, details }, { status, title: t('error.title') });
    } catch {
      res.status(status).type('text').send(`${message}\n${t('error.error_id')}: ${errorId}`);
    }
  });
  return app;
}

function wantsJson(req: Request): boolean {
  return req.path.startsWith('/api/') || req.path === '/healthz' || (req.accepts(['html', 'json']) === 'json');
}

export const PUBLIC_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../public');
export { TOKENS };
