import { router } from '../trpc.js';

/** Notification channels (`/api/notification-channels`): the same services as the REST routes. */
export const channelsRouter = router({});
