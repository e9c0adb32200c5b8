/**
 * Idempotent requests (SPEC §4): an `Idempotency-Key` header or `metadata.requestId` names a
 * request; a replay answers the first response byte for byte and writes nothing, the same key
 * with another body is a 409, and any number of concurrent copies — in one process or two —
 * record exactly one transaction.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, initOrm, testServerUrl, type Orm, type TestDatabase } from '@reins/db';
import { MICROS_PER_CENT } from '@reins/engine';
import { rowCounts, windowCounters } from './counts.js';
import { ADMIN_KEY, request, useTestServer, type Reply } from './harness.js';
import { cappedOrg } from './helpers.js';
import { spawnServer, type ServerProcess } from './processes.js';

const t = useTestServer('idempotency');

afterEach(() => {
  t().clock.set(null);
});

const M = MICROS_PER_CENT;

interface Body {
  success: boolean;
  id: string;
  code?: string;
  message?: string;
  field?: string;
  idempotencyKey?: string;
  status?: string;
  amountMicros?: number;
  amount?: number;
}

function post(key: string, body: unknown, idempotencyKey?: string) {
  return t().call<Body>('POST', '/api/v1/transactions', body, {
    key,
    headers: idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey },
  });
}

async function orgRows(orgId: string) {
  // `keys`: what is kept under idempotency keys — stored answers, and keyed transactions (whose
  // answers are derived from their rows).
  const [row] = await t().sql<{ tx: number; audit: number; keys: number }>(
    `select (select count(*)::int from transaction_record where org_id = ?) as tx,
            (select count(*)::int from audit_event where org_id = ?) as audit,
            (select count(*)::int from idempotency_record where org_id = ?)
              + (select count(*)::int from transaction_record
                  where org_id = ? and request_hash is not null) as keys`,
    [orgId, orgId, orgId, orgId],
  );
  return row;
}

async function auditCount(entityId: string): Promise<number> {
  const [row] = await t().sql<{ n: number }>(
    'select count(*)::int as n from audit_event where entity_id = ?',
    [entityId],
  );
  return row?.n ?? -1;
}

/** Everything a replay must leave alone: row counts of the org and its counters. */
async function snapshot(orgId: string) {
  return { rows: await orgRows(orgId), counters: await windowCounters(t(), orgId) };
}

function expectSameReply(a: Reply<Body>, b: Reply<Body>) {
  expect(b.status).toBe(a.status);
  expect(b.text).toBe(a.text);
  expect(b.headers.get('content-type')).toBe(a.headers.get('content-type'));
}

const tx = (amount: number, extra: Record<string, unknown> = {}) => ({
  amount,
  vendor: 'openai',
  model: 'gpt-4o',
  agentId: 'support-bot',
  ...extra,
});

