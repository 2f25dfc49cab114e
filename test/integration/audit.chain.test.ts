// The audit trail on the real application and PostgreSQL: an event commits or rolls back with its write; the chain
// is gap-free under concurrency and sealed at commit; the database refuses UPDATE/DELETE/TRUNCATE; what is hashed is
// what is stored; the checkpoint job; and `npm run audit:verify` (exit code and the first bad sequence number).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import fc from 'fast-check';
import pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, waitFor, REPO_ROOT, TEST_DATABASE_URL, type TestApp } from '../helpers/test-app.js';
import { sql } from '../../core/persistence/db.js';
import { recordAudit, type AuditInput } from '../../core/audit/audit.service.js';
import { verifyAuditChain } from '../../core/audit/verify.js';
import { loadAuditKeys, type AuditKeys } from '../../core/audit/checkpoint-key.js';
import { AUDIT_CHECKPOINT_JOB } from '../../core/audit/checkpoint.service.js';
import { canonicalJson } from '../../core/audit/audit-hash.js';
import { createLogger } from '../../core/shared/logger.js';
import { MikroORM } from '@mikro-orm/postgresql';
import { openOrm, ormConfig } from '../../core/persistence/orm.js';
import { MIGRATIONS } from '../../core/persistence/migrations/index.js';
import { dropSchema, uniqueName } from '../helpers/test-app.js';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

let app: TestApp;
let keys: AuditKeys;
let schema: string;

beforeAll(async () => {
  app = await startTestApp('audit_chain');
  schema = app.config.databaseSchema;
  keys = loadAuditKeys(app.config, { create: false });
  await sql(app.orm.em.fork(), 'create table audit_probe (id int primary key, note text not null)');
});
afterAll(async () => {
  await app?.close();
});

const probeEvent = (id: number, extra: Partial<AuditInput> = {}): AuditInput => ({
  actor: 'user-1', role: 'commune-clerk', scope: 'commune:00001', action: 'test.probe.create', targetType: 'probe', targetId: String(id),
  after: { id }, result: 'success', requestId: `req-${id}`, ip: '127.0.0.1', userAgent: 'vitest', ...extra,
});

/** One business row and its audit event, in one transaction. */
async function auditedInsert(id: number): Promise<void> {
  await app.orm.em.fork().transactional(async (tx) => {
    await sql(tx as EntityManager, 'insert into audit_probe (id, note) values (?, ?)', [id, `note ${id}`]);
    await recordAudit(tx as EntityManager, probeEvent(id));
  });
}

async function one<T = Record<string, unknown>>(q: string, params: unknown[] = []): Promise<T> {
  return (await sql<T>(app.orm.em.fork(), q, params))[0];
}

const eventCount = async () => Number((await one<{ n: string }>('select count(*)::text as n from audit_event')).n);
const checkpointCount = async () => Number((await one<{ n: string }>('select count(*)::text as n from audit_checkpoint')).n);
const verify = () => verifyAuditChain(app.orm.em.fork(), { keys: keys.verifiers });

/** A superuser session with triggers off: how the tests tamper. */
async function asSuperuser(statements: string, params: unknown[] = []): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    await c.query(`set search_path to "${schema}"; set session_replication_role = replica`);
    await c.query(statements, params);
  } finally {
    await c.end();
  }
}

