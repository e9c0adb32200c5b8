/**
 * `reins users create|reset-password|list` against a database a running server uses, and the
 * first start's sign-in link (`pnpm start` prints it beside the admin key).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  initOrm,
  migrateUp,
  TEST_DB_TIMEOUT_MS,
  type Orm,
  type TestDatabase,
} from '@reins/db';
import { runCli } from '../src/cli.js';
import { defaultEnv, type ServerEnv } from '../src/env.js';
import { startServer, type RunningServer } from '../src/server.js';
import { request } from './harness.js';
import { spawnServer } from './processes.js';

let db: TestDatabase;
let orm: Orm;
let env: ServerEnv;
let server: RunningServer;

beforeAll(async () => {
  db = await createTestDatabase('auth_cli');
  orm = await initOrm(db.url, { maxConnections: db.maxConnections });
  await migrateUp(orm);
  env = defaultEnv({
    DATABASE_URL: db.url,
    REINS_DB_POOL: db.maxConnections,
    REINS_KEY_ENV: 'test',
    LOG_LEVEL: 'silent',
    REINS_SESSION_CACHE_MS: 0,
  });
  server = await startServer(
    { ...env, PORT: 0 },
    { db: { orm, mode: 'postgres', close: () => orm.close() } },
  );
}, TEST_DB_TIMEOUT_MS);

afterAll(async () => {
  await server.close();
  await orm.close();
  await db.drop();
}, TEST_DB_TIMEOUT_MS);

async function reins(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

const LINK = /(https?:\/\/\S+\/sign-in\/link#token=([A-Za-z0-9_-]{43}))/;

function redeem(token: string, password: string) {
  return request<{ session: { user: { email: string; role: string } } }>(
    server.url,
    'POST',
    '/api/auth/link',
    { token, password },
    { key: null },
  );
}

describe('reins users create', () => {
  it('creates a user and prints a one-time link on http://127.0.0.1:<PORT> that signs them in', async () => {
    const run = await reins([
      'users',
      'create',
      '--email',
      'Ed@Example.com',
      '--role',
      'editor',
      '--name',
      'Ed',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Created editor ed@example.com');
    const [, link = '', token = ''] = LINK.exec(run.stdout) ?? [];
    expect(link.startsWith(`http://127.0.0.1:${String(env.PORT)}/sign-in/link#token=`)).toBe(true);
    const [row] = await orm.em
      .fork()
      .getConnection()
      .execute<{ role: string; password_hash: string | null }[]>(
        `select role, password_hash from app_user where email = 'ed@example.com'`,
      );
    expect(row).toEqual({ role: 'editor', password_hash: null });
    const res = await redeem(token, 'a password of Ed');
    expect(res.status).toBe(200);
    expect(res.body.session.user).toMatchObject({ email: 'ed@example.com', role: 'editor' });
  });

  it('takes --url for the link and answers --json', async () => {
    const run = await reins([
      'users',
      'create',
      '--email',
      'vi@example.com',
      '--role',
      'viewer',
      '--url',
      'https://reins.example.com/',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as {
      user: { email: string; role: string };
      signInLink: string;
    };
    expect(out.user).toMatchObject({ email: 'vi@example.com', role: 'viewer' });
    expect(out.signInLink).toMatch(/^https:\/\/reins\.example\.com\/sign-in\/link#token=/);
  });

  it('refuses bad usage with exit 2 before opening the database', async () => {
    for (const args of [
      ['users', 'create', '--email', 'x@example.com'],
      ['users', 'create', '--email', 'x@example.com', '--role', 'owner'],
      ['users', 'create', '--email', 'not-an-email', '--role', 'viewer'],
      ['users', 'create', '--email', 'x@example.com', '--role', 'viewer', '--url', 'ftp://x'],
    ]) {
      const run = await reins(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/reins: .*\nRun `pnpm reins users create --help` for usage/);
    }
    const dup = await reins(['users', 'create', '--email', 'ED@example.com', '--role', 'viewer']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already exists');
  });

  it('asks for --org when there are several organizations', async () => {
    const org = await reins(['orgs', 'create', '--name', 'Second', '--json']);
    const { orgId } = JSON.parse(org.stdout) as { orgId: string };
    const run = await reins(['users', 'create', '--email', 'two@example.com', '--role', 'viewer']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--org');
    const ok = await reins([
      'users',
      'create',
      '--email',
      'two@example.com',
      '--role',
      'viewer',
      '--org',
      orgId,
    ]);
    expect(ok.code).toBe(0);
  });
});

describe('reins users reset-password', () => {
  it("ends the user's password and sessions and prints a new link; the old link is dead", async () => {
    const created = await reins([
      'users',
      'create',
      '--email',
      'r@example.com',
      '--role',
      'viewer',
      '--org',
      await firstOrg(),
    ]);
    const oldToken = LINK.exec(created.stdout)?.[2] ?? '';
    const first = await redeem(oldToken, 'first password!!');
    expect(first.status).toBe(200);
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

    const run = await reins(['users', 'reset-password', '--email', 'R@example.com']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Reset the password of r@example.com');
    const token = LINK.exec(run.stdout)?.[2] ?? '';
    expect(token).not.toBe(oldToken);
    const session = await request(server.url, 'GET', '/api/auth/session', undefined, {
      key: null,
      headers: { cookie },
    });
    expect(session.status).toBe(401);
    const login = await request(
      server.url,
      'POST',
      '/api/auth/login',
      { email: 'r@example.com', password: 'first password!!' },
      { key: null },
    );
    expect(login.status).toBe(401);
    expect((await redeem(token, 'second password!')).status).toBe(200);

    const unknown = await reins(['users', 'reset-password', '--email', 'nobody@example.com']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('not found');
  });
});

describe('reins users list', () => {
  it('lists users with their role and status', async () => {
    const run = await reins(['users', 'list']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(/^ID\s+ORG\s+EMAIL\s+NAME\s+ROLE\s+STATUS/);
    expect(run.stdout).toMatch(/ed@example\.com\s+Ed\s+editor\s+active/);
    const json = JSON.parse((await reins(['users', 'list', '--json'])).stdout) as {
      users: { email: string }[];
    };
    expect(json.users.map((u) => u.email)).toContain('admin@localhost');
  });
});

async function firstOrg(): Promise<string> {
  const out = JSON.parse((await reins(['orgs', 'list', '--json'])).stdout) as {
    organizations: { id: string }[];
  };
  return out.organizations[0]?.id ?? '';
}

describe('first start', () => {
  it('prints a one-time sign-in link for the first admin beside the admin key', async () => {
    const fresh = await createTestDatabase('auth_first_start');
    try {
      const proc = await spawnServer({
        DATABASE_URL: fresh.url,
        REINS_ADMIN_EMAIL: 'boss@example.com',
        REINS_WORKER: 'off',
      });
      try {
        for (let i = 0; i < 100 && !proc.output().includes('#token='); i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        const out = proc.output();
        expect(out).toMatch(/admin API key \(shown once\):\n\s+rk_live_\w+/);
        expect(out).toContain('Sign in to the dashboard as boss@example.com');
        const link = new RegExp(
          `Sign in to the dashboard: ${proc.url.replace(/[.]/g, '\\.')}/sign-in/link#token=([A-Za-z0-9_-]{43})`,
        ).exec(out);
        expect(link).not.toBeNull();
        const res = await request<{ session: { user: { email: string; role: string } } }>(
          proc.url,
          'POST',
          '/api/auth/link',
          { token: link?.[1] ?? '', password: 'the boss password' },
          { key: null },
        );
        expect(res.status).toBe(200);
        expect(res.body.session.user).toMatchObject({ email: 'boss@example.com', role: 'admin' });
      } finally {
        await proc.stop();
      }
    } finally {
      await fresh.drop();
    }
  });
});
