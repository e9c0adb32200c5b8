/**
 * Explicit SQL, on the ORM's own connection pool (embedded PGlite has a single connection).
 *
 * Two ways to run it:
 * - `Sql` runs one statement with `?` placeholders (knex); pass arrays and objects as JSON strings
 *   (`?::jsonb`): knex would expand an array into a list of placeholders. For ad-hoc reads.
 * - `RawConnection.query` runs literal SQL — one or several statements, values written as
 *   dollar-quoted literals (`dollarQuote`) — on a pooled connection (`withConnection`) or inside an
 *   EntityManager's transaction (`connectionOf`). MikroORM's `execute` pastes escaped values into
 *   the SQL text, which for a batch of a few hundred KB of JSON cost more CPU than everything
 *   else together; the ledger's statements are literal SQL, so that several go in one round trip.
 * - `PooledConnection.query(text, values)` (a pooled connection only) runs one statement with
 *   bind parameters (`Params`): how the hot path and the sealer send their large JSON rows.
 */
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import type { Orm } from '@reins/db';

export type Sql = <T = Record<string, unknown>>(
  query: string,
  params?: readonly unknown[],
) => Promise<T[]>;

/** The same interface over an EntityManager (and its transaction, if it is in one). */
export function sqlOf(em: EntityManager): Sql {
  return async <R>(query: string, params: readonly unknown[] = []) => {
    const rows: unknown = await em
      .getConnection()
      .execute(query, [...params], 'all', em.getTransactionContext());
    return rows as R[];
  };
}

/** Bind-parameter SQL outside any transaction (each statement commits on its own). */
export function plainSql(orm: Orm): Sql {
  const knex = orm.em.getConnection().getKnex();
  return async <R>(query: string, params: readonly unknown[] = []) => {
    const res = await knex.raw<{ rows: R[] }>(query, params as readonly Knex.RawBinding[]);
    return res.rows;
  };
}

/** A driver connection, used with the simple query protocol (several statements, no params). */
export interface RawConnection {
  query(text: string): Promise<RawResult | RawResult[]>;
}

/**
 * A pooled driver connection (`withConnection`), which also takes one statement with bind
 * parameters (the extended protocol).
 */
export interface PooledConnection extends RawConnection {
  query(text: string): Promise<RawResult | RawResult[]>;
  query(text: string, values: readonly string[]): Promise<RawResult>;
}

/**
 * The bind parameters of one statement. A large JSON document goes to PostgreSQL far cheaper as
 * a parameter than as a literal in the text: a literal is scanned by the lexer and its constant
 * copied through parse analysis and planning — for a batch's few hundred KB, that was half of
 * the batch statement's PostgreSQL CPU (issue 17, docs/benchmarks/history.md).
 */
export class Params {
  readonly values: string[] = [];

  /** `value` as JSON: answers the `$n::jsonb` that names it in the statement. */
  json(value: unknown): string {
    this.values.push(JSON.stringify(value));
    return `$${String(this.values.length)}::jsonb`;
  }
}

/**
 * `value` as a jsonb expression in a statement: a bind parameter of `params` when the statement
 * has them (one statement, extended protocol), else a dollar-quoted literal (simple protocol).
 */
export function jsonValue(value: unknown, params?: Params): string {
  return params ? params.json(value) : `${dollarQuote(JSON.stringify(value))}::jsonb`;
}
export interface RawResult {
  rows: Record<string, unknown>[];
}

/**
 * Runs `fn` on one connection of the ORM's pool. The caller manages BEGIN/COMMIT itself: the
 * hot path sends `BEGIN; …; …` and `…; COMMIT` as single round trips.
 */
export async function withConnection<T>(
  orm: Orm,
  fn: (conn: PooledConnection) => Promise<T>,
): Promise<T> {
  // Knex's pooled connection is node-postgres' Client (for PGlite too, through its socket).
  const client = orm.em.getConnection().getKnex().client as {
    acquireConnection(): Promise<PooledConnection>;
    releaseConnection(conn: PooledConnection): Promise<void>;
  };
  const conn = await client.acquireConnection();
  try {
    return await fn(conn);
  } finally {
    await client.releaseConnection(conn);
  }
}

/**
 * Literal SQL inside `em`'s transaction (or on its own, autocommitted, when `em` is in none).
 * The text is sent as is: knex replaces `?` only when bindings are given.
 */
export function connectionOf(em: EntityManager): RawConnection {
  return {
    async query(text: string) {
      const q = em.getConnection().getKnex().raw(text);
      const trx = em.getTransactionContext<Knex.Transaction>();
      if (trx) void q.transacting(trx);
      return (await q) as RawResult | RawResult[];
    },
  };
}

/** Runs literal SQL and answers the rows of its last statement. */
export async function queryRows<T = Record<string, unknown>>(
  conn: RawConnection,
  text: string,
): Promise<T[]> {
  const all = results(await conn.query(text));
  return (all[all.length - 1]?.rows ?? []) as T[];
}

/** The results of a multi-statement simple query, one per statement. */
export function results(r: RawResult | RawResult[]): RawResult[] {
  return Array.isArray(r) ? r : [r];
}

/**
 * A string as an SQL literal in dollar quotes, whose content PostgreSQL takes verbatim: no
 * escaping pass over a few hundred KB of JSON (the text must not contain NUL — request input is
 * checked for it — and the tag is chosen so that it does not occur in the text).
 */
export function dollarQuote(text: string): string {
  let tag = '$j$';
  for (let i = 0; text.includes(tag); i++) tag = `$j${String(i)}$`;
  return `${tag}${text}${tag}`;
}

/**
 * A timestamptz column as the API and the server write instants (`Date.toISOString()`: UTC,
 * milliseconds), formatted by PostgreSQL.
 */
export const isoMs = (column: string): string =>
  `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Runs `fn` inside BEGIN … COMMIT on one pooled connection (ROLLBACK if it throws). */
export function inTransaction<T>(orm: Orm, fn: (conn: RawConnection) => Promise<T>): Promise<T> {
  return withConnection(orm, async (conn) => {
    await conn.query('begin');
    try {
      const out = await fn(conn);
      await conn.query('commit');
      return out;
    } catch (err) {
      await conn.query('rollback');
      throw err;
    }
  });
}
