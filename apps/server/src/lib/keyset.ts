/**
 * Keyset pagination for lists read newest first by `(<instant column>, id)`: a cursor is the sort
 * key of the last row of a page, opaque to clients (base64url of `[instant, id]`). The instant
 * keeps PostgreSQL's microseconds: at millisecond precision (a JavaScript Date) rows written in the
 * same millisecond would tie, and the next page would skip or repeat them.
 *
 * A page below a cursor is `… and (at, id) < (cursor.at, cursor.id) order by at desc, id desc
 * limit n`: a range scan of an index ending in `(at desc, id desc)`, whatever the depth.
 */
import { ValidationError } from '../errors.js';

export interface KeysetPosition {
  /** ISO 8601 UTC with microseconds, as `keyOf(column)` reads it. */
  at: string;
  id: string;
}

const POSITION_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const MAX_ID_CHARS = 100;

/** The SQL that reads a timestamptz column as a cursor's instant (UTC, microseconds). */
export function keyOf(column: string): string {
  return `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

export function encodeCursor(p: KeysetPosition): string {
  return Buffer.from(JSON.stringify([p.at, p.id]), 'utf8').toString('base64url');
}

/** The position a cursor names; anything this API did not return is a 422 naming `cursor`. */
export function decodeCursor(cursor: string): KeysetPosition {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    v = undefined;
  }
  if (
    Array.isArray(v) &&
    v.length === 2 &&
    typeof v[0] === 'string' &&
    POSITION_AT.test(v[0]) &&
    !Number.isNaN(Date.parse(v[0])) &&
    typeof v[1] === 'string' &&
    v[1].length > 0 &&
    v[1].length <= MAX_ID_CHARS
  ) {
    return { at: v[0], id: v[1] };
  }
  throw ValidationError.of('cursor', 'is not a cursor this API returned (use nextCursor)');
}

/** `(at, id) < (?, ?)`, the condition of the page below `after`, with its parameters. */
export function below(atColumn: string, idColumn: string, after: KeysetPosition) {
  return {
    sql: `(${atColumn}, ${idColumn}) < (?::timestamptz, ?)`,
    params: [after.at, after.id] as unknown[],
  };
}

/**
 * The next page's cursor: a page is read with one row more than asked, which tells without a
 * second query whether there is a next page (`null`: this is the last).
 */
export function nextCursorOf<R extends { id: string }>(
  rows: R[],
  limit: number,
  atOf: (r: R) => string,
): string | null {
  const last = rows[Math.min(rows.length, limit) - 1];
  return rows.length > limit && last ? encodeCursor({ at: atOf(last), id: last.id }) : null;
}
