// Data builders of the official forms: SQL over the committed tables (structure, bodies, candidates, turnout
// reports, count minutes). Results are summed from the ACCEPTED version of each first-round count minutes
// (count_minutes.accepted_version_id) — correctness first; the aggregate tables of docs/results.md may replace
// these sums later without changing the forms. Every loader returns plain data; forms.views.ts draws it.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../persistence/db.js';
import { appError, err, ok, type AppError, type Result } from '../../shared/result.js';

export interface ElectionInfo {
  id: string;
  name: string;
  day: string;
}
export interface CandidateVotes {
  name: string;
  votes: number;
  elected: boolean;
  female: boolean;
}
export interface UnitResult {
  id: string;
  number: number;
  name: string;
  seats: number;
  parentCode: string;
  areasTotal: number;
  areasReported: number;
  voters: number;
  voted: number;
  received: number;
  valid: number;
  invalid: number;
  candidates: CandidateVotes[];
}

const notFound = (what: string): AppError => appError('NOT_FOUND', 'reports.forms.not_found', 404, { what });

export async function loadElection(em: EntityManager, id: string): Promise<ElectionInfo | undefined> {
  const [e] = await sql<{ id: string; name: string; day: string }>(em, `select id, name, election_day::text as day from election where id = ?`, [id]);
  return e;
}

/** The current name of an administrative unit (the latest version). */
export async function unitName(em: EntityManager, code: string): Promise<string | undefined> {
  if (code === 'VN') return 'Việt Nam';
  const [u] = await sql<{ name: string }>(em, `select name from admin_unit where code = ? order by valid_from desc limit 1`, [code]);
  return u?.name;
}

/** The province a commune belongs to (code and name). */
async function provinceOf(em: EntityManager, code: string): Promise<{ code: string; name: string } | undefined> {
  const [u] = await sql<{ code: string; name: string; level: string; parent_code: string | null }>(
    em, `select code, name, level, parent_code from admin_unit where code = ? order by valid_from desc limit 1`, [code]);
  if (!u) return undefined;
  if (u.level === 'province') return { code: u.code, name: u.name };
  return u.parent_code ? provinceOf(em, u.parent_code) : undefined;
}

/** Members of an election body by role, in list order (leaders first). */
async function bodyMembers(em: EntityManager, where: string, params: unknown[]): Promise<{ role: string; full_name: string }[]> {
  return sql(em, `select m.role, m.full_name from election_body b join body_member m on m.body_id = b.id where ${where} order by m.position`, params);
}
const firstWith = (ms: { role: string; full_name: string }[], ...roles: string[]) => ms.find((m) => roles.includes(m.role))?.full_name;

/**
 * Results of electoral units, summed over the accepted first-round minutes of their polling areas, with the votes of
 * each official candidate and who is elected: the `seats` candidates with most votes among those with more than
 * half of the valid ballots (Law on Election art. 78).
 */
