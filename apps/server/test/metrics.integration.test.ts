/**
 * Prometheus metrics on REINS_METRICS_PORT (never on the API's port), and the request id every
 * answer echoes.
 */
import { describe, expect, it } from 'vitest';
import { plainSql, sealAll, unsealedBacklog } from '@reins/ledger';
import { useTestServer } from './harness.js';

// The sealer's timer is off: the test seals when it wants to (another job's metrics are read).
const t = useTestServer('metrics', {
  REINS_METRICS_PORT: 0,
  REINS_RATE_LIMIT_RPS: 0,
  REINS_AUDIT_SEAL_MS: 0,
});

async function scrape(): Promise<string> {
  const listener = t().server.metrics;
  if (!listener) throw new Error('no metrics listener');
  const res = await fetch(`${listener.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of the sample `name{labels}` (labels in any order), or undefined. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      have.set(l[1] ?? '', l[2] ?? '');
    }
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

describe('metrics', () => {
  it('serves /metrics on its own port and not on the API port', async () => {
    const onApi = await t().call('GET', '/metrics', undefined, { key: null });
    expect(onApi.status).toBe(404);
    const withKey = await t().call('GET', '/metrics');
    expect(withKey.status).toBe(404);
    const listener = t().server.metrics;
    expect(listener?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${listener?.url ?? ''}/other`)).status).toBe(404);
    const text = await scrape();
    expect(text).toContain('reins_process_cpu_user_seconds_total');
    expect(sample(text, 'reins_process_cpu_user_seconds_total', { app: 'server' })).toBeGreaterThan(
      0,
    );
  });

  it('counts requests and their latency by route pattern, not by URL', async () => {
    const before = await scrape();
    const route = { method: 'GET', route: '/api/agents/:agentId', status: '404' };
    const was = sample(before, 'reins_http_requests_total', route) ?? 0;
    for (const id of ['agent-a', 'agent-b', 'agent-c']) {
      expect((await t().call('GET', `/api/agents/${id}`)).status).toBe(404);
    }
    await t().call('GET', '/no/such/route/123', undefined, { key: null });
    const after = await scrape();
    expect(sample(after, 'reins_http_requests_total', route)).toBe(was + 3);
    expect(after).not.toContain('agent-a');
    expect(after).not.toContain('/no/such/route/123');
    expect(
      sample(after, 'reins_http_requests_total', { route: '(unmatched)', status: '404' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(after, 'reins_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/agents/:agentId',
      }),
    ).toBe(was + 3);
    expect(
      sample(after, 'reins_http_request_duration_seconds_sum', {
        method: 'GET',
        route: '/api/agents/:agentId',
      }),
    ).toBeGreaterThan(0);
  });

  it('counts decisions per action and observes each hot-path batch', async () => {
    const rule = await t().call('POST', '/api/policy-rules', {
      name: 'Block over $5',
      priority: 1,
      conditions: { amountCents: { min: 501 } },
      action: 'block',
      actionConfig: { message: 'Over $5.' },
    });
    expect(rule.status).toBe(201);
    const before = await scrape();
    const passed = sample(before, 'reins_decisions_total', { action: 'pass' }) ?? -1;
    const blocked = sample(before, 'reins_decisions_total', { action: 'block' }) ?? -1;
    const batches = sample(before, 'reins_batch_size_count') ?? -1;
    const sizes = sample(before, 'reins_batch_size_sum') ?? -1;
    expect(passed).toBe(0);
    expect(blocked).toBe(0);
    const amounts = [100, 200, 300, 600, 700];
    const answers = await Promise.all(
      amounts.map((amount) =>
        t().call('POST', '/api/v1/transactions', { amount, vendor: 'openai', model: 'gpt-4' }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 403, 403]);
    const after = await scrape();
    expect(sample(after, 'reins_decisions_total', { action: 'pass' })).toBe(passed + 3);
    expect(sample(after, 'reins_decisions_total', { action: 'block' })).toBe(blocked + 2);
    expect(sample(after, 'reins_decisions_total', { action: 'flag' })).toBe(0);
    // Five transactions in one or more batches: the sizes add up to five.
    expect(sample(after, 'reins_batch_size_sum')).toBe(sizes + 5);
    const newBatches = (sample(after, 'reins_batch_size_count') ?? 0) - batches;
    expect(newBatches).toBeGreaterThanOrEqual(1);
    expect(newBatches).toBeLessThanOrEqual(5);
    expect(sample(after, 'reins_batch_duration_seconds_count')).toBe(
      sample(after, 'reins_batch_size_count'),
    );
    expect(
      sample(after, 'reins_http_requests_total', {
        method: 'POST',
        route: '/api/v1/transactions',
        status: '403',
      }),
    ).toBe(2);
  });

  it('reports the database pool, the jobs run in process and the backlogs', async () => {
    await t().server.jobs?.runNow('rollups');
    const text = await scrape();
    const used = sample(text, 'reins_db_pool_connections', { state: 'used' });
    const idle = sample(text, 'reins_db_pool_connections', { state: 'idle' });
    expect(used).toBeGreaterThanOrEqual(0);
    expect(idle).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'reins_db_pool_connections', { state: 'waiting' })).toBeGreaterThanOrEqual(
      0,
    );
    // The harness's pool (5 connections on PostgreSQL, 1 on PGlite): the ORM the server was given.
    const max = sample(text, 'reins_db_pool_max') ?? 0;
    expect(max).toBeGreaterThanOrEqual(1);
    expect((used ?? 0) + (idle ?? 0)).toBeLessThanOrEqual(max);
    expect(sample(text, 'reins_job_runs_total', { job: 'rollups', outcome: 'ok' })).toBeGreaterThan(
      0,
    );
    expect(sample(text, 'reins_job_lag_seconds', { job: 'rollups' })).toBeLessThan(60);
    expect(text).not.toContain('job="audit-seal"');
    expect(sample(text, 'reins_backlog_read_ok')).toBe(1);
    expect(sample(text, 'reins_notification_outbox_pending')).toBe(0);
    expect(sample(text, 'reins_audit_unsealed_events')).toBeGreaterThanOrEqual(0);
  });

  it('counts unsealed audit events until the sealer seals them', async () => {
    // The gauge's query itself (a scrape within the 10-s cache would show the previous read).
    const orm = t().server.core.orm;
    const sql = plainSql(orm);
    // An event becomes sealable once every older transaction of the cluster has ended: retry.
    const sealEverything = async () => {
      for (let i = 0; i < 150; i++) {
        await sealAll(orm);
        if ((await unsealedBacklog(sql)).events === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('the audit events were not sealed in 15 s');
    };
    await sealEverything();
    expect(await unsealedBacklog(sql)).toEqual({ events: 0, oldestSeconds: null });
    for (const id of ['u1', 'u2', 'u3']) {
      expect((await t().call('POST', '/api/agents', { agentId: id, name: id })).status).toBe(201);
    }
    const pending = await unsealedBacklog(sql);
    expect(pending.events).toBe(3);
    expect(pending.oldestSeconds).toBeGreaterThanOrEqual(0);
    expect(pending.oldestSeconds).toBeLessThan(60);
    // Counted up to the cap per organization.
    expect((await unsealedBacklog(sql, 2)).events).toBe(2);
    await sealEverything();
    expect(await unsealedBacklog(sql)).toEqual({ events: 0, oldestSeconds: null });
  });
});

describe('request ids', () => {
  it('echoes a sane X-Request-Id and replaces anything else with a UUID', async () => {
    const sane = await t().call('GET', '/health', undefined, {
      key: null,
      headers: { 'x-request-id': 'lb-7f3a:42.x_y' },
    });
    expect(sane.headers.get('x-request-id')).toBe('lb-7f3a:42.x_y');
    for (const bad of ['has space', 'x'.repeat(129), '<script>', '-leading-dash']) {
      const res = await t().call('GET', '/health', undefined, {
        key: null,
        headers: { 'x-request-id': bad },
      });
      expect(res.headers.get('x-request-id')).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
    const none = await t().call('GET', '/health', undefined, { key: null });
    const other = await t().call('GET', '/health', undefined, { key: null });
    expect(none.headers.get('x-request-id')).not.toBe(other.headers.get('x-request-id'));
  });

  it('carries the request id on error answers too', async () => {
    const res = await t().call('GET', '/api/v1/transactions/tx_1', undefined, {
      headers: { 'x-request-id': 'trace-500-check' },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('trace-500-check');
  });
});