function runVerifier(): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'jobs/audit-verify.ts'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '',
        DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema, LOG_LEVEL: 'silent',
        SESSION_SECRET: app.config.sessionSecret, DATA_DIR: app.config.dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('audit trail', () => {
  it('an event commits with its write; a fault after recordAudit and before commit leaves neither', async () => {
    const before = await eventCount();
    await auditedInsert(1);
    expect(await one('select note from audit_probe where id = 1')).toEqual({ note: 'note 1' });
    const ev = await one<{ seq: string; action: string; target_id: string; after: unknown }>(
      `select seq::text as seq, action, target_id, after from audit_event where target_id = '1' and action = 'test.probe.create'`);
    expect(ev).toMatchObject({ seq: String(before + 1), action: 'test.probe.create', target_id: '1', after: { id: 1 } });

    await expect(app.orm.em.fork().transactional(async (tx) => {
      await sql(tx as EntityManager, 'insert into audit_probe (id, note) values (2, ?)', ['note 2']);
      await recordAudit(tx as EntityManager, probeEvent(2));
      throw new Error('injected fault');
    })).rejects.toThrow('injected fault');
    expect(await one('select count(*)::int as n from audit_probe where id = 2')).toEqual({ n: 0 });
    expect(await one(`select count(*)::int as n from audit_event where target_id = '2'`)).toEqual({ n: 0 });
    expect(await eventCount()).toBe(before + 1);
    expect(await one('select count(*)::int as n from audit_pending')).toEqual({ n: 0 });
    // The fault left no gap: the next event takes the next number.
    await auditedInsert(3);
    expect(await one(`select seq::text as seq from audit_event where target_id = '3'`)).toEqual({ seq: String(before + 2) });
    // Outside a transaction the statement is its own transaction: sealed at once.
    await recordAudit(app.orm.em.fork(), probeEvent(4));
    expect(await one(`select seq::text as seq from audit_event where target_id = '4'`)).toEqual({ seq: String(before + 3) });
  });

  it('an untouched chain verifies', async () => {
    const r = await verify();
    expect(r).toMatchObject({ ok: true, rows: await eventCount(), badCheckpoints: [] });
    expect(r.firstBadSeq).toBeUndefined();
  });

  it('the database refuses UPDATE, DELETE and TRUNCATE on audit_event and audit_checkpoint, with a clear error', async () => {
    const em = app.orm.em.fork();
    const refused = /append-only: (UPDATE|DELETE|TRUNCATE) on audit_(event|checkpoint) refused/;
    await expect(sql(em, `update audit_event set actor = 'mallory' where seq = 1`)).rejects.toThrow(/append-only: UPDATE on audit_event refused/);
    await expect(sql(em, 'delete from audit_event where seq = 1')).rejects.toThrow(/append-only: DELETE on audit_event refused/);
    await expect(sql(em, 'delete from audit_event where false')).rejects.toThrow(refused); // even touching no row
    await expect(sql(em, 'truncate audit_event')).rejects.toThrow(/append-only: TRUNCATE on audit_event refused/);
    await expect(sql(em, 'update audit_checkpoint set seq = 1')).rejects.toThrow(/append-only: UPDATE on audit_checkpoint refused/);
    await expect(sql(em, 'delete from audit_checkpoint')).rejects.toThrow(/append-only: DELETE on audit_checkpoint refused/);
    await expect(sql(em, 'truncate audit_checkpoint')).rejects.toThrow(/append-only: TRUNCATE on audit_checkpoint refused/);
    await expect(sql(em, `update audit_pending set actor = 'x'`)).rejects.toThrow(/append-only: UPDATE on audit_pending refused/);
    // The Vietnamese half of the message, and a stable SQLSTATE for machines.
    const e = await sql(em, 'delete from audit_event').catch((x: unknown) => x as { code?: string; message: string });
    expect(e).toMatchObject({ code: '42501' });
    expect((e as Error).message).toContain('Nhật ký kiểm toán chỉ được ghi thêm');
    expect((await verify()).ok).toBe(true);
  });

  it('50 concurrent audited transactions produce a gap-free valid chain', async () => {
    const before = await eventCount();
    const ids = Array.from({ length: 50 }, (_, i) => 100 + i);
    await Promise.all(ids.map((id) => auditedInsert(id)));
    const seqs = (await sql<{ seq: string }>(app.orm.em.fork(), 'select seq::text as seq from audit_event e order by e.seq')).map((r) => Number(r.seq));
    expect(seqs).toEqual(Array.from({ length: before + 50 }, (_, i) => i + 1));
    const per = await sql<{ target_id: string; n: number }>(app.orm.em.fork(),
      `select target_id, count(*)::int as n from audit_event where action = 'test.probe.create' and target_id::int between 100 and 149 group by 1`);
    expect(per).toHaveLength(50);
    expect(per.every((p) => p.n === 1)).toBe(true);
    expect(await verify()).toMatchObject({ ok: true, rows: before + 50 });
  });

  it('the chain lock is taken at commit: an open audited transaction does not hold up the others', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let recorded!: () => void;
    const isRecorded = new Promise<void>((r) => (recorded = r));
    const slow = app.orm.em.fork().transactional(async (tx) => {
      await sql(tx as EntityManager, 'insert into audit_probe (id, note) values (200, ?)', ['slow']);
      await recordAudit(tx as EntityManager, probeEvent(200));
      recorded();
      await gate; // still open, event recorded
    });
    await isRecorded;
    const t = Date.now();
    for (let id = 201; id <= 205; id++) await auditedInsert(id);
    expect(Date.now() - t).toBeLessThan(5_000);
    release();
    await slow;
    const rows = await sql<{ target_id: string; seq: string }>(app.orm.em.fork(),
      `select target_id, seq::text as seq from audit_event where target_id::int between 200 and 205 and action = 'test.probe.create' order by audit_event.seq`);
    // Sequence numbers follow commit order, not the order recordAudit was called in.
    expect(rows.map((r) => r.target_id)).toEqual(['201', '202', '203', '204', '205', '200']);
    expect((await verify()).ok).toBe(true);
  });

  it('above READ COMMITTED a moved chain head is a retryable serialization failure, never a fork', async () => {
    const em = app.orm.em.fork();
    const failure = await em.transactional(async (tx) => {
      await sql(tx as EntityManager, 'select count(*) from audit_event'); // the snapshot is taken here
      await auditedInsert(300); // another transaction moves the head and commits
      await recordAudit(tx as EntityManager, probeEvent(301));
    }, { isolationLevel: 'repeatable read' as never }).then(() => undefined, (e: { code?: string }) => e);
    expect(failure).toMatchObject({ code: '40001' });
    expect(await one(`select count(*)::int as n from audit_event where target_id = '301'`)).toEqual({ n: 0 });
    expect((await verify()).ok).toBe(true);
  });

  it('hashes exactly what the database gives back (any text, JSON, numbers, NUL and lone surrogates)', async () => {
    const unit = fc.oneof(
      { weight: 5, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
      { weight: 1, arbitrary: fc.constantFrom('\u0000', '\uD800', '\uDFFF', 'ệ', 'Đ', '"', '\\', '\n', '\u2028') },
    );
    const text = fc.string({ unit, maxLength: 12 });
    const json = fc.oneof(
      fc.jsonValue({ stringUnit: unit, maxDepth: 3 }),
      fc.record({ at: fc.date({ noInvalidDate: true }), n: fc.double(), big: fc.bigInt(), skip: fc.constant(undefined) }),
      fc.constant(undefined),
    );
    const event = fc.record({
      actor: text, role: fc.option(text), scope: fc.option(text), action: text, targetType: fc.option(text), targetId: fc.option(text),
      before: json, after: json, result: fc.constantFrom('success', 'rejected', 'denied', 'failed' as const), requestId: fc.option(text),
      ip: fc.option(text), userAgent: fc.option(text),
    });
    const before = await eventCount();
    const samples = fc.sample(event, { numRuns: 150, seed: 20261129 });
    // Some transactions hold several events: they are sealed in the order they were recorded.
    for (let i = 0; i < samples.length; i += 3) {
      await app.orm.em.fork().transactional(async (tx) => {
        for (const e of samples.slice(i, i + 3)) await recordAudit(tx as EntityManager, e as AuditInput);
      });
    }
    expect(await verify()).toMatchObject({ ok: true, rows: before + samples.length });
  });

  it('the checkpoint job is scheduled every 10 minutes, signs the verified head, and writes nothing new when idle', async () => {
    const schedules = await app.jobs.listSchedules();
    const schedule = schedules.find((s) => s.id === AUDIT_CHECKPOINT_JOB);
    expect(schedule).toMatchObject({ pattern: '*/10 * * * *' });
    expect(schedule!.next! - Date.now()).toBeLessThanOrEqual(600_000);

    const head = await one<{ seq: string; hash: string }>('select seq::text as seq, hash from audit_event e order by e.seq desc limit 1');
    const id = await app.jobs.enqueue(AUDIT_CHECKPOINT_JOB, {});
    const run = await waitFor(async () => { const r = await app.jobs.get(id); return r?.status === 'succeeded' && r; });
    expect(run.result).toMatchObject({ written: true, seq: Number(head.seq), headHash: head.hash, keyId: keys.signer!.keyId });
    expect(await one('select seq::text as seq, head_hash, key_id from audit_checkpoint order by id desc limit 1'))
      .toEqual({ seq: head.seq, head_hash: head.hash, key_id: keys.signer!.keyId });

    const again = await app.jobs.enqueue(AUDIT_CHECKPOINT_JOB, {});
    const run2 = await waitFor(async () => { const r = await app.jobs.get(again); return r?.status === 'succeeded' && r; });
    expect(run2.result).toMatchObject({ written: false, reason: 'unchanged' });
    // (A run of the schedule may have happened meanwhile: every checkpoint is checked.)
    expect(await verify()).toMatchObject({ ok: true, checkpointsChecked: await checkpointCount() });
  });

  it('npm run audit:verify: exit 0 on an intact chain; exit 1 naming the first bad sequence number; the checkpoint job refuses to sign', async () => {
    await auditedInsert(400);
    await auditedInsert(401);
    const n = await eventCount();
    const ok = await runVerifier();
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out.trim()).toBe(`OK: ${n} events, ${await checkpointCount()} checkpoints`);

    const victim = await one<{ seq: string; actor: string }>(`select seq::text as seq, actor from audit_event where target_id = '400'`);
    await asSuperuser(`update audit_event set actor = 'mallory' where seq = $1`, [victim.seq]);
    const bad = await runVerifier();
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`first bad sequence number ${victim.seq}:`);
    expect(bad.out).toBe('');

    // The tampered event is after the last checkpoint: the job verifies before it signs, and refuses.
    const id = await app.jobs.enqueue(AUDIT_CHECKPOINT_JOB, {});
    const run = await waitFor(async () => { const r = await app.jobs.get(id); return r?.status === 'failed' && r; });
    expect(run.error).toContain(`seq ${victim.seq}`);
    expect(run.attempts).toBe(1);

    await asSuperuser(`update audit_event set actor = $2 where seq = $1`, [victim.seq, victim.actor]);
    expect((await runVerifier()).code).toBe(0);
  }, 60_000);
});

