import { ApiKey } from '@reins/db';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Ctx } from '../core.js';
import { Forbidden, NotFound } from '../errors.js';
import {
  generateApiKey,
  hashApiKey,
  hasPermission,
  maskApiKey,
  type Permission,
} from '../lib/apiKeys.js';
import { newId } from '@reins/ledger';
import { parseInput } from '../schemas/common.js';
import { createKeyInput } from '../schemas/keys.js';
import { audit } from './audit.js';
import { requirePermission } from './auth.js';

export function keyView(k: ApiKey) {
  return {
    id: k.id,
    name: k.name,
    keyMasked: k.keyMasked,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt ? k.lastUsedAt.toISOString() : null,
    isActive: !k.revokedAt,
    revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null,
    permissions: k.permissions,
  };
}

export interface CreatedKey {
  id: string;
  name: string;
  key: string;
  keyMasked: string;
  createdAt: string;
  permissions: string[];
}

/**
 * Inserts a key (in `em`'s unit of work; the caller flushes). `secret` overrides the generated
 * value (the bootstrap key of REINS_BOOTSTRAP_KEY).
 */
export function insertKey(
  em: EntityManager,
  orgId: string,
  input: { name: string; permissions: string[]; env: string; secret?: string | undefined },
  now: Date,
): CreatedKey {
  const key = input.secret ?? generateApiKey(input.env);
  const row = em.create(ApiKey, {
    id: newId('key'),
    orgId,
    name: input.name,
    keyHash: hashApiKey(key),
    keyMasked: maskApiKey(key),
    permissions: [...new Set(input.permissions)],
    createdAt: now,
  });
  return {
    id: row.id,
    name: row.name,
    key,
    keyMasked: row.keyMasked,
    createdAt: now.toISOString(),
    permissions: row.permissions,
  };
}

/** The keys of an organization, oldest first. */
export function findKeys(em: EntityManager, orgId: string): Promise<ApiKey[]> {
  return em.find(ApiKey, { orgId }, { orderBy: { createdAt: 'asc' } });
}

export async function listKeys(ctx: Ctx) {
  requirePermission(ctx, 'keys:admin');
  const rows = await findKeys(ctx.em, ctx.orgId);
  return { keys: rows.map(keyView) };
}

/**
 * Creates a key and its `api_key.created` audit event in one database transaction. The caller
 * has validated the input and the actor's right to grant it (HTTP: `createKey`; the CLI).
 */
export function issueKey(
  em: EntityManager,
  orgId: string,
  input: { name: string; permissions: string[]; env: string },
  opts: { actor: string; now: Date },
): Promise<CreatedKey> {
  return em.transactional(async (tem) => {
    const created = insertKey(tem, orgId, input, opts.now);
    await audit(tem, {
      orgId,
      eventType: 'api_key.created',
      actor: opts.actor,
      entityType: 'api_key',
      entityId: created.id,
      occurredAt: opts.now,
      metadata: {
        name: created.name,
        keyMasked: created.keyMasked,
        permissions: created.permissions,
      },
    });
    await tem.flush();
    return created;
  });
}

export async function createKey(ctx: Ctx, raw: unknown): Promise<CreatedKey> {
  requirePermission(ctx, 'keys:admin');
  const input = parseInput(createKeyInput, raw);
  // A key can hand out only what it holds itself: keys:admin alone cannot mint an admin key.
  for (const p of input.permissions) {
    if (!hasPermission(ctx.permissions, p)) throw new Forbidden(p);
  }
  return issueKey(
    ctx.em,
    ctx.orgId,
    {
      name: input.name,
      permissions: input.permissions,
      env: input.env ?? ctx.core.env.REINS_KEY_ENV,
    },
    { actor: ctx.actor, now: new Date(ctx.core.clock()) },
  );
}

/**
 * Revokes key `id` (only if it belongs to `orgId`, when given) and records `api_key.revoked`, in
 * one database transaction. Revoking a revoked key changes nothing. Throws NotFound.
 *
 * A server process trusts a verified key for REINS_KEY_CACHE_MS; `revokeKey` also forgets it in
 * this process at once, a revocation from another process (the CLI) takes effect within that time.
 */
export function revokeKeyById(
  em: EntityManager,
  id: string,
  opts: {
    orgId?: string | undefined;
    actor: string;
    now: Date;
    /** Throws when the actor may not revoke this key. */
    check?: (key: ApiKey) => void;
  },
): Promise<ApiKey> {
  return em.transactional(async (tem) => {
    const k = await tem.findOne(
      ApiKey,
      opts.orgId === undefined ? { id } : { id, orgId: opts.orgId },
    );
    if (!k) throw new NotFound('API key', id);
    opts.check?.(k);
    if (!k.revokedAt) {
      k.revokedAt = opts.now;
      await audit(tem, {
        orgId: k.orgId,
        eventType: 'api_key.revoked',
        actor: opts.actor,
        entityType: 'api_key',
        entityId: id,
        occurredAt: opts.now,
        metadata: { name: k.name, keyMasked: k.keyMasked },
      });
      await tem.flush();
    }
    return k;
  });
}

/**
 * DELETE /api/keys/:id. As with creating keys, a key acts only within what it holds: it may
 * revoke a key only if it holds every permission of that key, so a `keys:admin` key cannot cut
 * off the organization's `*` keys (403 naming the permission it lacks).
 */
export async function revokeKey(ctx: Ctx, id: string) {
  requirePermission(ctx, 'keys:admin');
  const now = new Date(ctx.core.clock());
  const row = await revokeKeyById(ctx.em, id, {
    orgId: ctx.orgId,
    actor: ctx.actor,
    now,
    check: (k) => {
      for (const p of k.permissions) {
        if (!hasPermission(ctx.permissions, p as Permission)) throw new Forbidden(p);
      }
    },
  });
  ctx.core.auth.forgetKey(id);
  ctx.core.sessions.forgetKey(id);
  return { id: row.id, isActive: false, revokedAt: (row.revokedAt ?? now).toISOString() };
}
