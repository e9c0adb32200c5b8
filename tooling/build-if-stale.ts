/**
 * `pnpm start` and `pnpm worker` run this in the app's directory first: builds dist/ (the app's
 * tsup.config.ts) when an output is missing or older than any source the bundle is made of, so a
 * fresh clone gets a build and a warm one starts without waiting. The check alone reads no more
 * than file times; tsup is loaded only to build.
 */
import { existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Options } from 'tsup';
import { appSources } from './app-build.js';
import { newest } from './newest.js';

const appDir = process.cwd();
const config = (
  (await import(pathToFileURL(join(appDir, 'tsup.config.ts')).href)) as { default: Options }
).default;
const entry = config.entry as Record<string, string>;
const label = relative(join(import.meta.dirname, '..'), join(appDir, 'dist'));

const outputs = Object.keys(entry).map((name) => join(appDir, 'dist', `${name}.js`));
const builtAt = outputs.every((f) => existsSync(f))
  ? Math.min(...outputs.map((f) => statSync(f).mtimeMs))
  : 0;
const changed = Math.max(...appSources(appDir, entry).map(newest));
if (builtAt >= changed) {
  console.log(`${label} is up to date.`);
} else {
  console.log(builtAt ? `${label}: sources changed, rebuilding…` : `${label}: building…`);
  const started = Date.now();
  const { build } = await import('tsup');
  await build({ ...config, config: false });
  console.log(`${label}: built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}
