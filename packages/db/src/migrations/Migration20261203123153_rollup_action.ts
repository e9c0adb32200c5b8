import { Migration } from '@mikro-orm/migrations';

export class Migration20261203123153_rollup_action extends Migration {
  override up(): void {
    // Rows rolled up without the decision cannot be split by it, and audit counts start now: both
    // start over, and the worker rebuilds them from the audit stream (reads stay exact meanwhile:
    // they add what is not absorbed).
    this.addSql(`delete from "spend_rollup";`);
    this.addSql(`delete from "rollup_cursor";`);
    this.addSql(
      `create table "audit_rollup" ("org_id" text not null, "grain" text not null, "bucket" timestamptz not null, "event_type" text not null, "entity_type" text not null, "rule_action" text not null, "events" bigint not null default 0, constraint "audit_rollup_pkey" primary key ("org_id", "grain", "bucket", "event_type", "entity_type", "rule_action"));`,
    );
    this.addSql(
      `alter table "audit_rollup" add constraint "audit_rollup_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );
    this.addSql(`alter table "spend_rollup" drop constraint "spend_rollup_pkey";`);

    this.addSql(`alter table "spend_rollup" add column "action" text not null default '';`);
    this.addSql(
      `alter table "spend_rollup" add constraint "spend_rollup_pkey" primary key ("org_id", "grain", "bucket", "agent_id", "vendor", "model", "user_id", "team_id", "project_id", "action");`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "audit_rollup" cascade;`);
    this.addSql(`alter table "spend_rollup" drop constraint "spend_rollup_pkey";`);
    this.addSql(`alter table "spend_rollup" drop column "action";`);

    this.addSql(
      `alter table "spend_rollup" add constraint "spend_rollup_pkey" primary key ("org_id", "grain", "bucket", "agent_id", "vendor", "model", "user_id", "team_id", "project_id");`,
    );
  }
}
