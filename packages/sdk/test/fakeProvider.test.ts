// The fake provider is only useful if the real clients accept what it says. These tests drive the
// real `openai` and `@anthropic-ai/sdk` packages against it, non-streaming and streaming.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';

import { startFakeProvider } from './fakeProvider';
import type { FakeProvider } from './fakeProvider';

let fake: FakeProvider;
let openai: OpenAI;
let anthropic: Anthropic;

const TEXT = 'Hello from the fake provider.';

beforeAll(async () => {
  fake = await startFakeProvider();
  openai = new OpenAI({ baseURL: `${fake.url}/v1`, apiKey: 'x', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: fake.url, apiKey: 'x', maxRetries: 0 });
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
});

function sleep(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => {
    setTimeout(() => {
      resolve('timeout');
    }, ms);
  });
}

const chatParams = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'Hi' }],
};

const messageParams = {
  model: 'claude-sonnet-5-5',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'Hi' }],
};

describe('OpenAI chat.completions', () => {
  test('a completion carries the text, the echoed model and usage with cached tokens inside prompt_tokens', async () => {
    fake.usage = { input: 1000, output: 50, cacheRead: 200 };
    const completion = await openai.chat.completions.create(chatParams);

    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.choices[0]?.message.content).toBe(TEXT);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({
      prompt_tokens: 1200,
      completion_tokens: 50,
      total_tokens: 1250,
      prompt_tokens_details: { cached_tokens: 200 },
    });

    expect(fake.requests).toHaveLength(1);
    const request = fake.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.body.model).toBe('gpt-4o-mini');
    expect(request?.headers.authorization).toBe('Bearer x');
  });

  test('a stream without include_usage carries the text in several deltas and no usage anywhere', async () => {
    const stream = await openai.chat.completions.create({ ...chatParams, stream: true });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    const deltas = chunks.map((c) => c.choices[0]?.delta.content ?? '');
    expect(deltas.filter((d) => d.length > 0).length).toBeGreaterThan(2);
    expect(deltas.join('')).toBe(TEXT);
    expect(new Set(chunks.map((c) => c.object))).toEqual(new Set(['chat.completion.chunk']));
    expect(chunks.every((c) => c.usage == null)).toBe(true);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(fake.requests[0]?.body.stream_options).toBeUndefined();
  });

  test('a stream with include_usage ends with a chunk that has no choices and the usage', async () => {
    fake.usage = { input: 10, output: 5, cacheRead: 4 };
    const stream = await openai.chat.completions.create({
      ...chatParams,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({
      prompt_tokens: 14,
      completion_tokens: 5,
      total_tokens: 19,
      prompt_tokens_details: { cached_tokens: 4 },
    });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(TEXT);
    expect(fake.requests[0]?.body.stream_options).toEqual({ include_usage: true });
  });

  test('the chat.completions.stream() helper assembles the final completion', async () => {
    fake.text = 'One two three.';
    const final = await openai.chat.completions
      .stream({ ...chatParams, stream_options: { include_usage: true } })
      .finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe('One two three.');
    expect(final.usage?.completion_tokens).toBe(300);
  });
});

describe('OpenAI responses', () => {
  test('a response carries output_text (computed by the client) and usage', async () => {
    fake.usage = { input: 100, output: 20, cacheRead: 30 };
    const response = await openai.responses.create({
      model: 'gpt-4.1',
      input: 'Hi',
      max_output_tokens: 256,
    });

    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(response.model).toBe('gpt-4.1');
    expect(response.output_text).toBe(TEXT);
    expect(response.usage).toEqual({
      input_tokens: 130,
      input_tokens_details: { cached_tokens: 30, cache_write_tokens: 0 },
      output_tokens: 20,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 150,
    });
    expect(fake.requests[0]?.path).toBe('/v1/responses');
    expect(fake.requests[0]?.body.max_output_tokens).toBe(256);
  });

  test('a stream sends the lifecycle events, text deltas and a response.completed with usage', async () => {
    const stream = await openai.responses.create({ model: 'gpt-4.1', input: 'Hi', stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);

    const types = events.map((e) => e.type);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.output_text.done');
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));

    const deltas = events.flatMap((e) =>
      e.type === 'response.output_text.delta' ? [e.delta] : [],
    );
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.join('')).toBe(TEXT);

    const created = events[0];
    expect(created?.type === 'response.created' && created.response.usage).toBeNull();
    const completed = events.at(-1);
    if (completed?.type !== 'response.completed') throw new Error('no response.completed');
    expect(completed.response.usage).toMatchObject({ input_tokens: 1200, output_tokens: 300 });
  });

  test('the responses.stream() helper accumulates the events into the final response', async () => {
    const final = await openai.responses.stream({ model: 'gpt-4.1', input: 'Hi' }).finalResponse();
    expect(final.output_text).toBe(TEXT);
    expect(final.usage?.total_tokens).toBe(1500);
  });
});

