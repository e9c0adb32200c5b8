/**
 * `pnpm reins …` run in-process (runCli) against this file's own database, given to the CLI as
 * DATABASE_URL the way a user would.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  initOrm,
  migrateUp,
  TEST_DB_TIMEOUT_MS,
  testServerUrl,
  type Orm,
  type TestDatabase,
} from '@reins/db';
import { runCli } from '../src/cli.js';
import { defaultEnv, type ServerEnv } from '../src/env.js';
import { Unauthorized } from '../src/errors.js';
import { Authenticator } from '../src/machinery/authenticator.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

// The CLI opens connections of its own (and one more for the migration lock) beside this file's:
// embedded PGlite is one connection, so without a real server only the data-directory lock test
// runs (the embedded database is the CLI's own there).
const realPostgres = testServerUrl() !== undefined;

let db: TestDatabase;
let orm: Orm;
let env: ServerEnv;

beforeAll(async () => {
  if (!realPostgres) return;
  db = await createTestDatabase('cli');
  orm = await initOrm(db.url, { maxConnections: db.maxConnections });
  await migrateUp(orm);
  env = cliEnv(db);
}, TEST_DB_TIMEOUT_MS);

afterAll(async () => {
  if (!realPostgres) return;
  await orm.close();
  await db.drop();
}, TEST_DB_TIMEOUT_MS);

function cliEnv(database: TestDatabase, overrides: Partial<ServerEnv> = {}): ServerEnv {
  return defaultEnv({
    DATABASE_URL: database.url,
    REINS_DB_POOL: database.maxConnections,
    REINS_KEY_ENV: 'test',
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function reins(args: string[], opts: { env?: ServerEnv; now?: number } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env: opts.env ?? env,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    clock: () => opts.now ?? T0,
  });
  return { code, stdout, stderr };
}

/** Runs a command with --json and parses its output; fails the test on a non-zero exit. */
async function reinsJson<T>(args: string[], opts: { now?: number } = {}): Promise<T> {
  const run = await reins([...args, '--json'], opts);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
}

async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []) {
  const rows: unknown = await orm.em.fork().getConnection().execute(query, params, 'all');
  return rows as T[];
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

interface CreatedOrg {
  orgId: string;
  name: string;
  key: { id: string; key: string; keyMasked: string; permissions: string[] };
}

interface CreatedKey {
  orgId: string;
  id: string;
  name: string;
  key: string;
  keyMasked: string;
  permissions: string[];
}

async function newOrg(name = 'Acme'): Promise<CreatedOrg> {
  return reinsJson<CreatedOrg>(['orgs', 'create', '--name', name]);
}

/** What the server would make of `Authorization: Bearer <key>`. */
function authenticate(key: string) {
  return new Authenticator(orm, 0, Date.now).authenticate(`Bearer ${key}`);
}

describe.skipIf(!realPostgres)('reins migrate', () => {
  it('applies the pending migrations of a fresh database and names them, then has none left', async () => {
    const fresh = await createTestDatabase('cli_migrate');
    try {
      const first = await reins(['migrate'], { env: cliEnv(fresh) });
      expect(first.code).toBe(0);
      const names = first.stdout.match(/Migration\d{14}_\w+/g) ?? [];
      expect(names.length).toBeGreaterThan(0);
      expect(first.stdout).toContain(`Applied ${names.length} migration`);
      expect(names).toContain('Migration20261125205025_init');

      const again = await reins(['migrate', '--json'], { env: cliEnv(fresh) });
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toEqual({ applied: [], xidShift: null });
      expect((await reins(['migrate'], { env: cliEnv(fresh) })).stdout).toBe(
        'The database schema is up to date.\n',
      );
    } finally {
      await fresh.drop();
    }
  });

  it('shifts the audit ids past those of a history restored from another cluster, and says so', async () => {
    const fresh = await createTestDatabase('cli_migrate_restored');
    try {
      expect((await reins(['migrate'], { env: cliEnv(fresh) })).code).toBe(0);
      // What a restore leaves: ids (here a rollup cursor's) ahead of this cluster's counter.
      const restored = await initOrm(fresh.url, { maxConnections: 1 });
      try {
        const conn = restored.em.getConnection();
        await conn.execute(`insert into organization (id, name) values ('org_restored', 'r')`);
        await conn.execute(
          `insert into rollup_cursor (org_id, xid, pos)
           values ('org_restored', (pg_current_xact_id()::text::bigint + 1000000)::text::xid8, 1)`,
        );
      } finally {
        await restored.close();
      }
      const run = await reins(['migrate'], { env: cliEnv(fresh) });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /^The database schema is up to date\.\nAudit event ids were behind the stored ones .*: new ids are shifted by \d{7,} \(was 0\)\.\n$/,
      );
      const again = await reins(['migrate', '--json'], { env: cliEnv(fresh) });
      expect(JSON.parse(again.stdout)).toEqual({ applied: [], xidShift: null });
    } finally {
      await fresh.drop();
    }
  });
});

