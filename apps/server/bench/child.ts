/**
 * A Reins server as its own process (`src/main.ts` through tsx, with `pnpm start`'s heap flag; not
 * the build `pnpm start` runs, whose steady state measured the same) on a database URL, for
 * benchmarks whose load must not share a thread with the server.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface Child {
  port: number;
  stop(): Promise<void>;
}

export function spawnServer(
  url: string,
  bootstrapKey: string,
  env: Record<string, string>,
): Promise<Child> {
  const child = spawn(
    process.execPath,
    ['--max-semi-space-size=16', '--import', 'tsx', 'src/main.ts'],
    {
      cwd: serverDir,
      env: {
        ...process.env,
        DATABASE_URL: url,
        PORT: '0',
        LOG_LEVEL: 'warn',
        REINS_RATE_LIMIT_RPS: '0',
        REINS_BOOTSTRAP_KEY: bootstrapKey,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<void>((r) => {
    child.once('exit', () => {
      r();
    });
  });
  return new Promise((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /Reins listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m?.[1]) {
        resolve({
          port: Number(m[1]),
          async stop() {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => {
      reject(new Error(`server exited:\n${out}`));
    });
  });
}