describe('replays', () => {
  it('replays an admitted transaction byte for byte and writes nothing the second time', async () => {
    const { orgId, key } = await cappedOrg(t(), 'replay-202', 1000);
    const first = await post(key, tx(120), 'order-42/charge');
    expect(first.status).toBe(202);
    const before = await snapshot(orgId);
    expect(before.rows).toMatchObject({ tx: 1, keys: 1 });
    expect(Object.values(before.counters)).toEqual([{ costMicros: 120 * M, requests: 1 }]);

    for (let i = 0; i < 3; i++) {
      const again = await post(key, tx(120), 'order-42/charge');
      expectSameReply(first, again);
    }
    expect(await snapshot(orgId)).toEqual(before);
    // The answer is derived from the transaction's row, which keeps the request's hash: no
    // second row, no stored body.
    const [row] = await t().sql<{ id: string; idempotency_key: string; request_hash: string }>(
      'select id, idempotency_key, request_hash from transaction_record where org_id = ?',
      [orgId],
    );
    expect(row).toMatchObject({ id: first.body.id, idempotency_key: 'order-42/charge' });
    expect(row?.request_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(before.rows?.keys).toBe(1);
    const [stored] = await t().sql<{ n: number }>(
      'select count(*)::int as n from idempotency_record where org_id = ?',
      [orgId],
    );
    expect(stored?.n).toBe(0);
  });

  it('replays a 403 POLICY_VIOLATION byte for byte without recording a second block', async () => {
    const { orgId, key } = await cappedOrg(t(), 'replay-403', 100);
    const first = await post(key, tx(500), 'too-big');
    expect(first.status).toBe(403);
    expect(first.body.code).toBe('POLICY_VIOLATION');
    const before = await snapshot(orgId);
    const again = await post(key, tx(500), 'too-big');
    expectSameReply(first, again);
    expect(await snapshot(orgId)).toEqual(before);
    expect(before.rows?.tx).toBe(1);
  });

  it('answers the first response even after the policy changed or a day went by', async () => {
    const { orgId, key } = await t().newOrg('replay-stable');
    const first = await post(key, tx(300), 'stable-1');
    expect(first.status).toBe(202);
    const block = await t().call(
      'POST',
      '/api/policy-rules',
      { name: 'Block everything', action: 'block', conditions: {} },
      { key },
    );
    expect(block.status).toBe(201);
    // A new request is blocked now…
    expect((await post(key, tx(300), 'stable-2')).status).toBe(403);
    // …but the replay is the original 202, also 48 hours later.
    t().clock.set(Date.now() + 48 * 3600_000);
    const before = await snapshot(orgId);
    expectSameReply(first, await post(key, tx(300), 'stable-1'));
    expect(await snapshot(orgId)).toEqual(before);
  });

  it('hashes the validated body: key order, vendor case and whitespace do not make a conflict', async () => {
    const { orgId, key } = await t().newOrg('replay-canonical');
    const first = await post(key, { vendor: 'openai', amount: 7, metadata: { a: 1, b: 2 } }, 'c-1');
    expect(first.status).toBe(202);
    const again = await t().call<Body>('POST', '/api/v1/transactions', undefined, {
      key,
      headers: { 'idempotency-key': 'c-1' },
      raw: '{ "metadata": {"b":2,"a":1}, "amount": 7, "vendor": " OpenAI " }',
    });
    expectSameReply(first, again);
    expect((await orgRows(orgId))?.tx).toBe(1);
  });

  it('keys by metadata.requestId when there is no header, and the header wins over it', async () => {
    const { orgId, key } = await t().newOrg('request-id');
    const body = tx(40, { metadata: { requestId: 'req_abc', team: 'search' } });
    const first = await post(key, body);
    expect(first.status).toBe(202);
    expectSameReply(first, await post(key, body));
    expect((await orgRows(orgId))?.tx).toBe(1);
    const [rec] = await t().sql<{ key: string }>(
      'select idempotency_key as key from transaction_record where org_id = ?',
      [orgId],
    );
    expect(rec?.key).toBe('req_abc');
    // Same requestId, different body: a conflict, like the header.
    const conflict = await post(
      key,
      tx(41, { metadata: { requestId: 'req_abc', team: 'search' } }),
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('IDEMPOTENCY_CONFLICT');
    // With a header, the header is the key: the requestId does not replay.
    const keyed = await post(key, body, 'hdr-1');
    expect(keyed.status).toBe(202);
    expect(keyed.body.id).not.toBe(first.body.id);
    expect((await orgRows(orgId))?.tx).toBe(2);
  });

  it('scopes keys to the organization', async () => {
    const a = await t().newOrg('scope-a');
    const b = await t().newOrg('scope-b');
    const ra = await post(a.key, tx(5), 'shared-key');
    const rb = await post(b.key, tx(5), 'shared-key');
    expect(ra.status).toBe(202);
    expect(rb.status).toBe(202);
    expect(rb.body.id).not.toBe(ra.body.id);
    expect((await orgRows(a.orgId))?.tx).toBe(1);
    expect((await orgRows(b.orgId))?.tx).toBe(1);
  });
});

describe('conflicts and bad keys', () => {
  it('answers 409 IDEMPOTENCY_CONFLICT for the same key with a different body, writing nothing', async () => {
    const { orgId, key } = await cappedOrg(t(), 'conflict', 1000);
    const first = await post(key, tx(10), 'k-1');
    expect(first.status).toBe(202);
    const before = await snapshot(orgId);
    for (const other of [tx(11), tx(10, { agentId: 'other' }), tx(10, { phase: 'reserve' })]) {
      const res = await post(key, other, 'k-1');
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({
        success: false,
        code: 'IDEMPOTENCY_CONFLICT',
        idempotencyKey: 'k-1',
      });
    }
    expect(await snapshot(orgId)).toEqual(before);
    // The original still replays.
    expectSameReply(first, await post(key, tx(10), 'k-1'));
  });

  it('refuses an over-long or control-character key with 422 naming where it came from', async () => {
    const { orgId, key } = await t().newOrg('bad-keys');
    const ok255 = await post(key, tx(1), 'k'.repeat(255));
    expect(ok255.status).toBe(202);
    const before = await rowCounts(t());
    for (const bad of ['k'.repeat(256), 'tab\there']) {
      const res = await post(key, tx(1), bad);
      expect(res.status, JSON.stringify(bad)).toBe(422);
      expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'Idempotency-Key' });
    }
    for (const bad of ['r'.repeat(256), 'line\nbreak', 'bell\u0007', 'del\u007f', '']) {
      const res = await post(key, tx(1, { metadata: { requestId: bad } }));
      expect(res.status, JSON.stringify(bad)).toBe(422);
      expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'metadata.requestId' });
    }
    const notString = await post(key, tx(1, { metadata: { requestId: 42 } }));
    expect(notString.status).toBe(422);
    expect(notString.body.field).toBe('metadata.requestId');
    expect(await rowCounts(t())).toEqual(before);
    expect((await orgRows(orgId))?.tx).toBe(1);
  });

  it('stores nothing for a refused (422) request: the key is still free afterwards', async () => {
    const { orgId, key } = await t().newOrg('422-then-ok');
    const bad = await post(key, { vendor: 'openai', amount: -1 }, 'retry-me');
    expect(bad.status).toBe(422);
    const good = await post(key, tx(3), 'retry-me');
    expect(good.status).toBe(202);
    expect(await orgRows(orgId)).toMatchObject({ tx: 1, keys: 1 });
  });
});

