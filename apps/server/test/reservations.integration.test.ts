/**
 * Two-phase transactions (SPEC §4): a reservation holds its estimate in every window counter,
 * settling replaces the hold with the actual cost, voiding releases it, an expired hold stops
 * counting toward limits; every state change is audited and refused transitions are 409s.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { MICROS_PER_CENT, estimateCost } from '@reins/engine';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import { windowCounters } from './counts.js';
import { useTestServer } from './harness.js';
import { cappedOrg, trpcClient } from './helpers.js';

const t = useTestServer('reservations');

afterEach(() => {
  t().clock.set(null);
});

const M = MICROS_PER_CENT;

interface Reserved {
  success: boolean;
  id: string;
  action: string;
  policyResult: { action: string; ruleId: string | null; message: string };
  status: 'reserved';
  expiresAt: string;
}

interface Settled {
  success: boolean;
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

interface Voided {
  success: boolean;
  id: string;
  status: 'voided';
  releasedAmountMicros: number;
  voidedAt: string;
}

interface ErrorBody {
  success: false;
  code: string;
  message: string;
  field?: string;
  id?: string;
}

interface Tx {
  id: string;
  amount: number;
  amountMicros: number;
  tokensIn: number;
  tokensOut: number;
  status: string;
  phase: string;
  action: string;
  response: string | null;
  metadata: Record<string, unknown>;
}

function post<T = Reserved>(key: string, body: Record<string, unknown>) {
  return t().call<T>('POST', '/api/v1/transactions', body, { key });
}

function reserve(key: string, amount: number, extra: Record<string, unknown> = {}) {
  return post(key, {
    amount,
    vendor: 'openai',
    model: 'gpt-4o',
    agentId: 'planner',
    phase: 'reserve',
    ...extra,
  });
}

async function reserved(key: string, amount: number, extra: Record<string, unknown> = {}) {
  const res = await reserve(key, amount, extra);
  expect(res.status).toBe(202);
  return res.body;
}

function settle<T = Settled>(
  key: string,
  id: string,
  body: Record<string, unknown>,
  headers?: Record<string, string>,
) {
  return t().call<T>('POST', `/api/v1/transactions/${id}/settle`, body, { key, headers });
}

function voidIt<T = Voided>(key: string, id: string, body?: Record<string, unknown>) {
  return t().call<T>('POST', `/api/v1/transactions/${id}/void`, body, { key });
}

async function getTx(key: string, id: string): Promise<Tx> {
  const res = await t().call<{ transaction: Tx }>('GET', `/api/v1/transactions/${id}`, undefined, {
    key,
  });
  expect(res.status).toBe(200);
  return res.body.transaction;
}

/** The org's only window counter (one daily org rule → one counter). */
async function counter(orgId: string): Promise<{ costMicros: number; requests: number }> {
  const all = Object.values(await windowCounters(t(), orgId));
  expect(all.length).toBeLessThanOrEqual(1);
  return all[0] ?? { costMicros: 0, requests: 0 };
}

async function tokenCounter(orgId: string): Promise<{ tokensIn: number; tokensOut: number }> {
  const rows = await t().sql<{ tokens_in: string; tokens_out: string }>(
    'select tokens_in, tokens_out from window_counter where org_id = ?',
    [orgId],
  );
  expect(rows).toHaveLength(1);
  return { tokensIn: Number(rows[0]?.tokens_in), tokensOut: Number(rows[0]?.tokens_out) };
}

async function auditTypes(orgId: string, entityId: string): Promise<string[]> {
  const rows = await t().sql<{ event_type: string }>(
    `select event_type from audit_event where org_id = ? and entity_id = ?
      order by occurred_at, event_type`,
    [orgId, entityId],
  );
  return rows.map((r) => r.event_type);
}

