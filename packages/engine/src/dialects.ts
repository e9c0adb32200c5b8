/**
 * The two request dialects and the canonical rule between them.
 *
 * - docs dialect (`/api/policy-rules`): camelCase `conditions`, `action`, `actionConfig`.
 * - typed dialect (`/api/v1/rules`): snake_case `type`, `scope`/`scope_id`, `condition`,
 *   `action`, `action_config`, plus `filters` for what a type's `condition` cannot say.
 *
 * Both parse into `Rule` and are rendered back from it; canonical → dialect → canonical is the
 * identity, so a rule written in one dialect is read in the other without loss.
 */
import { z } from 'zod';
import {
  ACTIONS,
  GROUPS,
  METRICS,
  PERIODS,
  RULE_TYPES,
  SCOPES,
  VENDORS,
  type Action,
  type ActionConfig,
  type AmountRange,
  type GroupBy,
  type Metric,
  type Rule,
  type RuleMatch,
  type RuleType,
  type RuleWindow,
  type Schedule,
  type Scope,
} from './types.js';

export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `conditions.amountCents.min`. */
  path: string;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/** Server-assigned fields a rule gets when it is stored. */
export interface RuleIdentity {
  id: string;
  createdAt: string;
  updatedAt?: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Shared field schemas

const MAX_LIST = 1000;
/** $100 billion: far above any budget, far below where integer cents stop being exact. */
const MAX_CENTS = 10_000_000_000_000;
const MAX_COUNT = 1_000_000_000_000;

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const idString = text(200);
const idList = z.array(idString).max(MAX_LIST);
const vendorList = z
  .array(
    z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(VENDORS, `must be one of ${VENDORS.join(', ')}`)),
  )
  .max(MAX_LIST);
const centsAmount = z
  .int('must be an integer number of cents')
  .min(0, 'must be ≥ 0')
  .max(MAX_CENTS);
const positiveCents = z
  .int('must be an integer number of cents')
  .min(1, 'must be ≥ 1')
  .max(MAX_CENTS);
const positiveCount = z.int('must be a positive integer').min(1, 'must be ≥ 1').max(MAX_COUNT);
const percent = z
  .int('must be an integer percentage')
  .min(1, 'must be ≥ 1')
  .max(10_000, 'must be ≤ 10000');

const DAY_NUMBERS: Readonly<Record<string, number>> = {
  sun: 0,
  sunday: 0,
  mon: 1,
  monday: 1,
  tue: 2,
  tuesday: 2,
  wed: 3,
  wednesday: 3,
  thu: 4,
  thursday: 4,
  fri: 5,
  friday: 5,
  sat: 6,
  saturday: 6,
};
const day = z.union([
  z.int().min(0).max(6),
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((s) => s in DAY_NUMBERS, 'must be 0–6 (0 = Sunday) or a day name')
    .transform((s) => DAY_NUMBERS[s] ?? 0),
]);
const HOURS_RE = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;
const hourRange = z
  .string()
  .trim()
  .refine((s) => {
    const m = HOURS_RE.exec(s);
    return (
      m !== null && !(m[3] === '24' && m[4] !== '00') && `${m[1]}:${m[2]}` !== `${m[3]}:${m[4]}`
    );
  }, 'must be "HH:MM-HH:MM" with different start and end');

const amountRange = z
  .strictObject({ min: centsAmount.optional(), max: centsAmount.optional() })
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
    message: 'must be ≥ min',
    path: ['max'],
  });

const rangeOrUndefined = (r: { min?: number | undefined; max?: number | undefined } | undefined) =>
  r && (r.min !== undefined || r.max !== undefined) ? { min: r.min, max: r.max } : null;

// ---------------------------------------------------------------------------------------------
// Docs dialect

const docsSchedule = z.strictObject({
  daysOfWeek: z.array(day).max(7).optional(),
  hours: z.array(hourRange).max(24).optional(),
});

