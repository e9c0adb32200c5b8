/**
 * GET /api/v1/sdk/state: everything an SDK in local evaluation mode needs to reach, in-process,
 * the decision the hot path would reach now — the policy (rules, settings, agent budgets, vendor
 * settings, price overrides) of one version, and the window totals of the current windows as an
 * evaluation sees them (expired, unsettled reservation holds taken out).
 */
import {
  PRICE_DATA_VERSION,
  type Period,
  type PriceOverride,
  type Rule,
  type WindowTotals,
} from '@reins/engine';
import type { Ctx } from '../core.js';
import { NotFound } from '../errors.js';
import {
  RATE_LIMIT_PREFIX,
  asEvaluated,
  connectionOf,
  dollarQuote,
  expiredHoldsSql,
  queryRows,
  sqlOf,
  toTotals,
  type CounterRow,
} from '@reins/ledger';
import { requirePermission } from './auth.js';
import {
  SETTINGS_SELECT,
  parseSettings,
  type SettingsRow,
  type SubjectBudgets,
  type VendorPolicy,
} from '../machinery/policyCache.js';

/** At most this many windows are sent (by key); past it the answer says `truncated: true`. */
export const MAX_STATE_WINDOWS = 10_000;

/** A current window counter, as an evaluation sees it now. */
export interface StateWindow extends WindowTotals {
  key: string;
  period: Period;
  per: string;
  group: string;
  /** ISO 8601 UTC, inclusive. */
  start: string;
  /** ISO 8601 UTC, exclusive. */
  end: string;
}

/** This minute's request count of a vendor that has a per-minute limit. */
export interface StateRateLimit {
  vendor: string;
  start: string;
  end: string;
  requests: number;
}

export interface SdkState {
  version: number;
  serverTime: string;
  /** The version of the built-in price table the server prices and `unknownModel` checks with. */
  priceDataVersion: string;
  org: {
    timeZone: string;
    defaultAction: 'pass' | 'block';
    budgets: Partial<Record<Period, number>>;
  };
  rules: Rule[];
  agentBudgets: Record<string, number>;
  /** The budgets of user roles, teams and projects, by id (`/api/budgets`). */
  budgets: SubjectBudgets;
  vendors: Record<string, VendorPolicy>;
  overrides: PriceOverride[];
  windows: StateWindow[];
  truncated: boolean;
  rateLimits: StateRateLimit[];
}

interface StateRow extends SettingsRow {
  windows: CounterWindowRow[] | string;
  rate_limits: CounterWindowRow[] | string;
  holds: CounterRow[] | string;
}

interface CounterWindowRow extends CounterRow {
  period: string;
  per: string;
  group_value: string;
  window_start: string;
  window_end: string;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const iso = (t: string): string => new Date(t).toISOString();

/** The columns of a counter row, as a JSON object (`jsonb_agg` keeps them in one statement). */
const COUNTER_JSON = `jsonb_build_object('key', c.key, 'period', c.period, 'per', c.per,
    'group_value', c.group_value, 'window_start', c.window_start, 'window_end', c.window_end,
    'cost_micros', c.cost_micros, 'tokens_in', c.tokens_in, 'tokens_out', c.tokens_out,
    'requests', c.requests)`;

/**
 * One statement, so one snapshot: the organization's settings and policy version, its current
 * window counters (capped, by key), this minute's rate-limit counters, and the expired holds the
 * hot path takes out of the totals (the same query).
 */
function stateSql(orgId: string, now: string): string {
  const org = dollarQuote(orgId);
  const at = `${dollarQuote(now)}::timestamptz`;
  const prefix = dollarQuote(RATE_LIMIT_PREFIX);
  return `select s.*,
    (select coalesce(jsonb_agg(${COUNTER_JSON} order by c.key), '[]'::jsonb)
       from (select * from window_counter
              where org_id = s.id and window_start <= ${at} and window_end > ${at}
                and not starts_with(key, ${prefix})
              order by key limit ${String(MAX_STATE_WINDOWS + 1)}) c) as windows,
    (select coalesce(jsonb_agg(${COUNTER_JSON} order by c.key), '[]'::jsonb)
       from window_counter c
      where c.org_id = s.id and c.window_start <= ${at} and c.window_end > ${at}
        and starts_with(c.key, ${prefix})) as rate_limits,
    (select coalesce(jsonb_agg(h), '[]'::jsonb) from (${expiredHoldsSql(orgId, now)}) h) as holds
  from (${SETTINGS_SELECT} where id = ${org}) s`;
}

/** Rules changed between the state read and the policy load this many times in a row: give up. */
const ATTEMPTS = 5;

export async function sdkState(ctx: Ctx): Promise<SdkState> {
  requirePermission(ctx, 'policies:read');
  const sql = sqlOf(ctx.em);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const nowMs = ctx.core.clock();
    const now = new Date(nowMs).toISOString();
    const [row] = await queryRows<StateRow>(connectionOf(ctx.em), stateSql(ctx.orgId, now));
    if (!row) throw new NotFound('Organization', ctx.orgId);
    const settings = parseSettings(row);
    // The policy of exactly the version just read (cached, or loaded with its version in one
    // statement): when a rule changed in between, the two disagree and the state is read again.
    const loaded = await ctx.core.policies.current(sql, ctx.orgId, settings.policyVersion);
    if (loaded.version !== settings.policyVersion) continue;

    const counters = json(row.windows);
    const truncated = counters.length > MAX_STATE_WINDOWS;
    const shown = truncated ? counters.slice(0, MAX_STATE_WINDOWS) : counters;
    // As the hot path sees them: expired, unsettled holds do not count toward limits.
    const { totals } = asEvaluated(shown, json(row.holds));

    return {
      version: settings.policyVersion,
      serverTime: now,
      priceDataVersion: PRICE_DATA_VERSION,
      org: {
        timeZone: settings.timeZone,
        defaultAction: settings.defaultAction,
        budgets: settings.budgets,
      },
      rules: loaded.policy.rules.map((c) => c.rule),
      agentBudgets: { ...loaded.agentBudgets },
      budgets: loaded.subjectBudgets,
      vendors: { ...loaded.vendors },
      overrides: [...loaded.overrides],
      windows: shown.map((c) => ({
        key: c.key,
        period: c.period as Period,
        per: c.per,
        group: c.group_value,
        start: iso(c.window_start),
        end: iso(c.window_end),
        ...(totals[c.key] ?? toTotals(c)),
      })),
      truncated,
      rateLimits: json(row.rate_limits).map((c) => ({
        vendor: c.group_value,
        start: iso(c.window_start),
        end: iso(c.window_end),
        requests: Number(c.requests),
      })),
    };
  }
  throw new Error(`organization ${ctx.orgId}: its policy kept changing while the state was read`);
}