describe.skipIf(!realPostgres)('reins orgs create', () => {
  it('prints the organization id and an admin key once, stored only as its SHA-256', async () => {
    const run = await reins(['orgs', 'create', '--name', 'Acme Inc']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const orgId = /Created organization (org_\w+)/.exec(run.stdout)?.[1];
    const key = /\b(rk_test_[A-Za-z0-9]{32})\b/.exec(run.stdout)?.[1];
    expect(orgId).toBeDefined();
    expect(key).toBeDefined();
    if (!orgId || !key) return;
    expect(run.stdout.split(key).length - 1).toBe(1);

    const [org] = await sql<{ name: string; time_zone: string; default_action: string }>(
      'select name, time_zone, default_action from organization where id = ?',
      [orgId],
    );
    expect(org).toEqual({ name: 'Acme Inc', time_zone: 'UTC', default_action: 'pass' });
    const keys = await sql<{ key_hash: string; permissions: string[]; name: string }>(
      'select key_hash, permissions, name from api_key where org_id = ?',
      [orgId],
    );
    expect(keys).toEqual([{ key_hash: sha256(key), permissions: ['*'], name: 'admin' }]);
    // The secret itself is nowhere in the database.
    const [dump] = await sql<{ n: number }>(
      `select count(*)::int as n from api_key where key_masked like ? or key_hash = ?`,
      [`%${key.slice(8, 20)}%`, key],
    );
    expect(dump?.n).toBe(0);

    // The server accepts it as an admin key of that organization.
    expect(await authenticate(key)).toMatchObject({ orgId, permissions: ['*'] });
  });

  it('records the creation in the audit log with actor cli', async () => {
    const created = await newOrg('Audited');
    const events = await sql<{ event_type: string; actor: string; entity_id: string }>(
      'select event_type, actor, entity_id from audit_event where org_id = ? order by event_type',
      [created.orgId],
    );
    expect(events).toEqual([
      { event_type: 'api_key.created', actor: 'cli', entity_id: created.key.id },
      { event_type: 'organization.created', actor: 'cli', entity_id: created.orgId },
    ]);
  });

  it('stores the time zone, default action and budgets given', async () => {
    const created = await reinsJson<CreatedOrg>([
      'orgs',
      'create',
      '--name',
      'Berlin',
      '--time-zone',
      'Europe/Berlin',
      '--default-action',
      'block',
      '--monthly-budget-cents',
      '500000',
      '--daily-budget-cents',
      '2500',
    ]);
    const [org] = await sql(
      `select time_zone, default_action, monthly_budget_cents::int as monthly,
              daily_budget_cents::int as daily, hourly_budget_cents as hourly
         from organization where id = ?`,
      [created.orgId],
    );
    expect(org).toEqual({
      time_zone: 'Europe/Berlin',
      default_action: 'block',
      monthly: 500000,
      daily: 2500,
      hourly: null,
    });
    // The organization as GET /api/org shows it.
    const listed = await reinsJson<{ organizations: Record<string, unknown>[] }>(['orgs', 'list']);
    expect(listed.organizations.find((o) => o.id === created.orgId)).toMatchObject({
      hourlyBudgetCents: null,
      dailyBudgetCents: 2500,
      weeklyBudgetCents: null,
      monthlyBudgetCents: 500000,
      policyVersion: 0,
    });
  });

  it.each([
    [['--time-zone', 'Mars/Olympus'], '--time-zone "Mars/Olympus" is not an IANA time zone'],
    [['--default-action', 'allow'], '--default-action must be pass or block'],
    [['--monthly-budget-cents', '12.50'], '--monthly-budget-cents must be a whole number'],
    [['--monthly-budget-cents', '-1'], '--monthly-budget-cents'],
  ])('rejects %j with exit status 2 and creates nothing', async (extra, message) => {
    const before = await sql<{ n: number }>('select count(*)::int as n from organization');
    const run = await reins(['orgs', 'create', '--name', 'Bad', ...extra]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(await sql('select count(*)::int as n from organization')).toEqual(before);
  });

  it('lists the organizations it created', async () => {
    const a = await newOrg('Listed A');
    const run = await reins(['orgs', 'list']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ID\s+NAME\s+TIME ZONE/);
    expect(run.stdout).toContain(a.orgId);
    expect(run.stdout).toContain('Listed A');
  });
});

describe.skipIf(!realPostgres)('reins orgs update', () => {
  it('changes the settings named, audits it as the cli, and bumps the policy version', async () => {
    const org = await newOrg('Budgeted');
    const out = await reinsJson<{ org: { dailyBudgetCents: number | null; timeZone: string } }>([
      'orgs',
      'update',
      org.orgId,
      '--daily-budget-cents',
      '10000',
      '--time-zone',
      'Europe/Berlin',
    ]);
    expect(out.org).toMatchObject({ dailyBudgetCents: 10_000, timeZone: 'Europe/Berlin' });
    const cleared = await reinsJson<{ org: { dailyBudgetCents: number | null } }>([
      'orgs',
      'update',
      org.orgId,
      '--daily-budget-cents',
      'none',
    ]);
    expect(cleared.org.dailyBudgetCents).toBeNull();
    const events = await sql<{ actor: string; metadata: { changed: string[] } }>(
      "select actor, metadata from audit_event where org_id = ? and event_type = 'organization.updated' order by pos",
      [org.orgId],
    );
    expect(events.map((e) => [e.actor, e.metadata.changed])).toEqual([
      ['cli', ['timeZone', 'dailyBudgetCents']],
      ['cli', ['dailyBudgetCents']],
    ]);
    const [row] = await sql<{ policy_version: string }>(
      'select policy_version from organization where id = ?',
      [org.orgId],
    );
    expect(Number(row?.policy_version)).toBe(2);
  });

  it('refuses bad values as usage errors naming the option, and unknown organizations as failures', async () => {
    const org = await newOrg('Strict CLI');
    const tz = await reins(['orgs', 'update', org.orgId, '--time-zone', 'Mars/Base']);
    expect(tz.code).toBe(2);
    expect(tz.stderr).toContain('--time-zone');
    const cents = await reins(['orgs', 'update', org.orgId, '--weekly-budget-cents', '-3']);
    expect(cents.code).toBe(2);
    expect(cents.stderr).toContain('--weekly-budget-cents');
    const nothing = await reins(['orgs', 'update', org.orgId]);
    expect(nothing.code).toBe(2);
    const missing = await reins(['orgs', 'update', 'org_nope', '--name', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('org_nope');
  });
});

describe.skipIf(!realPostgres)('reins keys', () => {
  it('creates a key with exactly the permissions asked for, shown once', async () => {
    const org = await newOrg();
    const run = await reins([
      'keys',
      'create',
      '--org',
      org.orgId,
      '--name',
      'ingest',
      '--permissions',
      'transactions:write, transactions:read,transactions:write',
    ]);
    expect(run.code).toBe(0);
    const key = /\b(rk_test_[A-Za-z0-9]{32})\b/.exec(run.stdout)?.[1] ?? '';
    expect(run.stdout.split(key).length - 1).toBe(1);
    const [row] = await sql<{ id: string; key_hash: string; permissions: string[] }>(
      `select id, key_hash, permissions from api_key where org_id = ? and name = 'ingest'`,
      [org.orgId],
    );
    expect(row?.key_hash).toBe(sha256(key));
    expect(row?.permissions).toEqual(['transactions:write', 'transactions:read']);
    expect(await authenticate(key)).toMatchObject({
      orgId: org.orgId,
      keyId: row?.id,
      permissions: ['transactions:write', 'transactions:read'],
    });
    const [event] = await sql<{ actor: string; metadata: { permissions: string[] } }>(
      `select actor, metadata from audit_event where event_type = 'api_key.created' and entity_id = ?`,
      [row?.id],
    );
    expect(event).toMatchObject({
      actor: 'cli',
      metadata: { permissions: ['transactions:write', 'transactions:read'] },
    });
  });

  it('rejects an unknown permission with exit status 2, naming it and the valid ones', async () => {
    const org = await newOrg();
    const run = await reins([
      'keys',
      'create',
      '--org',
      org.orgId,
      '--name',
      'x',
      '--permissions',
      'transactions:read,transactions:delete',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown permission "transactions:delete"');
    expect(run.stderr).toContain('policies:write');
    expect(
      await sql('select id from api_key where org_id = ? and name = ?', [org.orgId, 'x']),
    ).toEqual([]);
  });

  it('fails with exit status 1 for an organization that does not exist', async () => {
    const run = await reins([
      'keys',
      'create',
      '--org',
      'org_doesNotExist000',
      '--name',
      'x',
      '--permissions',
      '*',
    ]);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'reins: Organization "org_doesNotExist000" not found\n',
    });
    expect((await reins(['keys', 'list', '--org', 'org_doesNotExist000'])).code).toBe(1);
  });

  it('revokes a key: revokedAt is set, the server refuses it, the audit log says cli', async () => {
    const org = await newOrg();
    const k = await reinsJson<CreatedKey>([
      'keys',
      'create',
      '--org',
      org.orgId,
      '--name',
      'to-revoke',
      '--permissions',
      'policies:read',
    ]);
    await expect(authenticate(k.key)).resolves.toMatchObject({ keyId: k.id });

    const at = T0 + 60_000;
    const run = await reins(['keys', 'revoke', k.id], { now: at });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `Revoked API key ${k.id} ("to-revoke", ${k.keyMasked}) of ${org.orgId}.\n`,
    );
    const [row] = await sql<{ revoked_at: string }>('select revoked_at from api_key where id = ?', [
      k.id,
    ]);
    // Raw SQL through MikroORM returns timestamptz as text.
    expect(new Date(row?.revoked_at ?? 0).toISOString()).toBe(new Date(at).toISOString());
    await expect(authenticate(k.key)).rejects.toBeInstanceOf(Unauthorized);
    const events = await sql<{ actor: string; org_id: string }>(
      `select actor, org_id from audit_event where event_type = 'api_key.revoked' and entity_id = ?`,
      [k.id],
    );
    expect(events).toEqual([{ actor: 'cli', org_id: org.orgId }]);

    // Again: nothing changes, and it says so.
    const again = await reins(['keys', 'revoke', k.id, '--org', org.orgId], { now: at + 1000 });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`already revoked at ${new Date(at).toISOString()}`);
    expect(
      await sql(
        `select id from audit_event where event_type = 'api_key.revoked' and entity_id = ?`,
        [k.id],
      ),
    ).toHaveLength(1);

    const listed = await reinsJson<{
      keys: { id: string; isActive: boolean; revokedAt: string }[];
    }>(['keys', 'list', '--org', org.orgId]);
    expect(listed.keys.find((x) => x.id === k.id)).toMatchObject({
      isActive: false,
      revokedAt: new Date(at).toISOString(),
    });
  });

  it('does not revoke a key of another organization when --org is given', async () => {
    const a = await newOrg('A');
    const b = await newOrg('B');
    const run = await reins(['keys', 'revoke', a.key.id, '--org', b.orgId]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`reins: API key "${a.key.id}" not found\n`);
    await expect(authenticate(a.key.key)).resolves.toMatchObject({ orgId: a.orgId });
    expect((await reins(['keys', 'revoke', 'key_nope'])).code).toBe(1);
  });

  it('lists keys masked, never the secret', async () => {
    const org = await newOrg();
    const run = await reins(['keys', 'list', '--org', org.orgId]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ID\s+NAME\s+KEY\s+PERMISSIONS\s+STATUS/);
    expect(run.stdout).toContain(org.key.keyMasked);
    expect(run.stdout).toContain('active');
    expect(run.stdout).not.toContain(org.key.key);
  });
});

describe.skipIf(!realPostgres)('reins usage', () => {
  it('prints help, mentioning that an embedded database allows one process', async () => {
    const run = await reins(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: pnpm reins <command>');
    expect(run.stdout).toContain('keys revoke');
    expect(run.stdout).toContain('only one process at a time');
    const sub = await reins(['keys', 'create', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--permissions <list>');
  });

  it.each([
    [[], ''],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['keys', 'rotate'], 'unknown command "keys rotate"; try "keys create"'],
    [['orgs', 'create'], 'missing --name'],
    [['orgs', 'create', '--name'], "Option '--name <value>' argument missing"],
    [['orgs', 'list', '--verbose'], "Unknown option '--verbose'"],
    [['keys', 'revoke'], 'missing <keyId>'],
    [['keys', 'revoke', 'a', 'b'], 'unexpected argument "b"'],
    [['keys', 'create', '--org', 'o', '--name', 'n'], 'missing --permissions'],
  ])('exits with status 2 on %j', async (args, message) => {
    const run = await reins(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('ignores the "--" pnpm may put before the arguments', async () => {
    const run = await reins(['--', 'orgs', 'list', '--json']);
    expect(run.code).toBe(0);
  });
});

describe('reins on an embedded database in use', () => {
  it('refuses to open it while another live process holds the lock, without touching it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'reins-cli-lock-'));
    try {
      const holder = { pid: process.ppid, host: 'elsewhere', since: '2026-03-01T00:00:00.000Z' };
      const lock = join(dataDir, 'pgdata.lock');
      await writeFile(lock, JSON.stringify({ ...holder, command: 'server' }));
      const run = await reins(['orgs', 'list'], {
        env: defaultEnv({ REINS_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }),
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `The embedded database is in use by process ${holder.pid} on elsewhere (server, since ${holder.since})`,
      );
      expect(run.stderr).toContain(lock);
      // The lock is the holder's still.
      expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({ pid: holder.pid });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
