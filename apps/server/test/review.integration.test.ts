/**
 * The review queue of `flag` decisions: every path that records a flag opens a review; a key with
 * `transactions:review` approves or rejects it once, audited; `?review=` lists the queue.
 */
import { describe, expect, it } from 'vitest';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import { useTestServer } from './harness.js';
import { keyWith, trpcClient, ISO, type ErrorBody } from './helpers.js';

const t = useTestServer('review');

type Tx = inferRouterOutputs<AppRouter>['transactions']['get']['transaction'];
type TxList = inferRouterOutputs<AppRouter>['transactions']['list'];

async function flaggingOrg(name: string): Promise<{ orgId: string; key: string }> {
  const org = await t().newOrg(name);
  const rule = await t().call(
    'POST',
    '/api/policy-rules',
    {
      name: 'Flag Anthropic',
      priority: 1,
      conditions: { vendors: ['anthropic'] },
      action: 'flag',
      actionConfig: { message: 'Anthropic spend is reviewed by hand' },
    },
    { key: org.key },
  );
  expect(rule.status).toBe(201);
  return org;
}

async function submit(key: string, body: Record<string, unknown>): Promise<string> {
  const res = await t().call<{ id: string; action: string }>('POST', '/api/v1/transactions', body, {
    key,
  });
  expect(res.status).toBe(202);
  return res.body.id;
}

async function listed(key: string, query: string): Promise<TxList> {
  const res = await t().call<TxList>('GET', `/api/v1/transactions${query}`, undefined, { key });
  expect(res.status).toBe(200);
  return res.body;
}

async function ids(key: string, query: string): Promise<string[]> {
  return (await listed(key, query)).transactions.map((x) => x.id);
}

function review(key: string, id: string, body: unknown) {
  return t().call<{ success: boolean; transaction: Tx } & ErrorBody>(
    'POST',
    `/api/v1/transactions/${id}/review`,
    body,
    { key },
  );
}

async function reviewEvents(orgId: string, id: string) {
  return t().sql<{ actor: string; metadata: Record<string, unknown> }>(
    `select actor, metadata from audit_event
      where org_id = ? and entity_id = ? and event_type = 'transaction.reviewed'`,
    [orgId, id],
  );
}

describe('the open queue', () => {
  it('a flag decision opens a review; other decisions have none', async () => {
    const { key } = await flaggingOrg('queue');
    const flagged = await submit(key, { amount: 5, vendor: 'anthropic' });
    const passed = await submit(key, { amount: 5, vendor: 'openai' });

    const open = await listed(key, '?review=open');
    expect(open).toMatchObject({ count: 1, total: 1, limit: 50, offset: 0 });
    expect(open.transactions[0]).toMatchObject({
      id: flagged,
      action: 'flag',
      status: 'recorded',
      review: { state: 'open', reviewedBy: null, reviewedAt: null, note: null },
    });
    const other = await t().call<{ transaction: Tx }>(
      'GET',
      `/api/v1/transactions/${passed}`,
      undefined,
      { key },
    );
    expect(other.body.transaction.review).toBeNull();
    expect(await ids(key, '?review=approved')).toEqual([]);
  });

  it('bulk items, reservations (also once settled) and observed calls enter the queue', async () => {
    const { key } = await flaggingOrg('paths');
    const bulk = await t().call<{ results: { id: string; action: string }[] }>(
      'POST',
      '/api/v1/transactions/bulk',
      {
        transactions: [
          { amount: 1, vendor: 'anthropic' },
          { amount: 1, vendor: 'openai' },
        ],
      },
      { key },
    );
    expect(bulk.status).toBe(200);
    const [bulkFlagged, bulkPassed] = bulk.body.results.map((r) => r.id);
    const reserved = await submit(key, { amount: 3, vendor: 'anthropic', phase: 'reserve' });
    const settled = await t().call(
      'POST',
      `/api/v1/transactions/${reserved}/settle`,
      { amount: 2 },
      { key },
    );
    expect(settled.status).toBe(200);
    const observed = await submit(key, { amount: 4, vendor: 'anthropic', phase: 'observed' });

    const open = await ids(key, '?review=open&limit=500');
    expect(open.sort()).toEqual([bulkFlagged, reserved, observed].sort());
    expect(open).not.toContain(bulkPassed);
    const settledTx = (await listed(key, '?review=open')).transactions.find(
      (x) => x.id === reserved,
    );
    expect(settledTx).toMatchObject({ status: 'settled', amount: 2, review: { state: 'open' } });
  });

  it('keeps the list pagination: limit, offset and total over the queue', async () => {
    const { key } = await flaggingOrg('pages');
    for (let i = 0; i < 3; i++) await submit(key, { amount: 1, vendor: 'anthropic' });
    await submit(key, { amount: 1, vendor: 'openai' });
    const first = await listed(key, '?review=open&limit=2');
    const rest = await listed(key, '?review=open&limit=2&offset=2');
    expect([first.count, first.total, rest.count, rest.total]).toEqual([2, 3, 1, 3]);
    expect(new Set([...first.transactions, ...rest.transactions].map((x) => x.id)).size).toBe(3);
  });

  it('a bad review filter is a 422 naming the field', async () => {
    const { key } = await flaggingOrg('bad filter');
    const res = await t().call<ErrorBody>('GET', '/api/v1/transactions?review=pending', undefined, {
      key,
    });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'review' });
  });
});

