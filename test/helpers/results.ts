// Helpers for the results tests (issue 7): a small structure written with SQL (provinces, communes, units of the NA
// and commune-council contests, polling areas, official candidates) and accepted count minutes inserted the way the
// count-minutes module leaves them (a version per acceptance, accepted_revision bumped), without its service.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, exec } from '../../core/persistence/db.js';
import { newId } from '../../core/shared/ids.js';

export interface SeedUnit {
  id: string;
  contest: string;
  seats: number;
  province: string;
  commune?: string;
  areas: string[];
  candidates: { id: string; name: string; dob: string }[];
}

export interface SeedSpec {
  /** Provinces, each with communes, each with polling areas. */
  provinces: { communes: { areas: number }[] }[];
  /** NA units per province (communes split across them in order). */
  naUnitsPerProvince?: number;
  /** Commune-council units per commune (areas split across them). */
  communeUnitsPerCommune?: number;
  seats?: (contest: string, i: number) => number;
  candidates?: (seats: number, i: number) => number;
  /** Prefix for admin codes, so two seeds in one schema do not clash. */
  codePrefix?: string;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Writes admin units, units, areas and candidates for one election; returns the units with their areas. */
export async function seedResultsStructure(em: EntityManager, electionId: string, spec: SeedSpec): Promise<SeedUnit[]> {
  const units: SeedUnit[] = [];
  const pre = spec.codePrefix ?? 'R';
  const naPer = spec.naUnitsPerProvince ?? 1;
  const ccPer = spec.communeUnitsPerCommune ?? 1;
  const seatsOf = spec.seats ?? ((c) => (c === 'national-assembly' ? 2 : 3));
  const candsOf = spec.candidates ?? ((s) => s + 2);
  let unitNo = 0;
  for (const [pi, p] of spec.provinces.entries()) {
    const pcode = `${pre}${pad(pi + 1, 2)}`;
    await exec(em, `insert into admin_unit (code, valid_from, level, parent_code, name, type, search_key, sort_key) values (?, '2025-07-01', 'province', 'VN', ?, 'tỉnh', ?, ?) on conflict do nothing`,
      [pcode, `Tỉnh ${pcode}`, `tinh ${pcode}`.toLowerCase(), pcode]);
    const naUnits: SeedUnit[] = [];
    for (let k = 0; k < naPer; k++) {
      const id = newId();
      const seats = seatsOf('national-assembly', unitNo++);
      await exec(em, `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name) values (?, ?, 'national-assembly', 'province', ?, ?, ?, ?)`,
        [id, electionId, pcode, k + 1, seats, `Đơn vị bầu cử số ${k + 1}`]);
      naUnits.push({ id, contest: 'national-assembly', seats, province: pcode, areas: [], candidates: [] });
    }
    for (const [ci, c] of p.communes.entries()) {
      const ccode = `${pcode}${pad(ci + 1, 3)}`;
      await exec(em, `insert into admin_unit (code, valid_from, level, parent_code, name, type, search_key, sort_key) values (?, '2025-07-01', 'commune', ?, ?, 'xã', ?, ?) on conflict do nothing`,
        [ccode, pcode, `Xã ${ccode}`, `xa ${ccode}`.toLowerCase(), ccode]);
      const na = naUnits[ci % naUnits.length];
      await exec(em, `insert into electoral_unit_commune (unit_id, election_id, contest, commune_code) values (?, ?, 'national-assembly', ?)`, [na.id, electionId, ccode]);
      const ccUnits: SeedUnit[] = [];
      for (let k = 0; k < ccPer; k++) {
        const id = newId();
        const seats = seatsOf('commune-council', unitNo++);
        await exec(em, `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name) values (?, ?, 'commune-council', 'commune', ?, ?, ?, ?)`,
          [id, electionId, ccode, k + 1, seats, `Đơn vị bầu cử số ${k + 1}`]);
        ccUnits.push({ id, contest: 'commune-council', seats, province: pcode, commune: ccode, areas: [], candidates: [] });
      }
      for (let a = 0; a < c.areas; a++) {
        const id = newId();
        await exec(em, `insert into polling_area (id, election_id, commune_code, number, name, search_key, sort_key, voters, kind) values (?, ?, ?, ?, ?, ?, ?, 1000, 'regular')`,
          [id, electionId, ccode, a + 1, `Khu vực bỏ phiếu số ${a + 1}`, `khu vuc bo phieu so ${a + 1}`, pad(a + 1, 4)]);
        const cc = ccUnits[a % ccUnits.length];
        await exec(em, `insert into polling_area_unit (polling_area_id, contest, unit_id) values (?, 'national-assembly', ?), (?, 'commune-council', ?)`, [id, na.id, id, cc.id]);
        na.areas.push(id);
        cc.areas.push(id);
      }
      units.push(...ccUnits);
    }
    units.push(...naUnits);
  }
  for (const [i, u] of units.entries()) {
    const n = candsOf(u.seats, i);
    for (let k = 0; k < n; k++) {
      const id = newId();
      const dob = `19${60 + ((i * 7 + k * 3) % 35)}-${pad(1 + ((i + k) % 12), 2)}-${pad(1 + ((i * 3 + k) % 28), 2)}`;
      const name = `Nguyễn Văn ${String.fromCharCode(65 + (k % 26))}${i}`;
      await exec(em, `insert into candidate (id, election_id, contest, council_code, full_name, name_key, sort_key, gender, date_of_birth, ethnicity, nominated_by, filing_body_code, status, unit_id, ballot_order)
        values (?, ?, ?, ?, ?, ?, ?, 'male', ?, 'Kinh', 'local', ?, 'official', ?, ?)`,
      [id, electionId, u.contest, u.commune ?? 'VN', name, name.toLowerCase(), name, dob, u.province, u.id, k + 1]);
      u.candidates.push({ id, name, dob });
    }
  }
  return units;
}

export interface MinutesCounts {
  voters_total: number;
  voters_voted: number;
  ballots_issued?: number;
  ballots_received?: number;
  ballots_valid: number;
  ballots_invalid: number;
}

/**
 * Accepts a new version of the minutes of (area, contest, round) as the count-minutes module does: a new version
 * row, the previous accepted one superseded, accepted_version_id set and accepted_revision bumped. Returns the ids.
 */
export async function acceptMinutes(em: EntityManager, electionId: string, o: { areaId: string; unitId: string; contest: string; round?: string; counts: MinutesCounts; votes: Record<string, number> }): Promise<{ minutesId: string; revision: number; versionId: string }> {
  return em.fork().transactional(async (tx) => {
    const t = tx as EntityManager;
    const round = o.round ?? 'first';
    let [m] = await sql<{ id: string; accepted_revision: number }>(t, `select id, accepted_revision from count_minutes where polling_area_id = ? and contest = ? and round = ? for update`, [o.areaId, o.contest, round]);
    if (!m) {
      const id = newId();
      await exec(t, `insert into count_minutes (id, election_id, contest, polling_area_id, unit_id, round, status) values (?, ?, ?, ?, ?, ?, 'entered')`, [id, electionId, o.contest, o.areaId, o.unitId, round]);
      m = { id, accepted_revision: 0 };
    }
    const [{ n }] = await sql<{ n: number }>(t, `select coalesce(max(version_no), 0)::int as n from count_minutes_version where minutes_id = ?`, [m.id]);
    await exec(t, `update count_minutes_version set status = 'superseded' where minutes_id = ? and status = 'accepted'`, [m.id]);
    const versionId = newId();
    const c = o.counts;
    await exec(t, `insert into count_minutes_version (id, minutes_id, version_no, kind, status, voters_total, voters_voted, ballots_issued, ballots_received, ballots_valid, ballots_invalid, created_by, accepted_by, accepted_at)
      values (?, ?, ?, ?, 'accepted', ?, ?, ?, ?, ?, ?, 'test', 'test', now())`,
    [versionId, m.id, n + 1, n === 0 ? 'original' : 'correction', c.voters_total, c.voters_voted, c.ballots_issued ?? c.voters_voted, c.ballots_received ?? c.voters_voted, c.ballots_valid, c.ballots_invalid]);
    const entries = Object.entries(o.votes);
    if (entries.length) {
      await exec(t, `insert into count_minutes_vote (version_id, candidate_id, votes) values ${entries.map(() => '(?, ?, ?)').join(', ')}`, entries.flatMap(([k, v]) => [versionId, k, v]));
    }
    const revision = m.accepted_revision + 1;
    await exec(t, `update count_minutes set status = 'accepted', accepted_version_id = ?, accepted_revision = ?, updated_at = now() where id = ?`, [versionId, revision, m.id]);
    return { minutesId: m.id, revision, versionId };
  });
}

/** Random-ish but consistent minutes counts for a unit's candidates (valid ballots = Σ over the seats). */
export function makeCounts(u: SeedUnit, rnd: () => number): { counts: MinutesCounts; votes: Record<string, number> } {
  const voters = 500 + Math.floor(rnd() * 1000);
  const voted = Math.floor(voters * (0.3 + rnd() * 0.7));
  const invalid = Math.floor(voted * rnd() * 0.05);
  const valid = voted - invalid;
  const votes: Record<string, number> = {};
  for (const c of u.candidates) votes[c.id] = Math.floor(valid * rnd());
  return { counts: { voters_total: voters, voters_voted: voted, ballots_valid: valid, ballots_invalid: invalid }, votes };
}
