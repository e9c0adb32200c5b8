/**
 * The idempotency store: a request named by a key (an `Idempotency-Key` header, or the docs'
 * `metadata.requestId`) has its first answer kept in the same database transaction as the
 * change it made; a replay finds that answer. What the key promises is its route with its body:
 * the same key with another body is a conflict. One key space per organization, one lookup, used
 * by the hot path's batches, reservations and bulk uploads alike.
 *
 * Where an answer is kept: a transaction recorded under a key keeps the request's hash on its own
 * row (`transaction_record.request_hash`, one per key: see `lockKeysSql`), and its answer is derived from the
 * stored decision when replayed — no second row, no stored body, for every keyed transaction.
 * Every other keyed request (settling, voiding, a bulk upload's claim), and transactions recorded
 * before that, store the answer's exact body in `idempotency_record`.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonicalJson.js';
import { dollarQuote, isoMs, queryRows, type RawConnection } from './sql.js';

/** A stored answer: the HTTP status and the exact JSON body that was sent. */
export interface StoredResponse {
  status: number;
  body: string;
}

/**
 * What a transaction recorded under a key holds of its answer (what the server answered is a
 * function of these and of the request, which a replay repeats exactly).
 */
export interface RecordedAnswer {
  id: string;
  /** The stored decision (`transaction_record.policy_result`). */
  policyResult: Record<string, unknown>;
  admitted: boolean;
  /** When it was evaluated (ISO 8601, milliseconds, as the server wrote it). */
  createdAt: string;
  countedWindows: string[];
  expiresAt: string | null;
  /** What it was costed at when recorded (a reservation's estimate, not what it settled at). */
  amountMicros: number;
}

/** What the store holds for a key: the request's hash, and its answer once there is one. */
export interface StoredAnswer {
  hash: string;
  /** Null while the key is claimed but not answered (a bulk upload's key; one in flight). */
  response: StoredResponse | null;
  /** Set for a transaction recorded under the key: its answer is derived from it. */
  recorded?: RecordedAnswer;
}

/** A key's request: the route with its body. */
export function requestHash(route: string, body: unknown): string {
  return createHash('sha256').update(route).update('\n').update(canonicalJson(body)).digest('hex');
}

/** What a request finds under its key. */
export type Prior =
  | { kind: 'none' }
  /** The key was used with another route or body. */
  | { kind: 'conflict' }
  /** Claimed by the same request, not answered yet. */
  | { kind: 'in-progress' }
  | { kind: 'replay'; response: StoredResponse }
  /** The same request recorded a transaction: answer it again from the stored decision. */
  | { kind: 'recorded'; recorded: RecordedAnswer };

export function judge(stored: StoredAnswer | undefined, hash: string): Prior {
  if (!stored) return { kind: 'none' };
  if (stored.hash !== hash) return { kind: 'conflict' };
  if (stored.recorded) return { kind: 'recorded', recorded: stored.recorded };
  return stored.response === null
    ? { kind: 'in-progress' }
    : { kind: 'replay', response: stored.response };
}

interface AnswerRow {
  key: string;
  request_hash: string;
  status_code: number | null;
  response_body: string | null;
  recorded: RecordedAnswer | null;
}

/**
 * What is kept under `keys` (one statement): stored answers, then transactions recorded under
 * them — last, so that a key found in both (a claim that lost to a transaction's key) reads as
 * the transaction's. `= any (array(…))`, not `in (select …)`: the semi-join form scanned every
 * key of the organization.
 *
 * No bound on `created_at` (the partition key): it would spare the planner the other months'
 * partitions, but on a partition not analyzed yet the planner then scans the month by the
 * `(org_id, created_at)` index instead of looking the keys up (docs/operations.md).
 */
export function lookupAnswersSql(orgId: string, keys: readonly string[]): string {
  const org = dollarQuote(orgId);
  const wanted = `any (array(select jsonb_array_elements_text(${dollarQuote(JSON.stringify(keys))}::jsonb)))`;
  return `select key, request_hash, status_code, response_body, null::jsonb as recorded, 0 as pass
        from idempotency_record
       where org_id = ${org} and key = ${wanted}
      union all
      select idempotency_key, request_hash, null, null,
             jsonb_build_object('id', id, 'policyResult', policy_result, 'admitted', admitted,
               'createdAt', ${isoMs('created_at')}, 'countedWindows', counted_windows,
               'expiresAt', ${isoMs('expires_at')},
               'amountMicros', coalesce((hold->>'amountMicros')::bigint, amount_micros)), 1
        from transaction_record
       where org_id = ${org} and idempotency_key = ${wanted} and request_hash is not null
      order by pass`;
}

