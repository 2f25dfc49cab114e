// Reading and writing election bodies and their members with parameterised SQL on the caller's (transactional)
// EntityManager, and the per-scope summaries the pages show. The administrative tree is read as in force on the
// election's day; units and polling areas come from the structure tables (read only here).
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, exec } from '../../persistence/db.js';
import { newId } from '../../shared/ids.js';
import { normalizeName } from '../../shared/vn-text.js';
import type { Target } from '../../auth/policy.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import type { UnitLevel } from '../../plugin-api/index.js';
import { contestsOf, getElection } from '../elections.service.js';
import {
  nameKey, phoneKey, roleRank,
  type BodyKind, type BodyNode, type BodyStatus, type MemberRec, type MemberRole, type SizeRange, type TeamVariant,
} from './model.js';

export const inForce = (a: string): string => `${a}.valid_from <= ?::date and (${a}.valid_to is null or ${a}.valid_to > ?::date)`;

/** A PostgreSQL array literal passed as ONE parameter (Knex would expand a JS array). */
export const pgArray = (xs: readonly string[]): string => '{' + xs.map((x) => '"' + x.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"').join(',') + '}';

export interface ContestRef {
  id: string;
  unitLevel: UnitLevel;
  shortLabel: string;
  boardSize: SizeRange;
}

export interface ElectionRef {
  id: string;
  name: string;
  electionDay: string;
  /** Contests held (enabled plugins with a contest type), in installation order. */
  contests: ContestRef[];
}

/** The election with the contests it holds, or undefined. */
export async function loadElection(em: EntityManager, registry: PluginRegistry, id: string): Promise<ElectionRef | undefined> {
  const e = await getElection(em, id);
  if (!e) return undefined;
  const order = registry.plugins().map((p) => p.id);
  const contests: ContestRef[] = [];
  for (const c of await contestsOf(em, id, order)) {
    const ct = registry.contestType(c);
    if (ct) contests.push({ id: ct.id, unitLevel: ct.unitLevel, shortLabel: ct.shortLabel, boardSize: { ...ct.boardSize } });
  }
  return { id: e.id, name: e.name, electionDay: e.election_day, contests };
}

export interface AdminNode {
  code: string;
  name: string;
  parent_code: string | null;
  parent_name: string | null;
}

/** A province or commune as in force on the election's day. */
export async function nodeAt(em: EntityManager, day: string, code: string, level: 'province' | 'commune'): Promise<AdminNode | undefined> {
  const [r] = await sql<AdminNode>(em,
    `select u.code, u.name, u.parent_code, p.name as parent_name from admin_unit u
       left join admin_unit p on p.code = u.parent_code and p.level = 'province' and ${inForce('p')}
      where u.code = ? and u.level = ? and ${inForce('u')}`, [day, day, code, level, day, day]);
  return r;
}

export interface BodyRow {
  id: string;
  election_id: string;
  kind: BodyKind;
  province_code: string | null;
  commune_code: string | null;
  unit_id: string | null;
  polling_area_id: string | null;
  contest: string | null;
  variant: TeamVariant | null;
  status: BodyStatus;
  none_reason: string | null;
  decision_no: string | null;
  decision_date: string | null;
  issued_by: string | null;
  formed_on: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  completed_by: string | null;
  /** Boards: the unit. */
  unit_number: number | null;
  unit_name: string | null;
  unit_parent_level: UnitLevel | null;
  unit_parent_code: string | null;
  /** Teams: the polling area. */
  area_number: number | null;
  area_name: string | null;
  area_kind: string | null;
}

export const BODY_COLUMNS = `b.id, b.election_id, b.kind, b.province_code, b.commune_code, b.unit_id, b.polling_area_id, b.contest, b.variant, b.status,
  b.none_reason, b.decision_no, b.decision_date::text as decision_date, b.issued_by, b.formed_on::text as formed_on, b.created_by, b.created_at,
  b.updated_at, b.completed_at, b.completed_by, u.number as unit_number, u.name as unit_name, u.parent_level as unit_parent_level,
  u.parent_code as unit_parent_code, a.number as area_number, a.name as area_name, a.kind as area_kind`;
export const BODY_FROM = `election_body b left join electoral_unit u on u.id = b.unit_id left join polling_area a on a.id = b.polling_area_id`;

export async function getBody(em: EntityManager, id: string, forUpdate = false): Promise<BodyRow | undefined> {
  const [r] = await sql<BodyRow>(em, `select ${BODY_COLUMNS} from ${BODY_FROM} where b.id = ?${forUpdate ? ' for update of b' : ''}`, [id]);
  return r;
}

/** The body of a node, if any (the unique indexes of rule 8 allow at most one). */
export async function findBody(em: EntityManager, electionId: string, node: BodyNode): Promise<BodyRow | undefined> {
  const [col, val] = node.kind === 'province-committee' ? ['province_code', node.provinceCode] : node.kind === 'commune-committee' ? ['commune_code', node.communeCode]
    : node.kind === 'board' ? ['unit_id', node.unitId] : ['polling_area_id', node.areaId];
  const [r] = await sql<BodyRow>(em, `select ${BODY_COLUMNS} from ${BODY_FROM} where b.election_id = ? and b.kind = ? and b.${col} = ?`, [electionId, node.kind, val]);
  return r;
}

export interface MemberRow {
  id: string;
  position: number;
  full_name: string;
  role: MemberRole;
  organisation: string | null;
  phone: string | null;
}

/** Members in the order of the list: by role (leader first), then as entered. */
export async function membersOf(em: EntityManager, body: { id: string; kind: BodyKind }): Promise<MemberRow[]> {
  const rows = await sql<MemberRow>(em, `select id, position, full_name, role, organisation, phone from body_member where body_id = ? order by position, id`, [body.id]);
  return rows.sort((a, b) => roleRank(body.kind, a.role) - roleRank(body.kind, b.role) || a.position - b.position);
}

export const memberRec = (m: MemberRow): MemberRec => ({ id: m.id, fullName: m.full_name, role: m.role, organisation: m.organisation, phone: m.phone });

/** The node an official must manage to change a body (docs/bodies.md): the commune of a team, the parent of a board's unit. */
export function manageTarget(b: BodyRow): Target {
  const electionId = b.election_id;
  if (b.kind === 'province-committee') return { type: 'province', code: b.province_code!, electionId };
  if (b.kind === 'commune-committee' || b.kind === 'team') return { type: 'commune', code: b.commune_code!, electionId };
  return { type: b.unit_parent_level ?? 'province', code: b.unit_parent_code ?? '', electionId };
}

/** The node a reader must reach to see a body: a board member reaches its unit's board, a team member its own team. */
export function viewTarget(b: BodyRow): Target {
  const electionId = b.election_id;
  if (b.kind === 'board') return { type: 'electoral-unit', code: b.unit_id!, electionId };
  if (b.kind === 'team') return { type: 'polling-area', code: b.polling_area_id!, electionId };
  return manageTarget(b);
}

export interface NewBody {
  electionId: string;
  node: BodyNode;
  /** Boards: the unit's contest; teams: the area's commune. */
  contest?: string;
  communeCode?: string;
  variant?: TeamVariant;
  status?: BodyStatus;
  noneReason?: string | null;
  decisionNo?: string | null;
  decisionDate?: string | null;
  issuedBy?: string | null;
  formedOn?: string | null;
  createdBy: string;
}

export async function insertBody(em: EntityManager, b: NewBody): Promise<string> {
  const id = newId();
  const n = b.node;
  await exec(em, `insert into election_body (id, election_id, kind, province_code, commune_code, unit_id, polling_area_id, contest, variant, status, none_reason,
      decision_no, decision_date, issued_by, formed_on, created_by)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
    id, b.electionId, n.kind, n.kind === 'province-committee' ? n.provinceCode : null,
    n.kind === 'commune-committee' ? n.communeCode : n.kind === 'team' ? b.communeCode : null,
    n.kind === 'board' ? n.unitId : null, n.kind === 'team' ? n.areaId : null, n.kind === 'board' ? b.contest : null,
    n.kind === 'team' ? b.variant ?? 'civil' : null, b.status ?? 'draft', b.noneReason ?? null,
    b.decisionNo ?? null, b.decisionDate ?? null, b.issuedBy ?? null, b.formedOn ?? null, b.createdBy,
  ]);
  return id;
}

export interface BodyFields {
  decisionNo: string | null;
  decisionDate: string | null;
  issuedBy: string | null;
  formedOn: string | null;
  variant: TeamVariant | null;
}

export const fieldsOf = (b: BodyRow): BodyFields => ({ decisionNo: b.decision_no, decisionDate: b.decision_date, issuedBy: b.issued_by, formedOn: b.formed_on, variant: b.variant });

export async function updateBodyFields(em: EntityManager, id: string, f: BodyFields): Promise<void> {
  await exec(em, `update election_body set decision_no = ?, decision_date = ?, issued_by = ?, formed_on = ?, variant = case when kind = 'team' then ? else null end,
    updated_at = now() where id = ?`, [f.decisionNo, f.decisionDate, f.issuedBy, f.formedOn, f.variant, id]);
}

export async function setStatus(em: EntityManager, id: string, status: 'draft' | 'complete', actorId: string): Promise<void> {
  await exec(em, `update election_body set status = ?, completed_at = case when ? = 'complete' then now() else null end,
    completed_by = case when ? = 'complete' then ? else null end, updated_at = now() where id = ?`, [status, status, status, actorId, id]);
}

/** Clean member fields as stored: NFC names with single spaces, blank → null. */
export function cleanMember(m: MemberRec): MemberRec {
  const blank = (s: string | null | undefined) => (s && normalizeName(s) ? normalizeName(s) : null);
  return { ...m, fullName: normalizeName(m.fullName), organisation: blank(m.organisation), phone: blank(m.phone) };
}

export async function insertMember(em: EntityManager, bodyId: string, m: MemberRec): Promise<string> {
  const id = newId();
  const c = cleanMember(m);
  await exec(em, `insert into body_member (id, body_id, position, full_name, name_key, role, organisation, phone, phone_key)
    values (?, ?, (select coalesce(max(position), 0) + 1 from body_member where body_id = ?), ?, ?, ?, ?, ?, ?)`,
  [id, bodyId, bodyId, c.fullName, nameKey(c.fullName), c.role, c.organisation, c.phone, phoneKey(c.phone)]);
  return id;
}

export async function updateMember(em: EntityManager, id: string, m: MemberRec): Promise<void> {
  const c = cleanMember(m);
  await exec(em, `update body_member set full_name = ?, name_key = ?, role = ?, organisation = ?, phone = ?, phone_key = ?, updated_at = now() where id = ?`,
    [c.fullName, nameKey(c.fullName), c.role, c.organisation, c.phone, phoneKey(c.phone), id]);
}

export async function deleteMember(em: EntityManager, id: string): Promise<void> {
  await exec(em, `delete from body_member where id = ?`, [id]);
}

/** Replaces a body's whole member list (imports), in the order given. */
export async function replaceMembers(em: EntityManager, bodyId: string, members: readonly MemberRec[]): Promise<void> {
  await exec(em, `delete from body_member where body_id = ?`, [bodyId]);
  for (let i = 0; i < members.length; i += 500) {
    const chunk = members.slice(i, i + 500).map(cleanMember);
    await exec(em, `insert into body_member (id, body_id, position, full_name, name_key, role, organisation, phone, phone_key) values
      ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    chunk.flatMap((m, j) => [newId(), bodyId, i + j + 1, m.fullName, nameKey(m.fullName), m.role, m.organisation, m.phone, phoneKey(m.phone)]));
  }
}

