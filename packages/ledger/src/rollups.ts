/**
 * Spend rollups: what analytics read instead of scanning transactions.
 *
 * The worker absorbs each org's audit stream into `spend_rollup` in (xid, pos) order up to the
 * oldest running transaction (as the sealer does: an event below that horizon can no longer
 * appear), and moves the org's cursor in the same database transaction. A reader, in one
 * statement (one snapshot), adds what the cursor has not reached yet, so a read equals a direct
 * sum over the transactions at any moment, however far the worker lags.
 *
 * What an event adds (the same expression for the worker and for readers):
 * - a transaction's first event (`recorded`, `flagged`, `warned`, `observed`, `blocked`,
 *   `reserved`): one request; `blocked` one blocked; `flag`/`warn` decisions one flagged/warned;
 *   shadow hits one "would have" each; spend and tokens unless blocked or reserved;
 * - `transaction.settled`: the reservation's actual spend and tokens;
 * - `voided`, `expired`: nothing (a hold was never spend).
 * Hence spend = Σ amount of transactions `recorded` or `settled`, requests = every transaction.
 */
import { ACTIONS, offsetAt } from '@reins/engine';
import type { Orm } from '@reins/db';
import { dollarQuote as lit, queryRows, withConnection, type RawConnection } from './sql.js';

const FIRST = `('transaction.recorded','transaction.flagged','transaction.warned','transaction.observed','transaction.blocked','transaction.reserved')`;
const SPENDS = `('transaction.recorded','transaction.flagged','transaction.warned','transaction.observed','transaction.settled')`;

/** The measures, in column order. */
export const MEASURES = [
  'spend_micros',
  'spend_cents',
  'tokens_in',
  'tokens_out',
  'requests',
  'blocked',
  'flagged',
  'warned',
  'would_block',
  'would_warn',
  'would_flag',
] as const;
export type Measure = (typeof MEASURES)[number];

const DIMS = ['agent_id', 'vendor', 'model', 'user_id', 'team_id', 'project_id', 'action'] as const;
export type Dim = (typeof DIMS)[number];

const shadow = (action: string) =>
  `case when e.event_type in ${FIRST} and jsonb_path_exists(t.policy_result, '$.shadow[*] ? (@.action == "${action}")') then 1 else 0 end`;

/**
 * One delta row per transaction event of `events` (a relation with org_id, event_type,
 * entity_id, metadata): the transaction's dimensions, its `occurred_at`, and the measures.
 */
function deltasSql(events: string): string {
  return `select t.occurred_at, t.agent_id, t.vendor, coalesce(t.model, '') as model,
      coalesce(t.user_id, '') as user_id, coalesce(t.team_id, '') as team_id,
      coalesce(t.project_id, '') as project_id, t.action,
      case when e.event_type in ${SPENDS} then (e.metadata->>'amountMicros')::bigint else 0 end as spend_micros,
      case when e.event_type in ${SPENDS} then (e.metadata->>'amountCents')::bigint else 0 end as spend_cents,
      case when e.event_type in ${SPENDS} then t.tokens_in else 0 end as tokens_in,
      case when e.event_type in ${SPENDS} then t.tokens_out else 0 end as tokens_out,
      case when e.event_type in ${FIRST} then 1 else 0 end as requests,
      case when e.event_type = 'transaction.blocked' then 1 else 0 end as blocked,
      case when e.event_type in ${FIRST} and t.action = 'flag' then 1 else 0 end as flagged,
      case when e.event_type in ${FIRST} and t.action = 'warn' then 1 else 0 end as warned,
      ${shadow('block')} as would_block,
      ${shadow('warn')} as would_warn,
      ${shadow('flag')} as would_flag
    from ${events} e
    join transaction_record t on t.id = e.entity_id and t.org_id = e.org_id
   where e.entity_type = 'transaction'
     and (e.event_type in ${FIRST} or e.event_type = 'transaction.settled')`;
}

/** Where an org's rollups stand: events up to (xid, pos) are absorbed. */
export interface Cursor {
  xid: string;
  pos: string;
}

/**
 * Events of the org past `cursor`, as literals: the planner then knows the tail is short (a range
 * scan of the (org_id, xid, pos) index, a nested loop into the transactions), where a cursor
 * read inside the statement leaves it guessing a tenth of history and scanning it.
 */
