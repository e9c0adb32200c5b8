/**
 * `pnpm --filter @reins/jobs bench`: notification delivery figures.
 *
 * 1. Delivery rate: 2,000 outbox rows to a local webhook receiver that answers 200 at once, by
 *    one worker and by two workers (separate connection pools) at once; deliveries/s.
 * 2. Retries: 50 rows to a receiver that fails each row's first k attempts (500), with a 100 ms
 *    backoff step (the production step is 10 s) and random jitter; attempts per row and the time
 *    from enqueue to delivery.
 *
 * PostgreSQL: TEST_DATABASE_URL or DATABASE_URL names the server (a fresh database is created and
 * dropped), else embedded PGlite. Bounded: each phase gives up after 20 s.
 */
import { initOrm, createTestOrm, type Orm } from '@reins/db';
import { newId, plainSql } from '@reins/ledger';
import { startScheduler, type JobLog } from '../src/scheduler.js';
import { notifyJob } from '../src/notifications/job.js';
import { startHttpReceiver, type HttpReceiver } from '../src/notifications/testing.js';

const ROWS = 2000;
const RETRY_ROWS = 50;
const PHASE_LIMIT_MS = 20_000;
const SECRET = 'whsec_bench_0123456789abcdef';

const silent: JobLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function setupOrg(orm: Orm): Promise<string> {
  const orgId = newId('org');
  await plainSql(orm)(`insert into organization (id, name) values (?, 'Bench')`, [orgId]);
  return orgId;
}

async function webhook(orm: Orm, orgId: string, url: string): Promise<string> {
  const id = newId('chan');
  await plainSql(orm)(
    `insert into notification_channel (id, org_id, name, type, config, enabled)
     values (?, ?, 'bench', 'webhook', ?::jsonb, true)`,
    [id, orgId, JSON.stringify({ url, secret: SECRET })],
  );
  return id;
}

async function enqueue(orm: Orm, orgId: string, channelId: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => newId('ntf'));
  const payload = { ruleName: 'Daily budget', message: 'Daily budget 80% used', unit: 'cents' };
  await plainSql(orm)(
    `insert into notification_outbox (id, org_id, alert_id, channel_id, payload)
     select x.id, ?, null, ?, ?::jsonb from jsonb_to_recordset(?::jsonb) as x(id text)`,
    [orgId, channelId, JSON.stringify(payload), JSON.stringify(ids.map((id) => ({ id })))],
  );
  return ids;
}

