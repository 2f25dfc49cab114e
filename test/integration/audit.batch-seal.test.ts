// Deferred (batch) sealing of the audit chain (migration 20261129000970, docs/audit.md "Sealing"): a transaction that
// records with deferSeal commits its events staged; sealPendingAudit chains every committed staged event under the
// chain lock in one go. Under concurrency, mixed with commit-time sealing, the chain stays gap-free and verifies; a
// rolled-back deferred write leaves nothing; an event a crash left staged is chained by the next seal or checkpoint.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { sql } from '../../core/persistence/db.js';
import { recordAudit, sealPendingAudit, type AuditInput } from '../../core/audit/audit.service.js';
import { verifyAuditChain } from '../../core/audit/verify.js';
import { loadAuditKeys, type AuditKeys } from '../../core/audit/checkpoint-key.js';
import { writeCheckpoint } from '../../core/audit/checkpoint.service.js';

let app: TestApp;
let keys: AuditKeys;

beforeAll(async () => {
  app = await startTestApp('audit_batch_seal');
  keys = loadAuditKeys(app.config, { create: true });
  await sql(app.orm.em.fork(), 'create table seal_probe (id int primary key)');
});
afterAll(async () => {
  await app?.close();
});

const ev = (id: number): AuditInput => ({
  actor: 'user-1', role: 'commune-clerk', scope: 'commune:00001', action: 'test.seal.probe', targetType: 'probe', targetId: String(id),
  after: { id }, result: 'success', requestId: `req-${id}`, ip: '127.0.0.1', userAgent: 'vitest',
});
const count = async (table: string, where = 'true') =>
  Number((await sql<{ n: string }>(app.orm.em.fork(), `select count(*)::text as n from ${table} where ${where}`))[0].n);

async function write(id: number, deferSeal: boolean, fail = false): Promise<void> {
  await app.orm.em.fork().transactional(async (tx) => {
    await sql(tx as EntityManager, 'insert into seal_probe (id) values (?)', [id]);
    await recordAudit(tx as EntityManager, ev(id), { deferSeal });
    if (fail) throw new Error('rollback');
  }).catch((e) => { if (!fail) throw e; });
}

describe('audit: deferred batch sealing', () => {
  it('a deferred event commits staged and is chained by the next seal', async () => {
    const before = await count('audit_event');
    await write(1, true);
    expect(await count('audit_pending')).toBe(1);
    expect(await count('audit_event')).toBe(before);
    expect(await sealPendingAudit(app.orm.em)).toBe(1);
    expect(await count('audit_pending')).toBe(0);
    expect(await count('audit_event', `action = 'test.seal.probe' and target_id = '1'`)).toBe(1);
    expect(await sealPendingAudit(app.orm.em)).toBe(0);
    expect((await verifyAuditChain(app.orm.em.fork(), { keys: keys.verifiers })).ok).toBe(true);
  });

  it('a rolled-back deferred write leaves no staged or chained event', async () => {
    await write(2, true, true);
    expect(await count('audit_pending')).toBe(0);
    expect(await count('seal_probe', 'id = 2')).toBe(0);
    expect(await count('audit_event', `target_id = '2' and action = 'test.seal.probe'`)).toBe(0);
  });

  it('200 concurrent writers, half deferred (each sealing after commit) and half sealed at commit: gap-free chain that verifies', async () => {
    const before = await count('audit_event');
    await Promise.all(Array.from({ length: 200 }, async (_, k) => {
      const id = 100 + k;
      const deferred = k % 2 === 0;
      await write(id, deferred);
      if (deferred) await sealPendingAudit(app.orm.em);
    }));
    expect(await count('audit_pending')).toBe(0);
    expect(await count('audit_event')).toBe(before + 200);
    const [{ min, max, n }] = await sql<{ min: string; max: string; n: string }>(app.orm.em.fork(), 'select min(seq)::text as min, max(seq)::text as max, count(*)::text as n from audit_event');
    expect(Number(max) - Number(min) + 1).toBe(Number(n));
    const v = await verifyAuditChain(app.orm.em.fork(), { keys: keys.verifiers });
    expect(v.ok).toBe(true);
    expect(v.lastSeq).toBe(Number(max));
  });

  it('an event a crash left staged after its commit is chained by the checkpoint job before it signs', async () => {
    await write(400, true); // "crash": no seal call after the commit
    expect(await count('audit_pending')).toBe(1);
    const cp = await writeCheckpoint(app.orm.em.fork(), keys);
    expect(cp.written).toBe(true);
    expect(await count('audit_pending')).toBe(0);
    const [{ seq }] = await sql<{ seq: string }>(app.orm.em.fork(), `select seq::text as seq from audit_event where target_id = '400' and action = 'test.seal.probe'`);
    expect(cp.seq).toBe(Number(seq));
  });
});
