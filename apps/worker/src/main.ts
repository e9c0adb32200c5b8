/**
 * `pnpm worker`: the background jobs alone, beside any number of servers (run them with
 * REINS_WORKER=off) and other workers on one PostgreSQL. SIGTERM/SIGINT: finish the runs in
 * progress, then exit.
 */
import { standardJobs, startScheduler } from '@reins/jobs';
import { openDatabase } from '@reins/ledger';
import { readEnv, type WorkerEnv } from './env.js';
import { jsonLog } from './log.js';

let env: WorkerEnv;
try {
  env = readEnv();
} catch (err) {
  console.error(`Reins worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}
const log = jsonLog(env.LOG_LEVEL);
const db = await openDatabase(
  { url: env.DATABASE_URL, dataDir: '', pool: env.REINS_DB_POOL },
  'worker',
);
const jobs = standardJobs(env);
const scheduler = startScheduler(db.orm, jobs, { log });
log.info({ jobs: jobs.map((j) => j.name) }, 'Reins worker started');

// The scheduler's timers do not hold the process open; this does, until a signal.
const keepAlive = setInterval(() => undefined, 1 << 30);
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'Reins worker stopping');
    clearInterval(keepAlive);
    scheduler
      .stop()
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
