// Turnout data access: the election's report times, the facts the rules need about polling areas (locked for the
// write so two reports of one area are judged one after the other), the reports so far, and the write — the reports
// upserted and the per-commune running totals (turnout_commune_total) moved by the same deltas, in the caller's
// transaction (the endpoint pipeline audits in it too).
import type { EntityManager } from '@mikro-orm/postgresql';
import { deferredExec, prepared, sql } from '../../persistence/db.js';
import { MEMO, recalledFrom, rememberOn } from '../../persistence/em-memo.js';
import { pgArray } from '../structure/store.js';
import { areaPlaceSql, type AreaPlace } from '../structure/scope.js';
import { UUID_RE } from '../../shared/ids.js';
import { DEFAULT_VOTING_CLOSE, DEFAULT_VOTING_OPEN } from '../calendar/rules.js';
import { isPhase, type Phase } from '../phases.js';
import { slotsOf, type AreaFacts, type CheckedEntry } from './rules.js';

export interface TurnoutElection {
  id: string;
  name: string;
  electionDay: string;
  status: Phase;
  slots: string[];
  opens: string;
  closes: string;
}

export async function loadTurnoutElection(em: EntityManager, id: string, forUpdate = false, placeOfArea?: string): Promise<TurnoutElection | undefined> {
  // Read once per request: the route's policy target reads it first, the phase gate and the handler find it on the
  // same EntityManager (em-memo.ts). A locking read always asks the database. With `placeOfArea`, the same round trip
  // reads what the policy's scope lookup needs of that polling area (its place in the tree) and records it for it.
  const memoKey = `turnout-election:${id}`;
  if (!forUpdate) {
    const known = recalledFrom<TurnoutElection | null>(em, memoKey);
    if (known !== undefined) return known ?? undefined;
  }
  const area = !forUpdate && placeOfArea && UUID_RE.test(placeOfArea) ? placeOfArea : undefined;
  const [r] = await prepared<{ id: string; name: string; day: string; status: string; turnout_slots: unknown; opens: string | null; closes: string | null } & Partial<AreaPlace>>(
    em,
    area
      ? `select e.id, e.name, e.election_day::text as day, e.status, e.turnout_slots, left(e.voting_open::text, 5) as opens, left(e.voting_close::text, 5) as closes,
                p.commune_code, p.province, p.units
           from election e left join lateral (select a.commune_code, ${areaPlaceSql.province('a')} as province, ${areaPlaceSql.units('a')} as units
                                                from polling_area a where a.id = ?::uuid and a.election_id = e.id) p on true
          where e.id = ?`
      : `select id, name, election_day::text as day, status, turnout_slots, left(voting_open::text, 5) as opens, left(voting_close::text, 5) as closes
           from election where id = ?${forUpdate ? ' for update' : ''}`,
    area ? [area, id] : [id],
  );
  const e = r && isPhase(r.status)
    ? { id: r.id, name: r.name, electionDay: r.day, status: r.status, slots: slotsOf(r.turnout_slots), opens: r.opens ?? DEFAULT_VOTING_OPEN, closes: r.closes ?? DEFAULT_VOTING_CLOSE }
    : undefined;
  if (!forUpdate) {
    if (r) rememberOn(em, MEMO.electionStatus(id), r.status);
    if (area && r?.commune_code) rememberOn(em, MEMO.ancestors('polling-area', area), { commune_code: r.commune_code, province: r.province ?? null, units: r.units ?? null } satisfies AreaPlace);
    rememberOn(em, memoKey, e ?? null);
  }
  return e;
}

export async function saveSlots(em: EntityManager, electionId: string, slots: string[]): Promise<void> {
  await sql(em, `update election set turnout_slots = ?::jsonb, updated_at = now() where id = ?`, [JSON.stringify(slots), electionId]);
}

