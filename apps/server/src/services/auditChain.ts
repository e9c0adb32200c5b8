/**
 * The audit log's hash chain (SPEC §6), off the hot path.
 *
 * Recording inserts audit events with `seq`, `prev_hash` and `hash` null, so writers never wait
 * for one another on a chain. A sealer extends each organization's chain afterwards:
 *
 *   hash = sha256_hex(prevHash + canonicalEvent(event)),   prevHash of seq 1 = GENESIS (64 zeros)
 *
 * One batch (≤ SEAL_BATCH events) is one database transaction: lock the org's `audit_chain_head`
 * row `FOR UPDATE` (created if missing), read the oldest unsealed events in (occurred_at, id)
 * order, give them the next seqs and hashes, and write them and the new head in ONE statement —
 * the one-time fill that the append-only trigger permits. The head lock serializes sealers of one
 * org across processes; recording never touches it. The chain order is the seal order (`seq`):
 * an event whose transaction commits late is sealed after events that occurred after it.
 *
 * The canonical form is computed from values read back from the database (jsonb normalizes
 * metadata; the instant is formatted by PostgreSQL), so that verification recomputes it exactly.
 */
import { createHash } from 'node:crypto';
import type { Orm } from '@reins/db';
import { dollarQuote, results, sqlOf, withConnection, type Sql } from '../lib/sql.js';

export const GENESIS = '0'.repeat(64);
/** Events sealed per transaction (and per UPDATE statement). */
export const SEAL_BATCH = 1000;
/** Events read per query when verifying. */
export const VERIFY_CHUNK = 2000;

/** An event as the chain sees it. `occurredAt`: ISO 8601 UTC with microseconds (see OCCURRED). */
export interface ChainEvent {
  seq: number;
  id: string;
  orgId: string;
  eventType: string;
  occurredAt: string;
  actor: string;
  entityType: string;
  entityId: string;
  metadata: unknown;
}

/**
 * The instant in the canonical form: `occurred_at` at the column's full (microsecond) precision,
 * e.g. `2026-05-05T08:14:22.123000Z`, so that no edit of it, however small, goes unnoticed.
 */
