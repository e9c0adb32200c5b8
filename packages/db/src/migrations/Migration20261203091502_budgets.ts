import { Migration } from '@mikro-orm/migrations';

export class Migration20261203091502_budgets extends Migration {
  override up(): void {
    this.addSql(
      `create table "budget" ("org_id" text not null, "kind" text check ("kind" in ('role', 'team', 'project')) not null, "subject" text not null, "hourly_budget_cents" bigint null, "daily_budget_cents" bigint null, "weekly_budget_cents" bigint null, "monthly_budget_cents" bigint null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "budget_pkey" primary key ("org_id", "kind", "subject"));`,
    );

    this.addSql(
      `alter table "budget" add constraint "budget_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "budget" cascade;`);
  }
}
