// Per-request scope: a child container holding the request's forked EntityManager, its id, language and actor.
// Anything touching the EntityManager or the actor is resolved from here, never from a singleton.
import type { Request, Response, NextFunction } from 'express';
import { Container } from 'inversify';
import { RequestContext, type MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { TOKENS } from '../kernel/tokens.js';
import type { I18n, Lang } from '../shared/i18n.js';
import { LANGS } from '../shared/i18n.js';

import { ANONYMOUS, type Actor } from '../auth/actor.js';
import type { SessionData } from '../auth/session-store.js';
export type { Actor };

export interface RequestScope {
  container: Container;
  em: EntityManager;
  requestId: string;
  lang: Lang;
  actor: Actor;
  /** The server-side session, if any (set by the auth middleware). */
  session?: { sid: string; data: SessionData };
  t(key: string, params?: Record<string, unknown>): string;
}

declare module 'express-serve-static-core' {
  interface Request {
    scope: RequestScope;
    id: string | number | object;
  }
}

/** Resolves the UI language: ?lang= (remembered in a cookie), then the cookie, then Vietnamese. */
export function resolveLang(req: Request, res: Response): Lang {
  const q = typeof req.query.lang === 'string' ? req.query.lang : undefined;
  if (q && (LANGS as string[]).includes(q)) {
    res.cookie('lang', q, { httpOnly: true, sameSite: 'lax', maxAge: 365 * 86400_000 });
    return q as Lang;
  }
  const c = /(?:^|;\s*)lang=(vi|en)/.exec(req.headers.cookie ?? '')?.[1];
  return (c as Lang) ?? 'vi';
}

export function requestScope(root: Container, orm: MikroORM, i18n: I18n) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const em = orm.em.fork() as EntityManager;
    const lang = resolveLang(req, res);
    const requestId = String(req.id);
    // The child container is built when something first resolves from it (most requests never do: a container
    // and its bindings per request were a measurable share of a write's CPU).
    let container: Container | undefined;
    const scope: RequestScope = {
      get container() {
        if (!container) {
          container = new Container({ parent: root });
          container.bind(TOKENS.EntityManager).toConstantValue(em);
          container.bind(TOKENS.RequestInfo).toConstantValue(scope);
        }
        return container;
      },
      em,
      requestId,
      lang,
      actor: ANONYMOUS,
      t: (key, params) => i18n.t(lang, key, params),
    };
    req.scope = scope;
    res.locals.lang = lang;
    res.locals.requestId = requestId;
    res.locals.query = { ...(req.query as Record<string, unknown>) };
    delete (res.locals.query as Record<string, unknown>).lang;
    RequestContext.create(em, next);
  };
}
