/**
 * Analytics read from the worker's rollups plus what the rollups have not absorbed yet: a
 * summary equals a direct sum over the transactions, whatever the worker has done, also while
 * transactions are being recorded.
 */
import type { inferRouterOutputs } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { inTransaction, ORGS_TO_ROLL, rollOrg, rollupLag, withConnection } from '@reins/ledger';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import { useTestServer } from './harness.js';
import { expectSearchSkipsThePast } from './helpers.js';

// The rollup job's timer never fires during a test: each test absorbs when it wants to.
const t = useTestServer('analytics', { REINS_ROLLUP_MS: 3_600_000, REINS_ANOMALY_MS: 3_600_000 });

type Summary = inferRouterOutputs<AppRouter>['analytics']['summary'];

async function rule(key: string, body: Record<string, unknown>) {
  const res = await t().call('POST', '/api/policy-rules', body, { key });
  expect(res.status, res.text).toBe(201);
}

/** Block over $10, flag over $5, warn over $3; a shadow rule would block over $2. */
async function bandedRules(key: string) {
  const band = (name: string, priority: number, min: number, action: string, extra = {}) =>
    rule(key, { name, priority, conditions: { amountCents: { min } }, action, ...extra });
  // Priority descending: the first that matches decides.
  await band('Block over $10', 40, 1001, 'block');
  await band('Flag over $5', 30, 501, 'flag');
  await band('Warn over $3', 20, 301, 'warn');
  await band('Would block over $2', 50, 201, 'block', { mode: 'shadow' });
}

function tx(key: string, amount: number, extra: Record<string, unknown> = {}) {
  return t().call<{ id: string }>(
    'POST',
    '/api/v1/transactions',
    { amount, vendor: 'openai', model: 'gpt-4o', agentId: 'bot', ...extra },
    { key },
  );
}

