// Keys of the audit checkpoints: an Ed25519 key pair signs each checkpoint; verifying needs only public keys, so an
// auditor can check the chain without any secret. The private key comes from AUDIT_CHECKPOINT_KEY, else is derived
// from SESSION_SECRET, else is generated once under DATA_DIR (docs/audit.md, "Checkpoints and keys").
import { createHash, createPrivateKey, createPublicKey, hkdfSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { decodeKey32, type Config } from '../../config/config.js';
import type { Logger } from '../shared/logger.js';

/** Where the generated key lives when neither AUDIT_CHECKPOINT_KEY nor SESSION_SECRET is set. */
export const CHECKPOINT_KEY_FILE = 'audit-checkpoint.key';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export type KeySource = 'AUDIT_CHECKPOINT_KEY' | 'SESSION_SECRET' | 'DATA_DIR';

export interface CheckpointSigner {
  keyId: string;
  /** Raw 32-byte public key, hex: publish it (or put it in AUDIT_CHECKPOINT_PUBLIC_KEYS after a key change). */
  publicKeyHex: string;
  source: KeySource;
  /** Base64 Ed25519 signature of the message. */
  sign(message: string): string;
}

/** Public keys by key id. */
export type CheckpointKeys = Map<string, KeyObject>;

export interface AuditKeys {
  signer?: CheckpointSigner;
  verifiers: CheckpointKeys;
}

export function privateKeyFromSeed(seed: Buffer): KeyObject {
  if (seed.length !== 32) throw new Error('Ed25519 seed must be 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function publicKeyFromRaw(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new Error('Ed25519 public key must be 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

function rawPublicKey(pub: KeyObject): Buffer {
  return (pub.export({ format: 'der', type: 'spki' }) as Buffer).subarray(SPKI_ED25519_PREFIX.length);
}

/** A key id: the first 16 hex digits of sha256(raw public key). */
export function keyIdOf(pub: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(pub)).digest('hex').slice(0, 16);
}

export function signerFromSeed(seed: Buffer, source: KeySource): CheckpointSigner {
  const priv = privateKeyFromSeed(seed);
  const pub = createPublicKey(priv);
  return {
    keyId: keyIdOf(pub),
    publicKeyHex: rawPublicKey(pub).toString('hex'),
    source,
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), priv).toString('base64'),
  };
}

/** Verifies a base64 signature with one of the keys; false for an unknown key or a malformed signature. */
export function verifySignature(keys: CheckpointKeys, keyId: string, message: string, signatureB64: string): boolean {
  const pub = keys.get(keyId);
  if (!pub) return false;
  try {
    return verify(null, Buffer.from(message, 'utf8'), pub, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

/** The signed text of a checkpoint: a fixed prefix and version, then seq, head hash, time and key id. */
export function checkpointMessage(c: { seq: string | number | bigint; headHash: string; at: string; keyId: string }): string {
  return `baucu-audit-checkpoint/v1\n${c.seq}\n${c.headHash}\n${c.at}\n${c.keyId}`;
}

function seedFromSessionSecret(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('baucu'), Buffer.from('audit-checkpoint-ed25519/v1'), 32));
}

function readSeedFile(file: string): Buffer | undefined {
  if (!fs.existsSync(file)) return undefined;
  const seed = decodeKey32(fs.readFileSync(file, 'utf8'));
  if (!seed) throw new Error(`${file}: not a 32-byte key (hex or base64)`);
  return seed;
}

/**
 * Resolves the checkpoint keys from the configuration. `create` (the worker) generates and persists a key under
 * DATA_DIR when none is configured; the verifier never creates one.
 */
export function loadAuditKeys(
  config: Pick<Config, 'auditCheckpointKey' | 'auditCheckpointPublicKeys' | 'sessionSecret' | 'dataDir'>,
  opts: { create: boolean; log?: Logger },
): AuditKeys {
  let signer: CheckpointSigner | undefined;
  if (config.auditCheckpointKey) {
    signer = signerFromSeed(decodeKey32(config.auditCheckpointKey)!, 'AUDIT_CHECKPOINT_KEY');
  } else if (config.sessionSecret) {
    signer = signerFromSeed(seedFromSessionSecret(config.sessionSecret), 'SESSION_SECRET');
  } else {
    const file = path.join(config.dataDir, CHECKPOINT_KEY_FILE);
    let seed = readSeedFile(file);
    if (!seed && opts.create) {
      fs.mkdirSync(config.dataDir, { recursive: true });
      try {
        fs.writeFileSync(file, randomBytes(32).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
        opts.log?.warn({ file }, 'Đã tạo khóa ký điểm kiểm tra nhật ký kiểm toán / generated the audit checkpoint key');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      seed = readSeedFile(file);
    }
    if (seed) signer = signerFromSeed(seed, 'DATA_DIR');
  }
  const verifiers: CheckpointKeys = new Map();
  if (signer) verifiers.set(signer.keyId, publicKeyFromRaw(Buffer.from(signer.publicKeyHex, 'hex')));
  for (const k of config.auditCheckpointPublicKeys) {
    const pub = publicKeyFromRaw(decodeKey32(k)!);
    verifiers.set(keyIdOf(pub), pub);
  }
  return { signer, verifiers };
}
