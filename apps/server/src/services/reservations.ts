/**
 * Two-phase transactions (SPEC §4): a reservation holds its estimated amount in every window
 * counter it counted in; settling replaces the hold with the actual cost, voiding releases it.
 *
 * Both lock the transaction row first, then its counters in key order — the order the recorder's
 * batches lock counters in — so they interleave with recording without deadlocks, and a settle
 * racing a void (or itself) finds the state the other one left.
 */
import { MICROS_PER_CENT, estimateCost } from '@reins/engine';
import type { Ctx } from '../core.js';
import {
  Conflict,
  NotFound,
  ValidationError,
  idempotencyConflict,
  idempotencyInProgress,
} from '../errors.js';
import {
  adjustCounters,
  connectionOf,
  judge,
  lookupAnswers,
  plainSql,
  requestHash,
  sqlOf,
  storeAnswers,
  TotalOutOfRange,
  writeAudit,
  type RawConnection,
  type Sql,
} from '@reins/ledger';
import { parseInput } from '../schemas/common.js';
import {
  SNIPPET_CHARS,
  settleInput,
  voidInput,
  type SettleInput,
} from '../schemas/transactions.js';
import { requirePermission } from './auth.js';
import { checkComputedCost } from '../recording/evaluation.js';
import { pastExact } from '../recording/plan.js';
import { idempotencyKeyOf, replay } from './idempotency.js';

interface ReservationRow {
  id: string;
  phase: string;
  status: string;
  hold: { amountMicros: number; tokensIn: number; tokensOut: number } | null;
  counted_windows: string[];
  vendor: string;
  model: string | null;
  agent_id: string;
  expires_at: Date | null;
}

interface Amounts {
  amountMicros: number;
  tokensIn: number;
  tokensOut: number;
}

async function lockReservation(sql: Sql, orgId: string, id: string): Promise<ReservationRow> {
  const [row] = await sql<ReservationRow>(
    `select id, phase, status, hold, counted_windows, vendor, model, agent_id, expires_at
       from transaction_record where org_id = ? and id = ? for update`,
    [orgId, id],
  );
  if (!row) throw new NotFound('Transaction', id);
  return row;
}

/** Refuses what the state machine does not allow: only a live or expired hold can change. */
function assertOpen(row: ReservationRow, verb: 'settle' | 'void'): void {
  if (row.phase !== 'reserve') {
    throw new Conflict(
      'NOT_A_RESERVATION',
      `Transaction ${row.id} was recorded as ${row.phase}, not reserved; there is nothing to ${verb}`,
      { id: row.id, status: row.status },
    );
  }
  if (row.status === 'settled') {
    throw new Conflict('RESERVATION_SETTLED', `Reservation ${row.id} is already settled`, {
      id: row.id,
      status: row.status,
    });
  }
  if (row.status === 'voided') {
    throw new Conflict('RESERVATION_VOIDED', `Reservation ${row.id} was voided`, {
      id: row.id,
      status: row.status,
    });
  }
  if (row.status === 'blocked') {
    throw new Conflict(
      'RESERVATION_BLOCKED',
      `Reservation ${row.id} was blocked by policy; it holds nothing to ${verb}`,
      { id: row.id, status: row.status },
    );
  }
}

/** A stored answer for this key, if the request was made before (checked under the row lock). */
async function priorAnswer(
  conn: RawConnection,
  orgId: string,
  key: string | null,
  hash: string,
): Promise<{ result: Record<string, unknown> } | null> {
  if (key === null) return null;
  const prior = judge((await lookupAnswers(conn, orgId, [key])).get(key), hash);
  switch (prior.kind) {
    case 'none':
      return null;
    case 'replay':
      return { result: replay(prior.response) };
    case 'in-progress':
      throw idempotencyInProgress(key);
    // A transaction recorded under this key: its hash names the transactions' route, never this
    // one, so this is unreachable — and would be a conflict.
    case 'recorded':
    case 'conflict':
      throw idempotencyConflict(key);
  }
}

/** Stores the answer of `key` (when there is one) in the settle's or void's transaction. */
async function storeAnswer(
  conn: RawConnection,
  orgId: string,
  key: string | null,
  route: string,
  hash: string,
  result: object,
  at: string,
): Promise<void> {
  if (key === null) return;
  const body = JSON.stringify({ success: true, ...result });
  await storeAnswers(conn, orgId, [{ key, route, hash, response: { status: 200, body } }], at);
}

