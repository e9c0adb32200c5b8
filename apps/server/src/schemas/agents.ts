import { z } from 'zod';
import { VENDORS } from '@reins/engine';
import { budgetCents, ident, metadataSchema, text } from './common.js';

/**
 * Agent ids appear in rule globs (`free-tier-*`), URLs and CSV exports: letters, digits and
 * `._:-/@` cover the ids agents use (`support-bot-v2`, `team/pipeline@v3`) and nothing that needs
 * escaping. `*` is a glob in rules, so it cannot be part of an id.
 */
const AGENT_ID = /^[A-Za-z0-9._:\-/@]+$/;

export const agentId = z
  .string()
  .min(1)
  .max(128)
  .regex(AGENT_ID, 'may contain only letters, digits and . _ : - / @');

export const vendorName = z
  .string()
  .max(40)
  .transform((v) => v.trim().toLowerCase())
  .pipe(z.enum(VENDORS, { message: `must be one of ${VENDORS.join(', ')}` }));

const agentFields = {
  name: ident(200),
  description: text(2000).nullish(),
  vendor: vendorName.nullish(),
  monthlyBudgetCents: budgetCents.nullish(),
  /** null clears it (stored as `{}`). */
  metadata: metadataSchema().nullish(),
};

export const createAgentInput = z.strictObject({ agentId, ...agentFields });
export type CreateAgentInput = z.output<typeof createAgentInput>;

/** `agentId` may be repeated unchanged (a client PUTting back what it read), never changed. */
export const updateAgentInput = z.strictObject({
  agentId: z.string().optional(),
  ...agentFields,
  name: agentFields.name.optional(),
});
export type UpdateAgentInput = z.output<typeof updateAgentInput>;

export const listAgentsInput = z.strictObject({ vendor: vendorName.optional() });
