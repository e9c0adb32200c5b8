/**
 * How long it takes to load reins-sdk's root entry, now and before it shed its dependencies.
 *
 *   pnpm bench:import [--runs 11] [--baseline <commit>]
 *
 * 1. The baseline: the SDK's sources at `--baseline` (default: the commit before the split,
 *    1b52909) bundled with esbuild as its tsup config did then — the engine and price table
 *    bundled in, @trpc/client, @trpc/server and superjson left to node_modules — into
 *    node_modules/.cache/ (so that those packages resolve from this package's node_modules).
 * 2. Each variant is loaded `--runs` times, each in a fresh `node -e` process, timing the
 *    `import()` (or `require()`) itself with performance.now(): Node's own start-up is left out.
 *    Medians (and min … max) are printed, and written to bench/results/import-<timestamp>.json.
 *
 * Needs dist/ built (`pnpm build`). Short on purpose: a few seconds on 2 cores.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, '..');
const repoDir = join(pkgDir, '../..');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const runs = Number(arg('runs') ?? 11);
const baselineCommit = arg('baseline') ?? '1b52909';

const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: repoDir, encoding: 'utf8', maxBuffer: 64 << 20 });

/** The root entry as it was built at `commit`: dist/index.js and dist/index.cjs. */
async function buildBaseline(commit: string): Promise<{ esm: string; cjs: string }> {
  // Under node_modules (ignored by git and tsc), where @trpc/* and superjson resolve from.
  const dir = join(pkgDir, 'node_modules', '.cache', 'reins-sdk-import-baseline');
  rmSync(dir, { recursive: true, force: true });
  const files = git('ls-tree', '-r', '--name-only', commit, 'packages/sdk/src')
    .split('\n')
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  for (const file of files) {
    const out = join(dir, file.slice('packages/sdk/'.length));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, git('show', `${commit}:${file}`));
  }
  const entry = join(dir, 'src/index.ts');
  const esm = join(dir, 'index.js');
  const cjs = join(dir, 'index.cjs');
  for (const [format, outfile] of [
    ['esm', esm],
    ['cjs', cjs],
  ] as const) {
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      format,
      platform: 'node',
      target: 'node20',
      external: ['@trpc/client', '@trpc/server', 'superjson'],
      logLevel: 'error',
    });
  }
  return { esm, cjs };
}

/** Milliseconds the load of `file` took in a fresh process. */
function loadOnce(file: string, how: 'import' | 'require'): number {
  const load =
    how === 'import'
      ? `await import(${JSON.stringify(pathToFileURL(file).href)})`
      : `require(${JSON.stringify(file)})`;
  const script = `const t = performance.now(); ${load}; console.log(performance.now() - t);`;
  const args = how === 'import' ? ['--input-type=module', '-e', script] : ['-e', script];
  const { NODE_PATH: _ignored, ...env } = process.env;
  return Number(execFileSync(process.execPath, args, { cwd: pkgDir, env, encoding: 'utf8' }));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

const baseline = await buildBaseline(baselineCommit);
const dist = join(pkgDir, 'dist');
const variants: { name: string; file: string; how: 'import' | 'require' }[] = [
  { name: `root entry at ${baselineCommit}, import`, file: baseline.esm, how: 'import' },
  { name: 'root entry now (dist/index.js), import', file: join(dist, 'index.js'), how: 'import' },
  { name: `root entry at ${baselineCommit}, require`, file: baseline.cjs, how: 'require' },
  {
    name: 'root entry now (dist/index.cjs), require',
    file: join(dist, 'index.cjs'),
    how: 'require',
  },
  { name: 'reins.mjs (one file), import', file: join(dist, 'reins.mjs'), how: 'import' },
  { name: 'reins-sdk/local (dist/local.js), import', file: join(dist, 'local.js'), how: 'import' },
];

const results = variants.map((v) => {
  loadOnce(v.file, v.how); // warm the file cache
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push(loadOnce(v.file, v.how));
  return { ...v, medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms), ms };
});

const pad = Math.max(...results.map((r) => r.name.length));
console.log(
  `Load time of reins-sdk's root entry (${runs} fresh processes each; median, min … max)`,
);
for (const r of results) {
  console.log(
    `  ${r.name.padEnd(pad)}  ${r.medianMs.toFixed(1).padStart(6)} ms  ` +
      `(${r.minMs.toFixed(1)} … ${r.maxMs.toFixed(1)})`,
  );
}
const resultsDir = join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
const out = join(resultsDir, `import-${stamp}.json`);
writeFileSync(
  out,
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      commit: git('rev-parse', 'HEAD').trim(),
      baseline: baselineCommit,
      node: process.version,
      runs,
      results: results.map(({ file, ...r }) => ({ ...r, file: file.slice(pkgDir.length + 1) })),
    },
    null,
    2,
  )}\n`,
);
console.log(`Written to ${out.slice(pkgDir.length + 1)}`);
