/**
 * End-to-end smoke test of the embedded mode, the way a new user runs Reins: a server process
 * with no DATABASE_URL (PGlite under a fresh REINS_DATA_DIR), a rule and two transactions over
 * HTTP, a SIGTERM, a second start on the same directory, and the CLI on it afterwards.
 *
 *   pnpm --filter @reins/server smoke:embedded
 *
 * The server runs as `node --enable-source-maps dist/main.js` (what `pnpm start` runs, minus pnpm,
 * which does not pass SIGTERM on to its child; the package script builds dist/ first when stale),
 * so the migrations run from the bundle; the CLI, as `pnpm reins` runs it, through tsx. Exits
 * non-zero on any failure; always kills what it started and deletes its directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));
/** PGlite can take minutes to open on a loaded machine. */
const READY_TIMEOUT_MS = 6 * 60_000;
const STOP_TIMEOUT_MS = 2 * 60_000;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const RULE = {
  name: 'Block transactions over $5',
  priority: 1,
  enabled: true,
  conditions: { amountCents: { min: 501 } },
  action: 'block',
  actionConfig: { message: 'over $5' },
};

class SmokeFailure extends Error {}

function check(condition: boolean, what: string, detail?: unknown): asserts condition {
  if (!condition) {
    throw new SmokeFailure(
      detail === undefined ? what : `${what}\n  got: ${JSON.stringify(detail)}`,
    );
  }
}

const started = Date.now();
const timings: [string, number][] = [];
const seconds = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  process.stdout.write(`• ${name} … `);
  const result = await fn();
  const ms = Date.now() - t0;
  timings.push([name, ms]);
  process.stdout.write(`ok (${seconds(ms)})\n`);
  return result;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => {
        resolvePort(port);
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Child processes

interface Proc {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  // The server must choose the embedded database: no DATABASE_URL (nor a test one) leaks in.
  const {
    DATABASE_URL: _db,
    TEST_DATABASE_URL: _test,
    REINS_DATA_DIR: _dir,
    REINS_BOOTSTRAP_KEY: _key,
    PORT: _port,
    ...rest
  } = process.env;
  return { ...rest, ...extra };
}

/** The server as `pnpm start` runs it (its flags: package.json), and the CLI as `pnpm reins`. */
const SERVER_ARGS = ['--max-semi-space-size=16', '--enable-source-maps', 'dist/main.js'];
const CLI_ARGS = ['--import', 'tsx', 'src/cli.ts'];

function run(args: string[], env: NodeJS.ProcessEnv): Proc {
  // detached: its own process group, so that cleanup can kill tsx's helpers with it.
  const child = spawn(process.execPath, args, {
    cwd: SERVER_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (output += b.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      done({ code, signal });
    });
  });
  return { child, output: () => output, exited };
}

