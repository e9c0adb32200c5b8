/**
 * The hot path's queue: transactions are recorded in per-organization batches (see
 * recording/batch.ts for what one batch does in the database).
 *
 * Requests of one organization queue up while that organization's previous batch is being
 * written; the next batch takes everything waiting (up to `batchMax`). A batch whose settings or
 * policy went stale under it is evaluated again with what the database has now.
 */
import type { Orm } from '@reins/db';
import type { Action } from '@reins/engine';
import {
  expiredAt,
  heldBy,
  plainSql,
  takeBackLeasesEverywhere,
  withConnection,
} from '@reins/ledger';
import { NotFound } from '../errors.js';
import { recordBatch } from '../recording/batch.js';
import { evaluationContext, policyBudgets } from '../recording/evaluation.js';
import { LeaseBook, type LeaseSettings } from '../recording/leases.js';
import type { TxRequest, TxResult } from '../recording/types.js';
import type { BatchObserver } from './metrics.js';
import type { OrgSettings, PolicyCache } from './policyCache.js';

interface Pending {
  req: TxRequest;
  resolve: (o: TxResult) => void;
  reject: (e: unknown) => void;
}

interface OrgQueue {
  items: Pending[];
  /** Batches of this org being written (at most PIPELINE_DEPTH). */
  inFlight: number;
  /** A batch has started but does not hold its counter locks yet. */
  starting: boolean;
}

/**
 * Batches of one organization in flight at once. The next batch starts as soon as the previous
 * one holds its counter locks: its BEGIN, settings read and lock request overlap the previous
 * batch's evaluation, writes and commit, and it takes the locks right after that commit — in
 * arrival order, because it asked for them only after its predecessor had them.
 */
const PIPELINE_DEPTH = 2;
/**
 * A second batch starts only once this many transactions wait: under light load a lone second
 * batch would only sit on the locks (and add a connection's work to a busy machine).
 */
const PIPELINE_MIN_WAITING = 8;

/**
 * Serialization failures and deadlocks, and unique violations. A second transaction under one
 * idempotency key no longer reaches its insert (the batch locks its keys before it looks them
 * up, and waits for the other process's commit), but a violation would still be one the retry
 * resolves by finding what the other process wrote. And a budget lease taken back under the
 * batch (`LeaseLost`): the retry locks the counter.
 */
const RETRYABLE = new Set(['40001', '40P01', '23505', 'lease_lost']);

const NO_ACTIONS: Record<Action, number> = {
  pass: 0,
  warn: 0,
  flag: 0,
  block: 0,
  log: 0,
  notify: 0,
};

/** The batch's recorded decisions per action (replays and refusals decided nothing new). */
function tally(outcomes: readonly TxResult[]): Record<Action, number> {
  const counts = { ...NO_ACTIONS };
  for (const o of outcomes) if (o.kind === 'recorded') counts[o.outcome.decision.action] += 1;
  return counts;
}

export class Recorder {
  private readonly queues = new Map<string, OrgQueue>();
  /**
   * Batches written, transactions in them, and the batches' time: all of it (`dbMs`, from the
   * batch's start, policy reads and the wait for a connection included) and its parts
   * (`BatchTiming`) — for the benchmark's report.
   */
  readonly stats = { batches: 0, transactions: 0, dbMs: 0, readMs: 0, planMs: 0, writeMs: 0 };

  constructor(
    private readonly orm: Orm,
    private readonly policies: PolicyCache,
    private readonly clock: () => number,
    private readonly batchMax: number,
    private readonly observer?: BatchObserver,
    leaseSettings?: LeaseSettings,
  ) {
    this.leases = leaseSettings?.enabled ? new LeaseBook(leaseSettings) : null;
  }

  /** This process's budget leases (null: off). */
  readonly leases: LeaseBook | null;

  /**
   * Gives back every budget lease this process holds, and any lease expired meanwhile (a crashed
   * process's on a counter no batch locks any more): shutdown, after `drain`.
   */
  async returnLeases(): Promise<number> {
    const book = this.leases;
    if (!book) return 0;
    const at = new Date(this.clock()).toISOString();
    return withConnection(this.orm, (conn) =>
      takeBackLeasesEverywhere(conn, `${heldBy(book.holder)} or ${expiredAt(at)}`),
    );
  }

  /** Batches started and not finished yet, in every organization's queue. */
  private running = 0;
  private idle: (() => void)[] = [];

