import { Migration } from '@mikro-orm/migrations';

/** Exported for migration 20261203235500's `down`, which creates them again. */
export const EXPIRED_HOLDS_FN = `create function reins_expired_holds(p_org text, p_at timestamptz)
  returns table (key text, cost_micros numeric, tokens_in numeric, tokens_out numeric,
                 requests bigint)
  language plpgsql stable as $fn$
begin
  return query
    select k.key, sum((t.hold->>'amountMicros')::bigint), sum((t.hold->>'tokensIn')::bigint),
           sum((t.hold->>'tokensOut')::bigint), count(*)
      from transaction_record t
           cross join lateral jsonb_array_elements_text(t.counted_windows) as k(key)
     where t.org_id = p_org and t.status = 'reserved' and t.expires_at <= p_at
     group by k.key;
end
$fn$;`;

export const IDEMPOTENT_ANSWERS_FN = `create function reins_idempotent_answers(p_org text, p_keys text[])
  returns table (key text, request_hash text, status_code integer, response_body text,
                 recorded jsonb)
  language plpgsql stable as $fn$
begin
  return query
    select r.key, r.request_hash, r.status_code, r.response_body, null::jsonb
      from idempotency_record r
     where r.org_id = p_org and r.key = any (p_keys);
  return query
    select t.idempotency_key, t.request_hash, null::integer, null::text,
           jsonb_build_object('id', t.id, 'policyResult', t.policy_result,
             'admitted', t.admitted,
             'createdAt', to_char(t.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'countedWindows', t.counted_windows,
             'expiresAt', to_char(t.expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'amountMicros', coalesce((t.hold->>'amountMicros')::bigint, t.amount_micros))
      from transaction_record t
     where t.org_id = p_org and t.idempotency_key = any (p_keys) and t.request_hash is not null;
end
$fn$;`;

/**
 * The hot path's two lookups as PL/pgSQL functions (issue 17): sent as SQL text, each was sent,
 * parsed and analysed again for every batch. Migration 20261203234500 makes both plan every call
 * for its arguments: the generic plan PL/pgSQL settles on after five calls, made on an empty
 * table, filtered every keyed transaction of the organization instead of looking the keys up.
 * Migration 20261203235500 drops both: custom plans cost more planning than the text's parse.
 *
 * Session state stays out: plans are a cache, not something a connection must have been given
 * (a pooler in transaction mode can hand any connection to any batch).
 */
export class Migration20261203224000_batch_lookup_functions extends Migration {
  override up(): void {
    // The holds of the organization's reservations that expired unsettled at `p_at` and are
    // still in the counters, summed by counter key.
    this.addSql(EXPIRED_HOLDS_FN);
    // What is kept under the keys: stored answers first, then the transactions recorded under
    // them — last, so that a key found in both (a claim that lost to a transaction's key) reads
    // as the transaction's. Instants as the API writes them (UTC, milliseconds).
    this.addSql(IDEMPOTENT_ANSWERS_FN);
  }

  override down(): void {
    this.addSql(`drop function reins_idempotent_answers(text, text[]);`);
    this.addSql(`drop function reins_expired_holds(text, timestamptz);`);
  }
}
