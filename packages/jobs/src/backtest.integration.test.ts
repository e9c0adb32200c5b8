/**
 * The backtest job against PostgreSQL: keyset chunks that split runs of equal `created_at`, the
 * optional columns (user roles, model known), and a host stopping mid-replay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestOrm } from '@reins/db';
import { parseRuleOfEitherDialect, type Rule } from '@reins/engine';
import { plainSql } from '@reins/ledger';
import { backtestJob } from './backtest.js';
import { draftRuleId, type BacktestResult, type BacktestSettings } from './backtestReplay.js';
import type { JobContext } from './scheduler.js';

const db = useTestOrm('backtest_job', { beforeAll, afterAll });
const ORG = 'org_bt';
const SETTINGS: BacktestSettings = { timeZone: 'UTC', defaultAction: 'pass', budgets: {} };

const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const ctx = (signal = new AbortController().signal): JobContext => ({
  orm: db.orm,
  now: () => new Date(),
  signal,
  log,
});

function drafts(bodies: unknown[]): Rule[] {
  return bodies.map((b, i) => {
    const r = parseRuleOfEitherDialect(b, {
      id: draftRuleId(i),
      createdAt: new Date(Date.UTC(2026, 0, 1) + i).toISOString(),
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.value;
  });
}

const RULES = drafts([
  {
    name: 'Free users: $1 a day each',
    priority: 30,
    conditions: { userRoles: ['free'], timeWindow: 'daily' },
    action: 'block',
    actionConfig: { limitCents: 100 },
  },
  { name: 'Unpriced models', priority: 20, conditions: { unknownModel: true }, action: 'flag' },
  {
    name: 'Org: 40 calls an hour',
    priority: 10,
    conditions: { timeWindow: 'hourly' },
    action: 'warn',
    actionConfig: { maxTransactions: 40, metric: 'requests', per: 'org' },
  },
]);

let seq = 0;
async function queue(): Promise<string> {
  const id = `bt_test${String(seq++)}`;
  await plainSql(db.orm)(
    `insert into backtest (id, org_id, rules, settings, period_start, period_end)
     values (?, ?, ?::jsonb, ?::jsonb, '2026-06-01T06:00:00Z', '2026-06-02T00:00:00Z')`,
    [id, ORG, JSON.stringify(RULES), JSON.stringify(SETTINGS)],
  );
  return id;
}

async function row(id: string) {
  const [r] = await plainSql(db.orm)<{
    status: string;
    processed: string;
    total: string | null;
    result: BacktestResult | null;
    error: string | null;
  }>('select status, processed, total, result, error from backtest where id = ?', [id]);
  return r;
}

beforeAll(async () => {
  const sql = plainSql(db.orm);
  await sql(`insert into organization (id, name) values (?, 'Backtested')`, [ORG]);
  // 240 transactions on 2026-06-01, five at each instant (every 30 minutes from midnight): the
  // keyset must split runs of equal created_at. Every third user is a free user (by
  // `user_roles` or by `metadata.userRole`); every seventh call's model was unpriced.
  await sql(
    `insert into transaction_record (id, org_id, vendor, model, agent_id, user_id, user_roles,
            metadata, amount_micros, amount_cents, tokens_in, tokens_out, occurred_at, created_at,
            action, admitted, policy_result, evaluation, status)
     select 'txn_' || lpad(g::text, 5, '0'), ?, 'openai',
            case when g % 7 = 0 then 'mystery-model' else 'gpt-4o-mini' end,
            'bot', 'user-' || (g % 6),
            case when g % 6 = 0 then '["free"]'::jsonb else '[]'::jsonb end,
            case when g % 6 = 3 then '{"userRole": "Free"}'::jsonb else '{}'::jsonb end,
            (g % 5 + 1) * 10000000, (g % 5 + 1) * 10, 10, 10, ts, ts, 'pass', true, '{}',
            jsonb_build_object('modelKnown', g % 7 <> 0), 'recorded'
       from generate_series(0, 239) g,
            lateral (select '2026-06-01T00:00:00Z'::timestamptz
                            + (g / 5) * interval '30 minutes' as ts) t`,
    [ORG],
  );
});

describe('the backtest job', () => {
  it('reads the same rows in chunks of any size, splitting runs of equal times', async () => {
    const results: BacktestResult[] = [];
    for (const chunkSize of [3, 7, 1000]) {
      const id = await queue();
      const job = backtestJob(1000, { chunkSize, workerId: `w${String(chunkSize)}` });
      expect(await job.run(ctx())).toBe(true);
      const r = await row(id);
      expect(r?.status, r?.error ?? '').toBe('done');
      // 06:00 to midnight: 36 half hours of five.
      expect([Number(r?.processed), Number(r?.total)]).toEqual([180, 180]);
      if (r?.result) results.push(r.result);
    }
    expect(results[0]).toEqual(results[2]);
    expect(results[1]).toEqual(results[2]);
    const r = results[2] as BacktestResult;
    expect(r.replayedFrom).toBe('2026-06-01T00:00:00.000Z');
    expect(r.warmupTransactions).toBe(60);
    expect(r.transactions).toBe(180);
    // Free users (0 and 3 of every six) spend 10–50 ¢ a call: blocked once past $1 a day.
    const [free, unpriced, hourly] = r.rules;
    expect(free?.transactions).toBeGreaterThan(0);
    expect(free?.examples.length).toBe(5);
    const g = (txn: string) => Number(txn.slice(4));
    // Free by `user_roles` (user-0) and by `metadata.userRole` (user-3), nobody else.
    expect(new Set(free?.examples.map((x) => g(x) % 6))).toEqual(new Set([0, 3]));
    // Unpriced calls not blocked first are flagged.
    expect(unpriced?.transactions).toBeGreaterThan(0);
    expect(unpriced?.examples.every((x) => g(x) % 7 === 0)).toBe(true);
    // Ten calls an hour: the 40-an-hour cap never trips.
    expect(hourly?.transactions).toBe(0);
    expect(r.wouldHave.block?.transactions).toBe(free?.transactions);
    expect(r.difference.newlyBlocked.transactions).toBe(free?.transactions);
  });

  it('puts a backtest back in the queue when its host stops mid-replay', async () => {
    const id = await queue();
    const abort = new AbortController();
    abort.abort();
    const job = backtestJob(1000, { chunkSize: 50, workerId: 'stopping' });
    await job.run(ctx(abort.signal));
    expect((await row(id))?.status).toBe('queued');
    await backtestJob(1000, { workerId: 'next' }).run(ctx());
    expect((await row(id))?.status).toBe('done');
  });

  it('fails a backtest whose replay throws, with the reason', async () => {
    const id = await queue();
    await plainSql(db.orm)(`update backtest set rules = '"not a rule set"' where id = ?`, [id]);
    expect(await backtestJob(1000).run(ctx())).toBe(true);
    const r = await row(id);
    expect(r?.status).toBe('failed');
    expect(r?.error).toMatch(/./);
  });

  it('gives up on a backtest whose workers keep dying mid-replay', async () => {
    const id = await queue();
    await plainSql(db.orm)(
      `update backtest set status = 'running', attempts = 3, locked_by = 'dead',
              locked_until = now() - interval '1 second' where id = ?`,
      [id],
    );
    await backtestJob(1000).run(ctx());
    const r = await row(id);
    expect(r?.status).toBe('failed');
    expect(r?.error).toMatch(/gave up after 3 attempts/);
  });

  it('finds nothing to do when nothing is queued', async () => {
    expect(await backtestJob(1000).run(ctx())).toBe(false);
  });
});
