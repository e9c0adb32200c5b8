/**
 * `pnpm bench:bulk` (server): recorded transactions per second through single
 * `POST /api/v1/transactions` requests versus `POST /api/v1/transactions/bulk` requests of 1,000
 * items, on one real PostgreSQL, same machine, same run.
 *
 * 1. Creates a fresh database `reins_bench_bulk_<random>` on the local PostgreSQL (127.0.0.1
 *    only: TEST_DATABASE_URL or DATABASE_URL names the server, else
 *    postgres://postgres@127.0.0.1:5432/postgres).
 * 2. Starts the server as a child process (`src/main.ts`, the flags of `pnpm start`, rate limit
 *    off, LOG_LEVEL=warn) listening on 127.0.0.1, and creates the HTTP benchmark's 20 rules.
 * 3. Runs ROUNDS rounds, each a single-request phase (SINGLE_CONCURRENCY requests in flight, closed
 *    loop) then a bulk phase (BULK_CONCURRENCY bulk requests of BULK_SIZE items in flight), after a
 *    short warm-up of each. Both send the same deterministic traffic (bench/workload.ts; every
 *    item carries its own metadata.requestId, as in the HTTP benchmark).
 * 4. Prints per round and the medians over rounds: recorded transactions/s (admitted + blocked:
 *    both are rows), wall time per recorded transaction, request latency; and the bulk/single
 *    ratio. Checks that the database holds exactly one row per recorded answer.
 * 5. Stops the child and drops the database — also on failure, Ctrl-C or the run timeout.
 *
 * Options: --quick (1 round of 2 s phases), --seconds <n> (phase length, default 5),
 * --rounds <n> (default 3). The whole run is bounded by RUN_TIMEOUT_MS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDatabase, dropDatabase, initOrm, testServerUrl } from '@reins/db';
import { benchRules, bodyOf, makeTemplates } from './workload.js';

const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const BOOTSTRAP_KEY = 'rk_bench_BulkBenchBootstrapKey000001';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
  },
});

const PHASE_SECONDS = args.quick ? 2 : Number(args.seconds ?? 5);
const ROUNDS = args.quick ? 1 : Number(args.rounds ?? 3);
const WARMUP_SECONDS = args.quick ? 1 : 2;
const SINGLE_CONCURRENCY = 64;
const BULK_CONCURRENCY = 4;
const BULK_SIZE = 1000;
const RUN_TIMEOUT_MS = 115_000;
if (!(PHASE_SECONDS > 0 && PHASE_SECONDS <= 15 && ROUNDS >= 1 && ROUNDS <= 5)) {
  throw new Error('--seconds must be in (0, 15] and --rounds in [1, 5]');
}

const TEMPLATES = makeTemplates(997);
let nextSeq = 0;
const nextBody = (): string => {
  const seq = nextSeq++;
  return bodyOf(TEMPLATES[seq % TEMPLATES.length] as (typeof TEMPLATES)[number], seq);
};

// ---------------------------------------------------------------------------------------------

interface ServerChild {
  proc: ChildProcess;
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

function startServer(databaseUrl: string): Promise<ServerChild> {
  const proc = spawn(
    process.execPath,
    ['--max-semi-space-size=16', '--import', 'tsx', join('src', 'main.ts')],
    {
      cwd: serverDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_URL: databaseUrl,
        REINS_BOOTSTRAP_KEY: BOOTSTRAP_KEY,
        REINS_KEY_ENV: 'bench',
        REINS_RATE_LIMIT_RPS: '0',
        LOG_LEVEL: 'warn',
      },
    },
  );
  let out = '';
  const exited = new Promise<void>((resolve) => {
    proc.once('exit', () => {
      resolve();
    });
  });
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`server did not start in 60 s:\n${out}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-20_000);
      const m = /Reins listening on (http:\/\/[^\s]+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({ proc, url: m[1], output: () => out, stop });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited before listening:\n${out}`));
    });
  });
}

async function api(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${BOOTSTRAP_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

// ---------------------------------------------------------------------------------------------

interface PhaseResult {
  mode: 'single' | 'bulk';
  seconds: number;
  requests: number;
  /** Transactions written (admitted + blocked). */
  recorded: number;
  /** Items refused before recording (422, 429, …) and failed requests. */
  refused: number;
  latenciesMs: number[];
}

async function singlePhase(base: string, seconds: number): Promise<PhaseResult> {
  const result: PhaseResult = {
    mode: 'single',
    seconds: 0,
    requests: 0,
    recorded: 0,
    refused: 0,
    latenciesMs: [],
  };
  const started = performance.now();
  const end = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const res = await fetch(`${base}/api/v1/transactions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOOTSTRAP_KEY}`, 'content-type': 'application/json' },
        body: nextBody(),
      });
      await res.arrayBuffer();
      result.latenciesMs.push(performance.now() - t0);
      result.requests += 1;
      if (res.status === 202 || res.status === 403) result.recorded += 1;
      else result.refused += 1;
    }
  };
  await Promise.all(Array.from({ length: SINGLE_CONCURRENCY }, worker));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

interface BulkBody {
  recorded: number;
  blocked: number;
  failed: number;
}

