import { Migration } from '@mikro-orm/migrations';

export class Migration20261125205645_org_budgets extends Migration {
  override up(): void {
    this.addSql(
      `alter table "organization" add column "hourly_budget_cents" bigint null, add column "daily_budget_cents" bigint null, add column "weekly_budget_cents" bigint null;`,
    );
  }

  override down(): void {
    this.addSql(
      `alter table "organization" drop column "hourly_budget_cents", drop column "daily_budget_cents", drop column "weekly_budget_cents";`,
    );
  }
}
