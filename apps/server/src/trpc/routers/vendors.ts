import { router } from '../trpc.js';

/** Vendors, rate limits and the price table (`/api/vendors`): the same services as the REST routes. */
export const vendorsRouter = router({});