// --- summaries for the pages ----------------------------------------------------------------------------------

export interface Tally {
  formed: number;
  expected: number;
  drafts: number;
}

export interface ProvinceSummary {
  code: string;
  name: string;
  committee: { id: string; status: BodyStatus } | null;
  communeCommittees: Tally;
  boards: Tally;
  teams: Tally;
}

const tally = (r: Record<string, unknown>, p: string): Tally => ({ formed: Number(r[`${p}_formed`] ?? 0), expected: Number(r[`${p}_expected`] ?? 0), drafts: Number(r[`${p}_drafts`] ?? 0) });

/**
 * Per province: its committee, its communes' committees (formed / communes minus those without one), its boards
 * (formed / units of the contests held, province- and commune-level) and its teams (formed / polling areas).
 * "Formed" = status complete.
 */
export async function provinceSummaries(em: EntityManager, e: ElectionRef, only?: string): Promise<ProvinceSummary[]> {
  const day = e.electionDay;
  const contests = pgArray(e.contests.map((c) => c.id));
  const rows = await sql<Record<string, unknown>>(em, `
    with p as (select code, name from admin_unit where level = 'province' and ${inForce('admin_unit')} ${only ? 'and code = ?' : ''}),
    c as (select code, parent_code from admin_unit where level = 'commune' and ${inForce('admin_unit')}),
    cc as (select c.parent_code as province, count(*) filter (where b.status is distinct from 'none') as cc_expected,
                  count(*) filter (where b.status = 'complete') as cc_formed, count(*) filter (where b.status = 'draft') as cc_drafts
             from c left join election_body b on b.election_id = ? and b.kind = 'commune-committee' and b.commune_code = c.code group by c.parent_code),
    bu as (select case when u.parent_level = 'province' then u.parent_code else c.parent_code end as province, count(*) as bo_expected,
                  count(b.id) filter (where b.status = 'complete') as bo_formed, count(b.id) filter (where b.status = 'draft') as bo_drafts
             from electoral_unit u left join c on u.parent_level = 'commune' and c.code = u.parent_code
             left join election_body b on b.kind = 'board' and b.unit_id = u.id
            where u.election_id = ? and u.contest = any(?::text[]) group by 1),
    t as (select c.parent_code as province, count(*) as te_expected, count(b.id) filter (where b.status = 'complete') as te_formed,
                 count(b.id) filter (where b.status = 'draft') as te_drafts
            from polling_area a join c on c.code = a.commune_code left join election_body b on b.kind = 'team' and b.polling_area_id = a.id
           where a.election_id = ? group by 1)
    select p.code, p.name, pc.id as committee_id, pc.status as committee_status, cc.*, bu.*, t.*
      from p left join election_body pc on pc.election_id = ? and pc.kind = 'province-committee' and pc.province_code = p.code
      left join cc on cc.province = p.code left join bu on bu.province = p.code left join t on t.province = p.code
     order by p.code`,
  [day, day, ...(only ? [only] : []), day, day, e.id, e.id, contests, e.id, e.id]);
  return rows.map((r) => ({
    code: String(r.code), name: String(r.name),
    committee: r.committee_id ? { id: String(r.committee_id), status: r.committee_status as BodyStatus } : null,
    communeCommittees: tally(r, 'cc'), boards: tally(r, 'bo'), teams: tally(r, 'te'),
  }));
}

