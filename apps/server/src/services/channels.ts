/**
 * Notification channels: where `notify` rules (and the worker's alerts) are delivered. A webhook
 * channel carries an HMAC signing secret and a Slack channel's URL is itself a credential, so
 * both are shown in full only in the response that sets them, masked everywhere after, and never
 * written to the audit log.
 */
import { randomBytes } from 'node:crypto';
import { NotificationChannel } from '@reins/db';
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import type { Ctx } from '../core.js';
import { Conflict, NotFound, ValidationError } from '../errors.js';
import { newId } from '@reins/ledger';
import { sqlOf } from '@reins/ledger';
import { parseInput } from '../schemas/common.js';
import {
  channelDeliveriesInput,
  createChannelInput,
  updateChannelInput,
  type ChannelType,
  type UpdateChannelInput,
} from '../schemas/channels.js';
import type { ValidationIssue } from '@reins/engine';
import { audit } from './audit.js';
import { DELIVERY_COLUMNS, deliveryView, type DeliveryRow, type DeliveryView } from './alerts.js';
import { requirePermission } from './auth.js';

export type ChannelConfig =
  | { type: 'webhook'; config: { url: string; secret: string } }
  | { type: 'slack'; config: { url: string } }
  | { type: 'email'; config: { addresses: string[] } };

/** A channel with its full configuration, secrets included: for delivery, never for responses. */
export type LoadedChannel = { id: string; name: string } & ChannelConfig;

/** The request fields each type takes (besides name and enabled). */
const FIELDS: Record<ChannelType, readonly ('url' | 'secret' | 'addresses')[]> = {
  webhook: ['url', 'secret'],
  slack: ['url'],
  email: ['addresses'],
};

function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

function last4Masked(s: string): string {
  return `****${s.slice(-4)}`;
}

