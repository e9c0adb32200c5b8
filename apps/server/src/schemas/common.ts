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

/** Free text (prompts, messages): any characters but NUL. */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

const isoString = z
  .string()
  .max(40)
  .refine(
    (s) => DATE_ONLY.test(s) || DATE_TIME.test(s),
    'must be an ISO 8601 date or date-time with a time zone',
  )
  .refine((s) => !Number.isNaN(Date.parse(s)), 'is not a valid date');

/** ISO 8601 instant with a time zone, or a plain date (midnight UTC); normalized to UTC ISO. */
export const isoInstant = isoString.transform((s) => new Date(s).toISOString());

/**
 * An end-of-range filter as an exclusive instant: a plain date includes that whole day (UTC),
 * a date-time includes that instant.
 */
export const isoEndExclusive = isoString.transform((s) =>
  new Date(Date.parse(s) + (DATE_ONLY.test(s) ? 86_400_000 : 1)).toISOString(),
);

/** Query-string booleans. */
export const queryBool = z.enum(['true', 'false']).transform((v) => v === 'true');

export const pagination = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
};

/** JSON metadata: an object, at most `maxBytes` serialized, no NUL anywhere. */
export const metadataSchema = (maxBytes = 16_384) =>
  z.record(z.string(), z.unknown()).superRefine((m, ctx) => {
    const json = JSON.stringify(m);
    if (json.length > maxBytes)
      ctx.addIssue({ code: 'custom', message: `must be at most ${maxBytes} bytes of JSON` });
    if (json.includes('\\u0000'))
      ctx.addIssue({ code: 'custom', message: 'must not contain NUL characters' });
  });

/** Parses with a zod schema, or throws the 422 that names the first bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new ValidationError(zodIssues(r.error));
  return r.data;
}
