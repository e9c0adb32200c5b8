/**
 * The read side of policy alerts. Alerts are raised by the transaction hot path (`warn` and
 * `notify` decisions, deduplicated per rule, group, window and threshold); here they are listed,
 * read and marked read.
 */
import { PolicyAlert } from '@reins/db';
import { LockMode } from '@mikro-orm/postgresql';
import type { Ctx } from '../core.js';
import { NotFound } from '../errors.js';
import { sqlOf } from '@reins/ledger';
import { parseInput } from '../schemas/common.js';
import { listAlertsInput } from '../schemas/alerts.js';
import { below, decodeCursor, keyOf, nextCursorOf } from '../lib/keyset.js';
import { audit } from './audit.js';
import { requirePermission } from './auth.js';

/**
 * A `notify` alert's deliveries, one per channel: `id` is the idempotency id every attempt
 * carries; `nextAttemptAt` is set while the delivery is pending (the next try, or the end of the
 * current attempt's lease).
 */
export interface DeliveryView {
  id: string;
  channelId: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
  deliveredAt: string | null;
  nextAttemptAt: string | null;
}

/** An outbox row's columns as the delivery views read them. */
export const DELIVERY_COLUMNS =
  'id, alert_id, channel_id, status, attempts, last_error, delivered_at, next_attempt_at';

export interface DeliveryRow {
  id: string;
  alert_id: string | null;
  channel_id: string;
  status: DeliveryView['status'];
  attempts: number;
  last_error: string | null;
  delivered_at: string | Date | null;
  next_attempt_at: string | Date;
}

const iso = (v: string | Date) => new Date(v).toISOString();

/** The deliveries of these alerts, by alert id (alerts without any have none in the map). */
async function deliveriesOf(
  ctx: Ctx,
  alertIds: readonly string[],
): Promise<Map<string, DeliveryView[]>> {
  const byAlert = new Map<string, DeliveryView[]>();
  if (alertIds.length === 0) return byAlert;
  const rows = await sqlOf(ctx.em)<DeliveryRow>(
    `select ${DELIVERY_COLUMNS}
       from notification_outbox
      where org_id = ? and alert_id in (select jsonb_array_elements_text(?::jsonb))
      order by created_at, channel_id`,
    [ctx.orgId, JSON.stringify(alertIds)],
  );
  for (const r of rows) {
    if (r.alert_id === null) continue;
    const list = byAlert.get(r.alert_id) ?? [];
    list.push(deliveryView(r));
    byAlert.set(r.alert_id, list);
  }
  return byAlert;
}

export function deliveryView(r: DeliveryRow): DeliveryView {
  return {
    id: r.id,
    channelId: r.channel_id,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    deliveredAt: r.delivered_at === null ? null : iso(r.delivered_at),
    nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null,
  };
}

export function alertView(a: PolicyAlert, deliveries: DeliveryView[] = []) {
  return {
    id: a.id,
    ruleId: a.ruleId,
    ruleName: a.ruleName,
    action: a.action,
    message: a.message,
    transactionId: a.transactionId,
    agentId: a.agentId ?? null,
    groupValue: a.groupValue ?? null,
    timeWindow: a.timeWindow ?? null,
    windowStart: a.windowStart ? a.windowStart.toISOString() : null,
    thresholdPct: a.thresholdPct ?? null,
    limit: a.limitValue ?? null,
    current: a.currentValue ?? null,
    unit: a.unit ?? null,
    read: a.read,
    readAt: a.readAt ? a.readAt.toISOString() : null,
    createdAt: a.createdAt.toISOString(),
    /** Where a `notify` alert was sent and how that went; empty for `warn`. */
    deliveries,
  };
}
export type AlertView = ReturnType<typeof alertView>;

type AlertRow = Record<string, unknown> & { cursor_at: string; id: string };

export async function listAlerts(ctx: Ctx, raw: unknown = {}) {
  requirePermission(ctx, 'alerts:read');
  const q = parseInput(listAlertsInput, raw);
  const filters = ['org_id = ?'];
  const params: unknown[] = [ctx.orgId];
  if (q.read !== undefined) {
    filters.push('read = ?');
    params.push(q.read);
  }
  if (q.ruleId !== undefined) {
    filters.push('rule_id = ?');
    params.push(q.ruleId);
  }
  const where = filters.join(' and ');
  const page = [...filters];
  const pageParams = [...params];
  if (q.cursor !== undefined) {
    const b = below('created_at', 'id', decodeCursor(q.cursor));
    page.push(b.sql);
    pageParams.push(...b.params);
  }
  const sql = sqlOf(ctx.em);
  // One row more than asked tells whether there is a next page without a second query.
  const [rows, counted] = await Promise.all([
    sql<AlertRow>(
      `select *, ${keyOf('created_at')} as cursor_at
         from policy_alert where ${page.join(' and ')}
        order by created_at desc, id desc limit ?`,
      [...pageParams, q.limit + 1],
    ),
    sql<{ total: number }>(
      `select count(*)::int as total from policy_alert where ${where}`,
      params,
    ),
  ]);
  const pageRows = rows.slice(0, q.limit);
  const deliveries = await deliveriesOf(
    ctx,
    pageRows.map((r) => r.id),
  );
  const alerts = pageRows.map(({ cursor_at: _c, ...row }) =>
    alertView(ctx.em.map(PolicyAlert, row), deliveries.get(row.id)),
  );
  return {
    alerts,
    count: alerts.length,
    total: counted[0]?.total ?? 0,
    nextCursor: nextCursorOf(rows, q.limit, (r) => r.cursor_at),
  };
}

export async function getAlert(ctx: Ctx, id: string) {
  requirePermission(ctx, 'alerts:read');
  const row = await ctx.em.findOne(PolicyAlert, { id, orgId: ctx.orgId });
  if (!row) throw new NotFound('Policy alert', id);
  const deliveries = await deliveriesOf(ctx, [id]);
  return { alert: alertView(row, deliveries.get(id)) };
}

/**
 * Marks an alert read; the `alert.read` audit event is written with the first read only, so
 * repeating the call (a retry, two dashboards) answers the same and records nothing.
 */
export async function markAlertRead(ctx: Ctx, id: string): Promise<{ id: string; read: true }> {
  requirePermission(ctx, 'alerts:write');
  const now = new Date(ctx.core.clock());
  return ctx.em.transactional(async (em) => {
    // Locked so that of two concurrent first reads exactly one writes the audit event.
    const row = await em.findOne(
      PolicyAlert,
      { id, orgId: ctx.orgId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    );
    if (!row) throw new NotFound('Policy alert', id);
    if (!row.read) {
      row.read = true;
      row.readAt = now;
      await audit(em, {
        orgId: ctx.orgId,
        eventType: 'alert.read',
        actor: ctx.actor,
        entityType: 'policy_alert',
        entityId: id,
        occurredAt: now,
        metadata: { ruleId: row.ruleId, ruleName: row.ruleName, action: row.action },
      });
      await em.flush();
    }
    return { id, read: true as const };
  });
}
