import { z } from 'zod';
import { ACTIONS } from '@reins/engine';
import { queryBool } from './common.js';

export const listDocsRulesInput = z.strictObject({
  enabled: queryBool.optional(),
  action: z.enum(ACTIONS).optional(),
  vendor: z.string().max(40).optional(),
  /** Only the rules that wait for a budget (true), or only those that do not (false). */
  waiting: queryBool.optional(),
});
export type ListDocsRulesInput = z.output<typeof listDocsRulesInput>;
