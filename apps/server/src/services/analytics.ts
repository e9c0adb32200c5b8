/**
 * Analytics: spend summaries, the end-of-period forecast and anomalies, read from the rollups
 * the worker keeps (@reins/ledger's rollups.ts) plus what it has not absorbed yet — so a summary
 * equals a direct sum over the transactions at any moment. Periods are the org's calendar
 * windows (its time zone), the same ones its budgets and window rules use; transactions fall in
 * a period by `occurredAt`.
 */
import { Agent, Organization } from '@reins/db';
import { fromLocal, projectSpend, windowBounds, type Period } from '@reins/engine';
import { findAnomalies, readSeries, readSpend, type SpendRange, type Totals } from '@reins/ledger';
import type { Ctx } from '../core.js';
import { NotFound, ValidationError } from '../errors.js';
import {
  anomaliesInput,
  forecastInput,
  summaryInput,
  type AnomaliesInput,
  type ForecastInput,
  type SummaryInput,
} from '../schemas/analytics.js';
import { parseInput } from '../schemas/common.js';
import { requirePermission } from './auth.js';

const DAY = 86_400_000;
const QUARTER = 900_000;
/** Longest custom range, and longest one with an hourly series (its length bounds the answer). */
const MAX_RANGE_DAYS = 366;
const MAX_HOURLY_DAYS = 31;

async function orgOf(ctx: Ctx): Promise<Organization> {
  const org = await ctx.em.findOne(Organization, { id: ctx.orgId });
  if (!org) throw new NotFound('organization', ctx.orgId);
  return org;
}

function localMidnight(timeZone: string, ymd: string): number {
  return fromLocal(timeZone, Date.parse(`${ymd}T00:00:00Z`));
}

interface ResolvedRange extends SpendRange {
  period: Period | 'custom';
}

function rangeOf(input: SummaryInput, timeZone: string, nowMs: number): ResolvedRange {
  if (input.startDate === undefined && input.endDate === undefined) {
    const period = input.period ?? 'monthly';
    const b = windowBounds(period, nowMs, timeZone);
    return { period, from: new Date(b.start), to: new Date(b.end) };
  }
  if (input.period !== undefined) {
    throw new ValidationError([
      { path: 'period', message: 'give either period or startDate/endDate, not both' },
    ]);
  }
  if (input.startDate === undefined || input.endDate === undefined) {
    const missing = input.startDate === undefined ? 'startDate' : 'endDate';
    throw new ValidationError([
      { path: missing, message: 'startDate and endDate go together (endDate included)' },
    ]);
  }
  if (input.endDate < input.startDate) {
    throw new ValidationError([{ path: 'endDate', message: 'must not be before startDate' }]);
  }
  const from = localMidnight(timeZone, input.startDate);
  const next = new Date(Date.parse(`${input.endDate}T00:00:00Z`) + DAY).toISOString().slice(0, 10);
  const to = localMidnight(timeZone, next);
  if ((to - from) / DAY > MAX_RANGE_DAYS + 1) {
    throw new ValidationError([
      { path: 'endDate', message: `a range is at most ${String(MAX_RANGE_DAYS)} days` },
    ]);
  }
  if (from % QUARTER !== 0 || to % QUARTER !== 0) {
    // Only historic local-mean-time offsets are not quarter hours; refused, not guessed.
    throw new ValidationError([
      { path: 'startDate', message: `midnight in ${timeZone} is not on a quarter hour then` },
    ]);
  }
  return { period: 'custom', from: new Date(from), to: new Date(to) };
}

/** `{key: cents}` of one breakdown, largest first, without the '' of absent values. */
function centsBy(m: Map<string, Totals> | undefined): Record<string, number> {
  const entries = [...(m ?? new Map<string, Totals>()).entries()]
    .filter(([k]) => k !== '')
    .sort((a, b) => b[1].spend_cents - a[1].spend_cents || a[0].localeCompare(b[0]));
  return Object.fromEntries(entries.map(([k, t]) => [k, t.spend_cents]));
}

