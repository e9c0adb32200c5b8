import { z } from 'zod';
import { parseInput } from '../../schemas/common.js';
import {
  agentId,
  createAgentInput,
  listAgentsInput,
  updateAgentInput,
} from '../../schemas/agents.js';
import {
  createAgent,
  deleteAgent,
  getAgent,
  listAgents,
  updateAgent,
} from '../../services/agents.js';
import { authedProcedure, rawInput, router } from '../trpc.js';

const byAgentId = z.strictObject({ agentId: z.string().min(1).max(128) });
/** The agent to update is named by `agentId`; the other fields are the patch, as in REST. */
const updateInput = updateAgentInput.extend({ agentId });
const agentIdOf = (input: unknown): string => parseInput(byAgentId, input).agentId;

/** `{agentId, ...patch}` → the id and the patch, which the service validates as REST's body. */
function splitUpdate(input: unknown): [string, Record<string, unknown>] {
  const { agentId: id, ...patch } = parseInput(
    z.looseObject({ agentId: z.string().min(1).max(128) }),
    input,
  );
  return [id, patch];
}

/** Agents (`/api/agents`): the same services as the REST routes. */
export const agentsRouter = router({
  create: authedProcedure
    .input(rawInput(createAgentInput))
    .mutation(({ ctx, input }) => createAgent(ctx.reins, input)),
  list: authedProcedure
    .input(rawInput(listAgentsInput.optional()))
    .query(({ ctx, input }) => listAgents(ctx.reins, input ?? {})),
  get: authedProcedure
    .input(rawInput(byAgentId))
    .query(({ ctx, input }) => getAgent(ctx.reins, agentIdOf(input))),
  update: authedProcedure.input(rawInput(updateInput)).mutation(({ ctx, input }) => {
    const [id, patch] = splitUpdate(input);
    return updateAgent(ctx.reins, id, patch);
  }),
  delete: authedProcedure
    .input(rawInput(byAgentId))
    .mutation(({ ctx, input }) => deleteAgent(ctx.reins, agentIdOf(input))),
});
