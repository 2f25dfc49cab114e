// Reading and writing candidates, their history, documents and consultation records with parameterised SQL on the
// caller's (transactional) EntityManager. Dates come back as ISO text. Lists are restricted by scope.ts's filter.
import type { EntityManager } from '@mikro-orm/postgresql';
import { exec, sql } from '../../persistence/db.js';
import { newId } from '../../shared/ids.js';
import { searchKey } from '../../shared/vn-text.js';
import type { DossierValues } from './dossier.js';

export interface CandidateRow extends DossierValues {
  id: string;
  election_id: string;
  contest: string;
  council_code: string;
  filing_body_code: string;
  external_ref: string | null;
  dossier_status: 'received' | 'complete' | 'accepted' | 'returned';
  dossier_return_reason: string | null;
  status: string;
  status_reason: string | null;
  unit_id: string | null;
  ballot_order: number | null;
  version: number;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

const COLUMNS = `c.id, c.election_id, c.contest, c.council_code, c.filing_body_code, c.external_ref, c.full_name, c.other_name, c.name_key,
  c.sort_key, c.gender, c.date_of_birth::text as date_of_birth, c.date_of_birth_text, c.ethnicity, c.religion, c.nationality, c.hometown,
  c.permanent_residence, c.current_residence, c.id_number, c.education, c.occupation, c.position, c.workplace, c.party_member,
  c.party_joined_on::text as party_joined_on, c.incumbent_na, c.incumbent_council, c.deputy_terms, c.nominated_by, c.nominating_body,
  c.full_time_post, c.dossier_status, c.dossier_return_reason, c.status, c.status_reason, c.unit_id::text as unit_id, c.ballot_order,
  c.version, c.created_by, c.created_at, c.updated_at`;

export async function getCandidate(em: EntityManager, electionId: string, id: string, forUpdate = false): Promise<CandidateRow | undefined> {
  const [r] = await sql<CandidateRow>(em, `select ${COLUMNS} from candidate c where c.id = ? and c.election_id = ?${forUpdate ? ' for update' : ''}`, [id, electionId]);
  return r;
}

const VALUE_COLUMNS = [
  'full_name', 'other_name', 'name_key', 'sort_key', 'gender', 'date_of_birth', 'date_of_birth_text', 'ethnicity', 'religion', 'nationality',
  'hometown', 'permanent_residence', 'current_residence', 'id_number', 'education', 'occupation', 'position', 'workplace', 'party_member',
  'party_joined_on', 'incumbent_na', 'incumbent_council', 'deputy_terms', 'nominated_by', 'nominating_body', 'full_time_post',
] as const;
const valueOf = (v: DossierValues, k: (typeof VALUE_COLUMNS)[number]) => (k === 'education' ? JSON.stringify(v.education) : v[k]);

export async function insertCandidate(em: EntityManager, electionId: string, contest: string, codes: { council_code: string; filing_body_code: string }, v: DossierValues, actor: string): Promise<string> {
  const id = newId();
  await exec(em, `insert into candidate (id, election_id, contest, council_code, filing_body_code, ${VALUE_COLUMNS.join(', ')}, created_by)
    values (?, ?, ?, ?, ?, ${VALUE_COLUMNS.map((k) => (k === 'education' ? '?::jsonb' : '?')).join(', ')}, ?)`,
  [id, electionId, contest, codes.council_code, codes.filing_body_code, ...VALUE_COLUMNS.map((k) => valueOf(v, k)), actor]);
  await addEvent(em, id, actor, 'created', { to: 'nominated' });
  return id;
}

/** Optimistic update: false if the row's version is no longer `version` (someone saved in between). */
export async function updateCandidate(em: EntityManager, id: string, version: number, codes: { filing_body_code: string } | undefined, v: DossierValues): Promise<boolean> {
  const n = await exec(em, `update candidate set ${VALUE_COLUMNS.map((k) => `${k} = ?${k === 'education' ? '::jsonb' : ''}`).join(', ')},
      ${codes ? 'filing_body_code = ?, ' : ''}version = version + 1, updated_at = now() where id = ? and version = ?`,
  [...VALUE_COLUMNS.map((k) => valueOf(v, k)), ...(codes ? [codes.filing_body_code] : []), id, version]);
  return n === 1;
}

export async function addEvent(em: EntityManager, candidateId: string, actor: string, kind: string, o: { from?: string | null; to?: string | null; reason?: string | null; data?: unknown } = {}): Promise<void> {
  await exec(em, `insert into candidate_event (candidate_id, actor, kind, from_status, to_status, reason, data) values (?, ?, ?, ?, ?, ?, ?::jsonb)`,
    [candidateId, actor, kind, o.from ?? null, o.to ?? null, o.reason ?? null, JSON.stringify(o.data ?? {})]);
}

export async function setStatus(em: EntityManager, id: string, from: string, to: string, reason: string | null, actor: string, kind: string, data?: unknown): Promise<boolean> {
  const n = await exec(em, `update candidate set status = ?, status_reason = ?, version = version + 1, updated_at = now() where id = ? and status = ?`, [to, reason, id, from]);
  if (n !== 1) return false;
  await addEvent(em, id, actor, kind, { from, to, reason, data });
  return true;
}

export async function setDossierStatus(em: EntityManager, id: string, from: string, to: string, reason: string | null, actor: string): Promise<boolean> {
  const n = await exec(em, `update candidate set dossier_status = ?, dossier_return_reason = ?, version = version + 1, updated_at = now() where id = ? and dossier_status = ?`,
    [to, to === 'returned' ? reason : null, id, from]);
  if (n !== 1) return false;
  await addEvent(em, id, actor, 'dossier', { from, to, reason });
  return true;
}

export interface EventRow { at: string; actor: string; actor_name: string | null; kind: string; from_status: string | null; to_status: string | null; reason: string | null; data: Record<string, unknown> }

export async function eventsOf(em: EntityManager, candidateId: string): Promise<EventRow[]> {
  return sql<EventRow>(em, `select e.at, e.actor, u.full_name as actor_name, e.kind, e.from_status, e.to_status, e.reason, e.data
    from candidate_event e left join app_user u on u.id::text = e.actor where e.candidate_id = ? order by e.at desc, e.id desc`, [candidateId]);
}

// --- search -------------------------------------------------------------------------------------------------

export interface SearchFilters {
  q?: string;
  contest?: string;
  council?: string;
  status?: string;
  gender?: string;
  nominatedBy?: string;
  dossierStatus?: string;
}

export const SORTS: Record<string, string> = {
  name: 'c.sort_key',
  dob: 'c.date_of_birth',
  contest: 'c.contest, c.council_code, c.sort_key',
  status: 'c.status, c.sort_key',
  updated: 'c.updated_at',
};

export interface ListRow {
  id: string; contest: string; council_code: string; full_name: string; other_name: string | null; gender: string; date_of_birth: string | null;
  date_of_birth_text: string | null; id_number: string | null; status: string; dossier_status: string; nominated_by: string; workplace: string | null;
  council_name: string | null;
}

export async function searchCandidates(
  em: EntityManager, electionId: string, scope: { where: string; params: unknown[] }, f: SearchFilters,
  o: { sort: string; dir: 'asc' | 'desc'; limit: number; offset: number },
): Promise<{ rows: ListRow[]; total: number }> {
  const where = ['c.election_id = ?', scope.where];
  const params: unknown[] = [electionId, ...scope.params];
  if (f.q) {
    // Accent-free: "nguyen van a" finds "Nguyễn Văn A"; each word must occur.
    for (const w of searchKey(f.q).split(' ').filter(Boolean).slice(0, 6)) {
      where.push(`c.name_key like ?`);
      params.push(`%${w.replace(/[%_\\]/g, (m) => '\\' + m)}%`);
    }
  }
  const eq = (col: string, v: string | undefined) => {
    if (v) {
      where.push(`${col} = ?`);
      params.push(v);
    }
  };
  eq('c.contest', f.contest);
  eq('c.council_code', f.council);
  eq('c.status', f.status);
  eq('c.gender', f.gender);
  eq('c.nominated_by', f.nominatedBy);
  eq('c.dossier_status', f.dossierStatus);
  const w = where.join(' and ');
  const [{ n }] = await sql<{ n: number }>(em, `select count(*)::int as n from candidate c where ${w}`, params);
  const order = (SORTS[o.sort] ?? SORTS.name).split(', ').map((x) => `${x} ${o.dir}`).join(', ');
  const rows = await sql<ListRow>(em, `select c.id, c.contest, c.council_code, c.full_name, c.other_name, c.gender, c.date_of_birth::text as date_of_birth,
      c.date_of_birth_text, c.id_number, c.status, c.dossier_status, c.nominated_by, c.workplace,
      (select a.name from admin_unit a where a.code = c.council_code and a.valid_to is null limit 1) as council_name
    from candidate c where ${w} order by ${order}, c.id limit ? offset ?`, [...params, o.limit, o.offset]);
  return { rows, total: n };
}

// --- rule 20 --------------------------------------------------------------------------------------------------

export interface StandingRow { id: string; contest: string; council_code: string; full_name: string; date_of_birth: string | null; date_of_birth_text: string | null; id_number: string | null }

/** Other standings in the election that may be the same persons (same date of birth or ID number), still standing. */
export async function possibleSamePersons(em: EntityManager, electionId: string, people: readonly { date_of_birth: string | null; id_number: string | null }[]): Promise<StandingRow[]> {
  const dobs = [...new Set(people.map((p) => p.date_of_birth).filter((x): x is string => !!x))];
  const ids = [...new Set(people.map((p) => p.id_number).filter((x): x is string => !!x))];
  if (!dobs.length && !ids.length) return [];
  return sql<StandingRow>(em, `select c.id, c.contest, c.council_code, c.full_name, c.date_of_birth::text as date_of_birth, c.date_of_birth_text, c.id_number
    from candidate c where c.election_id = ? and c.status not in ('withdrawn', 'removed', 'not-qualified')
      and (c.date_of_birth = any(?::date[]) or c.id_number = any(?::text[]))`,
  [electionId, pgArray(dobs), pgArray(ids)]);
}

/** A PostgreSQL array literal passed as ONE parameter. */
export const pgArray = (xs: readonly string[]): string => '{' + xs.map((x) => '"' + x.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"').join(',') + '}';

// --- documents ------------------------------------------------------------------------------------------------

export interface DocumentRow { id: string; kind: string; set_no: number; file_id: string; uploaded_by: string; uploaded_at: string; original_name: string; mime: string; size: number; uploader_name: string | null }

export async function documentsOf(em: EntityManager, candidateId: string): Promise<DocumentRow[]> {
  return sql<DocumentRow>(em, `select d.id, d.kind, d.set_no, d.file_id::text as file_id, d.uploaded_by, d.uploaded_at, f.original_name, f.mime, f.size,
      u.full_name as uploader_name
    from candidate_document d join stored_file f on f.id = d.file_id left join app_user u on u.id::text = d.uploaded_by
    where d.candidate_id = ? order by d.kind, d.set_no, d.uploaded_at`, [candidateId]);
}

export async function getDocument(em: EntityManager, candidateId: string, docId: string): Promise<DocumentRow | undefined> {
  return (await documentsOf(em, candidateId)).find((d) => d.id === docId);
}

export async function insertDocument(em: EntityManager, candidateId: string, kind: string, setNo: number, fileId: string, actor: string): Promise<string> {
  const id = newId();
  await exec(em, `insert into candidate_document (id, candidate_id, kind, set_no, file_id, uploaded_by) values (?, ?, ?, ?, ?, ?)`, [id, candidateId, kind, setNo, fileId, actor]);
  return id;
}

export async function deleteDocument(em: EntityManager, candidateId: string, docId: string): Promise<boolean> {
  return (await exec(em, `delete from candidate_document where id = ? and candidate_id = ?`, [docId, candidateId])) === 1;
}

// --- consultation ---------------------------------------------------------------------------------------------

export interface RoundRow { id: string; round: number; held_on: string; nominating_body: string | null; composition: string | null; nominees: number | null; note: string | null; recorded_by: string; recorded_at: string; recorder_name: string | null }

export async function roundsOf(em: EntityManager, electionId: string, contest: string, council: string): Promise<RoundRow[]> {
  return sql<RoundRow>(em, `select r.id, r.round, r.held_on::text as held_on, r.nominating_body, r.composition, r.nominees, r.note, r.recorded_by, r.recorded_at,
      u.full_name as recorder_name
    from consultation_round r left join app_user u on u.id::text = r.recorded_by
    where r.election_id = ? and r.contest = ? and r.council_code = ? order by r.round, r.held_on, r.recorded_at`, [electionId, contest, council]);
}

export async function insertRound(em: EntityManager, electionId: string, contest: string, council: string, r: { round: number; heldOn: string; nominatingBody: string | null; composition: string | null; nominees: number | null; note: string | null }, actor: string): Promise<string> {
  const id = newId();
  await exec(em, `insert into consultation_round (id, election_id, contest, council_code, round, held_on, nominating_body, composition, nominees, note, recorded_by)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [id, electionId, contest, council, r.round, r.heldOn, r.nominatingBody, r.composition, r.nominees, r.note, actor]);
  return id;
}

export interface ConferenceRow { id: string; candidate_id: string; kind: 'workplace' | 'residence'; held_on: string; invited: number; attending: number; confidence: number; recorded_by: string; recorded_at: string }

export async function conferencesOf(em: EntityManager, candidateIds: readonly string[]): Promise<ConferenceRow[]> {
  if (!candidateIds.length) return [];
  return sql<ConferenceRow>(em, `select v.id, v.candidate_id::text as candidate_id, v.kind, v.held_on::text as held_on, v.invited, v.attending, v.confidence, v.recorded_by, v.recorded_at
    from voter_conference v where v.candidate_id = any(?::uuid[]) order by v.held_on, v.recorded_at`, [pgArray(candidateIds)]);
}

export async function insertConference(em: EntityManager, candidateId: string, c: { kind: string; heldOn: string; invited: number; attending: number; confidence: number }, actor: string): Promise<string> {
  const id = newId();
  await exec(em, `insert into voter_conference (id, candidate_id, kind, held_on, invited, attending, confidence, recorded_by) values (?, ?, ?, ?, ?, ?, ?, ?)`,
    [id, candidateId, c.kind, c.heldOn, c.invited, c.attending, c.confidence, actor]);
  return id;
}

/** The candidates of a consultation board: a council's candidates; for the NA, those filed with the node (NEC or a province). */
export function boardWhere(contest: string, council: string): { where: string; params: unknown[] } {
  if (contest === 'national-assembly') return { where: `c.contest = ? and c.filing_body_code = ?`, params: [contest, council === 'VN' ? 'NEC' : council] };
  return { where: `c.contest = ? and c.council_code = ?`, params: [contest, council] };
}

export async function boardCandidates(em: EntityManager, electionId: string, contest: string, council: string): Promise<CandidateRow[]> {
  const b = boardWhere(contest, council);
  return sql<CandidateRow>(em, `select ${COLUMNS} from candidate c where c.election_id = ? and ${b.where} order by c.sort_key, c.id`, [electionId, ...b.params]);
}

/** The councils (contest, code) with candidates that the scope reaches, with counts per status, for the board index. */
export async function councilsInScope(em: EntityManager, electionId: string, scope: { where: string; params: unknown[] }): Promise<{ contest: string; code: string; name: string | null; total: number }[]> {
  return sql(em, `select c.contest, case when c.contest = 'national-assembly' then case when c.filing_body_code = 'NEC' then 'VN' else c.filing_body_code end else c.council_code end as code,
      (select a.name from admin_unit a where a.code = (case when c.contest = 'national-assembly' then c.filing_body_code else c.council_code end) and a.valid_to is null limit 1) as name,
      count(*)::int as total
    from candidate c where c.election_id = ? and ${scope.where} group by 1, 2, 3 order by 1, 2`, [electionId, ...scope.params]);
}
