import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 18: `transaction_record` and `audit_event` become range-partitioned by month
 * (docs/operations.md, "Data volume"): transactions on `created_at` (when the server recorded
 * them), audit events on `occurred_at` (which the server sets). Each gets a DEFAULT partition, one
 * partition per month from its oldest row's (at most ten years back) to three months ahead, and
 * a primary key led by org_id that holds the partition key. The idempotency key's unique index
 * cannot stay unique (it would have to hold created_at); the batch's advisory lock on the key
 * keeps a key recorded once per org (ledger's idempotency.ts).
 *
 * Existing rows are copied: the old table is renamed, the partitioned one created like it, the
 * rows moved in one `insert … select` (ids, `pos`, `xid` kept as they are, so the audit chain's
 * links and the sealer's position still name the same events), then the old table dropped and the
 * indexes and constraints recreated on the new one. It runs in the migration's transaction and
 * holds both tables locked meanwhile: an upgrade window (docs/operations.md, "Upgrades").
 */

interface Table {
  name: 'transaction_record' | 'audit_event';
  key: 'created_at' | 'occurred_at';
  indexes: string[];
}

const transactions: Table = {
  name: 'transaction_record',
  key: 'created_at',
  indexes: [
    `create index "transaction_record_org_occurred_index" on "transaction_record" ("org_id", "occurred_at" desc, "id" desc)`,
    `create index "transaction_record_org_agent_key_index" on "transaction_record" ("org_id", "agent_id", "occurred_at" desc, "id" desc)`,
    `create index "transaction_record_org_user_key_index" on "transaction_record" ("org_id", "user_id", "occurred_at" desc, "id" desc)`,
    `create index "transaction_record_org_vendor_key_index" on "transaction_record" ("org_id", "vendor", "occurred_at" desc, "id" desc)`,
    `create index "transaction_record_org_action_key_index" on "transaction_record" ("org_id", "action", "occurred_at" desc, "id" desc) where "action" <> 'pass'`,
    `create index "transaction_record_org_review_key_index" on "transaction_record" ("org_id", "review_state", "occurred_at" desc, "id" desc) where "review_state" is not null`,
    `create index "transaction_record_org_rule_index" on "transaction_record" ("org_id", "rule_id", "occurred_at") include ("action", "amount_cents") where "rule_id" is not null`,
    `create index "transaction_record_org_created_index" on "transaction_record" ("org_id", "created_at")`,
    `create index "transaction_record_org_idempotency_key_index" on "transaction_record" ("org_id", "idempotency_key") where "idempotency_key" is not null`,
    `create index "transaction_record_open_reservations_index" on "transaction_record" ("org_id", "expires_at") where "status" = 'reserved'`,
    `create index "transaction_record_open_review_index" on "transaction_record" ("org_id", "created_at") where "review_state" = 'open'`,
  ],
};

const audit: Table = {
  name: 'audit_event',
  key: 'occurred_at',
  indexes: [
    `create index "audit_event_org_occurred_index" on "audit_event" ("org_id", "occurred_at" desc, "id" desc)`,
    `create index "audit_event_org_type_key_index" on "audit_event" ("org_id", "event_type" collate "C", "occurred_at" desc, "id" desc) where "event_type" collate "C" <> 'transaction.recorded'`,
    `create index "audit_event_org_entity_key_index" on "audit_event" ("org_id", "entity_type", "occurred_at" desc, "id" desc) where "entity_type" <> 'transaction'`,
    `create index "audit_event_org_rule_action_key_index" on "audit_event" ("org_id", ("metadata"->>'action'), "occurred_at" desc, "id" desc) where "metadata"->>'ruleId' is not null`,
    `create index "audit_event_org_xid_pos_index" on "audit_event" ("org_id", "xid", "pos")`,
  ],
};

const appendOnlyTriggers = (table: string) => [
  `create trigger "audit_event_append_only_row" before update or delete on "${table}" for each row execute function "audit_event_append_only"()`,
  `create trigger "audit_event_append_only_truncate" before truncate on "${table}" for each statement execute function "audit_event_append_only"()`,
];

/** Rebuilds `t` as a partitioned table holding the same rows. */
function partition(t: Table): string[] {
  const old = `${t.name}_unpartitioned`;
  return [
    `alter table "${t.name}" rename to "${old}"`,
    `alter table "${old}" drop constraint "${t.name}_pkey"`,
    `alter table "${old}" drop constraint "${t.name}_org_id_foreign"`,
    `create table "${t.name}" (like "${old}" including defaults including constraints) partition by range ("${t.key}")`,
    `create table "${t.name}_default" partition of "${t.name}" default`,
    // One partition per month, in UTC, from the oldest row's (at most ten years back) to three
    // months ahead. Older rows, and any further ahead, go to the default partition.
    `do $months$
     declare
       this_month timestamptz := date_trunc('month', now() at time zone 'UTC') at time zone 'UTC';
       m timestamptz;
     begin
       select date_trunc('month', min("${t.key}") at time zone 'UTC') at time zone 'UTC'
         into m from "${old}";
       m := greatest(least(coalesce(m, this_month), this_month),
                     ((this_month at time zone 'UTC') - interval '120 months') at time zone 'UTC');
       while m <= ((this_month at time zone 'UTC') + interval '3 months') at time zone 'UTC' loop
         execute format('create table %I partition of %I for values from (%L) to (%L)',
           '${t.name}_p' || to_char(m at time zone 'UTC', 'YYYYMM'), '${t.name}', m,
           ((m at time zone 'UTC') + interval '1 month') at time zone 'UTC');
         m := ((m at time zone 'UTC') + interval '1 month') at time zone 'UTC';
       end loop;
     end
     $months$`,
    `insert into "${t.name}" select * from "${old}"`,
    ...(t.name === 'audit_event'
      ? [`alter sequence "audit_event_pos_seq" owned by "audit_event"."pos"`]
      : []),
    `drop table "${old}"`,
    `alter table "${t.name}" add constraint "${t.name}_pkey" primary key ("org_id", "id", "${t.key}")`,
    `alter table "${t.name}" add constraint "${t.name}_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete no action`,
    ...t.indexes,
  ];
}

/** Statement triggers are not inherited: each partition of the audit table refuses TRUNCATE. */
const auditPartitionTruncateTriggers = `do $triggers$
declare p regclass;
begin
  for p in select inhrelid::regclass from pg_inherits where inhparent = 'audit_event'::regclass loop
    execute format('create trigger "audit_event_append_only_truncate" before truncate on %s for each statement execute function "audit_event_append_only"()', p);
  end loop;
end
$triggers$`;

/** Back to one table each: the rows copied, the unique index on idempotency keys restored. */
function unpartition(t: Table): string[] {
  const old = `${t.name}_partitioned`;
  return [
    `alter table "${t.name}" rename to "${old}"`,
    `create table "${t.name}" (like "${old}" including defaults including constraints)`,
    `insert into "${t.name}" select * from "${old}"`,
    ...(t.name === 'audit_event'
      ? [`alter sequence "audit_event_pos_seq" owned by "audit_event"."pos"`]
      : []),
    `drop table "${old}" cascade`,
    `alter table "${t.name}" add constraint "${t.name}_pkey" primary key ("id")`,
    `alter table "${t.name}" add constraint "${t.name}_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete no action`,
    ...t.indexes.map((sql) =>
      sql.includes('idempotency_key_index')
        ? `create unique index "transaction_record_org_idempotency_key_unique" on "transaction_record" ("org_id", "idempotency_key") where "idempotency_key" is not null`
        : sql,
    ),
  ];
}

export class Migration20261204032502_partition_by_month extends Migration {
  override up(): void {
    for (const sql of [
      ...partition(transactions),
      ...partition(audit),
      ...appendOnlyTriggers('audit_event'),
      auditPartitionTruncateTriggers,
      'analyze "transaction_record"',
      'analyze "audit_event"',
    ]) {
      this.addSql(`${sql};`);
    }
  }

  override down(): void {
    for (const sql of [
      ...unpartition(transactions),
      ...unpartition(audit),
      ...appendOnlyTriggers('audit_event'),
    ]) {
      this.addSql(`${sql};`);
    }
  }
}
