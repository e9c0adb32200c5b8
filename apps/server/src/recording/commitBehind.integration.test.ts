/**
 * The batch's write and its COMMIT in one message, on a real database (PostgreSQL with
 * TEST_DATABASE_URL, else the embedded one): committed when both succeed; nothing written when
 * the statement or the COMMIT fails, with that error thrown; the connection usable afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, initOrm, type Orm, type TestDatabase } from '@reins/db';
import { queryRows, withConnection, type PooledConnection } from '@reins/ledger';
import { statementThenCommit } from './commitBehind.js';

let db: TestDatabase;
let orm: Orm;

beforeAll(async () => {
  db = await createTestDatabase('commit_behind');
  orm = await initOrm(db.url, { maxConnections: db.maxConnections });
  await withConnection(orm, (conn) =>
    conn.query(`create table probe (id int primary key, note text not null);
                create table guarded (id int primary key,
                  ref int references probe (id) deferrable initially deferred)`),
  );
});

afterAll(async () => {
  await orm.close();
  await db.drop();
});

const count = (table: string) =>
  withConnection(orm, async (conn) => {
    const [row] = await queryRows<{ n: number }>(conn, `select count(*)::int as n from ${table}`);
    return row?.n ?? -1;
  });

/** What a batch does around it: BEGIN, then the write and COMMIT; ROLLBACK if that throws. */
async function batch(conn: PooledConnection, text: string, values: string[]): Promise<unknown> {
  await conn.query('begin');
  try {
    await statementThenCommit(conn, text, values);
    return null;
  } catch (err) {
    await conn.query('rollback');
    return err;
  }
}

describe('a statement and its COMMIT in one message', () => {
  it('commits the statement, its rows passed as bind parameters', async () => {
    const err = await withConnection(orm, (conn) =>
      batch(
        conn,
        `insert into probe (id, note)
           select x.id, x.note from jsonb_to_recordset($1::jsonb) as x(id int, note text)`,
        [
          JSON.stringify([
            { id: 1, note: 'a' },
            { id: 2, note: "it's $1" },
          ]),
        ],
      ),
    );
    expect(err).toBeNull();
    expect(await count('probe')).toBe(2);
  });

  it('writes nothing when the statement fails, throws its error and leaves the connection usable', async () => {
    const before = await count('probe');
    await withConnection(orm, async (conn) => {
      const err = await batch(
        conn,
        `insert into probe (id, note) values ($1::int, 'x'), (1, 'dup')`,
        ['3'],
      );
      expect(err).toMatchObject({ code: '23505' });
      // The next statement on the same connection gets its own answer.
      const [row] = await queryRows<{ n: number }>(conn, 'select 41 + 1 as n');
      expect(row?.n).toBe(42);
    });
    expect(await count('probe')).toBe(before);
  });

  it('writes nothing when the COMMIT fails (a deferred check) and throws its error', async () => {
    const err = await withConnection(orm, (conn) =>
      batch(conn, 'insert into guarded (id, ref) values ($1::int, 999)', ['1']),
    );
    expect(err).toMatchObject({ code: '23503' });
    expect(await count('guarded')).toBe(0);
  });

  it('answers many batches back to back on one connection in order', async () => {
    await withConnection(orm, async (conn) => {
      for (let i = 10; i < 60; i++) {
        expect(
          await batch(conn, 'insert into probe (id, note) values ($1::int, $2)', [
            String(i),
            `n${i}`,
          ]),
        ).toBeNull();
      }
    });
    expect(await count('probe')).toBe(52);
  });
});
