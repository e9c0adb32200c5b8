/**
 * Fixtures for the recording unit tests (plan.test.ts, leases.test.ts): a rule in the docs'
 * dialect, an organization's batch policy around compiled rules, a transaction request — no
 * database.
 */
import { MICROS_PER_CENT, compile, parseDocsRule, type Rule } from '@reins/engine';
import type { BatchPolicy } from './plan.js';
import type { TxRequest } from './types.js';

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

let seq = 0;

/** A final call of `cents` by agent `bot` to openai gpt-4o at NOW, each with a new id. */
export function txRequest(cents: number, over: Partial<TxRequest> = {}): TxRequest {
  const amountMicros = cents * MICROS_PER_CENT;
  return {
    orgId: 'org_1',
    phase: 'final',
    ttlMs: 600_000,
    priceFromTokens: false,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    idempotency: null,
    input: { vendor: 'openai', model: 'gpt-4o', agentId: 'bot', amountMicros },
    record: {
      id: `txn_${String(++seq)}`,
      vendor: 'openai',
      model: 'gpt-4o',
      agentId: 'bot',
      userId: null,
      userRoles: [],
      teamId: null,
      projectId: null,
      amountMicros,
      amountCents: cents,
      tokensIn: 0,
      tokensOut: 0,
      prompt: null,
      response: null,
      metadata: {},
      occurredAt: new Date(NOW).toISOString(),
      priceSource: 'caller',
      priceVersion: null,
    },
    ...over,
  };
}
