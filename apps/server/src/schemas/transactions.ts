import { z } from 'zod';
import { ACTIONS, MICROS_PER_CENT, VENDORS } from '@reins/engine';
import {
  ident,
  isoEndExclusive,
  isoInstant,
  keysetPagination,
  metadataSchema,
  onePagingMode,
  text,
} from './common.js';

/** $1,000,000 for one call is already absurd; past it an amount is a bug, not spend. */
export const MAX_AMOUNT_CENTS = 100_000_000;
export const MAX_TOKENS = 1_000_000_000;
/** The docs: prompt and response are kept truncated to 1,000 characters. */
export const SNIPPET_CHARS = 1000;

const vendor = z
  .string()
  .max(40)
  .transform((v) => v.trim().toLowerCase())
  .pipe(z.enum(VENDORS, { message: `must be one of ${VENDORS.join(', ')}` }));

const tokens = z.number().int().min(0).max(MAX_TOKENS);

/**
 * Of `tokensIn`, those read from or written to the provider's prompt cache: priced at the cache
 * rates when Reins costs the tokens (a cache read is a tenth of the input price at most vendors).
 */
const cacheFields = {
  cacheReadTokens: tokens.optional(),
  cacheWriteTokens: tokens.optional(),
};

function checkCacheWithinInput(
  t: {
    tokensIn?: number | undefined;
    cacheReadTokens?: number | undefined;
    cacheWriteTokens?: number | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  const cached = (t.cacheReadTokens ?? 0) + (t.cacheWriteTokens ?? 0);
  if (cached > 0 && cached > (t.tokensIn ?? 0)) {
    ctx.addIssue({
      code: 'custom',
      path: [t.cacheReadTokens ? 'cacheReadTokens' : 'cacheWriteTokens'],
      message:
        'cache tokens are part of tokensIn: cacheReadTokens + cacheWriteTokens must not exceed it',
    });
  }
}

/** SPEC §4: an unsettled hold stops counting after this long unless the request says otherwise. */
export const DEFAULT_RESERVATION_TTL_SECONDS = 600;

/**
 * `final` (default): evaluate, then record and count only if admitted. `reserve`: hold the
 * (estimated) amount until `/settle` or `/void` (SPEC §4). `observed`: the call already happened
 * (an SDK deciding locally, or replaying what it let through while it failed open): evaluated
 * and recorded with the server's decision, but always counted and never refused.
 */
export const PHASES = ['final', 'reserve', 'observed'] as const;
export type Phase = (typeof PHASES)[number];
export const MAX_RESERVATION_TTL_SECONDS = 86_400;

/** Without an amount, a call is costed from its tokens: that needs a model and some tokens. */
export function costableFromTokens(t: {
  model?: string | null | undefined;
  tokensIn?: number | undefined;
  tokensOut?: number | undefined;
}): boolean {
  return Boolean(t.model) && (t.tokensIn !== undefined || t.tokensOut !== undefined);
}

/** A cost in cents (`amount`) or microcents (`amountMicros`). */
const amountFields = {
  amount: z.number().int().min(0).max(MAX_AMOUNT_CENTS).optional(),
  amountMicros: z
    .number()
    .int()
    .min(0)
    .max(MAX_AMOUNT_CENTS * MICROS_PER_CENT)
    .optional(),
};

/** Both given, they must say the same: `amount` is `amountMicros` in cents, rounded up. */
function checkAmountsAgree(
  t: { amount?: number | undefined; amountMicros?: number | undefined },
  ctx: z.RefinementCtx,
): void {
  if (
    t.amount !== undefined &&
    t.amountMicros !== undefined &&
    Math.ceil(t.amountMicros / MICROS_PER_CENT) !== t.amount
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['amountMicros'],
      message: 'disagrees with amount (amount must be amountMicros in cents, rounded up)',
    });
  }
}

