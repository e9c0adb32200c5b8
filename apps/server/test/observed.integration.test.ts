/**
 * `phase: "observed"`: a call that already happened (an SDK deciding locally, or replaying what
 * it let through while it failed open). It is evaluated as usual and recorded with the server's
 * decision, but always counted in the windows and answered 202 — never refused, never 403 — so
 * window totals keep up with real spend.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MICROS_PER_CENT } from '@reins/engine';
import { rowCounts, windowCounters } from './counts.js';
import { useTestServer } from './harness.js';
import { cappedOrg, type ErrorBody, trpcClient } from './helpers.js';

const t = useTestServer('observed');

afterEach(() => {
  t().clock.set(null);
});

const M = MICROS_PER_CENT;

interface Submitted {
  success: boolean;
  id: string;
  action: string;
  policyResult: {
    action: string;
    ruleId: string | null;
    message: string;
    details: { limit: number | null; current: number | null; timeWindow: string | null };
  };
  code?: string;
}

interface Stored {
  action: string;
  admitted: boolean;
  status: string;
  phase: string;
  counted_windows: string[];
}

function submit<T = Submitted>(
  key: string,
  body: Record<string, unknown>,
  headers?: Record<string, string>,
) {
  return t().call<T>('POST', '/api/v1/transactions', body, { key, headers });
}

function observed<T = Submitted>(
  key: string,
  amount: number,
  extra: Record<string, unknown> = {},
  headers?: Record<string, string>,
) {
  return submit<T>(key, { amount, vendor: 'openai', phase: 'observed', ...extra }, headers);
}

async function stored(orgId: string, id: string): Promise<Stored> {
  const [row] = await t().sql<Stored>(
    `select action, admitted, status, phase, counted_windows from transaction_record
      where org_id = ? and id = ?`,
    [orgId, id],
  );
  if (!row) throw new Error(`transaction ${id} not found`);
  return row;
}

/** The org's only window counter (one daily org rule → one counter). */
async function dailyTotal(orgId: string): Promise<{ costMicros: number; requests: number }> {
  const all = Object.values(await windowCounters(t(), orgId));
  expect(all).toHaveLength(1);
  return all[0] ?? { costMicros: 0, requests: 0 };
}

