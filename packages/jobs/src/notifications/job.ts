/**
 * The `notify` job: claims due outbox rows (a lease), delivers each outside any transaction, and
 * records delivered, a retry with backoff, or the dead letter (`failed`) after `maxAttempts`.
 */
import type { Job, JobContext } from '../scheduler.js';
import {
  DEFAULT_BACKOFF,
  planAfterAttempt,
  type AttemptOutcome,
  type BackoffPolicy,
  type Jitter,
} from './backoff.js';
import { deliver, RESPONSE_CAP_BYTES, smtpMailer, type Mailer } from './deliver.js';
import { targetOf } from './messages.js';
import { claimDue, recordOutcomes, type ClaimedRow, type Outcome } from './outbox.js';

export const NOTIFY_JOB = 'notify';

export interface NotifyJobOptions {
  everyMs: number;
  maxAttempts: number;
  /** Deadline of one attempt (connect, send, answer). */
  timeoutMs: number;
  smtpUrl?: string | undefined;
  smtpFrom?: string | undefined;
  /** Rows claimed and delivered at once per run (default 64). */
  batchSize?: number;
  backoff?: BackoffPolicy;
  /** [0, 1) for the backoff's jitter; `Math.random` unless a test fixes it. */
  jitter?: Jitter;
  /**
   * How long a claim holds its rows (`defaultLeaseMs`): past it, a row whose worker died is
   * claimed again. It must outlast a batch's deliveries, which run in parallel.
   */
  leaseMs?: number;
  /** Response bytes read at most (default 64 KiB). */
  capBytes?: number;
  /** Instead of SMTP_URL's transport (tests of failure modes). */
  mailer?: Mailer;
}

/**
 * Three times the attempt timeout, and at least the timeout plus 5 s: the batch's attempts run in
 * parallel, each within the timeout, and the rest is slack for recording the outcomes (30 s with
 * the default 10 s timeout).
 */
export function defaultLeaseMs(timeoutMs: number): number {
  return Math.max(3 * timeoutMs, timeoutMs + 5000);
}

export const DEFAULT_SMTP_FROM = 'Reins <notifications@reins.invalid>';

export function notifyJob(opts: NotifyJobOptions): Job {
  const batchSize = opts.batchSize ?? 64;
  const leaseMs = opts.leaseMs ?? defaultLeaseMs(opts.timeoutMs);
  const policy = {
    maxAttempts: opts.maxAttempts,
    backoff: opts.backoff ?? DEFAULT_BACKOFF,
    jitter: opts.jitter ?? Math.random,
  };
  let mailer = opts.mailer;
  const mailerFor = (): Mailer | undefined => {
    if (!mailer && opts.smtpUrl) {
      mailer = smtpMailer(opts.smtpUrl, opts.smtpFrom ?? DEFAULT_SMTP_FROM, opts.timeoutMs);
    }
    return mailer;
  };

  const attempt = async (
    ctx: JobContext,
    record: (o: Outcome) => Promise<boolean>,
    row: ClaimedRow,
  ): Promise<void> => {
    let outcome: AttemptOutcome;
    if (!row.channel) {
      outcome = { ok: false, retry: false, error: 'the channel was deleted' };
    } else if (!row.channel.enabled) {
      outcome = { ok: false, retry: false, error: 'the channel is disabled' };
    } else {
      const target = targetOf(row.channel.type, row.channel.config);
      outcome =
        'error' in target
          ? { ok: false, retry: false, error: target.error }
          : await deliver(row, row.attempt, target, {
              timeoutMs: opts.timeoutMs,
              capBytes: opts.capBytes ?? RESPONSE_CAP_BYTES,
              now: ctx.now(),
              mailer: target.type === 'email' ? mailerFor() : undefined,
            });
    }
    const next = planAfterAttempt(row.attempt, outcome, ctx.now(), policy);
    const recorded = await record({ orgId: row.orgId, id: row.id, attempt: row.attempt, next });
    const fields = { deliveryId: row.id, channelId: row.channelId, attempt: row.attempt };
    if (!recorded) {
      ctx.log.warn(fields, 'notification outcome not recorded: its lease had expired');
    } else if (next.status === 'failed') {
      ctx.log.warn({ ...fields, error: next.lastError }, 'notification dead-lettered');
    }
  };

  return {
    name: NOTIFY_JOB,
    everyMs: opts.everyMs,
    async run(ctx) {
      if (ctx.signal.aborted) return false;
      const now = ctx.now();
      const rows = await claimDue(ctx.orm, now, new Date(now.getTime() + leaseMs), batchSize);
      const record = groupCommit(ctx);
      // Not cancelled when the host stops: each attempt is bounded by the timeout, and one that
      // finishes is recorded rather than sent again by the next worker.
      const settled = await Promise.allSettled(rows.map((row) => attempt(ctx, record, row)));
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      // A row whose outcome could not be written keeps its lease and is retried when it expires.
      if (failed) throw failed.reason;
      return rows.length === batchSize;
    },
  };
}

/**
 * Records outcomes as deliveries finish, in group commits: at most one write in flight, and
 * whatever finished meanwhile goes in the next. Each delivery is recorded soon after it ends
 * (a crash re-sends little), without a commit per row.
 */
function groupCommit(ctx: JobContext): (o: Outcome) => Promise<boolean> {
  interface Waiting {
    outcome: Outcome;
    resolve(written: boolean): void;
    reject(err: unknown): void;
  }
  let queue: Waiting[] = [];
  let pumping = false;
  const pump = async () => {
    pumping = true;
    while (queue.length > 0) {
      const items = queue;
      queue = [];
      try {
        const written = await recordOutcomes(
          ctx.orm,
          items.map((w) => w.outcome),
        );
        for (const w of items) w.resolve(written.has(w.outcome.id));
      } catch (err) {
        for (const w of items) w.reject(err);
      }
    }
    pumping = false;
  };
  return (outcome) =>
    new Promise<boolean>((resolve, reject) => {
      queue.push({ outcome, resolve, reject });
      if (!pumping) void pump();
    });
}
