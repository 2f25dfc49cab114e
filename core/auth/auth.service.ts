// Authentication: server-side sessions (idle 30 min, absolute 12 h, id renewed at login and at 2FA), CSRF tokens
// bound to the session, login with constant-shaped failures, progressive delay and lockout, per-IP rate limit,
// TOTP second factor with single-use codes and recovery codes, step-up, API tokens.
import { createHmac, randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { Request, Response, NextFunction } from 'express';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql, exec, prepared } from '../persistence/db.js';
import { recordAudit } from '../audit/audit.service.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { AppException, appError } from '../shared/result.js';
import { ANONYMOUS, type Actor } from './actor.js';
import type { Assignment } from './policy.js';
import type { Counter, SessionData, SessionStore, SessionStage } from './session-store.js';
import { dummyHash, verifyPassword } from './password.js';
import { verifyTotp, hashRecoveryCode } from './totp.js';
import { roleDef } from './roles.js';
import { markAudited } from './audit-mark.js';
import { auditRefusal } from '../http/endpoint.js';

export const IDLE_TIMEOUT_MS = 30 * 60_000;
export const ABSOLUTE_TIMEOUT_MS = 12 * 3600_000;
export const STEP_UP_MAX_AGE_MS = 5 * 60_000;
export const LOCK_AFTER_FAILURES = 5;
export const LOCK_MS = 15 * 60_000;
/** Failed sign-ins allowed per IP within IP_WINDOW_MS before 429. */
export const IP_LIMIT = 30;
export const IP_WINDOW_MS = 5 * 60_000;
const COOKIE = 'baucu_sid';
const PRE_COOKIE = 'baucu_pre';

export interface UserRow {
  id: string;
  username: string;
  full_name: string;
  status: 'active' | 'disabled' | 'expired';
  expires_at: Date | null;
  password_hash: string;
  must_change_password: boolean;
  failed_logins: number;
  locked_until: Date | null;
  totp_secret: string | null;
  totp_enabled: boolean;
  totp_last_step: string;
  recovery_codes: string[];
}

export type LoginOutcome =
  | { ok: true; stage: SessionStage; userId: string }
  | { ok: false; reason: 'invalid' | 'locked' | 'rate-limited' | 'disabled' };

export class AuthService {
  constructor(
    private readonly orm: MikroORM,
    readonly store: SessionStore,
    private readonly counter: Counter,
    private readonly secret: Buffer,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    // Compute the dummy hash now, so the first unknown-user sign-in is not slower than a wrong password.
    void dummyHash();
  }

  // ---------------------------------------------------------------- sessions

  private cookieOptions(req: Request) {
    return { httpOnly: true, sameSite: 'lax' as const, secure: req.secure, path: '/' };
  }

  /** Loads the session and the actor; ends sessions past their idle or absolute timeout, or of disabled users. */
  middleware() {
    return async (req: Request, res: Response, next: NextFunction) => {
      const sid = readCookie(req, COOKIE);
      if (sid) {
        const data = await this.store.get(sid);
        const now = this.clock.now().getTime();
        if (data && now - data.lastSeen <= IDLE_TIMEOUT_MS && now - data.createdAt <= ABSOLUTE_TIMEOUT_MS) {
          const user = await this.loadActiveUser(req.scope.em, data.userId, true);
          if (user) {
            if (now - data.lastSeen > 30_000) {
              data.lastSeen = now;
              await this.store.set(sid, data, this.ttl(data));
            }
            req.scope.session = { sid, data };
            if (data.stage === 'authenticated' || data.stage === 'needs-password-change') {
              req.scope.actor = {
                id: user.id, kind: 'user', username: user.username, fullName: user.full_name,
                assignments: user.assignments ?? await this.assignments(req.scope.em, user.id), sessionId: sid,
                secondFactorAt: data.secondFactorAt, mustChangePassword: user.must_change_password,
              };
            }
          } else {
            await this.store.destroy(sid);
          }
        } else if (data) {
          await this.store.destroy(sid);
        }
      }
      // API tokens for machine clients: Authorization: Bearer <token>, same policy, no cookies (so no CSRF).
      const auth = req.get('authorization');
      if (!req.scope.session && auth?.startsWith('Bearer ')) {
        const actor = await this.actorFromToken(req.scope.em, auth.slice(7).trim());
        if (!actor) {
          res.status(401).json({ error: { code: 'INVALID_TOKEN', message: req.scope.t('auth.invalid_token') } });
          return;
        }
        req.scope.actor = actor;
      }
      res.locals.actor = req.scope.actor.kind === 'anonymous' ? undefined : req.scope.actor;
      res.locals.csrfToken = this.csrfToken(req, res);
      if (req.scope.session?.data.flash) {
        res.locals.flash = req.scope.session.data.flash;
        delete req.scope.session.data.flash;
        await this.store.set(req.scope.session.sid, req.scope.session.data, this.ttl(req.scope.session.data));
      }
      next();
    };
  }

