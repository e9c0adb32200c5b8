import { describe, expect, it } from 'vitest';
import { budgetNeeds } from './budgets.js';
import { parseDocsRule, parseTypedRule } from './dialects.js';
import type { Budgets, Rule } from './types.js';

const who = { id: 'r1', createdAt: '2026-05-01T00:00:00Z' };

function docs(body: Record<string, unknown>): Rule {
  const r = parseDocsRule({ name: 'rule', action: 'block', ...body }, who);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

const needs = (rule: Rule, budgets: Budgets = {}) =>
  budgetNeeds(rule, budgets).map((n) => [n.kind, n.id, n.period]);

describe('budgetNeeds', () => {
  it('needs nothing for a rule with its own limit, a request cap, a token metric or no window', () => {
    expect(
      needs(docs({ conditions: { timeWindow: 'daily' }, actionConfig: { limitCents: 1 } })),
    ).toEqual([]);
    expect(
      needs(docs({ conditions: { timeWindow: 'daily' }, actionConfig: { maxTransactions: 5 } })),
    ).toEqual([]);
    expect(needs(docs({ conditions: { amountCents: { min: 501 } } }))).toEqual([]);
    const typed = parseTypedRule(
      {
        name: 'tokens',
        type: 'budget',
        scope: 'org',
        condition: { window: 'daily', metric: 'tokens_total', threshold: 1000 },
        action: 'block',
      },
      who,
    );
    if (!typed.ok) throw new Error('typed rule');
    expect(needs(typed.value)).toEqual([]);
  });

  it("names the organization's budget of the rule's period", () => {
    const rule = docs({ conditions: { timeWindow: 'monthly' } });
    expect(needs(rule)).toEqual([['org', null, 'monthly']]);
    expect(needs(rule, { org: { daily: 100 } })).toEqual([['org', null, 'monthly']]);
    expect(needs(rule, { org: { monthly: 100 } })).toEqual([]);
    expect(budgetNeeds(rule, {})[0]?.message).toBe(
      'Waiting for the organization\'s monthly budget: PUT /api/org {"monthlyBudgetCents": …}',
    );
  });

  it('names each agent the rule names that has no monthly budget; globs need some agent to have one', () => {
    const rule = docs({
      conditions: { agentIds: ['support-bot', 'billing', 'free-*'], timeWindow: 'monthly' },
    });
    expect(needs(rule, { agents: { billing: { monthly: 5 } } })).toEqual([
      ['agent', 'support-bot', 'monthly'],
    ]);
    const globs = docs({ conditions: { agentIds: ['free-*'], timeWindow: 'monthly' } });
    expect(needs(globs)).toEqual([['agent', null, 'monthly']]);
    expect(needs(globs, { agents: { 'free-1': { monthly: 5 } } })).toEqual([]);
    // The registry holds monthly budgets: a daily agent window needs its own limit.
    const daily = docs({ conditions: { agentIds: ['support-bot'], timeWindow: 'daily' } });
    expect(needs(daily, { agents: { 'support-bot': { monthly: 5 } } })).toEqual([
      ['limit', null, 'daily'],
    ]);
  });

  it('names each role without a budget of the period, lower case', () => {
    const rule = docs({ conditions: { userRoles: ['Free', 'trial'], timeWindow: 'daily' } });
    expect(needs(rule, { roles: { free: { daily: 500 } } })).toEqual([['role', 'trial', 'daily']]);
    expect(needs(rule, { roles: { free: { daily: 500 }, trial: { daily: 100 } } })).toEqual([]);
    // A per-user window without roles has no budget to read.
    expect(needs(docs({ conditions: { userIds: ['u1'], timeWindow: 'daily' } }))).toEqual([
      ['limit', null, 'daily'],
    ]);
  });

  it("names a scoped team's or project's budget, or any team's for a rule over all teams", () => {
    const team = docs({ scope: 'team', scopeId: 'search', conditions: { timeWindow: 'weekly' } });
    expect(needs(team)).toEqual([['team', 'search', 'weekly']]);
    expect(needs(team, { teams: { search: { weekly: 1 } } })).toEqual([]);
    const perProject = docs({
      conditions: { timeWindow: 'daily' },
      actionConfig: { per: 'project' },
    });
    expect(needs(perProject)).toEqual([['project', null, 'daily']]);
    expect(needs(perProject, { projects: { p: { daily: 1 } } })).toEqual([]);
    expect(
      needs(docs({ conditions: { timeWindow: 'daily' }, actionConfig: { per: 'vendor' } })),
    ).toEqual([['limit', null, 'daily']]);
  });

  it('names them for a disabled rule too: it waits to be useful once enabled', () => {
    expect(needs(docs({ enabled: false, conditions: { timeWindow: 'daily' } }))).toEqual([
      ['org', null, 'daily'],
    ]);
  });
});
