import { Migration } from '@mikro-orm/migrations';

/**
 * The hot path's two lookup functions (migration 20261203224000) plan each call for its own
 * arguments. With PL/pgSQL's default, a session switches to a generic plan after five calls, and
 * the answers lookup's generic plan, made while `transaction_record` was empty, used the unique
 * `(org_id, idempotency_key)` index on `org_id` alone and filtered the keys — every keyed
 * transaction of the organization read for every batch. In the benchmark the batch's first
 * round trip went from 28 to 577 µs of PostgreSQL CPU per transaction at saturation
 * (docs/benchmarks/history.md). A custom plan is what the SQL text had, without sending, parsing and
 * analysing that text again for every batch.
 */
export class Migration20261203234500_batch_lookups_custom_plans extends Migration {
  override up(): void {
    this.addSql(
      `alter function reins_expired_holds(text, timestamptz) set plan_cache_mode = force_custom_plan;`,
    );
    this.addSql(
      `alter function reins_idempotent_answers(text, text[]) set plan_cache_mode = force_custom_plan;`,
    );
  }

  override down(): void {
    this.addSql(`alter function reins_expired_holds(text, timestamptz) reset plan_cache_mode;`);
    this.addSql(`alter function reins_idempotent_answers(text, text[]) reset plan_cache_mode;`);
  }
}
