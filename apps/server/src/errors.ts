/**
 * Domain errors and the ONE mapping from them to HTTP statuses and the docs' error body
 * `{success:false, code, message, ...}`. Services throw these; REST and tRPC both translate
 * through `toErrorResponse`.
 */
import type { ValidationIssue } from '@reins/engine';

export type ErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'VALIDATION_ERROR'
  | 'POLICY_VIOLATION'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | ConflictCode
  | 'INTERNAL_ERROR'
  | 'SERVICE_UNAVAILABLE';

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly status: number;
  /** Extra top-level fields of the error body. */
  extra(): Record<string, unknown> {
    return {};
  }
  headers(): Record<string, string> {
    return {};
  }
}

export class Unauthorized extends DomainError {
  readonly code = 'UNAUTHORIZED';
  readonly status = 401;
  constructor(message = 'Invalid or missing API key') {
    // One message for missing, malformed, unknown and revoked keys: nothing to probe. (Sign-in
    // says one thing for a wrong password and an unknown email alike.)
    super(message);
  }
}

export class Forbidden extends DomainError {
  readonly code = 'FORBIDDEN';
  readonly status = 403;
  constructor(
    readonly permission: string,
    /** Who lacks it: the API key, or a dashboard user's role. */
    subject = 'This API key',
  ) {
    super(`${subject} lacks the "${permission}" permission`);
  }
  override extra() {
    return { requiredPermission: this.permission };
  }
}

/**
 * A cookie-authenticated request refused as a possible cross-site request forgery: a
 * state-changing request without the session's `x-reins-csrf` header, or from another Origin.
 */
export class CsrfRefused extends DomainError {
  readonly code = 'FORBIDDEN';
  readonly status = 403;
  override extra() {
    return { reason: 'CSRF_FAILED' };
  }
}

export class NotFound extends DomainError {
  readonly code = 'NOT_FOUND';
  readonly status = 404;
  constructor(entity: string, id: string) {
    super(`${entity} "${id}" not found`);
  }
}

export class ValidationError extends DomainError {
  readonly code = 'VALIDATION_ERROR';
  readonly status = 422;
  readonly field: string;
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[]) {
    // An issue with the input as a whole (an array, a string, nothing) names the body.
    const named = issues.map((i) => (i.path ? i : { ...i, path: 'body' }));
    const first = named[0] ?? { path: 'body', message: 'Invalid request' };
    super(`${first.path}: ${first.message}`);
    this.field = first.path;
    this.issues = named;
  }
  static of(path: string, message: string): ValidationError {
    return new ValidationError([{ path, message }]);
  }
  override extra() {
    return { field: this.field, issues: this.issues };
  }
}

export interface PolicyResultBody {
  action: string;
  ruleId: string | null;
  ruleName: string | null;
  message: string;
}

export class PolicyViolation extends DomainError {
  readonly code = 'POLICY_VIOLATION';
  readonly status = 403;
  constructor(
    readonly body: {
      id: string;
      policyResult: PolicyResultBody;
      details: Record<string, unknown>;
    },
  ) {
    super(`Policy violation: ${body.policyResult.message}`);
  }
  override extra() {
    return { ...this.body };
  }
}

/** 409s: the request is well formed but contradicts the state it would change. */
export type ConflictCode =
  | 'ALREADY_EXISTS'
  | 'CHANNEL_IN_USE'
  | 'IDEMPOTENCY_CONFLICT'
  | 'IDEMPOTENCY_IN_PROGRESS'
  | 'NOT_A_RESERVATION'
  | 'RESERVATION_SETTLED'
  | 'RESERVATION_VOIDED'
  | 'RESERVATION_BLOCKED'
  | 'NOT_FLAGGED'
  | 'ALREADY_REVIEWED'
  | 'LAST_ADMIN';

export class Conflict extends DomainError {
  readonly status = 409;
  constructor(
    readonly code: ConflictCode,
    message: string,
    private readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
  }
  override extra() {
    return { ...this.fields };
  }
}

