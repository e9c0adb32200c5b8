import { z } from 'zod';
import { isValidTimeZone } from '@reins/engine';
import { budgetCents, ident } from './common.js';

/** An organization's budget fields, by period; null clears one. */
export const periodBudgetFields = {
  hourlyBudgetCents: budgetCents.nullable().optional(),
  dailyBudgetCents: budgetCents.nullable().optional(),
  weeklyBudgetCents: budgetCents.nullable().optional(),
  monthlyBudgetCents: budgetCents.nullable().optional(),
};

export const timeZone = z
  .string()
  .min(1)
  .max(64)
  .refine(isValidTimeZone, 'must be an IANA time zone, such as UTC or Europe/Berlin');

/** PUT /api/org: a partial update; `id` may be repeated unchanged (a client PUTting back a GET). */
export const updateOrgInput = z.strictObject({
  id: z.string().optional(),
  name: ident(200).optional(),
  timeZone: timeZone.optional(),
  defaultAction: z.enum(['pass', 'block']).optional(),
  ...periodBudgetFields,
});
export type UpdateOrgInput = z.output<typeof updateOrgInput>;
