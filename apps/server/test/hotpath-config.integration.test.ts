/**
 * What the hot path reads besides rules: the agent registry's budgets, vendor settings (disabled
 * vendors, per-minute rate limits), the price table with org overrides, and the alerts and
 * notifications `warn`/`notify` decisions raise. Every one of them is changed through the API
 * and must govern the very next transaction.
 */
import { describe, expect, it } from 'vitest';
import { MICROS_PER_CENT } from '@reins/engine';
import { useTestServer } from './harness.js';

const t = useTestServer('hotpath-config');

interface Submitted {
  success: boolean;
  id: string;
  code?: string;
  message?: string;
  action?: string;
  amount?: number;
  amountMicros?: number;
  policyResult?: { action: string; ruleId: string | null; message: string };
  details?: { limit: number | null; current: number | null; timeWindow: string | null };
  retryAfter?: number;
  vendor?: string;
  field?: string;
}

async function submit(key: string, body: Record<string, unknown>) {
  return t().call<Submitted>('POST', '/api/v1/transactions', body, { key });
}

async function rule(key: string, body: Record<string, unknown>, path = '/api/policy-rules') {
  const res = await t().call<{ id: string }>('POST', path, body, { key });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

describe('agent budgets', () => {
  it('a per-agent monthly rule without a limit uses the registered agent budget, and a budget change applies to the next transaction', async () => {
    const { key } = await t().newOrg('agent budget');
    const agent = await t().call(
      'POST',
      '/api/agents',
      { agentId: 'support-bot', name: 'Support bot', monthlyBudgetCents: 50000 },
      { key },
    );
    expect(agent.status).toBe(201);
    const ruleId = await rule(key, {
      name: 'Support bot monthly cap',
      priority: 20,
      conditions: { agentIds: ['support-bot'], timeWindow: 'monthly' },
      action: 'block',
      actionConfig: { message: 'Support bot monthly budget exhausted ($500/mo)' },
    });
    expect(
      (await submit(key, { amount: 49_990, vendor: 'openai', agentId: 'support-bot' })).status,
    ).toBe(202);
    const over = await submit(key, { amount: 20, vendor: 'openai', agentId: 'support-bot' });
    expect(over.status).toBe(403);
    expect(over.body.policyResult?.ruleId).toBe(ruleId);
    expect(over.body.details).toMatchObject({
      limit: 50000,
      current: 50010,
      timeWindow: 'monthly',
    });

    const raised = await t().call(
      'PUT',
      '/api/agents/support-bot',
      { monthlyBudgetCents: 60000 },
      { key },
    );
    expect(raised.status).toBe(200);
    expect(
      (await submit(key, { amount: 20, vendor: 'openai', agentId: 'support-bot' })).status,
    ).toBe(202);
  });

  it('an unregistered agent has no budget: the rule cannot resolve a limit and never matches', async () => {
    const { key } = await t().newOrg('no agent');
    await rule(key, {
      name: 'Per-agent monthly cap',
      conditions: { agentIds: ['ghost-*'], timeWindow: 'monthly' },
      action: 'block',
    });
    const res = await submit(key, { amount: 1_000_000, vendor: 'openai', agentId: 'ghost-1' });
    expect(res.status).toBe(202);
    expect(res.body.action).toBe('pass');
    const trace = await t().call<{ evaluatedRules: { matched: boolean; reason: string }[] }>(
      'GET',
      `/api/v1/transactions/${res.body.id}/trace`,
      undefined,
      { key },
    );
    expect(trace.body.evaluatedRules[0]?.matched).toBe(false);
  });
});

describe('vendor settings', () => {
  it('a disabled vendor is refused with POLICY_VIOLATION and recorded as blocked; enabling it again admits', async () => {
    const { key, orgId } = await t().newOrg('vendor disabled');
    const off = await t().call('PUT', '/api/vendors/google', { enabled: false }, { key });
    expect(off.status).toBe(200);
    const res = await submit(key, { amount: 5, vendor: 'google', model: 'gemini-1.5-pro' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('POLICY_VIOLATION');
    expect(res.body.message).toContain('google');
    const [row] = await t().sql<{ status: string; admitted: boolean }>(
      'select status, admitted from transaction_record where org_id = ? and id = ?',
      [orgId, res.body.id],
    );
    expect(row).toEqual({ status: 'blocked', admitted: false });
    // Other vendors are untouched.
    expect((await submit(key, { amount: 5, vendor: 'openai' })).status).toBe(202);
    await t().call('PUT', '/api/vendors/google', { enabled: true }, { key });
    expect((await submit(key, { amount: 5, vendor: 'google' })).status).toBe(202);
  });

  it('enforces a per-minute vendor rate limit across the organization with 429 RATE_LIMITED and Retry-After, recording nothing for the refused call', async () => {
    const { key, orgId } = await t().newOrg('vendor rpm');
    t().clock.set('2026-06-01T10:00:15.000Z');
    try {
      const set = await t().call('PUT', '/api/vendors/anthropic', { rateLimitRpm: 3 }, { key });
      expect(set.status).toBe(200);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await submit(key, { amount: 1, vendor: 'anthropic' })).status);
      }
      expect(statuses).toEqual([202, 202, 202]);
      const limited = await submit(key, { amount: 1, vendor: 'anthropic' });
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('RATE_LIMITED');
      expect(limited.body.vendor).toBe('anthropic');
      expect(limited.headers.get('retry-after')).toBe('45');
      // The limit is the vendor's: another vendor still goes through.
      expect((await submit(key, { amount: 1, vendor: 'openai' })).status).toBe(202);
      const [count] = await t().sql<{ n: string }>(
        "select count(*) as n from transaction_record where org_id = ? and vendor = 'anthropic'",
        [orgId],
      );
      expect(Number(count?.n)).toBe(3);
      // The next minute has a fresh allowance.
      t().clock.set('2026-06-01T10:01:00.000Z');
      expect((await submit(key, { amount: 1, vendor: 'anthropic' })).status).toBe(202);
    } finally {
      t().clock.set(null);
    }
  });

  it('calls blocked by policy do not use up the vendor rate limit', async () => {
    const { key } = await t().newOrg('rpm blocked');
    await t().call('PUT', '/api/vendors/mistral', { rateLimitRpm: 1 }, { key });
    await rule(key, {
      name: 'No large calls',
      conditions: { amountCents: { min: 100 } },
      action: 'block',
    });
    expect((await submit(key, { amount: 500, vendor: 'mistral' })).status).toBe(403);
    expect((await submit(key, { amount: 500, vendor: 'mistral' })).status).toBe(403);
    expect((await submit(key, { amount: 5, vendor: 'mistral' })).status).toBe(202);
    expect((await submit(key, { amount: 5, vendor: 'mistral' })).status).toBe(429);
  });
});

