import { describe, expect, it } from 'vitest';
import { rowCounts, windowCounters } from './counts.js';
import { useTestServer } from './harness.js';
import { atTime } from './helpers.js';

const t = useTestServer('rules');

interface DocsRule {
  id: string;
  name: string;
  description: string | null;
  enabled: boolean;
  priority: number;
  type: string;
  scope: string;
  scopeId: string | null;
  conditions: Record<string, unknown>;
  action: string;
  actionConfig: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

interface TypedRule {
  id: string;
  name: string;
  type: string;
  enabled: boolean;
  scope: string;
  scope_id: string | null;
  priority: number;
  condition: Record<string, unknown>;
  action: string;
  action_config: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

interface ErrorBody {
  success: false;
  code: string;
  message: string;
  field?: string;
  issues?: { path: string; message: string }[];
}

/** The docs' "Daily $20 cap for free-tier agents" request body, verbatim. */
const DOCS_DAILY_CAP = {
  name: 'Daily $20 cap for free-tier agents',
  priority: 5,
  enabled: true,
  conditions: {
    agentIds: ['free-tier-*'],
    vendors: ['openai', 'anthropic'],
    amountCents: { min: 1 },
    timeWindow: 'daily',
  },
  action: 'block',
  actionConfig: {
    message: 'Daily spend limit reached. Upgrade to Pro.',
    thresholdPct: 100,
  },
};

/** Seed 003's create example, verbatim. */
const TYPED_MONTHLY_BUDGET = {
  name: 'Monthly $500 org budget',
  type: 'budget',
  scope: 'org',
  scope_id: 'org_abc123',
  priority: 1,
  condition: {
    window: 'monthly',
    metric: 'cost_usd',
    threshold: 500,
  },
  action: 'block',
};

/** Seed 003's rule object, as a create body (without the server-assigned fields). */
const TYPED_MODEL_FILTER = {
  name: 'Block GPT-4o for compliance',
  type: 'model_filter',
  enabled: true,
  scope: 'org',
  scope_id: 'org_abc123',
  priority: 10,
  condition: {
    model: { in: ['gpt-4o', 'gpt-4-turbo'] },
  },
  action: 'block',
  action_config: {
    message: 'GPT-4o is not approved for use in this organization.',
  },
};

const BLOCK_OPENAI = {
  name: 'Block OpenAI',
  priority: 1,
  conditions: { vendors: ['openai'] },
  action: 'block',
  actionConfig: { message: 'OpenAI is off' },
};

async function createDocs(body: unknown, key?: string): Promise<string> {
  const res = await t().call<{ id: string }>('POST', '/api/policy-rules', body, { key });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function createTyped(body: unknown, key?: string): Promise<TypedRule> {
  const res = await t().call<TypedRule>('POST', '/api/v1/rules', body, { key });
  expect(res.status).toBe(201);
  return res.body;
}

async function getDocs(id: string, key?: string): Promise<DocsRule> {
  const res = await t().call<{ rule: DocsRule }>('GET', `/api/policy-rules/${id}`, undefined, {
    key,
  });
  expect(res.status).toBe(200);
  return res.body.rule;
}

async function listDocs(key?: string, query = ''): Promise<DocsRule[]> {
  const res = await t().call<{ rules: DocsRule[]; count: number }>(
    'GET',
    `/api/policy-rules${query}`,
    undefined,
    { key },
  );
  expect(res.status).toBe(200);
  expect(res.body.count).toBe(res.body.rules.length);
  return res.body.rules;
}

async function listTyped(key?: string): Promise<TypedRule[]> {
  const res = await t().call<{ object: string; data: TypedRule[] }>(
    'GET',
    '/api/v1/rules',
    undefined,
    { key },
  );
  expect(res.status).toBe(200);
  expect(res.body.object).toBe('list');
  return res.body.data;
}

async function submit(key: string, body: Record<string, unknown> = {}) {
  return t().call<{ action: string; policyResult: { ruleId: string | null; message: string } }>(
    'POST',
    '/api/v1/transactions',
    { amount: 100, vendor: 'openai', model: 'gpt-4', ...body },
    { key },
  );
}

/** Runs `fn` with the server clock pinned at `iso`. */
const at = <T>(iso: string, fn: () => Promise<T>) => atTime(t(), iso, fn);

describe('docs dialect: /api/policy-rules', () => {
  it('creates the docs example rule and answers 201 {success, id, name, priority, createdAt}', async () => {
    const { key } = await t().newOrg('docs create');
    const res = await at('2026-05-05T08:30:00.000Z', () =>
      t().call('POST', '/api/policy-rules', DOCS_DAILY_CAP, { key }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      success: true,
      name: 'Daily $20 cap for free-tier agents',
      priority: 5,
      createdAt: '2026-05-05T08:30:00.000Z',
    });
    expect(res.body.id).toMatch(/^rule_[A-Za-z0-9]{16}$/);

    const rule = await getDocs(String(res.body.id), key);
    expect(rule).toMatchObject({
      id: res.body.id,
      name: DOCS_DAILY_CAP.name,
      enabled: true,
      priority: 5,
      conditions: DOCS_DAILY_CAP.conditions,
      action: 'block',
      actionConfig: { message: DOCS_DAILY_CAP.actionConfig.message, thresholdPct: 100 },
      createdAt: '2026-05-05T08:30:00.000Z',
      updatedAt: '2026-05-05T08:30:00.000Z',
    });
  });

  it('applies the docs PUT example as a partial update and answers {success, id, updatedAt}', async () => {
    const { key } = await t().newOrg('docs put');
    const id = await at('2026-05-05T08:30:00.000Z', () => createDocs(DOCS_DAILY_CAP, key));
    const res = await at('2026-05-05T09:00:00.000Z', () =>
      t().call('PUT', `/api/policy-rules/${id}`, { enabled: false, priority: 10 }, { key }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, id, updatedAt: '2026-05-05T09:00:00.000Z' });

    const rule = await getDocs(id, key);
    expect(rule).toMatchObject({
      enabled: false,
      priority: 10,
      name: DOCS_DAILY_CAP.name,
      conditions: DOCS_DAILY_CAP.conditions,
      action: 'block',
      actionConfig: { message: DOCS_DAILY_CAP.actionConfig.message, thresholdPct: 100 },
      createdAt: '2026-05-05T08:30:00.000Z',
      updatedAt: '2026-05-05T09:00:00.000Z',
    });
  });

  it('merges a nested partial update into the stored conditions and actionConfig', async () => {
    const { key } = await t().newOrg('docs nested put');
    const id = await createDocs(DOCS_DAILY_CAP, key);
    const res = await t().call(
      'PUT',
      `/api/policy-rules/${id}`,
      { conditions: { vendors: ['mistral'] }, actionConfig: { limitCents: 2000 } },
      { key },
    );
    expect(res.status).toBe(200);
    const rule = await getDocs(id, key);
    expect(rule.conditions).toEqual({ ...DOCS_DAILY_CAP.conditions, vendors: ['mistral'] });
    expect(rule.actionConfig).toMatchObject({
      message: DOCS_DAILY_CAP.actionConfig.message,
      thresholdPct: 100,
      limitCents: 2000,
    });
  });

  it('lists rules in evaluation order and filters by enabled, action and vendor', async () => {
    const { key } = await t().newOrg('docs list');
    const create = (iso: string, body: Record<string, unknown>) =>
      at(iso, () => createDocs(body, key));
    const a = await create('2026-05-01T00:00:01Z', {
      name: 'A',
      priority: 5,
      conditions: { vendors: ['openai'] },
      action: 'block',
    });
    const b = await create('2026-05-01T00:00:02Z', {
      name: 'B',
      priority: 50,
      conditions: { vendors: ['anthropic'] },
      action: 'warn',
    });
    const c = await create('2026-05-01T00:00:03Z', {
      name: 'C',
      priority: 5,
      enabled: false,
      action: 'flag',
    });
    const d = await create('2026-05-01T00:00:04Z', {
      name: 'D',
      priority: 100,
      conditions: { vendors: ['google'] },
      action: 'block',
    });
    const ids = async (query: string) => (await listDocs(key, query)).map((r) => r.id);

    // priority descending, then createdAt ascending (A before C at priority 5)
    expect(await ids('')).toEqual([d, b, a, c]);
    expect(await ids('?enabled=true')).toEqual([d, b, a]);
    expect(await ids('?enabled=false')).toEqual([c]);
    expect(await ids('?action=block')).toEqual([d, a]);
    expect(await ids('?action=pass')).toEqual([]);
    // vendor: the rules that apply to it — naming it, or naming no vendor at all
    expect(await ids('?vendor=openai')).toEqual([a, c]);
    expect(await ids('?vendor=OpenAI')).toEqual([a, c]);
    expect(await ids('?vendor=anthropic&action=warn&enabled=true')).toEqual([b]);
  });

  it('refuses bad list filters with 422 naming the filter', async () => {
    for (const [query, field] of [
      ['?enabled=yes', 'enabled'],
      ['?action=deny', 'action'],
      ['?vendors=openai', 'vendors'],
    ] as const) {
      const res = await t().call<ErrorBody>('GET', `/api/policy-rules${query}`);
      expect({ query, status: res.status, code: res.body.code, field: res.body.field }).toEqual({
        query,
        status: 422,
        code: 'VALIDATION_ERROR',
        field,
      });
    }
  });

  it('deletes a rule: 200, then 404 for it', async () => {
    const { key } = await t().newOrg('docs delete');
    const id = await createDocs(BLOCK_OPENAI, key);
    const res = await t().call('DELETE', `/api/policy-rules/${id}`, undefined, { key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, id, deleted: true });
    for (const [method, path] of [
      ['GET', `/api/policy-rules/${id}`],
      ['DELETE', `/api/policy-rules/${id}`],
      ['GET', `/api/v1/rules/${id}`],
    ] as const) {
      const gone = await t().call(method, path, undefined, { key });
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
    }
    expect(await listDocs(key)).toEqual([]);
  });
});

describe('typed dialect: /api/v1/rules', () => {
  it("creates seed 003's example budget rule (201) and reads it back in the seed's shape", async () => {
    const { key } = await t().newOrg('typed create');
    const created = await at('2025-04-01T00:00:00.000Z', () =>
      createTyped(TYPED_MONTHLY_BUDGET, key),
    );
    expect(created).toMatchObject({
      name: 'Monthly $500 org budget',
      type: 'budget',
      enabled: true,
      scope: 'org',
      scope_id: 'org_abc123',
      priority: 1,
      condition: { window: 'monthly', metric: 'cost_usd', threshold: 500 },
      action: 'block',
      created_at: '2025-04-01T00:00:00.000Z',
      updated_at: '2025-04-01T00:00:00.000Z',
    });
    expect(created.id).toMatch(/^rule_/);
    expect(created).not.toHaveProperty('success');

    const res = await t().call<TypedRule>('GET', `/api/v1/rules/${created.id}`, undefined, { key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created);
  });

  it("creates seed 003's model_filter rule object", async () => {
    const { key } = await t().newOrg('typed model filter');
    const created = await createTyped(TYPED_MODEL_FILTER, key);
    expect(created).toMatchObject({
      ...TYPED_MODEL_FILTER,
      condition: { model: { in: ['gpt-4o', 'gpt-4-turbo'] } },
      action_config: { message: 'GPT-4o is not approved for use in this organization.' },
    });
    const blocked = await submit(key, { model: 'gpt-4o' });
    expect(blocked.status).toBe(403);
    expect(blocked.body.policyResult.message).toBe(
      'GPT-4o is not approved for use in this organization.',
    );
    expect((await submit(key, { model: 'gpt-4o-mini' })).status).toBe(202);
  });

  it('applies a partial PUT (the seed\'s {"enabled": false}) and keeps every other field', async () => {
    const { key } = await t().newOrg('typed put');
    const created = await at('2025-04-01T00:00:00.000Z', () =>
      createTyped(TYPED_MONTHLY_BUDGET, key),
    );
    const res = await at('2025-05-01T12:00:00.000Z', () =>
      t().call<TypedRule>('PUT', `/api/v1/rules/${created.id}`, { enabled: false }, { key }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...created,
      enabled: false,
      updated_at: '2025-05-01T12:00:00.000Z',
    });

    const renamed = await t().call<TypedRule>(
      'PUT',
      `/api/v1/rules/${created.id}`,
      { condition: { threshold: 750 } },
      { key },
    );
    expect(renamed.status).toBe(200);
    expect(renamed.body.condition).toEqual({
      window: 'monthly',
      metric: 'cost_usd',
      threshold: 750,
    });
    expect(renamed.body.enabled).toBe(false);
  });

  it('lists rules in evaluation order', async () => {
    const { key } = await t().newOrg('typed list');
    const budget = await createTyped(TYPED_MONTHLY_BUDGET, key);
    const filter = await createTyped(TYPED_MODEL_FILTER, key);
    expect((await listTyped(key)).map((r) => r.id)).toEqual([filter.id, budget.id]);
  });

  it('deletes a rule with 204 and an empty body', async () => {
    const { key } = await t().newOrg('typed delete');
    const created = await createTyped(TYPED_MODEL_FILTER, key);
    const res = await t().call('DELETE', `/api/v1/rules/${created.id}`, undefined, { key });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const gone = await t().call('GET', `/api/v1/rules/${created.id}`, undefined, { key });
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
    const again = await t().call('DELETE', `/api/v1/rules/${created.id}`, undefined, { key });
    expect(again.status).toBe(404);
  });
});

describe('both dialects read and write the same rules', () => {
  it('lists a docs-dialect rule in the typed API and a typed rule in the docs API', async () => {
    const { key, orgId } = await t().newOrg('cross dialect');
    const docsId = await createDocs({ ...DOCS_DAILY_CAP, actionConfig: { limitCents: 2000 } }, key);
    const typed = await createTyped(TYPED_MONTHLY_BUDGET, key);

    const typedList = await listTyped(key);
    expect(typedList.map((r) => r.id).sort()).toEqual([docsId, typed.id].sort());
    expect(typedList.find((r) => r.id === docsId)).toMatchObject({
      type: 'budget',
      scope: 'org',
      scope_id: orgId,
      priority: 5,
      condition: { window: 'daily', metric: 'cost_usd', threshold: 20 },
      action: 'block',
      filters: { vendors: ['openai', 'anthropic'], agent_ids: ['free-tier-*'] },
    });

    const docsList = await listDocs(key);
    expect(docsList.map((r) => r.id).sort()).toEqual([docsId, typed.id].sort());
    expect(docsList.find((r) => r.id === typed.id)).toMatchObject({
      name: 'Monthly $500 org budget',
      priority: 1,
      conditions: { timeWindow: 'monthly' },
      action: 'block',
      actionConfig: { limitCents: 50000, thresholdPct: 100 },
      scopeId: 'org_abc123',
    });
  });

  it('shows a change made through one dialect in the other', async () => {
    const { key } = await t().newOrg('cross dialect update');
    const typed = await createTyped(TYPED_MONTHLY_BUDGET, key);
    const put = await t().call(
      'PUT',
      `/api/policy-rules/${typed.id}`,
      { priority: 42, actionConfig: { limitCents: 12345 } },
      { key },
    );
    expect(put.status).toBe(200);
    const res = await t().call<TypedRule>('GET', `/api/v1/rules/${typed.id}`, undefined, { key });
    expect(res.body).toMatchObject({
      type: 'budget',
      priority: 42,
      condition: { window: 'monthly', metric: 'cost_usd', threshold: 123.45 },
    });
  });
});

describe('validation', () => {
  it('refuses bad docs-dialect rules with 422 naming the field, writing nothing', async () => {
    const before = await rowCounts(t());
    const cases: [Record<string, unknown>, string][] = [
      [{ ...BLOCK_OPENAI, conditions: { vendor: ['openai'] } }, 'conditions.vendor'],
      [{ ...BLOCK_OPENAI, conditions: { userRole: ['trial'] } }, 'conditions.userRole'],
      [{ ...BLOCK_OPENAI, action: 'deny' }, 'action'],
      [{ ...BLOCK_OPENAI, action: undefined }, 'action'],
      [{ ...BLOCK_OPENAI, conditions: { timeWindow: 'yearly' } }, 'conditions.timeWindow'],
      [{ ...BLOCK_OPENAI, name: '' }, 'name'],
      [{ ...BLOCK_OPENAI, name: undefined }, 'name'],
      [{ ...BLOCK_OPENAI, priority: 1.5 }, 'priority'],
      [{ ...BLOCK_OPENAI, priority: '1' }, 'priority'],
      [{ ...BLOCK_OPENAI, enabled: 'yes' }, 'enabled'],
      [{ ...BLOCK_OPENAI, conditions: { vendors: ['openia'] } }, 'conditions.vendors.0'],
      [{ ...BLOCK_OPENAI, conditions: { amountCents: { min: -1 } } }, 'conditions.amountCents.min'],
      [
        { ...BLOCK_OPENAI, conditions: { amountCents: { min: 10, max: 5 } } },
        'conditions.amountCents.max',
      ],
      [{ ...BLOCK_OPENAI, actionConfig: { thresholdPct: 80 } }, 'actionConfig.thresholdPct'],
      [{ ...BLOCK_OPENAI, actionConfig: { colour: 'red' } }, 'actionConfig.colour'],
      [{ ...BLOCK_OPENAI, owner: 'me' }, 'owner'],
    ];
    for (const [body, field] of cases) {
      const res = await t().call<ErrorBody>('POST', '/api/policy-rules', body);
      expect({ body, status: res.status, code: res.body.code, field: res.body.field }).toEqual({
        body,
        status: 422,
        code: 'VALIDATION_ERROR',
        field,
      });
      expect(res.body.success).toBe(false);
      expect(res.body.issues?.[0]?.path).toBe(field);
    }
    expect(await rowCounts(t())).toEqual(before);
  });

  it('refuses bad typed-dialect rules with 422 naming the field, writing nothing', async () => {
    const before = await rowCounts(t());
    const cases: [Record<string, unknown>, string][] = [
      [{ ...TYPED_MONTHLY_BUDGET, type: 'quota' }, 'type'],
      [{ ...TYPED_MONTHLY_BUDGET, action: 'deny' }, 'action'],
      [{ ...TYPED_MONTHLY_BUDGET, scope: 'galaxy' }, 'scope'],
      [
        { ...TYPED_MONTHLY_BUDGET, condition: { window: 'yearly', threshold: 500 } },
        'condition.window',
      ],
      [{ ...TYPED_MONTHLY_BUDGET, condition: { window: 'monthly' } }, 'condition.threshold'],
      [
        { ...TYPED_MONTHLY_BUDGET, condition: { window: 'monthly', threshold: 5, colour: 'red' } },
        'condition.colour',
      ],
      [
        { ...TYPED_MONTHLY_BUDGET, condition: { window: 'monthly', threshold: 5.001 } },
        'condition.threshold',
      ],
      [{ ...TYPED_MODEL_FILTER, condition: { model: {} } }, 'condition.model'],
      [{ ...TYPED_MONTHLY_BUDGET, scope: 'user', scope_id: undefined }, 'scope_id'],
    ];
    for (const [body, field] of cases) {
      const res = await t().call<ErrorBody>('POST', '/api/v1/rules', body);
      expect({ body, status: res.status, code: res.body.code, field: res.body.field }).toEqual({
        body,
        status: 422,
        code: 'VALIDATION_ERROR',
        field,
      });
    }
    expect(await rowCounts(t())).toEqual(before);
  });

  it('refuses an invalid PUT with 422 and leaves the rule unchanged', async () => {
    const { key } = await t().newOrg('bad put');
    const id = await createDocs(BLOCK_OPENAI, key);
    const before = await getDocs(id, key);
    for (const [body, field] of [
      [{ action: 'deny' }, 'action'],
      [{ conditions: { timeWindow: 'yearly' } }, 'conditions.timeWindow'],
      [{ conditions: { vendorz: ['openai'] } }, 'conditions.vendorz'],
      [[1, 2], 'body'],
    ] as const) {
      const res = await t().call<ErrorBody>('PUT', `/api/policy-rules/${id}`, body, { key });
      expect({ status: res.status, field: res.body.field }).toEqual({ status: 422, field });
    }
    const typedPut = await t().call<ErrorBody>(
      'PUT',
      `/api/v1/rules/${id}`,
      { scope: 'galaxy' },
      { key },
    );
    expect({ status: typedPut.status, field: typedPut.body.field }).toEqual({
      status: 422,
      field: 'scope',
    });
    expect(await getDocs(id, key)).toEqual(before);
  });
});

describe('organizations', () => {
  it("answers 404 for another organization's rule on get, put and delete, in both dialects", async () => {
    const mine = await t().newOrg('rule owner');
    const other = await t().newOrg('rule stranger');
    const id = await createDocs(BLOCK_OPENAI, mine.key);
    const before = await getDocs(id, mine.key);
    const attempts: [string, string, unknown][] = [
      ['GET', `/api/policy-rules/${id}`, undefined],
      ['PUT', `/api/policy-rules/${id}`, { enabled: false }],
      ['DELETE', `/api/policy-rules/${id}`, undefined],
      ['GET', `/api/v1/rules/${id}`, undefined],
      ['PUT', `/api/v1/rules/${id}`, { enabled: false }],
      ['DELETE', `/api/v1/rules/${id}`, undefined],
    ];
    for (const [method, path, body] of attempts) {
      const res = await t().call<ErrorBody>(method, path, body, { key: other.key });
      expect({ method, path, status: res.status, code: res.body.code }).toEqual({
        method,
        path,
        status: 404,
        code: 'NOT_FOUND',
      });
    }
    expect(await listDocs(other.key)).toEqual([]);
    expect(await listTyped(other.key)).toEqual([]);
    expect(await getDocs(id, mine.key)).toEqual(before);
    // The other org's transactions never meet this org's rules.
    expect((await submit(other.key)).status).toBe(202);
    expect((await submit(mine.key)).status).toBe(403);
  });
});

describe('POST /api/policy-rules/evaluate (dry run)', () => {
  it('answers the docs example with no rules: pass, ruleId null, "No rules matched"', async () => {
    const { key } = await t().newOrg('dry run empty');
    const before = await rowCounts(t());
    const res = await t().call<{ success: boolean; result: Record<string, unknown> }>(
      'POST',
      '/api/policy-rules/evaluate',
      { agentId: 'support-bot-v2', vendor: 'openai', amount: 320 },
      { key },
    );
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.result).toMatchObject({
      action: 'pass',
      ruleId: null,
      message: 'No rules matched',
    });
    expect(await rowCounts(t())).toEqual(before);
  });

  it('returns the decision of a matching block rule with the trace, and records nothing', async () => {
    const { key } = await t().newOrg('dry run block');
    const other = await createDocs(
      { name: 'Other', priority: 9, conditions: { vendors: ['google'] }, action: 'warn' },
      key,
    );
    const id = await createDocs(BLOCK_OPENAI, key);
    const before = await rowCounts(t());
    const res = await t().call<{
      result: Record<string, unknown>;
      evaluatedRules: { ruleId: string; matched: boolean; reason: string }[];
    }>('POST', '/api/policy-rules/evaluate', { vendor: 'openai', amount: 10 }, { key });
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({
      action: 'block',
      ruleId: id,
      message: 'OpenAI is off',
    });
    expect(res.body.evaluatedRules).toMatchObject([
      { ruleId: other, matched: false, reason: 'Vendor openai not in [google]' },
      { ruleId: id, matched: true },
    ]);
    expect(await rowCounts(t())).toEqual(before);
  });

  it('evaluates against the current window totals without moving them', async () => {
    const { key, orgId } = await t().newOrg('dry run window');
    const id = await createDocs(
      {
        name: 'Daily $10',
        conditions: { timeWindow: 'daily' },
        action: 'block',
        actionConfig: { limitCents: 1000 },
      },
      key,
    );
    expect((await submit(key, { amount: 900 })).status).toBe(202);
    const counters = await windowCounters(t(), orgId);
    const before = await rowCounts(t());

    const res = await t().call<{ result: Record<string, unknown> }>(
      'POST',
      '/api/policy-rules/evaluate',
      { vendor: 'openai', amount: 200 },
      { key },
    );
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({
      action: 'block',
      ruleId: id,
      details: { limit: 1000, current: 1100, timeWindow: 'daily' },
    });
    const small = await t().call<{ result: Record<string, unknown> }>(
      'POST',
      '/api/policy-rules/evaluate',
      { vendor: 'openai', amount: 100 },
      { key },
    );
    expect(small.body.result).toMatchObject({ action: 'pass', ruleId: null });
    expect(await rowCounts(t())).toEqual(before);
    expect(await windowCounters(t(), orgId)).toEqual(counters);
  });

  it('refuses an invalid transaction with 422', async () => {
    const res = await t().call<ErrorBody>('POST', '/api/policy-rules/evaluate', { amount: 1 });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'vendor' });
  });
});

describe('policy changes take effect at once', () => {
  it('the very next transaction sees each create, update, disable, enable and delete', async () => {
    const { key } = await t().newOrg('cache');
    expect((await submit(key)).status).toBe(202);

    const id = await createDocs(BLOCK_OPENAI, key);
    expect((await submit(key)).status).toBe(403);

    const put = (body: unknown, path = `/api/policy-rules/${id}`) =>
      t().call('PUT', path, body, { key });
    expect((await put({ enabled: false })).status).toBe(200);
    expect((await submit(key)).status).toBe(202);

    expect((await put({ enabled: true }, `/api/v1/rules/${id}`)).status).toBe(200);
    expect((await submit(key)).status).toBe(403);

    expect((await put({ conditions: { vendors: ['anthropic'] } })).status).toBe(200);
    expect((await submit(key)).status).toBe(202);
    expect((await submit(key, { vendor: 'anthropic', model: 'claude-3-opus' })).status).toBe(403);

    expect((await put({ action: 'warn' })).status).toBe(200);
    const warned = await submit(key, { vendor: 'anthropic', model: 'claude-3-opus' });
    expect(warned.status).toBe(202);
    expect(warned.body.action).toBe('warn');

    expect((await t().call('DELETE', `/api/policy-rules/${id}`, undefined, { key })).status).toBe(
      200,
    );
    const after = await submit(key, { vendor: 'anthropic', model: 'claude-3-opus' });
    expect(after.status).toBe(202);
    expect(after.body.action).toBe('pass');
  });
});

describe('audit', () => {
  it('writes an audit event for create, update, disable, enable and delete', async () => {
    const { key, orgId } = await t().newOrg('audit');
    const keyId = (
      await t().sql<{ id: string }>('select id from api_key where org_id = ?', [orgId])
    )[0]?.id;
    const id = await at('2026-05-05T08:00:00Z', () => createDocs(BLOCK_OPENAI, key));
    const put = (iso: string, body: unknown, path = `/api/policy-rules/${id}`) =>
      at(iso, () => t().call('PUT', path, body, { key }));
    await put('2026-05-05T08:01:00Z', { priority: 7 });
    await put('2026-05-05T08:02:00Z', { enabled: false });
    await put('2026-05-05T08:03:00Z', { enabled: true }, `/api/v1/rules/${id}`);
    await at('2026-05-05T08:04:00Z', () =>
      t().call('DELETE', `/api/v1/rules/${id}`, undefined, { key }),
    );

    const events = await t().sql<{
      event_type: string;
      occurred_at: Date;
      actor: string;
      entity_type: string;
      metadata: Record<string, unknown>;
    }>(
      `select event_type, occurred_at, actor, entity_type, metadata from audit_event
        where org_id = ? and entity_id = ? order by occurred_at`,
      [orgId, id],
    );
    expect(
      events.map((e) => [
        e.event_type,
        new Date(e.occurred_at).toISOString(),
        e.actor,
        e.entity_type,
      ]),
    ).toEqual([
      ['policy_rule.created', '2026-05-05T08:00:00.000Z', `key:${keyId}`, 'policy_rule'],
      ['policy_rule.updated', '2026-05-05T08:01:00.000Z', `key:${keyId}`, 'policy_rule'],
      ['policy_rule.disabled', '2026-05-05T08:02:00.000Z', `key:${keyId}`, 'policy_rule'],
      ['policy_rule.enabled', '2026-05-05T08:03:00.000Z', `key:${keyId}`, 'policy_rule'],
      ['policy_rule.deleted', '2026-05-05T08:04:00.000Z', `key:${keyId}`, 'policy_rule'],
    ]);
    for (const e of events) expect(e.metadata.ruleName).toBe('Block OpenAI');
  });

  it('writes no audit event for a refused change', async () => {
    const { key, orgId } = await t().newOrg('audit refused');
    const id = await createDocs(BLOCK_OPENAI, key);
    const count = async () =>
      (
        await t().sql<{ n: number }>(
          'select count(*)::int as n from audit_event where org_id = ?',
          [orgId],
        )
      )[0]?.n;
    const before = await count();
    await t().call('PUT', `/api/policy-rules/${id}`, { action: 'deny' }, { key });
    await t().call('POST', '/api/policy-rules', { name: 'x', action: 'deny' }, { key });
    expect(await count()).toBe(before);
  });
});
