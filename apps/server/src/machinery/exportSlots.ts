import { RateLimited } from '../errors.js';

/** Seconds a refused export is told to wait. */
export const EXPORT_RETRY_AFTER_SECONDS = 5;

/**
 * Streamed exports (the audit CSV) running in this process, bounded per API key, per
 * organization and in all: each holds a database connection a query at a time and the event
 * loop a chunk at a time, so a crowd of exports — or of clients that never read — would starve
 * the hot path. Past a bound the export is refused 429 with Retry-After before it starts.
 */
export class ExportSlots {
  private total = 0;
  private readonly byKey = new Map<string, number>();
  private readonly byOrg = new Map<string, number>();

  constructor(private readonly limits: { perKey: number; perOrg: number; total: number }) {}

  /** Takes a slot for `keyId` of `orgId`; returns its release (idempotent), or throws 429. */
  acquire(orgId: string, keyId: string): () => void {
    const key = this.byKey.get(keyId) ?? 0;
    const org = this.byOrg.get(orgId) ?? 0;
    if (key >= this.limits.perKey || org >= this.limits.perOrg || this.total >= this.limits.total) {
      throw new RateLimited(EXPORT_RETRY_AFTER_SECONDS);
    }
    this.total += 1;
    this.byKey.set(keyId, key + 1);
    this.byOrg.set(orgId, org + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      decrement(this.byKey, keyId);
      decrement(this.byOrg, orgId);
    };
  }

  /** Exports running now (for tests and the benchmark). */
  get running(): number {
    return this.total;
  }
}

function decrement(map: Map<string, number>, id: string): void {
  const n = (map.get(id) ?? 1) - 1;
  if (n <= 0) map.delete(id);
  else map.set(id, n);
}
