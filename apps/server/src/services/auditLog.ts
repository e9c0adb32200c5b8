/**
 * The audit log (SPEC §6): the filtered list (offset or cursor pagination), the streamed CSV export and
 * the hash chain's verification. Always scoped to the caller's organization.
 *
 * The `action` filter:
 * - `policy_rule.<pass|warn|flag|block|log|notify>` — the events in which a policy rule took that
 *   action: `metadata.action` is it and `metadata.ruleId` is not null (the docs' example,
 *   `action=policy_rule.block`, answers the `transaction.blocked` events of blocking rules);
 * - a value without a dot — that event type and every `<value>.*` type (`policy_rule` →
 *   `policy_rule.created/updated/deleted`, `transaction` → `transaction.*`);
 * - any other value — exactly that event type (`transaction.blocked`, `api_key.revoked`).
 */
import { Readable } from 'node:stream';
import { ACTIONS } from '@reins/engine';
import type { Ctx } from '../core.js';
import type { StreamResult } from '../lib/stream.js';
import { ValidationError } from '../errors.js';
import { isoMs, sqlOf, type Sql } from '@reins/ledger';
import { parseInput } from '../schemas/common.js';
import {
  auditCsvInput,
  listAuditInput,
  verifyAuditInput,
  type AuditCsvInput,
  type ListAuditInput,
} from '../schemas/audit.js';
import { below, decodeCursor, keyOf, nextCursorOf, type KeysetPosition } from '../lib/keyset.js';
import { requirePermission } from './auth.js';
import {
  advanceCheckpoint,
  countAuditEvents,
  type AuditCountFilter,
  readCheckpoint,
  sealCurrent,
  verifyChain,
  type Checkpoint,
  type VerifyResult,
} from '@reins/ledger';

interface Where {
  sql: string;
  params: unknown[];
}

const RULE_ACTION = new RegExp(`^policy_rule\\.(${ACTIONS.join('|')})$`);

const EVENT_TYPE = 'event_type collate "C"';

/** The SQL of the `action` filter (see the module comment). */
export function actionFilter(action: string): Where {
  const m = RULE_ACTION.exec(action);
  if (m) {
    return {
      sql: `(metadata->>'action' = ? and metadata->>'ruleId' is not null)`,
      params: [m[1]],
    };
  }
  // In byte order (the collation of audit_event_org_type_key_index), the types that start with
  // `<action>.` are exactly those from `<action>.` up to `<action>/` ('/' follows '.').
  if (!action.includes('.')) {
    return {
      sql: `(${EVENT_TYPE} = ? or (${EVENT_TYPE} >= ? and ${EVENT_TYPE} < ?))`,
      params: [action, `${action}.`, `${action}/`],
    };
  }
  return { sql: `${EVENT_TYPE} = ?`, params: [action] };
}

function whereOf(orgId: string, q: AuditCsvInput): Where {
  if (q.startDate !== undefined && q.endDate !== undefined && q.startDate >= q.endDate) {
    throw ValidationError.of('endDate', 'must be after startDate');
  }
  const parts = ['org_id = ?'];
  const params: unknown[] = [orgId];
  if (q.action !== undefined) {
    const a = actionFilter(q.action);
    parts.push(a.sql);
    params.push(...a.params);
  }
  if (q.entityType !== undefined) {
    parts.push('entity_type = ?');
    params.push(q.entityType);
  }
  if (q.startDate !== undefined) {
    parts.push('occurred_at >= ?::timestamptz');
    params.push(q.startDate);
  }
  if (q.endDate !== undefined) {
    parts.push('occurred_at < ?::timestamptz');
    params.push(q.endDate);
  }
  return { sql: parts.join(' and '), params };
}

/** One page (or chunk) newest first, below `after` if given, past `offset` rows if given. */
function pageQuery(
  where: Where,
  columns: string,
  after: KeysetPosition | null,
  limit: number,
  offset = 0,
): Where {
  const keyset = after ? below('occurred_at', 'id', after) : null;
  // Output names never shadow a column: ORDER BY would sort by the output (text, unindexed).
  return {
    sql: `select ${columns}, ${keyOf('occurred_at')} as key_at from audit_event
           where ${where.sql}${keyset ? ` and ${keyset.sql}` : ''}
           order by audit_event.occurred_at desc, audit_event.id desc
           limit ?${offset > 0 ? ' offset ?' : ''}`,
    params: [...where.params, ...(keyset?.params ?? []), limit, ...(offset > 0 ? [offset] : [])],
  };
}

