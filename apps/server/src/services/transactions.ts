import { TransactionRecord } from '@reins/db';
import {
  DEFAULT_AGENT,
  MICROS_PER_CENT,
  PRICE_DATA_VERSION,
  evaluate,
  requiredWindows,
  type Decision,
  type TraceEntry,
  type TransactionInput,
  type WindowTotals,
} from '@reins/engine';
import type { Ctx } from '../core.js';
import {
  DomainError,
  NotFound,
  PolicyViolation,
  ValidationError,
  idempotencyConflict,
  toErrorResponse,
} from '../errors.js';
import {
  claimKey,
  countTransactions,
  seekTransactions,
  connectionOf,
  newId,
  readTotals,
  requestHash,
  sqlOf,
  type Seek,
  type StoredResponse,
} from '@reins/ledger';
import {
  DEFAULT_RESERVATION_TTL_SECONDS,
  SNIPPET_CHARS,
  bulkInput,
  listTransactionsInput,
  transactionInput,
  type ListTransactionsInput,
  type TransactionInputBody,
} from '../schemas/transactions.js';
import { below, decodeCursor, keyOf, nextCursorOf } from '../lib/keyset.js';
import { parseInput } from '../schemas/common.js';
import { requirePermission } from './auth.js';
import {
  counts,
  evaluationContext,
  decide,
  policyBudgets,
  priceRequest,
  storedBudgets,
  type StoredEvaluation,
} from '../recording/evaluation.js';
import type { TxOutcome, TxRequest, TxResult } from '../recording/types.js';
import { idempotencyKeyOf, replay } from './idempotency.js';

const SUBMIT_ROUTE = 'POST /api/v1/transactions';

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
  const priceFromTokens = body.amount === undefined && body.amountMicros === undefined;
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
    // `modelKnown` is settled with the org's price overrides (priceRequest), under the locks.
  };
  return {
    orgId: ctx.orgId,
    phase: body.phase ?? 'final',
    ttlMs: (body.reservationTtlSeconds ?? DEFAULT_RESERVATION_TTL_SECONDS) * 1000,
    priceFromTokens,
    cacheReadTokens: body.cacheReadTokens ?? 0,
    cacheWriteTokens: body.cacheWriteTokens ?? 0,
    idempotency: null,
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
      // The caller states the cost (the price table then only tells whether the model is
      // known); without an amount the recorder costs the tokens and names the price it used.
      priceSource: priceFromTokens ? null : 'caller',
      priceVersion: priceFromTokens ? null : PRICE_DATA_VERSION,
    },
  };
}

export interface SubmitResult {
  id: string;
  action: string;
  policyResult: PolicyResult & { details: Record<string, unknown> };
  /** Reservations: `reserved` and when the hold expires. */
  status?: 'reserved';
  expiresAt?: string;
  /** Costed from tokens: the amount the price table gave. */
  amount?: number;
  amountMicros?: number;
}

function violation(o: TxOutcome): PolicyViolation {
  return new PolicyViolation({
    id: o.id,
    policyResult: policyResultOf(o.decision),
    details: blockDetails(o.decision),
  });
}

function admittedResult(req: TxRequest, o: TxOutcome): SubmitResult {
  const d = o.decision;
  return {
    id: o.id,
    action: d.action,
    policyResult: { ...policyResultOf(d), details: blockDetails(d) },
    ...(req.phase === 'reserve' && o.expiresAt
      ? { status: 'reserved', expiresAt: o.expiresAt }
      : {}),
    ...(req.priceFromTokens
      ? { amount: Math.ceil(o.amountMicros / MICROS_PER_CENT), amountMicros: o.amountMicros }
      : {}),
  };
}

/** The REST answer to one submitted transaction, exactly as it is sent (stored for replays). */
function responseOf(req: TxRequest, o: TxOutcome): StoredResponse {
  if (!counts(req.phase, o.decision)) {
    const e = toErrorResponse(violation(o));
    return { status: e.status, body: JSON.stringify(e.body) };
  }
  return { status: 202, body: JSON.stringify({ success: true, ...admittedResult(req, o) }) };
}

