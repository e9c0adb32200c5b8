/**
 * Counters start from the ledger. The hot path creates a window counter at zero the first time a
 * batch needs it, which is right only if every counted transaction of that window went through
 * it — i.e. if some enabled rule has read that (period, group) family since before the window
 * began. When a policy change makes a family needed mid-window (a new rule, a rule enabled again,
 * a new time zone, a vendor's first rate limit), the spend already recorded in the current window
 * is in no counter of that family. So the change itself, in its own database transaction, builds
 * those counters from the transactions (`seedCounters`), and drops the counters of families no
 * rule needs any more (`dropCounters`): a counter exists only while it is complete.
 *
 * Why that is exact, also with several processes: every batch holds its organization's policy
 * lock shared (`POLICY_LOCK_SHARED`) and re-reads the policy version under it; a policy change
 * takes the lock exclusively (`lockPolicy`) before it reads anything. So a change waits for the
 * batches that evaluated with the old policy to commit, and batches with the new policy wait for
 * the change to commit: when the seed reads the window's transactions, every transaction counted
 * without the family's counter is committed, and every later one will go through the counter.
 * Open reservations of the window get the new counters added to their `counted_windows` (their
 * rows locked first, as settle and void lock them), so that settling, voiding or releasing them
 * later adjusts the new counters too.
 *
 * A window counts a transaction by the server's clock when it was recorded (`created_at`), as the
 * hot path does. Processes' clocks may disagree by a little: a change seeds every window of the
 * family that meets [now − SEED_MARGIN_MS, now + SEED_MARGIN_MS], so that a transaction recorded
 * with the old policy by a process whose clock is up to that much off is still counted.
 */
import {
  groupValue,
  windowBounds,
  windowKey,
  type GroupBy,
  type Period,
  type TransactionInput,
  type WindowTotals,
} from '@reins/engine';
import { rateLimitRef, RATE_LIMIT_PREFIX, zeroTotals, type CounterRow } from './counters.js';
import { dollarQuote, queryRows, results, type RawConnection } from './sql.js';

const lit = dollarQuote;

/** How far the servers' clocks may be apart (also how far in the future a timestamp may be). */
export const SEED_MARGIN_MS = 5 * 60_000;

/**
 * A family of counters: one per window of `period` and group of `per`. `minute` is the vendors'
 * per-minute rate-limit counters (`per: 'vendor'`), limited to the vendors in `only`.
 */
export type CounterFamily =
  { period: Period; per: GroupBy } | { period: 'minute'; per: 'vendor'; only: readonly string[] };

export function familyId(f: CounterFamily): string {
  return f.period === 'minute' ? `${RATE_LIMIT_PREFIX}minute|` : `${f.period}|${f.per}|`;
}

/**
 * Two organizations' policies are one lock each: batches hold it shared, policy changes
 * exclusively (the two-key form: its own key space, apart from the single-key locks).
 */
const POLICY_LOCK_CLASS = 0x5265696e; // "Rein"
const policyLockKey = (orgId: string) => `${String(POLICY_LOCK_CLASS)}, hashtext(${lit(orgId)})`;

/** The statement a batch runs first: its organization's policy, held shared until commit. */
export function policyLockSharedSql(orgId: string): string {
  return `select pg_advisory_xact_lock_shared(${policyLockKey(orgId)})`;
}

/** Takes `orgId`'s policy lock exclusively until the caller's transaction ends. */
export async function lockPolicy(conn: RawConnection, orgId: string): Promise<void> {
  await conn.query(`select pg_advisory_xact_lock(${policyLockKey(orgId)})`);
}

interface SeedWindow {
  idx: number;
  family: CounterFamily;
  start: number;
  end: number;
  startIso: string;
  endIso: string;
}

/** Every window of `family` that meets [at − margin, at + margin]. */
function windowsOf(family: CounterFamily, at: number, timeZone: string, margin: number) {
  const out: Omit<SeedWindow, 'idx' | 'family'>[] = [];
  for (let t = at - margin; ;) {
    const b =
      family.period === 'minute'
        ? (() => {
            const start = Math.floor(t / 60_000) * 60_000;
            return {
              start,
              end: start + 60_000,
              startIso: new Date(start).toISOString(),
              endIso: new Date(start + 60_000).toISOString(),
            };
          })()
        : windowBounds(family.period, t, timeZone);
    out.push(b);
    if (b.end > at + margin) break;
    t = b.end;
  }
  return out;
}

