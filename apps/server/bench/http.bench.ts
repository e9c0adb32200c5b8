/**
 * `pnpm bench` (server): `POST /api/v1/transactions` over HTTP, on a real PostgreSQL.
 *
 * 1. Creates a fresh database `reins_bench_<random>` on the local PostgreSQL (127.0.0.1 only).
 * 2. Starts the server in a CHILD process (`bench/serve.ts` = `src/main.ts`'s `startServer` plus
 *    an IPC channel for the recorder's stats), so that load and server do not share a thread;
 *    rate limit off, LOG_LEVEL=warn. Waits for /health.
 * 3. Creates 20 docs-dialect rules through the API and a write-only key for the agents.
 * 4. Sends the agents' transactions: fixed offered loads (open loop) and saturation (autocannon,
 *    closed loop), each bounded in time and count.
 * 5. Checks the guarantees: every answer has its row (2xx admitted, 403 blocked), no row without
 *    a request, the org daily counter (and every other window) equals the admitted amounts.
 * 6. Prints markdown tables, writes `bench/results/http-<timestamp>.json`, stops the child and
 *    drops the database — also on failure or Ctrl-C.
 *
 * Where the time goes: the child's CPU time and event-loop utilization, the recorder's batch
 * stats (`Recorder.stats`: batches, transactions, wall time inside the batch transactions), the
 * CPU time of the PostgreSQL backends serving the bench database (/proc), and what those
 * backends were doing (pg_stat_activity sampled every 20 ms: running a statement, waiting on
 * I/O or locks, or idle inside a transaction = waiting for Reins).
 *
 * Options: --quick (2 s phases, a smoke test), --keep (leave the database), --profile (the child
 * runs with --cpu-prof; the profile lands in bench/results/), --out <file>, --semi-space <MB>
 * (the child's young-generation semi-space size; default 16, as `pnpm start`), --old-space <MB>
 * (the child's --initial-old-space-size; default 0, V8's own, as `pnpm start`), --tsx (the child
 * runs bench/serve.ts through tsx, as `pnpm start` did before the server was built; default: the
 * build, dist/serve.js, which `pnpm bench` brings up to date first), --no-source-maps (the build
 * without --enable-source-maps), --only <a,b> (after the warm-up, only the phases whose names
 * contain the string or, if none does, one of its comma-separated parts: `--only floor:,500` runs
 * the floor and 500 tx/s, `--only "1,000 tx/s"` that phase alone).
 * --soak <seconds>: memory under saturation (issue 17). After the warm-up, ONE closed-loop phase
 * at 256 connections for that long instead of the other phases; every 5 s the child reports its
 * process.memoryUsage() (peeked over IPC, without restarting the phase's loop-lag and GC figures)
 * and the recorded tx/s of the interval. Prints the samples and a verdict — flat when the
 * least-squares slope of RSS after the first minute is < 2 MB/min and the last minute's median
 * RSS is within 10 % of the first minute's (windows of a third of the run when it is shorter than
 * 3 min; `memoryVerdict` in report.ts) — and writes them into the results file. A second verdict
 * applies the rule to each interval's lowest RSS (the child reads it every 100 ms), which the
 * collections' saw hardly moves. Reported, not enforced: the exit code still says whether the
 * guarantees held.
 * --vacuum <seconds>: VACUUM (ANALYZE) the benchmark database that often during the phases, with
 * autovacuum's throttle — what autovacuum would do, on a PostgreSQL that runs without it.
 * PostgreSQL: TEST_DATABASE_URL or DATABASE_URL if set (its server, not its database), else
 * postgres://postgres@127.0.0.1:5432/postgres.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDatabase, dropDatabase, initOrm, testServerUrl, type Orm } from '@reins/db';
import { closedLoop, openLoop, type NextBody, type PhaseLog, type Target } from './loadgen.js';
import {
  ActivitySampler,
  StallDetector,
  allProcessesCpu,
  topCpu,
  backendCpu,
  backendCpuDelta,
  machineCpu,
  processCpuMs,
  queryOf,
  type Query,
} from './probes.js';
import {
  memoryTable,
  memoryVerdict,
  onlyPhases,
  round,
  tables,
  type MemorySample,
} from './report.js';
import type { ChildMessage, ServerSnapshot } from './types.js';
import { benchRules, bodyOf, makeTemplates } from './workload.js';

const here = dirname(fileURLToPath(import.meta.url));
const serverDir = join(here, '..');
const resultsDir = join(here, 'results');

const { values: args } = parseArgs({
  // `pnpm bench -- --quick` hands the script a literal `--`.
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    /** Leave the database behind (its name is printed) to look at its statements and tables. */
    keep: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    out: { type: 'string' },
    /** The child's --max-semi-space-size in MB, to compare against `pnpm start`'s. */
    'semi-space': { type: 'string', default: '16' },
    /** The child's --initial-old-space-size in MB (0: V8's own, as `pnpm start`). */
    'old-space': { type: 'string', default: '0' },
    tsx: { type: 'boolean', default: false },
    'no-source-maps': { type: 'boolean', default: false },
    soak: { type: 'string' },
    /**
     * Only the load phases whose names contain this string or, if none does, one of its
     * comma-separated parts (after the warm-up): `--only floor:,500` for the floor and the
     * 500 tx/s phase, `--only "1,000 tx/s"` for that one (report.ts: onlyPhases).
     */
    only: { type: 'string' },
    /**
     * Where the worker's jobs (sealer, rollups, hold expiry, deliveries …) run: `process`, a
     * `pnpm worker` process beside a server with REINS_WORKER=off (the deployment of
     * docker-compose.yml and docs/operations.md), or `in-process`, in the server (its default).
     */
    worker: { type: 'string', default: 'process' },
    /**
     * VACUUM (ANALYZE) the benchmark's database every this many seconds, throttled as autovacuum
     * is: for a PostgreSQL that runs without autovacuum (this machine's CI cluster), what a
     * deployment's autovacuum would do.
     */
    vacuum: { type: 'string' },
  },
});
if (args.worker !== 'process' && args.worker !== 'in-process') {
  throw new Error(`--worker is process or in-process, not ${args.worker}`);
}
const WORKER_PROCESS = args.worker === 'process';
const workerDir = join(serverDir, '..', 'worker');

