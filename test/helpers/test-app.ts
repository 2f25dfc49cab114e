// Boots the real application for a test file: its own PostgreSQL schema and BullMQ prefix, port 0, real Redis.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import pg from 'pg';
import { loadConfig, type Config } from '../../config/config.js';
import { boot, type BaucuApp } from '../../core/kernel/boot.js';

export const TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';
export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
/** Reference data beside the repository (../shared/data), as the product reads it. */
export const REFERENCE_DATA_DIR = path.resolve(REPO_ROOT, '../shared/data');

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** A config for a test: real services, an isolated schema and queue prefix, no automatic reference import. */
export function testConfig(name: string, env: Record<string, string | undefined> = {}): Config {
  const schema = uniqueName('t_' + name).slice(0, 60);
  return loadConfig({
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: schema,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'baucu-test-')),
    REFERENCE_DATA_DIR,
    AUTO_IMPORT_REFERENCE: 'false',
    SESSION_SECRET: 'test-secret-test-secret-test-secret-0123',
    ...env,
  }, REPO_ROOT);
}

export interface TestApp extends BaucuApp {
  url: string;
  /** Drops the schema, BullMQ keys and temp files. */
  close(): Promise<void>;
}

export async function startTestApp(name: string, env: Record<string, string | undefined> = {}): Promise<TestApp> {
  const config = testConfig(name, env);
  const app = await boot(config);
  return {
    ...app,
    url: app.url!,
    async close() {
      await app.stop();
      await dropSchema(config.databaseSchema);
      await clearQueuePrefix(config.queuePrefix);
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}

export async function dropSchema(schema: string): Promise<void> {
  if (schema === 'public') return;
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    await c.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await c.end();
  }
}

export async function clearQueuePrefix(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const r = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** Polls until fn returns a truthy value (or times out). */
export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
