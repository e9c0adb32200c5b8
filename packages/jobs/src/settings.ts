/**
 * What the jobs are configured by: fields of an environment schema, spread into the `env.ts` of
 * each app that runs them (the worker, and the server when it runs the worker in-process).
 */
import { z } from 'zod';

const intFrom = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

export const jobsEnvShape = {
  /** How often pending audit events are sealed into the hash chain (ms); 0 = never. */
  REINS_AUDIT_SEAL_MS: intFrom(1000),
  /** How often reservations past their TTL are released (ms); 0 = never. */
  REINS_EXPIRE_HOLDS_MS: intFrom(5000),
  /** Idempotency records are kept this long (hours; at least the 24 the API promises). */
  REINS_IDEMPOTENCY_RETENTION_HOURS: intFrom(168, 24),
  /**
   * How often the monthly partitions of transactions and audit events are created ahead (and,
   * with a retention, expired months dropped) (ms); 0 = never (the migration created three
   * months ahead; later rows wait in the default partition).
   */
  REINS_PARTITIONS_MS: intFrom(3_600_000),
  /**
   * Transactions are kept this many whole months besides the current one, then dropped a month
   * partition at a time; 0 = for ever (the default). At least 2. Audit events are kept for ever.
   */
  REINS_TRANSACTION_RETENTION_MONTHS: intFrom(0).refine((n) => n === 0 || n >= 2, {
    message: 'must be 0 (keep for ever) or at least 2',
  }),
  /** How often old idempotency records are pruned (ms); 0 = never. */
  REINS_PRUNE_MS: intFrom(60_000),
  /** How often new transactions are rolled up for analytics (ms); 0 = never (reads stay exact). */
  REINS_ROLLUP_MS: intFrom(1000),
  /** How often spend anomalies are looked for and alerted (ms); 0 = never. */
  REINS_ANOMALY_MS: intFrom(60_000),
  /** How often the notification outbox is polled for due deliveries (ms); 0 = never. */
  REINS_NOTIFY_MS: intFrom(1000),
  /** Attempts at one notification before it is dead-lettered (`failed`). */
  REINS_NOTIFY_MAX_ATTEMPTS: intFrom(8, 1),
  /** Deadline of one delivery attempt: connect, send, answer (ms). */
  REINS_NOTIFY_TIMEOUT_MS: intFrom(10_000, 100),
  /** The SMTP server email channels are sent through (`smtp://user:pass@host:587`, `smtps://…`). */
  SMTP_URL: z
    .url({ protocol: /^smtps?$/, message: 'must be an smtp:// or smtps:// URL' })
    .optional(),
  /** The From of notification emails. */
  SMTP_FROM: z.string().min(3).default('Reins <notifications@reins.invalid>'),
  /** How often queued backtests are looked for (ms); 0 = never (no backtest runs here). */
  REINS_BACKTEST_MS: intFrom(1000),
  /** How often requested full verifications of audit chains are looked for (ms); 0 = never. */
  REINS_AUDIT_VERIFY_MS: intFrom(1000),
};

export const jobsEnvSchema = z.object(jobsEnvShape);

/**
 * Where a process serves its Prometheus metrics (`GET /metrics`): a port of its own, never the
 * API's. Unset = no metrics listener. Spread into the server's and the worker's env schemas.
 */
export const metricsEnvShape = {
  REINS_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** The metrics listener's address: loopback unless the operator opens it (`0.0.0.0`). */
  REINS_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
};
export type JobsSettings = z.infer<typeof jobsEnvSchema>;

/**
 * Parses `source` with an app's environment schema: unset and empty variables are absent, and
 * every bad one is named in one error.
 */
export function parseEnv<S extends z.ZodType>(schema: S, source: NodeJS.ProcessEnv): z.output<S> {
  const clean = Object.fromEntries(
    Object.entries(source).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = schema.safeParse(clean);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
