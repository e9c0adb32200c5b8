import { z } from 'zod';
import { ident, pagination } from './common.js';

/**
 * `read` arrives as 'true'/'false' in a query string and as a boolean from tRPC; both mean the
 * same filter, and anything else is refused rather than read as "no filter".
 */
const readFilter = z.preprocess(
  (v) => (v === 'true' ? true : v === 'false' ? false : v),
  z.boolean({ error: 'must be true or false' }),
);

export const listAlertsInput = z.strictObject({
  read: readFilter.optional(),
  ruleId: ident(100).optional(),
  limit: pagination.limit,
  /** Opaque: the `nextCursor` of the previous page. */
  cursor: z.string().min(1).max(200).optional(),
});
export type ListAlertsInput = z.output<typeof listAlertsInput>;

export const alertIdInput = z.strictObject({ id: ident(100) });
