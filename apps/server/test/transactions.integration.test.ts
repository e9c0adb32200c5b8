import { describe, expect, it } from 'vitest';
import { rowCounts, windowCounters } from './counts.js';
import { ADMIN_KEY, useTestServer } from './harness.js';

const t = useTestServer('transactions');

interface PolicyResult {
  action: string;
  ruleId: string | null;
  ruleName: string | null;
  message: string;
  details?: Record<string, unknown>;
}

interface Accepted {
  success: boolean;
  id: string;
  action: string;
  policyResult: PolicyResult;
}

interface Violation {
  success: false;
  code: string;
  message: string;
  id: string;
  policyResult: PolicyResult;
  details: Record<string, unknown>;
}

interface Tx {
  id: string;
  amount: number;
  amountMicros: number;
  vendor: string;
  model: string | null;
  agentId: string;
  userId: string | null;
  userRoles: string[];
  teamId: string | null;
  projectId: string | null;
  tokensIn: number;
  tokensOut: number;
  prompt: string | null;
  response: string | null;
  metadata: Record<string, unknown>;
  timestamp: string;
  action: string;
  status: string;
}

interface TxList {
  success: boolean;
  transactions: Tx[];
  count: number;
  total: number;
  limit: number;
  offset: number;
}

interface ErrorBody {
  success: false;
  code: string;
  message: string;
  field?: string;
}

function post<T = Accepted>(key: string, body: Record<string, unknown>) {
  return t().call<T>('POST', '/api/v1/transactions', body, { key });
}

