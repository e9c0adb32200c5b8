import { z } from 'zod';

/** `GET /health` when the database answers. */
export const Health = z.object({
  success: z.literal(true),
  status: z.literal('ok'),
  database: z.literal('reachable'),
});
