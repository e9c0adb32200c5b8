/**
 * Verifying an organization's audit hash chain (auditChain.ts), in one call or chunk by chunk,
 * from the genesis or from the last verified checkpoint.
 *
 * A walk recomputes every link's hash in seq order and names the first broken link (see
 * BrokenReason). It is split in three so that a background job can spread it over many runs:
 * `beginVerify` reads the head (what the walk goes up to) and checks the checkpoint it starts
 * from, `walkLinks` walks a chunk of links, `endVerify` checks the end (head, events slipped
 * into the walked range). `verifyChain` runs all three at once.
 *
 * Checkpoints. A verify that found the chain intact up to the head (seq N, hash H, read position
 * (xid, pos)) records it as an `audit_chain.verified` event carrying {seq, hash, xid, pos}, and
 * points `audit_checkpoint` at that event — both in one transaction. The event is sealed into the
 * chain like any other, at a seq M > N. The next verify starts after N and checks the pointer:
 * - the pointed event exists, is a checkpoint, and carries exactly the pointer's values;
 * - link N's stored hash is H (and link N+1's prev_hash is H: the walk checks it);
 * - the event's own link M is among the links walked (M > N) once it is sealed, so its content
 *   is re-hashed by this very walk;
 * - every checkpoint event met on the way claims a link whose stored hash it names.
 * So moving the pointer forward (over links nobody verified), changing its hash, or editing the
 * checkpoint event to match breaks one of these, exactly as an edit of any event breaks the
 * chain. What it cannot show is what the chain itself cannot: an attacker who can write to the
 * database may append a forged checkpoint event (sealed like any appended event) or rewrite
 * every link from a point to the head; and links before the checkpoint are not re-read by an
 * incremental verify at all — an edit there is seen by the full verification (the background
 * job, which walks from the genesis and ignores the pointer), not by the incremental one.
 */
import type { Orm } from '@reins/db';
import { chainHash, EVENT_COLUMNS, GENESIS } from './auditChain.js';
import { auditRow, insertAuditSql } from './audit.js';
import { dollarQuote, inTransaction, isoMs, plainSql, queryRows, type Sql } from './sql.js';

/** Links read per query when verifying. */
export const VERIFY_CHUNK = 2000;
/** Chunks being read while one is hashed. */
const READ_AHEAD = 2;
/** The event type of a checkpoint. */
export const CHECKPOINT_EVENT = 'audit_chain.verified';

export type BrokenReason =
  /** The event's stored hash is not the hash of its content: the event was edited. */
  | 'hash_mismatch'
  /** The link's prev_hash is not its predecessor's hash: links were changed or reordered. */
  | 'prev_hash_mismatch'
  /** The link names an event that no longer exists: the event was removed. */
  | 'event_missing'
  /** The seqs skip (or the chain does not start at 1): links before this one were removed. */
  | 'seq_gap'
  /** The chain head (audit_chain_head) does not end where the events do: events were removed
   * from the end, links were added past it, or the head was changed. */
  | 'head_mismatch'
  /** The chain has links but no head: the head was deleted. */
  | 'head_missing'
  /** An event sits in the sealed past (before the head's position) without a link: it was
   * inserted there behind the sealer's back. */
  | 'event_inserted'
  /** The checkpoint the walk starts from, or a checkpoint event in the chain, does not match the
   * chain: it was moved, or edited. */
  | 'checkpoint_mismatch';

export interface BrokenLink {
  seq: number;
  eventId: string | null;
  reason: BrokenReason;
}

export interface VerifyResult {
  valid: boolean;
  /** Links checked by this walk. */
  checked: number;
  /** The chain head's seq when the walk began (the events up to it were checked). */
  headSeq: number;
  /** The walk started after this seq: the checkpoint's (0: from the chain's start). */
  from: number;
  firstBrokenLink: null | BrokenLink;
}

/** The head as a walk reads it at its start: what it verifies up to. */
export interface ChainHead {
  seq: number;
  hash: string;
  lastXid: string;
  lastPos: number;
  /** The chain's last link when the head was read (more than `seq`: links past the head). */
  tailSeq: number;
  tailEventId: string | null;
}

/** A verified position: the chain was intact up to link `seq`, whose hash is `hash`. */
export interface Checkpoint {
  seq: number;
  hash: string;
  /** The head's read position then: events up to it are sealed at seqs ≤ `seq`. */
  lastXid: string;
  lastPos: number;
  /** The `audit_chain.verified` event that records it. */
  eventId: string;
  verifiedAt: string;
}

