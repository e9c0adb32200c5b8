/**
 * Row counts for "nothing was written" assertions: take `rowCounts(t())` before a request and
 * compare after.
 */
import type { TestServer } from './harness.js';

export interface RowCounts {
  transactions: number;
  auditEvents: number;
  windowCounters: number;
  apiKeys: number;
  rules: number;
}

export async function rowCounts(t: TestServer): Promise<RowCounts> {
  const [row] = await t.sql<RowCounts>(
    `select (select count(*)::int from transaction_record) as "transactions",
            (select count(*)::int from audit_event) as "auditEvents",
            (select count(*)::int from window_counter) as "windowCounters",
            (select count(*)::int from api_key) as "apiKeys",
            (select count(*)::int from policy_rule) as "rules"`,
  );
  if (!row) throw new Error('count query returned no row');
  return row;
}

/** The window counters of one organization, as `key → totals` (numbers, not bigint strings). */
export async function windowCounters(
  t: TestServer,
  orgId: string,
): Promise<Record<string, { costMicros: number; requests: number }>> {
  const rows = await t.sql<{ key: string; cost_micros: string; requests: string }>(
    'select key, cost_micros, requests from window_counter where org_id = ? order by key',
    [orgId],
  );
  return Object.fromEntries(
    rows.map((r) => [r.key, { costMicros: Number(r.cost_micros), requests: Number(r.requests) }]),
  );
}