function killAll(): void {
  for (const child of children) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new SmokeFailure(`${what}: no result within ${seconds(ms)}`));
    }, ms);
  });
  return Promise.race([p, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

async function call(base: string, key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed } satisfies Reply;
}

async function startServer(env: NodeJS.ProcessEnv, base: string): Promise<Proc> {
  const proc = run(SERVER_ARGS, env);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void proc.exited.then((e) => (exited = e));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      throw new SmokeFailure(
        `the server exited (${String(exited.code ?? exited.signal)}) before it was healthy:\n${proc.output()}`,
      );
    }
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(5000) });
      if (res.status === 200) return proc;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      throw new SmokeFailure(
        `/health did not answer 200 within ${seconds(READY_TIMEOUT_MS)}:\n${proc.output()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function stopServer(proc: Proc): Promise<void> {
  proc.child.kill('SIGTERM');
  const { code, signal } = await withTimeout(proc.exited, STOP_TIMEOUT_MS, 'SIGTERM');
  check(code === 0, `the server should exit 0 on SIGTERM`, { code, signal, output: proc.output() });
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'reins-smoke-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let secret = '';
  for (let i = 0; i < 24; i++) secret += BASE62.charAt(randomInt(62));
  const key = `rk_test_${secret}`;
  const env = childEnv({
    PORT: String(port),
    HOST: '127.0.0.1',
    REINS_DATA_DIR: dataDir,
    REINS_BOOTSTRAP_KEY: key,
    LOG_LEVEL: 'warn',
  });
  console.log(`Embedded-mode smoke test: data in ${dataDir}, server on ${base}`);
  let firstOpenMs = 0;
  let secondOpenMs = 0;
  try {
    const first = await step('first start: open PGlite, migrate, bootstrap, /health', async () => {
      const t0 = Date.now();
      const p = await startServer(env, base);
      firstOpenMs = Date.now() - t0;
      return p;
    });
    check(
      first.output().includes('First start') && first.output().includes(key),
      'the first start should print the bootstrap admin key',
      first.output(),
    );

    await step('the CLI refuses the data dir while the server holds it', async () => {
      const cli = run([...CLI_ARGS, 'orgs', 'list'], env);
      const { code } = await withTimeout(cli.exited, 60_000, 'the CLI');
      check(code === 1, 'the CLI should exit 1', { code, output: cli.output() });
      check(
        cli.output().includes(`in use by process ${String(first.child.pid)}`),
        'the CLI should name the server process holding the database',
        cli.output(),
      );
    });

    const ruleId = await step('create a docs-dialect rule', async () => {
      const res = await call(base, key, 'POST', '/api/policy-rules', RULE);
      check(res.status === 201, 'POST /api/policy-rules should answer 201', res);
      check(typeof res.body.id === 'string', 'the rule should have an id', res);
      return res.body.id;
    });

    await step('a $3 transaction passes (202)', async () => {
      const res = await call(base, key, 'POST', '/api/v1/transactions', {
        amount: 300,
        vendor: 'openai',
        model: 'gpt-4',
      });
      check(res.status === 202, 'the $3 transaction should be accepted with 202', res);
    });

    await step('a $6 transaction is blocked (403 POLICY_VIOLATION)', async () => {
      const res = await call(base, key, 'POST', '/api/v1/transactions', {
        amount: 600,
        vendor: 'openai',
        model: 'gpt-4',
      });
      check(res.status === 403, 'the $6 transaction should be refused with 403', res);
      check(res.body.code === 'POLICY_VIOLATION', 'with code POLICY_VIOLATION', res);
    });

    await step('SIGTERM: the server exits 0 and releases the data dir', async () => {
      await stopServer(first);
      check(!existsSync(join(dataDir, 'pgdata.lock')), 'the lock file should be gone');
    });

    const second = await step('second start on the same data dir, /health', async () => {
      const t0 = Date.now();
      const p = await startServer(env, base);
      secondOpenMs = Date.now() - t0;
      return p;
    });
    check(!second.output().includes('First start'), 'the second start should not bootstrap again');

    await step('the bootstrap key, the rule and both transactions survived', async () => {
      const rules = await call(base, key, 'GET', '/api/policy-rules');
      check(rules.status === 200, 'the bootstrap key should still work', rules);
      const listed = (rules.body.rules ?? []) as { id?: string; name?: string }[];
      check(
        listed.some((r) => r.id === ruleId && r.name === RULE.name),
        'the rule should be listed',
        rules.body,
      );
      const txns = await call(base, key, 'GET', '/api/v1/transactions');
      check(txns.status === 200, 'GET /api/v1/transactions should answer 200', txns);
      check(txns.body.total === 2, 'both transactions should have been kept', txns.body);
    });

    await step('SIGTERM again: exit 0', () => stopServer(second));

    await step('the CLI on the stopped server data dir', async () => {
      const cli = run([...CLI_ARGS, 'orgs', 'list', '--json'], env);
      const { code } = await withTimeout(cli.exited, READY_TIMEOUT_MS, 'the CLI');
      check(code === 0, 'pnpm reins orgs list should exit 0', { code, output: cli.output() });
      check(
        cli.output().includes('Default organization'),
        'and list the organization',
        cli.output(),
      );
    });
  } finally {
    killAll();
    await rm(dataDir, { recursive: true, force: true });
  }

  console.log('');
  console.log('Embedded-mode smoke test passed.');
  for (const [name, ms] of timings) console.log(`  ${seconds(ms).padStart(8)}  ${name}`);
  console.log(`  ${seconds(Date.now() - started).padStart(8)}  total`);
  console.log(
    `  PGlite open to healthy server: ${seconds(firstOpenMs)} (new data dir), ${seconds(secondOpenMs)} (existing)`,
  );
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    killAll();
    console.log('FAILED');
    console.error(error instanceof SmokeFailure ? error.message : error);
    process.exit(1);
  },
);
