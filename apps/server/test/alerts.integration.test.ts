/**
 * Policy alerts: the read side (list, filters, cursor paging, get) and marking read. Alerts are
 * raised by the transaction hot path; here they are inserted as rows, as the hot path writes them.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import { useTestServer } from './harness.js';
import { type ErrorBody, ISO, keyWith, trpcClient } from './helpers.js';

const t = useTestServer('alerts');

interface AlertView {
  id: string;
  ruleId: string;
  ruleName: string;
  action: string;
  message: string;
  transactionId: string;
  agentId: string | null;
  groupValue: string | null;
  timeWindow: string | null;
  windowStart: string | null;
  thresholdPct: number | null;
  limit: number | null;
  current: number | null;
  unit: string | null;
  read: boolean;
  readAt: string | null;
  createdAt: string;
  deliveries: unknown[];
}

interface ListBody {
  success: boolean;
  alerts: AlertView[];
  count: number;
  total: number;
  nextCursor: string | null;
}

interface AlertRow {
  id: string;
  ruleId: string;
  ruleName: string;
  action: 'warn' | 'notify';
  message: string;
  transactionId: string;
  agentId: string | null;
  groupValue: string | null;
  timeWindow: string | null;
  windowStart: string | null;
  thresholdPct: number | null;
  limit: number | null;
  current: number | null;
  unit: string | null;
  read: boolean;
  readAt: string | null;
  createdAt: string;
}

let seq = 0;

/** Inserts an alert row as the hot path writes it; `createdAt` may carry microseconds. */
async function insertAlert(orgId: string, over: Partial<AlertRow> = {}): Promise<AlertRow> {
  seq += 1;
  const a: AlertRow = {
    id: `alert_${randomBytes(8).toString('hex')}`,
    ruleId: 'rule_daily80',
    ruleName: 'Daily budget warning at 80%',
    action: 'warn',
    message: 'Daily budget 80% exhausted',
    transactionId: `txn_${randomBytes(8).toString('hex')}`,
    agentId: 'support-bot',
    groupValue: 'support-bot',
    timeWindow: 'daily',
    windowStart: '2026-05-05T00:00:00.000Z',
    thresholdPct: 80,
    limit: 10_000,
    current: 8_150,
    unit: 'cents',
    read: false,
    readAt: null,
    createdAt: new Date(Date.UTC(2026, 4, 5, 8, 0, seq)).toISOString(),
    ...over,
  };
  await t().sql(
    `insert into policy_alert (id, org_id, rule_id, rule_name, action, message, dedup_key,
       transaction_id, agent_id, group_value, time_window, window_start, threshold_pct,
       limit_value, current_value, unit, read, read_at, created_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      a.id,
      orgId,
      a.ruleId,
      a.ruleName,
      a.action,
      a.message,
      `${a.ruleId}|${a.groupValue ?? ''}|${a.windowStart ?? ''}|${a.thresholdPct ?? ''}|${a.id}`,
      a.transactionId,
      a.agentId,
      a.groupValue,
      a.timeWindow,
      a.windowStart,
      a.thresholdPct,
      a.limit,
      a.current,
      a.unit,
      a.read,
      a.readAt,
      a.createdAt,
    ],
  );
  return a;
}

/** The API view of an inserted row (timestamps at millisecond precision). */
function viewOf(a: AlertRow): AlertView {
  return { ...a, createdAt: new Date(a.createdAt).toISOString(), deliveries: [] };
}

async function list(key: string, query = ''): Promise<ListBody> {
  const res = await t().call<ListBody>('GET', `/api/policy-alerts${query}`, undefined, { key });
  expect(res.status).toBe(200);
  expect(res.body.success).toBe(true);
  return res.body;
}

async function readAudits(alertId: string) {
  return t().sql<{ event_type: string; entity_type: string; actor: string; metadata: unknown }>(
    'select event_type, entity_type, actor, metadata from audit_event where entity_id = ?',
    [alertId],
  );
}

describe('GET /api/policy-alerts', () => {
  it('lists the organization’s alerts newest first, in the documented shape', async () => {
    const { orgId, key } = await t().newOrg();
    const older = await insertAlert(orgId, { createdAt: '2026-05-05T08:00:00.000Z' });
    const newer = await insertAlert(orgId, {
      action: 'notify',
      createdAt: '2026-05-05T09:30:00.250Z',
      agentId: null,
      groupValue: null,
      read: true,
      readAt: '2026-05-05T10:00:00.000Z',
    });
    const other = await t().newOrg();
    await insertAlert(other.orgId);

    const body = await list(key);
    expect(body).toEqual({
      success: true,
      alerts: [viewOf(newer), viewOf(older)],
      count: 2,
      total: 2,
      nextCursor: null,
    });
    expect(body.alerts[0]?.createdAt).toMatch(ISO);
  });

  it('filters by read status and by rule, counting the filtered total', async () => {
    const { orgId, key } = await t().newOrg();
    const a = await insertAlert(orgId, { ruleId: 'rule_a', read: false });
    const b = await insertAlert(orgId, {
      ruleId: 'rule_b',
      read: true,
      readAt: '2026-05-06T00:00:00.000Z',
    });
    const c = await insertAlert(orgId, { ruleId: 'rule_a', read: true, readAt: null });

    const ids = (x: ListBody) => x.alerts.map((r) => r.id);
    const unread = await list(key, '?read=false');
    expect([ids(unread), unread.total]).toEqual([[a.id], 1]);
    const read = await list(key, '?read=true');
    expect([ids(read), read.total]).toEqual([[c.id, b.id], 2]);
    const ruleA = await list(key, '?ruleId=rule_a');
    expect([ids(ruleA), ruleA.total]).toEqual([[c.id, a.id], 2]);
    const both = await list(key, '?ruleId=rule_a&read=true');
    expect([ids(both), both.total]).toEqual([[c.id], 1]);
    const none = await list(key, '?ruleId=rule_none');
    expect(none).toMatchObject({ alerts: [], count: 0, total: 0, nextCursor: null });
  });

  it('pages with nextCursor through every alert exactly once, alerts of the same instant included', async () => {
    const { orgId, key } = await t().newOrg();
    const inserted: AlertRow[] = [];
    // Three alerts in the same microsecond and two a microsecond apart: the cursor must
    // neither skip nor repeat any of them.
    for (const at of [
      '2026-05-05T08:00:00.000001Z',
      '2026-05-05T08:00:00.000002Z',
      '2026-05-05T08:00:00.000002Z',
      '2026-05-05T08:00:00.000002Z',
      '2026-05-05T08:00:00.000003Z',
      '2026-05-05T08:00:01.000000Z',
      '2026-05-05T08:00:02.000000Z',
    ]) {
      inserted.push(await insertAlert(orgId, { createdAt: at }));
    }
    const all = await list(key, '?limit=500');
    expect(all.total).toBe(7);

    const seen: string[] = [];
    const pages: number[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await list(key, q);
      expect(page.total).toBe(7);
      expect(page.count).toBe(page.alerts.length);
      pages.push(page.count);
      seen.push(...page.alerts.map((a) => a.id));
      cursor = page.nextCursor;
    } while (cursor !== null && pages.length < 10);
    expect(pages).toEqual([3, 3, 1]);
    expect(seen).toEqual(all.alerts.map((a) => a.id));
    expect(new Set(seen)).toEqual(new Set(inserted.map((a) => a.id)));
    // Newest first, ties broken by id descending.
    const sorted = [...inserted].sort((x, y) =>
      x.createdAt === y.createdAt
        ? y.id.localeCompare(x.id)
        : y.createdAt.localeCompare(x.createdAt),
    );
    expect(seen).toEqual(sorted.map((a) => a.id));
  });

  it('pages a filtered list with the filter kept on every page', async () => {
    const { orgId, key } = await t().newOrg();
    const wanted: string[] = [];
    for (let i = 0; i < 5; i++) {
      const a = await insertAlert(orgId, { ruleId: i % 2 === 0 ? 'rule_x' : 'rule_y' });
      if (i % 2 === 0) wanted.unshift(a.id);
    }
    const first = await list(key, '?ruleId=rule_x&limit=2');
    expect(first.alerts.map((a) => a.id)).toEqual(wanted.slice(0, 2));
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await list(
      key,
      `?ruleId=rule_x&limit=2&cursor=${encodeURIComponent(first.nextCursor ?? '')}`,
    );
    expect(second.alerts.map((a) => a.id)).toEqual(wanted.slice(2));
    expect(second.nextCursor).toBeNull();
    expect(second.total).toBe(3);
  });

  it('answers 50 alerts by default', async () => {
    const { orgId, key } = await t().newOrg();
    for (let i = 0; i < 51; i++) await insertAlert(orgId);
    const body = await list(key);
    expect([body.count, body.total, typeof body.nextCursor]).toEqual([50, 51, 'string']);
  });

  it('refuses bad filters with 422 naming the field', async () => {
    const cases: [string, string][] = [
      ['?limit=0', 'limit'],
      ['?limit=501', 'limit'],
      ['?limit=ten', 'limit'],
      ['?limit=2.5', 'limit'],
      ['?read=yes', 'read'],
      ['?read=', 'read'],
      ['?cursor=not-a-cursor', 'cursor'],
      [`?cursor=${Buffer.from('["2026-05-05", "alert_x"]').toString('base64url')}`, 'cursor'],
      ['?sort=asc', 'sort'],
    ];
    for (const [query, field] of cases) {
      const res = await t().call<ErrorBody>('GET', `/api/policy-alerts${query}`);
      expect({ query, status: res.status, code: res.body.code, field: res.body.field }).toEqual({
        query,
        status: 422,
        code: 'VALIDATION_ERROR',
        field,
      });
    }
  });
});

describe('alerts raised by recorded transactions', () => {
  it('lists the alert a warn decision raised, once per window, and marks it read', async () => {
    const { key } = await t().newOrg();
    const rule = await t().call<{ id: string }>(
      'POST',
      '/api/policy-rules',
      {
        name: 'Daily $10 warning at 80%',
        conditions: { timeWindow: 'daily' },
        action: 'warn',
        actionConfig: { message: 'Daily budget 80% used', limitCents: 1000, thresholdPct: 80 },
      },
      { key },
    );
    expect(rule.status).toBe(201);
    const submit = (amount: number) =>
      t().call<{ id: string; action: string }>(
        'POST',
        '/api/v1/transactions',
        { amount, vendor: 'openai', agentId: 'support-bot' },
        { key },
      );
    expect((await submit(500)).body.action).toBe('pass');
    const crossing = await submit(400);
    expect(crossing.body.action).toBe('warn');
    expect((await submit(100)).body.action).toBe('warn');

    const listed = await list(key);
    expect(listed.total).toBe(1);
    expect(listed.alerts[0]).toMatchObject({
      ruleId: rule.body.id,
      ruleName: 'Daily $10 warning at 80%',
      action: 'warn',
      message: 'Daily budget 80% used',
      transactionId: crossing.body.id,
      timeWindow: 'daily',
      thresholdPct: 80,
      limit: 1000,
      current: 900,
      read: false,
      readAt: null,
    });
    const id = listed.alerts[0]?.id ?? '';
    const read = await t().call('PUT', `/api/policy-alerts/${id}/read`, undefined, { key });
    expect(read.body).toEqual({ success: true, id, read: true });
    expect((await list(key, '?read=false')).total).toBe(0);
  });
});

describe('GET /api/policy-alerts/:id', () => {
  it('answers one alert, and 404 for another organization’s or an unknown alert', async () => {
    const { orgId, key } = await t().newOrg();
    const mine = await insertAlert(orgId);
    const other = await t().newOrg();
    const theirs = await insertAlert(other.orgId);

    const res = await t().call('GET', `/api/policy-alerts/${mine.id}`, undefined, { key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, alert: viewOf(mine) });

    for (const id of [theirs.id, 'alert_doesnotexist']) {
      const miss = await t().call<ErrorBody>('GET', `/api/policy-alerts/${id}`, undefined, {
        key,
      });
      expect([miss.status, miss.body.code]).toEqual([404, 'NOT_FOUND']);
    }
  });
});

describe('PUT /api/policy-alerts/:id/read', () => {
  it('marks the alert read with exactly the documented body, auditing the first read only', async () => {
    const { orgId, key } = await t().newOrg();
    const a = await insertAlert(orgId);
    t().clock.set('2026-05-05T12:34:56.789Z');
    try {
      const first = await t().call('PUT', `/api/policy-alerts/${a.id}/read`, undefined, { key });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ success: true, id: a.id, read: true });

      const audits = await readAudits(a.id);
      expect(audits).toHaveLength(1);
      expect(audits[0]).toMatchObject({
        event_type: 'alert.read',
        entity_type: 'policy_alert',
        metadata: { ruleId: a.ruleId, ruleName: a.ruleName, action: 'warn' },
      });
      expect(audits[0]?.actor).toMatch(/^key:key_/);

      t().clock.set('2026-05-06T00:00:00.000Z');
      const again = await t().call('PUT', `/api/policy-alerts/${a.id}/read`, undefined, { key });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ success: true, id: a.id, read: true });
      expect(await readAudits(a.id)).toHaveLength(1);

      const got = await t().call<{ alert: AlertView }>(
        'GET',
        `/api/policy-alerts/${a.id}`,
        undefined,
        { key },
      );
      // The first read's time stays: a repeat changes nothing.
      expect(got.body.alert).toMatchObject({ read: true, readAt: '2026-05-05T12:34:56.789Z' });
      expect((await list(key, '?read=false')).total).toBe(0);
    } finally {
      t().clock.set(null);
    }
  });

  it('answers the same body to concurrent first reads and audits once', async () => {
    const { orgId, key } = await t().newOrg();
    const a = await insertAlert(orgId);
    const replies = await Promise.all(
      Array.from({ length: 5 }, () =>
        t().call('PUT', `/api/policy-alerts/${a.id}/read`, undefined, { key }),
      ),
    );
    expect(replies.map((r) => [r.status, r.body])).toEqual(
      Array.from({ length: 5 }, () => [200, { success: true, id: a.id, read: true }]),
    );
    expect(await readAudits(a.id)).toHaveLength(1);
  });

  it('answers 404 for another organization’s alert and leaves it unread', async () => {
    const { key } = await t().newOrg();
    const other = await t().newOrg();
    const theirs = await insertAlert(other.orgId);
    const res = await t().call<ErrorBody>(
      'PUT',
      `/api/policy-alerts/${theirs.id}/read`,
      undefined,
      { key },
    );
    expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
    const [row] = await t().sql<{ read: boolean }>('select read from policy_alert where id = ?', [
      theirs.id,
    ]);
    expect(row?.read).toBe(false);
    expect(await readAudits(theirs.id)).toHaveLength(0);
  });
});

describe('alert permissions', () => {
  it('needs alerts:read to list and alerts:write to mark read (403 FORBIDDEN)', async () => {
    const { orgId, key: admin } = await t().newOrg();
    const a = await insertAlert(orgId);
    const reader = await keyWith(t(), admin, ['alerts:read']);
    const outsider = await keyWith(t(), admin, ['transactions:read']);

    expect((await list(reader)).alerts.map((x) => x.id)).toEqual([a.id]);
    for (const [method, path, key, perm] of [
      ['GET', '/api/policy-alerts', outsider, 'alerts:read'],
      ['GET', `/api/policy-alerts/${a.id}`, outsider, 'alerts:read'],
      ['PUT', `/api/policy-alerts/${a.id}/read`, reader, 'alerts:write'],
    ] as const) {
      const res = await t().call<ErrorBody>(method, path, undefined, { key });
      expect([res.status, res.body.code, res.body.requiredPermission]).toEqual([
        403,
        'FORBIDDEN',
        perm,
      ]);
    }
    const [row] = await t().sql<{ read: boolean }>('select read from policy_alert where id = ?', [
      a.id,
    ]);
    expect(row?.read).toBe(false);
  });
});

describe('alerts over tRPC', () => {
  it('lists, gets and marks read through the same services', async () => {
    const { orgId, key } = await t().newOrg();
    const a = await insertAlert(orgId, { ruleId: 'rule_trpc' });
    await insertAlert(orgId, { ruleId: 'rule_other' });
    const client = trpcClient(t(), key);
    const listed = await client.alerts.list.query({ ruleId: 'rule_trpc', read: false });
    expect(listed).toEqual({
      alerts: [viewOf(a)],
      count: 1,
      total: 1,
      nextCursor: null,
    });
    expect(await client.alerts.markRead.mutate({ id: a.id })).toEqual({ id: a.id, read: true });
    expect((await client.alerts.get.query({ id: a.id })).alert.read).toBe(true);
    const bad = await client.alerts.list.query({ limit: 0 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(TRPCClientError);
    expect((bad as TRPCClientError<AppRouter>).data).toMatchObject({
      reins: { code: 'VALIDATION_ERROR', field: 'limit' },
    });
  });
});
