/**
 * The `backtest` job: claims a queued backtest (or a running one whose worker's lease expired:
 * that worker died mid-replay), replays the organization's recorded transactions through the
 * engine with the draft rules (`backtestReplay.ts`), and stores the result.
 *
 * Three steps, as everywhere in the ledger: claim (one `UPDATE … FOR UPDATE SKIP LOCKED`, so any
 * number of workers take different backtests), replay (pure, fed chunk by chunk), write. The
 * rows are read in keyset-paginated chunks of `chunkSize` — never the whole period in memory —
 * each as ONE row of column arrays in JSON (`json_build_object` of `array_agg`s): the driver
 * parses one string per chunk instead of building an object per row, which is most of what
 * makes the replay fast. After every chunk the job writes its progress and renews its lease; a
 * renewal that finds the lease taken stops the replay (another worker has it).
 */
import { hostname } from 'node:os';
import type { Rule } from '@reins/engine';
import {
  dollarQuote,
  queryRows,
  randomBase62,
  withConnection,
  type RawConnection,
} from '@reins/ledger';
import {
  COUNTS_ALWAYS,
  COUNTS_IF_ADMITTED,
  COUNTS_NEVER,
  Replay,
  type BacktestSettings,
  type ReplayChunk,
} from './backtestReplay.js';
import { isDatabaseError, LeaseLost, leased } from './lease.js';
import type { Job, JobContext } from './scheduler.js';

const lit = dollarQuote;

/** How long a claim holds without renewal; renewed after every chunk. */
export const BACKTEST_LEASE_MS = 60_000;
/** Rows per read: large enough that a round trip is noise, small enough to stay a few MB. */
export const BACKTEST_CHUNK = 20_000;
/** Claims of one backtest before it is given up as failed (a replay that kills its worker). */
export const BACKTEST_MAX_ATTEMPTS = 3;
/** Rows replayed between yields to the event loop (~10–20 ms of engine work). */
const FEED_SLICE = 2000;

export interface BacktestJobOptions {
  leaseMs?: number;
  chunkSize?: number;
  /** Who claims (`locked_by`); default host, pid and a random tail. */
  workerId?: string;
}

interface Claimed {
  id: string;
  org_id: string;
  rules: Rule[];
  settings: BacktestSettings;
  period_start: string;
  period_end: string;
  attempts: number;
}

const lease = leased('backtest');

export function backtestJob(everyMs: number, opts: BacktestJobOptions = {}): Job {
  const leaseMs = opts.leaseMs ?? BACKTEST_LEASE_MS;
  const chunkSize = opts.chunkSize ?? BACKTEST_CHUNK;
  const me = opts.workerId ?? `${hostname()}:${String(process.pid)}:${randomBase62(6)}`;
  return {
    name: 'backtest',
    everyMs,
    async run(ctx) {
      const claimed = await claim(ctx, me, leaseMs);
      if (!claimed) return false;
      await runClaimed(ctx, claimed, me, { leaseMs, chunkSize });
      return true;
    },
  };
}

/** Claims the oldest claimable backtest: queued, or running with an expired lease. */
export function claim(ctx: JobContext, me: string, leaseMs: number): Promise<Claimed | null> {
  return lease.claim<Claimed>(ctx, me, leaseMs, {
    set: 'processed = 0',
    returning: `r.id, r.org_id, r.rules, r.settings, r.period_start::text, r.period_end::text,
                r.attempts`,
  });
}

async function runClaimed(
  ctx: JobContext,
  b: Claimed,
  me: string,
  o: { leaseMs: number; chunkSize: number },
): Promise<void> {
  const mine = lease.mine(b, me);
  if (b.attempts > BACKTEST_MAX_ATTEMPTS) {
    await lease.finish(ctx, mine, {
      status: 'failed',
      error: `gave up after ${String(BACKTEST_MAX_ATTEMPTS)} attempts (each worker stopped mid-replay)`,
    });
    ctx.log.error({ backtestId: b.id, orgId: b.org_id }, 'backtest failed: too many attempts');
    return;
  }
  try {
    const result = await replay(ctx, b, mine, o);
    if (result === null) return;
    await lease.finish(ctx, mine, {
      status: 'done',
      result,
      set: `processed = ${String(result.transactions)}`,
    });
    ctx.log.info(
      { backtestId: b.id, orgId: b.org_id, transactions: result.transactions },
      'backtest done',
    );
  } catch (err) {
    if (err instanceof LeaseLost) {
      ctx.log.warn({ backtestId: b.id }, 'backtest lease taken over by another worker');
      return;
    }
    // The database or the connection failed: the lease expires and a later run (here or in
    // another worker) starts again. Anything else failed on the data, and fails for good.
    if (isDatabaseError(err)) throw err;
    await lease.finish(ctx, mine, {
      status: 'failed',
      error: err instanceof Error ? err.message : String(err),
    });
    ctx.log.error({ err, backtestId: b.id }, 'backtest failed');
  }
}

