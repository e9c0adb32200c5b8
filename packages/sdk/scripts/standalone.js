/**
 * The one file to copy: dist/reins.js (CommonJS) and dist/reins.mjs (ESM), each the root entry
 * (`reins()`, `ReinsSDK`) bundled from dist/index.js with its chunks into a single file with no
 * import at all. The server serves them at GET /sdk/reins.js and /sdk/reins.mjs. Not minified:
 * a file people copy into their project should be readable.
 *
 *   node scripts/standalone.js [distDir]
 *   node scripts/standalone.js --from-src [distDir]   (from src/index.ts, without the package
 *     build: what `pnpm start` needs, in a second instead of the declarations' minute)
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkgDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const args = process.argv.slice(2);
const fromSrc = args.includes('--from-src');
const dist = resolve(args.find((a) => !a.startsWith('--')) ?? join(pkgDir, 'dist'));
const entry = fromSrc ? join(pkgDir, 'src', 'index.ts') : join(dist, 'index.js');

const banner =
  `/*! reins-sdk ${pkg.version} (standalone: reins() and ReinsSDK, no dependencies). ` +
  'Runs on Node >= 20, Deno, Bun and edge runtimes. */';

for (const [format, file] of [
  ['cjs', 'reins.js'],
  ['esm', 'reins.mjs'],
]) {
  await build({
    entryPoints: [entry],
    outfile: join(dist, file),
    bundle: true,
    format,
    // No Node-only resolution or shims: the code must stand on web APIs alone.
    platform: 'neutral',
    target: 'es2022',
    banner: { js: banner },
    legalComments: 'none',
    logLevel: 'warning',
  });
  console.log(`standalone: dist/${file}`);
}
