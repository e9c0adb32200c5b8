/**
 * The one place the server reads environment variables. Everything else receives a `ServerEnv`.
 */
import { jobsEnvShape, metricsEnvShape, parseEnv } from '@reins/jobs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const intFrom = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

const schema = z.object({
  PORT: intFrom(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** A PostgreSQL URL; unset = an embedded PGlite database under REINS_DATA_DIR. */
  DATABASE_URL: z.url().optional(),
  REINS_DATA_DIR: z.string().min(1).default('./.reins'),
  /** Makes the bootstrap admin key a chosen value (automation, tests). */
  REINS_BOOTSTRAP_KEY: z
    .string()
    .regex(/^rk_[a-z0-9]+_[A-Za-z0-9]{16,}$/, 'must look like rk_<env>_<at least 16 base62 chars>')
    .optional(),
  /** The `<env>` part of new keys: rk_<env>_... */
  REINS_KEY_ENV: z
    .string()
    .regex(/^[a-z0-9]{1,12}$/)
    .default('live'),
  /** Requests per second per API key (a token bucket per process); 0 disables the limit. */
  REINS_RATE_LIMIT_RPS: intFrom(2000),
  /** Largest accepted request body, in bytes. */
  REINS_BODY_LIMIT_BYTES: intFrom(1024 * 1024, 1024),
  /** Largest accepted body of POST /api/v1/transactions/bulk (1,000 transactions with snippets). */
  REINS_BULK_BODY_LIMIT_BYTES: intFrom(8 * 1024 * 1024, 1024),
  /** Most transactions of one org written in one database transaction. */
  REINS_BATCH_MAX: intFrom(256, 1),
  /**
   * Budget leases (`on`): each process decides an org-wide window counter's spend against a
   * lease of part of its remaining budget instead of locking the counter in every batch
   * (docs/operations.md, "Budget leases"). Off by default.
   */
  REINS_BUDGET_LEASES: z.enum(['on', 'off']).default('off'),
  /** Percent of a counter's remaining headroom (under its tightest block limit) one lease takes. */
  REINS_BUDGET_LEASE_PERCENT: z.coerce.number().int().min(1).max(100).default(10),
  /** How long a lease lives unless renewed; a crashed process's leases come back after it. */
  REINS_BUDGET_LEASE_TTL_MS: intFrom(30_000, 1000),
  /** How long a verified API key is trusted without asking the database again. */
  REINS_KEY_CACHE_MS: intFrom(2000),
  /** Database pool size (a real PostgreSQL; PGlite is always one connection). */
  REINS_DB_POOL: intFrom(8, 1),
  /** The whole request (headers and body) must arrive within this; slower ones get 408. */
  REINS_REQUEST_TIMEOUT_MS: intFrom(10_000, 1000),
  /** The request's headers must arrive within this (at most REINS_REQUEST_TIMEOUT_MS). */
  REINS_HEADERS_TIMEOUT_MS: intFrom(5_000, 1000),
  /**
   * Failed key lookups per second per client address (a bucket twice that deep); past it, keys
   * this process has not verified are refused 429 before any lookup. 0 disables the limit.
   */
  REINS_AUTH_FAILURES_PER_SECOND: intFrom(20),
  /** Streamed exports (audit CSV) one API key / one organization / this process runs at once. */
  REINS_EXPORTS_PER_KEY: intFrom(2, 1),
  REINS_EXPORTS_PER_ORG: intFrom(4, 1),
  REINS_EXPORTS_MAX: intFrom(4, 1),
  /**
   * Run the worker's jobs in this process (`on`), or leave them to `pnpm worker` processes
   * (`off`). The embedded database admits one process, so with it the server always runs them.
   */
  REINS_WORKER: z.enum(['on', 'off']).default('on'),
  /**
   * `on` adds `POST /api/v1/bench/floor` for the HTTP benchmark's floor: authenticated and rate
   * limited like `POST /api/v1/transactions`, the body parsed the same way, then an answer from
   * memory (no pricing, no evaluation, no database). Never needed outside `pnpm bench`.
   */
  REINS_BENCH_FLOOR: z.enum(['on', 'off']).default('off'),
  /**
   * The first dashboard admin, created on first start (and whenever no user exists yet) with a
   * one-time sign-in link printed beside the admin key.
   */
  REINS_ADMIN_EMAIL: z
    .string()
    .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address')
    .max(254)
    .default('admin@localhost'),
  /** A dashboard session ends after this long without a request … */
  REINS_SESSION_IDLE_MS: intFrom(12 * 60 * 60 * 1000, 60_000),
  /** … and this long after signing in, whatever its use. */
  REINS_SESSION_MAX_MS: intFrom(7 * 24 * 60 * 60 * 1000, 60_000),
  /**
   * How long a verified session is trusted without asking the database again (a sign-out,
   * disabling or key revocation through this process takes effect at once; through another
   * process, within this time).
   */
  REINS_SESSION_CACHE_MS: intFrom(2000),
  /** One-time sign-in links (first admin, invitations, password resets) expire after this. */
  REINS_SIGN_IN_LINK_TTL_MS: intFrom(24 * 60 * 60 * 1000, 60_000),
  /**
   * Failed sign-ins allowed per email address and per client address within
   * REINS_LOGIN_WINDOW_MS (a bucket refilled over the window); past them, 429. 0 disables.
   */
  REINS_LOGIN_FAILURES_PER_EMAIL: intFrom(5),
  REINS_LOGIN_FAILURES_PER_IP: intFrom(20),
  REINS_LOGIN_WINDOW_MS: intFrom(15 * 60 * 1000, 1000),
  /**
   * Behind a reverse proxy (`on`): the client address and protocol come from X-Forwarded-For and
   * X-Forwarded-Proto (session cookies get `Secure` when the proxy says https). Off by default.
   */
  REINS_TRUST_PROXY: z.enum(['on', 'off']).default('off'),
  ...jobsEnvShape,
  ...metricsEnvShape,
  /**
   * Shutdown (SIGTERM, SIGINT) waits this long at most for in-flight requests, hot-path batches
   * and job runs to finish before the pool closes; past it, the process exits with status 1.
   */
  REINS_SHUTDOWN_TIMEOUT_MS: intFrom(20_000, 100),
  /**
   * The dashboard's build (apps/web/dist), served at `/`. Relative to this module, which runs from
   * src/ under tsx and from a chunk in dist/ when built: both one level below apps/server.
   */
  REINS_WEB_DIR: z
    .string()
    .min(1)
    .default(fileURLToPath(new URL('../../web/dist', import.meta.url))),
  /**
   * reins-sdk's build (packages/sdk/dist), whose standalone reins.js and reins.mjs are served at
   * /sdk/. Relative to this module, as REINS_WEB_DIR.
   */
  REINS_SDK_DIR: z
    .string()
    .min(1)
    .default(fileURLToPath(new URL('../../../packages/sdk/dist', import.meta.url))),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type ServerEnv = z.infer<typeof schema>;

/** Every variable the server reads (docs/operations.md lists each; env.test.ts checks it). */
export const SERVER_ENV_VARS = Object.keys(schema.shape);

export function readEnv(source: NodeJS.ProcessEnv = process.env): ServerEnv {
  return parseEnv(schema, source);
}

/** Defaults for tests and embedding: the same schema with nothing set. */
export function defaultEnv(overrides: Partial<ServerEnv> = {}): ServerEnv {
  return { ...schema.parse({}), ...overrides };
}
