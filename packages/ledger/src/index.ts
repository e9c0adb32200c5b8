/**
 * The money's bookkeeping that every Reins process shares (the server's hot path and services,
 * the CLI, the worker): the database plumbing, window counters, the idempotency store, the audit
 * writer and the audit hash chain.
 */
export * from './sql.js';
export * from './database.js';
export { DataDirLocked, lockDataDir, type LockHolder } from './dataDirLock.js';
export { canonicalJson } from './canonicalJson.js';
export { newId, randomBase62, type IdPrefix } from './ids.js';
export * from './counters.js';
export * from './idempotency.js';
export * from './audit.js';
export * from './auditChain.js';
export * from './auditVerify.js';
export * from './seed.js';
export * from './holds.js';
export * from './leases.js';
export * from './rollups.js';
export * from './anomalies.js';
