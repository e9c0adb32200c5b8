/** `pnpm start`: one server process, configured by the environment (src/env.ts). */
import { xidShiftLog } from '@reins/db';
import { readEnv } from './env.js';
import { startServer } from './server.js';

const env = readEnv();
if (!env.DATABASE_URL) {
  console.log(`Reins: no DATABASE_URL, starting the embedded database in ${env.REINS_DATA_DIR} …`);
}
const server = await startServer(env);
console.log(
  `Reins listening on ${server.url} (${server.db.mode === 'embedded' ? 'embedded PGlite' : 'PostgreSQL'})`,
);
if (server.metrics) console.log(`Reins metrics on ${server.metrics.url}/metrics`);
if (server.db.xidShift) server.app.log.warn(...xidShiftLog(server.db.xidShift));
if (server.bootstrapKey) {
  console.log('');
  console.log('  First start: created an organization and its admin API key (shown once):');
  console.log(`    ${server.bootstrapKey}`);
  console.log('');
}
if (server.bootstrapAdmin) {
  if (!server.bootstrapKey) console.log('');
  console.log(
    `  Sign in to the dashboard as ${server.bootstrapAdmin.email} (one-time link, valid ` +
      `${String(Math.round(env.REINS_SIGN_IN_LINK_TTL_MS / 3_600_000))} h; ` +
      '`pnpm reins users reset-password` makes a new one):',
  );
  console.log(`    Sign in to the dashboard: ${server.url}${server.bootstrapAdmin.signInPath}`);
  console.log('');
}

// SIGTERM/SIGINT: stop taking requests, let those in flight, the hot path's batches and the job
// runs finish, close the pool, exit 0; past REINS_SHUTDOWN_TIMEOUT_MS, exit 1 (server.ts: close).
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    const log = server.app.log;
    console.log(`Reins: ${signal}, shutting down …`);
    log.info({ signal }, 'shutting down: no new requests, finishing those in flight');
    const timer = setTimeout(() => {
      log.error(
        { timeoutMs: env.REINS_SHUTDOWN_TIMEOUT_MS },
        'shutdown timed out: exiting with work unfinished',
      );
      process.exit(1);
    }, env.REINS_SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    server.close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