async function summary(key: string, query: string): Promise<Summary> {
  const res = await t().call<Summary & { success: boolean }>(
    'GET',
    `/api/analytics/summary?${query}`,
    undefined,
    { key },
  );
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** The same figures straight from transaction_record. */
async function direct(orgId: string, from: string, to: string) {
  const [row] = await t().sql<Record<string, string>>(
    `select coalesce(sum(amount_cents) filter (where status in ('recorded','settled')), 0)::text as spend,
            count(*)::text as n,
            count(*) filter (where status = 'blocked')::text as blocked,
            count(*) filter (where action = 'flag')::text as flagged,
            count(*) filter (where action = 'warn')::text as warned
       from transaction_record
      where org_id = ? and occurred_at >= ?::timestamptz and occurred_at < ?::timestamptz`,
    [orgId, from, to],
  );
  return {
    totalSpendCents: Number(row?.spend),
    transactionCount: Number(row?.n),
    blockedCount: Number(row?.blocked),
    flaggedCount: Number(row?.flagged),
    warnedCount: Number(row?.warned),
  };
}

async function roll(orgId: string, limit?: number): Promise<number | null> {
  return inTransaction(t().server.db.orm, (conn) => rollOrg(conn, orgId, limit));
}

/**
 * Absorbs until something was: events wait for every transaction older than theirs to end, and
 * on a shared PostgreSQL that includes other test files' (the horizon is the whole cluster's).
 */
async function rollSome(orgId: string, limit?: number): Promise<number> {
  for (let i = 0; ; i++) {
    const n = (await roll(orgId, limit)) ?? 0;
    if (n > 0 || i === 200) return n;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Absorbs until nothing is left past the cursor. */
async function rollAll(orgId: string): Promise<void> {
  const orm = t().server.db.orm;
  for (let i = 0; i < 200; i++) {
    await roll(orgId);
    if ((await withConnection(orm, (c) => rollupLag(c, orgId))).events === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the rollups did not catch up in 5 s');
}

describe('GET /api/analytics/summary', () => {
  it("answers the docs' shape, with every decision and reservation outcome counted once", async () => {
    const { key, orgId } = await t().newOrg('summary shape');
    t().clock.set('2026-05-06T12:00:00.000Z');
    await bandedRules(key);
    for (const [amount, extra] of [
      [100, {}],
      [250, { userId: 'ana' }],
      [400, { vendor: 'anthropic', model: 'claude-sonnet-4', agentId: 'helper', userId: 'ana' }],
      [700, { userId: 'bo' }],
      [1500, {}],
    ] as const) {
      // A block answers 403 (the docs), anything recorded 201 or 202.
      const { status } = await tx(key, amount, extra);
      if (amount > 1000) expect(status).toBe(403);
      else expect([201, 202]).toContain(status);
    }
    // A reservation settled for less, one voided, one left to expire.
    const reserve = (amount: number) => tx(key, amount, { phase: 'reserve', agentId: 'planner' });
    const settled = await reserve(90);
    const voided = await reserve(80);
    await reserve(70);
    const s = await t().call(
      'POST',
      `/api/v1/transactions/${settled.body.id}/settle`,
      { amount: 60 },
      { key },
    );
    expect(s.status, s.text).toBe(200);
    await t().call('POST', `/api/v1/transactions/${voided.body.id}/void`, {}, { key });

    const before = await summary(key, 'period=monthly');
    expect(before).toMatchObject({
      period: 'monthly',
      startDate: '2026-05-01T00:00:00.000Z',
      endDate: '2026-06-01T00:00:00.000Z',
      totalSpendCents: 100 + 250 + 400 + 700 + 60,
      byVendor: { openai: 1110, anthropic: 400 },
      byAgent: { helper: 400, bot: 1050, planner: 60 },
      byModel: { 'gpt-4o': 1110, 'claude-sonnet-4': 400 },
      byUser: { ana: 650, bo: 700 },
      transactionCount: 8,
      blockedCount: 1,
      flaggedCount: 1,
      warnedCount: 1,
      shadow: { wouldBlock: 4, wouldWarn: 0, wouldFlag: 0 },
    });
    expect(before).toMatchObject(
      await direct(orgId, '2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z'),
    );

    // Absorbed in pieces, then whole: the answer does not move.
    expect(await rollSome(orgId, 3)).toBe(3);
    expect(await summary(key, 'period=monthly')).toEqual(before);
    await rollAll(orgId);
    expect(await summary(key, 'period=monthly')).toEqual(before);
    const [rolled] = await t().sql<{ n: string }>(
      `select count(*)::text as n from spend_rollup where org_id = ?`,
      [orgId],
    );
    expect(Number(rolled?.n)).toBeGreaterThan(0);

    // The daily period, and a day series that adds up to the month.
    expect(await summary(key, 'period=daily')).toMatchObject({
      startDate: '2026-05-06T00:00:00.000Z',
      totalSpendCents: 1510,
    });
    const series = await summary(key, 'period=monthly&groupBy=day');
    expect(series.series).toEqual([
      {
        start: '2026-05-06T00:00:00.000Z',
        spendCents: 1510,
        transactionCount: 8,
        blockedCount: 1,
        flaggedCount: 1,
        warnedCount: 1,
      },
    ]);
    // One agent.
    expect(await summary(key, 'period=monthly&agentId=helper')).toMatchObject({
      totalSpendCents: 400,
      transactionCount: 1,
      byAgent: { helper: 400 },
    });
  });

  it("puts transactions in the org's local days, also in a zone half an hour off UTC", async () => {
    const { key, orgId } = await t().newOrg('kolkata', { timeZone: 'Asia/Kolkata' });
    // Local midnight of 2026-05-07 is 2026-05-06T18:30Z.
    for (const [at, amount] of [
      ['2026-05-06T18:29:00.000Z', 100],
      ['2026-05-06T18:30:00.000Z', 200],
      ['2026-05-07T10:00:00.000Z', 300],
      ['2026-05-07T18:31:00.000Z', 400],
    ] as const) {
      t().clock.set(at);
      expect((await tx(key, amount)).status).toBeLessThan(300);
    }
    await rollAll(orgId);
    t().clock.set('2026-05-08T12:00:00.000Z');
    const days = await summary(key, 'startDate=2026-05-06&endDate=2026-05-08&groupBy=day');
    expect(days).toMatchObject({
      period: 'custom',
      startDate: '2026-05-05T18:30:00.000Z',
      endDate: '2026-05-08T18:30:00.000Z',
      totalSpendCents: 1000,
    });
    expect(days.series?.map((p) => [p.start, p.spendCents])).toEqual([
      ['2026-05-05T18:30:00.000Z', 100],
      ['2026-05-06T18:30:00.000Z', 500],
      ['2026-05-07T18:30:00.000Z', 400],
    ]);
    const one = await summary(key, 'startDate=2026-05-07&endDate=2026-05-07&groupBy=hour');
    expect(one.totalSpendCents).toBe(500);
    expect(one.series?.map((p) => p.start)).toEqual([
      '2026-05-06T18:30:00.000Z',
      '2026-05-07T09:30:00.000Z',
    ]);
    // A month spanning whole UTC days reads the day rollups and the quarter-hour edges.
    expect(await summary(key, 'startDate=2026-05-01&endDate=2026-05-31')).toMatchObject(
      await direct(orgId, '2026-04-30T18:30:00Z', '2026-05-31T18:30:00Z'),
    );
  });

  it('stays equal to a direct sum while transactions are recorded and rolled up concurrently', async () => {
    const { key, orgId } = await t().newOrg('under load');
    t().clock.set(null);
    await bandedRules(key);
    const now = new Date();
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
    const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
    const state = { done: false };
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 60; i++) {
        await tx(key, 50 + ((i * 97 + w * 31) % 1200), { agentId: `agent-${String(w)}` });
      }
    });
    const roller = (async () => {
      while (!state.done) {
        await roll(orgId, 25);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    let reads = 0;
    const reader = (async () => {
      while (!state.done) {
        const lo = await direct(orgId, from, to);
        const s = await summary(key, 'period=monthly');
        const hi = await direct(orgId, from, to);
        // Spend only grows here: the summary lies between the sums before and after it.
        expect(s.totalSpendCents).toBeGreaterThanOrEqual(lo.totalSpendCents);
        expect(s.totalSpendCents).toBeLessThanOrEqual(hi.totalSpendCents);
        expect(s.transactionCount).toBeGreaterThanOrEqual(lo.transactionCount);
        expect(s.transactionCount).toBeLessThanOrEqual(hi.transactionCount);
        reads++;
      }
    })();
    await Promise.all(writers);
    state.done = true;
    await Promise.all([roller, reader]);
    expect(reads).toBeGreaterThan(0);
    const final = await direct(orgId, from, to);
    expect(final.transactionCount).toBe(240);
    expect(await summary(key, 'period=monthly')).toMatchObject(final);
    // And once the worker has caught up.
    await t().server.jobs?.runNow('rollups');
    expect(await summary(key, 'period=monthly')).toMatchObject(final);
  });

  it('finds the organizations with events to absorb without reading their absorbed past', async () => {
    const { orgId } = await t().newOrg('long past');
    await expectSearchSkipsThePast(t(), {
      orgId,
      tag: 'rp',
      statement: ORGS_TO_ROLL,
      process: () => rollAll(orgId),
    });
  }, 60_000);

  it('refuses bad queries with 422 naming the field', async () => {
    const { key } = await t().newOrg('bad analytics');
    for (const [query, field] of [
      ['period=yearly', 'period'],
      ['groupBy=week', 'groupBy'],
      ['startDate=2026-02-30&endDate=2026-03-01', 'startDate'],
      ['startDate=2026-03-01', 'endDate'],
      ['startDate=2026-03-02&endDate=2026-03-01', 'endDate'],
      ['startDate=2024-01-01&endDate=2026-03-01', 'endDate'],
      ['period=monthly&startDate=2026-03-01&endDate=2026-03-02', 'period'],
      ['startDate=2026-01-01&endDate=2026-03-01&groupBy=hour', 'groupBy'],
      ['colour=blue', 'colour'],
    ] as const) {
      const res = await t().call('GET', `/api/analytics/summary?${query}`, undefined, { key });
      expect(res.status, query).toBe(422);
      expect(res.body, query).toMatchObject({ code: 'VALIDATION_ERROR' });
      expect(String(res.body.message), query).toContain(field);
    }
  });

  it('needs analytics:read', async () => {
    const { key } = await t().newOrg('analytics permission');
    const created = await t().call<{ key: string }>(
      'POST',
      '/api/keys',
      { name: 'writer', permissions: ['transactions:write'] },
      { key },
    );
    expect(created.status, created.text).toBe(201);
    const res = await t().call('GET', '/api/analytics/summary', undefined, {
      key: created.body.key,
    });
    expect(res.status).toBe(403);
  });
});

describe('GET /api/analytics/forecast', () => {
  it("projects the docs' example: 7,800 cents in 5 days of May against a 50,000 budget", async () => {
    const { key } = await t().newOrg('forecast', { monthlyBudgetCents: 50_000 });
    t().clock.set('2026-05-03T10:00:00.000Z');
    await tx(key, 3000);
    t().clock.set('2026-05-05T10:00:00.000Z');
    await tx(key, 4800, { agentId: 'other' });
    t().clock.set('2026-05-06T00:00:00.000Z');
    const res = await t().call('GET', '/api/analytics/forecast', undefined, { key });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      success: true,
      period: 'monthly',
      timeZone: 'UTC',
      periodStart: '2026-05-01T00:00:00.000Z',
      periodEnd: '2026-06-01T00:00:00.000Z',
      totalSpendCents: 7800,
      projectedSpendCents: 48_360,
      budgetCents: 50_000,
      budgetUtilizationPct: 96.7,
      burnRateCentsPerDay: 1560,
      runsOutAt: null,
      budgetExhausted: false,
      method: 'linear',
    });
  });

  it('forecasts one agent against its monthly budget, with the day it runs out', async () => {
    const { key } = await t().newOrg('agent forecast');
    const a = await t().call(
      'POST',
      '/api/agents',
      { agentId: 'support-bot', name: 'Support', monthlyBudgetCents: 4000 },
      { key },
    );
    expect(a.status, a.text).toBe(201);
    t().clock.set('2026-05-02T00:00:00.000Z');
    await tx(key, 1000, { agentId: 'support-bot' });
    await tx(key, 9999, { agentId: 'someone-else' });
    t().clock.set('2026-05-11T00:00:00.000Z');
    const res = await t().call('GET', '/api/analytics/forecast?agentId=support-bot', undefined, {
      key,
    });
    expect(res.body).toMatchObject({
      agentId: 'support-bot',
      totalSpendCents: 1000,
      budgetCents: 4000,
      burnRateCentsPerDay: 100,
      projectedSpendCents: 3100,
      // 3,000 cents more at 100 a day: 30 days after May 11th, past the month's end.
      runsOutAt: null,
    });
    t().clock.set('2026-05-03T00:00:00.000Z');
    const early = await t().call('GET', '/api/analytics/forecast?agentId=support-bot', undefined, {
      key,
    });
    // 1,000 in 2 days: 500 a day; 3,000 more take 6 days.
    expect(early.body).toMatchObject({
      burnRateCentsPerDay: 500,
      runsOutAt: '2026-05-09T00:00:00.000Z',
    });
  });
});

describe('GET /api/analytics/anomalies', () => {
  it("finds an agent's spike against the same hour of its earlier days, and alerts once", async () => {
    const { key, orgId } = await t().newOrg('anomalies');
    // Ten days of 3 calls of $1 at 14:00 UTC, then 30 calls of $5.
    for (let d = 1; d <= 10; d++) {
      t().clock.set(`2026-05-${String(d).padStart(2, '0')}T14:10:00.000Z`);
      for (let i = 0; i < 3; i++) await tx(key, 100, { agentId: 'cron' });
    }
    t().clock.set('2026-05-11T14:10:00.000Z');
    await Promise.all(Array.from({ length: 30 }, () => tx(key, 500, { agentId: 'cron' })));
    await rollAll(orgId);
    t().clock.set('2026-05-11T14:40:00.000Z');
    const res = await t().call<{ anomalies: Record<string, unknown>[] }>(
      'GET',
      '/api/analytics/anomalies?hours=3',
      undefined,
      { key },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.anomalies).toEqual([
      expect.objectContaining({
        agentId: 'cron',
        metric: 'spend',
        windowStart: '2026-05-11T14:00:00.000Z',
        windowEnd: '2026-05-11T15:00:00.000Z',
        observed: 15_000,
        expected: 300,
        baselineDays: 10,
      }),
      expect.objectContaining({ agentId: 'cron', metric: 'requests', observed: 30, expected: 3 }),
    ]);
    await t().server.jobs?.runNow('anomalies');
    await t().server.jobs?.runNow('anomalies');
    const alerts = await t().sql<{ action: string; agent_id: string; rule_id: string | null }>(
      `select action, agent_id, rule_id from policy_alert where org_id = ? order by dedup_key`,
      [orgId],
    );
    expect(alerts).toEqual([
      { action: 'anomaly', agent_id: 'cron', rule_id: null },
      { action: 'anomaly', agent_id: 'cron', rule_id: null },
    ]);
    const listed = await t().call<{ alerts: { action: string; ruleId: string | null }[] }>(
      'GET',
      '/api/policy-alerts',
      undefined,
      { key },
    );
    expect(listed.body.alerts.map((a) => [a.action, a.ruleId])).toEqual([
      ['anomaly', null],
      ['anomaly', null],
    ]);
  });
});
