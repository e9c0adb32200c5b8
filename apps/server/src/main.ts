/** `pnpm start`: one server process, configured by the environment (src/env.ts). */
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

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`Reins: ${signal}, shutting down …`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