/** Report times among `slots` that have at least one report. */
export async function slotsWithReports(em: EntityManager, electionId: string, slots: string[]): Promise<string[]> {
  if (!slots.length) return [];
  const rows = await sql<{ slot: string }>(em, `select distinct slot from turnout_report where election_id = ? and slot = any(?::text[])`, [electionId, pgArray(slots)]);
  return rows.map((r) => r.slot);
}

export interface AreaRow extends AreaFacts {
  communeCode: string;
  provinceCode: string | null;
  number: number;
  name: string;
}

/**
 * Facts about polling areas of the election (unknown ids are absent). With `lock`, the area rows are locked (FOR NO
 * KEY UPDATE, in id order: no deadlock between two batches) until the transaction ends, so concurrent reports of one
 * area are checked against each other's figures.
 */
export async function areaFacts(em: EntityManager, electionId: string, ids: readonly string[], lock = false): Promise<Map<string, AreaRow>> {
  const out = new Map<string, AreaRow>();
  const valid = [...new Set(ids.filter((x) => typeof x === 'string' && UUID_RE.test(x)))];
  if (!valid.length) return out;
  // One area (a form, the API's single report) by equality: PostgreSQL then keeps a generic plan for the statement;
  // with `= any(array)` it planned each execution anew (0.3 ms under the bench load).
  const one = valid.length === 1;
  // The locking read opens the report transaction: a lean transaction's BEGIN travels with it (db.ts
  // leanTransaction: as EXECUTE of the statement prepared once per connection — planning it each time as an inlined
  // text cost PostgreSQL 0.3 ms per report under the bench load).
  const rows = await prepared<{ id: string; commune_code: string; province: string | null; number: number; name: string; closes: string; voting_date: string; contests: Record<string, number> | null }>(
    em,
    `select a.id, a.commune_code, c.parent_code as province, a.number, a.name, to_char(a.closes, 'HH24:MI') as closes,
            coalesce(a.voting_date, e.election_day)::text as voting_date,
            (select jsonb_object_agg(pu.contest, coalesce(pu.voters, a.voters)) from polling_area_unit pu where pu.polling_area_id = a.id) as contests
       from polling_area a join election e on e.id = a.election_id
       left join admin_unit c on c.code = a.commune_code and c.level = 'commune' and c.valid_from <= e.election_day and (c.valid_to is null or c.valid_to > e.election_day)
      where a.election_id = ?::uuid and ${one ? 'a.id = ?::uuid' : 'a.id = any(?::uuid[])'}${lock ? ' order by a.id for no key update of a' : ''}`,
    [electionId, one ? valid[0] : pgArray(valid)],
  );
  for (const r of rows) {
    out.set(r.id, { id: r.id, communeCode: r.commune_code, provinceCode: r.province, number: r.number, name: r.name, closes: r.closes, votingDate: r.voting_date, voters: r.contests ?? {} });
  }
  return out;
}

export type Existing = Map<string, Map<string, Map<string, number>>>;

/** Reports so far of some areas: areaId → contest → slot → voted. */
export async function existingReports(em: EntityManager, ids: readonly string[]): Promise<Existing> {
  const out: Existing = new Map();
  if (!ids.length) return out;
  const distinct = [...new Set(ids)];
  const rows = await prepared<{ polling_area_id: string; contest: string; slot: string; voted: number }>(em, distinct.length === 1
    ? `select polling_area_id, contest, slot, voted from turnout_report where polling_area_id = ?::uuid` // a generic plan, as in areaFacts
    : `select polling_area_id, contest, slot, voted from turnout_report where polling_area_id = any(?::uuid[])`, [distinct.length === 1 ? distinct[0] : pgArray(distinct)]);
  for (const r of rows) {
    let c = out.get(r.polling_area_id);
    if (!c) out.set(r.polling_area_id, (c = new Map()));
    let s = c.get(r.contest);
    if (!s) c.set(r.contest, (s = new Map()));
    s.set(r.slot, r.voted);
  }
  return out;
}

/**
 * Writes checked figures: one upsert of the reports, then the per-commune totals moved by the deltas (a new report
 * adds an area, its figure and its voters; a correction adds the difference). Keys are written in a fixed order.
 */
