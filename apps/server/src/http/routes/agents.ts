import { createAgentInput, listAgentsInput, updateAgentInput } from '../../schemas/agents.js';
import {
  createAgent,
  deleteAgent,
  getAgent,
  listAgents,
  updateAgent,
} from '../../services/agents.js';
import type { RouteDef, RouteInput } from '../routeTypes.js';
import {
  AgentList,
  CreatedAgent,
  DeletedAgent,
  OneAgent,
  UpdatedAgent,
} from '../responses/registry.js';

const agentIdOf = (i: RouteInput): string => i.params.agentId ?? '';

/** Agents (`/api/agents`). */
export const agentsRoutes: RouteDef[] = [
  {
    method: 'POST',
    url: '/api/agents',
    operationId: 'createAgent',
    examples: {
      body: {
        agentId: 'support-bot-v2',
        name: 'Customer Support Bot v2',
        description: 'Handles Tier 1 customer support across email and chat',
        vendor: 'openai',
        monthlyBudgetCents: 50000,
        metadata: { team: 'support', tier: 'tier1', region: 'us-east' },
      },
    },
    response: CreatedAgent,
    conflicts: ['ALREADY_EXISTS'],
    summary: 'Register an agent with its monthly budget and metadata',
    tag: 'Agents',
    permission: 'agents:write',
    envelope: 'docs',
    status: 201,
    body: createAgentInput,
    run: (ctx, i) => createAgent(ctx, i.body),
  },
  {
    method: 'GET',
    url: '/api/agents',
    operationId: 'listAgents',
    response: AgentList,
    summary: 'List agents (filter vendor), oldest first',
    tag: 'Agents',
    permission: 'agents:read',
    envelope: 'docs',
    status: 200,
    query: listAgentsInput,
    run: (ctx, i) => listAgents(ctx, i.query),
  },
  {
    method: 'GET',
    url: '/api/agents/:agentId',
    operationId: 'getAgent',
    response: OneAgent,
    summary: 'Get an agent',
    tag: 'Agents',
    permission: 'agents:read',
    envelope: 'docs',
    status: 200,
    run: (ctx, i) => getAgent(ctx, agentIdOf(i)),
  },
  {
    method: 'PUT',
    url: '/api/agents/:agentId',
    operationId: 'updateAgent',
    response: UpdatedAgent,
    summary: 'Partially update an agent (name, description, vendor, monthlyBudgetCents, metadata)',
    tag: 'Agents',
    permission: 'agents:write',
    envelope: 'docs',
    status: 200,
    body: updateAgentInput,
    run: (ctx, i) => updateAgent(ctx, agentIdOf(i), i.body),
  },
  {
    method: 'DELETE',
    url: '/api/agents/:agentId',
    operationId: 'deleteAgent',
    response: DeletedAgent,
    summary: 'Delete an agent (its past transactions stay recorded)',
    tag: 'Agents',
    permission: 'agents:write',
    envelope: 'docs',
    status: 200,
    run: (ctx, i) => deleteAgent(ctx, agentIdOf(i)),
  },
];
