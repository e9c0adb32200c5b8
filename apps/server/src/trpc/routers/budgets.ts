import { z } from 'zod';
import { parseInput } from '../../schemas/common.js';
import { updateOrgInput } from '../../schemas/org.js';
import { listBudgetsInput } from '../../schemas/budgets.js';
import {
  budgetUsage,
  deleteBudget,
  getBudget,
  listBudgets,
  putBudget,
} from '../../services/budgets.js';
import { getOrg, updateOrg } from '../../services/orgs.js';
import { authedProcedure, rawInput, router } from '../trpc.js';

const subject = z.strictObject({ kind: z.string().max(20), id: z.string().max(200) });
/** `{kind, id, ...periods}`: the budget named as in REST's path, the rest its body. */
const putInput = z.looseObject({ kind: z.string().max(20), id: z.string().max(200) });

/** The organization's settings (`/api/org`): the same services as the REST routes. */
export const orgRouter = router({
  get: authedProcedure.query(({ ctx }) => getOrg(ctx.reins)),
  update: authedProcedure
    .input(rawInput(updateOrgInput))
    .mutation(({ ctx, input }) => updateOrg(ctx.reins, input)),
});

/** Budgets of roles, teams and projects (`/api/budgets`). */
export const budgetsRouter = router({
  usage: authedProcedure.query(({ ctx }) => budgetUsage(ctx.reins)),
  list: authedProcedure
    .input(rawInput(listBudgetsInput.optional()))
    .query(({ ctx, input }) => listBudgets(ctx.reins, input ?? {})),
  get: authedProcedure.input(rawInput(subject)).query(({ ctx, input }) => {
    const { kind, id } = parseInput(subject, input);
    return getBudget(ctx.reins, kind, id);
  }),
  set: authedProcedure.input(rawInput(putInput)).mutation(({ ctx, input }) => {
    const { kind, id, ...body } = parseInput(putInput, input);
    return putBudget(ctx.reins, kind, id, body);
  }),
  delete: authedProcedure.input(rawInput(subject)).mutation(({ ctx, input }) => {
    const { kind, id } = parseInput(subject, input);
    return deleteBudget(ctx.reins, kind, id);
  }),
});
