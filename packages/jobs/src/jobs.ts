/** The worker's jobs, as one list for whatever process hosts them. */
import { auditVerifyJob } from './auditVerify.js';
import { backtestJob } from './backtest.js';
import { expireHoldsJob, pruneIdempotencyJob, pruneSessionsJob, sealJob } from './maintenance.js';
import { anomalyJob } from './anomalies.js';
import { partitionsJob } from './partitions.js';
import { rollupJob } from './rollups.js';
import { notifyJob } from './notifications/job.js';
import type { Job } from './scheduler.js';
import type { JobsSettings } from './settings.js';

export function standardJobs(s: JobsSettings): Job[] {
  const jobs: Job[] = [];
  if (s.REINS_AUDIT_SEAL_MS > 0) jobs.push(sealJob(s.REINS_AUDIT_SEAL_MS));
  if (s.REINS_EXPIRE_HOLDS_MS > 0) jobs.push(expireHoldsJob(s.REINS_EXPIRE_HOLDS_MS));
  if (s.REINS_PARTITIONS_MS > 0) {
    jobs.push(partitionsJob(s.REINS_PARTITIONS_MS, s.REINS_TRANSACTION_RETENTION_MONTHS));
  }
  if (s.REINS_PRUNE_MS > 0) {
    jobs.push(pruneIdempotencyJob(s.REINS_PRUNE_MS, s.REINS_IDEMPOTENCY_RETENTION_HOURS));
    jobs.push(pruneSessionsJob(s.REINS_PRUNE_MS));
  }
  if (s.REINS_ROLLUP_MS > 0) jobs.push(rollupJob(s.REINS_ROLLUP_MS));
  if (s.REINS_ANOMALY_MS > 0) jobs.push(anomalyJob(s.REINS_ANOMALY_MS));
  if (s.REINS_NOTIFY_MS > 0) {
    jobs.push(
      notifyJob({
        everyMs: s.REINS_NOTIFY_MS,
        maxAttempts: s.REINS_NOTIFY_MAX_ATTEMPTS,
        timeoutMs: s.REINS_NOTIFY_TIMEOUT_MS,
        smtpUrl: s.SMTP_URL,
        smtpFrom: s.SMTP_FROM,
      }),
    );
  }
  if (s.REINS_BACKTEST_MS > 0) jobs.push(backtestJob(s.REINS_BACKTEST_MS));
  if (s.REINS_AUDIT_VERIFY_MS > 0) jobs.push(auditVerifyJob(s.REINS_AUDIT_VERIFY_MS));
  return jobs;
}