  private ttl(d: SessionData): number {
    const now = this.clock.now().getTime();
    return Math.max(1000, Math.min(d.lastSeen + IDLE_TIMEOUT_MS, d.createdAt + ABSOLUTE_TIMEOUT_MS) - now);
  }

  /** Starts a new session (always a new id: no fixation) and sets the cookie. */
  async startSession(req: Request, res: Response, userId: string, stage: SessionStage, secondFactor: boolean): Promise<string> {
    if (req.scope.session) await this.store.destroy(req.scope.session.sid);
    const sid = randomBytes(32).toString('base64url');
    const now = this.clock.now().getTime();
    const data: SessionData = { userId, stage, createdAt: now, lastSeen: now, ip: req.ip, ua: req.get('user-agent')?.slice(0, 200), secondFactorAt: secondFactor ? now : undefined };
    await this.store.set(sid, data, this.ttl(data));
    res.cookie(COOKIE, sid, this.cookieOptions(req));
    req.scope.session = { sid, data };
    return sid;
  }

  /** Renews the session id keeping its data (after the second factor). */
  async renewSession(req: Request, res: Response, patch: Partial<SessionData>): Promise<void> {
    const cur = req.scope.session;
    if (!cur) throw new Error('no session');
    await this.store.destroy(cur.sid);
    const sid = randomBytes(32).toString('base64url');
    const data = { ...cur.data, ...patch, lastSeen: this.clock.now().getTime() };
    await this.store.set(sid, data, this.ttl(data));
    res.cookie(COOKIE, sid, this.cookieOptions(req));
    req.scope.session = { sid, data };
  }

  async updateSession(req: Request, patch: Partial<SessionData>): Promise<void> {
    const cur = req.scope.session;
    if (!cur) return;
    Object.assign(cur.data, patch);
    await this.store.set(cur.sid, cur.data, this.ttl(cur.data));
  }

  async logout(req: Request, res: Response): Promise<void> {
    if (req.scope.session) await this.store.destroy(req.scope.session.sid);
    res.clearCookie(COOKIE, { path: '/' });
    req.scope.session = undefined;
    req.scope.actor = ANONYMOUS;
  }

  // ---------------------------------------------------------------- CSRF

