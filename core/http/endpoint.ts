// Declarative endpoints, thin handlers: each action states its input schema, permission, target and audit id; the
// pipeline does validation → permission (→ step-up) → action in a transaction → audit in the same transaction →
// response. Rejected input and denials are audited too. Reads use guard(): permission on a target, denial audited.
import type { Request, Response, NextFunction, Router, RequestHandler } from 'express';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Policy, Target, Decision } from '../auth/policy.js';
import { describeVia, type Actor } from '../auth/actor.js';
import { recordAudit, sealPendingAudit } from '../audit/audit.service.js';
import { leanTransaction } from '../persistence/db.js';
import { forgetAll } from '../persistence/em-memo.js';
import { AppException, appError, type AppError, type FieldIssue, type Result } from '../shared/result.js';

export interface ActionContext {
  req: Request;
  res: Response;
  /** The transaction's EntityManager: every write goes through it. */
  em: EntityManager;
  actor: Actor;
  t(key: string, params?: Record<string, unknown>): string;
}

export interface ActionOutcome {
  /** Audit target of the change. */
  targetType?: string;
  targetId?: string;
  before?: unknown;
  after?: unknown;
  /** Where to send a browser (303), or JSON to return. */
  redirect?: string;
  json?: unknown;
  status?: number;
  flash?: string;
  /** Work to do once the transaction committed (e.g. queue side effects); never a write to the database. */
  afterCommit?: () => Promise<void>;
}

export interface ActionDef<I> {
  /** Audit action id, `<owner>.<subject>.<verb>`. */
  id: string;
  method: 'post' | 'put' | 'patch' | 'delete';
  path: string;
  /** The permission, or a function of the input (e.g. creating an administrator needs more). */
  permission: string | ((input: I) => string);
  input: z.ZodType<I>;
  /** The node the action acts on, for the policy. Runs after input parsing. */
  target(input: I, req: Request, em: EntityManager): Promise<Target> | Target;
  handle(input: I, ctx: ActionContext): Promise<Result<ActionOutcome, AppError>>;
  /**
   * A further authorisation rule the policy table cannot express (e.g. delegated administration: strictly below
   * one's scope and of a lower rank). False → denied and audited like a policy denial.
   */
  authorize?: (input: I, req: Request, em: EntityManager) => Promise<boolean>;
  /** Extra middleware before the pipeline (e.g. multer for uploads). */
  before?: RequestHandler[];
  /** Also allow anonymous callers (login itself); the permission is then not checked. */
  public?: boolean;
  /**
   * The form family the action writes ('structure', 'candidates', 'count-minutes' …): refused (409, audited) while
   * the election's phase keeps that family closed. The election is the input's `id` (routes /elections/:id/…).
   */
  form?: string;
  /**
   * Run the action in a lean transaction (db.ts leanTransaction) instead of the ORM's: for hot write paths whose
   * handler uses only sql/exec/prepared (no entity operations, no nested transaction).
   */
  lean?: boolean;
}

export interface PipelineDeps {
  policy: Policy;
  stepUpFresh(actor: Actor): boolean;
  /** Shows a one-time message on the next page. */
  flash(req: Request, text: string): Promise<void>;
  /** Is a form family open in the election's current phase? Set by the elections module. */
  formGate?: (em: EntityManager, electionId: string, form: string) => Promise<{ open: boolean; phaseKey: string } | undefined>;
}

/** Every mounted action, so a test can walk the router and check each mutating route is one of these. */
export const MOUNTED_ACTIONS = new WeakMap<Router, { method: string; path: string; id: string }[]>();

/**
 * Declares a mutating route that does not use mountAction (sign-in, uploads with their own form page) but writes its
 * own audit event on every path; the route-walker test checks each mutating route is declared one way or the other.
 */
export function registerMutating(router: Router, method: string, path: string, id: string): void {
  const list = MOUNTED_ACTIONS.get(router) ?? [];
  list.push({ method, path, id });
  MOUNTED_ACTIONS.set(router, list);
}

