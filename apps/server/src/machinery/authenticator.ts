import { ApiKey } from '@reins/db';
import type { Orm } from '@reins/db';
import { Unauthorized } from '../errors.js';
import { hashApiKey, isWellFormedKey } from '../lib/apiKeys.js';

export interface Caller {
  orgId: string;
  keyId: string;
  permissions: readonly string[];
}

interface Cached {
  caller: Caller;
  expiresAt: number;
  lastUsedWrittenAt: number;
}

const LAST_USED_EVERY_MS = 60_000;

/**
 * Resolves `Authorization: Bearer rk_...` to a caller. A verified key is trusted for
 * `cacheMs` without asking the database again (a key revoked through another process stops
 * working within that time; through this process, at once). `lastUsedAt` is written at most
 * once a minute per key, off the request path.
 */
export class Authenticator {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly orm: Orm,
    private readonly cacheMs: number,
    private readonly clock: () => number,
  ) {}

  async authenticate(header: string | undefined): Promise<Caller> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    const key = m?.[1];
    if (!key || !isWellFormedKey(key)) throw new Unauthorized();
    const hash = hashApiKey(key);
    const now = this.clock();
    let entry = this.cache.get(hash);
    if (!entry || entry.expiresAt <= now) {
      const em = this.orm.em.fork();
      const row = await em.findOne(ApiKey, { keyHash: hash, revokedAt: null });
      if (!row) {
        this.cache.delete(hash);
        throw new Unauthorized();
      }
      entry = {
        caller: { orgId: row.orgId, keyId: row.id, permissions: row.permissions },
        expiresAt: now + this.cacheMs,
        lastUsedWrittenAt: row.lastUsedAt?.getTime() ?? 0,
      };
      this.cache.set(hash, entry);
    }
    if (now - entry.lastUsedWrittenAt >= LAST_USED_EVERY_MS) {
      entry.lastUsedWrittenAt = now;
      void this.touch(entry.caller.keyId, now);
    }
    return entry.caller;
  }

  /** Forget a key at once in this process (revocation). */
  forgetKey(keyId: string): void {
    for (const [hash, e] of this.cache) if (e.caller.keyId === keyId) this.cache.delete(hash);
  }

  private async touch(keyId: string, now: number): Promise<void> {
    try {
      await this.orm.em
        .fork()
        .getConnection()
        .execute(
          `update api_key set last_used_at = ? where id = ? and (last_used_at is null or last_used_at < ?)`,
          [new Date(now), keyId, new Date(now - LAST_USED_EVERY_MS)],
        );
    } catch {
      // Best effort: a missed lastUsedAt update is not worth failing or logging every request.
    }
  }
}
