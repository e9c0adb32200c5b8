/**
 * Local evaluation (`mode: 'local'`): the SDK syncs the org's rules and window totals and decides
 * in-process with the engine. Its decisions equal the server's on the engine's golden vectors;
 * its own spend counts at once, other processes' after a sync; calls are reported in the
 * background as observed transactions.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '@reins/engine';
import { checkDecision, loadVectors, vectorInput } from '@reins/engine/vectors';
import { startTestServer, type TestServer } from '@reins/server/testing';
import { seedVector, unsupportedOverHttp, vectorBody } from '@reins/server/testing/vectors';
import { ReinsBlockedError, ReinsError } from '../src/errors.js';
import { ReinsSDK } from '../src/local.js';
import { startFakeProvider, type FakeProvider } from './fakeProvider.js';
import { createRule, priceOf, rejectionOf, transactionsOf } from './support.js';

let s: TestServer & { close(): Promise<void> };
let fake: FakeProvider;

beforeAll(async () => {
  s = await startTestServer('sdk-local');
  fake = await startFakeProvider();
});
afterAll(async () => {
  await fake.close();
  await s.close();
});
beforeEach(() => {
  fake.reset();
});

const silent = { warn: () => undefined };
const openai = () => new OpenAI({ apiKey: 'sk-test', baseURL: `${fake.url}/v1`, maxRetries: 0 });
const chat = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Say hello' }] };

const runnable = loadVectors().filter((v) => unsupportedOverHttp(v) === null);

describe('local decisions on the golden vectors', () => {
  it('covers the large majority of the vectors', () => {
    expect(runnable.length).toBeGreaterThanOrEqual(250);
  });

  it.each(runnable.map((v) => [`${v.file}: ${v.name}`, v] as const))('%s', async (_n, v) => {
    const seeded = await seedVector(s, v);
    const sdk = new ReinsSDK({
      apiKey: seeded.key,
      baseUrl: s.url,
      mode: 'local',
      clock: () => seeded.now,
      logger: silent,
    });
    try {
      // The server reads its current windows at its own clock: the vector's instant.
      s.clock.set(seeded.now);
      await sdk.sync();
      const input = vectorInput(v);
      const local = sdk.evaluateLocally(input, { trace: true });
      const dry = await s.call<{
        result: { action: string; ruleId: string | null; message: string; details: unknown };
      }>('POST', '/api/policy-rules/evaluate', vectorBody(v), { key: seeded.key });
      s.clock.set(null);

      // The same decision as the server's dry run…
      expect(dry.status, dry.text).toBe(200);
      expect({
        action: local.action,
        ruleId: local.ruleId,
        message: local.message,
      }).toEqual({
        action: dry.body.result.action,
        ruleId: dry.body.result.ruleId,
        message: dry.body.result.message,
      });
      // …and the one the vector expects.
      const m = seeded.mapId;
      const mapped: Decision = {
        ...local,
        ruleId: m(local.ruleId),
        details: { ...local.details, ruleId: m(local.details.ruleId) },
        trace: local.trace.map((t) => ({ ...t, ruleId: m(t.ruleId) ?? '' })),
        shadow: local.shadow.map((h) => ({ ...h, ruleId: m(h.ruleId) ?? '' })),
      };
      expect(checkDecision(v, mapped)).toEqual([]);
    } finally {
      s.clock.set(null);
      await sdk.close();
    }
  });
});

describe('wrap() in local mode', () => {
  async function localSdk(
    name: string,
    extra: Partial<ConstructorParameters<typeof ReinsSDK>[0]> = {},
  ) {
    const org = await s.newOrg(name);
    const sdk = new ReinsSDK({
      apiKey: org.key,
      baseUrl: s.url,
      mode: 'local',
      agentId: 'etl',
      logger: silent,
      reportIntervalMs: 10,
      ...extra,
    });
    return { org, sdk };
  }

  it('decides without a round trip and reports the call as an observed transaction', async () => {
    const { org, sdk } = await localSdk('local-report');
    try {
      await sdk.sync();
      fake.usage = { input: 2000, output: 100 };
      const c = await sdk.wrap(openai()).chat.completions.create(chat);
      expect(c.choices[0]?.message.content).toBe(fake.text);
      await sdk.flush();
      const [tx] = await transactionsOf(s, org.key);
      const micros = priceOf('openai', 'gpt-4o', { inputTokens: 2000, outputTokens: 100 });
      expect(tx).toMatchObject({
        phase: 'observed',
        status: 'recorded',
        agentId: 'etl',
        tokensIn: 2000,
        tokensOut: 100,
        amountMicros: micros,
      });
    } finally {
      await sdk.close();
    }
  });

  it('keeps delivering after a flush found nothing to send', async () => {
    const { org, sdk } = await localSdk('local-flush-empty', { reportIntervalMs: 60_000 });
    try {
      await sdk.sync();
      await sdk.flush();
      const client = sdk.wrap(openai());
      await client.chat.completions.create(chat);
      await sdk.flush();
      await client.chat.completions.create(chat);
      expect(await sdk.flush()).toMatchObject({ pending: 0, sent: 2 });
      expect(await transactionsOf(s, org.key)).toHaveLength(2);
    } finally {
      await sdk.close();
    }
  });

  it('blocks in-process: the provider is never called and nothing is recorded', async () => {
    const { org, sdk } = await localSdk('local-block');
    await createRule(s, org.key, {
      name: 'No gpt-4o',
      priority: 10,
      conditions: { models: ['gpt-4o'] },
      action: 'block',
      actionConfig: { message: 'gpt-4o is not allowed' },
    });
    try {
      await sdk.sync();
      await expect(sdk.wrap(openai()).chat.completions.create(chat)).rejects.toMatchObject({
        code: 'REINS_BLOCKED',
        message: 'gpt-4o is not allowed',
      });
      expect(fake.requests).toHaveLength(0);
      await sdk.flush();
      expect(await transactionsOf(s, org.key)).toHaveLength(0);
    } finally {
      await sdk.close();
    }
  });

  it("counts its own spend at once and other processes' after a sync", async () => {
    const { org, sdk } = await localSdk('local-budget', { syncIntervalMs: 3_600_000 });
    // $0.10 a day for the org; one call of this size costs ~$0.01.
    await createRule(s, org.key, {
      name: 'Daily 10 cents',
      priority: 10,
      conditions: { timeWindow: 'daily' },
      action: 'block',
      actionConfig: { message: 'Daily budget reached', limitCents: 10 },
    });
    try {
      await sdk.sync();
      const client = sdk.wrap(openai());
      fake.usage = { input: 2000, output: 500 };
      const perCall = priceOf('openai', 'gpt-4o', { inputTokens: 2000, outputTokens: 500 });
      let admitted = 0;
      for (let i = 0; i < 30; i++) {
        try {
          await client.chat.completions.create({ ...chat, max_completion_tokens: 500 });
          admitted++;
        } catch (e) {
          expect(e).toBeInstanceOf(ReinsBlockedError);
          break;
        }
      }
      // Without a sync in between, the process stopped itself at the cap.
      expect(admitted).toBeGreaterThan(0);
      expect(admitted * perCall).toBeLessThanOrEqual(10 * 1_000_000 + perCall);
      await sdk.flush();
      expect(await transactionsOf(s, org.key)).toHaveLength(admitted);

      // Another process (here: a second SDK) learns of that spend at its first sync.
      const other = new ReinsSDK({
        apiKey: org.key,
        baseUrl: s.url,
        mode: 'local',
        logger: silent,
      });
      await other.sync();
      const next = other.evaluateLocally({
        vendor: 'openai',
        model: 'gpt-4o',
        amountMicros: perCall,
      });
      expect(next.action).toBe('block');
      await other.close();
    } finally {
      await sdk.close();
    }
  });

  it('picks up rule changes on the next sync', async () => {
    const { org, sdk } = await localSdk('local-rules');
    try {
      await sdk.sync();
      expect(sdk.evaluateLocally({ vendor: 'openai', model: 'gpt-4o', amount: 600 }).action).toBe(
        'pass',
      );
      await createRule(s, org.key, {
        name: 'Block transactions over $5',
        priority: 1,
        conditions: { amountCents: { min: 501 } },
        action: 'block',
        actionConfig: { message: 'Individual transactions over $5 are not permitted.' },
      });
      await sdk.sync();
      const d = sdk.evaluateLocally({ vendor: 'openai', model: 'gpt-4o', amount: 600 });
      expect(d).toMatchObject({
        action: 'block',
        message: 'Individual transactions over $5 are not permitted.',
      });
    } finally {
      await sdk.close();
    }
  });

  it("enforces the org's per-minute vendor limit locally", async () => {
    const { org, sdk } = await localSdk('local-rpm');
    const put = await s.call('PUT', '/api/vendors/openai', { rateLimitRpm: 2 }, { key: org.key });
    expect(put.status, put.text).toBe(200);
    try {
      await sdk.sync();
      const client = sdk.wrap(openai());
      await client.chat.completions.create(chat);
      await client.chat.completions.create(chat);
      await expect(client.chat.completions.create(chat)).rejects.toMatchObject({
        code: 'REINS_BLOCKED',
      });
      expect(fake.requests).toHaveLength(2);
    } finally {
      await sdk.close();
    }
  });

  it('fails open when the first sync cannot reach Reins', async () => {
    const lines: string[] = [];
    const sdk = new ReinsSDK({
      apiKey: 'rk_test_x',
      baseUrl: 'http://127.0.0.1:9',
      mode: 'local',
      logger: { warn: (l) => lines.push(l) },
      retryIntervalMs: 60_000,
    });
    try {
      const c = await sdk.wrap(openai()).chat.completions.create(chat);
      expect(c.object).toBe('chat.completion');
      expect(sdk.stats().failedOpen).toBe(1);
      expect(lines.join('\n')).toContain('unreachable');
    } finally {
      await sdk.close();
    }
  });

  it('stops deciding with synced rules once the key is revoked: calls fail closed', async () => {
    const org = await s.newOrg('local revoked');
    const created = await s.call<{ id: string; key: string }>(
      'POST',
      '/api/keys',
      { name: 'sdk', permissions: ['transactions:write', 'policies:read'] },
      { key: org.key },
    );
    const sdk = new ReinsSDK({
      apiKey: created.body.key,
      baseUrl: s.url,
      mode: 'local',
      syncIntervalMs: 50,
      logger: { warn: () => undefined },
    });
    try {
      const client = sdk.wrap(openai());
      expect((await client.chat.completions.create(chat)).object).toBe('chat.completion');
      const revoked = await s.call('DELETE', `/api/keys/${created.body.id}`, undefined, {
        key: org.key,
      });
      expect(revoked.status).toBe(200);
      let err: unknown = null;
      for (let i = 0; i < 100 && err === null; i++) {
        await new Promise((r) => setTimeout(r, 50));
        err = await rejectionOf(client.chat.completions.create(chat));
      }
      expect(err).toBeInstanceOf(ReinsError);
      expect((err as ReinsError).code).toBe('UNAUTHORIZED');
    } finally {
      await sdk.close();
    }
  });
});