const SOAK_S = args.soak === undefined ? null : Number(args.soak);
if (SOAK_S !== null && !(Number.isInteger(SOAK_S) && SOAK_S >= 15 && SOAK_S <= 3600)) {
  throw new Error(`--soak takes whole seconds, 15 to 3600, not ${args.soak}`);
}
for (const flag of ['semi-space', 'old-space'] as const) {
  const mb = Number(args[flag]);
  if (!(Number.isInteger(mb) && mb >= 0 && mb <= 65_536)) {
    throw new Error(`--${flag} takes whole MB, 0 to 65536, not ${args[flag]}`);
  }
}
const VACUUM_S = args.vacuum === undefined ? null : Number(args.vacuum);
if (VACUUM_S !== null && !(Number.isInteger(VACUUM_S) && VACUUM_S >= 5 && VACUUM_S <= 600)) {
  throw new Error(`--vacuum takes whole seconds, 5 to 600, not ${args.vacuum}`);
}

/** The soak's memory samples, this often. */
const SAMPLE_EVERY_S = 5;

type PhaseSpec =
  | {
      name: string;
      kind: 'open';
      rate: number;
      seconds: number;
      report: boolean;
      /** Another route than the transactions' (the floor phase). */
      path?: string;
    }
  | {
      name: string;
      kind: 'closed';
      connections: number;
      seconds: number;
      report: boolean;
      /** The saturation floor's route instead of the transactions'. */
      path?: string;
      /** Sample the child's memory this often during the phase (the soak). */
      sampleEveryS?: number;
    };

const S = args.quick ? 2 : 10;
const WARM_UP: PhaseSpec = {
  name: 'warm-up',
  kind: 'closed',
  connections: 16,
  seconds: args.quick ? 1 : 3,
  report: false,
};
const LOAD_PHASES: PhaseSpec[] = [
  // The floor: the same open loop at 1,000 req/s to a route that answers 404 from memory (no
  // authentication, no database). Its tail is what the machine, Node's HTTP stack and the load
  // generator cost without Reins: the part of a p99 no change to the hot path can remove.
  {
    name: 'floor: 1,000 req/s, no database',
    kind: 'open',
    rate: 1000,
    seconds: S,
    report: true,
    path: '/api/v1/no-such-route',
  },
  { name: '500 tx/s', kind: 'open', rate: 500, seconds: S, report: true },
  { name: '1,000 tx/s', kind: 'open', rate: 1000, seconds: S, report: true },
  { name: '2,000 tx/s', kind: 'open', rate: 2000, seconds: S, report: true },
  { name: 'saturation, 16 conn.', kind: 'closed', connections: 16, seconds: S, report: true },
  { name: 'saturation, 64 conn.', kind: 'closed', connections: 64, seconds: S, report: true },
  { name: 'saturation, 256 conn.', kind: 'closed', connections: 256, seconds: S, report: true },
  // The floor at saturation: the same server, connections and bodies, to a route that
  // authenticates, rate-limits and parses a transaction exactly as the hot path does, then
  // answers from memory (REINS_BENCH_FLOOR). Its requests/s and CPU per request are what the
  // hot path's recorded tx/s and CPU per transaction are measured against (issue 17).
  {
    name: 'floor at saturation, 256 conn.',
    kind: 'closed',
    connections: 256,
    seconds: S,
    report: true,
    path: '/api/v1/bench/floor',
  },
];
const CHOSEN = args.only === undefined ? LOAD_PHASES : onlyPhases(LOAD_PHASES, args.only);
if (CHOSEN.length === 0) {
  throw new Error(
    `--only ${args.only}: no phase matches (${LOAD_PHASES.map((p) => p.name).join('; ')})`,
  );
}
const PHASES: PhaseSpec[] =
  SOAK_S === null
    ? [WARM_UP, ...CHOSEN]
    : [
        WARM_UP,
        {
          name: `soak: saturation, 256 conn., ${SOAK_S} s`,
          kind: 'closed',
          connections: 256,
          seconds: SOAK_S,
          report: true,
          sampleEveryS: SAMPLE_EVERY_S,
        },
      ];
/**
 * Whole run, setup and checks included; past it the run is abandoned (and cleaned up). A soak
 * adds its length, and as much again for checking its rows (the check reads every row).
 */
const RUN_TIMEOUT_MS = 240_000 + 2 * 1000 * (SOAK_S ?? 0);
/** Count bound per phase: far above anything this machine can answer. */
const MAX_RPS = 20_000;
/** Bound on the requests of the whole run; a soak's phase may send MAX_RPS per second of it. */
const MAX_SEQ = 2_000_000 + MAX_RPS * (SOAK_S ?? 0);

const BOOTSTRAP_KEY = `rk_bench_${randomBytes(12).toString('hex')}`;
const TEMPLATES = makeTemplates(4096);

// ---------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function median(xs: readonly number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}

