/**
 * Keys and secrets never appear in logs, error bodies or audit metadata (issue 18): a server
 * process logging at `trace` runs key creation, webhook and Slack channels with their secrets,
 * sign-in links, passwords and sessions, right and wrong; then its log output, every response
 * body and the audit log are searched for every secret value. Only the one response that shows a
 * secret to its creator (a new key, a channel's new signing secret, a sign-in link) may hold it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTRPCClient, httpLink } from '@trpc/client';
import superjson from 'superjson';
import { createTestDatabase, initOrm, testServerUrl, type Orm, type TestDatabase } from '@reins/db';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import { ADMIN_KEY, request, type Reply } from './harness.js';
import { spawnServer, type ServerProcess } from './processes.js';

// The server runs as its own process (its real logger on stdout): that needs a real PostgreSQL.
const realPostgres = testServerUrl() !== undefined;

interface Seen {
  what: string;
  status: number;
  text: string;
  /** The secrets this response exists to show (once). */
  reveals: string[];
}

describe.skipIf(!realPostgres)('secrets in logs, error bodies and the audit log', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let orm: Orm;
  /** Where the startup banner (the bootstrap key and link, shown once by design) ends. */
  let logStart = 0;
  const seen: Seen[] = [];
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    db = await createTestDatabase('secrets');
    server = await spawnServer({
      DATABASE_URL: db.url,
      REINS_BOOTSTRAP_KEY: ADMIN_KEY,
      REINS_KEY_ENV: 'test',
      LOG_LEVEL: 'trace',
      REINS_RATE_LIMIT_RPS: '0',
    });
    orm = await initOrm(db.url, { maxConnections: 2 });
    expect((await request(server.url, 'GET', '/health', undefined, { key: null })).status).toBe(
      200,
    );
    logStart = server.output().length;
  }, 300_000);

  afterAll(async () => {
    await orm.close();
    await server.stop();
    await db.drop();
  }, 300_000);

  /** A secret to search for, under a name that says what it is. */
  const secret = (name: string, value: string) => {
    expect(value.length, name).toBeGreaterThanOrEqual(8);
    secrets.set(name, value);
    return value;
  };

  async function call<T = Record<string, unknown>>(
    what: string,
    method: string,
    path: string,
    body?: unknown,
    opts: { key?: string | null; headers?: Record<string, string>; reveals?: string[] } = {},
  ): Promise<Reply<T>> {
    const res = await request<T>(server.url, method, path, body, opts);
    seen.push({ what, status: res.status, text: res.text, reveals: opts.reveals ?? [] });
    return res;
  }

  const trpc = (key: string) =>
    createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url: `${server.url}/trpc`,
          transformer: superjson,
          headers: { authorization: `Bearer ${key}` },
        }),
      ],
    });

  it('runs keys, channels, sign-ins and passwords through the server', async () => {
    // API keys: created over REST and tRPC, used, used wrongly, revoked, then used again.
    const made = await call<{ id: string; key: string }>('create key', 'POST', '/api/keys', {
      name: 'ci',
      permissions: ['transactions:write', 'transactions:read'],
    });
    expect(made.status).toBe(201);
    const key = secret('REST key', made.body.key);
    seen[seen.length - 1]?.reveals.push(
      key,
      secret('REST key secret part', key.split('_')[2] ?? ''),
    );
    const viaTrpc = await trpc(ADMIN_KEY).keys.create.mutate({
      name: 'trpc',
      permissions: ['keys:admin'],
    });
    const trpcKey = secret('tRPC key', viaTrpc.key);
    secret('tRPC key secret part', trpcKey.split('_')[2] ?? '');
    expect(
      (
        await call(
          'use key',
          'POST',
          '/api/v1/transactions',
          { amount: 1, vendor: 'openai' },
          {
            key,
          },
        )
      ).status,
    ).toBe(202);
    // Refused for want of a permission: the 403 names the permission, not the key.
    expect(
      (await call('key lacks permission', 'GET', '/api/keys', undefined, { key })).status,
    ).toBe(403);
    // A wrong key of the right shape, a key sent in a body field, a key in a query string.
    const wrong = secret('unknown key', `rk_test_${'Z'.repeat(31)}Q`);
    expect((await call('unknown key', 'GET', '/api/keys', undefined, { key: wrong })).status).toBe(
      401,
    );
    expect(
      (await call('key in a body field', 'POST', '/api/keys', { name: key, permissions: ['x'] }))
        .status,
    ).toBe(422);
    expect(
      (
        await call('key in a query', 'GET', `/api/v1/transactions?apiKey=${key}`, undefined, {
          key,
        })
      ).status,
    ).toBe(422);
    expect(
      (
        await call(
          'sign in with a wrong key',
          'POST',
          '/api/auth/login',
          { apiKey: wrong },
          {
            key: null,
          },
        )
      ).status,
    ).toBe(401);
    const keyLogin = await call<{ session: unknown }>(
      'sign in with a key',
      'POST',
      '/api/auth/login',
      { apiKey: key },
      { key: null },
    );
    expect(keyLogin.status).toBe(200);
    secret('key session token', sessionToken(keyLogin));
    expect(
      (await call('revoke key', 'DELETE', `/api/keys/${made.body.id}`, undefined)).status,
    ).toBe(200);
    expect(
      (await call('revoked key', 'GET', '/api/v1/transactions', undefined, { key })).status,
    ).toBe(401);

    // Webhook channels: a secret given, one generated, one given in an update, one rotated;
    // a Slack channel, whose URL is itself a credential.
    const given = secret('webhook secret given', 'whsec_given_0123456789abcdef');
    const hook = await call<{ channel: { id: string; secret?: string } }>(
      'create webhook',
      'POST',
      '/api/notification-channels',
      { name: 'hook', type: 'webhook', url: 'https://hooks.example.com/reins', secret: given },
      { reveals: [given] },
    );
    expect(hook.status).toBe(201);
    const generated = await call<{ channel: { id: string; secret: string } }>(
      'create webhook, secret generated',
      'POST',
      '/api/notification-channels',
      { name: 'hook 2', type: 'webhook', url: 'https://hooks.example.com/two' },
    );
    expect(generated.status).toBe(201);
    seen[seen.length - 1]?.reveals.push(
      secret('webhook secret generated', generated.body.channel.secret),
    );
    const updated = secret('webhook secret updated', 'whsec_updated_fedcba9876543210');
    expect(
      (
        await call(
          'update webhook secret',
          'PUT',
          `/api/notification-channels/${hook.body.channel.id}`,
          { secret: updated },
          { reveals: [updated] },
        )
      ).status,
    ).toBe(200);
    const rotated = await call<{ channel: { secret: string } }>(
      'rotate webhook secret',
      'PUT',
      `/api/notification-channels/${generated.body.channel.id}`,
      { rotateSecret: true },
    );
    expect(rotated.status).toBe(200);
    seen[seen.length - 1]?.reveals.push(
      secret('webhook secret rotated', rotated.body.channel.secret),
    );
    // Refused updates carrying a secret: too short, and combined with a rotation.
    const short = secret('webhook secret too short', 'short-secret');
    expect(
      (
        await call(
          'too short a secret',
          'PUT',
          `/api/notification-channels/${hook.body.channel.id}`,
          {
            secret: short,
          },
        )
      ).status,
    ).toBe(422);
    const refused = secret('webhook secret refused', 'whsec_refused_00112233445566');
    expect(
      (
        await call(
          'secret and rotation',
          'PUT',
          `/api/notification-channels/${hook.body.channel.id}`,
          { secret: refused, rotateSecret: true },
        )
      ).status,
    ).toBe(422);
    const slackUrl = secret(
      'Slack webhook URL',
      'https://hooks.slack.com/services/T0SECRET/B0SECRET/xoxSecretPart0123456789',
    );
    expect(
      (
        await call(
          'create Slack channel',
          'POST',
          '/api/notification-channels',
          { name: 'slack', type: 'slack', url: slackUrl },
          { reveals: [slackUrl] },
        )
      ).status,
    ).toBe(201);
    expect((await call('list channels', 'GET', '/api/notification-channels')).status).toBe(200);
    expect(
      (await call('get channel', 'GET', `/api/notification-channels/${hook.body.channel.id}`))
        .status,
    ).toBe(200);

    // Dashboard users: a one-time link, a password chosen, signed in, changed, mistyped.
    const admin = trpc(ADMIN_KEY);
    const created = await admin.users.create.mutate({ email: 'ann@example.com', role: 'viewer' });
    const linkToken = secret('sign-in link token', created.signInLink.split('#token=')[1] ?? '');
    const first = secret('first password', 'first password of ann, long enough');
    const wrongLink = secret('wrong link token', 'not-a-real-link-token-0123456789');
    expect(
      (
        await call(
          'redeem a wrong link',
          'POST',
          '/api/auth/link',
          {
            token: wrongLink,
            password: first,
          },
          { key: null },
        )
      ).status,
    ).toBe(401);
    expect(
      (
        await call(
          'redeem with too short a password',
          'POST',
          '/api/auth/link',
          {
            token: linkToken,
            password: secret('too short a password', 'short pw'),
          },
          { key: null },
        )
      ).status,
    ).toBe(422);
    const redeemed = await call(
      'redeem link',
      'POST',
      '/api/auth/link',
      {
        token: linkToken,
        password: first,
      },
      { key: null },
    );
    expect(redeemed.status).toBe(200);
    secret('link session token', sessionToken(redeemed));
    const mistyped = secret('mistyped password', 'first password of ann, mistyped');
    expect(
      (
        await call(
          'sign in, wrong password',
          'POST',
          '/api/auth/login',
          {
            email: 'ann@example.com',
            password: mistyped,
          },
          { key: null },
        )
      ).status,
    ).toBe(401);
    const login = await call<{ session: { csrfToken: string } }>(
      'sign in',
      'POST',
      '/api/auth/login',
      { email: 'ann@example.com', password: first },
      { key: null },
    );
    expect(login.status).toBe(200);
    const token = secret('password session token', sessionToken(login));
    const asAnn = {
      key: null,
      headers: { cookie: `reins_session=${token}`, 'x-reins-csrf': login.body.session.csrfToken },
    };
    expect((await call('session', 'GET', '/api/auth/session', undefined, asAnn)).status).toBe(200);
    const second = secret('second password', 'second password of ann, long enough');
    expect(
      (
        await call(
          'change password, wrong current',
          'POST',
          '/api/auth/password',
          {
            currentPassword: mistyped,
            newPassword: second,
          },
          asAnn,
        )
      ).status,
    ).toBe(422);
    expect(
      (
        await call(
          'change password',
          'POST',
          '/api/auth/password',
          {
            currentPassword: first,
            newPassword: second,
          },
          asAnn,
        )
      ).status,
    ).toBe(204);
    // Signed out: the session has ended. And a cookie that never was one.
    expect((await call('sign out', 'POST', '/api/auth/logout', undefined, asAnn)).status).toBe(204);
    expect((await call('ended session', 'GET', '/api/auth/session', undefined, asAnn)).status).toBe(
      401,
    );
    const forged = secret('forged session token', 'forgedSessionToken0123456789abcdef');
    expect(
      (
        await call('forged session', 'GET', '/api/auth/session', undefined, {
          key: null,
          headers: { cookie: `reins_session=${forged}` },
        })
      ).status,
    ).toBe(401);
    const reset = await admin.users.resetPassword.mutate({ id: created.user.id });
    secret('reset link token', reset.signInLink.split('#token=')[1] ?? '');

    // What an operator reads back: the audit log, as JSON and CSV, and the key list.
    expect((await call('audit log', 'GET', '/api/v1/audit-log?limit=100')).status).toBe(200);
    expect((await call('audit CSV', 'GET', '/api/v1/audit-log/csv')).status).toBe(200);
    expect((await call('key list', 'GET', '/api/keys')).status).toBe(200);
  });

  it('finds no secret in the log output, whatever the level', () => {
    const log = server.output().slice(logStart);
    // The run was logged at all: per-request lines at trace level.
    expect(log).toContain('incoming request');
    expect(log).toContain('/api/auth/login');
    // The key sent in a query string is logged masked.
    expect(log).toContain('/api/v1/transactions?apiKey=rk_test_****');
    expect(found(log)).toEqual([]);
  });

  it('finds no secret in any response but the one that shows it once', () => {
    expect(seen.length).toBeGreaterThan(30);
    const leaks = seen.flatMap((s) =>
      found(s.text)
        .filter((name) => !s.reveals.includes(secrets.get(name) ?? ''))
        .map((name) => `${s.what} (${String(s.status)}): ${name}`),
    );
    expect(leaks).toEqual([]);
    // Error bodies show none, not even the ones they were sent.
    const errors = seen.filter((s) => s.status >= 400);
    expect(errors.length).toBeGreaterThan(10);
    for (const e of errors)
      expect({ what: e.what, found: found(e.text) }).toEqual({ what: e.what, found: [] });
  });

  it('finds no secret in the audit log', async () => {
    const rows = await orm.em
      .fork()
      .getConnection()
      .execute<{ row: string }[]>(
        'select row_to_json(a)::text as row from audit_event a',
        [],
        'all',
      );
    // Key creation, channel changes, sign-ins and password changes were audited.
    const text = rows.map((r) => r.row).join('\n');
    for (const event of ['api_key.created', 'api_key.revoked', 'user.password_changed']) {
      expect(text).toContain(event);
    }
    expect(found(text)).toEqual([]);
  });

  /** The names of the secrets `text` contains. */
  function found(text: string): string[] {
    return [...secrets].filter(([, value]) => text.includes(value)).map(([name]) => name);
  }
});

/** The session token of a sign-in's Set-Cookie header. */
function sessionToken(res: Reply): string {
  const m = /reins_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '');
  expect(m?.[1]).toBeTruthy();
  return m?.[1] ?? '';
}