/** The advisory lock class of idempotency keys (two-int form: apart from every other lock). */
export const KEY_LOCK_CLASS = 0x5265694b; // "ReiK"

/**
 * The statement a batch runs before it looks its keys up: each (org, key) locked until the
 * transaction ends, in one order (so two batches never deadlock on them). A second batch under
 * the same key waits here until the first commits, and its lookup (a later statement: a later
 * snapshot) then finds the transaction recorded under it — so a key is recorded once per org
 * although `transaction_record`, partitioned by month, can hold no unique index of
 * (org_id, idempotency_key): two rows of one key could be in two months' partitions.
 * Transaction-scoped, so safe through PgBouncer in transaction mode; a hash collision of two keys
 * only makes their batches wait for each other.
 */
export function lockKeysSql(orgId: string, keys: readonly string[]): string {
  const org = dollarQuote(orgId);
  return `select count(pg_advisory_xact_lock(${String(KEY_LOCK_CLASS)}, h))
        from (select distinct hashtext(${org} || '/' || k) as h
                from jsonb_array_elements_text(${dollarQuote(JSON.stringify(keys))}::jsonb) as k
               order by h) as keys`;
}

/** Rows of `lookupAnswersSql`, by key. */
export function parseAnswers(rows: readonly Record<string, unknown>[]): Map<string, StoredAnswer> {
  const out = new Map<string, StoredAnswer>();
  for (const r of rows as unknown as AnswerRow[]) {
    out.set(r.key, {
      hash: r.request_hash,
      response:
        r.status_code === null || r.response_body === null
          ? null
          : { status: r.status_code, body: r.response_body },
      ...(r.recorded ? { recorded: r.recorded } : {}),
    });
  }
  return out;
}

export async function lookupAnswers(
  conn: RawConnection,
  orgId: string,
  keys: readonly string[],
): Promise<Map<string, StoredAnswer>> {
  if (keys.length === 0) return new Map();
  return parseAnswers(await queryRows(conn, lookupAnswersSql(orgId, keys)));
}

/** An answer to store: `response` null claims the key without answering it. */
export interface NewAnswer {
  key: string;
  route: string;
  hash: string;
  response: StoredResponse | null;
}

/**
 * One statement storing `answers` of `orgId` at `at`. A key stored meanwhile by another process
 * is a unique violation: the caller's transaction fails and its retry finds that answer — unless
 * `claim`, which leaves the row that is there.
 */
export function storeAnswersSql(
  orgId: string,
  answers: readonly NewAnswer[],
  at: string,
  claim = false,
): string {
  const rows = answers.map((a) => ({
    key: a.key,
    route: a.route,
    request_hash: a.hash,
    status_code: a.response?.status ?? null,
    response_body: a.response?.body ?? null,
  }));
  return `insert into idempotency_record (org_id, key, route, request_hash, status_code,
          response_body, created_at, completed_at)
       select ${dollarQuote(orgId)}, x.key, x.route, x.request_hash, x.status_code, x.response_body,
          ${dollarQuote(at)}::timestamptz,
          case when x.status_code is null then null else ${dollarQuote(at)}::timestamptz end
         from jsonb_to_recordset(${dollarQuote(JSON.stringify(rows))}::jsonb) as x(key text,
          route text, request_hash text, status_code int, response_body text)${
            claim ? '\n       on conflict (org_id, key) do nothing' : ''
          }`;
}

export async function storeAnswers(
  conn: RawConnection,
  orgId: string,
  answers: readonly NewAnswer[],
  at: string,
): Promise<void> {
  if (answers.length > 0) await conn.query(storeAnswersSql(orgId, answers, at));
}

/**
 * Claims `key` for a request that answers it elsewhere (a bulk upload: its items are keyed
 * `<key>#<i>` and hold their own answers). True when the key is this request's (claimed now, or
 * before by the same route and body), false when another request has it.
 */
export async function claimKey(
  conn: RawConnection,
  orgId: string,
  answer: Omit<NewAnswer, 'response'>,
  at: string,
): Promise<boolean> {
  const rows = await queryRows(
    conn,
    `${storeAnswersSql(orgId, [{ ...answer, response: null }], at, true)};
     ${lookupAnswersSql(orgId, [answer.key])}`,
  );
  return parseAnswers(rows).get(answer.key)?.hash === answer.hash;
}
