/**
 * GET /api/v1/sdk/state (tRPC `sdk.state`): what an SDK in local evaluation mode syncs — the
 * policy of one version and the current window totals exactly as the hot path's evaluation sees
 * them (expired reservation holds taken out), the vendor rate-limit counters apart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { MICROS_PER_CENT, PRICE_DATA_VERSION, compile, evaluate } from '@reins/engine';
import type { Rule, WindowTotals } from '@reins/engine';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import { MAX_STATE_WINDOWS } from '../src/services/sdkState.js';
import { windowCounters } from './counts.js';
import { useTestServer } from './harness.js';
import { keyWith, policyVersion, type ErrorBody, trpcClient } from './helpers.js';

const t = useTestServer('sdk-state');

afterEach(() => {
  t().clock.set(null);
});

const M = MICROS_PER_CENT;

interface StateWindow extends WindowTotals {
  key: string;
  period: string;
  per: string;
  group: string;
  start: string;
  end: string;
}

interface State {
  success: true;
  version: number;
  serverTime: string;
  priceDataVersion: string;
  org: { timeZone: string; defaultAction: 'pass' | 'block'; budgets: Record<string, number> };
  rules: Rule[];
  agentBudgets: Record<string, number>;
  vendors: Record<string, { enabled: boolean; rateLimitRpm: number | null }>;
  overrides: Record<string, unknown>[];
  windows: StateWindow[];
  truncated: boolean;
  rateLimits: { vendor: string; start: string; end: string; requests: number }[];
}

async function state(key: string): Promise<State> {
  const res = await t().call<State>('GET', '/api/v1/sdk/state', undefined, { key });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

function submit(key: string, body: Record<string, unknown>) {
  return t().call<{ id: string; action: string }>('POST', '/api/v1/transactions', body, { key });
}

async function rule(key: string, body: Record<string, unknown>): Promise<string> {
  const res = await t().call<{ id: string }>('POST', '/api/policy-rules', body, { key });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

const dailyCap = (limitCents: number, extra: Record<string, unknown> = {}) => ({
  name: `Daily cap ${String(limitCents)}`,
  priority: 10,
  conditions: { timeWindow: 'daily' },
  action: 'block',
  actionConfig: { limitCents, per: 'org', message: 'Daily cap reached' },
  ...extra,
});

/** The window totals the hot path evaluated transaction `id` against (stored with it). */
async function seenBy(id: string): Promise<Record<string, WindowTotals>> {
  const [row] = await t().sql<{ evaluation: { windows: Record<string, number[]> } }>(
    'select evaluation from transaction_record where id = ?',
    [id],
  );
  const out: Record<string, WindowTotals> = {};
  for (const [
    k,
    [costMicros = 0, tokensIn = 0, tokensOut = 0, requests = 0] = [],
  ] of Object.entries(row?.evaluation.windows ?? {})) {
    out[k] = { costMicros, tokensIn, tokensOut, requests };
  }
  return out;
}

const totalsOf = (s: State): Record<string, WindowTotals> =>
  Object.fromEntries(
    s.windows.map((w) => [
      w.key,
      {
        costMicros: w.costMicros,
        tokensIn: w.tokensIn,
        tokensOut: w.tokensOut,
        requests: w.requests,
      },
    ]),
  );

