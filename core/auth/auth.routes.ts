// Sign-in, second factor (verification, enrolment with QR code, recovery codes), step-up, password change, sign-out,
// and "my account" (sessions, 2FA status, assignments). Each state change writes one audit event in its transaction.
import { Router, type Request, type Response } from 'express';
import QRCode from 'qrcode';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Render } from '../http/render.js';
import { registerMutating, auditRefusal } from '../http/endpoint.js';
import { AUDITED, markAudited as markAuditedReq } from './audit-mark.js';
import { sql, exec } from '../persistence/db.js';
import { AppException, appError } from '../shared/result.js';
import type { AuthService } from './auth.service.js';
import { hashPassword, passwordProblem, verifyPassword } from './password.js';
import { newRecoveryCodes, newTotpSecret, totpUri, verifyTotp, hashRecoveryCode } from './totp.js';

/** Only same-site relative paths are followed after sign-in. */
export function safeNext(v: unknown): string {
  const s = typeof v === 'string' ? v : '';
  return s.startsWith('/') && !s.startsWith('//') && !s.startsWith('/\\') ? s : '/';
}

/** Registers a mutating route that writes its own audit event (the walker test checks every mutating route). */
function mutating(r: Router, path: string, id: string, h: (req: Request, res: Response) => Promise<void>) {
  registerMutating(r, 'post', path, id);
  r.post(path, async (req, res) => {
    try {
      await h(req, res);
    } finally {
      // Paths that change nothing (no pending sign-in, not signed in) still leave one 'rejected' event.
      if (!AUDITED.has(req)) await auditRefusal(req, id, 'rejected', undefined, { reason: 'nothing-to-do' });
    }
  });
}



