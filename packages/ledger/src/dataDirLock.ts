/**
 * One process at a time on an embedded database directory.
 *
 * PGlite takes no lock of its own: a second process opens the same directory without complaint,
 * and the two then overwrite each other's pages (rows and whole tables are lost). So whoever
 * launches PGlite (the server, the CLI) first creates `<dir>.lock` holding its pid. A lock whose
 * process is gone (a crash, a kill -9) is stale and taken over.
 */
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** What holds it ("server", "cli migrate", …). */
  command: string;
}

export class DataDirLocked extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder | null,
  ) {
    const who = holder
      ? `process ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.since})`
      : 'another process';
    super(
      `The embedded database is in use by ${who}. Only one process can open it at a time: stop ` +
        `that process first (or use the running server's HTTP API, or point DATABASE_URL at a ` +
        `PostgreSQL server). If no such process is running, delete ${lockPath}.`,
    );
    this.name = 'DataDirLocked';
  }
}

/** Paths locked by this process: a second open in the same process is a conflict too. */
const heldHere = new Set<string>();

/** A lock file still being written by its creator: not yet readable, not stale. */
const FRESH_MS = 10_000;

function errno(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

function parseHolder(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0) return null;
    return {
      pid: v.pid,
      host: typeof v.host === 'string' ? v.host : '?',
      since: typeof v.since === 'string' ? v.since : '?',
      command: typeof v.command === 'string' ? v.command : '?',
    };
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return errno(error) === 'EPERM';
  }
}

/** Is the lock at `path` held by a live process? (null holder: unreadable but fresh.) */
async function liveHolder(path: string): Promise<{ live: boolean; holder: LockHolder | null }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errno(error) === 'ENOENT') return { live: false, holder: null };
    throw error;
  }
  const holder = parseHolder(text);
  if (!holder) {
    const age = await stat(path).then(
      (s) => Date.now() - s.mtimeMs,
      () => Infinity,
    );
    return { live: age < FRESH_MS, holder: null };
  }
  // Our own pid in a lock we do not hold: a previous incarnation (a container restarted as pid 1).
  if (holder.pid === process.pid) return { live: heldHere.has(path), holder };
  return { live: isRunning(holder.pid), holder };
}

/**
 * Takes the lock file `path` (creating its directory), or throws DataDirLocked. Returns the
 * release function (idempotent).
 */
export async function lockDataDir(path: string, command: string): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true });
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    command,
  };
  for (let attempt = 0; ; attempt++) {
    if (heldHere.has(path)) throw new DataDirLocked(path, me);
    try {
      const file = await open(path, 'wx');
      try {
        await file.writeFile(`${JSON.stringify(me)}\n`);
      } finally {
        await file.close();
      }
      break;
    } catch (error) {
      if (errno(error) !== 'EEXIST') throw error;
    }
    const { live, holder } = await liveHolder(path);
    if (live || attempt > 0) throw new DataDirLocked(path, holder);
    // Stale: its process is gone. Remove it and try once more.
    await unlink(path).catch((error: unknown) => {
      if (errno(error) !== 'ENOENT') throw error;
    });
  }
  heldHere.add(path);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    heldHere.delete(path);
    try {
      const holder = parseHolder(await readFile(path, 'utf8'));
      if (holder?.pid === me.pid && holder.since === me.since) await unlink(path);
    } catch (error) {
      if (errno(error) !== 'ENOENT') throw error;
    }
  };
}
