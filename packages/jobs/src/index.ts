/**
 * Reins' background jobs (`apps/worker`, or in-process in the server): the audit sealer, hold
 * expiry, idempotency pruning, analytics rollups, notification delivery, backtests.
 */
export * from './scheduler.js';
export * from './settings.js';
export * from './maintenance.js';
export * from './notifications/index.js';
export { standardJobs } from './jobs.js';
export { rollupJob } from './rollups.js';
export { anomalyJob, anomalyMessage } from './anomalies.js';
