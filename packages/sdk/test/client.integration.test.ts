/**
 * `reins()`, the docs' REST client, against a real Reins server on its own database. Each test
 * that writes gets its own organization (`client()`), so no test sees another's rules or spend.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@reins/server';
import type * as engine from '@reins/engine';
import { ADMIN_KEY, startTestServer } from '@reins/server/testing';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { reins, type ReinsClient, type ReinsOptions } from '../src/client.js';
import { ReinsError } from '../src/errors.js';
import type { SdkState } from '../src/local.js';
import type {
  Action,
  Agent,
  ApiKey,
  Budget,
  BudgetDeletedResponse,
  BudgetListResponse,
  Organization,
  RuleWarning,
  Backtest,
  ApiKeyCreatedResponse,
  ApiKeyRevokedResponse,
  AuditListResponse,
  AuditVerifyResponse,
  AuditVerification,
  EvaluatePolicyResponse,
  EvaluatedRule,
  GroupBy,
  Metric,
  ModelPrice,
  Period,
  PolicyAlert,
  PolicyDetails,
  PolicyRule,
  PriceTier,
  ReviewTransactionResponse,
  RuleMode,
  RuleType,
  Scope,
  SettleResponse,
  ShadowHit,
  SubmitTransactionResult,
  Transaction,
  TransactionAccepted,
  TransactionBlocked,
  TransactionListResponse,
  TransactionTraceResponse,
  TraceFigures,
  Vendor,
  VendorPricesResponse,
  VendorSettings,
  VoidResponse,
} from '../src/types.js';

let server: Awaited<ReturnType<typeof startTestServer>> | undefined;

beforeAll(async () => {
  server = await startTestServer('sdk-client');
}, 120_000);

afterAll(async () => {
  await server?.close();
}, 120_000);

function reinsServer() {
  if (!server) throw new Error('the Reins server starts in beforeAll');
  return server;
}

/** A client with the admin key of a new organization. */
async function client(options: ReinsOptions = {}): Promise<ReinsClient> {
  const s = reinsServer();
  const { key } = await s.newOrg('sdk client');
  return reins({ apiKey: key, baseUrl: s.url, ...options });
}

function admitted(r: SubmitTransactionResult): TransactionAccepted {
  if (!r.success) throw new Error(`expected an admitted transaction, got ${r.code}: ${r.message}`);
  return r;
}

function blocked(r: SubmitTransactionResult): TransactionBlocked {
  if (r.success) throw new Error(`expected a block, got ${r.action}`);
  return r;
}

/** The docs' "Basic Throttling" rule, verbatim. */
const OVER_FIVE_DOLLARS = {
  name: 'Block transactions over $5',
  priority: 1,
  enabled: true,
  conditions: {
    amountCents: { min: 501 },
    vendors: ['openai', 'anthropic', 'cohere', 'mistral', 'google', 'perplexity'],
  },
  action: 'block',
  actionConfig: { message: 'Individual transactions over $5 are not permitted.' },
} as const;

/** A local HTTP server for what Reins itself never does (hang, dribble); closed after use. */
async function withHttpServer<T>(
  handler: RequestListener,
  run: (url: string) => Promise<T>,
): Promise<T> {
  const local: Server = createServer(handler);
  await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
  const { port } = local.address() as AddressInfo;
  try {
    return await run(`http://127.0.0.1:${port}`);
  } finally {
    local.closeAllConnections();
    await new Promise((resolve) => local.close(resolve));
  }
}

describe('the docs’ examples', () => {
  it('Quickstart: submitTransaction records the transaction and answers its id', async () => {
    const c = reins({ apiKey: ADMIN_KEY, baseUrl: reinsServer().url });
    const result = await c.submitTransaction({
      amount: 150,
      vendor: 'openai',
      model: 'gpt-4',
      userId: 'user-123',
    });
    expect(result.success).toBe(true);
    expect(result.id).toMatch(/^txn_/);
    expect(result.action).toBe('pass');
    const { transaction } = await c.getTransaction(result.id);
    expect(transaction).toMatchObject({ id: result.id, amount: 150, userId: 'user-123' });
  });

  it('Basic Throttling: a $6 transaction is a block result, not a throw', async () => {
    const c = await client();
    await c.createRule(OVER_FIVE_DOLLARS);
    const result = await c.submitTransaction({ amount: 600, vendor: 'openai', model: 'gpt-4' });
    expect(result.action === 'block').toBe(true);
    if (result.action !== 'block') return;
    expect(result.policyResult.message).toBe('Individual transactions over $5 are not permitted.');
    expect(result).toMatchObject({
      success: false,
      code: 'POLICY_VIOLATION',
      message: 'Policy violation: Individual transactions over $5 are not permitted.',
      policyResult: { action: 'block', ruleName: 'Block transactions over $5' },
      details: { current: 600, limit: null, timeWindow: null },
    });
    // The blocked transaction is recorded with action block.
    const { transaction } = await c.getTransaction(result.id);
    expect(transaction).toMatchObject({ action: 'block', status: 'blocked', amount: 600 });
    // An observed call already happened: recorded with the block decision, answered 202.
    const observed = await c.submitTransaction({
      amount: 600,
      vendor: 'openai',
      phase: 'observed',
    });
    expect(observed).toMatchObject({ success: true, action: 'block' });
    expect((await c.getTransaction(observed.id)).transaction).toMatchObject({
      phase: 'observed',
      action: 'block',
      status: 'recorded',
    });
    // $5.00 exactly is not over the limit.
    expect(admitted(await c.submitTransaction({ amount: 500, vendor: 'openai' })).action).toBe(
      'pass',
    );
  });
});

