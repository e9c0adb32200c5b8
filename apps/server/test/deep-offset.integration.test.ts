/**
 * A deep `offset` page of `GET /api/v1/transactions` starts where the rollups say its row is
 * (`seekTransactions`), not after a walk past every skipped row — and that start is exactly where
 * `OFFSET` would put it, for no filter, an agent and date ranges, whatever the worker has absorbed
 * so far.
 */
import { describe, expect, it } from 'vitest';
import { inTransaction, rollOrg, seekTransactions, type SpendFilter } from '@reins/ledger';
import { SEEK_FROM_OFFSET } from '../src/services/transactions.js';
import { useTestServer } from './harness.js';

const t = useTestServer('deep offset', { REINS_ROLLUP_MS: 3_600_000 });

type Case = SpendFilter & { from?: Date; to?: Date };

/** The same condition in SQL, over transaction_record. */
function whereOf(c: Case): { sql: string; params: unknown[] } {
  let sql = '';
  const params: unknown[] = [];
  const add = (cond: string, v: unknown) => {
    sql += ` and ${cond}`;
    params.push(v);
  };
  if (c.vendor) add('vendor = ?', c.vendor);
  if (c.agentId) add('agent_id = ?', c.agentId);
  if (c.userId) add('user_id = ?', c.userId);
  if (c.action) add('action = ?', c.action);
  if (c.from) add('occurred_at >= ?::timestamptz', c.from.toISOString());
  if (c.to) add('occurred_at < ?::timestamptz', c.to.toISOString());
  return { sql, params };
}

describe('deep offset pages', () => {
  it('start exactly where OFFSET would, by agent and over date ranges, before, during and after absorption', async () => {
    const { key, orgId } = await t().newOrg('deep offset');
    const res = await t().call(
      'POST',
      '/api/policy-rules',
      { name: 'flag', priority: 30, conditions: { amountCents: { min: 600 } }, action: 'flag' },
      { key },
    );
    expect(res.status, res.text).toBe(201);
    const vendors = ['openai', 'anthropic', 'google'];
    // Over three months, several in some quarter hours (ties on the instant too), none in others.
    for (let i = 0; i < 120; i++) {
      const at =
        Date.UTC(2026, 2, 30) +
        Math.floor(i / 3) * 61 * 3_600_000 +
        (i % 3 === 2 ? 0 : i % 7) * 60_000;
      t().clock.set(at);
      const r = await t().call(
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
      expect(r.status).toBeLessThan(500);
    }
    const cases: Case[] = [
      {},
      { agentId: 'agent-1' },
      { from: new Date('2026-04-20T00:00:00Z') },
      { to: new Date('2026-05-17T10:07:30Z'), agentId: 'agent-3' },
      { from: new Date('2026-04-03T13:05:00Z'), to: new Date('2026-05-29T00:00:00Z') },
      { from: new Date('2026-04-10T01:01:00Z'), to: new Date('2026-04-10T01:12:00Z') },
      { from: new Date('2026-04-10T01:01:00Z'), to: new Date('2026-04-10T03:00:00Z') },
    ];
    const offsets = [0, 1, 2, 3, 7, 16, 29, 30, 31, 59, 77, 100, 119, 120, 121, 500];
    const orm = t().server.db.orm;
    const check = async () => {
      for (const c of cases) {
        const w = whereOf(c);
        const expected = await t().sql<{ id: string }>(
          `select id from transaction_record where org_id = ?${w.sql}
            order by occurred_at desc, id desc`,
          [orgId, ...w.params],
        );
        for (const offset of offsets) {
          const seek = await seekTransactions(orm, orgId, c, offset);
          if (!seek) throw new Error(`no seek for ${JSON.stringify(c)}`);
          const page = await t().sql<{ id: string }>(
            `select id from transaction_record where org_id = ?${w.sql} and occurred_at < ?::timestamptz
              order by occurred_at desc, id desc offset ? limit 3`,
            [orgId, ...w.params, seek.before.toISOString(), seek.skip],
          );
          const label = `${JSON.stringify(c)} offset ${String(offset)}`;
          expect(
            page.map((r) => r.id),
            label,
          ).toEqual(expected.slice(offset, offset + 3).map((r) => r.id));
          // The walk left is at most what the hour found holds (three rows at most here).
          expect(seek.skip, label).toBeLessThanOrEqual(Math.max(0, offset - expected.length) + 3);
        }
      }
    };
    await check(); // nothing absorbed: all from the audit stream
    await inTransaction(orm, (conn) => rollOrg(conn, orgId, 53));
    await check(); // partly absorbed
    await t().server.jobs?.runNow('rollups');
    await check(); // absorbed
    // The hourly rows have no vendor, user or action: those lists walk.
    for (const f of [
      { vendor: 'openai' },
      { userId: 'user-1' },
      { action: 'flag', agentId: 'agent-1' },
    ]) {
      expect(await seekTransactions(orm, orgId, f, 50)).toBeNull();
    }

    // Through the API: a page past the seek threshold answers as OFFSET does (here: past the end).
    const deep = await t().call<{ transactions: unknown[]; total: number; offset: number }>(
      'GET',
      `/api/v1/transactions?limit=5&offset=${String(SEEK_FROM_OFFSET)}`,
      undefined,
      { key },
    );
    expect(deep.status, deep.text).toBe(200);
    expect(deep.body).toMatchObject({ transactions: [], total: 120, offset: SEEK_FROM_OFFSET });
  });
});