export interface BodyCell {
  id: string;
  status: BodyStatus;
  members: number;
  variant: TeamVariant | null;
}

const cellOf = (r: { body_id: string | null; body_status: BodyStatus | null; body_members: number | null; body_variant?: TeamVariant | null }): BodyCell | null =>
  r.body_id ? { id: r.body_id, status: r.body_status!, members: Number(r.body_members ?? 0), variant: r.body_variant ?? null } : null;

const BODY_CELL = `b.id as body_id, b.status as body_status, b.variant as body_variant, (select count(*)::int from body_member m where m.body_id = b.id) as body_members`;

/** The committee of a province or commune (or its 'none' record). */
export async function committeeOf(em: EntityManager, electionId: string, level: 'province' | 'commune', code: string): Promise<(BodyCell & { noneReason: string | null }) | null> {
  const kind = level === 'province' ? 'province-committee' : 'commune-committee';
  const col = level === 'province' ? 'province_code' : 'commune_code';
  const [r] = await sql<{ body_id: string; body_status: BodyStatus; body_members: number; body_variant: null; none_reason: string | null }>(em,
    `select ${BODY_CELL}, b.none_reason from election_body b where b.election_id = ? and b.kind = ? and b.${col} = ?`, [electionId, kind, code]);
  return r ? { ...cellOf(r)!, noneReason: r.none_reason } : null;
}

