// Passwords: argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane) and the password rules of issue 3.
import { hash, verify, Algorithm } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';

export const ARGON2_PARAMS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(pw: string): Promise<string> {
  return hash(pw, ARGON2_PARAMS);
}

export async function verifyPassword(stored: string, pw: string): Promise<boolean> {
  try {
    return await verify(stored, pw);
  } catch {
    return false;
  }
}

/** A hash of a random password, verified against when the username is unknown so timing matches a wrong password. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}

/** A small list of the most common passwords (and election-flavoured ones officials are tempted by). */
const COMMON = new Set([
  '1234567890', '12345678910', '0123456789', '1111111111', '0000000000', '1234512345', '1q2w3e4r5t', 'qwertyuiop',
  'password123', 'password1234', 'passw0rd123', 'matkhau123', 'matkhau1234', 'matkhaumoi', 'abc1234567', 'abcd123456',
  'iloveyou123', 'admin12345', 'administrator', 'baucu12345', 'baucu2026!', 'baucu2026', 'quochoi2026', 'vietnam123',
  'vietnam1234', 'hanoi12345', 'saigon1234', 'qwerty1234', 'qwerty12345', 'letmein123', 'welcome123', 'changeme123',
]);

export type PasswordProblem = 'too-short' | 'common' | 'same-as-username' | 'too-long';

/** Checks the rules: length ≥ 10 (≤ 200), not a common password, not the username. */
export function passwordProblem(pw: string, username: string): PasswordProblem | undefined {
  if (pw.length < 10) return 'too-short';
  if (pw.length > 200) return 'too-long';
  const l = pw.toLowerCase();
  if (COMMON.has(l)) return 'common';
  if (username && l.includes(username.toLowerCase())) return 'same-as-username';
  return undefined;
}

/** A one-time password for accounts created by someone else: 14 characters without look-alikes. */
export function generateOneTimePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(14);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}