export async function analyticsSummary(ctx: Ctx, raw: unknown) {
  requirePermission(ctx, 'analytics:read');
  const input = parseInput(summaryInput, raw);
  const org = await orgOf(ctx);
  const range = rangeOf(input, org.timeZone, ctx.core.clock());
  if (
    input.groupBy === 'hour' &&
    range.to.getTime() - range.from.getTime() > MAX_HOURLY_DAYS * DAY
  ) {
    throw new ValidationError([
      {
        path: 'groupBy',
        message: `an hourly series covers at most ${String(MAX_HOURLY_DAYS)} days`,
      },
    ]);
  }
  const orm = ctx.core.orm;
  const filter = { agentId: input.agentId };
  const spend = await readSpend(
    orm,
    ctx.orgId,
    range,
    ['vendor', 'agent_id', 'model', 'user_id'],
    filter,
  );
  const t = spend.totals;
  const series =
    input.groupBy === undefined
      ? undefined
      : (await readSeries(orm, ctx.orgId, range, input.groupBy, org.timeZone, filter)).map((p) => ({
          start: p.start.toISOString(),
          spendCents: p.spend_cents,
          transactionCount: p.requests,
          blockedCount: p.blocked,
          flaggedCount: p.flagged,
          warnedCount: p.warned,
        }));
  return {
    period: range.period,
    timeZone: org.timeZone,
    startDate: range.from.toISOString(),
    endDate: range.to.toISOString(),
    ...(input.agentId !== undefined ? { agentId: input.agentId } : {}),
    totalSpendCents: t.spend_cents,
    totalSpendMicros: t.spend_micros,
    byVendor: centsBy(spend.by.vendor),
    byAgent: centsBy(spend.by.agent_id),
    byModel: centsBy(spend.by.model),
    byUser: centsBy(spend.by.user_id),
    transactionCount: t.requests,
    blockedCount: t.blocked,
    flaggedCount: t.flagged,
    warnedCount: t.warned,
    tokensIn: t.tokens_in,
    tokensOut: t.tokens_out,
    /** What rules in shadow mode would have done. */
    shadow: { wouldBlock: t.would_block, wouldWarn: t.would_warn, wouldFlag: t.would_flag },
    ...(series ? { groupBy: input.groupBy, series } : {}),
  };
}

const BUDGET_FIELD = {
  hourly: 'hourlyBudgetCents',
  daily: 'dailyBudgetCents',
  weekly: 'weeklyBudgetCents',
  monthly: 'monthlyBudgetCents',
} as const;

export async function analyticsForecast(ctx: Ctx, raw: unknown) {
  requirePermission(ctx, 'analytics:read');
  const input: ForecastInput = parseInput(forecastInput, raw);
  const org = await orgOf(ctx);
  const period = input.period ?? 'monthly';
  const now = ctx.core.clock();
  const b = windowBounds(period, now, org.timeZone);
  let budget: number | null;
  if (input.agentId === undefined) {
    budget = org[BUDGET_FIELD[period]] ?? null;
  } else {
    // Agents have a monthly budget (the agents API); no other period.
    const agent = await ctx.em.findOne(Agent, { orgId: ctx.orgId, agentId: input.agentId });
    budget = period === 'monthly' ? (agent?.monthlyBudgetCents ?? null) : null;
  }
  const spend = await readSpend(
    ctx.core.orm,
    ctx.orgId,
    { from: new Date(b.start), to: new Date(b.end) },
    [],
    { agentId: input.agentId },
  );
  const p = projectSpend(spend.totals.spend_cents, b, now, budget);
  return {
    period,
    ...(input.agentId !== undefined ? { agentId: input.agentId } : {}),
    timeZone: org.timeZone,
    periodStart: b.startIso,
    periodEnd: b.endIso,
    totalSpendCents: p.spent,
    projectedSpendCents: p.projected,
    budgetCents: p.budget,
    budgetUtilizationPct: p.utilizationPct,
    burnRateCentsPerDay: p.burnPerDay,
    /** When the budget runs out at this rate, if within the period; null otherwise. */
    runsOutAt: p.runsOutAtMs === null ? null : new Date(p.runsOutAtMs).toISOString(),
    budgetExhausted: p.exhausted,
    method: 'linear' as const,
  };
}

export async function analyticsAnomalies(ctx: Ctx, raw: unknown) {
  requirePermission(ctx, 'analytics:read');
  const input: AnomaliesInput = parseInput(anomaliesInput, raw);
  const hours = input.hours ?? 24;
  const anomalies = await findAnomalies(ctx.core.orm, ctx.orgId, ctx.core.clock(), {
    hours,
    agentId: input.agentId,
  });
  return {
    hours,
    method: 'robust-z-seasonal' as const,
    anomalies,
  };
}