/** Scheme and host stay readable (which workspace it posts to); the token path does not. */
function maskUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}/${last4Masked(url)}`;
}

function configOf(row: NotificationChannel): ChannelConfig {
  const c = row.config;
  switch (row.type as ChannelType) {
    case 'webhook':
      return { type: 'webhook', config: { url: String(c.url), secret: String(c.secret) } };
    case 'slack':
      return { type: 'slack', config: { url: String(c.url) } };
    default:
      return {
        type: 'email',
        config: { addresses: Array.isArray(c.addresses) ? c.addresses.map(String) : [] },
      };
  }
}

export type ChannelView = {
  id: string;
  name: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
} & (
  | { type: 'webhook'; url: string; secret?: string; secretMasked: string }
  | { type: 'slack'; urlMasked: string }
  | { type: 'email'; addresses: string[] }
);

/** `revealSecret`: only the response that set the secret shows it. */
export function channelView(row: NotificationChannel, revealSecret = false): ChannelView {
  const base = {
    id: row.id,
    name: row.name,
    enabled: row.enabled,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
  const c = configOf(row);
  switch (c.type) {
    case 'webhook':
      return {
        ...base,
        type: 'webhook',
        url: c.config.url,
        ...(revealSecret ? { secret: c.config.secret } : {}),
        secretMasked: last4Masked(c.config.secret),
      };
    case 'slack':
      return { ...base, type: 'slack', urlMasked: maskUrl(c.config.url) };
    case 'email':
      return { ...base, type: 'email', addresses: c.config.addresses };
  }
}

/** Audit metadata: what changed, never a secret or a Slack URL. */
function auditMetadata(row: NotificationChannel, extra: Record<string, unknown> = {}) {
  const c = configOf(row);
  return {
    name: row.name,
    type: row.type,
    enabled: row.enabled,
    ...(c.type === 'webhook' ? { host: new URL(c.config.url).host } : {}),
    ...(c.type === 'email' ? { addressCount: c.config.addresses.length } : {}),
    ...extra,
  };
}

function foreignFieldIssues(type: ChannelType, input: Record<string, unknown>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const f of ['url', 'secret', 'addresses'] as const) {
    if (input[f] !== undefined && !FIELDS[type].includes(f))
      issues.push({ path: f, message: `is not a field of ${type} channels` });
  }
  return issues;
}

function slackUrlIssues(type: ChannelType, url: string | undefined): ValidationIssue[] {
  if (type === 'slack' && url !== undefined && !url.startsWith('https://'))
    return [{ path: 'url', message: 'must be an https:// URL for a Slack incoming webhook' }];
  return [];
}

function throwIf(issues: ValidationIssue[]): void {
  if (issues.length > 0) throw new ValidationError(issues);
}

async function findChannel(
  ctx: Ctx,
  em: EntityManager,
  id: string,
  lock = false,
): Promise<NotificationChannel> {
  const row = await em.findOne(
    NotificationChannel,
    { id, orgId: ctx.orgId },
    lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
  );
  if (!row) throw new NotFound('Notification channel', id);
  return row;
}

export async function createChannel(ctx: Ctx, raw: unknown): Promise<{ channel: ChannelView }> {
  requirePermission(ctx, 'alerts:write');
  const input = parseInput(createChannelInput, raw);
  const issues = [
    ...foreignFieldIssues(input.type, input),
    ...slackUrlIssues(input.type, input.url),
  ];
  if ((input.type === 'webhook' || input.type === 'slack') && input.url === undefined)
    issues.push({ path: 'url', message: `is required for ${input.type} channels` });
  if (input.type === 'email' && input.addresses === undefined)
    issues.push({ path: 'addresses', message: 'is required for email channels' });
  throwIf(issues);

  const config: Record<string, unknown> =
    input.type === 'webhook'
      ? { url: input.url, secret: input.secret ?? generateSecret() }
      : input.type === 'slack'
        ? { url: input.url }
        : { addresses: input.addresses };
  const now = new Date(ctx.core.clock());
  return ctx.em.transactional(async (em) => {
    const row = em.create(NotificationChannel, {
      id: newId('chan'),
      orgId: ctx.orgId,
      name: input.name,
      type: input.type,
      config,
      enabled: input.enabled ?? true,
      createdAt: now,
      updatedAt: now,
    });
    await audit(em, {
      orgId: ctx.orgId,
      eventType: 'notification_channel.created',
      actor: ctx.actor,
      entityType: 'notification_channel',
      entityId: row.id,
      occurredAt: now,
      metadata: auditMetadata(row),
    });
    await em.flush();
    return { channel: channelView(row, true) };
  });
}

export async function listChannels(ctx: Ctx) {
  requirePermission(ctx, 'alerts:read');
  const rows = await ctx.em.find(
    NotificationChannel,
    { orgId: ctx.orgId },
    { orderBy: { createdAt: 'asc', id: 'asc' } },
  );
  const channels = rows.map((r) => channelView(r));
  return { channels, count: channels.length };
}

export async function getChannel(ctx: Ctx, id: string) {
  requirePermission(ctx, 'alerts:read');
  return { channel: channelView(await findChannel(ctx, ctx.em, id)) };
}

function updateIssues(type: ChannelType, patch: UpdateChannelInput): ValidationIssue[] {
  const issues = [...foreignFieldIssues(type, patch), ...slackUrlIssues(type, patch.url)];
  if (patch.type !== undefined && patch.type !== type)
    issues.push({ path: 'type', message: `cannot be changed (this is a ${type} channel)` });
  if (patch.rotateSecret === true && type !== 'webhook')
    issues.push({ path: 'rotateSecret', message: `is not a field of ${type} channels` });
  if (patch.rotateSecret === true && patch.secret !== undefined)
    issues.push({ path: 'rotateSecret', message: 'cannot be combined with secret' });
  return issues;
}

export async function updateChannel(
  ctx: Ctx,
  id: string,
  raw: unknown,
): Promise<{ channel: ChannelView }> {
  requirePermission(ctx, 'alerts:write');
  const patch = parseInput(updateChannelInput, raw);
  const now = new Date(ctx.core.clock());
  return ctx.em.transactional(async (em) => {
    // Locked: two concurrent partial updates of the config must not drop each other's fields.
    const row = await findChannel(ctx, em, id, true);
    const type = row.type as ChannelType;
    throwIf(updateIssues(type, patch));

    const config = { ...row.config };
    if (patch.url !== undefined) config.url = patch.url;
    if (patch.addresses !== undefined) config.addresses = patch.addresses;
    const newSecret = patch.rotateSecret === true ? generateSecret() : patch.secret;
    if (newSecret !== undefined) config.secret = newSecret;

    const changed = Object.keys(patch).filter(
      (k) => k !== 'type' && !(k === 'rotateSecret' && patch.rotateSecret !== true),
    );
    if (changed.length === 0) return { channel: channelView(row) };

    em.assign(row, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      config,
      updatedAt: now,
    });
    await audit(em, {
      orgId: ctx.orgId,
      eventType: 'notification_channel.updated',
      actor: ctx.actor,
      entityType: 'notification_channel',
      entityId: id,
      occurredAt: now,
      metadata: auditMetadata(row, { changed }),
    });
    await em.flush();
    return { channel: channelView(row, newSecret !== undefined) };
  });
}

/**
 * Deletes a channel that no rule names. Disabled rules count too: enabling one again would
 * otherwise send its notifications nowhere. Pending deliveries to the channel are marked failed
 * rather than left for the worker to trip over.
 */
export async function deleteChannel(ctx: Ctx, id: string): Promise<{ id: string; deleted: true }> {
  requirePermission(ctx, 'alerts:write');
  const now = new Date(ctx.core.clock());
  await ctx.em.transactional(async (em) => {
    // The row lock orders this against a rule write that names the channel (assertChannelsExist
    // holds a share lock on it), so neither can slip past the other's check.
    const row = await findChannel(ctx, em, id, true);
    const sql = sqlOf(em);
    const users = await sql<{ id: string; name: string }>(
      `select id, definition->>'name' as name from policy_rule
        where org_id = ? and definition->'actionConfig'->'channels' @> ?::jsonb
        order by created_at, id limit 6`,
      [ctx.orgId, JSON.stringify([id])],
    );
    if (users.length > 0) {
      const named = users
        .slice(0, 5)
        .map((r) => `"${r.name}" (${r.id})`)
        .join(', ');
      throw new Conflict(
        'CHANNEL_IN_USE',
        `Channel ${id} is used by rule(s) ${named}${users.length > 5 ? ', …' : ''}; detach it first`,
        { ruleIds: users.slice(0, 5).map((r) => r.id) },
      );
    }
    await audit(em, {
      orgId: ctx.orgId,
      eventType: 'notification_channel.deleted',
      actor: ctx.actor,
      entityType: 'notification_channel',
      entityId: id,
      occurredAt: now,
      metadata: auditMetadata(row),
    });
    em.remove(row);
    await em.flush();
    await sql(
      `update notification_outbox set status = 'failed', last_error = 'channel deleted'
        where org_id = ? and channel_id = ? and status = 'pending'`,
      [ctx.orgId, id],
    );
  });
  return { id, deleted: true };
}

/**
 * Sends a test notification through a channel: a delivery like an alert's (same outbox, retries,
 * signature and idempotency id; the webhook's `type` is `channel.test`), made by the worker's
 * `notify` job within its interval. Answers the delivery, to follow with `deliveries`.
 */
export async function testChannel(ctx: Ctx, id: string): Promise<{ delivery: DeliveryView }> {
  requirePermission(ctx, 'alerts:write');
  const now = new Date(ctx.core.clock());
  const delivery = await ctx.em.transactional(async (em) => {
    const row = await findChannel(ctx, em, id);
    if (!row.enabled) {
      throw new Conflict('CHANNEL_DISABLED', `Channel ${id} is disabled; enable it to test it`);
    }
    const deliveryId = newId('ntf');
    const [inserted] = await sqlOf(em)<DeliveryRow>(
      `insert into notification_outbox (id, org_id, alert_id, channel_id, payload, next_attempt_at)
       values (?, ?, null, ?, ?::jsonb, ?)
       returning ${DELIVERY_COLUMNS}`,
      [
        deliveryId,
        ctx.orgId,
        id,
        JSON.stringify({
          test: true,
          ruleName: 'Channel test',
          message: `Test notification for channel "${row.name}" from Reins`,
          createdAt: now.toISOString(),
        }),
        now,
      ],
    );
    await audit(em, {
      orgId: ctx.orgId,
      eventType: 'notification_channel.tested',
      actor: ctx.actor,
      entityType: 'notification_channel',
      entityId: id,
      occurredAt: now,
      metadata: auditMetadata(row, { deliveryId }),
    });
    await em.flush();
    if (!inserted) throw new Error('the test delivery was not written');
    return deliveryView(inserted);
  });
  return { delivery };
}

/** A channel's latest deliveries (alerts' and tests'), newest first, with their status. */
export async function listChannelDeliveries(
  ctx: Ctx,
  id: string,
  raw: unknown = {},
): Promise<{ deliveries: (DeliveryView & { alertId: string | null; test: boolean })[] }> {
  requirePermission(ctx, 'alerts:read');
  const q = parseInput(channelDeliveriesInput, raw);
  await findChannel(ctx, ctx.em, id);
  const rows = await sqlOf(ctx.em)<DeliveryRow & { test: boolean }>(
    `select ${DELIVERY_COLUMNS}, coalesce((payload->>'test')::boolean, false) as test
       from notification_outbox
      where org_id = ? and channel_id = ?
      order by created_at desc, id desc
      limit ?`,
    [ctx.orgId, id, q.limit],
  );
  return {
    deliveries: rows.map((r) => ({ ...deliveryView(r), alertId: r.alert_id, test: r.test })),
  };
}

/**
 * Refuses channel ids that are not this organization's channels, naming `${fieldPath}.${i}`.
 * Inside a transaction the channels found are share-locked until it commits, so a concurrent
 * delete waits and then sees the rule that names them.
 */
export async function assertChannelsExist(
  em: EntityManager,
  orgId: string,
  ids: readonly string[] | undefined,
  fieldPath: string,
): Promise<void> {
  if (!ids || ids.length === 0) return;
  const rows = await em.find(
    NotificationChannel,
    { orgId, id: { $in: [...new Set(ids)] } },
    em.isInTransaction() ? { lockMode: LockMode.PESSIMISTIC_READ } : {},
  );
  const found = new Set(rows.map((r) => r.id));
  throwIf(
    ids.flatMap((cid, i) =>
      found.has(cid)
        ? []
        : [{ path: `${fieldPath}.${i}`, message: `is not a notification channel ("${cid}")` }],
    ),
  );
}

/** The organization's enabled channels with their full config (secrets included): for delivery. */
export async function loadChannels(em: EntityManager, orgId: string): Promise<LoadedChannel[]> {
  const rows = await em.find(
    NotificationChannel,
    { orgId, enabled: true },
    { orderBy: { createdAt: 'asc', id: 'asc' } },
  );
  return rows.map((r) => ({ id: r.id, name: r.name, ...configOf(r) }));
}
