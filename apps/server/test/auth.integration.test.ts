/**
 * Dashboard sign-in (docs/dashboard-auth.md): password and key sign-in, the session cookie, CSRF,
 * roles, expiry, sign-out, users management — through real requests.
 */
import { describe, expect, it } from 'vitest';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import { pruneSessionsJob, startScheduler } from '@reins/jobs';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import { ADMIN_KEY, useTestServer, type Reply } from './harness.js';
import { keyWith, trpcClient, type ErrorBody } from './helpers.js';

const t = useTestServer('auth', {
  REINS_TRUST_PROXY: 'on',
  REINS_LOGIN_FAILURES_PER_IP: 1000,
  REINS_LOGIN_FAILURES_PER_EMAIL: 1000,
  REINS_SESSION_IDLE_MS: 30 * 60_000,
  REINS_SESSION_MAX_MS: 4 * 60 * 60_000,
});

const PASSWORD = 'correct horse battery staple';

interface SessionBody {
  user: { id: string; email: string; name: string | null; role: string } | null;
  keyId: string | null;
  orgId: string;
  orgName: string;
  permissions: string[];
  csrfToken: string;
  expiresAt: string;
}

interface Signed {
  cookie: string;
  csrf: string;
  session: SessionBody;
  setCookie: string;
}

let ip = 0;
/** A client address of its own per sign-in (X-Forwarded-For, trusted here). */
const nextIp = () => `10.0.${String(Math.floor(++ip / 250))}.${String(ip % 250)}`;

function signedIn(res: Reply<{ success: boolean; session: SessionBody }>): Signed {
  expect(res.status, res.text).toBe(200);
  const setCookie = res.headers.get('set-cookie') ?? '';
  return {
    setCookie,
    cookie: setCookie.split(';')[0] ?? '',
    csrf: res.body.session.csrfToken,
    session: res.body.session,
  };
}

function login(body: unknown, headers: Record<string, string> = {}) {
  return t().call<{ success: boolean; session: SessionBody }>('POST', '/api/auth/login', body, {
    key: null,
    headers: { 'x-forwarded-for': nextIp(), ...headers },
  });
}

function redeem(token: string, password: string) {
  return t().call<{ success: boolean; session: SessionBody }>(
    'POST',
    '/api/auth/link',
    { token, password },
    { key: null, headers: { 'x-forwarded-for': nextIp() } },
  );
}

const tokenOf = (link: string) => link.split('#token=')[1] ?? '';

/** A request with the session cookie (and its CSRF header unless `csrf: null`). */
function asUser<T = Record<string, unknown>>(
  s: Signed,
  method: string,
  path: string,
  body?: unknown,
  opts: { csrf?: string | null; headers?: Record<string, string> } = {},
) {
  const csrf = opts.csrf === undefined ? s.csrf : opts.csrf;
  return t().call<T>(method, path, body, {
    key: null,
    headers: {
      cookie: s.cookie,
      ...(csrf === null ? {} : { 'x-reins-csrf': csrf }),
      ...opts.headers,
    },
  });
}