export async function unitResults(em: EntityManager, unitFilter: string, params: unknown[]): Promise<UnitResult[]> {
  const units = await sql<{ id: string; number: number; name: string; seats: number; parent_code: string; areas_total: string; voters_list: string | null;
    reported: string; voters: string | null; voted: string | null; received: string | null; valid: string | null; invalid: string | null }>(em,
    `with u as (select * from electoral_unit where ${unitFilter}),
     a as (select pau.unit_id, count(*) as areas_total, sum(coalesce(pau.voters, pa.voters)) as voters_list
           from polling_area_unit pau join polling_area pa on pa.id = pau.polling_area_id where pau.unit_id in (select id from u) group by pau.unit_id),
     r as (select cm.unit_id, count(*) as reported, sum(v.voters_total) as voters, sum(v.voters_voted) as voted, sum(v.ballots_received) as received,
                  sum(v.ballots_valid) as valid, sum(v.ballots_invalid) as invalid
           from count_minutes cm join count_minutes_version v on v.id = cm.accepted_version_id
           where cm.round = 'first' and cm.unit_id in (select id from u) group by cm.unit_id)
     select u.id, u.number, u.name, u.seats, u.parent_code, coalesce(a.areas_total, 0)::text as areas_total, a.voters_list::text as voters_list,
            coalesce(r.reported, 0)::text as reported, r.voters::text as voters, r.voted::text as voted, r.received::text as received, r.valid::text as valid, r.invalid::text as invalid
     from u left join a on a.unit_id = u.id left join r on r.unit_id = u.id order by u.parent_code, u.number`, params);
  if (!units.length) return [];
  const votes = await sql<{ unit_id: string; full_name: string; gender: string; votes: string }>(em,
    `select c.unit_id, c.full_name, c.gender, coalesce(sum(vv.votes), 0)::text as votes
     from candidate c
     left join count_minutes cm on cm.unit_id = c.unit_id and cm.round = 'first' and cm.accepted_version_id is not null
     left join count_minutes_vote vv on vv.version_id = cm.accepted_version_id and vv.candidate_id = c.id
     where c.status = 'official' and c.unit_id in (select id from electoral_unit where ${unitFilter})
     group by c.id order by c.unit_id, c.ballot_order`, params);
  const byUnit = new Map<string, CandidateVotes[]>();
  for (const v of votes) {
    const list = byUnit.get(v.unit_id) ?? [];
    list.push({ name: v.full_name, votes: Number(v.votes), elected: false, female: v.gender === 'female' });
    byUnit.set(v.unit_id, list);
  }
  return units.map((u) => {
    const valid = Number(u.valid ?? 0);
    const candidates = byUnit.get(u.id) ?? [];
    markElected(candidates, u.seats, valid);
    return {
      id: u.id, number: u.number, name: u.name, seats: u.seats, parentCode: u.parent_code,
      areasTotal: Number(u.areas_total), areasReported: Number(u.reported),
      voters: Number(u.voters ?? u.voters_list ?? 0), voted: Number(u.voted ?? 0), received: Number(u.received ?? 0), valid, invalid: Number(u.invalid ?? 0),
      candidates,
    };
  });
}

/** Marks the elected: most votes first, more than half of the valid ballots, at most `seats` (a tie at the last seat elects nobody extra). */
export function markElected(candidates: CandidateVotes[], seats: number, valid: number): void {
  const ranked = [...candidates].filter((c) => c.votes * 2 > valid).sort((a, b) => b.votes - a.votes);
  for (let i = 0; i < ranked.length && i < seats; i++) {
    if (i === seats - 1 && ranked[i + 1] && ranked[i + 1].votes === ranked[i].votes) break; // tie: the law calls the older; left to the committee
    ranked[i].elected = true;
  }
}

// ---------------------------------------------------------------------------------------------------- per form

export interface TeamMinutesData {
  election: ElectionInfo;
  contest: string;
  province: string;
  commune: string;
  councilName: string;
  area: { number: number; name: string };
  unit: { number: number; name: string; seats: number };
  figures: { votersTotal: number; votersVoted: number; issued: number; received: number; valid: number; invalid: number };
  /** Rule 23 ballot-paper inventory, when the minutes give it (the fields are optional; [U] exact form fields). */
  inventory?: { fromBoard: number | null; unused: number | null; spoiled: number | null };
  votes: { name: string; votes: number }[];
  leader?: string;
  secretary?: string;
}