/** The replay: null when it stopped because the host is stopping (the backtest is queued again). */
async function replay(
  ctx: JobContext,
  b: Claimed,
  mine: string,
  o: { leaseMs: number; chunkSize: number },
) {
  const start = Date.parse(b.period_start);
  const end = Date.parse(b.period_end);
  const r = new Replay(b.rules, b.settings, start, end);
  // A connection is taken per statement, never for the whole replay: on the embedded database
  // the pool has one, which the server's requests share.
  const [count] = await withConnection(ctx.orm, (conn) =>
    queryRows<{ n: string }>(
      conn,
      `select count(*)::text as n from transaction_record
        where org_id = ${lit(b.org_id)} and created_at >= ${lit(b.period_start)}::timestamptz
          and created_at < ${lit(b.period_end)}::timestamptz`,
    ),
  );
  const total = Number(count?.n ?? 0);
  await renew(ctx, mine, o.leaseMs, 0, total);
  const reader = chunkReader(b.org_id, iso(r.replayFrom), b.period_end, o.chunkSize, r);
  const read = () => withConnection(ctx.orm, reader);
  // The next chunk's query runs in PostgreSQL while this one is replayed here.
  let next = read();
  try {
    for (;;) {
      const chunk = await next;
      if (!chunk) break;
      next = read();
      // In slices, yielding between them: a server running the jobs in-process keeps answering.
      for (let from = 0; from < chunk.id.length; from += FEED_SLICE) {
        r.feed(chunk, from, Math.min(chunk.id.length, from + FEED_SLICE));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await renew(ctx, mine, o.leaseMs, r.processed, total);
      if (ctx.signal.aborted) {
        await lease.requeue(ctx, mine);
        return null;
      }
    }
  } finally {
    // Nothing of ours left running when the job returns.
    await next.catch(() => null);
  }
  return r.result();
}

/** Progress, and the lease extended. */
function renew(
  ctx: JobContext,
  mine: string,
  leaseMs: number,
  processed: number,
  total: number,
): Promise<void> {
  return lease.renew(
    ctx,
    mine,
    leaseMs,
    `processed = ${String(processed)}, total = ${String(total)}`,
  );
}

/**
 * Reads the org's transactions from `from` to `end` in (created_at, id) order, `size` at a time,
 * each chunk one row of column arrays. Only the columns the draft rules read are selected.
 */
export function chunkReader(
  orgId: string,
  from: string,
  end: string,
  size: number,
  needs: { needsRoles: boolean; needsModelKnown: boolean },
): (conn: RawConnection) => Promise<ReplayChunk | null> {
  let after: { at: string; id: string } | null = null;
  let done = false;
  const columns = [
    `'at', array_agg(floor(extract(epoch from c.created_at) * 1000)::bigint)`,
    `'id', array_agg(c.id)`,
    `'vendor', array_agg(c.vendor)`,
    `'model', array_agg(c.model)`,
    `'agent', array_agg(c.agent_id)`,
    `'user', array_agg(c.user_id)`,
    `'team', array_agg(c.team_id)`,
    `'project', array_agg(c.project_id)`,
    `'amount', array_agg(c.amount_micros)`,
    `'tin', array_agg(c.tokens_in)`,
    `'tout', array_agg(c.tokens_out)`,
    `'action', array_agg(c.action)`,
    `'admitted', array_agg(c.admitted)`,
    `'counts', array_agg(c.counts)`,
  ];
  const extra: string[] = [];
  if (needs.needsRoles) {
    columns.push(`'roles', array_agg(c.user_roles)`, `'metaRole', array_agg(c.meta_role)`);
    extra.push(
      `t.user_roles`,
      `(case when jsonb_typeof(t.metadata->'userRoles') = 'array' then t.metadata->'userRoles'
             else '[]'::jsonb end
        || case when jsonb_typeof(t.metadata->'userRole') = 'string'
                then jsonb_build_array(t.metadata->'userRole') else '[]'::jsonb end) as meta_role`,
    );
  }
  if (needs.needsModelKnown) {
    columns.push(`'known', array_agg(c.known)`);
    extra.push(`(t.evaluation->'modelKnown') as known`);
  }
  const select = [
    't.created_at',
    't.id',
    't.vendor',
    't.model',
    't.agent_id',
    't.user_id',
    't.team_id',
    't.project_id',
    't.amount_micros',
    't.tokens_in',
    't.tokens_out',
    't.action',
    't.admitted',
    `case when t.status in ('voided', 'expired') then ${String(COUNTS_NEVER)}
          when t.phase = 'observed' then ${String(COUNTS_ALWAYS)}
          else ${String(COUNTS_IF_ADMITTED)} end as counts`,
    ...extra,
  ].join(', ');
  return async (conn) => {
    if (done) return null;
    const keyset = after
      ? `t.created_at >= ${lit(after.at)}::timestamptz
         and (t.created_at, t.id) > (${lit(after.at)}::timestamptz, ${lit(after.id)})`
      : `t.created_at >= ${lit(from)}::timestamptz`;
    // The chunk's rows in order, once (materialized); the next key comes from SQL itself (the
    // greatest id at the greatest time, in the column's own collation), so that the keyset
    // never depends on the order the aggregates happen to read the rows in. That order is the
    // scan's, i.e. the chunk's, and the replay checks it.
    const [row] = await queryRows<{
      n: number;
      last_at: string | null;
      last_id: string | null;
      body: string | null;
    }>(
      conn,
      `with c as materialized (
         select ${select} from transaction_record t
          where t.org_id = ${lit(orgId)} and ${keyset}
            and t.created_at < ${lit(end)}::timestamptz
          order by t.created_at, t.id
          limit ${String(size)}),
       last as (select max(created_at) as at from c)
       select (select count(*)::int from c) as n, (select at::text from last) as last_at,
              (select max(c.id) from c, last where c.created_at = last.at) as last_id,
              (select json_build_object(${columns.join(', ')})::text from c) as body`,
    );
    const n = row?.n ?? 0;
    if (n < size) done = true;
    if (n === 0 || !row?.body || !row.last_at || !row.last_id) return null;
    after = { at: row.last_at, id: row.last_id };
    return JSON.parse(row.body) as ReplayChunk;
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