function cookieClient(s: Signed) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${t().url}/trpc`,
        transformer: superjson,
        headers: () => ({ cookie: s.cookie, 'x-reins-csrf': s.csrf }),
      }),
    ],
  });
}

const admin = () => trpcClient(t(), ADMIN_KEY);

let seq = 0;
/** A new user of the bootstrap organization with a password, signed in. */
async function userWith(
  role: 'admin' | 'editor' | 'viewer',
): Promise<Signed & { id: string; email: string }> {
  const email = `${role}${String(++seq)}@example.com`;
  const { user, signInLink } = await admin().users.create.mutate({ email, role });
  const s = signedIn(await redeem(tokenOf(signInLink), PASSWORD));
  return { ...s, id: user.id, email };
}

function reinsCode(err: unknown): string | undefined {
  expect(err).toBeInstanceOf(TRPCClientError);
  return ((err as TRPCClientError<AppRouter>).data as { reins?: { code: string } }).reins?.code;
}

const RULE = {
  name: 'Block transactions over $5',
  priority: 5,
  conditions: { amountCents: { min: 501 } },
  action: 'block',
  actionConfig: { message: 'Individual transactions over $5 are not permitted.' },
};

describe('first start', () => {
  it('creates the first admin without a password and a one-time sign-in link stored only as its hash', async () => {
    const boot = t().server.bootstrapAdmin;
    expect(boot?.email).toBe('admin@localhost');
    expect(boot?.signInPath).toMatch(/^\/sign-in\/link#token=[A-Za-z0-9_-]{43}$/);
    const token = tokenOf(boot?.signInPath ?? '');
    const [user] = await t().sql<{ role: string; password_hash: string | null }>(
      `select role, password_hash from app_user where email = 'admin@localhost'`,
    );
    expect(user).toEqual({ role: 'admin', password_hash: null });
    const links = await t().sql<{ id: string; purpose: string }>(
      `select t.id, t.purpose from sign_in_token t join app_user u on u.id = t.user_id
        where u.email = 'admin@localhost'`,
    );
    expect(links).toHaveLength(1);
    expect(links[0]?.purpose).toBe('first_admin');
    expect(links[0]?.id).not.toContain(token);
    expect(links[0]?.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('redeems the link once: sets the password (scrypt, never in clear) and signs in as admin', async () => {
    const token = tokenOf(t().server.bootstrapAdmin?.signInPath ?? '');
    const s = signedIn(await redeem(token, PASSWORD));
    expect(s.session.user).toMatchObject({ email: 'admin@localhost', role: 'admin' });
    expect(s.session.permissions).toEqual(['*']);
    expect(s.session.keyId).toBeNull();
    expect(s.session.orgName).toBe('Default organization');
    const [row] = await t().sql<{ password_hash: string }>(
      `select password_hash from app_user where email = 'admin@localhost'`,
    );
    expect(row?.password_hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(row?.password_hash).not.toContain(PASSWORD);
    expect(JSON.stringify(await t().sql('select * from app_user'))).not.toContain(PASSWORD);

    const again = await redeem(token, 'another password 123');
    expect(again.status).toBe(401);
    expect((again.body as unknown as ErrorBody).code).toBe('UNAUTHORIZED');
  });
});

describe('POST /api/auth/login', () => {
  it('signs in with email (any case) and password, and GET /api/auth/session shows the session', async () => {
    const s = signedIn(await login({ email: 'Admin@LOCALHOST', password: PASSWORD }));
    expect(s.session.user?.email).toBe('admin@localhost');
    const res = await asUser<{ session: SessionBody }>(s, 'GET', '/api/auth/session', undefined, {
      csrf: null,
    });
    expect(res.status).toBe(200);
    expect(res.body.session).toEqual(s.session);
    const [u] = await t().sql<{ last_sign_in_at: Date | null }>(
      `select last_sign_in_at from app_user where email = 'admin@localhost'`,
    );
    expect(u?.last_sign_in_at).not.toBeNull();
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    const wrong = await login({ email: 'admin@localhost', password: 'not the password' });
    const unknown = await login({ email: 'nobody@example.com', password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body).toEqual({
      success: false,
      code: 'UNAUTHORIZED',
      message: 'Invalid email or password',
    });
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('records a failed sign-in of a known user in the audit log', async () => {
    await login({ email: 'admin@localhost', password: 'wrong wrong wrong' });
    const rows = await t().sql<{ n: number }>(
      `select count(*)::int as n from audit_event where event_type = 'user.sign_in_failed'`,
    );
    expect(rows[0]?.n).toBeGreaterThan(0);
  });

  it('signs in with an API key: the session carries the key and its permissions', async () => {
    const key = await keyWith(t(), ADMIN_KEY, ['transactions:read', 'policies:read']);
    const s = signedIn(await login({ apiKey: key }));
    expect(s.session.user).toBeNull();
    expect(s.session.keyId).toMatch(/^key_/);
    expect(s.session.permissions).toEqual(['transactions:read', 'policies:read']);
    expect((await asUser(s, 'GET', '/api/policy-rules', undefined, { csrf: null })).status).toBe(
      200,
    );
    const bad = await login({ apiKey: 'rk_test_NoSuchKey0000000000000000000' });
    expect(bad.status).toBe(401);
  });

  it('answers bad bodies with 422 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{}, 'email'],
      [{ email: 'admin@localhost' }, 'password'],
      [{ email: 'not-an-email', password: 'x' }, 'email'],
      [{ email: 'admin@localhost', password: 42 }, 'password'],
      [{ apiKey: 7 }, 'apiKey'],
      [[1, 2], 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await login(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((res.body as unknown as ErrorBody).code).toBe('VALIDATION_ERROR');
      expect((res.body as unknown as ErrorBody).field).toBe(field);
    }
    const short = await redeem('x'.repeat(43), 'short');
    expect(short.status).toBe(422);
    expect((short.body as unknown as ErrorBody).field).toBe('password');
  });

  it('refuses a sign-in from a foreign Origin', async () => {
    const res = await login(
      { email: 'admin@localhost', password: PASSWORD },
      { origin: 'https://evil.example.com' },
    );
    expect(res.status).toBe(403);
    expect((res.body as unknown as ErrorBody).code).toBe('FORBIDDEN');
  });
});

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Lax, Path=/, without Secure over http', async () => {
    const s = signedIn(await login({ email: 'admin@localhost', password: PASSWORD }));
    expect(s.cookie).toMatch(/^reins_session=[A-Za-z0-9_-]{43}$/);
    const attrs = s.setCookie.split(';').map((a) => a.trim());
    expect(attrs).toContain('HttpOnly');
    expect(attrs).toContain('SameSite=Lax');
    expect(attrs).toContain('Path=/');
    expect(attrs).not.toContain('Secure');
    // Only the token's SHA-256 is stored.
    const token = s.cookie.split('=')[1] ?? '';
    expect(await t().sql('select id from user_session where id = ?', [token])).toHaveLength(0);
  });

  it('is Secure when the request came over https (X-Forwarded-Proto behind a trusted proxy)', async () => {
    const s = signedIn(
      await login(
        { email: 'admin@localhost', password: PASSWORD },
        { 'x-forwarded-proto': 'https' },
      ),
    );
    expect(s.setCookie.split(';').map((a) => a.trim())).toContain('Secure');
  });
});

describe('CSRF', () => {
  it('refuses a cookie-authenticated POST without or with a wrong x-reins-csrf header, accepts the right one', async () => {
    const s = await userWith('editor');
    const none = await asUser<ErrorBody & { reason?: string }>(
      s,
      'POST',
      '/api/policy-rules',
      RULE,
      {
        csrf: null,
      },
    );
    expect(none.status).toBe(403);
    expect(none.body.code).toBe('FORBIDDEN');
    expect(none.body.reason).toBe('CSRF_FAILED');
    const wrong = await asUser(s, 'POST', '/api/policy-rules', RULE, { csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    const ok = await asUser<{ id: string }>(s, 'POST', '/api/policy-rules', RULE);
    expect(ok.status).toBe(201);
    // Written by the person: the audit log names the user.
    const [ev] = await t().sql<{ actor: string }>(
      `select actor from audit_event where entity_id = ? and event_type = 'policy_rule.created'`,
      [ok.body.id],
    );
    expect(ev?.actor).toBe(`user:${s.id}`);
  });

  it('lets reads through without the header', async () => {
    const s = await userWith('viewer');
    expect((await asUser(s, 'GET', '/api/policy-rules', undefined, { csrf: null })).status).toBe(
      200,
    );
  });

  it('refuses a cookie-authenticated request from a foreign Origin, accepts the own one', async () => {
    const s = await userWith('editor');
    const foreign = await asUser(s, 'POST', '/api/policy-rules', RULE, {
      headers: { origin: 'https://evil.example.com' },
    });
    expect(foreign.status).toBe(403);
    const own = await asUser(s, 'POST', '/api/policy-rules', RULE, {
      headers: { origin: t().url },
    });
    expect(own.status).toBe(201);
  });

  it('leaves bearer requests alone, even with a cookie beside them', async () => {
    const s = await userWith('viewer');
    const res = await t().call('POST', '/api/policy-rules', RULE, {
      headers: { cookie: s.cookie, origin: 'https://evil.example.com' },
    });
    expect(res.status).toBe(201);
  });

  it('requires the header on tRPC mutations signed in by cookie', async () => {
    const s = await userWith('editor');
    const err = await cookieClient({ ...s, csrf: 'nope' })
      .rules.list.query()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeNull();
    const refused = await cookieClient({ ...s, csrf: 'nope' })
      .policyRules.create.mutate(RULE as never)
      .catch((e: unknown) => e);
    expect(reinsCode(refused)).toBe('FORBIDDEN');
    const created = await cookieClient(s).policyRules.create.mutate(RULE as never);
    expect(created.id).toMatch(/^rule_/);
  });
});

describe('session end', () => {
  it('ends after the idle timeout and after the absolute maximum', async () => {
    const clock = t().clock;
    try {
      clock.set('2026-12-03T10:00:00.000Z');
      const s = signedIn(await login({ email: 'admin@localhost', password: PASSWORD }));
      expect(s.session.expiresAt).toBe('2026-12-03T10:30:00.000Z');
      clock.set('2026-12-03T10:29:00.000Z');
      const used = await asUser<{ session: SessionBody }>(s, 'GET', '/api/auth/session');
      expect(used.status).toBe(200);
      expect(used.body.session.expiresAt).toBe('2026-12-03T10:59:00.000Z');
      // Kept alive by use, it still ends 4 h after sign-in.
      for (const at of ['10:55', '11:20', '11:45', '12:10', '12:35', '13:00', '13:25', '13:50']) {
        clock.set(`2026-12-03T${at}:00.000Z`);
        expect((await asUser(s, 'GET', '/api/auth/session')).status).toBe(200);
      }
      clock.set('2026-12-03T14:00:00.000Z');
      const ended = await asUser<ErrorBody>(s, 'GET', '/api/auth/session');
      expect(ended.status).toBe(401);
      expect(ended.headers.get('set-cookie')).toMatch(/^reins_session=;.*Max-Age=0/);

      clock.set('2026-12-03T15:00:00.000Z');
      const idle = signedIn(await login({ email: 'admin@localhost', password: PASSWORD }));
      clock.set('2026-12-03T15:31:00.000Z');
      expect((await asUser(idle, 'GET', '/api/auth/session')).status).toBe(401);
    } finally {
      clock.set(null);
    }
  });

  it('signs out: 204, the cookie cleared, the session row deleted and refused from then on', async () => {
    const s = signedIn(await login({ email: 'admin@localhost', password: PASSWORD }));
    const out = await asUser(s, 'POST', '/api/auth/logout');
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^reins_session=;.*Max-Age=0/);
    expect((await asUser(s, 'GET', '/api/auth/session')).status).toBe(401);
    expect(
      await t().sql('select id from user_session where csrf_token = ?', [s.csrf]),
    ).toHaveLength(0);
  });

  it('signs out with an empty JSON body, and answers 204 to a session already ended', async () => {
    const s = signedIn(await login({ email: 'admin@localhost', password: PASSWORD }));
    const out = await asUser(s, 'POST', '/api/auth/logout', undefined, {
      headers: { 'content-type': 'application/json' },
    });
    expect(out.status).toBe(204);
    const again = await asUser(s, 'POST', '/api/auth/logout');
    expect(again.status).toBe(204);
    expect(again.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });

  it('needs the CSRF header to sign out', async () => {
    const s = signedIn(await login({ email: 'admin@localhost', password: PASSWORD }));
    expect((await asUser(s, 'POST', '/api/auth/logout', undefined, { csrf: null })).status).toBe(
      403,
    );
    expect((await asUser(s, 'GET', '/api/auth/session')).status).toBe(200);
  });

  it('ends a key session when the key is revoked', async () => {
    const key = await keyWith(t(), ADMIN_KEY, ['policies:read']);
    const s = signedIn(await login({ apiKey: key }));
    const revoked = await t().call('DELETE', `/api/keys/${s.session.keyId ?? ''}`);
    expect(revoked.status).toBe(200);
    expect((await asUser(s, 'GET', '/api/policy-rules')).status).toBe(401);
  });
});

describe('roles', () => {
  it('lets a viewer read but not write (403 naming the permission)', async () => {
    const s = await userWith('viewer');
    expect(s.session.permissions).toContain('transactions:read');
    expect(s.session.permissions).not.toContain('policies:write');
    expect((await asUser(s, 'GET', '/api/policy-rules')).status).toBe(200);
    const res = await asUser<ErrorBody>(s, 'POST', '/api/policy-rules', RULE);
    expect(res.status).toBe(403);
    expect(res.body.requiredPermission).toBe('policies:write');
    expect(res.body.message).toBe('Your role lacks the "policies:write" permission');
  });

  it('lets an editor write rules but not create keys or manage users', async () => {
    const s = await userWith('editor');
    expect(s.session.permissions).not.toContain('keys:admin');
    expect((await asUser(s, 'POST', '/api/policy-rules', RULE)).status).toBe(201);
    const key = await asUser<ErrorBody>(s, 'POST', '/api/keys', {
      name: 'x',
      permissions: ['policies:read'],
    });
    expect(key.status).toBe(403);
    expect(key.body.requiredPermission).toBe('keys:admin');
    const err = await cookieClient(s)
      .users.list.query()
      .catch((e: unknown) => e);
    expect(reinsCode(err)).toBe('FORBIDDEN');
  });

  it('accepts users:admin when creating keys', async () => {
    const res = await t().call<{ permissions: string[] }>('POST', '/api/keys', {
      name: 'people',
      permissions: ['users:admin'],
    });
    expect(res.status).toBe(201);
    expect(res.body.permissions).toEqual(['users:admin']);
  });
});

describe('users router', () => {
  it('lists, creates and updates users; the one-time link is single use and expires', async () => {
    const created = await admin().users.create.mutate({
      email: 'New.Person@Example.com',
      name: 'New',
      role: 'viewer',
    });
    expect(created.user).toMatchObject({
      email: 'new.person@example.com',
      name: 'New',
      role: 'viewer',
      disabled: false,
      lastSignInAt: null,
    });
    expect(created.signInLink).toMatch(/^\/sign-in\/link#token=[A-Za-z0-9_-]{43}$/);
    const { data } = await admin().users.list.query();
    expect(data.map((u) => u.email)).toContain('new.person@example.com');
    const dup = await admin()
      .users.create.mutate({ email: 'new.person@EXAMPLE.com', role: 'viewer' })
      .catch((e: unknown) => e);
    expect(reinsCode(dup)).toBe('ALREADY_EXISTS');
    const bad = await admin()
      .users.create.mutate({ email: 'nope', role: 'viewer' })
      .catch((e: unknown) => e);
    expect(reinsCode(bad)).toBe('VALIDATION_ERROR');
    const badRole = await admin()
      .users.create.mutate({ email: 'x@y.z', role: 'owner' as never })
      .catch((e: unknown) => e);
    expect(reinsCode(badRole)).toBe('VALIDATION_ERROR');

    const { user } = await admin().users.update.mutate({
      id: created.user.id,
      role: 'editor',
      name: null,
    });
    expect(user).toMatchObject({ role: 'editor', name: null });

    const clock = t().clock;
    try {
      const late = await admin().users.create.mutate({ email: 'late@example.com', role: 'viewer' });
      clock.set(Date.now() + 25 * 60 * 60_000);
      expect((await redeem(tokenOf(late.signInLink), PASSWORD)).status).toBe(401);
    } finally {
      clock.set(null);
    }
    expect((await redeem(tokenOf(created.signInLink), PASSWORD)).status).toBe(200);
    expect((await redeem(tokenOf(created.signInLink), PASSWORD)).status).toBe(401);
  });

  it('ends every session of a user who is disabled, and refuses their sign-in', async () => {
    const s = await userWith('editor');
    expect((await asUser(s, 'GET', '/api/policy-rules')).status).toBe(200);
    const { user } = await admin().users.update.mutate({ id: s.id, disabled: true });
    expect(user.disabled).toBe(true);
    expect((await asUser(s, 'GET', '/api/policy-rules')).status).toBe(401);
    expect(await t().sql('select id from user_session where user_id = ?', [s.id])).toHaveLength(0);
    expect((await login({ email: s.email, password: PASSWORD })).status).toBe(401);
    await admin().users.update.mutate({ id: s.id, disabled: false });
    expect((await login({ email: s.email, password: PASSWORD })).status).toBe(200);
  });

  it("applies a role change to the user's open sessions at once", async () => {
    const s = await userWith('editor');
    expect((await asUser(s, 'POST', '/api/policy-rules', RULE)).status).toBe(201);
    await admin().users.update.mutate({ id: s.id, role: 'viewer' });
    expect((await asUser(s, 'POST', '/api/policy-rules', RULE)).status).toBe(403);
    const me = await asUser<{ session: SessionBody }>(s, 'GET', '/api/auth/session');
    expect(me.body.session.user?.role).toBe('viewer');
  });

  it('refuses to demote or disable the last active admin (409)', async () => {
    const [boot] = await t().sql<{ id: string; org_id: string }>(
      `select id, org_id from app_user where email = 'admin@localhost'`,
    );
    const admins = await t().sql<{ id: string }>(
      `select id from app_user where org_id = ? and role = 'admin' and disabled_at is null and id <> ?`,
      [boot?.org_id, boot?.id],
    );
    for (const a of admins) await admin().users.update.mutate({ id: a.id, role: 'viewer' });
    const demote = await admin()
      .users.update.mutate({ id: boot?.id ?? '', role: 'editor' })
      .catch((e: unknown) => e);
    expect(reinsCode(demote)).toBe('LAST_ADMIN');
    expect((demote as TRPCClientError<AppRouter>).data?.httpStatus).toBe(409);
    const disable = await admin()
      .users.update.mutate({ id: boot?.id ?? '', disabled: true })
      .catch((e: unknown) => e);
    expect(reinsCode(disable)).toBe('LAST_ADMIN');
    // With a second admin, the first can step down.
    const second = await userWith('admin');
    await admin().users.update.mutate({ id: boot?.id ?? '', role: 'editor' });
    await admin().users.update.mutate({ id: boot?.id ?? '', role: 'admin' });
    await admin().users.update.mutate({ id: second.id, disabled: true });
  });

  it('resets a password: the old one stops working, sessions end, the link sets a new one', async () => {
    const s = await userWith('viewer');
    const { signInLink } = await admin().users.resetPassword.mutate({ id: s.id });
    expect((await asUser(s, 'GET', '/api/auth/session')).status).toBe(401);
    expect((await login({ email: s.email, password: PASSWORD })).status).toBe(401);
    expect((await redeem(tokenOf(signInLink), 'a brand new password')).status).toBe(200);
    expect((await login({ email: s.email, password: 'a brand new password' })).status).toBe(200);
  });

  it('answers users.me with the session of a cookie, or the key of a bearer', async () => {
    const s = await userWith('viewer');
    const mine = await cookieClient(s).users.me.query();
    expect(mine.user?.email).toBe(s.email);
    expect(mine.csrfToken).toBe(s.csrf);
    const key = await admin().users.me.query();
    expect(key).toMatchObject({ user: null, permissions: ['*'], csrfToken: '', expiresAt: null });
  });
});

describe('POST /api/auth/password', () => {
  it('changes the password with the current one, keeping this session and ending the others', async () => {
    const s = await userWith('viewer');
    const other = signedIn(await login({ email: s.email, password: PASSWORD }));
    const wrong = await asUser<ErrorBody>(s, 'POST', '/api/auth/password', {
      currentPassword: 'not it at all',
      newPassword: 'my new password!',
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body.field).toBe('currentPassword');
    const ok = await asUser(s, 'POST', '/api/auth/password', {
      currentPassword: PASSWORD,
      newPassword: 'my new password!',
    });
    expect(ok.status).toBe(204);
    expect((await asUser(s, 'GET', '/api/auth/session')).status).toBe(200);
    expect((await asUser(other, 'GET', '/api/auth/session')).status).toBe(401);
    expect((await login({ email: s.email, password: PASSWORD })).status).toBe(401);
    expect((await login({ email: s.email, password: 'my new password!' })).status).toBe(200);
  });
});

describe('prune-sessions', () => {
  it('deletes sessions past their absolute end and sign-in links used or expired a week ago', async () => {
    const live = signedIn(await login({ email: 'admin@localhost', password: PASSWORD }));
    const dead = signedIn(await login({ email: 'admin@localhost', password: PASSWORD }));
    await t().sql(
      `update user_session set expires_at = now() - interval '1 minute' where csrf_token = ?`,
      [dead.csrf],
    );
    const old = await admin().users.create.mutate({ email: 'stale@example.com', role: 'viewer' });
    await t().sql(
      `update sign_in_token set expires_at = now() - interval '8 days'
        where user_id = ?`,
      [old.user.id],
    );
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const scheduler = startScheduler(t().server.db.orm, [pruneSessionsJob(3_600_000)], {
      clock: () => Date.now(),
      log: quiet,
    });
    try {
      await scheduler.runNow('prune-sessions');
    } finally {
      await scheduler.stop();
    }
    const left = await t().sql<{ csrf_token: string }>('select csrf_token from user_session');
    expect(left.map((r) => r.csrf_token)).toContain(live.csrf);
    expect(left.map((r) => r.csrf_token)).not.toContain(dead.csrf);
    expect(
      await t().sql('select id from sign_in_token where user_id = ?', [old.user.id]),
    ).toHaveLength(0);
  });
});

describe('bad input', () => {
  it('answers malformed sign-in, link, password and users input with 422 naming the field, never 500', async () => {
    const post = (path: string, raw: string, headers: Record<string, string> = {}) =>
      t().call<ErrorBody>('POST', path, undefined, {
        key: null,
        raw,
        headers: { 'x-forwarded-for': nextIp(), ...headers },
      });
    const cases: [string, string, number, string | undefined][] = [
      ['/api/auth/login', 'null', 422, 'body'],
      ['/api/auth/login', '"x"', 422, 'body'],
      ['/api/auth/login', '{"email":"a@b.c","password":"x","extra":1}', 422, undefined],
      ['/api/auth/login', '{"email":"a@b.c","password":"x\u0000"}', 422, undefined],
      ['/api/auth/login', '{"email":"a@b.c",', 422, 'body'],
      ['/api/auth/link', '{"token":5,"password":"a long enough password"}', 422, 'token'],
      ['/api/auth/link', '{"token":"abc"}', 422, 'password'],
    ];
    for (const [path, raw, status, field] of cases) {
      const res = await post(path, raw);
      expect(res.status, raw).toBe(status);
      expect(res.body.code).toBe('VALIDATION_ERROR');
      if (field) expect(res.body.field, raw).toBe(field);
    }
    expect((await post('/api/auth/login', 'x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect(
      (
        await post(
          '/api/auth/login',
          JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(20_000) }),
        )
      ).status,
    ).toBe(413);

    const s = await userWith('viewer');
    const pw = await asUser<ErrorBody>(s, 'POST', '/api/auth/password', {
      currentPassword: PASSWORD,
      newPassword: 'short',
    });
    expect(pw.status).toBe(422);
    expect(pw.body.field).toBe('newPassword');

    for (const input of [
      { id: 5 },
      { id: 'usr_x', disabled: 'yes' },
      { id: 'usr_x', role: 'root' },
      { id: 'usr_x', name: '' },
    ]) {
      const err = await admin()
        .users.update.mutate(input as never)
        .catch((e: unknown) => e);
      expect(reinsCode(err), JSON.stringify(input)).toBe('VALIDATION_ERROR');
    }
    const missing = await admin()
      .users.update.mutate({ id: 'usr_nope', role: 'viewer' })
      .catch((e: unknown) => e);
    expect(reinsCode(missing)).toBe('NOT_FOUND');
    const reset = await admin()
      .users.resetPassword.mutate({} as never)
      .catch((e: unknown) => e);
    expect(reinsCode(reset)).toBe('VALIDATION_ERROR');
  });
});
