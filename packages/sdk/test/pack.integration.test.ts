/**
 * reins-sdk as its users get it: built, packed (`pnpm pack`, which writes the catalog's versions
 * into package.json as `pnpm publish` does), installed from the tarball with npm into a fresh
 * project outside the monorepo — first alone (offline: it has no dependency to fetch), then with
 * the tRPC peers and TypeScript — and loaded with require() and with import against a real Reins
 * server, and typechecked by a consumer's own tsc without skipLibCheck.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '@reins/server/testing';
import { BUILT, ensureBuilt, repoDir, sdkDir } from './build.js';

const PEERS = ['@trpc/client', '@trpc/server', 'superjson'];

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

/** The environment for npm and the consumer: none of pnpm's own npm_* settings. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep =
    /^npm_config_(registry|cache|userconfig|https?_proxy|proxy|noproxy|cafile|strict_ssl)$/i;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_)/i.test(k) && !keep.test(k)) continue;
    // pnpm's bin shims point NODE_PATH at the workspace's packages: a consumer has none of them.
    if (k === 'NODE_PATH') continue;
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
  await ensureBuilt();
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
  // Offline: the tarball is all there is to install.
  await must('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], {
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

/** Transactions of the org with this agent, by id. */
async function recordedIds(agentId: string): Promise<string[]> {
  if (!server) throw new Error('no Reins server');
  const res = await server.call<{ transactions: { id: string }[] }>(
    'GET',
    `/api/v1/transactions?agentId=${agentId}`,
    undefined,
    { key: consumerEnv.REINS_API_KEY ?? null },
  );
  expect(res.status).toBe(200);
  return res.body.transactions.map((t) => t.id).sort();
}

/** The child's answers all passed, and Reins recorded exactly those transactions. */
async function expectRecorded(stdout: string, agentId: string): Promise<void> {
  const out = JSON.parse(stdout) as Record<string, { id: string; action: string }>;
  for (const answer of Object.values(out)) expect(answer).toMatchObject({ action: 'pass' });
  expect(await recordedIds(agentId)).toEqual(
    Object.values(out)
      .map((a) => a.id)
      .sort(),
  );
}

const node = (args: string[]) =>
  must(process.execPath, args, { cwd: consumerDir, env: consumerEnv });

