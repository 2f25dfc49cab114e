// The audit hash format (a file format: a golden vector pins it), the stored-form normalisation, timestamps, and the
// checkpoint keys (sources in order of precedence, signatures).
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  GENESIS_HASH, canonicalAt, canonicalContent, canonicalJson, contentHash, linkHash, normaliseAuditContent, storableJson, storableText,
} from '../../core/audit/audit-hash.js';
import { CHECKPOINT_KEY_FILE, checkpointMessage, loadAuditKeys, signerFromSeed, verifySignature } from '../../core/audit/checkpoint-key.js';
import { decodeKey32 } from '../../config/config.js';

const golden = normaliseAuditContent({
  at: new Date('2026-05-24T07:30:00.123Z'), actor: 'u-001', role: 'commune-clerk', scope: 'commune:26734',
  action: 'national-assembly.count-minutes.submit', targetType: 'count-minutes', targetId: 'KV-07', before: null,
  after: { votes: { 'Nguyễn Văn A': 512, 'Trần Thị B': 498 }, ballots: 1010 }, result: 'success', requestId: 'req-1', ip: '10.0.0.7', userAgent: 'Firefox',
});

describe('audit hash format v1', () => {
  it('golden vector (docs/audit.md; reproduced independently with Python hashlib)', () => {
    expect(canonicalContent(golden)).toBe(
      '{"action":"national-assembly.count-minutes.submit","actor":"u-001","after":{"ballots":1010,"votes":{"Nguyễn Văn A":512,"Trần Thị B":498}},'
      + '"at":"2026-05-24T07:30:00.123Z","before":null,"ip":"10.0.0.7","requestId":"req-1","result":"success","role":"commune-clerk",'
      + '"scope":"commune:26734","targetId":"KV-07","targetType":"count-minutes","userAgent":"Firefox"}');
    expect(contentHash(golden)).toBe('54ce009690efa4ccd0dfc39283920508e9227436fc123920a5108d4337b95fd9');
    expect(linkHash(GENESIS_HASH, 1, contentHash(golden))).toBe('a41b65302edf90e7724f46ce2aeb50e94fad7d94c89e989d04c62d43680cc53d');
  });

  it('canonicalJson ignores key order; canonicalContent is canonicalJson of the content', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }], u: undefined })).toBe('{"a":[{"c":null,"d":2}],"b":1}');
    const text = fc.option(fc.string(), { nil: null });
    fc.assert(fc.property(
      fc.record({ at: fc.date({ noInvalidDate: true }), actor: fc.string(), role: text, scope: text, action: fc.string(), targetType: text, targetId: text,
        before: fc.jsonValue(), after: fc.jsonValue(), result: fc.string(), requestId: text, ip: text, userAgent: text }),
      (e) => {
        const c = normaliseAuditContent(e);
        expect(canonicalContent(c)).toBe(canonicalJson(c));
        const shuffled = Object.fromEntries(Object.entries(c).reverse());
        expect(canonicalJson(shuffled)).toBe(canonicalJson(c));
      },
    ), { numRuns: 500 });
  });

  it('normalises to what PostgreSQL stores: no NUL, no lone surrogate, JSON round trip', () => {
    expect(storableText('a\u0000b\uD800c\uDC00d\uD83D\uDE00')).toBe('a\uFFFDb\uFFFDc\uFFFDd\uD83D\uDE00');
    expect(storableJson({ d: new Date('2026-01-01T00:00:00Z'), u: undefined, n: NaN, i: -Infinity, z: -0, big: 12n, ['k\u0000']: '\uDFFF' }))
      .toEqual({ d: '2026-01-01T00:00:00.000Z', n: null, i: null, z: 0, big: '12', ['k\uFFFD']: '\uFFFD' });
    expect(storableJson(undefined)).toBeNull();
    expect(() => normaliseAuditContent({ ...golden, at: new Date(NaN) })).toThrow(/invalid event time/);
  });

  it('timestamps: Date.toISOString() for whole milliseconds, microseconds kept otherwise, any epoch', () => {
    fc.assert(fc.property(fc.date({ noInvalidDate: true }), fc.integer({ min: 0, max: 999 }), (d, micro) => {
      const us = BigInt(d.getTime()) * 1000n + BigInt(micro);
      const want = micro === 0 ? d.toISOString() : d.toISOString().slice(0, -1) + String(micro).padStart(3, '0') + 'Z';
      expect(canonicalAt(us)).toBe(want);
      expect(canonicalAt(us.toString())).toBe(want);
    }), { numRuns: 2000 });
    expect(canonicalAt('-1500')).toBe('1969-12-31T23:59:59.998500Z');
    expect(() => canonicalAt(10n ** 20n)).toThrow(RangeError);
  });
});