export async function writeReports(em: EntityManager, electionId: string, entries: readonly CheckedEntry[], areas: ReadonlyMap<string, AreaRow>, o: { actorId: string; onBehalf: (areaId: string) => boolean; at: Date }): Promise<number> {
  if (!entries.length) return 0;
  // Nothing is read back: in a lean transaction both statements travel with the COMMIT (deferredExec).
  await deferredExec(em,
    `insert into turnout_report (election_id, polling_area_id, contest, slot, voted, reported_at, reported_by, on_behalf)
     select ?::uuid, x.a, x.c, x.s, x.v, ?::timestamptz, ?::text, x.b from unnest(?::uuid[], ?::text[], ?::text[], ?::int[], ?::boolean[]) as x(a, c, s, v, b)
     on conflict (polling_area_id, contest, slot) do update set voted = excluded.voted, reported_at = excluded.reported_at,
       reported_by = excluded.reported_by, on_behalf = excluded.on_behalf`,
    [electionId, o.at.toISOString(), o.actorId, pgArray(entries.map((e) => e.areaId)), pgArray(entries.map((e) => e.contest)),
      pgArray(entries.map((e) => e.slot)), pgArray(entries.map((e) => e.voted)), pgArray(entries.map((e) => String(o.onBehalf(e.areaId))))]);
  const deltas = new Map<string, { contest: string; slot: string; commune: string; n: number; voted: number; voters: number }>();
  for (const e of entries) {
    const a = areas.get(e.areaId)!;
    const k = `${e.contest}|${e.slot}|${a.communeCode}`;
    let d = deltas.get(k);
    if (!d) deltas.set(k, (d = { contest: e.contest, slot: e.slot, commune: a.communeCode, n: 0, voted: 0, voters: 0 }));
    if (e.previous === undefined) {
      d.n += 1;
      d.voters += a.voters[e.contest] ?? 0;
      d.voted += e.voted;
    } else d.voted += e.voted - e.previous;
  }
  const rows = [...deltas.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);
  await deferredExec(em,
    `insert into turnout_commune_total (election_id, contest, slot, commune_code, areas_reported, voted, voters_reported)
     select ?::uuid, x.c, x.s, x.k, x.n, x.v, x.t from unnest(?::text[], ?::text[], ?::text[], ?::int[], ?::bigint[], ?::bigint[]) as x(c, s, k, n, v, t)
     on conflict (election_id, contest, slot, commune_code) do update set areas_reported = turnout_commune_total.areas_reported + excluded.areas_reported,
       voted = turnout_commune_total.voted + excluded.voted, voters_reported = turnout_commune_total.voters_reported + excluded.voters_reported, updated_at = now()`,
    [electionId, pgArray(rows.map((r) => r.contest)), pgArray(rows.map((r) => r.slot)), pgArray(rows.map((r) => r.commune)),
      pgArray(rows.map((r) => r.n)), pgArray(rows.map((r) => r.voted)), pgArray(rows.map((r) => r.voters))]);
  return entries.length;
}

/** Rebuilds the per-commune totals of an election from its reports (after a structure repair; tests compare). */
export async function rebuildTotals(em: EntityManager, electionId: string): Promise<void> {
  await sql(em, `delete from turnout_commune_total where election_id = ?`, [electionId]);
  await sql(em,
    `insert into turnout_commune_total (election_id, contest, slot, commune_code, areas_reported, voted, voters_reported)
     select r.election_id, r.contest, r.slot, a.commune_code, count(*), sum(r.voted), sum(coalesce(pu.voters, a.voters))
       from turnout_report r join polling_area a on a.id = r.polling_area_id
       left join polling_area_unit pu on pu.polling_area_id = r.polling_area_id and pu.contest = r.contest
      where r.election_id = ? group by r.election_id, r.contest, r.slot, a.commune_code`,
    [electionId]);
}
