import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  dollarsToMicros,
  estimateCost,
  isModelKnown,
  listModelPrices,
  PRICE_DATA_VERSION,
  PROVIDERS,
} from './prices.js';

const at = '2026-11-25T00:00:00Z';

describe('price table', () => {
  it('records the version of the price data that is installed', () => {
    const require = createRequire(import.meta.url);
    const pkgPath = require
      .resolve('@pydantic/genai-prices')
      .replace(/dist[/\\]index\.cjs$/, 'package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string };
    expect(PRICE_DATA_VERSION).toBe(`genai-prices@${pkg.version}`);
  });

  it('prices a 500-token gpt-4o-mini call at $0.000075, not $0', () => {
    const e = estimateCost('openai', 'gpt-4o-mini', { inputTokens: 500 }, { at });
    expect(e).toMatchObject({
      known: true,
      costMicros: 7500,
      price: { source: 'genai-prices', version: PRICE_DATA_VERSION, model: 'gpt-4o-mini' },
    });
  });

  it('prices cached input at the cache-read rate', () => {
    const full = estimateCost('openai', 'gpt-4o-mini', { inputTokens: 1000 }, { at });
    const cached = estimateCost(
      'openai',
      'gpt-4o-mini',
      { inputTokens: 1000, cacheReadTokens: 1000 },
      { at },
    );
    expect(full.costMicros).toBe(15_000);
    expect(cached.costMicros).toBe(7_500);
  });

  it('applies tiered prices past the tier start', () => {
    const e = estimateCost(
      'google',
      'gemini-2.5-pro',
      { inputTokens: 300_000, outputTokens: 1000 },
      { at },
    );
    // Above 200k input tokens gemini-2.5-pro costs $2.50/Mtok in and $15/Mtok out: $0.75 + $0.015.
    expect(e.costMicros).toBe(76_500_000);
  });

  it('prices every vendor’s current models', () => {
    for (const [vendor, model] of [
      ['openai', 'gpt-4o'],
      ['anthropic', 'claude-sonnet-4-5'],
      ['google', 'gemini-2.5-flash'],
      ['cohere', 'command-r-plus'],
      ['mistral', 'mistral-large-latest'],
      ['perplexity', 'sonar'],
    ] as const) {
      const e = estimateCost(vendor, model, { inputTokens: 1000, outputTokens: 100 }, { at });
      expect(e.known, `${vendor}/${model}`).toBe(true);
      expect(e.costMicros).toBeGreaterThan(0);
    }
  });

  it('reports an unknown model as unknown instead of $0', () => {
    const e = estimateCost('openai', 'gpt-unreleased-9', { inputTokens: 1000 }, { at });
    expect(e.known).toBe(false);
    expect(e.costMicros).toBeNull();
    expect(isModelKnown('openai', 'gpt-unreleased-9', at)).toBe(false);
    expect(isModelKnown('openai', 'gpt-4o', at)).toBe(true);
  });

  it('reports impossible usage instead of throwing', () => {
    const e = estimateCost(
      'openai',
      'gpt-4o-mini',
      { inputTokens: 10, cacheReadTokens: 100 },
      { at },
    );
    expect(e).toMatchObject({ known: false, reason: 'cache tokens exceed input tokens' });
  });

  it('lets an org override win from its effective date on, and not before', () => {
    const overrides = [
      {
        vendor: 'openai',
        model: 'gpt-4o*',
        effectiveFrom: '2026-06-01T00:00:00Z',
        inputPerMtokUsd: 1,
        outputPerMtokUsd: 2,
      },
      {
        vendor: 'openai',
        model: 'gpt-4o*',
        effectiveFrom: '2026-09-01T00:00:00Z',
        inputPerMtokUsd: 0.5,
        outputPerMtokUsd: 1,
      },
    ];
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000 };
    expect(
      estimateCost('openai', 'gpt-4o', usage, { at: '2026-07-01T00:00:00Z', overrides }).costMicros,
    ).toBe(300 * 1_000_000);
    expect(
      estimateCost('openai', 'gpt-4o', usage, { at: '2026-10-01T00:00:00Z', overrides }),
    ).toMatchObject({
      costMicros: 150 * 1_000_000,
      price: { source: 'override', version: 'override@2026-09-01T00:00:00Z' },
    });
    const before = estimateCost('openai', 'gpt-4o', usage, {
      at: '2026-05-01T00:00:00Z',
      overrides,
    });
    expect(before.price?.source).toBe('genai-prices');
  });

  it('an override makes an unpriced model known', () => {
    const overrides = [
      {
        vendor: 'mistral',
        model: 'in-house-7b',
        effectiveFrom: '2026-01-01T00:00:00Z',
        inputPerMtokUsd: 0.1,
      },
    ];
    expect(isModelKnown('mistral', 'in-house-7b', at, overrides)).toBe(true);
    expect(
      estimateCost('mistral', 'in-house-7b', { inputTokens: 10 }, { at, overrides }).costMicros,
    ).toBe(100);
  });

  it('converts dollars to the nearest microcent, never rounding a real cost to zero', () => {
    expect(dollarsToMicros(0.000075)).toBe(7500);
    expect(dollarsToMicros(1e-12)).toBe(1);
    expect(dollarsToMicros(0)).toBe(0);
    expect(dollarsToMicros(0.1 + 0.2)).toBe(30_000_000);
  });
});

