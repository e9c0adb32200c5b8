/**
 * What happens to an outbox row after one delivery attempt: a pure planner (attempt number and
 * outcome in, the row's next state out), so that retries, backoff and the dead letter are
 * unit-tested without a database or a clock.
 */

export interface BackoffPolicy {
  /** The pause after the first failed attempt (ms); each further failure doubles it. */
  baseMs: number;
  /** The longest pause between two attempts (ms). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 10_000, maxMs: 3_600_000 };

/** A number in [0, 1): `Math.random` in production, a fixed sequence in tests. */
export type Jitter = () => number;

/**
 * The pause before attempt `attempt + 1`, after `attempt` (≥ 1) failed: exponential, capped, with
 * "equal jitter" — half the step is fixed, half random — so that receivers that failed together
 * are not retried in lockstep, and no retry comes sooner than half its step.
 */
export function retryDelayMs(attempt: number, policy: BackoffPolicy, jitter: Jitter): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  const r = Math.min(Math.max(jitter(), 0), 1);
  return Math.round(step / 2 + (r * step) / 2);
}

/**
 * One attempt's result. `retry: false` means the receiver refused for good (a 4xx, a 5xx SMTP
 * reply); `retryAfterMs` is the receiver's own `Retry-After`, waited for if longer than the
 * backoff (never longer than the backoff's cap).
 */
export type AttemptOutcome =
  { ok: true } | { ok: false; error: string; retry: boolean; retryAfterMs?: number };

export type NextState =
  | { status: 'delivered'; deliveredAt: Date }
  | { status: 'pending'; nextAttemptAt: Date; lastError: string }
  | { status: 'failed'; lastError: string };

export interface RetryPolicy {
  maxAttempts: number;
  backoff: BackoffPolicy;
  jitter: Jitter;
}

/** Longest `last_error` kept: enough for a status line and the start of a response body. */
export const MAX_ERROR_CHARS = 500;

export function planAfterAttempt(
  attempt: number,
  outcome: AttemptOutcome,
  now: Date,
  policy: RetryPolicy,
): NextState {
  if (outcome.ok) return { status: 'delivered', deliveredAt: now };
  const lastError = outcome.error.slice(0, MAX_ERROR_CHARS);
  if (!outcome.retry) return { status: 'failed', lastError };
  if (attempt >= policy.maxAttempts) {
    return {
      status: 'failed',
      lastError: `gave up after ${String(attempt)} attempts: ${lastError}`.slice(
        0,
        MAX_ERROR_CHARS,
      ),
    };
  }
  const delay = Math.max(
    retryDelayMs(attempt, policy.backoff, policy.jitter),
    Math.min(outcome.retryAfterMs ?? 0, policy.backoff.maxMs),
  );
  return { status: 'pending', nextAttemptAt: new Date(now.getTime() + delay), lastError };
}
