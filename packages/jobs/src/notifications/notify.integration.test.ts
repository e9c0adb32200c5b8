/**
 * Notification delivery against real local receivers: HTTP servers on 127.0.0.1 that succeed,
 * fail, hang, redirect or flood, and an SMTP server. The job is run by hand with a pinned clock,
 * except where two schedulers race for the same rows.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initOrm, useTestOrm, type Orm } from '@reins/db';
import { newId, plainSql } from '@reins/ledger';
import { startScheduler, type JobContext, type JobLog } from '../scheduler.js';
import { notifyJob, type NotifyJobOptions } from './job.js';
import { claimDue, recordOutcome } from './outbox.js';
import { verifyWebhook } from './signing.js';
import {
  startHttpReceiver,
  startSmtpReceiver,
  type HttpReceiver,
  type Reply,
  type SmtpReceiver,
} from './testing.js';

const db = useTestOrm('notify', { beforeAll, afterAll });
const SECRET = 'whsec_test_0123456789abcdef';

interface LogLine {
  level: string;
  obj: object;
  msg: string;
}
const logs: LogLine[] = [];
const log: JobLog = {
  info: (obj, msg) => logs.push({ level: 'info', obj, msg }),
  warn: (obj, msg) => logs.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => logs.push({ level: 'error', obj, msg }),
};

/** The job's clock: starts at the real time (rows are due `now()`), moved by the tests. */
const clock = { t: Date.now() };
function ctx(orm: Orm = db.orm): JobContext {
  return { orm, now: () => new Date(clock.t), signal: new AbortController().signal, log };
}

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.close()));
});

async function receiver(reply?: (n: number) => Reply | Promise<Reply>): Promise<HttpReceiver> {
  const r = await startHttpReceiver(reply ? (req) => reply(req.n) : undefined);
  opened.push(r);
  return r;
}

let orgId = '';
beforeAll(async () => {
  orgId = newId('org');
  await plainSql(db.orm)(`insert into organization (id, name) values (?, 'Notify org')`, [orgId]);
});

async function channel(type: string, config: Record<string, unknown>): Promise<string> {
  const id = newId('chan');
  await plainSql(db.orm)(
    `insert into notification_channel (id, org_id, name, type, config, enabled)
     values (?, ?, ?, ?, ?::jsonb, true)`,
    [id, orgId, `${type} ${id}`, type, JSON.stringify(config)],
  );
  return id;
}

const PAYLOAD = {
  ruleId: 'rule_daily',
  ruleName: 'Daily budget',
  action: 'notify',
  message: 'Daily budget 80% used',
  transactionId: 'txn_1',
  agentId: 'support-bot',
  timeWindow: 'daily',
  limit: 10_000,
  current: 8_150,
  unit: 'cents',
};

/** Outbox rows as the recorder writes them, due now. */
async function enqueue(channelId: string, n = 1): Promise<string[]> {
  const ids = Array.from({ length: n }, () => newId('ntf'));
  await plainSql(db.orm)(
    `insert into notification_outbox (id, org_id, alert_id, channel_id, payload, next_attempt_at)
     select x.id, ?, 'alert_' || x.id, ?, ?::jsonb, ?::timestamptz
       from jsonb_to_recordset(?::jsonb) as x(id text)`,
    [
      orgId,
      channelId,
      JSON.stringify(PAYLOAD),
      new Date(clock.t).toISOString(),
      JSON.stringify(ids.map((id) => ({ id }))),
    ],
  );
  return ids;
}

interface OutboxState {
  status: string;
  attempts: number;
  last_error: string | null;
  delivered_at: Date | null;
  next_attempt_at: Date;
}
async function state(id: string): Promise<OutboxState> {
  const rows = await plainSql(db.orm)<OutboxState>(
    `select status, attempts, last_error, delivered_at, next_attempt_at
       from notification_outbox where id = ?`,
    [id],
  );
  const row = rows[0];
  if (!row) throw new Error(`no outbox row ${id}`);
  // Timestamps arrive as text from the driver.
  return {
    ...row,
    delivered_at: row.delivered_at === null ? null : new Date(row.delivered_at),
    next_attempt_at: new Date(row.next_attempt_at),
  };
}

/** A job with fast, deterministic retries: steps of 1 s, 2 s, 4 s… with no jitter. */
function job(over: Partial<NotifyJobOptions> = {}) {
  return notifyJob({
    everyMs: 0,
    maxAttempts: 5,
    timeoutMs: 2000,
    backoff: { baseMs: 2000, maxMs: 60_000 },
    jitter: () => 0,
    ...over,
  });
}

