/**
 * `pnpm --filter @reins/server bench:worker`: what the worker's analytics cost and deliver, on the
 * local PostgreSQL (127.0.0.1), each part on a fresh database dropped at the end.
 *
 * 1. Reads at scale: 1,000,000 transactions of one org over May 2026 (20 agents, 200 users,
 *    3 vendors, 6 models) with their audit events, loaded with SQL; the rollups absorb them
 *    (events/s); then `GET /api/analytics/summary` (monthly; with a daily series; one agent),
 *    `/forecast` and `/anomalies` through an in-process server, 30 calls each, p50/p95 — with
 *    the rollups caught up, and again with 5,000 events not absorbed yet (a lagging worker).
 *    For scale: the same monthly total as a direct SUM over the transactions.
 * 2. Rollup lag: the server with its in-process worker (a child process, as `pnpm start`) under
 *    a steady 500 tx/s for 20 s; the bench samples every 250 ms how many audit events the rollups
 *    have not absorbed and the age of the oldest.
 * 3. The hot path's saturated throughput with the worker in-process against `REINS_WORKER=off`,
 *    alternating on/off/on/off (8 s each, 32 connections), medians.
 *
 * Options: --quick (100,000 transactions, 5 s phases), --reads-only (part 1), --out <file>.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createDatabase,
  dropDatabase,
  initOrm,
  migrateUp,
  testServerUrl,
  type Orm,
} from '@reins/db';
import { inTransaction, rollOrg, rollupLag, withConnection } from '@reins/ledger';
import { defaultEnv } from '../src/env.js';
import { startServer } from '../src/server.js';
import { createOrganization } from '../src/services/orgs.js';
import { spawnServer } from './child.js';
import { closedLoop, openLoop, type Target } from './loadgen.js';
import { bodyOf, makeTemplates } from './workload.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    /** Part 1 only (the reads). */
    'reads-only': { type: 'boolean', default: false },
  },
});
const N = args.quick ? 100_000 : 1_000_000;
const PHASE_S = args.quick ? 5 : 8;
const LAG_S = args.quick ? 5 : 20;
const CALLS = 30;
const NOW = Date.parse('2026-05-31T18:00:00Z');
const serverUrl = testServerUrl() ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BOOT_KEY = 'rk_bench_WorkerBenchAdminKey00000001';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.min(s.length - 1, Math.floor(p * s.length))] as number);
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