async function api(
  base: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

// ---------------------------------------------------------------------------------------------
// The server child

interface Child {
  proc: ChildProcess;
  url: string;
  port: number;
  output: string[];
  /** `peek`: without starting the next interval of the loop-lag and GC-pause figures. */
  snapshot(peek?: boolean): Promise<ServerSnapshot>;
  stop(): Promise<void>;
}

async function startChild(databaseUrl: string): Promise<Child> {
  // The same flags as `pnpm start` (package.json). 16 MB semi-spaces keep young-generation
  // pauses at a few ms; 64 MB scavenged less often but paused 5-20 ms, which set the p99 at
  // 1,000 tx/s for no throughput gain once the hot path stopped allocating whole traces; 4 and
  // 8 MB scavenged more often for no shorter pauses (docs/benchmarks/history.md).
  const nodeArgs = [`--max-semi-space-size=${args['semi-space']}`];
  if (args['old-space'] !== '0') nodeArgs.push(`--initial-old-space-size=${args['old-space']}`);
  if (args.profile) {
    mkdirSync(resultsDir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', resultsDir);
  }
  let script: string;
  if (args.tsx) {
    nodeArgs.push('--import', 'tsx');
    script = join('bench', 'serve.ts');
  } else {
    if (!args['no-source-maps']) nodeArgs.push('--enable-source-maps');
    script = join('dist', 'serve.js');
    if (!existsSync(join(serverDir, script))) {
      throw new Error(`${script} is missing: run \`pnpm --filter @reins/server build\` first`);
    }
  }
  const proc = spawn(process.execPath, [...nodeArgs, script], {
    cwd: serverDir,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
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
      // POST /api/v1/bench/floor: the saturation floor's route (see PHASES).
      REINS_BENCH_FLOOR: 'on',
      REINS_WORKER: WORKER_PROCESS ? 'off' : 'on',
      // Server tuning under test, passed through when set (defaults otherwise).
      ...pick(process.env, [
        'REINS_BATCH_MAX',
        'REINS_DB_POOL',
        'REINS_KEY_CACHE_MS',
        'REINS_AUDIT_SEAL_MS',
      ]),
    },
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  // A failed send or a dead child must not crash the benchmark before it cleans up.
  proc.on('error', (err) => {
    output.push(`child process error: ${err.message}\n`);
  });
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);

  const waiters: ((m: ChildMessage) => void)[] = [];
  proc.on('message', (m: ChildMessage) => {
    for (const w of waiters.splice(0)) w(m);
  });
  const nextMessage = (type: ChildMessage['type'], timeoutMs: number) =>
    new Promise<ChildMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`server child: no '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const onExit = () => {
        clearTimeout(timer);
        reject(new Error(`server child exited (code ${proc.exitCode}):\n${output.join('')}`));
      };
      proc.once('exit', onExit);
      const wait = (m: ChildMessage) => {
        if (m.type !== type) {
          waiters.push(wait);
          return;
        }
        clearTimeout(timer);
        proc.off('exit', onExit);
        resolve(m);
      };
      waiters.push(wait);
    });

  const ready = await nextMessage('ready', 90_000);
  const url = ready.type === 'ready' ? ready.url : '';
  const exited = new Promise<void>((r) => {
    if (proc.exitCode !== null || proc.signalCode !== null) r();
    else
      proc.once('exit', () => {
        r();
      });
  });
  return {
    proc,
    url,
    port: Number(new URL(url).port),
    output,
    async snapshot(peek = false) {
      if (!proc.connected) throw new Error(`server child is gone:\n${output.join('')}`);
      const m = nextMessage('snapshot', 10_000);
      proc.send(peek ? 'peek' : 'snapshot', (err) => {
        if (err) output.push(`IPC: ${err.message}\n`);
      });
      const got = await m;
      if (got.type !== 'snapshot') throw new Error('unexpected message');
      return got.snapshot;
    },
    stop: () => stopProcess(proc, exited),
  };
}

/**
 * --vacuum: `VACUUM (ANALYZE)` of the whole benchmark database every `everyS` seconds on a
 * connection of its own, with autovacuum's throttle (vacuum_cost_delay 2 ms, cost limit 200),
 * one run at a time. Counts the runs and their time for the results.
 */
function startVacuum(dbUrl: string, everyS: number) {
  const stats = { runs: 0, totalMs: 0, maxMs: 0, failures: 0 };
  let orm: Orm | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const once = async () => {
    orm ??= await initOrm(dbUrl, { maxConnections: 1 });
    const conn = orm.em.getConnection();
    await conn.execute(`set vacuum_cost_delay = '2ms'; set vacuum_cost_limit = 200`);
    const t0 = performance.now();
    await conn.execute('vacuum (analyze)');
    const ms = performance.now() - t0;
    stats.runs += 1;
    stats.totalMs += ms;
    stats.maxMs = Math.max(stats.maxMs, ms);
  };
  const tick = () => {
    running = once()
      .catch((err: unknown) => {
        stats.failures += 1;
        console.warn(`bench: vacuum failed: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, everyS * 1000);
      });
  };
  timer = setTimeout(tick, everyS * 1000);
  return {
    stats,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await orm?.close();
      return { ...stats, totalMs: round(stats.totalMs), maxMs: round(stats.maxMs) };
    },
  };
}

/** SIGTERM, then SIGKILL if it has not exited within 15 s. */
async function stopProcess(proc: ChildProcess, exited: Promise<void>): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = env[n];
    if (v) out[n] = v;
  }
  return out;
}

/**
 * `pnpm worker` as it runs in production (apps/worker/dist, built first when stale), on the
 * benchmark's database, once the server has migrated it.
 */
async function startWorker(databaseUrl: string): Promise<{ pid: number; stop(): Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    const build = spawn(process.execPath, ['--import', 'tsx', '../../tooling/build-if-stale.ts'], {
      cwd: workerDir,
      stdio: 'inherit',
    });
    build.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`building apps/worker/dist failed (${code})`));
    });
  });
  const output: string[] = [];
  const proc = spawn(process.execPath, ['--enable-source-maps', join('dist', 'main.js')], {
    cwd: workerDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      ...pick(process.env, ['REINS_AUDIT_SEAL_MS', 'REINS_ROLLUP_MS']),
    },
  });
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exited = new Promise<void>((r) => {
    proc.once('exit', () => {
      r();
    });
  });
  // Started once its scheduler runs: give it a moment, and fail loudly if it died.
  await sleep(1500);
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) {
    throw new Error(`the worker exited:\n${output.join('')}`);
  }
  return {
    pid: proc.pid,
    stop: () => stopProcess(proc, exited),
  };
}

