// A cookie-keeping HTTP client for tests (sessions, CSRF tokens), and fixtures for accounts with scoped roles.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../core/persistence/db.js';
import { hashPassword } from '../../core/auth/password.js';
import { currentTotp, newTotpSecret } from '../../core/auth/totp.js';
import { newId } from '../../core/shared/ids.js';
import { collationKey, searchKey } from '../../core/shared/vn-text.js';
import type { TreeLevel } from '../../core/plugin-api/index.js';

export interface TestUser {
  id: string;
  username: string;
  password: string;
  totpSecret?: string;
}

export interface AssignmentSpec {
  role: string;
  scopeType: TreeLevel;
  scopeCode: string;
  electionId?: string;
}

let seq = 0;

/** Creates an active account directly in the database (the admin pages are tested separately). */
export async function createUser(em: EntityManager, o: { username?: string; fullName?: string; password?: string; roles: AssignmentSpec[]; totp?: boolean; mustChange?: boolean; status?: string; expiresAt?: Date }): Promise<TestUser> {
  const username = o.username ?? `user${++seq}_${Math.random().toString(36).slice(2, 7)}`;
  const password = o.password ?? 'Mat-khau-rat-dai-2026';
  const id = newId();
  const fullName = o.fullName ?? `Nguyễn Văn ${username}`;
  const totpSecret = o.totp ? newTotpSecret() : undefined;
  await sql(em, `insert into app_user (id, username, full_name, search_key, sort_key, password_hash, must_change_password, totp_secret, totp_enabled, status, expires_at)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [id, username, fullName, searchKey(fullName), collationKey(fullName), await hashPassword(password), o.mustChange ?? false,
    totpSecret ?? null, !!totpSecret, o.status ?? 'active', o.expiresAt ?? null]);
  for (const r of o.roles) {
    await sql(em, `insert into role_assignment (id, user_id, role, scope_type, scope_code, election_id) values (?, ?, ?, ?, ?, ?)`, [newId(), id, r.role, r.scopeType, r.scopeCode, r.electionId ?? null]);
  }
  return { id, username, password, totpSecret };
}

export class TestClient {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const k = pair.slice(0, i);
      const v = pair.slice(i + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(c) || v === '') this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(this.base + path, { headers: { cookie: this.cookieHeader(), ...headers }, redirect: 'manual' });
    this.keep(res);
    return res;
  }

  async text(path: string): Promise<string> {
    return (await this.get(path)).text();
  }

  /** The CSRF token of the current session, read from a page's form. */
  async csrf(): Promise<string> {
    // The sign-in page carries a token for anonymous visitors and for half-signed-in sessions; signed-in users
    // are redirected from it, and /account has theirs.
    let res = await this.get('/auth/login');
    if (res.status === 303) res = await this.get('/account');
    for (let hops = 0; res.status === 303 && hops < 3; hops++) res = await this.get(res.headers.get('location') ?? '/');
    const html = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error('no CSRF token on the page');
    return m[1];
  }

  /** POSTs a form; adds the session's CSRF token unless `csrf: false` or a token is given. */
  async post(path: string, form: Record<string, string> = {}, o: { csrf?: string | false; headers?: Record<string, string> } = {}): Promise<Response> {
    const body = new URLSearchParams(form);
    if (o.csrf !== false) body.set('_csrf', o.csrf ?? (await this.csrf()));
    const res = await fetch(this.base + path, {
      method: 'POST',
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', ...(o.headers ?? {}) },
      body,
      redirect: 'manual',
    });
    this.keep(res);
    return res;
  }

  /** Signs in, passing the second factor when the account has one. */
  async login(u: TestUser, em?: EntityManager): Promise<Response> {
    const res = await this.post('/auth/login', { username: u.username, password: u.password });
    const loc = res.headers.get('location') ?? '';
    if (loc.startsWith('/auth/2fa') && !loc.startsWith('/auth/2fa/enrol')) {
      if (!u.totpSecret) throw new Error('account needs a TOTP secret');
      // A TOTP code is accepted once only; tests sign in repeatedly within one 30 s step, so forget the last step.
      if (em) await sql(em, 'update app_user set totp_last_step = 0 where id = ?', [u.id]);
      return this.post('/auth/2fa', { code: await currentTotp(u.totpSecret), next: '/' });
    }
    return res;
  }

  async logout(): Promise<Response> {
    return this.post('/auth/logout');
  }
}
