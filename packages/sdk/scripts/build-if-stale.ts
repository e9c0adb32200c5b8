/**
 * `pnpm start` runs this first: builds the one-file reins.js and reins.mjs the server serves at
 * /sdk/ (esbuild, straight from src/: a second; the package's own build, declarations included,
 * is `pnpm --filter reins-sdk build`) when one is missing or older than any source it is built
 * from. A warm checkout starts without waiting.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newest } from '../../../tooling/newest.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outputs = ['reins.js', 'reins.mjs'];
const sources = [
  join(root, 'src'),
  join(root, 'scripts', 'standalone.js'),
  join(root, 'package.json'),
];
const built = outputs.map((f) => join(root, 'dist', f));
const builtAt = built.every((f) => existsSync(f))
  ? Math.min(...built.map((f) => statSync(f).mtimeMs))
  : 0;
if (builtAt >= Math.max(...sources.map(newest))) {
  console.log('SDK: packages/sdk/dist/reins.js and reins.mjs are up to date.');
} else {
  console.log(builtAt ? 'SDK: sources changed, rebuilding…' : 'SDK: building…');
  const started = Date.now();
  const res = spawnSync(process.execPath, [join(root, 'scripts', 'standalone.js'), '--from-src'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (res.status !== 0) process.exit(res.status ?? 1);
  console.log(`SDK: built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}
