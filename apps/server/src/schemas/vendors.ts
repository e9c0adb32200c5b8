import { z } from 'zod';
import { ident, isoInstant } from './common.js';

export const MAX_RATE_LIMIT_RPM = 1_000_000;

export const updateVendorInput = z.strictObject({
  enabled: z.boolean().optional(),
  /** Requests per minute for the whole organization; null = unlimited. */
  rateLimitRpm: z.number().int().min(1).max(MAX_RATE_LIMIT_RPM).nullable().optional(),
});
export type UpdateVendorInput = z.output<typeof updateVendorInput>;

export const vendorPricesInput = z.strictObject({
  /** The instant the table is shown for; default now. */
  at: isoInstant.optional(),
});

/**
 * The dearest list price is a few hundred dollars per million tokens: $10,000 is far past any
 * real one, and with the per-call cap it keeps a priced call within what counters hold exactly.
 * A price per request over $1,000 is a typo too.
 */
export const MAX_PRICE_PER_MTOK_USD = 10_000;
export const MAX_PRICE_PER_REQUEST_USD = 1_000;
const perMtok = z.number().min(0).max(MAX_PRICE_PER_MTOK_USD).optional();

/** The price fields, named as the engine's `PriceOverride` names them. */
export const PRICE_FIELDS = [
  'inputPerMtokUsd',
  'outputPerMtokUsd',
  'cacheReadPerMtokUsd',
  'cacheWritePerMtokUsd',
  'perRequestUsd',
] as const;
export type PriceField = (typeof PRICE_FIELDS)[number];

export const createPriceOverrideInput = z
  .strictObject({
    /** An exact model id or a `*` glob (`gpt-4o*`), matched case-insensitively. */
    model: ident(200),
    inputPerMtokUsd: perMtok,
    outputPerMtokUsd: perMtok,
    cacheReadPerMtokUsd: perMtok,
    cacheWritePerMtokUsd: perMtok,
    perRequestUsd: z.number().min(0).max(MAX_PRICE_PER_REQUEST_USD).optional(),
    effectiveFrom: isoInstant.optional(),
    effectiveTo: isoInstant.nullish(),
  })
  .superRefine((o, ctx) => {
    if (PRICE_FIELDS.every((f) => o[f] === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['inputPerMtokUsd'],
        message: `at least one of ${PRICE_FIELDS.join(', ')} is required`,
      });
    }
  });
export type CreatePriceOverrideInput = z.output<typeof createPriceOverrideInput>;