function later<T>(ms: number, f: () => Promise<T>): Promise<T> {
  return new Promise((resolve) => setTimeout(resolve, ms)).then(f);
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('reserve → settle', () => {
  it('holds the estimate in the window counter and answers 202 reserved with expiresAt = now + 600 s', async () => {
    const { orgId, key, ruleId } = await cappedOrg(t(), 'reserve-202', 1000);
    t().clock.set('2031-03-04T10:00:00.000Z');
    const res = await reserve(key, 120);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      success: true,
      action: 'pass',
      status: 'reserved',
      expiresAt: '2031-03-04T10:10:00.000Z',
    });
    expect(res.body.id).toMatch(/^txn_/);
    expect(res.body.policyResult.action).toBe('pass');
    expect(await counter(orgId)).toEqual({ costMicros: 120 * M, requests: 1 });
    const tx = await getTx(key, res.body.id);
    expect(tx).toMatchObject({ status: 'reserved', phase: 'reserve', amount: 120 });
    expect(await auditTypes(orgId, res.body.id)).toEqual(['transaction.reserved']);

    // reservationTtlSeconds sets the expiry.
    const short = await reserve(key, 1, { reservationTtlSeconds: 30 });
    expect(short.body.expiresAt).toBe('2031-03-04T10:00:30.000Z');
    // The hold counts toward the limit like a final transaction: 121 + 880 > 1000.
    const over = await post<ErrorBody>(key, { amount: 880, vendor: 'openai', agentId: 'x' });
    expect(over.status).toBe(403);
    expect(over.body.code).toBe('POLICY_VIOLATION');
    expect((over.body as unknown as { policyResult: { ruleId: string } }).policyResult.ruleId).toBe(
      ruleId,
    );
  });

  it('settles below the estimate: the counter drops by the difference and the record shows the actual cost', async () => {
    const { orgId, key } = await cappedOrg(t(), 'settle-below', 1000);
    const r = await reserved(key, 300, { tokensIn: 100, tokensOut: 200 });
    expect(await counter(orgId)).toEqual({ costMicros: 300 * M, requests: 1 });
    expect(await tokenCounter(orgId)).toEqual({ tokensIn: 100, tokensOut: 200 });

    t().clock.set(Date.now());
    const settledAt = new Date(t().clock.now()).toISOString();
    const s = await settle(key, r.id, {
      amount: 120,
      tokensIn: 90,
      tokensOut: 150,
      response: 'the answer',
      metadata: { outcome: 'ok' },
    });
    expect(s.status).toBe(200);
    expect(s.body).toEqual({
      success: true,
      id: r.id,
      status: 'settled',
      amount: 120,
      amountMicros: 120 * M,
      tokensIn: 90,
      tokensOut: 150,
      estimatedAmount: 300,
      estimatedAmountMicros: 300 * M,
      settledAt,
    });
    expect(await counter(orgId)).toEqual({ costMicros: 120 * M, requests: 1 });
    expect(await tokenCounter(orgId)).toEqual({ tokensIn: 90, tokensOut: 150 });
    const tx = await getTx(key, r.id);
    expect(tx).toMatchObject({
      status: 'settled',
      phase: 'reserve',
      amount: 120,
      amountMicros: 120 * M,
      tokensIn: 90,
      tokensOut: 150,
      response: 'the answer',
    });
    expect(tx.metadata).toMatchObject({ outcome: 'ok' });
    expect(await auditTypes(orgId, r.id)).toEqual(['transaction.reserved', 'transaction.settled']);
    // The room the settle gave back is usable: 120 + 880 = 1000 fits exactly.
    const fits = await post(key, { amount: 880, vendor: 'openai', agentId: 'x' });
    expect(fits.status).toBe(202);
  });

  it('settled by amount alone, a reservation keeps its estimated tokens in the counters and the record', async () => {
    const { orgId, key } = await cappedOrg(t(), 'settle-amount-only', 1000);
    const r = await reserved(key, 300, { tokensIn: 100, tokensOut: 200 });
    const s = await settle(key, r.id, { amount: 250 });
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ amount: 250, tokensIn: 100, tokensOut: 200 });
    expect(await counter(orgId)).toEqual({ costMicros: 250 * M, requests: 1 });
    expect(await tokenCounter(orgId)).toEqual({ tokensIn: 100, tokensOut: 200 });
    expect(await getTx(key, r.id)).toMatchObject({ tokensIn: 100, tokensOut: 200 });
  });

  it('settles above the estimate (even past the cap): the overrun is recorded and later requests are blocked', async () => {
    const { orgId, key } = await cappedOrg(t(), 'settle-above', 1000);
    const r = await reserved(key, 900);
    const s = await settle(key, r.id, { amountMicros: 1_500_000_001 });
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({
      amount: 1501,
      amountMicros: 1_500_000_001,
      estimatedAmount: 900,
      estimatedAmountMicros: 900 * M,
    });
    expect(await counter(orgId)).toEqual({ costMicros: 1_500_000_001, requests: 1 });
    const blocked = await post<ErrorBody & { details: { current: number; limit: number } }>(key, {
      amount: 1,
      vendor: 'openai',
    });
    expect(blocked.status).toBe(403);
    expect(blocked.body.details).toMatchObject({ limit: 1000 });
    expect(blocked.body.details.current).toBeGreaterThan(1500);
  });

  it('prices a settle given only tokens with the reservation model from the price table', async () => {
    const { orgId, key } = await cappedOrg(t(), 'settle-tokens', 100_000);
    const r = await reserved(key, 50, { model: 'gpt-4o' });
    const s = await settle(key, r.id, { tokensIn: 12_000, tokensOut: 3_000 });
    expect(s.status).toBe(200);
    const est = estimateCost(
      'openai',
      'gpt-4o',
      { inputTokens: 12_000, outputTokens: 3_000 },
      { at: Date.now() },
    );
    expect(est.known).toBe(true);
    if (!est.known) return;
    expect(est.costMicros).toBeGreaterThan(0);
    expect(s.body).toMatchObject({
      amountMicros: est.costMicros,
      amount: Math.ceil(est.costMicros / M),
      tokensIn: 12_000,
      tokensOut: 3_000,
      estimatedAmountMicros: 50 * M,
    });
    expect(await counter(orgId)).toEqual({ costMicros: est.costMicros, requests: 1 });
  });
});

