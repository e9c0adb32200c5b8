/**
 * `pnpm --filter @reins/server bench:lists`: the list routes at a busy customer's size.
 *
 * 1. A fresh database on the local PostgreSQL; one org with N transactions (default
 *    10,000,000; `--quick` 1,000,000) over 2026, 20 agents, 200 users, 3 vendors, every 40th
 *    blocked and every 97th flagged, with their audit events — loaded with SQL
 *    (`insert … select generate_series`, 1,000,000 rows a statement), not through the API.
 * 2. The rollups absorb the audit stream (the worker's own `rollOrg`, timed).
 * 3. An in-process server (`REINS_WORKER=off`): each list route and filter of issue 22, 30 calls,
 *    p50/p99; a deep page by `offset` and by `cursor` (when the route answers `nextCursor`);
 *    `total` compared with `count(*)`.
 * 4. The audit CSV export: rows/s over the first 1,000,000 rows (or 30 s).
 * 5. The hot path at that size: a child server process (`src/main.ts`), 8 s saturated.
 *
 * Options: --quick, --out <file>, --keep (leave the database for a look, and print its URL).
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
import { defaultEnv } from '../src/env.js';
import { startServer } from '../src/server.js';
import { spawnServer } from './child.js';
import { absorbRollups, loadHistory } from './history.js';
import { closedLoop } from './loadgen.js';
import { bodyOf, makeTemplates } from './workload.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const N = args.quick ? 1_000_000 : 10_000_000;
const CALLS = 30;
const serverUrl = testServerUrl() ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BOOT_KEY = 'rk_bench_ListsBenchAdminKey000000001';
const NOW = Date.parse('2027-01-01T00:00:00Z');

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => {
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};
const r1 = (x: number) => Math.round(x * 10) / 10;
const exec = (orm: Orm, q: string) => orm.em.fork().getConnection().execute(q, [], 'all');

async function main() {
  const name = `reins_bench_lists_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(serverUrl, name);
  const orm = await initOrm(url, { maxConnections: 4 });
  const results: Record<string, unknown> = { transactions: N };
  try {
    await migrateUp(orm);
    // The first start creates the org with BOOT_KEY (the child server of part 5 uses it too).
    const server = await startServer(
      defaultEnv({
        PORT: 0,
        LOG_LEVEL: 'silent',
        REINS_RATE_LIMIT_RPS: 0,
        REINS_WORKER: 'off',
        REINS_BOOTSTRAP_KEY: BOOT_KEY,
      }),
      { clock: () => NOW, db: { orm, mode: 'postgres', close: () => Promise.resolve() } },
    );
    const [org] = (await exec(orm, 'select id from organization')) as { id: string }[];
    if (!org) throw new Error('no organization was bootstrapped');
    const orgId = org.id;
    const key = BOOT_KEY;
    results.loadSeconds = r1(
      await loadHistory(orm, orgId, {
        n: N,
        start: new Date('2026-01-01T00:00:00Z'),
        seconds: 365 * 86400,
        log: (line) => {
          console.log(`lists bench: ${line}`);
        },
      }),
    );

    const rolled = await absorbRollups(orm, orgId);
    results.rollups = {
      events: rolled.events,
      seconds: r1(rolled.seconds),
      perSecond: Math.round(rolled.events / rolled.seconds),
    };

    const get = async (path: string) => {
      const s = performance.now();
      const res = await fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const body = (await res.json()) as Record<string, unknown>;
      if (res.status !== 200)
        throw new Error(`${path}: ${String(res.status)} ${JSON.stringify(body)}`);
      return { ms: performance.now() - s, body };
    };
    const timed = async (path: string) => {
      const times: number[] = [];
      let body: Record<string, unknown> = {};
      for (let i = 0; i < CALLS; i++) {
        const r = await get(path);
        times.push(r.ms);
        body = r.body;
      }
      return { p50: r1(pct(times, 0.5)), p99: r1(pct(times, 0.99)), total: body.total, body };
    };
    const routes: Record<string, string> = {
      'transactions?limit=50': '/api/v1/transactions?limit=50',
      'transactions?vendor=anthropic&action=block':
        '/api/v1/transactions?limit=50&vendor=anthropic&action=block',
      'transactions?agentId=agent-7&startDate..endDate':
        '/api/v1/transactions?limit=50&agentId=agent-7&startDate=2026-03-01&endDate=2026-03-31',
      'transactions?userId=user-42': '/api/v1/transactions?limit=50&userId=user-42',
      'transactions?offset=200000': '/api/v1/transactions?limit=50&offset=200000',
      'audit-log?limit=50': '/api/v1/audit-log?limit=50',
      'audit-log?action=policy_rule.block': '/api/v1/audit-log?limit=50&action=policy_rule.block',
      'audit-log?entityType=transaction&startDate..endDate':
        '/api/v1/audit-log?limit=50&entityType=transaction&startDate=2026-06-01&endDate=2026-06-30',
    };
    const reads: Record<string, { p50: number; p99: number; total: unknown }> = {};
    for (const [label, path] of Object.entries(routes)) {
      const r = await timed(path);
      reads[label] = { p50: r.p50, p99: r.p99, total: r.total };
      console.log(`lists bench: ${label} p50 ${String(r.p50)} ms p99 ${String(r.p99)} ms`);
    }
    results.reads = reads;

    // Deep pages by cursor: follow nextCursor 2,000 pages of 50 in (≈ offset 100,000), timing each.
    const cursorPages: Record<string, unknown> = {};
    for (const base of ['/api/v1/transactions?limit=50', '/api/v1/audit-log?limit=50']) {
      const first = await get(base);
      if (!('nextCursor' in first.body)) {
        cursorPages[base] = 'no nextCursor';
        continue;
      }
      let cursor = first.body.nextCursor as string | null;
      const times: number[] = [];
      for (let i = 0; i < 2000 && cursor; i++) {
        const r = await get(`${base}&cursor=${encodeURIComponent(cursor)}`);
        times.push(r.ms);
        cursor = r.body.nextCursor as string | null;
      }
      cursorPages[base] = {
        pages: times.length,
        p50: r1(pct(times, 0.5)),
        p99: r1(pct(times, 0.99)),
      };
    }
    results.cursorPages = cursorPages;

    // total against count(*).
    const [tx] = (await exec(
      orm,
      `select count(*)::bigint as n from transaction_record where org_id = '${orgId}'`,
    )) as { n: string }[];
    const [blocked] = (await exec(
      orm,
      `select count(*)::bigint as n from transaction_record where org_id = '${orgId}' and vendor = 'anthropic' and action = 'block'`,
    )) as { n: string }[];
    results.totalsExact =
      Number(reads['transactions?limit=50']?.total) === Number(tx?.n) &&
      Number(reads['transactions?vendor=anthropic&action=block']?.total) === Number(blocked?.n);

    // The CSV export: rows per second over the first 1,000,000 rows (or 30 s).
    const t0 = performance.now();
    const res = await fetch(`${server.url}/api/v1/audit-log/csv`, {
      headers: { authorization: `Bearer ${key}` },
    });
    let rows = 0;
    const deadline = t0 + 30_000;
    if (res.body) {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (const byte of chunk) if (byte === 10) rows++;
        // Leaving the loop cancels the stream: the server stops the export.
        if (rows >= 1_000_000 || performance.now() > deadline) break;
      }
    }
    const csvS = (performance.now() - t0) / 1000;
    results.csv = { rows, seconds: r1(csvS), rowsPerSecond: Math.round(rows / csvS) };
    await server.close();

    // The hot path at this size.
    const child = await spawnServer(url, BOOT_KEY, { REINS_WORKER: 'on' });
    try {
      const templates = makeTemplates(2000);
      let seq = 0;
      const log = await closedLoop(
        {
          port: child.port,
          path: '/api/v1/transactions',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${BOOT_KEY}` },
        },
        { connections: 32, durationS: 8, maxRequests: 100_000 },
        () => {
          const s = seq++;
          const t = templates[s % templates.length];
          if (!t) throw new Error('no templates');
          return { seq: s, body: bodyOf(t, s) };
        },
        () => undefined,
      );
      results.hotPath = {
        txPerS: Math.round(log.answered / ((log.endedAt - log.startedAt) / 1000)),
        p50: r1(pct(log.latencies, 0.5)),
        p99: r1(pct(log.latencies, 0.99)),
      };
    } finally {
      await child.stop();
    }
  } finally {
    await orm.close();
    if (args.keep) console.log(`kept the database: ${url}`);
    else await dropDatabase(serverUrl, name);
  }
  console.log(JSON.stringify(results, null, 2));
  const out =
    args.out ??
    join(
      here,
      'results',
      `lists-${new Date().toISOString().replace(/[:.]/g, '').slice(0, 15)}Z.json`,
    );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2));
  console.log(`results: ${out}`);
}

await main();
