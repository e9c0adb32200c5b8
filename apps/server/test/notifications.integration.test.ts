/**
 * Notifications end to end: a `notify` rule fires on a transaction, the worker's `notify` job
 * (run in-process here) delivers to a local webhook receiver, and the alerts API shows each
 * delivery's status and attempts, over REST and tRPC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '@reins/jobs';
import { startHttpReceiver, type HttpReceiver } from '@reins/jobs/testing';
import { useTestServer } from './harness.js';
import { ISO, trpcClient } from './helpers.js';

// The job is registered (so `runNow` finds it) but its timer never fires during the test.
const t = useTestServer('notifications', { REINS_NOTIFY_MS: 3_600_000 });

interface Delivery {
  id: string;
  channelId: string;
  status: string;
  attempts: number;
  lastError: string | null;
  deliveredAt: string | null;
  nextAttemptAt: string | null;
}
interface AlertBody {
  id: string;
  ruleId: string;
  action: string;
  deliveries: Delivery[];
}

let receiver: HttpReceiver;
beforeAll(async () => {
  // Fails the first request, accepts the next.
  receiver = await startHttpReceiver((req) =>
    req.n === 1 ? { status: 500, body: 'boom' } : { status: 200, body: 'ok' },
  );
});
afterAll(async () => {
  await receiver.close();
});

describe('alert deliveries', () => {
  it('shows a notify alert’s delivery pending, retried, then delivered (REST and tRPC)', async () => {
    const { key } = await t().newOrg('Notified');
    const chan = await t().call<{ channel: { id: string; secret: string } }>(
      'POST',
      '/api/notification-channels',
      { name: 'Ops hook', type: 'webhook', url: receiver.url },
      { key },
    );
    expect(chan.status).toBe(201);
    const { id: channelId, secret } = chan.body.channel;
    const rule = await t().call<{ id: string }>(
      'POST',
      '/api/policy-rules',
      {
        name: 'Notify on any spend',
        conditions: { amountCents: { min: 1 } },
        action: 'notify',
        actionConfig: { message: 'Spend seen', channels: [channelId] },
      },
      { key },
    );
    expect(rule.status).toBe(201);
    const tx = await t().call<{ action: string }>(
      'POST',
      '/api/v1/transactions',
      { amount: 5, vendor: 'openai' },
      { key },
    );
    expect(tx.body.action).toBe('notify');

    const listed = await t().call<{ alerts: AlertBody[] }>('GET', '/api/policy-alerts', undefined, {
      key,
    });
    const alert = listed.body.alerts[0];
    expect(alert?.action).toBe('notify');
    const deliveryId = alert?.deliveries[0]?.id ?? '';
    expect(alert?.deliveries).toEqual([
      {
        id: expect.stringMatching(/^ntf_[0-9a-f]{32}$/) as unknown,
        channelId,
        status: 'pending',
        attempts: 0,
        lastError: null,
        deliveredAt: null,
        nextAttemptAt: expect.stringMatching(ISO) as unknown,
      },
    ]);

    // First attempt: the receiver answers 500, the delivery waits for a retry.
    const jobs = t().server.jobs;
    if (!jobs) throw new Error('the test server runs no jobs');
    await jobs.runNow('notify');
    const afterFailure = await t().call<{ alert: AlertBody }>(
      'GET',
      `/api/policy-alerts/${alert?.id ?? ''}`,
      undefined,
      { key },
    );
    const failed = afterFailure.body.alert.deliveries[0];
    expect(failed).toMatchObject({
      id: deliveryId,
      status: 'pending',
      attempts: 1,
      lastError: 'HTTP 500: boom',
      deliveredAt: null,
    });
    // The first retry comes 5–10 s later (10 s step, equal jitter).
    const wait = Date.parse(failed?.nextAttemptAt ?? '') - Date.now();
    expect(wait).toBeGreaterThan(3_000);
    expect(wait).toBeLessThanOrEqual(10_000);

    // Past the backoff: the second attempt is delivered.
    const later = Date.now() + 60_000;
    t().clock.set(later);
    try {
      await jobs.runNow('notify');
    } finally {
      t().clock.set(null);
    }
    expect(receiver.received).toHaveLength(2);
    const req = receiver.received[1];
    expect(req?.headers['x-reins-delivery']).toBe(deliveryId);
    const verified = verifyWebhook(
      secret,
      {
        timestamp: req?.headers['x-reins-timestamp'] as string,
        signature: req?.headers['x-reins-signature'] as string,
      },
      req?.body ?? '',
      Math.floor(later / 1000),
    );
    expect(verified).toEqual({ ok: true });

    const client = trpcClient(t(), key);
    const viaTrpc = await client.alerts.get.query({ id: alert?.id ?? '' });
    expect(viaTrpc.alert.deliveries).toEqual([
      {
        id: deliveryId,
        channelId,
        status: 'delivered',
        attempts: 2,
        lastError: null,
        deliveredAt: new Date(later).toISOString(),
        nextAttemptAt: null,
      },
    ]);
    const listedTrpc = await client.alerts.list.query({});
    expect(listedTrpc.alerts[0]?.deliveries[0]?.status).toBe('delivered');
  });

  it('shows no deliveries for a warn alert', async () => {
    const { key } = await t().newOrg('Warned');
    await t().call(
      'POST',
      '/api/policy-rules',
      { name: 'Warn on any spend', conditions: { amountCents: { min: 1 } }, action: 'warn' },
      { key },
    );
    await t().call('POST', '/api/v1/transactions', { amount: 5, vendor: 'openai' }, { key });
    const listed = await t().call<{ alerts: AlertBody[] }>('GET', '/api/policy-alerts', undefined, {
      key,
    });
    expect(listed.body.alerts.map((a) => [a.action, a.deliveries])).toEqual([['warn', []]]);
  });
});

describe('testing a channel', () => {
  it('delivers a signed test notification through the worker and lists it in the channel’s deliveries', async () => {
    const hook = await startHttpReceiver();
    try {
      const { key } = await t().newOrg('Tested');
      const chan = await t().call<{ channel: { id: string; secret: string } }>(
        'POST',
        '/api/notification-channels',
        { name: 'Test hook', type: 'webhook', url: hook.url },
        { key },
      );
      expect(chan.status).toBe(201);
      const { id: channelId, secret } = chan.body.channel;

      const sent = await t().call<{ success: boolean; delivery: Delivery }>(
        'POST',
        `/api/notification-channels/${channelId}/test`,
        undefined,
        { key },
      );
      expect(sent.status, sent.text).toBe(202);
      expect(sent.body.delivery).toMatchObject({ channelId, status: 'pending', attempts: 0 });

      const jobs = t().server.jobs;
      if (!jobs) throw new Error('the test server runs no jobs');
      await jobs.runNow('notify');
      expect(hook.received).toHaveLength(1);
      const req = hook.received[0];
      expect(req?.headers['x-reins-delivery']).toBe(sent.body.delivery.id);
      const body = JSON.parse(req?.body ?? '{}') as { type: string; alert: { message: string } };
      expect(body.type).toBe('channel.test');
      expect(body.alert.message).toContain('Test hook');
      expect(
        verifyWebhook(
          secret,
          {
            timestamp: req?.headers['x-reins-timestamp'] as string,
            signature: req?.headers['x-reins-signature'] as string,
          },
          req?.body ?? '',
          Math.floor(Date.now() / 1000),
        ),
      ).toEqual({ ok: true });

      const listed = await t().call<{ deliveries: (Delivery & { test: boolean })[] }>(
        'GET',
        `/api/notification-channels/${channelId}/deliveries`,
        undefined,
        { key },
      );
      expect(listed.status).toBe(200);
      expect(listed.body.deliveries).toEqual([
        {
          id: sent.body.delivery.id,
          channelId,
          alertId: null,
          test: true,
          status: 'delivered',
          attempts: 1,
          lastError: null,
          deliveredAt: expect.stringMatching(ISO) as unknown,
          nextAttemptAt: null,
        },
      ]);
      const viaTrpc = await trpcClient(t(), key).notificationChannels.deliveries.query({
        id: channelId,
        limit: 5,
      });
      expect(viaTrpc.deliveries.map((d) => d.id)).toEqual([sent.body.delivery.id]);

      // Refused: a disabled channel (409), another org's (404), a bad limit (422 naming it).
      await t().call('PUT', `/api/notification-channels/${channelId}`, { enabled: false }, { key });
      const disabled = await t().call<{ code: string }>(
        'POST',
        `/api/notification-channels/${channelId}/test`,
        undefined,
        { key },
      );
      expect(disabled.status).toBe(409);
      expect(disabled.body.code).toBe('CHANNEL_DISABLED');
      const other = await t().newOrg('Other');
      const foreign = await t().call(
        'POST',
        `/api/notification-channels/${channelId}/test`,
        undefined,
        { key: other.key },
      );
      expect(foreign.status).toBe(404);
      const bad = await t().call<{ code: string }>(
        'GET',
        `/api/notification-channels/${channelId}/deliveries?limit=0`,
        undefined,
        { key },
      );
      expect(bad.status).toBe(422);
      expect(bad.text).toContain('limit');
    } finally {
      await hook.close();
    }
  });
});
