// User administration within scope: list (search without accents, sort, pages), create, disable/enable, reset,
// unlock, assignments, and bulk creation from an XLSX template producing a one-time-password sheet. Every change goes
// through the endpoint pipeline (validation → policy + delegated-administration rule → transaction → audit).
import fs from 'node:fs';
import path from 'node:path';
import { Router, type Request, type Response, type NextFunction } from 'express';
import multer from 'multer';
import ExcelJS from 'exceljs';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Render } from '../http/render.js';
import { pageParams, pager } from '../http/render.js';
import { guard, mountAction, authorize, auditRefusal, type PipelineDeps } from '../http/endpoint.js';
import { AppException, appError, ok, err, type FieldIssue } from '../shared/result.js';
import { sql } from '../persistence/db.js';
import { newId } from '../shared/ids.js';
import type { AuthService } from './auth.service.js';
import { UsersService, newUserInput, assignmentInput, type NewUserInput } from './users.service.js';
import { ROLES, roleDef } from './roles.js';
import { NATION, type Target } from './policy.js';
import { hashPassword, generateOneTimePassword } from './password.js';
import type { TreeLevel } from '../plugin-api/index.js';

const uuid = z.string().uuid();
const BULK_MAX_ROWS = 5000;
export const BULK_HEADERS = ['Tên đăng nhập', 'Họ và tên', 'Điện thoại', 'Email', 'Vai trò', 'Loại phạm vi', 'Mã phạm vi', 'Hết hạn (YYYY-MM-DD)'];
const BULK_FIELDS: (keyof NewUserInput)[] = ['username', 'fullName', 'phone', 'email', 'role', 'scopeType', 'scopeCode', 'expiresAt'];
/** Roles from this rank up are administrators: created only with core.users.create-admin (step-up), never in bulk. */
const ADMIN_RANK = roleDef('nec-official')!.rank;
/** Is this a field of the new-account form (anything else in a posted form is refused)? */
const isNewUserField = (k: string): k is keyof NewUserInput => Object.hasOwn(newUserInput.shape, k);

export interface UsersRouteDeps {
  pipeline: PipelineDeps;
  auth: AuthService;
  users: UsersService;
  dataDir: string;
}

/** The actor's first scope holding a permission (list pages act on one's own scope). */
function ownScope(req: Request, d: UsersRouteDeps, permission: string): Target {
  const roles = d.pipeline.policy.permission(permission)?.roles ?? [];
  const a = req.scope.actor.assignments.find((x) => roles.includes(x.role));
  return a ? { type: a.scopeType, code: a.scopeCode } : { type: 'nation', code: NATION };
}

