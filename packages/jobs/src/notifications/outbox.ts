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
       select org_id, id from notification_outbox
        where status = 'pending' and next_attempt_at <= ?::timestamptz
        order by next_attempt_at
        limit ?
          for update skip locked
     ), claimed as (
       update notification_outbox o
          set attempts = o.attempts + 1, next_attempt_at = ?::timestamptz
         from due
        where o.org_id = due.org_id and o.id = due.id
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

export interface Outcome {
  orgId: string;
  id: string;
  /** The attempt this outcome is of: written only if the row is still at it. */
  attempt: number;
  next: NextState;
}

/**
 * Writes attempts' outcomes in one statement (one commit for many deliveries), each only if its
 * row is still that attempt's (pending, same attempt count). Answers the ids written; an id
 * missing from it had lost its lease: another attempt owns the row.
 */
export async function recordOutcomes(orm: Orm, outcomes: readonly Outcome[]): Promise<Set<string>> {
  if (outcomes.length === 0) return new Set();
  const rows = outcomes.map(({ orgId, id, attempt, next }) => ({
    org_id: orgId,
    id,
    attempt,
    status: next.status,
    delivered_at: next.status === 'delivered' ? next.deliveredAt.toISOString() : null,
    next_attempt_at: next.status === 'pending' ? next.nextAttemptAt.toISOString() : null,
    last_error: next.status === 'delivered' ? null : next.lastError,
  }));
  const written = await plainSql(orm)<{ id: string }>(
    `update notification_outbox o
        set status = x.status,
            delivered_at = x.delivered_at,
            next_attempt_at = coalesce(x.next_attempt_at, o.next_attempt_at),
            last_error = x.last_error
       from jsonb_to_recordset(?::jsonb) as x(org_id text, id text, attempt int, status text,
              delivered_at timestamptz, next_attempt_at timestamptz, last_error text)
      where o.org_id = x.org_id and o.id = x.id and o.status = 'pending'
        and o.attempts = x.attempt
      returning o.id`,
    [JSON.stringify(rows)],
  );
  return new Set(written.map((r) => r.id));
}

/** One outcome; false when the row had been claimed again (its lease had expired). */
export async function recordOutcome(
  orm: Orm,
  row: { orgId: string; id: string },
  attempt: number,
  next: NextState,
): Promise<boolean> {
  return (await recordOutcomes(orm, [{ ...row, attempt, next }])).has(row.id);
}
