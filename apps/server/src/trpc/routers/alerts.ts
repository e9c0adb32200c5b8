import { parseInput } from '../../schemas/common.js';
import { alertIdInput, listAlertsInput } from '../../schemas/alerts.js';
import { getAlert, listAlerts, markAlertRead } from '../../services/alerts.js';
import { authedProcedure, rawInput, router } from '../trpc.js';

const idOf = (input: unknown): string => parseInput(alertIdInput, input).id;

/** Policy alerts (`/api/policy-alerts`): the same services as the REST routes. */
export const alertsRouter = router({
  list: authedProcedure
    .input(rawInput(listAlertsInput.partial()))
    .query(({ ctx, input }) => listAlerts(ctx.reins, input)),
  get: authedProcedure
    .input(rawInput(alertIdInput))
    .query(({ ctx, input }) => getAlert(ctx.reins, idOf(input))),
  markRead: authedProcedure
    .input(rawInput(alertIdInput))
    .mutation(({ ctx, input }) => markAlertRead(ctx.reins, idOf(input))),
});
