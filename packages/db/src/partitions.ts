/**
 * Monthly range partitions of the two tables that grow with every governed call (see
 * docs/operations.md, "Data volume"): `transaction_record` by `created_at` (when the server
 * recorded it, never the client's `occurred_at`) and `audit_event` by `occurred_at` (which the
 * server sets). Each has a DEFAULT partition, so a write is never refused for want of a month:
 * months are created ahead of time (by the migration, then by the worker's `partitions` job), and
 * a row outside them waits in the default partition.
 *
 * Every statement here is one DO block (its own transaction when sent alone) holding a
 * transaction-scoped advisory lock: any number of workers can run it at once, through PgBouncer
 * in transaction mode, and it changes nothing when the month is already there.
 */

/** The partitioned tables and their partition keys. */
export const PARTITIONED_TABLES = {
  transaction_record: 'created_at',
  audit_event: 'occurred_at',
} as const;

export type PartitionedTable = keyof typeof PARTITIONED_TABLES;

/** The advisory lock (single bigint key) that serializes partition changes. */
export const PARTITION_LOCK = 7_262_538;

/**
 * How long partition changes wait for a table lock before giving up until the next run. Short:
 * while ATTACH (or DROP) waits for its ACCESS EXCLUSIVE lock on the default partition (or the
 * table), every query of the table queues behind it — a stall of the hot path of at most this.
 */
export const PARTITION_LOCK_TIMEOUT_MS = 500;

/** Months kept created ahead of the current one. */
export const PARTITION_MONTHS_AHEAD = 3;

/** The first instant (UTC) of the month `offset` months after the one `at` is in. */
export function monthStart(at: Date, offset = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1));
}

/** `transaction_record_p202612`: the partition of `table` holding the month starting at `month`. */
export function partitionName(table: PartitionedTable, month: Date): string {
  const m = String(month.getUTCMonth() + 1).padStart(2, '0');
  return `${table}_p${String(month.getUTCFullYear())}${m}`;
}

/** The month a partition name stands for, or null for the default partition (or another name). */
export function partitionMonth(table: PartitionedTable, name: string): Date | null {
  const m = new RegExp(`^${table}_p(\\d{4})(\\d{2})$`).exec(name);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)) : null;
}

/**
 * A DO block creating the month partition of `table` that starts at `month`, unless it exists.
 * Created beside the table and then attached: ATTACH takes a SHARE UPDATE EXCLUSIVE lock on the
 * parent, where CREATE TABLE … PARTITION OF would take an ACCESS EXCLUSIVE one (it would stall
 * every read and write of the table for a moment); the default partition is scanned under an
 * ACCESS EXCLUSIVE lock, which is why it must stay small. If rows of that month are in the
 * default partition already (nobody created the month in time), the month is left there: moving
 * them would delete audit events, which the database refuses. The rows stay readable and
 * counted where they are.
 */
export function ensureMonthSql(table: PartitionedTable, month: Date): string {
  const key = PARTITIONED_TABLES[table];
  const name = partitionName(table, month);
  const from = month.toISOString();
  const to = monthStart(month, 1).toISOString();
  return `do $ensure$
begin
  perform pg_advisory_xact_lock(${String(PARTITION_LOCK)});
  -- Behind a long transaction, give up (the next run tries again) rather than queue every
  -- reader of the table behind this.
  perform set_config('lock_timeout', '${String(PARTITION_LOCK_TIMEOUT_MS)}ms', true);
  if to_regclass('${name}') is not null then
    return;
  end if;
  if exists (select 1 from "${table}_default"
              where "${key}" >= '${from}' and "${key}" < '${to}' limit 1) then
    raise warning 'partition % not created: the default partition holds rows of that month', '${name}';
    return;
  end if;
  create table "${name}" (like "${table}" including defaults including constraints);
  alter table "${table}" attach partition "${name}" for values from ('${from}') to ('${to}');${
    table === 'audit_event'
      ? `
  -- Statement triggers are not inherited: the month refuses TRUNCATE like the table does.
  create trigger "audit_event_append_only_truncate" before truncate on "${name}"
    for each statement execute function "audit_event_append_only"();`
      : ''
  }
end
$ensure$`;
}

/** The statements keeping `from`'s month and `ahead` months after it created, for both tables. */
export function ensurePartitionsSql(from: Date, ahead = PARTITION_MONTHS_AHEAD): string[] {
  const out: string[] = [];
  for (const table of Object.keys(PARTITIONED_TABLES) as PartitionedTable[]) {
    for (let i = 0; i <= ahead; i++) out.push(ensureMonthSql(table, monthStart(from, i)));
  }
  return out;
}

/**
 * A DO block dropping `name`, a month partition of `transaction_record` (the retention job's),
 * under the same lock. DROP of a partition takes an ACCESS EXCLUSIVE lock on the table for a
 * moment (DETACH … CONCURRENTLY would not, but it cannot be used while a default partition
 * exists).
 */
export function dropPartitionSql(name: string): string {
  if (!partitionMonth('transaction_record', name)) {
    throw new Error(`not a month partition of transaction_record: ${name}`);
  }
  return `do $drop$
begin
  perform pg_advisory_xact_lock(${String(PARTITION_LOCK)});
  perform set_config('lock_timeout', '${String(PARTITION_LOCK_TIMEOUT_MS)}ms', true);
  drop table if exists "${name}";
end
$drop$`;
}

/** The month partitions `table` has (names), oldest first; not its default partition. */
export function listPartitionsSql(table: PartitionedTable): string {
  return `select c.relname as name
        from pg_inherits i join pg_class c on c.oid = i.inhrelid
       where i.inhparent = '${table}'::regclass and c.relname ~ '^${table}_p[0-9]{6}$'
       order by c.relname`;
}
