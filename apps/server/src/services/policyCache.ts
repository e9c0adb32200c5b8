import { compile, type Period, type Policy, type Rule } from '@reins/engine';
import type { EntityManager } from '@mikro-orm/postgresql';

/** The organization settings every evaluation needs, read fresh with each batch. */
export interface OrgSettings {
  id: string;
  timeZone: string;
  defaultAction: 'pass' | 'block';
  /** Org budgets in cents by window period (only the periods that have one). */
  budgets: Partial<Record<Period, number>>;
  policyVersion: number;
}

interface Entry {
  version: number;
  policy: Policy;
}

/**
 * Compiled policies by organization. Every rule change bumps `organization.policy_version` in
 * the same database transaction, and every reader compares the version it just read with the
 * cached one, so a change made through any server process is seen by the next evaluation in
 * every process — no notification channel that could be missed.
 */
export class PolicyCache {
  private readonly entries = new Map<string, Entry>();

  async settings(em: EntityManager, orgId: string): Promise<OrgSettings | null> {
    const rows = await em.getConnection().execute<
      {
        id: string;
        time_zone: string;
        default_action: 'pass' | 'block';
        hourly_budget_cents: string | null;
        daily_budget_cents: string | null;
        weekly_budget_cents: string | null;
        monthly_budget_cents: string | null;
        policy_version: string;
      }[]
    >(
      `select id, time_zone, default_action, hourly_budget_cents, daily_budget_cents,
              weekly_budget_cents, monthly_budget_cents, policy_version
         from organization where id = ?`,
      [orgId],
      'all',
      em.getTransactionContext(),
    );
    const r = rows[0];
    if (!r) return null;
    const budgets: Partial<Record<Period, number>> = {};
    const periods = [
      ['hourly', r.hourly_budget_cents],
      ['daily', r.daily_budget_cents],
      ['weekly', r.weekly_budget_cents],
      ['monthly', r.monthly_budget_cents],
    ] as const;
    for (const [period, cents] of periods) if (cents !== null) budgets[period] = Number(cents);
    return {
      id: r.id,
      timeZone: r.time_zone,
      defaultAction: r.default_action,
      budgets,
      policyVersion: Number(r.policy_version),
    };
  }

  /** The compiled policy at `version`, loaded in `em`'s transaction when the cache is stale. */
  async policy(em: EntityManager, orgId: string, version: number): Promise<Policy> {
    const hit = this.entries.get(orgId);
    if (hit?.version === version) return hit.policy;
    const rows = await em
      .getConnection()
      .execute<{ definition: Rule | string }[]>(
        `select definition from policy_rule where org_id = ? and enabled`,
        [orgId],
        'all',
        em.getTransactionContext(),
      );
    const rules = rows.map((r) =>
      typeof r.definition === 'string' ? (JSON.parse(r.definition) as Rule) : r.definition,
    );
    const policy = compile(rules);
    // Never replace a newer entry with an older one read by a slower concurrent loader.
    const now = this.entries.get(orgId);
    if (!now || now.version <= version) this.entries.set(orgId, { version, policy });
    return policy;
  }
}