describe('costing from tokens', () => {
  it('prices tokens with the price table, then with an org override from its effective date, never re-pricing past transactions', async () => {
    const { key, orgId } = await t().newOrg('pricing');
    const usage = { vendor: 'openai', model: 'gpt-4o', tokensIn: 1000, tokensOut: 500 };
    const table = await submit(key, usage);
    expect(table.status, table.text).toBe(202);
    expect(table.body.amountMicros).toBeGreaterThan(0);
    expect(table.body.amount).toBe(Math.ceil((table.body.amountMicros ?? 0) / MICROS_PER_CENT));

    const override = await t().call(
      'POST',
      '/api/vendors/openai/price-overrides',
      { model: 'gpt-4o', inputPerMtokUsd: 10, outputPerMtokUsd: 20 },
      { key },
    );
    expect(override.status, override.text).toBe(201);
    const priced = await submit(key, usage);
    expect(priced.status).toBe(202);
    // 1,000 × $10/M + 500 × $20/M = $0.02.
    expect(priced.body.amountMicros).toBe(2 * MICROS_PER_CENT);

    const rows = await t().sql<{ id: string; amount_micros: string; price_source: string }>(
      'select id, amount_micros, price_source from transaction_record where org_id = ? order by created_at',
      [orgId],
    );
    expect(rows.map((r) => [r.id, Number(r.amount_micros), r.price_source])).toEqual([
      [table.body.id, table.body.amountMicros, 'genai-prices'],
      [priced.body.id, 2 * MICROS_PER_CENT, 'override'],
    ]);
  });

  it('refuses a transaction without an amount whose model the price table does not know, naming amount', async () => {
    const { key, orgId } = await t().newOrg('unpriced');
    const res = await submit(key, { vendor: 'openai', model: 'my-finetune-xyz', tokensIn: 10 });
    expect(res.status).toBe(422);
    expect(res.body.field).toBe('amount');
    const rows = await t().sql('select id from transaction_record where org_id = ?', [orgId]);
    expect(rows).toEqual([]);
  });

  it('a stated amount is recorded as the caller stated it', async () => {
    const { key, orgId } = await t().newOrg('stated');
    const res = await submit(key, { amount: 7, vendor: 'openai', model: 'gpt-4o', tokensIn: 1000 });
    expect(res.status).toBe(202);
    expect(res.body.amount).toBeUndefined();
    const [row] = await t().sql<{ amount_micros: string; price_source: string }>(
      'select amount_micros, price_source from transaction_record where org_id = ?',
      [orgId],
    );
    expect([Number(row?.amount_micros), row?.price_source]).toEqual([
      7 * MICROS_PER_CENT,
      'caller',
    ]);
  });
});