/** Turns zod issues into field issues with i18n keys. */
export function zodIssues(e: z.ZodError): FieldIssue[] {
  return e.issues.map((i) => {
    // Unknown fields are listed in `keys`, not in `path`.
    const field = i.code === 'unrecognized_keys' ? (i as { keys: string[] }).keys.join(', ') : i.path.join('.');
    return {
    field: field || undefined,
    code: 'INPUT_' + i.code.toUpperCase(),
    messageKey: i.code === 'unrecognized_keys' ? 'input.unknown_field' : i.code === 'invalid_type' ? 'input.invalid_type' : i.code === 'too_small' ? 'input.too_small' : i.code === 'too_big' ? 'input.too_big' : 'input.invalid',
    params: { field: field || '-' },
    };
  });
}

function auditMeta(req: Request) {
  return { requestId: req.scope.requestId, ip: req.ip, userAgent: req.get('user-agent')?.slice(0, 200) };
}

/** Records a refused attempt in its own short transaction (the business transaction never started or rolled back). */
export async function auditRefusal(req: Request, action: string, result: 'rejected' | 'denied', target: Partial<Target> | undefined, detail: unknown, via?: Decision): Promise<void> {
  const em = req.scope.em.fork();
  await em.transactional(async (tx) => {
    await recordAudit(tx as EntityManager, {
      actor: req.scope.actor.id, ...describeVia(via?.allowed ? via.via : undefined), action, result,
      targetType: target?.type ?? null, targetId: target?.code ?? null, after: detail, ...auditMeta(req),
    });
  });
}

export function mountAction<I>(router: Router, d: PipelineDeps, def: ActionDef<I>): void {
  registerMutating(router, def.method, def.path, def.id);
  const handler = async (req: Request, res: Response) => {
    // Who before what: an anonymous caller is told to sign in before anything about its input.
    if (!def.public && req.scope.actor.kind === 'anonymous') {
      await auditRefusal(req, def.id, 'denied', undefined, { reason: 'anonymous' });
      throw new AppException(appError('AUTH_REQUIRED', 'auth.login_required', 401));
    }
    const raw = { ...(req.body && typeof req.body === 'object' ? req.body : {}), ...req.params };
    const parsed = def.input.safeParse(raw);
    if (!parsed.success) {
      const details = zodIssues(parsed.error);
      await auditRefusal(req, def.id, 'rejected', undefined, { issues: details.map((x) => ({ field: x.field, code: x.code })) });
      throw new AppException(appError('INPUT_INVALID', 'input.invalid_form', 400, undefined, details));
    }
    const input = parsed.data;
    const target = await def.target(input, req, req.scope.em);
    const permission = typeof def.permission === 'function' ? def.permission(input) : def.permission;
    let decision: Decision | undefined;
    if (!def.public) {
      decision = await d.policy.decide(req.scope.em, req.scope.actor.assignments, permission, target);
      if (decision.allowed && def.authorize && !(await def.authorize(input, req, req.scope.em))) decision = { allowed: false, reason: 'out-of-scope' };
      if (!decision.allowed) {
        await auditRefusal(req, def.id, 'denied', target, { reason: decision.reason, permission });
        throw new AppException(appError('FORBIDDEN', 'auth.forbidden', 403));
      }
      if (d.policy.permission(permission)?.stepUp && !d.stepUpFresh(req.scope.actor)) {
        await auditRefusal(req, def.id, 'denied', target, { reason: 'step-up-required' }, decision);
        if (req.accepts(['html', 'json']) === 'html') {
          res.redirect(303, `/auth/step-up?next=${encodeURIComponent(req.get('referer')?.replace(/^https?:\/\/[^/]+/, '') || '/')}`);
          return;
        }
        throw new AppException(appError('STEP_UP_REQUIRED', 'auth.step_up_required', 403));
      }
    }
    const electionId = (input as { id?: unknown }).id;
    if (def.form && d.formGate && typeof electionId === 'string') {
      const gate = await d.formGate(req.scope.em, electionId, def.form);
      if (gate && !gate.open) {
        await auditRefusal(req, def.id, 'rejected', target, { code: 'FORM_CLOSED', form: def.form }, decision);
        throw new AppException(appError('FORM_CLOSED', 'elections.form_closed', 409, { phase: req.scope.t(gate.phaseKey) }));
      }
    }
    let refusal: AppError | undefined;
    let outcome: ActionOutcome | undefined;
    const inTransaction = <T>(fn: (em: EntityManager) => Promise<T>): Promise<T> =>
      def.lean ? leanRetried(req, fn) : req.scope.em.transactional((tx) => fn(tx as EntityManager));
    await inTransaction(async (em) => {
      const r = await def.handle(input, { req, res, em, actor: req.scope.actor, t: req.scope.t });
      if (!r.ok) {
        refusal = r.error;
        throw ROLLBACK;
      }
      outcome = r.value;
      await recordAudit(em, {
        actor: req.scope.actor.id, ...describeVia(decision?.allowed ? decision.via : undefined), action: def.id, result: 'success',
        targetType: r.value.targetType ?? target.type, targetId: r.value.targetId ?? target.code, before: r.value.before, after: r.value.after, ...auditMeta(req),
      }, { deferSeal: true, deferWrite: def.lean });
    }).catch((e) => {
      if (e === ROLLBACK) return;
      // Tried again and again changed under it (leanRetried): refused and audited like any refusal.
      if (e instanceof AppException && e.appError.code === 'CONCURRENT_CHANGE') refusal = e.appError;
      else throw e;
    });
    // The events stayed staged at COMMIT: chain them (with whatever else is staged) before answering, so the answer
    // never precedes its audit event. A failure here leaves them staged for the next seal: the write itself stands.
    if (outcome) await sealPendingAudit(req.scope.em).catch((e) => req.log?.error?.({ err: e }, 'audit seal deferred'));
    if (refusal) {
      await auditRefusal(req, def.id, 'rejected', target, { code: refusal.code, details: refusal.details?.map((x) => ({ field: x.field, row: x.row, code: x.code })) }, decision);
      throw new AppException(refusal);
    }
    const o = outcome!;
    if (o.afterCommit) await o.afterCommit();
    // A flash is for the next page of a browser; a JSON answer carries its own outcome (no session write).
    if (o.flash && o.json === undefined) await d.flash(req, o.flash);
    if (o.json !== undefined) res.status(o.status ?? 200).json(o.json);
    else res.redirect(303, o.redirect ?? req.get('referer') ?? '/');
  };
  router[def.method](def.path, ...(def.before ?? []), handler);
}