describe('errors', () => {
  it('an invalid transaction throws ReinsError 422 VALIDATION_ERROR naming the field', async () => {
    const c = await client();
    const noAmount = { vendor: 'openai' };
    await expect(c.submitTransaction(noAmount)).rejects.toMatchObject({
      name: 'ReinsError',
      status: 422,
      code: 'VALIDATION_ERROR',
      body: { field: 'amount' },
    });
    const err = await c.submitTransaction({ amount: 1, vendor: 'acme' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReinsError);
    expect(err).toMatchObject({ status: 422, body: { field: 'vendor' } });
    expect((err as ReinsError).message).toMatch(/^vendor: must be one of openai/);
  });

  it('a wrong API key throws ReinsError 401 UNAUTHORIZED, from every method', async () => {
    const c = reins({ apiKey: 'rk_test_NotAKeyReinsKnows0000000000', baseUrl: reinsServer().url });
    const unauthorized = {
      status: 401,
      code: 'UNAUTHORIZED',
      message: 'Invalid or missing API key',
    };
    await expect(c.submitTransaction({ amount: 1, vendor: 'openai' })).rejects.toMatchObject(
      unauthorized,
    );
    await expect(c.listTransactions()).rejects.toMatchObject(unauthorized);
    await expect(c.downloadAuditCsv()).rejects.toMatchObject(unauthorized);
  });

  it('a key without the permission throws 403 FORBIDDEN: only POLICY_VIOLATION is a result', async () => {
    const c = await client();
    const { key } = await c.createKey({ name: 'reader', permissions: ['transactions:read'] });
    const reader = reins({ apiKey: key, baseUrl: reinsServer().url });
    await expect(reader.submitTransaction({ amount: 1, vendor: 'openai' })).rejects.toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
      body: { requiredPermission: 'transactions:write' },
    });
  });

  it('an unreachable server throws ReinsError status 0 NETWORK_ERROR', async () => {
    // A port that was just free: nothing listens on it.
    const closed = await withHttpServer(
      () => undefined,
      (url) => Promise.resolve(url),
    );
    const c = reins({ apiKey: ADMIN_KEY, baseUrl: closed });
    const err = await c.health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReinsError);
    expect(err).toMatchObject({ status: 0, code: 'NETWORK_ERROR', unavailable: true });
  });

  it('a server that never answers throws ReinsError status 0 TIMEOUT after timeoutMs', async () => {
    await withHttpServer(
      () => undefined,
      async (url) => {
        const c = reins({ apiKey: ADMIN_KEY, baseUrl: url, timeoutMs: 200 });
        const started = performance.now();
        await expect(c.submitTransaction({ amount: 1, vendor: 'openai' })).rejects.toMatchObject({
          name: 'ReinsError',
          status: 0,
          code: 'TIMEOUT',
        });
        expect(performance.now() - started).toBeLessThan(2000);
        await expect(c.streamAuditCsv()).rejects.toMatchObject({ status: 0, code: 'TIMEOUT' });
      },
    );
  });

  it('streamAuditCsv times only the wait for the response: a slow body is not cut off', async () => {
    const header = 'id,eventType,occurredAt,actor,entityType,entityId,vendor,action\r\n';
    const row =
      'evt_1,transaction.recorded,2026-05-05T08:14:22.000Z,system,transaction,txn_1,,\r\n';
    await withHttpServer(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
        res.write(header);
        setTimeout(() => res.end(row), 500);
      },
      async (url) => {
        const c = reins({ apiKey: ADMIN_KEY, baseUrl: url, timeoutMs: 200 });
        const stream = await c.streamAuditCsv();
        expect(await new Response(stream).text()).toBe(header + row);
        // The download's timeout covers the whole body.
        await expect(c.downloadAuditCsv()).rejects.toMatchObject({ status: 0, code: 'TIMEOUT' });
      },
    );
  });

  it('ids are path-encoded: an id with a slash reaches the route as one id', async () => {
    const c = await client();
    await expect(c.getTransaction('txn_a/b')).rejects.toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      message: 'Transaction "txn_a/b" not found',
    });
    await expect(c.getTransaction('..')).rejects.toThrow(TypeError);
  });
});