const docsConditions = z.strictObject({
  vendors: vendorList.optional(),
  models: idList.optional(),
  excludeModels: idList.optional(),
  agentIds: idList.optional(),
  userIds: idList.optional(),
  userRoles: idList.optional(),
  teamIds: idList.optional(),
  projectIds: idList.optional(),
  amountCents: amountRange.optional(),
  timeWindow: z.enum(PERIODS).optional(),
  schedule: docsSchedule.optional(),
  forecastPct: percent.optional(),
  unknownModel: z.boolean().optional(),
  requireProjectId: z.boolean().optional(),
});

const docsActionConfig = z.strictObject({
  message: z.string().max(1000).optional(),
  redirectUrl: z.string().max(2000).optional(),
  channels: idList.max(20).optional(),
  thresholdPct: percent.optional(),
  limitCents: positiveCents.optional(),
  budgetCents: positiveCents.optional(),
  limitTokens: positiveCount.optional(),
  maxTransactions: positiveCount.optional(),
  per: z.enum(GROUPS).optional(),
  metric: z.enum(METRICS).optional(),
});

const readOnly = {
  id: z.unknown().optional(),
  createdAt: z.unknown().optional(),
  updatedAt: z.unknown().optional(),
};

const docsRuleSchema = z.strictObject({
  ...readOnly,
  name: text(200),
  description: z.string().max(2000).nullish(),
  enabled: z.boolean().optional(),
  priority: z.int('must be an integer').min(-1_000_000).max(1_000_000).optional(),
  mode: z.enum(['enforce', 'shadow']).optional(),
  type: z.enum(RULE_TYPES).optional(),
  scope: z.enum(SCOPES).optional(),
  scopeId: idString.nullish(),
  conditions: docsConditions.optional(),
  action: z.enum(ACTIONS),
  actionConfig: docsActionConfig.optional(),
});

export type DocsRuleInput = z.input<typeof docsRuleSchema>;

