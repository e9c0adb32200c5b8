import { ruleSchemas } from '@reins/engine';
import { listDocsRulesInput, ruleHitsInput, startBacktestInput } from '../../schemas/rules.js';
import { ruleHits } from '../../services/ruleHits.js';
import { getBacktest, startBacktest } from '../../services/backtests.js';
import {
  createRule,
  deleteRule,
  getRule,
  listRules,
  presentRule,
  presentRules,
  updateRule,
} from '../../services/rules.js';
import { dryRunEvaluate } from '../../services/transactions.js';
import { transactionInput } from '../../schemas/transactions.js';
import { id, type RouteDef } from '../routeTypes.js';
import { Deleted } from '../responses/common.js';
import {
  BacktestBody,
  CreatedPolicyRule,
  OnePolicyRule,
  PolicyRuleList,
  RuleHitsBody,
  TypedRule,
  TypedRuleList,
  UpdatedPolicyRule,
} from '../responses/rules.js';
import { DryRun } from '../responses/transactions.js';

/** Policy rules in both dialects (SPEC §3): `/api/policy-rules` (docs) and `/api/v1/rules` (typed). */
export const rulesRoutes: RouteDef[] = [
  {
    method: 'POST',
    url: '/api/policy-rules/evaluate',
    operationId: 'evaluatePolicy',
    examples: { body: { agentId: 'support-bot-v2', vendor: 'openai', amount: 320 } },
    response: DryRun,
    summary: 'Dry run: the decision a transaction would get now; records nothing',
    tag: 'Policy rules',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    body: transactionInput,
    run: (ctx, i) => dryRunEvaluate(ctx, i.body),
  },
  // Static segments: Fastify matches `/api/policy-rules/backtest` before `/api/policy-rules/:id`,
  // so `backtest` is never read as a rule id.
  {
    method: 'POST',
    url: '/api/policy-rules/backtest',
    operationId: 'startBacktest',
    response: BacktestBody,
    summary:
      'Start a backtest: replay a draft rule set (either dialect) over a past period of recorded transactions',
    tag: 'Policy rules',
    permission: 'policies:write',
    envelope: 'docs',
    status: 202,
    body: startBacktestInput,
    run: async (ctx, i) => ({ backtest: await startBacktest(ctx, i.body) }),
  },
  {
    method: 'GET',
    url: '/api/policy-rules/backtest/:id',
    operationId: 'getBacktest',
    response: BacktestBody,
    summary: 'A backtest: status, progress and, when done, what the draft rules would have done',
    tag: 'Policy rules',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    run: async (ctx, i) => ({ backtest: await getBacktest(ctx, id(i)) }),
  },
  {
    method: 'POST',
    url: '/api/policy-rules',
    operationId: 'createPolicyRule',
    examples: {
      body: {
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
    },
    response: CreatedPolicyRule,
    summary: 'Create a policy rule (docs dialect)',
    tag: 'Policy rules',
    permission: 'policies:write',
    envelope: 'docs',
    status: 201,
    body: ruleSchemas.docs,
    run: async (ctx, i) => {
      const r = await createRule(ctx, 'docs', i.body);
      const rule = await presentRule(ctx, r, 'docs');
      return {
        id: r.id,
        name: r.name,
        priority: r.priority,
        createdAt: r.createdAt,
        rule,
        warnings: rule.warnings,
      };
    },
  },
  {
    method: 'GET',
    url: '/api/policy-rules',
    operationId: 'listPolicyRules',
    response: PolicyRuleList,
    summary:
      'List policy rules (filters enabled, action, vendor, waiting), in evaluation order, with the budgets each waits for',
    tag: 'Policy rules',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    query: listDocsRulesInput,
    run: async (ctx, i) => {
      const rules = await presentRules(ctx, await listRules(ctx, i.query), 'docs');
      return { rules, count: rules.length };
    },
  },
  {
    method: 'GET',
    url: '/api/policy-rules/:id',
    operationId: 'getPolicyRule',
    response: OnePolicyRule,
    summary: 'Get a policy rule (docs dialect)',
    tag: 'Policy rules',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    run: async (ctx, i) => ({ rule: await presentRule(ctx, await getRule(ctx, id(i)), 'docs') }),
  },
  {
    method: 'GET',
    url: '/api/policy-rules/:id/hits',
    operationId: 'getPolicyRuleHits',
    response: RuleHitsBody,
    summary:
      "A rule's hits over time: the transactions it decided per day (the org's time zone), with their amounts",
    tag: 'Policy rules',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    query: ruleHitsInput,
    run: async (ctx, i) => ({ hits: await ruleHits(ctx, id(i), i.query) }),
  },
  {
    method: 'PUT',
    url: '/api/policy-rules/:id',
    operationId: 'updatePolicyRule',
    body: ruleSchemas.docs
      .partial()
      .describe('A JSON merge patch of the rule: only the fields to change'),
    examples: { body: { enabled: false, priority: 10 } },
    response: UpdatedPolicyRule,
    summary: 'Partially update a policy rule (docs dialect)',
    tag: 'Policy rules',
    permission: 'policies:write',
    envelope: 'docs',
    status: 200,
    run: async (ctx, i) => {
      const r = await updateRule(ctx, 'docs', id(i), i.body);
      const rule = await presentRule(ctx, r, 'docs');
      return { id: r.id, updatedAt: r.updatedAt, rule, warnings: rule.warnings };
    },
  },
  {
    method: 'DELETE',
    url: '/api/policy-rules/:id',
    operationId: 'deletePolicyRule',
    response: Deleted,
    summary: 'Delete a policy rule',
    tag: 'Policy rules',
    permission: 'policies:write',
    envelope: 'docs',
    status: 200,
    run: async (ctx, i) => {
      await deleteRule(ctx, id(i));
      return { id: id(i), deleted: true };
    },
  },
  // Rules, typed dialect (seed 003)
  {
    method: 'GET',
    url: '/api/v1/rules',
    operationId: 'listRules',
    response: TypedRuleList,
    summary: 'List rules (typed dialect)',
    tag: 'Rules (typed)',
    permission: 'policies:read',
    envelope: 'plain',
    status: 200,
    run: async (ctx) => ({
      object: 'list',
      data: await presentRules(ctx, await listRules(ctx, {}), 'typed'),
    }),
  },
  {
    method: 'GET',
    url: '/api/v1/rules/:id',
    operationId: 'getRule',
    response: TypedRule,
    summary: 'Get a rule (typed dialect)',
    tag: 'Rules (typed)',
    permission: 'policies:read',
    envelope: 'plain',
    status: 200,
    run: async (ctx, i) => presentRule(ctx, await getRule(ctx, id(i)), 'typed'),
  },
  {
    method: 'POST',
    url: '/api/v1/rules',
    operationId: 'createRule',
    examples: {
      body: {
        name: 'Monthly $500 org budget',
        type: 'budget',
        scope: 'org',
        scope_id: 'org_abc123',
        priority: 1,
        condition: { window: 'monthly', metric: 'cost_usd', threshold: 500 },
        action: 'block',
      },
    },
    response: TypedRule,
    summary: 'Create a rule (typed dialect)',
    tag: 'Rules (typed)',
    permission: 'policies:write',
    envelope: 'plain',
    status: 201,
    body: ruleSchemas.typed,
    run: async (ctx, i) => presentRule(ctx, await createRule(ctx, 'typed', i.body), 'typed'),
  },
  {
    method: 'PUT',
    url: '/api/v1/rules/:id',
    operationId: 'updateRule',
    body: ruleSchemas.typed
      .partial()
      .describe('A JSON merge patch of the rule: only the fields to change'),
    examples: { body: { enabled: false } },
    response: TypedRule,
    summary: 'Partially update a rule (typed dialect)',
    tag: 'Rules (typed)',
    permission: 'policies:write',
    envelope: 'plain',
    status: 200,
    run: async (ctx, i) => presentRule(ctx, await updateRule(ctx, 'typed', id(i), i.body), 'typed'),
  },
  {
    method: 'DELETE',
    url: '/api/v1/rules/:id',
    operationId: 'deleteRule',
    response: null,
    summary: 'Delete a rule (typed dialect): 204',
    tag: 'Rules (typed)',
    permission: 'policies:write',
    envelope: 'plain',
    status: 204,
    run: async (ctx, i) => {
      await deleteRule(ctx, id(i));
      return undefined;
    },
  },
];
