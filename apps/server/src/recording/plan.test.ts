/**
 * The batch planner without a database: the totals a batch locked and the answers stored under
 * its keys in, decisions and rows out.
 */
import { describe, expect, it } from 'vitest';
import { MICROS_PER_CENT } from '@reins/engine';
import {
  asEvaluated,
  requestHash,
  type CounterRow,
  type RecordedAnswer,
  type StoredAnswer,
} from '@reins/ledger';
import { evaluationContext } from './evaluation.js';
import { DAY_KEY, NOW, batchPolicy, docsRule, txRequest } from './testPolicy.js';
import { batchNeeds, planBatch, type BatchPolicy, type BatchState } from './plan.js';
import type { TxOutcome, TxRequest, TxResult } from './types.js';

const rule = docsRule;

const policy = batchPolicy;

const dailyCap = (cents: number, action = 'block') =>
  rule(
    {
      name: 'Daily cap',
      conditions: { timeWindow: 'daily' },
      action,
      actionConfig: { limitCents: cents, per: 'org', message: 'Daily cap reached' },
    },
    'rule_cap',
  );

const tx = txRequest;

const row = (key: string, cents: number, requests: number): CounterRow => ({
  key,
  cost_micros: String(cents * MICROS_PER_CENT),
  tokens_in: '0',
  tokens_out: '0',
  requests: String(requests),
});

function plan(
  org: BatchPolicy,
  reqs: TxRequest[],
  read: { counters?: CounterRow[]; holds?: CounterRow[]; answers?: Map<string, StoredAnswer> } = {},
) {
  const ctx = evaluationContext(org, NOW, false);
  const needs = batchNeeds(org, ctx, reqs);
  const state: BatchState = {
    orgId: 'org_1',
    org,
    ctx,
    reqs,
    needs,
    evaluated: asEvaluated(read.counters ?? [], read.holds ?? []),
    answers: read.answers ?? new Map(),
  };
  return { needs, plan: planBatch(state) };
}

const admitted = (r: TxResult) => (r.kind === 'recorded' ? r.outcome.decision.admitted : r.kind);

