// Redis connections following BullMQ's rules: workers block (maxRetriesPerRequest null); producers called from web
// requests fail fast (no offline queue) so a Redis outage gives an error page, not a hung request.
import { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.js';

export function workerConnection(url: string, log: Logger): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  r.on('error', (e) => log.error({ err: e.message }, 'redis (worker) error'));
  return r;
}

export function producerConnection(url: string, log: Logger): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 3000 });
  r.on('error', (e) => log.error({ err: e.message }, 'redis (producer) error'));
  return r;
}

/** Waits until a connection is ready (producers have no offline queue, so the first command needs it). */
export async function ready(r: Redis, timeoutMs = 5000): Promise<void> {
  if (r.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('Redis không phản hồi / Redis not answering')), timeoutMs);
    r.once('ready', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