describe('concurrent copies', () => {
  it('records exactly one transaction for 300 concurrent identical requests with one key', async () => {
    const { orgId, key } = await cappedOrg(t(), 'burst', 100_000);
    const replies = await Promise.all(
      Array.from({ length: 300 }, () => post(key, tx(25), 'burst-key')),
    );
    const first = replies[0] as Reply<Body>;
    expect(first.status).toBe(202);
    for (const r of replies) expectSameReply(first, r);
    expect(await orgRows(orgId)).toMatchObject({ tx: 1, keys: 1 });
    expect(await auditCount(first.body.id)).toBe(1);
    expect(Object.values(await windowCounters(t(), orgId))).toEqual([
      { costMicros: 25 * M, requests: 1 },
    ]);
  });

  it('records exactly one transaction for 300 concurrent copies of a request no window rule reads', async () => {
    // No counter is locked: the copies only serialize on the idempotency record itself.
    const { orgId, key } = await t().newOrg('burst-no-rules');
    const replies = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        i % 2 === 0
          ? post(key, tx(9, { metadata: { requestId: 'rid-1' } }))
          : post(key, tx(9, { metadata: { requestId: 'rid-1' } }), 'rid-1'),
      ),
    );
    const first = replies[0] as Reply<Body>;
    expect(first.status).toBe(202);
    // The header and metadata.requestId name the same key with the same body.
    for (const r of replies) expectSameReply(first, r);
    expect(await orgRows(orgId)).toMatchObject({ tx: 1, keys: 1 });
    expect(await auditCount(first.body.id)).toBe(1);
  });

  it('answers 300 concurrent copies of a blocked request with one identical 403 and one blocked record', async () => {
    const { orgId, key } = await cappedOrg(t(), 'burst-block', 10);
    const replies = await Promise.all(
      Array.from({ length: 300 }, () => post(key, tx(50), 'blocked-burst')),
    );
    const first = replies[0] as Reply<Body>;
    expect(first.status).toBe(403);
    for (const r of replies) expectSameReply(first, r);
    expect(await orgRows(orgId)).toMatchObject({ tx: 1, keys: 1 });
    expect(await auditCount(first.body.id)).toBe(1);
  });
});