describe('GET /api/v1/sdk/state', () => {
  it('answers the policy of the current version and the current windows after some transactions', async () => {
    const { key, orgId } = await t().newOrg('state basics', {
      timeZone: 'Europe/Paris',
      dailyBudgetCents: 50_000,
    });
    t().clock.set('2026-06-10T08:30:00.000Z');
    const capId = await rule(key, dailyCap(1000));
    const shadowId = await rule(key, {
      ...dailyCap(200),
      name: 'Trial: $2 a day',
      priority: 5,
      mode: 'shadow',
    });
    const offId = await rule(key, { ...dailyCap(1), name: 'Off', enabled: false });
    expect(
      (
        await t().call(
          'POST',
          '/api/agents',
          { agentId: 'support-bot', name: 'Support', monthlyBudgetCents: 7000 },
          { key },
        )
      ).status,
    ).toBe(201);
    expect((await t().call('PUT', '/api/vendors/google', { enabled: false }, { key })).status).toBe(
      200,
    );
    expect(
      (
        await t().call(
          'POST',
          '/api/vendors/openai/price-overrides',
          { model: 'in-house-*', perRequestUsd: 0.01, effectiveFrom: '2026-06-01T00:00:00Z' },
          { key },
        )
      ).status,
    ).toBe(201);
    for (const amount of [300, 250]) {
      expect((await submit(key, { amount, vendor: 'openai', tokensIn: 10 })).status).toBe(202);
    }

    const s = await state(key);
    expect(s.success).toBe(true);
    expect(s.version).toBe(await policyVersion(t(), orgId));
    expect(s.serverTime).toBe('2026-06-10T08:30:00.000Z');
    expect(s.priceDataVersion).toBe(PRICE_DATA_VERSION);
    expect(s.org).toEqual({
      timeZone: 'Europe/Paris',
      defaultAction: 'pass',
      budgets: { daily: 50_000 },
    });
    // The engine's Rule JSON of the enabled rules, shadow ones included, in evaluation order.
    expect(s.rules.map((r) => r.id)).toEqual([capId, shadowId]);
    expect(s.rules.map((r) => r.id)).not.toContain(offId);
    const defs = await t().sql<{ definition: Rule }>(
      'select definition from policy_rule where org_id = ? and enabled order by priority desc',
      [orgId],
    );
    expect(s.rules).toEqual(defs.map((d) => d.definition));
    expect(s.rules[1]?.mode).toBe('shadow');
    expect(s.agentBudgets).toEqual({ 'support-bot': 7000 });
    expect(s.vendors).toEqual({ google: { enabled: false, rateLimitRpm: null } });
    expect(s.overrides).toEqual([
      expect.objectContaining({
        vendor: 'openai',
        model: 'in-house-*',
        effectiveFrom: '2026-06-01T00:00:00.000Z',
      }),
    ]);
    // The Paris day of 08:30Z: one counter for both daily org rules.
    expect(s.windows).toEqual([
      {
        key: 'daily|org|2026-06-09T22:00:00.000Z|*',
        period: 'daily',
        per: 'org',
        group: '*',
        start: '2026-06-09T22:00:00.000Z',
        end: '2026-06-10T22:00:00.000Z',
        costMicros: 550 * M,
        tokensIn: 20,
        tokensOut: 0,
        requests: 2,
      },
    ]);
    expect(s.truncated).toBe(false);
    expect(s.rateLimits).toEqual([]);
  });

  it('windows equal the totals the hot path evaluates with, and give the same decision', async () => {
    const { key } = await t().newOrg('state equals evaluation');
    await rule(key, dailyCap(1000));
    await rule(key, {
      name: 'Per-agent hourly',
      conditions: { agentIds: ['bot-*'], timeWindow: 'hourly' },
      action: 'warn',
      actionConfig: { limitCents: 400, per: 'agent' },
    });
    for (const [amount, agentId] of [
      [300, 'bot-a'],
      [200, 'bot-b'],
      [350, 'bot-a'],
    ] as const) {
      expect((await submit(key, { amount, vendor: 'openai', agentId })).status).toBe(202);
    }
    const s = await state(key);
    expect(s.windows.map((w) => [w.key.split('|')[0], w.group, w.costMicros])).toEqual([
      ['daily', '*', 850 * M],
      ['hourly', 'bot-a', 650 * M],
      ['hourly', 'bot-b', 200 * M],
    ]);

    // What the SDK would decide from the state is what the server decides next.
    const input = { vendor: 'openai', agentId: 'bot-a', amountMicros: 200 * M };
    const local = evaluate(compile(s.rules), input, totalsOf(s), {
      now: s.serverTime,
      timeZone: s.org.timeZone,
      defaultAction: s.org.defaultAction,
    });
    expect(local.action).toBe('block');
    const next = await submit(key, { amount: 200, vendor: 'openai', agentId: 'bot-a' });
    expect(next.status).toBe(403);
    const seen = await seenBy(next.body.id);
    for (const [k, v] of Object.entries(seen)) expect(totalsOf(s)[k]).toEqual(v);
  });

  it('does not count an expired, unsettled reservation hold (the counter still holds it)', async () => {
    const { key, orgId } = await t().newOrg('state expired hold');
    await rule(key, dailyCap(1000));
    t().clock.set('2026-06-10T08:00:00.000Z');
    expect((await submit(key, { amount: 100, vendor: 'openai' })).status).toBe(202);
    const held = await submit(key, {
      amount: 600,
      vendor: 'openai',
      phase: 'reserve',
      reservationTtlSeconds: 60,
    });
    expect(held.status).toBe(202);
    const live = await state(key);
    expect(live.windows[0]).toMatchObject({ costMicros: 700 * M, requests: 2 });

    t().clock.set('2026-06-10T08:05:00.000Z');
    const s = await state(key);
    expect(s.windows[0]).toMatchObject({ costMicros: 100 * M, requests: 1 });
    // The raw counter still includes the hold until the worker releases it …
    expect(Object.values(await windowCounters(t(), orgId))).toEqual([
      { costMicros: 700 * M, requests: 2 },
    ]);
    // … and the hot path sees what the state says.
    const next = await submit(key, { amount: 800, vendor: 'openai' });
    expect(next.status).toBe(202);
    expect(await seenBy(next.body.id)).toEqual(totalsOf(s));
  });

  it('moves to a new version when a rule changes', async () => {
    const { key, orgId } = await t().newOrg('state version');
    const id = await rule(key, dailyCap(1000));
    const before = await state(key);
    const put = await t().call(
      'PUT',
      `/api/policy-rules/${id}`,
      { actionConfig: { limitCents: 2000, per: 'org' } },
      { key },
    );
    expect(put.status, put.text).toBe(200);
    const after = await state(key);
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.version).toBe(await policyVersion(t(), orgId));
    expect(after.rules[0]?.window).toMatchObject({ limit: 2000 });
    expect(before.rules[0]?.window).toMatchObject({ limit: 1000 });

    await t().call('PUT', `/api/policy-rules/${id}`, { enabled: false }, { key });
    const disabled = await state(key);
    expect(disabled.version).toBeGreaterThan(after.version);
    expect(disabled.rules).toEqual([]);
  });

  it('keeps vendor rate-limit counters out of windows and answers them in rateLimits', async () => {
    const { key } = await t().newOrg('state rate limits');
    await rule(key, dailyCap(1000));
    t().clock.set('2026-06-10T08:00:20.000Z');
    await t().call('PUT', '/api/vendors/anthropic', { rateLimitRpm: 10 }, { key });
    for (let i = 0; i < 3; i++) {
      expect((await submit(key, { amount: 1, vendor: 'anthropic' })).status).toBe(202);
    }
    const s = await state(key);
    expect(s.windows.map((w) => w.key)).toEqual(['daily|org|2026-06-10T00:00:00.000Z|*']);
    expect(s.windows.some((w) => w.key.startsWith('ratelimit|'))).toBe(false);
    expect(s.rateLimits).toEqual([
      {
        vendor: 'anthropic',
        start: '2026-06-10T08:00:00.000Z',
        end: '2026-06-10T08:01:00.000Z',
        requests: 3,
      },
    ]);
    expect(s.vendors.anthropic).toEqual({ enabled: true, rateLimitRpm: 10 });
    // The next minute's state has no spent allowance.
    t().clock.set('2026-06-10T08:01:00.000Z');
    expect((await state(key)).rateLimits).toEqual([]);
  });

  it('answers only windows that contain now, of this organization', async () => {
    const a = await t().newOrg('state window a');
    const b = await t().newOrg('state window b');
    await rule(a.key, dailyCap(1000));
    await rule(b.key, dailyCap(1000));
    t().clock.set('2026-06-10T23:59:00.000Z');
    expect((await submit(a.key, { amount: 10, vendor: 'openai' })).status).toBe(202);
    expect((await submit(b.key, { amount: 20, vendor: 'openai' })).status).toBe(202);
    expect((await state(a.key)).windows.map((w) => w.costMicros)).toEqual([10 * M]);
    // Yesterday's window is over: today has no counter yet.
    t().clock.set('2026-06-11T00:00:00.000Z');
    expect((await state(a.key)).windows).toEqual([]);
  });

  it('caps windows at 10,000 by key and says truncated', async () => {
    const { key, orgId } = await t().newOrg('state cap');
    t().clock.set('2026-06-10T08:00:00.000Z');
    await t().sql(
      `insert into window_counter (org_id, key, period, per, group_value, window_start,
          window_end, cost_micros, requests)
       select ?, 'daily|user|2026-06-10T00:00:00.000Z|u' || lpad(i::text, 6, '0'), 'daily',
              'user', 'u' || lpad(i::text, 6, '0'), '2026-06-10T00:00:00Z', '2026-06-11T00:00:00Z',
              i, 1
         from generate_series(1, ?) as i`,
      [orgId, MAX_STATE_WINDOWS + 5],
    );
    const s = await state(key);
    expect(s.truncated).toBe(true);
    expect(s.windows).toHaveLength(MAX_STATE_WINDOWS);
    expect(s.windows[0]?.group).toBe('u000001');
    expect(s.windows.at(-1)?.group).toBe('u010000');
  });

  it('refuses a key without policies:read with 403 FORBIDDEN, also a transactions:write key', async () => {
    const { key } = await t().newOrg('state forbidden');
    for (const permissions of [['transactions:write'], ['transactions:read', 'agents:read']]) {
      const limited = await keyWith(t(), key, permissions);
      const res = await t().call<ErrorBody>('GET', '/api/v1/sdk/state', undefined, {
        key: limited,
      });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'FORBIDDEN', requiredPermission: 'policies:read' });
    }
    const sdkKey = await keyWith(t(), key, ['transactions:write', 'policies:read']);
    expect((await t().call('GET', '/api/v1/sdk/state', undefined, { key: sdkKey })).status).toBe(
      200,
    );
    expect((await t().call('GET', '/api/v1/sdk/state', undefined, { key: null })).status).toBe(401);
  });

  it('is the tRPC query sdk.state, with the same permission', async () => {
    const { key } = await t().newOrg('state trpc');
    await rule(key, dailyCap(1000));
    const client = (k: string) => trpcClient(t(), k);
    const res = await client(key).sdk.state.query();
    const rest = await state(key);
    expect(res.version).toBe(rest.version);
    expect(res.rules).toEqual(rest.rules);
    const writeOnly = await keyWith(t(), key, ['transactions:write']);
    const err = await client(writeOnly)
      .sdk.state.query()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<AppRouter>).data?.httpStatus).toBe(403);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = await t().call<{ paths: Record<string, Record<string, Record<string, unknown>>> }>(
      'GET',
      '/api/openapi.json',
    );
    expect(doc.body.paths['/api/v1/sdk/state']?.get).toMatchObject({
      tags: ['SDK'],
      'x-permission': 'policies:read',
    });
  });
});
