// Transaction ids as the audit chain sees them, shifted past a restored history's.
//
// The sealer takes an organization's audit events in (xid, pos) order after its chain head, up to
// the oldest running transaction (a transaction older than that has committed every event it
// ever will). `xid` is PostgreSQL's transaction id — but a logical restore (pg_dump/pg_restore)
// into another cluster copies the events' ids while the new cluster's counter starts low: events
// written afterwards would get ids below the head's and never be sealed. So every id the chain
// compares goes through `reins_xid_shift()`, a constant that is 0 until a process opening the
// database finds ids at or past the cluster's next one (`alignXidShift`, under the migration
// lock) and raises it to put new ids after them. Stored ids are never rewritten (audit events
// are append-only; heads, checkpoints and cursors point at them); only the new ones and the
// horizon move, by the same amount.
import type { Orm } from './orm.js';

/** The statement that sets the shift (`alignXidShift`; tests stage a restore with it). */
export function xidShiftFunctionSql(shift: bigint): string {
  // Immutable: a constant the planner may fold; replacing the function invalidates cached plans.
  return `create or replace function reins_xid_shift() returns bigint language sql immutable
     parallel safe as $$ select ${shift.toString()}::bigint $$`;
}

/**
 * `o(org_id)`: the organizations that have audit events, one index probe each (a skip scan over
 * the events' org_id-led indexes), where `select distinct org_id` would read every event.
 * Rows of `o` end with one null org_id: filter it out.
 */
export const AUDIT_ORGS_CTE = `with recursive o(org_id) as (
       (select org_id from audit_event order by org_id limit 1)
       union all
       select (select a.org_id from audit_event a where a.org_id > o.org_id
                order by a.org_id limit 1)
         from o where o.org_id is not null
     )`;

/** The highest xid the chain knows of: events (per organization, by index), heads, cursors. */
const TOP_XID_SQL = `${AUDIT_ORGS_CTE}
     select greatest(
       (select max((select e.xid::text::bigint from audit_event e where e.org_id = o.org_id
                     order by e.xid desc, e.pos desc limit 1))
          from o where o.org_id is not null),
       (select max(last_xid::text::bigint) from audit_chain_head),
       (select max(last_xid::text::bigint) from audit_checkpoint),
       (select max(xid::text::bigint) from rollup_cursor))::text as top,
       pg_snapshot_xmax(pg_current_snapshot())::text as next,
       reins_xid_shift()::text as shift`;

export interface XidShift {
  /** The shift before this open. */
  from: bigint;
  /** The shift now: new events get ids above every id already stored. */
  to: bigint;
}

/**
 * Raises the shift when stored ids reach the cluster's next id (after a logical restore into
 * another cluster): returns what it changed, or null when nothing needed to. Run it before the
 * process writes, under the migration lock (two processes opening at once take turns).
 */
export async function alignXidShift(orm: Orm): Promise<XidShift | null> {
  const conn = orm.em.getConnection();
  const [row] =
    await conn.execute<{ top: string | null; next: string; shift: string }[]>(TOP_XID_SQL);
  if (!row || row.top === null) return null;
  const top = BigInt(row.top);
  const next = BigInt(row.next);
  const from = BigInt(row.shift);
  // Every transaction from `next` on writes ids from `next + shift`: that must pass `top`.
  if (next + from > top) return null;
  const to = top - next + 1n;
  await conn.execute(xidShiftFunctionSql(to));
  return { from, to };
}

/** How a process that opened the database logs a shift it made (pino: fields, then message). */
export function xidShiftLog(shift: XidShift): [{ from: string; to: string }, string] {
  return [
    { from: String(shift.from), to: String(shift.to) },
    'audit event ids are behind the stored ones (a restore into another cluster?): shifted past them',
  ];
}
