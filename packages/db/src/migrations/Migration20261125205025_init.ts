import { Migration } from '@mikro-orm/migrations';

export class Migration20261125205025_init extends Migration {
  override up(): void {
    this.addSql(
      `create table "organization" ("id" text not null, "name" text not null, "time_zone" text not null default 'UTC', "default_action" text check ("default_action" in ('pass', 'block')) not null default 'pass', "monthly_budget_cents" bigint null, "policy_version" bigint not null default 0, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "organization_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "audit_event" ("id" text not null, "org_id" text not null, "seq" bigint null, "event_type" text not null, "occurred_at" timestamptz not null, "actor" text not null, "entity_type" text not null, "entity_id" text not null, "metadata" jsonb not null default '{}', "prev_hash" text null, "hash" text null, constraint "audit_event_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "audit_event_org_occurred_index" on "audit_event" ("org_id", "occurred_at" desc, "id" desc);`,
    );
    this.addSql(
      `create unique index "audit_event_org_seq_unique" on "audit_event" ("org_id", "seq") where "seq" is not null;`,
    );

    this.addSql(
      `create table "api_key" ("id" text not null, "org_id" text not null, "name" text not null, "key_hash" text not null, "key_masked" text not null, "permissions" jsonb not null, "created_at" timestamptz not null default now(), "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "api_key_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "api_key" add constraint "api_key_key_hash_unique" unique ("key_hash");`,
    );
    this.addSql(`create index "api_key_org_id_index" on "api_key" ("org_id");`);

    this.addSql(
      `create table "policy_rule" ("id" text not null, "org_id" text not null, "definition" jsonb not null, "enabled" boolean not null, "priority" int not null, "action" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "policy_rule_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "policy_rule_org_id_index" on "policy_rule" ("org_id");`);

    this.addSql(
      `create table "transaction_record" ("id" text not null, "org_id" text not null, "vendor" text not null, "model" text null, "agent_id" text not null, "user_id" text null, "user_roles" jsonb not null default '[]', "team_id" text null, "project_id" text null, "amount_micros" bigint not null, "amount_cents" bigint not null, "tokens_in" bigint not null default 0, "tokens_out" bigint not null default 0, "prompt" text null, "response" text null, "metadata" jsonb not null default '{}', "occurred_at" timestamptz not null, "created_at" timestamptz not null default now(), "action" text not null, "admitted" boolean not null, "rule_id" text null, "policy_result" jsonb not null, "trace" jsonb not null, "counted_windows" jsonb not null default '[]', "price_source" text null, "price_version" text null, "phase" text not null default 'final', "status" text not null default 'recorded', "idempotency_key" text null, constraint "transaction_record_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "transaction_record_org_occurred_index" on "transaction_record" ("org_id", "occurred_at" desc, "id" desc);`,
    );
    this.addSql(
      `create index "transaction_record_org_agent_occurred_index" on "transaction_record" ("org_id", "agent_id", "occurred_at" desc);`,
    );
    this.addSql(
      `create index "transaction_record_org_user_occurred_index" on "transaction_record" ("org_id", "user_id", "occurred_at" desc);`,
    );
    this.addSql(
      `create unique index "transaction_record_org_idempotency_key_unique" on "transaction_record" ("org_id", "idempotency_key") where "idempotency_key" is not null;`,
    );

    this.addSql(
      `create table "window_counter" ("org_id" text not null, "key" text not null, "period" text not null, "per" text not null, "group_value" text not null, "window_start" timestamptz not null, "window_end" timestamptz not null, "cost_micros" bigint not null default 0, "tokens_in" bigint not null default 0, "tokens_out" bigint not null default 0, "requests" bigint not null default 0, "updated_at" timestamptz not null default now(), constraint "window_counter_pkey" primary key ("org_id", "key"));`,
    );

    this.addSql(
      `alter table "audit_event" add constraint "audit_event_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete no action;`,
    );

    this.addSql(
      `alter table "api_key" add constraint "api_key_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );

    this.addSql(
      `alter table "policy_rule" add constraint "policy_rule_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );

    this.addSql(
      `alter table "transaction_record" add constraint "transaction_record_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete no action;`,
    );

    this.addSql(
      `alter table "window_counter" add constraint "window_counter_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete no action;`,
    );

    // audit_event is append-only, enforced by the database (SQLSTATE 42501, insufficient_privilege):
    // DELETE and TRUNCATE are always refused; UPDATE only while the row is unsealed (hash is null)
    // and only seq, prev_hash and hash change — the sealing job fills the hash chain once.
    this.addSql(`create function "audit_event_append_only"() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and old.hash is null
     and (to_jsonb(new) - 'seq' - 'prev_hash' - 'hash') = (to_jsonb(old) - 'seq' - 'prev_hash' - 'hash') then
    return new;
  end if;
  raise exception 'audit_event is append-only: % refused', tg_op
    using errcode = '42501',
          hint = 'Only the one-time fill of seq, prev_hash and hash on an unsealed row is allowed.';
end;
$$;`);
    this.addSql(
      `create trigger "audit_event_append_only_row" before update or delete on "audit_event" for each row execute function "audit_event_append_only"();`,
    );
    this.addSql(
      `create trigger "audit_event_append_only_truncate" before truncate on "audit_event" for each statement execute function "audit_event_append_only"();`,
    );
  }

  override down(): void {
    this.addSql(`alter table "audit_event" drop constraint "audit_event_org_id_foreign";`);

    this.addSql(`alter table "api_key" drop constraint "api_key_org_id_foreign";`);

    this.addSql(`alter table "policy_rule" drop constraint "policy_rule_org_id_foreign";`);

    this.addSql(
      `alter table "transaction_record" drop constraint "transaction_record_org_id_foreign";`,
    );

    this.addSql(`alter table "window_counter" drop constraint "window_counter_org_id_foreign";`);

    this.addSql(`drop table if exists "organization" cascade;`);

    this.addSql(`drop table if exists "audit_event" cascade;`);

    this.addSql(`drop table if exists "api_key" cascade;`);

    this.addSql(`drop table if exists "policy_rule" cascade;`);

    this.addSql(`drop table if exists "transaction_record" cascade;`);

    this.addSql(`drop table if exists "window_counter" cascade;`);

    this.addSql(`drop function if exists "audit_event_append_only"();`);
  }
}