  /**
   * Resolves once no batch is queued or being written (shutdown: after the listener stopped
   * taking requests, before the pool closes). Nothing new is refused by it.
   */
  drain(): Promise<void> {
    if (this.running === 0 && this.queues.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  submit(req: TxRequest): Promise<TxResult> {
    return new Promise<TxResult>((resolve, reject) => {
      let q = this.queues.get(req.orgId);
      if (!q) this.queues.set(req.orgId, (q = { items: [], inFlight: 0, starting: false }));
      q.items.push({ req, resolve, reject });
      this.pump(req.orgId, q);
    });
  }

  /** Starts the next batch of `q` if the pipeline has room and no batch is still locking. */
  private pump(orgId: string, q: OrgQueue): void {
    if (q.starting || q.inFlight >= PIPELINE_DEPTH) return;
    if (q.inFlight > 0 && q.items.length < PIPELINE_MIN_WAITING) return;
    if (q.items.length === 0) {
      if (q.inFlight === 0) this.queues.delete(orgId);
      return;
    }
    const batch = q.items.splice(0, this.batchMax);
    q.inFlight += 1;
    this.running += 1;
    q.starting = true;
    let locked = false;
    const onLocked = () => {
      if (locked) return;
      locked = true;
      q.starting = false;
      this.pump(orgId, q);
    };
    void this.runBatch(orgId, batch, onLocked).finally(() => {
      q.inFlight -= 1;
      this.running -= 1;
      onLocked();
      this.pump(orgId, q);
      if (this.running === 0 && this.queues.size === 0 && this.idle.length > 0) {
        for (const resolve of this.idle.splice(0)) resolve();
      }
    });
  }

  private async runBatch(orgId: string, batch: Pending[], onLocked: () => void): Promise<void> {
    try {
      const outcomes = await this.writeWithRetry(orgId, batch, onLocked);
      batch.forEach((p, i) => {
        p.resolve(outcomes[i] as TxResult);
      });
    } catch (err) {
      if (batch.length === 1) (batch[0] as Pending).reject(err);
      // One bad row must not fail its neighbours: write them one by one, in order.
      else for (const p of batch) await this.writeAlone(orgId, p);
    }
  }

  private async writeAlone(orgId: string, p: Pending): Promise<void> {
    try {
      const [outcome] = await this.writeWithRetry(orgId, [p], () => undefined);
      p.resolve(outcome as TxResult);
    } catch (err) {
      p.reject(err);
    }
  }

  private async writeWithRetry(
    orgId: string,
    batch: Pending[],
    onLocked: () => void,
  ): Promise<TxResult[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.writeBatch(orgId, batch, onLocked);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (attempt >= 3 || typeof code !== 'string' || !RETRYABLE.has(code)) throw err;
      }
    }
  }

  /** Settings this process last saw per org; every batch checks them under its locks. */
  private readonly settingsSeen = new Map<string, OrgSettings>();

  private async writeBatch(
    orgId: string,
    batch: Pending[],
    onLocked: () => void,
  ): Promise<TxResult[]> {
    const started = performance.now();
    const reqs = batch.map((p) => p.req);
    for (let attempt = 1; ; attempt++) {
      let settings = this.settingsSeen.get(orgId);
      // Settings and policy are (re)loaded outside the batch's transaction: a policy version this
      // process caches must have its snapshot committed whatever becomes of the batch.
      const plain = plainSql(this.orm);
      if (!settings) {
        settings = (await this.policies.settings(plain, orgId)) ?? undefined;
        if (!settings) throw new NotFound('Organization', orgId);
        this.settingsSeen.set(orgId, settings);
      }
      const loaded = await this.policies.current(plain, orgId, settings.policyVersion);
      const ctx = evaluationContext(settings, this.clock(), false, policyBudgets(loaded));
      const result = await withConnection(this.orm, (conn) =>
        recordBatch(conn, orgId, { ...settings, ...loaded }, ctx, reqs, {
          onLocked,
          leases: this.leases ?? undefined,
          timing: this.stats,
        }),
      );
      if ('stale' in result) {
        // Rules or settings changed since this process last looked: the batch was rolled back
        // before anything was written; evaluate it again with what the database has now.
        if (!result.stale) throw new NotFound('Organization', orgId);
        this.settingsSeen.set(orgId, result.stale);
        if (attempt < 5) continue;
        throw new Error(`organization ${orgId}: settings kept changing under the batch`);
      }
      const ms = performance.now() - started;
      this.stats.batches += 1;
      this.stats.transactions += batch.length;
      this.stats.dbMs += ms;
      if (this.observer) this.observer.batch(batch.length, ms / 1000, tally(result.outcomes));
      return result.outcomes;
    }
  }
}
