// Databases for tests. With TEST_DATABASE_URL (or DATABASE_URL) set, each call creates a fresh
// database on that PostgreSQL server; without, it starts an embedded PGlite in a temp directory.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, dropDatabase } from './admin.js';
import { startEmbeddedPostgres } from './embedded.js';
import { initOrm, migrateUp, type Orm } from './orm.js';

export interface TestDatabase {
  url: string;
  /** Pool size to use: 1 for embedded PGlite. */
  maxConnections: number;
  /** Drop the database (or stop PGlite and delete its directory). */
  drop(): Promise<void>;
}

/** The PostgreSQL server tests should use, if any. */
export function testServerUrl(): string | undefined {
  const env = process.env;
  return env.TEST_DATABASE_URL || env.DATABASE_URL || undefined;
}

/** `reins_test_<name>_<random>`, within PostgreSQL's 63-byte identifier limit. */
function testDatabaseName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 40);
  return `reins_test_${slug}_${randomBytes(4).toString('hex')}`;
}

export async function createTestDatabase(name: string): Promise<TestDatabase> {
  const serverUrl = testServerUrl();
  if (serverUrl) {
    const database = testDatabaseName(name);
    const url = await createDatabase(serverUrl, database);
    return { url, maxConnections: 5, drop: () => dropDatabase(serverUrl, database) };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'reins-pglite-'));
  try {
    const embedded = await startEmbeddedPostgres({ dataDir });
    return {
      url: embedded.url,
      maxConnections: embedded.maxConnections,
      async drop() {
        await embedded.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

export interface TestOrm {
  orm: Orm;
  url: string;
  maxConnections: number;
  /** Close the ORM, then drop the database. */
  close(): Promise<void>;
}

/**
 * A fresh database, an ORM on it, and the migrations applied (`migrate: false`: none, for a test
 * of a migration on the data that came before it).
 */
export async function createTestOrm(
  name: string,
  opts: { debug?: boolean; migrate?: boolean } = {},
): Promise<TestOrm> {
  const db = await createTestDatabase(name);
  let orm: Orm;
  try {
    orm = await initOrm(db.url, { maxConnections: db.maxConnections, debug: opts.debug ?? false });
  } catch (error) {
    await db.drop();
    throw error;
  }
  try {
    if (opts.migrate ?? true) await migrateUp(orm);
  } catch (error) {
    await orm.close();
    await db.drop();
    throw error;
  }
  return {
    orm,
    url: db.url,
    maxConnections: db.maxConnections,
    async close() {
      await orm.close();
      await db.drop();
    },
  };
}

type Hook = (fn: () => Promise<void>, timeout?: number) => void;

/** Long enough for embedded PGlite to open on a loaded machine. */
export const TEST_DB_TIMEOUT_MS = 300_000;

/**
 * One migrated database per test file, created in `beforeAll` and dropped in `afterAll`:
 *
 *   const db = useTestOrm('records', { beforeAll, afterAll });
 *   it('…', async () => { const em = db.orm.em.fork(); … });
 *
 * The hooks are passed in so this module does not import vitest.
 */
export function useTestOrm(
  name: string,
  hooks: { beforeAll: Hook; afterAll: Hook },
  opts: { migrate?: boolean } = {},
): { readonly orm: Orm; readonly url: string } {
  let current: TestOrm | undefined;
  hooks.beforeAll(async () => {
    current = await createTestOrm(name, opts);
  }, TEST_DB_TIMEOUT_MS);
  hooks.afterAll(async () => {
    await current?.close();
    current = undefined;
  }, TEST_DB_TIMEOUT_MS);
  const get = (): TestOrm => {
    if (!current) throw new Error('useTestOrm: the database exists only inside tests (beforeAll)');
    return current;
  };
  return {
    get orm() {
      return get().orm;
    },
    get url() {
      return get().url;
    },
  };
}
