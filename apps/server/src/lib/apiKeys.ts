import { createHash, timingSafeEqual } from 'node:crypto';
import { randomBase62 } from '@reins/ledger';

/** rk_<env>_<random>: 32 base62 chars ≈ 190 bits. */
export const KEY_PATTERN = /^rk_([a-z0-9]{1,12})_([A-Za-z0-9]{16,128})$/;

export function generateApiKey(env: string): string {
  return `rk_${env}_${randomBase62(32)}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function maskApiKey(key: string): string {
  const m = KEY_PATTERN.exec(key);
  const env = m?.[1] ?? 'live';
  return `rk_${env}_****${key.slice(-4)}`;
}

/** Anything shaped like a key (`rk_<env>_<secret>`) inside a longer text. */
const KEY_IN_TEXT = /rk_[a-z0-9]{1,12}_[A-Za-z0-9]{16,128}/g;

/**
 * `text` with every key in it masked: for what is logged of a request (a client that sends its
 * key in a query string must not find it in the server's logs).
 */
export function redactApiKeys(text: string): string {
  return text.replace(KEY_IN_TEXT, (key) => maskApiKey(key));
}

export function isWellFormedKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/** Constant-time comparison of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export const PERMISSIONS = [
  'transactions:write',
  'transactions:read',
  /** Approve or reject flagged transactions (the review queue). */
  'transactions:review',
  'policies:read',
  'policies:write',
  'agents:read',
  'agents:write',
  'audit:read',
  'alerts:read',
  'alerts:write',
  'analytics:read',
  'keys:admin',
  'org:admin',
  /** Manage dashboard users (create, change roles, disable, reset passwords). */
  'users:admin',
  '*',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export function hasPermission(granted: readonly string[], needed: Permission): boolean {
  return granted.includes('*') || granted.includes(needed);
}

/** Dashboard roles, mapped onto the permissions keys carry (the server enforces them). */
export const ROLES = ['admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** What an editor may not do: manage keys, the organization and its users. */
const ADMIN_ONLY: readonly string[] = ['keys:admin', 'org:admin', 'users:admin', '*'];

const ROLE_PERMISSIONS: Record<Role, readonly string[]> = {
  admin: ['*'],
  editor: PERMISSIONS.filter((p) => !ADMIN_ONLY.includes(p)),
  viewer: PERMISSIONS.filter((p) => p.endsWith(':read')),
};

export function permissionsOf(role: Role): readonly string[] {
  return ROLE_PERMISSIONS[role];
}