const pastCursor = (org: string, c: Cursor) =>
  `e.org_id = ${org} and e.xid >= ${lit(c.xid)}::xid8
     and (e.xid, e.pos) > (${lit(c.xid)}::xid8, ${String(Number(c.pos))}::bigint)`;

async function cursorOf(conn: RawConnection, orgId: string): Promise<Cursor> {
  const [c] = await queryRows<Cursor>(
    conn,
    `select xid::text as xid, pos::text as pos from rollup_cursor where org_id = ${lit(orgId)}`,
  );
  return c ?? { xid: '0', pos: '0' };
}

/**
 * Runs `read` in one REPEATABLE READ snapshot with the org's cursor as of that snapshot: the
 * rollup rows it reads are exactly those events up to the cursor, and the tail past it the rest.
 */
async function atCursor<T>(
  orm: Orm,
  orgId: string,
  read: (conn: RawConnection, cursor: Cursor) => Promise<T>,
): Promise<T> {
  return withConnection(orm, async (conn) => {
    await conn.query('begin isolation level repeatable read read only');
    try {
      const out = await read(conn, await cursorOf(conn, orgId));
      await conn.query('commit');
      return out;
    } catch (err) {
      await conn.query('rollback');
      throw err;
    }
  });
}

const sumOf = (measures: readonly Measure[]) =>
  measures.map((m) => `sum(${m})::bigint as ${m}`).join(', ');
const sumMeasures = sumOf(MEASURES);

/** The UTC quarter hour an instant falls in (the finest grain). */
const QUARTER_OF = (at: string) => `date_bin('15 minutes', ${at}, timestamptz '2000-01-01Z')`;

/**
 * The start of the bucket of grain `g.grain` an instant falls in. Every grain is a union of UTC
 * quarter hours, so an instant's bucket is its quarter hour's: the worker sums events by quarter
 * hour first and spreads those sums over the grains (a sixth of the rows to sort and group).
 */
const GRAIN_BUCKET = (at: string) =>
  `case g.grain when 'month' then date_trunc('month', ${at}, 'UTC')
                when 'day' then date_trunc('day', ${at}, 'UTC')
                when 'a1h' then date_trunc('hour', ${at}, 'UTC')
                when 'a1d' then date_trunc('day', ${at}, 'UTC')
                when 'a1m' then date_trunc('month', ${at}, 'UTC')
                else ${QUARTER_OF(at)} end`;

/** The action of the policy rule an audit event reports ('' when it reports none). */
export const RULE_ACTION_OF = (e: string) =>
  `case when ${e}.metadata->>'ruleId' is not null then coalesce(${e}.metadata->>'action', '') else '' end`;

/**
 * The grains by agent alone (every other dimension ''): hours, UTC days, UTC months. A few rows
 * per agent and bucket, where the full grains have one per combination of agent, vendor, model,
 * user, team, project and decision — tens of thousands a day at 10,000,000 transactions a year.
 * Totals and series that split or filter by nothing but the agent read these.
 */
const AGENT_GRAINS = `('a1h', 'a1d', 'a1m')`;

/** Events absorbed per database transaction. */
export const ROLLUP_BATCH = 20_000;

/**
 * Orgs whose audit stream has settled events past their rollup cursor: each org probed for its
 * first such event, a LATERAL `… limit 1` with the cursor read by scalar subqueries, so that the
 * row comparison is an index condition. As `exists (…)` with the cursor joined, the planner made
 * it a hash semi-join over a sequential scan of every event (13 ms at 40,000 events, growing
 * with history, on every run of the job): the sealer's lesson (auditChain.ts, ORGS_WITH_UNSEALED).
 */
export const ORGS_TO_ROLL = `select o.id from organization o
      cross join lateral (
        select 1 from audit_event e
         where e.org_id = o.id
           and (e.xid, e.pos) > (
             coalesce((select c.xid from rollup_cursor c where c.org_id = o.id), '0'::xid8),
             coalesce((select c.pos from rollup_cursor c where c.org_id = o.id), 0))
           and e.xid < (select reins_xid_horizon())
         order by e.xid, e.pos
         limit 1) as next`;

export async function orgsToRoll(conn: RawConnection): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(conn, ORGS_TO_ROLL);
  return rows.map((r) => r.id);
}

/**
 * Absorbs up to `limit` of `orgId`'s settled events into the rollups, inside the caller's
 * transaction. Returns null when another worker holds the org's cursor, else how many events
 * it took (a full `limit` means there may be more).
 */
