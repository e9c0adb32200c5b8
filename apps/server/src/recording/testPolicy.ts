/**
 * Policies for the recording unit tests (plan.test.ts, leases.test.ts): a rule in the docs'
 * dialect and an organization's batch policy around compiled rules, without a database.
 */
import { compile, parseDocsRule, type Rule } from '@reins/engine';
import type { BatchPolicy } from './plan.js';

export const NOW = Date.parse('2026-05-05T10:00:00Z');
/** The org-wide daily window of NOW. */
export const DAY_KEY = 'daily|org|2026-05-05T00:00:00.000Z|*';

export function docsRule(body: Record<string, unknown>, id: string): Rule {
  const r = parseDocsRule(body, { id, createdAt: '2026-05-01T00:00:00Z' });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

export function batchPolicy(rules: Rule[], extra: Partial<BatchPolicy> = {}): BatchPolicy {
  return {
    id: 'org_1',
    timeZone: 'UTC',
    defaultAction: 'pass',
    budgets: {},
    policyVersion: 3,
    version: 3,
    policy: compile(rules),
    agentBudgets: {},
    subjectBudgets: { roles: {}, teams: {}, projects: {} },
    vendors: {},
    overrides: [],
    ...extra,
  };
}