async function rule(key: string, body: Record<string, unknown>): Promise<string> {
  const res = await t().call<{ id: string }>('POST', '/api/policy-rules', body, { key });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function getTx(key: string, id: string): Promise<Tx> {
  const res = await t().call<{ success: boolean; transaction: Tx }>(
    'GET',
    `/api/v1/transactions/${id}`,
    undefined,
    { key },
  );
  expect(res.status).toBe(200);
  expect(res.body.success).toBe(true);
  return res.body.transaction;
}

const DAILY_10_DOLLARS = {
  name: 'Daily $10 cap',
  priority: 1,
  conditions: { timeWindow: 'daily' },
  action: 'block',
  actionConfig: { message: 'Daily cap reached', limitCents: 1000 },
};

describe('POST /api/v1/transactions', () => {
  it('records every documented field and the extras, answering 202 {success, id, action, policyResult}', async () => {
    const { key } = await t().newOrg('all fields');
    const body = {
      amount: 320,
      vendor: 'openai',
      model: 'gpt-4',
      agentId: 'support-bot-v2',
      userId: 'user-789',
      prompt: 'Summarize the Q4 earnings report...',
      response: 'Revenue grew 12%...',
      metadata: { requestId: 'req_xyz', channel: 'slack' },
      timestamp: '2026-05-05T08:14:22Z',
      tokensIn: 1200,
      tokensOut: 340,
      userRoles: ['pro', 'beta'],
      teamId: 'team-support',
      projectId: 'proj-q4',
    };
    const res = await post(key, body);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      success: true,
      id: expect.stringMatching(/^txn_[A-Za-z0-9]{16}$/) as unknown,
      action: 'pass',
      policyResult: {
        action: 'pass',
        ruleId: null,
        ruleName: null,
        message: 'No rules matched',
        details: expect.any(Object) as unknown,
      },
    });

    const stored = await getTx(key, res.body.id);
    expect(stored).toMatchObject({
      id: res.body.id,
      amount: 320,
      amountMicros: 320_000_000,
      vendor: 'openai',
      model: 'gpt-4',
      agentId: 'support-bot-v2',
      userId: 'user-789',
      userRoles: ['pro', 'beta'],
      teamId: 'team-support',
      projectId: 'proj-q4',
      tokensIn: 1200,
      tokensOut: 340,
      prompt: 'Summarize the Q4 earnings report...',
      response: 'Revenue grew 12%...',
      metadata: { requestId: 'req_xyz', channel: 'slack' },
      timestamp: '2026-05-05T08:14:22.000Z',
      action: 'pass',
      status: 'recorded',
    });
  });

  it('fills the defaults: the default agent, server time, no model', async () => {
    const { key } = await t().newOrg('defaults');
    t().clock.set('2026-05-05T12:00:00.000Z');
    try {
      const res = await post(key, { amount: 5, vendor: 'OpenAI' });
      expect(res.status).toBe(202);
      expect(await getTx(key, res.body.id)).toMatchObject({
        vendor: 'openai',
        agentId: 'default',
        model: null,
        userId: null,
        userRoles: [],
        tokensIn: 0,
        tokensOut: 0,
        metadata: {},
        timestamp: '2026-05-05T12:00:00.000Z',
      });
    } finally {
      t().clock.set(null);
    }
  });

  it('keeps sub-cent amounts exact in amountMicros and counts them in the windows', async () => {
    const { key, orgId } = await t().newOrg('micros');
    await rule(key, {
      name: 'One cent a day',
      conditions: { timeWindow: 'daily' },
      action: 'block',
      actionConfig: { limitCents: 1 },
    });
    const first = await post(key, {
      amountMicros: 400_000,
      vendor: 'openai',
      model: 'gpt-4o-mini',
    });
    expect(first.status).toBe(202);
    expect(await getTx(key, first.body.id)).toMatchObject({ amount: 1, amountMicros: 400_000 });
    // amount and amountMicros together must agree (amount = micros in cents, rounded up)
    expect((await post(key, { amount: 1, amountMicros: 600_000, vendor: 'openai' })).status).toBe(
      202,
    );
    const counters = Object.values(await windowCounters(t(), orgId));
    expect(counters).toEqual([{ costMicros: 1_000_000, requests: 2 }]);
    // 1.0 cent so far, at the limit; one more microcent crosses it
    const over = await post<Violation>(key, { amountMicros: 1, vendor: 'openai' });
    expect(over.status).toBe(403);
    expect(over.body.details).toMatchObject({ limit: 1, current: 2 });
  });

  it('refuses amount and amountMicros that disagree', async () => {
    const res = await post<ErrorBody>(ADMIN_KEY, {
      amount: 1,
      amountMicros: 2_000_000,
      vendor: 'openai',
    });
    expect(res.status).toBe(422);
    expect(res.body.field).toBe('amountMicros');
  });

  it('truncates prompt and response to 1,000 characters', async () => {
    const { key } = await t().newOrg('truncate');
    const prompt = 'p'.repeat(999) + 'XYZ' + 'q'.repeat(500);
    const response = 'r'.repeat(1000);
    const res = await post(key, { amount: 1, vendor: 'openai', prompt, response });
    expect(res.status).toBe(202);
    const stored = await getTx(key, res.body.id);
    expect(stored.prompt).toBe(prompt.slice(0, 1000));
    expect(stored.prompt).toHaveLength(1000);
    expect(stored.response).toBe(response);
    const [row] = await t().sql<{ n: number }>(
      'select length(prompt)::int as n from transaction_record where id = ?',
      [res.body.id],
    );
    expect(row?.n).toBe(1000);
  });
});

describe('blocked transactions', () => {
  it('answer 403 POLICY_VIOLATION with policyResult and details, are recorded, and count in no window', async () => {
    const { key, orgId } = await t().newOrg('block');
    t().clock.set('2026-05-05T10:00:00.000Z');
    try {
      const ruleId = await rule(key, DAILY_10_DOLLARS);
      expect((await post(key, { amount: 900, vendor: 'openai' })).status).toBe(202);
      const counters = await windowCounters(t(), orgId);
      const before = await rowCounts(t());

      const res = await post<Violation>(key, { amount: 200, vendor: 'openai', model: 'gpt-4' });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        success: false,
        code: 'POLICY_VIOLATION',
        message: 'Policy violation: Daily cap reached',
        id: expect.stringMatching(/^txn_/) as unknown,
        policyResult: {
          action: 'block',
          ruleId,
          ruleName: 'Daily $10 cap',
          message: 'Daily cap reached',
        },
        details: {
          limit: 1000,
          current: 1100,
          timeWindow: 'daily',
          resetsAt: '2026-05-06T00:00:00.000Z',
          unit: 'cents',
          ruleId,
        },
      });

      // recorded, with action block …
      const stored = await getTx(key, res.body.id);
      expect(stored).toMatchObject({ action: 'block', status: 'blocked', amount: 200 });
      const after = await rowCounts(t());
      expect(after.transactions).toBe(before.transactions + 1);
      const [event] = await t().sql<{ event_type: string }>(
        'select event_type from audit_event where entity_id = ?',
        [res.body.id],
      );
      expect(event?.event_type).toBe('transaction.blocked');
      // … but counted in no window: the next small one still fits
      expect(await windowCounters(t(), orgId)).toEqual(counters);
      expect((await post(key, { amount: 100, vendor: 'openai' })).status).toBe(202);
    } finally {
      t().clock.set(null);
    }
  });
});

