/**
 * The ledger's counter operations on a real database: seeding a family from recorded
 * transactions, adjusting, and releasing expired holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestOrm } from '@reins/db';
import { asEvaluated, expiredHoldsSql, type CounterRow } from './counters.js';
import { releaseExpiredHolds } from './holds.js';
import { newId } from './ids.js';
import { seedCounters } from './seed.js';
import {
  connectionOf,
  inTransaction as inOwnTransaction,
  queryRows,
  type RawConnection,
} from './sql.js';

const db = useTestOrm('ledger', { beforeAll, afterAll });

const M = 1_000_000;

async function newOrg(): Promise<string> {
  const id = newId('org');
  await queryRows(
    connectionOf(db.orm.em.fork()),
    `insert into organization (id, name) values ('${id}', 'ledger test')`,
  );
  return id;
}

interface Tx {
  createdAt: string;
  cents: number;
  status?: 'recorded' | 'blocked' | 'reserved' | 'settled' | 'voided' | 'expired';
  agentId?: string;
  userId?: string | null;
  vendor?: string;
  model?: string | null;
  tokensIn?: number;
  tokensOut?: number;
  expiresAt?: string;
  countedWindows?: string[];
}

/** Inserts transactions as the hot path records them (only the columns the ledger reads). */
async function record(orgId: string, txs: Tx[]): Promise<string[]> {
  const rows = txs.map((t) => ({
    id: newId('txn'),
    created_at: t.createdAt,
    amount_micros: t.cents * M,
    status: t.status ?? 'recorded',
    agent_id: t.agentId ?? 'default',
    user_id: t.userId ?? null,
    vendor: t.vendor ?? 'openai',
    model: t.model ?? null,
    tokens_in: t.tokensIn ?? 0,
    tokens_out: t.tokensOut ?? 0,
    hold:
      t.status === 'reserved' || t.status === 'expired'
        ? { amountMicros: t.cents * M, tokensIn: t.tokensIn ?? 0, tokensOut: t.tokensOut ?? 0 }
        : null,
    expires_at: t.expiresAt ?? null,
    counted_windows: t.countedWindows ?? [],
  }));
  await queryRows(
    connectionOf(db.orm.em.fork()),
    `insert into transaction_record (id, org_id, vendor, model, agent_id, user_id, amount_micros,
        amount_cents, tokens_in, tokens_out, occurred_at, created_at, action, admitted,
        policy_result, evaluation, status, hold, expires_at, counted_windows, phase)
     select x.id, '${orgId}', x.vendor, x.model, x.agent_id, x.user_id, x.amount_micros,
        x.amount_micros / ${String(M)}, x.tokens_in, x.tokens_out, x.created_at, x.created_at,
        'pass', true, '{}', '{}', x.status, x.hold, x.expires_at, x.counted_windows,
        case when x.hold is null then 'final' else 'reserve' end
       from jsonb_to_recordset('${JSON.stringify(rows)}'::jsonb) as x(id text, created_at timestamptz,
        amount_micros bigint, status text, agent_id text, user_id text, vendor text, model text,
        tokens_in bigint, tokens_out bigint, hold jsonb, expires_at timestamptz,
        counted_windows jsonb)`,
  );
  return rows.map((r) => r.id);
}

async function counters(orgId: string): Promise<Record<string, [number, number, number, number]>> {
  const rows = await queryRows<CounterRow>(
    connectionOf(db.orm.em.fork()),
    `select key, cost_micros, tokens_in, tokens_out, requests from window_counter
      where org_id = '${orgId}' order by key`,
  );
  return Object.fromEntries(
    rows.map((r) => [
      r.key,
      [Number(r.cost_micros) / M, Number(r.tokens_in), Number(r.tokens_out), Number(r.requests)],
    ]),
  );
}

function inTransaction<T>(fn: (conn: RawConnection) => Promise<T>): Promise<T> {
  return inOwnTransaction(db.orm, fn);
}

const AT = Date.parse('2026-05-05T10:00:00Z');

