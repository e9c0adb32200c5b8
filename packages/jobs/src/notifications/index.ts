/** Notification delivery from the outbox: webhooks (signed), Slack incoming webhooks, email. */
export * from './backoff.js';
export * from './signing.js';
export * from './messages.js';
export { classifyHttp, RESPONSE_CAP_BYTES, USER_AGENT, type Mailer } from './deliver.js';
export { postJson, type PostResult } from './http.js';
export { notifyJob, NOTIFY_JOB, DEFAULT_SMTP_FROM, type NotifyJobOptions } from './job.js';
