/**
 * `pnpm start` runs this first: builds reins-sdk (dist/, with the one-file reins.js and
 * reins.mjs the server serves at /sdk/) when an output is missing or older than any source it is
 * built from (src/, the build's config and scripts, this manifest, the engine bundled into
 * reins-sdk/local). A warm checkout starts without waiting.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newest } from '../../../tooling/newest.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outputs = [
  'index.js',
  'index.cjs',
  'index.d.ts',
  'trpc.js',
  'local.js',
  'reins.js',
  'reins.mjs',
];
const sources = [
  join(root, 'src'),
  join(root, 'scripts'),
  join(root, 'tsup.config.ts'),
  join(root, 'package.json'),
  join(root, '..', 'engine', 'src'),
  join(root, '..', 'engine', 'package.json'),
];
const built = outputs.map((f) => join(root, 'dist', f));
const builtAt = built.every((f) => existsSync(f))
  ? Math.min(...built.map((f) => statSync(f).mtimeMs))
  : 0;
if (builtAt >= Math.max(...sources.map(newest))) {
  console.log('SDK: packages/sdk/dist is up to date.');
} else {
  console.log(builtAt ? 'SDK: sources changed, rebuilding…' : 'SDK: building…');
  const started = Date.now();
  const res = spawnSync('pnpm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
  console.log(`SDK: built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}
