// Reading an election's structure into the in-memory model (model.ts) and writing an import's changes back in bulk
// (INSERT … SELECT FROM unnest, chunked), inside the caller's transaction. No COPY: the same code runs on the
// embedded PGlite (docs/architecture.md).
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../persistence/db.js';
import { collationKey, searchKey } from '../../shared/vn-text.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import type { PluginStateService } from '../../plugin-host/plugin-state.service.js';
import { DEFAULT_VOTING_CLOSE, DEFAULT_VOTING_OPEN } from '../calendar/rules.js';
import {
  DEFAULT_NA_SIZE, NATION_CODE, NA_CONTEST, councilKey, emptyStructure,
  type AreaKind, type AreaRec, type ContestInfo, type SmallReason, type Structure, type UnitRec,
} from './model.js';
import type { ChangeLog } from './import-plan.js';

export interface ElectionInfo {
  id: string;
  name: string;
  electionDay: string;
  /** The election's default voting hours (issue 5 adds them to the election; 07:00–19:00 otherwise). */
  opens: string;
  closes: string;
}

/** The election, or undefined. Reads optional columns through to_jsonb so it does not depend on later migrations. */
export async function loadElection(em: EntityManager, id: string): Promise<ElectionInfo | undefined> {
  const [r] = await sql<{ id: string; name: string; day: string; j: Record<string, unknown> }>(
    em, `select e.id, e.name, e.election_day::text as day, to_jsonb(e) as j from election e where e.id = ?`, [id]);
  if (!r) return undefined;
  const hhmm = (v: unknown, d: string) => (typeof v === 'string' && /^\d{2}:\d{2}/.test(v) ? v.slice(0, 5) : d);
  return { id: r.id, name: r.name, electionDay: r.day, opens: hhmm(r.j.voting_open, DEFAULT_VOTING_OPEN), closes: hhmm(r.j.voting_close, DEFAULT_VOTING_CLOSE) };
}

/** Contests held in an election: its enabled plugins that register a contest type. */
export async function heldContests(em: EntityManager, registry: PluginRegistry, states: PluginStateService, electionId: string): Promise<ContestInfo[]> {
  const out: ContestInfo[] = [];
  for (const p of registry.plugins()) {
    const ct = registry.contestType(p.id);
    if (!ct || !(await states.isEnabled(em, electionId, p.id))) continue;
    out.push({ id: ct.id, unitLevel: ct.unitLevel, seats: { ...ct.seats }, shortLabel: ct.shortLabel });
  }
  return out;
}

const inForce = (a: string) => `${a}.valid_from <= ?::date and (${a}.valid_to is null or ${a}.valid_to > ?::date)`;

