// The job interface shared by the BullMQ transport and the in-process runner: handlers are looked up by name
// (`<pluginId>.<job>` or `core.<job>`), payloads carry ids only, progress is written to job_run.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../shared/logger.js';
import type { Container } from 'inversify';

export interface JobContext {
  runId: string;
  name: string;
  attempt: number;
  em: EntityManager;
  /** A child container of the composition root for this job, with its EntityManager bound (TOKENS.EntityManager). */
  container?: Container;
  log: Logger;
  /** Records progress on job_run (throttled); visible on the jobs page. */
  progress(done: number, total: number): Promise<void>;
  /** True once cancellation was requested for this run; long handlers check it between steps. */
  cancelled(): Promise<boolean>;
}

export type JobHandler<P = any, R = unknown> = (payload: P, ctx: JobContext) => Promise<R>;

/** A job that can never succeed with this input (bad payload): not retried. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

export interface ScheduleSpec {
  /** Stable scheduler id (`<pluginId>.<schedule>:<electionId>`), upserted at boot. */
  id: string;
  job: string;
  every?: number;
  cron?: string;
  /** IANA time zone the cron pattern is evaluated in (BullMQ `tz`); default the process's. */
  tz?: string;
  payload: Record<string, unknown>;
}

/** What a transport hands the worker: a job_run id, or for a scheduled repeat the payload and a unique key. */
export interface JobDelivery {
  name: string;
  runId?: string;
  /** Unique per delivery of a scheduled repeat; the job_run id is derived from it so retries reuse the row. */
  key: string;
  payload?: Record<string, unknown>;
  attempt: number;
}
export type JobProcessor = (d: JobDelivery) => Promise<void>;

/** What carries a job run from producer to worker: BullMQ with Redis, or an in-process queue without it. */
export interface JobTransport {
  readonly kind: 'bullmq' | 'in-process';
  /** Queues a run; with delayMs, it becomes available to workers only after that many milliseconds. */
  add(runId: string, name: string, delayMs?: number): Promise<void>;
  /** Starts consuming; `process` runs one job run. */
  startWorker(process: JobProcessor, concurrency: number): Promise<void>;
  upsertSchedule(spec: ScheduleSpec, enqueue: (spec: ScheduleSpec) => Promise<void>): Promise<void>;
  removeSchedule(id: string): Promise<void>;
  listSchedules(): Promise<{ id: string; next?: number; pattern?: string; every?: number }[]>;
  /** Counts for /healthz and /metrics. */
  counts(): Promise<Record<string, number>>;
  ping(): Promise<boolean>;
  /** Stops taking new jobs and waits for the running ones. */
  closeWorker(): Promise<void>;
  close(): Promise<void>;
}
