// In-process transport for `npm start` without REDIS_URL: the same job interface, a FIFO queue with bounded
// concurrency and retries in this process; schedules by interval or cron. Queued runs survive a restart because
// the worker re-queues job_run rows still 'queued' or 'running' at boot (JobService.recover).
import { CronExpressionParser } from 'cron-parser';
import type { Logger } from '../shared/logger.js';
import { PermanentJobError, type JobDelivery, type JobProcessor, type JobTransport, type ScheduleSpec } from './job-types.js';

const MAX_ATTEMPTS = 3;

export class InProcessTransport implements JobTransport {
  readonly kind = 'in-process' as const;
  private readonly waiting: JobDelivery[] = [];
  private readonly active = new Set<Promise<void>>();
  private process?: JobProcessor;
  private concurrency = 1;
  private closing = false;
  private failed = 0;
  private completed = 0;
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; spec: ScheduleSpec; next?: number }>();

  constructor(private readonly log: Logger) {}

  async add(runId: string, name: string, delayMs?: number): Promise<void> {
    if (delayMs && delayMs > 0) {
      setTimeout(() => void this.add(runId, name), delayMs).unref();
      return;
    }
    if (this.waiting.some((d) => d.runId === runId)) return; // deduplicated like a BullMQ jobId
    this.waiting.push({ name, runId, key: runId, attempt: 1 });
    this.pump();
  }

  async startWorker(process: JobProcessor, concurrency: number): Promise<void> {
    this.process = process;
    this.concurrency = concurrency;
    this.pump();
  }

  private pump(): void {
    if (!this.process || this.closing) return;
    while (this.active.size < this.concurrency && this.waiting.length) {
      const d = this.waiting.shift()!;
      const p = this.run(d).finally(() => {
        this.active.delete(p);
        this.pump();
      });
      this.active.add(p);
    }
  }

  private async run(d: JobDelivery): Promise<void> {
    try {
      await this.process!(d);
      this.completed++;
    } catch (e) {
      const permanent = e instanceof PermanentJobError;
      if (!permanent && d.attempt < MAX_ATTEMPTS && !this.closing) {
        const delay = 1000 * 2 ** (d.attempt - 1);
        setTimeout(() => {
          this.waiting.push({ ...d, attempt: d.attempt + 1 });
          this.pump();
        }, delay).unref();
      } else {
        this.failed++;
      }
    }
  }

  async upsertSchedule(spec: ScheduleSpec, enqueue: (spec: ScheduleSpec) => Promise<void>): Promise<void> {
    await this.removeSchedule(spec.id);
    const fire = () => enqueue(spec).catch((e) => this.log.error({ err: String(e), schedule: spec.id }, 'schedule failed'));
    if (spec.every) {
      const timer = setInterval(fire, spec.every);
      timer.unref();
      this.timers.set(spec.id, { timer, spec, next: Date.now() + spec.every });
    } else if (spec.cron) {
      const arm = () => {
        const next = CronExpressionParser.parse(spec.cron!, spec.tz ? { tz: spec.tz } : {}).next().getTime();
        const timer = setTimeout(() => {
          void fire();
          arm();
        }, Math.max(1000, next - Date.now()));
        timer.unref();
        this.timers.set(spec.id, { timer, spec, next });
      };
      arm();
    }
  }

  async removeSchedule(id: string): Promise<void> {
    const t = this.timers.get(id);
    if (t) clearTimeout(t.timer);
    this.timers.delete(id);
  }

  async listSchedules() {
    return [...this.timers.values()].map((t) => ({ id: t.spec.id, next: t.next, pattern: t.spec.cron, every: t.spec.every }));
  }

  async counts(): Promise<Record<string, number>> {
    return { waiting: this.waiting.length, active: this.active.size, failed: this.failed, completed: this.completed, delayed: 0 };
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async closeWorker(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.active]);
  }

  async close(): Promise<void> {
    for (const id of [...this.timers.keys()]) await this.removeSchedule(id);
    await this.closeWorker();
  }
}