export function usersRoutes(d: UsersRouteDeps) {
  return (render: Render): Router => {
    const r = Router();
    const p = d.pipeline;
    const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 5 * 1024 * 1024, files: 1 } });
    const grantableRoles = (req: Request) => ROLES.filter((x) => req.scope.actor.assignments.some((a) => a.role === 'system-admin' || (roleDef(a.role)!.rank > x.rank && ['nec-official', 'province-official', 'commune-official'].includes(a.role))));

    /** Can the assignment be checked against the tree (its unit exists and suits the role)? */
    const checkable = async (em: EntityManager, i: { role: string; scopeType: string; scopeCode: string }) =>
      !!roleDef(i.role)?.scopeTypes.includes(i.scopeType as TreeLevel) && p.policy.exists(em, { type: i.scopeType as TreeLevel, code: i.scopeCode });
    /** The policy target of a new account: its unit, or (when that cannot be checked) the actor's own scope. */
    const grantTarget = async (req: Request, em: EntityManager, i: { role: string; scopeType: string; scopeCode: string }): Promise<Target> =>
      (await checkable(em, i)) ? { type: i.scopeType as TreeLevel, code: i.scopeCode } : ownScope(req, d, 'core.users.manage');

    /** Refuses (403, audited) a user outside the actor's manageable scope — ids in URLs are never trusted. */
    const manageable = async (req: Request, userId: string) => d.users.mayManage(req.scope.em, req.scope.actor.assignments, userId);

    r.get('/admin/users', guard(p, 'core.users.view', (req) => ownScope(req, d, 'core.users.view')), async (req, res) => {
      const { page, size, offset } = pageParams(req.query);
      const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 100) : '';
      const sort = ['name', 'username', 'status'].includes(String(req.query.sort)) ? String(req.query.sort) : 'name';
      const dir = req.query.dir === 'desc' ? 'desc' : 'asc';
      const { rows, total } = await d.users.list(req.scope.em, req.scope.actor.assignments, { q, sort, dir, limit: size, offset });
      render(req, res, 'users/index', { users: rows, q, page: pager(page, size, total), sort, dir }, { title: req.scope.t('users.title'), nav: 'users' });
    });

    r.get('/admin/users/new', guard(p, 'core.users.manage', (req) => ownScope(req, d, 'core.users.manage')), (req, res) => {
      render(req, res, 'users/new', { roles: grantableRoles(req), form: {}, focus: 'username' }, { title: req.scope.t('users.new'), nav: 'users' });
    });

    mountAction(r, p, {
      id: 'core.users.create',
      method: 'post',
      path: '/admin/users',
      permission: (i) => (roleDef(i.role)!.rank >= ADMIN_RANK ? 'core.users.create-admin' : 'core.users.manage'),
      input: newUserInput.strict(),
      target: (i, req, em) => grantTarget(req, em, i),
      // Delegated administration: strictly below one's scope and of a lower rank, else 403 (audited as denied). A code
      // that names no unit, or a scope type the role cannot have, is a field error that checkNew reports (400).
      authorize: async (i, req, em) => !(await checkable(em, i)) || d.users.mayGrant(em, req.scope.actor.assignments, i),
      handle: async (i, ctx) => {
        const issues = await d.users.checkNew(ctx.em, ctx.actor.assignments, i);
        if (issues.length) return err(appError('USER_INVALID', 'input.invalid_form', 400, undefined, issues));
        const created = await d.users.create(ctx.em, ctx.actor.id, i);
        await d.auth.updateSession(ctx.req, { reveal: { userId: created.id, password: created.password } });
        return ok({ targetType: 'user', targetId: created.id, after: { username: i.username, role: i.role, scope: `${i.scopeType}:${i.scopeCode}`, expiresAt: i.expiresAt || null }, redirect: `/admin/users/${created.id}` });
      },
    });

    r.get('/admin/users/bulk', guard(p, 'core.users.manage', (req) => ownScope(req, d, 'core.users.manage')), (req, res) => {
      const reveal = req.scope.session?.data.reveal;
      render(req, res, 'users/bulk', { sheetId: reveal?.sheetId, roles: grantableRoles(req), columns: BULK_HEADERS }, { title: req.scope.t('users.bulk'), nav: 'users' });
    });

    r.get('/admin/users/bulk/template.xlsx', guard(p, 'core.users.manage', (req) => ownScope(req, d, 'core.users.manage')), async (_req, res) => {
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('Tài khoản');
      ws.addRow(BULK_HEADERS).font = { bold: true };
      ws.addRow(['xa-ba-dinh', 'Nguyễn Văn An', '0912345678', 'an@example.vn', 'commune-official', 'commune', '00004', '2026-06-30']);
      ws.columns.forEach((c) => (c.width = 22));
      const help = wb.addWorksheet('Hướng dẫn');
      help.addRow(['Vai trò (role)', 'Loại phạm vi (scope type)']);
      for (const role of ROLES) help.addRow([role.id, role.scopeTypes.join(', ')]);
      res.setHeader('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      res.setHeader('Content-Disposition', 'attachment; filename="mau-tao-tai-khoan.xlsx"');
      res.send(Buffer.from(await wb.xlsx.writeBuffer()));
    });

    mountAction(r, p, {
      id: 'core.users.bulk-create',
      method: 'post',
      path: '/admin/users/bulk',
      permission: 'core.users.manage',
      before: [upload.single('file')],
      input: z.object({}).passthrough(),
      target: (_i, req) => ownScope(req, d, 'core.users.manage'),
      handle: async (_i, ctx) => {
        const file = (ctx.req as Request & { file?: Express.Multer.File }).file;
        if (!file) return err(appError('BULK_NO_FILE', 'users.bulk_no_file', 400));
        const parsed = await parseBulk(file.buffer);
        if (!parsed.ok) return parsed;
        const issues: FieldIssue[] = [];
        const seen = new Set<string>();
        for (const row of parsed.value) {
          const v = newUserInput.safeParse(row.values);
          if (!v.success) {
            for (const zi of v.error.issues) issues.push({ row: row.row, column: BULK_HEADERS[BULK_FIELDS.indexOf(zi.path[0] as keyof NewUserInput)] ?? String(zi.path[0]), code: 'BULK_' + zi.code.toUpperCase(), messageKey: `users.field.${String(zi.path[0])}` });
            continue;
          }
          if (seen.has(v.data.username)) issues.push({ row: row.row, column: BULK_HEADERS[0], code: 'BULK_DUPLICATE', messageKey: 'users.bulk_duplicate', params: { username: v.data.username } });
          seen.add(v.data.username);
          // Administrators need core.users.create-admin and a fresh second factor: one at a time, through the form.
          if (roleDef(v.data.role)!.rank >= ADMIN_RANK) {
            issues.push({ row: row.row, column: BULK_HEADERS[4], code: 'BULK_ADMIN_ROLE', messageKey: 'users.bulk_admin_role' });
            continue;
          }
          for (const fi of await d.users.checkNew(ctx.em, ctx.actor.assignments, v.data)) {
            issues.push({ ...fi, row: row.row, column: BULK_HEADERS[BULK_FIELDS.indexOf(fi.field as keyof NewUserInput)] });
          }
          row.input = v.data;
        }
        if (issues.length) return err(appError('BULK_INVALID', 'users.bulk_invalid', 400, { n: issues.length }, issues.slice(0, 500)));
        // All rows valid: hash in parallel (argon2 runs on the libuv pool), then insert in this one transaction.
        const passwords = parsed.value.map(() => generateOneTimePassword());
        const hashes = await Promise.all(passwords.map((pw) => hashPassword(pw)));
        const created: { username: string; fullName: string; password: string; scope: string }[] = [];
        for (let k = 0; k < parsed.value.length; k++) {
          const input = parsed.value[k].input!;
          await d.users.create(ctx.em, ctx.actor.id, input, passwords[k], hashes[k]);
          created.push({ username: input.username, fullName: input.fullName, password: passwords[k], scope: `${input.scopeType}:${input.scopeCode}` });
        }
        const sheetId = newId();
        await writePasswordSheet(path.join(d.dataDir, 'secrets', `${sheetId}.xlsx`), created);
        await d.auth.updateSession(ctx.req, { reveal: { userId: ctx.actor.id, sheetId } });
        return ok({ targetType: 'user-batch', targetId: sheetId, after: { count: created.length, usernames: created.map((c) => c.username) }, redirect: '/admin/users/bulk', flash: ctx.t('users.bulk_created', { n: created.length }) });
      },
    });

    // The one-time-password sheet: only for the official who created the batch, only once, then deleted.
    r.get('/admin/users/bulk/:sheetId/passwords.xlsx', async (req, res) => {
      const reveal = req.scope.session?.data.reveal;
      const id = String(req.params.sheetId);
      if (!uuid.safeParse(id).success || reveal?.sheetId !== id || reveal.userId !== req.scope.actor.id) throw new AppException(appError('NOT_FOUND', 'error.not_found', 404));
      const file = path.join(d.dataDir, 'secrets', `${id}.xlsx`);
      const buf = await fs.promises.readFile(file).catch(() => undefined);
      if (!buf) throw new AppException(appError('NOT_FOUND', 'error.not_found', 404));
      await fs.promises.rm(file, { force: true });
      await d.auth.updateSession(req, { reveal: undefined });
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      res.setHeader('Content-Disposition', 'attachment; filename="mat-khau-mot-lan.xlsx"');
      res.send(buf);
    });

    r.get('/admin/users/:id', async (req, res) => {
      const id = String(req.params.id);
      if (!uuid.safeParse(id).success) throw new AppException(appError('NOT_FOUND', 'users.not_found', 404));
      await authorize(p, req, 'core.users.view', ownScope(req, d, 'core.users.view'));
      const user = await d.users.get(req.scope.em, id);
      const f = d.users.scopeFilter(req.scope.actor.assignments);
      const [visible] = await sql(req.scope.em, `select 1 from app_user u where u.id = ? and ${f.where}`, [id, ...f.params]);
      if (!user || !visible) throw new AppException(appError('NOT_FOUND', 'users.not_found', 404));
      const reveal = req.scope.session?.data.reveal;
      let password: string | undefined;
      if (reveal?.userId === id && reveal.password) {
        password = reveal.password;
        await d.auth.updateSession(req, { reveal: undefined });
        res.setHeader('Cache-Control', 'no-store');
      }
      render(req, res, 'users/show', { user, password, canManage: await manageable(req, id), roles: grantableRoles(req) }, { title: user.full_name, nav: 'users' });
    });

    const userAction = (id: string, suffix: string, fn: (em: EntityManager, userId: string, req: Request) => Promise<ReturnType<typeof ok> | ReturnType<typeof err>>, extra: z.ZodRawShape = {}) =>
      mountAction(r, p, {
        id,
        method: 'post',
        path: `/admin/users/:id/${suffix}`,
        permission: 'core.users.manage',
        input: z.object({ id: uuid, ...extra }).strict(),
        target: (_i, req) => ownScope(req, d, 'core.users.manage'),
        authorize: (i, req, em) => d.users.mayManage(em, req.scope.actor.assignments, (i as { id: string }).id),
        handle: async (i, ctx) => fn(ctx.em, (i as { id: string }).id, ctx.req) as never,
      });

    userAction('core.users.disable', 'disable', async (em, id, req) => {
      const r2 = await d.users.setStatus(em, id, 'disabled');
      if (!r2.ok) return r2;
      return ok({ targetType: 'user', targetId: id, before: { status: r2.value.before }, after: { status: 'disabled' }, redirect: `/admin/users/${id}`, flash: req.scope.t('users.disabled'), afterCommit: async () => void (await d.auth.endSessionsOf(id)) });
    });
    userAction('core.users.enable', 'enable', async (em, id, req) => {
      const r2 = await d.users.setStatus(em, id, 'active');
      if (!r2.ok) return r2;
      return ok({ targetType: 'user', targetId: id, before: { status: r2.value.before }, after: { status: 'active' }, redirect: `/admin/users/${id}`, flash: req.scope.t('users.enabled') });
    });
    userAction('core.users.reset-password', 'reset-password', async (em, id, req) => {
      const password = await d.users.resetPassword(em, id);
      await d.auth.updateSession(req, { reveal: { userId: id, password } });
      return ok({ targetType: 'user', targetId: id, after: { mustChangePassword: true }, redirect: `/admin/users/${id}`, afterCommit: async () => void (await d.auth.endSessionsOf(id)) });
    });
    userAction('core.users.unlock', 'unlock', async (em, id, req) => {
      await sql(em, 'update app_user set failed_logins = 0, locked_until = null where id = ?', [id]);
      return ok({ targetType: 'user', targetId: id, after: { unlocked: true }, redirect: `/admin/users/${id}`, flash: req.scope.t('users.unlocked') });
    });

    mountAction(r, p, {
      id: 'core.users.assign',
      method: 'post',
      path: '/admin/users/:id/assignments',
      permission: 'core.users.manage',
      input: assignmentInput.extend({ id: uuid }).strict(),
      target: (i) => ({ type: i.scopeType as TreeLevel, code: i.scopeCode }),
      authorize: async (i, req, em) => (await d.users.mayManage(em, req.scope.actor.assignments, i.id)) && d.users.mayGrant(em, req.scope.actor.assignments, i),
      handle: async (i, ctx) => {
        await d.users.addAssignment(ctx.em, i.id, i, ctx.actor.id);
        return ok({ targetType: 'user', targetId: i.id, after: { role: i.role, scope: `${i.scopeType}:${i.scopeCode}` }, redirect: `/admin/users/${i.id}` });
      },
    });

    mountAction(r, p, {
      id: 'core.users.unassign',
      method: 'post',
      path: '/admin/users/:id/assignments/:assignmentId/delete',
      permission: 'core.users.manage',
      input: z.object({ id: uuid, assignmentId: uuid }).strict(),
      target: (_i, req) => ownScope(req, d, 'core.users.manage'),
      authorize: (i, req, em) => d.users.mayManage(em, req.scope.actor.assignments, i.id),
      handle: async (i, ctx) => {
        const removed = await d.users.removeAssignment(ctx.em, i.id, i.assignmentId);
        if (!removed) return err(appError('NOT_FOUND', 'users.not_found', 404));
        return ok({ targetType: 'user', targetId: i.id, before: removed, redirect: `/admin/users/${i.id}` });
      },
    });

    // Browsers get the page they came from back instead of the generic error page: the new-account form with what was
    // typed and a message by each field, or the bulk page with a table of rows and columns. API clients, and every
    // other error, go on to the error boundary.
    r.use(async (e: unknown, req: Request, res: Response, next: NextFunction) => {
      if (e instanceof multer.MulterError) {
        // Refused before the pipeline (the upload middleware): audited here, as every rejected attempt is.
        const tooBig = e.code === 'LIMIT_FILE_SIZE';
        await auditRefusal(req, 'core.users.bulk-create', 'rejected', undefined, { code: tooBig ? 'BULK_TOO_LARGE' : 'BULK_UPLOAD', multer: e.code });
        e = new AppException(appError(tooBig ? 'BULK_TOO_LARGE' : 'BULK_UPLOAD', tooBig ? 'users.bulk_too_large' : 'users.bulk_no_file', tooBig ? 413 : 400));
      }
      if (!(e instanceof AppException) || req.method !== 'POST' || req.accepts(['html', 'json']) !== 'html') return next(e);
      const ae = e.appError;
      const t = req.scope.t;
      if (req.path === '/admin/users' && ae.status === 400) {
        const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
        const form = Object.fromEntries(Object.entries(body).filter(([k, v]) => isNewUserField(k) && typeof v === 'string'));
        const errors: Record<string, string> = {};
        const general: string[] = [];
        for (const x of ae.details ?? []) {
          if (x.code === 'INPUT_UNRECOGNIZED_KEYS') {
            general.push(t('input.unknown_field', { field: Object.keys(body).filter((k) => !isNewUserField(k)).join(', ').slice(0, 200) || '-' }));
          } else if (x.field && isNewUserField(x.field)) {
            // Schema failures get the field's own rule; business failures (taken, unknown unit…) their message.
            errors[x.field] ??= x.code.startsWith('INPUT_') ? t(`users.field.${x.field}`) : t(x.messageKey, x.params);
          } else general.push(t(x.messageKey, x.params));
        }
        const focus = BULK_FIELDS.find((f) => errors[f]) ?? 'username'; // the form has the template's column order
        render(req, res, 'users/new', { roles: grantableRoles(req), form, errors, general, focus, error: t(ae.messageKey, ae.params) }, { status: 400, title: t('users.new'), nav: 'users' });
        return;
      }
      if (req.path === '/admin/users/bulk' && (ae.status === 400 || ae.status === 413)) {
        const issues = (ae.details ?? []).map((x) => ({ row: x.row, column: x.column, message: t(x.messageKey, x.params) }));
        render(req, res, 'users/bulk', { roles: grantableRoles(req), columns: BULK_HEADERS, error: t(ae.messageKey, ae.params), issues }, { status: ae.status, title: t('users.bulk'), nav: 'users' });
        return;
      }
      next(e);
    });

    return r;
  };
}

