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
  /** How often old idempotency records are pruned (ms); 0 = never. */
  REINS_PRUNE_MS: intFrom(60_000),
  /** How often queued backtests are looked for (ms); 0 = never (no backtest runs here). */
  REINS_BACKTEST_MS: intFrom(1000),
};

export const jobsEnvSchema = z.object(jobsEnvShape);
export type JobsSettings = z.infer<typeof jobsEnvSchema>;