describe('transactions', () => {
  it('reserve → settle replaces the hold; reserve → void releases it', async () => {
    const c = await client();
    const reserved = admitted(
      await c.submitTransaction({
        amount: 300,
        vendor: 'anthropic',
        model: 'claude-3-opus',
        phase: 'reserve',
      }),
    );
    expect(reserved.status).toBe('reserved');
    expect(Date.parse(reserved.expiresAt ?? '')).toBeGreaterThan(Date.now());
    const settled = await c.settleTransaction(reserved.id, { amount: 250, tokensOut: 40 });
    expect(settled).toMatchObject({
      success: true,
      id: reserved.id,
      status: 'settled',
      amount: 250,
      estimatedAmount: 300,
      tokensOut: 40,
    });
    expect((await c.getTransaction(reserved.id)).transaction).toMatchObject({
      status: 'settled',
      phase: 'reserve',
      amount: 250,
    });

    const other = admitted(
      await c.submitTransaction({ amount: 120, vendor: 'openai', phase: 'reserve' }),
    );
    const voided = await c.voidTransaction(other.id, { reason: 'call failed' });
    expect(voided).toMatchObject({
      success: true,
      id: other.id,
      status: 'voided',
      releasedAmountMicros: 120_000_000,
    });
    await expect(c.voidTransaction(other.id)).rejects.toMatchObject({
      status: 409,
      code: 'RESERVATION_VOIDED',
    });
    await expect(c.settleTransaction(settled.id, { amount: 1 })).rejects.toMatchObject({
      status: 409,
      code: 'RESERVATION_SETTLED',
    });
  });

  it('an idempotency key replays the first answer: same id, recorded once', async () => {
    const c = await client();
    const tx = { amount: 42, vendor: 'openai', model: 'gpt-4o' };
    const first = await c.submitTransaction(tx, { idempotencyKey: 'retry-1' });
    const again = await c.submitTransaction(tx, { idempotencyKey: 'retry-1' });
    expect(again.id).toBe(first.id);
    expect(again).toEqual(first);
    expect((await c.listTransactions()).total).toBe(1);
    await expect(
      c.submitTransaction({ ...tx, amount: 43 }, { idempotencyKey: 'retry-1' }),
    ).rejects.toMatchObject({ status: 409, code: 'IDEMPOTENCY_CONFLICT' });

    // A replayed block is a result again, with its action.
    await c.createRule(OVER_FIVE_DOLLARS);
    const big = { amount: 900, vendor: 'openai' };
    const firstBlock = blocked(await c.submitTransaction(big, { idempotencyKey: 'retry-2' }));
    const replayed = blocked(await c.submitTransaction(big, { idempotencyKey: 'retry-2' }));
    expect(replayed).toEqual(firstBlock);
    expect(replayed.action).toBe('block');
  });

  it('submitBulk: one result per item, in order; blocked items carry action block', async () => {
    const c = await client();
    await c.createRule(OVER_FIVE_DOLLARS);
    const res = await c.submitBulk(
      [
        { amount: 100, vendor: 'openai' },
        { amount: 600, vendor: 'openai' },
        { amount: 1, vendor: 'acme' },
      ],
      { idempotencyKey: 'bulk-1' },
    );
    expect(res).toMatchObject({ success: true, count: 3, recorded: 1, blocked: 1, failed: 1 });
    const [ok, block, invalid] = res.results;
    expect(ok).toMatchObject({ index: 0, success: true, action: 'pass' });
    expect(block).toMatchObject({
      index: 1,
      success: false,
      code: 'POLICY_VIOLATION',
      action: 'block',
      policyResult: { message: 'Individual transactions over $5 are not permitted.' },
    });
    expect(invalid).toMatchObject({
      index: 2,
      success: false,
      code: 'VALIDATION_ERROR',
      field: 'transactions.2.vendor',
    });
    expect(invalid?.action).toBeUndefined();
    // Replayed with the same key: the same answers, nothing recorded twice.
    const replay = await c.submitBulk(
      [
        { amount: 100, vendor: 'openai' },
        { amount: 600, vendor: 'openai' },
        { amount: 1, vendor: 'acme' },
      ],
      { idempotencyKey: 'bulk-1' },
    );
    expect(replay.results.map((r) => r.id)).toEqual(res.results.map((r) => r.id));
    expect((await c.listTransactions()).total).toBe(2);
  });

  it('evaluatePolicy answers the decision and records nothing', async () => {
    const c = await client();
    const { id: ruleId } = await c.createRule(OVER_FIVE_DOLLARS);
    const dry = await c.evaluatePolicy({ amount: 600, vendor: 'openai', agentId: 'support-bot' });
    expect(dry.success).toBe(true);
    expect(dry.result).toMatchObject({
      action: 'block',
      ruleId,
      message: 'Individual transactions over $5 are not permitted.',
    });
    expect(dry.evaluatedRules).toEqual([
      expect.objectContaining({ ruleId, matched: true, decisive: true }),
    ]);
    const pass = await c.evaluatePolicy({ amount: 320, vendor: 'openai' });
    expect(pass.result).toMatchObject({ action: 'pass', ruleId: null });
    expect((await c.listTransactions()).total).toBe(0);
  });

  it('pages with cursor and nextCursor; iterateTransactions and iterateAuditEvents read every row once', async () => {
    const c = await client();
    const bulk = await c.submitBulk(
      Array.from({ length: 7 }, (_, i) => ({
        amount: 1 + i,
        vendor: i % 2 === 0 ? ('openai' as const) : ('anthropic' as const),
      })),
    );
    expect(bulk.recorded).toBe(7);
    const first = await c.listTransactions({ limit: 3 });
    expect(first).toMatchObject({ count: 3, total: 7, limit: 3, offset: 0 });
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await c.listTransactions({ limit: 3, cursor: first.nextCursor ?? '' });
    const third = await c.listTransactions({ limit: 3, cursor: second.nextCursor ?? '' });
    expect(third).toMatchObject({ count: 1, nextCursor: null });
    const paged = [first, second, third].flatMap((p) => p.transactions.map((t) => t.id));
    const all = (await c.listTransactions({ limit: 500 })).transactions.map((t) => t.id);
    expect(paged).toEqual(all);

    const iterated: string[] = [];
    for await (const t of c.iterateTransactions({ limit: 2 })) iterated.push(t.id);
    expect(iterated).toEqual(all);
    const anthropic: string[] = [];
    for await (const t of c.iterateTransactions({ vendor: 'anthropic', limit: 2 })) {
      expect(t.vendor).toBe('anthropic');
      anthropic.push(t.id);
    }
    expect(anthropic).toHaveLength(3);

    const events: string[] = [];
    for await (const e of c.iterateAuditEvents({ action: 'transaction', limit: 3 })) {
      events.push(e.id);
    }
    expect(events).toHaveLength(7);
    expect(new Set(events).size).toBe(7);

    await expect(
      c.listTransactions({ cursor: first.nextCursor ?? '', offset: 3 }),
    ).rejects.toMatchObject({ status: 422, code: 'VALIDATION_ERROR' });
    await expect(c.listAuditEvents({ cursor: 'nope' })).rejects.toMatchObject({
      status: 422,
      code: 'VALIDATION_ERROR',
    });
  });

  it('listTransactions filters and paginates; getTransaction and getTrace read one', async () => {
    const c = await client();
    const a = admitted(
      await c.submitTransaction({ amount: 10, vendor: 'openai', agentId: 'support-bot-v2' }),
    );
    admitted(await c.submitTransaction({ amount: 20, vendor: 'openai', agentId: 'pipeline' }));
    admitted(await c.submitTransaction({ amount: 30, vendor: 'anthropic', userId: 'user-789' }));

    const page = await c.listTransactions({ vendor: 'openai', limit: 1 });
    expect(page).toMatchObject({ success: true, count: 1, total: 2, limit: 1, offset: 0 });
    const next = await c.listTransactions({ vendor: 'openai', limit: 1, offset: 1 });
    expect(next.transactions[0]?.id).not.toBe(page.transactions[0]?.id);
    expect((await c.listTransactions({ agentId: 'support-bot-v2' })).transactions).toEqual([
      expect.objectContaining({ id: a.id, amount: 10 }),
    ]);
    expect((await c.listTransactions({ userId: 'user-789' })).total).toBe(1);
    expect((await c.listTransactions({ action: 'block' })).total).toBe(0);
    // Dates go as ISO 8601.
    const tomorrow = new Date(Date.now() + 86_400_000);
    expect((await c.listTransactions({ startDate: tomorrow })).total).toBe(0);
    expect((await c.listTransactions({ endDate: tomorrow })).total).toBe(3);

    const { transaction } = await c.getTransaction(a.id);
    expect(transaction).toMatchObject({
      id: a.id,
      vendor: 'openai',
      agentId: 'support-bot-v2',
      action: 'pass',
      status: 'recorded',
      phase: 'final',
    });
    const trace = await c.getTrace(a.id);
    expect(trace).toMatchObject({
      success: true,
      transactionId: a.id,
      finalAction: 'pass',
      evaluatedRules: [],
    });
    expect(trace.traceId).toMatch(/^trc_/);
    await expect(c.getTrace('txn_missing')).rejects.toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
  });

  it('reviewTransaction decides a flagged transaction; the review filter lists the queue', async () => {
    const c = await client();
    await c.createRule({ name: 'Flag all', priority: 1, action: 'flag' });
    const flagged = admitted(await c.submitTransaction({ amount: 5, vendor: 'openai' }));
    expect(flagged.action).toBe('flag');
    const open = await c.listTransactions({ review: 'open' });
    expect(open.transactions.map((t) => [t.id, t.review])).toEqual([
      [flagged.id, { state: 'open', reviewedBy: null, reviewedAt: null, note: null }],
    ]);

    const reviewed = await c.reviewTransaction(flagged.id, { decision: 'rejected', note: 'no' });
    expect(reviewed.transaction.review).toMatchObject({ state: 'rejected', note: 'no' });
    expect(reviewed.transaction.review?.reviewedBy).toMatch(/^key_/);
    expect((await c.listTransactions({ review: 'open' })).total).toBe(0);
    expect((await c.listTransactions({ review: 'rejected' })).total).toBe(1);
    await expect(c.reviewTransaction(flagged.id, { decision: 'approved' })).rejects.toMatchObject({
      status: 409,
      code: 'ALREADY_REVIEWED',
    });
  });
});

