/** The one place the worker reads environment variables. */
import { jobsEnvShape, metricsEnvShape, parseEnv } from '@reins/jobs';
import { z } from 'zod';

const schema = z.object({
  /** The PostgreSQL the servers use. The embedded database admits one process: its server runs the jobs. */
  DATABASE_URL: z.url({ message: 'must be the PostgreSQL URL the servers use' }),
  REINS_DB_POOL: z.coerce.number().int().min(1).default(4),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'silent']).default('info'),
  ...jobsEnvShape,
  ...metricsEnvShape,
  /** Shutdown waits this long at most for the job runs in progress; past it, exit status 1. */
  REINS_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
});

export type WorkerEnv = z.infer<typeof schema>;

/** Every variable the worker reads (docs/operations.md lists each; env.test.ts checks it). */
export const WORKER_ENV_VARS = Object.keys(schema.shape);

export function readEnv(source: NodeJS.ProcessEnv = process.env): WorkerEnv {
  return parseEnv(schema, source);
}
