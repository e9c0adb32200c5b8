// A local HTTP server that speaks the OpenAI (Chat Completions, Responses) and Anthropic (Messages)
// wire formats closely enough that the real `openai` and `@anthropic-ai/sdk` clients parse its
// answers, streaming or not. The SDK's tests point real clients at it instead of mocking them, so
// the wrapper is exercised against the clients' own parsing, streams, errors and retries.
//
// Bodies follow the shapes in the clients' generated types (openai 6.x, @anthropic-ai/sdk 1.x) and
// the providers' documented responses. Only node:http: no dependencies.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Token counts the fake reports. `input` is the input billed at the plain rate: neither read from
 * nor written to a prompt cache. Each provider reports it its own way:
 * - Anthropic: `input_tokens = input`, `cache_read_input_tokens = cacheRead`,
 *   `cache_creation_input_tokens = cacheWrite` (the cached counts are NOT part of input_tokens).
 * - OpenAI: `prompt_tokens` / `input_tokens = input + cacheRead + cacheWrite`, with
 *   `cached_tokens = cacheRead` as a breakdown (the cached count IS part of the prompt count).
 */
export interface FakeUsage {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

export interface FakeRequest {
  method: string;
  /** The request target as received: path plus query string, if any. */
  path: string;
  /** The parsed JSON body; `{}` when the body is empty or not a JSON object. */
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

export interface FakeProvider {
  /** e.g. http://127.0.0.1:PORT. OpenAI: baseURL `${url}/v1`; Anthropic: baseURL `url`. */
  url: string;
  /** Every request received, in order, recorded before it is answered. */
  requests: FakeRequest[];
  /** The usage the next responses report (default {input: 1200, output: 300}). */
  usage: FakeUsage;
  /** The text the model "answers" (default 'Hello from the fake provider.'); streamed as several chunks. */
  text: string;
  /** Make the next N requests (default 1) fail with this status and the provider's error body. */
  failNext(status: number, count?: number): void;
  /** Streams: emit chunks with this delay (ms) between them (default 0). */
  chunkDelayMs: number;
  /** Streams: stop after this many content chunks and keep the connection open without finishing; null = finish normally. */
  stallAfterChunks: number | null;
  /** Clears requests (in place) and pending failures, and restores the defaults. */
  reset(): void;
  /** Stops listening and destroys every open connection, stalled streams included. */
  close(): Promise<void>;
}

const DEFAULT_USAGE: FakeUsage = { input: 1200, output: 300 };
const DEFAULT_TEXT = 'Hello from the fake provider.';

type Vendor = 'openai' | 'anthropic';

/** What one request is answered with, fixed when the request arrives. */
interface Answer {
  text: string;
  chunks: string[];
  usage: Required<FakeUsage>;
  chunkDelayMs: number;
  stallAfterChunks: number | null;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomId(prefix: string, length: number): string {
  const bytes = randomBytes(length);
  let id = prefix;
  for (const byte of bytes) id += ALNUM[byte % ALNUM.length] ?? 'x';
  return id;
}

function randomHex(prefix: string, bytes: number): string {
  return prefix + randomBytes(bytes).toString('hex');
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Splits text into word-sized chunks whose concatenation is exactly the text. */
function splitIntoChunks(text: string): string[] {
  return text.split(/(?<=\s)(?=\S)/).filter((chunk) => chunk.length > 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

// ---------------------------------------------------------------------------------------------
// Errors

function openaiErrorBody(status: number): { error: Record<string, unknown> } {
  let type = 'invalid_request_error';
  let code: string | null = null;
  let message = `Request failed with status ${status}.`;
  if (status === 401) {
    code = 'invalid_api_key';
    message = 'Incorrect API key provided.';
  } else if (status === 404) {
    code = 'model_not_found';
    message = 'The model does not exist or you do not have access to it.';
  } else if (status === 429) {
    type = 'requests';
    code = 'rate_limit_exceeded';
    message = 'Rate limit reached for requests. Please try again later.';
  } else if (status >= 500) {
    type = 'server_error';
    message = 'The server had an error while processing your request. Sorry about that!';
  }
  return { error: { message, type, param: null, code } };
}

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

function anthropicErrorBody(status: number, requestId: string): Record<string, unknown> {
  const type =
    ANTHROPIC_ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  const message =
    type === 'rate_limit_error'
      ? 'Number of requests has exceeded your rate limit. Please try again later.'
      : type === 'overloaded_error'
        ? 'Overloaded'
        : type === 'api_error'
          ? 'Internal server error'
          : `Request failed with status ${status}.`;
  return { type: 'error', error: { type, message }, request_id: requestId };
}

// ---------------------------------------------------------------------------------------------
// Usage

function openaiPromptTokens(u: Required<FakeUsage>): number {
  return u.input + u.cacheRead + u.cacheWrite;
}

function chatUsage(u: Required<FakeUsage>): Record<string, unknown> {
  const prompt = openaiPromptTokens(u);
  return {
    prompt_tokens: prompt,
    completion_tokens: u.output,
    total_tokens: prompt + u.output,
    prompt_tokens_details: {
      cached_tokens: u.cacheRead,
      audio_tokens: 0,
      ...(u.cacheWrite > 0 ? { cache_write_tokens: u.cacheWrite } : {}),
    },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function responsesUsage(u: Required<FakeUsage>): Record<string, unknown> {
  const input = openaiPromptTokens(u);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cacheRead, cache_write_tokens: u.cacheWrite },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + u.output,
  };
}

function anthropicUsage(u: Required<FakeUsage>, outputTokens: number): Record<string, unknown> {
  return {
    input_tokens: u.input,
    cache_creation_input_tokens: u.cacheWrite,
    cache_read_input_tokens: u.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: u.cacheWrite, ephemeral_1h_input_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: null,
    server_tool_use: null,
    service_tier: 'standard',
    inference_geo: null,
    speed: null,
  };
}

// ---------------------------------------------------------------------------------------------
// SSE framing

function dataFrame(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

function eventFrame(data: Record<string, unknown> & { type: string }): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A stream is the frames before the content, one frame per content chunk, and the frames after. */
interface Frames {
  head: string[];
  content: string[];
  tail: string[];
}

// ---------------------------------------------------------------------------------------------
// OpenAI Chat Completions: POST /v1/chat/completions

function chatCompletion(body: Record<string, unknown>, a: Answer): unknown {
  return {
    id: randomId('chatcmpl-', 29),
    object: 'chat.completion',
    created: nowSeconds(),
    model: stringOr(body.model, 'gpt-fake'),
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: a.text, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: chatUsage(a.usage),
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
}

function chatCompletionFrames(body: Record<string, unknown>, a: Answer): Frames {
  const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
  const base = {
    id: randomId('chatcmpl-', 29),
    object: 'chat.completion.chunk',
    created: nowSeconds(),
    model: stringOr(body.model, 'gpt-fake'),
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
  // With include_usage, the real API puts `usage: null` on every chunk but the last.
  const chunk = (delta: Record<string, unknown>, finishReason: string | null): string =>
    dataFrame({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
    });
  const tail = [chunk({}, 'stop')];
  if (includeUsage) tail.push(dataFrame({ ...base, choices: [], usage: chatUsage(a.usage) }));
  tail.push('data: [DONE]\n\n');
  return {
    head: [chunk({ role: 'assistant', content: '', refusal: null }, null)],
    content: a.chunks.map((text) => chunk({ content: text }, null)),
    tail,
  };
}

// ---------------------------------------------------------------------------------------------
// OpenAI Responses: POST /v1/responses

function responseObject(
  body: Record<string, unknown>,
  a: Answer,
  ids: { response: string; message: string; createdAt: number },
  status: 'in_progress' | 'completed',
): Record<string, unknown> {
  const completed = status === 'completed';
  return {
    id: ids.response,
    object: 'response',
    created_at: ids.createdAt,
    status,
    background: false,
    completed_at: completed ? nowSeconds() : null,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: numberOrNull(body.max_output_tokens),
    max_tool_calls: null,
    model: stringOr(body.model, 'gpt-fake'),
    output: completed ? [responseMessage(ids.message, a.text, 'completed')] : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    prompt_cache_key: null,
    reasoning: { effort: null, summary: null },
    safety_identifier: null,
    service_tier: 'default',
    store: true,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_logprobs: 0,
    top_p: 1,
    truncation: 'disabled',
    usage: completed ? responsesUsage(a.usage) : null,
    user: null,
    metadata: {},
  };
}

function outputText(text: string): Record<string, unknown> {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

function responseMessage(
  id: string,
  text: string,
  status: 'in_progress' | 'completed',
): Record<string, unknown> {
  return {
    id,
    type: 'message',
    status,
    content: status === 'completed' ? [outputText(text)] : [],
    role: 'assistant',
  };
}

function newResponseIds(): { response: string; message: string; createdAt: number } {
  return {
    response: randomHex('resp_', 24),
    message: randomHex('msg_', 24),
    createdAt: nowSeconds(),
  };
}

function responseFrames(body: Record<string, unknown>, a: Answer): Frames {
  const ids = newResponseIds();
  let sequence = 0;
  const frame = (event: Record<string, unknown> & { type: string }): string =>
    eventFrame({ ...event, sequence_number: sequence++ });
  const at = { item_id: ids.message, output_index: 0, content_index: 0 };
  const head = [
    frame({ type: 'response.created', response: responseObject(body, a, ids, 'in_progress') }),
    frame({ type: 'response.in_progress', response: responseObject(body, a, ids, 'in_progress') }),
    frame({
      type: 'response.output_item.added',
      output_index: 0,
      item: responseMessage(ids.message, '', 'in_progress'),
    }),
    frame({ type: 'response.content_part.added', ...at, part: outputText('') }),
  ];
  const content = a.chunks.map((delta) =>
    frame({ type: 'response.output_text.delta', ...at, delta, logprobs: [] }),
  );
  const tail = [
    frame({ type: 'response.output_text.done', ...at, text: a.text, logprobs: [] }),
    frame({ type: 'response.content_part.done', ...at, part: outputText(a.text) }),
    frame({
      type: 'response.output_item.done',
      output_index: 0,
      item: responseMessage(ids.message, a.text, 'completed'),
    }),
    frame({ type: 'response.completed', response: responseObject(body, a, ids, 'completed') }),
  ];
  return { head, content, tail };
}

// ---------------------------------------------------------------------------------------------
// Anthropic Messages: POST /v1/messages

function anthropicMessage(
  id: string,
  body: Record<string, unknown>,
  a: Answer,
  streaming: boolean,
): Record<string, unknown> {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: stringOr(body.model, 'claude-fake'),
    content: streaming ? [] : [{ type: 'text', text: a.text, citations: null }],
    stop_reason: streaming ? null : 'end_turn',
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    // While streaming, message_start reports output_tokens 1; message_delta carries the total.
    usage: anthropicUsage(a.usage, streaming ? 1 : a.usage.output),
  };
}

function anthropicFrames(body: Record<string, unknown>, a: Answer): Frames {
  const id = randomId('msg_01', 22);
  return {
    head: [
      eventFrame({ type: 'message_start', message: anthropicMessage(id, body, a, true) }),
      eventFrame({
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '', citations: null },
      }),
      eventFrame({ type: 'ping' }),
    ],
    content: a.chunks.map((text) =>
      eventFrame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
    ),
    tail: [
      eventFrame({ type: 'content_block_stop', index: 0 }),
      // As documented: message_delta's usage carries the cumulative output_tokens; input and cache
      // counts are in message_start.
      eventFrame({
        type: 'message_delta',
        delta: {
          stop_reason: 'end_turn',
          stop_sequence: null,
          stop_details: null,
          container: null,
        },
        usage: { output_tokens: a.usage.output },
      }),
      eventFrame({ type: 'message_stop' }),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// The server

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      resolve(Buffer.concat(parts).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startFakeProvider(): Promise<FakeProvider> {
  const sockets = new Set<Socket>();
  const failures: number[] = [];
  let closed = false;

  const provider: FakeProvider = {
    url: '',
    requests: [],
    usage: { ...DEFAULT_USAGE },
    text: DEFAULT_TEXT,
    chunkDelayMs: 0,
    stallAfterChunks: null,
    failNext(status: number, count = 1) {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    reset() {
      provider.requests.length = 0;
      failures.length = 0;
      provider.usage = { ...DEFAULT_USAGE };
      provider.text = DEFAULT_TEXT;
      provider.chunkDelayMs = 0;
      provider.stallAfterChunks = null;
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve, reject) => {
        server.close((err) => {
          if (err) reject(err);
          else resolve();
        });
        for (const socket of sockets) socket.destroy();
      });
    },
  };

  function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string>,
  ): void {
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      ...headers,
    });
    res.end(payload);
  }

  function sendError(
    res: ServerResponse,
    vendor: Vendor,
    status: number,
    requestId: string,
    message?: string,
  ): void {
    if (vendor === 'anthropic') {
      const body = anthropicErrorBody(status, requestId);
      if (message !== undefined && isRecord(body.error)) body.error.message = message;
      sendJson(res, status, body, { 'request-id': requestId });
    } else {
      const body = openaiErrorBody(status);
      if (message !== undefined) body.error.message = message;
      sendJson(res, status, body, { 'x-request-id': requestId });
    }
  }

  async function sendStream(
    res: ServerResponse,
    frames: Frames,
    a: Answer,
    headers: Record<string, string>,
  ): Promise<void> {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...headers,
    });
    res.flushHeaders();
    const stalled = a.stallAfterChunks !== null;
    const content = stalled ? frames.content.slice(0, a.stallAfterChunks ?? 0) : frames.content;
    const all = [...frames.head, ...content, ...(stalled ? [] : frames.tail)];
    let first = true;
    for (const frame of all) {
      if (!first && a.chunkDelayMs > 0) await sleep(a.chunkDelayMs);
      first = false;
      if (closed || res.destroyed) return;
      res.write(frame);
    }
    // A stalled stream stays open until the client goes away or close() destroys the socket.
    if (!stalled) res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? '/';
    const pathname = new URL(target, 'http://fake').pathname;
    const vendor: Vendor = pathname.startsWith('/v1/messages') ? 'anthropic' : 'openai';
    const requestId = randomId('req_', 24);
    const headerName = vendor === 'anthropic' ? 'request-id' : 'x-request-id';

    const raw = await readBody(req);
    let parsed: unknown = undefined;
    let invalidJson = false;
    if (raw.length > 0) {
      try {
        parsed = JSON.parse(raw);
      } catch {
        invalidJson = true;
      }
    }
    const body = isRecord(parsed) ? parsed : {};
    provider.requests.push({
      method: req.method ?? 'GET',
      path: target,
      body,
      headers: req.headers,
    });

    const failure = failures.shift();
    if (failure !== undefined) {
      sendError(res, vendor, failure, requestId);
      return;
    }
    if (invalidJson) {
      sendError(res, vendor, 400, requestId, 'We could not parse the JSON body of your request.');
      return;
    }

    const a: Answer = {
      text: provider.text,
      chunks: splitIntoChunks(provider.text),
      usage: { cacheRead: 0, cacheWrite: 0, ...provider.usage },
      chunkDelayMs: provider.chunkDelayMs,
      stallAfterChunks: provider.stallAfterChunks,
    };
    const streaming = body.stream === true;
    const headers = { [headerName]: requestId };

    if (req.method === 'POST' && pathname === '/v1/chat/completions') {
      if (streaming) await sendStream(res, chatCompletionFrames(body, a), a, headers);
      else sendJson(res, 200, chatCompletion(body, a), headers);
    } else if (req.method === 'POST' && pathname === '/v1/responses') {
      if (streaming) await sendStream(res, responseFrames(body, a), a, headers);
      else sendJson(res, 200, responseObject(body, a, newResponseIds(), 'completed'), headers);
    } else if (req.method === 'POST' && pathname === '/v1/messages') {
      if (streaming) await sendStream(res, anthropicFrames(body, a), a, headers);
      else sendJson(res, 200, anthropicMessage(randomId('msg_01', 22), body, a, false), headers);
    } else {
      sendError(
        res,
        vendor,
        404,
        requestId,
        `Unknown request URL: ${req.method ?? 'GET'} ${target}.`,
      );
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      } else {
        res.destroy();
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  provider.url = `http://127.0.0.1:${port}`;
  return provider;
}
