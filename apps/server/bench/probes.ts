/**
 * What the HTTP benchmark watches besides the answers: CPU time of processes and of the machine
 * (/proc), what PostgreSQL's backends are doing (sampled from pg_stat_activity), and stalls of
 * the benchmark process itself.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Orm } from '@reins/db';

/** Raw SQL with `?` placeholders on one ORM's pool. */
export type Query = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

export function queryOf(orm: Orm): Query {
  return <T>(sql: string, params: unknown[] = []) =>
    orm.em.fork().getConnection().execute<T[]>(sql, params, 'all');
}

/** Linux reports process CPU in clock ticks of 10 ms (USER_HZ = 100 on every mainstream kernel). */
const TICK_MS = 10;

/** User + system CPU milliseconds of process `pid`, or null when it is gone. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may contain spaces) — utime, stime are fields 14, 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** CPU ms of every process on the machine, by pid, with its command name. */
export function allProcessesCpu(): Map<number, { comm: string; ms: number }> {
  const out = new Map<number, { comm: string; ms: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), { comm, ms: (Number(rest[11]) + Number(rest[12])) * TICK_MS });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The processes that used the most CPU between two readings, by command name. */
export function topCpu(
  before: Map<number, { comm: string; ms: number }>,
  after: Map<number, { comm: string; ms: number }>,
  n: number,
): { comm: string; ms: number }[] {
  const byComm = new Map<string, number>();
  for (const [pid, a] of after) {
    const d = a.ms - (before.get(pid)?.ms ?? 0);
    if (d > 0) byComm.set(a.comm, (byComm.get(a.comm) ?? 0) + d);
  }
  return [...byComm.entries()]
    .map(([comm, ms]) => ({ comm, ms }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n);
}

export interface MachineCpu {
  busyMs: number;
  totalMs: number;
}

/** Whole-machine CPU time (all cores) since boot, busy and total. */
export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const busy = user + nice + system + irq + softirq + steal;
  return { busyMs: busy * TICK_MS, totalMs: (busy + idle + iowait) * TICK_MS };
}

/** CPU ms of each backend serving `database`. */
export async function backendCpu(sql: Query, database: string): Promise<Map<number, number>> {
  const rows = await sql<{ pid: number }>('select pid from pg_stat_activity where datname = ?', [
    database,
  ]);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    const ms = processCpuMs(pid);
    if (ms !== null) out.set(pid, ms);
  }
  return out;
}

/** CPU the backends used between two readings (a backend that appeared counts from zero). */
export function backendCpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}

/**
 * A short name for what a backend runs, from the start of its text. The hot path and the sealer
 * each send a multi-statement round trip, a statement with bind parameters and a COMMIT per
 * batch; pg_stat_activity shows each as one query.
 */
export function statementOf(query: string): string {
  const q = query.trim().toLowerCase().replace(/\s+/g, ' ');
  if (q.startsWith('begin; select pg_advisory_xact_lock_shared(')) return RECORDER_LOCK;
  if (q.startsWith('with tx as')) return RECORDER_WRITE;
  if (q.startsWith('begin; insert into audit_chain_head')) return SEALER_READ;
  if (q.startsWith('with links as')) return SEALER_WRITE;
  if (q.startsWith('with recursive o(org_id)')) return SEALER_SEARCH;
  if (q.startsWith('with ev as')) return ROLLUPS;
  if (q.startsWith('select id, time_zone')) return 'read org settings';
  if (q.startsWith('commit')) return COMMIT;
  if (q.startsWith('rollback')) return 'rollback';
  if (q.startsWith('select 1')) return 'health check';
  return q.split(' ').slice(0, 3).join(' ');
}

export const RECORDER_LOCK =
  'recorder 1: begin, policy lock, settings, lock counters, holds, idempotency';
export const RECORDER_WRITE = 'recorder 2: insert rows, update counters';
export const SEALER_SEARCH = 'sealer: orgs with unsealed events';
export const SEALER_READ = 'sealer 1: lock head, read events';
export const SEALER_WRITE = 'sealer 2: insert links, move the head';
export const ROLLUPS = 'rollups: absorb events';
export const COMMIT = 'commit';

/**
 * Samples pg_stat_activity for the backends of one database every `everyMs`, counting
 * backend-samples by what they were doing: running a statement (on CPU, or waiting — by wait
 * event type, e.g. IO for the WAL flush at commit, Lock for row locks), or idle inside a
 * transaction (waiting for the client, i.e. for Reins), and by statement (for idle in transaction:
 * the statement before the wait). Share of samples × wall time ≈ backend time.
 */
export class ActivitySampler {
  private counts = new Map<string, number>();
  private samples = 0;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly sql: Query,
    private readonly database: string,
    private readonly everyMs = 20,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Counts since the last call, and the number of samples taken. */
  take(): { samples: number; everyMs: number; counts: Record<string, number> } {
    const out = {
      samples: this.samples,
      everyMs: this.everyMs,
      counts: Object.fromEntries(this.counts),
    };
    this.counts = new Map();
    this.samples = 0;
    return out;
  }

  private async run(): Promise<void> {
    let next = performance.now();
    while (this.running) {
      const rows = await this.sql<{ state: string | null; wait: string | null; query: string }>(
        `select state, wait_event_type || ':' || wait_event as wait, left(query, 60) as query
           from pg_stat_activity where datname = ? and backend_type = 'client backend'`,
        [this.database],
      );
      this.samples += 1;
      for (const r of rows) {
        const state =
          r.state === 'active'
            ? r.wait
              ? `active ${r.wait}`
              : 'active cpu'
            : r.state === 'idle in transaction'
              ? 'idle in transaction'
              : null;
        if (!state) continue;
        // Active: the statement running. Idle in transaction: the one that ran last.
        const key = `${state}\t${statementOf(r.query)}`;
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      }
      next += this.everyMs;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else next = performance.now();
    }
  }
}

/**
 * Notices when this process did not run for a while (a machine stall, or its own GC): a 10 ms
 * timer that fired more than `thresholdMs` late. Stalls hit the server the same way; they are
 * counted so that a p99 can be read knowing how many there were.
 */
export class StallDetector {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  readonly stalls: { at: number; ms: number }[] = [];

  constructor(private readonly thresholdMs = 50) {}

  start(): void {
    this.last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const late = now - this.last - 10;
      if (late > this.thresholdMs) this.stalls.push({ at: this.last, ms: late });
      this.last = now;
    }, 10);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Stalls that began in [from, to) (performance.now() times). */
  between(from: number, to: number): { count: number; totalMs: number; maxMs: number } {
    const hit = this.stalls.filter((s) => s.at >= from && s.at < to);
    return {
      count: hit.length,
      totalMs: hit.reduce((a, s) => a + s.ms, 0),
      maxMs: hit.reduce((a, s) => Math.max(a, s.ms), 0),
    };
  }
}