export async function rollOrg(
  conn: RawConnection,
  orgId: string,
  limit = ROLLUP_BATCH,
): Promise<number | null> {
  const org = lit(orgId);
  await conn.query(
    `insert into rollup_cursor (org_id) values (${org}) on conflict (org_id) do nothing`,
  );
  const cursor = await queryRows<{ xid: string; pos: string }>(
    conn,
    `select xid::text as xid, pos::text as pos from rollup_cursor
      where org_id = ${org} for update skip locked`,
  );
  const at = cursor[0];
  if (!at) return null;
  const dims = DIMS.join(', ');
  const rows = await queryRows<{ n: string; xid: string | null; pos: string | null }>(
    conn,
    `with ev as materialized (
       select e.org_id, e.xid, e.pos, e.event_type, e.entity_type, e.entity_id, e.metadata,
              e.occurred_at
         from audit_event e
        where e.org_id = ${org}
          and (e.xid, e.pos) > (${lit(at.xid)}::xid8, ${at.pos})
          and e.xid < (select reins_xid_horizon())
        order by e.xid, e.pos
        limit ${String(limit)}),
     d as (${deltasSql('ev')}),
     q as (
       select ${QUARTER_OF('d.occurred_at')} as at, ${dims}, ${sumMeasures}
         from d group by 1, ${dims}),
     up as (
       insert into spend_rollup (org_id, grain, bucket, ${dims}, ${MEASURES.join(', ')})
       select ${org}, g.grain,
              ${GRAIN_BUCKET('q.at')},
              ${DIMS.map((dim) => (dim === 'agent_id' ? dim : `case when g.grain in ${AGENT_GRAINS} then '' else ${dim} end`)).join(', ')},
              ${sumMeasures}
         from q cross join (values ('15m'), ('day'), ('month'), ('a1h'), ('a1d'), ('a1m')) as g(grain)
        group by 1, 2, 3, ${DIMS.map((_, i) => String(i + 4)).join(', ')}
       on conflict (org_id, grain, bucket, ${dims}) do update set
         ${MEASURES.map((m) => `${m} = spend_rollup.${m} + excluded.${m}`).join(',\n         ')}
       returning 1),
     aq as (
       select ${QUARTER_OF('ev.occurred_at')} as at, ev.event_type, ev.entity_type,
              ${RULE_ACTION_OF('ev')} as rule_action, count(*) as events
         from ev group by 1, 2, 3, 4),
     audit as (
       insert into audit_rollup (org_id, grain, bucket, event_type, entity_type, rule_action, events)
       select ${org}, g.grain, ${GRAIN_BUCKET('aq.at')}, aq.event_type, aq.entity_type,
              aq.rule_action, sum(aq.events)
         from aq cross join (values ('15m'), ('day'), ('month')) as g(grain)
        group by 1, 2, 3, 4, 5, 6
       on conflict (org_id, grain, bucket, event_type, entity_type, rule_action)
         do update set events = audit_rollup.events + excluded.events
       returning 1),
     last as (select xid, pos from ev order by xid desc, pos desc limit 1)
     select (select count(*) from ev)::text as n,
            (select xid::text from last) as xid, (select pos::text from last) as pos,
            (select count(*) from up) + (select count(*) from audit) as written`,
  );
  const r = rows[0];
  if (!r || r.xid === null || r.pos === null) return 0;
  await conn.query(
    `update rollup_cursor set xid = ${lit(r.xid)}::xid8, pos = ${r.pos}, updated_at = now()
      where org_id = ${org}`,
  );
  return Number(r.n);
}

/** The rollup grains: the full ones, and those by agent alone (AGENT_GRAINS). */
type Grain = 'month' | 'day' | '15m' | 'a1h' | 'a1d' | 'a1m';

/** A half-open range of instants, both on quarter hours (every zone's midnight is one). */
export interface SpendRange {
  from: Date;
  to: Date;
}

export type Totals = Record<Measure, number>;

/** Only the transactions with these values (each optional). */
export interface SpendFilter {
  agentId?: string | undefined;
  vendor?: string | undefined;
  userId?: string | undefined;
  action?: string | undefined;
}

const FILTER_COLUMNS = {
  agentId: 'agent_id',
  vendor: 'vendor',
  userId: 'user_id',
  action: 'action',
} as const satisfies Record<keyof SpendFilter, Dim>;

