import { z } from 'zod';
import { ident } from './common.js';

export const CHANNEL_TYPES = ['webhook', 'slack', 'email'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

// eslint-disable-next-line no-control-regex -- matching control characters and spaces is the point
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;

/**
 * An http(s) URL the worker may POST to. Credentials in the URL are refused: they would be shown
 * back on every read and copied into logs, where a separate signing secret is not.
 */
const deliveryUrl = z
  .string()
  .min(1)
  .max(2000)
  .superRefine((s, ctx) => {
    if (CONTROL_OR_SPACE.test(s)) {
      ctx.addIssue({ code: 'custom', message: 'must not contain spaces or control characters' });
      return;
    }
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL' });
      return;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
    else if (!u.hostname) ctx.addIssue({ code: 'custom', message: 'must name a host' });
    else if (u.username || u.password)
      ctx.addIssue({ code: 'custom', message: 'must not contain credentials (user:password@)' });
  });

const signingSecret = z
  .string()
  .min(16)
  .max(256)
  .refine((s) => !CONTROL_OR_SPACE.test(s), 'must not contain spaces or control characters');

const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * `local@domain` with a dotted ASCII domain (the unquoted subset of RFC 5321 that mail
 * providers accept), the domain lowercased: the local part may be case-sensitive, the domain is
 * not, so `Ops@Example.COM` and `Ops@example.com` are the same address.
 */
const emailAddress = z
  .string()
  .max(254)
  .transform((s, ctx) => {
    const at = s.lastIndexOf('@');
    const local = s.slice(0, at);
    const domain = s.slice(at + 1).toLowerCase();
    const labels = domain.split('.');
    const ok =
      at > 0 &&
      LOCAL.test(local) &&
      !local.startsWith('.') &&
      !local.endsWith('.') &&
      !local.includes('..') &&
      labels.length >= 2 &&
      labels.every((l) => LABEL.test(l)) &&
      !/^\d+$/.test(labels[labels.length - 1] ?? '');
    if (!ok) {
      ctx.addIssue({ code: 'custom', message: 'is not a valid email address' });
      return z.NEVER;
    }
    return `${local}@${domain}`;
  });

const addressList = z
  .array(emailAddress)
  .min(1)
  .max(50)
  .transform((list) => [...new Set(list)]);

export const createChannelInput = z.strictObject({
  name: ident(200),
  type: z.enum(CHANNEL_TYPES, { message: `must be one of ${CHANNEL_TYPES.join(', ')}` }),
  enabled: z.boolean().optional(),
  /** webhook (http or https) and slack (https). */
  url: deliveryUrl.optional(),
  /** webhook: the HMAC-SHA256 signing secret; generated when absent. */
  secret: signingSecret.optional(),
  /** email: the recipients. */
  addresses: addressList.optional(),
});
export type CreateChannelInput = z.output<typeof createChannelInput>;

export const updateChannelInput = z.strictObject({
  name: ident(200).optional(),
  /** Accepted only unchanged: a channel's type is fixed at creation. */
  type: z.enum(CHANNEL_TYPES, { message: `must be one of ${CHANNEL_TYPES.join(', ')}` }).optional(),
  enabled: z.boolean().optional(),
  url: deliveryUrl.optional(),
  secret: signingSecret.optional(),
  /** webhook: replace the signing secret with a generated one, shown once in the response. */
  rotateSecret: z.boolean().optional(),
  addresses: addressList.optional(),
});
export type UpdateChannelInput = z.output<typeof updateChannelInput>;

export const channelIdInput = z.strictObject({ id: ident(100) });

/** tRPC's update: the REST route's `:id` and body in one input. */
export const channelUpdateInput = z.strictObject({
  id: ident(100),
  patch: updateChannelInput,
});

/** `GET /api/notification-channels/:id/deliveries`: the latest `limit` (1–100, default 20). */
export const channelDeliveriesInput = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
