// `npm run audit:verify`: recomputes the audit hash chain of DATABASE_URL (or the embedded database) and checks every
// signed checkpoint. Exit 0 with "OK: N events, M checkpoints"; exit 1 naming the first bad sequence number; exit 2 when
// it cannot run. `--public-key` prints the checkpoint key id and public key (to publish or to list after a key change).
import 'reflect-metadata';
import pg from 'pg';
import { loadConfig, ConfigError } from '../config/config.js';
import { createLogger } from '../core/shared/logger.js';
import { startEmbeddedPg, type EmbeddedPg } from '../core/persistence/embedded-pg.js';
import { loadAuditKeys } from '../core/audit/checkpoint-key.js';
import { verifyAuditChain } from '../core/audit/verify.js';

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    process.stderr.write((e instanceof ConfigError ? e.message : String(e)) + '\n');
    return 2;
  }
  const keys = loadAuditKeys(config, { create: false });
  if (process.argv.includes('--public-key')) {
    if (!keys.signer) {
      process.stderr.write('Chưa có khóa ký điểm kiểm tra / no checkpoint key configured\n');
      return 2;
    }
    process.stdout.write(`key id: ${keys.signer.keyId}\npublic key (hex): ${keys.signer.publicKeyHex}\nsource: ${keys.signer.source}\n`);
    return 0;
  }
  const log = createLogger(config);
  let embedded: EmbeddedPg | undefined;
  let client: pg.Client | undefined;
  try {
    if (!config.databaseUrl) embedded = await startEmbeddedPg(config.dataDir, log);
    client = new pg.Client({ connectionString: config.databaseUrl ?? embedded!.url });
    await client.connect();
    const started = performance.now();
    const r = await verifyAuditChain(client, { schema: config.databaseSchema, keys: keys.verifiers });
    const secs = (performance.now() - started) / 1000;
    log.info({ rows: r.rows, checkpoints: r.checkpointsChecked, seconds: secs, rowsPerSecond: Math.round(r.rows / Math.max(secs, 1e-6)) }, 'audit verified');
    if (r.ok) {
      process.stdout.write(`OK: ${r.rows} events, ${r.checkpointsChecked} checkpoints\n`);
      return 0;
    }
    const head = r.firstBadSeq !== undefined
      ? `FAIL: first bad sequence number ${r.firstBadSeq}: ${r.reason}`
      : `FAIL: ${r.reason}`;
    const more = r.badCheckpoints.length ? `\n  ${r.badCheckpoints.length} checkpoint(s) not genuine: ${r.badCheckpoints.map((b) => `#${b.id} (seq ${b.seq}): ${b.reason}`).join('; ')}` : '';
    process.stderr.write(`${head}${more}\n  (${r.rows} events verified before it)\n`);
    return 1;
  } catch (e) {
    process.stderr.write(`audit:verify could not run: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  } finally {
    await client?.end().catch(() => undefined);
    await embedded?.stop();
  }
}

process.exitCode = await main();
