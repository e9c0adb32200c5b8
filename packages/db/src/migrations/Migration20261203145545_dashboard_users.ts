import { Migration } from '@mikro-orm/migrations';

export class Migration20261203145545_dashboard_users extends Migration {
  override up(): void {
    this.addSql(
      `create table "app_user" ("id" text not null, "org_id" text not null, "email" text not null, "name" text null, "role" text check ("role" in ('admin', 'editor', 'viewer')) not null, "password_hash" text null, "disabled_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "last_sign_in_at" timestamptz null, constraint "app_user_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "app_user_org_id_index" on "app_user" ("org_id");`);
    this.addSql(`create unique index "app_user_email_unique" on "app_user" (lower("email"));`);

    this.addSql(
      `create table "sign_in_token" ("id" text not null, "user_id" text not null, "purpose" text check ("purpose" in ('first_admin', 'invite', 'reset')) not null, "created_at" timestamptz not null default now(), "expires_at" timestamptz not null, "used_at" timestamptz null, constraint "sign_in_token_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "sign_in_token_user_id_index" on "sign_in_token" ("user_id");`);

    this.addSql(
      `create table "user_session" ("id" text not null, "org_id" text not null, "user_id" text null, "key_id" text null, "csrf_token" text not null, "created_at" timestamptz not null default now(), "last_seen_at" timestamptz not null, "expires_at" timestamptz not null, constraint "user_session_pkey" primary key ("id"), constraint user_session_one_principal_check check (("user_id" is null) <> ("key_id" is null)));`,
    );
    this.addSql(`create index "user_session_user_id_index" on "user_session" ("user_id");`);
    this.addSql(`create index "user_session_key_id_index" on "user_session" ("key_id");`);

    this.addSql(
      `alter table "app_user" add constraint "app_user_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );

    this.addSql(
      `alter table "sign_in_token" add constraint "sign_in_token_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update no action on delete cascade;`,
    );

    this.addSql(
      `alter table "user_session" add constraint "user_session_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );
    this.addSql(
      `alter table "user_session" add constraint "user_session_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update no action on delete cascade;`,
    );
    this.addSql(
      `alter table "user_session" add constraint "user_session_key_id_foreign" foreign key ("key_id") references "api_key" ("id") on update no action on delete cascade;`,
    );
  }

  override down(): void {
    this.addSql(`alter table "sign_in_token" drop constraint "sign_in_token_user_id_foreign";`);

    this.addSql(`alter table "user_session" drop constraint "user_session_user_id_foreign";`);

    this.addSql(`drop table if exists "app_user" cascade;`);

    this.addSql(`drop table if exists "sign_in_token" cascade;`);

    this.addSql(`drop table if exists "user_session" cascade;`);
  }
}
