import type { RouteDef } from '../routes.js';

/** Policy alerts (`/api/policy-alerts`). */
export const alertsRoutes: RouteDef[] = [];
