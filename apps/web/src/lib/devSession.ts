/**
 * The developer fallback's Session, for a server without `/api/auth`: built from what the key
 * itself may read (the org, and its own entry in the key list when it may list keys).
 */
import { AuthError, type Session } from './session.js';
import { statusOf, trpc } from './trpc.js';

/** `rk_live_abcd…wxyz` → `rk_live_****wxyz`, as the server masks keys in its list. */
export function maskKey(key: string): string {
  const env = /^rk_([a-z0-9]+)_/.exec(key)?.[1] ?? 'live';
  return `rk_${env}_****${key.slice(-4)}`;
}

export async function describeBearerKey(apiKey: string): Promise<Session> {
  const [org, keys] = await Promise.allSettled([trpc.org.get.query(), trpc.keys.list.query()]);
  const refused = (r: PromiseSettledResult<unknown>) =>
    r.status === 'rejected' && statusOf(r.reason) === 401;
  if (refused(org) || refused(keys)) {
    throw new AuthError(401, 'UNAUTHORIZED', 'The server did not accept this API key.');
  }
  if (org.status === 'rejected' && keys.status === 'rejected') {
    throw org.reason instanceof Error ? org.reason : new Error(String(org.reason));
  }
  const mine =
    keys.status === 'fulfilled'
      ? keys.value.keys.find((k) => k.isActive && k.keyMasked === maskKey(apiKey))
      : undefined;
  return {
    user: null,
    keyId: mine?.id ?? null,
    orgId: org.status === 'fulfilled' ? org.value.org.id : 'org',
    orgName: org.status === 'fulfilled' ? org.value.org.name : 'Organization',
    // A key that cannot list keys does not learn its permissions: the UI shows every action and
    // the server refuses what the key lacks (a 403 shown where it happens).
    permissions: mine?.permissions ?? ['*'],
    csrfToken: '',
    expiresAt: new Date(Date.now() + 12 * 3600_000).toISOString(),
  };
}
