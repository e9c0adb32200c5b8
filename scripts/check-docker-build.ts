/**
 * `pnpm check:docker`: checks what the Dockerfile's image would contain, without a Docker engine.
 *
 * 1. A clean `git archive` of HEAD in a temporary directory (what `COPY . .` sees; the plain paths
 *    of .dockerignore are removed too — its `**` patterns name build outputs an archive lacks).
 * 2. The build stage's RUN steps, read from the Dockerfile and run in order with its ENV, except
 *    `npm install -g pnpm@X` (the pnpm here must be X instead); `pnpm install` gets `--offline`
 *    (this machine's store, no registry).
 * 3. The runtime stage's `COPY --from=build` steps, into a second directory: the image's /app.
 *    No source or development dependency may be in it.
 * 4. The runtime CMD, with the runtime ENV, on 127.0.0.1 against a fresh database of
 *    CHECK_DATABASE_URL's server (else TEST_DATABASE_URL, else the local PostgreSQL): /health
 *    answers 200, the dashboard and the API reference's renderer (/api/docs/scalar.js) are
 *    served; the worker (apps/worker/dist/main.js) starts and serves its metrics; both exit 0 on
 *    SIGTERM. The database and the directories are removed.
 *
 * Exit status 0 when every check passed, 1 otherwise.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const serverUrl =
  process.env.CHECK_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

interface Stage {
  name: string;
  env: Record<string, string>;
  steps: { op: string; args: string }[];
}

/** The Dockerfile's stages: instructions with continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    const op = m[1].toUpperCase();
    const args = m[2];
    if (op === 'FROM') {
      stages.push({ name: /\bAS\s+(\S+)/i.exec(args)?.[1] ?? '', env: {}, steps: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`Dockerfile: ${op} before FROM`);
    if (op === 'ENV') {
      for (const kv of args.match(/\S+=("[^"]*"|\S+)/g) ?? []) {
        const i = kv.indexOf('=');
        stage.env[kv.slice(0, i)] = kv.slice(i + 1).replace(/^"|"$/g, '');
      }
    } else {
      stage.steps.push({ op, args });
    }
  }
  return stages;
}

function sh(cmd: string, cwd: string, env: Record<string, string> = {}): void {
  console.log(`  $ ${cmd}`);
  execFileSync('sh', ['-c', cmd], { cwd, env: { ...process.env, ...env }, stdio: 'inherit' });
}

function psql(sql: string): void {
  execFileSync('psql', [serverUrl, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: 'inherit' });
}

/** Starts `argv` in `cwd`; resolves with the first match of `ready` in its output. */
function start(
  argv: string[],
  cwd: string,
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray; output: () => string }> {
  const [cmd = 'node', ...args] = argv;
  const child = spawn(cmd, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')} did not start in 120 s:\n${out}`));
    }, 120_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = ready.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, output: () => out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(' ')} exited with ${String(code)} before starting:\n${out}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) {
      resolve(child.exitCode);
      return;
    }
    child.removeAllListeners('exit');
    child.once('exit', (code) => {
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`check failed: ${what}`);
  console.log(`  ok: ${what}`);
}

