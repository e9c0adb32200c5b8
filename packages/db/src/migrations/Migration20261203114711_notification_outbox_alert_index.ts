import { Migration } from '@mikro-orm/migrations';

export class Migration20261203114711_notification_outbox_alert_index extends Migration {
  override up(): void {
    this.addSql(
      `create index "notification_outbox_alert_id_index" on "notification_outbox" ("alert_id");`,
    );
  }

  override down(): void {
    this.addSql(`drop index "notification_outbox_alert_id_index";`);
  }
}
