/**
 * Budget leases in one process, without a database: which counters can be leased and at what
 * caps, when a batch goes under its process's lease or locks, and that the engine, given a
 * lease's estimate, never blocks what fits the lease.
 */
import { describe, expect, it } from 'vitest';
import { MICROS_PER_CENT, compile, parseDocsRule, type Rule } from '@reins/engine';
import { asEvaluated, grantSize, zeroTotals, type CounterRow } from '@reins/ledger';
import { evaluationContext } from './evaluation.js';
import { LeaseBook, counterCaps, type Granted } from './leases.js';
import { batchNeeds, planBatch, type BatchPolicy } from './plan.js';
import type { TxRequest } from './types.js';

const NOW = Date.parse('2026-05-05T10:00:00Z');
const DAY_KEY = 'daily|org|2026-05-05T00:00:00.000Z|*';
const DAY = { period: 'daily' } as const;

let ruleSeq = 0;
function rule(body: Record<string, unknown>): Rule {
  const r = parseDocsRule(body, {
    id: `rule_${String(++ruleSeq)}`,
    createdAt: '2026-05-01T00:00:00Z',
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

function policy(rules: Rule[], extra: Partial<BatchPolicy> = {}): BatchPolicy {
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

const cap = (cents: number, config: Record<string, unknown> = {}, action = 'block') =>
  rule({
    name: 'Daily cap',
    conditions: { timeWindow: 'daily' },
    action,
    actionConfig: { limitCents: cents, per: 'org', ...config },
  });

let seq = 0;
function tx(cents: number): TxRequest {
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
  };
}

const ctxOf = (org: BatchPolicy) => evaluationContext(org, NOW, false);

describe('counterCaps', () => {
  it('takes the tightest enforced block rule on the org-wide window, its threshold applied', () => {
    const org = policy([
      cap(2_000),
      cap(1_500, { thresholdPct: 80 }),
      cap(100, {}, 'warn'),
      { ...cap(50), mode: 'shadow' },
      cap(10, { per: 'agent' }),
      rule({
        name: 'Monthly',
        conditions: { timeWindow: 'monthly' },
        action: 'block',
        actionConfig: { limitCents: 5, per: 'org' },
      }),
    ]);
    expect(counterCaps(org, DAY)).toEqual({
      costMicros: 1_200 * MICROS_PER_CENT,
      tokensIn: null,
      tokensOut: null,
      requests: null,
    });
  });

  it('reads the org budget of a rule without a limit, and request caps', () => {
    const org = policy(
      [
        rule({
          name: 'Budget',
          conditions: { timeWindow: 'daily' },
          action: 'block',
          actionConfig: { per: 'org' },
        }),
        rule({
          name: 'Requests',
          conditions: { timeWindow: 'daily' },
          action: 'block',
          actionConfig: { maxTransactions: 7, per: 'org', thresholdPct: 80 },
        }),
      ],
      { budgets: { daily: 300 } },
    );
    expect(counterCaps(org, DAY)).toEqual({
      costMicros: 300 * MICROS_PER_CENT,
      tokensIn: null,
      tokensOut: null,
      requests: 5,
    });
  });

  it('refuses a counter a tokens_total block rule reads', () => {
    const org = policy([
      rule({
        name: 'Tokens',
        conditions: { timeWindow: 'daily' },
        action: 'block',
        actionConfig: { limitTokens: 1000, metric: 'tokens_total', per: 'org' },
      }),
    ]);
    expect(counterCaps(org, DAY)).toBeNull();
  });
});

const settings = { enabled: true, percent: 10, ttlMs: 30_000 };

/** A book holding a lease of `grantCents` on the daily counter, granted at `baseCents`. */
function bookWithLease(org: BatchPolicy, grantCents: number, baseCents: number) {
  const book = new LeaseBook(settings);
  const first = [tx(1)];
  const p = book.plan('org_1', org, first, batchNeeds(org, ctxOf(org), first), NOW);
  expect([...p.locked.keys()]).toEqual([DAY_KEY]);
  const granted: Granted = {
    key: DAY_KEY,
    id: 'lease_a',
    granted: { ...zeroTotals(), costMicros: grantCents * MICROS_PER_CENT },
    base: { ...zeroTotals(), costMicros: baseCents * MICROS_PER_CENT, requests: 1 },
    expiresAt: NOW + settings.ttlMs,
  };
  book.finish('org_1', p, [granted], NOW);
  return book;
}

describe('LeaseBook', () => {
  const org = policy([cap(2_000)]);

  it('locks without a lease, then decides under the lease while the batch fits it', () => {
    const book = bookWithLease(org, 100, 500);
    const a = [tx(30), tx(30)];
    const pa = book.plan('org_1', org, a, batchNeeds(org, ctxOf(org), a), NOW);
    expect(pa.locked.size).toBe(0);
    expect(pa.leased.get(DAY_KEY)).toEqual({
      id: 'lease_a',
      estimate: { ...zeroTotals(), costMicros: 500 * MICROS_PER_CENT, requests: 1 },
    });
    // 60 of 100 used by the batch in flight: the next sees them, and 50 more do not fit.
    const b = [tx(20)];
    const pb = book.plan('org_1', org, b, batchNeeds(org, ctxOf(org), b), NOW);
    expect(pb.leased.get(DAY_KEY)?.estimate.costMicros).toBe(560 * MICROS_PER_CENT);
    const c = [tx(50)];
    const pc = book.plan('org_1', org, c, batchNeeds(org, ctxOf(org), c), NOW);
    expect(pc.leased.size).toBe(0);
    expect(pc.locked.has(DAY_KEY)).toBe(true);
    // While that batch renews, nothing goes under the old lease, nor renews it again: the next
    // batch locks the counter as without leases.
    const d = [tx(1)];
    const pd = book.plan('org_1', org, d, batchNeeds(org, ctxOf(org), d), NOW);
    expect(pd.leased.size + pd.locked.size).toBe(0);
    // Once the renewal is done, batches go under the new lease again.
    book.finish('org_1', pd, [], NOW);
    book.finish(
      'org_1',
      pc,
      [
        {
          key: DAY_KEY,
          id: 'lease_b',
          granted: { ...zeroTotals(), costMicros: 150 * MICROS_PER_CENT },
          base: { ...zeroTotals(), costMicros: 700 * MICROS_PER_CENT },
          expiresAt: NOW + settings.ttlMs,
        },
      ],
      NOW,
    );
    const pe = book.plan('org_1', org, d, batchNeeds(org, ctxOf(org), d), NOW);
    expect(pe.leased.get(DAY_KEY)).toEqual({
      id: 'lease_b',
      estimate: { ...zeroTotals(), costMicros: 700 * MICROS_PER_CENT },
    });
  });

  it('locks once the lease is near its end, and under another policy or budgets', () => {
    const book = bookWithLease(org, 100, 500);
    const a = [tx(1)];
    const late = NOW + settings.ttlMs - settings.ttlMs / 3;
    expect(book.plan('org_1', org, a, batchNeeds(org, ctxOf(org), a), late).locked.size).toBe(1);
    const book2 = bookWithLease(org, 100, 500);
    const changed = policy([cap(2_000)], { version: 4, policyVersion: 4 });
    const p = book2.plan('org_1', changed, a, batchNeeds(changed, ctxOf(changed), a), NOW);
    expect(p.locked.size).toBe(1);
  });

  it('forgets the lease when a batch under it fails', () => {
    const book = bookWithLease(org, 100, 500);
    const a = [tx(1)];
    const pa = book.plan('org_1', org, a, batchNeeds(org, ctxOf(org), a), NOW);
    expect(pa.leased.size).toBe(1);
    book.finish('org_1', pa, null, NOW);
    expect(book.plan('org_1', org, a, batchNeeds(org, ctxOf(org), a), NOW).locked.size).toBe(1);
  });

  it('leases nothing when off, or on a per-agent counter', () => {
    const off = new LeaseBook({ ...settings, enabled: false });
    const a = [tx(1)];
    const p = off.plan('org_1', org, a, batchNeeds(org, ctxOf(org), a), NOW);
    expect(p.leased.size + p.locked.size).toBe(0);
    const agentOnly = policy([cap(2_000, { per: 'agent' })]);
    const on = new LeaseBook(settings);
    const q = on.plan('org_1', agentOnly, a, batchNeeds(agentOnly, ctxOf(agentOnly), a), NOW);
    expect(q.leased.size + q.locked.size).toBe(0);
  });
});

describe('deciding under a lease', () => {
  it('never blocks on the capped counter what fits the lease, the counter standing at the cap', () => {
    // $20 cap; other processes' leases and spend put the counter at the cap.
    const org = policy([cap(2_000)]);
    const caps = counterCaps(org, DAY);
    if (!caps) throw new Error('no caps');
    for (const spentCents of [0, 700, 1_899, 1_999]) {
      const total = { ...zeroTotals(), costMicros: spentCents * MICROS_PER_CENT };
      const g = grantSize(caps, total, 100);
      if (!g) continue;
      // This process's grant is the whole headroom; the engine is given base + used = total.
      const reqs: TxRequest[] = [];
      let left = g.costMicros;
      for (const c of [1, 3, 50, 200, 7]) {
        if (c * MICROS_PER_CENT <= left) {
          reqs.push(tx(c));
          left -= c * MICROS_PER_CENT;
        }
      }
      const row: CounterRow = { key: DAY_KEY, ...toRow(total) };
      const plan = planBatch({
        orgId: 'org_1',
        org,
        ctx: ctxOf(org),
        reqs,
        needs: batchNeeds(org, ctxOf(org), reqs),
        evaluated: asEvaluated([row], []),
        answers: new Map(),
      });
      for (const o of plan.outcomes) {
        expect(o.kind === 'recorded' && o.outcome.decision.admitted, String(spentCents)).toBe(true);
      }
    }
  });
});

function toRow(t: ReturnType<typeof zeroTotals>) {
  return {
    cost_micros: t.costMicros,
    tokens_in: t.tokensIn,
    tokens_out: t.tokensOut,
    requests: t.requests,
  };
}
