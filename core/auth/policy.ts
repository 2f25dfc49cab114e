// The single authorisation policy. allowed ⇔ the target lies inside the subtree of one of the actor's assignments
// ∧ that assignment's role grants the permission ∧ (for a plugin's permission) the plugin is enabled for the
// election. No role checks anywhere else: handlers state a permission and a target, the pipeline asks here.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { TreeLevel } from '../plugin-api/index.js';
import { sql } from '../persistence/db.js';

/** A node the action touches: a tree node (nation 'VN', province '79', commune '26734'), later a unit or area. */
export interface Target {
  type: TreeLevel;
  code: string;
  electionId?: string;
}

export interface Assignment {
  role: string;
  scopeType: TreeLevel;
  scopeCode: string;
  electionId: string | null;
}

export interface PermissionInfo {
  id: string;
  owner: string;
  roles: string[];
  unscoped?: boolean;
  stepUp?: boolean;
}

export type Decision = { allowed: true; via: Assignment } | { allowed: false; reason: 'no-permission' | 'out-of-scope' | 'plugin-disabled' | 'unknown-permission' | 'unknown-target' };

export const NATION = 'VN';

/**
 * Resolves a target to its chain of ancestors (itself first, nation last). Tree nodes resolve through admin_unit;
 * electoral units and polling areas register their own resolvers when the structure module exists.
 */
export type AncestorResolver = (em: EntityManager, code: string) => Promise<{ type: TreeLevel; code: string }[] | undefined>;

export class ScopeResolver {
  private readonly resolvers = new Map<TreeLevel, AncestorResolver>();

  constructor() {
    this.resolvers.set('nation', async (_em, code) => (code === NATION ? [{ type: 'nation', code: NATION }] : undefined));
    this.resolvers.set('province', async (em, code) => {
      const [row] = await sql(em, `select code from admin_unit where code = ? and level = 'province' and valid_to is null`, [code]);
      return row ? [{ type: 'province', code }, { type: 'nation', code: NATION }] : undefined;
    });
    this.resolvers.set('commune', async (em, code) => {
      const [row] = await sql<{ parent_code: string }>(em, `select parent_code from admin_unit where code = ? and level = 'commune' and valid_to is null`, [code]);
      return row ? [{ type: 'commune', code }, { type: 'province', code: row.parent_code }, { type: 'nation', code: NATION }] : undefined;
    });
  }

  register(type: TreeLevel, r: AncestorResolver): void {
    this.resolvers.set(type, r);
  }

  async ancestors(em: EntityManager, t: { type: TreeLevel; code: string }): Promise<{ type: TreeLevel; code: string }[] | undefined> {
    return this.resolvers.get(t.type)?.(em, t.code);
  }
}

export class Policy {
  constructor(
    private readonly permissions: (id: string) => PermissionInfo | undefined,
    private readonly scopes: ScopeResolver,
    private readonly pluginEnabled: (em: EntityManager, electionId: string, pluginId: string) => Promise<boolean>,
  ) {}

  permission(id: string): PermissionInfo | undefined {
    return this.permissions(id);
  }

  /** Decides one (actor assignments, permission, target) triple. */
  async decide(em: EntityManager, assignments: Assignment[], permissionId: string, target: Target): Promise<Decision> {
    const perm = this.permissions(permissionId);
    if (!perm) return { allowed: false, reason: 'unknown-permission' };
    const candidates = assignments.filter((a) => perm.roles.includes(a.role) && (!a.electionId || !target.electionId || a.electionId === target.electionId));
    if (!candidates.length) return { allowed: false, reason: 'no-permission' };
    if (perm.owner !== 'core' && target.electionId && !(await this.pluginEnabled(em, target.electionId, perm.owner))) {
      return { allowed: false, reason: 'plugin-disabled' };
    }
    if (perm.unscoped) return { allowed: true, via: candidates[0] };
    const chain = await this.scopes.ancestors(em, target);
    if (!chain) return { allowed: false, reason: 'unknown-target' };
    for (const a of candidates) {
      if (chain.some((n) => n.type === a.scopeType && n.code === a.scopeCode)) return { allowed: true, via: a };
    }
    return { allowed: false, reason: 'out-of-scope' };
  }

  /** Is `inner` strictly below `outer` (a descendant, not the node itself)? Used by delegated administration. */
  async strictlyBelow(em: EntityManager, inner: { type: TreeLevel; code: string }, outer: { type: TreeLevel; code: string }): Promise<boolean> {
    const chain = await this.scopes.ancestors(em, inner);
    if (!chain) return false;
    return chain.slice(1).some((n) => n.type === outer.type && n.code === outer.code);
  }

  async exists(em: EntityManager, t: { type: TreeLevel; code: string }): Promise<boolean> {
    return (await this.scopes.ancestors(em, t)) !== undefined;
  }
}