export interface UnitBoardRow {
  unit_id: string;
  contest: string;
  number: number;
  name: string;
  seats: number;
  board: BodyCell | null;
}

/** The units of a parent (a province or a commune) for the contests held at that level, with their boards. */
export async function unitBoards(em: EntityManager, e: ElectionRef, level: UnitLevel, parentCode: string): Promise<UnitBoardRow[]> {
  const contests = e.contests.filter((c) => c.unitLevel === level).map((c) => c.id);
  if (!contests.length) return [];
  const rows = await sql<{ unit_id: string; contest: string; number: number; name: string; seats: number; body_id: string | null; body_status: BodyStatus | null; body_members: number | null }>(em,
    `select u.id as unit_id, u.contest, u.number, u.name, u.seats, ${BODY_CELL}
       from electoral_unit u left join election_body b on b.kind = 'board' and b.unit_id = u.id
      where u.election_id = ? and u.parent_level = ? and u.parent_code = ? and u.contest = any(?::text[]) order by u.contest, u.number`,
    [e.id, level, parentCode, pgArray(contests)]);
  const order = (c: string) => contests.indexOf(c);
  return rows.sort((a, b) => order(a.contest) - order(b.contest) || a.number - b.number)
    .map((r) => ({ unit_id: r.unit_id, contest: r.contest, number: r.number, name: r.name, seats: r.seats, board: cellOf(r) }));
}

