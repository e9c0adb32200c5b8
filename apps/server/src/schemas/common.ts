import { z } from 'zod';
import { zodIssues } from '@reins/engine';
import { ValidationError } from '../errors.js';

/** Postgres text cannot hold NUL, and no legitimate identifier contains control characters. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

export const ident = (max = 200) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters');

/** Free text (prompts, messages); NUL and unpaired surrogates never get here (`checkStorable`). */
export const text = (max: number) => z.string().max(max);

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const YMD = /^(\d{4})-(\d{2})-(\d{2})/;

/** `Date.parse` rolls 2026-02-30 over to March 2nd: a day that is not on the calendar is refused. */
function onCalendar(s: string): boolean {
  const m = YMD.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

const isoString = z
  .string()
  .max(40)
  .refine(
    (s) => DATE_ONLY.test(s) || DATE_TIME.test(s),
    'must be an ISO 8601 date or date-time with a time zone',
  )
  .refine((s) => !Number.isNaN(Date.parse(s)) && onCalendar(s), 'is not a valid date');

/** ISO 8601 instant with a time zone, or a plain date (midnight UTC); normalized to UTC ISO. */
export const isoInstant = isoString.transform((s) => new Date(s).toISOString());

/**
 * An end-of-range filter as an exclusive instant: a plain date includes that whole day (UTC),
 * a date-time includes that instant.
 */
export const isoEndExclusive = isoString.transform((s) =>
  new Date(Date.parse(s) + (DATE_ONLY.test(s) ? 86_400_000 : 1)).toISOString(),
);

/** The same ceiling as rule limits in cents ($100 billion): past it a budget is a typo. */
export const MAX_BUDGET_CENTS = 10_000_000_000_000;

/** A budget in integer cents; 0 allows nothing. */
export const budgetCents = z.number().int().min(0).max(MAX_BUDGET_CENTS);

/** Query-string booleans. */
export const queryBool = z.enum(['true', 'false']).transform((v) => v === 'true');

export const pagination = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
};

/**
 * The lists that page both ways: by `offset` (rows to skip, default 0) or by `cursor` (the
 * `nextCursor` of the previous page, opaque; see lib/keyset.ts), never both in one request.
 * Check with `onePagingMode`.
 */
export const keysetPagination = {
  limit: pagination.limit,
  offset: z.coerce.number().int().min(0).max(10_000_000).optional(),
  cursor: z.string().min(1).max(200).optional(),
};

export function onePagingMode(
  q: { offset?: number | undefined; cursor?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (q.offset !== undefined && q.cursor !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['offset'],
      message: 'cannot be combined with cursor (a cursor already says where the page starts)',
    });
  }
}

/** JSON metadata: an object, at most `maxBytes` serialized (its strings: see `checkStorable`). */
export const metadataSchema = (maxBytes = 16_384) =>
  z.record(z.string(), z.unknown()).superRefine((m, ctx) => {
    if (JSON.stringify(m).length > maxBytes)
      ctx.addIssue({ code: 'custom', message: `must be at most ${maxBytes} bytes of JSON` });
  });

/** Deeper request input is refused: no API field nests anywhere near this deep. */
export const MAX_INPUT_DEPTH = 32;

/** NUL, or a UTF-16 surrogate without its pair. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Refuses request input that PostgreSQL cannot store or that would exhaust the stack: text and
 * jsonb cannot hold NUL, jsonb refuses unpaired surrogates, and nesting is capped at
 * MAX_INPUT_DEPTH. Both adapters (REST: body, query and path; tRPC: input) run every request
 * through it before a service sees it, so such input is a 422 naming where it is — never a 500
 * from the database, nor a failed batch that takes other callers' transactions with it.
 */
export function checkStorable(input: unknown): void {
  const stack: { value: unknown; path: string; depth: number }[] = [
    { value: input, path: '', depth: 0 },
  ];
  const at = (path: string) => path || 'body';
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { value, path, depth } = item;
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value))
        throw ValidationError.of(
          at(path),
          'must not contain NUL characters or unpaired surrogates',
        );
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_INPUT_DEPTH)
      throw ValidationError.of(at(path), `must not nest deeper than ${MAX_INPUT_DEPTH} levels`);
    // Pushed last to first, so that the first bad field in the input is the one reported.
    for (const [k, v] of Object.entries(value).reverse()) {
      if (UNSTORABLE.test(k))
        throw ValidationError.of(
          at(path),
          'must not have keys with NUL characters or unpaired surrogates',
        );
      stack.push({ value: v, path: path ? `${path}.${k}` : k, depth: depth + 1 });
    }
  }
}

/** Parses with a zod schema, or throws the 422 that names the first bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new ValidationError(zodIssues(r.error));
  return r.data;
}
