import type { RouteDef } from '../routeTypes.js';
import { anomaliesInput, forecastInput, summaryInput } from '../../schemas/analytics.js';
import {
  analyticsAnomalies,
  analyticsForecast,
  analyticsSummary,
} from '../../services/analytics.js';
import { AnalyticsAnomalies, AnalyticsForecast, AnalyticsSummary } from '../responses/oversight.js';

/** Analytics (`/api/analytics`): read from the worker's rollups, exact at any moment. */
export const analyticsRoutes: RouteDef[] = [
  {
    method: 'GET',
    url: '/api/analytics/summary',
    operationId: 'getAnalyticsSummary',
    response: AnalyticsSummary,
    summary: 'Spend of a period (or days) by vendor, agent, model and user, with counts',
    tag: 'Analytics',
    permission: 'analytics:read',
    envelope: 'docs',
    status: 200,
    query: summaryInput,
    run: (ctx, i) => analyticsSummary(ctx, i.query),
  },
  {
    method: 'GET',
    url: '/api/analytics/forecast',
    operationId: 'getAnalyticsForecast',
    response: AnalyticsForecast,
    summary: 'End-of-period spend projected at the burn rate so far, against the budget',
    tag: 'Analytics',
    permission: 'analytics:read',
    envelope: 'docs',
    status: 200,
    query: forecastInput,
    run: (ctx, i) => analyticsForecast(ctx, i.query),
  },
  {
    method: 'GET',
    url: '/api/analytics/anomalies',
    operationId: 'getAnalyticsAnomalies',
    response: AnalyticsAnomalies,
    summary: "Spend and request-rate spikes per agent against the agent's own history",
    tag: 'Analytics',
    permission: 'analytics:read',
    envelope: 'docs',
    status: 200,
    query: anomaliesInput,
    run: (ctx, i) => analyticsAnomalies(ctx, i.query),
  },
];
