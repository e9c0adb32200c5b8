import { Migration } from '@mikro-orm/migrations';

export class Migration20261203152545_rule_hits_index extends Migration {
  override up(): void {
    this.addSql(
      `create index "transaction_record_org_rule_index" on "transaction_record" ("org_id", "rule_id", "occurred_at") include ("action", "amount_cents") where "rule_id" is not null;`,
    );
  }

  override down(): void {
    this.addSql(`drop index "transaction_record_org_rule_index";`);
  }
}