describe('settle and void', () => {
  function settle(key: string, id: string, body: unknown, idem?: string) {
    return t().call<Body>('POST', `/api/v1/transactions/${id}/settle`, body, {
      key,
      headers: idem ? { 'idempotency-key': idem } : {},
    });
  }

  it('replays the first 200 of a settle with the same Idempotency-Key instead of a 409', async () => {
    const { orgId, key } = await cappedOrg(t(), 'settle-replay', 1000);
    const r = await post(key, tx(200, { phase: 'reserve' }));
    expect(r.status).toBe(202);
    const first = await settle(key, r.body.id, { amount: 150 }, 'settle-1');
    expect(first.status).toBe(200);
    const before = await snapshot(orgId);
    expectSameReply(first, await settle(key, r.body.id, { amount: 150 }, 'settle-1'));
    expect(await snapshot(orgId)).toEqual(before);
    expect(Object.values(before.counters)).toEqual([{ costMicros: 150 * M, requests: 1 }]);
    // Without the key (or with another) it is a second settle: 409.
    const again = await settle(key, r.body.id, { amount: 150 });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('RESERVATION_SETTLED');
    const other = await settle(key, r.body.id, { amount: 150 }, 'settle-2');
    expect(other.body.code).toBe('RESERVATION_SETTLED');
    // Same key, different amount: a conflict.
    const changed = await settle(key, r.body.id, { amount: 151 }, 'settle-1');
    expect(changed.status).toBe(409);
    expect(changed.body.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await snapshot(orgId)).toEqual(before);
  });

  it('settles once under 50 concurrent settles with one key, all answering the same 200', async () => {
    const { orgId, key } = await cappedOrg(t(), 'settle-burst', 1000);
    const r = await post(key, tx(200, { phase: 'reserve' }));
    const replies = await Promise.all(
      Array.from({ length: 50 }, () => settle(key, r.body.id, { amount: 90 }, 'settle-burst')),
    );
    const first = replies[0] as Reply<Body>;
    expect(first.status).toBe(200);
    for (const x of replies) expectSameReply(first, x);
    expect(Object.values(await windowCounters(t(), orgId))).toEqual([
      { costMicros: 90 * M, requests: 1 },
    ]);
    const settled = await t().sql<{ n: number }>(
      `select count(*)::int as n from audit_event where entity_id = ? and event_type = 'transaction.settled'`,
      [r.body.id],
    );
    expect(settled[0]?.n).toBe(1);
  });

  it('replays a void with the same Idempotency-Key', async () => {
    const { orgId, key } = await cappedOrg(t(), 'void-replay', 1000);
    const r = await post(key, tx(200, { phase: 'reserve' }));
    const v = (idem?: string) =>
      t().call<Body>('POST', `/api/v1/transactions/${r.body.id}/void`, undefined, {
        key,
        headers: idem ? { 'idempotency-key': idem } : {},
      });
    const first = await v('void-1');
    expect(first.status).toBe(200);
    const before = await snapshot(orgId);
    expectSameReply(first, await v('void-1'));
    expect(await snapshot(orgId)).toEqual(before);
    expect((await v()).body.code).toBe('RESERVATION_VOIDED');
  });

  it('refuses a bad Idempotency-Key on settle with 422', async () => {
    const { key } = await cappedOrg(t(), 'settle-bad-key', 1000);
    const r = await post(key, tx(200, { phase: 'reserve' }));
    const res = await settle(key, r.body.id, { amount: 1 }, 'x'.repeat(256));
    expect(res.status).toBe(422);
    expect(res.body.field).toBe('Idempotency-Key');
  });
});

// Embedded PGlite is one connection inside one process: two processes need a real server.
const realPostgres = testServerUrl() !== undefined;

describe.skipIf(!realPostgres)('two server processes, one PostgreSQL', () => {
  let db: TestDatabase;
  let orm: Orm;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase('idempotency_procs');
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

  const sql = async <T>(query: string, params: unknown[] = []): Promise<T[]> => {
    const rows: unknown = await orm.em.fork().getConnection().execute(query, params, 'all');
    return rows as T[];
  };

  async function burst(body: unknown, idem: string, n: number) {
    return Promise.all(
      Array.from({ length: n }, (_, i) =>
        request<Body>(i % 2 === 0 ? a.url : b.url, 'POST', '/api/v1/transactions', body, {
          headers: { 'idempotency-key': idem },
        }),
      ),
    );
  }

  it('records one transaction for 300 copies of one keyed request sent through both processes', async () => {
    const rule = await request(a.url, 'POST', '/api/policy-rules', {
      name: 'Daily cap for capped agents',
      priority: 10,
      conditions: { agentIds: ['capped-*'], timeWindow: 'daily' },
      action: 'block',
      actionConfig: { limitCents: 100, per: 'org' },
    });
    expect(rule.status).toBe(201);
    // A counter locked (capped, admitted), none locked (free), and a block.
    const cases: [Record<string, unknown>, string, number][] = [
      [tx(30, { agentId: 'capped-1' }), 'procs-capped', 202],
      [tx(30, { agentId: 'free-1' }), 'procs-free', 202],
      [tx(500, { agentId: 'capped-2' }), 'procs-blocked', 403],
    ];
    const all = await Promise.all(cases.map(([body, idem]) => burst(body, idem, 300)));
    for (const [i, replies] of all.entries()) {
      const [body, idem, status] = cases[i] as [Record<string, unknown>, string, number];
      const first = replies[0] as Reply<Body>;
      expect(first.status, idem).toBe(status);
      for (const r of replies) {
        expect(r.status, idem).toBe(first.status);
        expect(r.text, idem).toBe(first.text);
      }
      const rows = await sql<{ id: string; agent_id: string }>(
        'select id, agent_id from transaction_record where idempotency_key = ?',
        [idem],
      );
      expect(rows).toEqual([{ id: first.body.id, agent_id: body.agentId }]);
      const audit = await sql<{ n: number }>(
        'select count(*)::int as n from audit_event where entity_id = ?',
        [first.body.id],
      );
      expect(audit[0]?.n).toBe(1);
    }
    const counters = await sql<{ cost_micros: string; requests: string }>(
      'select cost_micros, requests from window_counter',
    );
    // The org's daily window counts every admitted transaction of the org once (the rule reads
    // the org total): 30 (capped-1) + 30 (free-1); the block counts nothing.
    expect(counters.map((c) => [Number(c.cost_micros), Number(c.requests)])).toEqual([[60 * M, 2]]);
  }, 120_000);
});