export async function loadTeamMinutes(em: EntityManager, p: { electionId: string; pollingAreaId: string; contest: string }): Promise<Result<TeamMinutesData, AppError>> {
  const election = await loadElection(em, p.electionId);
  if (!election) return err(notFound('election'));
  const [row] = await sql<{ number: number; name: string; commune_code: string; u_number: number; u_name: string; seats: number; parent_code: string; version_id: string | null;
    voters_total: number | null; voters_voted: number | null; ballots_issued: number | null; ballots_received: number | null; ballots_valid: number | null; ballots_invalid: number | null;
    ballots_from_board: number | null; ballots_unused: number | null; ballots_spoiled: number | null }>(em,
    `select pa.number, pa.name, pa.commune_code, u.number as u_number, u.name as u_name, u.seats, u.parent_code, v.id as version_id,
            v.voters_total, v.voters_voted, v.ballots_issued, v.ballots_received, v.ballots_valid, v.ballots_invalid,
            v.ballots_from_board, v.ballots_unused, v.ballots_spoiled
     from polling_area pa join polling_area_unit pau on pau.polling_area_id = pa.id and pau.contest = ?
     join electoral_unit u on u.id = pau.unit_id
     left join count_minutes cm on cm.polling_area_id = pa.id and cm.contest = ? and cm.round = 'first'
     left join count_minutes_version v on v.id = cm.accepted_version_id
     where pa.id = ? and pa.election_id = ?`, [p.contest, p.contest, p.pollingAreaId, p.electionId]);
  if (!row) return err(notFound('polling area'));
  if (!row.version_id) return err(appError('NO_MINUTES', 'reports.forms.no_minutes', 409));
  const votes = await sql<{ full_name: string; votes: number }>(em,
    `select c.full_name, vv.votes from count_minutes_vote vv join candidate c on c.id = vv.candidate_id where vv.version_id = ? order by c.ballot_order, c.sort_key`, [row.version_id]);
  const members = await bodyMembers(em, `b.kind = 'team' and b.polling_area_id = ?`, [p.pollingAreaId]);
  const province = await provinceOf(em, row.commune_code);
  return ok({
    election, contest: p.contest,
    province: province?.name ?? '', commune: (await unitName(em, row.commune_code)) ?? row.commune_code,
    councilName: (await unitName(em, row.parent_code)) ?? '',
    area: { number: row.number, name: row.name },
    unit: { number: row.u_number, name: row.u_name, seats: row.seats },
    figures: {
      votersTotal: row.voters_total ?? 0, votersVoted: row.voters_voted ?? 0, issued: row.ballots_issued ?? 0,
      received: row.ballots_received ?? 0, valid: row.ballots_valid ?? 0, invalid: row.ballots_invalid ?? 0,
    },
    ...(row.ballots_from_board != null || row.ballots_unused != null || row.ballots_spoiled != null
      ? { inventory: { fromBoard: row.ballots_from_board, unused: row.ballots_unused, spoiled: row.ballots_spoiled } } : {}),
    votes: votes.map((v) => ({ name: v.full_name, votes: v.votes })),
    leader: firstWith(members, 'leader'),
    secretary: firstWith(members, 'secretary'),
  });
}

export interface BoardResultsData {
  election: ElectionInfo;
  contest: string;
  place: string;
  councilName: string;
  unit: UnitResult;
  head?: string;
  secretary?: string;
}

export async function loadBoardResults(em: EntityManager, p: { electionId: string; unitId: string }): Promise<Result<BoardResultsData, AppError>> {
  const election = await loadElection(em, p.electionId);
  if (!election) return err(notFound('election'));
  const [u] = await sql<{ contest: string }>(em, `select contest from electoral_unit where id = ? and election_id = ?`, [p.unitId, p.electionId]);
  if (!u) return err(notFound('electoral unit'));
  const [unit] = await unitResults(em, 'id = ?', [p.unitId]);
  const members = await bodyMembers(em, `b.kind = 'board' and b.unit_id = ?`, [p.unitId]);
  const province = await provinceOf(em, unit.parentCode);
  return ok({
    election, contest: u.contest, place: province?.name ?? '', councilName: (await unitName(em, unit.parentCode)) ?? '',
    unit, head: firstWith(members, 'head'), secretary: firstWith(members, 'secretary'),
  });
}

export interface CouncilResultsData {
  election: ElectionInfo;
  contest: string;
  /** The council's (or the province's, for NA) code and name. */
  scope: { code: string; name: string };
  place: string;
  size: number | null;
  units: UnitResult[];
  chair?: string;
}

