import { anomaliesInput, forecastInput, summaryInput } from '../../schemas/analytics.js';
import {
  analyticsAnomalies,
  analyticsForecast,
  analyticsSummary,
} from '../../services/analytics.js';
import { authedProcedure, rawInput, router } from '../trpc.js';

/** Analytics (`/api/analytics`): the same services as the REST routes. */
export const analyticsRouter = router({
  summary: authedProcedure
    .input(rawInput(summaryInput))
    .query(({ ctx, input }) => analyticsSummary(ctx.reins, input)),
  forecast: authedProcedure
    .input(rawInput(forecastInput))
    .query(({ ctx, input }) => analyticsForecast(ctx.reins, input)),
  anomalies: authedProcedure
    .input(rawInput(anomaliesInput))
    .query(({ ctx, input }) => analyticsAnomalies(ctx.reins, input)),
});
