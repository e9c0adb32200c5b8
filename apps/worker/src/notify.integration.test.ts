/**
 * Two `pnpm worker` processes on one database deliver the notification outbox: each row reaches
 * the receiver exactly once when nothing fails, and both stop cleanly on SIGTERM; a worker killed
 * mid-delivery leaves its lease to expire, and the other sends the row again with the same id.
 * Skipped on
 * embedded PGlite (one process only).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServerUrl, useTestOrm } from '@reins/db';
import { startHttpReceiver } from '@reins/jobs/testing';
import { newId, plainSql } from '@reins/ledger';
import { spawnWorker, type WorkerProcess } from '../test/processes.js';

const db = useTestOrm('worker_notify', { beforeAll, afterAll });
const ROWS = 400;

// Needs a PostgreSQL server: embedded PGlite admits one process.
/** An organization with one webhook channel to `url`; answers a function that queues rows. */
async function webhookOrg(url: string): Promise<(n: number) => Promise<string[]>> {
  const sql = plainSql(db.orm);
  const orgId = newId('org');
  const channelId = newId('chan');
  await sql(`insert into organization (id, name) values (?, 'Workers')`, [orgId]);
  await sql(
    `insert into notification_channel (id, org_id, name, type, config)
     values (?, ?, 'hook', 'webhook', ?::jsonb)`,
    [channelId, orgId, JSON.stringify({ url, secret: 'whsec_workers_0123456789' })],
  );
  return async (n) => {
    const ids = Array.from({ length: n }, () => newId('ntf'));
    await sql(
      `insert into notification_outbox (id, org_id, channel_id, payload)
       select x.id, ?, ?, '{"message":"m"}'::jsonb from jsonb_to_recordset(?::jsonb) as x(id text)`,
      [orgId, channelId, JSON.stringify(ids.map((id) => ({ id })))],
    );
    return ids;
  };
}

async function outboxRow(id: string) {
  const rows = await plainSql(db.orm)<{ status: string; attempts: number }>(
    `select status, attempts from notification_outbox where id = ?`,
    [id],
  );
  return rows[0];
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${String(ms)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!testServerUrl())('pnpm worker: notifications', () => {
  it('two worker processes deliver each of 400 rows exactly once, then stop on SIGTERM', async () => {
    const receiver = await startHttpReceiver(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return { status: 200 };
    });
    const sql = plainSql(db.orm);
    const enqueue = await webhookOrg(receiver.url);
    const env = { DATABASE_URL: db.url, REINS_DB_POOL: '2', REINS_NOTIFY_MS: '20' };
    const workers = await Promise.all([spawnWorker(env), spawnWorker(env)]);
    try {
      // Queued once both poll, so that they race for the same rows.
      const ids = await enqueue(ROWS);
      const deadline = Date.now() + 60_000;
      const pending = async () =>
        (
          await sql<{ n: number }>(
            `select count(*)::int as n from notification_outbox
              where status = 'pending' and id in (select jsonb_array_elements_text(?::jsonb))`,
            [JSON.stringify(ids)],
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
          `select status, attempts, count(*)::int as n from notification_outbox
            where id in (select jsonb_array_elements_text(?::jsonb)) group by 1, 2`,
          [JSON.stringify(ids)],
        ),
      ).toEqual([{ status: 'delivered', attempts: 1, n: ROWS }]);
    } finally {
      const codes = await Promise.all(workers.map((w) => w.stop()));
      await receiver.close();
      expect(codes).toEqual([0, 0]);
    }
  });

  it('a worker killed mid-delivery: the lease expires and the other worker redelivers the same id', async () => {
    // The first request hangs (the worker is killed while waiting); later ones succeed.
    const receiver = await startHttpReceiver((req) => (req.n === 1 ? 'hang' : { status: 200 }));
    const enqueue = await webhookOrg(receiver.url);
    // A 1 s attempt timeout gives a 6 s lease (timeout + 5 s).
    const env = {
      DATABASE_URL: db.url,
      REINS_DB_POOL: '2',
      REINS_NOTIFY_MS: '20',
      REINS_NOTIFY_TIMEOUT_MS: '1000',
    };
    const doomed = await spawnWorker(env);
    let survivor: WorkerProcess | undefined;
    try {
      const [id = ''] = await enqueue(1);
      await waitFor(() => receiver.received.length === 1, 30_000);
      const killedAt = Date.now();
      doomed.child.kill('SIGKILL');
      expect(await doomed.stop()).toBeNull();
      expect(await outboxRow(id)).toEqual({ status: 'pending', attempts: 1 });

      survivor = await spawnWorker(env);
      await waitFor(async () => (await outboxRow(id))?.status === 'delivered', 30_000);
      // Not before the lease ran out.
      expect(Date.now() - killedAt).toBeGreaterThan(4000);
      expect(receiver.received.map((r) => r.headers['x-reins-delivery'])).toEqual([id, id]);
      expect(receiver.received.map((r) => r.headers['x-reins-attempt'])).toEqual(['1', '2']);
      expect(receiver.received[1]?.body).toBe(receiver.received[0]?.body);
      expect(await outboxRow(id)).toEqual({ status: 'delivered', attempts: 2 });
    } finally {
      await doomed.stop();
      const code = await survivor?.stop();
      await receiver.close();
      expect(code).toBe(0);
    }
  });
});
