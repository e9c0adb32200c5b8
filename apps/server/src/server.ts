/**
 * Starting and stopping one server process: the database (a PostgreSQL URL, or an embedded
 * PGlite under REINS_DATA_DIR), migrations, first-start bootstrap, the HTTP listener.
 */
import type { Orm } from '@reins/db';
import {
  standardJobs,
  startMetricsListener,
  startScheduler,
  type MetricsListener,
  type Scheduler,
} from '@reins/jobs';
import { openDatabase, type Database } from '@reins/ledger';
import type { FastifyInstance } from 'fastify';
import type { Core } from './core.js';
import type { ServerEnv } from './env.js';
import { buildApp } from './http/app.js';
import { Authenticator } from './machinery/authenticator.js';
import { PolicyCache } from './machinery/policyCache.js';
import { RateLimiter } from './machinery/rateLimiter.js';
import { LoginLimiter } from './machinery/loginLimiter.js';
import { SessionStore } from './machinery/sessions.js';
import { ExportSlots } from './machinery/exportSlots.js';
import { OutageLog } from './machinery/outage.js';
import { Recorder } from './machinery/recorder.js';
import { ServerMetrics } from './machinery/metrics.js';
import { bootstrap } from './services/orgs.js';
import { signInLinkPath } from './services/users.js';
import { isDatabaseUnavailable } from './errors.js';

export function createCore(orm: Orm, env: ServerEnv, clock: () => number = Date.now): Core {
  const policies = new PolicyCache();
  // One failure bucket per client address for both ways in: bad keys and bad session cookies.
  const authFailures = new RateLimiter(env.REINS_AUTH_FAILURES_PER_SECOND);
  const metrics = new ServerMetrics();
  metrics.watchPool(orm);
  return {
    orm,
    env,
    clock,
    policies,
    metrics,
    recorder: new Recorder(orm, policies, clock, env.REINS_BATCH_MAX, metrics, {
      enabled: env.REINS_BUDGET_LEASES === 'on',
      percent: env.REINS_BUDGET_LEASE_PERCENT,
      ttlMs: env.REINS_BUDGET_LEASE_TTL_MS,
    }),
    auth: new Authenticator(orm, env.REINS_KEY_CACHE_MS, clock, authFailures),
    sessions: new SessionStore(
      orm,
      {
        idleMs: env.REINS_SESSION_IDLE_MS,
        maxMs: env.REINS_SESSION_MAX_MS,
        cacheMs: env.REINS_SESSION_CACHE_MS,
      },
      clock,
      authFailures,
    ),
    logins: new LoginLimiter({
      perEmail: env.REINS_LOGIN_FAILURES_PER_EMAIL,
      perClient: env.REINS_LOGIN_FAILURES_PER_IP,
      windowMs: env.REINS_LOGIN_WINDOW_MS,
    }),
    limiter: new RateLimiter(env.REINS_RATE_LIMIT_RPS),
    outage: new OutageLog(() => orm.em.getConnection().execute('select 1')),
    exports: new ExportSlots({
      perKey: env.REINS_EXPORTS_PER_KEY,
      perOrg: env.REINS_EXPORTS_PER_ORG,
      total: env.REINS_EXPORTS_MAX,
    }),
  };
}

/** Opens the database `env` names (ledger's `openDatabase`): PostgreSQL, or the embedded one. */
export function openServerDatabase(env: ServerEnv, holder = 'server'): Promise<Database> {
  return openDatabase(
    { url: env.DATABASE_URL, dataDir: env.REINS_DATA_DIR, pool: env.REINS_DB_POOL },
    holder,
  );
}

export interface RunningServer {
  app: FastifyInstance;
  core: Core;
  db: Database;
  /** `http://host:port` */
  url: string;
  /** The admin key created on first start (null when the database already had organizations). */
  bootstrapKey: string | null;
  /**
   * The first dashboard admin created on this start (no user existed yet) and the path of their
   * one-time sign-in link (`/sign-in/link#token=…`, shown once); null otherwise.
   */
  bootstrapAdmin: { email: string; signInPath: string } | null;
  /** The worker's jobs when this process runs them (REINS_WORKER, embedded database). */
  jobs: Scheduler | undefined;
  /** `GET /metrics` on REINS_METRICS_HOST:REINS_METRICS_PORT, when that port is set. */
  metrics: MetricsListener | undefined;
  /**
   * Stops taking requests (new connections are refused, new requests on open ones get 503),
   * lets the requests in flight, the hot path's batches and the job runs in progress finish,
   * then closes the database pool.
   */
  close(): Promise<void>;
}

export async function startServer(
  env: ServerEnv,
  opts: { clock?: () => number; db?: Database } = {},
): Promise<RunningServer> {
  const db = opts.db ?? (await openServerDatabase(env));
  const clock = opts.clock ?? Date.now;
  const boot = await bootstrap(db.orm, {
    keyEnv: env.REINS_KEY_ENV,
    secret: env.REINS_BOOTSTRAP_KEY,
    adminEmail: env.REINS_ADMIN_EMAIL,
    linkTtlMs: env.REINS_SIGN_IN_LINK_TTL_MS,
    now: new Date(clock()),
  });
  const core = createCore(db.orm, env, clock);
  const app = await buildApp(core);
  const address = await app.listen({ port: env.PORT, host: env.HOST });
  // The worker's jobs (audit sealing, hold expiry, rollups, deliveries …) in this process, unless
  // separate `pnpm worker` processes run them. The embedded database admits no other process.
  const inProcess = env.REINS_WORKER === 'on' || db.mode === 'embedded';
  const jobs = inProcess
    ? startScheduler(db.orm, standardJobs(env), {
        clock,
        log: app.log,
        observer: core.metrics.watchJobs(db.orm),
        onError: (_job, err) => {
          if (!isDatabaseUnavailable(err)) return false;
          core.outage.unavailable(app.log, err);
          return true;
        },
      })
    : undefined;
  const metrics =
    env.REINS_METRICS_PORT === undefined
      ? undefined
      : await startMetricsListener(
          core.metrics.registry,
          env.REINS_METRICS_HOST,
          env.REINS_METRICS_PORT,
        );
  let closing: Promise<void> | undefined;
  return {
    app,
    core,
    db,
    url: address,
    bootstrapKey: boot.key?.key ?? null,
    bootstrapAdmin: boot.admin
      ? { email: boot.admin.email, signInPath: signInLinkPath(boot.admin.token) }
      : null,
    jobs,
    metrics,
    close() {
      closing ??= (async () => {
        // The listener first (no new work), the jobs alongside; then every batch still queued
        // or being written (a request whose client left still has one), then the pool.
        // Node closes the connections idle at close() only: one that was busy then and is idle
        // once its answer has gone would be kept alive (72 s) and hold the close. Reap them.
        const reaper = setInterval(() => {
          app.server.closeIdleConnections();
        }, 50);
        try {
          await Promise.all([app.close(), jobs?.stop()]);
        } finally {
          clearInterval(reaper);
        }
        await core.recorder.drain();
        // Budget leases go back now: held by a process that is gone, they would count as spent
        // until they expired.
        await core.recorder.returnLeases().catch((err: unknown) => {
          app.log.error({ err }, 'returning budget leases failed; they come back when they expire');
        });
        core.outage.stop();
        await metrics?.close();
        if (!opts.db) await db.close();
      })();
      return closing;
    },
  };
}
