/**
 * Budget leases (issue 18): a server process's reservation of part of what an org-wide window
 * counter may still reach, so that it decides that counter's spend without locking its row.
 *
 * A lease is a hold. Granting `granted` adds it to the counter (under the counter's row lock);
 * spend admitted under the lease adds to the lease row's `used`, not to the counter; returning the
 * lease takes `granted − used` back out of the counter (under its lock again) and deletes the row.
 * So, at every commit, for every counter:
 *
 *     counter = Σ ledger spend of its window − Σ used + Σ granted   (over its open leases)
 *
 * and since no lease is ever used past its grant in a metric that has a block limit (the batch
 * checks it, and the row's update refuses it: `useLeasesSql`), what the ledger holds never
 * passes what the counter holds there — a lease can make a limit bind early, never late. In a
 * metric without a block limit the grant is 0 and the use is folded in at the return (the same
 * formula).
 *
 * Every writer takes lease rows after all its counter locks, and the counters in key order, as
 * everywhere: no deadlock with a batch that updates its lease row in its last statement.
 */
import type { WindowTotals } from '@reins/engine';
import { zeroTotals, type CounterRow } from './counters.js';
import { dollarQuote, jsonValue, queryRows, type Params, type RawConnection } from './sql.js';

const lit = dollarQuote;

/** Per metric, the most a counter may reach before a block rule matches (null: no limit). */
export interface CounterCaps {
  costMicros: number | null;
  tokensIn: number | null;
  tokensOut: number | null;
  requests: number | null;
}

const METRICS = ['costMicros', 'tokensIn', 'tokensOut', 'requests'] as const;

export const noCaps = (): CounterCaps => ({
  costMicros: null,
  tokensIn: null,
  tokensOut: null,
  requests: null,
});

/**
 * The largest total at which `(total × 100) ≤ limit × scale × pct` — what the engine's window
 * comparison still lets through (it matches when the product is greater).
 */