/** `occurredAt` as the API shows instants: ISO 8601 UTC with milliseconds. */
const SHOWN_AT = isoMs('occurred_at');

interface ListRow {
  id: string;
  event_type: string;
  shown_at: string;
  actor: string;
  entity_type: string;
  entity_id: string;
  metadata: Record<string, unknown>;
  key_at: string;
}

export interface AuditEventView {
  id: string;
  eventType: string;
  occurredAt: string;
  actor: string;
  entityType: string;
  entityId: string;
  metadata: Record<string, unknown>;
}

/**
 * The SQL of one list request's page (one row more than asked, see `nextCursorOf`); its total
 * comes from the audit rollups (`countAuditEvents`). Exported for the test that EXPLAINs every
 * filter.
 */
export function listAuditQueries(orgId: string, q: ListAuditInput): { page: Where } {
  const where = whereOf(orgId, q);
  const after = q.cursor === undefined ? null : decodeCursor(q.cursor);
  return {
    page: pageQuery(
      where,
      `id, event_type, ${SHOWN_AT} as shown_at, actor, entity_type, entity_id, metadata`,
      after,
      q.limit + 1,
      q.offset,
    ),
  };
}

/** A list request's filters as the audit rollups count them. */
export function auditCountFilterOf(q: ListAuditInput): AuditCountFilter {
  return {
    action: q.action,
    entityType: q.entityType,
    from: q.startDate === undefined ? undefined : new Date(q.startDate),
    to: q.endDate === undefined ? undefined : new Date(q.endDate),
  };
}

export async function listAuditLog(ctx: Ctx, raw: unknown = {}) {
  requirePermission(ctx, 'audit:read');
  const q = parseInput(listAuditInput, raw);
  const { page } = listAuditQueries(ctx.orgId, q);
  const sql = sqlOf(ctx.em);
  const rows = await sql<ListRow>(page.sql, page.params);
  // Exact, from the worker's audit rollups and the raw events they have not absorbed (the same
  // filters, over the same instants), not a count over the history.
  const total = await countAuditEvents(ctx.core.orm, ctx.orgId, auditCountFilterOf(q));
  const events: AuditEventView[] = rows.slice(0, q.limit).map((r) => ({
    id: r.id,
    eventType: r.event_type,
    occurredAt: r.shown_at,
    actor: r.actor,
    entityType: r.entity_type,
    entityId: r.entity_id,
    metadata: r.metadata,
  }));
  return {
    events,
    count: events.length,
    total,
    limit: q.limit,
    offset: q.offset ?? 0,
    nextCursor: nextCursorOf(rows, q.limit, (r) => r.key_at),
  };
}

export const CSV_HEADER = 'id,eventType,occurredAt,actor,entityType,entityId,vendor,action';
/** Rows per query of the CSV export. */
export const CSV_CHUNK = 2000;
/** An export whose client reads nothing for this long is dropped. */
export const EXPORT_IDLE_MS = 30_000;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF, quotes doubled.
 * A value a spreadsheet would run as a formula (starting with = + - @ tab or CR) gets a leading
 * `'` and is quoted: `=SUM(A1)` is written `"'=SUM(A1)"`. Null is an empty field.
 */
