/**
 * The typed tRPC API runs the same services as REST: same decisions, same records, the docs'
 * error codes carried in `error.data.reins`.
 */
import { describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { createCallerFactory } from '../src/trpc/trpc.js';
import { appRouter, type AppRouter } from '../src/trpc/routers/_app.js';
import { authenticate } from '../src/context.js';
import { ADMIN_KEY, useTestServer } from './harness.js';
import { trpcClient } from './helpers.js';

const t = useTestServer('trpc');

function client(key: string | null = ADMIN_KEY) {
  return trpcClient(t(), key);
}

function reinsError(err: unknown): { code: string; message: string } {
  expect(err).toBeInstanceOf(TRPCClientError);
  const data = (err as TRPCClientError<AppRouter>).data as {
    reins?: { code: string; message: string };
  };
  expect(data.reins).toBeDefined();
  return data.reins as { code: string; message: string };
}

describe('tRPC', () => {
  it('records a transaction that the REST API then lists and traces', async () => {
    const rule = await client().policyRules.create.mutate({
      name: 'Block transactions over $5',
      priority: 1,
      conditions: { amountCents: { min: 501 } },
      action: 'block',
      actionConfig: { message: 'Individual transactions over $5 are not permitted.' },
    });
    expect(rule.action).toBe('block');
    const ok = await client().transactions.submit.mutate({
      amount: 320,
      vendor: 'openai',
      model: 'gpt-4',
    });
    expect(ok.action).toBe('pass');
    const rest = await t().call<{ transaction: { id: string; amount: number } }>(
      'GET',
      `/api/v1/transactions/${ok.id}`,
    );
    expect(rest.body.transaction).toMatchObject({ id: ok.id, amount: 320 });
    const trace = await client().transactions.trace.query({ id: ok.id });
    expect(trace.finalAction).toBe('pass');
    expect(trace.evaluatedRules.map((r) => r.ruleId)).toEqual([rule.id]);
  });

  it('answers a block with FORBIDDEN carrying POLICY_VIOLATION and the policy result', async () => {
    const err = await client()
      .transactions.submit.mutate({ amount: 600, vendor: 'openai', model: 'gpt-4' })
      .catch((e: unknown) => e);
    const reins = reinsError(err) as { code: string; policyResult?: { message: string } };
    expect(reins.code).toBe('POLICY_VIOLATION');
    expect(reins.policyResult?.message).toBe('Individual transactions over $5 are not permitted.');
    expect((err as TRPCClientError<AppRouter>).data?.httpStatus).toBe(403);
  });

  it('maps bad input to VALIDATION_ERROR naming the field, and a bad key to UNAUTHORIZED', async () => {
    const bad = await client()
      .transactions.submit.mutate({ amount: -5, vendor: 'openai' })
      .catch((e: unknown) => e);
    expect(reinsError(bad)).toMatchObject({ code: 'VALIDATION_ERROR', field: 'amount' });
    const anon = await client('rk_test_NotARealKey000000000000')
      .keys.list.query()
      .catch((e: unknown) => e);
    expect(reinsError(anon)).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('serves in-process callers through createCaller with the same services', async () => {
    const core = t().server.core;
    const caller = createCallerFactory(appRouter)({
      core,
      caller: await authenticate(core, `Bearer ${ADMIN_KEY}`),
    });
    const typed = await caller.rules.list();
    const docs = await caller.policyRules.list({});
    expect(typed.map((r) => r.id)).toEqual(docs.map((r) => r.id));
    const dry = await caller.policyRules.evaluate({ amount: 700, vendor: 'anthropic' });
    expect(dry.result.action).toBe('block');
    const missing = await caller.rules.get({ id: 'rule_doesnotexist00' }).catch((e: unknown) => e);
    expect((missing as { code?: string }).code).toBe('NOT_FOUND');
  });
});
