import { describe, expect, it } from 'vitest';
import {
  dialectOf,
  parseDocsRule,
  parseRuleOfEitherDialect,
  parseTypedRule,
  patchDocsRule,
  patchTypedRule,
  toDocsRule,
  toTypedRule,
  type ParseResult,
} from './dialects.js';
import type { Rule } from './types.js';

const who = { id: 'rule_1', createdAt: '2026-05-05T08:30:00Z' };

function ok(r: ParseResult<Rule>): Rule {
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

/** Every rule body that appears in the public docs (seeds/000), as written there. */
export const DOCS_SEED_RULES: unknown[] = [
  {
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
    actionConfig: { message: 'Upgrade to Pro to use advanced models', redirectUrl: '/upgrade' },
  },
  {
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
    actionConfig: { message: 'Daily spend limit reached. Upgrade to Pro.', thresholdPct: 100 },
  },
  {
    name: 'Block transactions over $5',
    priority: 1,
    enabled: true,
    conditions: {
      amountCents: { min: 501 },
      vendors: ['openai', 'anthropic', 'cohere', 'mistral', 'google', 'perplexity'],
    },
    action: 'block',
    actionConfig: { message: 'Individual transactions over $5 are not permitted.' },
  },
  {
    name: 'Support bot monthly cap',
    priority: 20,
    conditions: {
      agentIds: ['support-bot'],
      vendors: ['openai', 'anthropic'],
      timeWindow: 'monthly',
    },
    action: 'block',
    actionConfig: { message: 'Support bot monthly budget exhausted ($500/mo)' },
  },
  {
    name: 'Data enrichment 80% warning',
    priority: 20,
    conditions: { agentIds: ['data-enrichment'], timeWindow: 'monthly' },
    action: 'warn',
    actionConfig: { message: '80% of monthly budget used', thresholdPct: 80 },
  },
  {
    name: 'Hourly burst protection',
    priority: 30,
    conditions: {
      vendors: ['openai', 'anthropic', 'cohere', 'mistral', 'google', 'perplexity'],
      timeWindow: 'hourly',
    },
    action: 'block',
    actionConfig: { message: 'Hourly request limit (50/hour) exceeded', maxTransactions: 50 },
  },
  {
    name: 'Daily budget warning at 80%',
    priority: 10,
    conditions: { vendors: ['openai', 'anthropic'], timeWindow: 'daily' },
    action: 'warn',
    actionConfig: { message: 'Daily budget 80% exhausted', thresholdPct: 80 },
  },
  {
    name: 'Vendor allowlist',
    priority: 100,
    conditions: { vendors: ['google', 'perplexity', 'cohere', 'mistral'], amountCents: { min: 1 } },
    action: 'block',
    actionConfig: { message: 'Vendor not on approved list. Contact your admin.' },
  },
  {
    name: 'Allow approved vendors',
    priority: 1,
    conditions: { vendors: ['openai', 'anthropic'] },
    action: 'pass',
  },
  {
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
  },
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
  { name: 'Default: pass', priority: 1, conditions: { amountCents: { min: 1 } }, action: 'pass' },
];

/** The typed seed (seeds/003): the rule object and the create example. */
export const TYPED_SEED_RULES: unknown[] = [
  {
    id: 'rule_7b3c1d9e',
    name: 'Block GPT-4o for compliance',
    type: 'model_filter',
    enabled: true,
    scope: 'org',
    scope_id: 'org_abc123',
    priority: 10,
    condition: { model: { in: ['gpt-4o', 'gpt-4-turbo'] } },
    action: 'block',
    action_config: { message: 'GPT-4o is not approved for use in this organization.' },
    created_at: '2025-04-01T00:00:00Z',
    updated_at: '2025-05-01T12:00:00Z',
  },
  {
    name: 'Monthly $500 org budget',
    type: 'budget',
    scope: 'org',
    scope_id: 'org_abc123',
    priority: 1,
    condition: { window: 'monthly', metric: 'cost_usd', threshold: 500 },
    action: 'block',
  },
  {
    name: 'Allowlist',
    type: 'model_filter',
    condition: { model: { not_in: ['model-a', 'model-b'] } },
    action: 'block',
  },
  {
    name: 'Per-user daily',
    type: 'user_limit',
    condition: { window: 'daily', metric: 'tokens_total', per_user: 100000 },
    action: 'warn',
  },
  {
    name: 'Org hygiene',
    type: 'org_policy',
    condition: { require_project_id: true, block_unknown_models: true },
    action: 'notify',
  },
];

describe('docs dialect', () => {
  it('accepts every rule of the public docs as written', () => {
    for (const body of DOCS_SEED_RULES)
      expect(parseDocsRule(body, who).ok, JSON.stringify(body)).toBe(true);
  });

  it('keeps the docs example as a canonical rule with cents, inclusive ranges and defaults', () => {
    const r = ok(parseDocsRule(DOCS_SEED_RULES[1], who));
    expect(r.match.agentIds).toEqual(['free-tier-*']);
    expect(r.match.amountCents).toEqual({ min: 1, max: undefined });
    expect(r.window).toEqual({
      period: 'daily',
      metric: 'cost_cents',
      limit: null,
      maxTransactions: null,
      thresholdPct: 100,
      per: null,
      forecastPct: null,
    });
    expect(r.type).toBe('budget');
    expect(r.mode).toBe('enforce');
  });

  it('takes budgetCents as an alias of limitCents', () => {
    const r = ok(
      parseDocsRule(
        {
          name: 'x',
          action: 'block',
          conditions: { timeWindow: 'daily' },
          actionConfig: { budgetCents: 2000 },
        },
        who,
      ),
    );
    expect(r.window?.limit).toBe(2000);
  });

  it('normalizes vendor case', () => {
    const r = ok(
      parseDocsRule({ name: 'x', action: 'block', conditions: { vendors: ['OpenAI'] } }, who),
    );
    expect(r.match.vendors).toEqual(['openai']);
  });

  it('infers the typed type of a docs rule', () => {
    const types = DOCS_SEED_RULES.map((b) => ok(parseDocsRule(b, who)).type);
    expect(types).toEqual([
      'custom',
      'budget',
      'custom',
      'budget',
      'budget',
      'budget',
      'budget',
      'custom',
      'custom',
      'budget',
      'custom',
      'budget',
      'budget',
      'custom',
      'custom',
    ]);
    expect(
      ok(parseDocsRule({ name: 'x', action: 'block', conditions: { models: ['gpt-4*'] } }, who))
        .type,
    ).toBe('model_filter');
    expect(
      ok(parseDocsRule({ name: 'x', action: 'block', conditions: { unknownModel: true } }, who))
        .type,
    ).toBe('org_policy');
  });
});

describe('typed dialect', () => {
  it('accepts the typed seed examples', () => {
    for (const body of TYPED_SEED_RULES)
      expect(parseTypedRule(body, who).ok, JSON.stringify(body)).toBe(true);
  });

  it('reads cost_usd thresholds as dollars', () => {
    const r = ok(parseTypedRule(TYPED_SEED_RULES[1], who));
    expect(r.window).toMatchObject({ period: 'monthly', metric: 'cost_cents', limit: 50000 });
    expect(r.scopeId).toBe('org_abc123');
  });

  it('maps model_filter in to a blocklist and not_in to an allowlist', () => {
    expect(ok(parseTypedRule(TYPED_SEED_RULES[0], who)).match.models).toEqual([
      'gpt-4o',
      'gpt-4-turbo',
    ]);
    expect(ok(parseTypedRule(TYPED_SEED_RULES[2], who)).match.excludeModels).toEqual([
      'model-a',
      'model-b',
    ]);
  });

  it('keeps user limits per user and org policies as checks', () => {
    const u = ok(parseTypedRule(TYPED_SEED_RULES[3], who));
    expect(u.window).toMatchObject({ metric: 'tokens_total', limit: 100000, per: null });
    const o = ok(parseTypedRule(TYPED_SEED_RULES[4], who));
    expect(o.match).toMatchObject({ requireProjectId: true, unknownModel: true });
  });

  it('rejects a threshold with fractions of a cent', () => {
    const r = parseTypedRule(
      {
        name: 'x',
        type: 'budget',
        condition: { window: 'daily', threshold: 1.005 },
        action: 'block',
      },
      who,
    );
    expect(r).toEqual({
      ok: false,
      issues: [
        {
          path: 'condition.threshold',
          message: 'must have at most two decimals (dollars and cents)',
        },
      ],
    });
  });
});

describe('round trips', () => {
  const all = [
    ...DOCS_SEED_RULES.map((b) => ok(parseDocsRule(b, who))),
    ...TYPED_SEED_RULES.map((b) => ok(parseTypedRule(b, who))),
    ok(
      parseDocsRule(
        {
          name: 'everything',
          description: 'all the fields',
          mode: 'shadow',
          scope: 'team',
          scopeId: 't-1',
          conditions: {
            vendors: ['openai'],
            models: ['gpt-4*'],
            agentIds: ['a-*'],
            userIds: ['u'],
            userRoles: ['pro'],
            teamIds: ['t-1'],
            projectIds: ['p'],
            amountCents: { min: 1, max: 10 },
            timeWindow: 'weekly',
            schedule: { daysOfWeek: ['mon', 5], hours: ['22:00-06:00'] },
            forecastPct: 90,
            unknownModel: true,
            requireProjectId: true,
          },
          action: 'notify',
          actionConfig: {
            message: 'm',
            redirectUrl: '/r',
            channels: ['ch_1'],
            thresholdPct: 75,
            limitTokens: 5000,
            metric: 'tokens_out',
            per: 'project',
            maxTransactions: 9,
          },
        },
        who,
      ),
    ),
    ok(
      parseDocsRule(
        {
          name: 'requests',
          action: 'block',
          conditions: { timeWindow: 'hourly' },
          actionConfig: { metric: 'requests', maxTransactions: 5 },
        },
        who,
      ),
    ),
  ];

  it('docs → canonical → docs → canonical is the identity', () => {
    for (const rule of all) {
      const { id, createdAt, updatedAt, ...body } = toDocsRule(rule);
      expect(ok(parseDocsRule(body, { id, createdAt, updatedAt }))).toEqual(rule);
    }
  });

  it('typed → canonical → typed → canonical is the identity', () => {
    for (const rule of all) {
      const { id, created_at, updated_at, ...body } = toTypedRule(rule);
      expect(
        ok(parseTypedRule(body, { id, createdAt: created_at, updatedAt: updated_at })),
      ).toEqual(rule);
    }
  });

  it('a rule written in the typed dialect reads the same in the docs dialect', () => {
    const typed = ok(parseTypedRule(TYPED_SEED_RULES[1], who));
    expect(toDocsRule(typed)).toMatchObject({
      type: 'budget',
      scopeId: 'org_abc123',
      conditions: { timeWindow: 'monthly' },
      actionConfig: { limitCents: 50000, metric: 'cost_cents', thresholdPct: 100 },
    });
  });
});

describe('validation', () => {
  const issues = (r: ParseResult<Rule>) => (r.ok ? [] : r.issues.map((i) => i.path));

  it('names an unknown condition field, so a typo cannot match everything', () => {
    expect(
      issues(
        parseDocsRule({ name: 'x', action: 'block', conditions: { timewindow: 'daily' } }, who),
      ),
    ).toEqual(['conditions.timewindow']);
  });

  it('names the field of a bad value', () => {
    expect(issues(parseDocsRule({ name: 'x', action: 'deny' }, who))).toEqual(['action']);
    expect(
      issues(
        parseDocsRule(
          { name: 'x', action: 'block', conditions: { vendors: ['openai', 'acme'] } },
          who,
        ),
      ),
    ).toEqual(['conditions.vendors.1']);
    expect(
      issues(
        parseDocsRule(
          { name: 'x', action: 'block', conditions: { amountCents: { min: -1 } } },
          who,
        ),
      ),
    ).toEqual(['conditions.amountCents.min']);
    expect(
      issues(
        parseDocsRule(
          { name: 'x', action: 'block', conditions: { amountCents: { min: 9, max: 1 } } },
          who,
        ),
      ),
    ).toEqual(['conditions.amountCents.max']);
    expect(issues(parseDocsRule({ name: ' ', action: 'block' }, who))).toEqual(['name']);
    expect(
      issues(
        parseDocsRule(
          { name: 'x', action: 'block', conditions: { schedule: { hours: ['9-5'] } } },
          who,
        ),
      ),
    ).toEqual(['conditions.schedule.hours.0']);
  });

  it('refuses window settings without a window', () => {
    expect(
      issues(parseDocsRule({ name: 'x', action: 'block', actionConfig: { limitCents: 100 } }, who)),
    ).toEqual(['actionConfig.limitCents']);
  });

  it('requires the limit a metric is counted in', () => {
    expect(
      issues(
        parseDocsRule(
          {
            name: 'x',
            action: 'block',
            conditions: { timeWindow: 'daily' },
            actionConfig: { metric: 'tokens_in' },
          },
          who,
        ),
      ),
    ).toEqual(['actionConfig.limitTokens']);
  });

  it('requires a scope id for a user, team or project scope', () => {
    expect(
      issues(
        parseTypedRule(
          {
            name: 'x',
            type: 'org_policy',
            scope: 'team',
            condition: { require_project_id: true },
            action: 'log',
          },
          who,
        ),
      ),
    ).toEqual(['scope_id']);
  });

  it('checks typed conditions against their type', () => {
    expect(
      issues(
        parseTypedRule(
          { name: 'x', type: 'budget', condition: { window: 'daily' }, action: 'block' },
          who,
        ),
      ),
    ).toEqual(['condition.threshold']);
    expect(
      issues(
        parseTypedRule(
          {
            name: 'x',
            type: 'model_filter',
            condition: { model: { in: ['a'], not_in: ['b'] } },
            action: 'block',
          },
          who,
        ),
      ),
    ).toEqual(['condition.model']);
    expect(
      issues(
        parseTypedRule(
          {
            name: 'x',
            type: 'budget',
            condition: { window: 'yearly', threshold: 1 },
            action: 'block',
          },
          who,
        ),
      ),
    ).toEqual(['condition.window']);
    expect(issues(parseTypedRule({ name: 'x', type: 'rocket', action: 'block' }, who))).toEqual([
      'type',
    ]);
  });
});

describe('partial updates', () => {
  it('changes only the fields sent (the docs PUT example)', () => {
    const rule = ok(parseDocsRule(DOCS_SEED_RULES[1], who));
    const updated = ok(
      patchDocsRule(rule, { enabled: false, priority: 10 }, '2026-05-05T09:00:00Z'),
    );
    expect(updated).toEqual({
      ...rule,
      enabled: false,
      priority: 10,
      updatedAt: '2026-05-05T09:00:00Z',
    });
  });

  it('merges nested objects one level deep, and null removes a field', () => {
    const rule = ok(parseDocsRule(DOCS_SEED_RULES[1], who));
    const updated = ok(
      patchDocsRule(
        rule,
        { conditions: { amountCents: null }, actionConfig: { limitCents: 2000 } },
        '2026-05-05T09:00:00Z',
      ),
    );
    expect(updated.match.amountCents).toBeNull();
    expect(updated.match.agentIds).toEqual(['free-tier-*']);
    expect(updated.window?.limit).toBe(2000);
  });

  it('a typed PUT with {enabled: false} disables the rule and nothing else', () => {
    const rule = ok(parseTypedRule(TYPED_SEED_RULES[1], who));
    expect(ok(patchTypedRule(rule, { enabled: false }, '2026-06-01T00:00:00Z'))).toEqual({
      ...rule,
      enabled: false,
      updatedAt: '2026-06-01T00:00:00Z',
    });
  });

  it('a patch that breaks the rule is refused with the field named', () => {
    const rule = ok(parseTypedRule(TYPED_SEED_RULES[1], who));
    const r = patchTypedRule(rule, { condition: { threshold: -5 } }, '2026-06-01T00:00:00Z');
    expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual(['condition.threshold']);
  });
});

describe('partial updates and types', () => {
  it('a docs rule whose type was inferred gets a new one when its conditions change', () => {
    const rule = ok(
      parseDocsRule({ name: 'x', conditions: { models: ['gpt-4'] }, action: 'block' }, who),
    );
    expect(rule.type).toBe('model_filter');
    const updated = ok(
      patchDocsRule(
        rule,
        { conditions: { timeWindow: 'daily' }, actionConfig: { limitCents: 100 } },
        '2026-06-01T00:00:00Z',
      ),
    );
    expect(updated.type).toBe('budget');
  });

  it('a type chosen in the typed dialect stays through a docs-dialect update', () => {
    const rule = ok(parseTypedRule(TYPED_SEED_RULES[3], who));
    const updated = ok(patchDocsRule(rule, { priority: 7 }, '2026-06-01T00:00:00Z'));
    expect(updated.type).toBe('user_limit');
  });
});

describe('a rule of either dialect (backtest drafts)', () => {
  it('tells the dialects apart and parses each as its own endpoint does', () => {
    for (const body of DOCS_SEED_RULES) {
      expect(dialectOf(body)).toBe('docs');
      expect(ok(parseRuleOfEitherDialect(body, who))).toEqual(ok(parseDocsRule(body, who)));
    }
    for (const body of TYPED_SEED_RULES) {
      expect(dialectOf(body)).toBe('typed');
      expect(ok(parseRuleOfEitherDialect(body, who))).toEqual(ok(parseTypedRule(body, who)));
    }
  });

  it('takes an explicit dialect and names the fields of the dialect it chose', () => {
    const typed = parseRuleOfEitherDialect(
      { dialect: 'typed', type: 'budget', name: 'x', scope: 'org', action: 'block' },
      who,
    );
    expect(typed.dialect).toBe('typed');
    expect(typed.ok ? [] : typed.issues.map((i) => i.path)).toEqual(['condition.window']);
    const docs = parseRuleOfEitherDialect({ name: 'x', action: 'stop' }, who);
    expect(docs.dialect).toBe('docs');
    expect(docs.ok ? [] : docs.issues.map((i) => i.path)).toEqual(['action']);
  });
});
