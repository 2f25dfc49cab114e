// Server-side sessions: in Redis when REDIS_URL is set, in PostgreSQL otherwise. The cookie holds only a random id.
import type { Redis } from 'ioredis';
import type { MikroORM } from '@mikro-orm/postgresql';
import { sql, exec } from '../persistence/db.js';

export type SessionStage = 'authenticated' | 'needs-2fa' | 'needs-enrolment' | 'needs-password-change';

export interface SessionData {
  userId: string;
  stage: SessionStage;
  createdAt: number;
  lastSeen: number;
  /** Last successful second-factor confirmation (login or step-up), ms since epoch. */
  secondFactorAt?: number;
  ip?: string;
  ua?: string;
  /** TOTP secret being enrolled, until confirmed. */
  pendingTotpSecret?: string;
  /** One-time recovery codes to show once after enrolment. */
  showRecoveryCodes?: string[];
  flash?: { kind: 'ok' | 'error' | 'info'; text: string };
  /** A secret shown once on the next page (a one-time password just set by an administrator). */
  reveal?: { userId: string; password?: string; sheetId?: string };
}

export interface SessionStore {
  get(sid: string): Promise<SessionData | undefined>;
  set(sid: string, data: SessionData, ttlMs: number): Promise<void>;
  destroy(sid: string): Promise<void>;
  listByUser(userId: string): Promise<{ sid: string; data: SessionData }[]>;
  /** Ends every session of a user (logout everywhere, account disabled), except one if given. */
  destroyByUser(userId: string, exceptSid?: string): Promise<number>;
}

export class RedisSessionStore implements SessionStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}
  private key(sid: string) {
    return `${this.prefix}:sess:${sid}`;
  }
  private userKey(userId: string) {
    return `${this.prefix}:usess:${userId}`;
  }
  async get(sid: string) {
    const v = await this.redis.get(this.key(sid));
    return v ? (JSON.parse(v) as SessionData) : undefined;
  }
  async set(sid: string, data: SessionData, ttlMs: number) {
    await this.redis.multi().set(this.key(sid), JSON.stringify(data), 'PX', Math.max(1, Math.round(ttlMs))).sadd(this.userKey(data.userId), sid).exec();
  }
  async destroy(sid: string) {
    const d = await this.get(sid);
    const m = this.redis.multi().del(this.key(sid));
    if (d) m.srem(this.userKey(d.userId), sid);
    await m.exec();
  }
  async listByUser(userId: string) {
    const sids = await this.redis.smembers(this.userKey(userId));
    const out: { sid: string; data: SessionData }[] = [];
    for (const sid of sids) {
      const d = await this.get(sid);
      if (d) out.push({ sid, data: d });
      else await this.redis.srem(this.userKey(userId), sid);
    }
    return out;
  }
  async destroyByUser(userId: string, exceptSid?: string) {
    const list = await this.listByUser(userId);
    let n = 0;
    for (const s of list) {
      if (s.sid === exceptSid) continue;
      await this.destroy(s.sid);
      n++;
    }
    return n;
  }
}

export class PgSessionStore implements SessionStore {
  constructor(private readonly orm: MikroORM) {}
  private em() {
    return this.orm.em.fork();
  }
  async get(sid: string) {
    const [row] = await sql<{ data: SessionData }>(this.em(), 'select data from user_session where sid = ? and expires_at > now()', [sid]);
    return row?.data;
  }
  async set(sid: string, data: SessionData, ttlMs: number) {
    await exec(this.em(), `insert into user_session (sid, user_id, data, last_seen, expires_at) values (?, ?, ?::jsonb, now(), now() + (? || ' milliseconds')::interval)
      on conflict (sid) do update set data = excluded.data, last_seen = now(), expires_at = excluded.expires_at`, [sid, data.userId, JSON.stringify(data), String(Math.round(ttlMs))]);
  }
  async destroy(sid: string) {
    await exec(this.em(), 'delete from user_session where sid = ?', [sid]);
  }
  async listByUser(userId: string) {
    const rows = await sql<{ sid: string; data: SessionData }>(this.em(), 'select sid, data from user_session where user_id = ? and expires_at > now() order by created_at', [userId]);
    return rows;
  }
  async destroyByUser(userId: string, exceptSid?: string) {
    return exec(this.em(), 'delete from user_session where user_id = ? and sid <> ?', [userId, exceptSid ?? '']);
  }
}

/** Fixed-window counters for rate limits and lockouts: Redis when available, memory otherwise. */
export interface Counter {
  /** Increments and returns the count within the window. */
  hit(key: string, windowMs: number): Promise<number>;
  /** The count within the current window, without incrementing. */
  peek(key: string): Promise<number>;
  reset(key: string): Promise<void>;
}

export class RedisCounter implements Counter {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}
  async hit(key: string, windowMs: number) {
    const k = `${this.prefix}:rl:${key}`;
    const [[, n]] = (await this.redis.multi().incr(k).pexpire(k, windowMs, 'NX').exec()) as [[null, number]];
    return n;
  }
  async peek(key: string) {
    return Number((await this.redis.get(`${this.prefix}:rl:${key}`)) ?? 0);
  }
  async reset(key: string) {
    await this.redis.del(`${this.prefix}:rl:${key}`);
  }
}

export class MemoryCounter implements Counter {
  private readonly m = new Map<string, { n: number; until: number }>();
  async hit(key: string, windowMs: number) {
    const now = Date.now();
    const e = this.m.get(key);
    if (!e || e.until < now) {
      this.m.set(key, { n: 1, until: now + windowMs });
      return 1;
    }
    e.n++;
    return e.n;
  }
  async peek(key: string) {
    const e = this.m.get(key);
    return e && e.until >= Date.now() ? e.n : 0;
  }
  async reset(key: string) {
    this.m.delete(key);
  }
}