describe('seedCounters', () => {
  it("builds a family's counters from the window's counted transactions, by the engine's groups", async () => {
    const orgId = await newOrg();
    await record(orgId, [
      { createdAt: '2026-05-05T01:00:00Z', cents: 100, model: 'GPT-4o', tokensIn: 10 },
      { createdAt: '2026-05-05T02:00:00Z', cents: 200, model: 'gpt-4o', tokensOut: 5 },
      { createdAt: '2026-05-05T03:00:00Z', cents: 300, model: null },
      { createdAt: '2026-05-05T04:00:00Z', cents: 400, model: 'gpt-4o', status: 'blocked' },
      { createdAt: '2026-05-05T05:00:00Z', cents: 500, model: 'gpt-4o', status: 'voided' },
      { createdAt: '2026-05-05T06:00:00Z', cents: 600, model: 'gpt-4o', status: 'settled' },
      // yesterday: another window
      { createdAt: '2026-05-04T23:59:59Z', cents: 700, model: 'gpt-4o' },
    ]);
    const out = await inTransaction((conn) =>
      seedCounters(conn, orgId, [{ period: 'daily', per: 'model' }], {
        timeZone: 'UTC',
        at: AT,
      }),
    );
    expect(out).toEqual({ counters: 2, reservations: 0 });
    expect(await counters(orgId)).toEqual({
      'daily|model|2026-05-05T00:00:00.000Z|(none)': [300, 0, 0, 1],
      'daily|model|2026-05-05T00:00:00.000Z|gpt-4o': [900, 10, 5, 3],
    });
  });

  it('counts open holds, adds the new counters to those reservations, and leaves released ones at zero', async () => {
    const orgId = await newOrg();
    const [held, released] = await record(orgId, [
      { createdAt: '2026-05-05T01:00:00Z', cents: 100, status: 'reserved', userId: 'u1' },
      { createdAt: '2026-05-05T02:00:00Z', cents: 200, status: 'expired', userId: 'u1' },
      { createdAt: '2026-05-05T03:00:00Z', cents: 50, userId: 'u2' },
    ]);
    await inTransaction((conn) =>
      seedCounters(conn, orgId, [{ period: 'monthly', per: 'user' }], {
        timeZone: 'UTC',
        at: AT,
      }),
    );
    expect(await counters(orgId)).toEqual({
      'monthly|user|2026-05-01T00:00:00.000Z|u1': [100, 0, 0, 1],
      'monthly|user|2026-05-01T00:00:00.000Z|u2': [50, 0, 0, 1],
    });
    const rows = await queryRows<{ id: string; counted_windows: string[] }>(
      connectionOf(db.orm.em.fork()),
      `select id, counted_windows from transaction_record where org_id = '${orgId}' order by id`,
    );
    const counted = Object.fromEntries(rows.map((r) => [r.id, r.counted_windows]));
    expect(counted[held ?? '']).toEqual(['monthly|user|2026-05-01T00:00:00.000Z|u1']);
    expect(counted[released ?? '']).toEqual(['monthly|user|2026-05-01T00:00:00.000Z|u1']);
  });

  it('seeds both windows when now is within the clock margin of a window boundary', async () => {
    const orgId = await newOrg();
    await record(orgId, [
      { createdAt: '2026-05-04T23:58:00Z', cents: 100 },
      { createdAt: '2026-05-05T00:01:00Z', cents: 200 },
    ]);
    await inTransaction((conn) =>
      seedCounters(conn, orgId, [{ period: 'daily', per: 'org' }], {
        timeZone: 'UTC',
        at: Date.parse('2026-05-05T00:02:00Z'),
      }),
    );
    expect(await counters(orgId)).toEqual({
      'daily|org|2026-05-04T00:00:00.000Z|*': [100, 0, 0, 1],
      'daily|org|2026-05-05T00:00:00.000Z|*': [200, 0, 0, 1],
    });
  });

  it("replaces a family's stale counters of current windows, and leaves other families alone", async () => {
    const orgId = await newOrg();
    await record(orgId, [{ createdAt: '2026-05-05T01:00:00Z', cents: 100, agentId: 'a1' }]);
    await queryRows(
      connectionOf(db.orm.em.fork()),
      `insert into window_counter (org_id, key, period, per, group_value, window_start, window_end,
          cost_micros, requests)
       values ('${orgId}', 'daily|agent|2026-05-05T00:00:00.000Z|gone', 'daily', 'agent', 'gone',
               '2026-05-05T00:00:00Z', '2026-05-06T00:00:00Z', 999000000, 9),
              ('${orgId}', 'daily|org|2026-05-05T00:00:00.000Z|*', 'daily', 'org', '*',
               '2026-05-05T00:00:00Z', '2026-05-06T00:00:00Z', 5000000, 1)`,
    );
    await inTransaction((conn) =>
      seedCounters(conn, orgId, [{ period: 'daily', per: 'agent' }], {
        timeZone: 'UTC',
        at: AT,
      }),
    );
    expect(await counters(orgId)).toEqual({
      'daily|agent|2026-05-05T00:00:00.000Z|a1': [100, 0, 0, 1],
      'daily|org|2026-05-05T00:00:00.000Z|*': [5, 0, 0, 1],
    });
  });

  it("seeds only the named vendors' per-minute counters", async () => {
    const orgId = await newOrg();
    await record(orgId, [
      { createdAt: '2026-05-05T09:59:30Z', cents: 1, vendor: 'openai' },
      { createdAt: '2026-05-05T09:59:40Z', cents: 1, vendor: 'openai' },
      { createdAt: '2026-05-05T09:59:50Z', cents: 1, vendor: 'anthropic' },
    ]);
    await inTransaction((conn) =>
      seedCounters(conn, orgId, [{ period: 'minute', per: 'vendor', only: ['openai'] }], {
        timeZone: 'UTC',
        at: Date.parse('2026-05-05T09:59:55Z'),
      }),
    );
    expect(await counters(orgId)).toEqual({
      'ratelimit|minute|2026-05-05T09:59:00.000Z|openai': [2, 0, 0, 2],
    });
  });
});

