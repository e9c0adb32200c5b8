/**
 * The server's Prometheus metrics: requests per route, decisions per action, the hot path's
 * batches, the database pool, and (when this process runs the jobs) the jobs and the backlogs.
 * Served on REINS_METRICS_PORT only (see server.ts); collected whether or not anyone scrapes.
 *
 * Hot path cost: one counter increment and one histogram observation per request, through label
 * children cached by route, method and status (no label object built here once a combination has
 * been seen; prom-client still joins the label values into its key on each call), and a few
 * observations per batch, not per transaction.
 */
import { ACTIONS, type Action } from '@reins/engine';
import {
  jobMetrics,
  newRegistry,
  registerBacklogMetrics,
  registerPoolMetrics,
  type JobObserver,
} from '@reins/jobs';
import type { Orm } from '@reins/db';
import { Counter, Histogram, type Registry } from 'prom-client';

type CounterChild = ReturnType<Counter<'method' | 'route' | 'status'>['labels']>;
type HistogramChild = ReturnType<Histogram<'method' | 'route'>['labels']>;

interface RouteChildren {
  timer: HistogramChild;
  byStatus: Map<number, CounterChild>;
}

/** What the recorder reports after each batch it wrote. */
export interface BatchObserver {
  batch(size: number, seconds: number, actions: Readonly<Record<Action, number>>): void;
}

export class ServerMetrics implements BatchObserver {
  readonly registry: Registry = newRegistry('server');
  private readonly requests = new Counter({
    name: 'reins_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'reins_http_request_duration_seconds',
    help: 'Time from a request arriving to its answer being sent, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly decisions = new Counter({
    name: 'reins_decisions_total',
    help: 'Transactions recorded by the hot path, by the decision taken (pass, warn, flag, block, log, notify)',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: 'reins_batch_size',
    help: 'Transactions per hot-path batch (one database transaction per organization batch)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers: [this.registry],
  });
  private readonly batchTime = new Histogram({
    name: 'reins_batch_duration_seconds',
    help: 'Time to write one hot-path batch: settings and policy read, locks, evaluation, writes, commit',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  /** Label children by route, then method (then status): found without building a key. */
  private readonly children = new Map<string, Map<string, RouteChildren>>();
  private readonly byAction = Object.fromEntries(
    ACTIONS.map((a) => [a, this.decisions.labels({ action: a })]),
  ) as Record<Action, ReturnType<Counter<'action'>['labels']>>;

  constructor() {
    // Every action is exported from the start (at 0), so that rates exist before the first one.
    for (const a of ACTIONS) this.byAction[a].inc(0);
  }

  /** One answered request: `route` is the route's pattern (`/api/agents/:agentId`), never its URL. */
  request(method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.children.get(route);
    if (!byMethod) {
      byMethod = new Map();
      this.children.set(route, byMethod);
    }
    let entry = byMethod.get(method);
    if (!entry) {
      entry = { timer: this.latency.labels({ method, route }), byStatus: new Map() };
      byMethod.set(method, entry);
    }
    entry.timer.observe(seconds);
    let counter = entry.byStatus.get(status);
    if (!counter) {
      counter = this.requests.labels({ method, route, status: String(status) });
      entry.byStatus.set(status, counter);
    }
    counter.inc();
  }

  batch(size: number, seconds: number, actions: Readonly<Record<Action, number>>): void {
    this.batchSize.observe(size);
    this.batchTime.observe(seconds);
    for (const a of ACTIONS) if (actions[a] > 0) this.byAction[a].inc(actions[a]);
  }

  /** The database pool's gauges. */
  watchPool(orm: Orm): void {
    registerPoolMetrics(this.registry, orm);
  }

  /** For a process that runs the worker's jobs: their runs and lag, and the backlogs. */
  watchJobs(orm: Orm): JobObserver {
    registerBacklogMetrics(this.registry, orm);
    return jobMetrics(this.registry);
  }
}