describe('alerts raised by the hot path', () => {
  it('a warn rule raises one alert per group and window, not one per transaction, and a new window raises a new one', async () => {
    const { key, orgId } = await t().newOrg('warn alerts');
    t().clock.set('2026-06-01T10:00:00.000Z');
    try {
      const ruleId = await rule(key, {
        name: 'Daily budget warning at 80%',
        conditions: { timeWindow: 'daily' },
        action: 'warn',
        actionConfig: { message: 'Daily budget 80% exhausted', thresholdPct: 80, limitCents: 100 },
      });
      const actions: string[] = [];
      for (let i = 0; i < 6; i++) {
        actions.push(
          (await submit(key, { amount: 20, vendor: 'openai', agentId: 'a' })).body.action ?? '',
        );
      }
      // 20, 40, 60, 80 are not past 80 % of $1; 100 and 120 are.
      expect(actions).toEqual(['pass', 'pass', 'pass', 'pass', 'warn', 'warn']);
      const alerts = await t().call<{
        alerts: {
          ruleId: string;
          action: string;
          timeWindow: string;
          current: number;
          limit: number;
          read: boolean;
        }[];
        count: number;
      }>('GET', '/api/policy-alerts', undefined, { key });
      expect(alerts.status).toBe(200);
      expect(alerts.body.count).toBe(1);
      expect(alerts.body.alerts[0]).toMatchObject({
        ruleId,
        action: 'warn',
        timeWindow: 'daily',
        current: 100,
        limit: 100,
        read: false,
      });

      t().clock.set('2026-06-02T10:00:00.000Z');
      for (let i = 0; i < 5; i++) await submit(key, { amount: 20, vendor: 'openai', agentId: 'a' });
      const [n] = await t().sql<{ n: string }>(
        'select count(*) as n from policy_alert where org_id = ?',
        [orgId],
      );
      expect(Number(n?.n)).toBe(2);
    } finally {
      t().clock.set(null);
    }
  });

  it('a notify rule raises an alert and queues one notification per enabled channel it names, once per window', async () => {
    const { key, orgId } = await t().newOrg('notify alerts');
    const channel = async (body: Record<string, unknown>) => {
      const res = await t().call<{ channel: { id: string } }>(
        'POST',
        '/api/notification-channels',
        body,
        { key },
      );
      expect(res.status, res.text).toBe(201);
      return res.body.channel.id;
    };
    const hook = await channel({
      name: 'ops hook',
      type: 'webhook',
      url: 'https://hooks.example.com/a',
    });
    const mail = await channel({ name: 'finance', type: 'email', addresses: ['fin@example.com'] });
    const muted = await channel({
      name: 'muted',
      type: 'webhook',
      url: 'https://hooks.example.com/b',
      enabled: false,
    });
    const ruleId = await rule(
      key,
      {
        name: 'Notify on gpt-4o',
        type: 'model_filter',
        scope: 'org',
        priority: 10,
        condition: { model: { in: ['gpt-4o'] } },
        action: 'notify',
        action_config: { channels: [hook, mail, muted] },
      },
      '/api/v1/rules',
    );
    for (let i = 0; i < 3; i++) {
      const res = await submit(key, { amount: 1, vendor: 'openai', model: 'gpt-4o', agentId: 'n' });
      expect(res.status).toBe(202);
      expect(res.body.action).toBe('notify');
    }
    const alerts = await t().sql<{ id: string; rule_id: string; action: string }>(
      'select id, rule_id, action from policy_alert where org_id = ?',
      [orgId],
    );
    expect(alerts.map((a) => [a.rule_id, a.action])).toEqual([[ruleId, 'notify']]);
    const outbox = await t().sql<{
      channel_id: string;
      alert_id: string;
      status: string;
      payload: { ruleId: string };
    }>(
      'select channel_id, alert_id, status, payload from notification_outbox where org_id = ? order by channel_id',
      [orgId],
    );
    expect(outbox.map((o) => o.channel_id).sort()).toEqual([hook, mail].sort());
    for (const o of outbox) {
      expect(o).toMatchObject({ alert_id: alerts[0]?.id, status: 'pending', payload: { ruleId } });
    }
  });
});
