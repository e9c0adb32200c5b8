/** Response bodies of agents, keys, the organization and budgets, vendors. */
import { z } from 'zod';
import { PERIODS } from '@reins/engine';
import { cents, docs, instant, jsonObject } from './common.js';

export const Agent = z
  .object({
    agentId: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    vendor: z.string().nullable(),
    monthlyBudgetCents: cents.nullable(),
    metadata: jsonObject,
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'Agent' });

export const CreatedAgent = docs({ agentId: z.string(), createdAt: instant, agent: Agent });
export const UpdatedAgent = docs({ agentId: z.string(), updatedAt: instant, agent: Agent });
export const AgentList = docs({ agents: z.array(Agent), count: z.number().int() });
export const OneAgent = docs({ agent: Agent });
export const DeletedAgent = docs({ agentId: z.string(), deleted: z.literal(true) });

export const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    keyMasked: z.string().describe('rk_<env>_****<last4>'),
    createdAt: instant,
    lastUsedAt: instant.nullable(),
    isActive: z.boolean(),
    revokedAt: instant.nullable(),
    permissions: z.array(z.string()),
  })
  .meta({ id: 'ApiKey' });

export const KeyList = docs({ keys: z.array(ApiKey) });
export const CreatedKey = docs({
  id: z.string(),
  name: z.string(),
  key: z.string().describe('The full key: shown once, never again'),
  keyMasked: z.string(),
  createdAt: instant,
  permissions: z.array(z.string()),
});
export const RevokedKey = docs({ id: z.string(), isActive: z.literal(false), revokedAt: instant });

const periodBudgets = {
  hourlyBudgetCents: cents.nullable(),
  dailyBudgetCents: cents.nullable(),
  weeklyBudgetCents: cents.nullable(),
  monthlyBudgetCents: cents.nullable(),
};

export const Organization = z
  .object({
    id: z.string(),
    name: z.string(),
    timeZone: z.string(),
    defaultAction: z.enum(['pass', 'block']),
    ...periodBudgets,
    policyVersion: z.number().int(),
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'Organization' });
export const OrgBody = docs({ org: Organization });

export const Budget = z
  .object({
    kind: z.enum(['role', 'team', 'project']),
    id: z.string(),
    ...periodBudgets,
    createdAt: instant.nullable(),
    updatedAt: instant.nullable(),
  })
  .meta({ id: 'Budget', description: 'The budget of a user role, team or project, per period' });
export const BudgetList = docs({ budgets: z.array(Budget), count: z.number().int() });
export const OneBudget = docs({ budget: Budget });
export const DeletedBudget = docs({
  kind: z.enum(['role', 'team', 'project']),
  id: z.string(),
  deleted: z.literal(true),
});

const periodSpend = z.object(
  Object.fromEntries(PERIODS.map((p) => [p, cents])) as Record<
    (typeof PERIODS)[number],
    typeof cents
  >,
);
const span = z.object({ startDate: instant, endDate: instant });
export const BudgetUsageBody = docs({
  usage: z.object({
    timeZone: z.string(),
    windows: z.object({ hourly: span, daily: span, weekly: span, monthly: span }),
    org: periodSpend,
    teams: z.record(z.string(), periodSpend),
    projects: z.record(z.string(), periodSpend),
    agents: z.record(z.string(), periodSpend),
  }),
});

export const Vendor = z
  .object({
    vendor: z.string(),
    name: z.string(),
    enabled: z.boolean(),
    rateLimitRpm: z.number().int().nullable(),
    updatedAt: instant.nullable(),
  })
  .meta({ id: 'Vendor' });
export const VendorList = docs({ vendors: z.array(Vendor), count: z.number().int() });
export const OneVendor = docs({ vendor: Vendor });

const usd = z.number().nullable();
export const PriceOverride = z
  .object({
    id: z.string(),
    vendor: z.string(),
    model: z.string(),
    inputPerMtokUsd: usd,
    outputPerMtokUsd: usd,
    cacheReadPerMtokUsd: usd,
    cacheWritePerMtokUsd: usd,
    perRequestUsd: usd,
    effectiveFrom: instant,
    effectiveTo: instant.nullable(),
    createdAt: instant,
  })
  .meta({ id: 'PriceOverride' });
export const PriceOverrideList = docs({
  vendor: z.string(),
  overrides: z.array(PriceOverride),
  count: z.number().int(),
});
export const CreatedPriceOverride = docs({ override: PriceOverride });

export const VendorPrices = docs({
  vendor: z.string(),
  at: instant,
  priceVersion: z.string(),
  models: z.array(
    z.object({
      model: z.string(),
      name: z.string().nullable(),
      inputPerMtokUsd: z.number().nullable().describe('Dollars per million input tokens'),
      outputPerMtokUsd: z.number().nullable(),
      cacheReadPerMtokUsd: z
        .number()
        .optional()
        .describe('Absent: cached input costs the input price'),
      cacheWritePerMtokUsd: z.number().optional(),
      perRequestUsd: z.number().optional(),
      tiers: z
        .array(
          z.object({
            aboveInputTokens: z.number().int(),
            inputPerMtokUsd: z.number().optional(),
            outputPerMtokUsd: z.number().optional(),
            cacheReadPerMtokUsd: z.number().optional(),
            cacheWritePerMtokUsd: z.number().optional(),
          }),
        )
        .optional()
        .describe('Long-context prices by input size'),
      deprecated: z.boolean(),
      source: z.string(),
      overriddenBy: z.string().nullable(),
    }),
  ),
  overrides: z
    .array(PriceOverride.extend({ source: z.literal('override') }))
    .describe('The overrides in force at `at`, latest start first (the first listed wins)'),
});
