/**
 * The audit log's hash chain (SPEC §6), off the hot path.
 *
 * Recording only inserts audit events; events are never updated (the database refuses it). A
 * sealer extends each organization's chain afterwards, in the insert-only `audit_chain` table:
 *
 *   hash = sha256_hex(prevHash + canonicalEvent(event, seq)),   prevHash of seq 1 = GENESIS
 *
 * Which events come next: every event carries its transaction's id (`xid`) and an insertion
 * position (`pos`). Events of transactions older than the oldest one still running (the
 * snapshot's xmin) can no longer change — committed or gone — so the sealer takes those in
 * (xid, pos) order after the head's (last_xid, last_pos); an event committed later always has a
 * newer xid and sorts after everything sealed. No event is skipped, none sealed twice.
 *
 * One batch (≤ SEAL_BATCH events) is one database transaction: lock the org's `audit_chain_head`
 * row `FOR UPDATE` (created if missing), read the next events, insert their links and move the
 * head in ONE statement. The head lock serializes sealers of one org across processes; recording
 * never touches it.
 *
 * The canonical form is computed from values read back from the database (jsonb normalizes
 * metadata; the instant is formatted by PostgreSQL), so that verification recomputes it exactly.
 */
import { hash } from 'node:crypto';
import { AUDIT_ORGS_CTE, type Orm } from '@reins/db';
import { canonicalJson } from './canonicalJson.js';
import { Params, dollarQuote, results, sqlOf, withConnection, type Sql } from './sql.js';