/**
 * The actual cost: stated, or the tokens priced with the org's price table now. Read before the
 * settle's transaction (vendor and model never change): loading the price overrides may write a
 * policy snapshot, which must not roll back with a refused settle.
 */
async function actualAmounts(
  ctx: Ctx,
  id: string,
  body: SettleInput,
  nowMs: number,
): Promise<Amounts & { priceSource: string | null; priceVersion: string | null }> {
  const tokensIn = body.tokensIn ?? 0;
  const tokensOut = body.tokensOut ?? 0;
  const stated =
    body.amountMicros ?? (body.amount === undefined ? undefined : body.amount * MICROS_PER_CENT);
  if (stated !== undefined) {
    return { amountMicros: stated, tokensIn, tokensOut, priceSource: 'caller', priceVersion: null };
  }
  const sql = plainSql(ctx.core.orm);
  const [tx] = await sql<{ vendor: string; model: string | null }>(
    'select vendor, model from transaction_record where org_id = ? and id = ?',
    [ctx.orgId, id],
  );
  if (!tx) throw new NotFound('Transaction', id);
  const org = await ctx.core.policies.now(sql, ctx.orgId);
  if (!org) throw new NotFound('Organization', ctx.orgId);
  const { loaded } = org;
  const est = estimateCost(
    tx.vendor,
    tx.model ?? '',
    {
      inputTokens: tokensIn,
      outputTokens: tokensOut,
      cacheReadTokens: body.cacheReadTokens,
      cacheWriteTokens: body.cacheWriteTokens,
    },
    { at: nowMs, overrides: loaded.overrides },
  );
  if (!est.known) {
    throw ValidationError.of(
      'amount',
      `is required: the price table has no price for ${tx.vendor} model "${tx.model ?? '(none)'}"`,
    );
  }
  const tooMuch = checkComputedCost(est.costMicros);
  if (tooMuch) throw tooMuch;
  return {
    amountMicros: est.costMicros,
    tokensIn,
    tokensOut,
    priceSource: est.price.source,
    priceVersion: est.price.version,
  };
}

export interface SettleResult {
  id: string;
  status: 'settled';
  amount: number;
  amountMicros: number;
  tokensIn: number;
  tokensOut: number;
  estimatedAmount: number;
  estimatedAmountMicros: number;
  settledAt: string;
}

/** POST /api/v1/transactions/:id/settle */
export async function settleReservation(ctx: Ctx, id: string, raw: unknown): Promise<SettleResult> {
  requirePermission(ctx, 'transactions:write');
  const body = parseInput(settleInput, raw);
  const route = `POST /api/v1/transactions/${id}/settle`;
  // Only the header keys a settle: `metadata.requestId` names the original call.
  const key = idempotencyKeyOf(ctx.idempotencyKey, null);
  const hash = requestHash(route, body);
  const nowMs = ctx.core.clock();
  const at = new Date(nowMs).toISOString();
  const actual = await actualAmounts(ctx, id, body, nowMs);
  return ctx.em.transactional(async (em) => {
    const sql = sqlOf(em);
    const conn = connectionOf(em);
    const row = await lockReservation(sql, ctx.orgId, id);
    const prior = await priorAnswer(conn, ctx.orgId, key, hash);
    if (prior) return prior.result as unknown as SettleResult;
    assertOpen(row, 'settle');
    const hold = row.hold ?? { amountMicros: 0, tokensIn: 0, tokensOut: 0 };
    // Settled by amount alone, the call keeps its estimated tokens: dropping them would let
    // token limits undercount.
    if (body.amount !== undefined || body.amountMicros !== undefined) {
      actual.tokensIn = body.tokensIn ?? hold.tokensIn;
      actual.tokensOut = body.tokensOut ?? hold.tokensOut;
    }
    const held = row.status === 'reserved';
    const amountCents = Math.ceil(actual.amountMicros / MICROS_PER_CENT);
    await sql(
      `update transaction_record
          set status = 'settled', settled_at = ?, amount_micros = ?, amount_cents = ?,
              tokens_in = ?, tokens_out = ?, price_source = coalesce(?, price_source),
              price_version = coalesce(?, price_version),
              response = coalesce(?, response), metadata = metadata || ?::jsonb
        where org_id = ? and id = ?`,
      [
        at,
        actual.amountMicros,
        amountCents,
        actual.tokensIn,
        actual.tokensOut,
        actual.priceSource,
        actual.priceVersion,
        body.response ? body.response.slice(0, SNIPPET_CHARS) : null,
        JSON.stringify(body.metadata ?? {}),
        ctx.orgId,
        id,
      ],
    );
    const result: SettleResult = {
      id,
      status: 'settled',
      amount: amountCents,
      amountMicros: actual.amountMicros,
      tokensIn: actual.tokensIn,
      tokensOut: actual.tokensOut,
      estimatedAmount: Math.ceil(hold.amountMicros / MICROS_PER_CENT),
      estimatedAmountMicros: hold.amountMicros,
      settledAt: at,
    };
    await auditEvent(conn, ctx, 'transaction.settled', id, at, {
      vendor: row.vendor,
      model: row.model,
      agentId: row.agent_id,
      amountCents,
      amountMicros: actual.amountMicros,
      estimatedAmountMicros: hold.amountMicros,
      holdExpired: !held,
    });
    await storeAnswer(conn, ctx.orgId, key, route, hash, result, at);
    // The counters last, just before COMMIT: every batch of the organization that counts in them
    // waits for their locks, so they are held for one statement, not for the settle's others. A
    // live hold is replaced; a hold the worker already released (expired) is not there to
    // replace, so the whole actual cost is added.
    await adjustCounters(conn, ctx.orgId, row.counted_windows, {
      costMicros: actual.amountMicros - (held ? hold.amountMicros : 0),
      tokensIn: actual.tokensIn - (held ? hold.tokensIn : 0),
      tokensOut: actual.tokensOut - (held ? hold.tokensOut : 0),
      requests: held ? 0 : 1,
    }).catch((err: unknown) => {
      throw err instanceof TotalOutOfRange ? pastExact() : err;
    });
    return result;
  });
}

