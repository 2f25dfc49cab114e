// Live turnout totals per contest and report time for the nation, a province or a commune, with the level below as
// rows. Figures come from the per-commune running totals (turnout_commune_total, moved in each report's transaction),
// so a national page sums ~3,300 rows per contest and slot; entitled voters per commune and contest come from the
// structure and are cached per structure revision. Percentages per rule 24 (core/shared/percent.ts).
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../persistence/db.js';
import { percent } from '../../shared/percent.js';
import { revisionOf } from '../structure/store.js';
import type { TurnoutElection } from './store.js';

export type Level = 'nation' | 'province' | 'commune';

export interface Cell {
  /** Voters who have voted, in the areas that reported. */
  voted: number;
  /** Voters entitled for the contest in every polling area of the place. */
  voters: number;
  areas: number;
  reported: number;
  votersReported: number;
  /** voted / voters (rule 24), and voted / voters of the areas that reported. */
  pct: number;
  pctReported: number;
}

export type Cells = Record<string, Record<string, Cell>>;

export interface Row {
  code: string;
  name: string;
  number?: number;
  cells: Cells;
}

export interface Aggregate {
  level: Level;
  code: string;
  cells: Cells;
  rows: Row[];
}

interface Entitled {
  /** commune → contest → {areas, voters} */
  byCommune: Map<string, Map<string, { areas: number; voters: number }>>;
}

const entitledCache = new Map<string, { rev: string; value: Entitled }>();

/** Entitled voters and polling areas per commune and contest, cached per (election, structure revision). */
export async function entitled(em: EntityManager, electionId: string): Promise<Entitled> {
  const rev = await revisionOf(em, electionId);
  const hit = entitledCache.get(electionId);
  if (hit && hit.rev === rev) return hit.value;
  const rows = await sql<{ commune_code: string; contest: string; areas: number; voters: string }>(
    em,
    `select a.commune_code, pu.contest, count(*)::int as areas, sum(coalesce(pu.voters, a.voters))::text as voters
       from polling_area a join polling_area_unit pu on pu.polling_area_id = a.id where a.election_id = ? group by a.commune_code, pu.contest`,
    [electionId],
  );
  const byCommune = new Map<string, Map<string, { areas: number; voters: number }>>();
  for (const r of rows) {
    let m = byCommune.get(r.commune_code);
    if (!m) byCommune.set(r.commune_code, (m = new Map()));
    m.set(r.contest, { areas: r.areas, voters: Number(r.voters) });
  }
  const value = { byCommune };
  // Writers of the structure bump the revision; in voting and counting the structure is closed, so this stays hot.
  if (entitledCache.size > 50) entitledCache.clear();
  entitledCache.set(electionId, { rev, value });
  return value;
}

const inForce = (a: string) => `${a}.valid_from <= ?::date and (${a}.valid_to is null or ${a}.valid_to > ?::date)`;

export function emptyCells(contests: readonly string[], slots: readonly string[]): Cells {
  const c: Cells = {};
  for (const k of contests) {
    c[k] = {};
    for (const s of slots) c[k][s] = { voted: 0, voters: 0, areas: 0, reported: 0, votersReported: 0, pct: 0, pctReported: 0 };
  }
  return c;
}

function finish(cells: Cells): Cells {
  for (const bySlot of Object.values(cells)) {
    for (const x of Object.values(bySlot)) {
      x.pct = percent(Math.min(x.voted, x.voters), x.voters);
      x.pctReported = percent(Math.min(x.voted, x.votersReported), x.votersReported);
    }
  }
  return cells;
}

/** Adds a place's entitled voters (same for every slot) to its cells. */
function addEntitled(cells: Cells, byContest: Map<string, { areas: number; voters: number }> | undefined): void {
  if (!byContest) return;
  for (const [contest, v] of byContest) {
    const bySlot = cells[contest];
    if (!bySlot) continue;
    for (const x of Object.values(bySlot)) {
      x.voters += v.voters;
      x.areas += v.areas;
    }
  }
}

function addReported(cells: Cells, contest: string, slot: string, r: { reported: number; voted: number; voters: number }): void {
  const x = cells[contest]?.[slot];
  if (!x) return;
  x.reported += r.reported;
  x.voted += r.voted;
  x.votersReported += r.voters;
}