describe('listModelPrices', () => {
  it('lists a vendor’s models with their per-million-token prices and the data version', () => {
    const rows = listModelPrices('OpenAI', at);
    const mini = rows.find((r) => r.model === 'gpt-4o-mini');
    expect(mini).toEqual({
      model: 'gpt-4o-mini',
      name: expect.any(String) as unknown,
      inputPerMtokUsd: 0.15,
      outputPerMtokUsd: 0.6,
      cacheReadPerMtokUsd: 0.075,
      deprecated: false,
      source: PRICE_DATA_VERSION,
    });
    const ids = rows.map((r) => r.model);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lists the price in force at the instant asked for', () => {
    // The `ministral-8b-latest` alias moved to a dearer model on 2025-12-02.
    const price = (when: string) =>
      listModelPrices('mistral', when).find((r) => r.model === 'ministral-8b-latest');
    expect(price('2025-12-01T23:59:59.999Z')).toMatchObject({
      inputPerMtokUsd: 0.1,
      outputPerMtokUsd: 0.1,
    });
    expect(price('2025-12-02T00:00:00.000Z')).toMatchObject({
      inputPerMtokUsd: 0.15,
      outputPerMtokUsd: 0.15,
      cacheReadPerMtokUsd: 0.015,
    });
  });

  it('shows long-context tiers beside the base prices', () => {
    const pro = listModelPrices('google', at).find((r) => r.model === 'gemini-2.5-pro');
    expect(pro).toMatchObject({
      inputPerMtokUsd: 1.25,
      outputPerMtokUsd: 10,
      cacheReadPerMtokUsd: 0.125,
      tiers: [
        {
          aboveInputTokens: 200_000,
          inputPerMtokUsd: 2.5,
          outputPerMtokUsd: 15,
          cacheReadPerMtokUsd: 0.25,
        },
      ],
    });
  });

  it('lists nothing for a vendor it does not know', () => {
    expect(listModelPrices('acme', at)).toEqual([]);
  });

  it('lists what estimateCost charges for every model of every vendor', () => {
    let compared = 0;
    for (const vendor of ['openai', 'anthropic', 'google', 'cohere', 'mistral', 'perplexity']) {
      const rows = listModelPrices(vendor, at);
      expect(rows.length, vendor).toBeGreaterThan(0);
      for (const row of rows) {
        if (row.perRequestUsd !== undefined) continue;
        const usage = { inputTokens: 1000, outputTokens: 100 };
        const e = estimateCost(vendor, row.model, usage, { at });
        // Some table ids are not request ids (`codestral` answers to `codestral-latest`).
        if (!e.known || e.price.model !== row.model) continue;
        const dollars =
          ((row.inputPerMtokUsd ?? 0) * 1000) / 1e6 + ((row.outputPerMtokUsd ?? 0) * 100) / 1e6;
        expect(e.costMicros, `${vendor}/${row.model}`).toBe(dollarsToMicros(dollars));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(150);
  });
});

describe('the remembered linear price of a plain model', () => {
  it('gives exactly what genai-prices computes, for every model of the six vendors', async () => {
    const { calcPrice } = await import('@pydantic/genai-prices');
    // A fixed sequence of usages: small, huge, cache-heavy, zero.
    let seed = 12345;
    const next = (max: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % (max + 1);
    };
    let compared = 0;
    // Prices change on dates: instants before and after those changes pick different rates.
    const instants = ['2023-06-01T00:00:00Z', '2024-10-01T12:00:00Z', at];
    for (const [vendor, providerId] of Object.entries(PROVIDERS)) {
      for (const { model } of listModelPrices(vendor, at)) {
        for (let i = 0; i < 60; i++) {
          const when = instants[i % instants.length] ?? at;
          const inputTokens = next(i % 5 === 0 ? 2_000_000 : 20_000);
          const cacheReadTokens = i % 3 === 0 ? next(inputTokens) : 0;
          const cacheWriteTokens = i % 4 === 0 ? next(inputTokens - cacheReadTokens) : 0;
          const usage = {
            inputTokens,
            outputTokens: next(i % 7 === 0 ? 200_000 : 4_000),
            cacheReadTokens,
            cacheWriteTokens,
          };
          const ours = estimateCost(vendor, model, usage, { at: when });
          const theirs = calcPrice(
            {
              input_tokens: usage.inputTokens,
              output_tokens: usage.outputTokens,
              cache_read_tokens: usage.cacheReadTokens,
              cache_write_tokens: usage.cacheWriteTokens,
            },
            model,
            { providerId, timestamp: new Date(when) },
          );
          expect(ours.costMicros, `${vendor}/${model} ${JSON.stringify(usage)}`).toBe(
            theirs ? dollarsToMicros(theirs.total_price) : null,
          );
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(3000);
  });
});
