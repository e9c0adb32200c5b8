export * from './entities.js';
export * from './orm.js';
export * from './embedded.js';
export * from './testing.js';
export * from './partitions.js';
export * from './xidShift.js';
export {
  createDatabase,
  dropDatabase,
  ensureDatabase,
  withDatabase,
  withMigrationLock,
} from './admin.js';
