/**
 * The canonical rule and the shapes `evaluate()` reads and returns. Both request dialects (the
 * docs' `/api/policy-rules` and the typed `/api/v1/rules`) convert to and from `Rule`.
 *
 * Units: money in a rule is integer cents; money in a transaction or a window total is integer
 * microcents (1 cent = 1,000,000 µ¢) so that a $0.000075 call is not rounded to $0.
 */

export const VENDORS = [
  'openai',
  'anthropic',
  'google',
  'cohere',
  'mistral',
  'perplexity',
] as const;
export type Vendor = (typeof VENDORS)[number];

/** Everything a rule can decide. `log` and `notify` come from the typed dialect. */
export const ACTIONS = ['pass', 'warn', 'flag', 'block', 'log', 'notify'] as const;
export type Action = (typeof ACTIONS)[number];

export const PERIODS = ['hourly', 'daily', 'weekly', 'monthly'] as const;
export type Period = (typeof PERIODS)[number];

export const METRICS = [
  'cost_cents',
  'tokens_in',
  'tokens_out',
  'tokens_total',
  'requests',
] as const;
export type Metric = (typeof METRICS)[number];

/** What a window total is grouped by. */
export const GROUPS = ['org', 'agent', 'user', 'team', 'project', 'vendor', 'model'] as const;
export type GroupBy = (typeof GROUPS)[number];

