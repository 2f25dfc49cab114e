// Identifiers: random UUIDs for records, short request ids for logs and error pages.
import { randomUUID, randomBytes } from 'node:crypto';
export const newId = (): string => randomUUID();
export const shortId = (): string => randomBytes(6).toString('base64url');
/** A UUID in its text form (what a record id looks like), for checking an id before it reaches a ::uuid cast. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