export interface CommuneBodiesRow {
  code: string;
  name: string;
  committee: BodyCell | null;
  boards: Tally;
  teams: Tally;
}

/** The communes of a province with their committee, boards (commune-level units) and teams. */
export async function communeSummaries(em: EntityManager, e: ElectionRef, province: string): Promise<CommuneBodiesRow[]> {
  const day = e.electionDay;
  const contests = pgArray(e.contests.filter((c) => c.unitLevel === 'commune').map((c) => c.id));
  const rows = await sql<Record<string, unknown>>(em, `
    with c as (select code, name, sort_key from admin_unit where level = 'commune' and parent_code = ? and ${inForce('admin_unit')}),
    bu as (select u.parent_code as commune, count(*) as bo_expected, count(b.id) filter (where b.status = 'complete') as bo_formed,
                  count(b.id) filter (where b.status = 'draft') as bo_drafts
             from electoral_unit u join c on c.code = u.parent_code left join election_body b on b.kind = 'board' and b.unit_id = u.id
            where u.election_id = ? and u.parent_level = 'commune' and u.contest = any(?::text[]) group by 1),
    t as (select a.commune_code as commune, count(*) as te_expected, count(b.id) filter (where b.status = 'complete') as te_formed,
                 count(b.id) filter (where b.status = 'draft') as te_drafts
            from polling_area a join c on c.code = a.commune_code left join election_body b on b.kind = 'team' and b.polling_area_id = a.id
           where a.election_id = ? group by 1)
    select c.code, c.name, ${BODY_CELL}, bu.*, t.*
      from c left join election_body b on b.election_id = ? and b.kind = 'commune-committee' and b.commune_code = c.code
      left join bu on bu.commune = c.code left join t on t.commune = c.code
     order by c.sort_key`, [province, day, day, e.id, contests, e.id, e.id]);
  return rows.map((r) => ({
    code: String(r.code), name: String(r.name),
    committee: cellOf(r as { body_id: string | null; body_status: BodyStatus | null; body_members: number | null }),
    boards: tally(r, 'bo'), teams: tally(r, 'te'),
  }));
}

export interface AreaTeamRow {
  area_id: string;
  number: number;
  name: string;
  kind: string;
  voters: number;
  team: BodyCell | null;
}

/** The polling areas of a commune with their teams. */
export async function areaTeams(em: EntityManager, electionId: string, commune: string): Promise<AreaTeamRow[]> {
  const rows = await sql<{ area_id: string; number: number; name: string; kind: string; voters: number; body_id: string | null; body_status: BodyStatus | null; body_members: number | null; body_variant: TeamVariant | null }>(em,
    `select a.id as area_id, a.number, a.name, a.kind, a.voters, ${BODY_CELL}
       from polling_area a left join election_body b on b.kind = 'team' and b.polling_area_id = a.id
      where a.election_id = ? and a.commune_code = ? order by a.number`, [electionId, commune]);
  return rows.map((r) => ({ area_id: r.area_id, number: r.number, name: r.name, kind: r.kind, voters: r.voters, team: cellOf(r) }));
}

/** A unit of the election (for a board), or undefined. */
export async function unitOf(em: EntityManager, electionId: string, unitId: string): Promise<{ id: string; contest: string; parent_level: UnitLevel; parent_code: string; number: number } | undefined> {
  const [u] = await sql<{ id: string; contest: string; parent_level: UnitLevel; parent_code: string; number: number }>(em,
    `select id, contest, parent_level, parent_code, number from electoral_unit where id = ? and election_id = ?`, [unitId, electionId]);
  return u;
}

/** A polling area of the election (for a team), or undefined. */
export async function areaOf(em: EntityManager, electionId: string, areaId: string): Promise<{ id: string; commune_code: string; number: number; kind: string } | undefined> {
  const [a] = await sql<{ id: string; commune_code: string; number: number; kind: string }>(em,
    `select id, commune_code, number, kind from polling_area where id = ? and election_id = ?`, [areaId, electionId]);
  return a;
}
