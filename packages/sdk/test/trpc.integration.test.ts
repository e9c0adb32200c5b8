/**
 * The typed tRPC client against a real Reins server: the REST client's defaults and key, the
 * server's procedures with their types, and the docs' error codes in `error.data.reins`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter as ServerRouter } from '@reins/server';
import { ADMIN_KEY, startTestServer, type TestServer } from '@reins/server/testing';
import { ReinsError } from '../src/errors.js';
import {
  createReinsTRPCClient,
  TRPCClientError,
  type AppRouter,
  type RouterInputs,
  type RouterOutputs,
} from '../src/trpc.js';

let server: TestServer & { close(): Promise<void> };
const savedEnv = { key: process.env.REINS_API_KEY, url: process.env.REINS_BASE_URL };

beforeAll(async () => {
  server = await startTestServer('sdk_trpc');
}, 120_000);

afterAll(async () => {
  await server.close();
}, 120_000);

afterEach(() => {
  restore('REINS_API_KEY', savedEnv.key);
  restore('REINS_BASE_URL', savedEnv.url);
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) Reflect.deleteProperty(process.env, name);
  else process.env[name] = value;
}

function client(apiKey = ADMIN_KEY) {
  return createReinsTRPCClient({ apiKey, baseUrl: server.url });
}

/** A client of a new organization of its own (no rules, no transactions). */
async function newOrgClient() {
  const { key } = await server.newOrg();
  return client(key);
}

/** The rejection of `promise`, which must be a `TRPCClientError` of the Reins router. */
async function rejection(promise: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const err: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCClientError);
  return err as TRPCClientError<AppRouter>;
}