describe('migration 20261129000300-audit', () => {
  it('chains events written by the earlier writer again, in the current format, before the triggers exist', async () => {
    const legacySchema = uniqueName('t_audit_legacy');
    const orm = await openOrm({ url: TEST_DATABASE_URL, schema: legacySchema, poolMax: 2, log: createLogger({ logLevel: 'silent', version: 'test' }) });
    try {
      await orm.getMigrator().up({ to: MIGRATIONS[0].name });
      // The earlier writer: sha256(prev + "\n" + canonicalJson({ seq, at, …fields })).
      let prev = '0'.repeat(64);
      for (let seq = 1; seq <= 5; seq++) {
        const at = new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString();
        const e = { actor: 'old', action: 'legacy.write', result: 'success', after: { seq } };
        const hash = createHash('sha256').update(prev + '\n' + canonicalJson({
          seq: String(seq), at, actor: e.actor, role: null, scope: null, action: e.action, targetType: null, targetId: null, before: null,
          after: e.after, result: e.result, requestId: null, ip: null, userAgent: null,
        })).digest('hex');
        await sql(orm.em.fork(), `insert into audit_event (seq, at, actor, action, after, result, prev_hash, hash) values (?, ?, ?, ?, ?::jsonb, ?, ?, ?)`,
          [seq, at, e.actor, e.action, JSON.stringify(e.after), e.result, prev, hash]);
        prev = hash;
      }
      await orm.getMigrator().up();
      expect(await verifyAuditChain(orm.em.fork())).toMatchObject({ ok: true, rows: 5 });
      await orm.em.fork().transactional(async (tx) => recordAudit(tx as EntityManager, probeEvent(1)));
      expect(await verifyAuditChain(orm.em.fork())).toMatchObject({ ok: true, rows: 6 });
    } finally {
      await orm.close(true);
      await dropSchema(legacySchema);
    }
  });
});

