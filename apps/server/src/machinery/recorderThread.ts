/**
 * The hot path on a thread of its own (REINS_RECORDER_THREAD, on with a real PostgreSQL): the
 * same `Recorder`, with its own pool, on a worker thread (recorderWorker.ts), so that a batch's
 * round trips are taken up the moment PostgreSQL answers instead of when the request thread's
 * event loop — parsing, authenticating and answering HTTP — comes round to them. A batch holds
 * its organization's counter locks from its first round trip's answer to its COMMIT: the event
 * loop's delay there was most of the time a backend idled in the batch's transaction (issue 17,
 * docs/benchmarks.md).
 *
 * What crosses the thread boundary is plain data: a request without its `respond` function (the
 * thread answers a replay of a recorded transaction with the stored outcome, and the request's own
 * `respond` is applied here), and errors as their fields (a refusal's `DomainError` is rebuilt
 * with its code, status, message, body fields and headers; a failure keeps its SQLSTATE `code`,
 * which the error mapping reads to answer 503 while the database is unavailable).
 */
import { Worker } from 'node:worker_threads';
import type { Action } from '@reins/engine';
import type { StoredResponse } from '@reins/ledger';
import { DomainError, type ErrorCode } from '../errors.js';
import type { LeaseSettings } from '../recording/leases.js';
import type { TxOutcome, TxRequest, TxResult } from '../recording/types.js';
import type { BatchObserver } from './metrics.js';
import type { HotPath, RecorderStats } from './recorder.js';

/** What the thread is started with (`workerData`). */
export interface ThreadConfig {
  url: string;
  pool: number;
  batchMax: number;
  leases: LeaseSettings;
}

/** A request as it crosses to the thread: `respond` stays on this side. */
export type WireRequest = Omit<TxRequest, 'idempotency'> & {
  idempotency: Omit<NonNullable<TxRequest['idempotency']>, 'respond'> | null;
};

export type WireError =
  | {
      domain: true;
      code: ErrorCode;
      status: number;
      message: string;
      extra: Record<string, unknown>;
      headers: Record<string, string>;
    }
  | { domain: false; name: string; message: string; code?: string; stack?: string };

/** A result as it crosses back. `replayOf`: a replay of a recorded transaction, to `respond` to. */
export type WireResult =
  | { kind: 'recorded'; outcome: TxOutcome }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'replayOf'; outcome: TxOutcome }
  | { kind: 'refused'; error: WireError };

export type ToThread =
  | { type: 'submit'; id: number; req: WireRequest }
  | { type: 'drain' | 'returnLeases' | 'close'; id: number };

export type FromThread =
  | {
      type: 'results';
      /** Per request: its result, or the error its promise is rejected with. */
      results: { id: number; result?: WireResult; error?: WireError }[];
      /** The batches written since the last message (the metrics' observations). */
      batches: { size: number; seconds: number; actions: Record<Action, number> }[];
      stats: RecorderStats;
    }
  | { type: 'reply'; id: number; value?: number; error?: WireError };

export function toWireError(err: unknown): WireError {
  if (err instanceof DomainError) {
    return {
      domain: true,
      code: err.code,
      status: err.status,
      message: err.message,
      extra: err.extra(),
      headers: err.headers(),
    };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return {
    domain: false,
    name: e.name,
    message: e.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(e.stack ? { stack: e.stack } : {}),
  };
}

/** A refusal or failure decided on the recorder's thread, as the error mapping expects it. */
class ThreadDomainError extends DomainError {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    private readonly body: Record<string, unknown>,
    private readonly head: Record<string, string>,
  ) {
    super(message);
  }
  override extra(): Record<string, unknown> {
    return this.body;
  }
  override headers(): Record<string, string> {
    return this.head;
  }
}

export function fromWireError(w: WireError): Error {
  if (w.domain) return new ThreadDomainError(w.code, w.status, w.message, w.extra, w.headers);
  const err = new Error(w.message) as Error & { code?: string };
  err.name = w.name;
  if (w.code !== undefined) err.code = w.code;
  if (w.stack !== undefined) err.stack = w.stack;
  return err;
}

function toWireRequest(req: TxRequest): WireRequest {
  if (!req.idempotency) return req;
  const { respond: _, ...idempotency } = req.idempotency;
  return { ...req, idempotency };
}

function fromWireResult(req: TxRequest, r: WireResult): TxResult {
  switch (r.kind) {
    case 'replayOf': {
      // Only a keyed request is answered with a replay.
      if (!req.idempotency) throw new Error('a replay for a request without an idempotency key');
      return { kind: 'replay', response: req.idempotency.respond(r.outcome) };
    }
    case 'refused': {
      // A refusal is always a DomainError (plan.ts).
      const e = r.error;
      if (!e.domain) throw fromWireError(e);
      return {
        kind: 'refused',
        error: new ThreadDomainError(e.code, e.status, e.message, e.extra, e.headers),
      };
    }
    default:
      return r;
  }
}

/**
 * The worker thread, started from this module's own build: dist/recorderWorker.js beside the
 * bundle (tsup.config.ts), or the TypeScript source through tsx's loader when the server runs from
 * its sources (tests, `pnpm reins`).
 */
