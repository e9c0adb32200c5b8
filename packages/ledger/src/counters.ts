/**
 * Window counters: per organization, one row per window key (`period|per|start|group`, see the
 * engine's `requiredWindows`) with the totals of what was spent in that window by that group. A
 * counter is a cache of the ledger (the transactions): it holds exactly the counted transactions
 * of its window — admitted or observed ones, reservations with their hold until settled (then
 * the settled amount) or released.
 *
 * Every writer locks the counters it changes in key order (`lockCountersSql`, `adjustCounters`),
 * after any transaction rows it locks: so concurrent writers — batches, settles, voids, releases,
 * in any number of processes — serialize on the counters they share and never deadlock, and a
 * total read under the lock cannot be overtaken.
 *
 * An evaluation sees a counter without the holds of reservations that expired unsettled and are
 * not released yet (`asEvaluated`): those stop counting toward limits at their expiry, although
 * they leave the row only when the worker releases them.
 */
import type { WindowRef, WindowTotals } from '@reins/engine';
import { revokeLeasesSql } from './leases.js';
import {
  dollarQuote,
  jsonValue,
  queryRows,
  results,
  type Params,
  type RawConnection,
} from './sql.js';

const lit = dollarQuote;

/** A `window_counter` row (or a sum shaped like one) as the driver returns it. */
export interface CounterRow {
  key: string;
  cost_micros: string | number;
  tokens_in: string | number;
  tokens_out: string | number;
  requests: string | number;
}

export function toTotals(r: CounterRow): WindowTotals {
  return {
    costMicros: Number(r.cost_micros),
    tokensIn: Number(r.tokens_in),
    tokensOut: Number(r.tokens_out),
    requests: Number(r.requests),
  };
}

export const zeroTotals = (): WindowTotals => ({
  costMicros: 0,
  tokensIn: 0,
  tokensOut: 0,
  requests: 0,
});

const byKey = (a: { key: string }, b: { key: string }) =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : 0;

/**
 * Creates the counters of `refs` that do not exist yet and locks all of them, in key order, in
 * one statement that returns their totals (`CounterRow`s). Run it inside a transaction.
 */
export function lockCountersSql(orgId: string, refs: readonly WindowRef[]): string {
  const rows = [...refs].sort(byKey).map((w) => ({
    key: w.key,
    period: w.period,
    per: w.per,
    group_value: w.group,
    window_start: w.start,
    window_end: w.end,
  }));
  return `insert into window_counter (org_id, key, period, per, group_value, window_start,
          window_end)
       select ${lit(orgId)}, x.key, x.period, x.per, x.group_value, x.window_start, x.window_end
         from jsonb_to_recordset(${lit(JSON.stringify(rows))}::jsonb) as x(key text, period text,
              per text, group_value text, window_start timestamptz, window_end timestamptz)
        order by x.key
       on conflict (org_id, key) do update set updated_at = window_counter.updated_at
       returning key, cost_micros, tokens_in, tokens_out, requests`;
}

/** A half-open span of instants, as ISO strings: [from, to). */
export interface TimeSpan {
  from: string;
  to: string;
}

