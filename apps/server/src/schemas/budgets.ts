import { z } from 'zod';
import { ident } from './common.js';
import { periodBudgetFields } from './org.js';

/** The path segment of a budget's kind, and the kind it names. */
export const BUDGET_KINDS = { roles: 'role', teams: 'team', projects: 'project' } as const;
export type BudgetKindPath = keyof typeof BUDGET_KINDS;
export type BudgetKind = (typeof BUDGET_KINDS)[BudgetKindPath];

export const budgetKindPath = z.enum(['roles', 'teams', 'projects'], {
  message: 'must be roles, teams or projects',
});

/** A role, team or project id as rules name it (`*` would be a glob there). */
export const budgetSubject = ident(200).refine((s) => !s.includes('*'), 'must not contain *');

/** PUT /api/budgets/:kind/:id: the periods to set (null clears one); at least one. */
export const putBudgetInput = z
  .strictObject({
    // A client may PUT back what it read.
    kind: z.string().optional(),
    id: z.string().optional(),
    ...periodBudgetFields,
  })
  .refine(
    (b) =>
      b.hourlyBudgetCents !== undefined ||
      b.dailyBudgetCents !== undefined ||
      b.weeklyBudgetCents !== undefined ||
      b.monthlyBudgetCents !== undefined,
    'name at least one of hourlyBudgetCents, dailyBudgetCents, weeklyBudgetCents, monthlyBudgetCents',
  );
export type PutBudgetInput = z.output<typeof putBudgetInput>;

export const listBudgetsInput = z.strictObject({ kind: budgetKindPath.optional() });
