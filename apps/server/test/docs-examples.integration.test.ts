/**
 * The six End-to-End Examples of the docs, run against the server: every rule body is copied
 * verbatim from the docs, every transaction is the one the docs send, the budgets the examples
 * imply are set through the API, and each `it` asserts the behaviour the docs describe. Each test
 * gets its own organization, so examples never meet.
 */
import { describe, expect, it } from 'vitest';
import { useTestServer } from './harness.js';
import { atTime } from './helpers.js';

const t = useTestServer('docs-examples');

interface PolicyResult {
  action: string;
  ruleId: string | null;
  ruleName: string | null;
  message: string;
}

/** 202 (admitted) and 403 (blocked) bodies, in one shape for the assertions below. */
interface Decision {
  success: boolean;
  id: string;
  action?: string;
  code?: string;
  message?: string;
  policyResult: PolicyResult;
  details?: Record<string, unknown>;
}

interface TraceBody {
  finalAction: string;
  evaluatedRules: { ruleId: string; ruleName: string; matched: boolean; reason: string }[];
}

const ALL_VENDORS = ['openai', 'anthropic', 'cohere', 'mistral', 'google', 'perplexity'];

async function org(settings: Parameters<ReturnType<typeof t>['newOrg']>[1] = {}) {
  return (await t().newOrg('docs example', settings)).key;
}

async function put(key: string, path: string, body: Record<string, unknown>) {
  const res = await t().call('PUT', path, body, { key });
  expect(res.status).toBe(200);
}

/**
 * An organization with the budgets the examples imply, set through the API: $100 a day and
 * $2,000 a month for the organization, the support bot $500 a month, data enrichment $100 a
 * month, finance $50 a month, the free role $5 a day per user, the trial role $20 a month per
 * user.
 */
async function docsOrg(settings: Parameters<ReturnType<typeof t>['newOrg']>[1] = {}) {
  const key = await org(settings);
  await put(key, '/api/org', { dailyBudgetCents: 10_000, monthlyBudgetCents: 200_000 });
  for (const [agentId, cents] of [
    ['support-bot', 50_000],
    ['data-enrichment', 10_000],
    ['finance', 5_000],
  ] as const) {
    const res = await t().call(
      'POST',
      '/api/agents',
      { agentId, name: agentId, monthlyBudgetCents: cents },
      { key },
    );
    expect(res.status).toBe(201);
  }
  await put(key, '/api/budgets/roles/free', { dailyBudgetCents: 500 });
  await put(key, '/api/budgets/roles/trial', { monthlyBudgetCents: 2_000 });
  return key;
}

interface Warning {
  code: string;
  kind: string;
  id: string | null;
  period: string;
}

/** POST /api/policy-rules: the new rule's id and the budgets it waits for. */
async function createRuleWarned(key: string, body: Record<string, unknown>) {
  const res = await t().call<{ id: string; warnings: Warning[]; rule: { warnings: Warning[] } }>(
    'POST',
    '/api/policy-rules',
    body,
    { key },
  );
  expect(res.status).toBe(201);
  expect(res.body.rule.warnings).toEqual(res.body.warnings);
  return res.body;
}

