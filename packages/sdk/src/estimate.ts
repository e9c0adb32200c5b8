/**
 * What a provider call will cost before it is made (prompt tokens estimated from the request,
 * output bounded by its max-tokens parameter), and what it did cost after (the usage the provider
 * reports). Pure functions of the request and response shapes of the OpenAI and Anthropic APIs.
 */
import type { Usage } from '@reins/engine';

export type Api = 'openai.chat' | 'openai.responses' | 'anthropic.messages';

/** Output bound when a request sets none (OpenAI's max_tokens is optional). */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;
/** Roughly four characters a token for English text and code, for every current tokenizer. */
const CHARS_PER_TOKEN = 4;
/** Role markers and separators each message adds to the prompt. */
const TOKENS_PER_MESSAGE = 4;
/** An image costs ~85–1,600 tokens depending on size and detail; reserve the upper end. */
const TOKENS_PER_IMAGE = 1600;

type Params = Record<string, unknown>;

/** Characters of text (and images seen) in any message content shape of the three APIs. */
function walk(value: unknown, acc: { chars: number; images: number }): void {
  if (typeof value === 'string') {
    acc.chars += value.length;
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) walk(v, acc);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const o = value as Record<string, unknown>;
  const type = o.type;
  if (
    type === 'image' ||
    type === 'image_url' ||
    type === 'input_image' ||
    type === 'document' ||
    type === 'input_file'
  ) {
    acc.images += 1;
    return;
  }
  for (const [k, v] of Object.entries(o)) {
    // Ids, roles and types are a few tokens at most; their text is not the prompt.
    if (k === 'role' || k === 'type' || k === 'id' || k === 'cache_control') continue;
    walk(v, acc);
  }
}

function tokensOf(parts: unknown[]): number {
  const acc = { chars: 0, images: 0 };
  for (const p of parts) walk(p, acc);
  return Math.ceil(acc.chars / CHARS_PER_TOKEN) + acc.images * TOKENS_PER_IMAGE;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined;
}

export interface Estimate {
  model: string;
  tokensIn: number;
  tokensOut: number;
}

/** Prompt tokens (estimated) and the output bound of a request. */
export function estimateRequest(api: Api, params: Params, defaultMaxOutput: number): Estimate {
  const model = typeof params.model === 'string' ? params.model : '';
  if (api === 'openai.chat') {
    const messages = Array.isArray(params.messages) ? params.messages : [];
    return {
      model,
      tokensIn:
        tokensOf([messages, params.tools, params.functions, params.response_format]) +
        messages.length * TOKENS_PER_MESSAGE,
      // `n` choices are each up to the bound.
      tokensOut:
        (num(params.max_completion_tokens) ?? num(params.max_tokens) ?? defaultMaxOutput) *
        Math.max(1, num(params.n) ?? 1),
    };
  }
  if (api === 'openai.responses') {
    const input = params.input;
    const count = Array.isArray(input) ? input.length : 1;
    return {
      model,
      tokensIn:
        tokensOf([input, params.instructions, params.tools, params.text]) +
        count * TOKENS_PER_MESSAGE,
      tokensOut: num(params.max_output_tokens) ?? defaultMaxOutput,
    };
  }
  const messages = Array.isArray(params.messages) ? params.messages : [];
  return {
    model,
    tokensIn:
      tokensOf([messages, params.system, params.tools]) + messages.length * TOKENS_PER_MESSAGE,
    tokensOut: num(params.max_tokens) ?? defaultMaxOutput,
  };
}

/**
 * The usage a response reports, normalized to the engine's shape (input tokens include cached
 * ones). Null when the response carries none.
 */
export function usageOf(api: Api, usage: unknown): Required<Usage> | null {
  if (!usage || typeof usage !== 'object') return null;
  const u = usage as Record<string, unknown>;
  if (api === 'openai.chat') {
    const input = num(u.prompt_tokens);
    const output = num(u.completion_tokens);
    if (input === undefined && output === undefined) return null;
    const details = u.prompt_tokens_details as Record<string, unknown> | null | undefined;
    return {
      inputTokens: input ?? 0,
      outputTokens: output ?? 0,
      cacheReadTokens: Math.min(num(details?.cached_tokens) ?? 0, input ?? 0),
      cacheWriteTokens: 0,
    };
  }
  if (api === 'openai.responses') {
    const input = num(u.input_tokens);
    const output = num(u.output_tokens);
    if (input === undefined && output === undefined) return null;
    const details = u.input_tokens_details as Record<string, unknown> | null | undefined;
    return {
      inputTokens: input ?? 0,
      outputTokens: output ?? 0,
      cacheReadTokens: Math.min(num(details?.cached_tokens) ?? 0, input ?? 0),
      cacheWriteTokens: 0,
    };
  }
  // Anthropic reports cache reads and writes beside input_tokens, not inside it.
  const input = num(u.input_tokens);
  const output = num(u.output_tokens);
  if (input === undefined && output === undefined) return null;
  const read = num(u.cache_read_input_tokens) ?? 0;
  const write = num(u.cache_creation_input_tokens) ?? 0;
  return {
    inputTokens: (input ?? 0) + read + write,
    outputTokens: output ?? 0,
    cacheReadTokens: read,
    cacheWriteTokens: write,
  };
}

/** Tokens of text received so far in a stream (for a stream abandoned before its usage). */
export function tokensOfText(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}
