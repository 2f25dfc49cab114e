// Roles and core permissions: the policy table as declared data. Plugins declare their own permissions the same way
// (PermissionDef.roles); the single policy in core/auth/policy.ts reads only this table.
import type { PermissionDef, TreeLevel } from '../plugin-api/index.js';

export type RoleId = 'system-admin' | 'nec-official' | 'province-official' | 'commune-official' | 'board-member' | 'team-member' | 'observer';

export interface RoleDef {
  id: RoleId;
  titleKey: string;
  /** Tree levels an assignment of this role may be scoped to. */
  scopeTypes: TreeLevel[];
  /** TOTP is mandatory (issue 3: system administrators, NEC and provincial roles). */
  mandatory2fa: boolean;
  /** Rank for delegated administration: a manager creates accounts only of a lower rank, below its own scope. */
  rank: number;
}

export const ROLES: RoleDef[] = [
  { id: 'system-admin', titleKey: 'role.system-admin', scopeTypes: ['nation'], mandatory2fa: true, rank: 100 },
  { id: 'nec-official', titleKey: 'role.nec-official', scopeTypes: ['nation'], mandatory2fa: true, rank: 90 },
  { id: 'province-official', titleKey: 'role.province-official', scopeTypes: ['province'], mandatory2fa: true, rank: 70 },
  { id: 'commune-official', titleKey: 'role.commune-official', scopeTypes: ['commune'], mandatory2fa: false, rank: 50 },
  { id: 'board-member', titleKey: 'role.board-member', scopeTypes: ['electoral-unit'], mandatory2fa: false, rank: 30 },
  { id: 'team-member', titleKey: 'role.team-member', scopeTypes: ['polling-area'], mandatory2fa: false, rank: 20 },
  { id: 'observer', titleKey: 'role.observer', scopeTypes: ['nation', 'province', 'commune', 'electoral-unit', 'polling-area'], mandatory2fa: false, rank: 0 },
];
export const ROLE_IDS = ROLES.map((r) => r.id);
export const roleDef = (id: string): RoleDef | undefined => ROLES.find((r) => r.id === id);

const ALL: RoleId[] = ['system-admin', 'nec-official', 'province-official', 'commune-official', 'board-member', 'team-member', 'observer'];
const MANAGERS: RoleId[] = ['system-admin', 'nec-official', 'province-official', 'commune-official'];

