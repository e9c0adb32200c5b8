import type { RouteDef } from '../routes.js';

/** Notification channels (`/api/notification-channels`). */
export const channelsRoutes: RouteDef[] = [];
