import { Migration } from '@mikro-orm/migrations';
import {
  EXPIRED_HOLDS_FN,
  IDEMPOTENT_ANSWERS_FN,
} from './Migration20261203224000_batch_lookup_functions.js';

/**
 * The hot path's lookups are SQL text again (issue 17, measured in docs/benchmarks/history.md): as
 * PL/pgSQL functions they cost more than they saved. With the default plan cache mode, the
 * answers lookup's generic plan — made on an empty table — filtered every keyed transaction of
 * the organization; with custom plans, planning saw a batch's ~85 keys as constants and estimated
 * each against the column's statistics (4.8 ms a call against 1.4–2 ms for the text, whose keys
 * reach the planner as an unknown array).
 */
export class Migration20261203235500_drop_batch_lookup_functions extends Migration {
  override up(): void {
    this.addSql(`drop function reins_idempotent_answers(text, text[]);`);
    this.addSql(`drop function reins_expired_holds(text, timestamptz);`);
  }

  override down(): void {
    this.addSql(EXPIRED_HOLDS_FN);
    this.addSql(IDEMPOTENT_ANSWERS_FN);
    this.addSql(
      `alter function reins_expired_holds(text, timestamptz) set plan_cache_mode = force_custom_plan;`,
    );
    this.addSql(
      `alter function reins_idempotent_answers(text, text[]) set plan_cache_mode = force_custom_plan;`,
    );
  }
}
