/**
 * What each kind of channel receives for one outbox row: the webhook's JSON body, a Slack
 * message (`text` + `blocks`), an email. Pure: the same row always gives the same bytes, so a
 * redelivery carries the same body and the same idempotency id.
 */

/** The payload the recorder writes into `notification_outbox.payload`. */
export interface AlertPayload {
  alertId?: string | null;
  ruleId?: string | null;
  ruleName?: string | null;
  action?: string | null;
  message?: string | null;
  transactionId?: string | null;
  agentId?: string | null;
  timeWindow?: string | null;
  limit?: number | null;
  current?: number | null;
  unit?: string | null;
  createdAt?: string | null;
  [key: string]: unknown;
}

export interface OutboxItem {
  /** The outbox row's id: the idempotency id of every attempt at this delivery. */
  id: string;
  orgId: string;
  alertId: string | null;
  channelId: string;
  payload: AlertPayload;
  createdAt: Date;
}

export type ChannelTarget =
  | { type: 'webhook'; url: string; secret: string }
  | { type: 'slack'; url: string }
  | { type: 'email'; addresses: string[] };

/** A channel row's `type` and `config` as delivery needs them, or why they cannot be used. */
export function targetOf(type: string, config: unknown): ChannelTarget | { error: string } {
  const c = (config && typeof config === 'object' ? config : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  switch (type) {
    case 'webhook': {
      const url = str(c.url);
      const secret = str(c.secret);
      if (!url || !secret) return { error: 'webhook channel without a url or secret' };
      return { type, url, secret };
    }
    case 'slack': {
      const url = str(c.url);
      if (!url) return { error: 'slack channel without a url' };
      return { type, url };
    }
    case 'email': {
      const addresses = Array.isArray(c.addresses)
        ? c.addresses.filter((a): a is string => typeof a === 'string' && a.length > 0)
        : [];
      if (addresses.length === 0) return { error: 'email channel without addresses' };
      return { type, addresses };
    }
    default:
      return { error: `unknown channel type ${type}` };
  }
}

export const WEBHOOK_EVENT = 'policy.alert';
/** The webhook `type` of a channel test (`POST /api/notification-channels/:id/test`). */
export const TEST_EVENT = 'channel.test';

/** The webhook body: the delivery id (to dedupe on), the event type, the alert. */
export function webhookBody(item: OutboxItem): string {
  return JSON.stringify({
    id: item.id,
    type: item.payload.test === true ? TEST_EVENT : WEBHOOK_EVENT,
    createdAt: item.createdAt.toISOString(),
    orgId: item.orgId,
    alert: item.payload,
  });
}

function amount(value: number | null | undefined, unit: string | null | undefined): string {
  if (value === null || value === undefined) return '?';
  if (unit === 'cents') return `$${(value / 100).toFixed(2)}`;
  return `${String(value)}${unit ? ` ${unit}` : ''}`;
}

/** One line: the rule, its message, and where the window stands. */
export function summaryLine(p: AlertPayload): string {
  const rule = p.ruleName ?? p.ruleId ?? 'A policy rule';
  const msg = p.message ? `: ${p.message}` : '';
  return `${rule}${msg}`;
}

function detailFields(p: AlertPayload): [string, string][] {
  const fields: [string, string][] = [];
  if (p.agentId) fields.push(['Agent', p.agentId]);
  if (p.timeWindow) fields.push(['Window', p.timeWindow]);
  if (p.current !== null && p.current !== undefined) {
    fields.push(['Current', amount(p.current, p.unit)]);
  }
  if (p.limit !== null && p.limit !== undefined) fields.push(['Limit', amount(p.limit, p.unit)]);
  if (p.action) fields.push(['Action', p.action]);
  if (p.transactionId) fields.push(['Transaction', p.transactionId]);
  return fields;
}

/** Slack's characters that would be read as markup in mrkdwn. */
function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack incoming-webhook message: `text` (notifications, fallback) and Block Kit `blocks`. */
export function slackMessage(item: OutboxItem): {
  text: string;
  blocks: Record<string, unknown>[];
} {
  const p = item.payload;
  const text = `Reins alert — ${summaryLine(p)}`;
  const fields = detailFields(p).map(([k, v]) => ({
    type: 'mrkdwn',
    text: `*${k}*\n${slackEscape(v)}`.slice(0, 2000),
  }));
  const blocks: Record<string, unknown>[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: `Reins alert: ${p.ruleName ?? p.ruleId ?? 'policy rule'}`.slice(0, 150),
      },
    },
    {
      type: 'section',
      // Slack refuses a section text over 3,000 characters.
      text: { type: 'mrkdwn', text: slackEscape(p.message ?? summaryLine(p)).slice(0, 3000) },
    },
  ];
  if (fields.length > 0) blocks.push({ type: 'section', fields: fields.slice(0, 10) });
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Delivery ${item.id}` }],
  });
  return { text, blocks };
}

/** The email: a subject line, a plain-text body. */
export function emailMessage(item: OutboxItem): { subject: string; text: string } {
  const p = item.payload;
  const lines = [
    summaryLine(p),
    '',
    ...detailFields(p).map(([k, v]) => `${k}: ${v}`),
    '',
    `Raised at ${p.createdAt ?? item.createdAt.toISOString()}`,
    `Delivery id: ${item.id}`,
  ];
  return { subject: `[Reins] ${summaryLine(p)}`.slice(0, 200), text: lines.join('\n') };
}