/** An idempotency key used before with another route or body. */
export function idempotencyConflict(key: string): Conflict {
  return new Conflict(
    'IDEMPOTENCY_CONFLICT',
    `Idempotency key "${key}" was already used with a different request body`,
    { idempotencyKey: key },
  );
}

/** An idempotency key whose first request has not been answered yet. */
export function idempotencyInProgress(key: string): Conflict {
  return new Conflict(
    'IDEMPOTENCY_IN_PROGRESS',
    `A request with idempotency key "${key}" is still being processed; retry shortly`,
    { idempotencyKey: key },
  );
}

/**
 * The stored error answer of an idempotent request, replayed: the same status and body, byte
 * for byte (the body was serialized from this same mapping the first time).
 */
export class ReplayedError extends DomainError {
  readonly code: ErrorCode;
  constructor(
    readonly status: number,
    private readonly body: { code: ErrorCode; message: string } & Record<string, unknown>,
  ) {
    super(body.message);
    this.code = body.code;
  }
  override extra() {
    const { success: _s, code: _c, message: _m, ...rest } = this.body;
    return rest;
  }
}

export class PayloadTooLarge extends DomainError {
  readonly code = 'PAYLOAD_TOO_LARGE';
  readonly status = 413;
  constructor(limit: number) {
    super(`Request body exceeds ${limit} bytes`);
  }
}

export class UnsupportedMediaType extends DomainError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  readonly status = 415;
  constructor(type: string) {
    super(`Content-Type "${type}" is not supported; send application/json`);
  }
}

export class RateLimited extends DomainError {
  readonly code = 'RATE_LIMITED';
  readonly status = 429;
  /** `vendor`: the organization's per-minute limit for that vendor, not the key's rate. */
  constructor(
    readonly retryAfterSeconds: number,
    readonly vendor?: string,
  ) {
    super(
      vendor === undefined
        ? `Too many requests; retry after ${retryAfterSeconds} s`
        : `Rate limit for vendor "${vendor}" reached; retry after ${retryAfterSeconds} s`,
    );
  }
  override extra() {
    return {
      retryAfter: this.retryAfterSeconds,
      ...(this.vendor === undefined ? {} : { vendor: this.vendor }),
    };
  }
  override headers() {
    return { 'retry-after': String(this.retryAfterSeconds) };
  }
}

export class ServiceUnavailable extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE';
  readonly status = 503;
}

/** Seconds a client is told to wait while the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** The database cannot be reached (down, restarting, refusing connections, pool timed out). */
export class DatabaseUnavailable extends ServiceUnavailable {
  constructor(cause: unknown) {
    super('The database is unavailable; retry shortly', { cause });
  }
  override extra() {
    return { retryAfter: DATABASE_RETRY_AFTER_SECONDS };
  }
  override headers() {
    return { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) };
  }
}

/**
 * Socket errors and PostgreSQL conditions that mean "the database is not there", not "the request
 * is wrong": connection exceptions (SQLSTATE class 08), shutdowns and restarts (57P01–57P03), too
 * many connections (53300), a pool that timed out waiting for a connection.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|is not queryable|Timeout acquiring a connection|connect ECONNREFUSED/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const { code, name, message, cause } = e as {
      code?: unknown;
      name?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || /^08/.test(code))) return true;
    if (name === 'KnexTimeoutError' || name === 'ConnectionException') return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
    e = cause;
  }
  return false;
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { success: false; code: ErrorCode; message: string } & Record<string, unknown>;
}

/**
 * The one mapping. An unreachable database is a 503 with Retry-After; anything else that is not
 * a DomainError is a 500 with no internals leaked.
 */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (!(err instanceof DomainError) && isDatabaseUnavailable(err)) {
    return toErrorResponse(new DatabaseUnavailable(err));
  }
  if (err instanceof DomainError) {
    return {
      status: err.status,
      headers: err.headers(),
      body: { success: false, code: err.code, message: err.message, ...err.extra() },
    };
  }
  return {
    status: 500,
    headers: {},
    body: { success: false, code: 'INTERNAL_ERROR', message: 'Internal server error' },
  };
}
