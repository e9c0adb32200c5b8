import { z } from 'zod';
import { PERMISSIONS } from '../lib/apiKeys.js';
import { ident } from './common.js';

export const createKeyInput = z.strictObject({
  name: ident(100),
  permissions: z
    .array(z.enum(PERMISSIONS, { message: `must be one of ${PERMISSIONS.join(', ')}` }))
    .min(1)
    .max(PERMISSIONS.length),
  /** The `<env>` part of the key (`rk_<env>_…`); default from the server's REINS_KEY_ENV. */
  env: z
    .string()
    .regex(/^[a-z0-9]{1,12}$/, 'must be 1–12 lowercase letters or digits')
    .optional(),
});
export type CreateKeyInput = z.output<typeof createKeyInput>;