describe('production role (docs/audit.md, app-role.sql)', () => {
  it('a non-owner role with the documented grants records events but cannot insert, change or remove audit rows', async () => {
    const role = uniqueName('baucu_app_t').slice(0, 50);
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/audit.md'), 'utf8');
    const block = /<!-- app-role\.sql -->\s*```sql\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBeTruthy();
    const script = block!.replace(/\bbaucu_app\b/g, role).replace(/\bpublic\b/g, `"${schema}"`);
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const orm = await (async () => {
      await admin.query(script);
      // MikroORM.init directly: openOrm's `create schema if not exists` needs CREATE on the database (docs/audit.md).
      return MikroORM.init(ormConfig({ url: TEST_DATABASE_URL.replace('postgres@', `${role}@`), schema, poolMax: 2, log: createLogger({ logLevel: 'silent', version: 'test' }) }));
    })();
    try {
      await orm.em.fork().transactional(async (tx) => {
        await sql(tx as EntityManager, 'insert into audit_probe (id, note) values (900, ?)', ['as app role']);
        await recordAudit(tx as EntityManager, probeEvent(900));
      });
      expect(await one(`select actor from audit_event where target_id = '900'`)).toEqual({ actor: 'user-1' });
      const em = orm.em.fork();
      for (const q of [
        `update audit_event set actor = 'x' where seq = 1`, 'delete from audit_event where seq = 1', 'truncate audit_event',
        `insert into audit_event (seq, at, actor, action, result, prev_hash, hash) values (999999, now(), 'x', 'x', 'success', 'x', 'x')`,
        'delete from audit_checkpoint', 'delete from audit_pending',
      ]) {
        await expect(sql(em, q), q).rejects.toMatchObject({ code: '42501', message: expect.stringContaining('permission denied') });
      }
      expect((await verify()).ok).toBe(true);
    } finally {
      await orm.close(true);
      await admin.query(`drop owned by "${role}"; drop role "${role}"`);
      await admin.end();
    }
  });
});
