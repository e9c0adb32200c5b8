/**
 * Budgets of user roles, teams and projects (`/api/budgets/:kind/:id`, kind `roles`, `teams` or
 * `projects`): the limits of window rules that name none — a rule naming `userRoles` takes its
 * role's budget per user, a team- or project-scoped (or per-team, per-project) rule its team's or
 * project's. Each budget has up to one amount per period. Changes are policy changes: audited,
 * and every process evaluates with them from its next batch.
 */
import { z } from 'zod';
import { Budget, Organization } from '@reins/db';
import { PERIODS, windowBounds, type Period } from '@reins/engine';
import { readSpend } from '@reins/ledger';
import type { Ctx } from '../core.js';
import { NotFound, ValidationError } from '../errors.js';
import {
  BUDGET_KINDS,
  budgetKindPath,
  budgetSubject,
  listBudgetsInput,
  putBudgetInput,
  type BudgetKind,
} from '../schemas/budgets.js';
import { parseInput } from '../schemas/common.js';
import { audit } from './audit.js';
import { requirePermission } from './auth.js';
import { beginPolicyChange } from './policyChange.js';

export interface BudgetView {
  kind: BudgetKind;
  id: string;
  hourlyBudgetCents: number | null;
  dailyBudgetCents: number | null;
  weeklyBudgetCents: number | null;
  monthlyBudgetCents: number | null;
  createdAt: string | null;
  updatedAt: string | null;
}

const PERIOD_FIELDS = [
  'hourlyBudgetCents',
  'dailyBudgetCents',
  'weeklyBudgetCents',
  'monthlyBudgetCents',
] as const;

function view(kind: BudgetKind, id: string, b: Budget | null): BudgetView {
  return {
    kind,
    id,
    hourlyBudgetCents: b?.hourlyBudgetCents ?? null,
    dailyBudgetCents: b?.dailyBudgetCents ?? null,
    weeklyBudgetCents: b?.weeklyBudgetCents ?? null,
    monthlyBudgetCents: b?.monthlyBudgetCents ?? null,
    createdAt: b ? b.createdAt.toISOString() : null,
    updatedAt: b ? b.updatedAt.toISOString() : null,
  };
}

/** The kind and the stored subject of `/:kind/:id` (roles compare case-insensitively). */
const pathParams = z.strictObject({ kind: budgetKindPath, id: budgetSubject });

function subjectOf(rawKind: string, rawId: string): { kind: BudgetKind; subject: string } {
  const p = parseInput(pathParams, { kind: rawKind, id: rawId });
  const kind = BUDGET_KINDS[p.kind];
  return { kind, subject: kind === 'role' ? p.id.toLowerCase() : p.id };
}

/** GET /api/budgets */
export async function listBudgets(ctx: Ctx, raw: unknown = {}) {
  requirePermission(ctx, 'policies:read');
  const q = parseInput(listBudgetsInput, raw);
  const rows = await ctx.em.find(
    Budget,
    { orgId: ctx.orgId, ...(q.kind ? { kind: BUDGET_KINDS[q.kind] } : {}) },
    { orderBy: { kind: 'asc', subject: 'asc' } },
  );
  const budgets = rows.map((b) => view(b.kind, b.subject, b));
  return { budgets, count: budgets.length };
}

/** Spent in each of the current windows (cents), by period. */
export type PeriodSpend = Record<Period, number>;

export interface BudgetUsage {
  timeZone: string;
  /** The current window of each period, in the organization's time zone. */
  windows: Record<Period, { startDate: string; endDate: string }>;
  org: PeriodSpend;
  /** By team, project and agent id: each that spent in the current month (others spent 0). */
  teams: Record<string, PeriodSpend>;
  projects: Record<string, PeriodSpend>;
  agents: Record<string, PeriodSpend>;
}

/**
 * GET /api/budgets/usage: what the organization, each team, project and agent has spent in the
 * current hourly, daily, weekly and monthly windows (the org's time zone) — recorded spend from
 * the rollups plus what they have not absorbed, as analytics reads it; open reservations' holds
 * are not spend yet. Role budgets apply per user: their use is each user's (analytics by user).
 */
export async function budgetUsage(ctx: Ctx): Promise<BudgetUsage> {
  requirePermission(ctx, 'policies:read');
  const org = await ctx.em.findOne(Organization, { id: ctx.orgId });
  if (!org) throw new NotFound('organization', ctx.orgId);
  const now = ctx.core.clock();
  const zero = (): PeriodSpend => ({ hourly: 0, daily: 0, weekly: 0, monthly: 0 });
  const out: BudgetUsage = {
    timeZone: org.timeZone,
    windows: {} as BudgetUsage['windows'],
    org: zero(),
    teams: {},
    projects: {},
    agents: {},
  };
  const groups = { team_id: out.teams, project_id: out.projects, agent_id: out.agents } as const;
  for (const period of PERIODS) {
    const b = windowBounds(period, now, org.timeZone);
    out.windows[period] = { startDate: b.startIso, endDate: b.endIso };
    const spend = await readSpend(
      ctx.core.orm,
      ctx.orgId,
      { from: new Date(b.start), to: new Date(b.end) },
      ['team_id', 'project_id', 'agent_id'],
    );
    out.org[period] = spend.totals.spend_cents;
    for (const [dim, into] of Object.entries(groups) as [
      keyof typeof groups,
      Record<string, PeriodSpend>,
    ][]) {
      for (const [id, totals] of spend.by[dim] ?? []) {
        if (id === '') continue;
        (into[id] ??= zero())[period] = totals.spend_cents;
      }
    }
  }
  return out;
}