// ---------------------------------------------------------------------------------------------
// Requests and their answers, by sequence number

/** 0 = never sent, -1 = sent and never answered, else the HTTP status. */
const statusBySeq = new Int16Array(MAX_SEQ);
let nextSeq = 0;

const nextBody: NextBody = () => {
  const seq = nextSeq;
  if (seq >= MAX_SEQ) throw new Error(`more than ${MAX_SEQ} requests: the run is unbounded`);
  nextSeq += 1;
  statusBySeq[seq] = -1;
  return { seq, body: bodyOf(TEMPLATES[seq % TEMPLATES.length] as (typeof TEMPLATES)[0], seq) };
};
const onAnswer = (seq: number, status: number) => {
  if (seq >= 0) statusBySeq[seq] = status;
};

/** The floor phase's requests: no transaction, so no sequence number to account for. */
const floorBody: NextBody = () => ({ seq: -1, body: '{}' });
/** The saturation floor's: the hot path's bodies, none of them recorded (no sequence number). */
let floorSeq = 0;
const floorTxBody: NextBody = () => {
  const n = floorSeq++;
  return { seq: -1, body: bodyOf(TEMPLATES[n % TEMPLATES.length] as (typeof TEMPLATES)[0], n) };
};

// ---------------------------------------------------------------------------------------------
// One phase

interface Readings {
  at: number;
  server: ServerSnapshot;
  backends: Map<number, number>;
  machine: { busyMs: number; totalMs: number };
  selfCpu: NodeJS.CpuUsage;
  processes: ReturnType<typeof allProcessesCpu>;
  /** The worker process's CPU (ms), when the jobs run in one. */
  workerCpuMs: number | null;
}

async function read(
  child: Child,
  admin: Query,
  database: string,
  workerPid: number | null,
): Promise<Readings> {
  return {
    at: performance.now(),
    workerCpuMs: workerPid === null ? null : processCpuMs(workerPid),
    server: await child.snapshot(),
    backends: await backendCpu(admin, database),
    machine: machineCpu(),
    selfCpu: process.cpuUsage(),
    processes: allProcessesCpu(),
  };
}