export const OCCURRED = `to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * JSON with object keys sorted recursively (by UTF-16 code units, `Array.prototype.sort`), no
 * whitespace, arrays in order; strings and numbers as `JSON.stringify` writes them.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const parts = Object.keys(obj)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
  return `{${parts.join(',')}}`;
}

export function canonicalEvent(e: ChainEvent): string {
  return canonicalJson({
    seq: e.seq,
    id: e.id,
    orgId: e.orgId,
    eventType: e.eventType,
    occurredAt: e.occurredAt,
    actor: e.actor,
    entityType: e.entityType,
    entityId: e.entityId,
    metadata: e.metadata,
  });
}

/** `sha256_hex(prevHash || canonical(event))`, over the UTF-8 bytes of both. */
export function chainHash(prevHash: string, e: ChainEvent): string {
  return createHash('sha256').update(prevHash).update(canonicalEvent(e)).digest('hex');
}

interface EventRow {
  seq?: string | number | null;
  id: string;
  event_type: string;
  occurred_iso: string;
  actor: string;
  entity_type: string;
  entity_id: string;
  metadata: unknown;
  prev_hash?: string | null;
  hash?: string | null;
}

/** (Output names differ from the columns': ORDER BY prefers an output column of the same name.) */
const EVENT_COLUMNS = `id, event_type, ${OCCURRED} as occurred_iso, actor, entity_type, entity_id, metadata`;

function chainEvent(orgId: string, seq: number, r: EventRow): ChainEvent {
  return {
    seq,
    id: r.id,
    orgId,
    eventType: r.event_type,
    occurredAt: r.occurred_iso,
    actor: r.actor,
    entityType: r.entity_type,
    entityId: r.entity_id,
    metadata: r.metadata,
  };
}

const lit = dollarQuote;

/**
 * Seals one batch of `orgId`'s unsealed events in one transaction, on one pooled connection with
 * literal SQL (three round trips; bind parameters through the ORM would paste ~150 KB of escaped
 * JSON into the statement in JavaScript). Returns how many it sealed, or null when `wait` is false
 * and another sealer holds the org's chain head.
 */
async function sealBatch(
  orm: Orm,
  orgId: string,
  batchSize: number,
  wait: boolean,
): Promise<number | null> {
  return withConnection(orm, async (conn) => {
    let open = false;
    try {
      open = true;
      // Round trip 1: lock the head (created if missing), then — after the lock, so that what a
      // sealer that held it before committed is seen as sealed — read the oldest unsealed events.
      const [, , locked, read] = results(
        await conn.query(
          `begin;
           insert into audit_chain_head (org_id, seq, hash, updated_at)
             values (${lit(orgId)}, 0, ${lit(GENESIS)}, now())
             on conflict (org_id) do nothing;
           select seq, hash from audit_chain_head where org_id = ${lit(orgId)}
             for update${wait ? '' : ' skip locked'};
           select ${EVENT_COLUMNS} from audit_event
            where org_id = ${lit(orgId)} and hash is null
            order by audit_event.occurred_at, audit_event.id
            limit ${String(batchSize)};`,
        ),
      );
      const head = locked?.rows[0] as { seq: string; hash: string } | undefined;
      const rows = (read?.rows ?? []) as unknown as EventRow[];
      if (!head || rows.length === 0) {
        open = false;
        await conn.query('rollback');
        return head ? 0 : null;
      }
      let seq = Number(head.seq);
      let prev = head.hash;
      const fills = rows.map((r) => {
        seq += 1;
        const hash = chainHash(prev, chainEvent(orgId, seq, r));
        const fill = { id: r.id, seq, prev_hash: prev, hash };
        prev = hash;
        return fill;
      });
      // Round trip 2: every event of the batch and the new head in one statement.
      const [filled] = results(
        await conn.query(
          `with fill as (
             update audit_event e
                set seq = x.seq, prev_hash = x.prev_hash, hash = x.hash
               from jsonb_to_recordset(${lit(JSON.stringify(fills))}::jsonb)
                    as x(id text, seq bigint, prev_hash text, hash text)
              where e.org_id = ${lit(orgId)} and e.id = x.id and e.hash is null
             returning 1
           ), head as (
             update audit_chain_head
                set seq = ${String(seq)}, hash = ${lit(prev)}, updated_at = now()
              where org_id = ${lit(orgId)}
           )
           select count(*)::int as n from fill`,
        ),
      );
      const n = (filled?.rows[0] as { n: number } | undefined)?.n;
      if (n !== fills.length) {
        // Cannot happen while every sealer takes the head lock; never write a forked chain.
        throw new Error(
          `audit sealing of ${orgId}: ${String(n)} of ${fills.length} events updated`,
        );
      }
      open = false;
      await conn.query('commit');
      return rows.length;
    } catch (error) {
      if (open) await conn.query('rollback').catch(() => undefined);
      throw error;
    }
  });
}

export interface SealOptions {
  /** Events per transaction (default SEAL_BATCH). */
  batchSize?: number;
  /** Wait for another sealer of this org (default), or skip the org while it holds the head. */
  wait?: boolean;
  /** Stop between batches once aborted. */
  signal?: AbortSignal;
  /** Stop after this many batches (default: when none is left). */
  maxBatches?: number;
}

/** Seals `orgId`'s unsealed events, batch after batch, until none is left. Returns how many. */
export async function sealOrg(orm: Orm, orgId: string, opts: SealOptions = {}): Promise<number> {
  const batchSize = opts.batchSize ?? SEAL_BATCH;
  let total = 0;
  for (let i = 0; i < (opts.maxBatches ?? Infinity) && !opts.signal?.aborted; i++) {
    const n = await sealBatch(orm, orgId, batchSize, opts.wait ?? true);
    if (n === null) break;
    total += n;
    if (n < batchSize) break;
  }
  return total;
}

/** The organizations with unsealed events (a skip scan of the partial unsealed index). */
export async function orgsWithUnsealed(sql: Sql): Promise<string[]> {
  const rows = await sql<{ org_id: string }>(
    `with recursive o(org_id) as (
       (select org_id from audit_event where hash is null order by org_id limit 1)
       union all
       select (select a.org_id from audit_event a
                where a.hash is null and a.org_id > o.org_id
                order by a.org_id limit 1)
         from o where o.org_id is not null
     )
     select org_id from o where org_id is not null`,
  );
  return rows.map((r) => r.org_id);
}

/** Batches one org gets per round of `sealAll` before the next org's turn. */
const BATCHES_PER_TURN = 10;

/**
 * Seals every organization's pending events, in rounds: each org with unsealed events gets up to
 * BATCHES_PER_TURN batches per round, so that one org's backlog does not hold the others' events
 * unsealed. Organizations another sealer is working on are skipped (it will finish them) unless
 * `wait`. Returns the number of events sealed.
 */
export async function sealAll(
  orm: Orm,
  opts: SealOptions = {},
): Promise<{ orgs: number; sealed: number }> {
  const sql = sqlOf(orm.em.fork());
  const seen = new Set<string>();
  let sealed = 0;
  while (!opts.signal?.aborted) {
    const orgs = await orgsWithUnsealed(sql);
    let round = 0;
    for (const orgId of orgs) {
      if (opts.signal?.aborted) break;
      seen.add(orgId);
      round += await sealOrg(orm, orgId, {
        ...opts,
        wait: opts.wait ?? false,
        maxBatches: opts.maxBatches ?? BATCHES_PER_TURN,
      });
    }
    sealed += round;
    // Nothing left, or only what others are sealing (or what commits later).
    if (round === 0) break;
  }
  return { orgs: seen.size, sealed };
}

export interface AuditSealer {
  /** Stops the timer and waits for a run in progress (which stops between batches). */
  stop(): Promise<void>;
}

/**
 * Runs `sealAll` every `intervalMs` (after the previous run ended) on an unref'd timer: it never
 * keeps the process alive. Several processes may run one each: the head locks serialize them.
 */
export function startSealer(
  orm: Orm,
  opts: { intervalMs: number; onError?: (err: unknown) => void },
): AuditSealer {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const schedule = () => {
    timer = setTimeout(() => {
      running = sealAll(orm, { signal: abort.signal })
        .then(
          () => undefined,
          (err: unknown) => {
            if (!abort.signal.aborted) opts.onError?.(err);
          },
        )
        .finally(() => {
          running = undefined;
          if (!abort.signal.aborted) schedule();
        });
    }, opts.intervalMs);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      abort.abort();
      clearTimeout(timer);
      await running;
    },
  };
}

export type BrokenReason =
  /** The event's stored hash is not the hash of its content: the event was edited. */
  | 'hash_mismatch'
  /** The event's prev_hash is not its predecessor's hash: an event was removed or reordered. */
  | 'prev_hash_mismatch'
  /** The seqs skip (or the chain does not start at 1): events before this one were removed. */
  | 'seq_gap'
  /** The chain head (audit_chain_head) does not end where the events do: events were removed
   * from the end, or the head was changed. */
  | 'head_mismatch';

export interface VerifyResult {
  valid: boolean;
  /** Events whose link was checked. */
  checked: number;
  /** The chain head's seq when the walk began (the events up to it were checked). */
  headSeq: number;
  firstBrokenLink: null | { seq: number; eventId: string | null; reason: BrokenReason };
}

/**
 * Walks `orgId`'s chain in seq order, in chunks (constant memory), recomputing every hash. Only
 * sealed events up to the head read at the start are walked: sealing may go on meanwhile.
 */
export async function verifyChain(
  sql: Sql,
  orgId: string,
  chunk = VERIFY_CHUNK,
): Promise<VerifyResult> {
  const [head] = await sql<{ seq: string; hash: string }>(
    'select seq, hash from audit_chain_head where org_id = ?',
    [orgId],
  );
  const headSeq = head ? Number(head.seq) : 0;
  const headHash = head?.hash ?? GENESIS;
  let last = 0;
  let lastId: string | null = null;
  let prev = GENESIS;
  let checked = 0;
  const broken = (seq: number, eventId: string | null, reason: BrokenReason): VerifyResult => ({
    valid: false,
    checked,
    headSeq,
    firstBrokenLink: { seq, eventId, reason },
  });
  for (;;) {
    const rows = await sql<EventRow>(
      `select seq, ${EVENT_COLUMNS}, prev_hash, hash from audit_event
        where org_id = ? and seq > ? and seq <= ?
        order by seq
        limit ?`,
      [orgId, last, headSeq, chunk],
    );
    for (const r of rows) {
      const seq = Number(r.seq);
      checked += 1;
      if (seq !== last + 1) return broken(seq, r.id, 'seq_gap');
      if (r.prev_hash !== prev) return broken(seq, r.id, 'prev_hash_mismatch');
      const hash = chainHash(prev, chainEvent(orgId, seq, r));
      if (r.hash !== hash) return broken(seq, r.id, 'hash_mismatch');
      last = seq;
      lastId = r.id;
      prev = hash;
    }
    if (rows.length < chunk) break;
  }
  // Events missing at the end: the first missing seq; else the head's hash is not the last one's.
  if (last !== headSeq) return broken(last + 1, null, 'head_mismatch');
  if (prev !== headHash) return broken(headSeq, lastId, 'head_mismatch');
  return { valid: true, checked, headSeq, firstBrokenLink: null };
}
