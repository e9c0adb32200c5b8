/**
 * Fails the build when dist/ imports anything a consumer of reins-sdk would not have installed:
 * the published code and declarations may name only the SDK's runtime dependencies (and, in
 * code, Node built-ins). Everything else (the engine, zod, the price table) must be bundled, and
 * nothing of the server (MikroORM, Fastify, pg) may appear at all.
 *
 *   node scripts/check-dist.js [distDir]
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const allowed = Object.keys(pkg.dependencies ?? {});
const dist = resolve(process.argv[2] ?? join(pkgDir, 'dist'));

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

/** The specifiers of one built file that a consumer could not resolve. */
function forbidden(file, text) {
  const declarations = /\.d\.c?ts$/.test(file);
  return specifiers(text).filter((spec) => {
    if (spec.startsWith('.')) return false;
    if (!declarations && (spec.startsWith('node:') || builtinModules.includes(spec))) return false;
    return !allowed.includes(packageOf(spec));
  });
}

const files = ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts'];
let failed = false;
for (const name of files) {
  const file = join(dist, name);
  if (!existsSync(file)) {
    console.error(`check-dist: ${name} is missing`);
    failed = true;
    continue;
  }
  const bad = forbidden(name, readFileSync(file, 'utf8'));
  if (bad.length > 0) {
    console.error(`check-dist: ${name} imports ${bad.join(', ')} (only ${allowed.join(', ')})`);
    failed = true;
  }
}
if (failed) process.exit(1);
console.log(`check-dist: ${files.join(', ')} import only ${allowed.join(', ')}`);