/** A PostgreSQL array literal passed as ONE parameter (Knex would expand a JS array). */
export function pgArray(values: readonly (string | number | null)[]): string {
  return '{' + values.map((v) => (v === null ? 'NULL' : '"' + String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"')).join(',') + '}';
}

export interface LoadOptions {
  election: ElectionInfo;
  contests: ContestInfo[];
  /** Load (and later check) only these provinces; the tree is always loaded whole. */
  provinces?: ReadonlySet<string>;
}

/** The structure of an election as of its election day, whole or for some provinces. */
export async function loadStructure(em: EntityManager, o: LoadOptions): Promise<Structure> {
  const s = emptyStructure(o.election.id, o.election.electionDay, o.contests);
  if (o.provinces) s.scope = o.provinces;
  const day = o.election.electionDay;
  const tree = await sql<{ code: string; name: string; level: string; parent_code: string | null; type: string }>(
    em, `select u.code, u.name, u.level, u.parent_code, u.type from admin_unit u where u.level in ('province','commune') and ${inForce('u')}`, [day, day]);
  for (const t of tree) {
    if (t.level === 'province') s.provinces.set(t.code, { code: t.code, name: t.name });
    else s.communes.set(t.code, { code: t.code, name: t.name, province: t.parent_code!, type: t.type });
  }
  const provinces = o.provinces ? [...o.provinces] : undefined;
  const communes = provinces ? [...s.communes.values()].filter((c) => o.provinces!.has(c.province)).map((c) => c.code) : undefined;
  const held = new Set(o.contests.map((c) => c.id));

  const unitRows = await sql<{ id: string; contest: string; parent_level: 'province' | 'commune'; parent_code: string; number: number; seats: number; name: string; description: string | null }>(
    em,
    `select id, contest, parent_level, parent_code, number, seats, name, description from electoral_unit where election_id = ?
      ${provinces ? `and ((parent_level = 'province' and parent_code = any(?::text[])) or (parent_level = 'commune' and parent_code = any(?::text[])))` : ''}`,
    provinces ? [o.election.id, pgArray(provinces), pgArray(communes!)] : [o.election.id],
  );
  for (const u of unitRows) {
    if (!held.has(u.contest)) continue;
    const rec: UnitRec = { id: u.id, contest: u.contest, parentLevel: u.parent_level, parentCode: u.parent_code, number: u.number, seats: u.seats, name: u.name, description: u.description };
    s.units.set(u.id, rec);
    if (u.parent_level === 'province') s.unitCommunes.set(u.id, []);
  }
  const links = await sql<{ unit_id: string; commune_code: string }>(
    em,
    `select uc.unit_id, uc.commune_code from electoral_unit_commune uc join electoral_unit u on u.id = uc.unit_id
      where uc.election_id = ? ${provinces ? `and u.parent_code = any(?::text[])` : ''} order by uc.commune_code`,
    provinces ? [o.election.id, pgArray(provinces)] : [o.election.id],
  );
  for (const l of links) s.unitCommunes.get(l.unit_id)?.push(l.commune_code);

  const areas = await sql<{ id: string; commune_code: string; number: number; name: string; voters: number; kind: AreaKind; kind_reason: string | null;
    small_reason: SmallReason | null; voting_date: string | null; approval_ref: string | null; opens: string; closes: string }>(
    em,
    `select id, commune_code, number, name, voters, kind, kind_reason, small_reason, voting_date::text as voting_date, approval_ref,
            to_char(opens, 'HH24:MI') as opens, to_char(closes, 'HH24:MI') as closes
       from polling_area where election_id = ? ${communes ? `and commune_code = any(?::text[])` : ''}`,
    communes ? [o.election.id, pgArray(communes)] : [o.election.id],
  );
  for (const a of areas) {
    const rec: AreaRec = {
      id: a.id, communeCode: a.commune_code, number: a.number, name: a.name, voters: a.voters, kind: a.kind, kindReason: a.kind_reason,
      smallReason: a.small_reason, votingDate: a.voting_date, approvalRef: a.approval_ref, opens: a.opens, closes: a.closes,
    };
    s.areas.set(a.id, rec);
  }
  const maps = await sql<{ polling_area_id: string; contest: string; unit_id: string }>(
    em,
    `select pu.polling_area_id, pu.contest, pu.unit_id from polling_area_unit pu join polling_area a on a.id = pu.polling_area_id
      where a.election_id = ? ${communes ? `and a.commune_code = any(?::text[])` : ''}`,
    communes ? [o.election.id, pgArray(communes)] : [o.election.id],
  );
  for (const m of maps) {
    if (!held.has(m.contest)) continue;
    let x = s.areaUnits.get(m.polling_area_id);
    if (!x) s.areaUnits.set(m.polling_area_id, (x = new Map()));
    x.set(m.contest, m.unit_id);
  }
  const councils = await sql<{ contest: string; admin_code: string; size: number }>(em, `select contest, admin_code, size from council where election_id = ?`, [o.election.id]);
  for (const c of councils) s.councils.set(councilKey(c.contest, c.admin_code), c.size);
  return s;
}

/** The NA size recorded for an election (DEFAULT_NA_SIZE when none is). */
export async function naSizeOf(em: EntityManager, electionId: string): Promise<number> {
  const [r] = await sql<{ size: number }>(em, `select size from council where election_id = ? and contest = ? and admin_code = ?`, [electionId, NA_CONTEST, NATION_CODE]);
  return r?.size ?? DEFAULT_NA_SIZE;
}

const CHUNK = 5_000;

/**
 * A statement with its parameters sent as bind parameters. The ORM's execute() inlines parameters into the SQL text
 * (escaping in JavaScript), which costs more than the insert itself for 5,000-row array parameters; knex.raw with
 * bindings hands them to the driver as they are. Runs in the EntityManager's transaction.
 */
export async function bulkExec(em: EntityManager, query: string, params: unknown[]): Promise<number> {
  const knex = (em.getConnection() as unknown as { getKnex(): { raw(q: string, p: unknown[]): { transacting(t: unknown): unknown } & PromiseLike<{ rowCount?: number }> } }).getKnex();
  const q = knex.raw(query, params);
  const ctx = em.getTransactionContext();
  if (ctx) q.transacting(ctx);
  const res = await q;
  return res?.rowCount ?? 0;
}

async function chunked<T>(rows: T[], f: (chunk: T[]) => Promise<unknown>, onChunk?: (n: number) => void): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await f(rows.slice(i, i + CHUNK));
    onChunk?.(Math.min(rows.length, i + CHUNK));
  }
}

