/**
 * `pnpm --filter @reins/server bench:leases` (issue 18): one organization's recorded
 * transactions per second with 1, 2 and 3 server processes, budget leases off and on.
 *
 * Each case runs on a fresh database on the local PostgreSQL (TEST_DATABASE_URL or DATABASE_URL,
 * else postgres://postgres@127.0.0.1:5432/postgres; dropped at the end): N server processes
 * (`REINS_WORKER=off`, `REINS_BUDGET_LEASES` off or on), one organization whose every transaction
 * counts in an org-wide daily block cap far above what the run spends (so the cap never binds and
 * every batch reads its counter — the case leases are for), and a closed-loop load of
 * `--connections` keep-alive connections (48) spread evenly over the processes, on 127.0.0.1:
 * `--warmup` seconds (2) not counted, then `--seconds` (12) measured. Recorded tx/s is the
 * transactions the database holds from the measured phase over its duration.
 *
 * After each case with leases, the servers stop gracefully and the bench checks that no lease is
 * left and that every counter equals its ledger sum.
 *
 * Prints a table with the ratios (N processes ÷ 1, leases on ÷ off) and writes a JSON file
 * (`--out`, default bench/results/leases-<time>.json). The machine must be otherwise quiet for
 * the figures to mean anything; `--seconds 2 --warmup 0` is a smoke test.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDatabase, dropDatabase, initOrm, testServerUrl } from '@reins/db';
import { spawnServer, type Child } from './child.js';
import { closedLoop } from './loadgen.js';
import { queryOf } from './probes.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    seconds: { type: 'string', default: '12' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '48' },
    processes: { type: 'string', default: '1,2,3' },
    out: { type: 'string' },
  },
});
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const CONNECTIONS = Number(args.connections);
const PROCESSES = args.processes.split(',').map(Number);
const serverUrl = testServerUrl() ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BOOT_KEY = 'rk_bench_LeasesBenchAdminKey000001';
/** $10,000,000 a day: never reached by a run. */
const CAP_CENTS = 1_000_000_000;
const AGENTS = 20;

interface Case {
  processes: number;
  leases: boolean;
  seconds: number;
  recorded: number;
  txPerS: number;
  answered: number;
  statusCounts: Record<string, number>;
  /** Leases left after the graceful stops (must be 0), and counters not equal to the ledger. */
  leasesLeft: number | null;
  countersOff: number | null;
}

async function runCase(processes: number, leases: boolean): Promise<Case> {
  const name = `reins_bench_leases_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(serverUrl, name);
  const env = {
    REINS_WORKER: 'off',
    REINS_DB_POOL: '8',
    REINS_BUDGET_LEASES: leases ? 'on' : 'off',
  };
  const servers: Child[] = [];
  try {
    // The first alone (migrations, bootstrap), then the others.
    servers.push(await spawnServer(url, BOOT_KEY, env));
    servers.push(
      ...(await Promise.all(
        Array.from({ length: processes - 1 }, () => spawnServer(url, BOOT_KEY, env)),
      )),
    );
    const first = servers[0] as Child;
    const res = await fetch(`http://127.0.0.1:${String(first.port)}/api/policy-rules`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'The whole org: a daily cap',
        conditions: { timeWindow: 'daily' },
        action: 'block',
        actionConfig: { limitCents: CAP_CENTS, per: 'org' },
      }),
    });
    if (res.status !== 201) throw new Error(`creating the cap answered ${String(res.status)}`);

    let seq = 0;
    const next = () => {
      seq += 1;
      return {
        seq,
        body: JSON.stringify({
          vendor: 'openai',
          model: 'gpt-4o',
          agentId: `agent-${String(seq % AGENTS)}`,
          amount: 1 + (seq % 7),
        }),
      };
    };
    const load = (durationS: number) =>
      Promise.all(
        servers.map((s, i) =>
          closedLoop(
            {
              port: s.port,
              path: '/api/v1/transactions',
              headers: {
                authorization: `Bearer ${BOOT_KEY}`,
                'content-type': 'application/json',
              },
            },
            {
              connections: Math.max(
                1,
                Math.floor(CONNECTIONS / processes) + (i < CONNECTIONS % processes ? 1 : 0),
              ),
              durationS,
              maxRequests: 100_000_000,
            },
            next,
            () => undefined,
          ),
        ),
      );
    const orm = await initOrm(url, { maxConnections: 1 });
    const sql = queryOf(orm);
    try {
      if (WARMUP > 0) await load(WARMUP);
      const [before] = await sql<{ n: string }>(
        'select count(*)::text as n from transaction_record',
      );
      const t0 = performance.now();
      const logs = await load(SECONDS);
      const seconds = (performance.now() - t0) / 1000;
      const [after] = await sql<{ n: string }>(
        'select count(*)::text as n from transaction_record',
      );
      const recorded = Number(after?.n) - Number(before?.n);
      const statusCounts: Record<string, number> = {};
      for (const log of logs) {
        for (const [k, v] of Object.entries(log.statusCounts)) {
          statusCounts[k] = (statusCounts[k] ?? 0) + v;
        }
      }
      let leasesLeft: number | null = null;
      let countersOff: number | null = null;
      if (leases) {
        await Promise.all(servers.splice(0).map((s) => s.stop()));
        const [l] = await sql<{ n: string }>('select count(*)::text as n from budget_lease');
        leasesLeft = Number(l?.n);
        const [c] = await sql<{ n: string }>(
          `select count(*)::text as n from window_counter c
            where c.per = 'org' and c.cost_micros <> (
              select coalesce(sum(amount_micros), 0) from transaction_record t
               where t.org_id = c.org_id and t.status in ('recorded', 'settled', 'reserved')
                 and t.created_at >= c.window_start and t.created_at < c.window_end)`,
        );
        countersOff = Number(c?.n);
      }
      return {
        processes,
        leases,
        seconds: Math.round(seconds * 100) / 100,
        recorded,
        txPerS: Math.round(recorded / seconds),
        answered: logs.reduce((a, l) => a + l.answered, 0),
        statusCounts,
        leasesLeft,
        countersOff,
      };
    } finally {
      await orm.close();
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await dropDatabase(serverUrl, name);
  }
}

