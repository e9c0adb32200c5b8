/**
 * The audit writer: every audit event Reins records — by the hot path's batches, by reservations,
 * by every configuration change, by the worker — is inserted by the one statement below, in the
 * caller's database transaction, so that an event commits (or not) with the change it records.
 * Events are never updated: the database refuses it, and the sealer (auditChain.ts) links them
 * into each organization's hash chain afterwards.
 */
import { newId } from './ids.js';
import { jsonValue, type Params, type RawConnection } from './sql.js';

export interface AuditEventInput {
  orgId: string;
  eventType: string;
  /** Who: `key:<id>`, `agent:<id>`, `cli`, `system:…`. */
  actor: string;
  entityType: string;
  entityId: string;
  metadata?: Record<string, unknown>;
  occurredAt: Date | string;
}

/** An `audit_event` row as the writer inserts it (`occurred_at` ISO 8601). */
export interface AuditRow {
  id: string;
  org_id: string;
  event_type: string;
  occurred_at: string;
  actor: string;
  entity_type: string;
  entity_id: string;
  metadata: Record<string, unknown>;
}

export function auditRow(e: AuditEventInput): AuditRow {
  return {
    id: newId('evt'),
    org_id: e.orgId,
    event_type: e.eventType,
    occurred_at: typeof e.occurredAt === 'string' ? e.occurredAt : e.occurredAt.toISOString(),
    actor: e.actor,
    entity_type: e.entityType,
    entity_id: e.entityId,
    metadata: e.metadata ?? {},
  };
}

/**
 * One statement inserting `rows` (any number; also usable as the body of a CTE), with them as a
 * bind parameter of `params` if given.
 */
export function insertAuditSql(rows: readonly AuditRow[], params?: Params): string {
  return `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type,
          entity_id, metadata)
       select x.id, x.org_id, x.event_type, x.occurred_at, x.actor, x.entity_type, x.entity_id,
          x.metadata
         from jsonb_to_recordset(${jsonValue(rows, params)}) as x(id text,
          org_id text, event_type text, occurred_at timestamptz, actor text, entity_type text,
          entity_id text, metadata jsonb)`;
}

/** Writes `events` on `conn` (in its transaction, if it is in one). */
export async function writeAudit(
  conn: RawConnection,
  events: readonly AuditEventInput[],
): Promise<void> {
  if (events.length === 0) return;
  await conn.query(insertAuditSql(events.map(auditRow)));
}
