/**
 * Explicit SQL for the hot path. MikroORM's `execute` pastes escaped values into the SQL text;
 * for batches of hundreds of rows (a few hundred KB of JSON) that costs more CPU than everything
 * else together, so the recorder goes through the ORM's knex with real bind parameters, on the
 * same connection pool (embedded PGlite has a single connection).
 *
 * Placeholders are `?` (knex). Pass arrays and objects as JSON strings (`?::jsonb`): knex would
 * expand an array into a list of placeholders.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Knex } from '@mikro-orm/postgresql';
import type { Orm } from '@reins/db';

export type Sql = <T = Record<string, unknown>>(
  query: string,
  params?: readonly unknown[],
) => Promise<T[]>;

/** Runs `fn` in one database transaction with bind-parameter SQL. */
export async function inTransaction<T>(orm: Orm, fn: (sql: Sql) => Promise<T>): Promise<T> {
  const knex = orm.em.getConnection().getKnex();
  return knex.transaction(async (trx) => {
    const sql: Sql = async <R>(query: string, params: readonly unknown[] = []) => {
      const res = await trx.raw<{ rows: R[] }>(query, params as readonly Knex.RawBinding[]);
      return res.rows;
    };
    return fn(sql);
  });
}

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