describe('policy rules', () => {
  it('create, list, get, update, delete (docs dialect)', async () => {
    const c = await client();
    const created = await c.createRule({
      name: 'Daily $20 cap for free-tier agents',
      priority: 5,
      enabled: true,
      conditions: {
        agentIds: ['free-tier-*'],
        vendors: ['openai', 'anthropic'],
        amountCents: { min: 1 },
        timeWindow: 'daily',
      },
      action: 'block',
      actionConfig: { message: 'Daily spend limit reached. Upgrade to Pro.', limitCents: 2000 },
    });
    expect(created).toMatchObject({
      success: true,
      name: 'Daily $20 cap for free-tier agents',
      priority: 5,
    });
    expect(created.id).toMatch(/^rule_/);
    expect(created.rule.conditions).toMatchObject({
      agentIds: ['free-tier-*'],
      timeWindow: 'daily',
    });

    expect(await c.listRules()).toMatchObject({ success: true, count: 1 });
    expect((await c.getRule(created.id)).rule).toEqual(created.rule);

    const updated = await c.updateRule(created.id, { enabled: false, priority: 10 });
    expect(updated).toMatchObject({ success: true, id: created.id });
    expect(updated.rule).toMatchObject({ enabled: false, priority: 10 });
    expect((await c.listRules({ enabled: true })).count).toBe(0);
    expect((await c.listRules({ enabled: false, action: 'block', vendor: 'openai' })).count).toBe(
      1,
    );
    expect((await c.listRules({ vendor: 'mistral' })).count).toBe(0);

    // A merge patch: null removes a condition.
    const patched = await c.updateRule(created.id, { conditions: { amountCents: null } });
    expect(patched.rule.conditions.amountCents).toBeUndefined();
    expect(patched.rule.conditions.agentIds).toEqual(['free-tier-*']);

    expect(await c.deleteRule(created.id)).toEqual({
      success: true,
      id: created.id,
      deleted: true,
    });
    await expect(c.getRule(created.id)).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
    await expect(
      c.createRule({ name: 'bad', action: 'block', conditions: { amountCents: { min: -1 } } }),
    ).rejects.toMatchObject({ status: 422, body: { field: 'conditions.amountCents.min' } });
  });
  it('startBacktest queues draft rules of either dialect; getBacktest reads the result', async () => {
    const c = await client();
    const day = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const started = await c.startBacktest({
      rules: [
        {
          name: 'Cap',
          conditions: { timeWindow: 'daily' },
          action: 'block',
          actionConfig: { limitCents: 100 },
        },
        {
          type: 'model_filter',
          name: 'No GPT-4',
          scope: 'org',
          condition: { model: { in: ['gpt-4'] } },
          action: 'block',
        },
      ],
      startDate: day,
      endDate: new Date(`${day}T00:00:00Z`),
    });
    expect(started.success).toBe(true);
    expect(started.backtest).toMatchObject({
      status: 'queued',
      ruleCount: 2,
      startDate: `${day}T00:00:00.000Z`,
    });
    await reinsServer().server.jobs?.runNow('backtest');
    let got = await c.getBacktest(started.backtest.id);
    for (let i = 0; i < 20 && got.backtest.status !== 'done'; i++) {
      await reinsServer().server.jobs?.runNow('backtest');
      got = await c.getBacktest(started.backtest.id);
    }
    expect(got.backtest.status).toBe('done');
    expect(got.backtest.result).toMatchObject({ transactions: 0, spendCents: 0 });
    expect(got.backtest.result?.rules.map((r) => r.name)).toEqual(['Cap', 'No GPT-4']);
    await expect(
      c.startBacktest({ rules: [{ name: 'x', action: 'stop' }], startDate: day, endDate: day }),
    ).rejects.toMatchObject({ status: 422, code: 'VALIDATION_ERROR' });
  });
});

