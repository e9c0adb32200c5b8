/**
 * A client generated from the OpenAPI document, against a real server: the types
 * openapi-typescript makes of the served document (committed as generated/reins-api.d.ts, checked
 * here to be what the document gives today) with openapi-fetch, through the docs' own flows —
 * the quickstart, a blocked call, rules created and listed, an idempotent retry, the audit CSV.
 * The calls compile against the generated types (`pnpm typecheck` covers this file): a schema
 * that drifts from what clients send or receive breaks the build, not a user.
 */
import { readFileSync } from 'node:fs';
import createClient from 'openapi-fetch';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { loadVectors } from '@reins/engine/vectors';
import { ADMIN_KEY, useTestServer } from './harness.js';
import { API_TYPES_FILE, apiTypes } from './apiTypes.js';
import type { operations, paths } from './generated/reins-api.js';

const t = useTestServer('openapi_client');

const client = (key: string) =>
  createClient<paths>({ baseUrl: t().url, headers: { authorization: `Bearer ${key}` } });

type CreatePolicyRuleBody =
  operations['createPolicyRule']['requestBody']['content']['application/json'];

/** The docs' "Basic Throttling" rule, as the generated request body type takes it. */
const blockOver5: CreatePolicyRuleBody = {
  name: 'Block transactions over $5',
  priority: 1,
  enabled: true,
  conditions: {
    amountCents: { min: 501 },
    vendors: ['openai', 'anthropic', 'cohere', 'mistral', 'google', 'perplexity'],
  },
  action: 'block',
  actionConfig: { message: 'Individual transactions over $5 are not permitted.' },
};