describe('where answers are kept', () => {
  const settle = (key: string, id: string, body: unknown, idem?: string) =>
    t().call<Body>('POST', `/api/v1/transactions/${id}/settle`, body, {
      key,
      headers: idem ? { 'idempotency-key': idem } : {},
    });

  it('replays a reservation costed from its tokens with its first answer after it settled at another amount', async () => {
    const { orgId, key } = await cappedOrg(t(), 'derived-reserve', 100_000);
    const body = {
      vendor: 'openai',
      model: 'gpt-4o',
      agentId: 'support-bot',
      tokensIn: 20_000,
      tokensOut: 4_000,
      phase: 'reserve',
    };
    const first = await post(key, body, 'reserve-1');
    expect(first.status).toBe(202);
    expect(first.body.status).toBe('reserved');
    expect(first.body.amountMicros).toBeGreaterThan(0);
    const settled = await settle(key, first.body.id, { amount: 9_999 });
    expect(settled.status).toBe(200);
    // The row's amount is now the settled one; the replay still answers what was reserved.
    const [row] = await t().sql<{ amount_micros: string }>(
      'select amount_micros from transaction_record where org_id = ?',
      [orgId],
    );
    expect(Number(row?.amount_micros)).toBe(9_999 * M);
    expectSameReply(first, await post(key, body, 'reserve-1'));
    expect((await orgRows(orgId))?.tx).toBe(1);
  });

  it('keeps one key space: a transaction’s key is a conflict for a settle and for a bulk upload', async () => {
    const { orgId, key } = await cappedOrg(t(), 'one-key-space', 1000);
    const r = await post(key, tx(100, { phase: 'reserve' }), 'shared-key');
    expect(r.status).toBe(202);
    const s = await settle(key, r.body.id, { amount: 90 }, 'shared-key');
    expect(s.status).toBe(409);
    expect(s.body.code).toBe('IDEMPOTENCY_CONFLICT');
    const bulk = await t().call<Body>(
      'POST',
      '/api/v1/transactions/bulk',
      { transactions: [tx(1)] },
      { key, headers: { 'idempotency-key': 'shared-key' } },
    );
    expect(bulk.status).toBe(409);
    expect(bulk.body.code).toBe('IDEMPOTENCY_CONFLICT');
    // Still: the reservation unsettled, nothing else recorded, and its replay unchanged.
    expect((await orgRows(orgId))?.tx).toBe(1);
    expectSameReply(r, await post(key, tx(100, { phase: 'reserve' }), 'shared-key'));
  });

  it('replays an answer stored before transactions kept their keys’ hashes (an upgraded database)', async () => {
    const { orgId, key } = await cappedOrg(t(), 'stored-answer', 1000);
    const first = await post(key, tx(120), 'old-key');
    expect(first.status).toBe(202);
    // What an older version wrote: the answer in idempotency_record, no hash on the row.
    const [row] = await t().sql<{ request_hash: string }>(
      `select request_hash from transaction_record where org_id = ? and idempotency_key = 'old-key'`,
      [orgId],
    );
    await t().sql(
      `update transaction_record set request_hash = null
        where org_id = ? and idempotency_key = 'old-key'`,
      [orgId],
    );
    await t().sql(
      `insert into idempotency_record (org_id, key, route, request_hash, status_code,
          response_body, created_at, completed_at)
       values (?, 'old-key', 'POST /api/v1/transactions', ?, 202, ?, now(), now())`,
      [orgId, row?.request_hash, first.text],
    );
    expectSameReply(first, await post(key, tx(120), 'old-key'));
    const conflict = await post(key, tx(121), 'old-key');
    expect(conflict.status).toBe(409);
    expect((await orgRows(orgId))?.tx).toBe(1);
  });
});
