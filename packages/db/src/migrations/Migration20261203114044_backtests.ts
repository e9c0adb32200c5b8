import { Migration } from '@mikro-orm/migrations';

export class Migration20261203114044_backtests extends Migration {
  override up(): void {
    this.addSql(
      `create table "backtest" ("id" text not null, "org_id" text not null, "status" text not null default 'queued', "rules" jsonb not null, "settings" jsonb not null, "period_start" timestamptz not null, "period_end" timestamptz not null, "processed" bigint not null default 0, "total" bigint null, "result" jsonb null, "error" text null, "attempts" int not null default 0, "locked_by" text null, "locked_until" timestamptz null, "created_at" timestamptz not null default now(), "started_at" timestamptz null, "finished_at" timestamptz null, constraint "backtest_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "backtest_org_created_index" on "backtest" ("org_id", "created_at" desc, "id" desc);`,
    );
    this.addSql(
      `create index "backtest_claimable_index" on "backtest" ("created_at") where "status" in ('queued', 'running');`,
    );

    this.addSql(
      `alter table "backtest" add constraint "backtest_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "backtest" cascade;`);
  }
}