describe('webhook delivery', () => {
  it('POSTs the alert signed with the channel secret, carrying the delivery id', async () => {
    const r = await receiver();
    const [id] = await enqueue(await channel('webhook', { url: r.url, secret: SECRET }));
    await job().run(ctx());

    expect(r.received).toHaveLength(1);
    const req = r.received[0];
    expect(req?.method).toBe('POST');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['x-reins-delivery']).toBe(id);
    expect(req?.headers['idempotency-key']).toBe(id);
    expect(req?.headers['x-reins-attempt']).toBe('1');
    expect(req?.headers['x-reins-timestamp']).toBe(String(Math.floor(clock.t / 1000)));
    const verified = verifyWebhook(
      SECRET,
      {
        timestamp: req?.headers['x-reins-timestamp'] as string,
        signature: req?.headers['x-reins-signature'] as string,
      },
      req?.body ?? '',
      Math.floor(clock.t / 1000),
    );
    expect(verified).toEqual({ ok: true });
    const body = JSON.parse(req?.body ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({ id, type: 'policy.alert', orgId, alert: PAYLOAD });

    const s = await state(id ?? '');
    expect(s.status).toBe('delivered');
    expect(s.attempts).toBe(1);
    expect(s.last_error).toBeNull();
    expect(s.delivered_at?.getTime()).toBe(clock.t);
  });

  it('retries a receiver that fails, then hangs, and delivers when it recovers', async () => {
    const r = await receiver((n) =>
      n === 1 ? { status: 500, body: 'boom' } : n === 2 ? 'hang' : { status: 200 },
    );
    const [id = ''] = await enqueue(await channel('webhook', { url: r.url, secret: SECRET }));
    const j = job({ timeoutMs: 300 });

    await j.run(ctx());
    let s = await state(id);
    expect(s).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP 500: boom' });
    // First retry after half of the 2 s step (jitter 0).
    expect(s.next_attempt_at.getTime()).toBe(clock.t + 1000);

    // Not due yet: nothing is sent.
    clock.t += 999;
    await j.run(ctx());
    expect(r.received).toHaveLength(1);

    clock.t += 1;
    const started = Date.now();
    await j.run(ctx());
    expect(Date.now() - started).toBeLessThan(2000);
    s = await state(id);
    expect(s).toMatchObject({
      status: 'pending',
      attempts: 2,
      last_error: 'timed out after 300 ms',
    });
    expect(s.next_attempt_at.getTime()).toBe(clock.t + 2000);

    clock.t += 2000;
    await j.run(ctx());
    s = await state(id);
    expect(s).toMatchObject({ status: 'delivered', attempts: 3, last_error: null });
    expect(r.received.map((q) => q.headers['x-reins-delivery'])).toEqual([id, id, id]);
    expect(r.received.map((q) => q.headers['x-reins-attempt'])).toEqual(['1', '2', '3']);
    // The same body each time: the receiver dedupes on its id.
    expect(new Set(r.received.map((q) => q.body)).size).toBe(1);
  });

  it('dead-letters a notification after the last attempt fails', async () => {
    const r = await receiver(() => ({ status: 503, body: 'down' }));
    const [id = ''] = await enqueue(await channel('webhook', { url: r.url, secret: SECRET }));
    const j = job({ maxAttempts: 3 });
    for (let i = 0; i < 3; i++) {
      await j.run(ctx());
      clock.t += 60_000;
    }
    await j.run(ctx());
    expect(r.received).toHaveLength(3);
    expect(await state(id)).toMatchObject({
      status: 'failed',
      attempts: 3,
      last_error: 'gave up after 3 attempts: HTTP 503: down',
    });
  });

  it('dead-letters at once when the receiver refuses with a 4xx', async () => {
    const r = await receiver(() => ({ status: 410, body: 'gone' }));
    const [id = ''] = await enqueue(await channel('webhook', { url: r.url, secret: SECRET }));
    await job().run(ctx());
    clock.t += 60_000;
    await job().run(ctx());
    expect(r.received).toHaveLength(1);
    expect(await state(id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: 'HTTP 410: gone',
    });
  });

  it('follows no redirect: the other address receives nothing', async () => {
    const elsewhere = await receiver();
    const r = await receiver(() => ({ status: 307, headers: { location: elsewhere.url } }));
    const [id = ''] = await enqueue(await channel('webhook', { url: r.url, secret: SECRET }));
    await job().run(ctx());
    expect(elsewhere.received).toHaveLength(0);
    const s = await state(id);
    expect(s.status).toBe('failed');
    expect(s.last_error).toBe(
      `HTTP 307: redirect to ${elsewhere.url} not followed (deliveries go only to the configured URL)`,
    );
  });

  it('reads at most 64 KiB of an answer and does not wait for the rest', async () => {
    const r = await receiver(() => ({ stream: 200 * 1024, status: 500 }));
    const [id = ''] = await enqueue(await channel('webhook', { url: r.url, secret: SECRET }));
    const started = Date.now();
    await job({ timeoutMs: 10_000 }).run(ctx());
    expect(Date.now() - started).toBeLessThan(5000);
    const s = await state(id);
    expect(s.status).toBe('pending');
    expect(s.last_error).toMatch(/^HTTP 500: x{100}/);
  });

  it('dead-letters rows whose channel was deleted', async () => {
    const [id = ''] = await enqueue('chan_gone');
    await job().run(ctx());
    expect(await state(id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: 'the channel was deleted',
    });
  });
});