describe('reserve → void', () => {
  it('releases the hold from every counter (cost, tokens and the request count) and frees the room', async () => {
    const { orgId, key } = await cappedOrg(t(), 'void-releases', 1000);
    const keep = await reserved(key, 100, { tokensIn: 10, tokensOut: 20 });
    const r = await reserved(key, 800, { tokensIn: 1000, tokensOut: 2000 });
    expect(await counter(orgId)).toEqual({ costMicros: 900 * M, requests: 2 });
    // Full: 900 + 200 > 1000.
    expect((await post(key, { amount: 200, vendor: 'openai' })).status).toBe(403);

    const v = await voidIt(key, r.id, { reason: 'call failed before reaching the vendor' });
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({
      success: true,
      id: r.id,
      status: 'voided',
      releasedAmountMicros: 800 * M,
    });
    expect(v.body.voidedAt).toMatch(ISO);
    expect(await counter(orgId)).toEqual({ costMicros: 100 * M, requests: 1 });
    expect(await tokenCounter(orgId)).toEqual({ tokensIn: 10, tokensOut: 20 });
    expect((await getTx(key, r.id)).status).toBe('voided');
    expect((await getTx(key, keep.id)).status).toBe('reserved');
    expect(await auditTypes(orgId, r.id)).toEqual(['transaction.reserved', 'transaction.voided']);
    const [audit] = await t().sql<{ metadata: { reason?: string; releasedAmountMicros: number } }>(
      `select metadata from audit_event where entity_id = ? and event_type = 'transaction.voided'`,
      [r.id],
    );
    expect(audit?.metadata).toMatchObject({
      reason: 'call failed before reaching the vendor',
      releasedAmountMicros: 800 * M,
    });
    // The released room is usable again: 100 + 900 = 1000.
    expect((await post(key, { amount: 900, vendor: 'openai' })).status).toBe(202);
  });

  it('voids without a body', async () => {
    const { orgId, key } = await cappedOrg(t(), 'void-no-body', 1000);
    const r = await reserved(key, 10);
    const v = await t().call<Voided>('POST', `/api/v1/transactions/${r.id}/void`, undefined, {
      key,
    });
    expect(v.status).toBe(200);
    expect(v.body.status).toBe('voided');
    expect(await counter(orgId)).toEqual({ costMicros: 0, requests: 0 });
  });
});

