/** Reins server processes for tests that need more than one (`tsx src/main.ts` children). */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Orm } from '@reins/db';
import { request, type Reply } from './harness.js';

const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts `src/main.ts` with `env` on a free port; resolves once it listens. */
export function spawnServer(
  env: Record<string, string>,
  timeoutMs = 240_000,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Reins listening on (http:\/\/[^\s]+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({ url: m[1], child, output: () => out, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${String(code)} before listening:\n${out}`));
    });
  });
}

/** `sql` in the shape of `TestServer['sql']`, on an ORM of the test's own. */
export function sqlOn(
  orm: Orm,
): <T = Record<string, string>>(q: string, p?: unknown[]) => Promise<T[]> {
  return async <T>(q: string, p: unknown[] = []) => {
    const rows: unknown = await orm.em.fork().getConnection().execute(q, p, 'all');
    return rows as T[];
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * POSTs as a client with an idempotency key does: a request that gets no answer, or a 5xx, is
 * sent again under the same key — to `servers()[(start + attempt) % n]`, so a retry may go to
 * another server — after `delayMs(attempt)`. After `attempts` tries the last 5xx is returned (or
 * the last error thrown).
 */
export async function postWithRetries(
  servers: () => ServerProcess[],
  path: string,
  body: unknown,
  key: string,
  opts: {
    attempts: number;
    delayMs: (attempt: number) => number;
    start?: number;
    onRetry?: () => void;
  },
): Promise<Reply> {
  for (let attempt = 1; ; attempt++) {
    const targets = servers();
    const server = targets[((opts.start ?? 0) + attempt - 1) % targets.length] as ServerProcess;
    try {
      const res = await request<Record<string, unknown>>(server.url, 'POST', path, body, {
        headers: { 'idempotency-key': key },
      });
      if (res.status < 500 || attempt >= opts.attempts) return res;
    } catch (err) {
      // No answer: the server is gone, or the connection was cut.
      if (attempt >= opts.attempts) throw err;
    }
    opts.onRetry?.();
    await sleep(opts.delayMs(attempt));
  }
}
