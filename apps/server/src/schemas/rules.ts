import { z } from 'zod';
import { ACTIONS } from '@reins/engine';
import { queryBool } from './common.js';

export const listDocsRulesInput = z.strictObject({
  enabled: queryBool.optional(),
  action: z.enum(ACTIONS).optional(),
  vendor: z.string().max(40).optional(),
});
export type ListDocsRulesInput = z.output<typeof listDocsRulesInput>;
