/**
 * Opening the database every Reins process works on: a PostgreSQL URL, or an embedded PGlite
 * under a data directory (locked to one process: see dataDirLock.ts). Pending migrations are
 * applied on open, and the audit xid shift raised if a restore calls for it (@reins/db xidShift.ts).
 */
import { resolve } from 'node:path';
import {
  alignXidShift,
  initOrm,
  migrateUp,
  startEmbeddedPostgres,
  withMigrationLock,
  type Orm,
  type XidShift,
} from '@reins/db';
import { lockDataDir } from './dataDirLock.js';

export interface DatabaseOptions {
  /** A PostgreSQL URL; unset = the embedded database in `dataDir`. */
  url?: string | undefined;
  /** Where the embedded database lives (its files are in `<dataDir>/pgdata`). */
  dataDir: string;
  /** Pool size for PostgreSQL (the embedded database always uses one connection). */
  pool: number;
}

export interface Database {
  orm: Orm;
  /** 'embedded' when this process launched PGlite itself. */
  mode: 'postgres' | 'embedded';
  /** Names of the migrations this open applied (empty when the schema was current). */
  migrations?: string[];
  /** The audit xid shift this open raised (after a logical restore into another cluster). */
  xidShift?: XidShift | null;
  close(): Promise<void>;
}

/**
 * Connects (launching PGlite when there is no URL) and applies pending migrations. An embedded
 * database is locked to this process until `close()` (PGlite itself does not stop a second
 * process); `holder` names the opener in the lock file.
 */
export async function openDatabase(opts: DatabaseOptions, holder = 'server'): Promise<Database> {
  if (opts.url) {
    const url = opts.url;
    const orm = await initOrm(url, { maxConnections: opts.pool });
    let opened: { migrations: string[]; xidShift: XidShift | null };
    try {
      // Several processes may start at once on one database: they migrate one at a time.
      opened = await withMigrationLock(url, () => prepare(orm));
    } catch (error) {
      await orm.close();
      throw error;
    }
    return { orm, mode: 'postgres', ...opened, close: () => orm.close() };
  }
  const dataDir = resolve(opts.dataDir, 'pgdata');
  const unlock = await lockDataDir(`${dataDir}.lock`, holder);
  let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  try {
    embedded = await startEmbeddedPostgres({ dataDir });
    const pglite = embedded;
    const orm = await initOrm(pglite.url, { maxConnections: pglite.maxConnections });
    let opened: { migrations: string[]; xidShift: XidShift | null };
    try {
      opened = await prepare(orm);
    } catch (error) {
      await orm.close();
      throw error;
    }
    return {
      orm,
      mode: 'embedded',
      ...opened,
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

/** Before the process writes: pending migrations, then the xid shift a restore may call for. */
async function prepare(orm: Orm): Promise<{ migrations: string[]; xidShift: XidShift | null }> {
  const migrations = await migrateUp(orm);
  return { migrations, xidShift: await alignXidShift(orm) };
}