describe('planBatch', () => {
  it('opens the review of a flag decision, in its row; a pass or a block has none', () => {
    const flagBig = rule(
      { name: 'Flag big', conditions: { amountCents: { min: 50 } }, action: 'flag' },
      'rule_flag',
    );
    const { plan: p } = plan(policy([dailyCap(100), flagBig]), [tx(10), tx(60), tx(60)]);
    expect(p.transactions.map((t) => [t.action, t.review_state])).toEqual([
      ['pass', null],
      ['flag', 'open'],
      ['block', null],
    ]);
  });

  it('decides in arrival order: the transaction that crosses the cap and every later one are blocked', () => {
    const { needs, plan: p } = plan(policy([dailyCap(100)]), [tx(40), tx(40), tx(40), tx(5)], {
      counters: [row(DAY_KEY, 15, 1)],
    });
    expect(needs.counters.map((c) => c.key)).toEqual([DAY_KEY]);
    expect(p.outcomes.map(admitted)).toEqual([true, true, false, true]);
    expect(p.transactions.map((t) => t.status)).toEqual([
      'recorded',
      'recorded',
      'blocked',
      'recorded',
    ]);
    // 15¢ before, then 40 + 40 + 5 admitted (exactly $1 is not over it); the blocked one counts
    // nowhere.
    expect(p.counters).toEqual([
      {
        key: DAY_KEY,
        totals: { costMicros: 100 * MICROS_PER_CENT, tokensIn: 0, tokensOut: 0, requests: 4 },
      },
    ]);
    expect(p.transactions.map((t) => t.counted_windows)).toEqual([
      [DAY_KEY],
      [DAY_KEY],
      [],
      [DAY_KEY],
    ]);
    expect(p.audit.map((a) => [a.event_type, a.entity_id, a.org_id])).toEqual(
      p.transactions.map((t) => [
        t.status === 'blocked' ? 'transaction.blocked' : 'transaction.recorded',
        t.id,
        'org_1',
      ]),
    );
    // What each one saw is stored for its trace: the totals before it.
    expect(
      p.transactions.map(
        (t) => (t.evaluation as { windows: Record<string, number[]> }).windows[DAY_KEY]?.[0],
      ),
    ).toEqual([15, 55, 95, 95].map((c) => c * MICROS_PER_CENT));
  });

  it('evaluates without expired holds but writes them back into the counter', () => {
    // 90¢ in the counter, 60¢ of it an expired hold: the evaluation sees 30¢.
    const { plan: p } = plan(policy([dailyCap(100)]), [tx(50)], {
      counters: [row(DAY_KEY, 90, 3)],
      holds: [row(DAY_KEY, 60, 1)],
    });
    expect(p.outcomes.map(admitted)).toEqual([true]);
    expect(p.counters[0]?.totals).toEqual({
      costMicros: 140 * MICROS_PER_CENT,
      tokensIn: 0,
      tokensOut: 0,
      requests: 4,
    });
  });

  it('writes nothing to counters for a batch whose transactions count nowhere', () => {
    const { plan: p } = plan(policy([dailyCap(10)]), [tx(50)]);
    expect(p.outcomes.map(admitted)).toEqual([false]);
    expect(p.counters).toEqual([]);
    expect(p.transactions).toHaveLength(1);
  });

  it('counts an observed call the policy would block, and records what the policy decided', () => {
    const { plan: p } = plan(policy([dailyCap(10)]), [tx(50, { phase: 'observed' })]);
    expect(p.transactions[0]).toMatchObject({
      status: 'recorded',
      action: 'block',
      admitted: false,
      phase: 'observed',
    });
    expect(p.audit[0]?.event_type).toBe('transaction.observed');
    expect(p.counters[0]?.totals.costMicros).toBe(50 * MICROS_PER_CENT);
  });

  it('holds a reservation until it expires', () => {
    const { plan: p } = plan(policy([dailyCap(100)]), [tx(30, { phase: 'reserve' })]);
    expect(p.transactions[0]).toMatchObject({
      status: 'reserved',
      hold: { amountMicros: 30 * MICROS_PER_CENT, tokensIn: 0, tokensOut: 0 },
      expires_at: new Date(NOW + 600_000).toISOString(),
    });
    expect(p.audit[0]?.event_type).toBe('transaction.reserved');
  });

  it("refuses calls past the vendor's per-minute limit without recording them", () => {
    const org = policy([], { vendors: { openai: { enabled: true, rateLimitRpm: 2 } } });
    const { needs, plan: p } = plan(org, [tx(1), tx(1), tx(1), tx(1, { phase: 'observed' })]);
    const minute = needs.counters[0]?.key;
    expect(minute).toBe('ratelimit|minute|2026-05-05T10:00:00.000Z|openai');
    expect(p.outcomes.map((o) => (o.kind === 'refused' ? o.error.code : o.kind))).toEqual([
      'recorded',
      'recorded',
      'RATE_LIMITED',
      // an observed call already happened: counted, never refused
      'recorded',
    ]);
    expect(p.transactions).toHaveLength(3);
    expect(p.counters).toEqual([
      { key: minute, totals: { costMicros: 0, tokensIn: 0, tokensOut: 0, requests: 3 } },
    ]);
  });

  it('replays a key answered earlier in the batch, stored before or recorded before, and refuses a reused or unanswered key', () => {
    const route = 'POST /api/v1/transactions';
    const keyed = (key: string, body: unknown) =>
      tx(10, {
        idempotency: {
          key,
          route,
          hash: requestHash(route, body),
          respond: (o) => ({
            status: 202,
            body: JSON.stringify({ id: o.id, action: o.decision.action, amount: o.amountMicros }),
          }),
        },
      });
    const recorded: RecordedAnswer = {
      id: 'txn_recorded',
      policyResult: {
        action: 'warn',
        ruleId: 'rule_1',
        ruleName: 'Cap',
        message: 'near',
        details: {
          ruleId: 'rule_1',
          limit: 10,
          current: 9,
          unit: 'cents',
          timeWindow: 'daily',
          resetsAt: null,
        },
        shadow: [],
      },
      admitted: true,
      createdAt: '2026-05-05T08:00:00.000Z',
      countedWindows: [],
      expiresAt: null,
      amountMicros: 7_000_000,
    };
    const answers = new Map<string, StoredAnswer>([
      ['recorded', { hash: requestHash(route, { a: 1 }), response: null, recorded }],
      [
        'stored',
        { hash: requestHash(route, { a: 1 }), response: { status: 202, body: '{"id":"x"}' } },
      ],
      ['claimed', { hash: requestHash(route, { a: 1 }), response: null }],
    ]);
    const first = keyed('new', { a: 1 });
    const { plan: p } = plan(
      policy([]),
      [
        first,
        keyed('new', { a: 1 }),
        keyed('new', { a: 2 }),
        keyed('stored', { a: 1 }),
        keyed('stored', { a: 9 }),
        keyed('claimed', { a: 1 }),
        keyed('recorded', { a: 1 }),
        keyed('recorded', { a: 3 }),
      ],
      { answers },
    );
    expect(
      p.outcomes.map((o) =>
        o.kind === 'refused' ? o.error.code : o.kind === 'replay' ? o.response.body : o.kind,
      ),
    ).toEqual([
      'recorded',
      JSON.stringify({ id: first.record.id, action: 'pass', amount: 10 * MICROS_PER_CENT }),
      'IDEMPOTENCY_CONFLICT',
      '{"id":"x"}',
      'IDEMPOTENCY_CONFLICT',
      'IDEMPOTENCY_IN_PROGRESS',
      JSON.stringify({ id: 'txn_recorded', action: 'warn', amount: 7_000_000 }),
      'IDEMPOTENCY_CONFLICT',
    ]);
    // One row, which keeps its request's hash: its replays are answered from it.
    expect(p.transactions.map((t) => [t.id, t.idempotency_key, t.request_hash])).toEqual([
      [first.record.id, 'new', requestHash(route, { a: 1 })],
    ]);
  });

  it('answers a replay from the row exactly as the first request was answered', () => {
    const route = 'POST /api/v1/transactions';
    const respond = (o: TxOutcome) => ({ status: 202, body: JSON.stringify(o) });
    const req = tx(20, { idempotency: { key: 'k', route, hash: 'h', respond }, phase: 'reserve' });
    const { plan: p } = plan(policy([dailyCap(10, 'warn')]), [req, { ...req }]);
    const first = p.outcomes[0];
    if (first?.kind !== 'recorded') throw new Error('not recorded');
    const again = p.outcomes[1];
    if (again?.kind !== 'replay') throw new Error('not replayed');
    // Everything an answer reads, from the row; the trace (which no answer shows) is not kept.
    expect(JSON.parse(again.response.body)).toEqual({
      ...first.outcome,
      decision: { ...first.outcome.decision, trace: [] },
    });
    expect(first.outcome.expiresAt).not.toBeNull();
  });

  it('costs a transaction from its tokens, and refuses one whose model has no price', () => {
    const priced = tx(0, { priceFromTokens: true });
    priced.input.tokensIn = 1_000_000;
    const unknown = tx(0, { priceFromTokens: true });
    unknown.input.model = 'no-such-model';
    const { plan: p } = plan(policy([]), [priced, unknown]);
    expect(p.outcomes[0]?.kind).toBe('recorded');
    expect(p.transactions[0]?.amount_micros).toBeGreaterThan(0);
    expect(p.transactions[0]?.price_source).not.toBe('caller');
    expect(p.outcomes[1]).toMatchObject({ kind: 'refused', error: { code: 'VALIDATION_ERROR' } });
  });

  it('raises one alert per rule, window and group for warnings, deduplicated within the batch by its key', () => {
    const { plan: p } = plan(policy([dailyCap(10, 'warn')]), [tx(20), tx(20)]);
    expect(p.outcomes.map(admitted)).toEqual([true, true]);
    expect(p.alerts.map((a) => a.dedup_key)).toEqual([
      'rule_cap|daily|2026-05-05T00:00:00.000Z|org:*|100',
      'rule_cap|daily|2026-05-05T00:00:00.000Z|org:*|100',
    ]);
    expect(p.alerts[0]).toMatchObject({ limit_value: 10, current_value: 20, unit: 'cents' });
  });
});
