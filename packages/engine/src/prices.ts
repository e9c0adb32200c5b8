/**
 * Costs from the price table of `@pydantic/genai-prices` (pinned; never auto-updated here), with
 * org overrides passed in as data. The package prices in float dollars; this module converts once,
 * to the nearest microcent, and a non-zero price never becomes $0.
 */
import { calcPrice, findProvider, type ModelInfo, type Provider } from '@pydantic/genai-prices';
import { globMatches } from './glob.js';
import { MICROS_PER_DOLLAR } from './money.js';
import { parseInstant } from './time.js';
import type { PriceOverride } from './types.js';

/** Recorded with every costed transaction: which price data produced the figure. */
export const PRICE_DATA_VERSION = 'genai-prices@0.1.8';

/** Reins vendor → genai-prices provider id. */
export const PROVIDERS: Readonly<Record<string, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  google: 'google',
  cohere: 'cohere',
  mistral: 'mistral',
  perplexity: 'perplexity',
};

export interface Usage {
  /** All input tokens, cached ones included (as the providers report them). */
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  /** Of the input tokens, those read from the prompt cache. */
  cacheReadTokens?: number | undefined;
  /** Of the input tokens, those written to the prompt cache. */
  cacheWriteTokens?: number | undefined;
}

export interface PriceRef {
  source: 'genai-prices' | 'override';
  /** `genai-prices@0.1.8`, or `override@<effectiveFrom>`. */
  version: string;
  vendor: string;
  /** The model id the table matched (may differ from the request: `gpt-4o-2024-08-06` → `gpt-4o`). */
  model: string;
}

export type CostEstimate =
  | { known: true; costMicros: number; price: PriceRef }
  | { known: false; costMicros: null; price: null; reason: string };

export interface EstimateOptions {
  /** The instant the price applies at (prices change over time). */
  at: string | number;
  overrides?: readonly PriceOverride[] | undefined;
}

/**
 * Dollars (float) → microcents: nearest microcent, and at least 1 µ¢ for any positive amount.
 */
export function dollarsToMicros(dollars: number): number {
  if (!(dollars > 0)) return 0;
  return Math.max(1, Math.round(dollars * MICROS_PER_DOLLAR));
}