const ROLLBACK = Symbol('rollback');

/** How often a lean action is tried again after a concurrent change (SQLSTATE 40001) before answering 409. */
export const LEAN_ATTEMPTS = 5;

/**
 * A lean action's transaction, tried again on SQLSTATE 40001 — an optimistic check that found the data changed since
 * it was read (count_minutes_check) — with what the request read before forgotten (em-memo), so the handler decides
 * again on fresh data. Nothing of a failed attempt remains (its transaction rolled back). After LEAN_ATTEMPTS: 409.
 */
async function leanRetried<T>(req: Request, fn: (em: EntityManager) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await leanTransaction(req.scope.em, fn);
    } catch (e) {
      if ((e as { code?: string })?.code !== '40001') throw e;
      forgetAll(req.scope.em);
      if (attempt >= LEAN_ATTEMPTS) throw new AppException(appError('CONCURRENT_CHANGE', 'error.concurrent_change', 409));
    }
  }
}

/**
 * Checks a permission on a target for the current request: anonymous → AUTH_REQUIRED (401), denied → FORBIDDEN
 * (403); the denial is audited. Throws, so the error boundary answers.
 */
export async function authorize(d: PipelineDeps, req: Request, permission: string, t: Target): Promise<void> {
  if (req.scope.actor.kind === 'anonymous') {
    // Anonymous reads are sent to sign in; an anonymous attempt to change something is recorded.
    if (req.method !== 'GET' && req.method !== 'HEAD') await auditRefusal(req, permission, 'denied', t, { reason: 'anonymous' });
    throw new AppException(appError('AUTH_REQUIRED', 'auth.login_required', 401));
  }
  const decision = await d.policy.decide(req.scope.em, req.scope.actor.assignments, permission, t);
  if (!decision.allowed) {
    await auditRefusal(req, permission, 'denied', t, { reason: decision.reason, url: req.originalUrl.slice(0, 200) });
    throw new AppException(appError('FORBIDDEN', 'auth.forbidden', 403));
  }
}

/** Read guard: the permission on a target; an anonymous browser is sent to the sign-in page. */
export function guard(d: PipelineDeps, permission: string, target: (req: Request) => Promise<Target> | Target) {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.scope.actor.kind === 'anonymous' && req.accepts(['html', 'json']) === 'html') {
      res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    await authorize(d, req, permission, await target(req));
    next();
  };
}
