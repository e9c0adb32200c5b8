/**
 * The recorder's batches: transactions of one organization that arrive together are written in
 * one database transaction, in arrival order, and one bad row never fails its neighbours.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MICROS_PER_CENT } from '@reins/engine';
import { newId } from '@reins/ledger';
import type { TxOutcome, TxRequest, TxResult } from '../src/recording/types.js';
import { useTestServer } from './harness.js';

const t = useTestServer('recorder');

afterEach(() => {
  t().clock.set(null);
});

function txRequest(orgId: string, amountCents: number, id = newId('txn')): TxRequest {
  const amountMicros = amountCents * MICROS_PER_CENT;
  return {
    orgId,
    phase: 'final',
    ttlMs: 0,
    priceFromTokens: false,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    idempotency: null,
    input: { vendor: 'openai', model: 'gpt-4o', agentId: 'batcher', amountMicros },
    record: {
      id,
      vendor: 'openai',
      model: 'gpt-4o',
      agentId: 'batcher',
      userId: null,
      userRoles: [],
      teamId: null,
      projectId: null,
      amountMicros,
      amountCents,
      tokensIn: 0,
      tokensOut: 0,
      prompt: null,
      response: null,
      metadata: {},
      occurredAt: new Date().toISOString(),
      priceSource: 'caller',
      priceVersion: null,
    },
  };
}

/** The outcome of a request the recorder recorded (these tests submit nothing it refuses). */
function recorded(r: TxResult): TxOutcome {
  if (r.kind !== 'recorded') throw new Error(`expected a recorded transaction, got ${r.kind}`);
  return r.outcome;
}

describe('recorder batches', () => {
  it('evaluates a burst in arrival order: the request that crosses the cap and every later one is blocked', async () => {
    const { orgId, key } = await t().newOrg('burst');
    const rule = await t().call(
      'POST',
      '/api/policy-rules',
      {
        name: 'Daily $1 cap',
        conditions: { timeWindow: 'daily' },
        action: 'block',
        actionConfig: { limitCents: 100 },
      },
      { key },
    );
    expect(rule.status).toBe(201);
    const recorder = t().server.core.recorder;
    const before = recorder.stats.batches;
    // 30 × 10¢ submitted in one tick: one batch, the first 10 fit under $1.
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, () => recorder.submit(txRequest(orgId, 10)).then(recorded)),
    );
    expect(outcomes.map((o) => o.decision.admitted)).toEqual(
      Array.from({ length: 30 }, (_, i) => i < 10),
    );
    expect(recorder.stats.batches - before).toBeLessThanOrEqual(2);
    const [counter] = await t().sql<{ cost_micros: string; requests: string }>(
      "select cost_micros, requests from window_counter where org_id = ? and period = 'daily'",
      [orgId],
    );
    expect(Number(counter?.cost_micros)).toBe(100 * MICROS_PER_CENT);
    expect(Number(counter?.requests)).toBe(10);
  });

  it('writes the rest of a batch when one row fails in the database', async () => {
    const { orgId, key } = await t().newOrg('bad row');
    await t().call(
      'POST',
      '/api/policy-rules',
      {
        name: 'Daily $100 cap',
        conditions: { timeWindow: 'daily' },
        action: 'block',
        actionConfig: { limitCents: 10_000 },
      },
      { key },
    );
    const recorder = t().server.core.recorder;
    // The primary key is (org_id, id, created_at) since transactions are partitioned by month:
    // a row repeats another's key only when recorded at the same instant — the clock is pinned.
    t().clock.set('2031-05-06T07:08:09.000Z');
    const dup = newId('txn');
    const reqs = [
      txRequest(orgId, 5),
      txRequest(orgId, 5, dup),
      txRequest(orgId, 5),
      txRequest(orgId, 5, dup), // primary-key violation: only this one may fail
      txRequest(orgId, 5),
    ];
    const settled = await Promise.allSettled(reqs.map((r) => recorder.submit(r)));
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const rows = await t().sql<{ n: string }>(
      'select count(*) as n from transaction_record where org_id = ?',
      [orgId],
    );
    expect(Number(rows[0]?.n)).toBe(4);
    const [counter] = await t().sql<{ requests: string; cost_micros: string }>(
      "select requests, cost_micros from window_counter where org_id = ? and period = 'daily'",
      [orgId],
    );
    // The failed row's counter bump was rolled back with it.
    expect(Number(counter?.requests)).toBe(4);
    expect(Number(counter?.cost_micros)).toBe(20 * MICROS_PER_CENT);
  });

  it('sees an organization setting changed behind its back (under the batch locks)', async () => {
    const { orgId } = await t().newOrg('settings change');
    const recorder = t().server.core.recorder;
    const first = recorded(await recorder.submit(txRequest(orgId, 1)));
    // Another process (or an operator) changes the time zone: the next batch must use it.
    await t().sql(`update organization set time_zone = 'Asia/Tokyo' where id = ?`, [orgId]);
    const second = recorded(await recorder.submit(txRequest(orgId, 1)));
    const rows = await t().sql<{ id: string; evaluation: { timeZone: string } }>(
      'select id, evaluation from transaction_record where id in (?, ?)',
      [first.id, second.id],
    );
    const zone = (id: string) => rows.find((r) => r.id === id)?.evaluation.timeZone;
    expect(zone(first.id)).toBe('UTC');
    expect(zone(second.id)).toBe('Asia/Tokyo');
  });
});
