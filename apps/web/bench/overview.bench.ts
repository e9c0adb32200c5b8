/**
 * `pnpm --filter @reins/web bench:overview`: the overview's cold render against an org with
 * 1,000,000 transactions (`--quick`: 100,000), on localhost, in the real browser.
 *
 * 1. A fresh database on the local PostgreSQL; the server's first start bootstraps the org; the
 *    first admin sets a password through the printed link (the session cookie is kept).
 * 2. The server stops; a year of history up to now is loaded with SQL, the rollups absorb it, the
 *    audit chain is sealed and the tables vacuumed, as an org that has been running is
 *    (`@reins/server/bench/history`, the same loader as bench:lists).
 * 3. The server starts again as `pnpm start` runs it (worker on). Each run opens `/` in a fresh
 *    browser context (no HTTP cache, no script cache; the session cookie only) and times, in the
 *    page, navigation start → the overview complete: every tile with its figure, the chart
 *    drawn, forecast and anomalies answered, nothing loading. Run 1 meets a server that has
 *    answered nothing yet (the cold start); runs 2–11 a warm server with a cold browser.
 * 4. The figures shown are checked against `GET /api/analytics/summary` (a fast empty page would
 *    prove nothing), and the API calls' own durations are read from the page's resource timing.
 *
 * Options: --quick, --runs <n> (default 10 after the first), --out <file>, --keep (leave the
 * database and print its URL and admin key), --reuse <database> --key <admin key> (a database
 * kept before: no loading, the admin signs in with the password; for A/B runs of two commits on
 * the same data).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { seedHistory } from '@reins/server/bench/history';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import {
  ADMIN_PASSWORD,
  WEB,
  admin,
  check,
  dbUrl,
  freePort,
  setPasswordFromLink,
  startServer,
  stopServer,
  type Started,
} from '../e2e/harness';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string', default: '10' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string' },
    key: { type: 'string' },
  },
});
const N = args.quick ? 100_000 : 1_000_000;
const RUNS = Number(args.runs);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const YEAR_S = 365 * 86400;

const r1 = (x: number) => Math.round(x * 10) / 10;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
};

interface Render {
  /** ms from navigation start to the overview complete. */
  completeMs: number;
  /** The page's own milestones (ms from navigation start). */
  domContentLoadedMs: number;
  /** The tRPC calls: how long the slowest took, and how many there were. */
  apiCalls: number;
  slowestApiMs: number;
  spendText: string;
  countText: string;
}