describe('checkpoint keys', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-keys-'));
    dirs.push(d);
    return d;
  };

  it('decodes 32-byte keys written in hex or base64, and nothing else', () => {
    const raw = Buffer.alloc(32, 0xab);
    expect(decodeKey32(raw.toString('hex'))).toEqual(raw);
    expect(decodeKey32(raw.toString('base64'))).toEqual(raw);
    expect(decodeKey32(raw.toString('base64url'))).toEqual(raw);
    expect(decodeKey32('abc')).toBeUndefined();
    expect(decodeKey32(Buffer.alloc(31).toString('hex'))).toBeUndefined();
  });

  it('signs with Ed25519; a changed field or another key does not verify', () => {
    const s = signerFromSeed(Buffer.alloc(32, 7), 'AUDIT_CHECKPOINT_KEY');
    expect(s.keyId).toBe('fe812c12f3ab4ce6');
    const keys = loadAuditKeys({ auditCheckpointKey: Buffer.alloc(32, 7).toString('hex'), auditCheckpointPublicKeys: [], dataDir: tmp() }, { create: false }).verifiers;
    const msg = { seq: 1, headHash: 'a'.repeat(64), at: '2026-05-24T07:40:00.000Z', keyId: s.keyId };
    const sig = s.sign(checkpointMessage(msg));
    expect(verifySignature(keys, s.keyId, checkpointMessage(msg), sig)).toBe(true);
    expect(verifySignature(keys, s.keyId, checkpointMessage({ ...msg, seq: 2 }), sig)).toBe(false);
    expect(verifySignature(keys, 'ffffffffffffffff', checkpointMessage(msg), sig)).toBe(false);
    expect(verifySignature(keys, s.keyId, checkpointMessage(msg), 'not base64 at all')).toBe(false);
  });

  it('key source precedence: AUDIT_CHECKPOINT_KEY, then SESSION_SECRET, then a key generated once under DATA_DIR', () => {
    const dataDir = tmp();
    const secret = 'x'.repeat(40);
    const explicit = loadAuditKeys({ auditCheckpointKey: Buffer.alloc(32, 1).toString('base64'), sessionSecret: secret, auditCheckpointPublicKeys: [], dataDir }, { create: true });
    expect(explicit.signer?.source).toBe('AUDIT_CHECKPOINT_KEY');
    const derived = loadAuditKeys({ sessionSecret: secret, auditCheckpointPublicKeys: [], dataDir }, { create: true });
    expect(derived.signer?.source).toBe('SESSION_SECRET');
    expect(loadAuditKeys({ sessionSecret: secret, auditCheckpointPublicKeys: [], dataDir }, { create: true }).signer?.keyId).toBe(derived.signer?.keyId);
    expect(fs.existsSync(path.join(dataDir, CHECKPOINT_KEY_FILE))).toBe(false);

    // The verifier never creates a key; the worker does, once, private to the process owner.
    expect(loadAuditKeys({ auditCheckpointPublicKeys: [], dataDir }, { create: false }).signer).toBeUndefined();
    const generated = loadAuditKeys({ auditCheckpointPublicKeys: [], dataDir }, { create: true });
    expect(generated.signer?.source).toBe('DATA_DIR');
    expect(fs.statSync(path.join(dataDir, CHECKPOINT_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(loadAuditKeys({ auditCheckpointPublicKeys: [], dataDir }, { create: false }).signer?.keyId).toBe(generated.signer?.keyId);

    // After a key change, the earlier public key still verifies the earlier checkpoints.
    const both = loadAuditKeys({ sessionSecret: secret, auditCheckpointPublicKeys: [generated.signer!.publicKeyHex], dataDir }, { create: false });
    expect([...both.verifiers.keys()].sort()).toEqual([derived.signer!.keyId, generated.signer!.keyId].sort());
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
});