export const RULE_TYPES = ['budget', 'model_filter', 'user_limit', 'org_policy', 'custom'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export const SCOPES = ['org', 'user', 'team', 'project'] as const;
export type Scope = (typeof SCOPES)[number];

export type RuleMode = 'enforce' | 'shadow';

export interface AmountRange {
  /** Inclusive, cents. */
  min?: number | undefined;
  /** Inclusive, cents. */
  max?: number | undefined;
}

export interface Schedule {
  /** 0 = Sunday … 6 = Saturday, in the org's time zone. Empty = every day. */
  daysOfWeek: number[];
  /** `"HH:MM-HH:MM"`, start inclusive, end exclusive; an end before the start wraps midnight. */
  hours: string[];
}

export interface RuleMatch {
  vendors: string[];
  models: string[];
  excludeModels: string[];
  agentIds: string[];
  userIds: string[];
  userRoles: string[];
  teamIds: string[];
  projectIds: string[];
  amountCents: AmountRange | null;
  schedule: Schedule | null;
  /** Org-policy checks: the condition holds when ANY check that is set fails. */
  requireProjectId: boolean;
  unknownModel: boolean;
}

export interface RuleWindow {
  period: Period;
  /** The metric `limit` is counted in. */
  metric: Metric;
  /** In the metric's unit (cents, tokens or requests); null = resolve from budgets. */
  limit: number | null;
  /** An additional request-count cap; either crossing matches. */
  maxTransactions: number | null;
  /** Percent of the limit at which the rule matches (100 = at the limit). */
  thresholdPct: number;
  /** Null: the default group (agent when agentIds are named, user for user rules, …). */
  per: GroupBy | null;
  /** Match early when the end-of-window projection crosses this percent of the limit. */
  forecastPct: number | null;
}

export interface ActionConfig {
  message?: string | undefined;
  redirectUrl?: string | undefined;
  /** Notification channel ids (notify/warn delivery). */
  channels?: string[] | undefined;
}

export interface Rule {
  id: string;
  name: string;
  description: string | null;
  type: RuleType;
  enabled: boolean;
  mode: RuleMode;
  priority: number;
  scope: Scope;
  scopeId: string | null;
  match: RuleMatch;
  window: RuleWindow | null;
  action: Action;
  actionConfig: ActionConfig;
  /** ISO 8601, UTC. Orders rules of equal priority. */
  createdAt: string;
  updatedAt: string;
}

/** A transaction as the engine sees it (the edge normalizes the wire formats into this). */
export interface TransactionInput {
  vendor: string;
  model?: string | null | undefined;
  /** Absent: the default agent (`"default"`). */
  agentId?: string | null | undefined;
  userId?: string | null | undefined;
  userRoles?: string[] | undefined;
  teamId?: string | null | undefined;
  projectId?: string | null | undefined;
  /** The cost in microcents (1 cent = 1,000,000). */
  amountMicros: number;
  tokensIn?: number | undefined;
  tokensOut?: number | undefined;
  metadata?: Record<string, unknown> | undefined;
  /**
   * Whether the price table knows the model. The edge sets it from `estimateCost`; when absent
   * the engine looks the model up itself.
   */
  modelKnown?: boolean | undefined;
}

/** One window counter: all metrics of one group in one calendar window. */
export interface WindowTotals {
  costMicros: number;
  tokensIn: number;
  tokensOut: number;
  requests: number;
}

/** Window totals by counter key (see `windowKey`); a missing key is all zeros. */
export type WindowTotalsMap = Readonly<Record<string, WindowTotals | undefined>>;

/** Budgets of one subject in cents, by period (only the periods that have one). */
export type PeriodBudgets = Partial<Record<Period, number>>;

/** Subject id → its budgets. */
export type BudgetMap = Readonly<Record<string, PeriodBudgets | undefined>>;

/**
 * Budgets: the limits of window rules that name none (see `budgets.ts` for which rule reads
 * which). Data in the evaluation context, never in a rule: one budget change moves every rule
 * that reads it.
 */
export interface Budgets {
  /** Org budgets in cents, by period (the docs name `monthlyBudgetCents`). */
  org?: PeriodBudgets | undefined;
  /** Agent budgets by agentId (the agent registry's `monthlyBudgetCents`). */
  agents?: BudgetMap | undefined;
  /** User-role budgets by role (lower case), each the limit of one user of that role. */
  roles?: BudgetMap | undefined;
  /** Team budgets by team id. */
  teams?: BudgetMap | undefined;
  /** Project budgets by project id. */
  projects?: BudgetMap | undefined;
}

export interface EvaluationContext {
  /** The evaluation instant, ISO 8601 or epoch milliseconds. The engine has no clock. */
  now: string | number;
  /** IANA time zone of the organization; default `UTC`. */
  timeZone?: string | undefined;
  /** What happens when no rule matches; default `pass`. */
  defaultAction?: 'pass' | 'block' | undefined;
  budgets?: Budgets | undefined;
  /** Build the trace (default true). Off is faster: rules that cannot match are skipped. */
  trace?: boolean | undefined;
  /** Org price overrides, for `unknownModel` when the edge did not set `modelKnown`. */
  priceOverrides?: readonly PriceOverride[] | undefined;
}

export interface WindowRef {
  /** The counter key, as in `WindowTotalsMap`. */
  key: string;
  period: Period;
  per: GroupBy;
  group: string;
  /** ISO 8601 UTC, inclusive. */
  start: string;
  /** ISO 8601 UTC, exclusive; also the window's `resetsAt`. */
  end: string;
}

export interface DecisionDetails {
  ruleId: string | null;
  /** Cents for money, else tokens or requests; null when the rule has no window. */
  limit: number | null;
  /** The window total including this transaction (cents rounded up), or this transaction's amount. */
  current: number | null;
  unit: 'cents' | 'tokens' | 'requests' | null;
  timeWindow: Period | null;
  resetsAt: string | null;
}

export interface TraceEntry {
  ruleId: string;
  ruleName: string;
  priority: number;
  action: Action;
  mode: RuleMode;
  /** False for rules after the decisive one. */
  reached: boolean;
  matched: boolean;
  /** True for the rule whose action is the decision. */
  decisive: boolean;
  reason: string;
  figures?: TraceFigures | undefined;
}

export interface TraceFigures {
  metric: Metric | 'requests';
  per: GroupBy;
  group: string;
  windowKey: string;
  /** Total before this transaction, in the metric's unit (microcents for cost). */
  before: number;
  /** Total including this transaction. */
  current: number;
  /** Limit in the metric's unit (microcents for cost). */
  limit: number;
  thresholdPct: number;
  projected?: number | undefined;
  forecastPct?: number | undefined;
}

export interface ShadowHit {
  ruleId: string;
  ruleName: string;
  action: Action;
  details: DecisionDetails;
}

export interface Decision {
  action: Action;
  /** Whether the transaction is admitted (everything but `block`). */
  admitted: boolean;
  ruleId: string | null;
  ruleName: string | null;
  message: string;
  details: DecisionDetails;
  /** Shadow rules that matched before the decision: what they would have done. */
  shadow: ShadowHit[];
  /** Every enabled rule in order; empty when the trace is off. */
  trace: TraceEntry[];
}

export interface PriceOverride {
  vendor: string;
  /** Exact model id or a `*` glob. */
  model: string;
  /** ISO 8601; the override applies from this instant on. */
  effectiveFrom: string;
  /** ISO 8601, exclusive; absent = open-ended. */
  effectiveTo?: string | null | undefined;
  /** Dollars per million tokens, as price sheets state them. */
  inputPerMtokUsd?: number | undefined;
  outputPerMtokUsd?: number | undefined;
  cacheReadPerMtokUsd?: number | undefined;
  cacheWritePerMtokUsd?: number | undefined;
  /** Dollars per request. */
  perRequestUsd?: number | undefined;
}
