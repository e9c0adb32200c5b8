import { describe, expect, it } from 'vitest';
import { planAfterAttempt, retryDelayMs, type RetryPolicy } from './backoff.js';

const policy = { baseMs: 1000, maxMs: 60_000 };
const NOW = new Date('2026-05-05T08:00:00.000Z');

describe('retryDelayMs', () => {
  it('doubles the step after each failed attempt, half of it fixed and half jitter', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, policy, () => 0))).toEqual([
      500, 1000, 2000, 4000,
    ]);
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, policy, () => 0.999999))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
    expect(retryDelayMs(3, policy, () => 0.5)).toBe(3000);
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    expect(retryDelayMs(7, policy, () => 0.999999)).toBe(60_000);
    expect(retryDelayMs(500, policy, () => 0.999999)).toBe(60_000);
    expect(retryDelayMs(500, policy, () => 0)).toBe(30_000);
  });

  it('spreads receivers that failed together over the second half of the step', () => {
    const seq = [0.1, 0.4, 0.7];
    let i = 0;
    const delays = seq.map(() => retryDelayMs(2, policy, () => seq[i++] ?? 0));
    expect(delays).toEqual([1100, 1400, 1700]);
  });
});

describe('planAfterAttempt', () => {
  const retry: RetryPolicy = { maxAttempts: 3, backoff: policy, jitter: () => 0 };

  it('marks a successful attempt delivered at the time it ended', () => {
    expect(planAfterAttempt(2, { ok: true }, NOW, retry)).toEqual({
      status: 'delivered',
      deliveredAt: NOW,
    });
  });

  it('schedules a retryable failure after the backoff, keeping the error', () => {
    expect(planAfterAttempt(2, { ok: false, retry: true, error: 'HTTP 500' }, NOW, retry)).toEqual({
      status: 'pending',
      nextAttemptAt: new Date(NOW.getTime() + 1000),
      lastError: 'HTTP 500',
    });
  });

  it('waits for a longer Retry-After than the backoff, up to the cap', () => {
    const at = (retryAfterMs: number) =>
      planAfterAttempt(1, { ok: false, retry: true, error: 'HTTP 429', retryAfterMs }, NOW, retry);
    expect(at(30_000)).toMatchObject({ nextAttemptAt: new Date(NOW.getTime() + 30_000) });
    expect(at(100)).toMatchObject({ nextAttemptAt: new Date(NOW.getTime() + 500) });
    expect(at(86_400_000)).toMatchObject({ nextAttemptAt: new Date(NOW.getTime() + 60_000) });
  });

  it('dead-letters a retryable failure at the last attempt', () => {
    expect(planAfterAttempt(3, { ok: false, retry: true, error: 'HTTP 503' }, NOW, retry)).toEqual({
      status: 'failed',
      lastError: 'gave up after 3 attempts: HTTP 503',
    });
  });

  it('dead-letters a permanent refusal at once', () => {
    expect(planAfterAttempt(1, { ok: false, retry: false, error: 'HTTP 410' }, NOW, retry)).toEqual(
      { status: 'failed', lastError: 'HTTP 410' },
    );
  });

  it('keeps at most 500 characters of an error', () => {
    const next = planAfterAttempt(
      1,
      { ok: false, retry: true, error: 'x'.repeat(2000) },
      NOW,
      retry,
    );
    expect(next.status === 'pending' && next.lastError.length).toBe(500);
  });
});