/** A rule as the docs dialect shows it. */
export interface DocsRule {
  id: string;
  name: string;
  description: string | null;
  enabled: boolean;
  priority: number;
  mode: 'enforce' | 'shadow';
  type: RuleType;
  scope: Scope;
  scopeId: string | null;
  conditions: Record<string, unknown>;
  action: Action;
  actionConfig: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

function listOrEmpty(v: readonly string[] | undefined): string[] {
  return v ? [...v] : [];
}

function scheduleOrNull(
  s: { daysOfWeek?: number[] | undefined; hours?: string[] | undefined } | undefined,
): Schedule | null {
  if (!s) return null;
  const daysOfWeek = [...new Set(s.daysOfWeek ?? [])].sort((a, b) => a - b);
  const hours = s.hours ?? [];
  return daysOfWeek.length === 0 && hours.length === 0 ? null : { daysOfWeek, hours: [...hours] };
}

/** The canonical match from docs-style (camelCase) conditions; absent lists are empty. */
function matchOf(c: z.output<typeof docsConditions>): RuleMatch {
  return {
    vendors: listOrEmpty(c.vendors),
    models: listOrEmpty(c.models),
    excludeModels: listOrEmpty(c.excludeModels),
    agentIds: listOrEmpty(c.agentIds),
    userIds: listOrEmpty(c.userIds),
    userRoles: listOrEmpty(c.userRoles),
    teamIds: listOrEmpty(c.teamIds),
    projectIds: listOrEmpty(c.projectIds),
    amountCents: rangeOrUndefined(c.amountCents),
    schedule: scheduleOrNull(c.schedule),
    requireProjectId: c.requireProjectId ?? false,
    unknownModel: c.unknownModel ?? false,
  };
}

function docsToCanonical(d: z.output<typeof docsRuleSchema>, who: RuleIdentity): Rule {
  const c = d.conditions ?? {};
  const ac = d.actionConfig ?? {};
  const match = matchOf(c);
  let window: RuleWindow | null = null;
  if (c.timeWindow) {
    const metric: Metric = ac.metric ?? 'cost_cents';
    const limit =
      metric === 'cost_cents'
        ? (ac.limitCents ?? ac.budgetCents ?? null)
        : metric === 'requests'
          ? (ac.maxTransactions ?? null)
          : (ac.limitTokens ?? null);
    window = {
      period: c.timeWindow,
      metric,
      limit,
      maxTransactions: metric === 'requests' ? null : (ac.maxTransactions ?? null),
      thresholdPct: ac.thresholdPct ?? 100,
      per: ac.per ?? null,
      forecastPct: c.forecastPct ?? null,
    };
  }
  const rule: Rule = {
    id: who.id,
    name: d.name,
    description: d.description ?? null,
    type: 'custom',
    enabled: d.enabled ?? true,
    mode: d.mode ?? 'enforce',
    priority: d.priority ?? 0,
    scope: d.scope ?? 'org',
    scopeId: d.scopeId ?? null,
    match,
    window,
    action: d.action,
    actionConfig: actionConfigOf(ac.message, ac.redirectUrl, ac.channels),
    createdAt: who.createdAt,
    updatedAt: who.updatedAt ?? who.createdAt,
  };
  rule.type = d.type ?? inferType(rule);
  return rule;
}

function actionConfigOf(message?: string, redirectUrl?: string, channels?: string[]): ActionConfig {
  const out: ActionConfig = {};
  if (message !== undefined) out.message = message;
  if (redirectUrl !== undefined) out.redirectUrl = redirectUrl;
  if (channels !== undefined && channels.length > 0) out.channels = [...channels];
  return out;
}

/**
 * What the docs dialect refuses beyond its schema's fields (which need one another): exported
 * so that a form validating with `ruleSchemas.docs` says the same as the server.
 */
export function docsRuleIssues(d: z.output<typeof docsRuleSchema>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const c = d.conditions ?? {};
  const ac = d.actionConfig ?? {};
  if (!c.timeWindow) {
    for (const k of [
      'limitCents',
      'budgetCents',
      'limitTokens',
      'maxTransactions',
      'thresholdPct',
      'per',
      'metric',
    ] as const) {
      if (ac[k] !== undefined)
        issues.push({ path: `actionConfig.${k}`, message: 'requires conditions.timeWindow' });
    }
    if (c.forecastPct !== undefined)
      issues.push({ path: 'conditions.forecastPct', message: 'requires conditions.timeWindow' });
    return issues;
  }
  if (
    ac.limitCents !== undefined &&
    ac.budgetCents !== undefined &&
    ac.limitCents !== ac.budgetCents
  ) {
    issues.push({
      path: 'actionConfig.budgetCents',
      message: 'is an alias of limitCents; give one of them',
    });
  }
  const metric = ac.metric ?? 'cost_cents';
  const money = ac.limitCents ?? ac.budgetCents;
  if (metric !== 'cost_cents' && money !== undefined) {
    issues.push({ path: 'actionConfig.limitCents', message: `does not apply to metric ${metric}` });
  }
  if (metric === 'cost_cents' && ac.limitTokens !== undefined) {
    issues.push({ path: 'actionConfig.limitTokens', message: 'applies to a tokens_* metric only' });
  }
  if (metric.startsWith('tokens_') && ac.limitTokens === undefined) {
    issues.push({ path: 'actionConfig.limitTokens', message: `is required for metric ${metric}` });
  }
  if (metric === 'requests' && ac.maxTransactions === undefined) {
    issues.push({
      path: 'actionConfig.maxTransactions',
      message: 'is required for metric requests',
    });
  }
  if (metric === 'requests' && ac.limitTokens !== undefined) {
    issues.push({ path: 'actionConfig.limitTokens', message: 'does not apply to metric requests' });
  }
  return issues;
}

export function parseDocsRule(body: unknown, who: RuleIdentity): ParseResult<Rule> {
  const parsed = docsRuleSchema.safeParse(body);
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  const issues = docsRuleIssues(parsed.data);
  if (issues.length > 0) return { ok: false, issues };
  return checked(docsToCanonical(parsed.data, who), 'docs');
}

function pruneEmpty(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null || v === false) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}

