/**
 * Reins' background jobs (`apps/worker`, or in-process in the server): the audit sealer, hold
 * expiry, idempotency pruning, monthly partitions (created ahead; retention), analytics rollups,
 * notification delivery, backtests, full verifications of the audit chain.
 */
export * from './scheduler.js';
export * from './settings.js';
export * from './maintenance.js';
export * from './partitions.js';
export * from './notifications/index.js';
export * from './backtestReplay.js';
export {
  backtestJob,
  BACKTEST_CHUNK,
  BACKTEST_LEASE_MS,
  BACKTEST_MAX_ATTEMPTS,
  type BacktestJobOptions,
} from './backtest.js';
export {
  auditVerifyJob,
  claimVerification,
  AUDIT_VERIFY_CHUNK,
  AUDIT_VERIFY_LEASE_MS,
  AUDIT_VERIFY_MAX_ATTEMPTS,
  type AuditVerificationResult,
  type AuditVerifyJobOptions,
} from './auditVerify.js';
export { standardJobs } from './jobs.js';
export { rollupJob } from './rollups.js';
export { anomalyJob, anomalyMessage } from './anomalies.js';
export * from './metrics.js';
export * from './logging.js';
