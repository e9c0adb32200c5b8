/**
 * Starting and stopping one server process: the database (a PostgreSQL URL, or an embedded
 * PGlite under REINS_DATA_DIR), migrations, first-start bootstrap, the HTTP listener.
 */
import { resolve } from 'node:path';
import { initOrm, migrateUp, startEmbeddedPostgres, withMigrationLock, type Orm } from '@reins/db';
import type { FastifyInstance } from 'fastify';
import type { Core } from './core.js';
import type { ServerEnv } from './env.js';
import { buildApp } from './http/app.js';
import { lockDataDir } from './lib/dataDirLock.js';
import { Authenticator } from './services/auth.js';
import { startSealer } from './services/auditChain.js';
import { bootstrap } from './services/orgs.js';
import { PolicyCache } from './services/policyCache.js';
import { RateLimiter } from './services/rateLimit.js';
import { Recorder } from './services/recorder.js';

export function createCore(orm: Orm, env: ServerEnv, clock: () => number = Date.now): Core {
  const policies = new PolicyCache();
  return {
    orm,
    env,
    clock,
    policies,
    recorder: new Recorder(orm, policies, clock, env.REINS_BATCH_MAX),
    auth: new Authenticator(orm, env.REINS_KEY_CACHE_MS, clock),
    limiter: new RateLimiter(env.REINS_RATE_LIMIT_RPS),
  };
}

export interface Database {
  orm: Orm;
  /** 'embedded' when the server launched PGlite itself. */
  mode: 'postgres' | 'embedded';
  /** Names of the migrations this open applied (empty when the schema was current). */
  migrations?: string[];
  close(): Promise<void>;
}

/**
 * Connects (launching PGlite when there is no DATABASE_URL) and applies pending migrations.
 * An embedded database is locked to this process until `close()` (lib/dataDirLock.ts: PGlite
 * itself does not stop a second process); `holder` names the opener in the lock file.
 */
export async function openDatabase(env: ServerEnv, holder = 'server'): Promise<Database> {
  if (env.DATABASE_URL) {
    const url = env.DATABASE_URL;
    const orm = await initOrm(url, { maxConnections: env.REINS_DB_POOL });
    let migrations: string[];
    try {
      // Several processes may start at once on one database: they migrate one at a time.
      migrations = await withMigrationLock(url, () => migrateUp(orm));
    } catch (error) {
      await orm.close();
      throw error;
    }
    return { orm, mode: 'postgres', migrations, close: () => orm.close() };
  }
  const dataDir = resolve(env.REINS_DATA_DIR, 'pgdata');
  const unlock = await lockDataDir(`${dataDir}.lock`, holder);
  let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  try {
    embedded = await startEmbeddedPostgres({ dataDir });
    const pglite = embedded;
    const orm = await initOrm(pglite.url, { maxConnections: pglite.maxConnections });
    let migrations: string[];
    try {
      migrations = await migrateUp(orm);
    } catch (error) {
      await orm.close();
      throw error;
    }
    return {
      orm,
      mode: 'embedded',
      migrations,
      async close() {
        try {
          await orm.close();
          await pglite.stop();
        } finally {
          await unlock();
        }
      },
    };
  } catch (error) {
    try {
      await embedded?.stop();
    } finally {
      await unlock();
    }
    throw error;
  }
}

export interface RunningServer {
  app: FastifyInstance;
  core: Core;
  db: Database;
  /** `http://host:port` */
  url: string;
  /** The admin key created on first start (null when the database already had organizations). */
  bootstrapKey: string | null;
  close(): Promise<void>;
}

export async function startServer(
  env: ServerEnv,
  opts: { clock?: () => number; db?: Database } = {},
): Promise<RunningServer> {
  const db = opts.db ?? (await openDatabase(env));
  const clock = opts.clock ?? Date.now;
  const boot = await bootstrap(db.orm, {
    keyEnv: env.REINS_KEY_ENV,
    secret: env.REINS_BOOTSTRAP_KEY,
    now: new Date(clock()),
  });
  const core = createCore(db.orm, env, clock);
  const app = await buildApp(core);
  const address = await app.listen({ port: env.PORT, host: env.HOST });
  // Extends each organization's audit hash chain behind the hot path (services/auditChain.ts).
  const sealer =
    env.REINS_AUDIT_SEAL_MS > 0
      ? startSealer(db.orm, {
          intervalMs: env.REINS_AUDIT_SEAL_MS,
          onError: (err) => {
            app.log.error({ err }, 'audit sealing failed');
          },
        })
      : undefined;
  let closing: Promise<void> | undefined;
  return {
    app,
    core,
    db,
    url: address,
    bootstrapKey: boot?.key.key ?? null,
    close() {
      closing ??= (async () => {
        await sealer?.stop();
        await app.close();
        if (!opts.db) await db.close();
      })();
      return closing;
    },
  };
}
