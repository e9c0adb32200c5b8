import { Migration } from '@mikro-orm/migrations';

export class Migration20261125224819_issue5_agents_vendors_reservations_alerts extends Migration {
  override up(): void {
    this.addSql(
      `create table "notification_outbox" ("id" text not null, "org_id" text not null, "alert_id" text null, "channel_id" text not null, "status" text not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz not null default now(), "payload" jsonb not null, "last_error" text null, "created_at" timestamptz not null default now(), "delivered_at" timestamptz null, constraint "notification_outbox_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "notification_outbox_pending_index" on "notification_outbox" ("next_attempt_at") where "status" = 'pending';`,
    );

    this.addSql(
      `create table "notification_channel" ("id" text not null, "org_id" text not null, "name" text not null, "type" text not null, "config" jsonb not null, "enabled" boolean not null default true, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "notification_channel_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "notification_channel_org_id_index" on "notification_channel" ("org_id");`,
    );

    this.addSql(
      `create table "idempotency_record" ("org_id" text not null, "key" text not null, "route" text not null, "request_hash" text not null, "status_code" int null, "response_body" text null, "created_at" timestamptz not null default now(), "completed_at" timestamptz null, constraint "idempotency_record_pkey" primary key ("org_id", "key"));`,
    );
    this.addSql(
      `create index "idempotency_record_created_index" on "idempotency_record" ("created_at");`,
    );

    this.addSql(
      `create table "audit_chain_head" ("org_id" text not null, "seq" bigint not null default 0, "hash" text not null, "updated_at" timestamptz not null default now(), constraint "audit_chain_head_pkey" primary key ("org_id"));`,
    );

    this.addSql(
      `create table "agent" ("org_id" text not null, "agent_id" text not null, "name" text not null, "description" text null, "vendor" text null, "monthly_budget_cents" bigint null, "metadata" jsonb not null default '{}', "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "agent_pkey" primary key ("org_id", "agent_id"));`,
    );

    this.addSql(
      `create table "policy_alert" ("id" text not null, "org_id" text not null, "rule_id" text not null, "rule_name" text not null, "action" text not null, "message" text not null, "dedup_key" text not null, "transaction_id" text not null, "agent_id" text null, "group_value" text null, "time_window" text null, "window_start" timestamptz null, "threshold_pct" int null, "limit_value" bigint null, "current_value" bigint null, "unit" text null, "read" boolean not null default false, "read_at" timestamptz null, "created_at" timestamptz not null default now(), constraint "policy_alert_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "policy_alert_org_created_index" on "policy_alert" ("org_id", "created_at" desc, "id" desc);`,
    );
    this.addSql(
      `alter table "policy_alert" add constraint "policy_alert_org_dedup_unique" unique ("org_id", "dedup_key");`,
    );

    this.addSql(
      `create table "price_override" ("id" text not null, "org_id" text not null, "vendor" text not null, "model" text not null, "prices" jsonb not null, "effective_from" timestamptz not null, "effective_to" timestamptz null, "created_at" timestamptz not null default now(), constraint "price_override_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "price_override_org_id_index" on "price_override" ("org_id");`);

    this.addSql(
      `create table "vendor_setting" ("org_id" text not null, "vendor" text not null, "enabled" boolean not null default true, "rate_limit_rpm" int null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "vendor_setting_pkey" primary key ("org_id", "vendor"));`,
    );

    this.addSql(
      `alter table "notification_outbox" add constraint "notification_outbox_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );

    this.addSql(
      `alter table "notification_channel" add constraint "notification_channel_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );

    this.addSql(
      `alter table "idempotency_record" add constraint "idempotency_record_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );

    this.addSql(
      `alter table "audit_chain_head" add constraint "audit_chain_head_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete no action;`,
    );

    this.addSql(
      `alter table "agent" add constraint "agent_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );

    this.addSql(
      `alter table "policy_alert" add constraint "policy_alert_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );

    this.addSql(
      `alter table "price_override" add constraint "price_override_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );

    this.addSql(
      `alter table "vendor_setting" add constraint "vendor_setting_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );

    this.addSql(
      `create index "audit_event_unsealed_index" on "audit_event" ("org_id", "occurred_at", "id") where "hash" is null;`,
    );

    this.addSql(
      `alter table "transaction_record" add column "hold" jsonb null, add column "expires_at" timestamptz null, add column "settled_at" timestamptz null, add column "voided_at" timestamptz null;`,
    );
    this.addSql(
      `create index "transaction_record_open_reservations_index" on "transaction_record" ("org_id", "expires_at") where "status" = 'reserved';`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "notification_outbox" cascade;`);

    this.addSql(`drop table if exists "notification_channel" cascade;`);

    this.addSql(`drop table if exists "idempotency_record" cascade;`);

    this.addSql(`drop table if exists "audit_chain_head" cascade;`);

    this.addSql(`drop table if exists "agent" cascade;`);

    this.addSql(`drop table if exists "policy_alert" cascade;`);

    this.addSql(`drop table if exists "price_override" cascade;`);

    this.addSql(`drop table if exists "vendor_setting" cascade;`);

    this.addSql(`drop index "audit_event_unsealed_index";`);

    this.addSql(`drop index "transaction_record_open_reservations_index";`);
    this.addSql(
      `alter table "transaction_record" drop column "hold", drop column "expires_at", drop column "settled_at", drop column "voided_at";`,
    );
  }
}
