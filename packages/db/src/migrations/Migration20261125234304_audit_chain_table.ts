import { Migration } from '@mikro-orm/migrations';

const REFUSE = (table: string, hint: string) => `begin
  raise exception '${table} is append-only: % refused', tg_op
    using errcode = '42501', hint = '${hint}';
end;`;

/**
 * The hash chain moves out of audit_event into its own insert-only table. Sealing used to UPDATE
 * every event once (a new row version, three index entries, the trigger's check): as much write
 * work again as recording the event, taken from the hot path on the same database. Now events are
 * never updated — the trigger refuses every UPDATE — and the sealer inserts one narrow chain row
 * per event. It finds what to seal by (xid, pos): see AuditEvent in entities.ts.
 *
 * Chains sealed before this migration are kept: their links move to audit_chain, and each head
 * records how far its events were read, so sealing goes on where it stopped.
 */
export class Migration20261125234304_audit_chain_table extends Migration {
  override up(): void {
    this.addSql(
      `create table "audit_chain" ("org_id" text not null, "seq" bigint not null, "event_id" text not null, "prev_hash" text not null, "hash" text not null, "sealed_at" timestamptz not null default now(), constraint "audit_chain_pkey" primary key ("org_id", "seq"));`,
    );
    this.addSql(
      `alter table "audit_chain" add constraint "audit_chain_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete no action;`,
    );
    this.addSql(
      `alter table "audit_chain_head" add column "last_xid" xid8 not null default '0', add column "last_pos" bigint not null default 0;`,
    );

    // Existing events: positions in chain order (sealed ones first, by seq), all with this
    // migration's xid; their links copied; heads moved past what they sealed.
    this.addSql(`alter table "audit_event" disable trigger "audit_event_append_only_row";`);
    this.addSql(
      `alter table "audit_event" add column "pos" bigserial, add column "xid" xid8 not null default pg_current_xact_id();`,
    );
    this.addSql(`update "audit_event" e set "pos" = r.n
      from (select "id", row_number() over (order by "seq" nulls last, "occurred_at", "id") as n
              from "audit_event") r
     where e."id" = r."id";`);
    this.addSql(
      `select setval(pg_get_serial_sequence('audit_event', 'pos'), coalesce((select max("pos") from "audit_event"), 0) + 1, false);`,
    );
    this.addSql(`insert into "audit_chain" ("org_id", "seq", "event_id", "prev_hash", "hash")
      select "org_id", "seq", "id", "prev_hash", "hash" from "audit_event" where "seq" is not null;`);
    this
      .addSql(`update "audit_chain_head" h set "last_xid" = pg_current_xact_id(), "last_pos" = s.pos
      from (select "org_id", max("pos") as pos from "audit_event" where "seq" is not null
             group by "org_id") s
     where h."org_id" = s."org_id";`);
    this.addSql(`drop index "audit_event_org_seq_unique";`);
    this.addSql(`drop index "audit_event_unsealed_index";`);
    this.addSql(
      `alter table "audit_event" drop column "seq", drop column "prev_hash", drop column "hash";`,
    );
    this.addSql(
      `create index "audit_event_org_xid_pos_index" on "audit_event" ("org_id", "xid", "pos");`,
    );
    this
      .addSql(`create or replace function "audit_event_append_only"() returns trigger language plpgsql as $$
${REFUSE('audit_event', 'Audit events are never changed or removed.')}
$$;`);
    this.addSql(`alter table "audit_event" enable trigger "audit_event_append_only_row";`);

    this.addSql(`create function "audit_chain_append_only"() returns trigger language plpgsql as $$
${REFUSE('audit_chain', 'Links of the audit hash chain are never changed or removed.')}
$$;`);
    this.addSql(
      `create trigger "audit_chain_append_only_row" before update or delete on "audit_chain" for each row execute function "audit_chain_append_only"();`,
    );
    this.addSql(
      `create trigger "audit_chain_append_only_truncate" before truncate on "audit_chain" for each statement execute function "audit_chain_append_only"();`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "audit_chain" cascade;`);
    this.addSql(`drop function if exists "audit_chain_append_only"();`);
    this.addSql(`drop index "audit_event_org_xid_pos_index";`);
    this.addSql(`alter table "audit_event" drop column "pos", drop column "xid";`);
    this.addSql(
      `alter table "audit_event" add column "seq" bigint null, add column "prev_hash" text null, add column "hash" text null;`,
    );
    this.addSql(
      `create unique index "audit_event_org_seq_unique" on "audit_event" ("org_id", "seq") where "seq" is not null;`,
    );
    this.addSql(
      `create index "audit_event_unsealed_index" on "audit_event" ("org_id", "occurred_at", "id") where "hash" is null;`,
    );
    this.addSql(`alter table "audit_chain_head" drop column "last_xid", drop column "last_pos";`);
    this
      .addSql(`create or replace function "audit_event_append_only"() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and old.hash is null
     and (new.id, new.org_id, new.event_type, new.occurred_at, new.actor, new.entity_type,
          new.entity_id, new.metadata)
         is not distinct from
         (old.id, old.org_id, old.event_type, old.occurred_at, old.actor, old.entity_type,
          old.entity_id, old.metadata) then
    return new;
  end if;
  raise exception 'audit_event is append-only: % refused', tg_op
    using errcode = '42501',
          hint = 'Only the one-time fill of seq, prev_hash and hash on an unsealed row is allowed.';
end;
$$;`);
  }
}
