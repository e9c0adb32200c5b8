/**
 * The REST surface of the docs, declared once: the server registers these routes and the OpenAPI
 * document describes them from the same list. Every route calls the service layer that the tRPC
 * procedures call too.
 */
import type { RouteDef } from '../routeTypes.js';
import { agentsRoutes } from './agents.js';
import { alertsRoutes } from './alerts.js';
import { analyticsRoutes } from './analytics.js';
import { auditRoutes } from './audit.js';
import { budgetsRoutes } from './budgets.js';
import { channelsRoutes } from './channels.js';
import { keysRoutes } from './keys.js';
import { rulesRoutes } from './rules.js';
import { sdkRoutes } from './sdk.js';
import { transactionsRoutes } from './transactions.js';
import { vendorsRoutes } from './vendors.js';

export const routes: RouteDef[] = [
  ...transactionsRoutes,
  ...rulesRoutes,
  ...keysRoutes,
  ...agentsRoutes,
  ...budgetsRoutes,
  ...vendorsRoutes,
  ...auditRoutes,
  ...alertsRoutes,
  ...analyticsRoutes,
  ...channelsRoutes,
  ...sdkRoutes,
];
