import { compile, type Period, type Policy, type Rule } from '@reins/engine';
import type { Sql } from '../lib/sql.js';

/** The organization settings every evaluation needs, read fresh with each batch. */
export interface OrgSettings {
  id: string;
  timeZone: string;
  defaultAction: 'pass' | 'block';
  /** Org budgets in cents by window period (only the periods that have one). */
  budgets: Partial<Record<Period, number>>;
  policyVersion: number;
}

/** The organization columns an evaluation needs (append `where id = …`). */
export const SETTINGS_SELECT = `select id, time_zone, default_action, hourly_budget_cents,
    daily_budget_cents, weekly_budget_cents, monthly_budget_cents, policy_version
  from organization`;

export interface SettingsRow {
  id: string;
  time_zone: string;
  default_action: 'pass' | 'block';
  hourly_budget_cents: string | null;
  daily_budget_cents: string | null;
  weekly_budget_cents: string | null;
  monthly_budget_cents: string | null;
  policy_version: string;
}

export function parseSettings(r: SettingsRow): OrgSettings {
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

/** Whether `now` (just read) still gives the evaluation `used` was prepared with. */
export function sameSettings(
  now: OrgSettings,
  used: Pick<OrgSettings, 'timeZone' | 'defaultAction' | 'budgets'> & { version: number },
): boolean {
  return (
    now.policyVersion === used.version &&
    now.timeZone === used.timeZone &&
    now.defaultAction === used.defaultAction &&
    JSON.stringify(now.budgets) === JSON.stringify(used.budgets)
  );
}

interface Entry {
  version: number;
  policy: Policy;
}

export interface LoadedPolicy {
  version: number;
  policy: Policy;
}

/** Past versions kept compiled for replays (transaction traces). */
const PAST_VERSIONS = 128;

/**
 * Compiled policies by organization. Every rule change bumps `organization.policy_version` in
 * the same database transaction, and every reader compares the version it just read with the
 * cached one, so a change made through any server process is seen by the next evaluation in
 * every process — no notification channel that could be missed.
 *
 * Each version's rules are also kept in `policy_snapshot` (written once, never changed), so that
 * a past evaluation can be replayed exactly: the engine is deterministic.
 */
export class PolicyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly past = new Map<string, Policy>();

  async settings(sql: Sql, orgId: string): Promise<OrgSettings | null> {
    const [row] = await sql<SettingsRow>(`${SETTINGS_SELECT} where id = ?`, [orgId]);
    return row ? parseSettings(row) : null;
  }

  /**
   * The organization's current policy. `version` is the version the caller just read; on a miss
   * the rules and their version are read in ONE statement (a consistent pair) and the snapshot
   * of that version is written. Call it outside a transaction that could roll back: a cached
   * version must have its snapshot committed.
   */
  async current(sql: Sql, orgId: string, version: number): Promise<LoadedPolicy> {
    const hit = this.entries.get(orgId);
    if (hit?.version === version) return hit;
    const [row] = await sql<{ policy_version: string; rules: Rule[] | string }>(
      `select o.policy_version,
              coalesce((select jsonb_agg(r.definition order by r.id) from policy_rule r
                         where r.org_id = o.id and r.enabled), '[]'::jsonb) as rules
         from organization o where o.id = ?`,
      [orgId],
    );
    if (!row) throw new Error(`organization ${orgId} vanished while loading its policy`);
    const loaded = Number(row.policy_version);
    const rules = typeof row.rules === 'string' ? (JSON.parse(row.rules) as Rule[]) : row.rules;
    await sql(
      `insert into policy_snapshot (org_id, version, rules) values (?, ?, ?::jsonb)
       on conflict (org_id, version) do nothing`,
      [orgId, loaded, JSON.stringify(rules)],
    );
    const entry = { version: loaded, policy: compile(rules) };
    // Never replace a newer entry with an older one read by a slower concurrent loader.
    const now = this.entries.get(orgId);
    if (!now || now.version <= loaded) this.entries.set(orgId, entry);
    return entry;
  }

  /** The policy of a past version, from its snapshot; null when there is none. */
  async atVersion(sql: Sql, orgId: string, version: number): Promise<Policy | null> {
    const hit = this.entries.get(orgId);
    if (hit?.version === version) return hit.policy;
    const key = `${orgId}|${String(version)}`;
    const cached = this.past.get(key);
    if (cached) return cached;
    const [row] = await sql<{ rules: Rule[] | string }>(
      'select rules from policy_snapshot where org_id = ? and version = ?',
      [orgId, version],
    );
    if (!row) return null;
    const rules = typeof row.rules === 'string' ? (JSON.parse(row.rules) as Rule[]) : row.rules;
    const policy = compile(rules);
    if (this.past.size >= PAST_VERSIONS) {
      const oldest = this.past.keys().next();
      if (!oldest.done) this.past.delete(oldest.value);
    }
    this.past.set(key, policy);
    return policy;
  }
}
