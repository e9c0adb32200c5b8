import { RateLimited } from '../errors.js';

/**
 * A token bucket per API key: `rps` tokens per second, bursts up to 2 s worth. Per process —
 * N server processes admit up to N× the rate; the limit protects the service, budgets protect
 * the money.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** `clock` is monotonic milliseconds: elapsed real time, whatever the business clock says. */
  constructor(
    private readonly rps: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  take(keyId: string): void {
    if (this.rps <= 0) return;
    const now = this.clock();
    const burst = this.rps * 2;
    const b = this.buckets.get(keyId) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * this.rps);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(keyId, b);
      throw new RateLimited(Math.max(1, Math.ceil((1 - b.tokens) / this.rps)));
    }
    b.tokens -= 1;
    this.buckets.set(keyId, b);
  }
}
