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

/**
 * One statement, so one snapshot: `auditEvents` counts only the events `auditWhere` (an SQL
 * condition) selects — two statements could each see a different moment of a background writer.
 */
export async function rowCounts(t: TestServer, auditWhere = 'true'): Promise<RowCounts> {
  const [row] = await t.sql<RowCounts>(
    `select (select count(*)::int from transaction_record) as "transactions",
            (select count(*)::int from audit_event where ${auditWhere}) as "auditEvents",
            (select count(*)::int from window_counter) as "windowCounters",
            (select count(*)::int from api_key) as "apiKeys",
            (select count(*)::int from policy_rule) as "rules"`,
  );
  if (!row) throw new Error('count query returned no row');
  return row;
}

/**
 * The window counters of one organization, as `key → totals` (numbers, not bigint strings): what
 * each window counts, i.e. the counter less what its open budget leases have not used (with
 * leases off there are none) — so that a suite run with REINS_TEST_BUDGET_LEASES=on checks
 * `counter = ledger − Σ used + Σ granted` wherever it checks a counter's value.
 */
export async function windowCounters(
  t: TestServer,
  orgId: string,
): Promise<Record<string, { costMicros: number; requests: number }>> {
  const rows = await t.sql<{ key: string; cost_micros: string; requests: string }>(
    `select c.key,
            c.cost_micros - coalesce((select sum(granted_cost_micros - used_cost_micros)
                                        from budget_lease b
                                       where b.org_id = c.org_id and b.counter_key = c.key), 0)
              as cost_micros,
            c.requests - coalesce((select sum(granted_requests - used_requests)
                                     from budget_lease b
                                    where b.org_id = c.org_id and b.counter_key = c.key), 0)
              as requests
       from window_counter c where c.org_id = ? order by c.key`,
    [orgId],
  );
  return Object.fromEntries(
    rows.map((r) => [r.key, { costMicros: Number(r.cost_micros), requests: Number(r.requests) }]),
  );
}

export interface CounterTotals {
  costMicros: number;
  tokensIn: number;
  tokensOut: number;
  requests: number;
}

/**
 * Every window counter of `orgId` (vendor rate-limit counters apart) beside what the ledger says
 * it must hold: the counted transactions recorded in its window by its group — admitted and
 * observed ones at their amount, open reservations at their hold, released ones not at all —
 * plus, for each open budget lease on it, what the lease has not used (`granted − used`: a lease
 * is a hold, and its spend is in the ledger but not yet in the counter).
 */
export async function countersAndLedger(
  sql: TestServer['sql'],
  orgId: string,
): Promise<{ key: string; counter: CounterTotals; ledger: CounterTotals }[]> {
  const rows = await sql<Record<string, string>>(
    `select c.key, c.cost_micros, c.tokens_in, c.tokens_out, c.requests,
            coalesce(l.cost_micros, 0) as l_cost, coalesce(l.tokens_in, 0) as l_in,
            coalesce(l.tokens_out, 0) as l_out, coalesce(l.requests, 0) as l_requests,
            coalesce(b.cost_micros, 0) as b_cost, coalesce(b.tokens_in, 0) as b_in,
            coalesce(b.tokens_out, 0) as b_out, coalesce(b.requests, 0) as b_requests
       from window_counter c
       left join lateral (
         select sum(case when t.status = 'reserved' then (t.hold->>'amountMicros')::bigint
                         else t.amount_micros end) as cost_micros,
                sum(case when t.status = 'reserved' then (t.hold->>'tokensIn')::bigint
                         else t.tokens_in end) as tokens_in,
                sum(case when t.status = 'reserved' then (t.hold->>'tokensOut')::bigint
                         else t.tokens_out end) as tokens_out,
                count(*) as requests
           from transaction_record t
          where t.org_id = c.org_id and t.created_at >= c.window_start
            and t.created_at < c.window_end
            and t.status in ('recorded', 'settled', 'reserved')
            and case c.per
                  when 'org' then true
                  when 'agent' then t.agent_id = c.group_value
                  when 'user' then coalesce(nullif(t.user_id, ''), '(none)') = c.group_value
                  when 'team' then coalesce(nullif(t.team_id, ''), '(none)') = c.group_value
                  when 'project' then coalesce(nullif(t.project_id, ''), '(none)') = c.group_value
                  when 'vendor' then lower(t.vendor) = c.group_value
                  when 'model' then coalesce(lower(nullif(t.model, '')), '(none)') = c.group_value
                end
       ) l on true
       left join lateral (
         select sum(granted_cost_micros - used_cost_micros) as cost_micros,
                sum(granted_tokens_in - used_tokens_in) as tokens_in,
                sum(granted_tokens_out - used_tokens_out) as tokens_out,
                sum(granted_requests - used_requests) as requests
           from budget_lease b where b.org_id = c.org_id and b.counter_key = c.key
       ) b on true
      where c.org_id = ? and not starts_with(c.key, 'ratelimit|')
      order by c.key`,
    [orgId],
  );
  return rows.map((r) => ({
    key: r.key ?? '',
    counter: {
      costMicros: Number(r.cost_micros),
      tokensIn: Number(r.tokens_in),
      tokensOut: Number(r.tokens_out),
      requests: Number(r.requests),
    },
    ledger: {
      costMicros: Number(r.l_cost) + Number(r.b_cost),
      tokensIn: Number(r.l_in) + Number(r.b_in),
      tokensOut: Number(r.l_out) + Number(r.b_out),
      requests: Number(r.l_requests) + Number(r.b_requests),
    },
  }));
}