function keyOf(family: CounterFamily, startIso: string, group: string, startMs: number): string {
  return family.period === 'minute'
    ? rateLimitRef(group, startMs).key
    : windowKey(family.period, family.per, startIso, group);
}

/** The `transaction_record` column each group is read from (mapped by the engine's `groupValue`). */
const GROUP_COLUMN: Record<Exclude<GroupBy, 'org'>, string> = {
  agent: 'agent_id',
  user: 'user_id',
  team: 'team_id',
  project: 'project_id',
  vendor: 'vendor',
  model: 'model',
};

/** The SQL expression of a transaction's raw group column for the window's `per`. */
const RAW_GROUP = `case w.per when 'org' then '*' ${Object.entries(GROUP_COLUMN)
  .map(([per, column]) => `when '${per}' then t.${column}`)
  .join(' ')} end`;

/** The transaction columns `groupValue` reads, from a row. */
function inputOf(r: Record<string, unknown>): TransactionInput {
  const s = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    vendor: s(r.vendor) ?? '',
    model: s(r.model),
    agentId: s(r.agent_id),
    userId: s(r.user_id),
    teamId: s(r.team_id),
    projectId: s(r.project_id),
    amountMicros: 0,
  };
}

/** The group a raw value of `per`'s column stands for, as `groupValue` reads a transaction. */
function groupOf(per: GroupBy, raw: string | null): string {
  return per === 'org' ? '*' : groupValue(per, inputOf({ [GROUP_COLUMN[per]]: raw }));
}

export interface SeedResult {
  /** Counters written. */
  counters: number;
  /** Open reservations that now count in (some of) them too. */
  reservations: number;
}

/**
 * Builds `families`' counters of the windows around `at` from the organization's transactions
 * (counted ones; open holds at their held amount), replacing whatever counters of those families
 * exist for current and later windows. Run it inside the policy change's transaction, after
 * `lockPolicy`.
 */
