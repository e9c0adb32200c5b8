/**
 * Response bodies as the REST routes send them, in zod: each route's `response` (routeTypes.ts)
 * is one of these. The OpenAPI document is generated from them (`z.toJSONSchema`), schemas with
 * an `id` become named `components.schemas`, and the integration tests validate every answer
 * they receive against the document. Domain files beside this one hold the success bodies.
 */
import { z } from 'zod';

/** An instant as the API shows it: ISO 8601 in UTC (`2026-05-05T08:30:00.000Z`). */
export const instant = z.string().meta({ format: 'date-time' });

/** Integer cents (1 = $0.01). */
export const cents = z.number().int();

/** A JSON object of arbitrary values (metadata, figures). */
export const jsonObject = z.record(z.string(), z.unknown());

/** The 'docs' envelope: `{success: true, ...fields}`. */
export function docs<T extends z.ZodRawShape>(shape: T) {
  return z.object({ success: z.literal(true), ...shape });
}

/** `{id, deleted: true}`: what a DELETE of the docs' API answers. */
export const Deleted = docs({ id: z.string(), deleted: z.literal(true) });

/** The page cursor of a cursor-paginated list: null on the last page. */
export const nextCursor = z
  .string()
  .nullable()
  .describe('Pass as `cursor` to read the next page; null on the last page');

// ---------------------------------------------------------------------------------------------
// Errors: `{success: false, code, message, ...}` (the docs' error table), mapped in errors.ts.

const errorFields = {
  success: z.literal(false),
  message: z.string(),
  /** Set on 500s: the id of the request in the server's log. */
  requestId: z.string().optional(),
};

/** An error body of one or more codes; further top-level fields depend on the code. */
function errorBody(id: string, codes: readonly [string, ...string[]], description: string) {
  return z
    .looseObject({
      ...errorFields,
      code: codes.length === 1 ? z.literal(codes[0]) : z.enum(codes),
    })
    .meta({ id, description });
}

export const UnauthorizedError = errorBody(
  'UnauthorizedError',
  ['UNAUTHORIZED'],
  'Invalid or missing API key (one answer for missing, malformed, unknown and revoked keys)',
);

export const ForbiddenError = z
  .looseObject({
    ...errorFields,
    code: z.literal('FORBIDDEN'),
    requiredPermission: z.string().optional().describe('The permission the API key lacks'),
    reason: z
      .literal('CSRF_FAILED')
      .optional()
      .describe('A dashboard session request refused as cross-site'),
  })
  .meta({ id: 'ForbiddenError', description: 'The API key lacks the permission the route needs' });

export const PolicyResult = z
  .object({
    action: z.enum(['pass', 'warn', 'flag', 'block', 'log', 'notify']),
    ruleId: z.string().nullable(),
    ruleName: z.string().nullable(),
    message: z.string(),
  })
  .meta({ id: 'PolicyResult', description: 'The decision: the action and the rule that took it' });

export const BlockDetails = z
  .looseObject({
    limit: z.number().nullable(),
    current: z.number().nullable(),
    timeWindow: z.string().nullable(),
    resetsAt: instant.nullable().optional(),
    unit: z.string().nullable().optional(),
    ruleId: z.string().nullable().optional(),
  })
  .meta({
    id: 'BlockDetails',
    description:
      "The window figures of the deciding rule: its limit, the window's total including this transaction, when the window resets",
  });

export const PolicyViolationError = z
  .looseObject({
    ...errorFields,
    code: z.literal('POLICY_VIOLATION'),
    id: z.string().describe('The blocked transaction (recorded with action block)'),
    policyResult: PolicyResult,
    details: BlockDetails,
  })
  .meta({ id: 'PolicyViolationError', description: 'A policy rule blocked the transaction' });

export const NotFoundError = errorBody(
  'NotFoundError',
  ['NOT_FOUND'],
  "No such object in the API key's organization (another organization's object is not found)",
);

export const ValidationErrorBody = z
  .looseObject({
    ...errorFields,
    code: z.literal('VALIDATION_ERROR'),
    field: z.string().describe('The first invalid field (`body` for the body as a whole)'),
    issues: z.array(z.object({ path: z.string(), message: z.string() })),
  })
  .meta({ id: 'ValidationError', description: 'Missing or invalid parameters' });

export const PayloadTooLargeError = errorBody(
  'PayloadTooLargeError',
  ['PAYLOAD_TOO_LARGE'],
  "The request body exceeds the route's limit",
);

export const UnsupportedMediaTypeError = errorBody(
  'UnsupportedMediaTypeError',
  ['UNSUPPORTED_MEDIA_TYPE'],
  'The body is not application/json, or its Content-Encoding is not identity',
);

export const RateLimitedError = z
  .looseObject({
    ...errorFields,
    code: z.literal('RATE_LIMITED'),
    retryAfter: z.number().int().describe('Seconds to wait (also in the Retry-After header)'),
    vendor: z.string().optional().describe('The vendor whose per-minute limit was reached'),
  })
  .meta({ id: 'RateLimitedError', description: 'Too many requests' });

export const InternalError = errorBody(
  'InternalError',
  ['INTERNAL_ERROR'],
  'Reins server error; `requestId` names the request in the server log',
);

export const ServiceUnavailableError = z
  .looseObject({
    ...errorFields,
    code: z.literal('SERVICE_UNAVAILABLE'),
    retryAfter: z.number().int().optional(),
  })
  .meta({ id: 'ServiceUnavailableError', description: 'The database is unavailable; retry' });

/** A 409 body naming the codes the route can answer. */
export function conflictError(codes: readonly [string, ...string[]]) {
  return z.looseObject({
    ...errorFields,
    code: codes.length === 1 ? z.literal(codes[0]) : z.enum(codes),
  });
}