function nonNegInt(n: number | undefined): number {
  return n !== undefined && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/** The override in force at `atMs` for this vendor and model: the latest that started. */
export function findOverride(
  overrides: readonly PriceOverride[] | undefined,
  vendor: string,
  model: string,
  atMs: number,
): PriceOverride | null {
  if (!overrides || overrides.length === 0) return null;
  let best: PriceOverride | null = null;
  let bestFrom = -Infinity;
  for (const o of overrides) {
    if (o.vendor.toLowerCase() !== vendor || !globMatches(o.model, model, true)) continue;
    const from = parseInstant(o.effectiveFrom);
    const to = o.effectiveTo ? parseInstant(o.effectiveTo) : Infinity;
    if (from <= atMs && atMs < to && from >= bestFrom) {
      best = o;
      bestFrom = from;
    }
  }
  return best;
}

/** tokens × dollars-per-million, in microcents, with one rounding at the end (BigInt, exact). */
function tokensCost(tokens: number, perMtokUsd: number | undefined): bigint {
  if (!perMtokUsd || tokens === 0) return 0n;
  // Price in microcents per million tokens, exact to 1e-8 dollars per Mtok.
  const microsPerMtok = BigInt(Math.round(perMtokUsd * MICROS_PER_DOLLAR));
  return BigInt(tokens) * microsPerMtok;
}

function overrideCost(o: PriceOverride, usage: Required<Usage>): number {
  const uncached = Math.max(0, usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens);
  const scaled =
    tokensCost(uncached, o.inputPerMtokUsd) +
    tokensCost(usage.cacheReadTokens, o.cacheReadPerMtokUsd ?? o.inputPerMtokUsd) +
    tokensCost(usage.cacheWriteTokens, o.cacheWritePerMtokUsd ?? o.inputPerMtokUsd) +
    tokensCost(usage.outputTokens, o.outputPerMtokUsd);
  // Round half up from microcents-per-million to microcents.
  let micros = (scaled + 500_000n) / 1_000_000n;
  if (micros === 0n && scaled > 0n) micros = 1n;
  return Number(micros) + dollarsToMicros(o.perRequestUsd ?? 0);
}

export function estimateCost(
  vendor: string,
  model: string,
  usage: Usage,
  options: EstimateOptions,
): CostEstimate {
  const v = vendor.toLowerCase();
  const atMs = parseInstant(options.at);
  const u: Required<Usage> = {
    inputTokens: nonNegInt(usage.inputTokens),
    outputTokens: nonNegInt(usage.outputTokens),
    cacheReadTokens: nonNegInt(usage.cacheReadTokens),
    cacheWriteTokens: nonNegInt(usage.cacheWriteTokens),
  };
  if (u.cacheReadTokens + u.cacheWriteTokens > u.inputTokens) {
    return {
      known: false,
      costMicros: null,
      price: null,
      reason: 'cache tokens exceed input tokens',
    };
  }
  const override = findOverride(options.overrides, v, model, atMs);
  if (override) {
    return {
      known: true,
      costMicros: overrideCost(override, u),
      price: {
        source: 'override',
        version: `override@${override.effectiveFrom}`,
        vendor: v,
        model: override.model,
      },
    };
  }
  const provider = PROVIDERS[v];
  if (!provider)
    return { known: false, costMicros: null, price: null, reason: `unknown vendor ${vendor}` };
  const memoKey = `${provider}|${model.toLowerCase().trim()}`;
  const linear = linearMemo.get(memoKey);
  const rates = linear ? ratesAt(linear, atMs) : null;
  if (linear && rates) {
    return {
      known: true,
      costMicros: dollarsToMicros(linearCost(rates, u)),
      price: {
        source: 'genai-prices',
        version: PRICE_DATA_VERSION,
        vendor: v,
        model: linear.modelId,
      },
    };
  }
  try {
    const result = calcPrice(
      {
        input_tokens: u.inputTokens,
        output_tokens: u.outputTokens,
        cache_read_tokens: u.cacheReadTokens,
        cache_write_tokens: u.cacheWriteTokens,
      },
      model,
      { providerId: provider, timestamp: new Date(atMs) },
    );
    if (!result) {
      return {
        known: false,
        costMicros: null,
        price: null,
        reason: `no price for ${v}/${model} in ${PRICE_DATA_VERSION}`,
      };
    }
    if (linear === undefined) {
      if (linearMemo.size >= 4096) linearMemo.clear();
      linearMemo.set(memoKey, linearOf(result));
    }
    return {
      known: true,
      costMicros: dollarsToMicros(result.total_price),
      price: {
        source: 'genai-prices',
        version: PRICE_DATA_VERSION,
        vendor: v,
        model: result.model.id,
      },
    };
  } catch (e) {
    return {
      known: false,
      costMicros: null,
      price: null,
      reason: e instanceof Error ? e.message : 'price lookup failed',
    };
  }
}

/**
 * The rates Reins supplies usage for (genai-prices keys, dollars per million tokens). Any other
 * per-unit rate (web searches, audio tokens…) meets a usage of 0 — it adds 0 — except the
 * per-request price, which genai-prices always charges once.
 */
const TOKEN_KEYS = new Set(['input_mtok', 'cache_read_mtok', 'cache_write_mtok', 'output_mtok']);
const PER_REQUEST_KEY = 'requests_kcount';

/**
 * A resolved model whose prices are one rate per kind of token (possibly changing on given dates).
 * Its cost is computed here exactly as genai-prices computes it — the price in force picked the
 * same way, the same products added in the same order — without resolving the model again: the
 * resolution (a scan of every model's match rules) is most of a lookup's cost. Tiered,
 * time-of-day or per-request prices always go through calcPrice.
 */
interface LinearRates {
  /** The price record's rates in its own key order (the order genai-prices sums them in). */
  rates: [key: string, usdPerMtok: number][];
  cacheReadPriced: boolean;
  cacheWritePriced: boolean;
}

interface LinearModel {
  modelId: string;
  /** genai-prices' conditional prices in their order: from (epoch ms, null: always) → rates. */
  variants: { from: number | null; rates: LinearRates | null }[];
}

/** `provider|model` → its linear prices, or null when it has none (the price table decides). */
const linearMemo = new Map<string, LinearModel | null>();

function ratesOf(price: Record<string, unknown>): LinearRates | null {
  const rates: [string, number][] = [];
  for (const [key, usd] of Object.entries(price)) {
    if (usd === undefined) continue;
    if (typeof usd !== 'number' || key === PER_REQUEST_KEY) return null;
    if (TOKEN_KEYS.has(key)) rates.push([key, usd]);
  }
  return {
    rates,
    cacheReadPriced: rates.some(([k]) => k === 'cache_read_mtok'),
    cacheWritePriced: rates.some(([k]) => k === 'cache_write_mtok'),
  };
}

function linearOf(result: NonNullable<ReturnType<typeof calcPrice>>): LinearModel | null {
  const prices = result.model.prices as unknown;
  if (!Array.isArray(prices)) {
    return {
      modelId: result.model.id,
      variants: [{ from: null, rates: ratesOf(prices as Record<string, unknown>) }],
    };
  }
  const variants: LinearModel['variants'] = [];
  for (const p of prices as {
    constraint?: { type?: string; start_date?: string };
    prices: Record<string, unknown>;
  }[]) {
    const c = p.constraint;
    if (c !== undefined && (c.type !== 'start_date' || typeof c.start_date !== 'string'))
      return null;
    const from = c === undefined ? null : new Date(c.start_date as string).getTime();
    if (from !== null && Number.isNaN(from)) return null;
    variants.push({ from, rates: ratesOf(p.prices) });
  }
  return variants.length > 0 ? { modelId: result.model.id, variants } : null;
}

/** The rates in force at `atMs`, picked as genai-prices picks them (the last that applies). */
function ratesAt(m: LinearModel, atMs: number): LinearRates | null {
  for (let i = m.variants.length - 1; i >= 0; i--) {
    const v = m.variants[i] as LinearModel['variants'][number];
    if (v.from === null || atMs >= v.from) return v.rates;
  }
  return (m.variants[0] as LinearModel['variants'][number]).rates;
}

/** genai-prices' sum: input-side rates in record order, then output; price × tokens / 1e6 each. */
function linearCost(l: LinearRates, u: Required<Usage>): number {
  // Uncached input: the input tokens less the cache tokens that have a rate of their own.
  const uncached =
    u.inputTokens -
    (l.cacheReadPriced ? u.cacheReadTokens : 0) -
    (l.cacheWritePriced ? u.cacheWriteTokens : 0);
  let input = 0;
  let output = 0;
  for (const [key, price] of l.rates) {
    if (key === 'input_mtok') input += (price * uncached) / 1e6;
    else if (key === 'cache_read_mtok') input += (price * u.cacheReadTokens) / 1e6;
    else if (key === 'cache_write_mtok') input += (price * u.cacheWriteTokens) / 1e6;
    else output += (price * u.outputTokens) / 1e6;
  }
  return input + output;
}

const knownMemo = new Map<string, boolean>();

/** Whether the price table (or an override in force) prices this model. */
export function isModelKnown(
  vendor: string,
  model: string | null | undefined,
  at: string | number,
  overrides?: readonly PriceOverride[],
): boolean {
  if (!model) return false;
  const v = vendor.toLowerCase();
  if (findOverride(overrides, v, model, parseInstant(at))) return true;
  const key = `${v}|${model.toLowerCase()}`;
  const hit = knownMemo.get(key);
  if (hit !== undefined) return hit;
  const known = estimateCost(v, model, { inputTokens: 1 }, { at }).known;
  if (knownMemo.size >= 4096) knownMemo.clear();
  knownMemo.set(key, known);
  return known;
}

/** A price tier: from more than `aboveInputTokens` input tokens on, these prices replace the base. */
export interface PriceTier {
  aboveInputTokens: number;
  inputPerMtokUsd?: number;
  outputPerMtokUsd?: number;
  cacheReadPerMtokUsd?: number;
  cacheWritePerMtokUsd?: number;
}

/** One model of a vendor's price table, in the units of `PriceOverride`. */
export interface ModelPrice {
  model: string;
  name: string | null;
  /** Dollars per million tokens; null when the table has no such price for the model. */
  inputPerMtokUsd: number | null;
  outputPerMtokUsd: number | null;
  /** Absent: cached input tokens cost the input price. */
  cacheReadPerMtokUsd?: number;
  cacheWritePerMtokUsd?: number;
  perRequestUsd?: number;
  /** Long-context prices, by input size (the headline prices are those of the first tier). */
  tiers?: PriceTier[];
  deprecated: boolean;
  /** PRICE_DATA_VERSION. */
  source: string;
}

type TierField = Exclude<keyof PriceTier, 'aboveInputTokens'>;

/** genai-prices price keys → PriceOverride field names (the token prices `estimateCost` uses). */
const PRICE_KEYS: readonly (readonly [string, TierField])[] = [
  ['input_mtok', 'inputPerMtokUsd'],
  ['output_mtok', 'outputPerMtokUsd'],
  ['cache_read_mtok', 'cacheReadPerMtokUsd'],
  ['cache_write_mtok', 'cacheWritePerMtokUsd'],
];

interface RawTiered {
  base: number;
  tiers: readonly { start: number; price: number }[];
}

function isTiered(v: unknown): v is RawTiered {
  return typeof v === 'object' && v !== null && 'base' in v && 'tiers' in v;
}

function baseOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  return isTiered(v) ? v.base : undefined;
}