/** Where a walk is. */
export interface WalkState {
  seq: number;
  hash: string;
  eventId: string | null;
  checked: number;
  /** Whether the starting checkpoint's own event was met among the walked links. */
  metCheckpoint: boolean;
}

export const GENESIS_STATE = (): WalkState => ({
  seq: 0,
  hash: GENESIS,
  eventId: null,
  checked: 0,
  metCheckpoint: false,
});

/** A walk's beginning: its head and first state, or what is already broken. */
export type Begun =
  | { head: ChainHead; state: WalkState; broken: null }
  | { head: ChainHead | null; state: WalkState; broken: BrokenLink };

const EMPTY_HEAD: ChainHead = {
  seq: 0,
  hash: GENESIS,
  lastXid: '0',
  lastPos: 0,
  tailSeq: 0,
  tailEventId: null,
};

/** Reads the head and the last link, and checks `from` (a checkpoint) against the chain. */
export async function beginVerify(
  sql: Sql,
  orgId: string,
  from: Checkpoint | null = null,
): Promise<Begun> {
  const [row] = await sql<{ seq: string; hash: string; last_xid: string; last_pos: string }>(
    `select seq, hash, last_xid::text as last_xid, last_pos from audit_chain_head
      where org_id = ?`,
    [orgId],
  );
  const [tail] = await sql<{ seq: string; event_id: string }>(
    'select seq, event_id from audit_chain where org_id = ? order by seq desc limit 1',
    [orgId],
  );
  const tailSeq = tail ? Number(tail.seq) : 0;
  const state = GENESIS_STATE();
  if (!row) {
    if (tailSeq > 0) {
      const broken = { seq: tailSeq, eventId: tail?.event_id ?? null, reason: 'head_missing' };
      return { head: null, state, broken: broken as BrokenLink };
    }
    return { head: EMPTY_HEAD, state, broken: null };
  }
  const head: ChainHead = {
    seq: Number(row.seq),
    hash: row.hash,
    lastXid: row.last_xid,
    lastPos: Number(row.last_pos),
    tailSeq,
    tailEventId: tail?.event_id ?? null,
  };
  if (!from || from.seq === 0) return { head, state, broken: null };
  const mismatch = (): Begun => ({
    head,
    state,
    broken: { seq: from.seq, eventId: from.eventId, reason: 'checkpoint_mismatch' },
  });
  // The pointer must be what its event says, and the event a checkpoint of this org.
  const [ev] = await sql<{ event_type: string; metadata: Record<string, unknown> }>(
    'select event_type, metadata from audit_event where id = ? and org_id = ?',
    [from.eventId, orgId],
  );
  const m = ev?.metadata ?? {};
  if (
    ev?.event_type !== CHECKPOINT_EVENT ||
    m.seq !== from.seq ||
    m.hash !== from.hash ||
    m.xid !== from.lastXid ||
    m.pos !== from.lastPos
  ) {
    return mismatch();
  }
  // A head behind the checkpoint: it was moved back (links past it), or the checkpoint forward.
  if (from.seq > head.seq) {
    if (tailSeq >= from.seq) {
      const [next] = await sql<{ event_id: string }>(
        'select event_id from audit_chain where org_id = ? and seq = ?',
        [orgId, head.seq + 1],
      );
      return {
        head,
        state,
        broken: { seq: head.seq + 1, eventId: next?.event_id ?? null, reason: 'head_mismatch' },
      };
    }
    return mismatch();
  }
  const [link] = await sql<{ hash: string; event_id: string }>(
    'select hash, event_id from audit_chain where org_id = ? and seq = ?',
    [orgId, from.seq],
  );
  if (link?.hash !== from.hash) return mismatch();
  return {
    head,
    state: {
      seq: from.seq,
      hash: from.hash,
      eventId: link.event_id,
      checked: 0,
      metCheckpoint: false,
    },
    broken: null,
  };
}

/** A link and its event (nulls when the event is gone), as `walkLinks` reads them. */
type LinkRow = [
  seq: number,
  eventId: string,
  prevHash: string,
  hash: string,
  id: string | null,
  eventType: string,
  occurredIso: string,
  actor: string,
  entityType: string,
  entityId: string,
  metadata: unknown,
];