describe('organization and budgets', () => {
  it('getOrg/updateOrg, and setBudget makes a waiting rule match', async () => {
    const c = await client();
    const org = await c.getOrg();
    expect(org).toMatchObject({ success: true, org: { timeZone: 'UTC', dailyBudgetCents: null } });
    const updated = await c.updateOrg({ dailyBudgetCents: 10_000, timeZone: 'Europe/Berlin' });
    expect(updated.org).toMatchObject({ dailyBudgetCents: 10_000, timeZone: 'Europe/Berlin' });
    expect(updated.org.policyVersion).toBe(org.org.policyVersion + 1);
    await expect(c.updateOrg({ timeZone: 'Nowhere/Land' })).rejects.toMatchObject({
      status: 422,
      body: { field: 'timeZone' },
    });

    const rule = await c.createRule({
      name: 'Free: $5/day',
      conditions: { userRoles: ['free'], timeWindow: 'daily' },
      action: 'block',
      actionConfig: { message: 'Daily limit reached. Upgrade for more.' },
    });
    expect(rule.warnings).toEqual([
      expect.objectContaining({ code: 'BUDGET_MISSING', kind: 'role', id: 'free' }) as unknown,
    ]);
    expect((await c.listRules({ waiting: true })).count).toBe(1);

    const budget = await c.setBudget('roles', 'free', { dailyBudgetCents: 500 });
    expect(budget.budget).toMatchObject({ kind: 'role', id: 'free', dailyBudgetCents: 500 });
    expect((await c.getBudget('roles', 'free')).budget).toEqual(budget.budget);
    expect((await c.listBudgets({ kind: 'roles' })).count).toBe(1);
    expect((await c.listRules({ waiting: true })).count).toBe(0);
    const tx = { amount: 600, vendor: 'openai', userId: 'u-1', userRoles: ['free'] };
    expect(blocked(await c.submitTransaction(tx)).policyResult.ruleId).toBe(rule.id);

    expect(await c.deleteBudget('roles', 'free')).toEqual({
      success: true,
      kind: 'role',
      id: 'free',
      deleted: true,
    });
    await expect(c.getBudget('roles', 'free')).rejects.toMatchObject({ status: 404 });
    await expect(c.setBudget('roles', 'free', {})).rejects.toMatchObject({ status: 422 });
  });
});

