/**
 * Backtests (issue 15): a draft rule set, in either dialect, replayed over a past period of the
 * organization's recorded transactions by the `backtest` job (`@reins/jobs`). Starting one
 * validates the rules and stores them canonical, with what the evaluations will read besides
 * them (time zone, default action, the budgets of now); reading one shows its progress and
 * result.
 */
import { Backtest } from '@reins/db';
import { parseRuleOfEitherDialect, type Rule, type ValidationIssue } from '@reins/engine';
import type { BacktestResult, BacktestSettings } from '@reins/jobs';
import { newId, sqlOf } from '@reins/ledger';
import type { Ctx } from '../core.js';
import { NotFound, ValidationError } from '../errors.js';
import { parseInput } from '../schemas/common.js';
import { MAX_BACKTEST_DAYS, startBacktestInput } from '../schemas/rules.js';
import { audit } from './audit.js';
import { requirePermission } from './auth.js';
import { currentBudgets } from './rules.js';
import { draftRuleId } from '@reins/jobs';

export type BacktestStatus = 'queued' | 'running' | 'done' | 'failed';

/** A backtest as the API shows it. */
export interface BacktestView {
  id: string;
  status: BacktestStatus;
  startDate: string;
  endDate: string;
  ruleCount: number;
  progress: {
    /** Transactions of the period replayed so far. */
    processed: number;
    /** Transactions in the period (null until the replay starts). */
    total: number | null;
    /** 0–100 (null until the replay starts). */
    pct: number | null;
  };
  /** Set when `status` is `done`. */
  result: BacktestResult | null;
  /** Set when `status` is `failed`. */
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const isoOrNull = (d: Date | null | undefined) => (d ? d.toISOString() : null);

function view(row: Backtest): BacktestView {
  const total = row.total ?? null;
  return {
    id: row.id,
    status: row.status as BacktestStatus,
    startDate: row.periodStart.toISOString(),
    endDate: row.periodEnd.toISOString(),
    ruleCount: row.rules.length,
    progress: {
      processed: row.processed,
      total,
      pct:
        total === null
          ? null
          : total === 0
            ? row.status === 'done'
              ? 100
              : 0
            : Math.min(100, Math.floor((row.processed * 100) / total)),
    },
    result: (row.result as BacktestResult | null | undefined) ?? null,
    error: row.error ?? null,
    createdAt: row.createdAt.toISOString(),
    startedAt: isoOrNull(row.startedAt),
    finishedAt: isoOrNull(row.finishedAt),
  };
}

/** The draft rules, canonical, or the 422 naming the first bad field (`rules[2].conditions…`). */
export function parseDraftRules(raw: readonly unknown[], createdAtMs: number): Rule[] {
  const rules: Rule[] = [];
  const issues: ValidationIssue[] = [];
  raw.forEach((body, i) => {
    // Equal priorities keep the request's order: each draft is a millisecond younger.
    const r = parseRuleOfEitherDialect(body, {
      id: draftRuleId(i),
      createdAt: new Date(createdAtMs + i).toISOString(),
    });
    if (r.ok) rules.push(r.value);
    else {
      for (const issue of r.issues) {
        issues.push({ ...issue, path: `rules[${String(i)}]${issue.path ? `.${issue.path}` : ''}` });
      }
    }
  });
  if (issues.length > 0) throw new ValidationError(issues);
  return rules;
}

export async function startBacktest(ctx: Ctx, raw: unknown): Promise<BacktestView> {
  requirePermission(ctx, 'policies:write');
  const input = parseInput(startBacktestInput, raw);
  const start = Date.parse(input.startDate);
  const end = Date.parse(input.endDate);
  if (end <= start) throw ValidationError.of('endDate', 'must be after startDate');
  if (end - start > MAX_BACKTEST_DAYS * 86_400_000) {
    throw ValidationError.of(
      'endDate',
      `must be at most ${String(MAX_BACKTEST_DAYS)} days after startDate`,
    );
  }
  const nowMs = ctx.core.clock();
  const rules = parseDraftRules(input.rules, nowMs);
  for (const r of rules) if (r.scope === 'org' && r.scopeId === null) r.scopeId = ctx.orgId;
  const org = await ctx.core.policies.now(sqlOf(ctx.em), ctx.orgId);
  if (!org) throw new NotFound('Organization', ctx.orgId);
  const settings: BacktestSettings = {
    timeZone: org.settings.timeZone,
    defaultAction: org.settings.defaultAction,
    budgets: await currentBudgets(ctx),
  };
  const now = new Date(nowMs);
  const row = await ctx.em.transactional(async (em) => {
    const created = em.create(Backtest, {
      id: newId('bt'),
      orgId: ctx.orgId,
      status: 'queued',
      rules,
      settings,
      periodStart: new Date(start),
      periodEnd: new Date(end),
      processed: 0,
      total: null,
      attempts: 0,
      createdAt: now,
    });
    await audit(em, {
      orgId: ctx.orgId,
      eventType: 'backtest.created',
      actor: ctx.actor,
      entityType: 'backtest',
      entityId: created.id,
      occurredAt: now,
      metadata: { rules: rules.length, startDate: input.startDate, endDate: input.endDate },
    });
    return created;
  });
  return view(row);
}

export async function getBacktest(ctx: Ctx, id: string): Promise<BacktestView> {
  requirePermission(ctx, 'policies:read');
  const row = await ctx.em.findOne(Backtest, { id, orgId: ctx.orgId });
  if (!row) throw new NotFound('Backtest', id);
  return view(row);
}
