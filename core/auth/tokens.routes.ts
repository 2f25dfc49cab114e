// API tokens for machine clients of /api/v1: per user, optionally limited to one of the user's assignments,
// shown once at creation, stored as a SHA-256 hash, revocable; the same policy applies as for the user.
import { createHash, randomBytes } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { Render } from '../http/render.js';
import { mountAction, type PipelineDeps } from '../http/endpoint.js';
import { sql, exec } from '../persistence/db.js';
import { newId } from '../shared/ids.js';
import { ok, err, appError } from '../shared/result.js';
import type { AuthService } from './auth.service.js';

export function tokensRoutes(d: { pipeline: PipelineDeps; auth: AuthService }) {
  return (render: Render): Router => {
    const r = Router();
    const self = { type: 'nation' as const, code: 'VN' };

    r.get('/account/tokens', async (req, res) => {
      const actor = req.scope.actor;
      if (actor.kind !== 'user') return res.redirect(303, '/auth/login?next=/account/tokens');
      const tokens = await sql(req.scope.em, `select t.id, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at, a.role, a.scope_type, a.scope_code
        from api_token t left join role_assignment a on a.id = t.assignment_id where t.user_id = ? order by t.created_at desc`, [actor.id]);
      const assignments = await sql(req.scope.em, 'select id, role, scope_type, scope_code from role_assignment where user_id = ? order by created_at', [actor.id]);
      const reveal = req.scope.session?.data.reveal;
      let created: string | undefined;
      if (reveal?.userId === actor.id && reveal.password?.startsWith('bct_')) {
        created = reveal.password;
        await d.auth.updateSession(req, { reveal: undefined });
        res.setHeader('Cache-Control', 'no-store');
      }
      render(req, res, 'auth/tokens', { tokens, assignments, created }, { title: req.scope.t('tokens.title'), nav: 'account' });
    });

    // Managing one's own tokens needs no permission beyond being signed in (public: the handler checks the owner).
    mountAction(r, d.pipeline, {
      id: 'core.tokens.create',
      method: 'post',
      path: '/account/tokens',
      permission: 'core.elections.view',
      public: true,
      input: z.object({ name: z.string().trim().min(1).max(80), assignmentId: z.string().uuid().optional().or(z.literal('')) }).strict(),
      target: () => self,
      handle: async (i, ctx) => {
        if (ctx.actor.kind !== 'user') return err(appError('AUTH_REQUIRED', 'auth.login_required', 401));
        if (i.assignmentId) {
          const [own] = await sql(ctx.em, 'select 1 from role_assignment where id = ? and user_id = ?', [i.assignmentId, ctx.actor.id]);
          if (!own) return err(appError('FORBIDDEN', 'auth.forbidden', 403));
        }
        const token = `bct_${randomBytes(30).toString('base64url')}`;
        const id = newId();
        await exec(ctx.em, 'insert into api_token (id, user_id, name, token_hash, prefix, assignment_id) values (?, ?, ?, ?, ?, ?)',
          [id, ctx.actor.id, i.name, createHash('sha256').update(token).digest('hex'), token.slice(0, 8), i.assignmentId || null]);
        await d.auth.updateSession(ctx.req, { reveal: { userId: ctx.actor.id, password: token } });
        return ok({ targetType: 'api_token', targetId: id, after: { name: i.name, assignmentId: i.assignmentId || null }, redirect: '/account/tokens' });
      },
    });

    mountAction(r, d.pipeline, {
      id: 'core.tokens.revoke',
      method: 'post',
      path: '/account/tokens/:id/revoke',
      permission: 'core.elections.view',
      public: true,
      input: z.object({ id: z.string().uuid() }).strict(),
      target: () => self,
      handle: async (i, ctx) => {
        if (ctx.actor.kind !== 'user') return err(appError('AUTH_REQUIRED', 'auth.login_required', 401));
        const n = await exec(ctx.em, 'update api_token set revoked_at = now() where id = ? and user_id = ? and revoked_at is null', [i.id, ctx.actor.id]);
        if (!n) return err(appError('NOT_FOUND', 'error.not_found', 404));
        return ok({ targetType: 'api_token', targetId: i.id, after: { revoked: true }, redirect: '/account/tokens' });
      },
    });
    return r;
  };
}
