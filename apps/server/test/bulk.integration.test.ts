/**
 * POST /api/v1/transactions/bulk (SPEC §4): up to 1,000 transactions evaluated in order — each
 * sees the spend of the ones before it — with one result per item carrying exactly what the
 * single request would have answered; an invalid or blocked item never fails the others.
 */
import { describe, expect, it } from 'vitest';
import { MICROS_PER_CENT } from '@reins/engine';
import { rowCounts, windowCounters } from './counts.js';
import { useTestServer } from './harness.js';
import { cappedOrg } from './helpers.js';

const t = useTestServer('bulk');

const M = MICROS_PER_CENT;

interface Item {
  index: number;
  success: boolean;
  id?: string;
  action?: string;
  code?: string;
  message?: string;
  field?: string;
  policyResult?: { action: string; ruleId: string | null; message: string };
  details?: { limit: number; current: number; timeWindow: string };
  status?: string;
  expiresAt?: string;
}

interface BulkReply {
  success: boolean;
  results: Item[];
  count: number;
  recorded: number;
  blocked: number;
  failed: number;
  code?: string;
  field?: string;
}

function bulk(key: string, transactions: unknown, headers: Record<string, string> = {}) {
  return t().call<BulkReply>(
    'POST',
    '/api/v1/transactions/bulk',
    { transactions },
    { key, headers },
  );
}

const tx = (amount: number, extra: Record<string, unknown> = {}) => ({
  amount,
  vendor: 'openai',
  model: 'gpt-4o',
  agentId: 'batch-job',
  ...extra,
});

async function orgRows(orgId: string) {
  // `keys`: what is kept under idempotency keys — stored answers (the bulk request's claim), and
  // keyed transactions (whose answers are derived from their rows).
  const [row] = await t().sql<{ tx: number; audit: number; keys: number }>(
    `select (select count(*)::int from transaction_record where org_id = ?) as tx,
            (select count(*)::int from audit_event where org_id = ?
               and entity_type = 'transaction') as audit,
            (select count(*)::int from idempotency_record where org_id = ?)
              + (select count(*)::int from transaction_record
                  where org_id = ? and request_hash is not null) as keys`,
    [orgId, orgId, orgId, orgId],
  );
  return row;
}