/** GET /api/budgets/:kind/:id */
export async function getBudget(ctx: Ctx, rawKind: string, rawId: string) {
  requirePermission(ctx, 'policies:read');
  const { kind, subject } = subjectOf(rawKind, rawId);
  const row = await ctx.em.findOne(Budget, { orgId: ctx.orgId, kind, subject });
  if (!row) throw new NotFound('Budget', `${rawKind}/${rawId}`);
  return { budget: view(kind, subject, row) };
}

/**
 * PUT /api/budgets/:kind/:id: sets the periods the body names (null clears one), keeps the
 * others. A budget left without any period is removed.
 */
export async function putBudget(ctx: Ctx, rawKind: string, rawId: string, raw: unknown) {
  requirePermission(ctx, 'policies:write');
  const { kind, subject } = subjectOf(rawKind, rawId);
  const { kind: echoedKind, id: echoedId, ...input } = parseInput(putBudgetInput, raw);
  if (echoedKind !== undefined && echoedKind !== kind && echoedKind !== rawKind) {
    throw ValidationError.of('kind', 'is named by the URL and cannot change');
  }
  if (echoedId !== undefined && echoedId !== rawId && echoedId !== subject) {
    throw ValidationError.of('id', 'is named by the URL and cannot change');
  }
  const nowMs = ctx.core.clock();
  const now = new Date(nowMs);
  const budget = await ctx.em.transactional(async (em) => {
    const change = await beginPolicyChange(em, ctx.orgId, nowMs);
    const row = await em.findOne(Budget, { orgId: ctx.orgId, kind, subject });
    const before = view(kind, subject, row);
    const after: BudgetView = { ...before };
    for (const f of PERIOD_FIELDS) if (input[f] !== undefined) after[f] = input[f];
    const changed = PERIOD_FIELDS.filter((f) => after[f] !== before[f]);
    if (changed.length === 0) return before;
    const empty = PERIOD_FIELDS.every((f) => after[f] === null);
    const periods = Object.fromEntries(PERIOD_FIELDS.map((f) => [f, after[f]]));
    // Native writes: the stored instants are the server clock's, not the unit of work's.
    const key = { orgId: ctx.orgId, kind, subject };
    if (empty) await em.nativeDelete(Budget, key);
    else if (row) await em.nativeUpdate(Budget, key, { ...periods, updatedAt: now });
    else await em.insert(Budget, { ...key, ...periods, createdAt: now, updatedAt: now });
    await audit(em, {
      orgId: ctx.orgId,
      eventType: empty ? 'budget.deleted' : 'budget.updated',
      actor: ctx.actor,
      entityType: 'budget',
      entityId: `${kind}:${subject}`,
      occurredAt: now,
      metadata: {
        kind,
        id: subject,
        before: Object.fromEntries(PERIOD_FIELDS.map((f) => [f, before[f]])),
        after: Object.fromEntries(PERIOD_FIELDS.map((f) => [f, after[f]])),
      },
    });
    await change.commit();
    return empty
      ? { ...after, createdAt: null, updatedAt: null }
      : {
          ...after,
          createdAt: before.createdAt ?? now.toISOString(),
          updatedAt: now.toISOString(),
        };
  });
  return { budget };
}

/** DELETE /api/budgets/:kind/:id */
export async function deleteBudget(ctx: Ctx, rawKind: string, rawId: string) {
  requirePermission(ctx, 'policies:write');
  const { kind, subject } = subjectOf(rawKind, rawId);
  const nowMs = ctx.core.clock();
  await ctx.em.transactional(async (em) => {
    const change = await beginPolicyChange(em, ctx.orgId, nowMs);
    const row = await em.findOne(Budget, { orgId: ctx.orgId, kind, subject });
    if (!row) throw new NotFound('Budget', `${rawKind}/${rawId}`);
    const before = view(kind, subject, row);
    await em.nativeDelete(Budget, { orgId: ctx.orgId, kind, subject });
    await audit(em, {
      orgId: ctx.orgId,
      eventType: 'budget.deleted',
      actor: ctx.actor,
      entityType: 'budget',
      entityId: `${kind}:${subject}`,
      occurredAt: new Date(nowMs),
      metadata: {
        kind,
        id: subject,
        before: Object.fromEntries(PERIOD_FIELDS.map((f) => [f, before[f]])),
      },
    });
    await change.commit();
  });
  return { kind, id: subject, deleted: true as const };
}
