// audit_event: the append-only, hash-chained record of every write and every rejected attempt. Read-only for the
// application: events are appended by recordAudit (audit.service.ts) and chained at commit by the database.
import { EntitySchema } from '@mikro-orm/core';

export class AuditEvent {
  seq!: string;
  at!: Date;
  actor!: string;
  role?: string | null;
  scope?: string | null;
  action!: string;
  targetType?: string | null;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
  result!: string;
  requestId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  prevHash!: string;
  hash!: string;
}

export const AuditEventSchema = new EntitySchema<AuditEvent>({
  class: AuditEvent,
  tableName: 'audit_event',
  properties: {
    seq: { type: 'bigint', primary: true },
    at: { type: 'Date' },
    actor: { type: 'string' },
    role: { type: 'string', nullable: true },
    scope: { type: 'string', nullable: true },
    action: { type: 'string' },
    targetType: { type: 'string', nullable: true, fieldName: 'target_type' },
    targetId: { type: 'string', nullable: true, fieldName: 'target_id' },
    before: { type: 'json', nullable: true },
    after: { type: 'json', nullable: true },
    result: { type: 'string' },
    requestId: { type: 'string', nullable: true, fieldName: 'request_id' },
    ip: { type: 'string', nullable: true },
    userAgent: { type: 'string', nullable: true, fieldName: 'user_agent' },
    prevHash: { type: 'string', fieldName: 'prev_hash' },
    hash: { type: 'string' },
  },
});

export const AUDIT_ENTITIES = [AuditEventSchema];
