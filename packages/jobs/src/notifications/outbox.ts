/**
 * The outbox's two statements. A claim leases due rows in one short statement (its own
 * transaction): `FOR UPDATE SKIP LOCKED` keeps concurrent workers off each other's rows, and the
 * lease — `next_attempt_at` moved past the delivery's deadline, `attempts` counted — keeps them off
 * after commit, while the delivery runs outside any transaction. A worker that dies mid-delivery
 * leaves the lease to expire; the next claim retries the row with the same id.
 *
 * The recorded outcome is fenced by the attempt number: a worker whose lease expired and was
 * claimed again cannot overwrite the newer attempt's state.
 */
import type { Orm } from '@reins/db';
import { plainSql } from '@reins/ledger';
import type { NextState } from './backoff.js';
import type { AlertPayload, OutboxItem } from './messages.js';

export interface ClaimedRow extends OutboxItem {
  /** This attempt's number (1 for the first). */
  attempt: number;
  /** The channel as it is now; null when it was deleted. */
  channel: { type: string; config: unknown; enabled: boolean } | null;
}

interface ClaimRecord {
  id: string;
  org_id: string;
  alert_id: string | null;
  channel_id: string;
  payload: AlertPayload | string;
  attempts: number;
  created_at: Date | string;
  channel_type: string | null;
  channel_config: unknown;
  channel_enabled: boolean | null;
}

export async function claimDue(
  orm: Orm,
  now: Date,
  leaseUntil: Date,
  limit: number,
): Promise<ClaimedRow[]> {
  const rows = await plainSql(orm)<ClaimRecord>(
    `with due as (
       select id from notification_outbox
        where status = 'pending' and next_attempt_at <= ?::timestamptz
        order by next_attempt_at
        limit ?
          for update skip locked
     ), claimed as (
       update notification_outbox o
          set attempts = o.attempts + 1, next_attempt_at = ?::timestamptz
         from due
        where o.id = due.id
       returning o.id, o.org_id, o.alert_id, o.channel_id, o.payload, o.attempts, o.created_at
     )
     select c.*, ch.type as channel_type, ch.config as channel_config,
            ch.enabled as channel_enabled
       from claimed c
       left join notification_channel ch on ch.id = c.channel_id and ch.org_id = c.org_id
      order by c.created_at, c.id`,
    [now.toISOString(), limit, leaseUntil.toISOString()],
  );
  return rows.map((r) => ({
    id: r.id,
    orgId: r.org_id,
    alertId: r.alert_id,
    channelId: r.channel_id,
    payload: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as AlertPayload,
    createdAt: new Date(r.created_at),
    attempt: r.attempts,
    channel:
      r.channel_type === null
        ? null
        : { type: r.channel_type, config: r.channel_config, enabled: r.channel_enabled === true },
  }));
}

/**
 * Writes an attempt's outcome, if the row is still this attempt's (pending, same attempt count).
 * Answers false when it was not: the lease had expired and another attempt owns the row.
 */
export async function recordOutcome(
  orm: Orm,
  id: string,
  attempt: number,
  next: NextState,
): Promise<boolean> {
  const sql = plainSql(orm);
  const fence = `where id = ? and status = 'pending' and attempts = ? returning id`;
  let rows: { id: string }[];
  switch (next.status) {
    case 'delivered':
      rows = await sql(
        `update notification_outbox
            set status = 'delivered', delivered_at = ?::timestamptz, last_error = null ${fence}`,
        [next.deliveredAt.toISOString(), id, attempt],
      );
      break;
    case 'pending':
      rows = await sql(
        `update notification_outbox
            set next_attempt_at = ?::timestamptz, last_error = ? ${fence}`,
        [next.nextAttemptAt.toISOString(), next.lastError, id, attempt],
      );
      break;
    case 'failed':
      rows = await sql(
        `update notification_outbox set status = 'failed', last_error = ? ${fence}`,
        [next.lastError, id, attempt],
      );
      break;
  }
  return rows.length === 1;
}
