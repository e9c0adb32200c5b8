/**
 * The migration that partitions transactions and audit events by month, on a database that
 * already holds them: every row is kept with its id and values, lands in its month's partition
 * (or the default one), and the audit hash chain sealed before it still verifies — and grows —
 * after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestOrm } from '@reins/db';
import { sealCurrent } from './auditChain.js';
import { verifyChain } from './auditVerify.js';
import { plainSql } from './sql.js';

// Not migrated: the test migrates up to the migration before the one it tests.
const db = useTestOrm('partition_migration', { beforeAll, afterAll }, { migrate: false });

const BEFORE = 'Migration20261203235500_drop_batch_lookup_functions';
const PARTITIONING = 'Migration20261204032502_partition_by_month';

interface TxRow {
  id: string;
  created_at: string;
  idempotency_key: string | null;
  amount_micros: string;
}
interface EventRow {
  id: string;
  pos: string;
  xid: string;
  occurred_at: string;
}

describe(PARTITIONING, () => {
  it('moves every transaction and audit event into its month and keeps the chain intact', async () => {
    const orm = db.orm;
    const sql = plainSql(orm);
    await orm.migrator.up({ to: BEFORE });
    // Today's sealer seals the history below: the horizon it calls, unshifted, as a later
    // migration (Migration20261204130247_xid_shift) defines it.
    await sql(
      `create function reins_xid_horizon() returns xid8 language sql stable
         as $$ select pg_snapshot_xmin(pg_current_snapshot()) $$`,
    );
    for (const org of ['org_a', 'org_b']) {
      await sql(`insert into organization (id, name) values (?, ?)`, [org, org]);
      // Transactions every 7 hours from mid-October across two month boundaries, one in ten
      // keyed (and below, one recorded years ago: the migration creates months from the oldest
      // row's).
      await sql(
        `insert into transaction_record (id, org_id, vendor, agent_id, amount_micros,
            amount_cents, occurred_at, created_at, action, admitted, policy_result, evaluation,
            idempotency_key, request_hash)
         select ? || '_txn_' || i, ?, 'openai', 'bot', i * 1000, 0,
                timestamptz '2026-10-15T00:00:00Z' + i * interval '7 hours',
                timestamptz '2026-10-15T00:00:00Z' + i * interval '7 hours', 'pass', true, '{}',
                '{}', case when i % 10 = 0 then 'k' || i end,
                case when i % 10 = 0 then 'h' || i end
           from generate_series(1, 200) as s(i)`,
        [org, org],
      );
      await sql(
        `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type,
            entity_id, metadata)
         select ? || '_evt_' || i, ?, 'transaction.recorded',
                timestamptz '2026-10-15T00:00:00Z' + i * interval '7 hours', 'key:test',
                'transaction', ? || '_txn_' || i, jsonb_build_object('i', i)
           from generate_series(1, 200) as s(i)`,
        [org, org, org],
      );
      expect(await sealCurrent(orm, org, 30_000)).toBe(true);
    }
    await sql(
      `insert into transaction_record (id, org_id, vendor, agent_id, amount_micros, amount_cents,
          occurred_at, created_at, action, admitted, policy_result, evaluation)
       values ('old_txn', 'org_a', 'openai', 'bot', 1, 0, '2023-02-03T04:05:06Z',
               '2023-02-03T04:05:06Z', 'pass', true, '{}', '{}')`,
    );
    const txBefore = await sql<TxRow>(
      `select id, created_at::text, idempotency_key, amount_micros::text from transaction_record
        order by id`,
    );
    const evBefore = await sql<EventRow>(
      'select id, pos::text, xid::text, occurred_at::text from audit_event order by id',
    );
    const chainBefore = await sql('select * from audit_chain order by org_id, seq');

    // Up to it, not past it: later migrations are not this test's.
    const applied = await orm.migrator.up({ to: PARTITIONING });
    expect(applied.map((m) => m.name)).toEqual([PARTITIONING]);

    expect(
      await sql<TxRow>(
        `select id, created_at::text, idempotency_key, amount_micros::text from transaction_record
          order by id`,
      ),
    ).toEqual(txBefore);
    expect(
      await sql<EventRow>(
        'select id, pos::text, xid::text, occurred_at::text from audit_event order by id',
      ),
    ).toEqual(evBefore);
    expect(await sql('select * from audit_chain order by org_id, seq')).toEqual(chainBefore);

    // Partitioned, and each row in its month (in UTC).
    const kinds = await sql<{ relname: string; relkind: string }>(
      `select relname, relkind::text from pg_class
        where relname in ('transaction_record', 'audit_event') order by relname`,
    );
    expect(kinds).toEqual([
      { relname: 'audit_event', relkind: 'p' },
      { relname: 'transaction_record', relkind: 'p' },
    ]);
    const misplaced = await sql(
      `select id, tableoid::regclass::text from transaction_record
        where tableoid::regclass::text
              <> 'transaction_record_p' || to_char(created_at at time zone 'UTC', 'YYYYMM')
       union all
       select id, tableoid::regclass::text from audit_event
        where tableoid::regclass::text
              <> 'audit_event_p' || to_char(occurred_at at time zone 'UTC', 'YYYYMM')`,
    );
    expect(misplaced).toEqual([]);
    const perMonth = await sql<{ part: string; n: number }>(
      `select tableoid::regclass::text as part, count(*)::int as n from transaction_record
        group by 1 order by 1`,
    );
    expect(perMonth.map((r) => r.part)).toEqual([
      'transaction_record_p202302',
      'transaction_record_p202610',
      'transaction_record_p202611',
      'transaction_record_p202612',
    ]);
    expect(perMonth.reduce((n, r) => n + r.n, 0)).toBe(401);

    // The keys' uniqueness is no index's any more (see lockKeysSql); the lookup's index is there.
    const [idx] = await sql<{ indexdef: string }>(
      `select indexdef from pg_indexes
        where indexname = 'transaction_record_org_idempotency_key_index'`,
    );
    expect(idx?.indexdef).toMatch(/^CREATE INDEX .* \(org_id, idempotency_key\) WHERE/);

    // The chain sealed before verifies after, and goes on: new events are sealed after the old.
    for (const org of ['org_a', 'org_b']) {
      expect(await verifyChain(sql, org)).toMatchObject({ valid: true, checked: 200 });
    }
    await sql(
      `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type,
          entity_id, metadata)
       values ('org_a_evt_new', 'org_a', 'alert.read', '2026-12-20T00:00:00Z', 'key:test',
               'alert', 'alr_1', '{}')`,
    );
    expect(await sealCurrent(orm, 'org_a', 30_000)).toBe(true);
    expect(await verifyChain(sql, 'org_a')).toMatchObject({ valid: true, checked: 201 });
    const [newPos] = await sql<{ newer: boolean }>(
      `select (select pos from audit_event where id = 'org_a_evt_new')
              > (select max(pos) from audit_event where id <> 'org_a_evt_new') as newer`,
    );
    expect(newPos?.newer).toBe(true);

    // Still append-only, partitions included.
    await expect(sql(`delete from audit_event where id = 'org_a_evt_1'`)).rejects.toThrow();
    await expect(sql('truncate audit_event_p202611')).rejects.toThrow();
  });

  it('goes back down to one table each, with every row, and up again', async () => {
    const orm = db.orm;
    const sql = plainSql(orm);
    const count = async () =>
      (
        await sql<{ tx: number; ev: number }>(
          `select (select count(*)::int from transaction_record) as tx,
                  (select count(*)::int from audit_event) as ev`,
        )
      )[0];
    const before = await count();
    // Down through it (and whatever came after it), to the table it converted.
    await orm.migrator.down({ to: PARTITIONING });
    const kinds = await sql<{ relkind: string }>(
      `select relkind::text from pg_class where relname in ('transaction_record', 'audit_event')`,
    );
    expect(kinds).toEqual([{ relkind: 'r' }, { relkind: 'r' }]);
    expect(await count()).toEqual(before);
    const [idx] = await sql<{ indexdef: string }>(
      `select indexdef from pg_indexes
        where indexname = 'transaction_record_org_idempotency_key_unique'`,
    );
    expect(idx?.indexdef).toMatch(/^CREATE UNIQUE INDEX/);
    expect(await verifyChain(sql, 'org_a')).toMatchObject({ valid: true, checked: 201 });
    await orm.migrator.up({ to: PARTITIONING });
    expect(await count()).toEqual(before);
    expect(await verifyChain(sql, 'org_a')).toMatchObject({ valid: true, checked: 201 });
  });
});
