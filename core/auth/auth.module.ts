// Identity module: builds the session store (Redis or PostgreSQL), the counters, the auth service, the policy and the
// endpoint pipeline; contributes the session/CSRF middleware, the sign-in and account routes, and on first start
// (outside tests) an initial administrator with a one-time password.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import type { CoreModule, KernelDeps } from '../kernel/module.js';
import type { PluginRegistry } from '../plugin-host/registry.js';
import type { PluginStateService } from '../plugin-host/plugin-state.service.js';
import { AuthService } from './auth.service.js';
import { PgSessionStore, RedisSessionStore, MemoryCounter, RedisCounter } from './session-store.js';
import { Policy, ScopeResolver, type PermissionInfo } from './policy.js';
import { CORE_PERMISSIONS, ROLE_IDS } from './roles.js';
import { AUTH_MESSAGES } from './messages.js';
import { authRoutes } from './auth.routes.js';
import { usersRoutes } from './users.routes.js';
import { tokensRoutes } from './tokens.routes.js';
import { UsersService } from './users.service.js';
import { Router } from 'express';
import type { PipelineDeps } from '../http/endpoint.js';
import { sql } from '../persistence/db.js';
import { recordAudit } from '../audit/audit.service.js';
import { hashPassword, generateOneTimePassword } from './password.js';
import { newId } from '../shared/ids.js';
import { collationKey, searchKey } from '../shared/vn-text.js';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface AccessModule extends CoreModule {
  auth: AuthService;
  policy: Policy;
  scopes: ScopeResolver;
  pipeline: PipelineDeps;
  middleware: RequestHandler[];
}

/** SESSION_SECRET, or a random one kept in DATA_DIR so sessions survive restarts of a development machine. */
function sessionSecret(d: KernelDeps): Buffer {
  if (d.config.sessionSecret) return Buffer.from(d.config.sessionSecret);
  const file = path.join(d.config.dataDir, 'session-secret');
  try {
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
  } catch {
    const s = randomBytes(32);
    fs.mkdirSync(d.config.dataDir, { recursive: true });
    fs.writeFileSync(file, s.toString('hex'), { mode: 0o600 });
    d.log.warn({ file }, 'SESSION_SECRET chưa đặt: dùng khóa sinh ngẫu nhiên lưu trong DATA_DIR / SESSION_SECRET not set: using a generated key');
    return s;
  }
}

export function createAccessModule(d: KernelDeps, registry: PluginRegistry, states: PluginStateService, redis: Redis | undefined): AccessModule {
  registry.registerCore({ permissions: CORE_PERMISSIONS });
  const perms = new Map<string, PermissionInfo>(registry.permissions().map((p) => [p.id, { id: p.id, owner: p.owner, roles: p.roles, unscoped: p.unscoped, stepUp: p.stepUp }]));
  const scopes = new ScopeResolver();
  const policy = new Policy((id) => perms.get(id), scopes, (em, e, p) => states.isEnabled(em, e, p));
  const store = redis ? new RedisSessionStore(redis, d.config.queuePrefix) : new PgSessionStore(d.orm);
  const counter = redis ? new RedisCounter(redis, d.config.queuePrefix) : new MemoryCounter();
  const auth = new AuthService(d.orm, store, counter, sessionSecret(d), d.clock, d.log);
  const pipeline: PipelineDeps = {
    policy,
    stepUpFresh: (a) => auth.stepUpFresh(a),
    flash: (req, text) => auth.updateSession(req, { flash: { kind: 'ok', text } }),
  };
  const forcePasswordChange: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    if (req.scope.actor.mustChangePassword && req.method === 'GET' && !req.path.startsWith('/auth/') && !req.path.startsWith('/static/') && req.path !== '/healthz') {
      res.redirect(303, '/auth/password');
      return;
    }
    next();
  };
  void ROLE_IDS;
  return {
    id: 'auth',
    messages: AUTH_MESSAGES,
    auth,
    policy,
    scopes,
    pipeline,
    middleware: [auth.middleware(), forcePasswordChange, auth.csrfMiddleware()],
    routes: (render) => {
      const r = Router();
      r.use(authRoutes(auth)(render));
      r.use(tokensRoutes({ pipeline, auth })(render));
      r.use(usersRoutes({ pipeline, auth, users: new UsersService(policy), dataDir: d.config.dataDir })(render));
      return r;
    },
    async start() {
      if (d.config.nodeEnv === 'test' || !d.runsWeb) return;
      await createInitialAdmin(d);
    },
  };
}

/** First start: one system administrator with a one-time password (forced change and 2FA enrolment at sign-in). */
async function createInitialAdmin(d: KernelDeps): Promise<void> {
  const em = d.orm.em.fork();
  const [{ n }] = await sql<{ n: string }>(em, 'select count(*)::text as n from app_user');
  if (Number(n) > 0) return;
  const password = generateOneTimePassword();
  const id = newId();
  const hash = await hashPassword(password);
  await em.transactional(async (tx) => {
    const t = tx as EntityManager;
    await sql(t, `insert into app_user (id, username, full_name, search_key, sort_key, password_hash, must_change_password) values (?, 'admin', 'Quản trị hệ thống', ?, ?, ?, true)`,
      [id, searchKey('Quản trị hệ thống'), collationKey('Quản trị hệ thống'), hash]);
    await sql(t, `insert into role_assignment (id, user_id, role, scope_type, scope_code) values (?, ?, 'system-admin', 'nation', 'VN')`, [newId(), id]);
    await recordAudit(t, { actor: 'system', action: 'core.users.create', targetType: 'user', targetId: id, after: { username: 'admin', role: 'system-admin' }, result: 'success' });
  });
  const file = path.join(d.config.dataDir, 'initial-admin.txt');
  fs.mkdirSync(d.config.dataDir, { recursive: true });
  fs.writeFileSync(file, `username: admin\none-time password: ${password}\n`, { mode: 0o600 });
  d.log.warn({ file }, `Tài khoản quản trị đầu tiên: admin / ${password} — đổi mật khẩu khi đăng nhập lần đầu / initial administrator created`);
}
