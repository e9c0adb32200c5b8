/**
 * Signing in to the dashboard: with email and password, with an API key, or by redeeming a
 * one-time sign-in link; signing out; changing one's password. A session is a database row keyed
 * by the SHA-256 of the cookie's random token, with its own CSRF token.
 */
import { LockMode } from '@mikro-orm/core';
import { Organization, Session, SignInToken, User } from '@reins/db';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Core, Ctx } from '../core.js';
import { DomainError, NotFound, Unauthorized, ValidationError } from '../errors.js';
import { hashPassword, verifyPassword } from '../lib/passwords.js';
import type { Caller, KeyCaller } from '../machinery/authenticator.js';
import {
  hashToken,
  isWellFormedToken,
  newToken,
  type SessionCaller,
  type SessionUser,
} from '../machinery/sessions.js';
import { parseInput } from '../schemas/common.js';
import {
  changePasswordInput,
  keyLoginInput,
  passwordLoginInput,
  redeemLinkInput,
} from '../schemas/users.js';
import { audit } from './audit.js';
import { endUserSessions } from './users.js';

/** One answer for a wrong password, an unknown email and a disabled user: nothing to probe. */
export const WRONG_CREDENTIALS = 'Invalid email or password';
export const BAD_LINK = 'This sign-in link is invalid, already used or expired';

/** GET /api/auth/session, `users.me`. */
export interface SessionView {
  user: SessionUser | null;
  keyId: string | null;
  orgId: string;
  orgName: string;
  permissions: string[];
  /** Send as `x-reins-csrf` on every state-changing request ('' without a session: bearer). */
  csrfToken: string;
  /** When the session ends unless used again; null for a bearer key (no session). */
  expiresAt: string | null;
}

export interface SignedIn {
  /** The cookie's value (shown to nobody else). */
  token: string;
  session: SessionView;
  /** The cookie's Max-Age: the session's absolute lifetime. */
  maxAgeSeconds: number;
}

export async function sessionView(em: EntityManager, caller: Caller): Promise<SessionView> {
  const s = (caller as Partial<SessionCaller>).session;
  let orgName = s?.orgName;
  if (orgName === undefined) {
    const org = await em.findOne(Organization, { id: caller.orgId });
    if (!org) throw new NotFound('Organization', caller.orgId);
    orgName = org.name;
  }
  return {
    user: s?.user ?? null,
    keyId: caller.keyId,
    orgId: caller.orgId,
    orgName,
    permissions: [...caller.permissions],
    csrfToken: s?.csrfToken ?? '',
    expiresAt: s ? new Date(s.expiresAt).toISOString() : null,
  };
}

/** `users.me` */
export function me(ctx: Ctx): Promise<SessionView> {
  return sessionView(ctx.em, {
    orgId: ctx.orgId,
    keyId: ctx.keyId,
    userId: ctx.userId,
    permissions: ctx.permissions,
    session: ctx.session,
  });
}

/** Inserts a session row and reads it back as the cookie will authenticate it. */
async function startSession(
  core: Core,
  em: EntityManager,
  who: { orgId: string; userId?: string; keyId?: string },
  now: number,
): Promise<SignedIn> {
  const token = newToken();
  em.create(Session, {
    id: hashToken(token),
    orgId: who.orgId,
    user: who.userId === undefined ? null : [who.orgId, who.userId],
    key: who.keyId === undefined ? null : [who.orgId, who.keyId],
    csrfToken: newToken(),
    createdAt: new Date(now),
    lastSeenAt: new Date(now),
    expiresAt: new Date(now + core.env.REINS_SESSION_MAX_MS),
  });
  await em.flush();
  const caller = await core.sessions.authenticate(token);
  return {
    token,
    session: await sessionView(em, caller),
    maxAgeSeconds: Math.floor(core.env.REINS_SESSION_MAX_MS / 1000),
  };
}

/**
 * POST /api/auth/login `{email, password}` or `{apiKey}` from client address `client`. Failures
 * are counted per client and per email (429 past REINS_LOGIN_FAILURES_*), before any password is
 * checked.
 */
