/**
 * The worker's upkeep jobs on a real database: releasing expired reservation holds (once, with
 * any number of workers) and pruning idempotency records past their retention.
 */
import { describe, expect, it } from 'vitest';
import { expireHoldsJob, pruneIdempotencyJob, startScheduler, type JobLog } from '@reins/jobs';
import { windowCounters } from './counts.js';
import { cappedOrg } from './helpers.js';
import { useTestServer } from './harness.js';

const t = useTestServer('worker', {
  // Timers that never fire during a test: each test runs the job when it wants.
  REINS_EXPIRE_HOLDS_MS: 3_600_000,
  REINS_PRUNE_MS: 3_600_000,
});

const M = 1_000_000;
const quiet: JobLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function reserve(key: string, amount: number, ttl: number, agentId = 'planner') {
  const res = await t().call<{ id: string; status: string }>(
    'POST',
    '/api/v1/transactions',
    { amount, vendor: 'openai', agentId, phase: 'reserve', reservationTtlSeconds: ttl },
    { key },
  );
  expect(res.status, res.text).toBe(202);
  return res.body.id;
}

async function statusOf(key: string, id: string): Promise<string> {
  const res = await t().call<{ transaction: { status: string } }>(
    'GET',
    `/api/v1/transactions/${id}`,
    undefined,
    { key },
  );
  return res.body.transaction.status;
}

describe('expire-holds', () => {
  it('releases holds past their TTL from the counters, marks them expired and audits each', async () => {
    const { orgId, key } = await cappedOrg(t(), 'expire', 1000);
    t().clock.set('2031-06-01T09:00:00.000Z');
    const short = await reserve(key, 300, 60);
    const long = await reserve(key, 200, 3600);
    const counted = () =>
      windowCounters(t(), orgId).then((w) => Object.values(w)[0] ?? { costMicros: 0 });
    expect((await counted()).costMicros).toBe(500 * M);

    t().clock.set('2031-06-01T09:00:59.000Z');
    await t().server.jobs?.runNow('expire-holds');
    expect(await statusOf(key, short)).toBe('reserved');

    t().clock.set('2031-06-01T09:01:00.000Z');
    await t().server.jobs?.runNow('expire-holds');
    expect(await statusOf(key, short)).toBe('expired');
    expect(await statusOf(key, long)).toBe('reserved');
    expect(await counted()).toMatchObject({ costMicros: 200 * M, requests: 1 });
    const events = await t().sql<{ entity_id: string; actor: string }>(
      `select entity_id, actor from audit_event where org_id = ? and event_type = 'transaction.expired'`,
      [orgId],
    );
    expect(events).toEqual([{ entity_id: short, actor: 'worker' }]);

    // A late settle still works: the released hold is not subtracted twice.
    const s = await t().call(
      'POST',
      `/api/v1/transactions/${short}/settle`,
      { amount: 100 },
      { key },
    );
    expect(s.status, s.text).toBe(200);
    expect((await counted()).costMicros).toBe(300 * M);
  });

  it('releases each hold exactly once when several workers run at the same moment', async () => {
    const { orgId, key } = await cappedOrg(t(), 'expire race', 1_000_000);
    t().clock.set('2031-06-02T09:00:00.000Z');
    const ids = await Promise.all(
      Array.from({ length: 40 }, (_, i) => reserve(key, 10 + i, 30, `a${String(i % 5)}`)),
    );
    t().clock.set('2031-06-02T10:00:00.000Z');
    const clock = () => Date.parse('2031-06-02T10:00:00.000Z');
    const workers = Array.from({ length: 3 }, () =>
      startScheduler(t().server.db.orm, [expireHoldsJob(3_600_000)], { clock, log: quiet }),
    );
    try {
      await Promise.all([
        ...workers.map((w) => w.runNow('expire-holds')),
        t().server.jobs?.runNow('expire-holds'),
      ]);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
    const [row] = await t().sql<{ n: string }>(
      `select count(*)::text as n from audit_event where org_id = ? and event_type = 'transaction.expired'`,
      [orgId],
    );
    expect(Number(row?.n)).toBe(ids.length);
    const statuses = await t().sql<{ status: string; n: string }>(
      `select status, count(*)::text as n from transaction_record where org_id = ? group by status`,
      [orgId],
    );
    expect(statuses).toEqual([{ status: 'expired', n: '40' }]);
    const totals = Object.values(await windowCounters(t(), orgId));
    expect(totals.every((w) => w.costMicros === 0 && w.requests === 0)).toBe(true);
  });
});

describe('prune-idempotency', () => {
  it('deletes stored answers older than the retention and keeps the rest, and a transaction keeps its key', async () => {
    const { orgId, key } = await cappedOrg(t(), 'prune', 1_000_000);
    t().clock.set('2031-07-10T12:00:00.000Z');
    const first = await t().call<{ id: string }>(
      'POST',
      '/api/v1/transactions',
      { amount: 5, vendor: 'openai' },
      { key, headers: { 'idempotency-key': 'fresh-1' } },
    );
    expect(first.status).toBeLessThan(300);
    await t().sql(
      `insert into idempotency_record (org_id, key, route, request_hash, created_at)
       select ?, 'old-' || g, 'POST /x', 'h', ?::timestamptz - interval '8 days'
         from generate_series(1, 7) g`,
      [orgId, '2031-07-10T12:00:00.000Z'],
    );
    await t().sql(
      `insert into idempotency_record (org_id, key, route, request_hash, created_at)
       values (?, 'six-days', 'POST /x', 'h', ?::timestamptz - interval '6 days')`,
      [orgId, '2031-07-10T12:00:00.000Z'],
    );
    // Chunks of 3: the job says there is more until the last chunk.
    const scheduler = startScheduler(t().server.db.orm, [pruneIdempotencyJob(3_600_000, 168, 3)], {
      clock: () => Date.parse('2031-07-10T12:00:00.000Z'),
      log: quiet,
    });
    try {
      expect(await scheduler.runNow('prune-idempotency')).toBe(true);
      expect(await scheduler.runNow('prune-idempotency')).toBe(true);
      expect(await scheduler.runNow('prune-idempotency')).toBe(false);
    } finally {
      await scheduler.stop();
    }
    const left = await t().sql<{ key: string }>(
      'select key from idempotency_record where org_id = ? order by key',
      [orgId],
    );
    expect(left.map((r) => r.key)).toEqual(['six-days']);
    // A transaction's key is on its row (none was stored for it): it still replays.
    const again = await t().call<{ id: string }>(
      'POST',
      '/api/v1/transactions',
      { amount: 5, vendor: 'openai' },
      { key, headers: { 'idempotency-key': 'fresh-1' } },
    );
    expect(again.body.id).toBe(first.body.id);
  });
});