function filterSql(filter: SpendFilter): string {
  return Object.entries(FILTER_COLUMNS)
    .map(([key, column]) => {
      const v = filter[key as keyof SpendFilter];
      return v === undefined ? '' : ` and ${column} = ${lit(v)}`;
    })
    .join('');
}

function startOfMonth(ms: number, next: boolean): number {
  const d = new Date(ms);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return next && start < ms ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) : start;
}

/**
 * A range cut into the coarsest rollup grains that tile it: whole UTC months, then whole UTC
 * days at the edges, then quarter hours at theirs.
 */
interface Tile {
  grain: Grain;
  a: number;
  b: number;
}

function tiles(from: number, to: number): Tile[] {
  const out: Tile[] = [];
  const days = (a: number, b: number) => {
    const dA = Math.ceil(a / DAY) * DAY;
    const dB = Math.floor(b / DAY) * DAY;
    if (dA < dB) {
      if (a < dA) out.push({ grain: '15m', a, b: dA });
      out.push({ grain: 'day', a: dA, b: dB });
      if (dB < b) out.push({ grain: '15m', a: dB, b });
    } else if (a < b) {
      out.push({ grain: '15m', a, b });
    }
  };
  const mA = startOfMonth(from, true);
  const mB = startOfMonth(to, false);
  if (mA < mB) {
    days(from, mA);
    out.push({ grain: 'month', a: mA, b: mB });
    days(mB, to);
  } else {
    days(from, to);
  }
  return out;
}

const DAY = 86_400_000;
const QUARTER = 900_000;
const HOUR = 3_600_000;

/**
 * `tiles` in the grains by agent alone: whole months (`a1m`), whole days (`a1d`), whole hours
 * (`a1h`), and quarter hours (full grain) at the edges of those.
 */
function agentTiles(from: number, to: number): Tile[] {
  return tiles(from, to).flatMap((t): Tile[] => {
    if (t.grain === 'month') return [{ ...t, grain: 'a1m' }];
    if (t.grain === 'day') return [{ ...t, grain: 'a1d' }];
    const hA = Math.ceil(t.a / HOUR) * HOUR;
    const hB = Math.floor(t.b / HOUR) * HOUR;
    if (hA >= hB) return [t];
    return [
      ...(t.a < hA ? [{ grain: '15m' as const, a: t.a, b: hA }] : []),
      { grain: 'a1h', a: hA, b: hB },
      ...(hB < t.b ? [{ grain: '15m' as const, a: hB, b: t.b }] : []),
    ];
  });
}

/** Only the agent (or nothing) is filtered on: the grains by agent alone can answer. */
const byAgentAlone = (f: SpendFilter) =>
  f.vendor === undefined && f.userId === undefined && f.action === undefined;

/**
 * The rollup rows and unabsorbed deltas of `range` as one relation (dims + measures): the
 * coarsest grains that tile it (`tiles`), and the events past the cursor whose transaction falls
 * in the range. Read in the caller's snapshot (`atCursor`).
 */
function sourcesSql(
  cursor: Cursor,
  orgId: string,
  range: SpendRange,
  filter: SpendFilter,
  bucket: string,
  fine: '15m' | 'a1h' = '15m',
  tiling: (from: number, to: number) => Tile[] = tiles,
): string {
  const org = lit(orgId);
  const from = range.from.getTime();
  const to = range.to.getTime();
  if (from % QUARTER !== 0 || to % QUARTER !== 0) {
    throw new Error('spend ranges start and end on quarter hours');
  }
  const ts = (ms: number) => `${lit(new Date(ms).toISOString())}::timestamptz`;
  const where = filterSql(filter);
  const cols = `${DIMS.join(', ')}, ${MEASURES.join(', ')}`;
  const parts: string[] = [];
  const rows = (grain: string, a: number, b: number) =>
    parts.push(
      `select ${bucket} as bucket, ${cols} from spend_rollup where org_id = ${org} and grain = '${grain}'
          and bucket >= ${ts(a)} and bucket < ${ts(b)}${where}`,
    );
  // Coarse grains serve plain reads; a series (`bucket` an expression) needs its fine rows.
  if (bucket === 'bucket') for (const t of tiling(from, to)) rows(t.grain, t.a, t.b);
  else rows(fine, from, to);
  parts.push(
    `select ${bucket.replace(/\bbucket\b/, 'occurred_at')} as bucket, ${cols} from (${deltasSql(`(
        select e.org_id, e.event_type, e.entity_type, e.entity_id, e.metadata
          from audit_event e where ${pastCursor(org, cursor)})`)}) tail
      where occurred_at >= ${ts(from)} and occurred_at < ${ts(to)}${where}`,
  );
  return parts.join('\n union all\n');
}

