/**
 * `pnpm --filter @reins/web bench:bundle`: builds the dashboard and reports, gzipped,
 *
 * - the initial JavaScript of the entry (the entry chunk and every chunk it imports statically:
 *   what the first screen downloads before it can run), against the 250 KB budget;
 * - each lazily loaded route's own chunks on top of that;
 * - that the engine's price table is not in any chunk (model ids of @pydantic/genai-prices);
 * - with `--charts`: what a spend-per-day bar chart costs with uPlot and with Recharts, each
 *   built alone over the same React baseline (how the charting library was chosen).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { build, type Manifest } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUDGET_KB = 250;
/** Model ids only the price table has; finding one in the bundle means it was pulled in. */
const PRICE_TABLE_IDS = ['gpt-4o-2024-08-06', 'claude-3-5-sonnet-20241022', 'genai-prices'];

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const gz = (path: string) => gzipSync(readFileSync(path), { level: 9 }).length;

function closure(manifest: Manifest, key: string, seen = new Set<string>()): Set<string> {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const dep of manifest[key]?.imports ?? []) closure(manifest, dep, seen);
  return seen;
}

async function measureApp(): Promise<boolean> {
  const outDir = join(root, 'dist');
  await build({ root, logLevel: 'warn', build: { manifest: true } });
  const manifest = JSON.parse(
    readFileSync(join(outDir, '.vite', 'manifest.json'), 'utf8'),
  ) as Manifest;
  const entryKey = Object.keys(manifest).find((k) => manifest[k]?.isEntry);
  if (!entryKey) throw new Error('no entry in the Vite manifest');
  const initial = closure(manifest, entryKey);
  const jsOf = (keys: Iterable<string>) =>
    [...keys].map((k) => manifest[k]?.file).filter((f): f is string => !!f?.endsWith('.js'));
  // Plus the classic scripts index.html loads as they are (public/boot.js).
  const html = readFileSync(join(outDir, 'index.html'), 'utf8');
  const plain = [...html.matchAll(/<script src="\/([^"]+\.js)"><\/script>/g)].map(
    (m) => m[1] ?? '',
  );
  const initialFiles = [...plain, ...jsOf(initial)];
  const initialGz = initialFiles.reduce((s, f) => s + gz(join(outDir, f)), 0);
  const css = manifest[entryKey]?.css ?? [];
  const cssGz = css.reduce((s, f) => s + gz(join(outDir, f)), 0);

  console.log('Initial JavaScript (routes /, /transactions, /review, sign-in):');
  for (const f of initialFiles) console.log(`  ${f.padEnd(40)} ${kb(gz(join(outDir, f)))} gz`);
  console.log(
    `  total ${kb(initialGz)} gz (budget ${BUDGET_KB} KB) + CSS ${kb(cssGz)} gz` +
      (initialGz > BUDGET_KB * 1024 ? '  OVER BUDGET' : ''),
  );

  console.log('Lazy routes (downloaded on first visit, on top of the initial JS):');
  for (const dyn of manifest[entryKey]?.dynamicImports ?? []) {
    const extra = [...closure(manifest, dyn)].filter((k) => !initial.has(k));
    const bytes = jsOf(extra).reduce((s, f) => s + gz(join(outDir, f)), 0);
    console.log(`  ${(manifest[dyn]?.name ?? dyn).padEnd(40)} +${kb(bytes)} gz`);
  }

  const assets = join(outDir, 'assets');
  const leaks = readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .flatMap((f) => {
      const text = readFileSync(join(assets, f), 'utf8');
      return PRICE_TABLE_IDS.filter((id) => text.includes(id)).map((id) => `${f}: ${id}`);
    });
  console.log(
    leaks.length
      ? `Price table FOUND in the bundle: ${leaks.join(', ')}`
      : `Price table: not in the bundle (no ${PRICE_TABLE_IDS.join(', ')}).`,
  );
  return initialGz <= BUDGET_KB * 1024 && leaks.length === 0;
}

const CHARTS: Record<string, string> = {
  baseline: `import { createRoot } from 'react-dom/client';
createRoot(document.body).render(<p>{String(Date.now())}</p>);`,
  uplot: `import { createRoot } from 'react-dom/client';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
const xs = [1, 2, 3], ys = [4, 5, 6];
new uPlot({ width: 600, height: 200, scales: { x: { time: true } },
  series: [{}, { label: 'Spend', paths: uPlot.paths.bars?.({ size: [0.7, 40] }) }] }, [xs, ys], document.body);
createRoot(document.body).render(<p>{String(Date.now())}</p>);`,
  recharts: `import { createRoot } from 'react-dom/client';
import { Bar, BarChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
const data = [{ day: '1', cents: 4 }, { day: '2', cents: 5 }];
createRoot(document.body).render(
  <ResponsiveContainer width="100%" height={200}><BarChart data={data}>
    <XAxis dataKey="day" /><YAxis /><Tooltip /><Bar dataKey="cents" />
  </BarChart></ResponsiveContainer>);`,
};

async function measureCharts(): Promise<void> {
  const sizes: Record<string, number> = {};
  for (const [name, source] of Object.entries(CHARTS)) {
    // Inside the package, so that its node_modules resolve; removed afterwards.
    const dir = mkdtempSync(join(root, '.chart-'));
    const out = mkdtempSync(join(tmpdir(), 'reins-chart-'));
    try {
      writeFileSync(join(dir, 'main.tsx'), source);
      writeFileSync(
        join(dir, 'index.html'),
        '<!doctype html><script type="module" src="./main.tsx"></script>',
      );
      await build({
        root: dir,
        configFile: false,
        logLevel: 'silent',
        plugins: [react()],
        build: { outDir: out, emptyOutDir: true },
      });
      const files = readdirSync(join(out, 'assets')).filter((f) => f.endsWith('.js'));
      sizes[name] = files.reduce((s, f) => s + gz(join(out, 'assets', f)), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  }
  const base = sizes.baseline ?? 0;
  console.log('A bar chart over the same React baseline (JS, gzipped):');
  console.log(`  React alone   ${kb(base)}`);
  for (const name of ['uplot', 'recharts']) {
    const total = sizes[name] ?? 0;
    console.log(`  ${name.padEnd(13)} ${kb(total)}  (+${kb(total - base)})`);
  }
}

const ok = await measureApp();
if (process.argv.includes('--charts')) await measureCharts();
if (!ok) process.exitCode = 1;
