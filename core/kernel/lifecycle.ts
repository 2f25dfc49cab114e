// Ordered disposers: everything that holds a connection registers one; stop() runs them in the given phase order
// (stop accepting → finish in-flight → workers → queues → Redis → browser → ORM → embedded database).
import type { Logger } from '../shared/logger.js';

export type Phase = 'http' | 'workers' | 'queues' | 'redis' | 'browser' | 'orm' | 'database';
const ORDER: Phase[] = ['http', 'workers', 'queues', 'redis', 'browser', 'orm', 'database'];

export class Lifecycle {
  private readonly disposers: { phase: Phase; name: string; fn: () => Promise<void> | void }[] = [];
  private stopping?: Promise<void>;

  constructor(private readonly log: Logger) {}

  onStop(phase: Phase, name: string, fn: () => Promise<void> | void): void {
    this.disposers.push({ phase, name, fn });
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Runs every disposer once, phase by phase; later phases run even if an earlier one fails. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const phase of ORDER) {
        const group = this.disposers.filter((d) => d.phase === phase).reverse();
        for (const d of group) {
          const t = Date.now();
          try {
            await d.fn();
            this.log.debug({ phase, name: d.name, ms: Date.now() - t }, 'stopped');
          } catch (e) {
            this.log.error({ phase, name: d.name, err: String(e) }, 'error while stopping');
          }
        }
      }
      this.log.info('Đã dừng / stopped');
    })();
    return this.stopping;
  }
}
