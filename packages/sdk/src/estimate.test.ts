import { describe, expect, it } from 'vitest';
import { estimateRequest, tokensOfText, usageOf } from './estimate.js';

describe('estimateRequest', () => {
  it('counts about four characters a token plus each message, and bounds output by the max-tokens parameter', () => {
    const e = estimateRequest(
      'openai.chat',
      {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'x'.repeat(400) }],
        max_completion_tokens: 50,
      },
      4096,
    );
    expect(e).toEqual({ model: 'gpt-4o', tokensIn: 104, tokensOut: 50 });
  });

  it('bounds the output of n choices by n times the maximum', () => {
    const e = estimateRequest(
      'openai.chat',
      { model: 'gpt-4o', messages: [], max_tokens: 100, n: 3 },
      4096,
    );
    expect(e.tokensOut).toBe(300);
  });

  it('uses the default bound when a request sets none', () => {
    expect(
      estimateRequest('openai.responses', { model: 'gpt-4o', input: 'hi' }, 777).tokensOut,
    ).toBe(777);
  });

  it('counts system prompts, tools and images for Anthropic', () => {
    const e = estimateRequest(
      'anthropic.messages',
      {
        model: 'claude-sonnet-4-6',
        max_tokens: 10,
        system: 's'.repeat(40),
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 't'.repeat(40) },
              { type: 'image', source: { type: 'base64', data: 'A'.repeat(100_000) } },
            ],
          },
        ],
      },
      4096,
    );
    // 80 characters of text, one image at its upper bound, one message.
    expect(e.tokensIn).toBe(20 + 1600 + 4);
  });
});

describe('usageOf', () => {
  it('keeps OpenAI cached tokens inside the input tokens', () => {
    expect(
      usageOf('openai.chat', {
        prompt_tokens: 1000,
        completion_tokens: 10,
        prompt_tokens_details: { cached_tokens: 600 },
      }),
    ).toEqual({ inputTokens: 1000, outputTokens: 10, cacheReadTokens: 600, cacheWriteTokens: 0 });
  });

  it('adds Anthropic cache reads and writes to the input tokens', () => {
    expect(
      usageOf('anthropic.messages', {
        input_tokens: 100,
        output_tokens: 5,
        cache_read_input_tokens: 300,
        cache_creation_input_tokens: 50,
      }),
    ).toEqual({ inputTokens: 450, outputTokens: 5, cacheReadTokens: 300, cacheWriteTokens: 50 });
  });

  it('is null when a response carries no usage', () => {
    expect(usageOf('openai.responses', null)).toBeNull();
    expect(usageOf('openai.chat', {})).toBeNull();
  });

  it('rounds text up to whole tokens', () => {
    expect(tokensOfText(9)).toBe(3);
  });
});
