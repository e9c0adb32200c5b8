import { Migration } from '@mikro-orm/migrations';

/** Budget leases (issue 18): see the BudgetLease entity and docs/operations.md, "Scaling out". */

export class Migration20261204033645_budget_leases extends Migration {
  override up(): void {
    this.addSql(
      `create table "budget_lease" ("org_id" text not null, "id" text not null, "counter_key" text not null, "holder" text not null, "granted_cost_micros" bigint not null default 0, "granted_tokens_in" bigint not null default 0, "granted_tokens_out" bigint not null default 0, "granted_requests" bigint not null default 0, "used_cost_micros" bigint not null default 0, "used_tokens_in" bigint not null default 0, "used_tokens_out" bigint not null default 0, "used_requests" bigint not null default 0, "expires_at" timestamptz not null, "created_at" timestamptz not null default now(), constraint "budget_lease_pkey" primary key ("org_id", "id"));`,
    );
    this.addSql(
      `create index "budget_lease_counter_index" on "budget_lease" ("org_id", "counter_key");`,
    );
    this.addSql(`create index "budget_lease_holder_index" on "budget_lease" ("holder");`);

    this.addSql(
      `alter table "budget_lease" add constraint "budget_lease_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete no action;`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "budget_lease" cascade;`);
  }
}