describe('the published package', () => {
  it('holds only dist, README.md and package.json; no dependencies, the tRPC packages as optional peers', async () => {
    const list = await must('tar', ['-tzf', tarball], { cwd: packDir });
    const files = list.stdout.split('\n').filter(Boolean);
    for (const f of files) expect(f).toMatch(/^package\/(dist\/.+|README\.md|package\.json)$/);
    for (const f of BUILT) expect(files).toContain(`package/dist/${f}`);

    const pkg = JSON.parse(await readFile(join(installed(), 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    expect(pkg.dependencies).toBeUndefined();
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(PEERS);
    for (const version of Object.values(pkg.peerDependencies)) expect(version).toMatch(/^\^\d/);
    for (const peer of PEERS) expect(pkg.peerDependenciesMeta[peer]).toEqual({ optional: true });
  });

  it('installs alone: npm ls lists no dependency, node_modules holds reins-sdk only', async () => {
    // `npm ls --prod`, spelt as npm 11 wants it; --parseable prints the installed packages only
    // (the JSON tree also lists the optional peers, as not installed).
    const ls = await must('npm', ['ls', '--omit=dev', '--all', '--parseable', '--offline'], {
      cwd: consumerDir,
      env: cleanEnv(),
    });
    expect(ls.stdout.trim().split('\n')).toEqual([
      consumerDir,
      join(consumerDir, 'node_modules', 'reins-sdk'),
    ]);
    const modules = (await readdir(join(consumerDir, 'node_modules'))).filter(
      (f) => !f.startsWith('.'),
    );
    expect(modules).toEqual(['reins-sdk']);
  });

  it('passes the build check as installed: the root imports nothing, the subpaths only their peers', async () => {
    // The build's own check (scripts/check-dist.js), run on what a consumer installed.
    const checkDist = join(sdkDir, 'scripts/check-dist.js');
    const check = await must('node', [checkDist, join(installed(), 'dist')], { cwd: sdkDir });
    expect(check.stdout).toMatch(
      /^check-dist: root entry \(reins-sdk\): \d+ files import nothing$/m,
    );
    expect(check.stdout).toContain(`files import ${PEERS.join(', ')}\n`);
    expect(check.stdout).toMatch(
      /^check-dist: standalone files \(reins.js, reins.mjs\): 2 files import nothing$/m,
    );
    const size = /root entry minified ([\d.]+) KB \(\d+ B\), gzipped ([\d.]+) KB/.exec(
      check.stdout,
    );
    expect(Number(size?.[1])).toBeLessThanOrEqual(40);
    expect(Number(size?.[2])).toBeGreaterThan(0);

    // …which refuses a root entry that imports a Node built-in or even a peer, and a subpath
    // that imports anything else.
    const bad = await mkdtemp(join(tmpdir(), 'reins-sdk-bad-dist-'));
    try {
      await cp(join(installed(), 'dist'), bad, { recursive: true });
      const chunk = /from '\.\/(chunk-[\w-]+\.js)'/.exec(
        await readFile(join(bad, 'index.js'), 'utf8'),
      )?.[1];
      if (!chunk) throw new Error('index.js imports no chunk');
      const append = async (file: string, text: string) =>
        writeFile(join(bad, file), (await readFile(join(bad, file), 'utf8')) + text);
      await append(chunk, "\nimport { randomUUID } from 'node:crypto';\n");
      await append('index.cjs', "\nconst superjson = require('superjson');\n");
      await append('trpc.d.ts', "\nimport type { Server } from 'node:http';\n");
      await append('local.js', "\nimport pg from 'pg';\n");
      const refused = await run('node', [checkDist, bad], { cwd: sdkDir });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`root entry (reins-sdk): ${chunk} imports node:crypto`);
      expect(refused.stderr).toContain('root entry (reins-sdk): index.cjs imports superjson');
      expect(refused.stderr).toContain('trpc.d.ts imports node:http');
      expect(refused.stderr).toContain('local.js imports pg');
      expect(refused.stderr).not.toContain('trpc.js imports');
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});

describe('the installed package, alone', () => {
  it('loads with require() and submits transactions to Reins', async () => {
    const res = await node([
      '-e',
      `const { reins, ReinsSDK } = require('reins-sdk');
      (async () => {
        const rest = await reins().submitTransaction({ amount: 125, vendor: 'openai', model: 'gpt-4o', agentId: 'pack-cjs' });
        await new ReinsSDK().close();
        console.log(JSON.stringify({ rest }));
      })().catch((err) => { console.error(err); process.exit(1); });`,
    ]);
    await expectRecorded(res.stdout, 'pack-cjs');
  });

  it('loads with import and submits transactions to Reins', async () => {
    await writeFile(
      join(consumerDir, 'esm-check.mjs'),
      `import { reins, ReinsSDK } from 'reins-sdk';
      const rest = await reins().submitTransaction({ amount: 240, vendor: 'openai', model: 'gpt-4o', agentId: 'pack-esm' });
      await new ReinsSDK().close();
      console.log(JSON.stringify({ rest }));
      `,
    );
    const res = await node(['esm-check.mjs']);
    await expectRecorded(res.stdout, 'pack-esm');
  });

  it('exposes the same named exports to require() and import, reins-sdk/local a superset', async () => {
    const names = async (spec: string) => {
      const cjs = await node([
        '-e',
        `console.log(JSON.stringify(Object.keys(require('${spec}')).sort()))`,
      ]);
      const esm = await node([
        '--input-type=module',
        '-e',
        `console.log(JSON.stringify(Object.keys(await import('${spec}')).sort()))`,
      ]);
      expect(JSON.parse(esm.stdout)).toEqual(JSON.parse(cjs.stdout));
      return JSON.parse(cjs.stdout) as string[];
    };
    const root = await names('reins-sdk');
    expect(root).toEqual(['ReinsBlockedError', 'ReinsError', 'ReinsSDK', 'reins']);
    expect(await names('reins-sdk/local')).toEqual([...root, 'LocalPolicy'].sort());
  });

  it("mode: 'local' names reins-sdk/local from the root, and decides in-process from there", async () => {
    const res = await node([
      '-e',
      `const root = require('reins-sdk');
      const local = require('reins-sdk/local');
      (async () => {
        let refused = null;
        try { new root.ReinsSDK({ mode: 'local' }); } catch (err) { refused = err.message; }
        const sdk = new local.ReinsSDK({ mode: 'local' });
        await sdk.sync();
        const decision = sdk.evaluateLocally({ vendor: 'openai', model: 'gpt-4o', amount: 100 });
        await sdk.close();
        const sameError = new local.ReinsError('x', { code: 'X', status: 0 }) instanceof root.ReinsError;
        console.log(JSON.stringify({ refused, action: decision.action, sameError }));
      })().catch((err) => { console.error(err); process.exit(1); });`,
    ]);
    const out = JSON.parse(res.stdout) as { refused: string; action: string; sameError: boolean };
    expect(out.refused).toContain("import { ReinsSDK } from 'reins-sdk/local'");
    expect(out.action).toBe('pass');
    expect(out.sameError).toBe(true);
  });

  it('reins-sdk/trpc without its peers fails to load, naming the missing package', async () => {
    const res = await run(process.execPath, ['-e', `require('reins-sdk/trpc')`], {
      cwd: consumerDir,
      env: consumerEnv,
    });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("Cannot find module '@trpc/client'");
  });
});

describe('the installed package, with the tRPC peers and TypeScript', () => {
  beforeAll(async () => {
    await must(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        'typescript@6.0.3',
        '@trpc/client@11.25.2',
        '@trpc/server@11.25.2',
        'superjson@2.2.6',
      ],
      { cwd: consumerDir, env: cleanEnv(), timeoutMs: 600_000 },
    );
  }, 900_000);

  it('reins-sdk/trpc loads with require() and import and submits transactions', async () => {
    const cjs = await node([
      '-e',
      `const { createReinsTRPCClient } = require('reins-sdk/trpc');
      const { reins } = require('reins-sdk');
      (async () => {
        const rest = await reins().submitTransaction({ amount: 75, vendor: 'openai', agentId: 'pack-trpc-cjs' });
        const trpc = await createReinsTRPCClient().transactions.submit.mutate({ amount: 75, vendor: 'anthropic', agentId: 'pack-trpc-cjs' });
        console.log(JSON.stringify({ rest, trpc }));
      })().catch((err) => { console.error(err); process.exit(1); });`,
    ]);
    await expectRecorded(cjs.stdout, 'pack-trpc-cjs');
    await writeFile(
      join(consumerDir, 'trpc-check.mjs'),
      `import { createReinsTRPCClient } from 'reins-sdk/trpc';
      const trpc = await createReinsTRPCClient().transactions.submit.mutate({ amount: 60, vendor: 'anthropic', agentId: 'pack-trpc-esm' });
      console.log(JSON.stringify({ trpc }));
      `,
    );
    const esm = await node(['trpc-check.mjs']);
    await expectRecorded(esm.stdout, 'pack-trpc-esm');
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

  it('typechecks a consumer of all three entries without skipLibCheck, from ESM and CommonJS', async () => {
    const consumer = `import { reins, ReinsSDK, ReinsError } from 'reins-sdk';
import {
  createReinsTRPCClient,
  TRPCClientError,
  type AppRouter,
  type RouterOutputs,
} from 'reins-sdk/trpc';
import { ReinsSDK as LocalSDK, type Decision } from 'reins-sdk/local';

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

export async function local(): Promise<Decision['action']> {
  const sdk: ReinsSDK = new LocalSDK({ apiKey: 'rk_test_typed', mode: 'local' });
  if (!(sdk instanceof LocalSDK)) throw new ReinsError('not local', { code: 'X', status: 0 });
  await sdk.sync();
  return sdk.evaluateLocally({ vendor: 'openai', model: 'gpt-4o', amount: 1 }).action;
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
      `import { createReinsTRPCClient } from 'reins-sdk/trpc';

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
