// Who is acting in a request or job: an anonymous visitor, a signed-in user with their scoped role assignments,
// an API token's owner, or the system itself (schedules, imports at start).
import type { Assignment } from './policy.js';

export interface Actor {
  id: string;
  kind: 'anonymous' | 'user' | 'system' | 'api-token';
  username?: string;
  fullName?: string;
  assignments: Assignment[];
  /** Session id (users) — for "end my other sessions" and audit. */
  sessionId?: string;
  /** Last second-factor confirmation, ms since epoch (step-up freshness). */
  secondFactorAt?: number;
  mustChangePassword?: boolean;
}

export const ANONYMOUS: Actor = { id: 'anonymous', kind: 'anonymous', assignments: [] };
export const SYSTEM: Actor = { id: 'system', kind: 'system', assignments: [{ role: 'system-admin', scopeType: 'nation', scopeCode: 'VN', electionId: null }] };

/** A short description of the role and scope used, for the audit trail. */
export function describeVia(a: Assignment | undefined): { role: string | null; scope: string | null } {
  return a ? { role: a.role, scope: `${a.scopeType}:${a.scopeCode}${a.electionId ? '@' + a.electionId : ''}` } : { role: null, scope: null };
}
