/**
 * Reins' background jobs (`apps/worker`, or in-process in the server): the audit sealer, hold
 * expiry, idempotency pruning, analytics rollups, notification delivery, backtests.
 */
export * from './scheduler.js';
export * from './settings.js';
export * from './maintenance.js';
export * from './notifications/index.js';
export * from './backtestReplay.js';
export {
  backtestJob,
  BACKTEST_CHUNK,
  BACKTEST_LEASE_MS,
  BACKTEST_MAX_ATTEMPTS,
  type BacktestJobOptions,
} from './backtest.js';
export { standardJobs } from './jobs.js';
export { rollupJob } from './rollups.js';
export { anomalyJob, anomalyMessage } from './anomalies.js';