export interface VoidResult {
  id: string;
  status: 'voided';
  releasedAmountMicros: number;
  voidedAt: string;
}

/** POST /api/v1/transactions/:id/void */
export async function voidReservation(ctx: Ctx, id: string, raw: unknown): Promise<VoidResult> {
  requirePermission(ctx, 'transactions:write');
  const body = parseInput(voidInput, raw ?? {});
  const route = `POST /api/v1/transactions/${id}/void`;
  const key = idempotencyKeyOf(ctx.idempotencyKey, null);
  const hash = requestHash(route, body);
  const at = new Date(ctx.core.clock()).toISOString();
  return ctx.em.transactional(async (em) => {
    const sql = sqlOf(em);
    const conn = connectionOf(em);
    const row = await lockReservation(sql, ctx.orgId, id);
    const prior = await priorAnswer(conn, ctx.orgId, key, hash);
    if (prior) return prior.result as unknown as VoidResult;
    assertOpen(row, 'void');
    const hold = row.hold ?? { amountMicros: 0, tokensIn: 0, tokensOut: 0 };
    const held = row.status === 'reserved';
    await sql(
      `update transaction_record set status = 'voided', voided_at = ? where org_id = ? and id = ?`,
      [at, ctx.orgId, id],
    );
    const result: VoidResult = {
      id,
      status: 'voided',
      releasedAmountMicros: held ? hold.amountMicros : 0,
      voidedAt: at,
    };
    await auditEvent(conn, ctx, 'transaction.voided', id, at, {
      vendor: row.vendor,
      model: row.model,
      agentId: row.agent_id,
      releasedAmountMicros: result.releasedAmountMicros,
      ...(body.reason ? { reason: body.reason } : {}),
    });
    await storeAnswer(conn, ctx.orgId, key, route, hash, result, at);
    // The counters last, as in a settle: locked for one statement before COMMIT.
    if (held) {
      await adjustCounters(conn, ctx.orgId, row.counted_windows, {
        costMicros: -hold.amountMicros,
        tokensIn: -hold.tokensIn,
        tokensOut: -hold.tokensOut,
        requests: -1,
      });
    }
    return result;
  });
}

function auditEvent(
  conn: RawConnection,
  ctx: Ctx,
  eventType: string,
  entityId: string,
  at: string,
  metadata: Record<string, unknown>,
): Promise<void> {
  return writeAudit(conn, [
    {
      orgId: ctx.orgId,
      eventType,
      actor: ctx.actor,
      entityType: 'transaction',
      entityId,
      occurredAt: at,
      metadata,
    },
  ]);
}