export interface SpendBreakdown {
  totals: Totals;
  /** Per value of each dimension asked for (absent values are ''), measures summed. */
  by: Partial<Record<Dim, Map<string, Totals>>>;
}

function totalsOf(row: Record<string, unknown>): Totals {
  const t = {} as Totals;
  for (const m of MEASURES) t[m] = Number(row[m] ?? 0);
  return t;
}

/** Totals of `range` and the same measures per value of each of `dims`, in one query. */
export async function readSpend(
  orm: Orm,
  orgId: string,
  range: SpendRange,
  dims: readonly Dim[],
  filter: SpendFilter = {},
): Promise<SpendBreakdown> {
  const sets = ['()', ...dims.map((d) => `(${d})`)].join(', ');
  const which = dims.length
    ? `case ${dims.map((d) => `when grouping(${d}) = 0 then '${d}'`).join(' ')} end`
    : 'null';
  const value = dims.length ? `coalesce(${dims.join(', ')})` : 'null';
  const agentAlone = byAgentAlone(filter) && dims.every((d) => d === 'agent_id');
  const rows = await atCursor(orm, orgId, (conn, cursor) =>
    queryRows(
      conn,
      // Summed per combination of the asked dimensions first: the grouping sets then sort that.
      `select ${which} as dim, ${value} as value, ${sumMeasures}
         from (select ${dims.length ? `${dims.join(', ')}, ` : ''}${sumMeasures}
                 from (${sourcesSql(cursor, orgId, range, filter, 'bucket', '15m', agentAlone ? agentTiles : tiles)}) s
                ${dims.length ? `group by ${dims.join(', ')}` : ''}) s
        group by grouping sets (${sets})`,
    ),
  );
  const out: SpendBreakdown = { totals: totalsOf({}), by: {} };
  for (const d of dims) out.by[d] = new Map();
  for (const row of rows) {
    const dim = row.dim as Dim | null;
    if (dim === null) out.totals = totalsOf(row);
    else out.by[dim]?.set(String(row.value), totalsOf(row));
  }
  return out;
}

/**
 * Whether every local hour of `range` in the zone starts on a UTC hour: then the hourly agent
 * rows serve its series (else — a +05:30 zone — the quarter-hour rows do, slower).
 */
function wholeHours(timeZone: string, range: SpendRange): boolean {
  const a = range.from.getTime();
  const b = range.to.getTime();
  return (
    a % HOUR === 0 &&
    b % HOUR === 0 &&
    offsetAt(timeZone, a) % HOUR === 0 &&
    offsetAt(timeZone, b - 1) % HOUR === 0
  );
}

export interface SeriesPoint extends Totals {
  /** The bucket's start. */
  start: Date;
  /** With `perAgent`: the agent of this point. */
  agentId?: string;
}

/**
 * `range` in steps of a local hour or day of `timeZone` (quarter-hour rows only: a day of a
 * +05:30 zone is no UTC day), with the unabsorbed tail; empty steps are absent. `perAgent`
 * splits each step by agent.
 */
export async function readSeries(
  orm: Orm,
  orgId: string,
  range: SpendRange,
  step: 'hour' | 'day',
  timeZone: string,
  filter: SpendFilter & {
    perAgent?: boolean;
    /**
     * Only these measures (the others are 0 in the points): fewer columns to read, send and
     * parse, which is most of a long series' cost.
     */
    measures?: readonly Measure[];
  } = {},
): Promise<SeriesPoint[]> {
  const local =
    timeZone === 'UTC'
      ? `date_trunc('${step}', bucket)`
      : `date_trunc('${step}', bucket, ${lit(timeZone)})`;
  const agent = filter.perAgent ? ', agent_id' : '';
  // The hourly agent rows have no other dimension: a filter on one needs the quarter-hour rows.
  const byAgentOnly =
    filter.vendor === undefined && filter.userId === undefined && filter.action === undefined;
  const fine = byAgentOnly && wholeHours(timeZone, range) ? 'a1h' : '15m';
  const rows = await atCursor(orm, orgId, (conn, cursor) =>
    queryRows(
      conn,
      `select bucket as start${agent}, ${sumOf(filter.measures ?? MEASURES)}
         from (${sourcesSql(cursor, orgId, range, filter, local, fine)}) s
        group by 1${agent} order by 1${agent}`,
    ),
  );
  return rows.map((r) => ({
    ...totalsOf(r),
    start: new Date(r.start as string),
    ...(filter.perAgent ? { agentId: String(r.agent_id) } : {}),
  }));
}