/**
 * The documented transaction fields plus `tokensIn`, `tokensOut`, `userRoles`, `teamId`,
 * `projectId` and `amountMicros` (sub-cent amounts: 1 cent = 1,000,000 microcents). Unknown
 * top-level fields are refused so that a misspelt field cannot silently go unrecorded.
 */
export const transactionInput = z
  .strictObject({
    ...amountFields,
    vendor,
    model: ident(200).nullish(),
    agentId: ident(200).nullish(),
    userId: ident(200).nullish(),
    userRoles: z.array(ident(100)).max(50).optional(),
    teamId: ident(200).nullish(),
    projectId: ident(200).nullish(),
    prompt: text(1_000_000).nullish(),
    response: text(1_000_000).nullish(),
    metadata: metadataSchema().optional(),
    timestamp: isoInstant.optional(),
    tokensIn: tokens.optional(),
    tokensOut: tokens.optional(),
    ...cacheFields,
    phase: z.enum(PHASES).optional(),
    reservationTtlSeconds: z.number().int().min(1).max(MAX_RESERVATION_TTL_SECONDS).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.amount === undefined && t.amountMicros === undefined && !costableFromTokens(t)) {
      ctx.addIssue({
        code: 'custom',
        path: ['amount'],
        message:
          'is required (or give model with tokensIn/tokensOut to cost it from the price table)',
      });
    }
    if (t.reservationTtlSeconds !== undefined && t.phase !== 'reserve') {
      ctx.addIssue({
        code: 'custom',
        path: ['reservationTtlSeconds'],
        message: 'applies to phase "reserve" only',
      });
    }
    checkAmountsAgree(t, ctx);
    checkCacheWithinInput(t, ctx);
  });
export type TransactionInputBody = z.output<typeof transactionInput>;

/** A flagged transaction's review: `open` until someone approves or rejects it, once. */
export const REVIEW_STATES = ['open', 'approved', 'rejected'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];
export const MAX_REVIEW_NOTE_CHARS = 2000;

export const listTransactionsInput = z
  .strictObject({
    ...keysetPagination,
    vendor: z.string().max(40).optional(),
    agentId: ident().optional(),
    userId: ident().optional(),
    startDate: isoInstant.optional(),
    endDate: isoEndExclusive.optional(),
    action: z.enum(ACTIONS).optional(),
    /** The manual review queue of `flag` decisions: `open` lists those awaiting a decision. */
    review: z.enum(REVIEW_STATES).optional(),
  })
  .superRefine(onePagingMode);
export type ListTransactionsInput = z.output<typeof listTransactionsInput>;

/** POST /api/v1/transactions/bulk: up to 1,000 transactions, each validated on its own. */
export const MAX_BULK = 1000;
export const bulkInput = z.strictObject({
  transactions: z.array(z.unknown()).min(1).max(MAX_BULK),
});

/** POST /api/v1/transactions/:id/settle: the actual cost replaces the reservation's hold. */
export const settleInput = z
  .strictObject({
    ...amountFields,
    tokensIn: tokens.optional(),
    tokensOut: tokens.optional(),
    ...cacheFields,
    response: text(1_000_000).nullish(),
    metadata: metadataSchema().optional(),
  })
  .superRefine((t, ctx) => {
    if (
      t.amount === undefined &&
      t.amountMicros === undefined &&
      t.tokensIn === undefined &&
      t.tokensOut === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['amount'],
        message: 'is required (or give tokensIn/tokensOut to cost it from the price table)',
      });
    }
    checkAmountsAgree(t, ctx);
    checkCacheWithinInput(t, ctx);
  });
export type SettleInput = z.output<typeof settleInput>;

export const voidInput = z.strictObject({ reason: text(1000).optional() });

/** POST /api/v1/transactions/:id/review */
export const reviewInput = z.strictObject({
  decision: z.enum(['approved', 'rejected']),
  note: text(MAX_REVIEW_NOTE_CHARS).optional(),
});
export type ReviewInput = z.output<typeof reviewInput>;

export const idParam = z.strictObject({ id: ident(100) });
