/**
 * The ledger's upkeep: sealing the audit chain, releasing expired reservation holds (and taking
 * back expired budget leases), pruning old idempotency records. Each is safe with any number of workers at once: the sealer locks each
 * org's chain head, the others claim rows with `FOR UPDATE SKIP LOCKED`.
 */
import {
  ChainBroken,
  expiredAt,
  inTransaction,
  plainSql,
  releaseExpiredHolds,
  sealAll,
  takeBackLeasesEverywhere,
  withConnection,
  queryRows,
  dollarQuote,
} from '@reins/ledger';
import type { Job } from './scheduler.js';

export function sealJob(everyMs: number): Job {
  /** Tampered chains already reported (once each per process: the sealer skips them every run). */
  const reported = new Set<string>();
  return {
    name: 'audit-seal',
    everyMs,
    async run(ctx) {
      const r = await sealAll(ctx.orm, { signal: ctx.signal });
      for (const orgId of r.broken) {
        if (reported.has(orgId)) continue;
        reported.add(orgId);
        ctx.log.error({ err: new ChainBroken(orgId), orgId }, 'audit chain broken');
      }
      return false;
    },
  };
}

/** Reservations released per org per database transaction (each is a few counter rows). */
export const HOLDS_BATCH = 500;

export function expireHoldsJob(everyMs: number): Job {
  return {
    name: 'expire-holds',
    everyMs,
    async run(ctx) {
      const at = ctx.now().toISOString();
      // The partial index on open reservations (org_id, expires_at) answers this without a scan
      // of history.
      const orgs = await plainSql(ctx.orm)<{ org_id: string }>(
        `select distinct org_id from transaction_record
          where status = 'reserved' and expires_at <= ?::timestamptz`,
        [at],
      );
      let more = false;
      for (const { org_id: orgId } of orgs) {
        if (ctx.signal.aborted) return false;
        const released = await inTransaction(ctx.orm, (conn) =>
          releaseExpiredHolds(conn, orgId, at, { limit: HOLDS_BATCH, actor: 'worker' }),
        );
        if (released.length > 0) {
          ctx.log.info({ orgId, released: released.length }, 'released expired reservation holds');
        }
        if (released.length === HOLDS_BATCH) more = true;
      }
      // Budget leases expired unrenewed (a killed server's; a window's that is over) go back too:
      // a batch that locks the counter would take them back, but no batch may come.
      if (ctx.signal.aborted) return false;
      const leases = await withConnection(ctx.orm, (conn) =>
        takeBackLeasesEverywhere(conn, expiredAt(at)),
      );
      if (leases > 0) ctx.log.info({ leases }, 'took back expired budget leases');
      return more;
    },
  };
}

/** Idempotency records deleted per statement: short transactions, short locks. */
export const PRUNE_BATCH = 5000;

export function pruneIdempotencyJob(
  everyMs: number,
  retentionHours: number,
  batch = PRUNE_BATCH,
): Job {
  return {
    name: 'prune-idempotency',
    everyMs,
    async run(ctx) {
      const cutoff = new Date(ctx.now().getTime() - retentionHours * 3_600_000).toISOString();
      const rows = await withConnection(ctx.orm, (conn) =>
        queryRows<{ n: string }>(
          conn,
          `with gone as (
             delete from idempotency_record where (org_id, key) in (
               select org_id, key from idempotency_record
                where created_at < ${dollarQuote(cutoff)}::timestamptz
                limit ${String(batch)}
                  for update skip locked)
             returning 1)
           select count(*)::text as n from gone`,
        ),
      );
      const n = Number(rows[0]?.n ?? 0);
      if (n > 0) ctx.log.info({ pruned: n }, 'pruned idempotency records');
      return n === batch;
    },
  };
}

/** Used or expired one-time sign-in links are kept this long (who used which, when), then deleted. */
const SIGN_IN_TOKENS_KEPT_MS = 7 * 24 * 3_600_000;

/**
 * Deletes dashboard sessions past their absolute end (sessions ended by the idle timeout are
 * refused, and deleted by the server when next presented or at their absolute end here) and
 * sign-in links used or expired a week ago.
 */
export function pruneSessionsJob(everyMs: number, batch = PRUNE_BATCH): Job {
  return {
    name: 'prune-sessions',
    everyMs,
    async run(ctx) {
      const now = ctx.now().getTime();
      const at = dollarQuote(new Date(now).toISOString());
      const kept = dollarQuote(new Date(now - SIGN_IN_TOKENS_KEPT_MS).toISOString());
      const rows = await withConnection(ctx.orm, (conn) =>
        queryRows<{ n: string }>(
          conn,
          `with s as (
             delete from user_session where (org_id, id) in (
               select org_id, id from user_session where expires_at <= ${at}::timestamptz
                limit ${String(batch)} for update skip locked)
             returning 1),
           t as (
             delete from sign_in_token where (org_id, id) in (
               select org_id, id from sign_in_token
                where expires_at <= ${kept}::timestamptz or used_at <= ${kept}::timestamptz
                limit ${String(batch)} for update skip locked)
             returning 1)
           select ((select count(*) from s) + (select count(*) from t))::text as n`,
        ),
      );
      const n = Number(rows[0]?.n ?? 0);
      if (n > 0) ctx.log.info({ pruned: n }, 'pruned ended sessions and sign-in links');
      return n >= batch;
    },
  };
}