/** Search and sort keys of a polling area's name. */
export const areaKeys = (name: string) => ({ search: searchKey(name), sort: collationKey(name) });

/**
 * Writes what a session changed: deleted units (their compositions and area assignments go with them), upserted
 * units, rewritten compositions, deleted and upserted polling areas, rewritten unit-per-contest rows, council sizes.
 * Returns the number of rows written.
 */
export async function writeChanges(em: EntityManager, s: Structure, log: ChangeLog, onProgress?: (done: number, total: number) => void): Promise<number> {
  const e = s.electionId;
  const total = log.unitsDeleted.size + log.unitsUpserted.size + log.compositions.size + log.areasDeleted.size + log.areasUpserted.size + log.mappings.size + log.councils.size;
  let done = 0;
  const step = (n: number) => {
    done += n;
    onProgress?.(done, total);
  };
  let written = 0;

  if (log.unitsDeleted.size) {
    written += await bulkExec(em, `delete from electoral_unit where election_id = ? and id = any(?::uuid[])`, [e, pgArray([...log.unitsDeleted])]);
    step(log.unitsDeleted.size);
  }
  const units = [...log.unitsUpserted].map((id) => s.units.get(id)!).filter(Boolean);
  await chunked(units, async (c) => {
    written += await bulkExec(em,
      `insert into electoral_unit (id, election_id, contest, parent_level, parent_code, number, seats, name, description)
       select x.id, ?::uuid, x.contest, x.parent_level, x.parent_code, x.number, x.seats, x.name, x.description
         from unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::int[], ?::int[], ?::text[], ?::text[]) as x(id, contest, parent_level, parent_code, number, seats, name, description)
       on conflict (id) do update set seats = excluded.seats, name = excluded.name, description = excluded.description, updated_at = now()`,
      [e, pgArray(c.map((u) => u.id)), pgArray(c.map((u) => u.contest)), pgArray(c.map((u) => u.parentLevel)), pgArray(c.map((u) => u.parentCode)),
        pgArray(c.map((u) => u.number)), pgArray(c.map((u) => u.seats)), pgArray(c.map((u) => u.name)), pgArray(c.map((u) => u.description))]);
  }, () => undefined);
  step(units.length);

  if (log.compositions.size) {
    const ids = [...log.compositions].filter((id) => s.units.has(id));
    await bulkExec(em, `delete from electoral_unit_commune where unit_id = any(?::uuid[])`, [pgArray(ids)]);
    const rows = ids.flatMap((id) => (s.unitCommunes.get(id) ?? []).map((c) => ({ unit: id, contest: s.units.get(id)!.contest, commune: c })));
    await chunked(rows, async (c) => {
      written += await bulkExec(em,
        `insert into electoral_unit_commune (unit_id, election_id, contest, commune_code)
         select x.u, ?::uuid, x.c, x.k from unnest(?::uuid[], ?::text[], ?::text[]) as x(u, c, k)`,
        [e, pgArray(c.map((r) => r.unit)), pgArray(c.map((r) => r.contest)), pgArray(c.map((r) => r.commune))]);
    });
    step(log.compositions.size);
  }

  if (log.areasDeleted.size) {
    written += await bulkExec(em, `delete from polling_area where election_id = ? and id = any(?::uuid[])`, [e, pgArray([...log.areasDeleted])]);
    step(log.areasDeleted.size);
  }
  const areas = [...log.areasUpserted].map((id) => s.areas.get(id)!).filter(Boolean);
  await chunked(areas, async (c) => {
    written += await insertAreas(em, e, c);
  }, (n) => onProgress?.(done + n, total));
  step(areas.length);

  if (log.mappings.size) {
    const ids = [...log.mappings].filter((id) => s.areas.has(id));
    await chunked(ids.filter((id) => !log.areasNew.has(id)), (c) => bulkExec(em, `delete from polling_area_unit where polling_area_id = any(?::uuid[])`, [pgArray(c)]));
    const rows = ids.flatMap((id) => [...(s.areaUnits.get(id) ?? new Map<string, string>())].map(([contest, unit]) => ({ id, contest, unit })));
    await chunked(rows, async (c) => {
      written += await bulkExec(em,
        `insert into polling_area_unit (polling_area_id, contest, unit_id) select * from unnest(?::uuid[], ?::text[], ?::uuid[])`,
        [pgArray(c.map((r) => r.id)), pgArray(c.map((r) => r.contest)), pgArray(c.map((r) => r.unit))]);
    }, (n) => onProgress?.(done + Math.round((n / Math.max(1, rows.length)) * ids.length), total));
    step(ids.length);
  }

  if (log.councils.size) {
    const c = [...log.councils.values()];
    written += await bulkExec(em,
      `insert into council (election_id, contest, admin_code, size) select ?::uuid, x.c, x.k, x.n from unnest(?::text[], ?::text[], ?::int[]) as x(c, k, n)
       on conflict (election_id, contest, admin_code) do update set size = excluded.size, updated_at = now()`,
      [e, pgArray(c.map((r) => r.contest)), pgArray(c.map((r) => r.code)), pgArray(c.map((r) => r.size))]);
    step(c.length);
  }
  if (written > 0) await bumpRevision(em, e);
  // Fresh statistics after a bulk load: the next pages plan their joins on them (autovacuum would come later, or
  // never where it is off). ANALYZE runs inside the transaction and sees its rows.
  if (written >= ANALYZE_AFTER) await bulkExec(em, 'analyze electoral_unit, electoral_unit_commune, polling_area, polling_area_unit, council', []);
  return written;
}