/** The province committee's NA results (Mẫu 20/HĐBC-QH) or a committee's council summary: every unit of the scope. */
export async function loadCouncilResults(em: EntityManager, p: { electionId: string; contest: string; code: string }): Promise<Result<CouncilResultsData, AppError>> {
  const election = await loadElection(em, p.electionId);
  if (!election) return err(notFound('election'));
  const name = await unitName(em, p.code);
  if (!name) return err(notFound('unit ' + p.code));
  // NA units and council units both hang under the node that elects them (parent_code): the province for NA.
  const units = await unitResults(em, `election_id = ? and contest = ? and parent_code = ?`, [p.electionId, p.contest, p.code]);
  const [size] = await sql<{ size: number }>(em, `select size from council where election_id = ? and contest = ? and admin_code = ?`, [p.electionId, p.contest, p.code]);
  const province = await provinceOf(em, p.code);
  const members = await bodyMembers(em, `b.election_id = ? and ((b.kind = 'province-committee' and b.province_code = ?) or (b.kind = 'commune-committee' and b.commune_code = ?))`, [p.electionId, p.code, p.code]);
  return ok({ election, contest: p.contest, scope: { code: p.code, name }, place: province?.name ?? name, size: size?.size ?? null, units, chair: firstWith(members, 'chair') });
}

export interface NecSummaryData {
  election: ElectionInfo;
  provinces: { code: string; name: string; units: number; seats: number; voters: number; voted: number; valid: number; invalid: number; elected: number; women: number }[];
}

export async function loadNecSummary(em: EntityManager, p: { electionId: string }): Promise<Result<NecSummaryData, AppError>> {
  const election = await loadElection(em, p.electionId);
  if (!election) return err(notFound('election'));
  const units = await unitResults(em, `election_id = ? and contest = 'national-assembly'`, [p.electionId]);
  const provinceOfUnit = await sql<{ unit_id: string; code: string; name: string; sort_key: string }>(em,
    `select distinct on (u.id) u.id as unit_id, p.code, p.name, p.sort_key from electoral_unit u
     join admin_unit p on p.code = case when u.parent_level = 'province' then u.parent_code else (select parent_code from admin_unit where code = u.parent_code order by valid_from desc limit 1) end
     where u.election_id = ? and u.contest = 'national-assembly' order by u.id, p.valid_from desc`, [p.electionId]);
  const pmap = new Map(provinceOfUnit.map((r) => [r.unit_id, r]));
  const by = new Map<string, NecSummaryData['provinces'][number] & { sort: string }>();
  for (const u of units) {
    const pr = pmap.get(u.id);
    if (!pr) continue;
    const row = by.get(pr.code) ?? { code: pr.code, name: pr.name, sort: pr.sort_key, units: 0, seats: 0, voters: 0, voted: 0, valid: 0, invalid: 0, elected: 0, women: 0 };
    row.units++; row.seats += u.seats; row.voters += u.voters; row.voted += u.voted; row.valid += u.valid; row.invalid += u.invalid;
    row.elected += u.candidates.filter((c) => c.elected).length;
    row.women += u.candidates.filter((c) => c.elected && c.female).length;
    by.set(pr.code, row);
  }
  const provinces = [...by.values()].sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0)).map(({ sort: _s, ...r }) => r);
  return ok({ election, provinces });
}

export interface CandidateListData {
  election: ElectionInfo;
  contest: string;
  place: string;
  councilName: string;
  unit: { number: number; name: string; seats: number };
  candidates: { name: string; dob: string; gender: string; ethnicity: string; religion: string; hometown: string; education: string; occupation: string; workplace: string; party: string }[];
}

