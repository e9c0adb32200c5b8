/**
 * The review-queue migration on a database that already holds transactions: those flagged before
 * it enter the queue as open, the others get no review state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestOrm } from './testing.js';

// Not migrated: the test migrates up to the migration before the one it tests.
const db = useTestOrm('review_queue', { beforeAll, afterAll }, { migrate: false });

async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []) {
  const rows: unknown = await db.orm.em.fork().getConnection().execute(query, params, 'all');
  return rows as T[];
}

describe('Migration20261203113938_review_queue', () => {
  it('opens the review of transactions flagged before it', async () => {
    const orm = db.orm;
    await orm.migrator.up({ to: 'Migration20261203091502_budgets' });
    await sql(`insert into organization (id, name) values ('org_m', 'Before the queue')`);
    for (const [id, action] of [
      ['txn_flag', 'flag'],
      ['txn_pass', 'pass'],
      ['txn_block', 'block'],
    ]) {
      await sql(
        `insert into transaction_record (id, org_id, vendor, agent_id, amount_micros, amount_cents,
            occurred_at, action, admitted, policy_result, evaluation)
         values (?, 'org_m', 'openai', 'bot', 1000000, 1, now(), ?, ?, '{}', '{}')`,
        [id, action, action !== 'block'],
      );
    }
    const applied = await orm.migrator.up();
    expect(applied.map((m) => m.name)).toContain('Migration20261203113938_review_queue');
    const rows = await sql<{ id: string; review_state: string | null }>(
      'select id, review_state from transaction_record order by id',
    );
    expect(rows).toEqual([
      { id: 'txn_block', review_state: null },
      { id: 'txn_flag', review_state: 'open' },
      { id: 'txn_pass', review_state: null },
    ]);
    const [index] = await sql<{ indexdef: string }>(
      `select indexdef from pg_indexes where indexname = 'transaction_record_open_review_index'`,
    );
    expect(index?.indexdef).toMatch(/\(org_id, created_at\) WHERE \(review_state = 'open'::text\)/);
  });
});
