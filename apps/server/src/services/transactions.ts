import { TransactionRecord } from '@reins/db';
import {
  DEFAULT_AGENT,
  MICROS_PER_CENT,
  PRICE_DATA_VERSION,
  evaluate,
  isModelKnown,
  requiredWindows,
  type Decision,
  type TraceEntry,
  type TransactionInput,
  type WindowTotals,
} from '@reins/engine';
import type { FilterQuery } from '@mikro-orm/postgresql';
import type { Ctx } from '../core.js';
import { NotFound, PolicyViolation, ValidationError } from '../errors.js';
import { newId } from '../lib/ids.js';
import {
  SNIPPET_CHARS,
  listTransactionsInput,
  transactionInput,
  type TransactionInputBody,
} from '../schemas/transactions.js';
import { parseInput } from '../schemas/common.js';
import { sqlOf } from '../lib/sql.js';
import { requirePermission } from './auth.js';
import { evaluationContext, toTotals, type CounterRow, type StoredEvaluation } from './recorder.js';
import type { TxRequest } from './recorder.js';

/** Future timestamps beyond clock skew are a client bug, not a transaction. */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;

export interface PolicyResult {
  action: string;
  ruleId: string | null;
  ruleName: string | null;
  message: string;
}

export function policyResultOf(d: Decision): PolicyResult {
  return { action: d.action, ruleId: d.ruleId, ruleName: d.ruleName, message: d.message };
}

/** The docs' block `details`, plus the unit and the rule id the engine knows. */
export function blockDetails(d: Decision): Record<string, unknown> {
  return {
    limit: d.details.limit,
    current: d.details.current,
    timeWindow: d.details.timeWindow,
    resetsAt: d.details.resetsAt,
    unit: d.details.unit,
    ruleId: d.details.ruleId ?? d.ruleId,
  };
}

/** Normalizes a validated body into the engine's input and the stored record. */
export function toTxRequest(ctx: Ctx, body: TransactionInputBody, nowMs: number): TxRequest {
  const amountMicros = body.amountMicros ?? (body.amount ?? 0) * MICROS_PER_CENT;
  if (body.timestamp && Date.parse(body.timestamp) > nowMs + MAX_FUTURE_SKEW_MS) {
    throw ValidationError.of('timestamp', 'must not be more than 5 minutes in the future');
  }
  const vendor = body.vendor;
  const model = body.model ?? null;
  const agentId = body.agentId ?? DEFAULT_AGENT;
  const input: TransactionInput = {
    vendor,
    model,
    agentId,
    userId: body.userId ?? null,
    userRoles: body.userRoles ?? [],
    teamId: body.teamId ?? null,
    projectId: body.projectId ?? null,
    amountMicros,
    tokensIn: body.tokensIn ?? 0,
    tokensOut: body.tokensOut ?? 0,
    metadata: body.metadata ?? {},
    modelKnown: isModelKnown(vendor, model, nowMs),
  };
  return {
    orgId: ctx.orgId,
    input,
    record: {
      id: newId('txn'),
      vendor,
      model,
      agentId,
      userId: body.userId ?? null,
      userRoles: body.userRoles ?? [],
      teamId: body.teamId ?? null,
      projectId: body.projectId ?? null,
      amountMicros,
      amountCents: Math.ceil(amountMicros / MICROS_PER_CENT),
      tokensIn: body.tokensIn ?? 0,
      tokensOut: body.tokensOut ?? 0,
      prompt: body.prompt ? body.prompt.slice(0, SNIPPET_CHARS) : null,
      response: body.response ? body.response.slice(0, SNIPPET_CHARS) : null,
      metadata: body.metadata ?? {},
      occurredAt: body.timestamp ?? new Date(nowMs).toISOString(),
      // The caller states the cost; the price table only tells whether the model is known.
      priceSource: 'caller',
      priceVersion: PRICE_DATA_VERSION,
    },
  };
}

export interface SubmitResult {
  id: string;
  action: string;
  policyResult: PolicyResult & { details: Record<string, unknown> };
}

/** POST /api/v1/transactions: 202 on admit; a block is recorded, then thrown as a 403. */
export async function submitTransaction(ctx: Ctx, raw: unknown): Promise<SubmitResult> {
  requirePermission(ctx, 'transactions:write');
  const body = parseInput(transactionInput, raw);
  const req = toTxRequest(ctx, body, ctx.core.clock());
  const outcome = await ctx.core.recorder.submit(req);
  const d = outcome.decision;
  if (!d.admitted) {
    throw new PolicyViolation({
      id: outcome.id,
      policyResult: policyResultOf(d),
      details: blockDetails(d),
    });
  }
  return {
    id: outcome.id,
    action: d.action,
    policyResult: { ...policyResultOf(d), details: blockDetails(d) },
  };
}

/**
 * POST /api/policy-rules/evaluate: the decision a transaction would get now, against the current
 * window totals, recording nothing.
 */
export async function dryRunEvaluate(ctx: Ctx, raw: unknown) {
  requirePermission(ctx, 'policies:read');
  const body = parseInput(transactionInput, raw);
  const nowMs = ctx.core.clock();
  const req = toTxRequest(ctx, body, nowMs);
  const sql = sqlOf(ctx.em);
  const settings = await ctx.core.policies.settings(sql, ctx.orgId);
  if (!settings) throw new NotFound('Organization', ctx.orgId);
  const { policy } = await ctx.core.policies.current(sql, ctx.orgId, settings.policyVersion);
  const ectx = evaluationContext(settings, nowMs, true);
  const refs = requiredWindows(policy, req.input, ectx);
  const totals: Record<string, WindowTotals> = {};
  if (refs.length > 0) {
    const rows = await sql<CounterRow>(
      `select key, cost_micros, tokens_in, tokens_out, requests from window_counter
        where org_id = ? and key in (select jsonb_array_elements_text(?::jsonb))`,
      [ctx.orgId, JSON.stringify(refs.map((r) => r.key))],
    );
    for (const r of rows) totals[r.key] = toTotals(r);
  }
  const d = evaluate(policy, req.input, totals, ectx);
  return {
    result: { ...policyResultOf(d), details: blockDetails(d) },
    shadow: d.shadow,
    evaluatedRules: d.trace.map(traceEntry),
    evaluatedAt: new Date(nowMs).toISOString(),
  };
}