export async function loadCandidateList(em: EntityManager, p: { electionId: string; unitId: string }): Promise<Result<CandidateListData, AppError>> {
  const election = await loadElection(em, p.electionId);
  if (!election) return err(notFound('election'));
  const [u] = await sql<{ contest: string; number: number; name: string; seats: number; parent_code: string }>(em,
    `select contest, number, name, seats, parent_code from electoral_unit where id = ? and election_id = ?`, [p.unitId, p.electionId]);
  if (!u) return err(notFound('electoral unit'));
  const rows = await sql<{ full_name: string; dob: string | null; dob_text: string | null; gender: string; ethnicity: string; religion: string | null; hometown: string | null;
    education: Record<string, unknown>; occupation: string | null; position: string | null; workplace: string | null; party_member: boolean; party_joined_on: string | null }>(em,
    `select full_name, date_of_birth::text as dob, date_of_birth_text as dob_text, gender, ethnicity, religion, hometown, education, occupation, position, workplace, party_member, party_joined_on::text as party_joined_on
     from candidate where unit_id = ? and status = 'official' order by ballot_order`, [p.unitId]);
  const province = await provinceOf(em, u.parent_code);
  return ok({
    election, contest: u.contest, place: province?.name ?? '', councilName: (await unitName(em, u.parent_code)) ?? '',
    unit: { number: u.number, name: u.name, seats: u.seats },
    candidates: rows.map((c) => ({
      name: c.full_name,
      dob: c.dob ? c.dob.split('-').reverse().join('/') : (c.dob_text ?? ''),
      gender: c.gender === 'female' ? 'Nữ' : 'Nam',
      ethnicity: c.ethnicity,
      religion: c.religion ?? 'Không',
      hometown: c.hometown ?? '',
      education: Object.values(c.education ?? {}).filter((v) => typeof v === 'string' && v).join('; '),
      occupation: [c.occupation, c.position].filter(Boolean).join('; '),
      workplace: c.workplace ?? '',
      party: c.party_member ? (c.party_joined_on ? c.party_joined_on.split('-').reverse().join('/') : 'Có') : 'Không',
    })),
  });
}

export interface ElectedListData {
  election: ElectionInfo;
  contest: string;
  scope: { code: string; name: string };
  place: string;
  rows: { name: string; unit: string; votes: number; valid: number }[];
}

export async function loadElectedList(em: EntityManager, p: { electionId: string; contest: string; code: string }): Promise<Result<ElectedListData, AppError>> {
  const r = p.code === 'VN' && p.contest === 'national-assembly'
    ? await (async () => {
      const election = await loadElection(em, p.electionId);
      if (!election) return err(notFound('election'));
      return ok({ election, contest: p.contest, scope: { code: 'VN', name: 'Việt Nam' }, place: 'Hà Nội', size: null, units: await unitResults(em, `election_id = ? and contest = 'national-assembly'`, [p.electionId]) } as CouncilResultsData);
    })()
    : await loadCouncilResults(em, p);
  if (!r.ok) return r;
  const rows = r.value.units.flatMap((u) => u.candidates.filter((c) => c.elected).map((c) => ({ name: c.name, unit: `Số ${u.number} — ${u.name}`, votes: c.votes, valid: u.valid })));
  return ok({ election: r.value.election, contest: p.contest, scope: r.value.scope, place: r.value.place, rows });
}

export interface StructureData {
  election: ElectionInfo;
  contest: string;
  scope: { code: string; name: string };
  place: string;
  seats: number;
  total: number;
  indicators: { key: string; label: string; count: number; targetPct?: number }[];
}

/** Structure targets of the official list (rule 18): NA women ≥ 35 %, ethnic minorities ≥ 18 %. */
export const STRUCTURE_TARGETS: Record<string, Record<string, number>> = { 'national-assembly': { women: 35, ethnicMinority: 18 } };

