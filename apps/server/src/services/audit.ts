import type { EntityManager } from '@mikro-orm/postgresql';
import { connectionOf, writeAudit, type AuditEventInput } from '@reins/ledger';

/**
 * Writes an audit event inside `em`'s transaction (the ledger's writer): it commits, or not,
 * with the change it records.
 */
export async function audit(em: EntityManager, e: AuditEventInput): Promise<void> {
  await writeAudit(connectionOf(em), [e]);
}
