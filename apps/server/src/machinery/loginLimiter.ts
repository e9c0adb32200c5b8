import { RateLimited } from '../errors.js';

/** Buckets kept before full ones are swept away. */
const SWEEP_AT = 10_000;

/**
 * Failed sign-ins per key (an email address, a client address): a bucket of `max` tokens
 * refilled over `windowMs`, a token taken per failure. An empty bucket refuses further attempts
 * with 429 before any password is checked. Not `RateLimiter`: that one counts requests per second
 * with a 2 s burst; this counts a handful of failures over minutes.
 */
export class FailureBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly clock: () => number,
  ) {}

  /** Throws RateLimited when `key` has no failures left. */
  check(key: string): void {
    const b = this.refill(key, false);
    if (b && b.tokens < 1) {
      const perMs = this.max / this.windowMs;
      throw new RateLimited(Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000)));
    }
  }

  failed(key: string): void {
    const b = this.refill(key, true);
    if (b) b.tokens = Math.max(0, b.tokens - 1);
  }

  reset(key: string): void {
    this.buckets.delete(key);
  }

  private refill(key: string, create: boolean): { tokens: number; at: number } | null {
    if (this.max <= 0) return null;
    const now = this.clock();
    let b = this.buckets.get(key);
    if (!b) {
      if (!create) return null;
      if (this.buckets.size >= SWEEP_AT) this.sweep(now);
      this.buckets.set(key, (b = { tokens: this.max, at: now }));
    }
    b.tokens = Math.min(this.max, b.tokens + ((now - b.at) * this.max) / this.windowMs);
    b.at = now;
    return b;
  }

  private sweep(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) * this.max) / this.windowMs >= this.max) {
        this.buckets.delete(key);
      }
    }
  }
}

/** Sign-in attempts limited per email address and per client address. */
export class LoginLimiter {
  private readonly byEmail: FailureBuckets;
  private readonly byClient: FailureBuckets;

  /** `clock`: monotonic milliseconds (elapsed real time, whatever the business clock says). */
  constructor(
    opts: { perEmail: number; perClient: number; windowMs: number },
    clock: () => number = () => performance.now(),
  ) {
    this.byEmail = new FailureBuckets(opts.perEmail, opts.windowMs, clock);
    this.byClient = new FailureBuckets(opts.perClient, opts.windowMs, clock);
  }

  /** Throws 429 when the client or the email has used up its failures. */
  check(client: string, email?: string): void {
    this.byClient.check(client);
    if (email !== undefined) this.byEmail.check(email.toLowerCase());
  }

  failed(client: string, email?: string): void {
    this.byClient.failed(client);
    if (email !== undefined) this.byEmail.failed(email.toLowerCase());
  }

  /** A successful sign-in clears the email's failures (not the client's). */
  succeeded(email: string): void {
    this.byEmail.reset(email.toLowerCase());
  }
}
