// Aggregation of accepted count minutes (issue 7 point 1): polling area → unit → commune committee → province →
// nation, per contest and round. Incremental (applyBatch: new − old contribution of each minutes, once per
// revision, set-based in one transaction) stores unit rows only; `results_total` is a view deriving the commune,
// province and nation rows from them at read time (migration 951: no hot rows). Jobs coalesce: each acceptance
// queues a row in results_pending (migration 953) and the job that runs first applies every pending acceptance of
// the election it can take in one batch, so the cost per acceptance falls as the load rises. A from-scratch SQL
// fold, and the reconciler that compares both and repairs drift. Incremental jobs hold a shared advisory lock per
// election and the reconciler an exclusive one, so a repair never interleaves with a half-applied delta.
import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, exec } from '../../persistence/db.js';
import { newId } from '../../shared/ids.js';

/** The rule-25 count fields every level carries. */
export const COUNT_FIELDS = ['voters_total', 'voters_voted', 'ballots_issued', 'ballots_received', 'ballots_valid', 'ballots_invalid'] as const;
export type CountField = (typeof COUNT_FIELDS)[number];
export type Counts = Record<CountField, number>;
export type ScopeLevel = 'unit' | 'commune' | 'province' | 'nation';
export const NATION_CODE = 'VN';

/** Advisory lock key of one election's aggregates (shared by jobs, exclusive for the reconciler). */
const lockSql = `hashtextextended('results:' || ?::text, 0)`;

/**
 * SQL for the scopes of each unit of an election: its commune committee (commune-level contests only) and its
 * province — the parent for province-level units, the commune's parent on election day otherwise.
 */
export const UNIT_SCOPE_SQL = `
  select u.id as unit_id, u.contest, u.parent_level, u.parent_code,
    case when u.parent_level = 'province' then u.parent_code else coalesce(
      (select a.parent_code from admin_unit a where a.code = u.parent_code and a.valid_from <= e.election_day
        and (a.valid_to is null or a.valid_to > e.election_day) order by a.valid_from desc limit 1),
      (select a.parent_code from admin_unit a where a.code = u.parent_code order by a.valid_from desc limit 1),
      '-') end as province_code
  from electoral_unit u join election e on e.id = u.election_id where u.election_id = ?`;

export interface ApplyOutcome {
  applied: boolean;
  reason?: 'gone' | 'up-to-date';
  revision?: number;
}

/** The most minutes one aggregation job applies in one transaction (a larger burst is spread over later jobs). */
export const AGGREGATE_BATCH = 500;

interface MinutesState { id: string; contest: string; round: string; unit_id: string; accepted_version_id: string | null; accepted_revision: number }
interface AppliedState { minutes_id: string; unit_id: string; version_id: string | null; revision: number }

/**
 * Applies the accepted versions of a set of minutes to the unit rows, set-based, inside the caller's transaction
 * (which holds the election's shared advisory lock): count_minutes rows locked in id order serialise any two
 * applications of one minutes; each minutes contributes new − old once per revision (results_applied records
 * what it contributes now), so duplicates, stale and retried runs are no-ops. Returns the outcome per minutes.
 */