describe('createReinsTRPCClient', () => {
  it('creates a rule, submits a transaction, lists it and reads its trace', async () => {
    const trpc = await newOrgClient();
    const rule = await trpc.policyRules.create.mutate({
      name: 'Block transactions over $5',
      priority: 1,
      conditions: { amountCents: { min: 501 } },
      action: 'block',
      actionConfig: { message: 'Individual transactions over $5 are not permitted.' },
    });
    expect(rule).toMatchObject({ name: 'Block transactions over $5', action: 'block' });

    const tx = await trpc.transactions.submit.mutate({
      amount: 320,
      vendor: 'openai',
      model: 'gpt-4',
      agentId: 'billing-bot',
    });
    expect(tx.action).toBe('pass');
    expect(tx.id).toMatch(/\S/);

    const list = await trpc.transactions.list.query({ agentId: 'billing-bot' });
    expect(list.transactions.map((t) => t.id)).toEqual([tx.id]);
    expect(list.transactions[0]).toMatchObject({ amount: 320, vendor: 'openai', model: 'gpt-4' });

    const trace = await trpc.transactions.trace.query({ id: tx.id });
    expect(trace.transactionId).toBe(tx.id);
    expect(trace.finalAction).toBe('pass');
    expect(trace.evaluatedRules.map((r) => [r.ruleId, r.matched])).toEqual([[rule.id, false]]);
  });

  it('surfaces a policy block as FORBIDDEN carrying POLICY_VIOLATION', async () => {
    const trpc = await newOrgClient();
    await trpc.policyRules.create.mutate({
      name: 'Block transactions over $5',
      conditions: { amountCents: { min: 501 } },
      action: 'block',
      actionConfig: { message: 'Individual transactions over $5 are not permitted.' },
    });
    const err = await rejection(
      trpc.transactions.submit.mutate({ amount: 600, vendor: 'openai', model: 'gpt-4' }),
    );
    expect(err.data?.code).toBe('FORBIDDEN');
    expect(err.data?.httpStatus).toBe(403);
    expect(err.data?.reins).toMatchObject({
      code: 'POLICY_VIOLATION',
      policyResult: {
        action: 'block',
        message: 'Individual transactions over $5 are not permitted.',
      },
    });
  });

  it('surfaces invalid input as a TRPCClientError with the server code VALIDATION_ERROR', async () => {
    const err = await rejection(
      client().transactions.submit.mutate({ amount: -5, vendor: 'openai' }),
    );
    expect(err.data?.code).toBe('UNPROCESSABLE_CONTENT');
    expect(err.data?.httpStatus).toBe(422);
    expect(err.data?.reins).toMatchObject({ code: 'VALIDATION_ERROR', field: 'amount' });
    // The docs' codes are a union the compiler knows.
    type Code = NonNullable<typeof err.data>['reins']['code'];
    expectTypeOf<'VALIDATION_ERROR' | 'POLICY_VIOLATION' | 'RATE_LIMITED'>().toExtend<Code>();
    expectTypeOf<'NOT_A_CODE'>().not.toExtend<Code>();
  });

  it('answers an unknown key with UNAUTHORIZED', async () => {
    const err = await rejection(client('rk_test_NotARealKey000000000000').keys.list.query());
    expect(err.data?.reins.code).toBe('UNAUTHORIZED');
    expect(err.data?.httpStatus).toBe(401);
  });

  it('reads the API key and base URL from REINS_API_KEY and REINS_BASE_URL', async () => {
    process.env.REINS_API_KEY = ADMIN_KEY;
    process.env.REINS_BASE_URL = `${server.url}/`;
    const keys = await createReinsTRPCClient().keys.list.query();
    expect(keys.keys.length).toBeGreaterThan(0);
  });

  it('refuses to start without an API key', () => {
    Reflect.deleteProperty(process.env, 'REINS_API_KEY');
    expect(() => createReinsTRPCClient({ baseUrl: server.url })).toThrow(ReinsError);
    expect(() => createReinsTRPCClient({ baseUrl: server.url })).toThrow(/REINS_API_KEY/);
  });

  it('sends the key as a Bearer token with the extra headers, to <baseUrl>/trpc', async () => {
    const seen: { url: string; headers: Headers }[] = [];
    const trpc = createReinsTRPCClient({
      apiKey: ADMIN_KEY,
      baseUrl: server.url,
      headers: () => ({ 'x-request-id': 'req-42', authorization: 'Bearer overridden?' }),
      fetch: (input, init) => {
        const url =
          typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        seen.push({ url, headers: new Headers(init?.headers) });
        return fetch(input, init);
      },
    });
    await expect(trpc.health.query()).resolves.toEqual({ status: 'ok' });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url.startsWith(`${server.url}/trpc/health?`)).toBe(true);
    expect(seen[0]?.headers.get('authorization')).toBe(`Bearer ${ADMIN_KEY}`);
    expect(seen[0]?.headers.get('x-request-id')).toBe('req-42');
  });

  it('gives up on a request after timeoutMs', async () => {
    const trpc = createReinsTRPCClient({
      apiKey: ADMIN_KEY,
      baseUrl: server.url,
      timeoutMs: 50,
      // A server that never answers: the request ends only when its signal aborts.
      fetch: (_input, init) =>
        new Promise<Response>((_resolve, reject) => {
          const signal = init?.signal;
          signal?.addEventListener('abort', () => {
            const reason: unknown = signal.reason;
            reject(reason instanceof Error ? reason : new Error(String(reason)));
          });
        }),
    });
    const started = Date.now();
    const err = await rejection(trpc.health.query());
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err.cause?.name).toBe('TimeoutError');
  });
});

describe('AppRouter', () => {
  it('types outputs and inputs as the server defines them', () => {
    type Submitted = RouterOutputs['transactions']['submit'];
    expectTypeOf<Submitted['id']>().toEqualTypeOf<string>();
    expectTypeOf<RouterOutputs['transactions']['list']['total']>().toEqualTypeOf<number>();
    expectTypeOf<
      RouterOutputs['transactions']['trace']['evaluatedRules'][number]['matched']
    >().toEqualTypeOf<boolean>();
    expectTypeOf<RouterInputs['transactions']['submit']['vendor']>().toEqualTypeOf<string>();
    // Entity fields carry no ORM brand on the client.
    expectTypeOf<
      RouterOutputs['transactions']['list']['transactions'][number]['tokensIn']
    >().toEqualTypeOf<number>();
  });

  it('accepts everything the server sends and sends only what the server accepts', () => {
    expectTypeOf<keyof RouterOutputs>().toEqualTypeOf<keyof inferRouterOutputs<ServerRouter>>();
    expectTypeOf<inferRouterOutputs<ServerRouter>>().toExtend<RouterOutputs>();
    expectTypeOf<RouterInputs>().toExtend<inferRouterInputs<ServerRouter>>();
  });
});
