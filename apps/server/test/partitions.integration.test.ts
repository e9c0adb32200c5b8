/**
 * Transactions and audit events partitioned by month (docs/operations.md, "Data volume"): writes
 * across a month boundary land in their months, and everything that spans the boundary — lists,
 * reads by id, idempotent replays, a reservation settled in the next month — works as before;
 * two servers racing one idempotency key across the boundary record it once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  ensurePartitionsSql,
  initOrm,
  migrateUp,
  testServerUrl,
  type Orm,
  type TestDatabase,
} from '@reins/db';
import { defaultEnv } from '../src/env.js';
import { startServer, type RunningServer } from '../src/server.js';
import { ADMIN_KEY, request, useTestServer, type Reply } from './harness.js';
import { cappedOrg } from './helpers.js';

const t = useTestServer('partitions');

afterEach(() => {
  t().clock.set(null);
});

interface Tx {
  id: string;
  status?: string;
  action?: string;
}

const JAN_LAST = '2027-01-31T23:59:58.000Z';
const FEB_FIRST = '2027-02-01T00:00:01.000Z';

/** The partition each of `ids` is stored in. */
async function partitionsOf(ids: string[]): Promise<Record<string, string>> {
  const rows = await t().sql<{ id: string; part: string }>(
    `select id, tableoid::regclass::text as part from transaction_record
      where id in (?)`,
    [ids],
  );
  return Object.fromEntries(rows.map((r) => [r.id, r.part]));
}

describe('a month rollover', () => {
  beforeAll(async () => {
    // The months the test writes in (the migration created the months after today's).
    for (const sql of ensurePartitionsSql(new Date(JAN_LAST), 1)) await t().sql(sql);
  });

  it('writes each side of the boundary to its month; lists, reads, replays and settles span it', async () => {
    const { orgId, key } = await cappedOrg(t(), 'rollover', 100_000);
    const post = (body: Record<string, unknown>, idem?: string) =>
      t().call<Tx>(
        'POST',
        '/api/v1/transactions',
        { vendor: 'openai', model: 'gpt-4o', agentId: 'bot', ...body },
        { key, headers: idem ? { 'idempotency-key': idem } : {} },
      );

    t().clock.set(JAN_LAST);
    const jan = await post({ amount: 10 }, 'rollover-jan');
    expect(jan.status).toBe(202);
    const reservation = await post({ amount: 50, phase: 'reserve' });
    expect(reservation.status).toBe(202);
    expect(reservation.body.status).toBe('reserved');

    t().clock.set(FEB_FIRST);
    const feb = await post({ amount: 20 }, 'rollover-feb');
    expect(feb.status).toBe(202);
    expect(await partitionsOf([jan.body.id, reservation.body.id, feb.body.id])).toEqual({
      [jan.body.id]: 'transaction_record_p202701',
      [reservation.body.id]: 'transaction_record_p202701',
      [feb.body.id]: 'transaction_record_p202702',
    });
    const events = await t().sql<{ part: string; n: number }>(
      `select tableoid::regclass::text as part, count(*)::int as n from audit_event
        where org_id = ? and entity_type = 'transaction' group by 1 order by 1`,
      [orgId],
    );
    expect(events).toEqual([
      { part: 'audit_event_p202701', n: 2 },
      { part: 'audit_event_p202702', n: 1 },
    ]);

    // A replay in February of January's key: the first answer, nothing written.
    const replay = await post({ amount: 10 }, 'rollover-jan');
    expect(replay.status).toBe(jan.status);
    expect(replay.text).toBe(jan.text);
    const conflict = await post({ amount: 11 }, 'rollover-jan');
    expect(conflict.status).toBe(409);

    // January's reservation settled in February.
    const settled = await t().call<Tx>(
      'POST',
      `/api/v1/transactions/${reservation.body.id}/settle`,
      { amount: 40 },
      { key },
    );
    expect(settled.status).toBe(200);
    const read = await t().call<{ transaction: Tx & { amount: number } }>(
      'GET',
      `/api/v1/transactions/${reservation.body.id}`,
      undefined,
      { key },
    );
    expect(read.body.transaction).toMatchObject({ status: 'settled', amount: 40 });

    // The list walks both months, newest first, one page or two.
    const list = await t().call<{ transactions: Tx[]; total: number }>(
      'GET',
      '/api/v1/transactions?limit=10',
      undefined,
      { key },
    );
    expect(list.body.total).toBe(3);
    expect(list.body.transactions.map((x) => x.id)).toEqual([
      feb.body.id,
      ...[reservation.body.id, jan.body.id].sort().reverse(),
    ]);
    const rows = await t().sql<{ n: number }>(
      'select count(*)::int as n from transaction_record where org_id = ?',
      [orgId],
    );
    expect(rows[0]?.n).toBe(3);
  });
});

// Two servers in this process need two connection pools on one database: a real server.
const realPostgres = testServerUrl() !== undefined;

describe.skipIf(!realPostgres)('two servers racing one key across the month boundary', () => {
  let db: TestDatabase;
  const orms: Orm[] = [];
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('partitions_race');
    for (const at of [
      Date.parse('2027-01-31T23:59:59.999Z'),
      Date.parse('2027-02-01T00:00:00.000Z'),
    ]) {
      const orm = await initOrm(db.url, { maxConnections: 3 });
      orms.push(orm);
      if (orms.length === 1) {
        await migrateUp(orm);
        for (const sql of ensurePartitionsSql(new Date(at), 1)) {
          await orm.em.getConnection().execute(sql);
        }
      }
      const env = defaultEnv({
        PORT: 0,
        LOG_LEVEL: 'silent',
        REINS_BOOTSTRAP_KEY: ADMIN_KEY,
        REINS_KEY_ENV: 'test',
        REINS_RATE_LIMIT_RPS: 0,
        REINS_WORKER: 'off',
      });
      servers.push(
        await startServer(env, {
          clock: () => at,
          db: { orm, mode: 'postgres', close: () => orm.close() },
        }),
      );
    }
  }, 300_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await db.drop();
  }, 300_000);

  it('records one transaction for 200 copies of one keyed request, half of them in each month', async () => {
    for (const [round, amount] of [25, 30, 35].entries()) {
      const idem = `race-${String(round)}`;
      const body = { amount, vendor: 'openai', model: 'gpt-4o', agentId: 'racer' };
      const replies = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          request<Tx>((servers[i % 2] as RunningServer).url, 'POST', '/api/v1/transactions', body, {
            headers: { 'idempotency-key': idem },
          }),
        ),
      );
      const first = replies[0] as Reply<Tx>;
      expect(first.status).toBe(202);
      for (const r of replies) expect(r.text).toBe(first.text);
      const rows = (await orms[0]?.em
        .fork()
        .getConnection()
        .execute(
          `select id, tableoid::regclass::text as part from transaction_record
            where idempotency_key = ?`,
          [idem],
          'all',
        )) as { id: string; part: string }[];
      expect(rows.map((r) => r.id)).toEqual([first.body.id]);
      expect(rows[0]?.part).toMatch(/_p20270[12]$/);
    }
  }, 120_000);
});