async function freshDatabase(tag: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `reins_bench_${tag}_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(serverUrl, name);
  return { url, drop: () => dropDatabase(serverUrl, name) };
}

const exec = (orm: Orm, q: string) => orm.em.fork().getConnection().execute(q, [], 'all');

async function readsAtScale() {
  const db = await freshDatabase('reads');
  const orm = await initOrm(db.url, { maxConnections: 4 });
  try {
    await migrateUp(orm);
    const org = await createOrganization(
      orm.em.fork(),
      { name: 'reads', monthlyBudgetCents: 50_000_000 },
      { keyEnv: 'bench', actor: 'bench', now: new Date(NOW) },
    );
    const orgId = org.orgId;
    let t0 = performance.now();
    const load = (from: number, to: number) =>
      exec(
        orm,
        `insert into transaction_record (id, org_id, vendor, model, agent_id, user_id, team_id,
            amount_micros, amount_cents, tokens_in, tokens_out, occurred_at, created_at, action,
            admitted, policy_result, evaluation, status, phase)
         select 'txn_b' || g, '${orgId}', (array['openai','anthropic','google'])[1 + g % 3],
                (array['gpt-4o','claude-sonnet-4','gemini-2.5-pro','gpt-4o-mini','claude-haiku-4','gemini-2.5-flash'])[1 + g % 6],
                'agent-' || (g % 200) % 20, 'user-' || g % 200, 'team-' || g % 4,
                (1 + g % 500) * 10000, 1 + g % 500, 100, 50, t, t,
                case when g % 97 = 0 then 'flag' else 'pass' end, true, '{}', '{}', 'recorded', 'final'
           from generate_series(${String(from)}, ${String(to)}) g,
                lateral (select timestamptz '2026-05-01T00:00:00Z'
                           + (g * interval '1 second' * ${String(30 * 86400)} / ${String(N)}) as t) s;
         insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id, metadata)
         select 'evt_b' || g, '${orgId}',
                case when g % 97 = 0 then 'transaction.flagged' else 'transaction.recorded' end,
                t.occurred_at, 'agent:' || t.agent_id, 'transaction', t.id,
                jsonb_build_object('amountMicros', t.amount_micros, 'amountCents', t.amount_cents)
           from generate_series(${String(from)}, ${String(to)}) g
           join transaction_record t on t.id = 'txn_b' || g`,
      );
    for (let from = 1; from <= N; from += 100_000) await load(from, Math.min(N, from + 99_999));
    await exec(orm, 'analyze');
    const loadS = (performance.now() - t0) / 1000;
    t0 = performance.now();
    let absorbed = 0;
    for (;;) {
      const n = (await inTransaction(orm, (c) => rollOrg(c, orgId))) ?? 0;
      absorbed += n;
      if (n === 0 && (await withConnection(orm, (c) => rollupLag(c, orgId))).events === 0) break;
    }
    const rollS = (performance.now() - t0) / 1000;
    await exec(orm, 'analyze');
    const [rows] = (await exec(
      orm,
      `select count(*)::int as n from spend_rollup where org_id = '${orgId}'`,
    )) as {
      n: number;
    }[];

    const server = await startServer(
      defaultEnv({ PORT: 0, LOG_LEVEL: 'silent', REINS_RATE_LIMIT_RPS: 0, REINS_WORKER: 'off' }),
      { clock: () => NOW, db: { orm, mode: 'postgres', close: () => Promise.resolve() } },
    );
    const key = org.key.key;
    const timed = async (path: string) => {
      const times: number[] = [];
      let body: unknown;
      for (let i = 0; i < CALLS; i++) {
        const s = performance.now();
        const res = await fetch(`${server.url}${path}`, {
          headers: { authorization: `Bearer ${key}` },
        });
        body = await res.json();
        if (res.status !== 200)
          throw new Error(`${path}: ${String(res.status)} ${JSON.stringify(body)}`);
        times.push(performance.now() - s);
      }
      return { p50: r1(median(times)), p95: r1(pct(times, 0.95)), body };
    };
    const paths = {
      'summary?period=monthly': '/api/analytics/summary?period=monthly',
      'summary?period=monthly&groupBy=day': '/api/analytics/summary?period=monthly&groupBy=day',
      'summary?period=monthly&agentId=agent-7':
        '/api/analytics/summary?period=monthly&agentId=agent-7',
      forecast: '/api/analytics/forecast',
      'anomalies (24 h)': '/api/analytics/anomalies',
    };
    const caughtUp: Record<string, { p50: number; p95: number }> = {};
    let monthly: unknown;
    for (const [name, path] of Object.entries(paths)) {
      const r = await timed(path);
      caughtUp[name] = { p50: r.p50, p95: r.p95 };
      if (name === 'summary?period=monthly') monthly = r.body;
    }
    // A lagging worker: 5,000 more events the rollups have not absorbed.
    await load(N + 1, N + 5000);
    const lagging: Record<string, { p50: number; p95: number }> = {};
    for (const [name, path] of Object.entries(paths)) {
      const r = await timed(path);
      lagging[name] = { p50: r.p50, p95: r.p95 };
    }
    const direct: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      await exec(
        orm,
        `select sum(amount_cents) from transaction_record where org_id = '${orgId}'
            and occurred_at >= '2026-05-01' and occurred_at < '2026-06-01'
            and status in ('recorded','settled')`,
      );
      direct.push(performance.now() - s);
    }
    await server.close();
    return {
      transactions: N,
      loadS: r1(loadS),
      absorbed,
      rollupSeconds: r1(rollS),
      eventsPerSecond: Math.round(absorbed / rollS),
      rollupRows: rows?.n,
      monthlyTotalCents: (monthly as { totalSpendCents: number }).totalSpendCents,
      caughtUp,
      lagging5000: lagging,
      directSumMs: r1(median(direct)),
    };
  } finally {
    await orm.close();
    await db.drop();
  }
}

const templates = makeTemplates(5000);
let seq = 0;
const next = () => {
  const s = seq++;
  const template = templates[s % templates.length];
  if (!template) throw new Error('no templates');
  return { seq: s, body: bodyOf(template, s) };
};
const target = (port: number): Target => ({
  port,
  path: '/api/v1/transactions',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${BOOT_KEY}` },
});

