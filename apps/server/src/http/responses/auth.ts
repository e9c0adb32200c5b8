/** Response bodies of the dashboard's session routes (`/api/auth/*`, http/auth.ts). */
import { z } from 'zod';
import { ROLES } from '../../lib/apiKeys.js';
import { docs, instant } from './common.js';

export const Session = z
  .object({
    user: z
      .object({
        id: z.string(),
        email: z.string(),
        name: z.string().nullable(),
        role: z.enum(ROLES),
      })
      .nullable()
      .describe('The signed-in user; null for a session opened with an API key'),
    keyId: z.string().nullable(),
    orgId: z.string(),
    orgName: z.string(),
    permissions: z.array(z.string()),
    csrfToken: z
      .string()
      .describe("Send as x-reins-csrf on every state-changing request ('' with a bearer key)"),
    expiresAt: instant.nullable().describe('When the session ends unless used; null for a key'),
  })
  .meta({ id: 'Session' });

export const SessionBody = docs({ session: Session });