/**
 * The transaction a request body describes, with its idempotency key if it has one: `key` when
 * the caller derived one (bulk items), else the header or `metadata.requestId`.
 */
function prepare(
  ctx: Ctx,
  raw: unknown,
  route: string,
  key: string | null = idempotencyKeyOf(ctx.idempotencyKey, raw),
): TxRequest {
  const body = parseInput(transactionInput, raw);
  const req = toTxRequest(ctx, body, ctx.core.clock());
  if (key !== null) {
    req.idempotency = {
      key,
      hash: requestHash(route, body),
      route,
      respond: (o) => responseOf(req, o),
    };
  }
  return req;
}

/**
 * The benchmark's floor (REINS_BENCH_FLOOR): what `submitTransaction` does before the recorder —
 * the permission, the body parsed into its request — and an answer from memory, so that what a
 * transaction costs above this is the hot path's own.
 */
export function floorTransaction(ctx: Ctx, raw: unknown) {
  requirePermission(ctx, 'transactions:write');
  const req = prepare(ctx, raw, SUBMIT_ROUTE);
  return { floor: true, phase: req.phase, priceFromTokens: req.priceFromTokens };
}

function answer(req: TxRequest, r: TxResult): SubmitResult {
  switch (r.kind) {
    case 'replay':
      return replay(r.response) as unknown as SubmitResult;
    case 'refused':
      throw r.error;
    case 'recorded':
      // An observed call is answered 202 even when the decision is block: it already happened.
      if (!counts(req.phase, r.outcome.decision)) throw violation(r.outcome);
      return admittedResult(req, r.outcome);
  }
}

/**
 * POST /api/v1/transactions: 202 on admit; a block is recorded, then thrown as a 403. An
 * `observed` transaction is always recorded, counted and answered 202 (its `action` says what
 * the policy decided).
 */
export async function submitTransaction(ctx: Ctx, raw: unknown): Promise<SubmitResult> {
  requirePermission(ctx, 'transactions:write');
  const req = prepare(ctx, raw, SUBMIT_ROUTE);
  return answer(req, await ctx.core.recorder.submit(req));
}

/** One item of a bulk answer: the single request's body, with its position. */
export type BulkItemResult = { index: number; success: boolean } & Record<string, unknown>;

/**
 * POST /api/v1/transactions/bulk: every valid item is queued at once, in order, so each is
 * evaluated after the ones before it (and sees their spend); an invalid or refused item is
 * reported in its place without failing the others. With an `Idempotency-Key` header, item
 * `i` is keyed `<key>#<i>`: replaying the request replays every item.
 */
export async function submitBulk(ctx: Ctx, raw: unknown) {
  requirePermission(ctx, 'transactions:write');
  const { transactions } = parseInput(bulkInput, raw);
  // The header is checked once, for the request; the keys derived from it may be a little longer.
  const header = idempotencyKeyOf(ctx.idempotencyKey, null);
  if (header !== null) await claimBulkKey(ctx, header, transactions);
  const pending = transactions.map((item, index) => {
    try {
      const req =
        header === null
          ? prepare(ctx, item, SUBMIT_ROUTE)
          : prepare(ctx, item, SUBMIT_ROUTE, `${header}#${String(index)}`);
      return { req, result: ctx.core.recorder.submit(req) };
    } catch (err) {
      return { error: prefixed(err, index) };
    }
  });
  const results: BulkItemResult[] = [];
  let recorded = 0;
  let blocked = 0;
  let failed = 0;
  for (const [index, p] of pending.entries()) {
    let body: Record<string, unknown>;
    try {
      if ('error' in p) throw p.error;
      body = { success: true, ...answer(p.req, await p.result) };
      recorded += 1;
    } catch (err) {
      // A fault of the server (not of the item) fails the request: the error handler logs it,
      // and a retry with the same Idempotency-Key replays the items that were recorded.
      if (!(err instanceof DomainError)) throw err;
      body = toErrorResponse(err).body;
      if (body.code === 'POLICY_VIOLATION') blocked += 1;
      else failed += 1;
    }
    results.push({ index, ...body } as BulkItemResult);
  }
  return { results, count: results.length, recorded, blocked, failed };
}

const BULK_ROUTE = 'POST /api/v1/transactions/bulk';

