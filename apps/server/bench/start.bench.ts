/**
 * `pnpm --filter @reins/server bench:start`: how long the server takes to start, built
 * (dist/main.js, what `pnpm start` runs) against the TypeScript source through tsx.
 *
 * Each round starts every variant, in an order that rotates from round to round, twice on a fresh
 * database of the local PostgreSQL: first on the empty database (migrations, bootstrap), then
 * again on the migrated one (a restart). The time is from spawn to the first 200 from /health,
 * polled every 10 ms. Prints the median and range per variant; drops its databases.
 *
 * Options: --rounds <n> (default 5), --embedded (PGlite in a fresh data dir instead: minutes on a
 * slow machine). PostgreSQL: TEST_DATABASE_URL or DATABASE_URL if set (its server), else
 * postgres://postgres@127.0.0.1:5432/postgres.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDatabase, dropDatabase, testServerUrl } from '@reins/db';

const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    rounds: { type: 'string', default: '5' },
    embedded: { type: 'boolean', default: false },
  },
});

const VARIANTS: { name: string; args: string[] }[] = [
  { name: 'tsx (src/main.ts)', args: ['--import', 'tsx', 'src/main.ts'] },
  { name: 'built, source maps', args: ['--enable-source-maps', 'dist/main.js'] },
  { name: 'built, no source maps', args: ['dist/main.js'] },
];

/** Spawn to /health 200, in ms; then SIGTERM and wait for the exit. */
async function timeStart(nodeArgs: string[], env: Record<string, string>): Promise<number> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--max-semi-space-size=16', ...nodeArgs], {
    cwd: serverDir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<void>((r) => {
    child.once('exit', () => {
      r();
    });
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the server exited:\n${output}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/health`);
        if (res.status === 200) return performance.now() - t0;
      } catch {
        // Not listening yet.
      }
      if (performance.now() - t0 > 600_000) throw new Error(`no /health 200:\n${output}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

if (!existsSync(join(serverDir, 'dist', 'main.js'))) {
  throw new Error('dist/main.js is missing: run `pnpm --filter @reins/server build` first');
}
const serverUrl = testServerUrl() ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const rounds = Number(args.rounds);
const times = VARIANTS.map(() => ({ fresh: [] as number[], restart: [] as number[] }));
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < VARIANTS.length; k++) {
    const i = (round + k) % VARIANTS.length;
    const variant = VARIANTS[i];
    const slot = times[i];
    if (!variant || !slot) continue;
    let env: Record<string, string>;
    let cleanup: () => Promise<void>;
    if (args.embedded) {
      const dir = await mkdtemp(join(tmpdir(), 'reins-start-'));
      env = { REINS_DATA_DIR: dir };
      cleanup = () => rm(dir, { recursive: true, force: true });
    } else {
      const database = `reins_start_${randomBytes(4).toString('hex')}`;
      env = { DATABASE_URL: await createDatabase(serverUrl, database) };
      cleanup = () => dropDatabase(serverUrl, database);
    }
    try {
      const fresh = await timeStart(variant.args, env);
      const restart = await timeStart(variant.args, env);
      slot.fresh.push(fresh);
      slot.restart.push(restart);
      console.log(
        `round ${round + 1} ${variant.name.padEnd(22)} fresh ${fresh.toFixed(0).padStart(6)} ms   restart ${restart.toFixed(0).padStart(6)} ms`,
      );
    } finally {
      await cleanup();
    }
  }
}

const fmt = (xs: number[]) =>
  `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
console.log('');
console.log(
  `| spawn → /health 200 (${args.embedded ? 'embedded PGlite' : 'PostgreSQL'}, ${rounds} rounds) | fresh database | restart |`,
);
console.log('| --- | --- | --- |');
VARIANTS.forEach((v, i) => {
  const t = times[i];
  if (t) console.log(`| ${v.name} | ${fmt(t.fresh)} | ${fmt(t.restart)} |`);
});
