import {
  compile,
  type BudgetMap,
  type Period,
  type PeriodBudgets,
  type Policy,
  type PriceOverride,
  type Rule,
} from '@reins/engine';
import type { Sql } from '@reins/ledger';

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

/** The `<period>_budget_cents` columns of a row (organization, budget) as budgets by period. */
export function periodBudgets(r: {
  hourly_budget_cents: string | number | null;
  daily_budget_cents: string | number | null;
  weekly_budget_cents: string | number | null;
  monthly_budget_cents: string | number | null;
}): PeriodBudgets {
  const budgets: PeriodBudgets = {};
  const periods = [
    ['hourly', r.hourly_budget_cents],
    ['daily', r.daily_budget_cents],
    ['weekly', r.weekly_budget_cents],
    ['monthly', r.monthly_budget_cents],
  ] as const;
  for (const [period, cents] of periods) if (cents !== null) budgets[period] = Number(cents);
  return budgets;
}

export function parseSettings(r: SettingsRow): OrgSettings {
  return {
    id: r.id,
    timeZone: r.time_zone,
    defaultAction: r.default_action,
    budgets: periodBudgets(r),
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

/** An org's vendor setting; a vendor without one is enabled and unlimited. */
export interface VendorPolicy {
  enabled: boolean;
  rateLimitRpm: number | null;
}

/**
 * Everything an evaluation reads besides the organization row, as of one policy version: the
 * enabled rules, the agent registry's monthly budgets, the budgets of roles, teams and projects,
 * vendor settings and price overrides.
 * Every write of any of them bumps the version.
 */
export interface LoadedPolicy {
  version: number;
  policy: Policy;
  /** Agent id → monthly budget in cents (registered agents that have one). */
  agentBudgets: Readonly<Record<string, number>>;
  /** Budgets of user roles, teams and projects (`/api/budgets`). */
  subjectBudgets: SubjectBudgets;
  vendors: Readonly<Record<string, VendorPolicy>>;
  overrides: readonly PriceOverride[];
}

/** The budgets of `/api/budgets`, by kind. */
export interface SubjectBudgets {
  roles: BudgetMap;
  teams: BudgetMap;
  projects: BudgetMap;
}

type Entry = LoadedPolicy;

interface BudgetRow {
  kind: 'role' | 'team' | 'project';
  subject: string;
  hourly_budget_cents: number | null;
  daily_budget_cents: number | null;
  weekly_budget_cents: number | null;
  monthly_budget_cents: number | null;
}

function subjectBudgets(rows: readonly BudgetRow[]): SubjectBudgets {
  const out = { roles: {}, teams: {}, projects: {} } as Record<
    keyof SubjectBudgets,
    Record<string, PeriodBudgets>
  >;
  const kinds = { role: 'roles', team: 'teams', project: 'projects' } as const;
  for (const r of rows) out[kinds[r.kind]][r.subject] = periodBudgets(r);
  return out;
}

interface OverrideRow {
  vendor: string;
  model: string;
  effectiveFrom: string;
  effectiveTo: string | null;
  prices: Record<string, number>;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

function toOverride(o: OverrideRow): PriceOverride {
  return {
    vendor: o.vendor,
    model: o.model,
    effectiveFrom: new Date(o.effectiveFrom).toISOString(),
    effectiveTo: o.effectiveTo === null ? null : new Date(o.effectiveTo).toISOString(),
    ...o.prices,
  };
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
   * The organization's settings as of now and its policy of that version (null when there is no
   * such organization): what a read outside the hot path evaluates with.
   */
  async now(
    sql: Sql,
    orgId: string,
  ): Promise<{ settings: OrgSettings; loaded: LoadedPolicy } | null> {
    const settings = await this.settings(sql, orgId);
    if (!settings) return null;
    return { settings, loaded: await this.current(sql, orgId, settings.policyVersion) };
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
    const [row] = await sql<{
      policy_version: string;
      rules: Rule[] | string;
      agents: Record<string, number | string> | string;
      vendors: Record<string, VendorPolicy> | string;
      overrides: OverrideRow[] | string;
      budgets: BudgetRow[] | string;
    }>(
      `select o.policy_version,
              coalesce((select jsonb_agg(r.definition order by r.id) from policy_rule r
                         where r.org_id = o.id and r.enabled), '[]'::jsonb) as rules,
              coalesce((select jsonb_object_agg(a.agent_id, a.monthly_budget_cents) from agent a
                         where a.org_id = o.id and a.monthly_budget_cents is not null),
                       '{}'::jsonb) as agents,
              coalesce((select jsonb_object_agg(v.vendor, jsonb_build_object(
                                 'enabled', v.enabled, 'rateLimitRpm', v.rate_limit_rpm))
                          from vendor_setting v where v.org_id = o.id), '{}'::jsonb) as vendors,
              coalesce((select jsonb_agg(jsonb_build_object('vendor', p.vendor, 'model', p.model,
                                 'effectiveFrom', p.effective_from, 'effectiveTo', p.effective_to,
                                 'prices', p.prices)
                                 order by p.effective_from, p.created_at, p.id)
                          from price_override p where p.org_id = o.id), '[]'::jsonb) as overrides,
              coalesce((select jsonb_agg(to_jsonb(b) order by b.kind, b.subject) from budget b
                         where b.org_id = o.id), '[]'::jsonb) as budgets
         from organization o where o.id = ?`,
      [orgId],
    );
    if (!row) throw new Error(`organization ${orgId} vanished while loading its policy`);
    const loaded = Number(row.policy_version);
    const rules = json(row.rules);
    const agentBudgets: Record<string, number> = {};
    for (const [agent, cents] of Object.entries(json(row.agents))) {
      agentBudgets[agent] = Number(cents);
    }
    await sql(
      `insert into policy_snapshot (org_id, version, rules) values (?, ?, ?::jsonb)
       on conflict (org_id, version) do nothing`,
      [orgId, loaded, JSON.stringify(rules)],
    );
    const entry: Entry = {
      version: loaded,
      policy: compile(rules),
      agentBudgets,
      vendors: json(row.vendors),
      overrides: json(row.overrides).map(toOverride),
      subjectBudgets: subjectBudgets(json(row.budgets)),
    };
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
    const policy = compile(json(row.rules));
    if (this.past.size >= PAST_VERSIONS) {
      const oldest = this.past.keys().next();
      if (!oldest.done) this.past.delete(oldest.value);
    }
    this.past.set(key, policy);
    return policy;
  }
}
