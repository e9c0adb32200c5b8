/**
 * Fails the build when dist/ imports anything a consumer of reins-sdk would not have installed,
 * and measures the root entry.
 *
 * - The root entry (`reins-sdk`: index.js, index.cjs, their declarations and every chunk they
 *   reach) imports nothing at all: no package, no Node built-in (`node:*` or bare), so that it
 *   runs on Node, Deno, Bun and edge runtimes as it is.
 * - The subpath entries (`reins-sdk/trpc`, `reins-sdk/local`) may import only the package's peer
 *   dependencies (@trpc/client, @trpc/server, superjson); the engine and price table are bundled.
 * - The standalone files (reins.js, reins.mjs) import nothing, not even a file beside them.
 * - Nothing of the server (MikroORM, Fastify, pg) may appear anywhere.
 *
 * Then the root entry is bundled and minified with esbuild (what a consumer's bundler would
 * ship) and its size printed, minified and gzipped; over ROOT_LIMIT_BYTES fails the build.
 *
 *   node scripts/check-dist.js [distDir]
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const pkgDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const peers = Object.keys(pkg.peerDependencies ?? {});
const dist = resolve(process.argv[2] ?? join(pkgDir, 'dist'));
/** The root entry, bundled and minified, must stay under this. */
export const ROOT_LIMIT_BYTES = 40 * 1024;

/** Import specifiers: static and dynamic imports, re-exports, require() and type references. */
function specifiers(text) {
  const found = new Set();
  const patterns = [
    /^\s*(?:import|export)\s[^'"]*?\sfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
    /\/\/\/\s*<reference\s+types=["']([^"']+)["']/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) found.add(m[1]);
  return [...found];
}

function packageOf(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const isBuiltin = (spec) => spec.startsWith('node:') || builtinModules.includes(spec);

/** The built file a relative specifier of `from` names (a declaration's `./x.js` is `./x.d.ts`). */
function resolveRelative(from, spec) {
  const base = resolve(dirname(from), spec);
  const candidates = /\.d\.c?ts$/.test(from)
    ? [base.replace(/\.js$/, '.d.ts').replace(/\.cjs$/, '.d.cts'), `${base}.d.ts`, base]
    : [base];
  return candidates.find((c) => existsSync(c)) ?? null;
}

/**
 * Checks `entries` and every file they reach through relative imports; `allowed(spec)` says
 * whether a bare specifier may stay. Returns the problems found, one line each.
 */
function check(entries, allowed, { relativeAllowed = true } = {}) {
  const problems = [];
  const seen = new Set();
  const queue = [];
  for (const name of entries) {
    const file = join(dist, name);
    if (!existsSync(file)) problems.push(`${name} is missing`);
    else queue.push(file);
  }
  while (queue.length > 0) {
    const file = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    const name = relative(dist, file);
    const bad = [];
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        if (!relativeAllowed) {
          bad.push(spec);
          continue;
        }
        const target = resolveRelative(file, spec);
        if (target) queue.push(target);
        else problems.push(`${name} imports ${spec}, which is not in dist`);
      } else if (!allowed(spec, name)) {
        bad.push(spec);
      }
    }
    if (bad.length > 0) problems.push(`${name} imports ${bad.join(', ')}`);
  }
  return { problems, files: seen.size };
}

const groups = [
  {
    label: 'root entry (reins-sdk)',
    rule: 'nothing',
    ...check(['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts'], () => false),
  },
  {
    label: 'subpath entries (reins-sdk/trpc, reins-sdk/local)',
    rule: peers.join(', '),
    ...check(
      ['trpc.js', 'trpc.cjs', 'trpc.d.ts', 'trpc.d.cts', 'local.js', 'local.cjs'].concat([
        'local.d.ts',
        'local.d.cts',
      ]),
      (spec) => !isBuiltin(spec) && peers.includes(packageOf(spec)),
    ),
  },
  {
    label: 'standalone files (reins.js, reins.mjs)',
    rule: 'nothing',
    ...check(['reins.js', 'reins.mjs'], () => false, { relativeAllowed: false }),
  },
];

let failed = false;
for (const g of groups) {
  if (g.problems.length === 0) {
    console.log(`check-dist: ${g.label}: ${g.files} files import ${g.rule}`);
    continue;
  }
  failed = true;
  for (const p of g.problems) console.error(`check-dist: ${g.label}: ${p} (allowed: ${g.rule})`);
}
if (failed) process.exit(1);

// What the root entry weighs in a consumer's bundle.
const out = await build({
  entryPoints: [join(dist, 'index.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  write: false,
  logLevel: 'warning',
});
const code = out.outputFiles[0].contents;
const minified = code.byteLength;
const gzipped = gzipSync(code, { level: 9 }).byteLength;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(
  `check-dist: root entry minified ${kb(minified)} (${minified} B), gzipped ${kb(gzipped)} ` +
    `(${gzipped} B); limit ${kb(ROOT_LIMIT_BYTES)} minified`,
);
if (minified > ROOT_LIMIT_BYTES) {
  console.error(`check-dist: the root entry is over ${kb(ROOT_LIMIT_BYTES)} minified`);
  process.exit(1);
}
