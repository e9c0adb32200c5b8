/**
 * The migration that keys organizations' tables by (org_id, id), on a database that already holds
 * rows in each of them: every row is kept, sign-in links take their user's org_id, the new
 * composite foreign keys hold a session to its own organization's user and key — and it goes back
 * down, with every row, and up again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestOrm } from './testing.js';

// Not migrated: the test migrates up to the migration before the one it tests.
const db = useTestOrm('org_keys_migration', { beforeAll, afterAll }, { migrate: false });

const BEFORE = 'Migration20261204033645_budget_leases';
const ORG_KEYS = 'Migration20261204101856_org_led_keys';

const TABLES = [
  'api_key',
  'policy_rule',
  'audit_verification',
  'price_override',
  'policy_alert',
  'notification_channel',
  'notification_outbox',
  'backtest',
  'app_user',
  'user_session',
  'sign_in_token',
];

async function sql<R = Record<string, unknown>>(query: string, params: unknown[] = []) {
  return db.orm.em.fork().getConnection().execute<R[]>(query, params, 'all');
}

/** Every row of every table, as JSON, sign_in_token's org_id (the migration's) left out. */
async function rows(): Promise<Record<string, unknown[]>> {
  const all: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    const found = await sql<{ row: unknown }>(
      `select to_jsonb(t) - 'org_id' || jsonb_build_object('org', ${
        table === 'sign_in_token' ? 'null' : 't.org_id'
      }) as row from "${table}" t order by t.id`,
    );
    all[table] = found.map((r) => r.row);
  }
  return all;
}

async function primaryKeys(): Promise<Record<string, string>> {
  const found = await sql<{ table: string; def: string }>(
    `select conrelid::regclass::text as "table", pg_get_constraintdef(oid) as def
       from pg_constraint
      where contype = 'p' and conrelid::regclass::text in (${TABLES.map((t) => `'${t}'`).join()})`,
  );
  return Object.fromEntries(found.map((r) => [r.table, r.def]));
}

/** Every constraint, index and column of the schema: what `down` must give back exactly. */
async function shape(): Promise<string[]> {
  const found = await sql<{ d: string }>(
    `select conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) as d
       from pg_constraint where connamespace = 'public'::regnamespace
     union all
     select indexdef from pg_indexes where schemaname = 'public'
     union all
     select table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
       from information_schema.columns where table_schema = 'public'
     order by 1`,
  );
  return found.map((r) => r.d);
}
let shapeBefore: string[] = [];

const keyedBy = (def: string) => Object.fromEntries(TABLES.map((t) => [t, def]));

async function populate(org: string): Promise<void> {
  await sql(`insert into organization (id, name) values (?, ?)`, [org, org]);
  await sql(
    `insert into api_key (id, org_id, name, key_hash, key_masked, permissions)
     values (? || '_key', ?, 'ci', ? || '_hash', 'rk_…abcd', '["transactions:write"]')`,
    [org, org, org],
  );
  await sql(
    `insert into policy_rule (id, org_id, definition, enabled, priority, action, created_at,
        updated_at)
     values (? || '_rule', ?, '{"name":"cap"}', true, 10, 'block', now(), now())`,
    [org, org],
  );
  await sql(`insert into audit_verification (id, org_id) values (? || '_ver', ?)`, [org, org]);
  await sql(
    `insert into price_override (id, org_id, vendor, model, prices, effective_from)
     values (? || '_po', ?, 'openai', 'gpt-*', '{"input":1}', '2026-01-01T00:00:00Z')`,
    [org, org],
  );
  await sql(
    `insert into policy_alert (id, org_id, rule_name, action, message, dedup_key)
     values (? || '_alr', ?, 'cap', 'notify', '80% used', 'd1')`,
    [org, org],
  );
  await sql(
    `insert into notification_channel (id, org_id, name, type, config)
     values (? || '_chan', ?, 'hook', 'webhook', '{"url":"http://x"}')`,
    [org, org],
  );
  await sql(
    `insert into notification_outbox (id, org_id, alert_id, channel_id, payload)
     values (? || '_ntf', ?, ? || '_alr', ? || '_chan', '{}')`,
    [org, org, org, org],
  );
  await sql(
    `insert into backtest (id, org_id, rules, settings, period_start, period_end)
     values (? || '_bt', ?, '[]', '{}', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z')`,
    [org, org],
  );
  await sql(
    `insert into app_user (id, org_id, email, role) values (? || '_usr', ?, ? || '@x.test', 'admin')`,
    [org, org, org],
  );
  await sql(
    `insert into user_session (id, org_id, user_id, key_id, csrf_token, last_seen_at, expires_at)
     values (? || '_s_user', ?, ? || '_usr', null, 'c1', now(), now() + interval '1 day'),
            (? || '_s_key', ?, null, ? || '_key', 'c2', now(), now() + interval '1 day')`,
    [org, org, org, org, org, org],
  );
  await sql(
    `insert into sign_in_token (id, user_id, purpose, expires_at)
     values (? || '_link', ? || '_usr', 'invite', now() + interval '1 day')`,
    [org, org],
  );
}