async function applyBatch(t: EntityManager, electionId: string, minutesIds: string[]): Promise<Map<string, ApplyOutcome>> {
  const ids = [...new Set(minutesIds)].sort();
  const out = new Map<string, ApplyOutcome>();
  if (!ids.length) return out;
  const idArr = `{${ids.join(',')}}`;
  const ms = new Map((await sql<MinutesState>(t, `select id, contest, round, unit_id, accepted_version_id, accepted_revision from count_minutes
    where id = any(?::uuid[]) order by id for update`, [idArr])).map((m) => [m.id, m]));
  const as = new Map((await sql<AppliedState>(t, `select minutes_id, unit_id, version_id, revision from results_applied
    where minutes_id = any(?::uuid[]) order by minutes_id for update`, [idArr])).map((a) => [a.minutes_id, a]));
  const changed: string[] = [];
  const withdrawn: string[] = [];
  const units = new Set<string>();
  for (const id of ids) {
    const m = ms.get(id), a = as.get(id);
    if (!m) {
      if (!a) { out.set(id, { applied: false, reason: 'gone' }); continue; }
    } else if (a && a.revision >= m.accepted_revision && a.version_id === m.accepted_version_id) {
      out.set(id, { applied: false, reason: 'up-to-date', revision: a.revision });
      continue;
    } else if (!a && !m.accepted_version_id) {
      out.set(id, { applied: false, reason: 'up-to-date', revision: m.accepted_revision });
      continue;
    }
    out.set(id, { applied: true, revision: m?.accepted_revision });
    changed.push(id);
    if (!m?.accepted_version_id) withdrawn.push(id);
    if (m) units.add(m.unit_id);
    if (a) units.add(a.unit_id);
  }
  if (!changed.length) return out;
  const ch = `{${changed.join(',')}}`;
  const F = COUNT_FIELDS;
  // Deltas (new − old) by candidate row, then by unit row, each written in one sorted statement: one lock order
  // for all jobs (candidate rows before unit rows, each by unit), so concurrent batches never deadlock.
  await exec(t, `insert into results_candidate_total (election_id, contest, round, unit_id, candidate_id, votes)
    select ?, contest, round, unit_id, candidate_id, sum(d)::bigint from (
      select m.contest, m.round, m.unit_id, cv.candidate_id, cv.votes::bigint as d
        from count_minutes m join count_minutes_vote cv on cv.version_id = m.accepted_version_id where m.id = any(?::uuid[])
      union all
      select a.contest, a.round, a.unit_id, e.key::uuid, -(e.value::bigint)
        from results_applied a cross join lateral jsonb_each_text(a.votes) e where a.minutes_id = any(?::uuid[])
    ) x group by contest, round, unit_id, candidate_id having sum(d) <> 0
    order by unit_id, candidate_id, contest, round
    on conflict (election_id, contest, round, unit_id, candidate_id) do update set votes = results_candidate_total.votes + excluded.votes`,
  [electionId, ch, ch]);
  await exec(t, `insert into results_total_base (election_id, contest, round, scope_level, scope_code, commune_code, province_code, ${F.join(', ')}, minutes_accepted)
    select ?, x.contest, x.round, 'unit', x.unit_id::text, case when us.parent_level = 'commune' then us.parent_code end, coalesce(us.province_code, '-'),
      ${F.map((f) => `sum(x.${f})::bigint`).join(', ')}, sum(x.n)::int
    from (
      select m.contest, m.round, m.unit_id, ${F.map((f) => `coalesce(v.${f}, 0)::bigint as ${f}`).join(', ')}, 1 as n
        from count_minutes m join count_minutes_version v on v.id = m.accepted_version_id where m.id = any(?::uuid[])
      union all
      select a.contest, a.round, a.unit_id, ${F.map((f) => `-a.${f}`).join(', ')}, -1
        from results_applied a where a.minutes_id = any(?::uuid[])
    ) x left join (${UNIT_SCOPE_SQL} and u.id = any(?::uuid[])) us on us.unit_id = x.unit_id
    group by x.contest, x.round, x.unit_id, us.parent_level, us.parent_code, us.province_code
    having sum(x.n) <> 0 or ${F.map((f) => `sum(x.${f}) <> 0`).join(' or ')}
    order by x.unit_id, x.contest, x.round
    on conflict (election_id, contest, round, scope_level, scope_code) do update set
    ${F.map((f) => `${f} = results_total_base.${f} + excluded.${f}`).join(', ')},
    minutes_accepted = results_total_base.minutes_accepted + excluded.minutes_accepted,
    commune_code = excluded.commune_code, province_code = excluded.province_code, updated_at = now()`,
  [electionId, ch, ch, electionId, `{${[...units].join(',')}}`]);
  // What each minutes contributes now. applied_at is the wall clock at the end of the work (the bench's lag).
  await exec(t, `insert into results_applied (minutes_id, election_id, contest, round, unit_id, version_id, revision, ${F.join(', ')}, votes, applied_at)
    select m.id, ?, m.contest, m.round, m.unit_id, m.accepted_version_id, m.accepted_revision, ${F.map((f) => `coalesce(v.${f}, 0)`).join(', ')},
      coalesce((select jsonb_object_agg(cv.candidate_id::text, cv.votes) from count_minutes_vote cv where cv.version_id = v.id), '{}'::jsonb), clock_timestamp()
    from count_minutes m join count_minutes_version v on v.id = m.accepted_version_id where m.id = any(?::uuid[]) order by m.id
    on conflict (minutes_id) do update set contest = excluded.contest, round = excluded.round, unit_id = excluded.unit_id,
    version_id = excluded.version_id, revision = excluded.revision, ${F.map((f) => `${f} = excluded.${f}`).join(', ')},
    votes = excluded.votes, applied_at = excluded.applied_at`, [electionId, ch]);
  if (withdrawn.length) await exec(t, `delete from results_applied where minutes_id = any(?::uuid[])`, [`{${withdrawn.join(',')}}`]);
  return out;
}