  /** A token bound to the session (or to a pre-session cookie before login): another session's token fails. */
  csrfToken(req: Request, res: Response): string {
    let bind = req.scope.session?.sid;
    if (!bind) {
      bind = readCookie(req, PRE_COOKIE);
      if (!bind) {
        bind = randomBytes(18).toString('base64url');
        res.cookie(PRE_COOKIE, bind, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/' });
        (req as Request & { preSid?: string }).preSid = bind;
      }
    }
    return createHmac('sha256', this.secret).update('csrf:' + bind).digest('base64url');
  }

  /** Refuses state-changing requests without a valid token or from another site. GET never changes state. */
  csrfMiddleware() {
    const check = this.csrfCheck();
    return async (req: Request, res: Response, next: NextFunction) => {
      try {
        check(req);
      } catch (e) {
        // A forged or stale form is a denial like any other: recorded, then answered by the error boundary.
        if (e instanceof AppException) await auditRefusal(req, 'core.csrf', 'denied', undefined, { code: e.appError.code, path: req.path.slice(0, 200) });
        throw e;
      }
      next();
    };
  }

  private csrfCheck() {
    return (req: Request): void => {
      if (['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return;
      const site = req.get('sec-fetch-site');
      const origin = req.get('origin');
      const own = `${req.protocol}://${req.get('host')}`;
      const originBad = origin !== undefined && (origin === 'null' ? site !== 'same-origin' : origin !== own);
      if (site === 'cross-site' || site === 'same-site' || originBad) {
        throw new AppException(appError('CSRF_ORIGIN', 'auth.csrf_origin', 403));
      }
      if (req.scope.actor.kind === 'api-token') return;
      // No session cookie = no ambient credentials to forge: an /api/ request without any answers 401 at the route.
      if (!req.scope.session && req.path.startsWith('/api/')) return;
      // Multipart bodies are parsed later (by the upload route), so their forms carry the token in the query.
      const fromQuery = req.is('multipart/form-data') && typeof req.query._csrf === 'string' ? req.query._csrf : '';
      const sent = (typeof req.body?._csrf === 'string' && req.body._csrf) || req.get('x-csrf-token') || fromQuery || '';
      const bind = req.scope.session?.sid ?? readCookie(req, PRE_COOKIE);
      if (!bind || !sent) throw new AppException(appError('CSRF_MISSING', 'auth.csrf_invalid', 403));
      const expected = createHmac('sha256', this.secret).update('csrf:' + bind).digest();
      const got = Buffer.from(String(sent), 'base64url');
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw new AppException(appError('CSRF_INVALID', 'auth.csrf_invalid', 403));
      if (req.body && typeof req.body === 'object') delete req.body._csrf;
    };
  }

  // ---------------------------------------------------------------- login

  /**
   * Checks a username and password. Unknown users and wrong passwords take the same path (a dummy hash is
   * verified) and return the same outcome. 5 failures lock the account for 15 minutes, with a growing delay
   * before; more than IP_LIMIT attempts from one IP in 5 minutes are refused (429).
   */
  async checkPassword(em: EntityManager, username: string, password: string, ip: string): Promise<LoginOutcome> {
    // Failed attempts per IP (an office behind one address signs in many officials at 07:00: successes don't count).
    if ((await this.counter.peek(`login-ip:${ip}`)) >= IP_LIMIT) return { ok: false, reason: 'rate-limited' };
    const failed = () => this.counter.hit(`login-ip:${ip}`, IP_WINDOW_MS);
    const [user] = await sql<UserRow>(em, 'select * from app_user where lower(username) = lower(?)', [username.trim()]);
    const now = this.clock.now();
    if (!user) {
      await failed();
      await verifyPassword(await dummyHash(), password);
      await delay(progressiveDelay(0));
      return { ok: false, reason: 'invalid' };
    }
    if (user.locked_until && toDate(user.locked_until) > now) {
      await failed();
      await verifyPassword(await dummyHash(), password);
      return { ok: false, reason: 'locked' };
    }
    const good = await verifyPassword(user.password_hash, password);
    if (!good) {
      await failed();
      const failures = user.failed_logins + 1;
      const lock = failures >= LOCK_AFTER_FAILURES ? new Date(now.getTime() + LOCK_MS) : null;
      await exec(em, 'update app_user set failed_logins = ?, locked_until = ? where id = ?', [lock ? 0 : failures, lock, user.id]);
      await delay(progressiveDelay(failures));
      return { ok: false, reason: lock ? 'locked' : 'invalid' };
    }
    if (user.status !== 'active' || (user.expires_at && toDate(user.expires_at) <= now)) {
      if (user.status === 'active') await exec(em, `update app_user set status = 'expired' where id = ?`, [user.id]);
      return { ok: false, reason: 'disabled' };
    }
    await exec(em, 'update app_user set failed_logins = 0, locked_until = null, last_login_at = now() where id = ?', [user.id]);
    const assignments = await this.assignments(em, user.id);
    const needs2fa = user.totp_enabled || assignments.some((a) => roleDef(a.role)?.mandatory2fa);
    const stage: SessionStage = !needs2fa ? (user.must_change_password ? 'needs-password-change' : 'authenticated') : user.totp_enabled ? 'needs-2fa' : 'needs-enrolment';
    return { ok: true, stage, userId: user.id };
  }

  /** Verifies a TOTP code (or a recovery code) for a user; consumes it. */
  async checkSecondFactor(em: EntityManager, userId: string, code: string): Promise<boolean> {
    const [user] = await sql<UserRow>(em, 'select * from app_user where id = ? for update', [userId]);
    if (!user?.totp_enabled || !user.totp_secret) return false;
    const c = code.replace(/\s+/g, '');
    if (/^\d{6}$/.test(c)) {
      const step = await verifyTotp(user.totp_secret, c, Number(user.totp_last_step), this.clock.now().getTime());
      if (step === undefined) return false;
      const n = await exec(em, 'update app_user set totp_last_step = ? where id = ? and totp_last_step < ?', [step, userId, step]);
      return n === 1;
    }
    const h = hashRecoveryCode(c);
    if (!user.recovery_codes.includes(h)) return false;
    await exec(em, 'update app_user set recovery_codes = ?::jsonb where id = ?', [JSON.stringify(user.recovery_codes.filter((x) => x !== h)), userId]);
    return true;
  }

  /** Stage after the second factor (a forced password change may still be pending). */
  async stageAfterSecondFactor(em: EntityManager, userId: string): Promise<SessionStage> {
    const [u] = await sql<{ must_change_password: boolean }>(em, 'select must_change_password from app_user where id = ?', [userId]);
    return u?.must_change_password ? 'needs-password-change' : 'authenticated';
  }

  stepUpFresh(actor: Actor): boolean {
    return !!actor.secondFactorAt && this.clock.now().getTime() - actor.secondFactorAt <= STEP_UP_MAX_AGE_MS;
  }

  /**
   * A rate limit on the sign-in counters' store (Redis when configured, so it holds across web processes): counts
   * one attempt under `key` and says whether it is within `limit` per `windowMs`.
   */
  async withinLimit(key: string, limit: number, windowMs: number): Promise<boolean> {
    return (await this.counter.hit(`limit:${key}`, windowMs)) <= limit;
  }

  // ---------------------------------------------------------------- users and tokens

  /** The user if active; with `withAssignments`, its role assignments come in the same round trip (every request). */
  async loadActiveUser(em: EntityManager, id: string, withAssignments = false): Promise<(UserRow & { assignments?: Assignment[] }) | undefined> {
    const [u] = await prepared<UserRow & { assignments?: Assignment[] }>(em, withAssignments
      ? `select u.*, coalesce((select json_agg(json_build_object('role', r.role, 'scopeType', r.scope_type, 'scopeCode', r.scope_code, 'electionId', r.election_id)
           order by r.created_at) from role_assignment r where r.user_id = u.id), '[]'::json) as assignments from app_user u where u.id = ?`
      : 'select * from app_user where id = ?', [id]);
    if (!u || u.status !== 'active') return undefined;
    if (u.expires_at && toDate(u.expires_at) <= this.clock.now()) {
      await exec(em, `update app_user set status = 'expired' where id = ? and status = 'active'`, [id]);
      return undefined;
    }
    return u;
  }

  async assignments(em: EntityManager, userId: string): Promise<Assignment[]> {
    const rows = await sql<{ role: string; scope_type: Assignment['scopeType']; scope_code: string; election_id: string | null }>(
      em, 'select role, scope_type, scope_code, election_id from role_assignment where user_id = ? order by created_at', [userId]);
    return rows.map((r) => ({ role: r.role, scopeType: r.scope_type, scopeCode: r.scope_code, electionId: r.election_id }));
  }

  async actorFromToken(em: EntityManager, token: string): Promise<Actor | undefined> {
    if (!/^bct_[A-Za-z0-9_-]{20,100}$/.test(token)) return undefined;
    const h = createHash('sha256').update(token).digest('hex');
    const [row] = await sql<{ id: string; user_id: string; assignment_id: string | null }>(em, `select id, user_id, assignment_id from api_token where token_hash = ? and revoked_at is null and (expires_at is null or expires_at > now())`, [h]);
    if (!row) return undefined;
    const user = await this.loadActiveUser(em, row.user_id);
    if (!user) return undefined;
    await exec(em, 'update api_token set last_used_at = now() where id = ?', [row.id]);
    let assignments = await this.assignments(em, user.id);
    if (row.assignment_id) {
      const [a] = await sql<{ role: string; scope_type: Assignment['scopeType']; scope_code: string; election_id: string | null }>(em, 'select role, scope_type, scope_code, election_id from role_assignment where id = ?', [row.assignment_id]);
      assignments = a ? [{ role: a.role, scopeType: a.scope_type, scopeCode: a.scope_code, electionId: a.election_id }] : [];
    }
    return { id: user.id, kind: 'api-token', username: user.username, fullName: user.full_name, assignments };
  }

  /** Ends every session of a user at once (account disabled, password reset, "log out everywhere"). */
  endSessionsOf(userId: string, exceptSid?: string): Promise<number> {
    return this.store.destroyByUser(userId, exceptSid);
  }

  async audit(em: EntityManager, req: Request, e: { action: string; result: 'success' | 'rejected' | 'denied' | 'failed'; targetType?: string; targetId?: string; after?: unknown; actor?: string }) {
    markAudited(req);
    await recordAudit(em, {
      actor: e.actor ?? req.scope.actor.id, action: e.action, result: e.result, targetType: e.targetType, targetId: e.targetId, after: e.after,
      requestId: req.scope.requestId, ip: req.ip, userAgent: req.get('user-agent')?.slice(0, 200),
    });
  }
}

/** 0 failures: 200 ms; then doubling up to 3.2 s — slows guessing without locking anyone out early. */
export function progressiveDelay(failures: number): number {
  return Math.min(3200, 200 * 2 ** Math.max(0, failures - 1));
}

/** Raw SQL returns timestamps as strings (MikroORM's driver leaves hydration to entities). */
export function toDate(v: Date | string): Date {
  return v instanceof Date ? v : new Date(v);
}

function delay(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

export function readCookie(req: Request, name: string): string | undefined {
  const m = new RegExp(`(?:^|;\\s*)${name}=([^;]+)`).exec(req.headers.cookie ?? '');
  return m ? decodeURIComponent(m[1]) : undefined;
}

export const SESSION_COOKIE = COOKIE;
