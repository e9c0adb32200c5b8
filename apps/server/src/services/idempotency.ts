/**
 * Idempotent requests (SPEC §4), the request side: an `Idempotency-Key` header, or
 * `metadata.requestId`, names a request; the ledger's store (`@reins/ledger`) keeps its first
 * answer in the same database transaction as the change it made, and a replay answers that stored
 * response byte for byte without writing anything. The same key with a different body is a 409
 * `IDEMPOTENCY_CONFLICT`.
 */
import type { StoredResponse } from '@reins/ledger';
import { ReplayedError, ValidationError, type ErrorCode } from '../errors.js';

export const MAX_KEY_LENGTH = 255;

/**
 * The request's idempotency key: the header, else `metadata.requestId` (the docs' field).
 * `field` names where the key came from in a validation error.
 */
export function idempotencyKeyOf(
  header: string | null,
  body: unknown,
  field = 'metadata.requestId',
): string | null {
  if (header !== null) return checkKey(header, 'Idempotency-Key');
  const metadata = (body as { metadata?: unknown } | null)?.metadata;
  const requestId = (metadata as { requestId?: unknown } | undefined)?.requestId;
  if (requestId === undefined || requestId === null) return null;
  if (typeof requestId !== 'string') throw ValidationError.of(field, 'must be a string');
  return checkKey(requestId, field);
}

function checkKey(key: string, field: string): string {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw ValidationError.of(field, `must be 1-${String(MAX_KEY_LENGTH)} characters`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) {
    throw ValidationError.of(field, 'must not contain control characters');
  }
  return key;
}

/**
 * Answers a stored response again: a success body is returned (the adapters add `success`
 * back in the same place), an error body is thrown through the one error mapping.
 */
export function replay(stored: StoredResponse): Record<string, unknown> {
  const body = JSON.parse(stored.body) as { success: boolean; code?: ErrorCode; message?: string };
  if (stored.status >= 400) {
    throw new ReplayedError(
      stored.status,
      body as { code: ErrorCode; message: string } & Record<string, unknown>,
    );
  }
  const { success: _success, ...rest } = body;
  return rest;
}