describe('daily window', () => {
  it('blocks once the day total would cross the cap, and a new day starts from zero', async () => {
    const { key } = await t().newOrg('daily window');
    await rule(key, DAILY_10_DOLLARS);
    const at = async (iso: string, amount: number) => {
      t().clock.set(iso);
      try {
        return await post<Violation>(key, { amount, vendor: 'anthropic', model: 'claude-3-opus' });
      } finally {
        t().clock.set(null);
      }
    };
    expect((await at('2026-05-05T00:00:00.000Z', 600)).status).toBe(202);
    // exactly at the cap is still within it
    expect((await at('2026-05-05T12:00:00.000Z', 400)).status).toBe(202);
    const over = await at('2026-05-05T23:59:59.999Z', 1);
    expect(over.status).toBe(403);
    expect(over.body.details).toMatchObject({ limit: 1000, current: 1001, timeWindow: 'daily' });
    // midnight UTC: a new window
    expect((await at('2026-05-06T00:00:00.000Z', 1000)).status).toBe(202);
    expect((await at('2026-05-06T00:00:01.000Z', 1)).status).toBe(403);
  });

  it("follows the organization's time zone", async () => {
    const { key } = await t().newOrg('new york', { timeZone: 'America/New_York' });
    await rule(key, DAILY_10_DOLLARS);
    const at = async (iso: string, amount: number) => {
      t().clock.set(iso);
      try {
        return await post<Violation>(key, { amount, vendor: 'openai' });
      } finally {
        t().clock.set(null);
      }
    };
    // 2026-05-05 20:00 in New York (EDT, UTC-4)
    expect((await at('2026-05-06T00:00:00.000Z', 1000)).status).toBe(202);
    const over = await at('2026-05-06T03:59:59.000Z', 1);
    expect(over.status).toBe(403);
    expect(over.body.details.resetsAt).toBe('2026-05-06T04:00:00.000Z');
    expect((await at('2026-05-06T04:00:00.000Z', 1)).status).toBe(202);
  });
});

