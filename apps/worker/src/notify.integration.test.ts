/**
 * Two `pnpm worker` processes on one database deliver the notification outbox: each row reaches
 * the receiver exactly once when nothing fails, and both stop cleanly on SIGTERM. Skipped on
 * embedded PGlite (one process only).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServerUrl, useTestOrm } from '@reins/db';
import { startHttpReceiver } from '@reins/jobs/testing';
import { newId, plainSql } from '@reins/ledger';

const workerDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const db = useTestOrm('worker_notify', { beforeAll, afterAll });
const ROWS = 400;

interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** `src/main.ts` with `env`; resolves once it says it started. */
function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: workerDir,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  const proc: WorkerProcess = {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Reins worker started')) resolve(proc);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      reject(new Error(`worker exited with ${String(code)} before starting:\n${out}`));
    });
  });
}

// Needs a PostgreSQL server: embedded PGlite admits one process.
describe.skipIf(!testServerUrl())('pnpm worker: notifications', () => {
  it('two worker processes deliver each of 400 rows exactly once, then stop on SIGTERM', async () => {
    const receiver = await startHttpReceiver(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return { status: 200 };
    });
    const sql = plainSql(db.orm);
    const orgId = newId('org');
    const channelId = newId('chan');
    await sql(`insert into organization (id, name) values (?, 'Workers')`, [orgId]);
    await sql(
      `insert into notification_channel (id, org_id, name, type, config)
       values (?, ?, 'hook', 'webhook', ?::jsonb)`,
      [channelId, orgId, JSON.stringify({ url: receiver.url, secret: 'whsec_workers_0123456789' })],
    );
    const env = { DATABASE_URL: db.url, REINS_DB_POOL: '2', REINS_NOTIFY_MS: '20' };
    const workers = await Promise.all([spawnWorker(env), spawnWorker(env)]);
    try {
      // Queued once both poll, so that they race for the same rows.
      const ids = Array.from({ length: ROWS }, () => newId('ntf'));
      await sql(
        `insert into notification_outbox (id, org_id, channel_id, payload)
         select x.id, ?, ?, '{"message":"m"}'::jsonb from jsonb_to_recordset(?::jsonb) as x(id text)`,
        [orgId, channelId, JSON.stringify(ids.map((id) => ({ id })))],
      );
      const deadline = Date.now() + 60_000;
      const pending = async () =>
        (
          await sql<{ n: number }>(
            `select count(*)::int as n from notification_outbox where status = 'pending'`,
          )
        )[0]?.n;
      while ((await pending()) !== 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const delivered = receiver.received.map((r) => String(r.headers['x-reins-delivery']));
      expect(delivered).toHaveLength(ROWS);
      expect(new Set(delivered)).toEqual(new Set(ids));
      expect(
        await sql(
          `select status, attempts, count(*)::int as n from notification_outbox group by 1, 2`,
        ),
      ).toEqual([{ status: 'delivered', attempts: 1, n: ROWS }]);
    } finally {
      const codes = await Promise.all(workers.map((w) => w.stop()));
      await receiver.close();
      expect(codes).toEqual([0, 0]);
    }
  });
});
