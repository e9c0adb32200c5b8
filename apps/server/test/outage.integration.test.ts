/**
 * PostgreSQL goes away and comes back: requests get 503 SERVICE_UNAVAILABLE with Retry-After,
 * quickly, the outage is noted once, and everything works again when the database is back. The
 * server reaches the database through a TCP relay the test can take down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, initOrm, migrateUp, type Orm, type TestDatabase } from '@reins/db';
import { defaultEnv } from '../src/env.js';
import { startServer, type RunningServer } from '../src/server.js';
import { ADMIN_KEY, request } from './harness.js';
import { Relay } from './relay.js';

describe('a database outage', () => {
  let db: TestDatabase;
  let relay: Relay;
  let orm: Orm;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase('outage');
    const url = new URL(db.url);
    relay = new Relay({ host: url.hostname, port: Number(url.port || 5432) });
    await relay.up();
    url.hostname = '127.0.0.1';
    url.port = String(relay.port);
    orm = await initOrm(url.toString(), { maxConnections: db.maxConnections });
    await migrateUp(orm);
    server = await startServer(
      defaultEnv({
        PORT: 0,
        LOG_LEVEL: 'silent',
        REINS_BOOTSTRAP_KEY: ADMIN_KEY,
        REINS_KEY_ENV: 'test',
      }),
      { db: { orm, mode: 'postgres', close: () => Promise.resolve() } },
    );
  }, 300_000);

  afterAll(async () => {
    await server.close();
    await orm.close(true);
    await relay.down();
    await db.drop();
  }, 300_000);

  const tx = () =>
    request<{ code?: string; retryAfter?: number }>(server.url, 'POST', '/api/v1/transactions', {
      amount: 1,
      vendor: 'openai',
    });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After, quickly, and recovers', async () => {
    expect((await tx()).status).toBe(202);
    await relay.down();
    const started = Date.now();
    const during = await Promise.all([
      ...Array.from({ length: 10 }, () => tx()),
      request<{ code?: string }>(server.url, 'GET', '/api/v1/transactions', undefined),
      request<{ code?: string }>(server.url, 'GET', '/api/policy-rules', undefined),
    ]);
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const r of during) {
      expect({ status: r.status, code: r.body.code }).toEqual({
        status: 503,
        code: 'SERVICE_UNAVAILABLE',
      });
      expect(r.headers.get('retry-after')).toBe('5');
    }
    expect(server.core.outage.down).toBe(true);
    const health = await request(server.url, 'GET', '/health', undefined);
    expect(health.status).toBe(503);
    // An answer that needs no database does not end the outage.
    const anonymous = await request(server.url, 'GET', '/api/v1/transactions', undefined, {
      key: null,
    });
    expect(anonymous.status).toBe(401);
    expect(server.core.outage.down).toBe(true);

    await relay.up();
    let back = 0;
    for (let i = 0; i < 50 && back !== 202; i++) {
      back = (await tx()).status;
      if (back !== 202) await new Promise((r) => setTimeout(r, 200));
    }
    expect(back).toBe(202);
    // The outage's end is found by a probe within a second or so.
    for (let i = 0; i < 50 && server.core.outage.down; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(server.core.outage.down).toBe(false);
  });
});