/** Reads the bulk sheet: Vietnamese headers in row 1, one account per row; cells as text. */
async function parseBulk(buf: Buffer): Promise<ReturnType<typeof ok<{ row: number; values: Record<string, string>; input?: NewUserInput }[]>> | ReturnType<typeof err<ReturnType<typeof appError>>>> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
  } catch {
    return err(appError('BULK_NOT_XLSX', 'users.bulk_not_xlsx', 400));
  }
  const ws = wb.worksheets[0];
  if (!ws) return err(appError('BULK_NOT_XLSX', 'users.bulk_not_xlsx', 400));
  const header = (ws.getRow(1).values as unknown[]).slice(1).map((v) => String(v ?? '').trim());
  const missing = BULK_HEADERS.filter((h, k) => header[k] !== h);
  if (missing.length) return err(appError('BULK_HEADER', 'users.bulk_header', 400, { expected: BULK_HEADERS.join(' | ') }));
  const rows: { row: number; values: Record<string, string> }[] = [];
  ws.eachRow({ includeEmpty: false }, (row, n) => {
    if (n === 1) return;
    const values: Record<string, string> = {};
    BULK_FIELDS.forEach((f, k) => {
      const cell = row.getCell(k + 1).value;
      values[f] = cell instanceof Date ? cell.toISOString().slice(0, 10) : String((cell as { text?: string })?.text ?? cell ?? '').normalize('NFC').trim();
    });
    if (Object.values(values).some(Boolean)) rows.push({ row: n, values });
  });
  if (!rows.length) return err(appError('BULK_EMPTY', 'users.bulk_empty', 400));
  if (rows.length > BULK_MAX_ROWS) return err(appError('BULK_TOO_MANY', 'users.bulk_too_many', 400, { max: BULK_MAX_ROWS }));
  return ok(rows);
}

async function writePasswordSheet(file: string, rows: { username: string; fullName: string; password: string; scope: string }[]): Promise<void> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Mật khẩu một lần');
  ws.addRow(['Tên đăng nhập', 'Họ và tên', 'Phạm vi', 'Mật khẩu một lần (đổi khi đăng nhập lần đầu)']).font = { bold: true };
  for (const r of rows) ws.addRow([r.username, r.fullName, r.scope, r.password]);
  ws.columns.forEach((c) => (c.width = 28));
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await fs.promises.writeFile(file, Buffer.from(await wb.xlsx.writeBuffer()), { mode: 0o600 });
}