/**
 * Walks up to `limit` links after `state` (and up to `toSeq`), in chunks of `chunk`, recomputing
 * every hash; advances `state` past the links found intact. Returns the first broken link, or
 * null. `checkpointEventId`: the starting checkpoint's event, noted in `state` when met.
 */
export async function walkLinks(
  sql: Sql,
  orgId: string,
  state: WalkState,
  toSeq: number,
  opts: { limit?: number; chunk?: number; checkpointEventId?: string | null } = {},
): Promise<BrokenLink | null> {
  const chunk = opts.chunk ?? VERIFY_CHUNK;
  const stop = Math.min(toSeq, state.seq + (opts.limit ?? Infinity));
  // One row per chunk: the links as one JSON text of arrays (the driver would otherwise build an
  // object per row — as much time again as hashing them). The left join gives an event's
  // columns as null when the event is gone.
  const read = async (after: number, upTo: number): Promise<LinkRow[]> => {
    const [row] = await sql<{ body: string }>(
      `select coalesce(json_agg(json_build_array(x.seq, x.event_id, x.prev_hash, x.hash, x.id,
                x.event_type, x.occurred_iso, x.actor, x.entity_type, x.entity_id, x.metadata)
                order by x.seq), '[]')::text as body
         from (select c.seq, c.event_id, c.prev_hash, c.hash, ${EVENT_COLUMNS}
                 from audit_chain c
                 left join audit_event e on e.id = c.event_id and e.org_id = c.org_id
                where c.org_id = ? and c.seq > ? and c.seq <= ?
                order by c.seq) x`,
      [orgId, after, upTo],
    );
    return JSON.parse(row?.body ?? '[]') as LinkRow[];
  };
  // Chunks by ranges of seq (an intact chain has every seq once: a gap is named by the walk),
  // READ_AHEAD of them read at once (by PostgreSQL, on other connections) while one is hashed.
  const pending: Promise<LinkRow[]>[] = [];
  let requested = state.seq;
  const request = () => {
    while (pending.length < READ_AHEAD && requested < stop) {
      const upTo = Math.min(stop, requested + chunk);
      pending.push(read(requested, upTo));
      requested = upTo;
    }
  };
  try {
    request();
    for (let next = pending.shift(); next; next = pending.shift()) {
      const rows = await next;
      request();
      const broken = await walkRows(sql, orgId, state, rows, opts.checkpointEventId ?? null);
      if (broken) return broken;
    }
  } finally {
    // Nothing of ours left running when the walk returns.
    await Promise.all(pending.map((p) => p.catch(() => null)));
  }
  return null;
}

/** One chunk of links: their hashes recomputed, then the claims of checkpoint events met. */
async function walkRows(
  sql: Sql,
  orgId: string,
  state: WalkState,
  rows: LinkRow[],
  checkpointEventId: string | null,
): Promise<BrokenLink | null> {
  /** Checkpoint events met: each claims a link (seq, hash) before its own. */
  const claims: { at: number; eventId: string; seq: unknown; hash: unknown }[] = [];
  let broken: BrokenLink | null = null;
  for (const r of rows) {
    const [seq, eventId, prevHash, storedHash, id] = r;
    state.checked += 1;
    const fail = (reason: BrokenReason): BrokenLink => ({ seq, eventId, reason });
    if (seq !== state.seq + 1) broken = fail('seq_gap');
    else if (prevHash !== state.hash) broken = fail('prev_hash_mismatch');
    else if (id === null) broken = fail('event_missing');
    else {
      const hash = chainHash(state.hash, {
        seq,
        id,
        orgId,
        eventType: r[5],
        occurredAt: r[6],
        actor: r[7],
        entityType: r[8],
        entityId: r[9],
        metadata: r[10],
      });
      if (storedHash !== hash) broken = fail('hash_mismatch');
      else {
        if (r[5] === CHECKPOINT_EVENT) {
          const m = (r[10] ?? {}) as Record<string, unknown>;
          claims.push({ at: seq, eventId: id, seq: m.seq, hash: m.hash });
        }
        if (checkpointEventId !== null && id === checkpointEventId) state.metCheckpoint = true;
        state.seq = seq;
        state.hash = hash;
        state.eventId = eventId;
      }
    }
    if (broken) break;
  }
  // The claims come before any break above (they are of links found intact): the first wrong
  // one is the first broken link.
  return (await wrongClaim(sql, orgId, claims)) ?? broken;
}

