import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rowCounts } from './counts.js';
import { useTestServer } from './harness.js';

const t = useTestServer('keys');

interface KeyView {
  id: string;
  name: string;
  keyMasked: string;
  createdAt: string;
  lastUsedAt: string | null;
  isActive: boolean;
  revokedAt: string | null;
  permissions: string[];
}

interface CreatedKey {
  success: boolean;
  id: string;
  name: string;
  key: string;
  keyMasked: string;
  createdAt: string;
  permissions: string[];
}

interface ErrorBody {
  success: false;
  code: string;
  message: string;
  field?: string;
  requiredPermission?: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function mint(permissions: string[], opts: { name?: string; as?: string } = {}) {
  const res = await t().call<CreatedKey>(
    'POST',
    '/api/keys',
    { name: opts.name ?? 'k', permissions },
    { key: opts.as },
  );
  expect(res.status).toBe(201);
  return res.body;
}

async function listKeys(as?: string): Promise<KeyView[]> {
  const res = await t().call<{ success: boolean; keys: KeyView[] }>('GET', '/api/keys', undefined, {
    key: as,
  });
  expect(res.status).toBe(200);
  return res.body.keys;
}

/** Polls GET /api/keys until `keyId`'s lastUsedAt is `expected` (it is written off the request path). */
async function waitForLastUsed(keyId: string, expected: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const k = (await listKeys()).find((x) => x.id === keyId);
    if (k?.lastUsedAt === expected) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  const k = (await listKeys()).find((x) => x.id === keyId);
  expect(k?.lastUsedAt).toBe(expected);
}

describe('POST /api/keys', () => {
  it('shows the new key once, in the docs shape, with its mask', async () => {
    const res = await t().call<CreatedKey>('POST', '/api/keys', {
      name: 'production',
      permissions: ['transactions:write', 'policies:read'],
    });
    expect(res.status).toBe(201);
    const b = res.body;
    expect(b.key).toMatch(/^rk_test_[A-Za-z0-9]{32}$/);
    expect(b).toEqual({
      success: true,
      id: expect.stringMatching(/^key_[A-Za-z0-9]{16}$/) as unknown,
      name: 'production',
      key: b.key,
      keyMasked: `rk_test_****${b.key.slice(-4)}`,
      createdAt: expect.stringMatching(ISO) as unknown,
      permissions: ['transactions:write', 'policies:read'],
    });
  });

  it('mints a key in the environment it is asked for (rk_prod_… as in the docs)', async () => {
    const res = await t().call<CreatedKey>('POST', '/api/keys', {
      name: 'production',
      permissions: ['transactions:write'],
      env: 'prod',
    });
    expect(res.status).toBe(201);
    expect(res.body.key).toMatch(/^rk_prod_[A-Za-z0-9]{32}$/);
    expect(res.body.keyMasked).toBe(`rk_prod_****${res.body.key.slice(-4)}`);
  });

  it('stores only the SHA-256 hex hash of the key, never the key', async () => {
    const created = await mint(['transactions:read']);
    const rows = await t().sql('select * from api_key where id = ?', [created.id]);
    expect(rows).toHaveLength(1);
    const row = rows[0] ?? {};
    expect(row.key_hash).toBe(createHash('sha256').update(created.key).digest('hex'));
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.key_masked).toBe(created.keyMasked);
    expect(JSON.stringify(row)).not.toContain(created.key);
    expect(JSON.stringify(row)).not.toContain(created.key.slice('rk_test_'.length));
  });

  it('rejects an empty name and bad permissions with 422 naming the field, writing nothing', async () => {
    const before = await rowCounts(t());
    const cases: [unknown, string][] = [
      [{ name: '', permissions: ['policies:read'] }, 'name'],
      [{ permissions: ['policies:read'] }, 'name'],
      [{ name: 'x', permissions: ['root'] }, 'permissions.0'],
      [{ name: 'x', permissions: ['policies:read', 'policies:delete'] }, 'permissions.1'],
      [{ name: 'x', permissions: [] }, 'permissions'],
      [{ name: 'x', permissions: 'policies:read' }, 'permissions'],
      [{ name: 'x' }, 'permissions'],
      [{ name: 'x', permissions: ['policies:read'], admin: true }, 'admin'],
      [{ name: 'x', permissions: ['policies:read'], env: 'PROD!' }, 'env'],
    ];
    for (const [body, field] of cases) {
      const res = await t().call<ErrorBody>('POST', '/api/keys', body);
      expect({ body, status: res.status, code: res.body.code, field: res.body.field }).toEqual({
        body,
        status: 422,
        code: 'VALIDATION_ERROR',
        field,
      });
      expect(res.body.success).toBe(false);
      expect(res.body.message).toContain(field);
    }
    expect(await rowCounts(t())).toEqual(before);
  });
});