describe('refused transitions', () => {
  it('answers the 409 matrix and leaves counters and records as they were', async () => {
    const { orgId, key } = await cappedOrg(t(), 'conflicts', 1000);
    const settledOne = await reserved(key, 100);
    expect((await settle(key, settledOne.id, { amount: 80 })).status).toBe(200);
    const voidedOne = await reserved(key, 200);
    expect((await voidIt(key, voidedOne.id)).status).toBe(200);
    const final = await post(key, { amount: 50, vendor: 'openai' });
    expect(final.status).toBe(202);
    const blocked = await reserve(key, 5000);
    expect(blocked.status).toBe(403);
    const blockedId = (blocked.body as unknown as ErrorBody).id as string;
    expect(blockedId).toMatch(/^txn_/);

    const before = await counter(orgId);
    expect(before).toEqual({ costMicros: 130 * M, requests: 2 });
    const auditBefore = await t().sql<{ n: number }>(
      'select count(*)::int as n from audit_event where org_id = ?',
      [orgId],
    );

    const cases: [Promise<{ status: number; body: ErrorBody }>, string, string][] = [
      [settle<ErrorBody>(key, settledOne.id, { amount: 1 }), 'RESERVATION_SETTLED', settledOne.id],
      [voidIt<ErrorBody>(key, settledOne.id), 'RESERVATION_SETTLED', settledOne.id],
      [settle<ErrorBody>(key, voidedOne.id, { amount: 1 }), 'RESERVATION_VOIDED', voidedOne.id],
      [voidIt<ErrorBody>(key, voidedOne.id), 'RESERVATION_VOIDED', voidedOne.id],
      [settle<ErrorBody>(key, final.body.id, { amount: 1 }), 'NOT_A_RESERVATION', final.body.id],
      [voidIt<ErrorBody>(key, final.body.id), 'NOT_A_RESERVATION', final.body.id],
      [settle<ErrorBody>(key, blockedId, { amount: 1 }), 'RESERVATION_BLOCKED', blockedId],
      [voidIt<ErrorBody>(key, blockedId), 'RESERVATION_BLOCKED', blockedId],
    ];
    for (const [p, code, id] of cases) {
      const res = await p;
      expect(res.status, code).toBe(409);
      expect(res.body).toMatchObject({ success: false, code });
      expect(res.body.message).toContain(id);
    }
    expect(await counter(orgId)).toEqual(before);
    const auditAfter = await t().sql<{ n: number }>(
      'select count(*)::int as n from audit_event where org_id = ?',
      [orgId],
    );
    expect(auditAfter).toEqual(auditBefore);
    expect((await getTx(key, settledOne.id)).amount).toBe(80);
    expect((await getTx(key, final.body.id)).status).toBe('recorded');
    expect((await getTx(key, final.body.id)).phase).toBe('final');
  });

  it('records a blocked reservation that holds nothing and never expires', async () => {
    const { orgId, key } = await cappedOrg(t(), 'blocked-reserve', 100);
    const res = await reserve(key, 500);
    expect(res.status).toBe(403);
    const body = res.body as unknown as ErrorBody & { details: { limit: number; current: number } };
    expect(body.code).toBe('POLICY_VIOLATION');
    expect(body.details).toMatchObject({ limit: 100, current: 500 });
    expect(body).not.toHaveProperty('expiresAt');
    expect(await counter(orgId)).toEqual({ costMicros: 0, requests: 0 });
    const tx = await getTx(key, body.id as string);
    expect(tx).toMatchObject({ status: 'blocked', phase: 'reserve', action: 'block' });
    const [row] = await t().sql<{ expires_at: Date | null }>(
      'select expires_at from transaction_record where id = ?',
      [body.id],
    );
    expect(row?.expires_at).toBeNull();
    expect(await auditTypes(orgId, body.id as string)).toEqual(['transaction.blocked']);
    // Nothing held: the full cap is still available.
    expect((await post(key, { amount: 100, vendor: 'openai' })).status).toBe(202);
  });

  it('refuses bad reservation and settle bodies with 422 naming the field, writing nothing', async () => {
    const { orgId, key } = await cappedOrg(t(), 'bad-input', 1000);
    const cases: [Record<string, unknown>, string][] = [
      [{ vendor: 'openai', phase: 'reserve' }, 'amount'],
      [
        { amount: 5, vendor: 'openai', phase: 'reserve', reservationTtlSeconds: 0 },
        'reservationTtlSeconds',
      ],
      [
        { amount: 5, vendor: 'openai', phase: 'reserve', reservationTtlSeconds: 86_401 },
        'reservationTtlSeconds',
      ],
      [
        { amount: 5, vendor: 'openai', phase: 'reserve', reservationTtlSeconds: 1.5 },
        'reservationTtlSeconds',
      ],
      [
        { amount: 5, vendor: 'openai', phase: 'reserve', reservationTtlSeconds: '60' },
        'reservationTtlSeconds',
      ],
      [{ amount: 5, vendor: 'openai', reservationTtlSeconds: 60 }, 'reservationTtlSeconds'],
      [
        { amount: 5, vendor: 'openai', phase: 'final', reservationTtlSeconds: 60 },
        'reservationTtlSeconds',
      ],
      [{ amount: 5, vendor: 'openai', phase: 'hold' }, 'phase'],
    ];
    for (const [body, field] of cases) {
      const res = await post<ErrorBody>(key, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR', field });
    }
    // The limits are inclusive.
    expect((await reserve(key, 1, { reservationTtlSeconds: 1 })).status).toBe(202);
    expect((await reserve(key, 1, { reservationTtlSeconds: 86_400 })).status).toBe(202);

    const r = await reserved(key, 100);
    const settles: [Record<string, unknown>, string][] = [
      [{}, 'amount'],
      [{ response: 'only a response' }, 'amount'],
      [{ amount: -1 }, 'amount'],
      [{ amount: 1.5 }, 'amount'],
      [{ amount: 2, amountMicros: 3 * M }, 'amountMicros'],
      [{ amount: 2, extra: true }, 'extra'],
    ];
    for (const [body, field] of settles) {
      const res = await settle<ErrorBody>(key, r.id, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', field });
    }
    const badVoid = await voidIt<ErrorBody>(key, r.id, { reason: 5 });
    expect(badVoid.status).toBe(422);
    expect(badVoid.body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'reason' });
    expect((await getTx(key, r.id)).status).toBe('reserved');
    expect(await counter(orgId)).toEqual({ costMicros: 102 * M, requests: 3 });
  });

  it('refuses settle and void without transactions:write (403) and another org’s reservation (404)', async () => {
    const { orgId, key } = await cappedOrg(t(), 'perm-owner', 1000);
    const r = await reserved(key, 100);
    const readOnly = await t().call<{ key: string }>(
      'POST',
      '/api/keys',
      { name: 'reader', permissions: ['transactions:read'] },
      { key },
    );
    expect(readOnly.status).toBe(201);
    for (const res of [
      await settle<ErrorBody>(readOnly.body.key, r.id, { amount: 1 }),
      await voidIt<ErrorBody>(readOnly.body.key, r.id),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    }
    const other = await t().newOrg('perm-other');
    for (const res of [
      await settle<ErrorBody>(other.key, r.id, { amount: 1 }),
      await voidIt<ErrorBody>(other.key, r.id),
      await settle<ErrorBody>(key, 'txn_doesnotexist000000', { amount: 1 }),
      await voidIt<ErrorBody>(key, 'txn_doesnotexist000000'),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    expect((await getTx(key, r.id)).status).toBe('reserved');
    expect(await counter(orgId)).toEqual({ costMicros: 100 * M, requests: 1 });
  });
});

describe('expired holds', () => {
  it('ignores an expired hold in a block limit, keeps it in the counter, and settles it later by (actual − hold)', async () => {
    const { orgId, key } = await cappedOrg(t(), 'expiry', 1000);
    t().clock.set('2031-05-06T09:00:00.000Z');
    const r = await reserved(key, 800, { reservationTtlSeconds: 60 });
    expect(r.expiresAt).toBe('2031-05-06T09:01:00.000Z');

    t().clock.set('2031-05-06T09:00:59.999Z');
    const live = await post<ErrorBody>(key, { amount: 300, vendor: 'openai' });
    expect(live.status).toBe(403); // 800 held + 300 > 1000

    t().clock.set('2031-05-06T09:01:00.000Z');
    const after = await post(key, { amount: 300, vendor: 'openai' });
    expect(after.status).toBe(202); // the expired hold is ignored: 300 ≤ 1000
    // …but still sits in the counter until it is released.
    expect(await counter(orgId)).toEqual({ costMicros: 1100 * M, requests: 2 });
    expect((await getTx(key, r.id)).status).toBe('reserved');

    // 300 + 700 = 1000 fits, 300 + 701 does not: exactly the hold is ignored.
    const over = await post<ErrorBody & { details: { current: number } }>(key, {
      amount: 701,
      vendor: 'openai',
    });
    expect(over.status).toBe(403);
    expect(over.body.details.current).toBe(1001);

    // Settling after expiry replaces the hold: counter += actual − hold.
    t().clock.set('2031-05-06T09:05:00.000Z');
    const s = await settle(key, r.id, { amount: 500 });
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ amount: 500, estimatedAmount: 800 });
    expect(s.body.settledAt).toBe('2031-05-06T09:05:00.000Z');
    expect(await counter(orgId)).toEqual({ costMicros: 800 * M, requests: 2 });
    // Settled spend counts again: 800 + 201 > 1000, 800 + 200 fits.
    expect((await post(key, { amount: 201, vendor: 'openai' })).status).toBe(403);
    expect((await post(key, { amount: 200, vendor: 'openai' })).status).toBe(202);
    expect(await counter(orgId)).toEqual({ costMicros: 1000 * M, requests: 3 });
  });

  it('voids an expired hold, releasing it from the counter', async () => {
    const { orgId, key } = await cappedOrg(t(), 'expiry-void', 1000);
    t().clock.set('2031-05-07T09:00:00.000Z');
    const r = await reserved(key, 400, { reservationTtlSeconds: 5 });
    t().clock.set('2031-05-07T09:00:10.000Z');
    expect((await post(key, { amount: 1000, vendor: 'openai' })).status).toBe(202);
    expect(await counter(orgId)).toEqual({ costMicros: 1400 * M, requests: 2 });
    const v = await voidIt(key, r.id);
    expect(v.status).toBe(200);
    expect(v.body.releasedAmountMicros).toBe(400 * M);
    expect(await counter(orgId)).toEqual({ costMicros: 1000 * M, requests: 1 });
  });
  it('ignores a hold that expired in an earlier month when the window spans both months', async () => {
    // A week from Monday 30 June to Sunday 6 July: the batch on 1 July looks for expired holds
    // among the transactions created since the earliest window it reads starts, not this month.
    const { orgId, key } = await t().newOrg('expiry-across-months');
    const rule = await t().call(
      'POST',
      '/api/policy-rules',
      {
        name: 'Weekly cap of 1,000 cents',
        conditions: { timeWindow: 'weekly' },
        action: 'block',
        actionConfig: { limitCents: 1000, per: 'org' },
      },
      { key },
    );
    expect(rule.status).toBe(201);
    t().clock.set('2031-06-30T23:59:00.000Z');
    const r = await reserved(key, 800, { reservationTtlSeconds: 60 });
    t().clock.set('2031-07-01T00:05:00.000Z');
    expect((await post(key, { amount: 300, vendor: 'openai' })).status).toBe(202);
    const over = await post<ErrorBody & { details: { current: number } }>(key, {
      amount: 701,
      vendor: 'openai',
    });
    expect(over.status).toBe(403);
    expect(over.body.details.current).toBe(1001);
    expect((await getTx(key, r.id)).status).toBe('reserved');
    expect((await counter(orgId)).costMicros).toBe(1100 * M);
  });
});

describe('concurrency', () => {
  it('lets exactly one of a concurrent settle and void win, with the loser getting the right 409', async () => {
    const { orgId, key } = await cappedOrg(t(), 'settle-vs-void', 1_000_000);
    const N = 24;
    let settledSum = 0;
    let settledCount = 0;
    let heldSum = 0;
    let heldCount = 0;
    const seen = { settle: 0, void: 0 };
    for (let round = 0; round < 2; round++) {
      const rs = await Promise.all(
        Array.from({ length: N }, (_, i) => reserved(key, 100 + i, { agentId: `r${String(i)}` })),
      );
      // One extra live hold per round that nobody touches.
      const untouched = await reserved(key, 7);
      heldSum += 7;
      heldCount += 1;
      const outcomes = await Promise.all(
        rs.map((r, i) => {
          // Half the pairs send the settle first, half the void; the other follows 0-2 ms
          // later, so that both orders race inside the server.
          const gap = i % 3;
          const s = () => settle<Settled | ErrorBody>(key, r.id, { amount: 50 + i });
          const v = () => voidIt<Voided | ErrorBody>(key, r.id);
          return i % 2 === 0
            ? Promise.all([s(), later(gap, v)])
            : Promise.all([later(gap, s), v()]);
        }),
      );
      for (const [i, [s, v]] of outcomes.entries()) {
        const r = rs[i] as Reserved;
        expect([s.status, v.status].sort()).toEqual([200, 409]);
        const tx = await getTx(key, r.id);
        if (s.status === 200) {
          seen.settle += 1;
          expect((v.body as ErrorBody).code).toBe('RESERVATION_SETTLED');
          expect(tx).toMatchObject({ status: 'settled', amount: 50 + i });
          settledSum += 50 + i;
          settledCount += 1;
        } else {
          seen.void += 1;
          expect((s.body as ErrorBody).code).toBe('RESERVATION_VOIDED');
          expect((v.body as Voided).releasedAmountMicros).toBe((100 + i) * M);
          expect(tx.status).toBe('voided');
        }
        expect(await auditTypes(orgId, r.id)).toHaveLength(2);
      }
      expect((await getTx(key, untouched.id)).status).toBe('reserved');
    }
    expect(seen.settle + seen.void).toBe(2 * N);
    // Both orders happened: the test raced settles that won and voids that won.
    expect(seen.settle).toBeGreaterThan(0);
    expect(seen.void).toBeGreaterThan(0);
    expect(await counter(orgId)).toEqual({
      costMicros: (settledSum + heldSum) * M,
      requests: settledCount + heldCount,
    });
  });

  it('never overshoots a cap beyond the estimates while reservations settle and new transactions record', async () => {
    const CAP = 10_000;
    const { orgId, key } = await cappedOrg(t(), 'settle-under-load', CAP);
    // 20 holds of 200 = 4,000 held.
    const rs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => reserved(key, 200, { agentId: `h${String(i)}` })),
    );
    // Actual costs within ±60 of the estimates; finals of 100 race the settles.
    const actual = rs.map((_, i) => 140 + ((i * 37) % 121));
    const overrun = actual.reduce((s, a) => s + Math.max(0, a - 200), 0);
    const [settles, finals] = await Promise.all([
      Promise.all(rs.map((r, i) => settle(key, r.id, { amount: actual[i] }))),
      Promise.all(
        Array.from({ length: 90 }, (_, i) =>
          post(key, { amount: 100, vendor: 'openai', agentId: `f${String(i % 7)}` }),
        ),
      ),
    ]);
    expect(settles.every((s) => s.status === 200)).toBe(true);
    expect(finals.every((f) => f.status === 202 || f.status === 403)).toBe(true);
    const admitted = finals.filter((f) => f.status === 202).length;
    const blocked = finals.length - admitted;
    expect(blocked).toBeGreaterThan(0);
    // Nothing that fitted was refused: at worst every hold still counted, plus the overruns.
    expect(admitted).toBeGreaterThanOrEqual(Math.floor((CAP - 20 * 200 - overrun) / 100));
    const settledSum = actual.reduce((s, a) => s + a, 0);
    const total = settledSum + admitted * 100;
    expect(total).toBeLessThanOrEqual(CAP + overrun);
    // The counter is exactly what was admitted and settled.
    expect(await counter(orgId)).toEqual({ costMicros: total * M, requests: 20 + admitted });
    const [sum] = await t().sql<{ cents: string; n: string }>(
      `select sum(amount_cents) as cents, count(*) as n from transaction_record
        where org_id = ? and admitted and status in ('recorded', 'settled')`,
      [orgId],
    );
    expect(Number(sum?.cents)).toBe(total);
    expect(Number(sum?.n)).toBe(20 + admitted);
  });
});

