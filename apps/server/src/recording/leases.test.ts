/**
 * Budget leases in one process, without a database: which counters can be leased and at what
 * caps, when a batch goes under its process's lease or locks, and that the engine, given a
 * lease's estimate, never blocks what fits the lease.
 */
import { describe, expect, it } from 'vitest';
import { MICROS_PER_CENT, type Rule } from '@reins/engine';
import { asEvaluated, grantSize, zeroTotals, type CounterRow } from '@reins/ledger';
import { evaluationContext } from './evaluation.js';
import { DAY_KEY, NOW, batchPolicy, docsRule, txRequest } from './testPolicy.js';
import { LeaseBook, counterCaps, type Granted, type LeasePlan } from './leases.js';
import { batchNeeds, planBatch, type BatchPolicy } from './plan.js';
import type { TxRequest } from './types.js';

const DAY = { period: 'daily' } as const;

let ruleSeq = 0;
const rule = (body: Record<string, unknown>): Rule => docsRule(body, `rule_${String(++ruleSeq)}`);

const policy = batchPolicy;

const cap = (cents: number, config: Record<string, unknown> = {}, action = 'block') =>
  rule({
    name: 'Daily cap',
    conditions: { timeWindow: 'daily' },
    action,
    actionConfig: { limitCents: cents, per: 'org', ...config },
  });

const tx = txRequest;

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

/** `book.plan` for a batch that must not wait. */
function planned(book: LeaseBook, org: BatchPolicy, reqs: TxRequest[], nowMs: number): LeasePlan {
  const p = book.plan('org_1', org, reqs, batchNeeds(org, ctxOf(org), reqs), nowMs);
  if ('wait' in p) throw new Error('the batch waits');
  return p;
}

/** A book holding a lease of `grantCents` on the daily counter, granted at `baseCents`. */
function bookWithLease(org: BatchPolicy, grantCents: number, baseCents: number) {
  const book = new LeaseBook(settings);
  const first = [tx(1)];
  const p = planned(book, org, first, NOW);
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

  it('locks without a lease, then decides under the lease while the batch fits it', async () => {
    const book = bookWithLease(org, 100, 500);
    const a = [tx(30), tx(30)];
    const pa = planned(book, org, a, NOW);
    expect(pa.locked.size).toBe(0);
    expect(pa.leased.get(DAY_KEY)).toEqual({
      id: 'lease_a',
      estimate: { ...zeroTotals(), costMicros: 500 * MICROS_PER_CENT, requests: 1 },
    });
    // 60 of 100 used by the batch in flight: the next sees them, and 50 more do not fit.
    const b = [tx(20)];
    const pb = planned(book, org, b, NOW);
    expect(pb.leased.get(DAY_KEY)?.estimate.costMicros).toBe(560 * MICROS_PER_CENT);
    const c = [tx(50)];
    const pc = planned(book, org, c, NOW);
    expect(pc.leased.size).toBe(0);
    expect(pc.locked.has(DAY_KEY)).toBe(true);
    // While that batch renews, the next waits for it: it plans again once it is done.
    const d = [tx(1)];
    const pd = book.plan('org_1', org, d, batchNeeds(org, ctxOf(org), d), NOW);
    expect('wait' in pd).toBe(true);
    let waited = false;
    if ('wait' in pd) {
      void pd.wait.then(() => {
        waited = true;
      });
    }
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
    await Promise.resolve();
    expect(waited).toBe(true);
    // Then batches go under the new lease.
    const pe = planned(book, org, d, NOW);
    expect(pe.leased.get(DAY_KEY)).toEqual({
      id: 'lease_b',
      estimate: { ...zeroTotals(), costMicros: 700 * MICROS_PER_CENT },
    });
  });

  it('locks once the lease is near its end, and under another policy or budgets', () => {
    const book = bookWithLease(org, 100, 500);
    const a = [tx(1)];
    const late = NOW + settings.ttlMs - settings.ttlMs / 3;
    expect(planned(book, org, a, late).locked.size).toBe(1);
    const book2 = bookWithLease(org, 100, 500);
    const changed = policy([cap(2_000)], { version: 4, policyVersion: 4 });
    const p = planned(book2, changed, a, NOW);
    expect(p.locked.size).toBe(1);
  });

  it('forgets the lease when a batch under it fails', () => {
    const book = bookWithLease(org, 100, 500);
    const a = [tx(1)];
    const pa = planned(book, org, a, NOW);
    expect(pa.leased.size).toBe(1);
    book.finish('org_1', pa, null, NOW);
    expect(planned(book, org, a, NOW).locked.size).toBe(1);
  });

  it('after a renewal that granted nothing, locks as without leases for a third of a TTL', () => {
    const book = new LeaseBook(settings);
    const a = [tx(1)];
    const p = planned(book, org, a, NOW);
    expect(p.locked.size).toBe(1);
    book.finish('org_1', p, [], NOW);
    const q = planned(book, org, a, NOW + 1_000);
    expect(q.leased.size + q.locked.size).toBe(0);
    expect([...q.plain.keys()]).toEqual([DAY_KEY]);
    expect(planned(book, org, a, NOW + settings.ttlMs / 3).locked.size).toBe(1);
  });

  it('leases nothing when off, or on a per-agent counter', () => {
    const off = new LeaseBook({ ...settings, enabled: false });
    const a = [tx(1)];
    const p = planned(off, org, a, NOW);
    expect(p.leased.size + p.locked.size + p.plain.size).toBe(0);
    const agentOnly = policy([cap(2_000, { per: 'agent' })]);
    const on = new LeaseBook(settings);
    const q = planned(on, agentOnly, a, NOW);
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
