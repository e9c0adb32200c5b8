/**
 * The Python SDK's own suite (`python3 -m unittest` in packages/sdk-python), run by `pnpm test`:
 * it starts a real Reins server (test/server.ts) on a fresh database, on PostgreSQL when
 * TEST_DATABASE_URL is set. Passes when every Python test passes; shows the output otherwise.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(
  cmd: string,
  args: string[],
): Promise<{ code: number | null; output: string; error: Error | null }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: packageDir,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', (error) => {
      resolve({ code: null, output, error });
    });
    child.once('close', (code) => {
      resolve({ code, output, error: null });
    });
  });
}

it('the Python SDK passes its unittest suite against a real Reins server', async () => {
  const res = await run('python3', ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.', '-v']);
  expect(res.error, 'python3 must be on PATH').toBeNull();
  expect(res.code, res.output).toBe(0);
  // Every test ran: none was skipped, and the suite found them all.
  expect(res.output, res.output).toMatch(/^OK$/m);
  expect(res.output).not.toMatch(/skipped/);
  const ran = /Ran (\d+) tests?/.exec(res.output);
  expect(Number(ran?.[1] ?? 0), res.output).toBeGreaterThanOrEqual(50);
});