async function main(): Promise<void> {
  const stages = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  const build = stages.find((s) => s.name === 'build');
  const runtime = stages[stages.length - 1];
  if (!build || !runtime || runtime === build)
    throw new Error('Dockerfile: no build/runtime stage');

  const tmp = mkdtempSync(join(tmpdir(), 'reins-image-'));
  const app = join(tmp, 'build');
  const image = join(tmp, 'image');
  const database = `reins_check_image_${randomBytes(4).toString('hex')}`;
  let created = false;
  try {
    console.log(`[1/4] git archive HEAD → ${app}`);
    mkdirSync(app);
    sh(`git -C "${root}" archive --format=tar HEAD | tar -x -C "${app}"`, tmp);
    for (const pattern of readFileSync(join(root, '.dockerignore'), 'utf8').split('\n')) {
      const p = pattern.trim();
      if (p && !p.startsWith('#') && !/[*?[]/.test(p))
        rmSync(join(app, p), { recursive: true, force: true });
    }

    console.log('[2/4] the build stage');
    for (const { op, args } of build.steps) {
      if (op === 'WORKDIR' || op === 'COPY') continue; // WORKDIR /app, COPY . . : the archive
      if (op !== 'RUN') throw new Error(`build stage: ${op} is not handled by this check`);
      const pin = /^npm install -g pnpm@(\S+)$/.exec(args);
      if (pin) {
        const have = execFileSync('pnpm', ['--version']).toString().trim();
        check(have === pin[1], `pnpm ${String(pin[1])} (the image's) is the one here (${have})`);
        continue;
      }
      sh(args.replace(/^pnpm install\b/, 'pnpm install --offline'), app, build.env);
    }

    console.log(`[3/4] the runtime stage's files → ${image}`);
    mkdirSync(image);
    for (const { op, args } of runtime.steps) {
      if (op !== 'COPY') continue;
      const words = args.split(/\s+/).filter((w) => !w.startsWith('--chown'));
      if (words[0] !== '--from=build') throw new Error(`runtime COPY not from build: ${args}`);
      const dest = words[words.length - 1] ?? '.';
      for (const src of words.slice(1, -1)) {
        const from = join(app, src.replace(/^\/app\/?/, ''));
        const to = dest.endsWith('/')
          ? join(image, dest, src.split('/').pop() ?? '')
          : join(image, dest);
        mkdirSync(dirname(to), { recursive: true });
        // Symlinks kept as they are (pnpm's node_modules), like COPY.
        cpSync(from, to, { recursive: true, verbatimSymlinks: true });
      }
    }
    check(existsSync(join(image, 'apps/server/dist/main.js')), 'apps/server/dist/main.js is there');
    check(existsSync(join(image, 'apps/worker/dist/main.js')), 'apps/worker/dist/main.js is there');
    check(existsSync(join(image, 'apps/web/dist/index.html')), 'the dashboard is there');
    check(!existsSync(join(image, 'apps/server/src')), 'no TypeScript source');
    check(
      !existsSync(join(image, 'apps/server/node_modules/tsup')) &&
        !existsSync(join(image, 'node_modules/.pnpm/node_modules/vitest')),
      'no development dependency (tsup, vitest)',
    );

    console.log(`[4/4] the runtime CMD on a fresh database (${database})`);
    psql(`create database ${database}`);
    created = true;
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;
    const cmd = /^CMD\s+(\[.*\])$/.exec(
      `CMD ${runtime.steps.find((s) => s.op === 'CMD')?.args ?? ''}`,
    )?.[1];
    const argv = JSON.parse(cmd ?? '[]') as string[];
    check(argv.includes('apps/server/dist/main.js'), 'CMD runs apps/server/dist/main.js');
    const env = {
      ...runtime.env,
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: url.toString(),
      REINS_WORKER: 'off',
    };
    const server = await start(argv, image, env, /Reins listening on (http:\/\/\S+)/);
    let serverCode: number | null = null;
    try {
      const base = server.match[1] ?? '';
      const health = await fetch(`${base}/health`);
      const body = (await health.json()) as { status?: string };
      check(
        health.status === 200 && body.status === 'ok',
        `GET /health → 200 ${String(body.status)}`,
      );
      const page = await fetch(`${base}/`);
      check(
        page.status === 200 && (page.headers.get('content-type') ?? '').startsWith('text/html'),
        'GET / serves the dashboard',
      );
      // The API reference's renderer is served from the image's production node_modules.
      const renderer = await fetch(`${base}/api/docs/scalar.js`);
      const rendererSize = (await renderer.arrayBuffer()).byteLength;
      check(
        renderer.status === 200 &&
          (renderer.headers.get('content-type') ?? '').startsWith('text/javascript') &&
          rendererSize > 1_000_000,
        `GET /api/docs/scalar.js serves the API reference's renderer (${String(rendererSize)} bytes)`,
      );
      const worker = await start(
        ['node', '--enable-source-maps', 'apps/worker/dist/main.js'],
        image,
        { ...runtime.env, DATABASE_URL: url.toString(), REINS_METRICS_PORT: '0' },
        /"metrics":"(http:\/\/[^"]+)"/,
      );
      const metrics = await fetch(worker.match[1] ?? '');
      check(
        metrics.status === 200 && (await metrics.text()).includes('reins_job_runs_total'),
        'the worker starts and serves its metrics',
      );
      check((await stop(worker.child)) === 0, 'the worker exits 0 on SIGTERM');
    } finally {
      serverCode = await stop(server.child);
    }
    check(serverCode === 0, 'the server exits 0 on SIGTERM');
    console.log('The image contents build and start.');
  } finally {
    if (created) psql(`drop database if exists ${database} with (force)`);
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
