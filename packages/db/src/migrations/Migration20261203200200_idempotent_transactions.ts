import { Migration } from '@mikro-orm/migrations';

export class Migration20261203200200_idempotent_transactions extends Migration {
  override up(): void {
    this.addSql(`alter table "transaction_record" add column "request_hash" text null;`);
  }

  override down(): void {
    this.addSql(`alter table "transaction_record" drop column "request_hash";`);
  }
}