const cases: Case[] = [];
for (const leases of [false, true]) {
  for (const n of PROCESSES) {
    const c = await runCase(n, leases);
    cases.push(c);
    console.log(
      `${String(n)} process(es), leases ${leases ? 'on ' : 'off'}: ${String(c.txPerS)} tx/s ` +
        `(${String(c.recorded)} recorded in ${String(c.seconds)} s; answers ${JSON.stringify(c.statusCounts)}` +
        `${leases ? `; leases left ${String(c.leasesLeft)}, counters off ${String(c.countersOff)}` : ''})`,
    );
  }
}

const find = (n: number, leases: boolean) =>
  cases.find((c) => c.processes === n && c.leases === leases);
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? Math.round((a / b) * 100) / 100 : null;
const base = PROCESSES[0] ?? 1;
const rows = PROCESSES.map((n) => {
  const off = find(n, false);
  const on = find(n, true);
  return {
    processes: n,
    off: off?.txPerS ?? null,
    on: on?.txPerS ?? null,
    offVsOne: ratio(off?.txPerS, find(base, false)?.txPerS),
    onVsOne: ratio(on?.txPerS, find(base, true)?.txPerS),
    onVsOff: ratio(on?.txPerS, off?.txPerS),
  };
});
console.log(`
One organization, an org-wide daily cap, ${String(CONNECTIONS)} connections, ${String(SECONDS)} s per case (${String(WARMUP)} s warm-up), ${String(cpus().length)} CPUs, Node ${process.version}

| processes | leases off tx/s | leases on tx/s | off ÷ ${String(base)} process | on ÷ ${String(base)} process | on ÷ off |
| --- | --- | --- | --- | --- | --- |
${rows
  .map(
    (r) =>
      `| ${String(r.processes)} | ${String(r.off)} | ${String(r.on)} | ${String(r.offVsOne)} | ${String(r.onVsOne)} | ${String(r.onVsOff)} |`,
  )
  .join('\n')}
`);

const out =
  args.out ??
  join(
    here,
    'results',
    `leases-${new Date().toISOString().replace(/[:.]/g, '').slice(0, 15)}Z.json`,
  );
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      seconds: SECONDS,
      warmup: WARMUP,
      connections: CONNECTIONS,
      cpus: cpus().length,
      node: process.version,
      cases,
      ratios: rows,
    },
    null,
    2,
  ),
);
console.log(`results: ${out}`);
