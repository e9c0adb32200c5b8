/**
 * Dashboard users: created with a one-time sign-in link (no password until they redeem it),
 * roles mapped onto the permissions keys carry, disabled rather than deleted. Every change is
 * audited (`user.created`, `user.updated`, `user.disabled`, `user.enabled`,
 * `user.password_reset`) and ends the sessions it must.
 */
import { SignInToken, User } from '@reins/db';
import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '@reins/ledger';
import type { Ctx } from '../core.js';
import { Conflict, Forbidden, NotFound } from '../errors.js';
import { hasPermission, permissionsOf, type Permission, type Role } from '../lib/apiKeys.js';
import { hashToken, newToken } from '../machinery/sessions.js';
import { parseInput } from '../schemas/common.js';
import { createUserInput, updateUserInput, userIdInput } from '../schemas/users.js';
import { audit } from './audit.js';
import { requirePermission } from './auth.js';

export interface UserView {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  disabled: boolean;
  createdAt: string;
  lastSignInAt: string | null;
}

export function userView(u: User): UserView {
  return {
    id: u.id,
    email: u.email,
    name: u.name ?? null,
    role: u.role,
    disabled: u.disabledAt != null,
    createdAt: u.createdAt.toISOString(),
    lastSignInAt: u.lastSignInAt ? u.lastSignInAt.toISOString() : null,
  };
}

/** The dashboard path of a one-time sign-in link: the token in the fragment, never logged. */
export function signInLinkPath(token: string): string {
  return `/sign-in/link#token=${token}`;
}

export type LinkPurpose = 'first_admin' | 'invite' | 'reset';

/**
 * A one-time sign-in link for `user` (in `em`'s unit of work; the caller flushes): returns the
 * token, of which only the SHA-256 is stored.
 */
export function issueSignInToken(
  em: EntityManager,
  user: { orgId: string; id: string },
  purpose: LinkPurpose,
  opts: { now: Date; ttlMs: number },
): string {
  const token = newToken();
  em.create(SignInToken, {
    id: hashToken(token),
    orgId: user.orgId,
    user: [user.orgId, user.id],
    purpose,
    createdAt: opts.now,
    expiresAt: new Date(opts.now.getTime() + opts.ttlMs),
    usedAt: null,
  });
  return token;
}

export function findUserByEmail(em: EntityManager, email: string): Promise<User | null> {
  return em.findOne(User, { email: email.trim().toLowerCase() });
}

export interface NewUser {
  email: string;
  name?: string | undefined;
  role: Role;
}

/**
 * Creates a user of `orgId` and their first sign-in link, audited as `user.created` (unless
 * `quiet`: the first admin, created with the organization), in one database transaction.
 */
export function createUserWithLink(
  em: EntityManager,
  orgId: string,
  input: NewUser,
  opts: { actor: string; now: Date; ttlMs: number; purpose?: LinkPurpose; quiet?: boolean },
): Promise<{ user: UserView; token: string }> {
  return em.transactional(async (tem) => {
    const email = input.email.trim().toLowerCase();
    if (await findUserByEmail(tem, email)) {
      throw new Conflict('ALREADY_EXISTS', `A user with email "${email}" already exists`, {
        field: 'email',
      });
    }
    const user = tem.create(User, {
      id: newId('usr'),
      orgId,
      email,
      name: input.name ?? null,
      role: input.role,
      passwordHash: null,
      disabledAt: null,
      createdAt: opts.now,
      updatedAt: opts.now,
      lastSignInAt: null,
    });
    await tem.flush();
    const token = issueSignInToken(tem, user, opts.purpose ?? 'invite', opts);
    await tem.flush();
    if (!opts.quiet) {
      await audit(tem, {
        orgId,
        eventType: 'user.created',
        actor: opts.actor,
        entityType: 'user',
        entityId: user.id,
        occurredAt: opts.now,
        metadata: { email, name: user.name ?? null, role: user.role },
      });
    }
    return { user: userView(user), token };
  });
}