export async function seedCounters(
  conn: RawConnection,
  orgId: string,
  families: readonly CounterFamily[],
  opts: { timeZone: string; at: number; marginMs?: number },
): Promise<SeedResult> {
  if (families.length === 0) return { counters: 0, reservations: 0 };
  const margin = opts.marginMs ?? SEED_MARGIN_MS;
  const windows: SeedWindow[] = [];
  for (const family of families) {
    for (const b of windowsOf(family, opts.at, opts.timeZone, margin)) {
      windows.push({ idx: windows.length, family, ...b });
    }
  }
  const from = new Date(Math.min(...windows.map((w) => w.start))).toISOString();
  const to = new Date(Math.max(...windows.map((w) => w.end))).toISOString();
  const spec = JSON.stringify(
    windows.map((w) => ({ idx: w.idx, per: w.family.per, start: w.startIso, end: w.endIso })),
  );
  // Round trip 1: drop what is there, lock the open reservations of the windows (settle, void and
  // release lock them before counters too), then sum the windows' counted transactions — a
  // statement of its own, so that it sees what a settle committed while we waited for its row.
  const [, locked, sums] = results(
    await conn.query(
      `${dropSql(orgId, families, opts.at - margin)};
       select t.id, t.created_at, t.agent_id, t.user_id, t.team_id, t.project_id, t.vendor,
              t.model, t.counted_windows
         from transaction_record t
        where t.org_id = ${lit(orgId)} and t.status in ('reserved', 'expired')
          and t.created_at >= ${lit(from)}::timestamptz and t.created_at < ${lit(to)}::timestamptz
        order by t.id
          for update;
       select w.idx, ${RAW_GROUP} as raw_group,
              sum(case when t.status = 'reserved' then (t.hold->>'amountMicros')::bigint
                       else t.amount_micros end) as cost_micros,
              sum(case when t.status = 'reserved' then (t.hold->>'tokensIn')::bigint
                       else t.tokens_in end) as tokens_in,
              sum(case when t.status = 'reserved' then (t.hold->>'tokensOut')::bigint
                       else t.tokens_out end) as tokens_out,
              count(*) as requests
         from jsonb_to_recordset(${lit(spec)}::jsonb)
                as w(idx int, per text, start timestamptz, "end" timestamptz)
         join transaction_record t
           on t.org_id = ${lit(orgId)} and t.created_at >= w.start and t.created_at < w."end"
              and t.status in ('recorded', 'settled', 'reserved')
        group by w.idx, raw_group`,
    ),
  );

  const counters = new Map<string, { w: SeedWindow; group: string; totals: WindowTotals }>();
  for (const r of (sums?.rows ?? []) as unknown as (CounterRow & {
    idx: number;
    raw_group: string | null;
  })[]) {
    const w = windows[r.idx] as SeedWindow;
    const group = groupOf(w.family.per, r.raw_group);
    if (w.family.period === 'minute' && !w.family.only.includes(group)) continue;
    const key = keyOf(w.family, w.startIso, group, w.start);
    let c = counters.get(key);
    if (!c) counters.set(key, (c = { w, group, totals: zeroTotals() }));
    c.totals.costMicros += Number(r.cost_micros);
    c.totals.tokensIn += Number(r.tokens_in);
    c.totals.tokensOut += Number(r.tokens_out);
    c.totals.requests += Number(r.requests);
  }

  // Each open reservation counts in the new counters of its windows, from now on.
  const additions: { id: string; keys: string[] }[] = [];
  for (const r of locked?.rows ?? []) {
    const createdAt = new Date(r.created_at as string | Date).getTime();
    const have = new Set(r.counted_windows as string[]);
    const keys: string[] = [];
    for (const w of windows) {
      if (createdAt < w.start || createdAt >= w.end) continue;
      const group = groupValue(w.family.per, inputOf(r));
      if (w.family.period === 'minute' && !w.family.only.includes(group)) continue;
      const key = keyOf(w.family, w.startIso, group, w.start);
      if (!have.has(key)) keys.push(key);
    }
    if (keys.length > 0) additions.push({ id: r.id as string, keys });
  }

  const rows = [...counters.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, c]) => ({
      key,
      period: c.w.family.period,
      per: c.w.family.per,
      group_value: c.group,
      window_start: c.w.startIso,
      window_end: c.w.endIso,
      cost_micros: c.totals.costMicros,
      tokens_in: c.totals.tokensIn,
      tokens_out: c.totals.tokensOut,
      requests: c.totals.requests,
    }));
  // Round trip 2: the counters (in key order) and the reservations' new keys.
  const statements: string[] = [];
  if (rows.length > 0) {
    statements.push(`insert into window_counter (org_id, key, period, per, group_value,
          window_start, window_end, cost_micros, tokens_in, tokens_out, requests)
       select ${lit(orgId)}, x.key, x.period, x.per, x.group_value, x.window_start, x.window_end,
          x.cost_micros, x.tokens_in, x.tokens_out, x.requests
         from jsonb_to_recordset(${lit(JSON.stringify(rows))}::jsonb) as x(key text, period text,
              per text, group_value text, window_start timestamptz, window_end timestamptz,
              cost_micros bigint, tokens_in bigint, tokens_out bigint, requests bigint)
        order by x.key
       on conflict (org_id, key) do update
          set cost_micros = excluded.cost_micros, tokens_in = excluded.tokens_in,
              tokens_out = excluded.tokens_out, requests = excluded.requests, updated_at = now()`);
  }
  if (additions.length > 0) {
    statements.push(`update transaction_record t
          set counted_windows = t.counted_windows || x.keys
         from jsonb_to_recordset(${lit(JSON.stringify(additions))}::jsonb) as x(id text, keys jsonb)
        where t.org_id = ${lit(orgId)} and t.id = x.id`);
  }
  if (statements.length > 0) await conn.query(`${statements.join(';\n')};`);
  return { counters: rows.length, reservations: additions.length };
}

/** Drops `families`' counters of windows that end after `after` (ms). */
function dropSql(orgId: string, families: readonly CounterFamily[], after: number): string {
  const which = families.map((f) =>
    f.period === 'minute'
      ? `(key ^@ ${lit(RATE_LIMIT_PREFIX)} and group_value = any (array(select jsonb_array_elements_text(${lit(JSON.stringify(f.only))}::jsonb))))`
      : `key ^@ ${lit(familyId(f))}`,
  );
  return `delete from window_counter
      where org_id = ${lit(orgId)} and window_end > ${lit(new Date(after).toISOString())}::timestamptz
        and (${which.join(' or ')})`;
}

/**
 * Drops the counters of `families` whose windows are current or later at `at` (less the margin):
 * no rule reads them any more, and one that reads them again starts from a fresh seed.
 */
export async function dropCounters(
  conn: RawConnection,
  orgId: string,
  families: readonly CounterFamily[],
  at: number,
  marginMs = SEED_MARGIN_MS,
): Promise<number> {
  if (families.length === 0) return 0;
  const rows = await queryRows(conn, `${dropSql(orgId, families, at - marginMs)} returning key`);
  return rows.length;
}
