/**
 * `pnpm start` runs this first: builds the dashboard when dist/ is missing or older than any of
 * its sources (src/, public/, index.html, the Vite config, this package's and the engine schemas'
 * manifests), so a fresh machine gets it and a warm one starts without waiting.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { newest } from '../../../tooling/newest.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'index.html');

const sources = [
  join(root, 'src'),
  join(root, 'public'),
  join(root, 'index.html'),
  join(root, 'vite.config.ts'),
  join(root, 'package.json'),
  join(root, '..', '..', 'packages', 'engine', 'src'),
];
const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
const changed = Math.max(...sources.map(newest));
if (builtAt >= changed) {
  console.log('Dashboard: apps/web/dist is up to date.');
} else {
  console.log(builtAt ? 'Dashboard: sources changed, rebuilding…' : 'Dashboard: building…');
  const started = Date.now();
  await build({ root, logLevel: 'warn' });
  console.log(`Dashboard: built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}