export const GENESIS = '0'.repeat(64);
/** Events sealed per transaction (and per UPDATE statement). */
export const SEAL_BATCH = 1000;

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
 * `canonicalJson` of the event with its seq: written out with the keys in their sorted order
 * (what canonicalJson would sort them into), and canonicalJson for the metadata alone — the same
 * text, without building and sorting an object per event (a third of a verify's time).
 */
export function canonicalEvent(e: ChainEvent): string {
  const str = JSON.stringify;
  return (
    `{"actor":${str(e.actor)},"entityId":${str(e.entityId)},"entityType":${str(e.entityType)},` +
    `"eventType":${str(e.eventType)},"id":${str(e.id)},"metadata":${canonicalJson(e.metadata)},` +
    `"occurredAt":${str(e.occurredAt)},"orgId":${str(e.orgId)},"seq":${str(e.seq)}}`
  );
}

/**
 * `sha256_hex(prevHash || canonical(event))`, over the UTF-8 bytes of both. One-shot `hash`: a
 * Hash object per event (createHash, two updates, digest) cost five times as much, 4 of a
 * verify's ~10 µs a link.
 */
export function chainHash(prevHash: string, e: ChainEvent): string {
  return hash('sha256', prevHash + canonicalEvent(e), 'hex');
}

/** An event's columns as the chain reads them (see EVENT_COLUMNS). */
export interface EventRow {
  id: string;
  event_type: string;
  occurred_iso: string;
  actor: string;
  entity_type: string;
  entity_id: string;
  metadata: unknown;
}

/** (Output names differ from the columns': ORDER BY prefers an output column of the same name.) */
export const EVENT_COLUMNS = `id, event_type, ${OCCURRED} as occurred_iso, actor, entity_type, entity_id, metadata`;

export function chainEvent(orgId: string, seq: number, r: EventRow): ChainEvent {
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

/** Events hashed between two yields to the event loop (about a millisecond's worth). */
const HASHES_PER_TURN = 50;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Events the sealer may take: from transactions that can no longer add or remove any (the
 * oldest running transaction's id, shifted as events' ids are: @reins/db's xidShift.ts).
 */
const SETTLED = 'e.xid < (select reins_xid_horizon())';

/**
 * `e` comes after the org's head. The two scalar subqueries (not a join with the head) keep the
 * row comparison an index condition: a join filter would scan the org's whole sealed past.
 */
const AFTER_HEAD = (org: string) => `(e.xid, e.pos) > (
    coalesce((select h.last_xid from audit_chain_head h where h.org_id = ${org}), '0'::xid8),
    coalesce((select h.last_pos from audit_chain_head h where h.org_id = ${org}), 0))`;

/**
 * An organization's chain is not what the sealer left (a head deleted or moved, links added past
 * it): the sealer will not extend it — verification names what broke.
 */
export class ChainBroken extends Error {
  constructor(readonly orgId: string) {
    super(`the audit chain of ${orgId} was tampered with: its head is not at its last link`);
    this.name = 'ChainBroken';
  }
}

/**
 * Seals one batch of `orgId`'s next events in one transaction, on one pooled connection (three
 * round trips: the reads, the links as a bind parameter, COMMIT). Returns how many it sealed, or null when `wait` is false and
 * another sealer holds the org's chain head. Throws ChainBroken when the head does not end the
 * chain's links.
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
      // sealer that held it before committed is seen — read the events after it.
      // The head is created with the chain's first link, never again: a head missing beside
      // links was deleted, and recreating it would restart the chain over the old one.
      const [, , locked, maxLink, read] = results(
        await conn.query(
          `begin;
           insert into audit_chain_head (org_id, seq, hash, updated_at)
             select ${lit(orgId)}, 0, ${lit(GENESIS)}, now()
              where not exists (select 1 from audit_chain where org_id = ${lit(orgId)})
             on conflict (org_id) do nothing;
           select seq, hash from audit_chain_head where org_id = ${lit(orgId)}
             for update${wait ? '' : ' skip locked'};
           select max(seq) as seq from audit_chain where org_id = ${lit(orgId)};
           select ${EVENT_COLUMNS}, e.xid::text as xid_text, e.pos
             from audit_event e
            where e.org_id = ${lit(orgId)} and ${AFTER_HEAD(lit(orgId))} and ${SETTLED}
            order by e.xid, e.pos
            limit ${String(batchSize)};`,
        ),
      );
      const head = locked?.rows[0] as { seq: string; hash: string } | undefined;
      const lastSeq = (maxLink?.rows[0] as { seq: string | null } | undefined)?.seq ?? null;
      const rows = (read?.rows ?? []) as unknown as (EventRow & {
        xid_text: string;
        pos: string;
      })[];
      const headSeq = head ? Number(head.seq) : null;
      if ((wait || head) && Number(lastSeq ?? 0) !== (headSeq ?? 0)) {
        open = false;
        await conn.query('rollback');
        throw new ChainBroken(orgId);
      }
      if (!head || rows.length === 0) {
        open = false;
        await conn.query('rollback');
        return head ? 0 : null;
      }
      let seq = Number(head.seq);
      let prev = head.hash;
      const links: { seq: number; event_id: string; prev_hash: string; hash: string }[] = [];
      for (const r of rows) {
        // Hashing is 17–50 µs an event here: a full batch in one go would hold the event loop —
        // and every request waiting on it — for 20–50 ms. Let them through every few events.
        if (links.length > 0 && links.length % HASHES_PER_TURN === 0) await yieldToEventLoop();
        seq += 1;
        const hash = chainHash(prev, chainEvent(orgId, seq, r));
        links.push({ seq, event_id: r.id, prev_hash: prev, hash });
        prev = hash;
      }
      const last = rows[rows.length - 1] as { xid_text: string; pos: string };
      // Round trip 2: the batch's links (a bind parameter: see Params) and the new head in one
      // statement; then COMMIT.
      const params = new Params();
      await conn.query(
        `with links as (
           insert into audit_chain (org_id, seq, event_id, prev_hash, hash)
           select ${lit(orgId)}, x.seq, x.event_id, x.prev_hash, x.hash
             from jsonb_to_recordset(${params.json(links)})
                  as x(seq bigint, event_id text, prev_hash text, hash text)
         )
         update audit_chain_head
            set seq = ${String(seq)}, hash = ${lit(prev)}, last_xid = ${lit(last.xid_text)}::xid8,
                last_pos = ${last.pos}, updated_at = now()
          where org_id = ${lit(orgId)}`,
        params.values,
      );
      await conn.query('commit');
      open = false;
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

/**
 * Whether `orgId` has committed events (visible now) that its chain does not hold yet. The first
 * one in (xid, pos) order, `limit 1`, not `exists (…)`: the planner ran the EXISTS as a
 * sequential scan of every event with the head comparison as a filter — 43 ms at 400,000
 * events, 150 ms at 1.1 million, on every verify (the same trap as ORGS_WITH_UNSEALED's).
 */
async function hasUnsealed(orm: Orm, orgId: string): Promise<boolean> {
  const sql = sqlOf(orm.em.fork());
  const rows = await sql<{ one: number }>(
    `select 1 as one from audit_event e where e.org_id = ? and ${AFTER_HEAD('?')}
      order by e.xid, e.pos limit 1`,
    [orgId, orgId, orgId],
  );
  return rows.length > 0;
}

/**
 * Seals every event of `orgId` committed before the call. An event becomes sealable once every
 * transaction older than its own has ended (any organization's: the horizon is the database's),
 * normally within milliseconds; this waits for that, up to `timeoutMs`. Returns whether the
 * chain caught up.
 */
export async function sealCurrent(orm: Orm, orgId: string, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 2; ; pause = Math.min(pause * 2, 100)) {
    await sealOrg(orm, orgId);
    if (!(await hasUnsealed(orm, orgId))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, pause));
  }
}

/**
 * The organizations with events to seal: a skip scan over the (org_id, xid, pos) index for the
 * organizations, each probed for its first sealable event after its head. The probe is a LATERAL
 * `… limit 1`, not `exists (…)`: the planner turned the EXISTS into a hash semi-join over a
 * sequential scan of every event, with the head comparison as a join filter — a read of the whole
 * sealed past on every round of the sealer (17 ms at 6,000 events, growing without bound).
 */
export const ORGS_WITH_UNSEALED = `${AUDIT_ORGS_CTE}
     select o.org_id from o
      cross join lateral (select 1 from audit_event e
                           where e.org_id = o.org_id and ${AFTER_HEAD('o.org_id')} and ${SETTLED}
                           order by e.xid, e.pos
                           limit 1) as next
      where o.org_id is not null`;

export async function orgsWithUnsealed(sql: Sql): Promise<string[]> {
  const rows = await sql<{ org_id: string }>(ORGS_WITH_UNSEALED);
  return rows.map((r) => r.org_id);
}

/**
 * What the sealer has yet to do, for monitoring: events committed but not in their chain (counted
 * up to `cap` per organization, so that a scrape stays cheap under a large backlog) and the age
 * of the oldest of them in seconds (null when there are none). The same skip scan over the
 * organizations as ORGS_WITH_UNSEALED, each probed in (xid, pos) order after its head.
 */
export async function unsealedBacklog(
  sql: Sql,
  cap = 10_000,
): Promise<{ events: number; oldestSeconds: number | null }> {
  const rows = await sql<{ events: number; oldest: number | null }>(
    `${AUDIT_ORGS_CTE}
     select count(*)::int as events,
            extract(epoch from now() - min(x.occurred_at))::float8 as oldest
       from o
      cross join lateral (select e.occurred_at from audit_event e
                           where e.org_id = o.org_id and ${AFTER_HEAD('o.org_id')}
                           order by e.xid, e.pos
                           limit ${String(Math.max(1, Math.trunc(cap)))}) as x
      where o.org_id is not null`,
  );
  const row = rows[0];
  return { events: row?.events ?? 0, oldestSeconds: row?.oldest ?? null };
}

/** Batches one org gets per round of `sealAll` before the next org's turn. */
const BATCHES_PER_TURN = 10;

/**
 * Seals every organization's pending events, in rounds: each org with unsealed events gets up to
 * BATCHES_PER_TURN batches per round, so that one org's backlog does not hold the others' events
 * unsealed. Organizations another sealer is working on are skipped (it will finish them) unless
 * `wait`. Another round follows only while some org still had a backlog at the end of its turn:
 * events that arrive meanwhile wait for the next run, so that under a steady stream the sealer
 * seals a run's worth in full batches instead of chasing every new event in batches of a few.
 * Returns the number of events sealed.
 */
export async function sealAll(
  orm: Orm,
  opts: SealOptions = {},
): Promise<{ orgs: number; sealed: number; broken: string[] }> {
  const sql = sqlOf(orm.em.fork());
  const batchSize = opts.batchSize ?? SEAL_BATCH;
  const maxBatches = opts.maxBatches ?? BATCHES_PER_TURN;
  const seen = new Set<string>();
  const broken = new Set<string>();
  let sealed = 0;
  for (let backlog = true; backlog && !opts.signal?.aborted;) {
    backlog = false;
    for (const orgId of await orgsWithUnsealed(sql)) {
      if (opts.signal?.aborted) break;
      if (broken.has(orgId)) continue;
      seen.add(orgId);
      let n: number;
      try {
        n = await sealOrg(orm, orgId, {
          ...opts,
          wait: opts.wait ?? false,
          batchSize,
          maxBatches,
        });
      } catch (err) {
        // One tampered chain must not stop the others being sealed.
        if (!(err instanceof ChainBroken)) throw err;
        broken.add(orgId);
        continue;
      }
      sealed += n;
      // Its turn ended on full batches: there may be more (a partial batch means it caught up).
      if (n > 0 && n === batchSize * maxBatches) backlog = true;
    }
  }
  return { orgs: seen.size, sealed, broken: [...broken] };
}