function toModelPrice(model: ModelInfo, prices: Record<string, unknown>): ModelPrice {
  const row: ModelPrice = {
    model: model.id,
    name: model.name ?? null,
    inputPerMtokUsd: baseOf(prices.input_mtok) ?? null,
    outputPerMtokUsd: baseOf(prices.output_mtok) ?? null,
    deprecated: model.deprecated === true,
    source: PRICE_DATA_VERSION,
  };
  const cacheRead = baseOf(prices.cache_read_mtok);
  const cacheWrite = baseOf(prices.cache_write_mtok);
  const perKRequests = baseOf(prices.requests_kcount);
  if (cacheRead !== undefined) row.cacheReadPerMtokUsd = cacheRead;
  if (cacheWrite !== undefined) row.cacheWritePerMtokUsd = cacheWrite;
  if (perKRequests !== undefined) row.perRequestUsd = perKRequests / 1000;
  const tiers = new Map<number, PriceTier>();
  for (const [key, field] of PRICE_KEYS) {
    const v = prices[key];
    if (!isTiered(v)) continue;
    for (const t of v.tiers) {
      const tier = tiers.get(t.start) ?? { aboveInputTokens: t.start };
      tier[field] = t.price;
      tiers.set(t.start, tier);
    }
  }
  if (tiers.size > 0) {
    row.tiers = [...tiers.values()].sort((a, b) => a.aboveInputTokens - b.aboveInputTokens);
  }
  return row;
}

/**
 * The price table of `vendor` at instant `at`, as `estimateCost` would apply it without overrides:
 * one row per model of the pinned price data, sorted by model id ([] for an unknown vendor).
 *
 * genai-prices does not export how it picks among a model's dated (or time-of-day) prices, so each
 * model is priced through `calcPrice` against a provider holding only that model: the choice of
 * price is the package's own, not a copy of it that could drift when the data is upgraded.
 */
export function listModelPrices(vendor: string, at: string | number): ModelPrice[] {
  const providerId = PROVIDERS[vendor.toLowerCase()];
  if (!providerId) return [];
  const provider = findProvider({ providerId });
  if (!provider) return [];
  const timestamp = new Date(parseInstant(at));
  const rows: ModelPrice[] = [];
  for (const model of provider.models) {
    const probe: Provider = {
      ...provider,
      fallback_model_providers: [],
      models: [{ ...model, match: { equals: model.id } }],
    };
    try {
      const result = calcPrice({}, model.id, { provider: probe, timestamp });
      if (result) rows.push(toModelPrice(model, result.model_price));
    } catch {
      // A model whose price data the package itself refuses is one estimateCost cannot price.
    }
  }
  return rows.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
}
