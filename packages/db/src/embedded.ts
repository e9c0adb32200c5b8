// An embedded PostgreSQL for development and tests without a server: PGlite (Postgres compiled to
// WASM) persisted in a directory, served over the Postgres wire protocol on 127.0.0.1 so that
// node-postgres and MikroORM connect with an ordinary URL.
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgresOptions {
  /** Where PGlite keeps its files; created if missing, reused if it holds a database. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
}

export interface EmbeddedPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  /** PGlite runs one query at a time: give the ORM a pool of exactly one connection. */
  maxConnections: 1;
  /** Close the socket server, then PGlite (which flushes its data to dataDir). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Connections the socket server accepts. The ORM keeps one, but a closing connection is released
 * asynchronously, so a reconnect right after a close would otherwise be refused.
 */
const SERVER_CONNECTIONS = 4;

/** Open (or create) the database in `dataDir` and serve it. Opening can take minutes on a busy machine. */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  await mkdir(options.dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir: options.dataDir });
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: options.port ?? 0,
    maxConnections: SERVER_CONNECTIONS,
  });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  // After start(), getServerConn() reports the port actually bound (also when asked for 0).
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    maxConnections: 1,
    stop() {
      stopping ??= (async () => {
        await server.stop();
        await db.close();
      })();
      return stopping;
    },
  };
}
