import { z } from 'zod';
import { ruleSchemas } from '@reins/engine';
import { parseInput } from '../../schemas/common.js';
import { createKeyInput } from '../../schemas/keys.js';
import { listDocsRulesInput, startBacktestInput } from '../../schemas/rules.js';
import { getBacktest, startBacktest } from '../../services/backtests.js';
import {
  bulkInput,
  listTransactionsInput,
  reviewInput,
  settleInput,
  transactionInput,
  voidInput,
} from '../../schemas/transactions.js';
import { settleReservation, voidReservation } from '../../services/reservations.js';
import { reviewTransaction } from '../../services/review.js';
import { createKey, listKeys, revokeKey } from '../../services/keys.js';
import {
  createRule,
  deleteRule,
  getRule,
  listRules,
  presentRule,
  presentRules,
  updateRule,
} from '../../services/rules.js';
import {
  dryRunEvaluate,
  getTransaction,
  getTransactionTrace,
  listTransactions,
  submitBulk,
  submitTransaction,
} from '../../services/transactions.js';
import { authedProcedure, publicProcedure, rawInput, router } from '../trpc.js';
import { agentsRouter } from './agents.js';
import { budgetsRouter, orgRouter } from './budgets.js';
import { vendorsRouter } from './vendors.js';
import { auditRouter } from './audit.js';
import { alertsRouter } from './alerts.js';
import { analyticsRouter } from './analytics.js';
import { channelsRouter } from './channels.js';
import { sdkRouter } from './sdk.js';
import { usersRouter } from './users.js';

const byId = z.strictObject({ id: z.string().min(1).max(100) });
const ruleUpdate = z.strictObject({
  id: z.string().min(1).max(100),
  patch: z.record(z.string(), z.unknown()),
});
const idOf = (input: unknown): string => parseInput(byId, input).id;
const withBody = <S extends z.ZodType>(body: S) =>
  z.strictObject({ id: z.string().min(1).max(100), body: body.optional() });
function idAndBody(input: unknown): { id: string; body: unknown } {
  const { id, body } = parseInput(withBody(z.unknown()), input);
  return { id, body: body ?? {} };
}

/**
 * The typed API: the same service functions as the REST routes, so the two cannot diverge.
 * Results are the REST bodies without `success` (tRPC reports failure as an error).
 */
export const appRouter = router({
  health: publicProcedure.query(() => ({ status: 'ok' as const })),
  transactions: router({
    submit: authedProcedure
      .input(rawInput(transactionInput))
      .mutation(({ ctx, input }) => submitTransaction(ctx.reins, input)),
    bulk: authedProcedure
      .input(rawInput(bulkInput))
      .mutation(({ ctx, input }) => submitBulk(ctx.reins, input)),
    settle: authedProcedure.input(rawInput(withBody(settleInput))).mutation(({ ctx, input }) => {
      const { id, body } = idAndBody(input);
      return settleReservation(ctx.reins, id, body);
    }),
    void: authedProcedure.input(rawInput(withBody(voidInput))).mutation(({ ctx, input }) => {
      const { id, body } = idAndBody(input);
      return voidReservation(ctx.reins, id, body);
    }),
    review: authedProcedure.input(rawInput(withBody(reviewInput))).mutation(({ ctx, input }) => {
      const { id, body } = idAndBody(input);
      return reviewTransaction(ctx.reins, id, body);
    }),
    list: authedProcedure
      .input(rawInput(listTransactionsInput))
      .query(({ ctx, input }) => listTransactions(ctx.reins, input)),
    get: authedProcedure
      .input(rawInput(byId))
      .query(({ ctx, input }) => getTransaction(ctx.reins, idOf(input))),
    trace: authedProcedure
      .input(rawInput(byId))
      .query(({ ctx, input }) => getTransactionTrace(ctx.reins, idOf(input))),
  }),
  policyRules: router({
    evaluate: authedProcedure
      .input(rawInput(transactionInput))
      .mutation(({ ctx, input }) => dryRunEvaluate(ctx.reins, input)),
    create: authedProcedure
      .input(rawInput(ruleSchemas.docs))
      .mutation(async ({ ctx, input }) =>
        presentRule(ctx.reins, await createRule(ctx.reins, 'docs', input), 'docs'),
      ),
    list: authedProcedure
      .input(rawInput(listDocsRulesInput.partial()))
      .query(async ({ ctx, input }) =>
        presentRules(ctx.reins, await listRules(ctx.reins, input), 'docs'),
      ),
    get: authedProcedure
      .input(rawInput(byId))
      .query(async ({ ctx, input }) =>
        presentRule(ctx.reins, await getRule(ctx.reins, idOf(input)), 'docs'),
      ),
    update: authedProcedure.input(rawInput(ruleUpdate)).mutation(async ({ ctx, input }) => {
      const { id, patch } = parseInput(ruleUpdate, input);
      return presentRule(ctx.reins, await updateRule(ctx.reins, 'docs', id, patch), 'docs');
    }),
    delete: authedProcedure.input(rawInput(byId)).mutation(async ({ ctx, input }) => {
      const id = idOf(input);
      await deleteRule(ctx.reins, id);
      return { id, deleted: true };
    }),
    startBacktest: authedProcedure
      .input(rawInput(startBacktestInput))
      .mutation(({ ctx, input }) => startBacktest(ctx.reins, input)),
    getBacktest: authedProcedure
      .input(rawInput(byId))
      .query(({ ctx, input }) => getBacktest(ctx.reins, idOf(input))),
  }),
  rules: router({
    list: authedProcedure.query(async ({ ctx }) =>
      presentRules(ctx.reins, await listRules(ctx.reins, {}), 'typed'),
    ),
    get: authedProcedure
      .input(rawInput(byId))
      .query(async ({ ctx, input }) =>
        presentRule(ctx.reins, await getRule(ctx.reins, idOf(input)), 'typed'),
      ),
    create: authedProcedure
      .input(rawInput(ruleSchemas.typed))
      .mutation(async ({ ctx, input }) =>
        presentRule(ctx.reins, await createRule(ctx.reins, 'typed', input), 'typed'),
      ),
    update: authedProcedure.input(rawInput(ruleUpdate)).mutation(async ({ ctx, input }) => {
      const { id, patch } = parseInput(ruleUpdate, input);
      return presentRule(ctx.reins, await updateRule(ctx.reins, 'typed', id, patch), 'typed');
    }),
    delete: authedProcedure.input(rawInput(byId)).mutation(async ({ ctx, input }) => {
      const id = idOf(input);
      await deleteRule(ctx.reins, id);
      return { id, deleted: true };
    }),
  }),
  keys: router({
    list: authedProcedure.query(({ ctx }) => listKeys(ctx.reins)),
    create: authedProcedure
      .input(rawInput(createKeyInput))
      .mutation(({ ctx, input }) => createKey(ctx.reins, input)),
    revoke: authedProcedure
      .input(rawInput(byId))
      .mutation(({ ctx, input }) => revokeKey(ctx.reins, idOf(input))),
  }),
  agents: agentsRouter,
  org: orgRouter,
  budgets: budgetsRouter,
  vendors: vendorsRouter,
  auditLog: auditRouter,
  alerts: alertsRouter,
  analytics: analyticsRouter,
  notificationChannels: channelsRouter,
  sdk: sdkRouter,
  users: usersRouter,
});

export type AppRouter = typeof appRouter;
