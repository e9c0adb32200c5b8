/**
 * The schema distributes by organization (issue 18, "Beyond one machine"): on Citus every
 * distributed table needs its distribution column, org_id, in its primary key, in its unique keys
 * and in its foreign keys to other distributed tables. Read from the catalog of a freshly
 * migrated database, so that a new table or key that breaks the rule fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestOrm } from './testing.js';

const db = useTestOrm('org_keys', { beforeAll, afterAll });

/**
 * Tables with no org_id, each for a reason; everything else must be an organization's.
 * - `organization`: the distribution key itself (its `id` is every other table's org_id), so it
 *   is distributed by `id`.
 * - `mikro_orm_migrations`: the migrator's bookkeeping, one row per migration for the whole
 *   database (on Citus a local table of the coordinator).
 */
const NOT_ORGANIZATIONS = ['organization', 'mikro_orm_migrations'];

/**
 * Unique keys that are global on purpose: they answer lookups that name no organization. Citus
 * cannot enforce them on a table distributed by org_id; distributed, they would move to a
 * reference table (hash or email → org_id), which this schema does not have yet.
 * - `api_key_key_hash_unique`: authenticating a request finds its key by the secret's hash.
 * - `app_user_email_unique`: signing in names an email, not an organization.
 */
const GLOBAL_UNIQUES = ['api_key_key_hash_unique', 'app_user_email_unique'];

async function sql<R>(query: string, params: unknown[] = []): Promise<R[]> {
  return db.orm.em.fork().getConnection().execute<R[]>(query, params, 'all');
}

/** Tables of the public schema, partitions left out (they take their parent's keys). */
const TABLES = `
  select c.oid, c.relname from pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
     and not c.relispartition`;

/** Every breach of the rule, as a sentence naming the table and the key. */
async function breaches(): Promise<string[]> {
  const found: string[] = [];
  const keys = await sql<{ table: string; kind: string; name: string | null; columns: string[] }>(
    `with t as (${TABLES})
     select t.relname as "table", 'primary key' as kind, k.conname as name,
            array(select a.attname::text from unnest(k.conkey) with ordinality as u(n, i)
                    join pg_attribute a on a.attrelid = t.oid and a.attnum = u.n
                   order by u.i) as columns
       from t left join pg_constraint k on k.conrelid = t.oid and k.contype = 'p'
     union all
     select t.relname, 'unique index', i.relname::text,
            array(select coalesce(a.attname::text, '(expression)')
                    from unnest(x.indkey::int2[]) with ordinality as u(n, j)
                    left join pg_attribute a on a.attrelid = t.oid and a.attnum = u.n
                   order by u.j)
       from t join pg_index x on x.indrelid = t.oid and x.indisunique and not x.indisprimary
       join pg_class i on i.oid = x.indexrelid
      order by 1, 2, 3`,
  );
  for (const k of keys) {
    if (NOT_ORGANIZATIONS.includes(k.table)) continue;
    if (k.kind === 'primary key' && k.name === null) {
      found.push(`${k.table} has no primary key`);
    } else if (k.kind === 'primary key' && k.columns[0] !== 'org_id') {
      found.push(`${k.table}: primary key (${k.columns.join(', ')}) does not begin with org_id`);
    } else if (
      k.kind === 'unique index' &&
      !k.columns.includes('org_id') &&
      !GLOBAL_UNIQUES.includes(k.name ?? '')
    ) {
      found.push(`${k.table}: unique index ${k.name} (${k.columns.join(', ')}) lacks org_id`);
    }
  }

  const orgless = (
    await sql<{ relname: string }>(
      `with t as (${TABLES})
       select t.relname from t
        where not exists (select 1 from pg_attribute a
                           where a.attrelid = t.oid and a.attname = 'org_id' and not a.attisdropped)
        order by 1`,
    )
  ).map((t) => t.relname);

  // Foreign keys: between two organizations' tables, org_id on both sides and paired (the
  // referencing org_id to the referenced one); onto organization, org_id → id. (One onto a table
  // without org_id, a reference table on Citus, needs neither.)
  const fks = await sql<{ name: string; from: string; to: string; pairs: string[] }>(
    `with t as (${TABLES})
     select k.conname as name, f.relname as "from", r.relname as "to",
            array(select fa.attname || '->' || ra.attname
                    from unnest(k.conkey, k.confkey) with ordinality as u(fn, rn, i)
                    join pg_attribute fa on fa.attrelid = k.conrelid and fa.attnum = u.fn
                    join pg_attribute ra on ra.attrelid = k.confrelid and ra.attnum = u.rn
                   order by u.i) as pairs
       from pg_constraint k
       join t f on f.oid = k.conrelid
       join t r on r.oid = k.confrelid
      where k.contype = 'f'
      order by 1`,
  );
  for (const fk of fks) {
    if (fk.to === 'organization') {
      if (fk.pairs.join() !== 'org_id->id') {
        found.push(`${fk.from}: ${fk.name} (${fk.pairs.join(', ')}) is not org_id -> id`);
      }
    } else if (
      !orgless.includes(fk.from) &&
      !orgless.includes(fk.to) &&
      !fk.pairs.includes('org_id->org_id')
    ) {
      found.push(`${fk.from}: ${fk.name} (${fk.pairs.join(', ')}) lacks org_id -> org_id`);
    }
  }

  for (const table of orgless) {
    if (!NOT_ORGANIZATIONS.includes(table)) found.push(`${table} has no org_id`);
  }
  return found;
}

describe('keys of a freshly migrated database', () => {
  it('lead every primary key with org_id and carry it in every foreign and unique key', async () => {
    expect(await breaches()).toEqual([]);
    // The rule is not vacuous: the tables that were keyed by id alone are among those read.
    const [row] = await sql<{ pk: string }>(
      `select pg_get_constraintdef(oid) as pk from pg_constraint where conname = 'app_user_pkey'`,
    );
    expect(row?.pk).toBe('PRIMARY KEY (org_id, id)');
  });

  it('finds a table without org_id, a key without it, and a foreign key that drops it', async () => {
    await sql(`create table stray (id text primary key)`);
    await sql(
      `create table stray_child (org_id text not null references organization (id), id text,
         user_id text, email text, primary key (id, org_id), unique (email))`,
    );
    await sql(
      `alter table stray_child add constraint stray_child_user_foreign
         foreign key (user_id, org_id) references app_user (id, org_id)`,
    );
    // Its foreign keys: one keeps org_id (in another column order), one drops it, one points at
    // the organization from another column, and one refers to a table without org_id.
    await sql(
      `create table stray_grandchild (org_id text not null, id text, child_id text,
         child_email text, stray_id text references stray (id), primary key (org_id, id),
         constraint stray_grandchild_child_foreign foreign key (child_id, org_id)
           references stray_child (id, org_id),
         constraint stray_grandchild_email_foreign foreign key (child_email)
           references stray_child (email),
         constraint stray_grandchild_org_foreign foreign key (child_id)
           references organization (id))`,
    );
    try {
      expect(await breaches()).toEqual([
        'stray: primary key (id) does not begin with org_id',
        'stray_child: primary key (id, org_id) does not begin with org_id',
        'stray_child: unique index stray_child_email_key (email) lacks org_id',
        'stray_grandchild: stray_grandchild_email_foreign (child_email->email) lacks org_id -> org_id',
        'stray_grandchild: stray_grandchild_org_foreign (child_id->id) is not org_id -> id',
        'stray has no org_id',
      ]);
    } finally {
      await sql('drop table stray_grandchild, stray_child, stray');
    }
  });
});