/** The span of the windows of `refs`: from the earliest start to the latest end. */
export function windowsSpan(refs: readonly Pick<WindowRef, 'start' | 'end'>[]): TimeSpan | null {
  let from: number | null = null;
  let to: number | null = null;
  for (const r of refs) {
    const a = Date.parse(r.start);
    const b = Date.parse(r.end);
    if (from === null || a < from) from = a;
    if (to === null || b > to) to = b;
  }
  return from === null || to === null
    ? null
    : { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

/**
 * The holds of `orgId`'s reservations that expired unsettled at `at` and are still in the
 * counters, summed by counter key (`CounterRow`s).
 *
 * `within`: the span of the windows of the counters asked about. A window counts a transaction
 * created in it (by the server's clock: seed.ts), so a hold in one of those counters is a
 * transaction's created within the span — the same rows, and the planner (the bound is on the
 * partition key, as literals) leaves out every other month's partition, which otherwise cost more
 * to plan than the statement to run.
 */
export function expiredHoldsSql(orgId: string, at: string, within?: TimeSpan | null): string {
  const span = within
    ? `
        and t.created_at >= ${lit(within.from)}::timestamptz
        and t.created_at < ${lit(within.to)}::timestamptz`
    : '';
  return `select k.key, sum((t.hold->>'amountMicros')::bigint) as cost_micros,
            sum((t.hold->>'tokensIn')::bigint) as tokens_in,
            sum((t.hold->>'tokensOut')::bigint) as tokens_out, count(*) as requests
       from transaction_record t
            cross join lateral jsonb_array_elements_text(t.counted_windows) as k(key)
      where t.org_id = ${lit(orgId)} and t.status = 'reserved'
        and t.expires_at <= ${lit(at)}::timestamptz${span}
      group by k.key`;
}

export interface EvaluatedTotals {
  /** The totals an evaluation uses, by key (expired holds taken out). */
  totals: Record<string, WindowTotals>;
  /** What was taken out, by key: still in the rows, to be written back with them. */
  expired: Record<string, WindowTotals>;
}

/**
 * Window totals as an evaluation sees them — the one way the hot path, the dry run and the SDK's
 * state read them: the counters' rows minus the expired holds on them.
 */
export function asEvaluated(
  counters: readonly CounterRow[],
  holds: readonly CounterRow[],
): EvaluatedTotals {
  const totals: Record<string, WindowTotals> = {};
  for (const r of counters) totals[r.key] = toTotals(r);
  const expired: Record<string, WindowTotals> = {};
  for (const r of holds) {
    const t = totals[r.key];
    if (!t) continue;
    const h = toTotals(r);
    expired[r.key] = h;
    t.costMicros -= h.costMicros;
    t.tokensIn -= h.tokensIn;
    t.tokensOut -= h.tokensOut;
    t.requests -= h.requests;
  }
  return { totals, expired };
}

/**
 * Reads the totals of `keys` as an evaluation at `at` sees them, without locking (a dry run: what
 * the next transaction would see if nothing else were recorded first). Missing counters are
 * absent (all zeros).
 */
export async function readTotals(
  conn: RawConnection,
  orgId: string,
  keys: readonly string[],
  at: string,
): Promise<Record<string, WindowTotals>> {
  if (keys.length === 0) return {};
  const [counters, holds] = results(
    await conn.query(
      `select key, cost_micros, tokens_in, tokens_out, requests from window_counter
        where org_id = ${lit(orgId)}
          and key = any (array(select jsonb_array_elements_text(${lit(JSON.stringify(keys))}::jsonb)));
       ${expiredHoldsSql(orgId, at)}`,
    ),
  );
  return asEvaluated(
    (counters?.rows ?? []) as unknown as CounterRow[],
    (holds?.rows ?? []) as unknown as CounterRow[],
  ).totals;
}

/**
 * The largest total a counter may reach: past 2^53 − 1 JavaScript numbers (which every reader of
 * a counter uses) stop being exact. $90 billion in microcents, 9 × 10^15 tokens or requests.
 */
export const MAX_EXACT_TOTAL = Number.MAX_SAFE_INTEGER;

/** Whether `totals` plus `add` stays within `MAX_EXACT_TOTAL` in every metric. */
export function withinExact(totals: WindowTotals | undefined, add: WindowTotals): boolean {
  const t = totals ?? zeroTotals();
  return (
    t.costMicros + add.costMicros <= MAX_EXACT_TOTAL &&
    t.tokensIn + add.tokensIn <= MAX_EXACT_TOTAL &&
    t.tokensOut + add.tokensOut <= MAX_EXACT_TOTAL &&
    t.requests + add.requests <= MAX_EXACT_TOTAL
  );
}

/** A change that would take a counter past `MAX_EXACT_TOTAL`: nothing was written. */
export class TotalOutOfRange extends RangeError {
  constructor(readonly key: string) {
    super(`counter ${key} would pass ${String(MAX_EXACT_TOTAL)}, the most counted exactly`);
    this.name = 'TotalOutOfRange';
  }
}

/** New values of counters locked by `lockCountersSql`. */
export interface CounterWrite {
  key: string;
  totals: WindowTotals;
}

/**
 * The rows of `keys` as they must be written back: the evaluated totals plus the expired holds
 * that were taken out of them (those stay until released).
 */
export function countersToWrite(
  evaluated: EvaluatedTotals,
  keys: Iterable<string>,
): CounterWrite[] {
  const out: CounterWrite[] = [];
  for (const key of keys) {
    const t = evaluated.totals[key] ?? zeroTotals();
    const x = evaluated.expired[key] ?? zeroTotals();
    out.push({
      key,
      totals: {
        costMicros: t.costMicros + x.costMicros,
        tokensIn: t.tokensIn + x.tokensIn,
        tokensOut: t.tokensOut + x.tokensOut,
        requests: t.requests + x.requests,
      },
    });
  }
  return out;
}

/** One statement setting locked counters to `writes` (usable as the body of a CTE). */
export function writeCountersSql(
  orgId: string,
  writes: readonly CounterWrite[],
  at: string,
  params?: Params,
): string {
  const rows = writes.map((w) => ({
    key: w.key,
    cost_micros: w.totals.costMicros,
    tokens_in: w.totals.tokensIn,
    tokens_out: w.totals.tokensOut,
    requests: w.totals.requests,
  }));
  // The keys again, as the index condition: joined on `x.key` alone (the planner guesses 100 rows
  // from the function), the plan may read every counter of the organization, its past windows
  // included, into a hash — with 430 counters it did — where the batch's own are index lookups.
  const keys = jsonValue(
    rows.map((r) => r.key),
    params,
  );
  return `update window_counter c
          set cost_micros = x.cost_micros, tokens_in = x.tokens_in, tokens_out = x.tokens_out,
              requests = x.requests, updated_at = ${lit(at)}::timestamptz
         from jsonb_to_recordset(${jsonValue(rows, params)}) as x(key text,
          cost_micros bigint, tokens_in bigint, tokens_out bigint, requests bigint)
        where c.org_id = ${lit(orgId)}
          and c.key = any (array(select jsonb_array_elements_text(${keys})))
          and c.key = x.key`;
}

/**
 * Adds `delta` to the existing counters among `keys`, locked in key order first (one round trip,
 * inside the caller's transaction). Keys without a counter are left alone.
 */
export function adjustCounters(
  conn: RawConnection,
  orgId: string,
  keys: readonly string[],
  delta: WindowTotals,
): Promise<void> {
  return adjustCountersBy(
    conn,
    orgId,
    keys.map((key) => ({ key, totals: delta })),
  );
}

/** Adds each delta to its counter (`CounterWrite.totals` as a difference), as `adjustCounters`. */
export async function adjustCountersBy(
  conn: RawConnection,
  orgId: string,
  deltas: readonly CounterWrite[],
): Promise<void> {
  if (deltas.length === 0) return;
  const rows = JSON.stringify(
    deltas.map((d) => ({
      key: d.key,
      cost_micros: d.totals.costMicros,
      tokens_in: d.totals.tokensIn,
      tokens_out: d.totals.tokensOut,
      requests: d.totals.requests,
    })),
  );
  const x = `jsonb_to_recordset(${lit(rows)}::jsonb) as x(key text, cost_micros bigint,
          tokens_in bigint, tokens_out bigint, requests bigint)`;
  const locked = await queryRows<CounterRow>(
    conn,
    `select c.key, c.cost_micros, c.tokens_in, c.tokens_out, c.requests from window_counter c
      where c.org_id = ${lit(orgId)} and c.key in (select x.key from ${x})
      order by c.key for update`,
  );
  const sums = new Map<string, WindowTotals>();
  for (const d of deltas) {
    const t = sums.get(d.key) ?? zeroTotals();
    t.costMicros += d.totals.costMicros;
    t.tokensIn += d.totals.tokensIn;
    t.tokensOut += d.totals.tokensOut;
    t.requests += d.totals.requests;
    sums.set(d.key, t);
  }
  for (const r of locked) {
    if (!withinExact(toTotals(r), sums.get(r.key) ?? zeroTotals()))
      throw new TotalOutOfRange(r.key);
  }
  await queryRows(
    conn,
    `update window_counter c
        set cost_micros = c.cost_micros + x.cost_micros, tokens_in = c.tokens_in + x.tokens_in,
            tokens_out = c.tokens_out + x.tokens_out, requests = c.requests + x.requests,
            updated_at = now()
       from (select key, sum(cost_micros) as cost_micros, sum(tokens_in) as tokens_in,
                    sum(tokens_out) as tokens_out, sum(requests) as requests
               from ${x} group by key) x
      where c.org_id = ${lit(orgId)} and c.key = x.key`,
  );
  // A counter raised (a settle above its hold, a released reservation settled after all) may now
  // stand past a block limit: the budget leases on it must not spend their unused grants on top.
  const raised = [...sums.entries()]
    .filter(([, t]) => t.costMicros > 0 || t.tokensIn > 0 || t.tokensOut > 0 || t.requests > 0)
    .map(([key]) => key);
  if (raised.length > 0) await conn.query(revokeLeasesSql(orgId, raised));
}

/** Vendor per-minute request counters' keys start with this (`ratelimit|minute|<start>|<vendor>`). */
export const RATE_LIMIT_PREFIX = 'ratelimit|';

/** The counter of a vendor's per-minute rate limit at `nowMs`: a window counter like the others. */
export function rateLimitRef(vendor: string, nowMs: number): WindowRef {
  const start = Math.floor(nowMs / 60_000) * 60_000;
  const startIso = new Date(start).toISOString();
  return {
    key: `${RATE_LIMIT_PREFIX}minute|${startIso}|${vendor}`,
    // Not a rule period: the engine never reads these counters.
    period: 'minute' as WindowRef['period'],
    per: 'vendor',
    group: vendor,
    start: startIso,
    end: new Date(start + 60_000).toISOString(),
  };
}
