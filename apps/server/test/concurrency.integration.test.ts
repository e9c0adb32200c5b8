/**
 * Two server processes on one real PostgreSQL, many concurrent requests at one cap: the admitted
 * total never exceeds the cap, and the counters equal the sum of what was admitted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, initOrm, testServerUrl, type Orm, type TestDatabase } from '@reins/db';
import { countersAndLedger } from './counts.js';
import { ADMIN_KEY, request } from './harness.js';
import { spawnServer, type ServerProcess } from './processes.js';

// Embedded PGlite is one connection inside one process: two processes need a real server.
const realPostgres = testServerUrl() !== undefined;

describe.skipIf(!realPostgres)('two server processes, one PostgreSQL', () => {
  let db: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  let orm: Orm;

  beforeAll(async () => {
    db = await createTestDatabase('concurrency');
    // Both start at once on the empty database: migrations and bootstrap must not collide.
    const env = {
      DATABASE_URL: db.url,
      REINS_BOOTSTRAP_KEY: ADMIN_KEY,
      REINS_RATE_LIMIT_RPS: '0',
      REINS_DB_POOL: '4',
    };
    [a, b] = await Promise.all([spawnServer(env), spawnServer(env)]);
    orm = await initOrm(db.url, { maxConnections: 2 });
  }, 300_000);

  afterAll(async () => {
    await orm.close();
    await Promise.all([a.stop(), b.stop()]);
    await db.drop();
  }, 300_000);

  const post = (server: ServerProcess, path: string, body: unknown) =>
    request<Record<string, unknown>>(server.url, 'POST', path, body);
  const get = (server: ServerProcess, path: string) =>
    request<Record<string, unknown>>(server.url, 'GET', path, undefined);

  it('bootstraps exactly one organization when both processes start on an empty database', async () => {
    const keys = await get(b, '/api/keys');
    expect(keys.status).toBe(200);
    expect(keys.body.keys).toHaveLength(1);
  });

  it('never admits more than a daily cap across 128 concurrent requests through both processes', async () => {
    // Process B compiles (and caches) the policy before the rule exists…
    const warm = await post(b, '/api/v1/transactions', {
      amount: 0,
      vendor: 'openai',
      agentId: 'warm',
    });
    expect(warm.status).toBe(202);
    // …then the cap is created through A: B must see it on its next transaction.
    const rule = await post(a, '/api/policy-rules', {
      name: 'Daily $10 cap for the capped agents',
      priority: 10,
      conditions: { agentIds: ['capped-*'], timeWindow: 'daily' },
      action: 'block',
      actionConfig: { limitCents: 1000, per: 'org', message: 'Daily cap reached' },
    });
    expect(rule.status).toBe(201);

    const amounts = Array.from({ length: 128 }, (_, i) => 7 + ((i * 37) % 44)); // 7..50 cents
    const results = await Promise.all(
      amounts.map((amount, i) =>
        post(i % 2 === 0 ? a : b, '/api/v1/transactions', {
          amount,
          vendor: 'openai',
          model: 'gpt-4o',
          agentId: `capped-${String(i % 5)}`,
        }),
      ),
    );
    expect(results.every((r) => r.status === 202 || r.status === 403)).toBe(true);
    const admitted = amounts.filter((_, i) => results[i]?.status === 202);
    const admittedCents = admitted.reduce((s, x) => s + x, 0);
    expect(admittedCents).toBeLessThanOrEqual(1000);
    // Nothing was blocked that fit: every block would have crossed the cap at the end.
    for (const [i, r] of results.entries()) {
      if (r.status === 403) {
        expect(r.body.code).toBe('POLICY_VIOLATION');
        expect(admittedCents + (amounts[i] ?? 0)).toBeGreaterThan(1000);
      }
    }
    expect(results.filter((r) => r.status === 403).length).toBeGreaterThan(0);

    // Every request is recorded once; the counter equals the admitted sum.
    const list = await get(a, '/api/v1/transactions?limit=500&agentId=capped-0');
    expect(list.status).toBe(200);
    const all = await Promise.all(
      [0, 1, 2, 3, 4].map((n) =>
        get(b, `/api/v1/transactions?limit=500&agentId=capped-${String(n)}`),
      ),
    );
    const total = all.reduce((s, r) => s + (r.body.total as number), 0);
    expect(total).toBe(128);
    const blockedListed = await get(a, '/api/v1/transactions?limit=500&action=block');
    expect(blockedListed.body.total).toBe(results.filter((r) => r.status === 403).length);

    const trace = await get(b, `/api/v1/transactions/${String(results[0]?.body.id)}/trace`);
    expect(trace.status).toBe(200);
    const dry = await post(a, '/api/policy-rules/evaluate', {
      amount: 1001,
      vendor: 'openai',
      agentId: 'capped-1',
    });
    expect((dry.body.result as { action: string }).action).toBe('block');
    const details = (dry.body.result as { details: { current: number; limit: number } }).details;
    // The dry run reads the live counter: current = admitted total + this amount.
    expect(details.current).toBe(admittedCents + 1001);
    expect(details.limit).toBe(1000);
  });

  it('admits exactly maxTransactions of 100 concurrent requests through both processes', async () => {
    const rule = await post(b, '/api/policy-rules', {
      name: 'Burst bot: 30 requests an hour',
      priority: 20,
      conditions: { agentIds: ['burst-bot'], timeWindow: 'hourly' },
      action: 'block',
      actionConfig: { maxTransactions: 30, message: 'Hourly request limit reached' },
    });
    expect(rule.status).toBe(201);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        post(i % 2 === 0 ? b : a, '/api/v1/transactions', {
          amount: 1,
          vendor: 'anthropic',
          model: 'claude-3-5-sonnet',
          agentId: 'burst-bot',
        }),
      ),
    );
    expect(results.filter((r) => r.status === 202)).toHaveLength(30);
    expect(results.filter((r) => r.status === 403)).toHaveLength(70);
  });

  it('keeps every counter equal to the ledger while rules come and go under a stream of transactions', async () => {
    const [org] = (
      await orm.em
        .fork()
        .getConnection()
        .execute<{ id: string }[]>('select id from organization order by created_at limit 1')
    ).map((r) => r.id);
    const orgId = org ?? '';
    let streaming = true;
    let sent = 0;
    // Four clients, two per process, sending small transactions as fast as they are answered.
    const stream = Array.from({ length: 4 }, async (_, c) => {
      for (let i = 0; streaming; i++) {
        const res = await post(c % 2 === 0 ? a : b, '/api/v1/transactions', {
          amount: 1 + (i % 7),
          vendor: i % 3 === 0 ? 'anthropic' : 'openai',
          agentId: `stream-${String(c)}`,
          userId: `user-${String(i % 5)}`,
          tokensIn: 10,
          tokensOut: 3,
          ...(i % 4 === 0 ? { phase: 'reserve' } : {}),
        });
        expect(res.status).toBe(202);
        sent += 1;
      }
    });
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const rule = (server: ServerProcess, per: string, period: string) =>
      post(server, '/api/policy-rules', {
        name: `Large ${period} cap per ${per}`,
        conditions: { agentIds: ['stream-*'], timeWindow: period },
        action: 'block',
        actionConfig: { limitCents: 10_000_000, per },
      });
    await pause(300);
    const r1 = await rule(a, 'agent', 'daily');
    await pause(200);
    const r2 = await rule(b, 'user', 'hourly');
    await pause(200);
    const r3 = await rule(a, 'vendor', 'monthly');
    expect([r1.status, r2.status, r3.status]).toEqual([201, 201, 201]);
    await pause(200);
    const off = await request(b.url, 'PUT', `/api/policy-rules/${String(r1.body.id)}`, {
      enabled: false,
    });
    await pause(200);
    const on = await request(a.url, 'PUT', `/api/policy-rules/${String(r1.body.id)}`, {
      enabled: true,
    });
    expect([off.status, on.status]).toEqual([200, 200]);
    await pause(300);
    streaming = false;
    await Promise.all(stream);
    expect(sent).toBeGreaterThan(50);

    const rows = await countersAndLedger(async (q, p = []) => {
      const res: unknown = await orm.em.fork().getConnection().execute(q, p, 'all');
      return res as never[];
    }, orgId);
    const families = new Set(rows.map((r) => r.key.split('|').slice(0, 2).join('|')));
    for (const f of ['daily|agent', 'hourly|user', 'monthly|vendor']) expect(families).toContain(f);
    for (const r of rows) expect({ key: r.key, ...r.counter }).toEqual({ key: r.key, ...r.ledger });
  });
});
