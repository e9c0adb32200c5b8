import type { RouteDef } from '../routes.js';

/** The audit log (`/api/v1/audit-log`). */
export const auditRoutes: RouteDef[] = [];