function summarize(
  spec: PhaseSpec,
  log: PhaseLog,
  before: Readings,
  after: Readings,
  activity: ReturnType<ActivitySampler['take']>,
  stalls: StallDetector,
) {
  const seconds = (log.endedAt - log.startedAt) / 1000;
  const ok = Object.entries(log.statusCounts)
    .filter(([s]) => s.startsWith('2'))
    .reduce((a, [, n]) => a + n, 0);
  const blocked = log.statusCounts['403'] ?? 0;
  const other = log.answered - ok - blocked;
  const lat = [...log.latencies].sort((a, b) => a - b);
  // p99 of each one-second slice, then the median of those: one machine stall spoils one slice.
  const bySecond = new Map<number, number[]>();
  log.latencies.forEach((l, i) => {
    const s = Math.floor(((log.doneAt[i] ?? 0) - log.startedAt) / 1000);
    const list = bySecond.get(s) ?? [];
    list.push(l);
    bySecond.set(s, list);
  });
  const sliceP99 = [...bySecond.values()]
    .filter((l) => l.length >= 100)
    .map((l) =>
      percentile(
        l.sort((a, b) => a - b),
        99,
      ),
    );

  const rec = {
    batches: after.server.recorder.batches - before.server.recorder.batches,
    transactions: after.server.recorder.transactions - before.server.recorder.transactions,
    dbMs: after.server.recorder.dbMs - before.server.recorder.dbMs,
    readMs: after.server.recorder.readMs - before.server.recorder.readMs,
    planMs: after.server.recorder.planMs - before.server.recorder.planMs,
    writeMs: after.server.recorder.writeMs - before.server.recorder.writeMs,
  };
  const wallMs = after.at - before.at;
  const tx = Math.max(1, rec.transactions);
  const serverCpuMs =
    after.server.cpuUserMs +
    after.server.cpuSystemMs -
    before.server.cpuUserMs -
    before.server.cpuSystemMs;
  const eluActive = after.server.eluActiveMs - before.server.eluActiveMs;
  const eluIdle = after.server.eluIdleMs - before.server.eluIdleMs;
  const pgCpuMs = backendCpuDelta(before.backends, after.backends);
  const workerCpuMs =
    before.workerCpuMs === null || after.workerCpuMs === null
      ? null
      : after.workerCpuMs - before.workerCpuMs;
  const selfCpuMs =
    (after.selfCpu.user + after.selfCpu.system - before.selfCpu.user - before.selfCpu.system) /
    1000;
  const machineBusyMs = after.machine.busyMs - before.machine.busyMs;
  const machineTotalMs = after.machine.totalMs - before.machine.totalMs;

  // Backend time by state and statement: share of samples × wall time.
  const stateMs: Record<string, number> = {};
  const activeByStatement: Record<string, number> = {};
  const idleAfterStatement: Record<string, number> = {};
  const onCpuSamples: Record<string, number> = {};
  for (const [key, n] of Object.entries(activity.counts)) {
    const [state = '', statement = ''] = key.split('\t');
    const ms = (n / Math.max(1, activity.samples)) * wallMs;
    stateMs[state] = (stateMs[state] ?? 0) + ms;
    if (state.startsWith('active'))
      activeByStatement[statement] = (activeByStatement[statement] ?? 0) + ms;
    else idleAfterStatement[statement] = (idleAfterStatement[statement] ?? 0) + ms;
    if (state === 'active cpu') onCpuSamples[statement] = (onCpuSamples[statement] ?? 0) + n;
  }
  // What PostgreSQL's CPU was spent on: the backends' measured CPU time shared out by the
  // statements they were seen running on CPU (not waiting on a lock or I/O).
  const onCpuTotal = Object.values(onCpuSamples).reduce((a, b) => a + b, 0);
  const pgCpuByStatement = Object.fromEntries(
    Object.entries(onCpuSamples)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => [k, round((pgCpuMs * 1000 * n) / Math.max(1, onCpuTotal) / tx, 1)]),
  );
  const activeMs = Object.entries(stateMs)
    .filter(([s]) => s.startsWith('active'))
    .reduce((a, [, ms]) => a + ms, 0);
  const idleInTxMs = stateMs['idle in transaction'] ?? 0;
  const perBatch = (m: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(m)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, round(v / Math.max(1, rec.batches), 2)]),
    );
  const perTxUs = (ms: number) => round((ms * 1000) / tx, 1);
  const perRequestUs = (ms: number) => round((ms * 1000) / Math.max(1, log.answered), 1);

  return {
    name: spec.name,
    kind: spec.kind,
    offeredPerS: spec.kind === 'open' ? spec.rate : null,
    connections: spec.kind === 'closed' ? spec.connections : null,
    seconds: round(seconds, 2),
    sent: log.sent,
    answered: log.answered,
    unanswered: log.unanswered,
    skipped: log.skipped,
    statusCounts: log.statusCounts,
    ok2xx: ok,
    blocked403: blocked,
    otherNon2xx: other,
    okPerS: round(ok / seconds, 0),
    recordedPerS: round((ok + blocked) / seconds, 0),
    latencyMs: {
      p50: round(percentile(lat, 50)),
      p90: round(percentile(lat, 90)),
      p99: round(percentile(lat, 99)),
      max: round(lat[lat.length - 1] ?? NaN),
      p99MedianOfSeconds: round(median(sliceP99)),
    },
    stalls: stalls.between(log.startedAt, log.endedAt),
    server: {
      cpuMs: round(serverCpuMs, 0),
      cpuUsPerTx: perTxUs(serverCpuMs),
      /** Per answered request: the floor phases' measure (they record no transaction). */
      cpuUsPerRequest: perRequestUs(serverCpuMs),
      eventLoopUtilization: round(eluActive / Math.max(1, eluActive + eluIdle), 3),
      loopLagP99Ms: round(after.server.loopLagP99Ms),
      loopLagMaxMs: round(after.server.loopLagMaxMs),
      gcShare: round((after.server.gcMs - before.server.gcMs) / Math.max(1, seconds * 1000), 3),
      gcPauses: after.server.gcCount - before.server.gcCount,
      gcMaxPauseMs: round(after.server.gcMaxMs),
      gcMaxPauseKind: after.server.gcMaxKind,
    },
    recorder: {
      ...rec,
      dbMs: round(rec.dbMs, 0),
      readMs: round(rec.readMs, 0),
      planMs: round(rec.planMs, 0),
      writeMs: round(rec.writeMs, 0),
      avgBatchSize: round(rec.transactions / Math.max(1, rec.batches), 1),
      avgBatchMs: round(rec.dbMs / Math.max(1, rec.batches)),
      avgReadMs: round(rec.readMs / Math.max(1, rec.batches)),
      avgPlanMs: round(rec.planMs / Math.max(1, rec.batches)),
      avgWriteMs: round(rec.writeMs / Math.max(1, rec.batches)),
      /** Share of the wall time the org's batch pipeline was inside a batch transaction. */
      busyShare: round(rec.dbMs / wallMs, 3),
    },
    /** The worker process (`--worker process`); null when the jobs ran in the server. */
    worker:
      workerCpuMs === null
        ? null
        : { cpuMs: round(workerCpuMs, 0), cpuUsPerTx: perTxUs(workerCpuMs) },
    postgres: {
      backendCpuMs: round(pgCpuMs, 0),
      cpuUsPerTx: perTxUs(pgCpuMs),
      cpuUsPerRequest: perRequestUs(pgCpuMs),
      samples: activity.samples,
      backendMsByState: Object.fromEntries(
        Object.entries(stateMs).map(([k, v]) => [k, round(v, 0)]),
      ),
      activeUsPerTx: perTxUs(activeMs),
      idleInTransactionUsPerTx: perTxUs(idleInTxMs),
      activeMsPerBatch: round(activeMs / Math.max(1, rec.batches)),
      idleInTransactionMsPerBatch: round(idleInTxMs / Math.max(1, rec.batches)),
      /** ms per batch that a backend ran each statement (any wait included). */
      activeMsPerBatchByStatement: perBatch(activeByStatement),
      /** ms per batch that a backend sat idle in the transaction, by the statement before. */
      idleMsPerBatchAfterStatement: perBatch(idleAfterStatement),
      /** cpuUsPerTx shared out by the statements seen on CPU (their share of the samples). */
      cpuUsPerTxByStatement: pgCpuByStatement,
    },
    loadGenerator: { cpuMs: round(selfCpuMs, 0), cpuUsPerTx: perTxUs(selfCpuMs) },
    machine: {
      cores: cpus().length,
      busyPct: round((100 * machineBusyMs) / Math.max(1, machineTotalMs), 1),
      /** CPU used by everything else on the machine (other services) meanwhile. */
      otherCpuMs: round(machineBusyMs - serverCpuMs - pgCpuMs - selfCpuMs - (workerCpuMs ?? 0), 0),
      /** The processes that used the most CPU meanwhile (server, load generator and the
       * PostgreSQL backends included), by command name. */
      topProcesses: topCpu(before.processes, after.processes, 8),
    },
  };
}

type PhaseResult = ReturnType<typeof summarize>;

