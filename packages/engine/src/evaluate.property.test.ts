import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from './compile.js';
import { parseDocsRule } from './dialects.js';
import { evaluate, requiredWindows } from './evaluate.js';
import type { Rule, TransactionInput, WindowTotalsMap } from './types.js';

const VENDORS = ['openai', 'anthropic', 'google', 'cohere', 'mistral', 'perplexity'] as const;
const PERIODS = ['hourly', 'daily', 'weekly', 'monthly'] as const;

const conditions = fc.record(
  {
    vendors: fc.subarray([...VENDORS], { minLength: 1 }),
    models: fc.subarray(['gpt-4', 'gpt-4o*', 'claude-*', 'gemini-2.5-pro']),
    agentIds: fc.subarray(['support-bot', 'free-tier-*', 'default']),
    userRoles: fc.subarray(['free', 'trial', 'pro']),
    amountCents: fc.record({ min: fc.integer({ min: 0, max: 1000 }) }, { requiredKeys: [] }),
    timeWindow: fc.constantFrom(...PERIODS),
  },
  { requiredKeys: [] },
);

const ruleBody = fc.record({
  name: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim().length > 0),
  priority: fc.integer({ min: 0, max: 5 }),
  mode: fc.constantFrom('enforce', 'enforce', 'shadow'),
  conditions,
  action: fc.constantFrom('pass', 'warn', 'flag', 'block', 'log', 'notify'),
  limitCents: fc.integer({ min: 1, max: 100_000 }),
  maxTransactions: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
  thresholdPct: fc.integer({ min: 1, max: 150 }),
});

type Body = typeof ruleBody extends fc.Arbitrary<infer T> ? T : never;

function toRule(b: Body, i: number, limitScale = 1): Rule {
  const { limitCents, maxTransactions, thresholdPct, ...rest } = b;
  const windowed = b.conditions.timeWindow !== undefined;
  const parsed = parseDocsRule(
    {
      ...rest,
      actionConfig: windowed
        ? {
            limitCents: limitCents * limitScale,
            thresholdPct,
            ...(maxTransactions ? { maxTransactions: maxTransactions * limitScale } : {}),
          }
        : {},
    },
    // Several rules share a createdAt so that the id breaks ties.
    { id: `r${String(i).padStart(3, '0')}`, createdAt: `2026-01-0${(i % 3) + 1}T00:00:00Z` },
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

const input = fc.record({
  vendor: fc.constantFrom(...VENDORS),
  model: fc.constantFrom('gpt-4', 'gpt-4o-mini', 'claude-sonnet-4-5', 'gemini-2.5-pro', undefined),
  agentId: fc.constantFrom('support-bot', 'free-tier-7', undefined),
  userId: fc.constantFrom('u-1', 'u-2', undefined),
  userRoles: fc.subarray(['free', 'trial', 'pro']),
  amountMicros: fc.integer({ min: 0, max: 2_000_000_000 }),
  tokensIn: fc.integer({ min: 0, max: 10_000 }),
  tokensOut: fc.integer({ min: 0, max: 10_000 }),
}) as fc.Arbitrary<TransactionInput>;

const now = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2028, 11, 31) });
const timeZone = fc.constantFrom('UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata');
const spend = fc.integer({ min: 0, max: 200_000_000_000 });

/** Totals for every counter the transaction touches. */
function totalsFor(
  rules: Rule[],
  tx: TransactionInput,
  ctx: { now: number; timeZone: string },
  cost: number,
): WindowTotalsMap {
  const out: Record<
    string,
    { costMicros: number; tokensIn: number; tokensOut: number; requests: number }
  > = {};
  for (const ref of requiredWindows(compile(rules), tx, ctx)) {
    out[ref.key] = {
      costMicros: cost,
      tokensIn: cost % 100_000,
      tokensOut: cost % 7_000,
      requests: cost % 60,
    };
  }
  return out;
}

describe('evaluate: properties', () => {
  it('the same input gives byte-identical JSON output', () => {
    fc.assert(
      fc.property(
        fc.array(ruleBody, { maxLength: 12 }),
        input,
        now,
        timeZone,
        spend,
        (bodies, tx, t, tz, cost) => {
          const rules = bodies.map((b, i) => toRule(b, i));
          const ctx = { now: t, timeZone: tz };
          const windows = totalsFor(rules, tx, ctx, cost);
          const a = JSON.stringify(evaluate(compile(rules), tx, windows, ctx));
          const b = JSON.stringify(
            evaluate(
              compile(structuredClone(rules)),
              structuredClone(tx),
              structuredClone(windows),
              { ...ctx },
            ),
          );
          expect(a).toBe(b);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('shuffling the rule list does not change the decision', () => {
    fc.assert(
      fc.property(
        fc.array(ruleBody, { maxLength: 12 }).chain((bodies) =>
          fc.tuple(
            fc.constant(bodies),
            fc.shuffledSubarray(
              bodies.map((_, i) => i),
              { minLength: bodies.length, maxLength: bodies.length },
            ),
          ),
        ),
        input,
        now,
        spend,
        ([bodies, order], tx, t, cost) => {
          const rules = bodies.map((b, i) => toRule(b, i));
          const shuffled = order.map((i) => rules[i] as Rule);
          const ctx = { now: t, timeZone: 'UTC' };
          const windows = totalsFor(rules, tx, ctx, cost);
          expect(evaluate(compile(shuffled), tx, windows, ctx)).toEqual(
            evaluate(compile(rules), tx, windows, ctx),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  // With window rules of other actions a higher limit can hand the decision to a later rule, so
  // the property is stated for limits that block: raising them never blocks what passed.
  it('raising the limits of window blocks never turns an admitted transaction into a block', () => {
    const blockOnly = ruleBody.map((b) =>
      b.conditions.timeWindow ? { ...b, action: 'block' as const } : b,
    );
    fc.assert(
      fc.property(
        fc.array(blockOnly, { maxLength: 12 }),
        input,
        now,
        spend,
        fc.integer({ min: 2, max: 1000 }),
        (bodies, tx, t, cost, scale) => {
          const ctx = { now: t, timeZone: 'UTC' };
          const low = bodies.map((b, i) => toRule(b, i));
          const high = bodies.map((b, i) => toRule(b, i, scale));
          const windows = totalsFor(low, tx, ctx, cost);
          if (evaluate(compile(low), tx, windows, ctx).admitted) {
            expect(evaluate(compile(high), tx, windows, ctx).admitted).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the indexed path without a trace decides exactly like the full walk', () => {
    fc.assert(
      fc.property(
        fc.array(ruleBody, { maxLength: 20 }),
        input,
        now,
        spend,
        (bodies, tx, t, cost) => {
          const rules = bodies.map((b, i) => toRule(b, i));
          const ctx = { now: t, timeZone: 'UTC' };
          const windows = totalsFor(rules, tx, ctx, cost);
          const policy = compile(rules);
          const full = evaluate(policy, tx, windows, ctx);
          const fast = evaluate(policy, tx, windows, { ...ctx, trace: false });
          expect(fast).toEqual({ ...full, trace: [] });
        },
      ),
      { numRuns: 500 },
    );
  });
});
