import { Forbidden } from '../errors.js';
import { hasPermission, type Permission } from '../lib/apiKeys.js';

/** Refuses a caller whose key lacks `p` (403 FORBIDDEN). */
export function requirePermission(
  caller: { permissions: readonly string[]; userId?: string | null },
  p: Permission,
): void {
  if (!hasPermission(caller.permissions, p)) {
    throw new Forbidden(p, caller.userId ? 'Your role' : 'This API key');
  }
}
