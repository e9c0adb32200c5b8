/**
 * Backtest throughput: `pnpm --filter @reins/jobs bench` (or `tsx bench/backtest.bench.ts
 * --rows 300000 --runs 3`).
 *
 * Seeds one organization's transactions on a fresh database of the PostgreSQL at
 * TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) with one
 * `insert … select generate_series` statement: 30 days, spread evenly, over 200 agents, 1,000
 * users, three vendors and six models; 3 % recorded as blocked, 1 % voided. Then runs the
 * `backtest` job over the last 29 days with a handful of draft rules (org daily and monthly
 * budgets, a model deny list, per-agent hourly and daily limits, a warn on big calls, a shadow
 * request cap per vendor), as the worker would: claim, keyset chunks, replay, progress and lease renewal,
 * result. Prints transactions replayed per second (the month's first day is read as warm-up:
 * the monthly window began before the period), and the replay alone over chunks already in
 * memory, to tell the read from the evaluation.
 */
import { parseArgs } from 'node:util';
import { createTestDatabase, initOrm, migrateUp } from '@reins/db';
import { parseRuleOfEitherDialect, type Rule } from '@reins/engine';
import { plainSql, withConnection } from '@reins/ledger';
import { backtestJob, chunkReader } from '../src/backtest.js';
import {
  Replay,
  draftRuleId,
  type BacktestResult,
  type BacktestSettings,
  type ReplayChunk,
} from '../src/backtestReplay.js';
import type { JobContext } from '../src/scheduler.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '300000' },
    runs: { type: 'string', default: '3' },
    chunk: { type: 'string', default: '20000' },
  },
});
const ROWS = Number(args.rows);
const RUNS = Number(args.runs);
const CHUNK = Number(args.chunk);

process.env.TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';

const RULES = [
  {
    name: 'Org daily budget',
    priority: 100,
    conditions: { timeWindow: 'daily' },
    action: 'block',
    actionConfig: { limitCents: 1_000_000, per: 'org' },
  },
  {
    name: 'Org monthly budget, warn at 80 %',
    priority: 90,
    conditions: { timeWindow: 'monthly' },
    action: 'warn',
    actionConfig: { limitCents: 30_000_000, per: 'org', thresholdPct: 80 },
  },
  {
    type: 'model_filter',
    name: 'No GPT-4 class models',
    priority: 80,
    scope: 'org',
    condition: { model: { in: ['gpt-4', 'gpt-4-32k*'] } },
    action: 'block',
  },
  {
    name: 'Agents: $5 an hour each',
    priority: 70,
    conditions: { agentIds: ['agent-*'], timeWindow: 'hourly' },
    action: 'block',
    actionConfig: { limitCents: 500 },
  },
  {
    name: 'Agents: 50 calls a day each',
    priority: 60,
    conditions: { agentIds: ['agent-*'], timeWindow: 'daily' },
    action: 'flag',
    actionConfig: { maxTransactions: 50, metric: 'requests' },
  },
  {
    name: 'Big calls',
    priority: 50,
    conditions: { amountCents: { min: 150 } },
    action: 'warn',
  },
  {
    name: 'Shadow: 200 calls an hour per vendor',
    priority: 95,
    mode: 'shadow',
    conditions: { timeWindow: 'hourly' },
    action: 'block',
    actionConfig: { maxTransactions: 200, metric: 'requests', per: 'vendor' },
  },
];

function rules(): Rule[] {
  return RULES.map((body, i) => {
    const r = parseRuleOfEitherDialect(body, {
      id: draftRuleId(i),
      createdAt: new Date(Date.UTC(2026, 0, 1) + i).toISOString(),
    });
    if (!r.ok) throw new Error(`rule ${String(i)}: ${JSON.stringify(r.issues)}`);
    return r.value;
  });
}

const SETTINGS: BacktestSettings = { timeZone: 'UTC', defaultAction: 'pass', budgets: {} };
const FROM = Date.parse('2026-11-01T00:00:00Z');
const DAYS = 30;
const PERIOD_START = '2026-11-02T00:00:00.000Z';
const PERIOD_END = '2026-12-01T00:00:00.000Z';

/** What the draft rules would have done, in a few lines (the first run's result). */
function summarize(r: BacktestResult): void {
  const n = (x: number) => x.toLocaleString('en-US');
  const $ = (cents: number) => `$${n(Math.round(cents / 100))}`;
  console.log(
    `  period ${r.periodStart} – ${r.periodEnd}, replayed from ${r.replayedFrom}: ` +
      `${n(r.transactions)} transactions, ${$(r.spendCents)}`,
  );
  for (const x of r.rules) {
    console.log(
      `  ${x.name} (${x.mode === 'shadow' ? 'shadow ' : ''}${x.action}): ` +
        `${n(x.transactions)} transactions, ${$(x.spendCents)}`,
    );
  }
  const d = r.difference;
  console.log(
    `  newly blocked ${n(d.newlyBlocked.transactions)} (${$(d.preventedSpendCents)} prevented), ` +
      `newly admitted ${n(d.newlyAdmitted.transactions)} (${$(d.addedSpendCents)}), ` +
      `other action ${n(d.actionChanged.transactions)}`,
  );
}

const log = { info: () => undefined, warn: () => undefined, error: console.error };

