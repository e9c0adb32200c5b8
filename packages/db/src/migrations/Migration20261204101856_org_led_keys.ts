import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 18, "Beyond one machine": every organization's table keyed `(org_id, id)` and every foreign
 * key between two of them carrying org_id, so that the schema distributes by org_id on Citus
 * (which needs the distribution column in both) without a redesign. Ids are random and stay
 * unique on their own, so every row keeps its id; only the keys around them change.
 *
 * `sign_in_token` had no org_id: it takes its user's. A session whose org_id is not its user's or
 * key's (which nothing writes) would fail the new composite foreign keys, and the migration with it.
 */

/** Tables whose primary key goes from (id) to (org_id, id). */
const ID_KEYED = [
  'api_key',
  'policy_rule',
  'audit_verification',
  'price_override',
  'policy_alert',
  'notification_channel',
  'notification_outbox',
  'backtest',
  'app_user',
  'user_session',
  'sign_in_token',
];

/** (org_id) indexes that the new primary keys, led by org_id, make redundant. */
const ORG_INDEXED = [
  'api_key',
  'policy_rule',
  'price_override',
  'notification_channel',
  'app_user',
];

export class Migration20261204101856_org_led_keys extends Migration {
  override up(): void {
    // Foreign keys onto the old primary keys go first: the keys they depend on are replaced.
    this.addSql(`alter table "sign_in_token" drop constraint "sign_in_token_user_id_foreign";`);
    this.addSql(`alter table "user_session" drop constraint "user_session_user_id_foreign";`);
    this.addSql(`alter table "user_session" drop constraint "user_session_key_id_foreign";`);

    this.addSql(`alter table "sign_in_token" add column "org_id" text;`);
    this.addSql(
      `update "sign_in_token" t set "org_id" = u."org_id" from "app_user" u where u."id" = t."user_id";`,
    );
    this.addSql(`alter table "sign_in_token" alter column "org_id" set not null;`);
    this.addSql(
      `alter table "sign_in_token" add constraint "sign_in_token_org_id_foreign" foreign key ("org_id") references "organization" ("id") on update no action on delete cascade;`,
    );

    for (const table of ORG_INDEXED) this.addSql(`drop index "${table}_org_id_index";`);
    for (const table of ID_KEYED) {
      this.addSql(`alter table "${table}" drop constraint "${table}_pkey";`);
      this.addSql(
        `alter table "${table}" add constraint "${table}_pkey" primary key ("org_id", "id");`,
      );
    }

    this.addSql(
      `alter table "sign_in_token" add constraint "sign_in_token_org_id_user_id_foreign" foreign key ("org_id", "user_id") references "app_user" ("org_id", "id") on update no action on delete cascade;`,
    );
    this.addSql(
      `alter table "user_session" add constraint "user_session_org_id_user_id_foreign" foreign key ("org_id", "user_id") references "app_user" ("org_id", "id") on update no action on delete cascade;`,
    );
    this.addSql(
      `alter table "user_session" add constraint "user_session_org_id_key_id_foreign" foreign key ("org_id", "key_id") references "api_key" ("org_id", "id") on update no action on delete cascade;`,
    );

    // A cookie or a sign-in link names no organization: both are found by id alone.
    this.addSql(`create index "user_session_id_index" on "user_session" ("id");`);
    this.addSql(`create index "sign_in_token_id_index" on "sign_in_token" ("id");`);
    // The composite foreign keys' own indexes (deleting a user or key finds its sessions).
    this.addSql(`drop index "user_session_user_id_index";`);
    this.addSql(`drop index "user_session_key_id_index";`);
    this.addSql(`drop index "sign_in_token_user_id_index";`);
    this.addSql(
      `create index "user_session_user_id_index" on "user_session" ("org_id", "user_id");`,
    );
    this.addSql(`create index "user_session_key_id_index" on "user_session" ("org_id", "key_id");`);
    this.addSql(
      `create index "sign_in_token_user_id_index" on "sign_in_token" ("org_id", "user_id");`,
    );
  }

  override down(): void {
    this.addSql(
      `alter table "sign_in_token" drop constraint "sign_in_token_org_id_user_id_foreign";`,
    );
    this.addSql(
      `alter table "user_session" drop constraint "user_session_org_id_user_id_foreign";`,
    );
    this.addSql(`alter table "user_session" drop constraint "user_session_org_id_key_id_foreign";`);

    this.addSql(`drop index "user_session_id_index";`);
    this.addSql(`drop index "sign_in_token_id_index";`);
    this.addSql(`drop index "user_session_user_id_index";`);
    this.addSql(`drop index "user_session_key_id_index";`);
    this.addSql(`drop index "sign_in_token_user_id_index";`);

    for (const table of ID_KEYED) {
      this.addSql(`alter table "${table}" drop constraint "${table}_pkey";`);
      this.addSql(`alter table "${table}" add constraint "${table}_pkey" primary key ("id");`);
    }
    for (const table of ORG_INDEXED) {
      this.addSql(`create index "${table}_org_id_index" on "${table}" ("org_id");`);
    }

    this.addSql(`alter table "sign_in_token" drop constraint "sign_in_token_org_id_foreign";`);
    this.addSql(`alter table "sign_in_token" drop column "org_id";`);

    this.addSql(
      `alter table "sign_in_token" add constraint "sign_in_token_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update no action on delete cascade;`,
    );
    this.addSql(
      `alter table "user_session" add constraint "user_session_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update no action on delete cascade;`,
    );
    this.addSql(
      `alter table "user_session" add constraint "user_session_key_id_foreign" foreign key ("key_id") references "api_key" ("id") on update no action on delete cascade;`,
    );
    this.addSql(`create index "sign_in_token_user_id_index" on "sign_in_token" ("user_id");`);
    this.addSql(`create index "user_session_user_id_index" on "user_session" ("user_id");`);
    this.addSql(`create index "user_session_key_id_index" on "user_session" ("key_id");`);
  }
}
