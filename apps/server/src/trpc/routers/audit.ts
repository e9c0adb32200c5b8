import { router } from '../trpc.js';

/** The audit log (`/api/v1/audit-log`): the same services as the REST routes. */
export const auditRouter = router({});