/**
 * Applies the accepted version of one minutes to the aggregates: new − old contribution in one transaction. A
 * minutes already applied at its current revision (a duplicate or stale job, a retry) is a no-op.
 */
export async function applyMinutes(em: EntityManager, electionId: string, minutesId: string): Promise<ApplyOutcome> {
  return em.fork().transactional(async (tx) => {
    const t = tx as EntityManager;
    await sql(t, `select pg_advisory_xact_lock_shared(${lockSql})`, [electionId]);
    return (await applyBatch(t, electionId, [minutesId])).get(minutesId)!;
  });
}

export interface PendingOutcome extends ApplyOutcome {
  /** Minutes this job applied or found up to date (its own and the other pending ones it took). */
  batch: number;
  /** Of which changed the aggregates. */
  changed: number;
}

/**
 * The election's aggregation run (dispatched coalesced, aggregation-trigger.ts): takes, in one transaction, the
 * oldest pending acceptances of the election (results_pending, up to AGGREGATE_BATCH, skipping rows another run
 * holds) and applies them all set-based, batch after batch until a batch is not full. Given one acceptance
 * (minutes, revision) — runs queued before coalescing carried one — its pending row goes first, and an acceptance
 * already applied costs one read. Idempotent per minutes revision: see applyBatch.
 */
export async function applyPending(em: EntityManager, electionId: string, minutesId?: string, revision?: number): Promise<PendingOutcome> {
  if (minutesId && revision !== undefined) {
    const [s] = await sql<{ applied: number | null; pending: boolean }>(em.fork(), `select (select revision from results_applied where minutes_id = ?) as applied,
      exists (select 1 from results_pending where minutes_id = ?) as pending`, [minutesId, minutesId]);
    if (s && s.applied !== null && s.applied >= revision && !s.pending) return { applied: false, reason: 'up-to-date', revision: s.applied, batch: 0, changed: 0 };
  }
  let own: ApplyOutcome = { applied: false, reason: 'up-to-date' };
  let batch = 0;
  let changed = 0;
  // A full batch means more may be pending (e.g. a crashed batch's rows back in the queue): take the next one too,
  // so no pending row outlives the last job that ran after it was queued.
  for (let first = true; ; first = false) {
    const full = await em.fork().transactional(async (tx) => {
      const t = tx as EntityManager;
      // Not waiting for the WAL flush: a lost apply rolls back with its pending rows, which the run's redelivery,
      // the next run or the reconciler applies again; the run's 'succeeded' mark (a synchronous commit) flushes it.
      await sql(t, `select pg_advisory_xact_lock_shared(${lockSql}), set_config('synchronous_commit', 'off', true)`, [electionId]);
      const taken = await sql<{ minutes_id: string }>(t, `with g as (select minutes_id, revision from results_pending where election_id = ?
          order by (minutes_id = ?::uuid) is true desc, queued_at limit ? for update skip locked)
        delete from results_pending p using g where p.minutes_id = g.minutes_id and p.revision = g.revision returning p.minutes_id`,
      [electionId, minutesId ?? null, AGGREGATE_BATCH]);
      const ids = taken.map((r) => r.minutes_id);
      // Own acceptance neither taken here nor pending (no row: recorded before results_pending, or applied already):
      // apply it directly. A pending row still visible but not taken is held by a running job, which applies it.
      if (first && minutesId && !ids.includes(minutesId)) {
        const [p] = await sql<{ n: number }>(t, `select count(*)::int as n from results_pending where minutes_id = ?`, [minutesId]);
        if (!p.n) ids.push(minutesId);
      }
      const res = await applyBatch(t, electionId, ids);
      const mine = minutesId ? res.get(minutesId) : undefined;
      if (mine && (first || mine.applied)) own = mine;
      batch += res.size;
      changed += [...res.values()].filter((r) => r.applied).length;
      return taken.length >= AGGREGATE_BATCH;
    });
    if (!full) break;
  }
  return { ...own, batch, changed };
}

