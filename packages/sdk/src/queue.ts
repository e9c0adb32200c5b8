/**
 * Records the SDK could not deliver (Reins down or slow): kept in memory, bounded, sent later in
 * order. When full, the oldest are dropped and counted — memory stays bounded through any outage.
 */

export interface QueuedRecord {
  /** POST body for /api/v1/transactions (phase "observed": the call already happened). */
  body: Record<string, unknown>;
  /** Sent as Idempotency-Key: a record delivered twice is recorded once. */
  idempotencyKey: string;
}

export interface QueueStats {
  /** Waiting to be sent. */
  pending: number;
  /** Delivered since start. */
  sent: number;
  /** Dropped because the queue was full (oldest first). */
  dropped: number;
  /** Refused by Reins (4xx): they would be refused again, so they are not retried. */
  rejected: number;
}

export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`queue capacity must be a positive integer, got ${String(capacity)}`);
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Adds at the back; when full, drops the oldest item and returns it. */
  push(item: T): T | undefined {
    let dropped: T | undefined;
    if (this.size >= this.capacity) {
      dropped = this.items[this.head];
      this.head++;
      this.dropped++;
    }
    this.items.push(item);
    // Compact now and then so that shifted-out items are freed.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return dropped;
  }

  /** Up to `n` items from the front, without removing them. */
  peek(n: number): T[] {
    return this.items.slice(this.head, this.head + n);
  }

  /** Removes `n` items from the front. */
  drop(n: number): void {
    this.head = Math.min(this.head + n, this.items.length);
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
  }
}