export function csvField(value: string | null): string {
  if (value === null) return '';
  if (FORMULA_START.test(value)) return `"'${value.replace(/"/g, '""')}"`;
  if (NEEDS_QUOTES.test(value)) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

interface CsvRow {
  id: string;
  event_type: string;
  shown_at: string;
  actor: string;
  entity_type: string;
  entity_id: string;
  vendor: string | null;
  action: string | null;
  key_at: string;
}

const CSV_COLUMNS = `id, event_type, ${SHOWN_AT} as shown_at, actor, entity_type, entity_id,
  metadata->>'vendor' as vendor, metadata->>'action' as action`;

/**
 * The filtered log as CSV, newest first like the list, read in keyset chunks of `chunk` rows as
 * the consumer drains the stream (backpressure: one query per `read()`, a chunk is larger than
 * the stream's buffer), so memory stays constant whatever the log's size. A destroyed stream (the
 * client went away) runs no further query. Newest first also means that events recorded during
 * the export (newer than its start) are not in it.
 */
export function auditCsvStream(
  sql: Sql,
  where: Where,
  chunk = CSV_CHUNK,
  idleMs = EXPORT_IDLE_MS,
): Readable {
  let after: KeysetPosition | null = null;
  let first = true;
  let busy = false;
  // A client that stops reading stops the stream's reads: past `idleMs` without one, the export
  // is dropped (its slot, its connection) instead of waiting for that client forever.
  let idle: NodeJS.Timeout | undefined;
  const watch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => stream.destroy(), idleMs);
    idle.unref();
  };
  const stream: Readable = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      watch();
      if (busy) return;
      busy = true;
      const page = pageQuery(where, CSV_COLUMNS, after, chunk);
      sql<CsvRow>(page.sql, page.params).then(
        (rows) => {
          busy = false;
          if (stream.destroyed) return;
          let text = '';
          if (first) {
            text = `${CSV_HEADER}\r\n`;
            first = false;
          }
          for (const r of rows) {
            text +=
              `${csvField(r.id)},${csvField(r.event_type)},${csvField(r.shown_at)},` +
              `${csvField(r.actor)},${csvField(r.entity_type)},${csvField(r.entity_id)},` +
              `${csvField(r.vendor)},${csvField(r.action)}\r\n`;
          }
          const lastRow = rows[rows.length - 1];
          if (text) stream.push(text, 'utf8');
          if (rows.length < chunk || !lastRow) stream.push(null);
          else after = { at: lastRow.key_at, id: lastRow.id };
        },
        (err: unknown) => {
          busy = false;
          // The client went away meanwhile: nothing to report to anyone.
          if (stream.destroyed) return;
          stream.destroy(err instanceof Error ? err : new Error(String(err)));
        },
      );
    },
    destroy(err, callback) {
      clearTimeout(idle);
      callback(err);
    },
  });
  watch();
  return stream;
}

/**
 * GET /api/v1/audit-log/csv. Takes one of the process's export slots (429 with Retry-After when
 * this key, this organization or the process runs as many as allowed), released when the stream
 * closes — finished, failed, or abandoned by its client.
 */
export function exportAuditCsv(ctx: Ctx, raw: unknown = {}): StreamResult {
  requirePermission(ctx, 'audit:read');
  const q = parseInput(auditCsvInput, raw);
  const where = whereOf(ctx.orgId, q);
  const release = ctx.core.exports.acquire(ctx.orgId, ctx.keyId ?? ctx.actor);
  const stream = auditCsvStream(sqlOf(ctx.em), where);
  stream.once('close', release);
  return { contentType: 'text/csv; charset=utf-8', filename: 'audit-log.csv', stream };
}

/** A checkpoint as the API shows it. */
export interface CheckpointView {
  seq: number;
  hash: string;
  verifiedAt: string;
}

const checkpointView = (c: Checkpoint | null): CheckpointView | null =>
  c ? { seq: c.seq, hash: c.hash, verifiedAt: c.verifiedAt } : null;

/**
 * Seals the org's pending events, then walks its chain from the last verified checkpoint (the
 * genesis the first time) to the head, and — when it found every link intact — moves the
 * checkpoint to the head (see `@reins/ledger` auditVerify.ts). `complete` is false when events
 * committed before the request could not be sealed in time (a long-running transaction elsewhere
 * in the database holds the sealing horizon back): the walk covers the chain as far as it goes.
 * Links before the checkpoint are not read again: the full verification (a background job,
 * `startAuditVerification`) re-walks everything.
 */
export async function verifyAuditLog(
  ctx: Ctx,
  raw: unknown = {},
): Promise<VerifyResult & { complete: boolean; checkpoint: CheckpointView | null }> {
  requirePermission(ctx, 'audit:read');
  parseInput(verifyAuditInput, raw);
  // A chain someone tampered with may not be sealable (a deleted or moved head): that is for the
  // walk below to name, not a failure of the request.
  const complete = await sealCurrent(ctx.core.orm, ctx.orgId).catch(() => false);
  const sql = sqlOf(ctx.em);
  const from = await readCheckpoint(sql, ctx.orgId);
  const { head, metCheckpoint, ...result } = await verifyChain(sql, ctx.orgId, { from });
  let checkpoint = from;
  // Only an intact chain moves the checkpoint, and only over links other than the previous
  // checkpoint's own event (else every verify would add an event for the next one to walk).
  if (result.valid && head && result.checked > (metCheckpoint ? 1 : 0)) {
    checkpoint = await advanceCheckpoint(ctx.core.orm, ctx.orgId, head, {
      actor: ctx.actor,
      at: new Date(ctx.core.clock()),
      from: result.from,
      checked: result.checked,
    });
  }
  return { ...result, complete, checkpoint: checkpointView(checkpoint) };
}