describe('GET /api/v1/transactions', () => {
  // One org, five transactions on known days, newest first in every listing.
  const seed = async () => {
    const { key } = await t().newOrg('list');
    await rule(key, {
      name: 'No Google',
      priority: 2,
      conditions: { vendors: ['google'] },
      action: 'block',
    });
    await rule(key, {
      name: 'Watch Mistral',
      priority: 1,
      conditions: { vendors: ['mistral'] },
      action: 'warn',
    });
    const send = async (body: Record<string, unknown>) =>
      (await post(key, { amount: 100, ...body })).body.id;
    const t1 = await send({
      vendor: 'openai',
      agentId: 'a1',
      userId: 'u1',
      timestamp: '2026-05-01T10:00:00Z',
    });
    const t2 = await send({
      vendor: 'anthropic',
      agentId: 'a2',
      userId: 'u2',
      timestamp: '2026-05-02T10:00:00Z',
    });
    const t3 = await send({
      vendor: 'openai',
      agentId: 'a2',
      userId: 'u1',
      timestamp: '2026-05-03T10:00:00Z',
    });
    const t4 = await send({
      vendor: 'google',
      agentId: 'a3',
      userId: 'u3',
      timestamp: '2026-05-03T12:00:00Z',
    });
    const t5 = await send({
      vendor: 'mistral',
      agentId: 'a3',
      userId: 'u3',
      timestamp: '2026-05-04T10:00:00Z',
    });
    return { key, t1, t2, t3, t4, t5 };
  };
  let data: Awaited<ReturnType<typeof seed>> | undefined;
  const fixture = async () => (data ??= await seed());

  const list = async (query: string) => {
    const { key } = await fixture();
    const res = await t().call<TxList>('GET', `/api/v1/transactions${query}`, undefined, { key });
    expect(res.status).toBe(200);
    return res.body;
  };
  const ids = async (query: string) => (await list(query)).transactions.map((x) => x.id);

  it('lists newest first with count, total, limit and offset', async () => {
    const { t1, t2, t3, t4, t5 } = await fixture();
    const all = await list('');
    expect(all).toMatchObject({ success: true, count: 5, total: 5, limit: 50, offset: 0 });
    expect(all.transactions.map((x) => x.id)).toEqual([t5, t4, t3, t2, t1]);
  });

  it('filters by vendor, agentId, userId and action', async () => {
    const { t1, t2, t3, t4, t5 } = await fixture();
    expect(await ids('?vendor=openai')).toEqual([t3, t1]);
    expect(await ids('?vendor=OpenAI')).toEqual([t3, t1]);
    expect(await ids('?agentId=a2')).toEqual([t3, t2]);
    expect(await ids('?userId=u1')).toEqual([t3, t1]);
    expect(await ids('?action=block')).toEqual([t4]);
    expect(await ids('?action=warn')).toEqual([t5]);
    expect(await ids('?action=pass')).toEqual([t3, t2, t1]);
    expect(await ids('?action=flag')).toEqual([]);
    expect(await ids('?vendor=openai&userId=u1&agentId=a1')).toEqual([t1]);
  });

  it('filters by startDate and endDate (a plain end date includes that whole day)', async () => {
    const { t1, t2, t3, t4, t5 } = await fixture();
    expect(await ids('?startDate=2026-05-02')).toEqual([t5, t4, t3, t2]);
    expect(await ids('?endDate=2026-05-02')).toEqual([t2, t1]);
    expect(await ids('?startDate=2026-05-03&endDate=2026-05-03')).toEqual([t4, t3]);
    expect(await ids('?startDate=2026-05-02T10:00:00Z&endDate=2026-05-03T10:00:00Z')).toEqual([
      t3,
      t2,
    ]);
    expect(await ids('?startDate=2026-05-03T11:00:00%2B01:00')).toEqual([t5, t4, t3]);
    const page = await list('?limit=10&vendor=openai&startDate=2026-05-01');
    expect(page).toMatchObject({ count: 2, total: 2, limit: 10, offset: 0 });
  });

  it('pages with limit and offset, reporting the total', async () => {
    const { t1, t2, t3 } = await fixture();
    expect(await list('?limit=2')).toMatchObject({ count: 2, total: 5, limit: 2, offset: 0 });
    expect(await ids('?limit=2&offset=2')).toEqual([t3, t2]);
    expect(await list('?limit=2&offset=4')).toMatchObject({ count: 1, total: 5 });
    expect(await ids('?limit=2&offset=4')).toEqual([t1]);
    expect(await list('?offset=10')).toMatchObject({ count: 0, total: 5, transactions: [] });
    expect(await list('?limit=1')).toMatchObject({ count: 1, limit: 1 });
    expect(await list('?limit=500')).toMatchObject({ count: 5, limit: 500 });
  });

  it('refuses a limit outside 1–500 and other bad parameters with 422 naming them', async () => {
    const { key } = await fixture();
    for (const [query, field] of [
      ['?limit=0', 'limit'],
      ['?limit=501', 'limit'],
      ['?limit=-1', 'limit'],
      ['?limit=ten', 'limit'],
      ['?limit=2.5', 'limit'],
      ['?offset=-1', 'offset'],
      ['?action=allow', 'action'],
      ['?startDate=yesterday', 'startDate'],
      ['?endDate=2026-13-45', 'endDate'],
      ['?startDate=2026-02-30', 'startDate'],
      ['?vendr=openai', 'vendr'],
    ] as const) {
      const res = await t().call<ErrorBody>('GET', `/api/v1/transactions${query}`, undefined, {
        key,
      });
      expect({ query, status: res.status, code: res.body.code, field: res.body.field }).toEqual({
        query,
        status: 422,
        code: 'VALIDATION_ERROR',
        field,
      });
    }
  });

  it("never lists another organization's transactions", async () => {
    const other = await t().newOrg('list stranger');
    const res = await t().call<TxList>('GET', '/api/v1/transactions', undefined, {
      key: other.key,
    });
    expect(res.body).toMatchObject({ count: 0, total: 0, transactions: [] });
  });
});