describe('agents', () => {
  it('register, list, get, update, delete', async () => {
    const c = await client();
    const reg = await c.registerAgent({
      agentId: 'support-bot-v2',
      name: 'Customer Support Bot v2',
      description: 'Handles Tier 1 customer support across email and chat',
      vendor: 'openai',
      monthlyBudgetCents: 50000,
      metadata: { team: 'support', tier: 'tier1', region: 'us-east' },
    });
    expect(reg).toMatchObject({ success: true, agentId: 'support-bot-v2' });
    expect(reg.createdAt).toBe(reg.agent.createdAt);
    // The alias, and an id that needs encoding in a path.
    await c.createAgent({ agentId: 'team/pipeline@v3', name: 'Pipeline' });

    expect((await c.listAgents()).agents.map((a) => a.agentId)).toEqual([
      'support-bot-v2',
      'team/pipeline@v3',
    ]);
    expect((await c.listAgents({ vendor: 'openai' })).count).toBe(1);
    expect((await c.getAgent('team/pipeline@v3')).agent).toMatchObject({
      name: 'Pipeline',
      vendor: null,
      monthlyBudgetCents: null,
    });

    const up = await c.updateAgent('support-bot-v2', { monthlyBudgetCents: 60000, vendor: null });
    expect(up).toMatchObject({ success: true, agentId: 'support-bot-v2' });
    expect(up.agent).toMatchObject({
      monthlyBudgetCents: 60000,
      vendor: null,
      name: reg.agent.name,
    });

    expect(await c.deleteAgent('team/pipeline@v3')).toEqual({
      success: true,
      agentId: 'team/pipeline@v3',
      deleted: true,
    });
    await expect(c.getAgent('team/pipeline@v3')).rejects.toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
    await expect(
      c.registerAgent({ agentId: 'support-bot-v2', name: 'again' }),
    ).rejects.toMatchObject({ status: 409, code: 'ALREADY_EXISTS' });
  });
});