describe('Anthropic messages', () => {
  test('a message carries the text and usage with cache counts outside input_tokens', async () => {
    fake.usage = { input: 1000, output: 50, cacheRead: 200, cacheWrite: 30 };
    const message = await anthropic.messages.create(messageParams);

    expect(message.type).toBe('message');
    expect(message.model).toBe('claude-sonnet-5-5');
    expect(message.id).toMatch(/^msg_/);
    expect(message.stop_reason).toBe('end_turn');
    const block = message.content[0];
    expect(block?.type === 'text' && block.text).toBe(TEXT);
    expect(message.usage).toMatchObject({
      input_tokens: 1000,
      output_tokens: 50,
      cache_read_input_tokens: 200,
      cache_creation_input_tokens: 30,
    });

    const request = fake.requests[0];
    expect(request?.path).toBe('/v1/messages');
    expect(request?.body.max_tokens).toBe(1024);
    // @anthropic-ai/sdk 1.x sends the API key as a bearer token, not as x-api-key.
    expect(request?.headers.authorization).toBe('Bearer x');
    expect(request?.headers['anthropic-version']).toBeTypeOf('string');
  });

  test('create({stream: true}) yields raw events: usage in message_start and message_delta', async () => {
    fake.usage = { input: 100, output: 40, cacheRead: 10 };
    const stream = await anthropic.messages.create({ ...messageParams, stream: true });
    const events: Anthropic.Messages.RawMessageStreamEvent[] = [];
    for await (const event of stream) events.push(event);

    expect(events.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      ...Array<string>(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const start = events[0];
    if (start?.type !== 'message_start') throw new Error('no message_start');
    expect(start.message.usage).toMatchObject({
      input_tokens: 100,
      output_tokens: 1,
      cache_read_input_tokens: 10,
    });
    const delta = events.find((e) => e.type === 'message_delta');
    if (delta?.type !== 'message_delta') throw new Error('no message_delta');
    expect(delta.usage.output_tokens).toBe(40);
    expect(delta.delta.stop_reason).toBe('end_turn');

    const text = events
      .map((e) =>
        e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : '',
      )
      .join('');
    expect(text).toBe(TEXT);
  });

  test('the messages.stream() helper gives the final message with usage from both events', async () => {
    fake.usage = { input: 100, output: 40, cacheWrite: 7 };
    const stream = anthropic.messages.stream(messageParams);
    let streamed = '';
    stream.on('text', (delta) => {
      streamed += delta;
    });
    const message = await stream.finalMessage();

    expect(streamed).toBe(TEXT);
    const block = message.content[0];
    expect(block?.type === 'text' && block.text).toBe(TEXT);
    expect(message.usage).toMatchObject({
      input_tokens: 100,
      output_tokens: 40,
      cache_creation_input_tokens: 7,
    });
    expect(fake.requests[0]?.body.stream).toBe(true);
  });
});

describe('failNext', () => {
  test('OpenAI: the next requests fail with a typed APIError and the OpenAI error body', async () => {
    fake.failNext(429, 2);
    for (let i = 0; i < 2; i++) {
      const err: unknown = await openai.chat.completions
        .create(chatParams)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      const apiError = err as InstanceType<typeof OpenAI.APIError>;
      expect(apiError.status).toBe(429);
      expect(apiError.code).toBe('rate_limit_exceeded');
      expect(apiError.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
    }
    const ok = await openai.chat.completions.create(chatParams);
    expect(ok.choices[0]?.message.content).toBe(TEXT);
    expect(fake.requests).toHaveLength(3);
  });

  test('OpenAI: a failed stream request throws from create(), before any chunk', async () => {
    fake.failNext(500);
    await expect(
      openai.responses.create({ model: 'gpt-4.1', input: 'Hi', stream: true }),
    ).rejects.toMatchObject({ status: 500, type: 'server_error' });
  });

  test('Anthropic: the next request fails with a typed APIError and the Anthropic error body', async () => {
    fake.failNext(529);
    const err: unknown = await anthropic.messages.create(messageParams).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    const apiError = err as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBe(529);
    expect(apiError.type).toBe('overloaded_error');
    expect(apiError.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });

    fake.failNext(429);
    await expect(anthropic.messages.stream(messageParams).finalMessage()).rejects.toBeInstanceOf(
      Anthropic.RateLimitError,
    );
  });

  test('a client with default retries retries a 429 and then succeeds', async () => {
    const retrying = new OpenAI({ baseURL: `${fake.url}/v1`, apiKey: 'x' });
    fake.failNext(429);
    const completion = await retrying.chat.completions.create(chatParams);
    expect(completion.choices[0]?.message.content).toBe(TEXT);
    expect(fake.requests).toHaveLength(2);
  });
});

describe('streaming controls', () => {
  test('chunkDelayMs spaces the chunks out', async () => {
    fake.chunkDelayMs = 25;
    const started = Date.now();
    const stream = await anthropic.messages.create({ ...messageParams, stream: true });
    let count = 0;
    for await (const _event of stream) count++;
    // 11 frames (ping included) with 10 gaps of 25 ms between them.
    expect(count).toBe(10);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  test('stallAfterChunks leaves an OpenAI stream open after N content chunks until the client aborts', async () => {
    fake.stallAfterChunks = 2;
    const stream = await openai.chat.completions.create({ ...chatParams, stream: true });
    const iterator = stream[Symbol.asyncIterator]();

    const role = await iterator.next();
    expect(role.done).toBe(false);
    const contents: string[] = [];
    for (let i = 0; i < 2; i++) {
      const next = await iterator.next();
      if (next.done === true) throw new Error('stream ended early');
      contents.push(next.value.choices[0]?.delta.content ?? '');
    }
    expect(contents.join('')).toBe('Hello from ');

    const pending = iterator.next();
    expect(await Promise.race([pending, sleep(150)])).toBe('timeout');
    stream.controller.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  test('stallAfterChunks: breaking out of an Anthropic stream ends it', async () => {
    fake.stallAfterChunks = 3;
    const stream = await anthropic.messages.create({ ...messageParams, stream: true });
    let text = '';
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
        text += event.delta.text;
        if (++deltas === 3) break;
      }
    }
    expect(text).toBe('Hello from the ');
    expect(stream.controller.signal.aborted).toBe(true);
  });

  test('close() ends stalled connections instead of hanging', async () => {
    const own = await startFakeProvider();
    own.stallAfterChunks = 1;
    const client = new OpenAI({ baseURL: `${own.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = await client.responses.create({ model: 'gpt-4.1', input: 'Hi', stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      const next = await iterator.next();
      if (next.done === true) throw new Error('stream ended early');
      seen.push(next.value.type);
    }
    expect(seen.at(-1)).toBe('response.output_text.delta');

    const pending = iterator.next().then(
      () => 'ended',
      () => 'failed',
    );
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(['ended', 'failed']).toContain(await pending);
  });
});

test('reset() clears requests and restores the defaults', async () => {
  fake.usage = { input: 1, output: 1 };
  fake.text = 'other';
  fake.chunkDelayMs = 5;
  fake.stallAfterChunks = 1;
  fake.failNext(500, 3);
  await openai.chat.completions.create(chatParams).catch(() => undefined);
  const requests = fake.requests;

  fake.reset();

  expect(requests).toHaveLength(0);
  expect(fake.requests).toBe(requests);
  expect(fake.usage).toEqual({ input: 1200, output: 300 });
  expect(fake.text).toBe(TEXT);
  expect(fake.chunkDelayMs).toBe(0);
  expect(fake.stallAfterChunks).toBeNull();
  const completion = await openai.chat.completions.create(chatParams);
  expect(completion.usage?.total_tokens).toBe(1500);
});
