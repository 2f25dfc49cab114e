// Delegated administration of accounts: an official creates, disables and resets accounts only strictly below their
// own scope and of a lower rank (a provincial official for the communes of that province, a commune official for its
// boards and teams); administrators are created only by system administrators (with step-up). All in the caller's
// transaction, so the endpoint pipeline audits each change with it.
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { sql, exec } from '../persistence/db.js';
import { newId } from '../shared/ids.js';
import { collationKey, normalizeName, searchKey } from '../shared/vn-text.js';
import { ok, err, type AppError, type FieldIssue, type Result } from '../shared/result.js';
import type { TreeLevel } from '../plugin-api/index.js';
import type { Assignment, Policy } from './policy.js';
import { ROLES, roleDef, type RoleId } from './roles.js';
import { generateOneTimePassword, hashPassword } from './password.js';

export const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{2,39}$/;

export const assignmentInput = z.object({
  role: z.enum(ROLES.map((r) => r.id) as [RoleId, ...RoleId[]]),
  scopeType: z.enum(['nation', 'province', 'commune', 'electoral-unit', 'polling-area']),
  scopeCode: z.string().trim().min(1).max(40),
  electionId: z.string().uuid().optional(),
});
export type AssignmentInput = z.infer<typeof assignmentInput>;

export const newUserInput = z.object({
  username: z.string().trim().toLowerCase().regex(USERNAME_RE),
  fullName: z.string().trim().min(2).max(120),
  phone: z.string().trim().max(30).regex(/^[0-9 +().-]*$/).optional().or(z.literal('')),
  email: z.string().trim().max(120).email().optional().or(z.literal('')),
  expiresAt: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().or(z.literal('')),
}).merge(assignmentInput);
export type NewUserInput = z.infer<typeof newUserInput>;

export interface UserListRow {
  id: string;
  username: string;
  full_name: string;
  phone: string | null;
  status: string;
  expires_at: Date | null;
  locked_until: Date | null;
  /** The account's assignments, with the name of the unit when the scope is a node of the tree. */
  roles: AssignmentView[] | null;
}

export interface AssignmentView {
  role: string;
  scopeType: string;
  scopeCode: string;
  scopeName: string | null;
}

/** The unit a role assignment `ra` is scoped to (current version), for its name. */
const SCOPE_UNIT_JOIN = `left join admin_unit au on au.code = ra.scope_code and au.level = ra.scope_type and au.valid_to is null`;

const issue = (field: string, code: string, messageKey: string, params?: Record<string, string | number>): FieldIssue => ({ field, code, messageKey, params });

export class UsersService {
  constructor(private readonly policy: Policy) {}

  /** The actor's assignments that may manage accounts. */
  private managers(actor: Assignment[]): Assignment[] {
    const roles = this.policy.permission('core.users.manage')?.roles ?? [];
    return actor.filter((a) => roles.includes(a.role));
  }

  /**
   * May the actor give (or manage) this assignment? Its scope must lie strictly below one of the actor's managing
   * scopes with a lower rank — or anywhere for a system administrator. Administrators' roles need create-admin.
   */
  async mayGrant(em: EntityManager, actor: Assignment[], a: { role: string; scopeType: TreeLevel; scopeCode: string }): Promise<boolean> {
    const target = roleDef(a.role);
    if (!target) return false;
    if (!target.scopeTypes.includes(a.scopeType)) return false;
    if (!(await this.policy.exists(em, { type: a.scopeType, code: a.scopeCode }))) return false;
    for (const m of this.managers(actor)) {
      if (m.role === 'system-admin') return true;
      const rank = roleDef(m.role)!.rank;
      if (target.rank >= rank) continue;
      if (await this.policy.strictlyBelow(em, { type: a.scopeType, code: a.scopeCode }, { type: m.scopeType, code: m.scopeCode })) return true;
    }
    return false;
  }