describe('vendors', () => {
  it('list, get, update, and the price table', async () => {
    const c = await client();
    const list = await c.listVendors();
    expect(list.count).toBe(6);
    expect(list.vendors.map((v) => v.vendor)).toEqual([
      'openai',
      'anthropic',
      'google',
      'cohere',
      'mistral',
      'perplexity',
    ]);
    expect((await c.getVendor('OpenAI')).vendor).toMatchObject({
      vendor: 'openai',
      name: 'OpenAI',
      enabled: true,
      rateLimitRpm: null,
      updatedAt: null,
    });
    const limited = await c.updateVendor('openai', { rateLimitRpm: 100 });
    expect(limited).toMatchObject({ success: true, vendor: { rateLimitRpm: 100, enabled: true } });

    // A disabled vendor is refused like a block: a result, not a throw.
    await c.updateVendor('mistral', { enabled: false });
    const refused = blocked(await c.submitTransaction({ amount: 5, vendor: 'mistral' }));
    expect(refused.action).toBe('block');
    expect(refused.policyResult.message).toBe('Vendor "mistral" is disabled for this organization');

    const prices = await c.listPrices('openai');
    expect(prices).toMatchObject({ success: true, vendor: 'openai', overrides: [] });
    expect(prices.models.find((m) => m.model === 'gpt-4o')).toMatchObject({
      inputPerMtokUsd: expect.any(Number) as number,
      overriddenBy: null,
    });
    const then = await c.listPrices('openai', { at: new Date('2025-01-01T00:00:00Z') });
    expect(then.at).toBe('2025-01-01T00:00:00.000Z');
    await expect(c.getVendor('acme')).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});

describe('alerts', () => {
  it('a warn rule raises an alert; listAlerts finds it and markAlertRead reads it', async () => {
    const c = await client();
    const { id: ruleId } = await c.createRule({
      name: 'Warn on anything',
      conditions: { amountCents: { min: 1 } },
      action: 'warn',
      actionConfig: { message: 'Spend noticed' },
    });
    const res = admitted(await c.submitTransaction({ amount: 75, vendor: 'openai' }));
    expect(res.action).toBe('warn');

    const unread = await c.listAlerts({ read: false });
    expect(unread).toMatchObject({ success: true, count: 1, total: 1, nextCursor: null });
    const [alert] = unread.alerts;
    expect(alert).toMatchObject({
      ruleId,
      ruleName: 'Warn on anything',
      action: 'warn',
      message: 'Spend noticed',
      transactionId: res.id,
      read: false,
    });
    const alertId = alert?.id ?? '';
    expect(await c.markAlertRead(alertId)).toEqual({ success: true, id: alertId, read: true });
    expect(await c.markAlertRead(alertId)).toEqual({ success: true, id: alertId, read: true });
    expect((await c.listAlerts({ read: false })).total).toBe(0);
    expect((await c.listAlerts({ read: true, ruleId, limit: 10 })).alerts).toEqual([
      expect.objectContaining({ id: alertId, read: true }),
    ]);
    expect((await c.getAlert(alertId)).alert.readAt).not.toBeNull();
  });
});

describe('audit log', () => {
  it('lists events, downloads and streams the CSV, verifies the chain', async () => {
    const c = await client();
    const { id: ruleId } = await c.createRule(OVER_FIVE_DOLLARS);
    const block = blocked(await c.submitTransaction({ amount: 700, vendor: 'openai' }));
    admitted(await c.submitTransaction({ amount: 7, vendor: 'anthropic' }));

    const rules = await c.listAuditEvents({ entityType: 'policy_rule' });
    expect(rules.events).toEqual([
      expect.objectContaining({ eventType: 'policy_rule.created', entityId: ruleId }),
    ]);
    // The docs' example: the events in which a rule blocked.
    const blocks = await c.listAuditEvents({ limit: 50, action: 'policy_rule.block' });
    expect(blocks).toMatchObject({ success: true, count: 1, total: 1, nextCursor: null });
    expect(blocks.events[0]).toMatchObject({
      eventType: 'transaction.blocked',
      entityType: 'transaction',
      entityId: block.id,
      metadata: { action: 'block', ruleId },
    });
    const first = await c.listAuditEvents({ limit: 1 });
    expect(first.nextCursor).not.toBeNull();
    const second = await c.listAuditEvents({ limit: 1, cursor: first.nextCursor ?? '' });
    expect(second.events[0]?.id).not.toBe(first.events[0]?.id);

    const csv = await c.downloadAuditCsv();
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('id,eventType,occurredAt,actor,entityType,entityId,vendor,action');
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(first.total + 2);
    const blockedCsv = await c.downloadAuditCsv({ action: 'policy_rule.block' });
    expect(blockedCsv.split('\r\n')[1]).toMatch(
      new RegExp(
        `^${blocks.events[0]?.id ?? '?'},transaction\\.blocked,.*,transaction,${block.id},openai,block$`,
      ),
    );
    const streamed = await new Response(await c.streamAuditCsv()).text();
    expect(streamed).toBe(csv);

    const verified = await c.verifyAuditLog();
    expect(verified).toMatchObject({
      success: true,
      valid: true,
      complete: true,
      firstBrokenLink: null,
    });
    expect(verified.checked).toBeGreaterThanOrEqual(first.total);
  });
});

describe('API keys', () => {
  it('create (shown once), list (masked), revoke', async () => {
    const c = await client();
    const created = await c.createKey({
      name: 'production',
      permissions: ['transactions:write', 'policies:read'],
    });
    expect(created).toMatchObject({
      success: true,
      name: 'production',
      permissions: ['transactions:write', 'policies:read'],
    });
    expect(created.key).toMatch(/^rk_test_/);
    expect(created.keyMasked).toBe(`rk_test_****${created.key.slice(-4)}`);

    const production = reins({ apiKey: created.key, baseUrl: reinsServer().url });
    admitted(await production.submitTransaction({ amount: 1, vendor: 'openai' }));

    const { keys } = await c.listKeys();
    expect(keys.find((k) => k.id === created.id)).toMatchObject({
      keyMasked: created.keyMasked,
      isActive: true,
      revokedAt: null,
    });
    expect(JSON.stringify(keys)).not.toContain(created.key);

    const revoked = await c.revokeKey(created.id);
    expect(revoked).toMatchObject({ success: true, id: created.id, isActive: false });
    await expect(
      production.submitTransaction({ amount: 1, vendor: 'openai' }),
    ).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });
});

describe('analytics', () => {
  it('summary, forecast and anomalies answer from what the org recorded', async () => {
    const c = await client();
    await c.submitTransaction({ amount: 250, vendor: 'openai', agentId: 'sdk-analytics' });
    await c.submitTransaction({ amount: 150, vendor: 'anthropic', agentId: 'sdk-analytics' });
    const summary = await c.getAnalyticsSummary({ period: 'monthly', groupBy: 'day' });
    expect(summary).toMatchObject({
      success: true,
      period: 'monthly',
      totalSpendCents: 400,
      byVendor: { openai: 250, anthropic: 150 },
      byAgent: { 'sdk-analytics': 400 },
      transactionCount: 2,
      blockedCount: 0,
      flaggedCount: 0,
    });
    expect(summary.series?.reduce((n, p) => n + p.spendCents, 0)).toBe(400);
    const forecast = await c.getForecast({ agentId: 'sdk-analytics' });
    expect(forecast).toMatchObject({ success: true, totalSpendCents: 400, budgetCents: null });
    expect(forecast.projectedSpendCents).toBeGreaterThanOrEqual(400);
    expect(await c.getAnomalies({ hours: 6 })).toMatchObject({
      success: true,
      hours: 6,
      anomalies: [],
    });
    await expect(c.getAnalyticsSummary({ groupBy: 'week' as 'day' })).rejects.toMatchObject({
      status: 422,
      code: 'VALIDATION_ERROR',
    });
  });
});

it('health answers ok', async () => {
  const c = reins({ apiKey: ADMIN_KEY, baseUrl: `${reinsServer().url}/` });
  expect(c.baseUrl).toBe(reinsServer().url);
  expect(await c.health()).toEqual({ success: true, status: 'ok', database: 'reachable' });
});

/**
 * The SDK's body types against the server's own results (what the tRPC procedures return, from
 * the same service functions as the REST routes): the same fields, each at least as specific.
 * Checked by `tsc`; a server change that the SDK does not follow fails the typecheck.
 */
describe('body types', () => {
  type Out = inferRouterOutputs<AppRouter>;
  type Body<T> = Omit<T, 'success'>;

  it('name the engine’s own types', () => {
    expectTypeOf<Action>().toEqualTypeOf<engine.Action>();
    expectTypeOf<Vendor>().toEqualTypeOf<engine.Vendor>();
    expectTypeOf<Period>().toEqualTypeOf<engine.Period>();
    expectTypeOf<Metric>().toEqualTypeOf<engine.Metric>();
    expectTypeOf<GroupBy>().toEqualTypeOf<engine.GroupBy>();
    expectTypeOf<RuleType>().toEqualTypeOf<engine.RuleType>();
    expectTypeOf<Scope>().toEqualTypeOf<engine.Scope>();
    expectTypeOf<RuleMode>().toEqualTypeOf<engine.RuleMode>();
    expectTypeOf<PolicyDetails>().toEqualTypeOf<engine.DecisionDetails>();
    expectTypeOf<ShadowHit>().toEqualTypeOf<engine.ShadowHit>();
    expectTypeOf<TraceFigures>().toEqualTypeOf<engine.TraceFigures>();
    expectTypeOf<EvaluatedRule>().toEqualTypeOf<engine.TraceEntry>();
    expectTypeOf<PriceTier>().toEqualTypeOf<engine.PriceTier>();
    expectTypeOf<ModelPrice>().toEqualTypeOf<engine.ModelPrice>();
  });

  it('match the server’s results', () => {
    expectTypeOf<Transaction>().toExtend<Out['transactions']['get']['transaction']>();
    expectTypeOf<keyof Transaction>().toEqualTypeOf<
      keyof Out['transactions']['get']['transaction']
    >();
    expectTypeOf<Body<TransactionListResponse>>().toExtend<Out['transactions']['list']>();
    expectTypeOf<keyof Body<TransactionListResponse>>().toEqualTypeOf<
      keyof Out['transactions']['list']
    >();
    expectTypeOf<Body<TransactionTraceResponse>>().toExtend<Out['transactions']['trace']>();
    expectTypeOf<keyof Body<TransactionTraceResponse>>().toEqualTypeOf<
      keyof Out['transactions']['trace']
    >();
    // What local mode syncs (`GET /api/v1/sdk/state`, tRPC `sdk.state`): the SDK reads a part of
    // each window, so the server's answer must fit the SDK's type (not the other way round).
    expectTypeOf<Out['sdk']['state']>().toExtend<Body<SdkState>>();
    expectTypeOf<keyof Body<SdkState>>().toEqualTypeOf<keyof Out['sdk']['state']>();
    expectTypeOf<Body<TransactionAccepted>>().toExtend<Out['transactions']['submit']>();
    expectTypeOf<keyof Body<TransactionAccepted>>().toEqualTypeOf<
      keyof Out['transactions']['submit']
    >();
    expectTypeOf<Body<SettleResponse>>().toEqualTypeOf<Out['transactions']['settle']>();
    expectTypeOf<Body<VoidResponse>>().toEqualTypeOf<Out['transactions']['void']>();
    expectTypeOf<Body<ReviewTransactionResponse>>().toExtend<Out['transactions']['review']>();
    expectTypeOf<keyof Body<ReviewTransactionResponse>>().toEqualTypeOf<
      keyof Out['transactions']['review']
    >();
    expectTypeOf<Body<EvaluatePolicyResponse>>().toExtend<Out['policyRules']['evaluate']>();
    expectTypeOf<keyof Body<EvaluatePolicyResponse>>().toEqualTypeOf<
      keyof Out['policyRules']['evaluate']
    >();
    // The server types a rule as `DocsRule | TypedRule` with its warnings; `present(rule,
    // 'docs', …)` is the former.
    expectTypeOf<Omit<PolicyRule, 'warnings'>>().toExtend<engine.DocsRule>();
    expectTypeOf<keyof PolicyRule>().toEqualTypeOf<keyof engine.DocsRule | 'warnings'>();
    expectTypeOf<RuleWarning>().toEqualTypeOf<Out['policyRules']['get']['warnings'][number]>();
    expectTypeOf<Backtest>().toEqualTypeOf<Out['policyRules']['getBacktest']>();
    expectTypeOf<Backtest>().toEqualTypeOf<Out['policyRules']['startBacktest']>();
    expectTypeOf<Organization>().toEqualTypeOf<Out['org']['get']['org']>();
    expectTypeOf<Budget>().toEqualTypeOf<Out['budgets']['get']['budget']>();
    expectTypeOf<Body<BudgetListResponse>>().toEqualTypeOf<Out['budgets']['list']>();
    expectTypeOf<Body<BudgetDeletedResponse>>().toEqualTypeOf<Out['budgets']['delete']>();
    expectTypeOf<Agent>().toExtend<Out['agents']['get']['agent']>();
    expectTypeOf<keyof Agent>().toEqualTypeOf<keyof Out['agents']['get']['agent']>();
    expectTypeOf<VendorSettings>().toEqualTypeOf<Out['vendors']['get']['vendor']>();
    expectTypeOf<Body<VendorPricesResponse>>().toExtend<Out['vendors']['prices']>();
    expectTypeOf<keyof Body<VendorPricesResponse>>().toEqualTypeOf<
      keyof Out['vendors']['prices']
    >();
    expectTypeOf<PolicyAlert>().toExtend<Out['alerts']['get']['alert']>();
    expectTypeOf<keyof PolicyAlert>().toEqualTypeOf<keyof Out['alerts']['get']['alert']>();
    expectTypeOf<Body<AuditListResponse>>().toEqualTypeOf<Out['auditLog']['list']>();
    // `branded`: the server's type is an intersection (`VerifyResult & { complete }`).
    expectTypeOf<Body<AuditVerifyResponse>>().branded.toEqualTypeOf<Out['auditLog']['verify']>();
    expectTypeOf<AuditVerification>().branded.toEqualTypeOf<Out['auditLog']['getVerification']>();
    expectTypeOf<ApiKey>().toExtend<Out['keys']['list']['keys'][number]>();
    expectTypeOf<keyof ApiKey>().toEqualTypeOf<keyof Out['keys']['list']['keys'][number]>();
    expectTypeOf<Body<ApiKeyCreatedResponse>>().toExtend<Out['keys']['create']>();
    expectTypeOf<Body<ApiKeyRevokedResponse>>().toExtend<Out['keys']['revoke']>();
    expectTypeOf<keyof Body<ApiKeyRevokedResponse>>().toEqualTypeOf<keyof Out['keys']['revoke']>();
  });
});
