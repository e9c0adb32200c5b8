/**
 * Prometheus metrics every Reins process shares (server and worker): the process's own (CPU,
 * memory, event loop), its database pool, its jobs, the database-wide backlogs the jobs work off,
 * and the listener that serves them on a port of its own (never the public API port).
 */
import { createServer, type Server } from 'node:http';
import type { Orm } from '@reins/db';
import { plainSql, unsealedBacklog } from '@reins/ledger';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobObserver } from './scheduler.js';

/** A registry of its own per process (tests run several servers in one process). */
export function newRegistry(app: 'server' | 'worker'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry, prefix: 'reins_' });
  return registry;
}

/** The tarn pool under MikroORM's knex (absent with another driver). */
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
  max: number;
}

function tarnPool(orm: Orm): TarnPool | undefined {
  const client = (orm.em.getConnection().getKnex() as { client?: { pool?: TarnPool } }).client;
  return client?.pool ?? undefined;
}

/** `reins_db_pool_connections{state}`: in use, idle, waiting for one, being opened; and the max. */
export function registerPoolMetrics(registry: Registry, orm: Orm): void {
  new Gauge({
    name: 'reins_db_pool_connections',
    help: 'Database pool connections by state (used, idle), acquires waiting, connections being opened',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const pool = tarnPool(orm);
      if (!pool) return;
      this.set({ state: 'used' }, pool.numUsed());
      this.set({ state: 'idle' }, pool.numFree());
      this.set({ state: 'waiting' }, pool.numPendingAcquires());
      this.set({ state: 'creating' }, pool.numPendingCreates());
    },
  });
  new Gauge({
    name: 'reins_db_pool_max',
    help: 'Most connections the database pool opens',
    registers: [registry],
    collect() {
      const pool = tarnPool(orm);
      if (pool) this.set(pool.max);
    },
  });
}

/**
 * The scheduler's runs: counts and durations per job, and each job's lag — seconds since it last
 * finished a run successfully (since the process started when it never has). A job that fails or
 * hangs shows as a lag that grows past its period.
 */
export function jobMetrics(registry: Registry, clock: () => number = Date.now): JobObserver {
  const started = clock();
  const lastSuccess = new Map<string, number>();
  const runs = new Counter({
    name: 'reins_job_runs_total',
    help: 'Runs of each background job by outcome (ok, failed)',
    labelNames: ['job', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'reins_job_run_duration_seconds',
    help: 'Duration of one run of a background job',
    labelNames: ['job'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'reins_job_lag_seconds',
    help: 'Seconds since each background job last finished a run successfully',
    labelNames: ['job'] as const,
    registers: [registry],
    collect() {
      const now = clock();
      for (const [job, at] of lastSuccess) this.set({ job }, (now - (at || started)) / 1000);
    },
  });
  return {
    register(job) {
      if (!lastSuccess.has(job)) lastSuccess.set(job, 0);
    },
    ran(job, ms, ok) {
      runs.inc({ job, outcome: ok ? 'ok' : 'failed' });
      duration.observe({ job }, ms / 1000);
      if (ok) lastSuccess.set(job, clock());
    },
  };
}

/**
 * Database-wide backlogs (the same for every process on the database, so exported by the
 * processes that run jobs): the notification outbox and the audit events not sealed yet. Read by
 * two indexed queries at scrape time, at most once per `cacheMs`; a failed read leaves the gauges
 * as they were and sets `reins_backlog_read_ok` to 0.
 */
export function registerBacklogMetrics(registry: Registry, orm: Orm, cacheMs = 10_000): void {
  let readAt = -Infinity;
  let reading: Promise<void> | undefined;
  const values = {
    outboxPending: 0,
    outboxDue: 0,
    outboxOldestDue: 0,
    unsealed: 0,
    unsealedOldest: 0,
    ok: 1,
  };
  const refresh = (): Promise<void> => {
    if (performance.now() - readAt < cacheMs) return Promise.resolve();
    reading ??= (async () => {
      try {
        const sql = plainSql(orm);
        const [outbox] = await sql<{ pending: number; due: number; oldest: number | null }>(
          `select count(*)::int as pending,
                  count(*) filter (where next_attempt_at <= now())::int as due,
                  extract(epoch from now() - min(next_attempt_at)
                                      filter (where next_attempt_at <= now()))::float8 as oldest
             from notification_outbox where status = 'pending'`,
        );
        const audit = await unsealedBacklog(sql);
        values.outboxPending = outbox?.pending ?? 0;
        values.outboxDue = outbox?.due ?? 0;
        values.outboxOldestDue = outbox?.oldest ?? 0;
        values.unsealed = audit.events;
        values.unsealedOldest = audit.oldestSeconds ?? 0;
        values.ok = 1;
      } catch {
        values.ok = 0;
      } finally {
        readAt = performance.now();
        reading = undefined;
      }
    })();
    return reading;
  };
  const gauge = (name: string, help: string, pick: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        await refresh();
        this.set(pick());
      },
    });
  gauge(
    'reins_notification_outbox_pending',
    'Notifications waiting for delivery (retries included)',
    () => values.outboxPending,
  );
  gauge(
    'reins_notification_outbox_due',
    'Pending notifications whose next attempt is due now',
    () => values.outboxDue,
  );
  gauge(
    'reins_notification_outbox_oldest_due_seconds',
    'How long the most overdue pending notification has been due (delivery lag)',
    () => values.outboxOldestDue,
  );
  gauge(
    'reins_audit_unsealed_events',
    'Audit events committed but not yet sealed into their hash chain (at most 10,000 counted per organization)',
    () => values.unsealed,
  );
  gauge(
    'reins_audit_unsealed_oldest_seconds',
    'Age of the oldest audit event not yet sealed (sealing lag)',
    () => values.unsealedOldest,
  );
  gauge(
    'reins_backlog_read_ok',
    '1 when the last read of the backlog gauges succeeded, 0 when it failed',
    () => values.ok,
  );
}

export interface MetricsListener {
  /** `http://host:port` */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text format) on `host:port` — a port of its own, apart from
 * the API, so that it is reachable only where the operator binds it.
 */
export async function startMetricsListener(
  registry: Registry,
  host: string,
  port: number,
): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType }).end(text);
      },
      (err: unknown) => {
        res
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${String(bound)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
