// BullMQ transport: one queue for all job names; jobId = job_run id so a re-add of the same run is deduplicated.
import { Queue, Worker, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.js';
import { PermanentJobError, type JobProcessor, type JobTransport, type ScheduleSpec } from './job-types.js';

export const QUEUE_NAME = 'jobs';

export class BullmqTransport implements JobTransport {
  readonly kind = 'bullmq' as const;
  private readonly queue: Queue;
  private worker?: Worker;

  constructor(
    private readonly producer: Redis,
    private readonly workerConn: () => Redis,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {
    this.queue = new Queue(QUEUE_NAME, { connection: producer, prefix });
    this.queue.on('error', (e) => log.error({ err: e.message }, 'queue error'));
  }

  async add(runId: string, name: string, delayMs?: number): Promise<void> {
    await this.queue.add(name, { runId }, {
      jobId: runId,
      ...(delayMs && delayMs > 0 ? { delay: delayMs } : {}),
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 3600, count: 2000 },
      removeOnFail: { age: 7 * 86400 },
    });
  }

  async startWorker(process: JobProcessor, concurrency: number): Promise<void> {
    this.worker = new Worker(
      QUEUE_NAME,
      async (job: Job) => {
        try {
          await process({
            name: job.name,
            runId: job.data.runId,
            key: String(job.id),
            payload: job.data.payload,
            attempt: job.attemptsMade + 1,
          });
        } catch (e) {
          if (e instanceof PermanentJobError) throw new UnrecoverableError(e.message);
          throw e;
        }
      },
      { connection: this.workerConn(), prefix: this.prefix, concurrency, stalledInterval: 5000, maxStalledCount: 2, lockDuration: 10_000 },
    );
    this.worker.on('error', (e) => this.log.error({ err: e.message }, 'worker error'));
    await this.worker.waitUntilReady();
  }

  async upsertSchedule(spec: ScheduleSpec): Promise<void> {
    // The scheduled job carries no run id: the worker creates the job_run row when it sees `scheduled: true`.
    await this.queue.upsertJobScheduler(
      spec.id,
      spec.cron ? { pattern: spec.cron, ...(spec.tz ? { tz: spec.tz } : {}) } : { every: spec.every! },
      { name: spec.job, data: { scheduled: true, scheduleId: spec.id, payload: spec.payload } },
    );
  }

  async removeSchedule(id: string): Promise<void> {
    await this.queue.removeJobScheduler(id);
  }

  async listSchedules() {
    const list = await this.queue.getJobSchedulers(0, 1000);
    return list.map((s) => ({ id: s.key, next: s.next, pattern: s.pattern ?? undefined, every: s.every ? Number(s.every) : undefined }));
  }

  async counts(): Promise<Record<string, number>> {
    return (await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed')) as Record<string, number>;
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.producer.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async closeWorker(): Promise<void> {
    await this.worker?.close();
  }

  async close(): Promise<void> {
    await this.closeWorker();
    await this.queue.close();
  }

  /** The underlying queue, for bull-board and tests. */
  get rawQueue(): Queue {
    return this.queue;
  }
}
