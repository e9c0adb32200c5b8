/**
 * reins-sdk as its users get it: built, packed (`pnpm pack`, which writes the catalog's versions
 * into package.json as `pnpm publish` does), installed from the tarball with npm into a fresh
 * project outside the monorepo, then loaded with require() and with import against a real Reins
 * server, and typechecked by a consumer's own tsc without skipLibCheck.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '@reins/server/testing';

const sdkDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
const repoDir = resolve(sdkDir, '../..');
const RUNTIME_DEPENDENCIES = ['@trpc/client', '@trpc/server', 'superjson'];
const BUILT = ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; never throws for a non-zero exit (the test asserts on it). */
function run(
  command: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Run> {
  return new Promise((done, fail) => {
    execFile(
      command,
      args,
      {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        timeout: opts.timeoutMs ?? 300_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        if (code === null) {
          fail(new Error(`${command} ${args.join(' ')} failed: ${err?.message ?? ''}\n${stderr}`));
          return;
        }
        done({ code, stdout, stderr });
      },
    );
  });
}

async function must(command: string, args: string[], opts: Parameters<typeof run>[2]) {
  const res = await run(command, args, opts);
  if (res.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${res.code}:\n${res.stdout}\n${res.stderr}`,
    );
  }
  return res;
}

/** The newest modification time under `path` (files only), skipping node_modules. */
async function newest(path: string): Promise<number> {
  const s = await stat(path).catch(() => null);
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  let max = 0;
  for (const entry of await readdir(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    max = Math.max(max, await newest(join(path, entry)));
  }
  return max;
}

/** dist/ is newer than everything it is built from: the SDK, the engine, the server's router. */
async function distIsFresh(): Promise<boolean> {
  const built = await Promise.all(
    BUILT.map((f) => stat(join(sdkDir, 'dist', f)).catch(() => null)),
  );
  if (built.some((s) => s === null)) return false;
  const oldest = Math.min(...built.map((s) => s?.mtimeMs ?? 0));
  const sources = await Promise.all(
    [
      join(sdkDir, 'src'),
      join(sdkDir, 'package.json'),
      join(sdkDir, 'tsup.config.ts'),
      join(repoDir, 'packages/engine/src'),
      join(repoDir, 'packages/engine/package.json'),
      join(repoDir, 'apps/server/src'),
    ].map(newest),
  );
  return Math.max(...sources) < oldest;
}

/** The environment for npm and the consumer: none of pnpm's own npm_* settings. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep =
    /^npm_config_(registry|cache|userconfig|https?_proxy|proxy|noproxy|cafile|strict_ssl)$/i;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_)/i.test(k) && !keep.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

let server: (TestServer & { close(): Promise<void> }) | undefined;
let packDir = '';
let consumerDir = '';
let tarball = '';
let consumerEnv: NodeJS.ProcessEnv = {};

beforeAll(async () => {
  if (!(await distIsFresh())) await must('pnpm', ['run', 'build'], { cwd: sdkDir });
  packDir = await mkdtemp(join(tmpdir(), 'reins-sdk-pack-'));
  await must('pnpm', ['pack', '--pack-destination', packDir], { cwd: sdkDir });
  const packed = (await readdir(packDir)).filter((f) => f.endsWith('.tgz'));
  expect(packed).toHaveLength(1);
  tarball = join(packDir, packed[0] ?? '');

  consumerDir = await mkdtemp(join(tmpdir(), 'reins-sdk-consumer-'));
  expect(relative(repoDir, consumerDir).startsWith('..')).toBe(true);
  await writeFile(
    join(consumerDir, 'package.json'),
    JSON.stringify({ name: 'reins-sdk-consumer', version: '1.0.0', private: true }, null, 2),
  );
  await must('npm', ['install', '--no-audit', '--no-fund', tarball, 'typescript@6.0.3'], {
    cwd: consumerDir,
    env: cleanEnv(),
    timeoutMs: 600_000,
  });

  server = await startTestServer('sdk_pack');
  // The child processes find the server the way users do: REINS_BASE_URL and REINS_API_KEY.
  const { key } = await server.newOrg('Pack test org');
  consumerEnv = cleanEnv({ REINS_API_KEY: key, REINS_BASE_URL: server.url });
}, 900_000);

afterAll(async () => {
  await server?.close();
  for (const dir of [packDir, consumerDir]) {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}, 120_000);

const installed = () => join(consumerDir, 'node_modules', 'reins-sdk');

interface Submitted {
  rest: { success: boolean; id: string; action: string };
  trpc: { id: string; action: string };
}

/** The child's REST and tRPC answers passed, and Reins recorded exactly those transactions. */
async function expectRecorded(stdout: string, agentId: string): Promise<void> {
  const out = JSON.parse(stdout) as Submitted;
  expect(out.rest).toMatchObject({ success: true, action: 'pass' });
  expect(out.trpc).toMatchObject({ action: 'pass' });
  if (!server) throw new Error('no Reins server');
  const res = await server.call<{ transactions: { id: string }[] }>(
    'GET',
    `/api/v1/transactions?agentId=${agentId}`,
    undefined,
    { key: consumerEnv.REINS_API_KEY ?? null },
  );
  expect(res.status).toBe(200);
  expect(res.body.transactions.map((t) => t.id).sort()).toEqual([out.rest.id, out.trpc.id].sort());
}

describe('the published package', () => {
  it('holds only dist, README.md and package.json, with real dependency versions', async () => {
    const list = await must('tar', ['-tzf', tarball], { cwd: packDir });
    const files = list.stdout.split('\n').filter(Boolean);
    for (const f of files) expect(f).toMatch(/^package\/(dist\/.+|README\.md|package\.json)$/);
    for (const f of BUILT) expect(files).toContain(`package/dist/${f}`);

    const pkg = JSON.parse(await readFile(join(installed(), 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies).sort()).toEqual(RUNTIME_DEPENDENCIES);
    for (const version of Object.values(pkg.dependencies)) expect(version).toMatch(/^\^?\d/);
  });

  it('imports nothing but @trpc/client, @trpc/server, superjson and Node built-ins', async () => {
    // The build's own check (scripts/check-dist.js), run on what a consumer installed.
    const checkDist = join(sdkDir, 'scripts/check-dist.js');
    const check = await must('node', [checkDist, join(installed(), 'dist')], { cwd: sdkDir });
    expect(check.stdout.trim()).toBe(
      `check-dist: ${BUILT.join(', ')} import only ${RUNTIME_DEPENDENCIES.join(', ')}`,
    );
    // …which refuses a build that names a server package or a built-in in its declarations.
    const bad = await mkdtemp(join(tmpdir(), 'reins-sdk-bad-dist-'));
    try {
      await writeFile(join(bad, 'index.js'), "import pg from 'pg';\nexport default pg;\n");
      await writeFile(join(bad, 'index.cjs'), "const { trpc } = require('@trpc/client/links');\n");
      await writeFile(join(bad, 'index.d.ts'), "import type { Server } from 'node:http';\n");
      await writeFile(join(bad, 'index.d.cts'), "export type { X } from './types';\n");
      const refused = await run('node', [checkDist, bad], { cwd: sdkDir });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('index.js imports pg');
      expect(refused.stderr).toContain('index.d.ts imports node:http');
      expect(refused.stderr).not.toContain('index.cjs');
      expect(refused.stderr).not.toContain('index.d.cts');
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});

describe('the installed package', () => {
  it('loads with require() and submits transactions to Reins', async () => {
    const script = `
      const { reins, ReinsSDK, createReinsTRPCClient } = require('reins-sdk');
      (async () => {
        const rest = await reins().submitTransaction({ amount: 125, vendor: 'openai', model: 'gpt-4o', agentId: 'pack-cjs' });
        const trpc = await createReinsTRPCClient().transactions.submit.mutate({ amount: 75, vendor: 'anthropic', agentId: 'pack-cjs' });
        await new ReinsSDK().close();
        console.log(JSON.stringify({ rest, trpc }));
      })().catch((err) => { console.error(err); process.exit(1); });
    `;
    const res = await must(process.execPath, ['-e', script], {
      cwd: consumerDir,
      env: consumerEnv,
    });
    await expectRecorded(res.stdout, 'pack-cjs');
  });

  it('loads with import and submits transactions to Reins', async () => {
    await writeFile(
      join(consumerDir, 'esm-check.mjs'),
      `import { reins, ReinsSDK, createReinsTRPCClient } from 'reins-sdk';
      const rest = await reins().submitTransaction({ amount: 240, vendor: 'openai', model: 'gpt-4o', agentId: 'pack-esm' });
      const trpc = await createReinsTRPCClient().transactions.submit.mutate({ amount: 60, vendor: 'anthropic', agentId: 'pack-esm' });
      await new ReinsSDK().close();
      console.log(JSON.stringify({ rest, trpc }));
      `,
    );
    const res = await must(process.execPath, ['esm-check.mjs'], {
      cwd: consumerDir,
      env: consumerEnv,
    });
    await expectRecorded(res.stdout, 'pack-esm');
  });

  it('exposes the same named exports to require() and import', async () => {
    const cjs = await must(
      process.execPath,
      ['-e', `console.log(JSON.stringify(Object.keys(require('reins-sdk')).sort()))`],
      { cwd: consumerDir, env: consumerEnv },
    );
    const esm = await must(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `console.log(JSON.stringify(Object.keys(await import('reins-sdk')).sort()))`,
      ],
      { cwd: consumerDir, env: consumerEnv },
    );
    const names = JSON.parse(cjs.stdout) as string[];
    expect(JSON.parse(esm.stdout)).toEqual(names);
    expect(names).toEqual(
      expect.arrayContaining(['createReinsTRPCClient', 'reins', 'ReinsSDK', 'ReinsError']),
    );
  });

  // @trpc/server's own declarations use Disposable (lib esnext.disposable): `--target esnext`
  // brings it (TypeScript 6's default target does not), as @types/node would.
  const tsc = (files: string[]) =>
    run(
      process.execPath,
      [
        join(consumerDir, 'node_modules/typescript/bin/tsc'),
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'esnext',
        ...files,
      ],
      { cwd: consumerDir, env: consumerEnv },
    );

  it('typechecks a consumer without skipLibCheck, from ESM and CommonJS', async () => {
    const consumer = `import {
  createReinsTRPCClient,
  reins,
  ReinsSDK,
  TRPCClientError,
  type AppRouter,
  type RouterOutputs,
} from 'reins-sdk';

const trpc = createReinsTRPCClient({ apiKey: 'rk_test_typed', timeoutMs: 5_000 });

export async function submit(): Promise<string> {
  const tx = await trpc.transactions.submit.mutate({ amount: 320, vendor: 'openai', model: 'gpt-4' });
  const listed: RouterOutputs['transactions']['list'] = await trpc.transactions.list.query({ limit: 10 });
  const tokens: number = listed.transactions[0]?.tokensIn ?? 0;
  try {
    const trace = await trpc.transactions.trace.query({ id: tx.id });
    return trace.evaluatedRules.map((r) => r.ruleId).join(',') + String(tokens);
  } catch (err) {
    if (err instanceof TRPCClientError) {
      const code: string | undefined = (err as TRPCClientError<AppRouter>).data?.reins.code;
      return code ?? tx.action;
    }
    throw err;
  }
}

export async function rest(): Promise<string> {
  const result = await reins({ apiKey: 'rk_test_typed' }).submitTransaction({ amount: 320, vendor: 'openai' });
  const sdk = new ReinsSDK({ apiKey: 'rk_test_typed' });
  await sdk.close();
  return result.success ? result.id : result.code;
}
`;
    await writeFile(join(consumerDir, 'good.mts'), consumer);
    await writeFile(join(consumerDir, 'good.cts'), consumer);
    const res = await tsc(['good.mts', 'good.cts']);
    expect(res.stdout + res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it('fails a consumer that reads a field the API does not have', async () => {
    await writeFile(
      join(consumerDir, 'bad.mts'),
      `import { createReinsTRPCClient } from 'reins-sdk';

const trpc = createReinsTRPCClient({ apiKey: 'rk_test_typed' });
const tx = await trpc.transactions.submit.mutate({ amount: 320, vendor: 'openai' });
export const id: string = tx.transactionId;
`,
    );
    const res = await tsc(['bad.mts']);
    expect(res.code).not.toBe(0);
    expect(res.stdout).toMatch(
      /bad\.mts\(5,\d+\): error TS2339: Property 'transactionId' does not exist/,
    );
    // Only the consumer's mistake: nothing in reins-sdk's or its dependencies' declarations.
    expect(
      res.stdout
        .trim()
        .split('\n')
        .filter((l) => /error TS/.test(l)),
    ).toHaveLength(1);
  });
});