/** Before any transaction and after all of them: the range of "no startDate / endDate". */
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(2500, 0, 1);

/**
 * How many of the org's transactions match `filter` and fall in [from, to) by `occurredAt` —
 * exactly, at the cost of a read of rollups: the rollup rows of the whole quarter hours inside
 * (coarser grains where they tile), the events past the cursor, and a count of the raw rows in
 * the partial quarter hours at the edges (an index range of at most 15 minutes each).
 */
export async function countTransactions(
  orm: Orm,
  orgId: string,
  filter: SpendFilter & { from?: Date | undefined; to?: Date | undefined },
): Promise<number> {
  const rows = await atCursor(orm, orgId, (conn, cursor) =>
    queryRows<{ n: string }>(conn, countTransactionsSql(orgId, filter, cursor)),
  );
  return Number(rows[0]?.n ?? 0);
}

/** The one statement `countTransactions` runs in its snapshot (exported for the plan test). */
export function countTransactionsSql(
  orgId: string,
  filter: SpendFilter & { from?: Date | undefined; to?: Date | undefined },
  cursor: Cursor,
): string {
  const a = filter.from?.getTime() ?? EARLIEST;
  const b = filter.to?.getTime() ?? LATEST;
  if (b <= a) return `select '0' as n`;
  const qa = Math.ceil(a / QUARTER) * QUARTER;
  const qb = Math.floor(b / QUARTER) * QUARTER;
  const where = filterSql(filter);
  const org = lit(orgId);
  const raw = (x: number, y: number) =>
    `(select count(*) from transaction_record where org_id = ${org}
        and occurred_at >= ${lit(new Date(x).toISOString())}::timestamptz
        and occurred_at < ${lit(new Date(y).toISOString())}::timestamptz${where})`;
  if (qa >= qb) return `select ${raw(a, b)}::text as n`;
  const edges = [qa > a ? raw(a, qa) : '0', qb < b ? raw(qb, b) : '0'];
  return `select (coalesce((select sum(requests)
                    from (${sourcesSql(cursor, orgId, { from: new Date(qa), to: new Date(qb) }, filter, 'bucket', '15m', byAgentAlone(filter) ? agentTiles : tiles)}) s), 0)
         + ${edges.join(' + ')})::text as n`;
}

/** Where a newest-first list's row `offset` deep lies: see `seekTransactions`. */
export interface Seek {
  /** The page starts below this instant (exclusive)... */
  before: Date;
  /** ...after skipping this many of the rows below it (at most an hour's worth). */
  skip: number;
}

type Segment = { grain: Grain | 'raw'; a: number; b: number; n: number };

/** The bucket of grain `grain` that `at` falls in. */
function bucketOf(grain: Grain, at: number): { a: number; b: number } {
  if (grain === 'month' || grain === 'a1m') {
    const a = startOfMonth(at, false);
    return { a, b: startOfMonth(a + DAY, true) };
  }
  const size = grain === 'day' || grain === 'a1d' ? DAY : grain === 'a1h' ? HOUR : QUARTER;
  const a = Math.floor(at / size) * size;
  return { a, b: a + size };
}

/**
 * Where the row `offset` deep of the org's transactions matching `filter`, newest first, lies —
 * exactly, from the rollups: the newest instant T on an hour or quarter hour with at most
 * `offset` matching rows at or after it, and how many rows below T are left to skip. A deep
 * `offset` page then reads at most an hour of rows past T instead of every row it skips.
 *
 * Counts as `countTransactions` does, in one snapshot: the buckets of the range's tiles (whole
 * months, days and quarter hours at the edges) newest first, the events past the cursor added to
 * the bucket they fall in, the raw rows of the partial quarter hours at the edges — then, inside
 * the month the offset crosses in, its days, then that day's hours — all in the grains by agent
 * alone (a few rows per agent and bucket, however many users and models there are: a day's full
 * rows number in the tens of thousands at 10M a year). Those have no other dimension: for a
 * filter on vendor, user or action, null (the page walks).
 */
