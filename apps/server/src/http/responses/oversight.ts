/** Response bodies of the audit log, alerts, analytics, notification channels and the SDK state. */
import { z } from 'zod';
import { cents, docs, instant, jsonObject, nextCursor } from './common.js';

export const AuditEvent = z
  .object({
    id: z.string(),
    eventType: z.string(),
    occurredAt: instant,
    actor: z.string(),
    entityType: z.string(),
    entityId: z.string(),
    metadata: jsonObject,
  })
  .meta({ id: 'AuditEvent' });

export const AuditLog = docs({
  events: z.array(AuditEvent),
  count: z.number().int(),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  nextCursor,
});

const Checkpoint = z.object({ seq: z.number().int(), hash: z.string(), verifiedAt: instant });
const verifyFields = {
  valid: z.boolean(),
  checked: z.number().int(),
  headSeq: z.number().int(),
  from: z.number().int(),
  firstBrokenLink: z
    .object({ seq: z.number().int(), eventId: z.string().nullable(), reason: z.string() })
    .nullable(),
  checkpoint: Checkpoint.nullable(),
};
export const AuditVerify = docs({ ...verifyFields, complete: z.boolean() });

export const AuditVerification = z
  .object({
    id: z.string(),
    status: z.enum(['queued', 'running', 'done', 'failed']),
    progress: z.object({
      checked: z.number().int(),
      total: z.number().int().nullable(),
      pct: z.number().nullable(),
    }),
    result: z.object(verifyFields).nullable(),
    error: z.string().nullable(),
    createdAt: instant,
    startedAt: instant.nullable(),
    finishedAt: instant.nullable(),
  })
  .meta({ id: 'AuditVerification' });
export const AuditVerificationBody = docs({ verification: AuditVerification });

export const Delivery = z
  .object({
    id: z.string(),
    channelId: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    deliveredAt: instant.nullable(),
    nextAttemptAt: instant.nullable(),
  })
  .meta({ id: 'Delivery', description: 'A notification sent (or being sent) through a channel' });

export const PolicyAlert = z
  .object({
    id: z.string(),
    ruleId: z.string().nullable(),
    ruleName: z.string().nullable(),
    action: z.string(),
    message: z.string(),
    transactionId: z.string().nullable(),
    agentId: z.string().nullable(),
    groupValue: z.string().nullable(),
    timeWindow: z.string().nullable(),
    windowStart: instant.nullable(),
    thresholdPct: z.number().nullable(),
    limit: z.number().nullable(),
    current: z.number().nullable(),
    unit: z.string().nullable(),
    read: z.boolean(),
    readAt: instant.nullable(),
    createdAt: instant,
    deliveries: z.array(Delivery),
  })
  .meta({ id: 'PolicyAlert' });

export const AlertList = docs({
  alerts: z.array(PolicyAlert),
  count: z.number().int(),
  total: z.number().int(),
  nextCursor,
});
export const OneAlert = docs({ alert: PolicyAlert });
export const AlertRead = docs({ id: z.string(), read: z.literal(true) });

const byKey = z.record(z.string(), cents);
const counts = {
  transactionCount: z.number().int(),
  blockedCount: z.number().int(),
  flaggedCount: z.number().int(),
  warnedCount: z.number().int(),
};
export const AnalyticsSummary = docs({
  period: z.string(),
  agentId: z.string().optional(),
  timeZone: z.string(),
  startDate: instant,
  endDate: instant,
  totalSpendCents: cents,
  totalSpendMicros: z.number().int(),
  byVendor: byKey,
  byAgent: byKey,
  byModel: byKey,
  byUser: byKey,
  ...counts,
  tokensIn: z.number().int(),
  tokensOut: z.number().int(),
  shadow: z.object({
    wouldBlock: z.number().int(),
    wouldWarn: z.number().int(),
    wouldFlag: z.number().int(),
  }),
  groupBy: z.string().optional(),
  series: z.array(z.object({ start: instant, spendCents: cents, ...counts })).optional(),
});

export const AnalyticsForecast = docs({
  period: z.string(),
  agentId: z.string().optional(),
  timeZone: z.string(),
  periodStart: instant,
  periodEnd: instant,
  totalSpendCents: cents,
  projectedSpendCents: cents,
  budgetCents: cents.nullable(),
  budgetUtilizationPct: z.number().nullable(),
  burnRateCentsPerDay: z.number(),
  runsOutAt: instant.nullable(),
  budgetExhausted: z.boolean(),
  method: z.string(),
});

export const AnalyticsAnomalies = docs({
  hours: z.number().int(),
  method: z.string(),
  anomalies: z.array(
    z.object({
      agentId: z.string(),
      metric: z.enum(['spend', 'requests']),
      windowStart: instant,
      windowEnd: instant,
      observed: z.number(),
      expected: z.number(),
      score: z.number(),
      baselineDays: z.number().int(),
    }),
  ),
});

const channelFields = {
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  createdAt: instant,
  updatedAt: instant,
};
export const NotificationChannel = z
  .discriminatedUnion('type', [
    z.object({
      ...channelFields,
      type: z.literal('webhook'),
      url: z.string(),
      secret: z
        .string()
        .optional()
        .describe('The HMAC signing secret: only in the answer that set it'),
      secretMasked: z.string(),
    }),
    z.object({ ...channelFields, type: z.literal('slack'), urlMasked: z.string() }),
    z.object({ ...channelFields, type: z.literal('email'), addresses: z.array(z.string()) }),
  ])
  .meta({ id: 'NotificationChannel' });
export const ChannelList = docs({
  channels: z.array(NotificationChannel),
  count: z.number().int(),
});
export const OneChannel = docs({ channel: NotificationChannel });
export const ChannelTest = docs({ delivery: Delivery });
export const ChannelDeliveries = docs({
  deliveries: z.array(Delivery.extend({ alertId: z.string().nullable(), test: z.boolean() })),
});

const windowTotals = {
  costMicros: z.number().int(),
  tokensIn: z.number().int(),
  tokensOut: z.number().int(),
  requests: z.number().int(),
};
export const SdkStateBody = docs({
  version: z.number().int(),
  serverTime: instant,
  priceDataVersion: z.string(),
  org: z.object({
    timeZone: z.string(),
    defaultAction: z.enum(['pass', 'block']),
    budgets: z.record(z.string(), cents),
  }),
  rules: z.array(jsonObject).describe('The canonical rules the engine evaluates'),
  agentBudgets: z.record(z.string(), cents),
  budgets: z.object({
    roles: z.record(z.string(), jsonObject),
    teams: z.record(z.string(), jsonObject),
    projects: z.record(z.string(), jsonObject),
  }),
  vendors: z.record(z.string(), jsonObject),
  overrides: z.array(jsonObject),
  windows: z.array(
    z.object({
      key: z.string(),
      period: z.string(),
      per: z.string(),
      group: z.string(),
      start: instant,
      end: instant,
      ...windowTotals,
    }),
  ),
  truncated: z.boolean(),
  rateLimits: z.array(
    z.object({ vendor: z.string(), start: instant, end: instant, requests: z.number().int() }),
  ),
});