describe(ORG_KEYS, () => {
  it('keys every row by (org_id, id) and keeps it', async () => {
    const orm = db.orm;
    await orm.migrator.up({ to: BEFORE });
    await populate('org_a');
    await populate('org_b');
    const before = await rows();
    shapeBefore = await shape();
    expect(Object.fromEntries(TABLES.map((t) => [t, before[t]?.length]))).toEqual(
      Object.fromEntries(TABLES.map((t) => [t, t === 'user_session' ? 4 : 2])),
    );

    // Up to it, not past it: later migrations are not this test's.
    const applied = await orm.migrator.up({ to: ORG_KEYS });
    expect(applied.map((m) => m.name)).toEqual([ORG_KEYS]);

    expect(await rows()).toEqual(before);
    expect(await primaryKeys()).toEqual(keyedBy('PRIMARY KEY (org_id, id)'));
    expect(await sql(`select id, org_id from sign_in_token order by id`)).toEqual([
      { id: 'org_a_link', org_id: 'org_a' },
      { id: 'org_b_link', org_id: 'org_b' },
    ]);

    // A session (or link) of one organization cannot name another's user or key.
    const refused = async (query: string) => {
      try {
        await sql(query);
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return 'accepted';
    };
    expect(
      await refused(
        `insert into user_session (id, org_id, user_id, csrf_token, last_seen_at, expires_at)
         values ('cross_s', 'org_b', 'org_a_usr', 'c', now(), now())`,
      ),
    ).toBe('23503');
    expect(
      await refused(
        `insert into user_session (id, org_id, key_id, csrf_token, last_seen_at, expires_at)
         values ('cross_k', 'org_b', 'org_a_key', 'c', now(), now())`,
      ),
    ).toBe('23503');
    expect(
      await refused(
        `insert into sign_in_token (id, org_id, user_id, purpose, expires_at)
         values ('cross_l', 'org_b', 'org_a_usr', 'reset', now())`,
      ),
    ).toBe('23503');
    // And deleting a user or revoking a key by deletion still takes their sessions and links.
    await sql(
      `insert into app_user (id, org_id, email, role) values ('gone', 'org_a', 'g@x', 'viewer')`,
    );
    await sql(
      `insert into user_session (id, org_id, user_id, csrf_token, last_seen_at, expires_at)
       values ('gone_s', 'org_a', 'gone', 'c', now(), now())`,
    );
    await sql(
      `insert into sign_in_token (id, org_id, user_id, purpose, expires_at)
       values ('gone_l', 'org_a', 'gone', 'reset', now())`,
    );
    await sql(`delete from app_user where org_id = 'org_a' and id = 'gone'`);
    expect(
      await sql(`select id from user_session where id = 'gone_s' union all
                 select id from sign_in_token where id = 'gone_l'`),
    ).toEqual([]);
    expect(await rows()).toEqual(before);
  });

  it('goes back down to keys by id, with every row, and up again', async () => {
    const orm = db.orm;
    const before = await rows();
    // Down through it (and whatever came after it).
    await orm.migrator.down({ to: ORG_KEYS });
    expect(await rows()).toEqual(before);
    expect(await primaryKeys()).toEqual(keyedBy('PRIMARY KEY (id)'));
    expect(await shape()).toEqual(shapeBefore);
    expect(
      await sql(
        `select 1 from information_schema.columns
          where table_name = 'sign_in_token' and column_name = 'org_id'`,
      ),
    ).toEqual([]);
    const [fk] = await sql<{ def: string }>(
      `select pg_get_constraintdef(oid) as def from pg_constraint
        where conname = 'user_session_user_id_foreign'`,
    );
    expect(fk?.def).toBe('FOREIGN KEY (user_id) REFERENCES app_user(id) ON DELETE CASCADE');

    await orm.migrator.up({ to: ORG_KEYS });
    expect(await rows()).toEqual(before);
    expect(await primaryKeys()).toEqual(keyedBy('PRIMARY KEY (org_id, id)'));
  });
});