describe('releaseExpiredHolds', () => {
  it('takes expired holds out of their counters, marks them expired and audits each, once', async () => {
    const orgId = await newOrg();
    const key = 'daily|org|2026-05-05T00:00:00.000Z|*';
    await queryRows(
      connectionOf(db.orm.em.fork()),
      `insert into window_counter (org_id, key, period, per, group_value, window_start, window_end,
          cost_micros, tokens_in, tokens_out, requests)
       values ('${orgId}', '${key}', 'daily', 'org', '*', '2026-05-05T00:00:00Z',
               '2026-05-06T00:00:00Z', ${String(350 * M)}, 30, 3, 3)`,
    );
    const [expired, live] = await record(orgId, [
      {
        createdAt: '2026-05-05T01:00:00Z',
        cents: 100,
        status: 'reserved',
        tokensIn: 10,
        tokensOut: 1,
        expiresAt: '2026-05-05T01:10:00Z',
        countedWindows: [key],
      },
      {
        createdAt: '2026-05-05T09:55:00Z',
        cents: 200,
        status: 'reserved',
        tokensIn: 10,
        tokensOut: 1,
        expiresAt: '2026-05-05T10:05:00Z',
        countedWindows: [key],
      },
      {
        createdAt: '2026-05-05T02:00:00Z',
        cents: 50,
        tokensIn: 10,
        tokensOut: 1,
        countedWindows: [key],
      },
    ]);
    const at = '2026-05-05T10:00:00.000Z';
    // An evaluation already sees the counter without the expired hold.
    const seen = await queryRows<CounterRow>(
      connectionOf(db.orm.em.fork()),
      expiredHoldsSql(orgId, at),
    );
    expect(seen.map((r) => r.key)).toEqual([key]);

    const released = await inTransaction((conn) => releaseExpiredHolds(conn, orgId, at));
    expect(released).toEqual([expired]);
    expect(await counters(orgId)).toEqual({ [key]: [250, 20, 2, 2] });
    const again = await inTransaction((conn) => releaseExpiredHolds(conn, orgId, at));
    expect(again).toEqual([]);

    const rows = await queryRows<{ id: string; status: string }>(
      connectionOf(db.orm.em.fork()),
      `select id, status from transaction_record where org_id = '${orgId}' and hold is not null
        order by created_at`,
    );
    expect(rows).toEqual([
      { id: expired, status: 'expired' },
      { id: live, status: 'reserved' },
    ]);
    const events = await queryRows<{ event_type: string; entity_id: string; metadata: unknown }>(
      connectionOf(db.orm.em.fork()),
      `select event_type, entity_id, metadata from audit_event where org_id = '${orgId}'`,
    );
    expect(events).toEqual([
      {
        event_type: 'transaction.expired',
        entity_id: expired,
        metadata: {
          agentId: 'default',
          releasedAmountMicros: 100 * M,
          expiresAt: '2026-05-05T01:10:00.000Z',
        },
      },
    ]);
    // Nothing is left to take out for an evaluation either.
    const after = await queryRows<CounterRow>(
      connectionOf(db.orm.em.fork()),
      expiredHoldsSql(orgId, at),
    );
    expect(asEvaluated([], after).totals).toEqual({});
    expect(after).toEqual([]);
  });
});