const ANALYZE_AFTER = 5_000;

/** Marks the election's structure as changed (in the writer's transaction), for caches keyed by revision. */
export async function bumpRevision(em: EntityManager, electionId: string): Promise<void> {
  await sql(em, `insert into structure_revision (election_id, revision) values (?, 1)
    on conflict (election_id) do update set revision = structure_revision.revision + 1, updated_at = now()`, [electionId]);
}

export async function revisionOf(em: EntityManager, electionId: string): Promise<string> {
  const [r] = await sql<{ revision: string }>(em, `select revision::text as revision from structure_revision where election_id = ?`, [electionId]);
  return r?.revision ?? '0';
}

/** Upserts polling areas by id (the bulk path of imports and the seed). */
export async function insertAreas(em: EntityManager, electionId: string, c: AreaRec[]): Promise<number> {
  const keys = c.map((a) => areaKeys(a.name));
  return bulkExec(em,
    `insert into polling_area (id, election_id, commune_code, number, name, search_key, sort_key, voters, kind, kind_reason, small_reason, voting_date, approval_ref, opens, closes)
     select x.id, ?::uuid, x.commune, x.number, x.name, x.sk, x.so, x.voters, x.kind, x.kr, x.sr, x.vd, x.ar, x.op, x.cl
       from unnest(?::uuid[], ?::text[], ?::int[], ?::text[], ?::text[], ?::text[], ?::int[], ?::text[], ?::text[], ?::text[], ?::date[], ?::text[], ?::time[], ?::time[])
         as x(id, commune, number, name, sk, so, voters, kind, kr, sr, vd, ar, op, cl)
     on conflict (id) do update set name = excluded.name, search_key = excluded.search_key, sort_key = excluded.sort_key, voters = excluded.voters,
       kind = excluded.kind, kind_reason = excluded.kind_reason, small_reason = excluded.small_reason, voting_date = excluded.voting_date,
       approval_ref = excluded.approval_ref, opens = excluded.opens, closes = excluded.closes, updated_at = now()`,
    [electionId, pgArray(c.map((a) => a.id)), pgArray(c.map((a) => a.communeCode)), pgArray(c.map((a) => a.number)), pgArray(c.map((a) => a.name)),
      pgArray(keys.map((k) => k.search)), pgArray(keys.map((k) => k.sort)), pgArray(c.map((a) => a.voters)), pgArray(c.map((a) => a.kind)),
      pgArray(c.map((a) => a.kindReason)), pgArray(c.map((a) => a.smallReason)), pgArray(c.map((a) => a.votingDate)), pgArray(c.map((a) => a.approvalRef)),
      pgArray(c.map((a) => a.opens)), pgArray(c.map((a) => a.closes))]);
}
