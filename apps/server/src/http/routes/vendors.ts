import type { RouteDef } from '../routes.js';

/** Vendors, rate limits and the price table (`/api/vendors`). */
export const vendorsRoutes: RouteDef[] = [];
