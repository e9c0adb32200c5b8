/**
 * `ReinsSDK.wrap()` with the real `openai` and `@anthropic-ai/sdk` packages, against a local
 * server that speaks their APIs and a real Reins server: blocked calls never reach the provider,
 * costs settle to the usage reported (streams included), outages fail open.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { startTestServer, type TestServer } from '@reins/server/testing';
import { ReinsBlockedError, ReinsError } from '../src/errors.js';
import { ReinsSDK, type PolicyEvent } from '../src/sdk.js';
import { startFakeProvider, type FakeProvider } from './fakeProvider.js';
import { cents, createRule, priceOf, rejectionOf, startRelay, transactionsOf } from './support.js';

let s: TestServer & { close(): Promise<void> };
let fake: FakeProvider;

beforeAll(async () => {
  s = await startTestServer('sdk-wrap');
  fake = await startFakeProvider();
});
afterAll(async () => {
  await fake.close();
  await s.close();
});
beforeEach(() => {
  fake.reset();
});

const quiet = () => {
  const lines: string[] = [];
  return { lines, logger: { warn: (m: string) => lines.push(m) } };
};

function openai(): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL: `${fake.url}/v1`, maxRetries: 0 });
}
function anthropic(): Anthropic {
  return new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.url, maxRetries: 0 });
}

async function setup(name: string) {
  const org = await s.newOrg(name);
  const log = quiet();
  const warned: PolicyEvent[] = [];
  const flagged: PolicyEvent[] = [];
  const sdk = new ReinsSDK({
    apiKey: org.key,
    baseUrl: s.url,
    agentId: 'support-bot',
    userId: 'user-1',
    logger: log.logger,
    onWarn: (e) => warned.push(e),
    onFlag: (e) => flagged.push(e),
  });
  return { org, sdk, log, warned, flagged };
}

const chat = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Say hello' }] };

describe('wrap(openai).chat.completions.create', () => {
  it('returns what the client returns, and settles the reservation at the reported usage', async () => {
    const { org, sdk } = await setup('chat-settle');
    const client = sdk.wrap(openai());
    expectTypeOf(client).toEqualTypeOf<OpenAI>();
    fake.usage = { input: 1500, output: 250 };
    const completion = await client.chat.completions.create({
      ...chat,
      max_completion_tokens: 400,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content).toBe(fake.text);
    expect(completion.usage?.prompt_tokens).toBe(1500);
    await sdk.flush();

    const [tx, ...rest] = await transactionsOf(s, org.key);
    expect(rest).toHaveLength(0);
    const micros = priceOf('openai', 'gpt-4o', { inputTokens: 1500, outputTokens: 250 });
    expect(tx).toMatchObject({
      vendor: 'openai',
      model: 'gpt-4o',
      agentId: 'support-bot',
      userId: 'user-1',
      status: 'settled',
      tokensIn: 1500,
      tokensOut: 250,
      amountMicros: micros,
      amount: cents(micros),
      action: 'pass',
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('reserves the estimate before the call: prompt tokens estimated, output bounded by max_tokens', async () => {
    const { org, sdk } = await setup('chat-reserve');
    const client = sdk.wrap(openai());
    // A stream that stalls keeps the call open while the reservation is looked at.
    fake.stallAfterChunks = 1;
    const content = 'x'.repeat(4000);
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content }],
      max_completion_tokens: 777,
      stream: true,
    });
    const [held] = await transactionsOf(s, org.key);
    // ~4 characters a token, plus a few for the message's role markers.
    expect(held).toMatchObject({ status: 'reserved', tokensOut: 777, tokensIn: 1004 });
    expect(held?.amountMicros).toBe(
      priceOf('openai', 'gpt-4o', { inputTokens: 1004, outputTokens: 777 }),
    );
    for await (const _ of stream) break;
    await sdk.flush();
    const [settled] = await transactionsOf(s, org.key);
    expect(settled?.status).toBe('settled');
    expect(settled?.tokensOut).toBeLessThan(777);
  });

  it('a block rule stops the call before the provider: REINS_BLOCKED with the rule message', async () => {
    const { org, sdk } = await setup('chat-block');
    await createRule(s, org.key, {
      name: 'No gpt-4o for the support bot',
      priority: 10,
      conditions: { agentIds: ['support-bot'], models: ['gpt-4o'] },
      action: 'block',
      actionConfig: { message: 'Upgrade to Pro to use gpt-4o' },
    });
    const client = sdk.wrap(openai());
    const err = await rejectionOf(client.chat.completions.create(chat));
    expect(err).toBeInstanceOf(ReinsBlockedError);
    expect((err as ReinsBlockedError).code).toBe('REINS_BLOCKED');
    expect((err as ReinsBlockedError).message).toBe('Upgrade to Pro to use gpt-4o');
    expect(fake.requests).toHaveLength(0);
    const [tx] = await transactionsOf(s, org.key);
    expect(tx).toMatchObject({ action: 'block', status: 'blocked' });
    expect(sdk.stats().blocked).toBe(1);
  });

  it('calls onWarn and onFlag with the policy result, and the call goes through', async () => {
    const { org, sdk, warned, flagged } = await setup('chat-warn-flag');
    await createRule(s, org.key, {
      name: 'Flag gpt-4o',
      priority: 10,
      conditions: { models: ['gpt-4o'] },
      action: 'flag',
      actionConfig: { message: 'gpt-4o is reviewed' },
    });
    await createRule(s, org.key, {
      name: 'Warn on mini',
      priority: 9,
      conditions: { models: ['gpt-4o-mini'] },
      action: 'warn',
      actionConfig: { message: 'mini is watched' },
    });
    const client = sdk.wrap(openai());
    await client.chat.completions.create(chat);
    await client.chat.completions.create({ ...chat, model: 'gpt-4o-mini' });
    expect(flagged).toHaveLength(1);
    expect(flagged[0]?.policyResult.message).toBe('gpt-4o is reviewed');
    expect(flagged[0]?.transactionId).toMatch(/.+/);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ action: 'warn', vendor: 'openai', model: 'gpt-4o-mini' });
    expect(fake.requests).toHaveLength(2);
  });

  it('streams: asks the provider for usage, hides the usage chunk from a caller who did not ask, settles at the end', async () => {
    const { org, sdk } = await setup('chat-stream');
    const client = sdk.wrap(openai());
    fake.usage = { input: 900, output: 120 };
    const stream = await client.chat.completions.create({ ...chat, stream: true });
    expect(typeof stream.controller.abort).toBe('function');
    let text = '';
    for await (const chunk of stream) {
      expect(chunk.choices.length).toBeGreaterThan(0);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe(fake.text);
    expect(fake.requests[0]?.body.stream_options).toEqual({ include_usage: true });
    await sdk.flush();
    const [tx] = await transactionsOf(s, org.key);
    expect(tx).toMatchObject({ status: 'settled', tokensIn: 900, tokensOut: 120 });
  });

  it('streams: a caller who asked for usage gets the usage chunk', async () => {
    const { sdk } = await setup('chat-stream-usage');
    const client = sdk.wrap(openai());
    const stream = await client.chat.completions.create({
      ...chat,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: unknown = null;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage).toMatchObject({ prompt_tokens: 1200, completion_tokens: 300 });
    await sdk.flush();
  });

  it('an abandoned stream settles what was received', async () => {
    const { org, sdk } = await setup('chat-abandon');
    const client = sdk.wrap(openai());
    fake.text = 'one two three four five six seven eight nine ten';
    fake.stallAfterChunks = 2;
    const stream = await client.chat.completions.create({
      ...chat,
      stream: true,
      max_completion_tokens: 1000,
    });
    let received = '';
    let n = 0;
    for await (const chunk of stream) {
      received += chunk.choices[0]?.delta.content ?? '';
      if (++n === 2) break;
    }
    await sdk.flush();
    const [tx] = await transactionsOf(s, org.key);
    expect(tx?.status).toBe('settled');
    expect(tx?.tokensOut).toBe(Math.ceil(received.length / 4));
    expect(tx?.tokensOut).toBeLessThan(1000);
  });

  it('a provider error is thrown as the provider threw it, and the reservation is voided', async () => {
    const { org, sdk } = await setup('chat-provider-error');
    const client = sdk.wrap(openai());
    fake.failNext(500);
    const err = await rejectionOf(client.chat.completions.create(chat));
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(500);
    await sdk.flush();
    const [tx] = await transactionsOf(s, org.key);
    expect(tx?.status).toBe('voided');
  });

  it('withResponse() and the stream() helper go through Reins too', async () => {
    const { org, sdk } = await setup('chat-helpers');
    const client = sdk.wrap(openai());
    const { data, response } = await client.chat.completions.create(chat).withResponse();
    expect(response.status).toBe(200);
    expect(data.choices[0]?.message.content).toBe(fake.text);
    const runner = client.chat.completions.stream(chat);
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe(fake.text);
    await sdk.flush();
    const txs = await transactionsOf(s, org.key);
    expect(txs.map((t) => t.status)).toEqual(['settled', 'settled']);
  });
});

describe('wrap(openai).responses.create', () => {
  it('settles the usage of a response, streamed or not', async () => {
    const { org, sdk } = await setup('responses');
    const client = sdk.wrap(openai());
    fake.usage = { input: 640, output: 64 };
    const r = await client.responses.create({
      model: 'gpt-4o',
      input: 'Hi',
      max_output_tokens: 100,
    });
    expect(r.output_text).toBe(fake.text);
    const stream = await client.responses.create({ model: 'gpt-4o', input: 'Hi', stream: true });
    let text = '';
    for await (const ev of stream) if (ev.type === 'response.output_text.delta') text += ev.delta;
    expect(text).toBe(fake.text);
    await sdk.flush();
    const txs = await transactionsOf(s, org.key);
    expect(txs).toHaveLength(2);
    for (const tx of txs)
      expect(tx).toMatchObject({ status: 'settled', tokensIn: 640, tokensOut: 64 });
  });
});

describe('wrap(anthropic).messages.create', () => {
  const msg = {
    model: 'claude-sonnet-4-6',
    max_tokens: 512,
    messages: [{ role: 'user' as const, content: 'Say hello' }],
  };

  it('settles input, cache and output tokens as Anthropic reports them', async () => {
    const { org, sdk } = await setup('anthropic');
    const client = sdk.wrap(anthropic());
    expectTypeOf(client).toEqualTypeOf<Anthropic>();
    fake.usage = { input: 800, output: 90, cacheRead: 200 };
    const m = await client.messages.create(msg);
    expect(m.content[0]).toMatchObject({ type: 'text', text: fake.text });
    await sdk.flush();
    const [tx] = await transactionsOf(s, org.key);
    // Reins counts every input token, cache reads included, and prices reads at the cache rate.
    const micros = priceOf('anthropic', 'claude-sonnet-4-6', {
      inputTokens: 1000,
      outputTokens: 90,
      cacheReadTokens: 200,
    });
    expect(tx).toMatchObject({
      status: 'settled',
      tokensIn: 1000,
      tokensOut: 90,
      amountMicros: micros,
    });
  });

  it('a request the client refuses before sending is thrown as it is, and its reservation voided', async () => {
    const { org, sdk } = await setup('anthropic-refused');
    const client = sdk.wrap(anthropic());
    // Anthropic's client requires streaming for long non-streaming calls, synchronously.
    expect(() => client.messages.create({ ...msg, max_tokens: 100_000 })).toThrow(/[Ss]treaming/);
    await sdk.flush();
    const [tx] = await transactionsOf(s, org.key);
    expect(tx?.status).toBe('voided');
    expect(fake.requests).toHaveLength(0);
  });

  it('streams (create with stream: true, and the stream() helper) settle at message_delta usage', async () => {
    const { org, sdk } = await setup('anthropic-stream');
    const client = sdk.wrap(anthropic());
    fake.usage = { input: 300, output: 40 };
    const stream = await client.messages.create({ ...msg, stream: true });
    let text = '';
    for await (const ev of stream) {
      if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta')
        text += ev.delta.text;
    }
    expect(text).toBe(fake.text);
    const final = await client.messages.stream(msg).finalMessage();
    expect(final.usage.output_tokens).toBe(40);
    await sdk.flush();
    const txs = await transactionsOf(s, org.key);
    expect(txs).toHaveLength(2);
    for (const tx of txs)
      expect(tx).toMatchObject({ status: 'settled', tokensIn: 300, tokensOut: 40 });
  });

  it('blocks before the provider', async () => {
    const { org, sdk } = await setup('anthropic-block');
    await createRule(s, org.key, {
      name: 'No Anthropic',
      priority: 10,
      conditions: { vendors: ['anthropic'] },
      action: 'block',
      actionConfig: { message: 'Anthropic is not approved' },
    });
    const client = sdk.wrap(anthropic());
    await expect(client.messages.create(msg)).rejects.toMatchObject({
      code: 'REINS_BLOCKED',
      message: 'Anthropic is not approved',
    });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('fail-open', () => {
  it('lets calls through while Reins is down, queues them (bounded), and records them when it is back', async () => {
    const org = await s.newOrg('fail-open');
    const relay = await startRelay(s.url);
    const log = quiet();
    const sdk = new ReinsSDK({
      apiKey: org.key,
      baseUrl: relay.url,
      logger: log.logger,
      maxQueueSize: 3,
      retryIntervalMs: 60_000,
    });
    try {
      const client = sdk.wrap(openai());
      await relay.down();
      for (let i = 0; i < 5; i++) {
        const c = await client.chat.completions.create(chat);
        expect(c.choices[0]?.message.content).toBe(fake.text);
      }
      expect(fake.requests).toHaveLength(5);
      expect(log.lines.some((l) => l.includes('goes through unchecked'))).toBe(true);
      let stats = await sdk.flush();
      expect(stats).toMatchObject({ failedOpen: 5, pending: 3, dropped: 2 });
      await relay.up();
      stats = await sdk.flush();
      expect(stats).toMatchObject({ pending: 0, sent: 3, dropped: 2 });
      const txs = await transactionsOf(s, org.key);
      expect(txs).toHaveLength(3);
      const micros = priceOf('openai', 'gpt-4o', { inputTokens: 1200, outputTokens: 300 });
      for (const tx of txs)
        expect(tx).toMatchObject({ phase: 'observed', tokensIn: 1200, amountMicros: micros });
      // Delivered twice (a retry after a lost answer) is still recorded once.
      await sdk.flush();
      expect(await transactionsOf(s, org.key)).toHaveLength(3);
    } finally {
      await sdk.close();
      await relay.close();
    }
  });

  it('a model Reins has no price for is reserved at $0, and delivered at $0 after an outage', async () => {
    const org = await s.newOrg('fail-open-unpriced');
    const relay = await startRelay(s.url);
    const log = quiet();
    const sdk = new ReinsSDK({
      apiKey: org.key,
      baseUrl: relay.url,
      logger: log.logger,
      retryIntervalMs: 60_000,
    });
    try {
      const client = sdk.wrap(openai());
      fake.usage = { input: 700, output: 80 };
      const unpriced = { ...chat, model: 'acme-unpriced-1' };
      await client.chat.completions.create(unpriced);
      await sdk.flush();
      await relay.down();
      await client.chat.completions.create(unpriced);
      await relay.up();
      const stats = await sdk.flush();
      expect(stats).toMatchObject({ failedOpen: 1, pending: 0, rejected: 0, dropped: 0 });
      const [reserved, observed, ...rest] = await transactionsOf(s, org.key);
      expect(rest).toHaveLength(0);
      const tokens = { model: 'acme-unpriced-1', tokensIn: 700, tokensOut: 80, amountMicros: 0 };
      expect(reserved).toMatchObject({ ...tokens, status: 'settled' });
      // Sent with its tokens and no amount, refused as unpriced, re-sent at $0.
      expect(observed).toMatchObject({ ...tokens, phase: 'observed' });
      expect(log.lines.filter((l) => l.includes('refused'))).toEqual([]);
    } finally {
      await sdk.close();
      await relay.close();
    }
  });

  it('a Reins that does not answer within timeoutMs fails open', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const log = quiet();
    const sdk = new ReinsSDK({
      apiKey: 'rk_test_whatever',
      baseUrl: `http://127.0.0.1:${String(port)}`,
      timeoutMs: 200,
      logger: log.logger,
      retryIntervalMs: 60_000,
    });
    try {
      const started = Date.now();
      const c = await sdk.wrap(openai()).chat.completions.create(chat);
      expect(c.object).toBe('chat.completion');
      expect(Date.now() - started).toBeLessThan(5000);
      expect(log.lines.join('\n')).toMatch(/did not answer .* within 200 ms/);
      expect(sdk.stats()).toMatchObject({ failedOpen: 1 });
    } finally {
      await sdk.close();
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('strictMode fails closed: the provider is not called', async () => {
    const org = await s.newOrg('strict');
    const relay = await startRelay(s.url);
    await relay.down();
    const sdk = new ReinsSDK({
      apiKey: org.key,
      baseUrl: relay.url,
      strictMode: true,
      logger: quiet().logger,
    });
    try {
      const err = await rejectionOf(sdk.wrap(openai()).chat.completions.create(chat));
      expect(err).toBeInstanceOf(ReinsError);
      expect((err as ReinsError).code).toBe('NETWORK_ERROR');
      expect(fake.requests).toHaveLength(0);
    } finally {
      await sdk.close();
      await relay.close();
    }
  });

  it('a wrong, revoked or under-permitted key fails closed: the provider is not called', async () => {
    const org = await s.newOrg('key refused');
    const readOnly = await s.call<{ key: string }>(
      'POST',
      '/api/keys',
      { name: 'read only', permissions: ['transactions:read'] },
      { key: org.key },
    );
    for (const [apiKey, code] of [
      ['rk_test_NoSuchKeyAtAll0000000000', 'UNAUTHORIZED'],
      [readOnly.body.key, 'FORBIDDEN'],
    ] as const) {
      const sdk = new ReinsSDK({ apiKey, baseUrl: s.url, logger: quiet().logger });
      try {
        const err = await rejectionOf(sdk.wrap(openai()).chat.completions.create(chat));
        expect(err).toBeInstanceOf(ReinsError);
        expect((err as ReinsError).code).toBe(code);
        expect((err as ReinsError).message).toContain('failOpenOnKeyError');
        expect(sdk.stats().failedOpen).toBe(0);
      } finally {
        await sdk.close();
      }
    }
    expect(fake.requests).toHaveLength(0);

    // Opting out: the call goes through unchecked, with a warning.
    const log = quiet();
    const lenient = new ReinsSDK({
      apiKey: 'rk_test_NoSuchKeyAtAll0000000000',
      baseUrl: s.url,
      failOpenOnKeyError: true,
      logger: log.logger,
    });
    try {
      const c = await lenient.wrap(openai()).chat.completions.create(chat);
      expect(c.object).toBe('chat.completion');
      expect(lenient.stats().failedOpen).toBe(1);
      expect(log.lines.join('\n')).toContain('unchecked');
    } finally {
      await lenient.close();
    }
  });
});
