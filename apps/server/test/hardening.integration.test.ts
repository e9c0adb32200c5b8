/**
 * What an attacker, a slow client or a broken client does to the server: each test reproduces a
 * finding of the hardening review (issue 14) and checks the server's answer.
 */
import { connect, type Socket } from 'node:net';
import { createTRPCClient, httpBatchStreamLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import { ADMIN_KEY, useTestServer } from './harness.js';
import { keyWith, type ErrorBody } from './helpers.js';

const t = useTestServer('hardening', {
  REINS_REQUEST_TIMEOUT_MS: 1500,
  REINS_HEADERS_TIMEOUT_MS: 1000,
  REINS_AUTH_FAILURES_PER_SECOND: 5,
  REINS_KEY_CACHE_MS: 100,
});

interface RawReply {
  /** Everything the server sent. */
  text: string;
  /** A socket error seen while sending or reading (`EPIPE`, `ECONNRESET`), if any. */
  error: string | null;
  /** Milliseconds until the server closed the connection (or the test gave up). */
  closedAfterMs: number;
}

/** Writes `head` on a raw connection, then lets `send` write the body; collects the answer. */
function rawRequest(
  head: string,
  send: (s: Socket) => void = () => undefined,
  giveUpMs = 8000,
): Promise<RawReply> {
  const u = new URL(t().url);
  const started = Date.now();
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname);
    let text = '';
    let error: string | null = null;
    const done = () => {
      clearTimeout(timer);
      resolve({ text, error, closedAfterMs: Date.now() - started });
    };
    const timer = setTimeout(() => {
      s.destroy();
    }, giveUpMs);
    s.on('data', (d: Buffer) => {
      text += d.toString();
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    s.on('close', done);
    s.write(head);
    send(s);
  });
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);

