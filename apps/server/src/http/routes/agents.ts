import type { RouteDef } from '../routes.js';

/** Agents (`/api/agents`). */
export const agentsRoutes: RouteDef[] = [];
