import { createHash, randomBytes } from 'node:crypto';
import type { Orm } from '@reins/db';
import { Unauthorized } from '../errors.js';
import { permissionsOf, type Role } from '../lib/apiKeys.js';
import type { Caller, SessionInfo } from './authenticator.js';
import { RateLimiter } from './rateLimiter.js';

/** The session cookie's token: 32 random bytes, base64url. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const SESSION_EXPIRED = 'Not signed in, or the session has ended; sign in again';

/** A new random token (session cookies, CSRF tokens, sign-in links): 256 bits, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function isWellFormedToken(token: string): boolean {
  return TOKEN.test(token);
}

/** The SHA-256 (hex) under which a token is stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface SessionUser {
  id: string;
  email: string;
  name: string | null;
  role: Role;
}

/** What a cookie-authenticated caller carries about its session (GET /api/auth/session). */
export interface DashboardSession extends SessionInfo {
  user: SessionUser | null;
  orgName: string;
}

export interface SessionCaller extends Caller {
  session: DashboardSession;
}

interface Cached {
  caller: SessionCaller;
  lastSeenAt: number;
  /** Absolute end (sign-in + REINS_SESSION_MAX_MS). */
  endsAt: number;
  /** Trusted without a lookup until then. */
  until: number;
}

interface Row {
  id: string;
  org_id: string;
  user_id: string | null;
  key_id: string | null;
  csrf_token: string;
  last_seen_at: Date | string;
  expires_at: Date | string;
  org_name: string;
  email: string | null;
  user_name: string | null;
  role: Role | null;
  disabled_at: Date | string | null;
  key_permissions: string[] | string | null;
  revoked_at: Date | string | null;
}

const ms = (v: Date | string) => new Date(v).getTime();

/** Cached sessions kept before the ones no longer trusted are swept away. */
const CACHE_SWEEP_AT = 10_000;

/**
 * Resolves the `reins_session` cookie to a caller: the session row (by the token's SHA-256) with
 * its user or key, trusted for `cacheMs` without asking the database again. A session ends after
 * `idleMs` without a request or `maxMs` after sign-in; deleting it (sign-out, password reset),
 * disabling its user or revoking its key ends it at once in this process (`forget*`), and within
 * `cacheMs` in others. `last_seen_at` is written at most once a minute per session.
 */
export class SessionStore {
  private readonly cache = new Map<string, Cached>();
  readonly stats = { lookups: 0 };

  constructor(
    private readonly orm: Orm,
    readonly opts: { idleMs: number; maxMs: number; cacheMs: number },
    private readonly clock: () => number,
    /** Failed lookups per client address (shared with the Authenticator's). */
    private readonly failures: RateLimiter = new RateLimiter(0),
  ) {}

  /** How often `last_seen_at` is written: a minute, or less for short idle timeouts. */
  private get touchEveryMs(): number {
    return Math.min(60_000, Math.floor(this.opts.idleMs / 10));
  }

  /**
   * A cookie this process has not verified takes a token of its address's failure bucket for its
   * lookup, given back when it names a live session: a flood of made-up cookies from one address
   * gets 429 before it costs the database a lookup each, as made-up keys do.
   */
  async authenticate(token: string, client = ''): Promise<SessionCaller> {
    if (!isWellFormedToken(token)) throw new Unauthorized(SESSION_EXPIRED);
    const id = hashToken(token);
    const now = this.clock();
    let entry = this.cache.get(id);
    if (!entry || entry.until <= now) {
      const seen = entry?.lastSeenAt ?? 0;
      const charged = !entry;
      if (charged) this.failures.take(client);
      try {
        entry = await this.lookUp(id, now);
      } catch (err) {
        // Only a session that is not there counts against the address, not a database failure.
        if (charged && !(err instanceof Unauthorized)) this.failures.refund(client);
        throw err;
      }
      if (charged) this.failures.refund(client);
      // This process may have seen it used more recently than the row says (a write under way).
      entry.lastSeenAt = Math.max(entry.lastSeenAt, seen);
    }
    const idleEnd = entry.lastSeenAt + this.opts.idleMs;
    if (now >= idleEnd || now >= entry.endsAt) {
      this.cache.delete(id);
      void this.remove(entry.caller.orgId, id);
      throw new Unauthorized(SESSION_EXPIRED);
    }
    if (now - entry.lastSeenAt >= this.touchEveryMs) {
      entry.lastSeenAt = now;
      // Awaited (once a minute per session at most): another process must see the session alive.
      await this.touch(entry.caller.orgId, id, now);
    }
    const expiresAt = Math.min(entry.lastSeenAt + this.opts.idleMs, entry.endsAt);
    return { ...entry.caller, session: { ...entry.caller.session, expiresAt } };
  }