async function until(done: () => Promise<boolean>, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (await done()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

async function pendingCount(orm: Orm, ids: string[]): Promise<number> {
  const rows = await plainSql(orm)<{ n: number }>(
    `select count(*)::int as n from notification_outbox
      where status = 'pending' and id in (select jsonb_array_elements_text(?::jsonb))`,
    [JSON.stringify(ids)],
  );
  return rows[0]?.n ?? 0;
}

interface RateRow {
  workers: number;
  batch: number;
  rows: number;
  seconds: number;
  perSecond: number;
  received: number;
  duplicates: number;
}

async function rate(
  orms: Orm[],
  orgId: string,
  receiver: HttpReceiver,
  batchSize: number,
): Promise<RateRow> {
  const channelId = await webhook(orms[0] as Orm, orgId, receiver.url);
  receiver.received.length = 0;
  const ids = await enqueue(orms[0] as Orm, orgId, channelId, ROWS);
  const started = performance.now();
  const schedulers = orms.map((orm) =>
    startScheduler(orm, [notifyJob({ everyMs: 5, maxAttempts: 8, timeoutMs: 10_000, batchSize })], {
      log: silent,
    }),
  );
  const finished = await until(
    async () => receiver.received.length >= ROWS && (await pendingCount(orms[0] as Orm, ids)) === 0,
    PHASE_LIMIT_MS,
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(schedulers.map((s) => s.stop()));
  if (!finished) console.error(`rate phase did not finish in ${String(PHASE_LIMIT_MS)} ms`);
  const seen = receiver.received.map((r) => String(r.headers['x-reins-delivery']));
  return {
    workers: orms.length,
    batch: batchSize,
    rows: ROWS,
    seconds,
    perSecond: receiver.received.length / seconds,
    received: receiver.received.length,
    duplicates: seen.length - new Set(seen).size,
  };
}

interface RetryRow {
  failFirst: number;
  rows: number;
  attemptsPerRow: string;
  p50Ms: number;
  maxMs: number;
  expectedMs: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function retries(orm: Orm, orgId: string, k: number): Promise<RetryRow> {
  const attemptsById = new Map<string, number>();
  const deliveredAt = new Map<string, number>();
  const receiver = await startHttpReceiver((req) => {
    const id = String(req.headers['x-reins-delivery']);
    const n = (attemptsById.get(id) ?? 0) + 1;
    attemptsById.set(id, n);
    if (n <= k) return { status: 500, body: 'failing' };
    deliveredAt.set(id, performance.now());
    return { status: 200 };
  });
  try {
    const channelId = await webhook(orm, orgId, receiver.url);
    const baseMs = 100;
    const ids = await enqueue(orm, orgId, channelId, RETRY_ROWS);
    const enqueued = performance.now();
    const scheduler = startScheduler(
      orm,
      [
        notifyJob({
          everyMs: 10,
          maxAttempts: 8,
          timeoutMs: 2000,
          backoff: { baseMs, maxMs: 60_000 },
        }),
      ],
      { log: silent },
    );
    await until(async () => (await pendingCount(orm, ids)) === 0, PHASE_LIMIT_MS);
    await scheduler.stop();
    const times = ids.map((id) => (deliveredAt.get(id) ?? NaN) - enqueued).sort((a, b) => a - b);
    const attempts = [...new Set(ids.map((id) => attemptsById.get(id) ?? 0))].sort();
    // The backoff waits between attempts: half of each step fixed, half jitter.
    let lo = 0;
    let hi = 0;
    for (let a = 1; a <= k; a++) {
      lo += (baseMs * 2 ** (a - 1)) / 2;
      hi += baseMs * 2 ** (a - 1);
    }
    return {
      failFirst: k,
      rows: RETRY_ROWS,
      attemptsPerRow: attempts.join(', '),
      p50Ms: percentile(times, 50),
      maxMs: times[times.length - 1] ?? NaN,
      expectedMs: `${String(lo)}–${String(hi)}`,
    };
  } finally {
    await receiver.close();
  }
}

const db = await createTestOrm('notify_bench');
const second = await initOrm(db.url, { maxConnections: db.maxConnections });
try {
  const orgId = await setupOrg(db.orm);
  const receiver = await startHttpReceiver();
  const rateRows: RateRow[] = [];
  try {
    // 64 is the job's default batch.
    for (const batch of [16, 64, 256]) rateRows.push(await rate([db.orm], orgId, receiver, batch));
    rateRows.push(await rate([db.orm, second], orgId, receiver, 64));
  } finally {
    await receiver.close();
  }
  const retryRows: RetryRow[] = [];
  for (const k of [1, 3]) retryRows.push(await retries(db.orm, orgId, k));

  console.log(`\n### Delivery rate (${String(ROWS)} webhooks to a local receiver)\n`);
  console.log('| workers | batch | received | duplicates | seconds | deliveries/s |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const r of rateRows) {
    console.log(
      `| ${String(r.workers)} | ${String(r.batch)} | ${String(r.received)} | ${String(r.duplicates)} | ${r.seconds.toFixed(2)} | ${r.perSecond.toFixed(0)} |`,
    );
  }
  console.log(
    `\n### Retries (${String(RETRY_ROWS)} rows, receiver fails each row's first k attempts; backoff step 100 ms)\n`,
  );
  console.log(
    '| k | attempts per row | time to delivery p50 (ms) | max (ms) | backoff alone (ms) |',
  );
  console.log('|---:|---|---:|---:|---|');
  for (const r of retryRows) {
    console.log(
      `| ${String(r.failFirst)} | ${r.attemptsPerRow} | ${r.p50Ms.toFixed(0)} | ${r.maxMs.toFixed(0)} | ${r.expectedMs} |`,
    );
  }
} finally {
  await second.close();
  await db.close();
}
