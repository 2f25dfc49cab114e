// Audit trail: (a) audited writes per second — 20 concurrent clients, each transaction one business row + its audit
// event — against the same writes without audit and against the earlier design (chain lock taken inside recordAudit),
// in the same run, also for a transaction that records its event first; (b) `npm run audit:verify` (a fresh process)
// on 1,000,000 events (generated with a valid chain by a Node loop + COPY, timed separately), against a plain keyset
// scan of the same rows. A dedicated schema, dropped after.
import { randomBytes, randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { round, type Bench, type BenchEntry } from './lib.js';
import { BENCH_DATABASE_URL, REPO_ROOT } from './paths.js';
import { createLogger } from '../core/shared/logger.js';
import { openOrm, migrateUp } from '../core/persistence/orm.js';
import { sql } from '../core/persistence/db.js';
import { AUDIT_LOCK_KEY, recordAudit, sealPendingAudit, type AuditInput } from '../core/audit/audit.service.js';
import { GENESIS_HASH, contentHash, eventHashOf, linkHash, normaliseAuditContent, type AuditContent } from '../core/audit/audit-hash.js';
import { checkpointMessage, signerFromSeed } from '../core/audit/checkpoint-key.js';
import { verifyAuditChain } from '../core/audit/verify.js';

const CLIENTS = 20;
const WRITE_SECONDS = Number(process.env.AUDIT_BENCH_SECONDS ?? 10);
const EVENTS = Number(process.env.AUDIT_BENCH_EVENTS ?? 1_000_000);
const CHECKPOINT_EVERY = 10_000;

function event(i: number): AuditInput {
  return {
    actor: randomUUID(), role: 'commune-clerk', scope: `commune:${String(i % 3321).padStart(5, '0')}`, action: 'national-assembly.count-minutes.submit',
    targetType: 'count-minutes', targetId: randomUUID(), before: null,
    after: { pollingArea: i % 90_000, votersOnList: 1000 + (i % 500), ballotsIssued: 900 + (i % 300), votes: { a: i % 400, b: (i * 7) % 400, c: (i * 13) % 400 } },
    result: 'success', requestId: randomUUID(), ip: '10.1.2.3', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126',
  };
}

type TxShape = (tx: EntityManager, i: number) => Promise<void>;

/** Closed loop: CLIENTS concurrent transactions of `shape` for WRITE_SECONDS; returns transactions per second. */
async function writeLoad(orm: MikroORM, shape: TxShape, afterCommit?: () => Promise<unknown>): Promise<{ tps: number; p50: number; p99: number }> {
  let next = 0;
  const lat: number[] = [];
  const until = Date.now() + WRITE_SECONDS * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < until) {
      const i = next++;
      const t = performance.now();
      await orm.em.fork().transactional((tx) => shape(tx as EntityManager, i));
      if (afterCommit) await afterCommit();
      lat.push(performance.now() - t);
    }
  }));
  const secs = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  return { tps: lat.length / secs, p50: lat[Math.floor(lat.length * 0.5)], p99: lat[Math.floor(lat.length * 0.99)] };
}

const businessWrite = (tx: EntityManager, i: number, tag: string) =>
  sql(tx, 'insert into bench_item (id, tag, payload) values (?, ?, ?::jsonb)', [i, tag, JSON.stringify({ i, votes: [i % 7, i % 11] })]);

/** The earlier design, for comparison: the chain lock is taken when the event is recorded and held until commit. */
async function recordAuditLockEarly(em: EntityManager, e: AuditInput): Promise<void> {
  await sql(em, 'select pg_advisory_xact_lock(?)', [AUDIT_LOCK_KEY]);
  const [head] = await sql<{ seq: string; hash: string }>(em, 'select seq::text as seq, hash from audit_event e order by e.seq desc limit 1');
  const seq = BigInt(head?.seq ?? '0') + 1n;
  const prev = head?.hash ?? GENESIS_HASH;
  const c = normaliseAuditContent({ ...e, at: new Date() });
  await sql(em, `insert into audit_event (seq, at, actor, role, scope, action, target_type, target_id, before, after, result, request_id, ip, user_agent, prev_hash, hash)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?, ?)`,
  [seq.toString(), c.at, c.actor, c.role, c.scope, c.action, c.targetType, c.targetId, c.before === null ? null : JSON.stringify(c.before),
    c.after === null ? null : JSON.stringify(c.after), c.result, c.requestId, c.ip, c.userAgent, prev, eventHashOf(prev, seq, c)]);
}