export async function loadStructure(em: EntityManager, p: { electionId: string; contest: string; code: string }): Promise<Result<StructureData, AppError>> {
  const election = await loadElection(em, p.electionId);
  if (!election) return err(notFound('election'));
  const name = await unitName(em, p.code);
  if (!name) return err(notFound('unit ' + p.code));
  const [s] = await sql<Record<string, string>>(em,
    `select count(*)::text as total,
       count(*) filter (where gender = 'female')::text as women,
       count(*) filter (where ethnicity <> '' and ethnicity <> 'Kinh')::text as "ethnicMinority",
       count(*) filter (where not party_member)::text as "nonParty",
       count(*) filter (where date_of_birth is not null and date_of_birth > (?::date - interval '40 years'))::text as under40,
       count(*) filter (where religion is not null and religion not in ('', 'Không'))::text as religious,
       count(*) filter (where incumbent_na or incumbent_council)::text as incumbent,
       count(*) filter (where nominated_by = 'self')::text as "selfNominated"
     from candidate where election_id = ? and contest = ? and status = 'official' and (council_code = ? or ? = 'VN')`,
    [election.day, p.electionId, p.contest, p.code, p.code]);
  const [seats] = await sql<{ n: string }>(em, `select coalesce(sum(seats), 0)::text as n from electoral_unit where election_id = ? and contest = ? and (parent_code = ? or ? = 'VN' or parent_code in (select code from admin_unit where parent_code = ?))`,
    [p.electionId, p.contest, p.code, p.code, p.code]);
  const targets = STRUCTURE_TARGETS[p.contest] ?? {};
  const LABELS: [string, string][] = [
    ['women', 'Phụ nữ'], ['ethnicMinority', 'Người dân tộc thiểu số'], ['nonParty', 'Người ngoài Đảng'], ['under40', 'Người dưới 40 tuổi'],
    ['religious', 'Người có tôn giáo'], ['incumbent', 'Đại biểu tái cử'], ['selfNominated', 'Người tự ứng cử'],
  ];
  const province = await provinceOf(em, p.code);
  return ok({
    election, contest: p.contest, scope: { code: p.code, name }, place: province?.name ?? 'Hà Nội', seats: Number(seats.n), total: Number(s.total),
    indicators: LABELS.map(([key, label]) => ({ key, label, count: Number(s[key]), targetPct: targets[key] })),
  });
}

export interface TurnoutSlotData {
  election: ElectionInfo;
  contest: string;
  slot: string;
  scope: { code: string; name: string };
  place: string;
  rows: { code: string; name: string; areas: number; reported: number; voters: number; voted: number }[];
}

/** Turnout at a report time: per province (nation) or per commune (a province), from the reports of that slot. */
export async function loadTurnoutSlot(em: EntityManager, p: { electionId: string; contest: string; slot: string; code: string }): Promise<Result<TurnoutSlotData, AppError>> {
  const election = await loadElection(em, p.electionId);
  if (!election) return err(notFound('election'));
  const name = await unitName(em, p.code);
  if (!name) return err(notFound('unit ' + p.code));
  const groupBy = p.code === 'VN' ? `c.parent_code` : `pa.commune_code`;
  const rows = await sql<{ code: string; name: string; areas: string; reported: string; voters: string; voted: string }>(em,
    `with c as (select distinct on (code) code, parent_code from admin_unit where level = 'commune' order by code, valid_from desc),
     g as (select ${groupBy} as code, count(*) as areas, count(t.slot) as reported, sum(coalesce(pau.voters, pa.voters)) as voters, coalesce(sum(t.voted), 0) as voted
           from polling_area pa join c on c.code = pa.commune_code
           join polling_area_unit pau on pau.polling_area_id = pa.id and pau.contest = ?
           left join turnout_report t on t.polling_area_id = pa.id and t.contest = ? and t.slot = ?
           where pa.election_id = ? and (? = 'VN' or c.parent_code = ?) group by 1)
     select g.code, coalesce(n.name, g.code) as name, g.areas::text, g.reported::text, g.voters::text, g.voted::text
     from g left join lateral (select name, sort_key from admin_unit where code = g.code order by valid_from desc limit 1) n on true
     order by n.sort_key, g.code`, [p.contest, p.contest, p.slot, p.electionId, p.code, p.code]);
  const province = await provinceOf(em, p.code);
  return ok({
    election, contest: p.contest, slot: p.slot, scope: { code: p.code, name }, place: province?.name ?? 'Hà Nội',
    rows: rows.map((r) => ({ code: r.code, name: r.name, areas: Number(r.areas), reported: Number(r.reported), voters: Number(r.voters), voted: Number(r.voted) })),
  });
}