describe('bulk submit', () => {
  it('evaluates items in order: with a $1 daily cap the first 10 of 30 × 10¢ are admitted, the rest blocked', async () => {
    const { orgId, key, ruleId } = await cappedOrg(t(), 'order', 100);
    const res = await bulk(
      key,
      Array.from({ length: 30 }, () => tx(10)),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      count: 30,
      recorded: 10,
      blocked: 20,
      failed: 0,
    });
    expect(res.body.results.map((r) => r.index)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    for (const r of res.body.results.slice(0, 10)) {
      expect(r).toMatchObject({ success: true, action: 'pass' });
      expect(r.id).toMatch(/^txn_/);
      expect(r.policyResult?.action).toBe('pass');
    }
    for (const r of res.body.results.slice(10)) {
      expect(r).toMatchObject({
        success: false,
        code: 'POLICY_VIOLATION',
        policyResult: { action: 'block', ruleId, message: 'Daily cap reached' },
      });
      expect(r.id).toMatch(/^txn_/);
      // Each blocked item saw the 100¢ admitted before it, plus itself.
      expect(r.details).toMatchObject({ limit: 100, current: 110, timeWindow: 'daily' });
    }
    expect(Object.values(await windowCounters(t(), orgId))).toEqual([
      { costMicros: 100 * M, requests: 10 },
    ]);
    // Every item is a row with its decision, and has its audit event.
    const rows = await t().sql<{ id: string; action: string; status: string }>(
      'select id, action, status from transaction_record where org_id = ?',
      [orgId],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(rows).toHaveLength(30);
    for (const [i, r] of res.body.results.entries()) {
      expect(byId.get(r.id as string)?.status).toBe(i < 10 ? 'recorded' : 'blocked');
    }
    const audit = await t().sql<{ event_type: string; n: number }>(
      `select event_type, count(*)::int as n from audit_event
        where org_id = ? and entity_type = 'transaction' group by event_type order by event_type`,
      [orgId],
    );
    expect(audit).toEqual([
      { event_type: 'transaction.blocked', n: 20 },
      { event_type: 'transaction.recorded', n: 10 },
    ]);
  });

  it('answers each item exactly like the single request: the same fields for an admitted and a blocked item', async () => {
    const { key } = await cappedOrg(t(), 'same-shape', 100);
    const single = await t().call('POST', '/api/v1/transactions', tx(60), {
      key,
    });
    const singleBlock = await t().call('POST', '/api/v1/transactions', tx(60), { key });
    expect([single.status, singleBlock.status]).toEqual([202, 403]);
    const other = await cappedOrg(t(), 'same-shape-bulk', 100);
    const res = await bulk(other.key, [tx(60), tx(60)]);
    const [ok, blocked] = res.body.results;
    expect(Object.keys(ok ?? {})).toEqual(['index', ...Object.keys(single.body)]);
    expect(Object.keys(blocked ?? {})).toEqual(['index', ...Object.keys(singleBlock.body)]);
    // The same details but for the rule id (each org has its own rule).
    const { ruleId: _r1, ...details } = blocked?.details as unknown as Record<string, unknown>;
    const { ruleId: _r2, ...singleDetails } = singleBlock.body.details as Record<string, unknown>;
    expect(details).toEqual(singleDetails);
    expect(blocked?.message).toBe(singleBlock.body.message);
  });

  it('reports invalid items with 422 bodies naming transactions.<i>.<field> without failing the others', async () => {
    const { orgId, key } = await cappedOrg(t(), 'mixed', 100);
    const before = await rowCounts(t());
    const res = await bulk(key, [
      tx(40), // 0 admitted
      { vendor: 'openai' }, // 1 invalid: no amount
      tx(-5), // 2 invalid amount
      tx(50), // 3 admitted (90)
      tx(20), // 4 blocked (110 > 100)
      'not an object', // 5 invalid
      tx(10), // 6 admitted (100)
      { ...tx(1), vendor: 'acme' }, // 7 invalid vendor
      { ...tx(1), colour: 'red' }, // 8 unknown field
      tx(1, { phase: 'reserve', reservationTtlSeconds: 0 }), // 9 bad ttl
      tx(1), // 10 blocked (101)
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ count: 11, recorded: 3, blocked: 2, failed: 6 });
    const r = res.body.results;
    const invalid: [number, string][] = [
      [1, 'transactions.1.amount'],
      [2, 'transactions.2.amount'],
      [5, 'transactions.5'],
      [7, 'transactions.7.vendor'],
      [8, 'transactions.8.colour'],
      [9, 'transactions.9.reservationTtlSeconds'],
    ];
    for (const [i, field] of invalid) {
      expect(r[i], String(i)).toMatchObject({
        index: i,
        success: false,
        code: 'VALIDATION_ERROR',
        field,
      });
      expect(r[i]?.id).toBeUndefined();
    }
    for (const i of [0, 3, 6]) expect(r[i]).toMatchObject({ index: i, success: true });
    for (const i of [4, 10]) expect(r[i]).toMatchObject({ index: i, code: 'POLICY_VIOLATION' });
    expect(r[4]?.details?.current).toBe(110);
    expect(r[10]?.details?.current).toBe(101);
    expect(Object.values(await windowCounters(t(), orgId))).toEqual([
      { costMicros: 100 * M, requests: 3 },
    ]);
    const after = await rowCounts(t());
    expect(after.transactions - before.transactions).toBe(5);
    expect(after.auditEvents - before.auditEvents).toBe(5);
  });

  it('carries reservations and tokens-costed items like single requests', async () => {
    const { orgId, key } = await cappedOrg(t(), 'reserve-items', 1000);
    const res = await bulk(key, [
      tx(100, { phase: 'reserve', reservationTtlSeconds: 120 }),
      { vendor: 'openai', model: 'gpt-4o', tokensIn: 1000, tokensOut: 1000 },
      { vendor: 'openai', model: 'no-such-model-xyz', tokensIn: 10 },
    ]);
    expect(res.status).toBe(200);
    const [held, priced, unpriced] = res.body.results;
    expect(held).toMatchObject({ success: true, status: 'reserved' });
    expect(Date.parse(held?.expiresAt ?? '')).toBeGreaterThan(Date.now() + 100_000);
    expect(priced).toMatchObject({ success: true });
    expect((priced as unknown as { amountMicros: number }).amountMicros).toBeGreaterThan(0);
    expect(unpriced).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    const settle = await t().call(
      'POST',
      `/api/v1/transactions/${String(held?.id)}/settle`,
      { amount: 70 },
      { key },
    );
    expect(settle.status).toBe(200);
    const pricedMicros = (priced as unknown as { amountMicros: number }).amountMicros;
    expect(Object.values(await windowCounters(t(), orgId))).toEqual([
      { costMicros: 70 * M + pricedMicros, requests: 2 },
    ]);
  });

  it('accepts 1,000 items in order across batches and refuses 0 or 1,001 with 422 naming transactions', async () => {
    const { orgId, key } = await cappedOrg(t(), 'thousand', 500);
    const res = await bulk(
      key,
      Array.from({ length: 1000 }, (_, i) => tx(1, { agentId: `a${String(i % 13)}` })),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ count: 1000, recorded: 500, blocked: 500, failed: 0 });
    // Strictly in order: exactly the first 500 fit a 500¢ cap.
    expect(res.body.results.findIndex((r) => !r.success)).toBe(500);
    expect(res.body.results.slice(500).every((r) => r.code === 'POLICY_VIOLATION')).toBe(true);
    expect(await orgRows(orgId)).toMatchObject({ tx: 1000, audit: 1000 });
    expect(Object.values(await windowCounters(t(), orgId))).toEqual([
      { costMicros: 500 * M, requests: 500 },
    ]);

    const before = await rowCounts(t());
    for (const transactions of [[], Array.from({ length: 1001 }, () => tx(1))]) {
      const bad = await bulk(key, transactions);
      expect(bad.status).toBe(422);
      expect(bad.body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'transactions' });
    }
    for (const body of [{}, { transactions: 'x' }, { transactions: [tx(1)], extra: 1 }]) {
      const bad = await t().call<BulkReply>('POST', '/api/v1/transactions/bulk', body, { key });
      expect(bad.status, JSON.stringify(body)).toBe(422);
      expect(bad.body.code).toBe('VALIDATION_ERROR');
    }
    expect(await rowCounts(t())).toEqual(before);
  });

  it('takes a bulk body above the single-request limit (1 MB) up to the bulk limit (8 MB)', async () => {
    const { orgId, key } = await t().newOrg('big-body');
    const prompt = 'p'.repeat(3000);
    const transactions = Array.from({ length: 1000 }, () => tx(1, { prompt }));
    expect(JSON.stringify({ transactions }).length).toBeGreaterThan(2 * 1024 * 1024);
    const res = await bulk(key, transactions);
    expect(res.status).toBe(200);
    expect(res.body.recorded).toBe(1000);
    expect((await orgRows(orgId))?.tx).toBe(1000);
    const huge = await bulk(
      key,
      Array.from({ length: 1000 }, () => tx(1, { prompt: 'p'.repeat(9000) })),
    );
    expect(huge.status).toBe(413);
    expect((await orgRows(orgId))?.tx).toBe(1000);
  });

  it('refuses a key without transactions:write with 403', async () => {
    const { orgId, key } = await t().newOrg('bulk-perm');
    const reader = await t().call<{ key: string }>(
      'POST',
      '/api/keys',
      { name: 'reader', permissions: ['transactions:read'] },
      { key },
    );
    const res = await bulk(reader.body.key, [tx(1)]);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
    expect((await orgRows(orgId))?.tx).toBe(0);
  });
});