function memorySample(t: number, s: ServerSnapshot, txPerS: number | null): MemorySample {
  return {
    t: round(t, 1),
    txPerS: txPerS === null ? null : round(txPerS, 0),
    rssMb: round(s.rssMb, 1),
    rssMinMb: round(s.rssMinMb, 1),
    rssMaxMb: round(s.rssMaxMb, 1),
    heapUsedMb: round(s.heapUsedMb, 1),
    heapTotalMb: round(s.heapTotalMb, 1),
    externalMb: round(s.externalMb, 1),
    arrayBuffersMb: round(s.arrayBuffersMb, 1),
  };
}

/**
 * The child's memory every `everyS` seconds from `start` until stopped, with the transactions it
 * recorded in each interval. Ticks keep to the start's grid, so a slow answer does not shift the
 * later samples; one snapshot at a time, and none after `stop()` resolves — the next read()
 * waits on the same IPC channel.
 */
function sampleMemory(child: Child, start: Readings, everyS: number) {
  const samples = [memorySample(0, start.server, null)];
  let prev = { at: start.at, transactions: start.server.recorder.transactions };
  let stopped = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** Resolves true at the k-th tick, false once stop() was called. */
  const tick = (k: number) =>
    new Promise<boolean>((resolve) => {
      if (stopped) {
        resolve(false);
        return;
      }
      wake = () => {
        resolve(false);
      };
      const due = start.at + k * everyS * 1000;
      timer = setTimeout(
        () => {
          resolve(true);
        },
        Math.max(0, due - performance.now()),
      );
    });
  const loop = (async () => {
    for (let k = 1; await tick(k); k++) {
      const server = await child.snapshot(true);
      const at = performance.now();
      const txPerS = ((server.recorder.transactions - prev.transactions) * 1000) / (at - prev.at);
      samples.push(memorySample((at - start.at) / 1000, server, txPerS));
      prev = { at, transactions: server.recorder.transactions };
    }
  })();
  // A failed snapshot (the child died) surfaces from stop(), not as an unhandled rejection that
  // would end the benchmark before it cleans up.
  loop.catch(() => undefined);
  return {
    async stop(): Promise<MemorySample[]> {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await loop;
      return samples;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Guarantees

async function verify(sql: Query) {
  const rows = await sql<{ seq: number | null; admitted: boolean; amount_micros: string }>(
    `select substring(metadata->>'requestId' from 5)::int as seq, admitted, amount_micros
       from transaction_record`,
  );
  const problems: string[] = [];
  const note = (msg: string) => {
    if (problems.length < 20) problems.push(msg);
  };
  const seen = new Uint8Array(MAX_SEQ);
  let admittedRows = 0;
  let admittedMicros = 0;
  let lostInFlightRecorded = 0;
  for (const r of rows) {
    if (r.seq === null || r.seq < 0 || r.seq >= nextSeq) {
      note(`a row without a request of this run (seq ${String(r.seq)})`);
      continue;
    }
    if (seen[r.seq]) note(`request ${r.seq} recorded twice`);
    seen[r.seq] = 1;
    const status = statusBySeq[r.seq] ?? 0;
    if (r.admitted) {
      admittedRows += 1;
      admittedMicros += Number(r.amount_micros);
    }
    if (status === -1) lostInFlightRecorded += 1;
    else if (status >= 200 && status < 300 && !r.admitted)
      note(`request ${r.seq}: answered ${status}, recorded as blocked`);
    else if (status === 403 && r.admitted)
      note(`request ${r.seq}: answered 403, recorded as admitted`);
    else if (status !== 403 && (status < 200 || status >= 300))
      note(`request ${r.seq}: answered ${status}, but recorded`);
  }
  let answered2xx = 0;
  let answered403 = 0;
  let answeredOther = 0;
  let unanswered = 0;
  let okMicros = 0;
  let wrongBlock = 0;
  for (let seq = 0; seq < nextSeq; seq++) {
    const status = statusBySeq[seq] ?? 0;
    const t = TEMPLATES[seq % TEMPLATES.length] as (typeof TEMPLATES)[0];
    if (status === -1) {
      unanswered += 1;
      continue;
    }
    const ok = status >= 200 && status < 300;
    if (ok) {
      answered2xx += 1;
      okMicros += t.amountCents * 1_000_000;
    } else if (status === 403) answered403 += 1;
    else answeredOther += 1;
    if ((ok || status === 403) && !seen[seq]) note(`request ${seq}: answered ${status}, no row`);
    if ((ok && t.expectBlock) || (status === 403 && !t.expectBlock)) wrongBlock += 1;
  }
  if (wrongBlock > 0) note(`${wrongBlock} answers disagree with the intended decision`);
  if (answeredOther > 0) note(`${answeredOther} answers neither 2xx nor 403`);

  // Every admitted transaction is counted once in every window pair (period × per).
  const windows = await sql<{ period: string; per: string; cost: string; requests: string }>(
    `select period, per, sum(cost_micros)::text as cost, sum(requests)::text as requests
       from window_counter group by period, per order by period, per`,
  );
  const lostAdmittedMicros = admittedMicros - okMicros;
  for (const w of windows) {
    if (Number(w.cost) !== admittedMicros || Number(w.requests) !== admittedRows) {
      note(
        `window ${w.period}/${w.per}: ${w.cost} µ¢ in ${w.requests} requests, ` +
          `admitted rows hold ${admittedMicros} µ¢ in ${admittedRows}`,
      );
    }
  }
  const daily = windows.find((w) => w.period === 'daily' && w.per === 'org');
  if (!daily) note('no org daily counter');
  const audits = await sql<{ n: string }>(
    `select count(*)::text as n from audit_event where entity_type = 'transaction'`,
  );
  const auditCount = Number(audits[0]?.n ?? 0);
  if (auditCount !== rows.length)
    note(`${auditCount} transaction audit events, ${rows.length} rows`);

  return {
    ok: problems.length === 0,
    problems,
    requestsSent: nextSeq,
    answered2xx,
    answered403,
    answeredOther,
    unanswered,
    transactionRows: rows.length,
    /** Rows of requests whose answer the load generator never read (in flight when it stopped). */
    rowsOfUnansweredRequests: lostInFlightRecorded,
    rowsEqualAnswers: rows.length === answered2xx + answered403 + lostInFlightRecorded,
    orgDailyCounterMicros: daily ? Number(daily.cost) : null,
    admittedMicrosInRows: admittedMicros,
    admittedMicrosAnswered2xx: okMicros,
    admittedMicrosOfUnanswered: lostAdmittedMicros,
    windowPairsChecked: windows.length,
    auditEvents: auditCount,
  };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const serverUrl = testServerUrl() ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const host = new URL(serverUrl).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') {
    throw new Error(`the benchmark runs against a local PostgreSQL only, not ${host}`);
  }
  const database = `reins_bench_${randomBytes(4).toString('hex')}`;
  const started = Date.now();
  let child: Child | undefined;
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  let admin: Orm | undefined;
  let check: Orm | undefined;
  let sampler: ActivitySampler | undefined;
  let vacuumer: ReturnType<typeof startVacuum> | undefined;
  let created = false;
  const stalls = new StallDetector();

  const cleanup = async () => {
    stalls.stop();
    await sampler?.stop().catch(() => undefined);
    await vacuumer?.stop().catch(() => undefined);
    await child?.stop().catch(() => undefined);
    await worker?.stop().catch(() => undefined);
    await check?.close().catch(() => undefined);
    await admin?.close().catch(() => undefined);
    if (created && args.keep) {
      console.log(`bench: kept the database ${database}`);
    } else if (created) {
      await dropDatabase(serverUrl, database).catch((err: unknown) => {
        console.error(`could not drop ${database}:`, err);
      });
      created = false;
    }
  };
  let cleaning: Promise<void> | undefined;
  const cleanupOnce = () => (cleaning ??= cleanup());
  const watchdog = setTimeout(() => {
    console.error(`bench: over ${RUN_TIMEOUT_MS / 1000} s, abandoning the run`);
    void cleanupOnce().finally(() => process.exit(1));
  }, RUN_TIMEOUT_MS);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`bench: ${signal}, cleaning up`);
      void cleanupOnce().finally(() => process.exit(130));
    });
  }

  try {
    const dbUrl = await createDatabase(serverUrl, database);
    created = true;
    admin = await initOrm(serverUrl, { maxConnections: 3 });
    const adminSql = queryOf(admin);
    const [pgVersion] = await adminSql<{ v: string; autovacuum: string }>(
      "select current_setting('server_version') as v, current_setting('autovacuum') as autovacuum",
    );
    // Without autovacuum the hot counters and the rollups bloat and the month's partitions keep
    // the statistics of an empty table: a long run measures that, not Reins (docs/benchmarks.md).
    if (pgVersion?.autovacuum !== 'on') {
      console.warn(
        `bench: this PostgreSQL runs with autovacuum = ${String(pgVersion?.autovacuum)}`,
      );
    }
    console.log(`bench: database ${database}; starting the server …`);

    child = await startChild(dbUrl);
    const base = child.url;
    for (let i = 0; ; i++) {
      const res = await fetch(`${base}/health`).catch(() => null);
      if (res?.ok) break;
      if (i > 100) throw new Error('/health never answered 200');
      await sleep(100);
    }
    if (WORKER_PROCESS) worker = await startWorker(dbUrl);

    const keyRes = await api(base, BOOTSTRAP_KEY, 'POST', '/api/keys', {
      name: 'bench-agents',
      permissions: ['transactions:write'],
    });
    if (keyRes.status !== 201 || typeof keyRes.json.key !== 'string') {
      throw new Error(`creating the agents' key: ${keyRes.status} ${JSON.stringify(keyRes.json)}`);
    }
    const rules = benchRules();
    for (const rule of rules) {
      const r = await api(base, BOOTSTRAP_KEY, 'POST', '/api/policy-rules', rule);
      if (r.status !== 201)
        throw new Error(`rule "${rule.name}": ${r.status} ${JSON.stringify(r.json)}`);
    }
    console.log(`bench: ${rules.length} rules, server at ${base} (pid ${child.proc.pid ?? '?'})`);

    const target: Target = {
      port: child.port,
      path: '/api/v1/transactions',
      headers: { authorization: `Bearer ${keyRes.json.key}`, 'content-type': 'application/json' },
    };
    sampler = new ActivitySampler(adminSql, database);
    sampler.start();
    if (VACUUM_S !== null) vacuumer = startVacuum(dbUrl, VACUUM_S);
    stalls.start();

    const results: PhaseResult[] = [];
    let memorySamples: MemorySample[] = [];
    for (const spec of PHASES) {
      await sleep(1000); // the previous phase's stragglers drain
      const before = await read(child, adminSql, database, worker?.pid ?? null);
      sampler.take();
      const memory =
        spec.kind === 'closed' && spec.sampleEveryS
          ? sampleMemory(child, before, spec.sampleEveryS)
          : undefined;
      const log =
        spec.kind === 'open'
          ? await openLoop(
              spec.path ? { ...target, path: spec.path } : target,
              {
                rate: spec.rate,
                durationMs: spec.seconds * 1000,
                maxInFlight: 512,
                drainMs: 10_000,
              },
              spec.path ? floorBody : nextBody,
              onAnswer,
            )
          : await closedLoop(
              spec.path ? { ...target, path: spec.path } : target,
              {
                connections: spec.connections,
                durationS: spec.seconds,
                maxRequests: MAX_RPS * spec.seconds,
              },
              spec.path ? floorTxBody : nextBody,
              onAnswer,
            );
      if (memory) memorySamples = await memory.stop();
      const activity = sampler.take();
      const after = await read(child, adminSql, database, worker?.pid ?? null);
      const r = summarize(spec, log, before, after, activity, stalls);
      console.log(
        `bench: ${spec.name}: ${r.okPerS} 2xx/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, ` +
          `batch ${r.recorder.avgBatchSize} tx / ${r.recorder.avgBatchMs} ms`,
      );
      if (spec.report) results.push(r);
      if (memory) {
        const last = memorySamples[memorySamples.length - 1];
        console.log(
          `bench: ${memorySamples.length} memory samples, last RSS ${last?.rssMb ?? '?'} MB`,
        );
      }
    }
    await sampler.stop();
    sampler = undefined;
    const vacuum = (await vacuumer?.stop()) ?? null;
    vacuumer = undefined;
    if (vacuum) {
      console.log(
        `bench: VACUUM (ANALYZE) every ${String(VACUUM_S)} s: ${vacuum.runs} runs, ` +
          `${vacuum.totalMs} ms in all, longest ${vacuum.maxMs} ms`,
      );
    }
    stalls.stop();

    // Stop the server (its sessions end, so PostgreSQL flushes their statistics), then check.
    await sleep(500);
    const final = await child.snapshot();
    await child.stop();
    await worker?.stop();
    const [dbStats] = await adminSql<Record<string, string | number>>(
      `select xact_commit, xact_rollback, tup_inserted, tup_updated, blks_read, blks_hit,
              round(active_time::numeric, 1) as active_time_ms,
              round(idle_in_transaction_time::numeric, 1) as idle_in_transaction_time_ms,
              round(session_time::numeric, 1) as session_time_ms, sessions
         from pg_stat_database where datname = ?`,
      [database],
    );
    check = await initOrm(dbUrl, { maxConnections: 1 });
    const checkSql = queryOf(check);
    const verification = await verify(checkSql);
    const [storage] = await checkSql<Record<string, string>>(
      `select count(*) as rows,
              round(avg(octet_length(evaluation::text))) as evaluation_json_bytes,
              round(avg(pg_column_size(evaluation))) as evaluation_stored_bytes,
              round(avg(octet_length(policy_result::text))) as policy_result_json_bytes,
              round(avg(pg_column_size(r.*))) as row_stored_bytes,
              pg_total_relation_size('transaction_record') as transaction_record_bytes,
              pg_total_relation_size('audit_event') as audit_event_bytes,
              (select count(*) from window_counter) as window_counters
         from transaction_record r`,
    );

    const report = tables(results);
    console.log(`\n${report}\n`);
    const memory =
      SOAK_S === null
        ? null
        : {
            samples: memorySamples,
            verdict: memoryVerdict(memorySamples),
            /** The same rule over each interval's lowest RSS: the GC's saw mostly left out. */
            verdictOfLows: memoryVerdict(memorySamples, 'rssMinMb'),
          };
    if (memory)
      console.log(`${memoryTable(memory.samples, [memory.verdict, memory.verdictOfLows])}\n`);
    console.log(
      `Guarantees: ${verification.ok ? 'intact' : 'BROKEN'} — ${verification.transactionRows} rows = ` +
        `${verification.answered2xx} 2xx + ${verification.answered403} 403 + ` +
        `${verification.rowsOfUnansweredRequests} recorded whose answer the load generator ` +
        `dropped at a phase end; org daily counter ${verification.orgDailyCounterMicros} µ¢ = ` +
        `admitted ${verification.admittedMicrosInRows} µ¢; ${verification.windowPairsChecked} ` +
        `window pairs checked.`,
    );
    for (const p of verification.problems) console.log(`  - ${p}`);

    const stamp = new Date()
      .toISOString()
      .replace(/:/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const out = args.out ?? join(resultsDir, `http-${stamp}.json`);
    mkdirSync(dirname(out), { recursive: true });
    const json = {
      benchmark: 'POST /api/v1/transactions over HTTP (apps/server/bench/http.bench.ts)',
      date: new Date().toISOString(),
      machine: {
        cores: cpus().length,
        cpu: cpus()[0]?.model ?? null,
        loadAverageAtEnd: loadavg().map((x) => round(x)),
        node: process.version,
        postgres: pgVersion?.v ?? null,
        autovacuum: pgVersion?.autovacuum ?? null,
      },
      config: {
        quick: args.quick,
        profile: args.profile,
        semiSpaceMb: Number(args['semi-space']),
        initialOldSpaceMb: Number(args['old-space']),
        child: args.tsx ? 'tsx' : args['no-source-maps'] ? 'built' : 'built, source maps',
        /** The jobs: a worker process beside the server, or in the server. */
        worker: args.worker,
        rules: rules.length,
        templates: TEMPLATES.length,
        env: {
          REINS_RATE_LIMIT_RPS: 0,
          ...pick(process.env, ['REINS_BATCH_MAX', 'REINS_DB_POOL', 'REINS_KEY_CACHE_MS']),
        },
        soakSeconds: SOAK_S,
        vacuumEveryS: VACUUM_S,
        phases: PHASES,
      },
      /** --vacuum: the runs of VACUUM (ANALYZE) during the phases. */
      vacuum,
      phases: results,
      /** --soak: the child's memory every SAMPLE_EVERY_S seconds of the soak, and the verdict. */
      memory,
      recorderTotals: final.recorder,
      pgStatDatabase: dbStats ?? null,
      storage: storage ?? null,
      verification,
      runSeconds: round((Date.now() - started) / 1000, 1),
    };
    writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`bench: results in ${relative(process.cwd(), out)} (${json.runSeconds} s)`);
    return verification.ok ? 0 : 1;
  } catch (err) {
    console.error('bench failed:', err);
    if (child) console.error(`server output (tail):\n${child.output.join('').slice(-4000)}`);
    return 1;
  } finally {
    await cleanupOnce();
    clearTimeout(watchdog);
  }
}

process.exitCode = await main();
