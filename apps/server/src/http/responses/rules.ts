import { z } from 'zod';
import { ACTIONS, GROUPS, PERIODS, RULE_TYPES, SCOPES } from '@reins/engine';
import { docs, instant } from './common.js';

/** A budget a window rule waits for (or its own missing limit). */
export const RuleWarning = z
  .object({
    code: z.enum(['BUDGET_MISSING', 'LIMIT_MISSING']),
    kind: z.enum(['org', 'agent', 'role', 'team', 'project', 'limit']),
    id: z.string().nullable(),
    period: z.enum(PERIODS),
    message: z.string(),
  })
  .meta({ id: 'RuleWarning', description: 'A budget the rule waits for before it can ever match' });

const range = z.object({ min: z.number().int().optional(), max: z.number().int().optional() });

/** A policy rule in the docs dialect (`/api/policy-rules`). */
export const PolicyRule = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    enabled: z.boolean(),
    priority: z.number().int(),
    mode: z.enum(['enforce', 'shadow']),
    type: z.enum(RULE_TYPES),
    scope: z.enum(SCOPES),
    scopeId: z.string().nullable(),
    conditions: z.looseObject({
      vendors: z.array(z.string()).optional(),
      models: z.array(z.string()).optional(),
      excludeModels: z.array(z.string()).optional(),
      agentIds: z.array(z.string()).optional(),
      userIds: z.array(z.string()).optional(),
      userRoles: z.array(z.string()).optional(),
      teamIds: z.array(z.string()).optional(),
      projectIds: z.array(z.string()).optional(),
      amountCents: range.optional(),
      timeWindow: z.enum(PERIODS).optional(),
      schedule: z
        .object({
          daysOfWeek: z.array(z.number().int()).optional(),
          hours: z.array(z.string()).optional(),
        })
        .optional(),
      forecastPct: z.number().optional(),
      unknownModel: z.boolean().optional(),
      requireProjectId: z.boolean().optional(),
    }),
    action: z.enum(ACTIONS),
    actionConfig: z.looseObject({
      message: z.string().optional(),
      redirectUrl: z.string().optional(),
      channels: z.array(z.string()).optional(),
      metric: z.string().optional(),
      thresholdPct: z.number().optional(),
      per: z.enum(GROUPS).optional(),
      limitCents: z.number().int().optional(),
      limitTokens: z.number().int().optional(),
      maxTransactions: z.number().int().optional(),
    }),
    createdAt: instant,
    updatedAt: instant,
    warnings: z.array(RuleWarning),
  })
  .meta({ id: 'PolicyRule', description: 'A policy rule (docs dialect)' });

/** The same rule in the typed dialect (`/api/v1/rules`, snake_case). */
export const TypedRule = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    type: z.enum(RULE_TYPES),
    enabled: z.boolean(),
    mode: z.enum(['enforce', 'shadow']),
    scope: z.enum(SCOPES),
    scope_id: z.string().nullable(),
    priority: z.number().int(),
    condition: z
      .record(z.string(), z.unknown())
      .describe(
        'Per type: budget {window, metric, threshold}, model_filter {model: {in | not_in}}, user_limit {window, metric, per_user}, org_policy {require_project_id, block_unknown_models}',
      ),
    filters: z.record(z.string(), z.unknown()).optional(),
    action: z.enum(ACTIONS),
    action_config: z.record(z.string(), z.unknown()),
    created_at: instant,
    updated_at: instant,
    warnings: z.array(RuleWarning),
  })
  .meta({ id: 'TypedRule', description: 'A rule (typed dialect)' });

export const CreatedPolicyRule = docs({
  id: z.string(),
  name: z.string(),
  priority: z.number().int(),
  createdAt: instant,
  rule: PolicyRule,
  warnings: z.array(RuleWarning),
});

export const UpdatedPolicyRule = docs({
  id: z.string(),
  updatedAt: instant,
  rule: PolicyRule,
  warnings: z.array(RuleWarning),
});

export const PolicyRuleList = docs({ rules: z.array(PolicyRule), count: z.number().int() });
export const OnePolicyRule = docs({ rule: PolicyRule });
export const TypedRuleList = z.object({ object: z.literal('list'), data: z.array(TypedRule) });

const hitCounts = {
  hits: z.number().int(),
  blocked: z.number().int(),
  flagged: z.number().int(),
  warned: z.number().int(),
  amountCents: z.number().int(),
};
export const RuleHitsBody = docs({
  hits: z.object({
    ruleId: z.string(),
    timeZone: z.string(),
    startDate: instant,
    endDate: instant,
    days: z.array(z.object({ date: z.string(), ...hitCounts })),
    totals: z.object(hitCounts),
  }),
});

const tally = z.looseObject({ transactions: z.number().int(), spendCents: z.number() });
const tallyWithExamples = tally.extend({ examples: z.array(z.string()) });

export const Backtest = z
  .object({
    id: z.string(),
    status: z.enum(['queued', 'running', 'done', 'failed']),
    startDate: instant,
    endDate: instant,
    ruleCount: z.number().int(),
    progress: z.object({
      processed: z.number().int(),
      total: z.number().int().nullable(),
      pct: z.number().nullable(),
    }),
    result: z
      .looseObject({
        periodStart: instant,
        periodEnd: instant,
        replayedFrom: instant,
        transactions: z.number().int(),
        spendCents: z.number(),
        warmupTransactions: z.number().int(),
        rules: z.array(z.record(z.string(), z.unknown())),
        wouldHave: z.record(z.string(), tally),
        actually: z.record(z.string(), tally),
        difference: z.looseObject({
          newlyBlocked: tallyWithExamples,
          newlyAdmitted: tallyWithExamples,
          actionChanged: tallyWithExamples,
          preventedSpendCents: z.number(),
          addedSpendCents: z.number(),
        }),
      })
      .nullable(),
    error: z.string().nullable(),
    createdAt: instant,
    startedAt: instant.nullable(),
    finishedAt: instant.nullable(),
  })
  .meta({ id: 'Backtest' });

export const BacktestBody = docs({ backtest: Backtest });
