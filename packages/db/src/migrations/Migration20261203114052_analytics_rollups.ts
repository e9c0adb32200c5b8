import { Migration } from '@mikro-orm/migrations';

export class Migration20261203114052_analytics_rollups extends Migration {
  override up(): void {
    this.addSql(
      `create table "rollup_cursor" ("org_id" text not null, "xid" xid8 not null default '0', "pos" bigint not null default 0, "updated_at" timestamptz not null default now(), constraint "rollup_cursor_pkey" primary key ("org_id"));`,
    );

    this.addSql(
      `create table "spend_rollup" ("org_id" text not null, "grain" text not null, "bucket" timestamptz not null, "agent_id" text not null, "vendor" text not null, "model" text not null, "user_id" text not null, "team_id" text not null, "project_id" text not null, "spend_micros" bigint not null default 0, "spend_cents" bigint not null default 0, "tokens_in" bigint not null default 0, "tokens_out" bigint not null default 0, "requests" bigint not null default 0, "blocked" bigint not null default 0, "flagged" bigint not null default 0, "warned" bigint not null default 0, "would_block" bigint not null default 0, "would_warn" bigint not null default 0, "would_flag" bigint not null default 0, constraint "spend_rollup_pkey" primary key ("org_id", "grain", "bucket", "agent_id", "vendor", "model", "user_id", "team_id", "project_id"));`,
    );

    this.addSql(
      `alter table "rollup_cursor" add constraint "rollup_cursor_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );

    this.addSql(
      `alter table "spend_rollup" add constraint "spend_rollup_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );

    this.addSql(`alter table "policy_alert" alter column "rule_id" drop not null;`);
    this.addSql(`alter table "policy_alert" alter column "transaction_id" drop not null;`);
  }

  override down(): void {
    this.addSql(`drop table if exists "rollup_cursor" cascade;`);

    this.addSql(`drop table if exists "spend_rollup" cascade;`);

    this.addSql(`alter table "policy_alert" alter column "rule_id" set not null;`);
    this.addSql(`alter table "policy_alert" alter column "transaction_id" set not null;`);
  }
}