export async function seekTransactions(
  orm: Orm,
  orgId: string,
  filter: SpendFilter & { from?: Date | undefined; to?: Date | undefined },
  offset: number,
): Promise<Seek | null> {
  if (!byAgentAlone(filter)) return null;
  const a = filter.from?.getTime() ?? EARLIEST;
  const b = filter.to?.getTime() ?? LATEST;
  const qa = Math.min(Math.max(Math.ceil(a / QUARTER) * QUARTER, a), b);
  const qb = Math.max(Math.floor(b / QUARTER) * QUARTER, qa);
  const where = filterSql(filter);
  const org = lit(orgId);
  const ts = (ms: number) => `${lit(new Date(ms).toISOString())}::timestamptz`;
  return atCursor(orm, orgId, async (conn, cursor) => {
    const raw = async (x: number, y: number) => {
      if (y <= x) return 0;
      const [r] = await queryRows<{ n: string }>(
        conn,
        `select count(*)::text as n from transaction_record where org_id = ${org}
            and occurred_at >= ${ts(x)} and occurred_at < ${ts(y)}${where}`,
      );
      return Number(r?.n ?? 0);
    };
    /** Matching rows per bucket of `tiled`'s grains, newest first (the tail added to theirs). */
    const segments = async (tiled: Tile[]) => {
      if (tiled.length === 0) return [];
      const rollup = tiled.map(
        (t) =>
          `select '${t.grain}' as grain, bucket, sum(requests) as n from spend_rollup
            where org_id = ${org} and grain = '${t.grain}'
              and bucket >= ${ts(t.a)} and bucket < ${ts(t.b)}${where}
            group by bucket`,
      );
      const lo = tiled[0]?.a ?? 0;
      const hi = tiled[tiled.length - 1]?.b ?? 0;
      const rows = await queryRows<{ grain: string; at: string; n: string }>(
        conn,
        `select grain, to_char(bucket at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as at,
                n::text as n
           from (${rollup.join('\n union all\n')}
                 union all
                 select 'tail', date_bin('15 minutes', occurred_at, timestamptz '2000-01-01Z'),
                        sum(requests)
                   from (${deltasSql(`(select e.org_id, e.event_type, e.entity_type, e.entity_id, e.metadata
                          from audit_event e where ${pastCursor(org, cursor)})`)}) tail
                  where occurred_at >= ${ts(lo)} and occurred_at < ${ts(hi)}${where}
                  group by 2) s
          where n <> 0`,
      );
      const out: Segment[] = [];
      const tails: { at: number; n: number }[] = [];
      for (const r of rows) {
        const at = Date.parse(r.at);
        if (r.grain === 'tail') tails.push({ at, n: Number(r.n) });
        else
          out.push({ grain: r.grain as Grain, ...bucketOf(r.grain as Grain, at), n: Number(r.n) });
      }
      for (const t of tails) {
        let home = out.find((x) => x.a <= t.at && t.at < x.b);
        if (!home) {
          // No rollup row there yet: the bucket of its tile's grain, made for the tail.
          const grain = tiled.find((x) => x.a <= t.at && t.at < x.b)?.grain ?? '15m';
          home = { grain, ...bucketOf(grain, t.at), n: 0 };
          out.push(home);
        }
        home.n += t.n;
      }
      return out.sort((x, y) => y.a - x.a);
    };
    let left = offset - (await raw(qb, b));
    if (left < 0) return { before: new Date(b), skip: offset };
    let segs = await segments(agentTiles(qa, qb));
    // Below the tiles: the partial quarter hour at the bottom, never counted (the walk's).
    segs.push({ grain: 'raw', a, b: qa, n: Number.POSITIVE_INFINITY });
    for (;;) {
      const s = segs.find((x) => {
        if (left < x.n) return true;
        left -= x.n;
        return false;
      });
      if (!s) return { before: new Date(qa), skip: left }; // (the last segment has no end)
      if (s.grain === 'a1m') segs = await segments([{ grain: 'a1d', a: s.a, b: s.b }]);
      else if (s.grain === 'a1d') segs = await segments([{ grain: 'a1h', a: s.a, b: s.b }]);
      else return { before: new Date(s.b), skip: left };
    }
  });
}

