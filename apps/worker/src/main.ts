/**
 * `pnpm worker`: the background jobs alone, beside any number of servers (run them with
 * REINS_WORKER=off) and other workers on one PostgreSQL. SIGTERM/SIGINT: finish the runs in
 * progress, close the pool, then exit (1 when that takes longer than REINS_SHUTDOWN_TIMEOUT_MS).
 * With REINS_METRICS_PORT, Prometheus metrics at `/metrics` on a port of its own: the jobs' runs
 * and lag, the outbox and the unsealed audit events, the pool, the process.
 */
import {
  jobMetrics,
  loggerOptions,
  newRegistry,
  registerBacklogMetrics,
  registerPoolMetrics,
  standardJobs,
  startMetricsListener,
  startScheduler,
} from '@reins/jobs';
import { xidShiftLog } from '@reins/db';
import { openDatabase } from '@reins/ledger';
import { readEnv, type WorkerEnv } from './env.js';
import { pino } from 'pino';

let env: WorkerEnv;
try {
  env = readEnv();
} catch (err) {
  console.error(`Reins worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}
// JSON lines (pino, like the server's), secrets censored by the same paths.
const log = pino(loggerOptions(env.LOG_LEVEL));
const db = await openDatabase(
  { url: env.DATABASE_URL, dataDir: '', pool: env.REINS_DB_POOL },
  'worker',
);
if (db.xidShift) log.warn(...xidShiftLog(db.xidShift));
const registry = newRegistry('worker');
registerPoolMetrics(registry, db.orm);
registerBacklogMetrics(registry, db.orm);
const jobs = standardJobs(env);
const scheduler = startScheduler(db.orm, jobs, { log, observer: jobMetrics(registry) });
const metrics =
  env.REINS_METRICS_PORT === undefined
    ? undefined
    : await startMetricsListener(registry, env.REINS_METRICS_HOST, env.REINS_METRICS_PORT);
log.info(
  { jobs: jobs.map((j) => j.name), metrics: metrics ? `${metrics.url}/metrics` : null },
  'Reins worker started',
);

// The scheduler's timers do not hold the process open; this does, until a signal.
const keepAlive = setInterval(() => undefined, 1 << 30);
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'Reins worker stopping');
    clearInterval(keepAlive);
    setTimeout(() => {
      log.error({ timeoutMs: env.REINS_SHUTDOWN_TIMEOUT_MS }, 'Reins worker: shutdown timed out');
      process.exit(1);
    }, env.REINS_SHUTDOWN_TIMEOUT_MS).unref();
    scheduler
      .stop()
      .then(() => metrics?.close())
      .then(() => db.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'Reins worker failed to stop cleanly');
          process.exit(1);
        },
      );
  });
}
