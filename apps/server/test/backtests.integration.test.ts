/**
 * Backtests (issue 15): draft rules in either dialect, replayed by the `backtest` job over the
 * organization's recorded transactions; the result against what was decided at the time.
 */
import type { inferRouterOutputs } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import { useTestServer } from './harness.js';
import { atTime, keyWith, trpcClient, type ErrorBody } from './helpers.js';

// The job runs only when a test asks (`runNow`): its timer would fire after an hour.
const t = useTestServer('backtests', { REINS_WORKER: 'on', REINS_BACKTEST_MS: 3_600_000 });

type Backtest = inferRouterOutputs<AppRouter>['policyRules']['getBacktest'];
interface BacktestBody {
  success: true;
  backtest: Backtest;
}

const submit = (key: string, at: string, body: Record<string, unknown>) =>
  atTime(t(), at, () =>
    t().call<{ id: string; action?: string }>('POST', '/api/v1/transactions', body, { key }),
  );

/** Runs the job until `id` is finished (other tests' backtests may be queued before it). */
async function finish(id: string, key: string): Promise<Backtest> {
  for (let i = 0; i < 10; i++) {
    const res = await t().call<BacktestBody>('GET', `/api/policy-rules/backtest/${id}`, undefined, {
      key,
    });
    expect(res.status).toBe(200);
    if (res.body.backtest.status === 'done' || res.body.backtest.status === 'failed') {
      return res.body.backtest;
    }
    await t().server.jobs?.runNow('backtest');
  }
  throw new Error(`backtest ${id} did not finish`);
}

/** The draft set: a $10 daily org cap (docs dialect), a warning on GPT-4 (typed dialect). */
const DRAFTS = [
  {
    name: '$10 a day',
    priority: 10,
    conditions: { timeWindow: 'daily' },
    action: 'block',
    actionConfig: { limitCents: 1000, per: 'org' },
  },
  {
    type: 'model_filter',
    name: 'Warn on GPT-4',
    scope: 'org',
    condition: { model: { in: ['gpt-4'] } },
    action: 'warn',
  },
];

