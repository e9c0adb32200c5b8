import { Migration } from '@mikro-orm/migrations';

export class Migration20261203085956_counters_from_ledger extends Migration {
  override up(): void {
    this.addSql(
      `create index "transaction_record_org_created_index" on "transaction_record" ("org_id", "created_at");`,
    );
  }

  override down(): void {
    this.addSql(`drop index "transaction_record_org_created_index";`);
  }
}
