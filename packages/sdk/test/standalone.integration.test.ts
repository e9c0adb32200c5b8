/**
 * The one file to copy, as the docs tell users to: fetched from a running Reins at /sdk/reins.js
 * (and /sdk/reins.mjs) into an empty folder with no node_modules anywhere above it, then the
 * docs' quickstart run there with plain `node` against that Reins; and `wrap()` with the real
 * `openai` client (imported by file URL from the workspace: the folder has no packages) against
 * the fake provider.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '@reins/server/testing';
import { ensureBuilt, sdkDir } from './build.js';
import { startFakeProvider, type FakeProvider } from './fakeProvider.js';
import { priceOf, transactionsOf } from './support.js';

let s: (TestServer & { close(): Promise<void> }) | undefined;
let fake: FakeProvider;
let served = '';
let folder = '';

const server = () => {
  if (!s) throw new Error('no Reins server');
  return s;
};

beforeAll(async () => {
  await ensureBuilt();
  // The server serves a copy, so that a rebuild by another test file cannot pull it away.
  served = await mkdtemp(join(tmpdir(), 'reins-sdk-served-'));
  for (const f of ['reins.js', 'reins.mjs']) {
    await copyFile(join(sdkDir, 'dist', f), join(served, f));
  }
  s = await startTestServer('sdk_standalone', { REINS_SDK_DIR: served });
  fake = await startFakeProvider();
  folder = await mkdtemp(join(tmpdir(), 'reins-copy-'));
  // Nothing for `require` or `import` to find: no node_modules here or in any folder above.
  for (let dir = folder; ; dir = dirname(dir)) {
    expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);
    if (dir === parse(dir).root) break;
  }
  await mkdir(join(folder, 'sdk'));
  for (const f of ['reins.js', 'reins.mjs']) {
    const res = await fetch(`${server().url}/sdk/${f}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    await writeFile(join(folder, 'sdk', f), await res.text());
  }
}, 900_000);

afterAll(async () => {
  await fake.close();
  await s?.close();
  for (const dir of [served, folder]) if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

/** Runs `node <file>` in the folder; its stdout, or a failure with its stderr. */
function runNode(file: string, env: Record<string, string>): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [file],
      // No NODE_PATH, no NODE_OPTIONS: only what is in the folder.
      { cwd: folder, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) fail(new Error(`node ${file}: ${err.message}\n${stdout}\n${stderr}`));
        else done(stdout);
      },
    );
  });
}

describe('sdk/reins.js copied from Reins', () => {
  it('is what the SDK build wrote, byte for byte, and names no module to load', async () => {
    for (const f of ['reins.js', 'reins.mjs']) {
      const copied = await readFile(join(folder, 'sdk', f), 'utf8');
      expect(copied).toBe(await readFile(join(sdkDir, 'dist', f), 'utf8'));
      expect(copied).not.toMatch(/\brequire\(|^\s*import\s|\bimport\(/m);
    }
  });

  it("runs the docs' quickstart with plain node and the transaction is recorded", async () => {
    const { key } = await server().newOrg('Standalone quickstart');
    // The docs' quickstart as written (require('reins-sdk') → the copied file), in a CommonJS
    // script: the top-level await of the docs inside an async function.
    await writeFile(
      join(folder, 'quickstart.js'),
      `const { reins } = require('./sdk/reins.js');
const client = reins({
  apiKey: process.env.REINS_API_KEY,
  baseUrl: process.env.REINS_BASE_URL,
});
(async () => {
  // Submit a transaction
  const result = await client.submitTransaction({
    amount: 150, // cents — $1.50
    vendor: 'openai',
    model: 'gpt-4',
    userId: 'user-123',
  });
  console.log('Transaction recorded:', result.id);
})();
`,
    );
    const out = await runNode('quickstart.js', {
      REINS_API_KEY: key,
      REINS_BASE_URL: server().url,
    });
    const id = /^Transaction recorded: (\S+)$/m.exec(out)?.[1];
    expect(id).toBeTruthy();
    const [tx, ...rest] = await transactionsOf(server(), key);
    expect(rest).toHaveLength(0);
    expect(tx).toMatchObject({
      id,
      amount: 150,
      vendor: 'openai',
      model: 'gpt-4',
      userId: 'user-123',
      action: 'pass',
    });
  });

  it('wraps the real openai client (reins.mjs): the call is reserved, made and settled', async () => {
    const { key } = await server().newOrg('Standalone wrap');
    fake.reset();
    fake.usage = { input: 900, output: 120 };
    const openai = realpathSync(join(sdkDir, 'node_modules', 'openai', 'index.mjs'));
    await writeFile(
      join(folder, 'wrap.mjs'),
      `import OpenAI from ${JSON.stringify(pathToFileURL(openai).href)};
import { ReinsSDK } from './sdk/reins.mjs';

const sdk = new ReinsSDK({ agentId: 'copied-file' });
const client = sdk.wrap(new OpenAI({ apiKey: 'sk-test', baseURL: process.env.FAKE_URL, maxRetries: 0 }));
const completion = await client.chat.completions.create({
  model: 'gpt-4o',
  messages: [{ role: 'user', content: 'Say hello' }],
  max_completion_tokens: 200,
});
const stats = await sdk.close();
console.log(JSON.stringify({ content: completion.choices[0].message.content, stats }));
`,
    );
    const out = await runNode('wrap.mjs', {
      REINS_API_KEY: key,
      REINS_BASE_URL: server().url,
      FAKE_URL: `${fake.url}/v1`,
    });
    const res = JSON.parse(out) as { content: string; stats: Record<string, number> };
    expect(res.content).toBe(fake.text);
    expect(res.stats).toMatchObject({ failedOpen: 0, blocked: 0, pending: 0, rejected: 0 });
    expect(fake.requests).toHaveLength(1);
    const [tx, ...rest] = await transactionsOf(server(), key);
    expect(rest).toHaveLength(0);
    expect(tx).toMatchObject({
      vendor: 'openai',
      model: 'gpt-4o',
      agentId: 'copied-file',
      tokensIn: 900,
      tokensOut: 120,
      amountMicros: priceOf('openai', 'gpt-4o', { inputTokens: 900, outputTokens: 120 }),
      status: 'settled',
      metadata: { source: 'reins-sdk' },
    });
  });
});