export function toDocsRule(rule: Rule): DocsRule {
  const m = rule.match;
  const w = rule.window;
  const conditions = pruneEmpty({
    vendors: m.vendors,
    models: m.models,
    excludeModels: m.excludeModels,
    agentIds: m.agentIds,
    userIds: m.userIds,
    userRoles: m.userRoles,
    teamIds: m.teamIds,
    projectIds: m.projectIds,
    amountCents: m.amountCents ? pruneRange(m.amountCents) : null,
    timeWindow: w?.period,
    schedule: m.schedule,
    forecastPct: w?.forecastPct,
    unknownModel: m.unknownModel,
    requireProjectId: m.requireProjectId,
  });
  const actionConfig: Record<string, unknown> = { ...rule.actionConfig };
  if (w) {
    actionConfig.metric = w.metric;
    actionConfig.thresholdPct = w.thresholdPct;
    if (w.per) actionConfig.per = w.per;
    if (w.limit !== null) {
      if (w.metric === 'cost_cents') actionConfig.limitCents = w.limit;
      else if (w.metric === 'requests') actionConfig.maxTransactions = w.limit;
      else actionConfig.limitTokens = w.limit;
    }
    if (w.maxTransactions !== null) actionConfig.maxTransactions = w.maxTransactions;
  }
  return {
    id: rule.id,
    name: rule.name,
    description: rule.description,
    enabled: rule.enabled,
    priority: rule.priority,
    mode: rule.mode,
    type: rule.type,
    scope: rule.scope,
    scopeId: rule.scopeId,
    conditions,
    action: rule.action,
    actionConfig,
    createdAt: rule.createdAt,
    updatedAt: rule.updatedAt,
  };
}