  /** May the actor manage this existing account (every one of its assignments is grantable by the actor)? */
  async mayManage(em: EntityManager, actor: Assignment[], userId: string): Promise<boolean> {
    const rows = await sql<{ role: string; scope_type: TreeLevel; scope_code: string }>(em, 'select role, scope_type, scope_code from role_assignment where user_id = ?', [userId]);
    if (!rows.length) return this.managers(actor).some((m) => m.role === 'system-admin');
    for (const r of rows) if (!(await this.mayGrant(em, actor, { role: r.role, scopeType: r.scope_type, scopeCode: r.scope_code }))) return false;
    return true;
  }

  /**
   * SQL condition (and parameters) selecting users with at least one assignment inside the actor's scopes —
   * the rows the actor may see in the user list.
   */
  scopeFilter(actor: Assignment[]): { where: string; params: unknown[] } {
    const viewRoles = this.policy.permission('core.users.view')?.roles ?? [];
    const scopes = actor.filter((a) => viewRoles.includes(a.role));
    if (scopes.some((s) => s.scopeType === 'nation')) return { where: 'true', params: [] };
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const s of scopes) {
      if (s.scopeType === 'province') {
        parts.push(`exists (select 1 from role_assignment ra where ra.user_id = u.id and ((ra.scope_type = 'province' and ra.scope_code = ?)
          or (ra.scope_type = 'commune' and ra.scope_code in (select code from admin_unit where parent_code = ? and valid_to is null))))`);
        params.push(s.scopeCode, s.scopeCode);
      } else if (s.scopeType === 'commune') {
        parts.push(`exists (select 1 from role_assignment ra where ra.user_id = u.id and ra.scope_type = 'commune' and ra.scope_code = ?)`);
        params.push(s.scopeCode);
      }
    }
    return parts.length ? { where: '(' + parts.join(' or ') + ')', params } : { where: 'false', params: [] };
  }

  async list(em: EntityManager, actor: Assignment[], o: { q?: string; sort?: string; dir?: string; limit: number; offset: number }) {
    const f = this.scopeFilter(actor);
    const params: unknown[] = [...f.params];
    let where = f.where;
    if (o.q) {
      where += ' and (u.search_key like ? or lower(u.username) like ?)';
      // What was typed is text, not a pattern: % and _ match themselves.
      const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
      params.push(like(searchKey(o.q)), like(o.q.toLowerCase()));
    }
    const order = o.sort === 'username' ? 'lower(u.username)' : o.sort === 'status' ? 'u.status' : 'u.sort_key';
    const dir = o.dir === 'desc' ? 'desc' : 'asc';
    const rows = await sql<UserListRow>(em, `select u.id, u.username, u.full_name, u.phone, u.status, u.expires_at, u.locked_until,
        (select json_agg(json_build_object('role', ra.role, 'scopeType', ra.scope_type, 'scopeCode', ra.scope_code, 'scopeName', au.name) order by ra.created_at)
          from role_assignment ra ${SCOPE_UNIT_JOIN} where ra.user_id = u.id) as roles
      from app_user u where ${where} order by ${order} ${dir}, u.id limit ? offset ?`, [...params, o.limit, o.offset]);
    const [{ n }] = await sql<{ n: string }>(em, `select count(*)::text as n from app_user u where ${where}`, params);
    return { rows, total: Number(n) };
  }

  /** Validates one new account against the rules and the actor's scope; returns field issues (none = ok). */
  async checkNew(em: EntityManager, actor: Assignment[], i: NewUserInput): Promise<FieldIssue[]> {
    const issues: FieldIssue[] = [];
    const [dup] = await sql(em, 'select 1 from app_user where lower(username) = lower(?)', [i.username]);
    if (dup) issues.push(issue('username', 'USERNAME_TAKEN', 'users.username_taken', { username: i.username }));
    const def = roleDef(i.role)!;
    if (!def.scopeTypes.includes(i.scopeType)) issues.push(issue('scopeType', 'SCOPE_TYPE_FOR_ROLE', 'users.scope_type_for_role', { role: i.role }));
    else if (!(await this.policy.exists(em, { type: i.scopeType, code: i.scopeCode }))) issues.push(issue('scopeCode', 'SCOPE_UNKNOWN', 'users.scope_unknown', { code: i.scopeCode }));
    else if (!(await this.mayGrant(em, actor, i))) issues.push(issue('scopeCode', 'SCOPE_NOT_BELOW', 'users.scope_not_below'));
    if (i.expiresAt && new Date(i.expiresAt + 'T23:59:59+07:00') <= new Date()) issues.push(issue('expiresAt', 'EXPIRY_PAST', 'users.expiry_past'));
    return issues;
  }

  /** Creates an account with a one-time password (forced change at first sign-in). */
  async create(em: EntityManager, createdBy: string, i: NewUserInput, password = generateOneTimePassword(), hash?: string): Promise<{ id: string; password: string }> {
    const id = newId();
    const fullName = normalizeName(i.fullName);
    await exec(em, `insert into app_user (id, username, full_name, search_key, sort_key, phone, email, expires_at, password_hash, must_change_password, created_by)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?, true, ?)`, [id, i.username, fullName, searchKey(fullName), collationKey(fullName), i.phone || null, i.email || null,
      i.expiresAt ? new Date(i.expiresAt + 'T23:59:59+07:00') : null, hash ?? (await hashPassword(password)), createdBy === 'system' ? null : createdBy]);
    await exec(em, `insert into role_assignment (id, user_id, role, scope_type, scope_code, election_id, created_by) values (?, ?, ?, ?, ?, ?, ?)`,
      [newId(), id, i.role, i.scopeType, i.scopeCode, i.electionId ?? null, createdBy === 'system' ? null : createdBy]);
    return { id, password };
  }

  async get(em: EntityManager, id: string) {
    const [u] = await sql<UserListRow & { email: string | null; created_at: Date; last_login_at: Date | null; totp_enabled: boolean; must_change_password: boolean; failed_logins: number }>(
      em, 'select id, username, full_name, phone, email, status, expires_at, locked_until, created_at, last_login_at, totp_enabled, must_change_password, failed_logins from app_user where id = ?', [id]);
    if (!u) return undefined;
    const assignments = await sql<{ id: string; role: string; scope_type: string; scope_code: string; scope_name: string | null; election_id: string | null }>(
      em, `select ra.id, ra.role, ra.scope_type, ra.scope_code, au.name as scope_name, ra.election_id from role_assignment ra ${SCOPE_UNIT_JOIN}
        where ra.user_id = ? order by ra.created_at`, [id]);
    return { ...u, assignments };
  }

  async setStatus(em: EntityManager, id: string, status: 'active' | 'disabled'): Promise<Result<{ before: string; after: string }, AppError>> {
    const [u] = await sql<{ status: string }>(em, 'select status from app_user where id = ? for update', [id]);
    if (!u) return err({ code: 'USER_NOT_FOUND', messageKey: 'users.not_found', status: 404 });
    await exec(em, `update app_user set status = ?, failed_logins = 0, locked_until = null, updated_at = now(),
      expires_at = case when ? = 'active' and expires_at <= now() then null else expires_at end where id = ?`, [status, status, id]);
    return ok({ before: u.status, after: status });
  }

  /** New one-time password, forced change, unlocked. The caller ends the account's sessions after commit. */
  async resetPassword(em: EntityManager, id: string): Promise<string> {
    const password = generateOneTimePassword();
    await exec(em, 'update app_user set password_hash = ?, must_change_password = true, failed_logins = 0, locked_until = null, updated_at = now() where id = ?', [await hashPassword(password), id]);
    return password;
  }

  async addAssignment(em: EntityManager, userId: string, a: AssignmentInput, by: string): Promise<void> {
    await exec(em, `insert into role_assignment (id, user_id, role, scope_type, scope_code, election_id, created_by) values (?, ?, ?, ?, ?, ?, ?)
      on conflict do nothing`, [newId(), userId, a.role, a.scopeType, a.scopeCode, a.electionId ?? null, by]);
  }

  async removeAssignment(em: EntityManager, userId: string, assignmentId: string): Promise<{ role: string; scope_type: TreeLevel; scope_code: string } | undefined> {
    const [a] = await sql<{ role: string; scope_type: TreeLevel; scope_code: string }>(em, 'delete from role_assignment where id = ? and user_id = ? returning role, scope_type, scope_code', [assignmentId, userId]);
    return a;
  }
}
