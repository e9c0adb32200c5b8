import { Migration } from '@mikro-orm/migrations';

export class Migration20261203113938_review_queue extends Migration {
  override up(): void {
    this.addSql(
      `alter table "transaction_record" add column "review_state" text check ("review_state" in ('open', 'approved', 'rejected')) null, add column "reviewed_by" text null, add column "reviewed_at" timestamptz null, add column "review_note" text null;`,
    );
    // Transactions flagged before the queue existed enter it as open: the docs promised them a
    // manual review.
    this.addSql(`update "transaction_record" set "review_state" = 'open' where "action" = 'flag';`);
    this.addSql(
      `create index "transaction_record_open_review_index" on "transaction_record" ("org_id", "created_at") where "review_state" = 'open';`,
    );
  }

  override down(): void {
    this.addSql(`drop index "transaction_record_open_review_index";`);
    this.addSql(
      `alter table "transaction_record" drop column "review_state", drop column "reviewed_by", drop column "reviewed_at", drop column "review_note";`,
    );
  }
}
