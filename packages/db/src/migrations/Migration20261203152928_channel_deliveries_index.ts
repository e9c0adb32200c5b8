import { Migration } from '@mikro-orm/migrations';

export class Migration20261203152928_channel_deliveries_index extends Migration {
  override up(): void {
    this.addSql(
      `create index "notification_outbox_channel_created_index" on "notification_outbox" ("channel_id", "created_at" desc, "id" desc);`,
    );
  }

  override down(): void {
    this.addSql(`drop index "notification_outbox_channel_created_index";`);
  }
}