describe('a body that trickles or never comes', () => {
  it('is refused from the headers when the key is wrong, without waiting for the body', async () => {
    const started = Date.now();
    const reply = await rawRequest(
      'POST /api/v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Authorization: Bearer rk_test_NoSuchKey00000000000000\r\nContent-Length: 100000\r\n\r\n',
    );
    expect(statusOf(reply.text)).toBe(401);
    expect(reply.text).toContain('"code":"UNAUTHORIZED"');
    // The 401 came at once; the connection is closed by the request timeout at the latest.
    expect(reply.closedAfterMs).toBeLessThan(1500 + 2500);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it('times out a key holder whose body stops coming (408) and closes the connection', async () => {
    const reply = await rawRequest(
      'POST /api/v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        `Authorization: Bearer ${ADMIN_KEY}\r\nContent-Length: 100000\r\n\r\n{"amount":`,
    );
    expect(statusOf(reply.text)).toBe(408);
    expect(reply.closedAfterMs).toBeLessThan(1500 + 2500);
  });

  it('times out headers that never end', async () => {
    const reply = await rawRequest(
      'POST /api/v1/transactions HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n',
    );
    expect(reply.closedAfterMs).toBeLessThan(1000 + 2500);
  });
});

describe('an oversized body', () => {
  it('gets its 413 while the client is still sending, not a reset', async () => {
    const size = 5 * 1024 * 1024;
    for (let i = 0; i < 3; i++) {
      const reply = await rawRequest(
        'POST /api/v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
          `Authorization: Bearer ${ADMIN_KEY}\r\nContent-Length: ${String(size)}\r\n` +
          'Connection: close\r\n\r\n',
        (s) => {
          const chunk = Buffer.alloc(64 * 1024, 32);
          let sent = 0;
          const pump = () => {
            while (sent < size) {
              sent += chunk.length;
              if (!s.write(chunk)) {
                s.once('drain', pump);
                return;
              }
            }
          };
          pump();
        },
      );
      expect({ status: statusOf(reply.text), error: reply.error }).toEqual({
        status: 413,
        error: null,
      });
      expect(reply.text).toContain('"code":"PAYLOAD_TOO_LARGE"');
    }
  });

  it("names the route's own limit: a bulk upload's is 8,388,608 bytes", async () => {
    const res = await t().call<ErrorBody>('POST', '/api/v1/transactions/bulk', undefined, {
      raw: JSON.stringify({
        transactions: [{ amount: 1, vendor: 'openai', prompt: 'x'.repeat(9 << 20) }],
      }),
    });
    expect(res.status).toBe(413);
    expect(res.body.message).toBe('Request body exceeds 8388608 bytes');
    const single = await t().call<ErrorBody>('POST', '/api/v1/transactions', undefined, {
      raw: JSON.stringify({ amount: 1, vendor: 'openai', prompt: 'x'.repeat(2 << 20) }),
    });
    expect(single.body.message).toBe('Request body exceeds 1048576 bytes');
  });
});

describe('unauthenticated floods', () => {
  it('stop costing a lookup each: past a few failures an address is refused before any lookup', async () => {
    const auth = t().server.core.auth;
    const before = auth.stats.lookups;
    // All at once: lookups in flight must not overdraw the address's bucket.
    const statuses = (
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          t().call('GET', '/api/keys', undefined, {
            key: `rk_test_Random${String(i).padStart(4, '0')}${'x'.repeat(16)}`,
          }),
        ),
      )
    ).map((r) => r.status);
    // A bucket of 5 failures a second, 10 deep: the rest are 429 with Retry-After.
    expect(auth.stats.lookups - before).toBeLessThanOrEqual(12);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(12);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(28);
    const refused = await t().call<ErrorBody>('GET', '/api/keys', undefined, {
      key: 'rk_test_RandomAgain000000000000000',
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    // A key this process verified keeps working from the same address, also once its cache
    // entry has expired and it is looked up again.
    expect((await t().call('GET', '/api/keys')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 150));
    expect((await t().call('GET', '/api/keys')).status).toBe(200);
  });

  it('looks a wrong key up once, then remembers it', async () => {
    const auth = t().server.core.auth;
    await new Promise((r) => setTimeout(r, 2500)); // the address's bucket refills
    const key = 'rk_test_RememberedWrongKey00000000';
    const before = auth.stats.lookups;
    for (let i = 0; i < 5; i++) {
      expect((await t().call('GET', '/api/keys', undefined, { key })).status).toBe(401);
    }
    expect(auth.stats.lookups - before).toBe(1);
  });

  it("does not count a good key's cold burst against its address: one lookup for all of it", async () => {
    const auth = t().server.core.auth;
    const { key } = await t().newOrg('cold-burst');
    const before = auth.stats.lookups;
    const started = performance.now();
    // Far more than the address's 10-deep failure bucket, all before the key is cached.
    const statuses = await Promise.all(
      Array.from({ length: 100 }, () =>
        t()
          .call('GET', '/api/keys', undefined, { key })
          .then((r) => r.status),
      ),
    );
    expect(new Set(statuses)).toEqual(new Set([200]));
    // Concurrent requests share a lookup; another starts only once the 100 ms cache expired.
    const elapsed = performance.now() - started;
    expect(auth.stats.lookups - before).toBeLessThanOrEqual(1 + Math.floor(elapsed / 100));
  });
});

describe('tRPC', () => {
  const submitRaw = (body: unknown) =>
    t().call<{
      error: { json: { data: { httpStatus: number; reins: ErrorBody; stack?: string } } };
    }>('POST', '/trpc/transactions.submit', body);

  it('answers malformed superjson with 422 VALIDATION_ERROR, not a 500', async () => {
    const json = { amount: 1, vendor: 'openai' };
    for (const meta of [
      { values: { amount: ['nonsense'] } },
      { values: { '__proto__.polluted': ['Date'] } },
      { referentialEqualities: { amount: ['__proto__'] } },
      { values: { amount: [['custom', 'Foo']] } },
    ]) {
      const res = await submitRaw({ json, meta });
      expect(res.status).toBe(422);
      expect(res.body.error.json.data.reins).toMatchObject({
        code: 'VALIDATION_ERROR',
        field: 'body',
      });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never sends a stack trace, to anyone', async () => {
    const anon = await t().call<{ error: { json: { data: Record<string, unknown> } } }>(
      'GET',
      '/trpc/keys.list',
      undefined,
      { key: null },
    );
    expect(anon.status).toBe(401);
    expect(anon.body.error.json.data).not.toHaveProperty('stack');
    expect(anon.text).not.toContain('node_modules');
    const bad = await submitRaw({ json: { amount: -1, vendor: 'openai' } });
    expect(bad.body.error.json.data).not.toHaveProperty('stack');
  });

  it('refuses auditLog.csv without audit:read as FORBIDDEN, before streaming', async () => {
    const key = await keyWith(t(), ADMIN_KEY, ['transactions:read']);
    const client = createTRPCClient<AppRouter>({
      links: [
        httpBatchStreamLink({
          url: `${t().url}/trpc`,
          transformer: superjson,
          headers: { authorization: `Bearer ${key}` },
        }),
      ],
    });
    const err = await (async () => {
      for await (const _chunk of await client.auditLog.csv.query({})) {
        // nothing should arrive
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<AppRouter>).data).toMatchObject({
      code: 'FORBIDDEN',
      httpStatus: 403,
    });
  });
});

describe('headers', () => {
  it('refuses a repeated Idempotency-Key instead of joining the two into one key', async () => {
    const reply = await rawRequest(
      'POST /api/v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        `Authorization: Bearer ${ADMIN_KEY}\r\nIdempotency-Key: a1\r\nIdempotency-Key: a2\r\n` +
        'Content-Length: 32\r\nConnection: close\r\n\r\n{"amount":1,"vendor":"openai"}  ',
    );
    expect(statusOf(reply.text)).toBe(422);
    expect(reply.text).toContain('"field":"Idempotency-Key"');
  });

  it('refuses a compressed body with 415 instead of parsing it as JSON', async () => {
    const res = await t().call<ErrorBody>(
      'POST',
      '/api/v1/transactions',
      { amount: 1, vendor: 'openai' },
      { headers: { 'content-encoding': 'gzip' } },
    );
    expect({ status: res.status, code: res.body.code }).toEqual({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
  });

  it('puts the security headers on every answer', async () => {
    for (const [path, key] of [
      ['/health', null],
      ['/api/keys', ADMIN_KEY],
      ['/api/keys', null],
      ['/api/nothing-here', ADMIN_KEY],
    ] as const) {
      const res = await t().call('GET', path, undefined, { key });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toBe(
        "default-src 'none'; frame-ancestors 'none'",
      );
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });
});

describe('internal errors', () => {
  it('answer 500 with a request id the log line carries too', async () => {
    await t().sql('alter table policy_rule rename to policy_rule_moved');
    try {
      const res = await t().call<ErrorBody & { requestId?: string }>('GET', '/api/policy-rules');
      expect(res.status).toBe(500);
      expect(res.body).toMatchObject({ code: 'INTERNAL_ERROR', message: 'Internal server error' });
      // A UUID (no X-Request-Id was sent), the one the answer's header and the log line carry.
      expect(res.body.requestId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(res.headers.get('x-request-id')).toBe(res.body.requestId);
    } finally {
      await t().sql('alter table policy_rule_moved rename to policy_rule');
    }
  });
});

describe('costs computed from tokens', () => {
  it('are held to the per-call cap, as stated amounts are (422 naming amount)', async () => {
    const { key } = await t().newOrg('token costs');
    const tooDear = await t().call<ErrorBody>(
      'POST',
      '/api/vendors/openai/price-overrides',
      { model: 'gpt-4o', inputPerMtokUsd: 1_000_000 },
      { key },
    );
    expect({ status: tooDear.status, field: tooDear.body.field }).toEqual({
      status: 422,
      field: 'inputPerMtokUsd',
    });
    const dear = await t().call(
      'POST',
      '/api/vendors/openai/price-overrides',
      { model: 'gpt-4o', inputPerMtokUsd: 10_000, outputPerMtokUsd: 10_000 },
      { key },
    );
    expect(dear.status).toBe(201);
    const reserve = await t().call<ErrorBody>(
      'POST',
      '/api/v1/transactions',
      {
        vendor: 'openai',
        model: 'gpt-4o',
        tokensIn: 1_000_000_000,
        tokensOut: 1_000_000_000,
        phase: 'reserve',
      },
      { key },
    );
    expect({ status: reserve.status, field: reserve.body.field }).toEqual({
      status: 422,
      field: 'amount',
    });
    expect(reserve.body.message).toContain('$1,000,000.00');

    const small = await t().call<{ id: string }>(
      'POST',
      '/api/v1/transactions',
      { vendor: 'openai', model: 'gpt-4o', tokensIn: 10, tokensOut: 10, phase: 'reserve' },
      { key },
    );
    expect(small.status).toBe(202);
    const settle = await t().call<ErrorBody>(
      'POST',
      `/api/v1/transactions/${small.body.id}/settle`,
      { tokensIn: 1_000_000_000, tokensOut: 1_000_000_000 },
      { key },
    );
    expect({ status: settle.status, field: settle.body.field }).toEqual({
      status: 422,
      field: 'amount',
    });
  });

  it('never take a counter past what JavaScript numbers hold exactly', async () => {
    const { orgId, key } = await t().newOrg('exact totals');
    await t().call(
      'POST',
      '/api/policy-rules',
      {
        name: 'Huge daily cap',
        conditions: { timeWindow: 'daily' },
        action: 'block',
        actionConfig: { limitCents: 10_000_000_000_000 },
      },
      { key },
    );
    const held = await t().call<{ id: string }>(
      'POST',
      '/api/v1/transactions',
      { amount: 1, vendor: 'openai', phase: 'reserve' },
      { key },
    );
    // A counter already within $1,000,000 of the largest exact total.
    await t().sql(
      `update window_counter set cost_micros = ? where org_id = ? and period = 'daily'`,
      [Number.MAX_SAFE_INTEGER - 50_000_000_000_000, orgId],
    );
    const before = await t().sql<{ cost_micros: string }>(
      `select cost_micros from window_counter where org_id = ? and period = 'daily'`,
      [orgId],
    );
    const over = await t().call<ErrorBody>(
      'POST',
      '/api/v1/transactions',
      { amount: 100_000_000, vendor: 'openai' },
      { key },
    );
    expect({ status: over.status, field: over.body.field }).toEqual({
      status: 422,
      field: 'amount',
    });
    const settle = await t().call<ErrorBody>(
      'POST',
      `/api/v1/transactions/${held.body.id}/settle`,
      { amount: 100_000_000 },
      { key },
    );
    expect({ status: settle.status, field: settle.body.field }).toEqual({
      status: 422,
      field: 'amount',
    });
    expect(
      await t().sql(
        `select cost_micros from window_counter where org_id = ? and period = 'daily'`,
        [orgId],
      ),
    ).toEqual(before);
  });
});

describe('API keys', () => {
  it('revoke only keys whose permissions the revoking key holds: keys:admin cannot cut off a * key', async () => {
    const { key } = await t().newOrg('revocations');
    const keysAdmin = await keyWith(t(), key, ['keys:admin', 'transactions:write']);
    const list = await t().call<{ keys: { id: string; permissions: string[] }[] }>(
      'GET',
      '/api/keys',
      undefined,
      { key },
    );
    const star = list.body.keys.find((k) => k.permissions.includes('*'));
    const denied = await t().call<ErrorBody>('DELETE', `/api/keys/${String(star?.id)}`, undefined, {
      key: keysAdmin,
    });
    expect({ status: denied.status, code: denied.body.code }).toEqual({
      status: 403,
      code: 'FORBIDDEN',
    });
    expect(denied.body.requiredPermission).toBe('*');
    expect((await t().call('GET', '/api/keys', undefined, { key })).status).toBe(200);

    const writer = await t().call<{ id: string }>(
      'POST',
      '/api/keys',
      { name: 'writer', permissions: ['transactions:write'] },
      { key: keysAdmin },
    );
    const revoked = await t().call('DELETE', `/api/keys/${writer.body.id}`, undefined, {
      key: keysAdmin,
    });
    expect(revoked.status).toBe(200);
  });
});

describe('audit CSV exports', () => {
  /** Opens an export on a raw connection that reads nothing: the server's writes back up. */
  function stalledExport(key: string): Promise<{ status: number; socket: Socket }> {
    const u = new URL(t().url);
    return new Promise((resolve) => {
      const s = connect(Number(u.port), u.hostname);
      let head = '';
      const onData = (d: Buffer) => {
        head += d.toString('latin1');
        if (!head.includes('\r\n')) return;
        s.off('data', onData);
        s.pause();
        resolve({ status: statusOf(head), socket: s });
      };
      s.on('data', onData);
      s.on('error', () => undefined);
      s.write(
        `GET /api/v1/audit-log/csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`,
      );
    });
  }

  it('run a few at a time per key, per organization and in all; the rest get 429 with Retry-After', async () => {
    const org = await t().newOrg('exports');
    await t().sql(
      `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id)
       select 'evt_x' || g, ?, 'alert.read', now(), 'key:someone', 'alert', repeat('x', 80)
         from generate_series(1, 60000) g`,
      [org.orgId],
    );
    const exports = t().server.core.exports;
    const open: Socket[] = [];
    try {
      const first = await Promise.all([stalledExport(org.key), stalledExport(org.key)]);
      open.push(...first.map((e) => e.socket));
      expect(first.map((e) => e.status)).toEqual([200, 200]);
      // A third by the same key waits for one of those.
      const third = await t().call<ErrorBody>('GET', '/api/v1/audit-log/csv', undefined, {
        key: org.key,
      });
      expect({ status: third.status, code: third.body.code }).toEqual({
        status: 429,
        code: 'RATE_LIMITED',
      });
      expect(third.headers.get('retry-after')).toBe('5');
      // Another key of the organization gets the organization's two other slots, then no more.
      const other = await keyWith(t(), org.key, ['audit:read']);
      const more = await Promise.all([stalledExport(other), stalledExport(other)]);
      open.push(...more.map((e) => e.socket));
      expect(more.map((e) => e.status)).toEqual([200, 200]);
      const another = await keyWith(t(), org.key, ['audit:read']);
      expect(
        (await t().call('GET', '/api/v1/audit-log/csv', undefined, { key: another })).status,
      ).toBe(429);
      // … and the process runs no more than four in all: another organization waits too.
      const elsewhere = await t().newOrg('exports elsewhere');
      expect(
        (await t().call('GET', '/api/v1/audit-log/csv', undefined, { key: elsewhere.key })).status,
      ).toBe(429);
      expect(exports.running).toBe(4);
      // The hot path is not among what waits.
      expect(
        (
          await t().call(
            'POST',
            '/api/v1/transactions',
            { amount: 1, vendor: 'openai' },
            { key: org.key },
          )
        ).status,
      ).toBe(202);
    } finally {
      for (const s of open) s.destroy();
    }
    // Clients that went away free their slots at once.
    for (let i = 0; i < 50 && exports.running > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(exports.running).toBe(0);
    expect(
      (await t().call('GET', '/api/v1/audit-log/csv', undefined, { key: org.key })).status,
    ).toBe(200);
  });
});
