// The one configuration object, parsed from the environment by zod. Nothing else in the codebase reads process.env.
import { z } from 'zod';
import path from 'node:path';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const urlWithScheme = (schemes: string[]) =>
  z
    .string()
    .min(1)
    .refine((v) => {
      try {
        return schemes.includes(new URL(v).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    }, `phải là URL bắt đầu bằng ${schemes.map((s) => s + '://').join(' hoặc ')}`);

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const configSchema = z.object({
  PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(3000)),
  HOST: z.preprocess(emptyToUndefined, z.string().default('0.0.0.0')),
  DATABASE_URL: z.preprocess(emptyToUndefined, urlWithScheme(['postgres', 'postgresql']).optional()),
  /** PostgreSQL schema the application lives in (tests give each file its own). */
  DATABASE_SCHEMA: z.preprocess(emptyToUndefined, z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('public')),
  DB_POOL_MAX: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(200).default(10)),
  REDIS_URL: z.preprocess(emptyToUndefined, urlWithScheme(['redis', 'rediss']).optional()),
  /** Prefix of every BullMQ key (tests give each file its own). */
  QUEUE_PREFIX: z.preprocess(emptyToUndefined, z.string().regex(/^[A-Za-z0-9_-]{1,40}$/).default('baucu')),
  SESSION_SECRET: z.preprocess(emptyToUndefined, z.string().min(32, 'phải dài ít nhất 32 ký tự').optional()),
  CHROME_PATH: z.preprocess(emptyToUndefined, z.string().default('/usr/bin/chromium')),
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('./data')),
  REFERENCE_DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('../shared/data')),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(LOG_LEVELS).default('info')),
  ROLE: z.preprocess(emptyToUndefined, z.enum(['all', 'web', 'worker']).default('all')),
  /** Worker concurrency for generic jobs. */
  WORKER_CONCURRENCY: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(64).default(4)),
  /** Import the reference lists automatically on first start when the tree is empty. */
  AUTO_IMPORT_REFERENCE: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).default('true')),
  NODE_ENV: z.preprocess(emptyToUndefined, z.enum(['development', 'production', 'test']).default('development')),
});

export type RawConfig = z.infer<typeof configSchema>;

export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  databaseSchema: string;
  dbPoolMax: number;
  redisUrl?: string;
  queuePrefix: string;
  sessionSecret?: string;
  chromePath: string;
  dataDir: string;
  referenceDataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  role: 'all' | 'web' | 'worker';
  workerConcurrency: number;
  autoImportReference: boolean;
  nodeEnv: 'development' | 'production' | 'test';
  version: string;
}

/** Thrown when the environment is invalid; its message names every bad variable. */
export class ConfigError extends Error {
  constructor(public readonly issues: { variable: string; message: string }[]) {
    super(
      'Cấu hình không hợp lệ / invalid configuration:\n' +
        issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Parses an environment (process.env at the entry points, a literal object in tests). */
export function loadConfig(env: Record<string, string | undefined>, cwd = process.cwd()): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })),
    );
  }
  const c = parsed.data;
  return {
    port: c.PORT,
    host: c.HOST,
    databaseUrl: c.DATABASE_URL,
    databaseSchema: c.DATABASE_SCHEMA,
    dbPoolMax: c.DB_POOL_MAX,
    redisUrl: c.REDIS_URL,
    queuePrefix: c.QUEUE_PREFIX,
    sessionSecret: c.SESSION_SECRET,
    chromePath: c.CHROME_PATH,
    dataDir: path.resolve(cwd, c.DATA_DIR),
    referenceDataDir: path.resolve(cwd, c.REFERENCE_DATA_DIR),
    logLevel: c.LOG_LEVEL,
    role: c.ROLE,
    workerConcurrency: c.WORKER_CONCURRENCY,
    autoImportReference: c.AUTO_IMPORT_REFERENCE === 'true',
    nodeEnv: c.NODE_ENV,
    version: APP_VERSION,
  };
}

export const APP_VERSION = '0.1.0';