function runCli(env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'jobs/audit-verify.ts'], {
      cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** COPY text-format field. */
function copyField(v: string | null): string {
  if (v === null) return '\\N';
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

export const auditBench: Bench = {
  name: 'audit',
  async run() {
    const schema = `bench_audit_${Date.now().toString(36)}`;
    const log = createLogger({ logLevel: 'silent', version: 'bench' });
    const orm = await openOrm({ url: BENCH_DATABASE_URL, schema, poolMax: CLIENTS, log });
    const client = new pg.Client({ connectionString: BENCH_DATABASE_URL });
    const entries: BenchEntry[] = [];
    try {
      await migrateUp(orm);
      await sql(orm.em.fork(), 'create table bench_item (id bigint primary key, tag text not null, payload jsonb not null)');

      // (a) writes: the same business write, without audit / with audit (sealed at commit) / the lock-early design;
      // then a transaction that records its event first and writes after it (an import, a multi-step action).
      let id = 0;
      const plain = await writeLoad(orm, async (tx) => {
        await businessWrite(tx, id++, 'plain');
      });
      const audited = await writeLoad(orm, async (tx, i) => {
        await businessWrite(tx, id++, 'audited');
        await recordAudit(tx, event(i));
      });
      // Deferred: the event commits staged and the writer seals the batch after its commit (what mountAction does).
      const deferred = await writeLoad(orm, async (tx, i) => {
        await businessWrite(tx, id++, 'deferred');
        await recordAudit(tx, event(i), { deferSeal: true });
      }, () => sealPendingAudit(orm.em));
      const early = await writeLoad(orm, async (tx, i) => {
        await businessWrite(tx, id++, 'early');
        await recordAuditLockEarly(tx, event(i));
      });
      const plain2 = await writeLoad(orm, async (tx) => {
        const n = id++;
        await businessWrite(tx, n, 'plain2');
        await sql(tx, `update bench_item set tag = 'plain2-done' where id = ?`, [n]);
      });
      const audited2 = await writeLoad(orm, async (tx, i) => {
        const n = id++;
        await recordAudit(tx, event(i));
        await businessWrite(tx, n, 'audited2');
        await sql(tx, `update bench_item set tag = 'audited2-done' where id = ?`, [n]);
      });
      const early2 = await writeLoad(orm, async (tx, i) => {
        const n = id++;
        await recordAuditLockEarly(tx, event(i));
        await businessWrite(tx, n, 'early2');
        await sql(tx, `update bench_item set tag = 'early2-done' where id = ?`, [n]);
      });
      const check = await verifyAuditChain(orm.em.fork());
      if (!check.ok) throw new Error(`chain broken after the write load: ${check.reason}`);
      const lat = (r: { p50: number; p99: number }) => `p50 ${round(r.p50)} ms, p99 ${round(r.p99)} ms`;
      const raw1 = { name: `insert, no audit (${CLIENTS} clients)`, value: round(plain.tps), unit: 'tx/s' };
      const raw2 = { name: `insert + update, no audit (${CLIENTS} clients)`, value: round(plain2.tps), unit: 'tx/s' };
      entries.push(
        { name: `audited writes: insert + recordAudit, ${CLIENTS} clients — sealed at commit (this design)`, value: round(audited.tps), unit: 'tx/s',
          raw: raw1, ratio: round(audited.tps / plain.tps), notes: `${lat(audited)}; without audit ${lat(plain)}` },
        { name: `audited writes: insert + recordAudit, ${CLIENTS} clients — staged at commit, batch-sealed after it (deferSeal, the HTTP actions' path)`, value: round(deferred.tps), unit: 'tx/s',
          raw: raw1, ratio: round(deferred.tps / plain.tps), notes: lat(deferred) },
        { name: `audited writes: insert + recordAudit, ${CLIENTS} clients — lock taken in recordAudit (earlier design)`, value: round(early.tps), unit: 'tx/s',
          raw: raw1, ratio: round(early.tps / plain.tps), notes: lat(early) },
        { name: `audited writes: recordAudit first, then insert + update — sealed at commit`, value: round(audited2.tps), unit: 'tx/s',
          raw: raw2, ratio: round(audited2.tps / plain2.tps), notes: `${lat(audited2)}; without audit ${lat(plain2)}` },
        { name: `audited writes: recordAudit first, then insert + update — lock taken in recordAudit`, value: round(early2.tps), unit: 'tx/s',
          raw: raw2, ratio: round(early2.tps / plain2.tps), notes: lat(early2) },
      );

      // (b) the verifier on EVENTS events. A fresh chain: generated in Node (content hash + link) and COPY'd in.
      await client.connect();
      await client.query(`set search_path to "${schema}"; set session_replication_role = replica; truncate audit_event, audit_checkpoint`);
      const seed = randomBytes(32);
      const signer = signerFromSeed(seed, 'AUDIT_CHECKPOINT_KEY');
      const checkpoints: string[] = [];
      const t0 = performance.now();
      const at0 = Date.parse('2026-05-24T00:00:00.000Z');
      async function* rows(): AsyncGenerator<string> {
        let prev = GENESIS_HASH;
        let buf = '';
        for (let seq = 1; seq <= EVENTS; seq++) {
          const c: AuditContent = normaliseAuditContent({ ...event(seq), at: new Date(at0 + seq * 7) });
          const hash = linkHash(prev, seq, contentHash(c));
          buf += [String(seq), c.at, c.actor, c.role, c.scope, c.action, c.targetType, c.targetId,
            c.before === null ? null : JSON.stringify(c.before), c.after === null ? null : JSON.stringify(c.after),
            c.result, c.requestId, c.ip, c.userAgent, prev, hash].map(copyField).join('\t') + '\n';
          if (seq % CHECKPOINT_EVERY === 0 || seq === EVENTS) {
            const at = new Date(at0 + seq * 7 + 1).toISOString();
            checkpoints.push([at, String(seq), hash, signer.sign(checkpointMessage({ seq, headHash: hash, at, keyId: signer.keyId })), signer.keyId].join('\t') + '\n');
          }
          prev = hash;
          if (buf.length > 1 << 20) {
            yield buf;
            buf = '';
          }
        }
        if (buf) yield buf;
      }
      await pipeline(Readable.from(rows()), client.query(copyFrom(`copy audit_event (seq, at, actor, role, scope, action, target_type, target_id,
        before, after, result, request_id, ip, user_agent, prev_hash, hash) from stdin`)));
      await pipeline(Readable.from([checkpoints.join('')]), client.query(copyFrom('copy audit_checkpoint (at, seq, head_hash, signature, key_id) from stdin')));
      await client.query('analyze audit_event');
      const genSecs = (performance.now() - t0) / 1000;

      // Raw limit: the same keyset batches, rows only, no hashing.
      const r0 = performance.now();
      let last = 0;
      let scanned = 0;
      for (;;) {
        const { rows: page } = await client.query({
          text: `select seq::text, case when isfinite(at) then (extract(epoch from at) * 1000000)::int8::text end as at_us, actor, role, scope,
            action, target_type, target_id, before, after, result, request_id, ip, user_agent, prev_hash, hash
            from audit_event e where e.seq > $2 order by e.seq limit $1`,
          values: [10_000, last], rowMode: 'array',
        });
        scanned += page.length;
        if (page.length < 10_000) break;
        last = Number(page[page.length - 1][0]);
      }
      const scanSecs = (performance.now() - r0) / 1000;
      if (scanned !== EVENTS) throw new Error(`scanned ${scanned} rows`);

      // `npm run audit:verify` itself, in a fresh process (its log line gives the verification time alone).
      const w0 = performance.now();
      const cli = await runCli({
        DATABASE_URL: BENCH_DATABASE_URL, DATABASE_SCHEMA: schema, LOG_LEVEL: 'info', AUDIT_CHECKPOINT_KEY: seed.toString('hex'),
      });
      const wallSecs = (performance.now() - w0) / 1000;
      if (cli.code !== 0 || !cli.out.includes(`OK: ${EVENTS} events, ${Math.ceil(EVENTS / CHECKPOINT_EVERY)} checkpoints`)) {
        throw new Error(`audit:verify failed (${cli.code}): ${cli.out} ${cli.err}`);
      }
      const logged = cli.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((l) => l.msg === 'audit verified');
      const verifySecs = Number(logged?.seconds);
      const verifyRate = EVENTS / verifySecs;
      entries.push({
        name: `npm run audit:verify on ${EVENTS.toLocaleString('en')} events + ${logged?.checkpoints} checkpoints`,
        value: round(verifyRate, 0), unit: 'rows/s',
        raw: { name: 'keyset scan of the same rows, no hashing', value: round(EVENTS / scanSecs, 0), unit: 'rows/s' },
        ratio: round(verifyRate / (EVENTS / scanSecs)),
        notes: `verification ${round(verifySecs)} s, whole command ${round(wallSecs)} s (process start, tsx); generating the chain (Node hashing + COPY) ${round(genSecs)} s`,
      });
      entries.push({ name: `generate ${EVENTS.toLocaleString('en')} chained events (Node loop + COPY)`, value: round(EVENTS / genSecs, 0), unit: 'rows/s' });
      return entries;
    } finally {
      await client.end().catch(() => undefined);
      await orm.close(true);
      const c = new pg.Client({ connectionString: BENCH_DATABASE_URL });
      await c.connect();
      await c.query(`drop schema if exists "${schema}" cascade`);
      await c.end();
    }
  },
};
