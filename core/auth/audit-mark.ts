// Marks a request whose handler wrote its audit event, so the sign-in routes can guarantee exactly one per request.
import type { Request } from 'express';

export const AUDITED = new WeakSet<Request>();
export const markAudited = (req: Request): void => void AUDITED.add(req);
