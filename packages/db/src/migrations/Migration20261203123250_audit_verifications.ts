import { Migration } from '@mikro-orm/migrations';

export class Migration20261203123250_audit_verifications extends Migration {
  override up(): void {
    this.addSql(
      `create table "audit_verification" ("id" text not null, "org_id" text not null, "status" text not null default 'queued', "checked" bigint not null default 0, "total" bigint null, "target" jsonb null, "cursor_seq" bigint not null default 0, "cursor_hash" text null, "cursor_event_id" text null, "result" jsonb null, "error" text null, "attempts" int not null default 0, "locked_by" text null, "locked_until" timestamptz null, "created_at" timestamptz not null default now(), "started_at" timestamptz null, "finished_at" timestamptz null, constraint "audit_verification_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "audit_verification_claimable_index" on "audit_verification" ("created_at") where "status" in ('queued', 'running');`,
    );

    this.addSql(
      `create table "audit_checkpoint" ("org_id" text not null, "seq" bigint not null, "hash" text not null, "last_xid" xid8 not null, "last_pos" bigint not null, "event_id" text not null, "verified_at" timestamptz not null, constraint "audit_checkpoint_pkey" primary key ("org_id"));`,
    );

    this.addSql(
      `alter table "audit_verification" add constraint "audit_verification_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );

    this.addSql(
      `alter table "audit_checkpoint" add constraint "audit_checkpoint_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "audit_verification" cascade;`);

    this.addSql(`drop table if exists "audit_checkpoint" cascade;`);
  }
}