async function wrongClaim(
  sql: Sql,
  orgId: string,
  claims: { at: number; eventId: string; seq: unknown; hash: unknown }[],
): Promise<BrokenLink | null> {
  if (claims.length === 0) return null;
  const seqs = claims.map((c) => (typeof c.seq === 'number' ? c.seq : -1));
  const links = await sql<{ seq: string; hash: string }>(
    `select seq, hash from audit_chain where org_id = ? and seq = any(?::bigint[])`,
    [orgId, `{${seqs.join(',')}}`],
  );
  const hashOf = new Map(links.map((l) => [Number(l.seq), l.hash]));
  for (const c of claims) {
    const ok = typeof c.seq === 'number' && c.seq < c.at && hashOf.get(c.seq) === c.hash;
    if (!ok) return { seq: c.at, eventId: c.eventId, reason: 'checkpoint_mismatch' };
  }
  return null;
}

const xidAfter = (a: string, b: string) => BigInt(a) > BigInt(b);

/**
 * The checks after the last link: the walk ended at the head (its seq and hash), no links past
 * it, the starting checkpoint's event among the walked links once sealed, and no event slipped
 * into the walked range of positions without a link.
 */
export async function endVerify(
  sql: Sql,
  orgId: string,
  head: ChainHead,
  state: WalkState,
  from: Checkpoint | null,
): Promise<BrokenLink | null> {
  // Events missing at the end: the first missing seq; else the head's hash is not the last one's.
  if (state.seq !== head.seq) return { seq: state.seq + 1, eventId: null, reason: 'head_mismatch' };
  if (state.hash !== head.hash) {
    return { seq: head.seq, eventId: state.eventId, reason: 'head_mismatch' };
  }
  // Links past the head: added, or the head moved back.
  if (head.tailSeq > head.seq) {
    const [next] = await sql<{ event_id: string }>(
      'select event_id from audit_chain where org_id = ? and seq = ?',
      [orgId, head.seq + 1],
    );
    return { seq: head.seq + 1, eventId: next?.event_id ?? null, reason: 'head_mismatch' };
  }
  const start = from && from.seq > 0 ? from : null;
  if (start && !state.metCheckpoint) {
    // The checkpoint's event is sealed (at or before the head's position) but not after its seq.
    const [ev] = await sql<{ xid: string; pos: string }>(
      'select xid::text as xid, pos from audit_event where org_id = ? and id = ?',
      [orgId, start.eventId],
    );
    const sealed =
      ev !== undefined &&
      (xidAfter(head.lastXid, ev.xid) ||
        (head.lastXid === ev.xid && Number(ev.pos) <= head.lastPos));
    if (sealed) return { seq: start.seq, eventId: start.eventId, reason: 'checkpoint_mismatch' };
  }
  // Events in the walked range of positions: exactly one per walked link (counted through the
  // (org_id, xid, pos) index; named only when the count is off).
  const fromXid = start?.lastXid ?? '0';
  const fromPos = start?.lastPos ?? 0;
  const range = `e.org_id = ? and (e.xid, e.pos) > (?::xid8, ?::bigint)
      and (e.xid, e.pos) <= (?::xid8, ?::bigint)`;
  const params = [orgId, fromXid, fromPos, head.lastXid, head.lastPos];
  const [count] = await sql<{ n: string }>(
    `select count(*) as n from audit_event e where ${range}`,
    params,
  );
  if (Number(count?.n ?? 0) > head.seq - (start?.seq ?? 0)) {
    const [hidden] = await sql<{ id: string }>(
      `select e.id from audit_event e
        where ${range}
          and not exists (select 1 from audit_chain c
                           where c.org_id = e.org_id and c.seq > ? and c.seq <= ?
                             and c.event_id = e.id)
        order by e.xid, e.pos limit 1`,
      [...params, start?.seq ?? 0, head.seq],
    );
    if (hidden) return { seq: head.seq, eventId: hidden.id, reason: 'event_inserted' };
  }
  return null;
}

/**
 * Walks `orgId`'s chain in seq order, in chunks (constant memory), recomputing every hash: from
 * the genesis, or after `from` (a checkpoint, checked against the chain first). Only sealed
 * events up to the head read at the start are walked: sealing may go on meanwhile. Returns the
 * head it walked to (null when it has none).
 */