/** The users of an organization, oldest first. */
export function findUsers(em: EntityManager, orgId: string): Promise<User[]> {
  return em.find(User, { orgId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
}

/** Deletes every session of a user (the caller also forgets them in this process). */
export async function endUserSessions(
  em: EntityManager,
  user: { orgId: string; id: string },
  keep?: string,
): Promise<void> {
  await em
    .getConnection()
    .execute(
      keep === undefined
        ? 'delete from user_session where org_id = ? and user_id = ?'
        : 'delete from user_session where org_id = ? and user_id = ? and id <> ?',
      keep === undefined ? [user.orgId, user.id] : [user.orgId, user.id, keep],
      'run',
      em.getTransactionContext(),
    );
}

/**
 * Issues a password-reset link for a user (`orgId`: only within that organization): the old
 * password stops working, earlier unused links too, and every session of the user ends.
 */
export function resetPasswordById(
  em: EntityManager,
  id: string,
  opts: { orgId?: string | undefined; actor: string; now: Date; ttlMs: number },
): Promise<{ user: UserView; token: string }> {
  return em.transactional(async (tem) => {
    const user = await tem.findOne(
      User,
      opts.orgId === undefined ? { id } : { id, orgId: opts.orgId },
    );
    if (!user) throw new NotFound('User', id);
    user.passwordHash = null;
    user.updatedAt = opts.now;
    await tem.nativeUpdate(
      SignInToken,
      { orgId: user.orgId, user: [user.orgId, id], usedAt: null },
      { usedAt: opts.now },
    );
    await endUserSessions(tem, user);
    const token = issueSignInToken(tem, user, 'reset', opts);
    await tem.flush();
    await audit(tem, {
      orgId: user.orgId,
      eventType: 'user.password_reset',
      actor: opts.actor,
      entityType: 'user',
      entityId: id,
      occurredAt: opts.now,
      metadata: { email: user.email },
    });
    return { user: userView(user), token };
  });
}

/** Refuses to give a role whose permissions the actor does not hold itself (as keys do). */
function checkGrant(ctx: Ctx, role: Role): void {
  for (const p of permissionsOf(role)) {
    if (!hasPermission(ctx.permissions, p as Permission)) {
      throw new Forbidden(p, ctx.userId ? 'Your role' : 'This API key');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// tRPC `users.*`

export async function listUsers(ctx: Ctx): Promise<{ data: UserView[] }> {
  requirePermission(ctx, 'users:admin');
  return { data: (await findUsers(ctx.em, ctx.orgId)).map(userView) };
}

export async function createUser(
  ctx: Ctx,
  raw: unknown,
): Promise<{ user: UserView; signInLink: string }> {
  requirePermission(ctx, 'users:admin');
  const input = parseInput(createUserInput, raw);
  checkGrant(ctx, input.role);
  const { user, token } = await createUserWithLink(ctx.em, ctx.orgId, input, {
    actor: ctx.actor,
    now: new Date(ctx.core.clock()),
    ttlMs: ctx.core.env.REINS_SIGN_IN_LINK_TTL_MS,
  });
  return { user, signInLink: signInLinkPath(token) };
}

export async function updateUser(ctx: Ctx, raw: unknown): Promise<{ user: UserView }> {
  requirePermission(ctx, 'users:admin');
  const { id, ...patch } = parseInput(updateUserInput, raw);
  // As with keys: only a user whose role the actor could give can be changed by it.
  const target = await ctx.em.findOne(User, { id, orgId: ctx.orgId });
  if (!target) throw new NotFound('User', id);
  checkGrant(ctx, target.role);
  if (patch.role !== undefined) checkGrant(ctx, patch.role);
  const now = new Date(ctx.core.clock());
  const user = await updateUserById(ctx.em, id, patch, { orgId: ctx.orgId, actor: ctx.actor, now });
  ctx.core.sessions.forgetUser(id);
  return { user };
}

/**
 * Changes a user's role, name or disabled state (audited): disabling ends their sessions; the
 * organization's last active admin can be neither demoted nor disabled (409 LAST_ADMIN).
 */
export function updateUserById(
  em: EntityManager,
  id: string,
  patch: {
    role?: Role | undefined;
    name?: string | null | undefined;
    disabled?: boolean | undefined;
  },
  opts: { orgId?: string | undefined; actor: string; now: Date },
): Promise<UserView> {
  return em.transactional(async (tem) => {
    const user = await tem.findOne(
      User,
      opts.orgId === undefined ? { id } : { id, orgId: opts.orgId },
    );
    if (!user) throw new NotFound('User', id);
    const before = userView(user);
    const demoted = patch.role !== undefined && patch.role !== 'admin';
    const disabling = patch.disabled === true;
    if (before.role === 'admin' && !before.disabled && (demoted || disabling)) {
      // Locks the organization's active admins: two concurrent demotions cannot both pass.
      const admins: { id: string }[] = await tem.getConnection().execute(
        `select id from app_user where org_id = ? and role = 'admin' and disabled_at is null
            order by id for update`,
        [user.orgId],
        'all',
        tem.getTransactionContext(),
      );
      if (admins.filter((a) => a.id !== id).length === 0) {
        throw new Conflict(
          'LAST_ADMIN',
          'This is the last active admin of the organization: make another user admin first',
          { userId: id },
        );
      }
    }
    const changed: string[] = [];
    if (patch.role !== undefined && patch.role !== user.role) {
      user.role = patch.role;
      changed.push('role');
    }
    if (patch.name !== undefined && patch.name !== (user.name ?? null)) {
      user.name = patch.name;
      changed.push('name');
    }
    if (patch.disabled !== undefined && patch.disabled !== before.disabled) {
      user.disabledAt = patch.disabled ? opts.now : null;
      changed.push('disabled');
    }
    if (changed.length === 0) return before;
    user.updatedAt = opts.now;
    if (disabling) await endUserSessions(tem, user);
    await tem.flush();
    const after = userView(user);
    const pick = (v: UserView) =>
      Object.fromEntries(changed.map((k) => [k, v[k as keyof UserView]]));
    await audit(tem, {
      orgId: user.orgId,
      eventType:
        changed.length === 1 && changed[0] === 'disabled'
          ? after.disabled
            ? 'user.disabled'
            : 'user.enabled'
          : 'user.updated',
      actor: opts.actor,
      entityType: 'user',
      entityId: id,
      occurredAt: opts.now,
      metadata: { email: user.email, changed, before: pick(before), after: pick(after) },
    });
    return after;
  });
}

export async function resetPassword(ctx: Ctx, raw: unknown): Promise<{ signInLink: string }> {
  requirePermission(ctx, 'users:admin');
  const { id } = parseInput(userIdInput, raw);
  const target = await ctx.em.findOne(User, { id, orgId: ctx.orgId });
  if (!target) throw new NotFound('User', id);
  checkGrant(ctx, target.role);
  const { token } = await resetPasswordById(ctx.em, id, {
    orgId: ctx.orgId,
    actor: ctx.actor,
    now: new Date(ctx.core.clock()),
    ttlMs: ctx.core.env.REINS_SIGN_IN_LINK_TTL_MS,
  });
  ctx.core.sessions.forgetUser(id);
  return { signInLink: signInLinkPath(token) };
}
