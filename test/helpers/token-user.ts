// A user with one role assignment and an API token, inserted straight into the test schema: requests carry
// `Authorization: Bearer <token>` (same policy as a signed-in user, no session, so no CSRF token needed).
import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { exec } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';
import { collationKey, searchKey } from '../../core/shared/vn-text.js';

export interface TokenUser {
  id: string;
  token: string;
  headers: Record<string, string>;
}

export async function createTokenUser(em: EntityManager, username: string, role: string, scopeType: string, scopeCode: string): Promise<TokenUser> {
  const id = newId();
  const fullName = `Người dùng ${username}`;
  await exec(em, `insert into app_user (id, username, full_name, search_key, sort_key, password_hash) values (?, ?, ?, ?, ?, 'x')`,
    [id, username, fullName, searchKey(fullName), collationKey(fullName)]);
  await exec(em, `insert into role_assignment (id, user_id, role, scope_type, scope_code) values (?, ?, ?, ?, ?)`, [newId(), id, role, scopeType, scopeCode]);
  const token = `bct_${randomBytes(24).toString('base64url')}`;
  await exec(em, `insert into api_token (id, user_id, name, token_hash, prefix) values (?, ?, 'test', ?, ?)`,
    [newId(), id, createHash('sha256').update(token).digest('hex'), token.slice(0, 8)]);
  return { id, token, headers: { authorization: `Bearer ${token}` } };
}

/** Fails with a clear message when the app does not recognise API tokens (the sign-in middleware is not mounted). */
export async function assertTokenAccepted(baseUrl: string, user: TokenUser): Promise<void> {
  const res = await fetch(baseUrl + '/reports', { headers: user.headers, redirect: 'manual' });
  if (res.status === 303 && (res.headers.get('location') ?? '').startsWith('/auth/login')) {
    throw new Error('The API token was not recognised: is the auth middleware mounted in core/kernel/boot.ts (beforeRoutes)?');
  }
}