  private async lookUp(id: string, now: number): Promise<Cached> {
    this.stats.lookups += 1;
    const rows: Row[] = await this.orm.em
      .fork()
      .getConnection()
      .execute(
        `select s.id, s.org_id, s.user_id, s.key_id, s.csrf_token, s.last_seen_at, s.expires_at,
              o.name as org_name, u.email, u.name as user_name, u.role, u.disabled_at,
              k.permissions as key_permissions, k.revoked_at
         from user_session s
         join organization o on o.id = s.org_id
         left join app_user u on u.org_id = s.org_id and u.id = s.user_id
         left join api_key k on k.org_id = s.org_id and k.id = s.key_id
        where s.id = ?`,
        [id],
        'all',
      );
    const row = rows[0];
    const alive =
      row !== undefined &&
      ((row.user_id !== null && row.role !== null && row.disabled_at === null) ||
        (row.key_id !== null && row.key_permissions !== null && row.revoked_at === null));
    if (!row || !alive) {
      this.cache.delete(id);
      if (row) void this.remove(row.org_id, id);
      throw new Unauthorized(SESSION_EXPIRED);
    }
    const user =
      row.user_id !== null && row.role !== null
        ? { id: row.user_id, email: row.email ?? '', name: row.user_name, role: row.role }
        : null;
    const permissions = user
      ? permissionsOf(user.role)
      : typeof row.key_permissions === 'string'
        ? (JSON.parse(row.key_permissions) as string[])
        : (row.key_permissions ?? []);
    const entry: Cached = {
      caller: {
        orgId: row.org_id,
        keyId: row.key_id,
        userId: row.user_id,
        permissions,
        actor: user ? `user:${user.id}` : `key:${row.key_id ?? ''}`,
        session: {
          id,
          csrfToken: row.csrf_token,
          expiresAt: ms(row.expires_at),
          user,
          orgName: row.org_name,
        },
      },
      lastSeenAt: ms(row.last_seen_at),
      endsAt: ms(row.expires_at),
      until: now + this.opts.cacheMs,
    };
    if (this.cache.size >= CACHE_SWEEP_AT) this.sweep(now);
    this.cache.set(id, entry);
    return entry;
  }

  /** Forgets entries no longer trusted (they would be looked up again anyway). */
  private sweep(now: number): void {
    for (const [id, e] of this.cache) if (e.until <= now) this.cache.delete(id);
  }

  /** Forget session `id` (its row was deleted: sign-out). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  /** Forget every session of a user (disabled, role changed, password reset). */
  forgetUser(userId: string): void {
    for (const [id, e] of this.cache) if (e.caller.userId === userId) this.cache.delete(id);
  }

  /** Forget every session signed in with a key (revoked). */
  forgetKey(keyId: string): void {
    for (const [id, e] of this.cache) if (e.caller.keyId === keyId) this.cache.delete(id);
  }

  private async remove(orgId: string, id: string): Promise<void> {
    try {
      await this.orm.em
        .fork()
        .getConnection()
        .execute('delete from user_session where org_id = ? and id = ?', [orgId, id]);
    } catch {
      // Best effort: an expired session is refused whether or not its row is gone.
    }
  }

  private async touch(orgId: string, id: string, now: number): Promise<void> {
    try {
      await this.orm.em
        .fork()
        .getConnection()
        .execute(
          'update user_session set last_seen_at = ? where org_id = ? and id = ? and last_seen_at < ?',
          [new Date(now), orgId, id, new Date(now)],
        );
    } catch {
      // Best effort, as api_key.last_used_at.
    }
  }
}
