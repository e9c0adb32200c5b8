import { z } from 'zod';
import { ROLES } from '../lib/apiKeys.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../lib/passwords.js';
import { ident } from './common.js';

/** An email address, compared and stored in lower case. */
export const email = z
  .string()
  .trim()
  .min(3)
  .max(254)
  .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address')
  .transform((s) => s.toLowerCase());

const role = z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` });

/** A new password. */
export const newPassword = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH);

/** A password as typed at sign-in (checked, not judged). */
const password = z.string().min(1).max(PASSWORD_MAX_LENGTH);

export const passwordLoginInput = z.strictObject({ email, password });
export const keyLoginInput = z.strictObject({ apiKey: z.string().min(1).max(200) });
export const redeemLinkInput = z.strictObject({
  token: z.string().min(1).max(200),
  password: newPassword,
});
export const changePasswordInput = z.strictObject({
  currentPassword: password,
  newPassword,
});

export const createUserInput = z.strictObject({
  email,
  name: ident(200).optional(),
  role,
});
export const updateUserInput = z.strictObject({
  id: ident(100),
  role: role.optional(),
  name: ident(200).nullable().optional(),
  disabled: z.boolean().optional(),
});
export const userIdInput = z.strictObject({ id: ident(100) });
