/**
 * Work rows leased to one worker at a time (the `backtest` and `audit_verification` tables):
 * `status` queued → running → done | failed, `locked_by` / `locked_until` the lease, `attempts`
 * counted at each claim. A worker that stops mid-run leaves the lease to expire and the next claim
 * (here or in another process) starts the row again; one whose lease was taken over writes
 * nothing more (every statement after the claim is fenced by `locked_by`).
 */
import { dollarQuote, queryRows, withConnection } from '@reins/ledger';
import type { JobContext } from './scheduler.js';

const lit = dollarQuote;
const iso = (ms: number) => new Date(ms).toISOString();

/** The lease went to another worker: the run stops without writing. */
export class LeaseLost extends Error {}

/** An error of PostgreSQL (a SQLSTATE) or of the connection to it, rather than of the work. */
export function isDatabaseError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (/^[0-9A-Z]{5}$/.test(code) || code.startsWith('E'));
}

export interface Leased {
  /** Claims the oldest claimable row (queued, or running with an expired lease) for `me`. */
  claim<T>(
    ctx: JobContext,
    me: string,
    leaseMs: number,
    o: { set?: string; returning: string },
  ): Promise<T | null>;
  /** The fence of every later statement: this row (by its key), still leased to `me`. */
  mine(row: { org_id: string; id: string }, me: string): string;
  /** Extends the lease and writes the progress `set`; throws LeaseLost when it is not ours. */
  renew(ctx: JobContext, mine: string, leaseMs: number, set: string): Promise<void>;
  /** Ends the run: done or failed, with its result or error and the progress `set`. */
  finish(
    ctx: JobContext,
    mine: string,
    f: { status: 'done' | 'failed'; result?: unknown; error?: string; set?: string },
  ): Promise<void>;
  /** Gives the row back to the queue (the host is stopping): the next claim resumes it. */
  requeue(ctx: JobContext, mine: string): Promise<void>;
}

export function leased(table: 'backtest' | 'audit_verification'): Leased {
  return {
    async claim<T>(
      ctx: JobContext,
      me: string,
      leaseMs: number,
      o: { set?: string; returning: string },
    ) {
      const now = ctx.now().getTime();
      const rows = await withConnection(ctx.orm, (conn) =>
        queryRows<T>(
          conn,
          `update ${table} r
              set status = 'running', locked_by = ${lit(me)},
                  locked_until = ${lit(iso(now + leaseMs))}::timestamptz,
                  attempts = r.attempts + 1,${o.set ? ` ${o.set},` : ''}
                  started_at = coalesce(r.started_at, ${lit(iso(now))}::timestamptz)
            where (r.org_id, r.id) = (select org_id, id from ${table}
                           where status = 'queued'
                              or (status = 'running' and locked_until < ${lit(iso(now))}::timestamptz)
                           order by created_at, id
                           limit 1
                             for update skip locked)
            returning ${o.returning}`,
        ),
      );
      return rows[0] ?? null;
    },
    mine: (row, me) =>
      `org_id = ${lit(row.org_id)} and id = ${lit(row.id)} and locked_by = ${lit(me)}`,
    async renew(ctx, mine, leaseMs, set) {
      const until = iso(ctx.now().getTime() + leaseMs);
      const rows = await withConnection(ctx.orm, (conn) =>
        queryRows(
          conn,
          `update ${table} set ${set}, locked_until = ${lit(until)}::timestamptz
            where ${mine} and status = 'running' returning 1`,
        ),
      );
      if (rows.length === 0) throw new LeaseLost();
    },
    async finish(ctx, mine, f) {
      const result = f.result === undefined ? 'null' : `${lit(JSON.stringify(f.result))}::jsonb`;
      const error = f.error === undefined ? 'null' : lit(f.error);
      await withConnection(ctx.orm, (conn) =>
        conn.query(
          `update ${table}
              set status = ${lit(f.status)}, result = ${result}, error = ${error},
                  finished_at = ${lit(ctx.now().toISOString())}::timestamptz,
                  ${f.set ? `${f.set},` : ''}
                  locked_by = null, locked_until = null
            where ${mine}`,
        ),
      );
    },
    async requeue(ctx, mine) {
      await withConnection(ctx.orm, (conn) =>
        conn.query(
          `update ${table} set status = 'queued', locked_by = null, locked_until = null
            where ${mine}`,
        ),
      );
    },
  };
}
