import { ApiKey } from '@reins/db';
import type { Orm } from '@reins/db';
import { Unauthorized } from '../errors.js';
import { hashApiKey, isWellFormedKey } from '../lib/apiKeys.js';
import { RateLimiter } from './rateLimiter.js';

/** A dashboard session behind a caller (cookie authentication). */
export interface SessionInfo {
  /** SHA-256 (hex) of the cookie's token: the session row's id. */
  id: string;
  csrfToken: string;
  /** Epoch ms: when it ends unless used again (idle timeout, capped by the absolute maximum). */
  expiresAt: number;
}

export interface Caller {
  orgId: string;
  /** The API key authenticated (bearer, or a session signed in with a key); null for a user. */
  keyId: string | null;
  permissions: readonly string[];
  /** The dashboard user of a session signed in with a password. */
  userId?: string | null;
  /** Who the audit log names; default `key:<keyId>`. */
  actor?: string;
  session?: SessionInfo | null;
}

/** A caller authenticated by an API key. */
export interface KeyCaller extends Caller {
  keyId: string;
}

interface Cached {
  caller: KeyCaller;
  expiresAt: number;
  lastUsedWrittenAt: number;
}

const LAST_USED_EVERY_MS = 60_000;

/** How long a key that matched nothing is remembered as such (no second lookup). */
const UNKNOWN_KEY_MS = 60_000;
/** Unknown keys remembered at most (the oldest are forgotten first). */
const UNKNOWN_KEYS_MAX = 10_000;

/**
 * Resolves `Authorization: Bearer rk_...` to a caller. A verified key is trusted for
 * `cacheMs` without asking the database again (a key revoked through another process stops
 * working within that time; through this process, at once). `lastUsedAt` is written at most
 * once a minute per key, off the request path.
 *
 * Keys are looked up by their SHA-256 (hash-map and index lookups): how long a lookup takes says
 * nothing about how much of a key is right. A key that matched nothing is not looked up again for
 * a minute, and a client address whose lookups keep failing (`failures`: a token bucket per
 * address) is refused 429 before any lookup — while keys this process has verified keep working
 * from the same address. Each distinct key's first lookup holds a token until it succeeds: more
 * distinct new keys at once than the bucket's depth (2 s of the rate) from one address get 429
 * for the excess, which their clients retry.
 */
export class Authenticator {
  private readonly cache = new Map<string, Cached>();
  private readonly unknown = new Map<string, number>();
  private readonly pending = new Map<string, Promise<Cached>>();
  /** Database lookups made (for tests and the benchmark). */
  readonly stats = { lookups: 0 };

  constructor(
    private readonly orm: Orm,
    private readonly cacheMs: number,
    private readonly clock: () => number,
    private readonly failures: RateLimiter = new RateLimiter(0),
  ) {}

  async authenticate(header: string | undefined, client = ''): Promise<KeyCaller> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    const key = m?.[1];
    if (!key || !isWellFormedKey(key)) throw new Unauthorized();
    const hash = hashApiKey(key);
    const now = this.clock();
    let entry = this.cache.get(hash);
    if (!entry || entry.expiresAt <= now) {
      const unknownUntil = this.unknown.get(hash);
      if (unknownUntil !== undefined && unknownUntil > now) throw new Unauthorized();
      // Concurrent requests with the same key share one lookup (a client's cold burst is one
      // query, and one token below, not one per request).
      let lookup = this.pending.get(hash);
      if (!lookup) {
        // A lookup of a key never verified here takes a token of its address's failure bucket
        // up front (concurrent lookups cannot overdraw it), given back unless the key turns out
        // bad. A key verified before (its cache entry only expired) is re-checked whatever its
        // address did: a flood from a shared address must not lock out the keys that work there.
        const charged = !entry;
        if (charged) this.failures.take(client);
        lookup = this.lookUp(hash, now, charged ? client : null).finally(() =>
          this.pending.delete(hash),
        );
        this.pending.set(hash, lookup);
      }
      entry = await lookup;
    }
    if (now - entry.lastUsedWrittenAt >= LAST_USED_EVERY_MS) {
      entry.lastUsedWrittenAt = now;
      void this.touch(entry.caller.orgId, entry.caller.keyId, now);
    }
    return entry.caller;
  }

  private async lookUp(hash: string, now: number, chargedTo: string | null): Promise<Cached> {
    this.stats.lookups += 1;
    let row: ApiKey | null;
    try {
      row = await this.orm.em.fork().findOne(ApiKey, { keyHash: hash, revokedAt: null });
    } catch (err) {
      // The database failing says nothing against the key.
      if (chargedTo !== null) this.failures.refund(chargedTo);
      throw err;
    }
    if (!row) {
      this.cache.delete(hash);
      this.rememberUnknown(hash, now);
      throw new Unauthorized();
    }
    if (chargedTo !== null) this.failures.refund(chargedTo);
    const entry: Cached = {
      caller: { orgId: row.orgId, keyId: row.id, permissions: row.permissions },
      expiresAt: now + this.cacheMs,
      lastUsedWrittenAt: row.lastUsedAt?.getTime() ?? 0,
    };
    this.cache.set(hash, entry);
    return entry;
  }

  private rememberUnknown(hash: string, now: number): void {
    this.unknown.delete(hash);
    if (this.unknown.size >= UNKNOWN_KEYS_MAX) {
      const oldest = this.unknown.keys().next();
      if (!oldest.done) this.unknown.delete(oldest.value);
    }
    this.unknown.set(hash, now + UNKNOWN_KEY_MS);
  }

  /** Forget a key at once in this process (revocation). */
  forgetKey(keyId: string): void {
    for (const [hash, e] of this.cache) if (e.caller.keyId === keyId) this.cache.delete(hash);
  }

  private async touch(orgId: string, keyId: string, now: number): Promise<void> {
    try {
      await this.orm.em
        .fork()
        .getConnection()
        .execute(
          `update api_key set last_used_at = ?
            where org_id = ? and id = ? and (last_used_at is null or last_used_at < ?)`,
          [new Date(now), orgId, keyId, new Date(now - LAST_USED_EVERY_MS)],
        );
    } catch {
      // Best effort: a missed lastUsedAt update is not worth failing or logging every request.
    }
  }
}