/** The from-scratch fold of an election's accepted minutes, as SQL selecting rows shaped like results_total. */
export function foldTotalsSql(): string {
  return `with acc as (
      select m.contest, m.round, m.unit_id, count(*)::int as n,
        ${COUNT_FIELDS.map((f) => `coalesce(sum(v.${f}), 0)::bigint as ${f}`).join(', ')}
      from count_minutes m join count_minutes_version v on v.id = m.accepted_version_id
      where m.election_id = ? group by m.contest, m.round, m.unit_id
    ), us as (${UNIT_SCOPE_SQL})
    select acc.contest, acc.round,
      case when grouping(us.province_code) = 1 then 'nation' when grouping(us.parent_code) = 1 then 'province'
           when grouping(acc.unit_id) = 1 then 'commune' else 'unit' end as scope_level,
      case when grouping(us.province_code) = 1 then '${NATION_CODE}' when grouping(us.parent_code) = 1 then us.province_code
           when grouping(acc.unit_id) = 1 then us.parent_code else acc.unit_id::text end as scope_code,
      ${COUNT_FIELDS.map((f) => `sum(acc.${f})::bigint as ${f}`).join(', ')}, sum(acc.n)::int as minutes_accepted
    from acc join us on us.unit_id = acc.unit_id
    group by grouping sets ((acc.contest, acc.round), (acc.contest, acc.round, us.province_code),
      (acc.contest, acc.round, us.province_code, us.parent_code, us.parent_level), (acc.contest, acc.round, us.province_code, us.parent_code, us.parent_level, acc.unit_id))
    having grouping(us.province_code) = 1 or grouping(us.parent_code) = 1 or grouping(acc.unit_id) = 0 or max(us.parent_level) = 'commune'`;
}

/** Per-unit candidate totals of the fold (params: electionId). */
export const FOLD_CANDIDATES_SQL = `select m.contest, m.round, m.unit_id, cv.candidate_id, sum(cv.votes)::bigint as votes
  from count_minutes m join count_minutes_vote cv on cv.version_id = m.accepted_version_id
  where m.election_id = ? group by m.contest, m.round, m.unit_id, cv.candidate_id`;

export interface TotalRow extends Counts {
  contest: string;
  round: string;
  scope_level: ScopeLevel;
  scope_code: string;
  minutes_accepted: number;
}

const num = (r: any): any => {
  for (const f of [...COUNT_FIELDS, 'minutes_accepted', 'votes']) if (r[f] !== undefined && r[f] !== null) r[f] = Number(r[f]);
  return r;
};

/** The from-scratch recomputation (the reference the incremental aggregates must equal). */
export async function foldTotals(em: EntityManager, electionId: string): Promise<TotalRow[]> {
  return (await sql<TotalRow>(em, foldTotalsSql(), [electionId, electionId])).map(num);
}

export async function foldCandidates(em: EntityManager, electionId: string): Promise<{ contest: string; round: string; unit_id: string; candidate_id: string; votes: number }[]> {
  return (await sql<any>(em, FOLD_CANDIDATES_SQL, [electionId])).map(num);
}

export async function storedTotals(em: EntityManager, electionId: string): Promise<TotalRow[]> {
  return (await sql<TotalRow>(em, `select contest, round, scope_level, scope_code, ${COUNT_FIELDS.join(', ')}, minutes_accepted from results_total where election_id = ?`, [electionId])).map(num);
}

export async function storedCandidates(em: EntityManager, electionId: string): Promise<{ contest: string; round: string; unit_id: string; candidate_id: string; votes: number }[]> {
  return (await sql<any>(em, `select contest, round, unit_id, candidate_id, votes from results_candidate_total where election_id = ?`, [electionId])).map(num);
}

export interface ReconcileReport {
  runId: string;
  drift: number;
  repaired: { kind: 'total' | 'candidate' | 'applied'; key: string; stored: unknown; computed: unknown }[];
  ms: number;
}

