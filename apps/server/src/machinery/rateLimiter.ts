import { RateLimited } from '../errors.js';

/** Buckets kept before idle ones (refilled to full) are swept away. */
const SWEEP_AT = 10_000;

/**
 * Token buckets by key (an API key id, a client address): `rps` tokens per second, bursts up to
 * 2 s worth. Per process — N server processes admit up to N× the rate; the limit protects the
 * service, budgets protect the money.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** `clock` is monotonic milliseconds: elapsed real time, whatever the business clock says. */
  constructor(
    private readonly rps: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Takes a token of `key`'s bucket, or throws RateLimited when there is none. */
  take(key: string): void {
    const b = this.refill(key);
    if (!b) return;
    this.ensureToken(b);
    b.tokens -= 1;
  }

  /** Gives back a token taken by `take` (a request that turned out not to count). */
  refund(key: string): void {
    const b = this.refill(key);
    if (b) b.tokens = Math.min(this.rps * 2, b.tokens + 1);
  }

  private ensureToken(b: { tokens: number }): void {
    if (b.tokens < 1) throw new RateLimited(Math.max(1, Math.ceil((1 - b.tokens) / this.rps)));
  }

  private refill(key: string): { tokens: number; at: number } | null {
    if (this.rps <= 0) return null;
    const now = this.clock();
    const burst = this.rps * 2;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= SWEEP_AT) this.sweep(now, burst);
      this.buckets.set(key, (b = { tokens: burst, at: now }));
    }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * this.rps);
    b.at = now;
    return b;
  }

  /** Forgets buckets that have refilled since their last use: they hold nothing to remember. */
  private sweep(now: number, burst: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.rps >= burst) this.buckets.delete(key);
    }
  }
}
