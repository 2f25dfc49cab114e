// Identifiers: random UUIDs for records, short request ids for logs and error pages.
import { randomUUID, randomBytes } from 'node:crypto';
export const newId = (): string => randomUUID();
export const shortId = (): string => randomBytes(6).toString('base64url');