/** Which audit events a list counts: the audit log's filters (see the server's auditLog.ts). */
export interface AuditCountFilter {
  /** `policy_rule.<action>`, an event type, or an event type's prefix (no dot). */
  action?: string | undefined;
  entityType?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

const RULE_ACTION = new RegExp(`^policy_rule\\.(${ACTIONS.join('|')})$`);

/** The filter over columns named by `col` (the rollup's, or expressions over audit_event). */
function auditWhere(
  f: AuditCountFilter,
  col: { eventType: string; entityType: string; ruleAction: string },
): string {
  let out = '';
  if (f.action !== undefined) {
    const m = RULE_ACTION.exec(f.action);
    if (m?.[1]) out += ` and ${col.ruleAction} = ${lit(m[1])}`;
    else if (!f.action.includes('.')) {
      out += ` and (${col.eventType} = ${lit(f.action)} or starts_with(${col.eventType}, ${lit(`${f.action}.`)}))`;
    } else out += ` and ${col.eventType} = ${lit(f.action)}`;
  }
  if (f.entityType !== undefined) out += ` and ${col.entityType} = ${lit(f.entityType)}`;
  return out;
}

/**
 * How many of the org's audit events match `filter` in [from, to) by `occurredAt` — exactly,
 * as `countTransactions` does: the audit rollups of the whole quarter hours inside (coarsest
 * grains that tile them), the events past the cursor, the raw events of the partial edges.
 */
export async function countAuditEvents(
  orm: Orm,
  orgId: string,
  filter: AuditCountFilter,
): Promise<number> {
  const rows = await atCursor(orm, orgId, (conn, cursor) =>
    queryRows<{ n: string }>(conn, countAuditEventsSql(orgId, filter, cursor)),
  );
  return Number(rows[0]?.n ?? 0);
}

/** The one statement `countAuditEvents` runs in its snapshot (exported for the plan test). */
export function countAuditEventsSql(
  orgId: string,
  filter: AuditCountFilter,
  cursor: Cursor,
): string {
  const a = filter.from?.getTime() ?? EARLIEST;
  const b = filter.to?.getTime() ?? LATEST;
  if (b <= a) return `select '0' as n`;
  const qa = Math.ceil(a / QUARTER) * QUARTER;
  const qb = Math.floor(b / QUARTER) * QUARTER;
  const org = lit(orgId);
  const ts = (ms: number) => `${lit(new Date(ms).toISOString())}::timestamptz`;
  const onEvents = auditWhere(filter, {
    eventType: 'e.event_type',
    entityType: 'e.entity_type',
    ruleAction: RULE_ACTION_OF('e'),
  });
  const onRollups = auditWhere(filter, {
    eventType: 'event_type',
    entityType: 'entity_type',
    ruleAction: 'rule_action',
  });
  const raw = (x: number, y: number, extra = '') =>
    `(select count(*) from audit_event e where e.org_id = ${org}
        and e.occurred_at >= ${ts(x)} and e.occurred_at < ${ts(y)}${onEvents}${extra})`;
  if (qa >= qb) return `select ${raw(a, b)}::text as n`;
  const parts = tiles(qa, qb).map(
    (t) =>
      `(select coalesce(sum(events), 0) from audit_rollup where org_id = ${org}
          and grain = '${t.grain}' and bucket >= ${ts(t.a)} and bucket < ${ts(t.b)}${onRollups})`,
  );
  parts.push(raw(qa, qb, ` and ${pastCursor(org, cursor)}`));
  if (qa > a) parts.push(raw(a, qa));
  if (qb < b) parts.push(raw(qb, b));
  return `select (${parts.join(' + ')})::text as n`;
}

/** Events past the org's cursor and the age of the oldest: how far the rollups lag. */
export async function rollupLag(
  conn: RawConnection,
  orgId: string,
): Promise<{ events: number; oldestMs: number }> {
  const cursor = await cursorOf(conn, orgId);
  const rows = await queryRows<{ n: string; oldest: string | null }>(
    conn,
    `select count(*)::text as n,
            (extract(epoch from now() - min(e.occurred_at)) * 1000)::bigint::text as oldest
       from audit_event e where ${pastCursor(lit(orgId), cursor)}`,
  );
  return { events: Number(rows[0]?.n ?? 0), oldestMs: Number(rows[0]?.oldest ?? 0) };
}
