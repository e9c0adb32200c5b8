/**
 * `GET /api/policy-rules/:id/hits` (and tRPC `policyRules.hits`): the transactions a rule decided,
 * per day of the organization's time zone, every day of the range present, equal to a direct
 * count.
 */
import { describe, expect, it } from 'vitest';
import type { ErrorBody } from './helpers.js';
import { trpcClient } from './helpers.js';
import { useTestServer } from './harness.js';

const t = useTestServer('rule hits');

interface Day {
  date: string;
  hits: number;
  blocked: number;
  flagged: number;
  warned: number;
  amountCents: number;
}
interface Hits {
  ruleId: string;
  timeZone: string;
  startDate: string;
  endDate: string;
  days: Day[];
  totals: Omit<Day, 'date'>;
}

async function rule(key: string, body: Record<string, unknown>): Promise<string> {
  const res = await t().call<{ id: string }>('POST', '/api/policy-rules', body, { key });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

describe('a rule’s hits over time', () => {
  it('counts the transactions it decided per local day, zeros included, as a direct count does', async () => {
    // UTC−5 (no DST in Bogotá): a call at 03:00 UTC falls on the previous local day.
    const { key, orgId } = await t().newOrg('hits', { timeZone: 'America/Bogota' });
    const block = await rule(key, {
      name: 'block big',
      priority: 40,
      conditions: { amountCents: { min: 900 } },
      action: 'block',
    });
    const flag = await rule(key, {
      name: 'flag mid',
      priority: 30,
      conditions: { amountCents: { min: 500 } },
      action: 'flag',
    });
    const calls: [string, number][] = [
      ['2026-06-08T15:00:00Z', 950], // local 06-08: block
      ['2026-06-09T03:00:00Z', 990], // local 06-08 (22:00): block
      ['2026-06-09T15:00:00Z', 600], // local 06-09: flag
      ['2026-06-09T16:00:00Z', 100], // pass: no rule
      ['2026-06-11T12:00:00Z', 1200], // local 06-11: block
      ['2026-05-01T12:00:00Z', 999], // long before the range: block
    ];
    for (const [at, amount] of calls) {
      t().clock.set(Date.parse(at));
      const res = await t().call(
        'POST',
        '/api/v1/transactions',
        { amount, vendor: 'openai', agentId: 'bot' },
        { key },
      );
      expect(res.status).toBeLessThan(500);
    }
    t().clock.set(Date.parse('2026-06-11T20:00:00Z')); // local 06-11, 15:00

    const res = await t().call<{ success: boolean; hits: Hits }>(
      'GET',
      `/api/policy-rules/${block}/hits?days=5`,
      undefined,
      { key },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.hits).toMatchObject({
      ruleId: block,
      timeZone: 'America/Bogota',
      startDate: '2026-06-07T05:00:00.000Z',
      endDate: '2026-06-12T05:00:00.000Z',
    });
    const zero = { hits: 0, blocked: 0, flagged: 0, warned: 0, amountCents: 0 };
    expect(res.body.hits.days).toEqual([
      { date: '2026-06-07', ...zero },
      { date: '2026-06-08', ...zero, hits: 2, blocked: 2, amountCents: 1940 },
      { date: '2026-06-09', ...zero },
      { date: '2026-06-10', ...zero },
      { date: '2026-06-11', ...zero, hits: 1, blocked: 1, amountCents: 1200 },
    ]);
    expect(res.body.hits.totals).toEqual({ ...zero, hits: 3, blocked: 3, amountCents: 3140 });
    const [direct] = await t().sql<{ n: string }>(
      `select count(*)::text as n from transaction_record
        where org_id = ? and rule_id = ? and occurred_at >= '2026-06-07T05:00:00Z'`,
      [orgId, block],
    );
    expect(res.body.hits.totals.hits).toBe(Number(direct?.n));

    // The other rule's hits are its own; the typed API answers the same.
    const flagged = await trpcClient(t(), key).policyRules.hits.query({ id: flag, days: 5 });
    expect(flagged.totals).toEqual({ ...zero, hits: 1, flagged: 1, amountCents: 600 });
    expect(flagged.days.map((d) => d.hits)).toEqual([0, 0, 1, 0, 0]);

    // Default: the last 30 days.
    const month = await t().call<{ hits: Hits }>(
      'GET',
      `/api/policy-rules/${block}/hits`,
      undefined,
      { key },
    );
    expect(month.body.hits.days).toHaveLength(30);
    expect(month.body.hits.totals.hits).toBe(3);
  });

  it('answers 404 for a rule of another organization, 422 naming days, 403 without policies:read', async () => {
    const { key } = await t().newOrg('hits 2');
    const mine = await rule(key, { name: 'r', priority: 1, conditions: {}, action: 'warn' });
    const other = await t().newOrg('hits 3');
    const foreign = await t().call<ErrorBody>('GET', `/api/policy-rules/${mine}/hits`, undefined, {
      key: other.key,
    });
    expect(foreign.status).toBe(404);
    for (const days of ['0', '367', 'abc', '1.5']) {
      const bad = await t().call<ErrorBody>(
        'GET',
        `/api/policy-rules/${mine}/hits?days=${days}`,
        undefined,
        { key },
      );
      expect(bad.status, days).toBe(422);
      expect(bad.body.code).toBe('VALIDATION_ERROR');
      expect(bad.text).toContain('days');
    }
    const narrow = await t().call<{ key: string }>(
      'POST',
      '/api/keys',
      { name: 'writer', permissions: ['transactions:write'] },
      { key },
    );
    expect(narrow.status, narrow.text).toBe(201);
    const refused = await t().call<ErrorBody>('GET', `/api/policy-rules/${mine}/hits`, undefined, {
      key: narrow.body.key,
    });
    expect(refused.status).toBe(403);
  });
});