/**
 * Recomputes the election's aggregates from scratch, compares them with the stored ones and, where they differ,
 * replaces the stored ones (and the per-minutes contributions) with the recomputation. Records the run and what it
 * repaired (results_reconcile_run); the first 100 differences are kept in full.
 */
export async function reconcile(em: EntityManager, electionId: string): Promise<ReconcileReport> {
  const t0 = Date.now();
  const runId = newId();
  // First a lock-free comparison on one snapshot: the usual outcome (no drift) never blocks the incremental jobs.
  // Only when it finds a difference does the repair take the exclusive lock and compare again (a difference seen
  // without the lock may be a job in flight).
  const clean = await em.fork().transactional(async (tx) => (await compareAndRepair(tx as EntityManager, electionId, false)).drift === 0,
    { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true });
  const report = await em.fork().transactional(async (tx) => {
    const t = tx as EntityManager;
    const { drift, repaired } = clean ? { drift: 0, repaired: [] } : await (async () => {
      await sql(t, `select pg_advisory_xact_lock(${lockSql})`, [electionId]);
      return compareAndRepair(t, electionId, true);
    })();
    const ms = Date.now() - t0;
    await exec(t, `insert into results_reconcile_run (id, election_id, finished_at, ms, drift, repaired) values (?, ?, now(), ?, ?, ?::jsonb)`,
      [runId, electionId, ms, drift, JSON.stringify(repaired)]);
    return { runId, drift, repaired, ms };
  });
  return report;
}

/** Compares the stored aggregates with the fold; with `repair`, rewrites them from the fold when they differ. */
async function compareAndRepair(t: EntityManager, electionId: string, repair: boolean): Promise<{ drift: number; repaired: ReconcileReport['repaired'] }> {
  {
    const nonZero = (r: TotalRow) => r.minutes_accepted !== 0 || COUNT_FIELDS.some((f) => r[f] !== 0);
    const fold = new Map((await foldTotals(t, electionId)).map((r) => [`${r.contest}|${r.round}|${r.scope_level}|${r.scope_code}`, r]));
    const stored = new Map((await storedTotals(t, electionId)).filter(nonZero).map((r) => [`${r.contest}|${r.round}|${r.scope_level}|${r.scope_code}`, r]));
    const repaired: ReconcileReport['repaired'] = [];
    let drift = 0;
    const note = (kind: 'total' | 'candidate' | 'applied', key: string, s: unknown, c: unknown) => {
      drift++;
      if (repaired.length < 100) repaired.push({ kind, key, stored: s ?? null, computed: c ?? null });
    };
    for (const k of new Set([...fold.keys(), ...stored.keys()])) {
      const a = stored.get(k), b = fold.get(k);
      if (!a || !b || a.minutes_accepted !== b.minutes_accepted || COUNT_FIELDS.some((f) => a[f] !== b[f])) note('total', k, a, b);
    }
    const fc = new Map((await foldCandidates(t, electionId)).map((r) => [`${r.contest}|${r.round}|${r.unit_id}|${r.candidate_id}`, r.votes]));
    const sc = new Map((await storedCandidates(t, electionId)).filter((r) => r.votes !== 0).map((r) => [`${r.contest}|${r.round}|${r.unit_id}|${r.candidate_id}`, r.votes]));
    for (const k of new Set([...fc.keys(), ...sc.keys()])) if ((fc.get(k) ?? 0) !== (sc.get(k) ?? 0)) note('candidate', k, sc.get(k), fc.get(k));
    const appliedDrift = await sql<{ minutes_id: string; applied: string | null; accepted: string | null }>(t, `
      select coalesce(m.id, a.minutes_id) as minutes_id, a.version_id as applied, m.accepted_version_id as accepted
      from (select * from count_minutes where election_id = ? and accepted_version_id is not null) m
      full join (select * from results_applied where election_id = ?) a on a.minutes_id = m.id
      where a.version_id is distinct from m.accepted_version_id or a.revision is distinct from m.accepted_revision`, [electionId, electionId]);
    for (const r of appliedDrift) note('applied', r.minutes_id, r.applied, r.accepted);
    if (drift > 0 && repair) {
      // Pending acceptances the repair covers: committed before this statement, hence before the fold's statements
      // below (read committed: each statement sees what committed before it). Later ones stay queued for their jobs.
      await exec(t, `delete from results_pending p using count_minutes m where m.id = p.minutes_id and p.election_id = ? and m.accepted_revision >= p.revision`, [electionId]);
      // Unit rows from the fold (the view derives the other levels); hand corrections at higher levels go.
      await exec(t, `delete from results_total_base where election_id = ?`, [electionId]);
      await exec(t, `insert into results_total_base (election_id, contest, round, scope_level, scope_code, commune_code, province_code, ${COUNT_FIELDS.join(', ')}, minutes_accepted)
        select ?, f.contest, f.round, 'unit', f.scope_code, case when us.parent_level = 'commune' then us.parent_code end, us.province_code,
          ${COUNT_FIELDS.map((c) => `f.${c}`).join(', ')}, f.minutes_accepted
        from (${foldTotalsSql()}) f join (${UNIT_SCOPE_SQL}) us on us.unit_id::text = f.scope_code where f.scope_level = 'unit'`, [electionId, electionId, electionId, electionId]);
      await exec(t, `delete from results_candidate_total where election_id = ?`, [electionId]);
      await exec(t, `insert into results_candidate_total (election_id, contest, round, unit_id, candidate_id, votes) select ?, f.* from (${FOLD_CANDIDATES_SQL}) f`, [electionId, electionId]);
      await exec(t, `delete from results_applied where election_id = ?`, [electionId]);
      await exec(t, `insert into results_applied (minutes_id, election_id, contest, round, unit_id, version_id, revision, ${COUNT_FIELDS.join(', ')}, votes)
        select m.id, m.election_id, m.contest, m.round, m.unit_id, m.accepted_version_id, m.accepted_revision, ${COUNT_FIELDS.map((f) => `coalesce(v.${f}, 0)`).join(', ')},
          coalesce((select jsonb_object_agg(cv.candidate_id::text, cv.votes) from count_minutes_vote cv where cv.version_id = v.id), '{}'::jsonb)
        from count_minutes m join count_minutes_version v on v.id = m.accepted_version_id where m.election_id = ?`, [electionId]);
    }
    return { drift, repaired };
  }
}

