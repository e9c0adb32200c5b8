import { Migration } from '@mikro-orm/migrations';

export class Migration20261203123153_rollup_action extends Migration {
  override up(): void {
    // Rows rolled up without the decision cannot be split by it: start over. The worker rebuilds
    // them from the audit stream (reads stay exact meanwhile: they add what is not absorbed).
    this.addSql(`delete from "spend_rollup";`);
    this.addSql(`delete from "rollup_cursor";`);
    this.addSql(`alter table "spend_rollup" drop constraint "spend_rollup_pkey";`);

    this.addSql(`alter table "spend_rollup" add column "action" text not null default '';`);
    this.addSql(
      `alter table "spend_rollup" add constraint "spend_rollup_pkey" primary key ("org_id", "grain", "bucket", "agent_id", "vendor", "model", "user_id", "team_id", "project_id", "action");`,
    );
  }

  override down(): void {
    this.addSql(`alter table "spend_rollup" drop constraint "spend_rollup_pkey";`);
    this.addSql(`alter table "spend_rollup" drop column "action";`);

    this.addSql(
      `alter table "spend_rollup" add constraint "spend_rollup_pkey" primary key ("org_id", "grain", "bucket", "agent_id", "vendor", "model", "user_id", "team_id", "project_id");`,
    );
  }
}
