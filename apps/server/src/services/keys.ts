import { ApiKey } from '@reins/db';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Ctx } from '../core.js';
import { Forbidden, NotFound } from '../errors.js';
import { generateApiKey, hashApiKey, hasPermission, maskApiKey } from '../lib/apiKeys.js';
import { newId } from '../lib/ids.js';
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

export async function listKeys(ctx: Ctx) {
  requirePermission(ctx, 'keys:admin');
  const rows = await ctx.em.find(ApiKey, { orgId: ctx.orgId }, { orderBy: { createdAt: 'asc' } });
  return { keys: rows.map(keyView) };
}

export async function createKey(ctx: Ctx, raw: unknown): Promise<CreatedKey> {
  requirePermission(ctx, 'keys:admin');
  const input = parseInput(createKeyInput, raw);
  // A key can hand out only what it holds itself: keys:admin alone cannot mint an admin key.
  for (const p of input.permissions) {
    if (!hasPermission(ctx.permissions, p)) throw new Forbidden(p);
  }
  const now = new Date(ctx.core.clock());
  return ctx.em.transactional(async (em) => {
    const created = insertKey(
      em,
      ctx.orgId,
      { name: input.name, permissions: input.permissions, env: input.env ?? ctx.core.env.REINS_KEY_ENV },
      now,
    );
    audit(em, {
      orgId: ctx.orgId,
      eventType: 'api_key.created',
      actor: ctx.actor,
      entityType: 'api_key',
      entityId: created.id,
      occurredAt: now,
      metadata: { name: created.name, keyMasked: created.keyMasked, permissions: created.permissions },
    });
    await em.flush();
    return created;
  });
}

export async function revokeKey(ctx: Ctx, id: string) {
  requirePermission(ctx, 'keys:admin');
  const now = new Date(ctx.core.clock());
  const row = await ctx.em.transactional(async (em) => {
    const k = await em.findOne(ApiKey, { id, orgId: ctx.orgId });
    if (!k) throw new NotFound('API key', id);
    if (!k.revokedAt) {
      k.revokedAt = now;
      audit(em, {
        orgId: ctx.orgId,
        eventType: 'api_key.revoked',
        actor: ctx.actor,
        entityType: 'api_key',
        entityId: id,
        occurredAt: now,
        metadata: { name: k.name, keyMasked: k.keyMasked },
      });
      await em.flush();
    }
    return k;
  });
  ctx.core.auth.forgetKey(id);
  return { id: row.id, isActive: false, revokedAt: (row.revokedAt ?? now).toISOString() };
}