describe('a client generated from /api/openapi.json', () => {
  it('is generated from the served document exactly as committed', async () => {
    const { data, response } = await client(ADMIN_KEY).GET('/api/openapi.json');
    expect(response.status).toBe(200);
    const committed = readFileSync(API_TYPES_FILE, 'utf8');
    // Stale? Run `pnpm --filter @reins/server generate:api-types` and commit the file.
    expect(await apiTypes(data)).toBe(committed);
  });

  it("runs the docs' quickstart: a key, an agent, a rule, a recorded transaction", async () => {
    const admin = client(ADMIN_KEY);
    const key = await admin.POST('/api/keys', {
      body: { name: 'production', permissions: ['transactions:write', 'policies:read'] },
    });
    expect(key.response.status).toBe(201);
    if (!key.data) throw new Error('no key');
    expectTypeOf(key.data.key).toEqualTypeOf<string>();
    expect(key.data.key).toMatch(/^rk_test_/);
    expect(key.data.keyMasked).toBe(`rk_test_****${key.data.key.slice(-4)}`);

    const agent = await admin.POST('/api/agents', {
      body: {
        agentId: 'support-bot-v2',
        name: 'Customer Support Bot v2',
        description: 'Handles Tier 1 customer support across email and chat',
        vendor: 'openai',
        monthlyBudgetCents: 50000,
        metadata: { team: 'support', tier: 'tier1', region: 'us-east' },
      },
    });
    expect(agent.response.status).toBe(201);
    expect(agent.data?.agentId).toBe('support-bot-v2');
    expect(agent.data?.agent.monthlyBudgetCents).toBe(50000);

    const rule = await admin.POST('/api/policy-rules', {
      body: {
        name: 'Block expensive models for trial users',
        description: 'Prevent trial users from using gpt-4 or claude-3-opus',
        enabled: true,
        priority: 10,
        conditions: {
          vendors: ['openai', 'anthropic'],
          models: ['gpt-4', 'gpt-4o', 'claude-3-opus'],
          agentIds: [],
          amountCents: { min: 0 },
          userRoles: ['trial'],
        },
        action: 'block',
        actionConfig: {
          message: 'Upgrade to Pro to use advanced models',
          redirectUrl: '/upgrade',
        },
      },
    });
    expect(rule.response.status).toBe(201);
    expect(rule.data?.rule.conditions.userRoles).toEqual(['trial']);

    const sdk = client(key.data.key);
    const tx = await sdk.POST('/api/v1/transactions', {
      body: { amount: 150, vendor: 'openai', model: 'gpt-4', userId: 'user-123' },
    });
    expect(tx.response.status).toBe(202);
    if (!tx.data) throw new Error('not recorded');
    expectTypeOf(tx.data.action).toEqualTypeOf<
      'pass' | 'warn' | 'flag' | 'block' | 'log' | 'notify'
    >();
    expect(tx.data).toMatchObject({ success: true, action: 'pass' });
    expect(tx.data.id).toMatch(/^txn_/);

    const read = await client(ADMIN_KEY).GET('/api/v1/transactions/{id}', {
      params: { path: { id: tx.data.id } },
    });
    expect(read.data?.transaction).toMatchObject({ amount: 150, userId: 'user-123' });
  });

  it('gets a blocked call as 403 POLICY_VIOLATION with the rule that fired', async () => {
    // The same rule as the golden vector of the docs' Basic Throttling example.
    const vector = loadVectors()
      .flatMap((v) => v.rules)
      .find((r) => r.id === 'rule_block_over_5');
    expect(blockOver5).toEqual(vector?.body);

    const org = await t().newOrg('blocked');
    const api = client(org.key);
    const rule = await api.POST('/api/policy-rules', { body: blockOver5 });
    expect(rule.response.status).toBe(201);

    const { data, error, response } = await api.POST('/api/v1/transactions', {
      body: { amount: 600, vendor: 'openai', model: 'gpt-4' },
    });
    expect(response.status).toBe(403);
    expect(data).toBeUndefined();
    if (error?.code !== 'POLICY_VIOLATION')
      throw new Error(`expected a block, got ${response.status}`);
    expect(error.policyResult).toEqual({
      action: 'block',
      ruleId: rule.data?.id,
      ruleName: 'Block transactions over $5',
      message: 'Individual transactions over $5 are not permitted.',
    });
    expect(error.details).toMatchObject({ current: 600 });
  });

  it('creates a typed rule and lists it in both dialects', async () => {
    const org = await t().newOrg('rules');
    const api = client(org.key);
    const created = await api.POST('/api/v1/rules', {
      body: {
        name: 'Block GPT-4o for compliance',
        type: 'model_filter',
        scope: 'org',
        scope_id: 'org_abc123',
        priority: 10,
        condition: { model: { in: ['gpt-4o', 'gpt-4-turbo'] } },
        action: 'block',
        action_config: { message: 'GPT-4o is not approved for use in this organization.' },
      },
    });
    expect(created.response.status).toBe(201);
    if (!created.data) throw new Error('not created');
    expectTypeOf(created.data.scope).toEqualTypeOf<'org' | 'user' | 'team' | 'project'>();

    const typed = await api.GET('/api/v1/rules');
    expect(typed.data?.object).toBe('list');
    expect(typed.data?.data.map((r) => r.id)).toEqual([created.data.id]);

    const docs = await api.GET('/api/policy-rules', { params: { query: { action: 'block' } } });
    expect(docs.data?.rules.map((r) => [r.id, r.type, r.conditions.models])).toEqual([
      [created.data.id, 'model_filter', ['gpt-4o', 'gpt-4-turbo']],
    ]);
    expect(docs.data?.count).toBe(1);
  });

  it('answers an idempotent retry with the first answer, recording once', async () => {
    const org = await t().newOrg('idempotent');
    const api = client(org.key);
    const send = () =>
      api.POST('/api/v1/transactions', {
        params: { header: { 'Idempotency-Key': 'retry-7f3a' } },
        body: { amount: 320, vendor: 'openai', model: 'gpt-4', agentId: 'support-bot-v2' },
      });
    const first = await send();
    const second = await send();
    expect(first.response.status).toBe(202);
    expect(second.response.status).toBe(202);
    expect(second.data).toEqual(first.data);
    const list = await api.GET('/api/v1/transactions', {
      params: { query: { agentId: 'support-bot-v2' } },
    });
    expect(list.data?.total).toBe(1);

    const conflict = await api.POST('/api/v1/transactions', {
      params: { header: { 'Idempotency-Key': 'retry-7f3a' } },
      body: { amount: 321, vendor: 'openai' },
    });
    expect(conflict.response.status).toBe(409);
    expect(conflict.error?.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('exports the audit log as CSV with the documented columns', async () => {
    const org = await t().newOrg('csv');
    const api = client(org.key);
    await api.POST('/api/v1/transactions', { body: { amount: 5, vendor: 'anthropic' } });
    const { data, response } = await api.GET('/api/v1/audit-log/csv', { parseAs: 'text' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expectTypeOf(data).toEqualTypeOf<string | undefined>();
    const lines = (data ?? '').trim().split(/\r?\n/);
    expect(lines[0]).toBe('id,eventType,occurredAt,actor,entityType,entityId,vendor,action');
    expect(
      lines.some((l) => l.includes(',transaction.recorded,') && l.includes(',anthropic,')),
    ).toBe(true);
  });
});
