import pg from 'pg';

/** Quote an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The same server URL with another database name. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Create `database` on the server of `serverUrl` unless it exists; returns its URL. */
export async function ensureDatabase(serverUrl: string, database: string): Promise<string> {
  await withClient(serverUrl, async (client) => {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`create database ${quoteIdent(database)}`);
  });
  return withDatabase(serverUrl, database);
}

/** Create a fresh `database` (fails if it exists); returns its URL. */
export async function createDatabase(serverUrl: string, database: string): Promise<string> {
  await withClient(serverUrl, (client) => client.query(`create database ${quoteIdent(database)}`));
  return withDatabase(serverUrl, database);
}

/** Drop `database`, disconnecting whoever is still on it (PostgreSQL 13+). */
export async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  await withClient(serverUrl, (client) =>
    client.query(`drop database if exists ${quoteIdent(database)} with (force)`),
  );
}

/** Lock id for schema migrations (any fixed bigint; shared by every Reins process). */
const MIGRATION_LOCK = 72_625_370_001;

/**
 * Runs `fn` while holding an advisory lock on the database of `url`, so that several processes
 * starting at once on one database migrate one after the other. The lock is a transaction's
 * (`pg_advisory_xact_lock` on a connection of its own, whose transaction stays open while `fn`
 * runs on others): a session lock would outlive its client behind a pooler in transaction mode,
 * which hands the server connection — and the lock — to whoever comes next (docs/operations.md).
 */
export async function withMigrationLock<T>(url: string, fn: () => Promise<T>): Promise<T> {
  return withClient(url, async (client) => {
    await client.query('begin');
    try {
      await client.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const out = await fn();
      await client.query('commit');
      return out;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    }
  });
}