describe('bulk idempotency', () => {
  it('replays the whole bulk body byte for byte under the same Idempotency-Key and writes nothing', async () => {
    const { orgId, key } = await cappedOrg(t(), 'bulk-replay', 100);
    const items = [
      tx(40),
      { vendor: 'openai' },
      tx(70), // blocked
      tx(60),
      tx(1, { phase: 'reserve' }), // blocked: 101
    ];
    const headers = { 'idempotency-key': 'nightly-import-7' };
    const first = await bulk(key, items, headers);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ recorded: 2, blocked: 2, failed: 1 });
    const before = {
      rows: await orgRows(orgId),
      counters: await windowCounters(t(), orgId),
    };
    // Four items' answers and the request's own claim on the key.
    expect(before.rows).toMatchObject({ tx: 4, keys: 5 });
    const keys = await t().sql<{ key: string }>(
      `select key from idempotency_record where org_id = ?
       union all
       select idempotency_key from transaction_record where org_id = ? and request_hash is not null
       order by key`,
      [orgId, orgId],
    );
    expect(keys.map((k) => k.key)).toEqual([
      'nightly-import-7',
      'nightly-import-7#0',
      'nightly-import-7#2',
      'nightly-import-7#3',
      'nightly-import-7#4',
    ]);
    const again = await bulk(key, items, headers);
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect({ rows: await orgRows(orgId), counters: await windowCounters(t(), orgId) }).toEqual(
      before,
    );
    // Each item key answers the single route too: item 0 replays there byte for byte.
    const single = await t().call('POST', '/api/v1/transactions', items[0], {
      key,
      headers: { 'idempotency-key': 'nightly-import-7#0' },
    });
    expect(single.status).toBe(202);
    expect(JSON.parse(single.text)).toEqual({
      success: true,
      ...Object.fromEntries(
        Object.entries(first.body.results[0] ?? {}).filter(([k]) => k !== 'index'),
      ),
    });
  });

  it('refuses the same Idempotency-Key on another list of items with one 409 IDEMPOTENCY_CONFLICT, writing nothing', async () => {
    const { orgId, key } = await cappedOrg(t(), 'bulk-conflict', 1000);
    const headers = { 'idempotency-key': 'import-8' };
    const first = await bulk(key, [tx(10), tx(20)], headers);
    expect(first.body.recorded).toBe(2);
    for (const items of [[tx(10), tx(21)], [tx(10), tx(20), tx(30)], [tx(10)]]) {
      const changed = await bulk(key, items, headers);
      expect(changed.status, changed.text).toBe(409);
      expect(changed.body).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    }
    expect((await orgRows(orgId))?.tx).toBe(2);
    expect(Object.values(await windowCounters(t(), orgId))).toEqual([
      { costMicros: 30 * M, requests: 2 },
    ]);
    // A single request cannot reuse the bulk's key either.
    const single = await t().call('POST', '/api/v1/transactions', tx(10), { key, headers });
    expect(single.status, single.text).toBe(409);
  });

  it('keys items by their own metadata.requestId: a repeated item inside one bulk is answered once', async () => {
    const { orgId, key } = await cappedOrg(t(), 'bulk-request-id', 1000);
    const a = tx(10, { metadata: { requestId: 'call-a' } });
    const res = await bulk(key, [a, tx(5), a, tx(11, { metadata: { requestId: 'call-a' } })]);
    expect(res.status).toBe(200);
    const [r0, r1, r2, r3] = res.body.results;
    expect(r0?.success).toBe(true);
    expect(r1?.success).toBe(true);
    // The copy replays the first (same id), the changed body conflicts.
    expect(r2).toEqual({ ...r0, index: 2 });
    expect(r3).toMatchObject({ index: 3, success: false, code: 'IDEMPOTENCY_CONFLICT' });
    expect((await orgRows(orgId))?.tx).toBe(2);
    expect(Object.values(await windowCounters(t(), orgId))).toEqual([
      { costMicros: 15 * M, requests: 2 },
    ]);
    // A later single request with the same requestId replays too.
    const later = await t().call<{ id: string }>('POST', '/api/v1/transactions', a, { key });
    expect(later.status).toBe(202);
    expect(later.body.id).toBe(r0?.id);
  });

  // Regression (fixed in 8181f90): item keys `<key>#<i>` were checked against the 255-character
  // limit, so a valid 252-255-character header failed every item with a 422.
  it('accepts any valid Idempotency-Key (up to 255 characters) on a bulk request', async () => {
    const { orgId, key } = await t().newOrg('bulk-long-key');
    const res = await bulk(key, [tx(1), tx(2)], { 'idempotency-key': 'k'.repeat(255) });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r) => r.code ?? 'ok')).toEqual(['ok', 'ok']);
    expect((await orgRows(orgId))?.tx).toBe(2);
  });

  // Regression (fixed in 8181f90): an invalid header was reported per item inside a 200.
  it('refuses a bulk request whose Idempotency-Key is invalid with one 422 naming Idempotency-Key', async () => {
    const { orgId, key } = await t().newOrg('bulk-bad-key');
    const res = await bulk(key, [tx(1), tx(2)], { 'idempotency-key': 'k'.repeat(256) });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'Idempotency-Key' });
    expect((await orgRows(orgId))?.tx).toBe(0);
  });
});