describe('GET /api/keys', () => {
  it('lists keys in the docs shape, masked, never the key or its hash', async () => {
    const created = await mint(['transactions:write', 'policies:read', 'audit:read'], {
      name: 'listed',
    });
    const res = await t().call<{ success: boolean; keys: KeyView[] }>('GET', '/api/keys');
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    const listed = res.body.keys.find((k) => k.id === created.id);
    expect(listed).toEqual({
      id: created.id,
      name: 'listed',
      keyMasked: created.keyMasked,
      createdAt: created.createdAt,
      lastUsedAt: null,
      isActive: true,
      revokedAt: null,
      permissions: ['transactions:write', 'policies:read', 'audit:read'],
    });
    expect(res.text).not.toContain(created.key);
    expect(res.text).not.toContain(created.key.slice(-12));
    for (const k of res.body.keys) {
      expect(k).not.toHaveProperty('key');
      expect(k).not.toHaveProperty('keyHash');
      expect(k.keyMasked).toMatch(/^rk_[a-z0-9]+_\*\*\*\*[A-Za-z0-9]{4}$/);
    }
  });

  it("never lists another organization's keys", async () => {
    const other = await t().newOrg('Other org (list)');
    const theirs = await listKeys(other.key);
    expect(theirs).toHaveLength(1);
    const theirId = theirs[0]?.id;
    expect((await listKeys()).map((k) => k.id)).not.toContain(theirId);
  });
});

describe('authentication', () => {
  it('accepts a created key and answers 401 once it is revoked', async () => {
    const created = await mint(['transactions:read'], { name: 'short-lived' });
    const ok = await t().call('GET', '/api/v1/transactions', undefined, { key: created.key });
    expect(ok.status).toBe(200);

    const revoked = await t().call('DELETE', `/api/keys/${created.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({
      success: true,
      id: created.id,
      isActive: false,
      revokedAt: expect.stringMatching(ISO) as unknown,
    });

    const denied = await t().call('GET', '/api/v1/transactions', undefined, { key: created.key });
    expect(denied.status).toBe(401);
    expect(denied.body).toMatchObject({ success: false, code: 'UNAUTHORIZED' });

    const listed = (await listKeys()).find((k) => k.id === created.id);
    expect(listed).toMatchObject({ isActive: false, revokedAt: revoked.body.revokedAt });

    const events = await t().sql<{ event_type: string }>(
      `select event_type from audit_event where entity_type = 'api_key' and entity_id = ?
        order by occurred_at, event_type`,
      [created.id],
    );
    expect(events.map((e) => e.event_type)).toEqual(['api_key.created', 'api_key.revoked']);
  });

  it('keeps the first revocation time when a key is revoked twice', async () => {
    const created = await mint(['transactions:read']);
    const first = await t().call<{ revokedAt: string }>('DELETE', `/api/keys/${created.id}`);
    const second = await t().call<{ revokedAt: string }>('DELETE', `/api/keys/${created.id}`);
    expect(second.status).toBe(200);
    expect(second.body.revokedAt).toBe(first.body.revokedAt);
    const events = await t().sql<{ n: number }>(
      `select count(*)::int as n from audit_event where event_type = 'api_key.revoked' and entity_id = ?`,
      [created.id],
    );
    expect(events[0]?.n).toBe(1);
  });

  it('answers missing, malformed, unknown and revoked keys with the identical 401', async () => {
    const revoked = await mint(['transactions:read']);
    await t().call('DELETE', `/api/keys/${revoked.id}`);
    const attempts: { key?: string | null; headers?: Record<string, string> }[] = [
      { key: null },
      { key: null, headers: { authorization: '' } },
      { key: null, headers: { authorization: 'Bearer abc' } },
      { key: null, headers: { authorization: 'Bearer' } },
      { key: null, headers: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` } },
      { key: null, headers: { authorization: `Token ${revoked.key}` } },
      { key: 'rk_test_' + 'A'.repeat(32) },
      { key: revoked.key.slice(0, -1) },
      { key: `${revoked.key}x` },
      { key: revoked.key },
    ];
    const replies = [];
    for (const a of attempts) {
      const res = await t().call('GET', '/api/keys', undefined, a);
      replies.push({ status: res.status, text: res.text });
    }
    const expected = {
      status: 401,
      text: JSON.stringify({
        success: false,
        code: 'UNAUTHORIZED',
        message: 'Invalid or missing API key',
      }),
    };
    expect(replies).toEqual(attempts.map(() => expected));
  });
});