/** Progress of one contest and round: minutes expected (polling areas of the units), entered, accepted, missing. */
export interface ProgressRow {
  scope_code: string;
  expected: number;
  entered: number;
  accepted: number;
  missing: number;
}

/**
 * Progress grouped by a level ('unit' | 'commune' | 'province' | 'nation'), optionally within a province. For a
 * re-vote or additional round only the units holding that round count.
 */
export async function progressBy(em: EntityManager, electionId: string, contest: string, round: string, level: ScopeLevel, province?: string): Promise<ProgressRow[]> {
  const key = level === 'unit' ? 'us.unit_id::text' : level === 'commune' ? 'us.parent_code' : level === 'province' ? 'us.province_code' : `'${NATION_CODE}'`;
  const roundFilter = round === 'first' ? '' : `and exists (select 1 from results_round r where r.unit_id = us.unit_id and r.round = ?)`;
  const params: unknown[] = [electionId, contest, round];
  if (round !== 'first') params.push(round);
  if (province) params.push(province);
  const rows = await sql<ProgressRow>(em, `
    with us as (${UNIT_SCOPE_SQL} and u.contest = ?),
    per_unit as (
      select us.*, (select count(*) from polling_area_unit pu where pu.unit_id = us.unit_id and pu.contest = us.contest)::int as expected,
        (select count(*) filter (where m.status in ('entered', 'differences', 'accepted', 'amending')) from count_minutes m where m.unit_id = us.unit_id and m.round = ?)::int as entered,
        (select count(*) filter (where m.accepted_version_id is not null) from count_minutes m where m.unit_id = us.unit_id and m.round = ?)::int as accepted
      from us where true ${roundFilter} ${province ? 'and us.province_code = ?' : ''}
    )
    select ${key.replace(/us\./g, 'per_unit.')} as scope_code, sum(expected)::int as expected, sum(entered)::int as entered, sum(accepted)::int as accepted,
      greatest(sum(expected) - sum(accepted), 0)::int as missing
    from per_unit group by 1 order by 1`, [electionId, contest, round, round, ...params.slice(3)]);
  return rows;
}
