/**
 * `total` of `GET /api/v1/transactions` comes from the rollups (plus the unabsorbed tail and the
 * raw rows of partial quarter hours at the edges), not from a count over the history — and it is
 * exactly `count(*)` for every documented filter combination, whatever the worker has absorbed.
 */
import { describe, expect, it } from 'vitest';
import { inTransaction, rollOrg } from '@reins/ledger';
import { useTestServer } from './harness.js';

const t = useTestServer('list totals', { REINS_ROLLUP_MS: 3_600_000 });

async function rule(key: string, body: Record<string, unknown>) {
  const res = await t().call('POST', '/api/policy-rules', body, { key });
  expect(res.status, res.text).toBe(201);
}

async function total(key: string, query: string): Promise<number> {
  const res = await t().call<{ total: number }>(
    'GET',
    `/api/v1/transactions?limit=1&${query}`,
    undefined,
    { key },
  );
  expect(res.status, `${query}: ${res.text}`).toBe(200);
  return res.body.total;
}

async function counted(orgId: string, where: string, params: unknown[]): Promise<number> {
  const [row] = await t().sql<{ n: string }>(
    `select count(*)::text as n from transaction_record where org_id = ?${where}`,
    [orgId, ...params],
  );
  return Number(row?.n);
}

describe('GET /api/v1/transactions total', () => {
  it('equals count(*) for every filter combination, before, during and after absorption', async () => {
    const { key, orgId } = await t().newOrg('totals');
    await rule(key, {
      name: 'block',
      priority: 40,
      conditions: { amountCents: { min: 900 } },
      action: 'block',
    });
    await rule(key, {
      name: 'flag',
      priority: 30,
      conditions: { amountCents: { min: 600 } },
      action: 'flag',
    });
    await rule(key, {
      name: 'warn',
      priority: 20,
      conditions: { amountCents: { min: 300 } },
      action: 'warn',
    });
    const vendors = ['openai', 'anthropic', 'google'];
    // Spread over two months, at minutes that are not on quarter hours.
    for (let i = 0; i < 90; i++) {
      const at = Date.UTC(2026, 3, 28) + i * 17 * 3_600_000 + (i % 13) * 60_000 + 7_000;
      t().clock.set(at);
      const res = await t().call(
        'POST',
        '/api/v1/transactions',
        {
          amount: 50 + ((i * 211) % 1000),
          vendor: vendors[i % 3],
          agentId: `agent-${String(i % 4)}`,
          ...(i % 5 === 0 ? {} : { userId: `user-${String(i % 3)}` }),
        },
        { key },
      );
      expect(res.status).toBeLessThan(500);
    }
    const ranges: [string, string, unknown[]][] = [
      ['', '', []],
      ['startDate=2026-05-01', ' and occurred_at >= ?::timestamptz', ['2026-05-01T00:00:00Z']],
      ['endDate=2026-05-10', ' and occurred_at < ?::timestamptz', ['2026-05-11T00:00:00Z']],
      [
        'startDate=2026-05-03T10:07:30Z&endDate=2026-05-19T03:52:00Z',
        ' and occurred_at >= ?::timestamptz and occurred_at < ?::timestamptz',
        ['2026-05-03T10:07:30Z', '2026-05-19T03:52:00.001Z'],
      ],
      [
        'startDate=2026-05-06T05:01:00Z&endDate=2026-05-06T05:12:00Z',
        ' and occurred_at >= ?::timestamptz and occurred_at < ?::timestamptz',
        ['2026-05-06T05:01:00Z', '2026-05-06T05:12:00.001Z'],
      ],
    ];
    const filters: [string, string, unknown[]][] = [
      ['', '', []],
      ['vendor=anthropic', ' and vendor = ?', ['anthropic']],
      ['agentId=agent-2', ' and agent_id = ?', ['agent-2']],
      ['userId=user-1', ' and user_id = ?', ['user-1']],
      ['action=block', ' and action = ?', ['block']],
      ['action=pass&vendor=google', ' and action = ? and vendor = ?', ['pass', 'google']],
      [
        'action=flag&agentId=agent-1&userId=user-2',
        ' and action = ? and agent_id = ? and user_id = ?',
        ['flag', 'agent-1', 'user-2'],
      ],
    ];
    const check = async () => {
      for (const [rq, rw, rp] of ranges) {
        for (const [fq, fw, fp] of filters) {
          const query = [rq, fq].filter(Boolean).join('&');
          expect(await total(key, query), query).toBe(
            await counted(orgId, fw + rw, [...fp, ...rp]),
          );
        }
      }
    };
    await check(); // nothing absorbed: all from the audit stream
    await inTransaction(t().server.db.orm, (conn) => rollOrg(conn, orgId, 37));
    await check(); // partly absorbed
    await t().server.jobs?.runNow('rollups');
    await check(); // absorbed (as far as the cluster's horizon allows)
    expect(await total(key, '')).toBe(90);
  });
});

describe('GET /api/v1/audit-log total', () => {
  it('equals count(*) for every filter, before and after absorption', async () => {
    const { key, orgId } = await t().newOrg('audit totals');
    await rule(key, {
      name: 'block',
      priority: 40,
      conditions: { amountCents: { min: 900 } },
      action: 'block',
    });
    for (let i = 0; i < 40; i++) {
      t().clock.set(Date.UTC(2026, 4, 1) + i * 5 * 3_600_000 + (i % 7) * 60_000 + 3_000);
      await t().call(
        'POST',
        '/api/v1/transactions',
        { amount: 100 + ((i * 379) % 1000), vendor: 'openai', agentId: `a${String(i % 3)}` },
        { key },
      );
      if (i % 10 === 0) {
        await t().call('POST', '/api/agents', { agentId: `reg-${String(i)}`, name: 'x' }, { key });
      }
    }
    const cases: [string, string, unknown[]][] = [
      ['', '', []],
      [
        'action=transaction',
        " and (event_type = 'transaction' or starts_with(event_type, 'transaction.'))",
        [],
      ],
      ['action=transaction.blocked', " and event_type = 'transaction.blocked'", []],
      [
        'action=policy_rule.block',
        " and metadata->>'action' = 'block' and metadata->>'ruleId' is not null",
        [],
      ],
      ['entityType=agent', " and entity_type = 'agent'", []],
      [
        'startDate=2026-05-02T07:05:00Z&endDate=2026-05-06T13:31:10Z&action=transaction',
        " and occurred_at >= ?::timestamptz and occurred_at < ?::timestamptz and starts_with(event_type, 'transaction.')",
        ['2026-05-02T07:05:00Z', '2026-05-06T13:31:10.001Z'],
      ],
    ];
    const check = async () => {
      for (const [query, where, params] of cases) {
        const res = await t().call<{ total: number }>(
          'GET',
          `/api/v1/audit-log?limit=1&${query}`,
          undefined,
          { key },
        );
        expect(res.status, res.text).toBe(200);
        const [row] = await t().sql<{ n: string }>(
          `select count(*)::text as n from audit_event where org_id = ?${where}`,
          [orgId, ...params],
        );
        expect(res.body.total, query).toBe(Number(row?.n));
      }
    };
    await check();
    await inTransaction(t().server.db.orm, (conn) => rollOrg(conn, orgId, 23));
    await check();
    await t().server.jobs?.runNow('rollups');
    await check();
  });
});
