import { AuditEvent } from '@reins/db';
import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../lib/ids.js';

export interface AuditInput {
  orgId: string;
  eventType: string;
  actor: string;
  entityType: string;
  entityId: string;
  metadata?: Record<string, unknown>;
  occurredAt: Date;
}

/** Queues an audit event in `em`'s unit of work: it commits (or not) with the change it records. */
export function audit(em: EntityManager, e: AuditInput): void {
  em.create(AuditEvent, {
    id: newId('evt'),
    orgId: e.orgId,
    eventType: e.eventType,
    occurredAt: e.occurredAt,
    actor: e.actor,
    entityType: e.entityType,
    entityId: e.entityId,
    metadata: e.metadata ?? {},
  });
}