function pruneRange(r: AmountRange): AmountRange {
  const out: AmountRange = {};
  if (r.min !== undefined) out.min = r.min;
  if (r.max !== undefined) out.max = r.max;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Typed dialect

const typedMetric = z.enum(['cost_usd', 'tokens_in', 'tokens_out', 'tokens_total', 'requests']);
type TypedMetric = z.infer<typeof typedMetric>;
/** Dollars with at most two decimals ($500 = 500, $0.50 = 0.5). */
const threshold = z
  .number('must be a number')
  .positive('must be > 0')
  .max(MAX_CENTS / 100);

const budgetCondition = z.strictObject({
  window: z.enum(PERIODS),
  metric: typedMetric.optional(),
  threshold: threshold.nullish(),
  max_transactions: positiveCount.optional(),
  forecast_pct: percent.optional(),
});
const userLimitCondition = z.strictObject({
  window: z.enum(PERIODS),
  metric: typedMetric.optional(),
  per_user: threshold.nullish(),
  max_transactions: positiveCount.optional(),
  forecast_pct: percent.optional(),
});
const modelFilterCondition = z.strictObject({
  model: z.strictObject({ in: idList.min(1).optional(), not_in: idList.min(1).optional() }),
});
const orgPolicyCondition = z.strictObject({
  require_project_id: z.boolean().optional(),
  block_unknown_models: z.boolean().optional(),
});

const typedSchedule = z.strictObject({
  days_of_week: z.array(day).max(7).optional(),
  hours: z.array(hourRange).max(24).optional(),
});

const typedFilters = z.strictObject({
  vendors: vendorList.optional(),
  models: idList.optional(),
  exclude_models: idList.optional(),
  agent_ids: idList.optional(),
  user_ids: idList.optional(),
  user_roles: idList.optional(),
  team_ids: idList.optional(),
  project_ids: idList.optional(),
  amount_cents: amountRange.optional(),
  schedule: typedSchedule.optional(),
  require_project_id: z.boolean().optional(),
  unknown_model: z.boolean().optional(),
});

const typedActionConfig = z.strictObject({
  message: z.string().max(1000).optional(),
  redirect_url: z.string().max(2000).optional(),
  channels: idList.max(20).optional(),
  threshold_pct: percent.optional(),
  per: z.enum(GROUPS).optional(),
});

const typedRuleSchema = z.strictObject({
  id: z.unknown().optional(),
  created_at: z.unknown().optional(),
  updated_at: z.unknown().optional(),
  name: text(200),
  description: z.string().max(2000).nullish(),
  type: z.enum(RULE_TYPES),
  enabled: z.boolean().optional(),
  mode: z.enum(['enforce', 'shadow']).optional(),
  scope: z.enum(SCOPES).optional(),
  scope_id: idString.nullish(),
  priority: z.int('must be an integer').min(-1_000_000).max(1_000_000).optional(),
  condition: z.record(z.string(), z.unknown()).optional(),
  filters: typedFilters.optional(),
  action: z.enum(ACTIONS),
  action_config: typedActionConfig.optional(),
});

export type TypedRuleInput = z.input<typeof typedRuleSchema>;

/** A rule as the typed dialect shows it. */
export interface TypedRule {
  id: string;
  name: string;
  description: string | null;
  type: RuleType;
  enabled: boolean;
  mode: 'enforce' | 'shadow';
  scope: Scope;
  scope_id: string | null;
  priority: number;
  condition: Record<string, unknown>;
  filters?: Record<string, unknown>;
  action: Action;
  action_config: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

function dollarsToCents(dollars: number, path: string, issues: ValidationIssue[]): number {
  const cents = Math.round(dollars * 100);
  if (Math.abs(dollars * 100 - cents) > 1e-6) {
    issues.push({ path, message: 'must have at most two decimals (dollars and cents)' });
  } else if (cents < 1) {
    // 1e-9 is within the rounding tolerance of 0 cents: a positive limit is at least a cent.
    issues.push({ path, message: 'must be at least 0.01 (one cent)' });
  }
  return cents;
}

function typedWindow(
  cond: z.output<typeof budgetCondition> | z.output<typeof userLimitCondition>,
  limitValue: number | null | undefined,
  limitKey: 'threshold' | 'per_user',
  ac: z.output<typeof typedActionConfig>,
  issues: ValidationIssue[],
): RuleWindow {
  const typed: TypedMetric = cond.metric ?? 'cost_usd';
  const metric: Metric = typed === 'cost_usd' ? 'cost_cents' : typed;
  if (limitValue === undefined && cond.max_transactions === undefined) {
    issues.push({ path: `condition.${limitKey}`, message: 'is required' });
  }
  let limit: number | null = null;
  if (limitValue !== null && limitValue !== undefined) {
    if (metric === 'cost_cents')
      limit = dollarsToCents(limitValue, `condition.${limitKey}`, issues);
    else if (Number.isInteger(limitValue)) limit = limitValue;
    else
      issues.push({
        path: `condition.${limitKey}`,
        message: `must be a whole number of ${metric === 'requests' ? 'requests' : 'tokens'}`,
      });
  }
  if (metric === 'requests' && cond.max_transactions !== undefined) {
    issues.push({
      path: 'condition.max_transactions',
      message: 'does not apply to metric requests (use the limit)',
    });
  }
  return {
    period: cond.window,
    metric,
    limit,
    maxTransactions: metric === 'requests' ? null : (cond.max_transactions ?? null),
    thresholdPct: ac.threshold_pct ?? 100,
    per: ac.per ?? null,
    forecastPct: cond.forecast_pct ?? null,
  };
}

function prefixed(error: z.ZodError, prefix: string): ValidationIssue[] {
  return zodIssues(error).map((i) => ({ ...i, path: i.path ? `${prefix}.${i.path}` : prefix }));
}

export function parseTypedRule(body: unknown, who: RuleIdentity): ParseResult<Rule> {
  const parsed = typedRuleSchema.safeParse(body);
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  const t = parsed.data;
  const ac = t.action_config ?? {};
  const f = t.filters ?? {};
  const issues: ValidationIssue[] = [];
  const match = matchOf({
    vendors: f.vendors,
    models: f.models,
    excludeModels: f.exclude_models,
    agentIds: f.agent_ids,
    userIds: f.user_ids,
    userRoles: f.user_roles,
    teamIds: f.team_ids,
    projectIds: f.project_ids,
    amountCents: f.amount_cents,
    schedule: f.schedule && { daysOfWeek: f.schedule.days_of_week, hours: f.schedule.hours },
    requireProjectId: f.require_project_id,
    unknownModel: f.unknown_model,
  });
  let window: RuleWindow | null = null;
  const condition = t.condition ?? {};
  switch (t.type) {
    case 'budget': {
      const c = budgetCondition.safeParse(condition);
      if (!c.success) return { ok: false, issues: prefixed(c.error, 'condition') };
      window = typedWindow(c.data, c.data.threshold, 'threshold', ac, issues);
      break;
    }
    case 'user_limit': {
      const c = userLimitCondition.safeParse(condition);
      if (!c.success) return { ok: false, issues: prefixed(c.error, 'condition') };
      if (ac.per !== undefined && ac.per !== 'user') {
        issues.push({ path: 'action_config.per', message: 'a user_limit is always per user' });
      }
      window = typedWindow(c.data, c.data.per_user, 'per_user', ac, issues);
      break;
    }
    case 'model_filter': {
      const c = modelFilterCondition.safeParse(condition);
      if (!c.success) return { ok: false, issues: prefixed(c.error, 'condition') };
      const { in: inList, not_in: notIn } = c.data.model;
      if ((inList === undefined) === (notIn === undefined)) {
        issues.push({
          path: 'condition.model',
          message: 'give exactly one of in (blocklist) or not_in (allowlist)',
        });
      }
      if (f.models !== undefined || f.exclude_models !== undefined) {
        issues.push({
          path: 'filters.models',
          message: 'a model_filter lists its models in condition.model',
        });
      }
      match.models = listOrEmpty(inList);
      match.excludeModels = listOrEmpty(notIn);
      break;
    }
    case 'org_policy': {
      const c = orgPolicyCondition.safeParse(condition);
      if (!c.success) return { ok: false, issues: prefixed(c.error, 'condition') };
      if (!c.data.require_project_id && !c.data.block_unknown_models) {
        issues.push({
          path: 'condition',
          message: 'set require_project_id or block_unknown_models',
        });
      }
      if (f.require_project_id !== undefined || f.unknown_model !== undefined) {
        issues.push({
          path: 'filters.require_project_id',
          message: 'an org_policy sets its checks in condition',
        });
      }
      match.requireProjectId = c.data.require_project_id ?? false;
      match.unknownModel = c.data.block_unknown_models ?? false;
      break;
    }
    case 'custom': {
      if (Object.keys(condition).length > 0) {
        issues.push({
          path: 'condition',
          message: 'a custom rule has an empty condition; its conditions are filters',
        });
      }
      break;
    }
  }
  if (window === null && (ac.threshold_pct !== undefined || ac.per !== undefined)) {
    issues.push({
      path: ac.per !== undefined ? 'action_config.per' : 'action_config.threshold_pct',
      message: `does not apply to a ${t.type} rule`,
    });
  }
  if (issues.length > 0) return { ok: false, issues };
  const rule: Rule = {
    id: who.id,
    name: t.name,
    description: t.description ?? null,
    type: t.type,
    enabled: t.enabled ?? true,
    mode: t.mode ?? 'enforce',
    priority: t.priority ?? 0,
    scope: t.scope ?? 'org',
    scopeId: t.scope_id ?? null,
    match,
    window,
    action: t.action,
    actionConfig: actionConfigOf(ac.message, ac.redirect_url, ac.channels),
    createdAt: who.createdAt,
    updatedAt: who.updatedAt ?? who.createdAt,
  };
  return checked(rule, 'typed');
}

export function toTypedRule(rule: Rule): TypedRule {
  const m = rule.match;
  const w = rule.window;
  let condition: Record<string, unknown> = {};
  const filters: Record<string, unknown> = {
    vendors: m.vendors,
    models: m.models,
    exclude_models: m.excludeModels,
    agent_ids: m.agentIds,
    user_ids: m.userIds,
    user_roles: m.userRoles,
    team_ids: m.teamIds,
    project_ids: m.projectIds,
    amount_cents: m.amountCents ? pruneRange(m.amountCents) : null,
    schedule: m.schedule
      ? pruneEmpty({ days_of_week: m.schedule.daysOfWeek, hours: m.schedule.hours })
      : null,
    require_project_id: m.requireProjectId,
    unknown_model: m.unknownModel,
  };
  const actionConfig: Record<string, unknown> = pruneEmpty({
    message: rule.actionConfig.message,
    redirect_url: rule.actionConfig.redirectUrl,
    channels: rule.actionConfig.channels,
  });
  if (w && (rule.type === 'budget' || rule.type === 'user_limit')) {
    const metric = w.metric === 'cost_cents' ? 'cost_usd' : w.metric;
    const limit = w.limit === null ? null : w.metric === 'cost_cents' ? w.limit / 100 : w.limit;
    condition = {
      window: w.period,
      metric,
      [rule.type === 'budget' ? 'threshold' : 'per_user']: limit,
    };
    if (w.maxTransactions !== null) condition.max_transactions = w.maxTransactions;
    if (w.forecastPct !== null) condition.forecast_pct = w.forecastPct;
    actionConfig.threshold_pct = w.thresholdPct;
    if (w.per !== null && rule.type === 'budget') actionConfig.per = w.per;
  } else if (rule.type === 'model_filter') {
    condition = { model: m.models.length > 0 ? { in: m.models } : { not_in: m.excludeModels } };
    filters.models = [];
    filters.exclude_models = [];
  } else if (rule.type === 'org_policy') {
    condition = pruneEmpty({
      require_project_id: m.requireProjectId,
      block_unknown_models: m.unknownModel,
    });
    filters.require_project_id = false;
    filters.unknown_model = false;
  }
  const pruned = pruneEmpty(filters);
  const out: TypedRule = {
    id: rule.id,
    name: rule.name,
    description: rule.description,
    type: rule.type,
    enabled: rule.enabled,
    mode: rule.mode,
    scope: rule.scope,
    scope_id: rule.scopeId,
    priority: rule.priority,
    condition,
    action: rule.action,
    action_config: actionConfig,
    created_at: rule.createdAt,
    updated_at: rule.updatedAt,
  };
  if (Object.keys(pruned).length > 0) out.filters = pruned;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Canonical consistency: the checks both dialects share.

/** The type a docs-dialect rule gets when it does not name one. */
export function inferType(rule: Rule): RuleType {
  const m = rule.match;
  if (rule.window) return 'budget';
  const others =
    m.vendors.length +
      m.agentIds.length +
      m.userIds.length +
      m.userRoles.length +
      m.teamIds.length +
      m.projectIds.length >
      0 ||
    m.amountCents !== null ||
    m.schedule !== null;
  const checks = m.requireProjectId || m.unknownModel;
  const models = m.models.length > 0;
  const excluded = m.excludeModels.length > 0;
  if (!others && checks && !models && !excluded) return 'org_policy';
  if (!others && !checks && models !== excluded) return 'model_filter';
  return 'custom';
}

const dialectPath = {
  docs: {
    window: 'conditions.timeWindow',
    models: 'conditions.models',
    per: 'actionConfig.per',
    scopeId: 'scopeId',
    checks: 'conditions',
  },
  typed: {
    window: 'condition.window',
    models: 'condition.model',
    per: 'action_config.per',
    scopeId: 'scope_id',
    checks: 'condition',
  },
} as const;

function checked(rule: Rule, dialect: 'docs' | 'typed'): ParseResult<Rule> {
  const p = dialectPath[dialect];
  const issues: ValidationIssue[] = [];
  const m = rule.match;
  if (rule.scope !== 'org' && rule.scopeId === null) {
    issues.push({ path: p.scopeId, message: `is required for scope ${rule.scope}` });
  }
  switch (rule.type) {
    case 'budget':
    case 'user_limit':
      if (!rule.window)
        issues.push({ path: p.window, message: `is required for a ${rule.type} rule` });
      if (rule.type === 'user_limit' && rule.window?.per) {
        if (rule.window.per !== 'user')
          issues.push({ path: p.per, message: 'a user_limit is always per user' });
        // Per user is what user_limit means: keep one spelling of it.
        else rule.window.per = null;
      }
      break;
    case 'model_filter':
      if (rule.window)
        issues.push({ path: p.window, message: 'a model_filter has no time window' });
      if (m.models.length > 0 === m.excludeModels.length > 0) {
        issues.push({
          path: p.models,
          message:
            'a model_filter needs exactly one of models (blocklist) or excludeModels (allowlist)',
        });
      }
      break;
    case 'org_policy':
      if (rule.window) issues.push({ path: p.window, message: 'an org_policy has no time window' });
      if (!m.requireProjectId && !m.unknownModel) {
        issues.push({
          path: p.checks,
          message: 'an org_policy needs requireProjectId or unknownModel',
        });
      }
      break;
    case 'custom':
      if (rule.window)
        issues.push({
          path: p.window,
          message: 'a rule with a time window is a budget or user_limit',
        });
      break;
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: rule };
}

// ---------------------------------------------------------------------------------------------
// Partial updates (PUT): shallow merge, one level deep for the nested objects; null removes.

const NESTED = new Set(['conditions', 'actionConfig', 'condition', 'action_config', 'filters']);

const KEEP_NULL = new Set(['description', 'scopeId', 'scope_id']);

/** Drops the keys whose value is null. */
function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(current: Record<string, unknown>, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    const cur = current[k];
    if (NESTED.has(k) && isPlainObject(v) && isPlainObject(cur))
      out[k] = withoutNulls({ ...cur, ...v });
    else out[k] = v;
  }
  return Object.fromEntries(Object.entries(out).filter(([k, v]) => v !== null || KEEP_NULL.has(k)));
}

/** Applies a docs-dialect partial update to a stored rule. */
export function patchDocsRule(rule: Rule, patch: unknown, updatedAt: string): ParseResult<Rule> {
  const { id, createdAt, updatedAt: _previous, ...current } = toDocsRule(rule);
  // A type the rule only has by inference follows its new conditions; a chosen one stays.
  const p = patch as Record<string, unknown> | null;
  if (rule.type === inferType(rule) && !(p && typeof p === 'object' && 'type' in p)) {
    delete (current as Partial<typeof current>).type;
  }
  return parseDocsRule(mergePatch(current, patch), { id, createdAt, updatedAt });
}

/** Applies a typed-dialect partial update to a stored rule. */
export function patchTypedRule(rule: Rule, patch: unknown, updatedAt: string): ParseResult<Rule> {
  const { id, created_at, updated_at: _previous, ...current } = toTypedRule(rule);
  // A new type brings its own condition: the old one would not fit it.
  const p = patch as Record<string, unknown> | null;
  if (p && typeof p === 'object' && 'type' in p && p.type !== rule.type && !('condition' in p)) {
    current.condition = {};
  }
  return parseTypedRule(mergePatch(current, patch), { id, createdAt: created_at, updatedAt });
}

// ---------------------------------------------------------------------------------------------

export function zodIssues(error: z.ZodError): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ path: base ? `${base}.${key}` : key, message: 'is not a known field' });
    } else if (issue.code === 'invalid_union') {
      out.push({ path: base, message: 'is not valid' });
    } else {
      out.push({ path: base, message: issue.message });
    }
  }
  return out;
}