/** POST /api/policy-rules with a body from the docs; returns the new rule's id. */
async function createRule(key: string, body: Record<string, unknown>): Promise<string> {
  const res = await t().call<{ id: string }>('POST', '/api/policy-rules', body, { key });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function submit(key: string, body: Record<string, unknown>) {
  return t().call<Decision>('POST', '/api/v1/transactions', body, { key });
}

async function trace(key: string, id: string): Promise<TraceBody> {
  const res = await t().call<TraceBody>('GET', `/api/v1/transactions/${id}/trace`, undefined, {
    key,
  });
  expect(res.status).toBe(200);
  return res.body;
}

/** Runs `fn` with the server clock pinned at `iso`. */
const at = <T>(iso: string, fn: () => Promise<T>) => atTime(t(), iso, fn);

function expectAdmitted(res: { status: number; body: Decision }, action: string) {
  expect({ status: res.status, action: res.body.action }).toEqual({ status: 202, action });
}

function expectBlocked(res: { status: number; body: Decision }, message: string) {
  expect({
    status: res.status,
    code: res.body.code,
    action: res.body.policyResult.action,
    message: res.body.policyResult.message,
  }).toEqual({ status: 403, code: 'POLICY_VIOLATION', action: 'block', message });
}

// ---------------------------------------------------------------------------------------------

describe('Basic Throttling: block any single transaction over $5.00', () => {
  const RULE = {
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

  it("blocks the docs' $6.00 gpt-4 call with the rule's message", async () => {
    const key = await org();
    const ruleId = await createRule(key, RULE);
    const res = await submit(key, { amount: 600, vendor: 'openai', model: 'gpt-4' });
    expectBlocked(res, 'Individual transactions over $5 are not permitted.');
    expect(res.body.policyResult).toEqual({
      action: 'block',
      ruleId,
      ruleName: 'Block transactions over $5',
      message: 'Individual transactions over $5 are not permitted.',
    });
    expect(res.body.message).toBe(
      'Policy violation: Individual transactions over $5 are not permitted.',
    );
  });

  it('admits exactly $5.00 and blocks $5.01, for every vendor', async () => {
    const key = await org();
    await createRule(key, RULE);
    for (const vendor of ALL_VENDORS) {
      expectAdmitted(await submit(key, { amount: 500, vendor }), 'pass');
      expectBlocked(
        await submit(key, { amount: 501, vendor }),
        'Individual transactions over $5 are not permitted.',
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('Per-Agent Budgets', () => {
  const SUPPORT_BOT = {
    name: 'Support bot monthly cap',
    priority: 20,
    conditions: {
      agentIds: ['support-bot'],
      vendors: ['openai', 'anthropic'],
      timeWindow: 'monthly',
    },
    action: 'block',
    actionConfig: { message: 'Support bot monthly budget exhausted ($500/mo)' },
  };
  const DATA_ENRICHMENT = {
    name: 'Data enrichment 80% warning',
    priority: 20,
    conditions: { agentIds: ['data-enrichment'], timeWindow: 'monthly' },
    action: 'warn',
    actionConfig: { message: '80% of monthly budget used', thresholdPct: 80 },
  };
  const DOCS_TX = {
    amount: 200,
    vendor: 'openai',
    model: 'gpt-4',
    agentId: 'support-bot', // Required for per-agent policies
    userId: 'user-123',
  };

  // The docs' rules name no limit: it is each agent's monthlyBudgetCents in the registry.
  it('creates the rules as written; until the agents have budgets they wait, never match, and the trace says why', async () => {
    const key = await org({ monthlyBudgetCents: 100 });
    const support = await createRuleWarned(key, SUPPORT_BOT);
    expect(support.warnings).toEqual([
      expect.objectContaining({
        code: 'BUDGET_MISSING',
        kind: 'agent',
        id: 'support-bot',
        period: 'monthly',
      }) as unknown,
    ]);
    const enrichment = (await createRuleWarned(key, DATA_ENRICHMENT)).id;
    const waiting = await t().call<{ rules: { id: string }[] }>(
      'GET',
      '/api/policy-rules?waiting=true',
      undefined,
      { key },
    );
    expect(waiting.body.rules.map((r) => r.id).sort()).toEqual([support.id, enrichment].sort());

    const res = await submit(key, DOCS_TX);
    expectAdmitted(res, 'pass');
    expect(res.body.policyResult.ruleId).toBeNull();
    const tr = await trace(key, res.body.id);
    expect(tr.evaluatedRules).toEqual([
      expect.objectContaining({
        ruleId: support.id,
        matched: false,
        reason: 'No limit for this monthly window: agent support-bot has no monthly budget',
      }) as unknown,
      expect.objectContaining({
        ruleId: enrichment,
        matched: false,
        reason: 'Agent support-bot not in [data-enrichment]',
      }) as unknown,
    ]);
    // A per-agent rule never borrows the organization's budget.
    const other = await submit(key, { ...DOCS_TX, agentId: 'data-enrichment', amount: 100_000 });
    expectAdmitted(other, 'pass');
    const tr2 = await trace(key, other.body.id);
    expect(tr2.evaluatedRules.map((r) => r.reason)).toEqual([
      'Agent data-enrichment not in [support-bot]',
      'No limit for this monthly window: agent data-enrichment has no monthly budget',
    ]);
  });

  it("with the agents' budgets set in the registry: the support bot stops at $500, data enrichment warns past $80", async () => {
    const key = await docsOrg();
    expect((await createRuleWarned(key, SUPPORT_BOT)).warnings).toEqual([]);
    expect((await createRuleWarned(key, DATA_ENRICHMENT)).warnings).toEqual([]);
    await at('2026-05-10T12:00:00Z', async () => {
      expectAdmitted(await submit(key, { ...DOCS_TX, amount: 49_800 }), 'pass');
      expectAdmitted(await submit(key, DOCS_TX), 'pass'); // $500.00 exactly
      const over = await submit(key, { ...DOCS_TX, amount: 1 });
      expectBlocked(over, 'Support bot monthly budget exhausted ($500/mo)');
      expect(over.body.details).toMatchObject({
        limit: 50_000,
        current: 50_001,
        timeWindow: 'monthly',
        resetsAt: '2026-06-01T00:00:00.000Z',
      });

      // the support bot's spend is not the data-enrichment agent's
      const enrich = { amount: 8_000, vendor: 'anthropic', agentId: 'data-enrichment' };
      expectAdmitted(await submit(key, enrich), 'pass'); // exactly 80%
      const warned = await submit(key, { ...enrich, amount: 1 });
      expectAdmitted(warned, 'warn');
      expect(warned.body.policyResult.message).toBe('80% of monthly budget used');
      // a warning admits: the agent keeps going past 100% (no block rule for it)
      expectAdmitted(await submit(key, { ...enrich, amount: 5_000 }), 'warn');
    });
  });

  it("moves with the agent's budget: raising it admits again, without touching the rule", async () => {
    const key = await docsOrg();
    await createRuleWarned(key, SUPPORT_BOT);
    await at('2026-05-10T12:00:00Z', async () => {
      expectAdmitted(await submit(key, { ...DOCS_TX, amount: 50_000 }), 'pass');
      expectBlocked(
        await submit(key, { ...DOCS_TX, amount: 1 }),
        'Support bot monthly budget exhausted ($500/mo)',
      );
      await put(key, '/api/agents/support-bot', { monthlyBudgetCents: 60_000 });
      expectAdmitted(await submit(key, { ...DOCS_TX, amount: 1 }), 'pass');
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('Time-Window Policies', () => {
  const HOURLY_BURST = {
    name: 'Hourly burst protection',
    priority: 30,
    conditions: {
      vendors: ['openai', 'anthropic', 'cohere', 'mistral', 'google', 'perplexity'],
      timeWindow: 'hourly',
    },
    action: 'block',
    actionConfig: { message: 'Hourly request limit (50/hour) exceeded', maxTransactions: 50 },
  };
  const DAILY_WARNING = {
    name: 'Daily budget warning at 80%',
    priority: 10,
    conditions: { vendors: ['openai', 'anthropic'], timeWindow: 'daily' },
    action: 'warn',
    actionConfig: { message: 'Daily budget 80% exhausted', thresholdPct: 80 },
  };

  it('blocks the 51st request in an hour, and admits again in the next hour', async () => {
    const key = await org();
    const ruleId = await createRule(key, HOURLY_BURST);
    await createRule(key, DAILY_WARNING);
    await at('2026-05-05T10:00:00Z', async () => {
      const first50 = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          submit(key, { amount: 1, vendor: ALL_VENDORS[i % ALL_VENDORS.length] }),
        ),
      );
      expect(first50.map((r) => r.status)).toEqual(Array.from({ length: 50 }, () => 202));
    });
    const the51st = await at('2026-05-05T10:59:59Z', () =>
      submit(key, { amount: 1, vendor: 'openai' }),
    );
    expectBlocked(the51st, 'Hourly request limit (50/hour) exceeded');
    expect(the51st.body.details).toEqual({
      limit: 50,
      current: 51,
      timeWindow: 'hourly',
      resetsAt: '2026-05-05T11:00:00.000Z',
      unit: 'requests',
      ruleId,
    });
    // a blocked request is not counted: the 52nd is the 51st again
    const again = await at('2026-05-05T10:59:59Z', () =>
      submit(key, { amount: 1, vendor: 'anthropic' }),
    );
    expect(again.body.details?.current).toBe(51);
    expectAdmitted(
      await at('2026-05-05T11:00:00Z', () => submit(key, { amount: 1, vendor: 'openai' })),
      'pass',
    );
  });

  it("warns once the day's spend crosses 80% of the organization's $100 daily budget", async () => {
    // The rule names no limit: an org window rule uses the org's budget for that window.
    const key = await docsOrg();
    await createRule(key, HOURLY_BURST);
    const ruleId = await createRule(key, DAILY_WARNING);
    await at('2026-05-05T09:00:00Z', async () => {
      expectAdmitted(await submit(key, { amount: 8_000, vendor: 'openai' }), 'pass'); // 80% exactly
      const warned = await submit(key, { amount: 1, vendor: 'anthropic' });
      expectAdmitted(warned, 'warn');
      expect(warned.body.policyResult).toMatchObject({
        ruleId,
        message: 'Daily budget 80% exhausted',
      });
      // a vendor outside the rule's list is not warned
      expectAdmitted(await submit(key, { amount: 1, vendor: 'google' }), 'pass');
    });
    expectAdmitted(
      await at('2026-05-06T00:00:00Z', () => submit(key, { amount: 1, vendor: 'openai' })),
      'pass',
    );
  });

  it('never warns without a daily budget, and the trace says why', async () => {
    const key = await org();
    expect((await createRuleWarned(key, DAILY_WARNING)).warnings).toEqual([
      expect.objectContaining({ kind: 'org', id: null, period: 'daily' }) as unknown,
    ]);
    const res = await submit(key, { amount: 1_000_000, vendor: 'openai' });
    expectAdmitted(res, 'pass');
    expect((await trace(key, res.body.id)).evaluatedRules[0]?.reason).toBe(
      'No limit for this daily window: the organization has no daily budget',
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('Vendor Allowlisting', () => {
  const BLOCK_OTHERS = {
    name: 'Vendor allowlist',
    priority: 100,
    conditions: {
      vendors: ['google', 'perplexity', 'cohere', 'mistral'],
      amountCents: { min: 1 },
    },
    action: 'block',
    actionConfig: { message: 'Vendor not on approved list. Contact your admin.' },
  };
  const ALLOW_APPROVED = {
    name: 'Allow approved vendors',
    priority: 1,
    conditions: { vendors: ['openai', 'anthropic'] },
    action: 'pass',
  };

  it('blocks Google, Perplexity, Cohere and Mistral, and passes OpenAI and Anthropic by the allow rule', async () => {
    const key = await org();
    await createRule(key, BLOCK_OTHERS);
    const allow = await createRule(key, ALLOW_APPROVED);
    for (const vendor of ['google', 'perplexity', 'cohere', 'mistral']) {
      expectBlocked(
        await submit(key, { amount: 100, vendor }),
        'Vendor not on approved list. Contact your admin.',
      );
    }
    for (const vendor of ['openai', 'anthropic', 'OpenAI']) {
      const res = await submit(key, { amount: 100, vendor });
      expectAdmitted(res, 'pass');
      expect(res.body.policyResult.ruleId).toBe(allow);
    }
  });

  it('lets a $0 call to an unapproved vendor fall to the default action (the block rule needs amount ≥ 1)', async () => {
    const open = await org();
    await createRule(open, BLOCK_OTHERS);
    await createRule(open, ALLOW_APPROVED);
    const zero = await submit(open, { amount: 0, vendor: 'google' });
    expectAdmitted(zero, 'pass');
    expect(zero.body.policyResult.ruleId).toBeNull();

    // In a default-deny organization the same call is refused by the default.
    const strict = await org({ defaultAction: 'block' });
    await createRule(strict, BLOCK_OTHERS);
    await createRule(strict, ALLOW_APPROVED);
    expectBlocked(
      await submit(strict, { amount: 0, vendor: 'google' }),
      'No rules matched; the default action is block',
    );
    expectAdmitted(await submit(strict, { amount: 0, vendor: 'openai' }), 'pass');
  });
});

// ---------------------------------------------------------------------------------------------

describe('Cost Caps', () => {
  const CAP = {
    name: 'Organization monthly cost cap',
    priority: 200,
    conditions: {
      vendors: ['openai', 'anthropic', 'cohere', 'mistral', 'google', 'perplexity'],
      amountCents: { min: 1 },
      timeWindow: 'monthly',
    },
    action: 'block',
    actionConfig: {
      message: 'Monthly AI spend cap reached ($2,000). Resets 1st of next month.',
      thresholdPct: 100,
    },
  };
  // "Tiered: warn at 70% ($1,400) — warn at 90% ($1,800) — block at 100% ($2,000)": the docs give
  // the tiers in prose; these are the cap rule with thresholdPct 70 and 90, ordered so that the
  // higher tier is evaluated first.
  const tier = (pct: number, priority: number) => ({
    ...CAP,
    name: `Organization monthly cost warning at ${pct}%`,
    priority,
    action: 'warn',
    actionConfig: { message: `${pct}% of the monthly AI spend cap used`, thresholdPct: pct },
  });

  it('warns at 70% and 90% of the $2,000 org budget, blocks at 100%, and resets on the 1st', async () => {
    const key = await docsOrg();
    const cap = await createRule(key, CAP);
    await createRule(key, tier(90, 190));
    await createRule(key, tier(70, 180));
    const spend = async (amount: number, vendor = 'openai') => {
      const res = await submit(key, { amount, vendor });
      return { status: res.status, action: res.body.policyResult.action, res };
    };
    await at('2026-05-15T12:00:00Z', async () => {
      expect(await spend(140_000)).toMatchObject({ status: 202, action: 'pass' }); // $1,400: 70% exactly
      expect(await spend(1)).toMatchObject({ status: 202, action: 'warn' });
      expect((await spend(39_999, 'anthropic')).res.body.policyResult.message).toBe(
        '70% of the monthly AI spend cap used',
      ); // $1,800 exactly
      const ninety = await spend(1, 'mistral');
      expect(ninety.res.body.policyResult.message).toBe('90% of the monthly AI spend cap used');
      expect(await spend(19_999, 'google')).toMatchObject({ status: 202, action: 'warn' }); // $2,000
      const blocked = (await spend(1)).res;
      expectBlocked(blocked, 'Monthly AI spend cap reached ($2,000). Resets 1st of next month.');
      expect(blocked.body.details).toEqual({
        limit: 200_000,
        current: 200_001,
        timeWindow: 'monthly',
        resetsAt: '2026-06-01T00:00:00.000Z',
        unit: 'cents',
        ruleId: cap,
      });
    });
    // everything stops until the 1st …
    expectBlocked(
      await at('2026-05-31T23:59:59Z', () => submit(key, { amount: 1, vendor: 'cohere' })),
      'Monthly AI spend cap reached ($2,000). Resets 1st of next month.',
    );
    // … and starts again on it
    expectAdmitted(
      await at('2026-06-01T00:00:00Z', () => submit(key, { amount: 1, vendor: 'openai' })),
      'pass',
    );
  });

  it('never matches without an org monthly budget, and the trace says why', async () => {
    const key = await org();
    await createRule(key, CAP);
    const res = await submit(key, { amount: 10_000_000, vendor: 'openai' });
    expectAdmitted(res, 'pass');
    expect((await trace(key, res.body.id)).evaluatedRules[0]?.reason).toBe(
      'No limit for this monthly window: the organization has no monthly budget',
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('Multi-Policy Cascade', () => {
  const RULES = [
    {
      name: 'Free: no gpt-4',
      priority: 100,
      conditions: { userRoles: ['free'], models: ['gpt-4', 'gpt-4o'] },
      action: 'block',
      actionConfig: { message: 'Upgrade to Pro to use gpt-4' },
    },
    {
      name: 'Free: $5/day',
      priority: 90,
      conditions: { userRoles: ['free'], timeWindow: 'daily', amountCents: { min: 501 } },
      action: 'block',
      actionConfig: { message: 'Daily limit reached. Upgrade for more.' },
    },
    {
      name: 'Trial: 80% warning',
      priority: 80,
      conditions: { userRoles: ['trial'], timeWindow: 'monthly' },
      action: 'warn',
      actionConfig: { message: 'Trial budget 80% used', thresholdPct: 80 },
    },
    {
      name: 'Hard cap: $50 max',
      priority: 10,
      conditions: { amountCents: { min: 5001 } },
      action: 'block',
      actionConfig: { message: 'Exceeds $50 limit' },
    },
    {
      name: 'Default: pass',
      priority: 1,
      conditions: { amountCents: { min: 1 } },
      action: 'pass',
    },
  ];

  async function cascade() {
    const key = await docsOrg();
    // Created lowest priority first: the order of evaluation is the priority, not creation.
    const ids: string[] = [];
    for (const rule of [...RULES].reverse()) ids.unshift(await createRule(key, rule));
    const [freeNoGpt4, freeDaily, trialWarn, hardCap, defaultPass] = ids as [
      string,
      string,
      string,
      string,
      string,
    ];
    return { key, freeNoGpt4, freeDaily, trialWarn, hardCap, defaultPass };
  }

  it('blocks gpt-4 for free users first, ahead of the $50 hard cap', async () => {
    const { key, freeNoGpt4 } = await cascade();
    const res = await submit(key, {
      amount: 6_000,
      vendor: 'openai',
      model: 'gpt-4',
      userRoles: ['free'],
    });
    expectBlocked(res, 'Upgrade to Pro to use gpt-4');
    expect(res.body.policyResult.ruleId).toBe(freeNoGpt4);
    const tr = await trace(key, res.body.id);
    expect(tr.finalAction).toBe('block');
    expect(tr.evaluatedRules.map((r) => [r.ruleName, r.matched])).toEqual([
      ['Free: no gpt-4', true],
      ['Free: $5/day', false],
      ['Trial: 80% warning', false],
      ['Hard cap: $50 max', false],
      ['Default: pass', false],
    ]);
    expect(tr.evaluatedRules.slice(1).map((r) => r.reason)).toEqual(
      Array.from({ length: 4 }, () => 'Not reached: "Free: no gpt-4" decided first'),
    );
  });

  it('reads the role from metadata.userRole as the docs tag it', async () => {
    const { key, freeNoGpt4 } = await cascade();
    const res = await submit(key, {
      amount: 100,
      vendor: 'openai',
      model: 'gpt-4o',
      metadata: { userRole: 'free' },
    });
    expectBlocked(res, 'Upgrade to Pro to use gpt-4');
    expect(res.body.policyResult.ruleId).toBe(freeNoGpt4);
    // a paid user on the same model is not a free user
    const pro = await submit(key, {
      amount: 100,
      vendor: 'openai',
      model: 'gpt-4o',
      metadata: { userRole: 'pro' },
    });
    expectAdmitted(pro, 'pass');
  });

  it('applies the $50 hard cap to paid users and passes everything else by the default rule', async () => {
    const { key, hardCap, defaultPass } = await cascade();
    const big = await submit(key, { amount: 5_001, vendor: 'anthropic', userRoles: ['pro'] });
    expectBlocked(big, 'Exceeds $50 limit');
    expect(big.body.policyResult.ruleId).toBe(hardCap);

    const small = await submit(key, {
      amount: 100,
      vendor: 'anthropic',
      model: 'claude-3-haiku',
      userRoles: ['pro'],
    });
    expectAdmitted(small, 'pass');
    expect(small.body.policyResult.ruleId).toBe(defaultPass);
    expect((await trace(key, small.body.id)).evaluatedRules.map((r) => r.reason)).toEqual([
      'Model claude-3-haiku not in [gpt-4, gpt-4o]',
      'User roles [pro] not in [free]',
      'User roles [pro] not in [trial]',
      'Amount $1.00 below minimum $50.01',
      'Matched: amount $1.00',
    ]);

    // a $0 call matches no rule at all: the organization's default (pass), no rule id
    const zero = await submit(key, { amount: 0, vendor: 'anthropic', userRoles: ['pro'] });
    expectAdmitted(zero, 'pass');
    expect(zero.body.policyResult.ruleId).toBeNull();
  });

  // "Free: $5/day" and "Trial: 80% warning" name no limit: a rule naming userRoles reads its
  // role's budget, per user. The free role has $5 a day; the rule's amount range (min 501) bounds
  // the day's spend of the user, so the day is capped at $5.00.
  it('caps each free user at $5 a day, counting every call of the day', async () => {
    const { key, freeDaily } = await cascade();
    const free = { vendor: 'openai', model: 'gpt-4o-mini', userRoles: ['free'], userId: 'u-free' };
    await at('2026-05-05T09:00:00Z', async () => {
      expectAdmitted(await submit(key, { ...free, amount: 300 }), 'pass');
      const second = await submit(key, { ...free, amount: 300 });
      expectBlocked(second, 'Daily limit reached. Upgrade for more.');
      expect(second.body.policyResult.ruleId).toBe(freeDaily);
      expect(second.body.details).toMatchObject({ limit: 500, current: 600, timeWindow: 'daily' });
      expectAdmitted(await submit(key, { ...free, amount: 200 }), 'pass'); // $5.00 exactly
      expectBlocked(
        await submit(key, { ...free, amount: 1 }),
        'Daily limit reached. Upgrade for more.',
      );
      // another free user has a day of their own
      expectAdmitted(await submit(key, { ...free, userId: 'u-other', amount: 500 }), 'pass');
      // a single call over $5 is over the day's budget on its own
      expectBlocked(
        await submit(key, { ...free, userId: 'u-third', amount: 600 }),
        'Daily limit reached. Upgrade for more.',
      );
    });
    // the next day starts again
    expectAdmitted(
      await at('2026-05-06T00:00:00Z', () => submit(key, { ...free, amount: 300 })),
      'pass',
    );
  });

  it("warns a trial user past 80% of the trial role's monthly budget, and still admits", async () => {
    const { key, trialWarn, defaultPass } = await cascade();
    const trial = { vendor: 'anthropic', userRoles: ['trial'], userId: 'u-trial' };
    await at('2026-05-05T09:00:00Z', async () => {
      const first = await submit(key, { ...trial, amount: 1_600 }); // $16 of $20: 80% exactly
      expectAdmitted(first, 'pass');
      expect(first.body.policyResult.ruleId).toBe(defaultPass);
      const warned = await submit(key, { ...trial, amount: 1 });
      expectAdmitted(warned, 'warn');
      expect(warned.body.policyResult).toMatchObject({
        ruleId: trialWarn,
        message: 'Trial budget 80% used',
      });
    });
  });

  it('creates the cascade as written; without the role budgets its two window rules wait and say for what', async () => {
    const key = await org();
    const warningsOf = async (rule: Record<string, unknown>) =>
      (await createRuleWarned(key, rule)).warnings.map((w) => [w.kind, w.id, w.period]);
    const waitsFor: Record<string, unknown[][]> = {
      'Free: $5/day': [['role', 'free', 'daily']],
      'Trial: 80% warning': [['role', 'trial', 'monthly']],
    };
    for (const rule of RULES) expect(await warningsOf(rule)).toEqual(waitsFor[rule.name] ?? []);
    const free = await submit(key, {
      amount: 600,
      vendor: 'openai',
      model: 'gpt-4o-mini',
      userRoles: ['free'],
      userId: 'u-free',
    });
    expectAdmitted(free, 'pass');
    expect((await trace(key, free.body.id)).evaluatedRules[1]).toMatchObject({
      ruleName: 'Free: $5/day',
      matched: false,
      reason: 'No limit for this daily window: role free has no daily budget',
    });
    // Setting the budget is all it takes: the rule stops waiting.
    await put(key, '/api/budgets/roles/free', { dailyBudgetCents: 500 });
    const rules = await t().call<{ rules: { name: string; warnings: Warning[] }[] }>(
      'GET',
      '/api/policy-rules?waiting=true',
      undefined,
      { key },
    );
    expect(rules.body.rules.map((r) => r.name)).toEqual(['Trial: 80% warning']);
    expectBlocked(
      await submit(key, {
        amount: 1,
        vendor: 'openai',
        model: 'gpt-4o-mini',
        userRoles: ['free'],
        userId: 'u-free',
      }),
      'Daily limit reached. Upgrade for more.',
    );
  });
});
