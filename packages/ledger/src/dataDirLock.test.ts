import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLocked, lockDataDir } from './dataDirLock.js';

let dir: string;
let lock: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reins-lock-'));
  await mkdir(join(dir, 'data'));
  lock = join(dir, 'data', 'pgdata.lock');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A pid that was just in use and is not any more. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('lockDataDir', () => {
  it('creates the directory, writes who holds it, and removes the file on release', async () => {
    await rm(join(dir, 'data'), { recursive: true });
    const release = await lockDataDir(lock, 'server');
    expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({
      pid: process.pid,
      command: 'server',
    });
    await release();
    await expect(readFile(lock)).rejects.toMatchObject({ code: 'ENOENT' });
    await release();
  });

  it('refuses while a live process holds it, naming that process', async () => {
    const release = await lockDataDir(lock, 'server');
    try {
      // The same process again is a second PGlite on one directory too.
      await expect(lockDataDir(lock, 'cli orgs list')).rejects.toBeInstanceOf(DataDirLocked);
    } finally {
      await release();
    }
    await writeFile(
      lock,
      JSON.stringify({
        pid: process.ppid,
        host: 'h',
        since: '2026-01-01T00:00:00Z',
        command: 'server',
      }),
    );
    await expect(lockDataDir(lock, 'cli')).rejects.toThrow(
      `in use by process ${process.ppid} on h (server, since 2026-01-01T00:00:00Z)`,
    );
  });

  it('takes over a lock whose process is gone', async () => {
    const pid = deadPid();
    await writeFile(lock, JSON.stringify({ pid, host: 'h', since: 'then', command: 'server' }));
    const release = await lockDataDir(lock, 'server');
    expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({ pid: process.pid });
    await release();
  });

  it('takes over a lock naming its own pid from an earlier life (a restarted container)', async () => {
    await writeFile(
      lock,
      JSON.stringify({ pid: process.pid, host: 'old', since: 'then', command: 'server' }),
    );
    const release = await lockDataDir(lock, 'server');
    expect(JSON.parse(await readFile(lock, 'utf8'))).not.toMatchObject({ host: 'old' });
    await release();
  });

  it('treats an unreadable lock file as held while it is fresh', async () => {
    await writeFile(lock, '');
    await expect(lockDataDir(lock, 'cli')).rejects.toThrow('in use by another process');
  });
});