/**
 * A bulk request's key covers its whole body: items are keyed `<key>#<i>` and replay one by one,
 * but reusing the key for another list of items is a 409 for the request, before any item is
 * written. The claim row stores no response (the items' records hold those).
 */
async function claimBulkKey(ctx: Ctx, key: string, transactions: unknown[]): Promise<void> {
  const hash = requestHash(BULK_ROUTE, { transactions });
  const at = new Date(ctx.core.clock()).toISOString();
  const ours = await claimKey(
    connectionOf(ctx.em),
    ctx.orgId,
    { key, route: BULK_ROUTE, hash },
    at,
  );
  if (!ours) throw idempotencyConflict(key);
}

/** Names an item's invalid field by its place in the bulk body (`transactions.3.amount`). */
function prefixed(err: unknown, index: number): unknown {
  if (!(err instanceof ValidationError)) return err;
  return new ValidationError(
    err.issues.map((i) => ({
      ...i,
      path: `transactions.${String(index)}${i.path === 'body' ? '' : `.${i.path}`}`,
    })),
  );
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
  const org = await ctx.core.policies.now(sql, ctx.orgId);
  if (!org) throw new NotFound('Organization', ctx.orgId);
  const { settings, loaded } = org;
  const policy = loaded.policy;
  const ectx = evaluationContext(settings, nowMs, true, policyBudgets(loaded));
  const unpriced = priceRequest(req, loaded.overrides, nowMs);
  if (unpriced) throw unpriced;
  const refs = requiredWindows(policy, req.input, ectx);
  const totals = await readTotals(
    connectionOf(ctx.em),
    ctx.orgId,
    refs.map((r) => r.key),
    new Date(nowMs).toISOString(),
  );
  const d = decide(loaded, req.input, totals, ectx);
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
    review: reviewView(t),
  };
}

/** A flagged transaction's review (`null`: the transaction was not flagged). */
export function reviewView(
  t: Pick<TransactionRecord, 'reviewState' | 'reviewedBy' | 'reviewedAt' | 'reviewNote'>,
) {
  if (!t.reviewState) return null;
  return {
    state: t.reviewState,
    reviewedBy: t.reviewedBy ?? null,
    reviewedAt: t.reviewedAt ? t.reviewedAt.toISOString() : null,
    note: t.reviewNote ?? null,
  };
}

/** Every column but `evaluation` (large; only a trace reads it). */
const LIST_COLUMNS = `id, org_id, vendor, model, agent_id, user_id, user_roles, team_id, project_id,
  amount_micros, amount_cents, tokens_in, tokens_out, prompt, response, metadata, occurred_at,
  created_at, action, admitted, rule_id, policy_result, counted_windows, price_source,
  price_version, phase, status, idempotency_key, hold, expires_at, settled_at, voided_at,
  review_state, reviewed_by, reviewed_at, review_note`;

interface Query {
  sql: string;
  params: unknown[];
}

/**
 * From this offset on, a page seeks its start in the rollups (three small reads) instead of
 * walking the index past the skipped rows (about 0.2 µs a row: 2 ms at this depth).
 */
export const SEEK_FROM_OFFSET = 10_000;

/**
 * The SQL of one list request: its page, newest first by (occurred_at, id) — one row more than
 * asked, see `nextCursorOf` — and its exact total. Every filter is an equality or a range on a
 * column that leads an index ending in (occurred_at desc, id desc) (packages/db entities.ts), so
 * a page, by cursor or the first, is one index range scan. Exported for the EXPLAIN test.
 */
