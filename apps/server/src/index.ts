/** What other packages import from the server: the typed router (for tRPC clients) and startup. */
export type { AppRouter } from './trpc/routers/_app.js';
export { startServer, openServerDatabase, createCore, type RunningServer } from './server.js';
export { readEnv, defaultEnv, type ServerEnv } from './env.js';