function spawnThread(config: ThreadConfig): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) {
    return new Worker(new URL('./recorderWorker.js', here), { workerData: config });
  }
  const entry = new URL('./recorderWorker.ts', here).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData: config });
}

interface Waiting {
  req: TxRequest;
  resolve: (r: TxResult) => void;
  reject: (e: unknown) => void;
}

interface Running {
  worker: Worker;
  /** Resolves once the thread has connected; rejects if it ends before. */
  ready: Promise<void>;
  exited: Promise<void>;
}

/** After a thread ended, requests fail at once for this long before a new one is started. */
const RESTART_AFTER_MS = 1000;

export class RecorderThread implements HotPath {
  readonly stats: RecorderStats = {
    batches: 0,
    transactions: 0,
    dbMs: 0,
    readMs: 0,
    planMs: 0,
    writeMs: 0,
  };
  /** The thread now; null after it ended (the next request starts another). */
  private current: Running | null;
  private death: { at: number; why: Error } | null = null;
  private nextId = 1;
  private readonly submitted = new Map<number, Waiting>();
  private readonly calls = new Map<
    number,
    { resolve: (v: number) => void; reject: (e: unknown) => void }
  >();
  private closing = false;
  /** A thread that ended unasked: what it left unanswered was rejected with `err`. */
  onDied: ((err: Error) => void) | undefined;

  constructor(
    private readonly config: ThreadConfig,
    private readonly observer?: BatchObserver,
  ) {
    this.current = this.start();
  }

  /** Resolves once the thread is connected to the database (rejects if it cannot). */
  async started(): Promise<void> {
    await this.thread().ready;
  }

  private start(): Running {
    const worker = spawnThread(this.config);
    let up: () => void = () => undefined;
    let failed: (e: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      up = resolve;
      failed = reject;
    });
    // Reported by `started()` or by the requests it fails; never an unhandled rejection.
    ready.catch(() => undefined);
    let gone: () => void = () => undefined;
    const exited = new Promise<void>((resolve) => {
      gone = resolve;
    });
    let error: Error | null = null;
    worker.on('message', (m: FromThread | { type: 'ready' }) => {
      if (m.type === 'ready') up();
      else this.receive(m);
    });
    worker.on('error', (err) => {
      error = err;
    });
    worker.on('exit', (code) => {
      gone();
      const why = error ?? new Error(`the recorder thread exited (${String(code)})`);
      failed(why);
      if (this.current?.worker === worker) this.current = null;
      this.orphaned(why);
      if (this.closing) return;
      this.death = { at: Date.now(), why };
      this.onDied?.(why);
    });
    return { worker, ready, exited };
  }

  /** The running thread, started anew if the last one ended (not sooner than RESTART_AFTER_MS). */
  private thread(): Running {
    if (this.current) return this.current;
    if (this.closing) throw new Error('the recorder is closed');
    if (this.death && Date.now() - this.death.at < RESTART_AFTER_MS) throw this.death.why;
    this.current = this.start();
    return this.current;
  }

  /** Everything a dead thread had not answered fails with why it died. */
  private orphaned(why: Error): void {
    for (const w of this.submitted.values()) w.reject(why);
    this.submitted.clear();
    for (const c of this.calls.values()) c.reject(why);
    this.calls.clear();
  }

  private receive(m: FromThread): void {
    if (m.type === 'reply') {
      const call = this.calls.get(m.id);
      this.calls.delete(m.id);
      if (m.error) call?.reject(fromWireError(m.error));
      else call?.resolve(m.value ?? 0);
      return;
    }
    Object.assign(this.stats, m.stats);
    if (this.observer) for (const b of m.batches) this.observer.batch(b.size, b.seconds, b.actions);
    for (const r of m.results) {
      const w = this.submitted.get(r.id);
      if (!w) continue;
      this.submitted.delete(r.id);
      if (r.result) w.resolve(fromWireResult(w.req, r.result));
      else w.reject(fromWireError(r.error ?? toWireError(new Error('no result'))));
    }
  }

  submit(req: TxRequest): Promise<TxResult> {
    return new Promise<TxResult>((resolve, reject) => {
      const { worker } = this.thread();
      const id = this.nextId++;
      this.submitted.set(id, { req, resolve, reject });
      worker.postMessage({ type: 'submit', id, req: toWireRequest(req) } satisfies ToThread);
    });
  }

  private call(type: 'drain' | 'returnLeases' | 'close'): Promise<number> {
    // No thread now: nothing is queued or held on it.
    if (!this.current) return Promise.resolve(0);
    const { worker } = this.current;
    return new Promise<number>((resolve, reject) => {
      const id = this.nextId++;
      this.calls.set(id, { resolve, reject });
      worker.postMessage({ type, id } satisfies ToThread);
    });
  }

  async drain(): Promise<void> {
    await this.call('drain');
  }

  returnLeases(): Promise<number> {
    return this.call('returnLeases');
  }

  /** Drains the thread, closes its pool and ends it. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const running = this.current;
    if (!running) return;
    await this.call('close').catch(() => undefined);
    await running.worker.terminate();
    await running.exited;
  }
}