function traceEntry(t: TraceEntry) {
  return {
    ruleId: t.ruleId,
    ruleName: t.ruleName,
    matched: t.matched,
    reason: t.reason,
    reached: t.reached,
    decisive: t.decisive,
    priority: t.priority,
    action: t.action,
    mode: t.mode,
    ...(t.figures ? { figures: t.figures } : {}),
  };
}

/** The wire shape of a stored transaction. */
export function transactionView(t: Omit<TransactionRecord, 'evaluation'>) {
  return {
    id: t.id,
    amount: t.amountCents,
    amountMicros: t.amountMicros,
    vendor: t.vendor,
    model: t.model ?? null,
    agentId: t.agentId,
    userId: t.userId ?? null,
    userRoles: t.userRoles,
    teamId: t.teamId ?? null,
    projectId: t.projectId ?? null,
    tokensIn: t.tokensIn,
    tokensOut: t.tokensOut,
    prompt: t.prompt ?? null,
    response: t.response ?? null,
    metadata: t.metadata,
    timestamp: t.occurredAt.toISOString(),
    createdAt: t.createdAt.toISOString(),
    action: t.action,
    ruleId: t.ruleId ?? null,
    status: t.status,
    phase: t.phase,
    policyResult: t.policyResult,
    priceSource: t.priceSource ?? null,
    priceVersion: t.priceVersion ?? null,
  };
}

export async function listTransactions(ctx: Ctx, raw: unknown) {
  requirePermission(ctx, 'transactions:read');
  const q = parseInput(listTransactionsInput, raw);
  const where: FilterQuery<TransactionRecord> = { orgId: ctx.orgId };
  if (q.vendor) where.vendor = q.vendor.toLowerCase();
  if (q.agentId) where.agentId = q.agentId;
  if (q.userId) where.userId = q.userId;
  if (q.action) where.action = q.action;
  if (q.startDate || q.endDate) {
    where.occurredAt = {
      ...(q.startDate ? { $gte: new Date(q.startDate) } : {}),
      ...(q.endDate ? { $lt: new Date(q.endDate) } : {}),
    };
  }
  const [rows, total] = await ctx.em.findAndCount(TransactionRecord, where, {
    limit: q.limit,
    offset: q.offset,
    orderBy: { occurredAt: 'desc', id: 'desc' },
    exclude: ['evaluation'],
  });
  return {
    transactions: rows.map(transactionView),
    count: rows.length,
    total,
    limit: q.limit,
    offset: q.offset,
  };
}

async function findTransaction(ctx: Ctx, id: string): Promise<TransactionRecord> {
  const row = await ctx.em.findOne(TransactionRecord, { id, orgId: ctx.orgId });
  if (!row) throw new NotFound('Transaction', id);
  return row;
}

export async function getTransaction(ctx: Ctx, id: string) {
  requirePermission(ctx, 'transactions:read');
  return { transaction: transactionView(await findTransaction(ctx, id)) };
}

/**
 * The full trace of a recorded transaction, replayed: the engine is deterministic, so the
 * transaction, the policy snapshot of its version and the window totals it saw give back exactly
 * the decision it got, with every rule's reason.
 */
async function replayTrace(ctx: Ctx, t: TransactionRecord): Promise<TraceEntry[]> {
  const ev = t.evaluation as unknown as StoredEvaluation | TraceEntry[];
  if (Array.isArray(ev)) return ev; // recorded before evaluations were replayable
  const policy = await ctx.core.policies.atVersion(sqlOf(ctx.em), ctx.orgId, ev.policyVersion);
  if (!policy) throw new NotFound('Policy snapshot of transaction', t.id);
  const input: TransactionInput = {
    vendor: t.vendor,
    model: t.model ?? null,
    agentId: t.agentId,
    userId: t.userId ?? null,
    userRoles: t.userRoles,
    teamId: t.teamId ?? null,
    projectId: t.projectId ?? null,
    amountMicros: t.amountMicros,
    tokensIn: t.tokensIn,
    tokensOut: t.tokensOut,
    metadata: t.metadata,
    ...(ev.modelKnown === null ? {} : { modelKnown: ev.modelKnown }),
  };
  const windows: Record<string, WindowTotals> = {};
  for (const [key, [costMicros, tokensIn, tokensOut, requests]] of Object.entries(ev.windows)) {
    windows[key] = { costMicros, tokensIn, tokensOut, requests };
  }
  const d = evaluate(policy, input, windows, evaluationContext(ev, t.createdAt.getTime(), true));
  return d.trace;
}

export async function getTransactionTrace(ctx: Ctx, id: string) {
  requirePermission(ctx, 'transactions:read');
  const t = await findTransaction(ctx, id);
  const trace = await replayTrace(ctx, t);
  return {
    traceId: `trc_${t.id.replace(/^txn_/, '')}`,
    transactionId: t.id,
    evaluatedRules: trace.map(traceEntry),
    finalAction: t.action,
    policyResult: t.policyResult,
    evaluatedAt: t.createdAt.toISOString(),
  };
}
