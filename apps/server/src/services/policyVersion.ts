import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Marks the organization's policy as changed, inside `em`'s transaction. Everything the hot path
 * caches per org (rules, agent budgets, vendor settings, price overrides) is keyed by this
 * version and re-checked under the counter locks, so a change committed here is seen by the next
 * evaluation in every process.
 */
export async function bumpPolicyVersion(em: EntityManager, orgId: string): Promise<void> {
  await em
    .getConnection()
    .execute(
      'update organization set policy_version = policy_version + 1, updated_at = now() where id = ?',
      [orgId],
      'run',
      em.getTransactionContext(),
    );
}
