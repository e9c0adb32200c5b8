/**
 * Errors the SDK throws. A policy block is a result (`action: 'block'`) for the REST client and an
 * error (`code: 'REINS_BLOCKED'`) for wrapped provider clients, as the docs say.
 */

/** The docs' error body: `{ success: false, code, message, ... }`. */
export interface ErrorBody {
  success: false;
  code: string;
  message: string;
  [field: string]: unknown;
}

/** A non-2xx answer from Reins, or no answer at all (`status: 0`). */
export class ReinsError extends Error {
  override readonly name: string = 'ReinsError';
  /** The docs' code (`VALIDATION_ERROR`, `RATE_LIMITED`, …), or `NETWORK_ERROR` / `TIMEOUT`. */
  readonly code: string;
  /** HTTP status; 0 when Reins could not be reached or did not answer in time. */
  readonly status: number;
  /** The parsed error body, when there was one. */
  readonly body: ErrorBody | null;
  /** Seconds to wait, from `Retry-After` (429). */
  readonly retryAfter: number | null;

  constructor(
    message: string,
    opts: {
      code: string;
      status: number;
      body?: ErrorBody | null;
      retryAfter?: number | null;
      cause?: unknown;
    },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = opts.code;
    this.status = opts.status;
    this.body = opts.body ?? null;
    this.retryAfter = opts.retryAfter ?? null;
  }

  /** Reins is down, unreachable, overloaded or too slow: the cases fail-open lets through. */
  get unavailable(): boolean {
    return this.status === 0 || this.status >= 500;
  }
}

/** The policy result of a decision, as the API returns it. */
export interface PolicyResult {
  action: 'pass' | 'warn' | 'flag' | 'block' | 'log' | 'notify';
  ruleId: string | null;
  ruleName: string | null;
  message: string;
  [field: string]: unknown;
}

/** A wrapped provider call stopped by a `block` rule: the provider was never called. */
export class ReinsBlockedError extends Error {
  override readonly name = 'ReinsBlockedError';
  readonly code = 'REINS_BLOCKED';
  readonly policyResult: PolicyResult;
  readonly details: Record<string, unknown> | null;
  /** The recorded (blocked) transaction, when Reins recorded one. */
  readonly transactionId: string | null;

  constructor(
    policyResult: PolicyResult,
    details: Record<string, unknown> | null,
    transactionId: string | null,
  ) {
    super(policyResult.message || 'Blocked by a Reins policy rule');
    this.policyResult = policyResult;
    this.details = details;
    this.transactionId = transactionId;
  }
}