async function main() {
  const db = await createTestDatabase('backtest_bench');
  const orm = await initOrm(db.url, { maxConnections: 4 });
  try {
    await migrateUp(orm);
    const sql = plainSql(orm);
    await sql(`insert into organization (id, name) values ('org_bench', 'Bench')`);
    const seedStart = performance.now();
    const stepMs = (DAYS * 86_400_000) / ROWS;
    await sql(
      `insert into transaction_record (id, org_id, vendor, model, agent_id, user_id, amount_micros,
              amount_cents, tokens_in, tokens_out, occurred_at, created_at, action, admitted,
              policy_result, evaluation, status, phase)
       select 'txn_' || lpad(g::text, 10, '0'), 'org_bench',
              (array['openai', 'anthropic', 'google'])[1 + g % 3],
              (array['gpt-4o-mini', 'gpt-4', 'claude-3-5-sonnet', 'gemini-1.5-pro', 'gpt-4-32k-0613',
                     'gpt-4o'])[1 + (g / 7) % 6],
              'agent-' || ((g * 7919) % 200), 'user-' || ((g * 104729) % 1000),
              ((g * 2654435761) % 200 + 1) * 1000000, (g * 2654435761) % 200 + 1,
              (g % 900) + 100, (g % 300) + 20,
              ts, ts,
              case when g % 33 = 0 then 'block' when g % 17 = 0 then 'warn' else 'pass' end,
              g % 33 <> 0, '{}', '{}',
              case when g % 33 = 0 then 'blocked' when g % 101 = 0 then 'voided'
                   else 'recorded' end,
              'final'
         from generate_series(0::bigint, ? - 1) g,
              lateral (select to_timestamp(? / 1000.0 + g * ? / 1000.0) as ts) t`,
      [ROWS, FROM, stepMs],
    );
    await sql('analyze transaction_record');
    const seedS = (performance.now() - seedStart) / 1000;
    console.log(`seeded ${ROWS.toLocaleString('en-US')} transactions in ${seedS.toFixed(1)} s`);

    const draft = rules();
    const figures: { s: number; replayed: number; perS: number }[] = [];
    for (let run = 0; run < RUNS; run++) {
      await sql(
        `insert into backtest (id, org_id, rules, settings, period_start, period_end)
         values (?, 'org_bench', ?::jsonb, ?::jsonb, ?, ?)`,
        [
          `bt_bench${String(run)}`,
          JSON.stringify(draft),
          JSON.stringify(SETTINGS),
          PERIOD_START,
          PERIOD_END,
        ],
      );
      const job = backtestJob(1000, { chunkSize: CHUNK, workerId: 'bench' });
      const ctx: JobContext = {
        orm,
        now: () => new Date(),
        signal: new AbortController().signal,
        log,
      };
      const t0 = performance.now();
      await job.run(ctx);
      const s = (performance.now() - t0) / 1000;
      const [row] = await sql<{ status: string; result: BacktestResult | null }>(
        `select status, result from backtest where id = ?`,
        [`bt_bench${String(run)}`],
      );
      if (row?.status !== 'done' || !row.result) throw new Error(`backtest ${String(row?.status)}`);
      const replayed = row.result.transactions + row.result.warmupTransactions;
      figures.push({ s, replayed, perS: replayed / s });
      console.log(
        `run ${String(run + 1)}: ${replayed.toLocaleString('en-US')} transactions ` +
          `(${String(row.result.warmupTransactions)} warm-up) in ${s.toFixed(2)} s = ` +
          `${Math.round(replayed / s).toLocaleString('en-US')} tx/s`,
      );
      if (run === 0) summarize(row.result);
    }

    // The replay alone, over the chunks read once into memory.
    const r0 = new Replay(draft, SETTINGS, Date.parse(PERIOD_START), Date.parse(PERIOD_END));
    const read = chunkReader(
      'org_bench',
      new Date(r0.replayFrom).toISOString(),
      PERIOD_END,
      CHUNK,
      r0,
    );
    const chunks: ReplayChunk[] = [];
    const tRead = performance.now();
    await withConnection(orm, async (conn) => {
      for (let c = await read(conn); c; c = await read(conn)) chunks.push(c);
    });
    const readS = (performance.now() - tRead) / 1000;
    const engineRuns: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const r = new Replay(draft, SETTINGS, Date.parse(PERIOD_START), Date.parse(PERIOD_END));
      const t = performance.now();
      for (const c of chunks) r.feed(c);
      engineRuns.push((performance.now() - t) / 1000);
    }
    const n = chunks.reduce((a, c) => a + c.id.length, 0);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    console.log(
      `read alone: ${n.toLocaleString('en-US')} rows in ${readS.toFixed(2)} s = ` +
        `${Math.round(n / readS).toLocaleString('en-US')} rows/s`,
    );
    console.log(
      `replay alone (in memory), median of ${String(RUNS)}: ` +
        `${Math.round(n / median(engineRuns)).toLocaleString('en-US')} tx/s`,
    );
    console.log(
      `backtest job, median of ${String(RUNS)}: ` +
        `${Math.round(median(figures.map((f) => f.perS))).toLocaleString('en-US')} tx/s`,
    );
  } finally {
    await orm.close();
    await db.drop();
  }
}

await main();
