import { router } from '../trpc.js';

/** Agents (`/api/agents`): the same services as the REST routes. */
export const agentsRouter = router({});
