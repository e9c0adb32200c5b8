import { router } from '../trpc.js';

/** Policy alerts (`/api/policy-alerts`): the same services as the REST routes. */
export const alertsRouter = router({});