export function capOf(limit: number, scale: number, pct: number): number {
  const v = (BigInt(limit) * BigInt(scale) * BigInt(pct)) / 100n;
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** `caps` with `metric` lowered to `cap` where that is tighter. */
export function tighten(caps: CounterCaps, metric: keyof CounterCaps, cap: number): void {
  const now = caps[metric];
  caps[metric] = now === null ? cap : Math.min(now, cap);
}

/**
 * What to grant a lease on a counter that stands at `total` (its evaluated total, after the
 * batch that grants it): `percent` % of the headroom under each capped metric (rounded down), 0
 * in metrics without a cap. Null — no lease — when some capped metric would get nothing.
 */
export function grantSize(
  caps: CounterCaps,
  total: WindowTotals,
  percent: number,
): WindowTotals | null {
  const g = zeroTotals();
  for (const m of METRICS) {
    const cap = caps[m];
    if (cap === null) continue;
    const headroom = cap - total[m];
    const v = Math.floor((Math.max(0, headroom) * percent) / 100);
    if (v <= 0) return null;
    g[m] = v;
  }
  return g;
}

/** Whether `total` stands past `caps` in some capped metric. */
export function overCaps(caps: CounterCaps, total: WindowTotals): boolean {
  return METRICS.some((m) => {
    const cap = caps[m];
    return cap !== null && total[m] > cap;
  });
}

/**
 * Whether spending `need` more fits a lease of `granted` already `used` this far: in every
 * capped metric (granted > 0; a lease is granted only when every capped metric gets something)
 * the use stays within the grant; uncapped metrics (granted 0) take anything.
 */
export function fitsLease(granted: WindowTotals, used: WindowTotals, need: WindowTotals): boolean {
  return METRICS.every((m) => granted[m] === 0 || used[m] + need[m] <= granted[m]);
}

export function addTotals(a: WindowTotals, b: WindowTotals): WindowTotals {
  return {
    costMicros: a.costMicros + b.costMicros,
    tokensIn: a.tokensIn + b.tokensIn,
    tokensOut: a.tokensOut + b.tokensOut,
    requests: a.requests + b.requests,
  };
}

export function subTotals(a: WindowTotals, b: WindowTotals): WindowTotals {
  return {
    costMicros: a.costMicros - b.costMicros,
    tokensIn: a.tokensIn - b.tokensIn,
    tokensOut: a.tokensOut - b.tokensOut,
    requests: a.requests - b.requests,
  };
}

const UNUSED = `counter_key as key, granted_cost_micros - used_cost_micros as cost_micros,
          granted_tokens_in - used_tokens_in as tokens_in,
          granted_tokens_out - used_tokens_out as tokens_out,
          granted_requests - used_requests as requests`;

/**
 * Takes back, on `keys` of `orgId`, the leases of `holder` and every lease expired at `at`
 * (whoever held it: a crashed process's leases come back after their TTL): deletes them and
 * returns what each leaves unused (`granted − used`, a `CounterRow` per lease) — to be taken out
 * of the counters, which the caller has locked already (this locks lease rows: after counters).
 */
export function takeLeasesSql(
  orgId: string,
  keys: readonly string[],
  holder: string,
  at: string,
): string {
  return `delete from budget_lease
      where org_id = ${lit(orgId)}
        and counter_key = any (array(select jsonb_array_elements_text(${lit(JSON.stringify(keys))}::jsonb)))
        and (holder = ${lit(holder)} or expires_at <= ${lit(at)}::timestamptz)
      returning ${UNUSED}`;
}

/**
 * One statement taking back every lease on `keys` of `orgId`, whoever holds it, and taking what
 * each left unused out of its counter — run it after the counters are locked (and written, if
 * the caller writes them: it reads them as they are then). For a counter raised past what its
 * caps allow by something that is never refused (a settle above its hold, an observed call):
 * the leases' unused grants must not be spent on top of that.
 */
export function revokeLeasesSql(orgId: string, keys: readonly string[]): string {
  return `with taken as (
       delete from budget_lease
        where org_id = ${lit(orgId)}
          and counter_key = any (array(select jsonb_array_elements_text(${lit(JSON.stringify(keys))}::jsonb)))
       returning ${UNUSED}
     ), sums as (
       select key, sum(cost_micros) as cost_micros, sum(tokens_in) as tokens_in,
              sum(tokens_out) as tokens_out, sum(requests) as requests
         from taken group by key
     )
     update window_counter c
        set cost_micros = c.cost_micros - s.cost_micros, tokens_in = c.tokens_in - s.tokens_in,
            tokens_out = c.tokens_out - s.tokens_out, requests = c.requests - s.requests
       from sums s
      where c.org_id = ${lit(orgId)} and c.key = s.key`;
}

/** Sums `CounterRow`s by key. */
export function sumByKey(rows: readonly CounterRow[]): Map<string, WindowTotals> {
  const out = new Map<string, WindowTotals>();
  for (const r of rows) {
    const t = out.get(r.key) ?? zeroTotals();
    t.costMicros += Number(r.cost_micros);
    t.tokensIn += Number(r.tokens_in);
    t.tokensOut += Number(r.tokens_out);
    t.requests += Number(r.requests);
    out.set(r.key, t);
  }
  return out;
}

/** A lease as the batch that grants it writes it. */
export interface LeaseGrant {
  id: string;
  key: string;
  granted: WindowTotals;
  expiresAt: string;
}

/** One statement inserting `grants` held by `holder` (usable as the body of a CTE). */
export function grantLeasesSql(
  orgId: string,
  holder: string,
  grants: readonly LeaseGrant[],
  params?: Params,
): string {
  const rows = grants.map((g) => ({
    id: g.id,
    counter_key: g.key,
    cost_micros: g.granted.costMicros,
    tokens_in: g.granted.tokensIn,
    tokens_out: g.granted.tokensOut,
    requests: g.granted.requests,
    expires_at: g.expiresAt,
  }));
  return `insert into budget_lease (org_id, id, counter_key, holder, granted_cost_micros,
          granted_tokens_in, granted_tokens_out, granted_requests, expires_at)
       select ${lit(orgId)}, x.id, x.counter_key, ${lit(holder)}, x.cost_micros, x.tokens_in,
          x.tokens_out, x.requests, x.expires_at
         from jsonb_to_recordset(${jsonValue(rows, params)}) as x(id text, counter_key text,
          cost_micros bigint, tokens_in bigint, tokens_out bigint, requests bigint,
          expires_at timestamptz)`;
}

/** Spend admitted under a lease, to add to its `used`. */
export interface LeaseUse {
  id: string;
  used: WindowTotals;
}

/**
 * One statement adding `uses` to their leases' `used` (the body of a CTE returning the ids it
 * updated): only leases still there, not expired at `at`, and only within their grant in every
 * capped metric. Pair it with `leaseGuardSql`: a lease that was taken back (expired, or returned
 * by a policy change) must fail the batch, never let it spend without a hold.
 */
export function useLeasesSql(
  orgId: string,
  uses: readonly LeaseUse[],
  at: string,
  params?: Params,
): string {
  const rows = uses.map((u) => ({
    id: u.id,
    cost_micros: u.used.costMicros,
    tokens_in: u.used.tokensIn,
    tokens_out: u.used.tokensOut,
    requests: u.used.requests,
  }));
  const within = (m: string) => `(b.granted_${m} = 0 or b.used_${m} + x.${m} <= b.granted_${m})`;
  return `update budget_lease b
          set used_cost_micros = b.used_cost_micros + x.cost_micros,
              used_tokens_in = b.used_tokens_in + x.tokens_in,
              used_tokens_out = b.used_tokens_out + x.tokens_out,
              used_requests = b.used_requests + x.requests
         from jsonb_to_recordset(${jsonValue(rows, params)}) as x(id text, cost_micros bigint,
          tokens_in bigint, tokens_out bigint, requests bigint)
        where b.org_id = ${lit(orgId)} and b.id = x.id
          and b.expires_at > ${lit(at)}::timestamptz
          and ${['cost_micros', 'tokens_in', 'tokens_out', 'requests'].map(within).join(' and ')}
       returning b.id`;
}

/** SQLSTATE of the guard's failure (division by zero): a lease the batch spent is gone. */
export const LEASE_LOST_SQLSTATE = '22012';

/**
 * An expression that fails the statement (division by zero) unless CTE `cte` updated `n` rows:
 * evaluated at run time, so the whole statement — and the batch — is rolled back.
 */
export function leaseGuardSql(cte: string, n: number): string {
  return `1 / ((select count(*) from ${cte}) = ${String(n)})::int`;
}

/**
 * Takes back `orgId`'s leases that `where` selects (an SQL condition on `budget_lease`), inside
 * the caller's transaction: their counters locked first (key order), then the lease rows deleted,
 * then `granted − used` taken out of the counters. Returns how many leases were taken back.
 */
export async function takeBackLeases(
  conn: RawConnection,
  orgId: string,
  where: string,
): Promise<number> {
  const org = lit(orgId);
  await conn.query(
    `select c.key from window_counter c
      where c.org_id = ${org}
        and c.key in (select counter_key from budget_lease where org_id = ${org} and (${where}))
      order by c.key for update of c`,
  );
  const rows = await queryRows<CounterRow>(
    conn,
    `delete from budget_lease where org_id = ${org} and (${where}) returning ${UNUSED}`,
  );
  if (rows.length > 0) await conn.query(subtractSql(orgId, sumByKey(rows)));
  return rows.length;
}

/** The leases of `holder` (a condition for `takeBackLeases`). */
export const heldBy = (holder: string) => `holder = ${lit(holder)}`;

/** The leases expired at `at` (a condition for `takeBackLeases`). */
export const expiredAt = (at: string) => `expires_at <= ${lit(at)}::timestamptz`;

/** Leases on counters whose key starts with one of `prefixes` (a condition for `takeBackLeases`). */
export function onFamilies(prefixes: readonly string[]): string {
  return prefixes.length === 0
    ? 'false'
    : prefixes.map((p) => `counter_key ^@ ${lit(p)}`).join(' or ');
}

/**
 * Takes back the leases `where` selects in every organization that has one, one database
 * transaction per organization (graceful shutdown: a process's own; a sweep: expired ones).
 * A lease that appears meanwhile is left for the next call. Returns how many were taken back.
 */
export async function takeBackLeasesEverywhere(
  conn: RawConnection,
  where: string,
): Promise<number> {
  const orgs = await queryRows<{ org_id: string }>(
    conn,
    `select distinct org_id from budget_lease where ${where}`,
  );
  let n = 0;
  for (const { org_id } of orgs) {
    await conn.query('begin');
    try {
      n += await takeBackLeases(conn, org_id, where);
      await conn.query('commit');
    } catch (err) {
      await conn.query('rollback').catch(() => undefined);
      throw err;
    }
  }
  return n;
}

/** Takes `unused` (by key) out of the counters (locked by the caller). */
function subtractSql(orgId: string, unused: ReadonlyMap<string, WindowTotals>): string {
  const rows = [...unused.entries()].map(([key, t]) => ({
    key,
    cost_micros: t.costMicros,
    tokens_in: t.tokensIn,
    tokens_out: t.tokensOut,
    requests: t.requests,
  }));
  return `update window_counter c
        set cost_micros = c.cost_micros - x.cost_micros, tokens_in = c.tokens_in - x.tokens_in,
            tokens_out = c.tokens_out - x.tokens_out, requests = c.requests - x.requests,
            updated_at = now()
       from jsonb_to_recordset(${lit(JSON.stringify(rows))}::jsonb) as x(key text,
          cost_micros bigint, tokens_in bigint, tokens_out bigint, requests bigint)
      where c.org_id = ${lit(orgId)} and c.key = x.key`;
}