describe('a backtest', () => {
  let org: { orgId: string; key: string };
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    org = await t().newOrg('Backtested');
    // What was in force: GPT-4 blocked, nothing else.
    const rule = await t().call(
      'POST',
      '/api/policy-rules',
      { name: 'No GPT-4', conditions: { models: ['gpt-4'] }, action: 'block' },
      { key: org.key },
    );
    expect(rule.status).toBe(201);
    const tx = (model: string, amount: number) => ({
      vendor: 'openai',
      model,
      amount,
      agentId: 'bot',
    });
    const record = async (name: string, at: string, model: string, amount: number) => {
      const res = await submit(org.key, at, tx(model, amount));
      expect([202, 403]).toContain(res.status);
      ids[name] = res.body.id;
    };
    await record('t0', '2026-04-01T09:00:00.000Z', 'gpt-4o', 600); // before the period
    await record('t1', '2026-04-01T13:00:00.000Z', 'gpt-4o', 300);
    await record('t2', '2026-04-01T14:00:00.000Z', 'gpt-4', 100); // blocked then
    await record('t3', '2026-04-01T15:00:00.000Z', 'gpt-4o', 500);
    await record('t4', '2026-04-01T16:00:00.000Z', 'gpt-4o', 50);
    await record('t5', '2026-04-02T01:00:00.000Z', 'gpt-4o', 5000); // after the period
  });

  it('replays the period with the windows it began in, and compares with what happened', async () => {
    const started = await t().call<BacktestBody>(
      'POST',
      '/api/policy-rules/backtest',
      { rules: DRAFTS, startDate: '2026-04-01T12:00:00Z', endDate: '2026-04-01' },
      { key: org.key },
    );
    expect(started.status).toBe(202);
    expect(started.body.success).toBe(true);
    expect(started.body.backtest).toMatchObject({
      status: 'queued',
      startDate: '2026-04-01T12:00:00.000Z',
      // A plain end date includes that whole day.
      endDate: '2026-04-02T00:00:00.000Z',
      ruleCount: 2,
      progress: { processed: 0, total: null, pct: null },
      result: null,
      error: null,
    });
    const done = await finish(started.body.backtest.id, org.key);
    expect(done.status).toBe('done');
    expect(done.progress).toEqual({ processed: 4, total: 4, pct: 100 });
    expect(done.finishedAt).not.toBeNull();
    const r = done.result;
    expect(r).toMatchObject({
      periodStart: '2026-04-01T12:00:00.000Z',
      periodEnd: '2026-04-02T00:00:00.000Z',
      replayedFrom: '2026-04-01T00:00:00.000Z',
      transactions: 4,
      spendCents: 950,
      warmupTransactions: 1,
    });
    // $6 before the period: $3 passes (9), GPT-4's $1 reaches 10 (at the cap, not over: the
    // warning decides), $5 and then $0.50 are over — the blocked $5 does not count.
    expect(r?.rules).toEqual([
      {
        index: 0,
        name: '$10 a day',
        action: 'block',
        mode: 'enforce',
        priority: 10,
        enabled: true,
        transactions: 2,
        spendCents: 550,
        examples: [ids.t3, ids.t4],
      },
      {
        index: 1,
        name: 'Warn on GPT-4',
        action: 'warn',
        mode: 'enforce',
        priority: 0,
        enabled: true,
        transactions: 1,
        spendCents: 100,
        examples: [ids.t2],
      },
    ]);
    expect(r?.wouldHave).toEqual({
      block: { transactions: 2, spendCents: 550 },
      pass: { transactions: 1, spendCents: 300 },
      warn: { transactions: 1, spendCents: 100 },
    });
    expect(r?.actually).toEqual({
      block: { transactions: 1, spendCents: 100 },
      pass: { transactions: 3, spendCents: 850 },
    });
    expect(r?.difference).toEqual({
      newlyBlocked: { transactions: 2, spendCents: 550, examples: [ids.t3, ids.t4] },
      newlyAdmitted: { transactions: 1, spendCents: 100, examples: [ids.t2] },
      actionChanged: { transactions: 0, spendCents: 0, examples: [] },
      preventedSpendCents: 550,
      addedSpendCents: 100,
    });
  });

  it('is answered 404 to another organization', async () => {
    const started = await t().call<BacktestBody>(
      'POST',
      '/api/policy-rules/backtest',
      { rules: DRAFTS, startDate: '2026-04-01', endDate: '2026-04-01' },
      { key: org.key },
    );
    expect(started.status).toBe(202);
    const other = await t().newOrg('Someone else');
    const res = await t().call<ErrorBody>(
      'GET',
      `/api/policy-rules/backtest/${started.body.backtest.id}`,
      undefined,
      { key: other.key },
    );
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
    const missing = await t().call<ErrorBody>('GET', '/api/policy-rules/backtest/bt_nope');
    expect(missing.status).toBe(404);
  });

  it('is taken over from a worker whose lease expired, and not from one whose lease holds', async () => {
    const started = await t().call<BacktestBody>(
      'POST',
      '/api/policy-rules/backtest',
      { rules: DRAFTS, startDate: '2026-04-01T12:00:00Z', endDate: '2026-04-01' },
      { key: org.key },
    );
    const held = await t().call<BacktestBody>(
      'POST',
      '/api/policy-rules/backtest',
      { rules: DRAFTS, startDate: '2026-04-01T12:00:00Z', endDate: '2026-04-01' },
      { key: org.key },
    );
    // Both claimed by workers that stopped mid-replay: one lease ran out, one has a minute left.
    await t().sql(
      `update backtest set status = 'running', locked_by = 'dead-worker', attempts = 1,
              processed = 2, total = 4, locked_until = now() - interval '1 second'
        where id = ?`,
      [started.body.backtest.id],
    );
    await t().sql(
      `update backtest set status = 'running', locked_by = 'busy-worker', attempts = 1,
              locked_until = now() + interval '1 minute'
        where id = ?`,
      [held.body.backtest.id],
    );
    const done = await finish(started.body.backtest.id, org.key);
    expect(done.status).toBe('done');
    expect(done.result?.difference.preventedSpendCents).toBe(550);
    const [row] = await t().sql<{ attempts: number; locked_by: string | null }>(
      'select attempts, locked_by from backtest where id = ?',
      [started.body.backtest.id],
    );
    expect(row).toEqual({ attempts: 2, locked_by: null });
    // Nothing else is claimable now: the held one stays with its worker.
    await t().server.jobs?.runNow('backtest');
    const still = await t().call<BacktestBody>(
      'GET',
      `/api/policy-rules/backtest/${held.body.backtest.id}`,
      undefined,
      { key: org.key },
    );
    expect(still.body.backtest.status).toBe('running');
  });

  it('needs policies:write to start and policies:read to read', async () => {
    const reader = await keyWith(t(), org.key, ['policies:read']);
    const refused = await t().call<ErrorBody>(
      'POST',
      '/api/policy-rules/backtest',
      { rules: DRAFTS, startDate: '2026-04-01', endDate: '2026-04-01' },
      { key: reader },
    );
    expect(refused.status).toBe(403);
    expect(refused.body.requiredPermission).toBe('policies:write');
    const started = await t().call<BacktestBody>(
      'POST',
      '/api/policy-rules/backtest',
      { rules: DRAFTS, startDate: '2026-04-01', endDate: '2026-04-01' },
      { key: org.key },
    );
    const read = await t().call<BacktestBody>(
      'GET',
      `/api/policy-rules/backtest/${started.body.backtest.id}`,
      undefined,
      { key: reader },
    );
    expect(read.status).toBe(200);
    const writer = await keyWith(t(), org.key, ['transactions:write']);
    const noRead = await t().call<ErrorBody>(
      'GET',
      `/api/policy-rules/backtest/${started.body.backtest.id}`,
      undefined,
      { key: writer },
    );
    expect(noRead.status).toBe(403);
  });

  it('is a tRPC procedure too', async () => {
    const client = trpcClient(t(), org.key);
    const started = await client.policyRules.startBacktest.mutate({
      rules: DRAFTS,
      startDate: '2026-04-01T12:00:00Z',
      endDate: '2026-04-01',
    });
    expect(started.status).toBe('queued');
    const done = await finish(started.id, org.key);
    const got = await client.policyRules.getBacktest.query({ id: started.id });
    expect(got).toEqual(done);
    expect(got.result?.transactions).toBe(4);
  });
});