describe('phase observed', () => {
  it('records and counts an observed call the cap would block: 202, action block, status recorded', async () => {
    const { key, orgId, ruleId } = await cappedOrg(t(), 'observed over cap', 1000);
    expect((await submit(key, { amount: 900, vendor: 'openai' })).status).toBe(202);

    const res = await observed(key, 500);
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({
      success: true,
      action: 'block',
      policyResult: {
        action: 'block',
        ruleId,
        message: 'Daily cap reached',
        details: { limit: 1000, current: 1400, timeWindow: 'daily' },
      },
    });
    const row = await stored(orgId, res.body.id);
    expect(row).toMatchObject({
      action: 'block',
      admitted: false,
      status: 'recorded',
      phase: 'observed',
    });
    expect(row.counted_windows).toHaveLength(1);
    expect(await dailyTotal(orgId)).toEqual({ costMicros: 1400 * M, requests: 2 });

    // The next final transaction sees the observed spend: $14.00 + 1 cent is over the cap.
    const next = await submit<ErrorBody & { details: { current: number } }>(key, {
      amount: 1,
      vendor: 'openai',
    });
    expect(next.status).toBe(403);
    expect(next.body.code).toBe('POLICY_VIOLATION');
    expect(next.body.details.current).toBe(1401);
    // A blocked final call is not counted; the observed one still is.
    expect(await dailyTotal(orgId)).toEqual({ costMicros: 1400 * M, requests: 2 });
  });

  it('is listed with phase observed and the server decision, and audited as transaction.observed with that action', async () => {
    const { key, ruleId } = await cappedOrg(t(), 'observed audit', 100);
    const res = await observed(key, 250, { agentId: 'replayer' });
    expect(res.status).toBe(202);
    const got = await t().call<{ transaction: { status: string; phase: string; action: string } }>(
      'GET',
      `/api/v1/transactions/${res.body.id}`,
      undefined,
      { key },
    );
    expect(got.body.transaction).toMatchObject({
      status: 'recorded',
      phase: 'observed',
      action: 'block',
    });
    const audit = await t().call<{
      events: { eventType: string; entityId: string; metadata: Record<string, unknown> }[];
    }>('GET', '/api/v1/audit-log?action=policy_rule.block', undefined, { key });
    expect(audit.status).toBe(200);
    const event = audit.body.events.find((e) => e.entityId === res.body.id);
    expect(event).toMatchObject({
      eventType: 'transaction.observed',
      metadata: { action: 'block', ruleId, phase: 'observed', amountCents: 250 },
    });
    // The trace replays to the same decision.
    const trace = await t().call<{ finalAction: string; evaluatedRules: { matched: boolean }[] }>(
      'GET',
      `/api/v1/transactions/${res.body.id}/trace`,
      undefined,
      { key },
    );
    expect(trace.body.finalAction).toBe('block');
    expect(trace.body.evaluatedRules[0]?.matched).toBe(true);
  });

  it('an admitted observed call is recorded like a final one, warn alerts included', async () => {
    const { key, orgId } = await t().newOrg('observed warn');
    const rule = await t().call<{ id: string }>(
      'POST',
      '/api/policy-rules',
      {
        name: 'Warn over 80% of $10/day',
        conditions: { timeWindow: 'daily' },
        action: 'warn',
        actionConfig: { limitCents: 1000, thresholdPct: 80, per: 'org' },
      },
      { key },
    );
    expect(rule.status).toBe(201);
    const res = await observed(key, 900);
    expect(res.status).toBe(202);
    expect(res.body.action).toBe('warn');
    expect(await stored(orgId, res.body.id)).toMatchObject({
      action: 'warn',
      admitted: true,
      status: 'recorded',
      phase: 'observed',
    });
    const alerts = await t().call<{ alerts: { ruleId: string; transactionId: string }[] }>(
      'GET',
      '/api/policy-alerts',
      undefined,
      { key },
    );
    expect(alerts.body.alerts).toEqual([
      expect.objectContaining({ ruleId: rule.body.id, transactionId: res.body.id }),
    ]);
  });

  it('replaying an observed call with the same Idempotency-Key records it once and answers the first response', async () => {
    const { key, orgId } = await cappedOrg(t(), 'observed replay', 100);
    const headers = { 'idempotency-key': 'sdk-replay-0001' };
    const first = await observed(key, 300, {}, headers);
    expect(first.status).toBe(202);
    const before = await rowCounts(t());
    const again = await observed(key, 300, {}, headers);
    expect(again.status).toBe(202);
    expect(again.text).toBe(first.text);
    expect(await rowCounts(t())).toEqual(before);
    expect(await dailyTotal(orgId)).toEqual({ costMicros: 300 * M, requests: 1 });

    // metadata.requestId works as well, and another body under the same key is a 409.
    const viaMeta = await observed(key, 5, { metadata: { requestId: 'req-observed-1' } });
    const viaMetaAgain = await observed(key, 5, { metadata: { requestId: 'req-observed-1' } });
    expect(viaMetaAgain.text).toBe(viaMeta.text);
    expect(await dailyTotal(orgId)).toEqual({ costMicros: 305 * M, requests: 2 });
    const conflict = await observed<ErrorBody>(key, 301, {}, headers);
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('a disabled vendor does not refuse an observed call: recorded with action block and counted', async () => {
    const { key, orgId } = await cappedOrg(t(), 'observed disabled vendor', 100_000);
    expect((await t().call('PUT', '/api/vendors/cohere', { enabled: false }, { key })).status).toBe(
      200,
    );
    const res = await observed(key, 40, { vendor: 'cohere' });
    expect(res.status, res.text).toBe(202);
    expect(res.body.action).toBe('block');
    expect(res.body.policyResult.message).toContain('cohere');
    expect(await stored(orgId, res.body.id)).toMatchObject({
      action: 'block',
      status: 'recorded',
      phase: 'observed',
    });
    expect(await dailyTotal(orgId)).toEqual({ costMicros: 40 * M, requests: 1 });
    // A final call to the disabled vendor is still refused.
    expect((await submit(key, { amount: 1, vendor: 'cohere' })).status).toBe(403);
  });

  it('is never refused by the vendor rate limit but uses up its allowance', async () => {
    const { key, orgId } = await t().newOrg('observed rpm');
    t().clock.set('2026-06-01T10:00:15.000Z');
    expect(
      (await t().call('PUT', '/api/vendors/mistral', { rateLimitRpm: 2 }, { key })).status,
    ).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await observed(key, 1, { vendor: 'mistral' })).status);
    }
    expect(statuses).toEqual([202, 202, 202]);
    const rate = Object.entries(await windowCounters(t(), orgId)).filter(([k]) =>
      k.startsWith('ratelimit|'),
    );
    expect(rate).toEqual([
      ['ratelimit|minute|2026-06-01T10:00:00.000Z|mistral', { costMicros: 0, requests: 3 }],
    ]);
    // The allowance is spent: a final call in the same minute is refused.
    const limited = await submit<ErrorBody>(key, { amount: 1, vendor: 'mistral' });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
  });

  it('refuses reservationTtlSeconds with phase observed (422 naming the field), writing nothing', async () => {
    const { key } = await t().newOrg('observed ttl');
    const before = await rowCounts(t());
    const res = await observed<ErrorBody>(key, 5, { reservationTtlSeconds: 60 });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('VALIDATION_ERROR');
    expect(res.body.field).toBe('reservationTtlSeconds');
    expect(await rowCounts(t())).toEqual(before);
  });

  it('cannot be settled or voided: it is not a reservation', async () => {
    const { key } = await t().newOrg('observed settle');
    const res = await observed(key, 5);
    const settle = await t().call<ErrorBody>(
      'POST',
      `/api/v1/transactions/${res.body.id}/settle`,
      { amount: 1 },
      { key },
    );
    expect(settle.status).toBe(409);
    expect(settle.body.code).toBe('NOT_A_RESERVATION');
    expect(settle.body.message).toContain('recorded as observed');
  });

  it('bulk records observed items among final ones, in order, each counted', async () => {
    const { key, orgId } = await cappedOrg(t(), 'observed bulk', 1000);
    const res = await t().call<{
      results: { index: number; success: boolean; action?: string; code?: string }[];
      recorded: number;
      blocked: number;
      failed: number;
    }>(
      'POST',
      '/api/v1/transactions/bulk',
      {
        transactions: [
          { amount: 800, vendor: 'openai' },
          { amount: 400, vendor: 'openai', phase: 'observed' },
          { amount: 100, vendor: 'openai' },
          { amount: 50, vendor: 'openai', phase: 'observed' },
          { amount: 5, vendor: 'openai', phase: 'observed', reservationTtlSeconds: 5 },
        ],
      },
      { key },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.results.map((r) => [r.index, r.success, r.action ?? r.code])).toEqual([
      [0, true, 'pass'],
      [1, true, 'block'],
      [2, false, 'POLICY_VIOLATION'],
      [3, true, 'block'],
      [4, false, 'VALIDATION_ERROR'],
    ]);
    expect(res.body).toMatchObject({ recorded: 3, blocked: 1, failed: 1 });
    expect(await dailyTotal(orgId)).toEqual({ costMicros: 1250 * M, requests: 3 });
  });

  it('the tRPC procedure answers an observed block as a result, not an error', async () => {
    const { key, orgId } = await cappedOrg(t(), 'observed trpc', 10);
    const client = trpcClient(t(), key);
    const res = await client.transactions.submit.mutate({
      amount: 20,
      vendor: 'openai',
      phase: 'observed',
    });
    expect(res.action).toBe('block');
    expect(await dailyTotal(orgId)).toEqual({ costMicros: 20 * M, requests: 1 });
  });
});