export function listTransactionsQueries(
  orgId: string,
  q: ListTransactionsInput,
  seek?: Seek,
): { page: Query; count: Query } {
  const parts = ['org_id = ?'];
  const params: unknown[] = [orgId];
  const add = (sql: string, value: unknown) => {
    parts.push(sql);
    params.push(value);
  };
  if (q.vendor) add('vendor = ?', q.vendor.toLowerCase());
  if (q.agentId) add('agent_id = ?', q.agentId);
  if (q.userId) add('user_id = ?', q.userId);
  if (q.action) add('action = ?', q.action);
  if (q.review) add('review_state = ?', q.review);
  if (q.startDate) add('occurred_at >= ?::timestamptz', q.startDate);
  if (q.endDate) add('occurred_at < ?::timestamptz', q.endDate);
  const count = {
    sql: `select count(*) as n from transaction_record where ${parts.join(' and ')}`,
    params: [...params],
  };
  if (seek) add('occurred_at < ?::timestamptz', seek.before.toISOString());
  const where = parts.join(' and ');
  const keyset = q.cursor === undefined ? null : below('occurred_at', 'id', decodeCursor(q.cursor));
  const offset = seek ? seek.skip : (q.offset ?? 0);
  if (offset > 0) {
    // A deferred join: the skipped rows are walked in the index alone (occurred_at and id are in
    // every list index), and only the page's rows are read from the table.
    return {
      page: {
        sql: `with k as materialized (
                select occurred_at, id from transaction_record where ${where}
                 order by occurred_at desc, id desc offset ? limit 1)
              select ${LIST_COLUMNS}, ${keyOf('occurred_at')} as cursor_at
                from transaction_record
               where ${where}
                 and occurred_at <= (select occurred_at from k)
                 and (occurred_at, id) <= ((select occurred_at from k), (select id from k))
               order by transaction_record.occurred_at desc, transaction_record.id desc
               limit ?`,
        params: [...params, offset, ...params, q.limit + 1],
      },
      count,
    };
  }
  return {
    page: {
      sql: `select ${LIST_COLUMNS}, ${keyOf('occurred_at')} as cursor_at
              from transaction_record
             where ${where}${keyset ? ` and ${keyset.sql}` : ''}
             order by transaction_record.occurred_at desc, transaction_record.id desc
             limit ?`,
      params: [...params, ...(keyset?.params ?? []), q.limit + 1],
    },
    count,
  };
}

type ListRow = Record<string, unknown> & { id: string; cursor_at: string };

/** A list request's filters as the rollups count them (not `review`: it has no rollup). */
export function countFilterOf(q: ListTransactionsInput) {
  return {
    vendor: q.vendor?.toLowerCase(),
    agentId: q.agentId,
    userId: q.userId,
    action: q.action,
    from: q.startDate ? new Date(q.startDate) : undefined,
    to: q.endDate ? new Date(q.endDate) : undefined,
  };
}

export async function listTransactions(ctx: Ctx, raw: unknown) {
  requirePermission(ctx, 'transactions:read');
  const q = parseInput(listTransactionsInput, raw);
  const filter = countFilterOf(q);
  // A deep offset starts from where the rollups say its row is (exact), not by walking past
  // every row above it — where they can say it (no filter, or agent and dates only).
  const seek =
    (q.offset ?? 0) >= SEEK_FROM_OFFSET && !q.review
      ? ((await seekTransactions(ctx.core.orm, ctx.orgId, filter, q.offset ?? 0)) ?? undefined)
      : undefined;
  const { page, count } = listTransactionsQueries(ctx.orgId, q, seek);
  const sql = sqlOf(ctx.em);
  const rows = await sql<ListRow>(page.sql, page.params);
  // Exact, from the worker's rollups (plus what they have not absorbed and the raw rows of the
  // partial quarter hours at the edges), not a count over the history. The review queue has no
  // rollup: its states are few rows behind a partial index.
  const total = q.review
    ? Number((await sql<{ n: string }>(count.sql, count.params))[0]?.n ?? 0)
    : await countTransactions(ctx.core.orm, ctx.orgId, filter);
  const transactions = rows
    .slice(0, q.limit)
    .map(({ cursor_at: _c, ...row }) => transactionView(ctx.em.map(TransactionRecord, row)));
  return {
    transactions,
    count: transactions.length,
    total,
    limit: q.limit,
    offset: q.offset ?? 0,
    nextCursor: nextCursorOf(rows, q.limit, (r) => r.cursor_at),
  };
}

export async function findTransaction(ctx: Ctx, id: string): Promise<TransactionRecord> {
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
  const d = evaluate(
    policy,
    input,
    windows,
    evaluationContext(ev, t.createdAt.getTime(), true, storedBudgets(ev)),
  );
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