describe('tRPC', () => {
  const client = (key: string) => trpcClient(t(), key);

  it('reserves, settles and voids through transactions.submit/settle/void with the same 409s', async () => {
    const { orgId, key } = await cappedOrg(t(), 'trpc', 1000);
    const c = client(key);
    const a = await c.transactions.submit.mutate({
      amount: 300,
      vendor: 'openai',
      model: 'gpt-4o',
      phase: 'reserve',
    });
    expect(a.status).toBe('reserved');
    expect(a.expiresAt).toMatch(ISO);
    const b = await c.transactions.submit.mutate({
      amount: 200,
      vendor: 'openai',
      phase: 'reserve',
    });
    expect(await counter(orgId)).toEqual({ costMicros: 500 * M, requests: 2 });

    const s = await c.transactions.settle.mutate({ id: a.id, body: { amount: 250 } });
    expect(s).toMatchObject({ id: a.id, status: 'settled', amount: 250, estimatedAmount: 300 });
    const v = await c.transactions.void.mutate({ id: b.id });
    expect(v).toMatchObject({ id: b.id, status: 'voided', releasedAmountMicros: 200 * M });
    expect(await counter(orgId)).toEqual({ costMicros: 250 * M, requests: 1 });

    const err = await c.transactions.settle
      .mutate({ id: b.id, body: { amount: 1 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    const data = (err as TRPCClientError<AppRouter>).data as {
      httpStatus: number;
      reins?: { code: string };
    };
    expect(data.httpStatus).toBe(409);
    expect(data.reins?.code).toBe('RESERVATION_VOIDED');
    const missing = await c.transactions.void
      .mutate({ id: 'txn_doesnotexist000000' })
      .catch((e: unknown) => e);
    expect(
      ((missing as TRPCClientError<AppRouter>).data as { reins?: { code: string } }).reins?.code,
    ).toBe('NOT_FOUND');
  });
});
