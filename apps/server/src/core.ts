/**
 * What one server process shares between requests: the ORM, its settings, the clock, and the
 * in-process caches. Requests get a `Ctx` (one EntityManager fork each) built from it.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '@reins/db';
import type { ServerEnv } from './env.js';
import type { Authenticator } from './machinery/authenticator.js';
import type { PolicyCache } from './machinery/policyCache.js';
import type { Recorder } from './machinery/recorder.js';
import type { ServerMetrics } from './machinery/metrics.js';
import type { ExportSlots } from './machinery/exportSlots.js';
import type { OutageLog } from './machinery/outage.js';
import type { RateLimiter } from './machinery/rateLimiter.js';
import type { LoginLimiter } from './machinery/loginLimiter.js';
import type { DashboardSession, SessionStore } from './machinery/sessions.js';

export interface Core {
  orm: Orm;
  env: ServerEnv;
  /** Epoch milliseconds. Injectable so tests can pin "now" (the engine takes it as data). */
  clock: () => number;
  policies: PolicyCache;
  recorder: Recorder;
  auth: Authenticator;
  /** Dashboard sessions (the `reins_session` cookie). */
  sessions: SessionStore;
  /** Failed sign-ins per email and per client address. */
  logins: LoginLimiter;
  limiter: RateLimiter;
  /** Logs a database outage once, and its end. */
  outage: OutageLog;
  /** Streamed exports running, bounded per key, per org and in all. */
  exports: ExportSlots;
  /** Prometheus metrics (served on REINS_METRICS_PORT when set). */
  metrics: ServerMetrics;
}

/** The caller of one request: its organization and key, and a fresh EntityManager. */
export interface Ctx {
  core: Core;
  /** This request's own EntityManager fork (made on first use). */
  readonly em: EntityManager;
  orgId: string;
  /** The API key of the request (bearer, or a session signed in with a key); null for a user. */
  keyId: string | null;
  /** The dashboard user of a session signed in with a password. */
  userId: string | null;
  /** The dashboard session when the request was authenticated by the cookie. */
  session: DashboardSession | null;
  permissions: readonly string[];
  /** Who the audit log names: `key:<id>` or `user:<id>`. */
  actor: string;
  /** The request's `Idempotency-Key` header, unvalidated (services that honour it check it). */
  idempotencyKey: string | null;
}