export const ruleSchemas = { docs: docsRuleSchema, typed: typedRuleSchema };
export type { GroupBy };

/** Fields only the typed dialect has (snake_case), and only the docs dialect has. */
const TYPED_ONLY = ['condition', 'action_config', 'filters', 'scope_id'];
const DOCS_ONLY = ['conditions', 'actionConfig', 'scopeId'];

/**
 * Which dialect a rule body is written in: an explicit `dialect`, else the fields only one
 * dialect has, else `type` (required by the typed dialect, optional in the docs one) with the
 * typed actions (`log`, `notify`) or none of the docs fields.
 */
export function dialectOf(body: unknown): 'docs' | 'typed' {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'docs';
  const o = body as Record<string, unknown>;
  if (o.dialect === 'docs' || o.dialect === 'typed') return o.dialect;
  if (DOCS_ONLY.some((k) => k in o)) return 'docs';
  if (TYPED_ONLY.some((k) => k in o)) return 'typed';
  return 'type' in o ? 'typed' : 'docs';
}

/**
 * A rule in either dialect (a draft: backtests), told apart by `dialectOf`. An explicit
 * `dialect` field is taken out before the body is parsed.
 */
export function parseRuleOfEitherDialect(
  body: unknown,
  who: RuleIdentity,
): ParseResult<Rule> & { dialect: 'docs' | 'typed' } {
  const dialect = dialectOf(body);
  let rest = body;
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && 'dialect' in body) {
    const { dialect: _omit, ...others } = body as Record<string, unknown>;
    rest = others;
  }
  const r = dialect === 'docs' ? parseDocsRule(rest, who) : parseTypedRule(rest, who);
  return { ...r, dialect };
}