describe('starting a backtest', () => {
  const start = (body: unknown) => t().call<ErrorBody>('POST', '/api/policy-rules/backtest', body);

  it('names the draft rule and field that are wrong, in either dialect', async () => {
    const docs = await start({
      rules: [DRAFTS[0], { ...DRAFTS[0], conditions: { timeWindow: 'fortnightly' } }],
      startDate: '2026-04-01',
      endDate: '2026-04-02',
    });
    expect(docs.status).toBe(422);
    expect(docs.body.code).toBe('VALIDATION_ERROR');
    expect(docs.body.field).toBe('rules[1].conditions.timeWindow');
    const typed = await start({
      rules: [{ ...DRAFTS[1], condition: { model: { in: [] } } }],
      startDate: '2026-04-01',
      endDate: '2026-04-02',
    });
    expect(typed.status).toBe(422);
    expect(typed.body.field).toMatch(/^rules\[0\]\.condition/);
  });

  it('bounds the rules and the period', async () => {
    const cases: [unknown, string][] = [
      [{ rules: [], startDate: '2026-04-01', endDate: '2026-04-02' }, 'rules'],
      [
        {
          rules: Array.from({ length: 101 }, () => DRAFTS[0]),
          startDate: '2026-04-01',
          endDate: '2026-04-02',
        },
        'rules',
      ],
      [{ rules: DRAFTS, startDate: '2026-04-02', endDate: '2026-04-01T00:00:00Z' }, 'endDate'],
      [{ rules: DRAFTS, startDate: '2025-01-01', endDate: '2026-04-01' }, 'endDate'],
      [{ rules: DRAFTS, startDate: 'yesterday', endDate: '2026-04-01' }, 'startDate'],
      [{ rules: DRAFTS, endDate: '2026-04-01' }, 'startDate'],
      [{ rules: DRAFTS, startDate: '2026-04-01', endDate: '2026-04-02', extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const res = await start(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(res.body.field).toBe(field);
    }
  });

  it('does not take "backtest" for a rule id', async () => {
    const res = await t().call<ErrorBody>('GET', '/api/policy-rules/backtest');
    expect(res.status).toBe(404);
    const put = await t().call<ErrorBody>('PUT', '/api/policy-rules/backtest', { name: 'x' });
    expect(put.status).toBe(404);
  });
});