/** Totals of a place and of each place one level below it (areas for a commune). */
export async function aggregate(em: EntityManager, e: TurnoutElection, contests: readonly string[], level: Level, code: string): Promise<Aggregate> {
  const day = e.electionDay;
  const ent = await entitled(em, e.id);
  const cells = emptyCells(contests, e.slots);
  const rows: Row[] = [];
  if (level === 'commune') {
    addEntitled(cells, ent.byCommune.get(code));
    const areas = await sql<{ id: string; number: number; name: string; contest: string | null; voters: number | null }>(
      em,
      `select a.id, a.number, a.name, pu.contest, coalesce(pu.voters, a.voters) as voters from polling_area a left join polling_area_unit pu on pu.polling_area_id = a.id
        where a.election_id = ? and a.commune_code = ? order by a.number`,
      [e.id, code],
    );
    const byId = new Map<string, Row>();
    for (const a of areas) {
      let r = byId.get(a.id);
      if (!r) {
        byId.set(a.id, (r = { code: a.id, name: a.name, number: a.number, cells: emptyCells(contests, e.slots) }));
        rows.push(r);
      }
      if (a.contest && r.cells[a.contest]) for (const x of Object.values(r.cells[a.contest])) { x.voters = a.voters ?? 0; x.areas = 1; }
    }
    const reports = await sql<{ polling_area_id: string; contest: string; slot: string; voted: number }>(
      em, `select r.polling_area_id, r.contest, r.slot, r.voted from turnout_report r join polling_area a on a.id = r.polling_area_id where a.election_id = ? and a.commune_code = ?`, [e.id, code]);
    for (const r of reports) {
      const row = byId.get(r.polling_area_id);
      const x = row?.cells[r.contest]?.[r.slot];
      if (!row || !x) continue;
      x.reported = 1;
      x.voted = r.voted;
      x.votersReported = x.voters;
      addReported(cells, r.contest, r.slot, { reported: 1, voted: r.voted, voters: x.voters });
    }
    for (const r of rows) finish(r.cells);
    return { level, code, cells: finish(cells), rows };
  }
  // Nation: rows are provinces; province: rows are its communes. Names of the tree in force on election day.
  const places = level === 'nation'
    ? await sql<{ code: string; name: string; parent_code: string | null }>(em, `select p.code, p.name, null as parent_code from admin_unit p where p.level = 'province' and ${inForce('p')} order by p.sort_key`, [day, day])
    : await sql<{ code: string; name: string; parent_code: string | null }>(em, `select c.code, c.name, c.parent_code from admin_unit c where c.level = 'commune' and c.parent_code = ? and ${inForce('c')} order by c.sort_key`, [code, day, day]);
  const byCode = new Map<string, Row>();
  for (const p of places) {
    const r = { code: p.code, name: p.name, cells: emptyCells(contests, e.slots) };
    byCode.set(p.code, r);
    rows.push(r);
  }
  // commune → the row it counts in.
  const communes = await sql<{ code: string; parent_code: string }>(
    em, `select c.code, c.parent_code from admin_unit c where c.level = 'commune' and ${inForce('c')}${level === 'province' ? ' and c.parent_code = ?' : ''}`,
    level === 'province' ? [day, day, code] : [day, day]);
  const rowOf = new Map<string, Row>();
  for (const c of communes) {
    const r = byCode.get(level === 'nation' ? c.parent_code : c.code);
    if (r) rowOf.set(c.code, r);
  }
  for (const [commune, byContest] of ent.byCommune) {
    const r = rowOf.get(commune);
    if (!r) continue;
    addEntitled(r.cells, byContest);
    addEntitled(cells, byContest);
  }
  // Summed in the database to one row per child place, contest and slot (≈ 34 × 15 for the nation), so the page
  // never moves the ~50,000 commune rows through JavaScript.
  const totals = await sql<{ place: string; contest: string; slot: string; reported: number; voted: string; voters: string }>(
    em,
    `select ${level === 'nation' ? 'c.parent_code' : 't.commune_code'} as place, t.contest, t.slot, sum(t.areas_reported)::int as reported,
            sum(t.voted)::text as voted, sum(t.voters_reported)::text as voters
       from turnout_commune_total t join admin_unit c on c.code = t.commune_code and c.level = 'commune' and ${inForce('c')}
      where t.election_id = ?${level === 'province' ? ' and c.parent_code = ?' : ''}
      group by 1, 2, 3`,
    level === 'province' ? [day, day, e.id, code] : [day, day, e.id],
  );
  for (const t of totals) {
    const r = byCode.get(t.place);
    if (!r) continue;
    const v = { reported: t.reported, voted: Number(t.voted), voters: Number(t.voters) };
    addReported(r.cells, t.contest, t.slot, v);
    addReported(cells, t.contest, t.slot, v);
  }
  for (const r of rows) finish(r.cells);
  return { level, code, cells: finish(cells), rows };
}

/**
 * The same totals folded straight from the reports (no running totals): the reference the tests and the bench
 * compare the live figures with.
 */
export async function directFold(em: EntityManager, electionId: string, level: Level, code: string): Promise<Record<string, Record<string, { voted: number; reported: number }>>> {
  const where = level === 'nation' ? '' : level === 'province' ? ` and c.parent_code = ?` : ` and a.commune_code = ?`;
  const rows = await sql<{ contest: string; slot: string; voted: string; reported: number }>(
    em,
    `select r.contest, r.slot, sum(r.voted)::text as voted, count(*)::int as reported
       from turnout_report r join polling_area a on a.id = r.polling_area_id join election e on e.id = a.election_id
       ${level === 'province' ? `join admin_unit c on c.code = a.commune_code and c.level = 'commune' and c.valid_from <= e.election_day and (c.valid_to is null or c.valid_to > e.election_day)` : ''}
      where r.election_id = ?${where} group by r.contest, r.slot`,
    level === 'nation' ? [electionId] : [electionId, code],
  );
  const out: Record<string, Record<string, { voted: number; reported: number }>> = {};
  for (const r of rows) (out[r.contest] ??= {})[r.slot] = { voted: Number(r.voted), reported: r.reported };
  return out;
}