describe('permissions', () => {
  it('answers 403 FORBIDDEN when the key lacks the route’s permission', async () => {
    const writer = await mint(['transactions:write'], { name: 'writer' });
    const before = await rowCounts(t());
    const cases: [string, string, unknown, string][] = [
      ['GET', '/api/policy-rules', undefined, 'policies:read'],
      ['GET', '/api/v1/rules', undefined, 'policies:read'],
      ['POST', '/api/policy-rules', { name: 'r', action: 'block' }, 'policies:write'],
      ['GET', '/api/keys', undefined, 'keys:admin'],
      ['POST', '/api/keys', { name: 'x', permissions: ['transactions:write'] }, 'keys:admin'],
      ['DELETE', `/api/keys/${writer.id}`, undefined, 'keys:admin'],
      ['GET', '/api/v1/transactions', undefined, 'transactions:read'],
    ];
    for (const [method, path, body, permission] of cases) {
      const res = await t().call<ErrorBody>(method, path, body, { key: writer.key });
      expect({ method, path, status: res.status, body: res.body }).toEqual({
        method,
        path,
        status: 403,
        body: {
          success: false,
          code: 'FORBIDDEN',
          message: expect.stringContaining(permission) as unknown,
          requiredPermission: permission,
        },
      });
    }
    expect(await rowCounts(t())).toEqual(before);
    // What the key does hold still works.
    const tx = await t().call(
      'POST',
      '/api/v1/transactions',
      { amount: 1, vendor: 'openai' },
      {
        key: writer.key,
      },
    );
    expect(tx.status).toBe(202);
  });

  it('lets a keys:admin key mint only permissions it holds itself (never *)', async () => {
    const keyAdmin = await mint(['keys:admin'], { name: 'key admin' });
    const before = await rowCounts(t());
    for (const permissions of [['*'], ['transactions:write'], ['keys:admin', 'policies:write']]) {
      const res = await t().call<ErrorBody>(
        'POST',
        '/api/keys',
        { name: 'x', permissions },
        {
          key: keyAdmin.key,
        },
      );
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    }
    expect(await rowCounts(t())).toEqual(before);
    const allowed = await t().call<CreatedKey>(
      'POST',
      '/api/keys',
      { name: 'x', permissions: ['keys:admin'] },
      { key: keyAdmin.key },
    );
    expect(allowed.status).toBe(201);
    expect(allowed.body.permissions).toEqual(['keys:admin']);
  });

  it('lets the admin (*) key mint another admin key', async () => {
    const admin2 = await mint(['*']);
    expect(admin2.permissions).toEqual(['*']);
    const res = await t().call('GET', '/api/policy-rules', undefined, { key: admin2.key });
    expect(res.status).toBe(200);
  });
});

describe('DELETE /api/keys/:id', () => {
  it("answers 404 for another organization's key and leaves it working", async () => {
    const other = await t().newOrg('Other org (revoke)');
    const [theirs] = await listKeys(other.key);
    expect(theirs).toBeDefined();
    const res = await t().call('DELETE', `/api/keys/${theirs?.id ?? ''}`);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
    expect((await listKeys(other.key))[0]?.isActive).toBe(true);
  });

  it('answers 404 for a key id that does not exist', async () => {
    const res = await t().call('DELETE', '/api/keys/key_doesnotexist0000');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });
});

describe('lastUsedAt', () => {
  it('is set when a key is used, and written at most once a minute', async () => {
    const t0 = Date.parse('2026-06-01T10:00:00.000Z');
    t().clock.set(t0);
    try {
      const created = await mint(['transactions:read'], { name: 'tracked' });
      expect((await listKeys()).find((k) => k.id === created.id)?.lastUsedAt).toBeNull();

      const use = () => t().call('GET', '/api/v1/transactions', undefined, { key: created.key });
      expect((await use()).status).toBe(200);
      await waitForLastUsed(created.id, new Date(t0).toISOString());

      // 30 s later (the key cache has expired): not written again.
      t().clock.set(t0 + 30_000);
      expect((await use()).status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
      expect((await listKeys()).find((k) => k.id === created.id)?.lastUsedAt).toBe(
        new Date(t0).toISOString(),
      );

      // A minute after the last write: written again.
      t().clock.set(t0 + 61_000);
      expect((await use()).status).toBe(200);
      await waitForLastUsed(created.id, new Date(t0 + 61_000).toISOString());
    } finally {
      t().clock.set(null);
    }
  });
});