async function rollupLagUnderLoad() {
  const db = await freshDatabase('lag');
  const server = await spawnServer(db.url, BOOT_KEY, { REINS_WORKER: 'on' });
  const orm = await initOrm(db.url, { maxConnections: 1 });
  try {
    const [org] = (await exec(orm, 'select id from organization limit 1')) as { id: string }[];
    if (!org) throw new Error('the server did not create its organization');
    const orgId = org.id;
    const samples: { events: number; oldestMs: number }[] = [];
    const state = { sampling: true };
    const sampler = (async () => {
      while (state.sampling) {
        samples.push(await withConnection(orm, (c) => rollupLag(c, orgId)));
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const log = await openLoop(
      target(server.port),
      { rate: 500, durationMs: LAG_S * 1000, maxInFlight: 256, drainMs: 5000 },
      next,
      () => undefined,
    );
    state.sampling = false;
    await sampler;
    // Skip the first second (the sampler starts before any load).
    const steady = samples.slice(4);
    const ages = steady.map((s) => s.oldestMs);
    const events = steady.map((s) => s.events);
    return {
      offeredTxPerS: 500,
      answered: log.answered,
      achievedTxPerS: Math.round(log.answered / ((log.endedAt - log.startedAt) / 1000)),
      samples: steady.length,
      lagMs: { p50: median(ages), p95: pct(ages, 0.95), max: Math.max(...ages) },
      pendingEvents: { p50: median(events), p95: pct(events, 0.95), max: Math.max(...events) },
    };
  } finally {
    await orm.close();
    await server.stop();
    await db.drop();
  }
}

async function hotPathWithAndWithoutWorker() {
  const runs: { worker: string; txPerS: number }[] = [];
  for (const worker of ['on', 'off', 'on', 'off']) {
    const db = await freshDatabase('hot');
    const server = await spawnServer(db.url, BOOT_KEY, { REINS_WORKER: worker });
    try {
      const log = await closedLoop(
        target(server.port),
        { connections: 32, durationS: PHASE_S, maxRequests: 200_000 },
        next,
        () => undefined,
      );
      runs.push({
        worker,
        txPerS: Math.round(log.answered / ((log.endedAt - log.startedAt) / 1000)),
      });
    } finally {
      await server.stop();
      await db.drop();
    }
  }
  const of = (w: string) => median(runs.filter((r) => r.worker === w).map((r) => r.txPerS));
  return {
    runs,
    medianOn: of('on'),
    medianOff: of('off'),
    ratio: r1((of('on') / of('off')) * 100) / 100,
  };
}

const reads = await readsAtScale();
console.log('reads at scale', JSON.stringify(reads, null, 2));
if (args['reads-only']) process.exit(0);
const lag = await rollupLagUnderLoad();
console.log('rollup lag', JSON.stringify(lag, null, 2));
const hot = await hotPathWithAndWithoutWorker();
console.log('hot path', JSON.stringify(hot, null, 2));

console.log(`
| reads at ${N.toLocaleString('en-US')} transactions | p50 ms (caught up) | p95 | p50 ms (5,000 unabsorbed) | p95 |
|---|---|---|---|---|
${Object.keys(reads.caughtUp)
  .map(
    (k) =>
      `| ${k} | ${String(reads.caughtUp[k]?.p50)} | ${String(reads.caughtUp[k]?.p95)} | ${String(reads.lagging5000[k]?.p50)} | ${String(reads.lagging5000[k]?.p95)} |`,
  )
  .join('\n')}
| direct SUM over the transactions (for scale) | ${String(reads.directSumMs)} | | | |

Rollups: ${reads.absorbed.toLocaleString('en-US')} events absorbed in ${String(reads.rollupSeconds)} s (${reads.eventsPerSecond.toLocaleString('en-US')} events/s), ${String(reads.rollupRows)} rollup rows.
Rollup lag at 500 tx/s (${String(lag.achievedTxPerS)} achieved): oldest unabsorbed event p50 ${String(lag.lagMs.p50)} ms, p95 ${String(lag.lagMs.p95)} ms, max ${String(lag.lagMs.max)} ms; pending events p50 ${String(lag.pendingEvents.p50)}, max ${String(lag.pendingEvents.max)}.
Hot path, saturated: worker in-process ${String(hot.medianOn)} tx/s, REINS_WORKER=off ${String(hot.medianOff)} tx/s (ratio ${String(hot.ratio)}; runs ${hot.runs.map((r) => `${r.worker} ${String(r.txPerS)}`).join(', ')}).
`);

const out =
  args.out ??
  join(
    here,
    'results',
    `worker-${new Date().toISOString().replace(/[:.]/g, '').slice(0, 15)}Z.json`,
  );
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ reads, lag, hot, quick: args.quick }, null, 2));
console.log(`results: ${out}`);