describe('POST /api/v1/transactions/:id/review', () => {
  it('approve: leaves the open queue, shows as approved, audited in the same transaction', async () => {
    const { orgId, key } = await flaggingOrg('approve');
    const id = await submit(key, { amount: 5, vendor: 'anthropic' });
    t().clock.set('2026-12-03T12:00:00.000Z');
    try {
      const res = await review(key, id, { decision: 'approved' });
      expect(res.status).toBe(200);
      expect(res.body.success).toBe(true);
      expect(res.body.transaction).toMatchObject({
        id,
        action: 'flag',
        review: { state: 'approved', reviewedAt: '2026-12-03T12:00:00.000Z', note: null },
      });
      expect(res.body.transaction.review?.reviewedBy).toMatch(/^key_/);
    } finally {
      t().clock.set(null);
    }
    expect(await ids(key, '?review=open')).toEqual([]);
    expect(await ids(key, '?review=approved')).toEqual([id]);
    const events = await reviewEvents(orgId, id);
    expect(events).toHaveLength(1);
    expect(events[0]?.actor).toMatch(/^key:key_/);
    expect(events[0]?.metadata).toMatchObject({
      decision: 'approved',
      note: null,
      reviewer: { name: 'admin' },
    });
    expect(events[0]?.metadata.ruleId).toMatch(/^rule_/);
    // A review is not a rule's flag: `action=policy_rule.flag` still finds only the flagging.
    const byRule = await t().call<{ events: { eventType: string }[] }>(
      'GET',
      '/api/v1/audit-log?action=policy_rule.flag',
      undefined,
      { key },
    );
    expect(byRule.body.events.map((e) => e.eventType)).toEqual(['transaction.flagged']);
  });

  it('reject with a note: the note is kept and audited', async () => {
    const { orgId, key } = await flaggingOrg('reject');
    const id = await submit(key, { amount: 5, vendor: 'anthropic' });
    const res = await review(key, id, { decision: 'rejected', note: 'Not an approved vendor' });
    expect(res.status).toBe(200);
    expect(res.body.transaction.review).toMatchObject({
      state: 'rejected',
      note: 'Not an approved vendor',
    });
    expect(res.body.transaction.review?.reviewedAt).toMatch(ISO);
    expect(await ids(key, '?review=rejected')).toEqual([id]);
    const [event] = await reviewEvents(orgId, id);
    expect(event?.metadata).toMatchObject({ decision: 'rejected', note: 'Not an approved vendor' });
  });

  it('a decision is final: a second review is 409 ALREADY_REVIEWED and changes nothing', async () => {
    const { orgId, key } = await flaggingOrg('twice');
    const id = await submit(key, { amount: 5, vendor: 'anthropic' });
    expect((await review(key, id, { decision: 'approved' })).status).toBe(200);
    const again = await review(key, id, { decision: 'rejected', note: 'changed my mind' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      code: 'ALREADY_REVIEWED',
      id,
      review: { state: 'approved' },
    });
    expect(await ids(key, '?review=approved')).toEqual([id]);
    expect(await reviewEvents(orgId, id)).toHaveLength(1);
  });

  it('two concurrent reviews: exactly one wins', async () => {
    const { orgId, key } = await flaggingOrg('race');
    const id = await submit(key, { amount: 5, vendor: 'anthropic' });
    const [a, b] = await Promise.all([
      review(key, id, { decision: 'approved' }),
      review(key, id, { decision: 'rejected' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect(await reviewEvents(orgId, id)).toHaveLength(1);
  });

  it('a transaction that was not flagged is 409 NOT_FLAGGED', async () => {
    const { orgId, key } = await flaggingOrg('not flagged');
    const id = await submit(key, { amount: 5, vendor: 'openai' });
    const res = await review(key, id, { decision: 'approved' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'NOT_FLAGGED', id, action: 'pass' });
    expect(await reviewEvents(orgId, id)).toEqual([]);
  });

  it("404 for an unknown id and for another organization's transaction", async () => {
    const mine = await flaggingOrg('owner');
    const other = await flaggingOrg('stranger');
    const id = await submit(mine.key, { amount: 5, vendor: 'anthropic' });
    const stranger = await review(other.key, id, { decision: 'approved' });
    expect(stranger.status).toBe(404);
    expect(stranger.body.code).toBe('NOT_FOUND');
    expect((await review(mine.key, 'txn_missing', { decision: 'approved' })).status).toBe(404);
    expect(await ids(mine.key, '?review=open')).toEqual([id]);
  });

  it('a bad body is a 422 naming the field', async () => {
    const { key } = await flaggingOrg('bad body');
    const id = await submit(key, { amount: 5, vendor: 'anthropic' });
    const cases: [unknown, string][] = [
      [{}, 'decision'],
      [{ decision: 'open' }, 'decision'],
      [{ decision: 'approved', note: 'x'.repeat(2001) }, 'note'],
      [{ decision: 'approved', note: 7 }, 'note'],
      [{ decision: 'approved', reviewer: 'me' }, 'reviewer'],
    ];
    for (const [body, field] of cases) {
      const res = await review(key, id, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body, JSON.stringify(body)).toMatchObject({ code: 'VALIDATION_ERROR', field });
    }
    expect(await ids(key, '?review=open')).toEqual([id]);
  });

  it('needs transactions:review: transactions:write and :read are not enough', async () => {
    const { key } = await flaggingOrg('permission');
    const id = await submit(key, { amount: 5, vendor: 'anthropic' });
    const writer = await keyWith(t(), key, ['transactions:write', 'transactions:read']);
    const denied = await review(writer, id, { decision: 'approved' });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({
      code: 'FORBIDDEN',
      requiredPermission: 'transactions:review',
    });
    const reviewer = await keyWith(t(), key, ['transactions:review']);
    const ok = await review(reviewer, id, { decision: 'approved' });
    expect(ok.status).toBe(200);
    const keys = await t().call<{ keys: { id: string; permissions: string[] }[] }>(
      'GET',
      '/api/keys',
      undefined,
      { key },
    );
    const reviewerId = keys.body.keys.find((k) => k.permissions.includes('transactions:review'));
    expect(ok.body.transaction.review?.reviewedBy).toBe(reviewerId?.id);
  });
});

describe('tRPC', () => {
  it('transactions.review and transactions.list({review}) work like the REST routes', async () => {
    const { key } = await flaggingOrg('trpc');
    const id = await submit(key, { amount: 5, vendor: 'anthropic' });
    const client = trpcClient(t(), key);
    const open = await client.transactions.list.query({ review: 'open' });
    expect(open.transactions.map((x) => x.id)).toEqual([id]);
    const done = await client.transactions.review.mutate({
      id,
      body: { decision: 'rejected', note: 'via tRPC' },
    });
    expect(done.transaction.review).toMatchObject({ state: 'rejected', note: 'via tRPC' });
    await expect(
      client.transactions.review.mutate({ id, body: { decision: 'approved' } }),
    ).rejects.toMatchObject({ data: { reins: { code: 'ALREADY_REVIEWED' } } });
  });
});
