import { Migration } from '@mikro-orm/migrations';

export class Migration20261125214458_replayable_evaluations extends Migration {
  override up(): void {
    this.addSql(
      `create table "policy_snapshot" ("org_id" text not null, "version" bigint not null, "rules" jsonb not null, "created_at" timestamptz not null default now(), constraint "policy_snapshot_pkey" primary key ("org_id", "version"));`,
    );

    this.addSql(
      `alter table "policy_snapshot" add constraint "policy_snapshot_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );

    this.addSql(`alter table "transaction_record" rename column "trace" to "evaluation";`);
  }

  override down(): void {
    this.addSql(`drop table if exists "policy_snapshot" cascade;`);

    this.addSql(`alter table "transaction_record" rename column "evaluation" to "trace";`);
  }
}
