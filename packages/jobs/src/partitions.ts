/**
 * The monthly partitions of `transaction_record` and `audit_event` (docs/operations.md, "Data
 * volume"): the current month and the next ones are created ahead of time, and, when a retention
 * is set, transactions recorded before it are dropped a whole month at a time. Audit events are
 * never dropped: the audit log is kept for ever, and its hash chain with it.
 *
 * Safe with any number of workers at once: every change is one statement holding a
 * transaction-scoped advisory lock, and does nothing when already done.
 */
import {
  PARTITION_MONTHS_AHEAD,
  dropPartitionSql,
  ensurePartitionsSql,
  listPartitionsSql,
  monthStart,
  partitionMonth,
  partitionName,
  type Orm,
} from '@reins/db';
import { dollarQuote, queryRows, withConnection } from '@reins/ledger';
import { PRUNE_BATCH } from './maintenance.js';
import type { Job } from './scheduler.js';

/** PostgreSQL's lock_not_available: a partition change gave up waiting for its lock. */
const LOCK_TIMEOUT = '55P03';

const isLockTimeout = (err: unknown) => (err as { code?: unknown }).code === LOCK_TIMEOUT;

/**
 * Creates the month of `now` and `ahead` months after it, for both tables, where missing.
 * Answers the months still missing: those whose rows the default partition holds already (they
 * stay there: readable and counted) and those whose lock timed out (the next run tries again).
 */
export async function ensurePartitions(
  orm: Orm,
  now: Date,
  ahead = PARTITION_MONTHS_AHEAD,
): Promise<string[]> {
  return withConnection(orm, async (conn) => {
    for (const sql of ensurePartitionsSql(now, ahead)) {
      await conn.query(sql).catch((err: unknown) => {
        if (!isLockTimeout(err)) throw err;
      });
    }
    const wanted = (['transaction_record', 'audit_event'] as const).flatMap((table) =>
      Array.from({ length: ahead + 1 }, (_, i) => partitionName(table, monthStart(now, i))),
    );
    const rows = await queryRows<{ name: string }>(
      conn,
      `select name from jsonb_array_elements_text(${dollarQuote(JSON.stringify(wanted))}::jsonb)
          as w(name) where to_regclass(name) is null`,
    );
    return rows.map((r) => r.name);
  });
}

export interface Dropped {
  /** The month partitions of transactions dropped. */
  partitions: string[];
  /** Older transactions deleted from the default partition (at most one batch per run). */
  deleted: number;
}

/**
 * Drops the months of `transaction_record` that ended `months` or more months before the one
 * `now` is in (with 3: at the start of any day of April, everything recorded before January),
 * and deletes transactions recorded before that from the default partition, one batch at a time.
 */
export async function dropExpiredTransactions(
  orm: Orm,
  now: Date,
  months: number,
  batch = PRUNE_BATCH,
): Promise<Dropped> {
  const cutoff = monthStart(now, -months);
  return withConnection(orm, async (conn) => {
    const names = await queryRows<{ name: string }>(conn, listPartitionsSql('transaction_record'));
    const partitions: string[] = [];
    for (const { name } of names) {
      const month = partitionMonth('transaction_record', name);
      if (!month || month >= cutoff) continue;
      // A lock timeout leaves the month for the next run.
      const dropped = await conn.query(dropPartitionSql(name)).then(
        () => true,
        (err: unknown) => {
          if (!isLockTimeout(err)) throw err;
          return false;
        },
      );
      if (dropped) partitions.push(name);
    }
    const rows = await queryRows<{ n: string }>(
      conn,
      `with gone as (
         delete from transaction_record_default where (org_id, id, created_at) in (
           select org_id, id, created_at from transaction_record_default
            where created_at < ${dollarQuote(cutoff.toISOString())}::timestamptz
            limit ${String(batch)} for update skip locked)
         returning 1)
       select count(*)::text as n from gone`,
    );
    return { partitions, deleted: Number(rows[0]?.n ?? 0) };
  });
}

/** The smallest retention (months): the current and previous months back every open window. */
export const MIN_RETENTION_MONTHS = 2;

export function partitionsJob(everyMs: number, retentionMonths: number): Job {
  return {
    name: 'partitions',
    everyMs,
    async run(ctx) {
      const now = ctx.now();
      const stuck = await ensurePartitions(ctx.orm, now);
      if (stuck.length > 0) {
        ctx.log.warn(
          { partitions: stuck },
          'month partitions missing: the default partition holds rows of those months, or their lock timed out',
        );
      }
      if (retentionMonths <= 0) return false;
      const dropped = await dropExpiredTransactions(
        ctx.orm,
        now,
        Math.max(retentionMonths, MIN_RETENTION_MONTHS),
      );
      if (dropped.partitions.length > 0 || dropped.deleted > 0) {
        ctx.log.info({ ...dropped }, 'dropped transactions past their retention');
      }
      return dropped.deleted === PRUNE_BATCH;
    },
  };
}