async function bulkPhase(base: string, seconds: number): Promise<PhaseResult> {
  const result: PhaseResult = {
    mode: 'bulk',
    seconds: 0,
    requests: 0,
    recorded: 0,
    refused: 0,
    latenciesMs: [],
  };
  const started = performance.now();
  const end = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const items: string[] = [];
      for (let i = 0; i < BULK_SIZE; i++) items.push(nextBody());
      const t0 = performance.now();
      const res = await fetch(`${base}/api/v1/transactions/bulk`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOOTSTRAP_KEY}`, 'content-type': 'application/json' },
        body: `{"transactions":[${items.join(',')}]}`,
      });
      const body = (await res.json()) as BulkBody;
      result.latenciesMs.push(performance.now() - t0);
      result.requests += 1;
      if (res.status !== 200) {
        result.refused += BULK_SIZE;
        continue;
      }
      result.recorded += body.recorded + body.blocked;
      result.refused += body.failed;
    }
  };
  await Promise.all(Array.from({ length: BULK_CONCURRENCY }, worker));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

function describe(p: PhaseResult) {
  const txPerSec = p.recorded / p.seconds;
  return {
    txPerSec,
    /** Wall time per recorded transaction at this concurrency (1 / throughput). */
    usPerTx: 1e6 / txPerSec,
    medianLatencyMs: median(p.latenciesMs),
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const serverUrl = testServerUrl() ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const host = new URL(serverUrl).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') {
    throw new Error(`the benchmark runs against a local PostgreSQL only, not ${host}`);
  }
  const database = `reins_bench_bulk_${randomBytes(4).toString('hex')}`;
  const dbUrl = await createDatabase(serverUrl, database);
  let child: ServerChild | undefined;
  let done = false;
  const cleanup = async () => {
    if (done) return;
    done = true;
    await child?.stop();
    await dropDatabase(serverUrl, database);
  };
  const onSignal = () => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const watchdog = setTimeout(() => {
    console.error(`run timeout (${RUN_TIMEOUT_MS} ms): abandoning`);
    void cleanup().finally(() => process.exit(2));
  }, RUN_TIMEOUT_MS);
  try {
    child = await startServer(dbUrl);
    const base = child.url;
    for (const rule of benchRules()) {
      const r = await api(base, 'POST', '/api/policy-rules', rule);
      if (r.status !== 201) throw new Error(`rule refused: ${JSON.stringify(r.json)}`);
    }
    console.log(
      `Reins bulk benchmark — ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}, ` +
        `${ROUNDS} round(s) of ${String(PHASE_SECONDS)} s per mode; single: ${String(SINGLE_CONCURRENCY)} in flight, ` +
        `bulk: ${String(BULK_CONCURRENCY)} × ${String(BULK_SIZE)} items in flight`,
    );
    await singlePhase(base, WARMUP_SECONDS);
    await bulkPhase(base, WARMUP_SECONDS);
    const warmRows = nextSeq;

    const rounds: { single: PhaseResult; bulk: PhaseResult }[] = [];
    const phases: PhaseResult[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const single = await singlePhase(base, PHASE_SECONDS);
      const bulk = await bulkPhase(base, PHASE_SECONDS);
      rounds.push({ single, bulk });
      phases.push(single, bulk);
    }

    console.log(
      '\n| round | mode | requests | recorded tx | refused | tx/s | µs per tx | median request latency (ms) |',
    );
    console.log('|---|---|---:|---:|---:|---:|---:|---:|');
    for (const [i, r] of rounds.entries()) {
      for (const p of [r.single, r.bulk]) {
        const d = describe(p);
        console.log(
          `| ${String(i + 1)} | ${p.mode} | ${String(p.requests)} | ${String(p.recorded)} | ${String(p.refused)} | ` +
            `${r1(d.txPerSec)} | ${r1(d.usPerTx)} | ${r1(d.medianLatencyMs)} |`,
        );
      }
    }
    const single = rounds.map((r) => describe(r.single));
    const bulk = rounds.map((r) => describe(r.bulk));
    const singleTps = median(single.map((d) => d.txPerSec));
    const bulkTps = median(bulk.map((d) => d.txPerSec));
    const singleLat = median(rounds.flatMap((r) => r.single.latenciesMs));
    const bulkLat = median(rounds.flatMap((r) => r.bulk.latenciesMs));
    console.log('\nMedians over rounds:');
    console.log(
      `  single: ${r1(singleTps)} tx/s, ${r1(1e6 / singleTps)} µs per tx, ` +
        `median request latency ${r1(singleLat)} ms`,
    );
    console.log(
      `  bulk:   ${r1(bulkTps)} tx/s, ${r1(1e6 / bulkTps)} µs per tx, ` +
        `median request latency ${r1(bulkLat)} ms (${r3(bulkLat / BULK_SIZE)} ms per item)`,
    );
    console.log(`  ratio bulk/single: ${r1(bulkTps / singleTps)}x`);

    // Every recorded answer is exactly one row (warm-up included), and nothing else was written.
    const orm = await initOrm(dbUrl, { maxConnections: 1 });
    try {
      const rows: unknown = await orm.em
        .fork()
        .getConnection()
        .execute('select count(*)::int as n from transaction_record', [], 'all');
      const n = (rows as { n: number }[])[0]?.n ?? -1;
      const refused = phases.reduce((s, p) => s + p.refused, 0);
      const recorded = phases.reduce((s, p) => s + p.recorded, 0);
      console.log(
        `\nCheck: ${String(n)} transaction rows; ${String(recorded)} recorded answers in the measured ` +
          `phases, ${String(warmRows)} transactions sent during warm-up, ${String(refused)} refused.`,
      );
      if (refused > 0) throw new Error(`${String(refused)} transactions were refused`);
      if (n !== nextSeq) {
        throw new Error(
          `expected ${String(nextSeq)} rows (one per transaction sent), found ${String(n)}`,
        );
      }
    } finally {
      await orm.close();
    }
  } catch (err) {
    if (child) console.error(child.output().slice(-4000));
    throw err;
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

await main();