describe('Slack delivery', () => {
  it('posts a Slack message: text and blocks', async () => {
    const r = await receiver(() => ({ status: 200, body: 'ok' }));
    const [id = ''] = await enqueue(await channel('slack', { url: r.url }));
    await job().run(ctx());
    const body = JSON.parse(r.received[0]?.body ?? '{}') as {
      text: string;
      blocks: { type: string }[];
    };
    expect(body.text).toBe('Reins alert — Daily budget: Daily budget 80% used');
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(r.received[0]?.headers['x-reins-delivery']).toBe(id);
    expect((await state(id)).status).toBe('delivered');
  });
});

describe('email delivery', () => {
  let smtp: SmtpReceiver;
  beforeAll(async () => {
    smtp = await startSmtpReceiver();
  });
  afterAll(async () => {
    await smtp.close();
  });

  it('sends the alert to every address through the SMTP server', async () => {
    const chan = await channel('email', { addresses: ['ops@example.com', 'cfo@example.com'] });
    const [id = ''] = await enqueue(chan);
    await job({ smtpUrl: smtp.url, smtpFrom: 'Reins <reins@example.com>' }).run(ctx());

    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0];
    expect(mail?.from).toBe('reins@example.com');
    expect(mail?.to).toEqual(['ops@example.com', 'cfo@example.com']);
    expect(mail?.raw).toContain('Subject: [Reins] Daily budget: Daily budget 80% used');
    expect(mail?.raw).toContain(`X-Reins-Delivery: ${id}`);
    expect(mail?.raw).toContain(`Message-ID: <${id}@reins.notifications>`);
    expect(mail?.raw).toContain('Current: $81.50');
    expect(await state(id)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('without SMTP_URL, keeps the email pending with an error that says so', async () => {
    const [id = ''] = await enqueue(await channel('email', { addresses: ['ops@example.com'] }));
    await job().run(ctx());
    expect(await state(id)).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: 'email is not configured: set SMTP_URL on the worker to deliver email channels',
    });
  });

  it('retries when the SMTP server cannot be reached', async () => {
    const [id = ''] = await enqueue(await channel('email', { addresses: ['ops@example.com'] }));
    await job({ smtpUrl: 'smtp://127.0.0.1:1', timeoutMs: 1000 }).run(ctx());
    const s = await state(id);
    expect(s.status).toBe('pending');
    expect(s.last_error).toMatch(/^SMTP: .*ECONNREFUSED/);
  });
});

describe('several workers and crashes', () => {
  it('two schedulers on separate pools deliver each of 300 rows exactly once', async () => {
    const r = await receiver(async () => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return { status: 200 };
    });
    const ids = await enqueue(await channel('webhook', { url: r.url, secret: SECRET }), 300);
    const other = await initOrm(db.url, { maxConnections: 4 });
    const opts = { everyMs: 5, maxAttempts: 5, timeoutMs: 5000, batchSize: 16 };
    const realClock = () => clock.t;
    const a = startScheduler(db.orm, [notifyJob(opts)], { log, clock: realClock });
    const b = startScheduler(other, [notifyJob(opts)], { log, clock: realClock });
    try {
      const deadline = Date.now() + 60_000;
      while (r.received.length < 300 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await a.stop();
      await b.stop();
      await other.close();
    }
    const delivered = r.received.map((q) => String(q.headers['x-reins-delivery']));
    expect(delivered).toHaveLength(300);
    expect(new Set(delivered)).toEqual(new Set(ids));
    const rows = await plainSql(db.orm)<{ status: string; attempts: number; n: number }>(
      `select status, attempts, count(*)::int as n from notification_outbox
        where id in (select jsonb_array_elements_text(?::jsonb)) group by 1, 2`,
      [JSON.stringify(ids)],
    );
    expect(rows).toEqual([{ status: 'delivered', attempts: 1, n: 300 }]);
  });

  it('redelivers with the same id after a worker dies holding the lease', async () => {
    const r = await receiver();
    const [id = ''] = await enqueue(await channel('webhook', { url: r.url, secret: SECRET }));
    const leaseMs = 30_000;
    // A worker claims the row, then dies before delivering or recording anything.
    const crashed = await claimDue(db.orm, new Date(clock.t), new Date(clock.t + leaseMs), 100);
    expect(crashed.map((c) => c.id)).toContain(id);

    // While the lease holds, no other worker touches it.
    const j = job({ leaseMs });
    clock.t += leaseMs - 1;
    await j.run(ctx());
    expect(r.received).toHaveLength(0);

    clock.t += 1;
    await j.run(ctx());
    expect(r.received).toHaveLength(1);
    expect(r.received[0]?.headers['x-reins-delivery']).toBe(id);
    expect(r.received[0]?.headers['x-reins-attempt']).toBe('2');
    expect(JSON.parse(r.received[0]?.body ?? '{}')).toMatchObject({ id });
    expect(await state(id)).toMatchObject({ status: 'delivered', attempts: 2 });

    // The dead worker's late outcome (it was attempt 1) cannot overwrite attempt 2's.
    const late = await recordOutcome(db.orm, { orgId, id }, 1, {
      status: 'failed',
      lastError: 'late',
    });
    expect(late).toBe(false);
    expect(await state(id)).toMatchObject({ status: 'delivered', last_error: null });
  });
});