export async function verifyChain(
  sql: Sql,
  orgId: string,
  opts: { from?: Checkpoint | null; chunk?: number } = {},
): Promise<VerifyResult & { head: ChainHead | null; metCheckpoint: boolean }> {
  const from = opts.from ?? null;
  const begun = await beginVerify(sql, orgId, from);
  const { state } = begun;
  const result = (broken: BrokenLink | null) => ({
    valid: broken === null,
    checked: state.checked,
    headSeq: begun.head?.seq ?? 0,
    from: from?.seq ?? 0,
    firstBrokenLink: broken,
    head: begun.head,
    metCheckpoint: state.metCheckpoint,
  });
  if (begun.broken) return result(begun.broken);
  const head = begun.head;
  const broken =
    (await walkLinks(sql, orgId, state, head.seq, {
      chunk: opts.chunk,
      checkpointEventId: from?.eventId,
    })) ?? (await endVerify(sql, orgId, head, state, from));
  return result(broken);
}

interface CheckpointRow {
  seq: string;
  hash: string;
  last_xid: string;
  last_pos: string;
  event_id: string;
  verified_at: string;
}

const checkpointOf = (r: CheckpointRow): Checkpoint => ({
  seq: Number(r.seq),
  hash: r.hash,
  lastXid: r.last_xid,
  lastPos: Number(r.last_pos),
  eventId: r.event_id,
  verifiedAt: r.verified_at,
});

const CHECKPOINT_COLUMNS = `seq, hash, last_xid::text as last_xid, last_pos, event_id,
  ${isoMs('verified_at')} as verified_at`;

/** The organization's last checkpoint (not yet checked against the chain: `beginVerify` does). */
export async function readCheckpoint(sql: Sql, orgId: string): Promise<Checkpoint | null> {
  const [row] = await sql<CheckpointRow>(
    `select ${CHECKPOINT_COLUMNS} from audit_checkpoint where org_id = ?`,
    [orgId],
  );
  return row ? checkpointOf(row) : null;
}

/**
 * Records that `orgId`'s chain was found intact up to `head`: a checkpoint event (sealed into the
 * chain later) and the pointer to it, in one transaction. Never moves a checkpoint back (a verify
 * that began before another's ends after it): then nothing is written. Returns the checkpoint in
 * force afterwards.
 */
export async function advanceCheckpoint(
  orm: Orm,
  orgId: string,
  head: ChainHead,
  info: { actor: string; at: Date; from: number; checked: number },
): Promise<Checkpoint | null> {
  const lit = dollarQuote;
  const advanced = await inTransaction(orm, async (conn) => {
    const org = lit(orgId);
    const [current] = await queryRows<CheckpointRow>(
      conn,
      `select ${CHECKPOINT_COLUMNS} from audit_checkpoint where org_id = ${org} for update`,
    );
    if (current && Number(current.seq) >= head.seq) return checkpointOf(current);
    if (head.seq === 0) return null;
    const row = auditRow({
      orgId,
      eventType: CHECKPOINT_EVENT,
      actor: info.actor,
      entityType: 'audit_chain',
      entityId: orgId,
      occurredAt: info.at,
      metadata: {
        seq: head.seq,
        hash: head.hash,
        xid: head.lastXid,
        pos: head.lastPos,
        from: info.from,
        checked: info.checked,
      },
    });
    // (Two statements: a concurrent first checkpoint of the org waits on the primary key.)
    await conn.query(insertAuditSql([row]));
    const [saved] = await queryRows<CheckpointRow>(
      conn,
      `insert into audit_checkpoint (org_id, seq, hash, last_xid, last_pos, event_id, verified_at)
       values (${org}, ${String(head.seq)}, ${lit(head.hash)}, ${lit(head.lastXid)}::xid8,
               ${String(head.lastPos)}, ${lit(row.id)}, ${lit(info.at.toISOString())}::timestamptz)
       on conflict (org_id) do update
         set seq = excluded.seq, hash = excluded.hash, last_xid = excluded.last_xid,
             last_pos = excluded.last_pos, event_id = excluded.event_id,
             verified_at = excluded.verified_at
       where audit_checkpoint.seq < excluded.seq
       returning ${CHECKPOINT_COLUMNS}`,
    );
    // Another verify's first checkpoint won the race: this one's event goes with the rollback.
    if (!saved) throw new Superseded();
    return checkpointOf(saved);
  }).catch((err: unknown) => {
    if (err instanceof Superseded) return undefined;
    throw err;
  });
  return advanced === undefined ? readCheckpoint(plainSql(orm), orgId) : advanced;
}

class Superseded extends Error {}