describe('GET /api/v1/transactions/:id/trace', () => {
  it('answers in the docs shape: traceId, transactionId, evaluatedRules, finalAction, evaluatedAt', async () => {
    const { key } = await t().newOrg('trace');
    const trial = await rule(key, {
      name: 'Block gpt-4 for trial users',
      priority: 10,
      conditions: { models: ['gpt-4'], userRoles: ['trial'] },
      action: 'block',
    });
    const cap = await rule(key, {
      name: 'Daily $50 cap per agent',
      priority: 5,
      conditions: { timeWindow: 'daily' },
      action: 'block',
      actionConfig: { limitCents: 5000, per: 'agent' },
    });
    t().clock.set('2026-05-05T08:14:22.000Z');
    let id: string;
    try {
      const res = await post(key, {
        amount: 2340,
        vendor: 'openai',
        model: 'gpt-4',
        agentId: 'support-bot',
        userRoles: ['pro'],
      });
      expect(res.status).toBe(202);
      id = res.body.id;
    } finally {
      t().clock.set(null);
    }
    const trace = await t().call('GET', `/api/v1/transactions/${id}/trace`, undefined, { key });
    expect(trace.status).toBe(200);
    expect(trace.body).toMatchObject({
      success: true,
      traceId: `trc_${id.slice('txn_'.length)}`,
      transactionId: id,
      evaluatedRules: [
        {
          ruleId: trial,
          ruleName: 'Block gpt-4 for trial users',
          matched: false,
          reason: 'User roles [pro] not in [trial]',
        },
        {
          ruleId: cap,
          ruleName: 'Daily $50 cap per agent',
          matched: false,
          reason: 'Daily spend $23.40 below $50.00 limit',
        },
      ],
      finalAction: 'pass',
      evaluatedAt: '2026-05-05T08:14:22.000Z',
    });
  });

  it('traces a block: the decisive rule matched, the rules after it not reached', async () => {
    const { key } = await t().newOrg('trace block');
    const block = await rule(key, {
      name: 'Block OpenAI',
      priority: 10,
      conditions: { vendors: ['openai'] },
      action: 'block',
    });
    const later = await rule(key, { name: 'Flag all', priority: 1, action: 'flag' });
    const res = await post<Violation>(key, { amount: 1, vendor: 'openai' });
    expect(res.status).toBe(403);
    const trace = await t().call<{
      finalAction: string;
      evaluatedRules: { ruleId: string; matched: boolean; reached: boolean; reason: string }[];
    }>('GET', `/api/v1/transactions/${res.body.id}/trace`, undefined, { key });
    expect(trace.body.finalAction).toBe('block');
    expect(trace.body.evaluatedRules).toMatchObject([
      { ruleId: block, matched: true, reached: true, reason: 'Matched: vendor openai' },
      {
        ruleId: later,
        matched: false,
        reached: false,
        reason: 'Not reached: "Block OpenAI" decided first',
      },
    ]);
  });
});

describe('organizations', () => {
  it("answers 404 for another organization's transaction and its trace", async () => {
    const mine = await t().newOrg('tx owner');
    const other = await t().newOrg('tx stranger');
    const res = await post(mine.key, { amount: 1, vendor: 'openai', prompt: 'secret' });
    for (const path of [
      `/api/v1/transactions/${res.body.id}`,
      `/api/v1/transactions/${res.body.id}/trace`,
    ]) {
      const denied = await t().call<ErrorBody>('GET', path, undefined, { key: other.key });
      expect({ path, status: denied.status, code: denied.body.code }).toEqual({
        path,
        status: 404,
        code: 'NOT_FOUND',
      });
      expect(denied.text).not.toContain('secret');
    }
    const missing = await t().call('GET', '/api/v1/transactions/txn_doesnotexist0000', undefined, {
      key: mine.key,
    });
    expect(missing.status).toBe(404);
  });
});