/** Core's permissions (owner 'core'). Reads are granted to observers; writes never are. */
export const CORE_PERMISSIONS: PermissionDef[] = [
  { id: 'core.tree.import', level: 'nation', titleKey: 'perm.core.tree.import', roles: ['system-admin'] },
  { id: 'core.elections.view', level: 'nation', titleKey: 'perm.core.elections.view', roles: ALL, unscoped: true },
  { id: 'core.elections.manage', level: 'nation', titleKey: 'perm.core.elections.manage', roles: ['system-admin', 'nec-official'] },
  // Stepping an election back a phase undoes a decision: administrators only, with a fresh second factor and a reason.
  { id: 'core.elections.phase-back', level: 'nation', titleKey: 'perm.core.elections.phase-back', roles: ['system-admin'], stepUp: true },
  { id: 'core.elections.calendar-recompute', level: 'commune', titleKey: 'perm.core.elections.calendar-recompute', roles: ['system-admin', 'nec-official', 'province-official', 'commune-official'] },
  { id: 'core.plugins.manage', level: 'nation', titleKey: 'perm.core.plugins.manage', roles: ['system-admin'], stepUp: true },
  { id: 'core.jobs.view', level: 'nation', titleKey: 'perm.core.jobs.view', roles: ['system-admin', 'nec-official', 'observer'] },
  // The BullMQ board (/admin/queues) shows job data and Redis internals: system administrators only.
  { id: 'core.queues.view', level: 'nation', titleKey: 'perm.core.queues.view', roles: ['system-admin'] },
  { id: 'core.users.view', level: 'commune', titleKey: 'perm.core.users.view', roles: [...MANAGERS, 'observer'] },
  { id: 'core.users.manage', level: 'commune', titleKey: 'perm.core.users.manage', roles: MANAGERS },
  { id: 'core.users.create-admin', level: 'nation', titleKey: 'perm.core.users.create-admin', roles: ['system-admin'], stepUp: true },
  { id: 'core.users.unlock-data', level: 'nation', titleKey: 'perm.core.users.unlock-data', roles: ['system-admin', 'nec-official'], stepUp: true },
  { id: 'core.audit.view', level: 'province', titleKey: 'perm.core.audit.view', roles: ['system-admin', 'nec-official', 'province-official', 'observer'] },
  { id: 'core.reports.generate', level: 'province', titleKey: 'perm.core.reports.generate', roles: ['system-admin', 'nec-official', 'province-official', 'commune-official'] },
  { id: 'core.reports.view', level: 'province', titleKey: 'perm.core.reports.view', roles: ALL },
  // Election structure (docs/structure.md): every role reads the part of the structure its scope reaches; writes are
  // checked on the level that decides — the nation for NA units, the province for its council's units, the commune
  // for its polling areas and council units — so a commune official edits only its own commune.
  { id: 'core.structure.view', level: 'polling-area', titleKey: 'structure.perm.view', roles: ALL },
  { id: 'core.structure.manage', level: 'commune', titleKey: 'structure.perm.manage', roles: MANAGERS },
  // Election bodies (docs/bodies.md): read on the body's node (a board member reaches its unit's board, a team member
  // its own team); written on the node that forms it — the nation reaches all, a province its committee and its
  // province-level boards (and, as supervisor, its communes' bodies), a commune its committee, council boards and teams.
  { id: 'core.bodies.view', level: 'polling-area', titleKey: 'bodies.perm.view', roles: ALL },
  { id: 'core.bodies.manage', level: 'commune', titleKey: 'bodies.perm.manage', roles: MANAGERS },
  // Count minutes (docs/count-minutes.md): entered by the polling area's team or by the commune on its behalf; the
  // commune committee resolves double-entry differences; a correction is proposed and approved by two different
  // people (the service refuses the proposer as approver).
  { id: 'core.minutes.view', level: 'polling-area', titleKey: 'count-minutes.perm.view', roles: ALL },
  { id: 'core.minutes.enter', level: 'polling-area', titleKey: 'count-minutes.perm.enter', roles: [...MANAGERS, 'team-member'] },
  { id: 'core.minutes.resolve', level: 'commune', titleKey: 'count-minutes.perm.resolve', roles: MANAGERS },
  { id: 'core.minutes.correct', level: 'commune', titleKey: 'count-minutes.perm.correct', roles: [...MANAGERS, 'board-member'] },
  { id: 'core.minutes.approve', level: 'commune', titleKey: 'count-minutes.perm.approve', roles: MANAGERS },
  // Candidates (docs/candidates.md): read on the candidate (its commune, province or the nation — scope.ts); written
  // by the committee of that level. Personal data (ID number, addresses, asset declarations) only for the officials
  // who handle dossiers — never observers, boards or teams, nor system administrators (technical staff).
  { id: 'core.candidates.view', level: 'commune', titleKey: 'candidates.perm.view', roles: ALL },
  { id: 'core.candidates.manage', level: 'commune', titleKey: 'candidates.perm.manage', roles: MANAGERS },
  { id: 'core.candidates.personal-data', level: 'commune', titleKey: 'candidates.perm.personal-data', roles: ['nec-official', 'province-official', 'commune-official'] },
  // Results (docs/results.md): read on the unit, province or nation the role reaches; re-votes, additional elections,
  // tie decisions and finalisation by the committee of that level; the public page only by the NEC.
  { id: 'core.results.view', level: 'polling-area', titleKey: 'results.perm.view', roles: ALL },
  { id: 'core.results.manage', level: 'commune', titleKey: 'results.perm.manage', roles: MANAGERS },
  { id: 'core.results.publish', level: 'nation', titleKey: 'results.perm.publish', roles: ['nec-official'] },
  // Rule 29: only the NEC decides whether an NA unit short of winners holds an additional election.
  { id: 'core.results.nec-decide', level: 'nation', titleKey: 'results.perm.nec_decide', roles: ['nec-official'] },
  // Turnout (docs/turnout.md): read on the place; reported on the polling area by its team, or on its behalf by the
  // commune and the levels above (recorded as on_behalf). Boards and observers read only.
  { id: 'core.turnout.view', level: 'polling-area', titleKey: 'turnout.perm.view', roles: ALL },
  { id: 'core.turnout.report', level: 'polling-area', titleKey: 'turnout.perm.report', roles: [...MANAGERS, 'team-member'] },
];
