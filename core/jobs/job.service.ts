// Job service: creates job_run rows, hands them to the transport, and runs them in the worker with a forked
// EntityManager per job. The database is the record; the queue is only a hint (recover() re-queues what was missed).
import { createHash } from 'node:crypto';
import type { MikroORM, EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../shared/logger.js';
import { Container } from 'inversify';
import { TOKENS } from '../kernel/tokens.js';
import { newId } from '../shared/ids.js';
import { sharedRunsByKey } from '../shared/coalesce.js';
import { sql, exec, prepared, preparedExec, ASYNC_COMMIT_SQL } from '../persistence/db.js';
import type { JobRouter } from './job-router.js';
import { PermanentJobError, type JobDelivery, type JobTransport, type ScheduleSpec } from './job-types.js';

export interface EnqueueOptions {
  createdBy?: string;
  electionId?: string | null;
  /** Use this id for the run (e.g. derived from a business key) so a second enqueue is a no-op. */
  runId?: string;
  /**
   * Record the run inside the caller's transaction (the row appears with the business write). The run is NOT
   * handed to the queue: call dispatch(id) after commit (the endpoint pipeline's afterCommit), or recover() will.
   */
  em?: EntityManager;
}

export interface JobRunRow {
  id: string;
  name: string;
  status: string;
  progress_done: number;
  progress_total: number;
  payload: Record<string, unknown>;
  result: unknown;
  error: string | null;
  attempts: number;
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}


/** A coalesced run not started after this long is presumed lost: the next dispatch of its key queues a fresh one. */
export const COALESCE_STALE_SECONDS = 20;

/** A uuid-shaped id derived from a string key (stable across retries of one scheduled delivery). */
export function idFromKey(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class JobService {
  private root?: Container;

  /** The composition root, from which each job gets a child container (set once the root exists). */
  useContainer(root: Container): void {
    this.root = root;
  }

  constructor(
    private readonly orm: MikroORM,
    private readonly transport: JobTransport,
    private readonly router: JobRouter,
    private readonly log: Logger,
  ) {}

  get transportKind(): 'bullmq' | 'in-process' {
    return this.transport.kind;
  }

  /** Whether a handler is registered under this name (a module may be switched off in a process). */
  knows(name: string): boolean {
    return this.router.get(name) !== undefined;
  }

  /** Records a run and queues it. Payloads carry ids only — never personal data or documents. */
  async enqueue(name: string, payload: Record<string, unknown>, opts: EnqueueOptions = {}): Promise<string> {
    if (!this.router.get(name)) throw new Error(`unknown job "${name}"`);
    const id = opts.runId ?? newId();
    const em = opts.em ?? this.orm.em.fork();
    const inserted = await exec(
      em,
      `insert into job_run (id, name, status, payload, created_by, election_id) values (?, ?, 'queued', ?::jsonb, ?, ?)
       on conflict (id) do nothing`,
      [id, name, JSON.stringify(payload), opts.createdBy ?? 'system', opts.electionId ?? null],
    );
    if (inserted === 0) return id; // already queued or done: idempotent
    if (!opts.em) await this.transport.add(id, name);
    return id;
  }

  /**
   * Coalesced dispatch, after the work it stands for has committed (the caller recorded that work in its own table):
   * queues a run of `name` for `key` unless a run for the key is queued and not yet started — that run will see the
   * work, since the worker removes the key (job_coalesce) in the statement that starts the run, and this statement
   * holds the key's row lock until it returns. A key whose run has not started within COALESCE_STALE_SECONDS (its
   * queue entry lost, say) gets a fresh run. With delayMs the new run waits that long before a worker may start it,
   * so that the work of a burst gathers in one run. One statement; returns the run id and whether it is new.
   * Concurrent calls for one key in this process share statements (sharedRuns: each call is answered by one that
   * started after it; the run's created_by is the first sharer's).
   */
  async dispatchCoalesced(name: string, key: string, payload: Record<string, unknown>, opts: { electionId?: string; createdBy?: string; delayMs?: number } = {}): Promise<{ runId: string; queued: boolean }> {
    if (!this.router.get(name)) throw new Error(`unknown job "${name}"`);
    return this.coalescedRuns(`${name}\n${key}`, () => this.dispatchCoalescedNow(name, key, payload, opts));
  }

  private readonly coalescedRuns = sharedRunsByKey<string, { runId: string; queued: boolean }>();

  private async dispatchCoalescedNow(name: string, key: string, payload: Record<string, unknown>, opts: { electionId?: string; createdBy?: string; delayMs?: number }): Promise<{ runId: string; queued: boolean }> {
    const fresh = newId();
    // Committed without waiting for the WAL flush (ASYNC_COMMIT_SQL): a dispatch lost in a database crash leaves
    // its work recorded, which the next dispatch, a restart (recover) or the owner's reconciler picks up.
    const [row] = await prepared<{ run_id: string; queued: boolean }>(this.orm.em.fork(), `with a as (${ASYNC_COMMIT_SQL}), c as (
        insert into job_coalesce (key, run_id) values (?::text, ?::uuid)
        on conflict (key) do update set
          run_id = case when job_coalesce.created_at < now() - make_interval(secs => ?::float8) then excluded.run_id else job_coalesce.run_id end,
          created_at = case when job_coalesce.created_at < now() - make_interval(secs => ?::float8) then now() else job_coalesce.created_at end
        returning run_id),
      j as (insert into job_run (id, name, status, payload, created_by, election_id)
        select run_id, ?::text, 'queued', ?::jsonb, ?::text, ?::uuid from c where run_id = ?::uuid returning id)
      select c.run_id, exists (select 1 from j) as queued from c, a`,
    [key, fresh, COALESCE_STALE_SECONDS, COALESCE_STALE_SECONDS, name, JSON.stringify(payload), opts.createdBy ?? 'system', opts.electionId ?? null, fresh]);
    if (row.queued) await this.transport.add(row.run_id, name, opts.delayMs);
    return { runId: row.run_id, queued: row.queued };
  }

  /** Hands a run recorded inside a transaction to the queue, once that transaction has committed. */
  async dispatch(id: string): Promise<void> {
    const [row] = await sql<{ name: string }>(this.orm.em.fork(), `select name from job_run where id = ? and status = 'queued'`, [id]);
    if (row) await this.transport.add(id, row.name);
  }

  async get(id: string): Promise<JobRunRow | undefined> {
    const [row] = await sql<JobRunRow>(this.orm.em.fork(), 'select * from job_run where id = ?', [id]);
    return row;
  }

  async list(limit = 50, offset = 0, status?: string): Promise<{ rows: JobRunRow[]; total: number }> {
    const em = this.orm.em.fork();
    const where = status ? 'where status = ?' : '';
    const params = status ? [status] : [];
    const rows = await sql<JobRunRow>(em, `select * from job_run ${where} order by created_at desc limit ? offset ?`, [...params, limit, offset]);
    const [{ n }] = await sql<{ n: string }>(em, `select count(*)::text as n from job_run ${where}`, params);
    return { rows, total: Number(n) };
  }

  async cancel(id: string): Promise<boolean> {
    const n = await exec(this.orm.em.fork(), `update job_run set status = 'cancelled', updated_at = now(), finished_at = now() where id = ? and status in ('queued','running')`, [id]);
    return n > 0;
  }

  /** Worker side: runs one delivery. Exactly-once per run: a run already succeeded is skipped. */
  async process(d: JobDelivery): Promise<void> {
    const entry = this.router.get(d.name);
    if (!entry) throw new PermanentJobError(`unknown job "${d.name}"`);
    const em = this.orm.em.fork();
    let runId = d.runId;
    if (!runId) {
      runId = idFromKey(d.key);
      await exec(em, `insert into job_run (id, name, status, payload, created_by) values (?, ?, 'queued', ?::jsonb, 'schedule') on conflict (id) do nothing`, [
        runId, d.name, JSON.stringify(d.payload ?? {}),
      ]);
    }
    const [run] = await prepared<JobRunRow>(em, 'select * from job_run where id = ?', [runId]);
    // Not (yet) visible: the producer's transaction may not have committed. Retry rather than give up.
    if (!run) throw new Error(`job_run ${runId} not found`);
    if (run.status === 'succeeded' || run.status === 'cancelled') return;
    // Starting releases the run's coalescing key (dispatchCoalesced): work recorded from now on queues a new run.
    // Not waiting for the WAL flush: a lost 'running' mark changes nothing (the run is redelivered or recovered).
    await preparedExec(em, `with a as (${ASYNC_COMMIT_SQL}), k as (delete from job_coalesce where run_id = ?)
      update job_run set status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()), updated_at = now(), error = null
      from a where id = ?`, [runId, runId]);
    const log = this.log.child({ job: d.name, runId });
    let lastWrite = 0;
    const progressEm = this.orm.em.fork();
    const jobEm = this.orm.em.fork();
    let container: Container | undefined;
    if (this.root) {
      container = new Container({ parent: this.root });
      container.bind(TOKENS.EntityManager).toConstantValue(jobEm);
    }
    const ctx = {
      runId,
      name: d.name,
      attempt: d.attempt,
      em: jobEm,
      container,
      log,
      progress: async (done: number, total: number) => {
        const now = Date.now();
        if (now - lastWrite < 200 && done < total) return; // throttle: at most 5 writes a second
        lastWrite = now;
        await exec(progressEm, `update job_run set progress_done = ?, progress_total = ?, updated_at = now() where id = ?`, [done, total, runId]);
      },
      cancelled: async () => {
        const [r] = await sql<{ status: string }>(progressEm, 'select status from job_run where id = ?', [runId]);
        return r?.status === 'cancelled';
      },
    };
    try {
      const result = await entry.handler(run.payload, ctx);
      await preparedExec(em, `update job_run set status = 'succeeded', result = ?::jsonb, finished_at = now(), updated_at = now(),
        progress_done = greatest(progress_done, progress_total) where id = ? and status <> 'cancelled'`, [JSON.stringify(result ?? null), runId]);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const final = e instanceof PermanentJobError || d.attempt >= 3;
      log.error({ err: message, attempt: d.attempt, final }, 'job failed');
      await exec(em, `update job_run set status = ?, error = ?, updated_at = now(), finished_at = case when ? then now() else null end where id = ?`, [
        final ? 'failed' : 'queued', message, final, runId,
      ]);
      throw e;
    }
  }

  /** Re-queues runs left 'queued' or 'running' (a crash, a lost queue entry, an in-process restart). */
  async recover(): Promise<number> {
    const rows = await sql<{ id: string; name: string }>(this.orm.em.fork(), `select id, name from job_run where status in ('queued','running') order by created_at`);
    for (const r of rows) await this.transport.add(r.id, r.name);
    if (rows.length) this.log.info({ count: rows.length }, 'job runs re-queued at start');
    return rows.length;
  }

  async startWorker(concurrency: number): Promise<void> {
    await this.transport.startWorker((d) => this.process(d), concurrency);
  }

  async upsertSchedule(spec: ScheduleSpec): Promise<void> {
    await this.transport.upsertSchedule(spec, async (s) => {
      await this.enqueue(s.job, s.payload, { createdBy: 'schedule' });
    });
  }

  removeSchedule(id: string): Promise<void> {
    return this.transport.removeSchedule(id);
  }

  listSchedules() {
    return this.transport.listSchedules();
  }

  counts() {
    return this.transport.counts();
  }

  ping() {
    return this.transport.ping();
  }
}