async function renderOnce(
  browser: Browser,
  server: Started,
  state: Awaited<ReturnType<BrowserContext['storageState']>>,
): Promise<Render> {
  const context = await browser.newContext({ storageState: state });
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/`, { waitUntil: 'commit' });
    const handle = await page.waitForFunction(
      () => {
        if (document.querySelector('.state-error')) return 'error';
        const ready =
          document.querySelector('h1')?.textContent === 'Overview' &&
          document.querySelector('.state-loading') === null &&
          document.querySelector('.uplot canvas') !== null &&
          document.querySelectorAll('.tile-value').length >= 4;
        return ready ? performance.now() : false;
      },
      undefined,
      { polling: 'raf', timeout: 30_000 },
    );
    const done = (await handle.jsonValue()) as number | 'error';
    if (done === 'error') {
      throw new Error(`the overview showed an error: ${await page.locator('main').innerText()}`);
    }
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const api = performance
        .getEntriesByType('resource')
        .filter((e) => e.name.includes('/trpc/'))
        .map((e) => e.duration);
      return {
        dcl: nav.domContentLoadedEventEnd,
        apiCalls: api.length,
        slowestApi: Math.max(0, ...api),
        spend: document.querySelector('.tile-value')?.textContent ?? '',
        count: document.querySelector('.tile .muted')?.textContent ?? '',
      };
    });
    return {
      completeMs: r1(done),
      domContentLoadedMs: r1(timing.dcl),
      apiCalls: timing.apiCalls,
      slowestApiMs: r1(timing.slowestApi),
      spendText: timing.spend,
      countText: timing.count,
    };
  } finally {
    await context.close();
  }
}

async function main() {
  const build = spawnSync('pnpm', ['run', 'build:if-stale'], { cwd: WEB, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('The dashboard did not build');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const reuse = args.reuse;
  if (reuse && !args.key) throw new Error('--reuse needs the admin --key it printed');
  const db = reuse ?? `reins_bench_overview_${String(process.pid)}`;
  const url = dbUrl(db);
  let server: Started | null = null;
  let keptKey = args.key ?? '';
  const results: Record<string, unknown> = { transactions: N };
  try {
    if (!reuse) await admin(`create database ${db}`);
    const port = await freePort();
    let state: Awaited<ReturnType<BrowserContext['storageState']>>;
    if (reuse) {
      server = await startServer(url, port, { LOG_LEVEL: 'warn' }, false);
      const signIn = await browser.newContext();
      const page = await signIn.newPage();
      await page.goto(`${server.url}/`);
      await page.getByLabel('Email').fill('admin@localhost');
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('heading', { name: 'Overview', exact: true }).waitFor();
      state = await signIn.storageState();
      await signIn.close();
      await stopServer(server.child);
      server = null;
    } else {
      server = await startServer(url, port, { LOG_LEVEL: 'warn', REINS_WORKER: 'off' });
      keptKey = server.apiKey;
      const signIn = await browser.newContext();
      await setPasswordFromLink(await signIn.newPage(), server.signInLink, ADMIN_PASSWORD);
      state = await signIn.storageState();
      await signIn.close();
      await stopServer(server.child);
      server = null;

      const now = Date.now();
      const seeded = await seedHistory(url, {
        n: N,
        start: new Date(now - YEAR_S * 1000),
        seconds: YEAR_S,
        log: (line) => {
          console.log(`overview bench: ${line}`);
        },
      });
      results.loadSeconds = r1(seeded.loadSeconds);
      results.rollups = { events: seeded.rollups.events, seconds: r1(seeded.rollups.seconds) };
      results.sealed = { events: seeded.sealed.events, seconds: r1(seeded.sealed.seconds) };
    }
    const apiKey = keptKey;

    server = await startServer(url, port, { LOG_LEVEL: 'warn' }, false);
    const runs: Render[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const r = await renderOnce(browser, server, state);
      runs.push(r);
      console.log(
        `overview bench: run ${String(i + 1)} complete in ${String(r.completeMs)} ms ` +
          `(DOMContentLoaded ${String(r.domContentLoadedMs)}, ${String(r.apiCalls)} API calls, ` +
          `slowest ${String(r.slowestApiMs)} ms)`,
      );
    }

    // The figures on the page are the API's: a month of this history, not an empty org.
    const res = await fetch(`${server.url}/api/analytics/summary?period=monthly`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const body = (await res.json()) as { data?: Record<string, unknown> } & Record<string, unknown>;
    const summary = body.data ?? body;
    const shownCount = Number((runs.at(-1)?.countText ?? '').replace(/[^0-9]/g, ''));
    check(res.status === 200, `GET /api/analytics/summary answered ${String(res.status)}`);
    check(
      shownCount > 0 && shownCount === Number(summary.transactionCount),
      `the overview shows ${String(shownCount)} transactions, the API ${String(summary.transactionCount)}`,
    );

    // Each of the overview's reads alone (the page batches them into one request, which answers
    // when the slowest is done): where the time goes.
    const reads: Record<string, number> = {};
    for (const path of [
      '/api/analytics/summary?period=monthly&groupBy=day',
      '/api/analytics/forecast?period=monthly',
      '/api/analytics/anomalies?hours=24',
      '/api/policy-alerts?read=false&limit=1',
    ]) {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const r = await fetch(`${server.url}${path}`, {
          headers: { authorization: `Bearer ${apiKey}` },
        });
        await r.arrayBuffer();
        check(r.status === 200, `${path} answered ${String(r.status)}`);
        times.push(performance.now() - t0);
      }
      reads[path] = r1(median(times));
    }
    results.readsMedianMs = reads;

    const warm = runs.slice(1);
    results.coldServer = runs[0];
    results.warmServerColdBrowser = {
      runs: warm.length,
      medianMs: r1(median(warm.map((r) => r.completeMs))),
      maxMs: r1(Math.max(...warm.map((r) => r.completeMs))),
      medianSlowestApiMs: r1(median(warm.map((r) => r.slowestApiMs))),
    };
    results.monthToDate = { spend: runs.at(-1)?.spendText, transactions: shownCount };
  } finally {
    await browser.close();
    if (server) await stopServer(server.child);
    if (args.keep || reuse) console.log(`kept the database: ${db} (admin key ${keptKey})`);
    else await admin(`drop database if exists ${db} with (force)`);
  }
  console.log(JSON.stringify(results, null, 2));
  const out =
    args.out ??
    join(
      WEB,
      'bench',
      'results',
      `overview-${new Date().toISOString().replace(/[:.]/g, '').slice(0, 15)}Z.json`,
    );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2));
  console.log(`results: ${out}`);
}

await main();
