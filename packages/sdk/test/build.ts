/**
 * The built SDK (dist/) for the tests that use it as users get it (the packed tarball, the
 * standalone reins.js): built once when missing or older than its sources, by one test file at a
 * time (a lock directory), since tsup cleans dist/ first and test files run in parallel.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const sdkDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const repoDir = resolve(sdkDir, '../..');
/** What every entry is built to (the rest are chunks they import). */
export const BUILT = [
  'index.js',
  'index.cjs',
  'index.d.ts',
  'index.d.cts',
  'trpc.js',
  'trpc.cjs',
  'trpc.d.ts',
  'trpc.d.cts',
  'local.js',
  'local.cjs',
  'local.d.ts',
  'local.d.cts',
  'reins.js',
  'reins.mjs',
];

/** The newest modification time under `path` (files only), skipping node_modules and dist. */
async function newest(path: string): Promise<number> {
  const s = await stat(path).catch(() => null);
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  let max = 0;
  for (const entry of await readdir(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    max = Math.max(max, await newest(join(path, entry)));
  }
  return max;
}

/** dist/ is newer than everything it is built from: the SDK, the engine, the server's router. */
async function distIsFresh(): Promise<boolean> {
  const built = await Promise.all(
    BUILT.map((f) => stat(join(sdkDir, 'dist', f)).catch(() => null)),
  );
  if (built.some((s) => s === null)) return false;
  const oldest = Math.min(...built.map((s) => s?.mtimeMs ?? 0));
  const sources = await Promise.all(
    [
      join(sdkDir, 'src'),
      join(sdkDir, 'scripts'),
      join(sdkDir, 'package.json'),
      join(sdkDir, 'tsup.config.ts'),
      join(repoDir, 'packages/engine/src'),
      join(repoDir, 'packages/engine/package.json'),
      join(repoDir, 'apps/server/src'),
    ].map(newest),
  );
  return Math.max(...sources) < oldest;
}

function build(): Promise<void> {
  return new Promise((done, fail) => {
    execFile(
      'pnpm',
      ['run', 'build'],
      { cwd: sdkDir, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) fail(new Error(`pnpm run build failed: ${err.message}\n${stdout}\n${stderr}`));
        else done();
      },
    );
  });
}

/** Builds dist/ unless it is fresh; concurrent callers wait for the one building. */
export async function ensureBuilt(): Promise<void> {
  const lock = join(tmpdir(), `reins-sdk-build-${Buffer.from(sdkDir).toString('hex').slice(-32)}`);
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock left by a run that was killed: older than any build takes.
      const age = Date.now() - ((await stat(lock).catch(() => null))?.mtimeMs ?? Date.now());
      if (age > 600_000) await rmdir(lock).catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`waited 10 min for ${lock}`, { cause: err });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (!(await distIsFresh())) await build();
  } finally {
    await rmdir(lock);
  }
}