export function authRoutes(auth: AuthService) {
  return (render: Render): Router => {
    const r = Router();
    const tx = <T>(req: Request, fn: (em: EntityManager) => Promise<T>) => req.scope.em.transactional((em) => fn(em as EntityManager));

    r.get('/auth/login', (req, res) => {
      if (req.scope.actor.kind === 'user') return res.redirect(303, safeNext(req.query.next));
      render(req, res, 'auth/login', { next: safeNext(req.query.next) }, { title: req.scope.t('auth.login') });
    });

    mutating(r, '/auth/login', 'core.auth.login', async (req, res) => {
      const username = String(req.body?.username ?? '').slice(0, 100);
      const password = String(req.body?.password ?? '').slice(0, 200);
      const next = safeNext(req.body?.next);
      const outcome = await tx(req, async (em) => {
        const o = await auth.checkPassword(em, username, password, req.ip ?? '');
        await auth.audit(em, req, {
          action: 'core.auth.login', actor: o.ok ? o.userId : `login:${username.toLowerCase()}`, result: o.ok ? 'success' : 'rejected',
          targetType: 'user', targetId: o.ok ? o.userId : undefined, after: o.ok ? { stage: o.stage } : { reason: o.reason },
        });
        return o;
      });
      if (!outcome.ok) {
        const key = outcome.reason === 'locked' ? 'auth.locked' : outcome.reason === 'rate-limited' ? 'auth.rate_limited' : outcome.reason === 'disabled' ? 'auth.disabled' : 'auth.invalid_credentials';
        // Unknown user and wrong password get the same message and status.
        render(req, res, 'auth/login', { next, username, error: req.scope.t(key) }, { status: outcome.reason === 'rate-limited' ? 429 : 401, title: req.scope.t('auth.login') });
        return;
      }
      await auth.startSession(req, res, outcome.userId, outcome.stage, false);
      res.redirect(303, stageUrl(outcome.stage, next));
    });

    mutating(r, '/auth/logout', 'core.auth.logout', async (req, res) => {
      const userId = req.scope.session?.data.userId;
      await tx(req, (em) => auth.audit(em, req, { action: 'core.auth.logout', actor: userId ?? 'anonymous', result: 'success', targetType: 'user', targetId: userId }));
      await auth.logout(req, res);
      res.redirect(303, '/auth/login');
    });

    // ---- second factor at sign-in
    r.get('/auth/2fa', (req, res) => {
      if (req.scope.session?.data.stage !== 'needs-2fa') return res.redirect(303, '/auth/login');
      render(req, res, 'auth/two-factor', { next: safeNext(req.query.next), action: '/auth/2fa' }, { title: req.scope.t('auth.two_factor') });
    });

    mutating(r, '/auth/2fa', 'core.auth.second-factor', async (req, res) => {
      const s = req.scope.session;
      if (s?.data.stage !== 'needs-2fa') return nothingToDo(req, res, 'core.auth.second-factor', '/auth/login');
      const code = String(req.body?.code ?? '').slice(0, 20);
      const ok = await tx(req, async (em) => {
        const good = await auth.checkSecondFactor(em, s.data.userId, code);
        await auth.audit(em, req, { action: 'core.auth.second-factor', actor: s.data.userId, result: good ? 'success' : 'rejected', targetType: 'user', targetId: s.data.userId });
        return good;
      });
      if (!ok) {
        render(req, res, 'auth/two-factor', { next: safeNext(req.body?.next), action: '/auth/2fa', error: req.scope.t('auth.totp_invalid') }, { status: 401, title: req.scope.t('auth.two_factor') });
        return;
      }
      const stage = await auth.stageAfterSecondFactor(req.scope.em, s.data.userId);
      await auth.renewSession(req, res, { stage, secondFactorAt: Date.now() });
      res.redirect(303, stageUrl(stage, safeNext(req.body?.next)));
    });

    // ---- enrolment (forced for mandatory roles, optional from "my account")
    r.get('/auth/2fa/enrol', async (req, res) => {
      const s = req.scope.session;
      if (!s || (s.data.stage !== 'needs-enrolment' && s.data.stage !== 'authenticated')) return res.redirect(303, '/auth/login');
      const [u] = await sql<{ username: string; totp_enabled: boolean }>(req.scope.em, 'select username, totp_enabled from app_user where id = ?', [s.data.userId]);
      if (u.totp_enabled) return res.redirect(303, '/account');
      if (!s.data.pendingTotpSecret) await auth.updateSession(req, { pendingTotpSecret: newTotpSecret() });
      const secret = s.data.pendingTotpSecret!;
      const qr = await QRCode.toDataURL(totpUri(secret, u.username), { margin: 1, width: 220 });
      render(req, res, 'auth/enrol', { qr, secret: secret.replace(/(.{4})/g, '$1 ').trim() }, { title: req.scope.t('auth.enrol') });
    });

    mutating(r, '/auth/2fa/enrol', 'core.auth.enrol-2fa', async (req, res) => {
      const s = req.scope.session;
      if (!s?.data.pendingTotpSecret) return nothingToDo(req, res, 'core.auth.enrol-2fa', '/auth/2fa/enrol');
      const step = await verifyTotp(s.data.pendingTotpSecret, String(req.body?.code ?? '').trim(), 0);
      if (step === undefined) {
        await tx(req, (em) => auth.audit(em, req, { action: 'core.auth.enrol-2fa', actor: s.data.userId, result: 'rejected', targetType: 'user', targetId: s.data.userId }));
        const [u] = await sql<{ username: string }>(req.scope.em, 'select username from app_user where id = ?', [s.data.userId]);
        const qr = await QRCode.toDataURL(totpUri(s.data.pendingTotpSecret, u.username), { margin: 1, width: 220 });
        render(req, res, 'auth/enrol', { qr, secret: s.data.pendingTotpSecret.replace(/(.{4})/g, '$1 ').trim(), error: req.scope.t('auth.totp_invalid') }, { status: 400, title: req.scope.t('auth.enrol') });
        return;
      }
      const codes = newRecoveryCodes();
      await tx(req, async (em) => {
        await exec(em, 'update app_user set totp_secret = ?, totp_enabled = true, totp_last_step = ?, recovery_codes = ?::jsonb, updated_at = now() where id = ?',
          [s.data.pendingTotpSecret, step, JSON.stringify(codes.map(hashRecoveryCode)), s.data.userId]);
        await auth.audit(em, req, { action: 'core.auth.enrol-2fa', actor: s.data.userId, result: 'success', targetType: 'user', targetId: s.data.userId });
      });
      const stage = s.data.stage === 'needs-enrolment' ? await auth.stageAfterSecondFactor(req.scope.em, s.data.userId) : s.data.stage;
      await auth.renewSession(req, res, { stage, secondFactorAt: Date.now(), pendingTotpSecret: undefined, showRecoveryCodes: codes });
      res.redirect(303, '/auth/recovery-codes');
    });

    r.get('/auth/recovery-codes', async (req, res) => {
      const s = req.scope.session;
      const codes = s?.data.showRecoveryCodes;
      if (!s || !codes) return res.redirect(303, '/account');
      await auth.updateSession(req, { showRecoveryCodes: undefined });
      res.setHeader('Cache-Control', 'no-store');
      render(req, res, 'auth/recovery-codes', { codes, next: stageUrl(s.data.stage, '/') }, { title: req.scope.t('auth.recovery_codes') });
    });

    // ---- step-up before sensitive actions
    r.get('/auth/step-up', (req, res) => {
      if (req.scope.actor.kind !== 'user') return res.redirect(303, '/auth/login');
      render(req, res, 'auth/two-factor', { next: safeNext(req.query.next), action: '/auth/step-up', stepUp: true }, { title: req.scope.t('auth.step_up') });
    });

    mutating(r, '/auth/step-up', 'core.auth.step-up', async (req, res) => {
      if (req.scope.actor.kind !== 'user' || !req.scope.session) throw new AppException(appError('AUTH_REQUIRED', 'auth.login_required', 401));
      const userId = req.scope.actor.id;
      const ok = await tx(req, async (em) => {
        const good = await auth.checkSecondFactor(em, userId, String(req.body?.code ?? '').slice(0, 20));
        await auth.audit(em, req, { action: 'core.auth.step-up', result: good ? 'success' : 'rejected', targetType: 'user', targetId: userId });
        return good;
      });
      if (!ok) {
        render(req, res, 'auth/two-factor', { next: safeNext(req.body?.next), action: '/auth/step-up', stepUp: true, error: req.scope.t('auth.totp_invalid') }, { status: 401, title: req.scope.t('auth.step_up') });
        return;
      }
      await auth.renewSession(req, res, { secondFactorAt: Date.now() });
      res.redirect(303, safeNext(req.body?.next));
    });

    // ---- password change (forced on first sign-in with a password set by someone else)
    r.get('/auth/password', (req, res) => {
      if (req.scope.actor.kind !== 'user') return res.redirect(303, '/auth/login');
      render(req, res, 'auth/password', { forced: req.scope.actor.mustChangePassword }, { title: req.scope.t('auth.change_password') });
    });

    mutating(r, '/auth/password', 'core.auth.change-password', async (req, res) => {
      const actor = req.scope.actor;
      if (actor.kind !== 'user' || !req.scope.session) throw new AppException(appError('AUTH_REQUIRED', 'auth.login_required', 401));
      const current = String(req.body?.current ?? '');
      const pw = String(req.body?.password ?? '');
      const pw2 = String(req.body?.password2 ?? '');
      const [u] = await sql<{ password_hash: string; username: string }>(req.scope.em, 'select password_hash, username from app_user where id = ?', [actor.id]);
      let errorKey: string | undefined;
      if (!(await verifyPassword(u.password_hash, current))) errorKey = 'auth.password_wrong';
      else if (pw !== pw2) errorKey = 'auth.password_mismatch';
      else {
        const p = passwordProblem(pw, u.username);
        if (p) errorKey = `auth.password.${p}`;
      }
      if (errorKey) {
        await tx(req, (em) => auth.audit(em, req, { action: 'core.auth.change-password', result: 'rejected', targetType: 'user', targetId: actor.id, after: { reason: errorKey } }));
        render(req, res, 'auth/password', { forced: actor.mustChangePassword, error: req.scope.t(errorKey) }, { status: 400, title: req.scope.t('auth.change_password') });
        return;
      }
      const h = await hashPassword(pw);
      await tx(req, async (em) => {
        await exec(em, 'update app_user set password_hash = ?, must_change_password = false, updated_at = now() where id = ?', [h, actor.id]);
        await auth.audit(em, req, { action: 'core.auth.change-password', result: 'success', targetType: 'user', targetId: actor.id });
      });
      await auth.endSessionsOf(actor.id, req.scope.session.sid);
      await auth.updateSession(req, { stage: 'authenticated', flash: { kind: 'ok', text: req.scope.t('auth.password_changed') } });
      res.redirect(303, '/');
    });

    // ---- my account: sessions, 2FA, assignments
    r.get('/account', async (req, res) => {
      const actor = req.scope.actor;
      if (actor.kind !== 'user') return res.redirect(303, '/auth/login?next=/account');
      const sessions = (await auth.store.listByUser(actor.id)).map((s) => ({
        sid: s.sid, current: s.sid === actor.sessionId, createdAt: new Date(s.data.createdAt), lastSeen: new Date(s.data.lastSeen), ip: s.data.ip, ua: s.data.ua, stage: s.data.stage,
      })).sort((a, b) => Number(b.lastSeen) - Number(a.lastSeen));
      const [u] = await sql<{ totp_enabled: boolean; full_name: string; username: string }>(req.scope.em, 'select totp_enabled, full_name, username from app_user where id = ?', [actor.id]);
      render(req, res, 'auth/account', { user: u, sessions, assignments: actor.assignments }, { title: req.scope.t('account.title'), nav: 'account' });
    });

    mutating(r, '/account/sessions/end', 'core.auth.end-sessions', async (req, res) => {
      const actor = req.scope.actor;
      if (actor.kind !== 'user' || !req.scope.session) throw new AppException(appError('AUTH_REQUIRED', 'auth.login_required', 401));
      const which = String(req.body?.sid ?? 'others');
      let n = 0;
      if (which === 'others') n = await auth.endSessionsOf(actor.id, req.scope.session.sid);
      else {
        const own = (await auth.store.listByUser(actor.id)).some((s) => s.sid === which);
        if (own && which !== req.scope.session.sid) {
          await auth.store.destroy(which);
          n = 1;
        }
      }
      await tx(req, (em) => auth.audit(em, req, { action: 'core.auth.end-sessions', result: 'success', targetType: 'user', targetId: actor.id, after: { ended: n } }));
      await auth.updateSession(req, { flash: { kind: 'ok', text: req.scope.t('account.sessions_ended', { n }) } });
      res.redirect(303, '/account');
    });

    return r;
  };
}

/** A post that finds nothing to act on: recorded as rejected (before answering), then redirected. */
async function nothingToDo(req: Request, res: Response, action: string, to: string): Promise<void> {
  await auditRefusal(req, action, 'rejected', undefined, { reason: 'nothing-to-do' });
  markAuditedReq(req);
  res.redirect(303, to);
}

function stageUrl(stage: string, next: string): string {
  switch (stage) {
    case 'needs-2fa': return `/auth/2fa?next=${encodeURIComponent(next)}`;
    case 'needs-enrolment': return '/auth/2fa/enrol';
    case 'needs-password-change': return '/auth/password';
    default: return next;
  }
}
