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

const KEY32_MESSAGE = 'phải là khóa 32 byte dạng hex (64 ký tự) hoặc base64 / must be a 32-byte key, hex or base64';

/** Decodes a 32-byte key written as hex (64 digits) or base64 (standard or url-safe); undefined when it is neither. */
export function decodeKey32(v: string): Buffer | undefined {
  const s = v.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) {
    const b = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === 32) return b;
  }
  return undefined;
}

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
  /** ROLE=web only: how many web processes share the port (node:cluster); one per core is typical (WEB_PROCESSES). */
  WEB_PROCESSES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(64).default(1)),
  /** IANA time zone in which report schedules' cron patterns are evaluated (BullMQ `tz`) and next runs are shown. */
  SCHEDULE_TIMEZONE: z.preprocess(emptyToUndefined, z.string().refine(isTimeZone, 'không phải múi giờ IANA / not an IANA time zone (e.g. Asia/Ho_Chi_Minh)').default('Asia/Ho_Chi_Minh')),
  /**
   * The address people reach the application at (scheme, host, optional port and path, no query): printed documents
   * carry a QR code and a link to `<PUBLIC_BASE_URL>/v/<code>` so a paper copy can be checked (docs/reports.md).
   */
  PUBLIC_BASE_URL: z.preprocess(emptyToUndefined, urlWithScheme(['http', 'https'])
    .refine((v) => { try { const u = new URL(v); return !u.search && !u.hash && !u.username && !u.password; } catch { return false; } },
      'không được có query, # hay thông tin đăng nhập / must not have a query, fragment or credentials')
    .default('http://localhost:3000')),
  /** Import the reference lists automatically on first start when the tree is empty. */
  AUTO_IMPORT_REFERENCE: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).default('true')),
  NODE_ENV: z.preprocess(emptyToUndefined, z.enum(['development', 'production', 'test']).default('development')),
  /**
   * Ed25519 private key (its 32-byte seed, hex or base64) that signs audit checkpoints. When absent: derived from
   * SESSION_SECRET (HKDF-SHA256), else generated once into DATA_DIR/audit-checkpoint.key (docs/audit.md).
   */
  AUDIT_CHECKPOINT_KEY: z.preprocess(emptyToUndefined, z.string().refine((v) => decodeKey32(v) !== undefined, KEY32_MESSAGE).optional()),
  /** Earlier checkpoint public keys (comma-separated, 32 bytes hex or base64 each), to verify checkpoints after a key change. */
  AUDIT_CHECKPOINT_PUBLIC_KEYS: z.preprocess(emptyToUndefined, z.string().refine(
    (v) => v.split(',').every((k) => decodeKey32(k.trim()) !== undefined), KEY32_MESSAGE).optional()),
});

/** True for a time zone Intl knows ("Asia/Ho_Chi_Minh", "UTC"). */
function isTimeZone(v: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: v });
    return true;
  } catch {
    return false;
  }
}

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
  /** ROLE=web: number of clustered web processes (WEB_PROCESSES). */
  webProcesses: number;
  /** Time zone of report schedules (SCHEDULE_TIMEZONE). */
  scheduleTimezone: string;
  /** PUBLIC_BASE_URL without a trailing slash ("https://baucu.example.vn"). */
  publicBaseUrl: string;
  autoImportReference: boolean;
  nodeEnv: 'development' | 'production' | 'test';
  /** The audit checkpoint signing key as configured (hex or base64 seed); see core/audit/checkpoint-key.ts. */
  auditCheckpointKey?: string;
  /** Earlier checkpoint public keys, accepted by the verifier. */
  auditCheckpointPublicKeys: string[];
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
    webProcesses: c.WEB_PROCESSES,
    scheduleTimezone: c.SCHEDULE_TIMEZONE,
    publicBaseUrl: c.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    autoImportReference: c.AUTO_IMPORT_REFERENCE === 'true',
    nodeEnv: c.NODE_ENV,
    auditCheckpointKey: c.AUDIT_CHECKPOINT_KEY,
    auditCheckpointPublicKeys: c.AUDIT_CHECKPOINT_PUBLIC_KEYS?.split(',').map((k) => k.trim()) ?? [],
    version: APP_VERSION,
  };
}

export const APP_VERSION = '0.1.0';
