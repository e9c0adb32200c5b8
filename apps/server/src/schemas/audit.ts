import { z } from 'zod';
import { ident, isoEndExclusive, isoInstant, keysetPagination, onePagingMode } from './common.js';

/**
 * The audit log's filters (list, CSV export). `action` is resolved by `actionFilter`
 * (services/auditLog.ts): an event type (`transaction.blocked`), an event type's prefix
 * (`policy_rule`), or `policy_rule.<action>` — the events in which a policy rule took that action.
 */
export const auditFilters = {
  action: ident(100).optional(),
  entityType: ident(100).optional(),
  /** Inclusive. */
  startDate: isoInstant.optional(),
  /** A plain date includes that whole day (UTC); a date-time includes that instant. */
  endDate: isoEndExclusive.optional(),
};

export const auditCsvInput = z.strictObject(auditFilters);
export type AuditCsvInput = z.output<typeof auditCsvInput>;

export const listAuditInput = z
  .strictObject({ ...auditFilters, ...keysetPagination })
  .superRefine(onePagingMode);
export type ListAuditInput = z.output<typeof listAuditInput>;

export const verifyAuditInput = z.strictObject({});

/** `POST /api/v1/audit-log/verifications` takes no options (yet). */
export const startVerificationInput = z.strictObject({});
