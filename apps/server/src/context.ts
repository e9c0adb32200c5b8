import type { EntityManager } from '@mikro-orm/postgresql';
import type { Core, Ctx } from './core.js';
import type { Caller } from './machinery/authenticator.js';
import type { DashboardSession } from './machinery/sessions.js';

/** A request context from an authenticated caller: what tests and both adapters build. */
export function createContextInner(
  core: Core,
  caller: Caller,
  idempotencyKey: string | null = null,
): Ctx {
  let em: EntityManager | undefined;
  return {
    core,
    // Forked on first use: the transaction hot path never touches the unit of work, and a fork
    // per request was 5 % of the server's CPU there.
    get em() {
      return (em ??= core.orm.em.fork());
    },
    orgId: caller.orgId,
    keyId: caller.keyId,
    userId: caller.userId ?? null,
    session: (caller.session as DashboardSession | null | undefined) ?? null,
    permissions: caller.permissions,
    actor: caller.actor ?? `key:${caller.keyId ?? ''}`,
    idempotencyKey,
  };
}

/**
 * Authenticates the Authorization header (from `client`, its address) and applies the key's rate
 * limit: what both adapters do before anything else of a request is read.
 */
export async function authenticate(
  core: Core,
  authorization: string | undefined,
  client?: string,
): Promise<Caller> {
  const caller = await core.auth.authenticate(authorization, client);
  core.limiter.take(caller.keyId);
  return caller;
}

/** The rate limit's bucket of a caller: its key's, or its user's. */
export function limitKey(caller: Caller): string {
  return caller.keyId ?? `user:${caller.userId ?? ''}`;
}

/**
 * Authenticates the `reins_session` cookie's token and applies the caller's rate limit (a session
 * signed in with a key shares that key's bucket).
 */
export async function authenticateSession(core: Core, token: string): Promise<Caller> {
  const caller = await core.sessions.authenticate(token);
  core.limiter.take(limitKey(caller));
  return caller;
}
