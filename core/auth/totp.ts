// TOTP (RFC 6238, otplib): enrolment secret and otpauth URI, verification within ±1 step where each step is
// accepted once only (the last used step is stored), and single-use recovery codes stored as hashes.
import { createHash, randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify, generate } from 'otplib';

export const TOTP_PERIOD = 30;

export function newTotpSecret(): string {
  return generateSecret();
}

export function totpUri(secret: string, username: string): string {
  return generateURI({ issuer: 'baucu', label: username, secret });
}

/** Verifies a code; returns the time step it matched (to store as last used), or undefined. */
export async function verifyTotp(secret: string, token: string, lastStep: number, nowMs = Date.now()): Promise<number | undefined> {
  if (!/^\d{6}$/.test(token)) return undefined;
  const epoch = Math.floor(nowMs / 1000);
  const r = await verify({ secret, token, epoch, epochTolerance: TOTP_PERIOD });
  if (!r.valid) return undefined;
  const step = Math.floor(epoch / TOTP_PERIOD) + ((r as { delta?: number }).delta ?? 0);
  if (step <= lastStep) return undefined; // a code is accepted once only
  return step;
}

/** The current code (tests and the enrolment page's self-check). */
export function currentTotp(secret: string, nowMs = Date.now()): Promise<string> {
  return generate({ secret, epoch: Math.floor(nowMs / 1000) });
}

export function newRecoveryCodes(n = 10): string[] {
  return Array.from({ length: n }, () => {
    const s = randomBytes(5).toString('hex');
    return `${s.slice(0, 5)}-${s.slice(5)}`;
  });
}

export const hashRecoveryCode = (code: string): string => createHash('sha256').update(code.trim().toLowerCase()).digest('hex');