export async function signIn(core: Core, raw: unknown, client: string): Promise<SignedIn> {
  const em = core.orm.em.fork();
  const now = core.clock();
  if (raw !== null && typeof raw === 'object' && 'apiKey' in raw) {
    const { apiKey } = parseInput(keyLoginInput, raw);
    core.logins.check(client);
    let key: KeyCaller;
    try {
      key = await core.auth.authenticate(`Bearer ${apiKey}`, client);
    } catch (err) {
      if (err instanceof Unauthorized) core.logins.failed(client);
      throw err;
    }
    return startSession(core, em, { orgId: key.orgId, keyId: key.keyId }, now);
  }
  const { email, password } = parseInput(passwordLoginInput, raw);
  core.logins.check(client, email);
  const user = await em.findOne(User, { email });
  const ok = await verifyPassword(password, user?.passwordHash ?? null);
  if (!user || !ok || user.disabledAt) {
    core.logins.failed(client, email);
    if (user) {
      await audit(em, {
        orgId: user.orgId,
        eventType: 'user.sign_in_failed',
        actor: `user:${user.id}`,
        entityType: 'user',
        entityId: user.id,
        occurredAt: new Date(now),
        metadata: {
          email,
          reason: user.disabledAt ? 'disabled' : user.passwordHash ? 'password' : 'no_password',
          client,
        },
      });
    }
    throw new Unauthorized(WRONG_CREDENTIALS);
  }
  core.logins.succeeded(email);
  user.lastSignInAt = new Date(now);
  // Housekeeping: the user's sessions that have ended.
  await em.getConnection().execute(
    `delete from user_session
        where org_id = ? and user_id = ? and (expires_at <= ? or last_seen_at <= ?)`,
    [user.orgId, user.id, new Date(now), new Date(now - core.env.REINS_SESSION_IDLE_MS)],
  );
  return startSession(core, em, { orgId: user.orgId, userId: user.id }, now);
}

/**
 * POST /api/auth/link `{token, password}`: redeems a one-time sign-in link (first admin,
 * invitation, reset) — sets the password, ends the user's other sessions, signs in.
 */
export async function redeemLink(core: Core, raw: unknown, client: string): Promise<SignedIn> {
  const input = parseInput(redeemLinkInput, raw);
  core.logins.check(client);
  const now = core.clock();
  const hash = await hashPassword(input.password);
  const em = core.orm.em.fork();
  let signedIn: { orgId: string; id: string };
  try {
    signedIn = await em.transactional(async (tem) => {
      if (!isWellFormedToken(input.token)) throw new Unauthorized(BAD_LINK);
      const link = await tem.findOne(
        SignInToken,
        { id: hashToken(input.token) },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      if (!link || link.usedAt || link.expiresAt.getTime() <= now) {
        throw new Unauthorized(BAD_LINK);
      }
      const user = await tem.findOne(User, { orgId: link.orgId, id: link.user[1] });
      if (!user || user.disabledAt) throw new Unauthorized(BAD_LINK);
      link.usedAt = new Date(now);
      user.passwordHash = hash;
      user.lastSignInAt = new Date(now);
      user.updatedAt = new Date(now);
      await endUserSessions(tem, user);
      await tem.flush();
      await audit(tem, {
        orgId: user.orgId,
        eventType: 'user.password_set',
        actor: `user:${user.id}`,
        entityType: 'user',
        entityId: user.id,
        occurredAt: new Date(now),
        metadata: { email: user.email, link: link.purpose },
      });
      return { orgId: user.orgId, id: user.id };
    });
  } catch (err) {
    if (err instanceof Unauthorized) core.logins.failed(client);
    throw err;
  }
  core.sessions.forgetUser(signedIn.id);
  return startSession(core, em, { orgId: signedIn.orgId, userId: signedIn.id }, now);
}

/** POST /api/auth/logout: deletes the session (if the caller has one). */
export async function signOut(core: Core, caller: Caller): Promise<void> {
  const s = (caller as Partial<SessionCaller>).session;
  if (!s) return;
  await core.orm.em
    .fork()
    .getConnection()
    .execute('delete from user_session where org_id = ? and id = ?', [caller.orgId, s.id]);
  core.sessions.forget(s.id);
}

/** Refused when the caller is not a signed-in user (an API key has no password). */
class NotAUser extends DomainError {
  readonly code = 'FORBIDDEN';
  readonly status = 403;
}

/**
 * POST /api/auth/password `{currentPassword, newPassword}`: the user's other sessions end. A
 * wrong current password is a 422 naming `currentPassword`, counted as a failed sign-in.
 */
export async function changePassword(ctx: Ctx, raw: unknown, client: string): Promise<void> {
  if (!ctx.userId) throw new NotAUser('Only a user signed in with a password can change it');
  const input = parseInput(changePasswordInput, raw);
  const core = ctx.core;
  const user = await ctx.em.findOne(User, { orgId: ctx.orgId, id: ctx.userId });
  if (!user) throw new Unauthorized();
  core.logins.check(client, user.email);
  if (!(await verifyPassword(input.currentPassword, user.passwordHash ?? null))) {
    core.logins.failed(client, user.email);
    throw ValidationError.of('currentPassword', 'is not your current password');
  }
  const hash = await hashPassword(input.newPassword);
  const now = new Date(core.clock());
  await ctx.em.transactional(async (tem) => {
    const u = await tem.findOneOrFail(User, { orgId: user.orgId, id: user.id });
    u.passwordHash = hash;
    u.updatedAt = now;
    await endUserSessions(tem, u, ctx.session?.id);
    await tem.flush();
    await audit(tem, {
      orgId: u.orgId,
      eventType: 'user.password_changed',
      actor: ctx.actor,
      entityType: 'user',
      entityId: u.id,
      occurredAt: now,
      metadata: { email: u.email },
    });
  });
  core.sessions.forgetUser(user.id);
}
