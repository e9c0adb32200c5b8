import { describe, expect, it } from 'vitest';
import { compile } from './compile.js';
import { parseDocsRule } from './dialects.js';
import { evaluate, requiredWindows } from './evaluate.js';
import type { Rule, WindowTotalsMap } from './types.js';

let seq = 0;
function rule(body: Record<string, unknown>, createdAt = '2026-01-01T00:00:00Z'): Rule {
  const r = parseDocsRule(body, { id: `r${++seq}`, createdAt });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

const ctx = { now: '2026-05-05T08:14:22Z' };

describe('evaluate', () => {
  it('blocks one microcent over a $2,000,000 monthly cap, where doubles would round', () => {
    const cap = rule({
      name: 'cap',
      conditions: { timeWindow: 'monthly' },
      action: 'block',
      actionConfig: { limitCents: 200_000_000 },
    });
    const key =
      requiredWindows(compile([cap]), { vendor: 'openai', amountMicros: 0 }, ctx)[0]?.key ?? '';
    const windows: WindowTotalsMap = {
      [key]: { costMicros: 200_000_000 * 1_000_000, tokensIn: 0, tokensOut: 0, requests: 0 },
    };
    expect(
      evaluate(compile([cap]), { vendor: 'openai', amountMicros: 0 }, windows, ctx).action,
    ).toBe('pass');
    const over = evaluate(compile([cap]), { vendor: 'openai', amountMicros: 1 }, windows, ctx);
    expect(over.action).toBe('block');
    expect(over.details).toMatchObject({
      limit: 200_000_000,
      current: 200_000_001,
      timeWindow: 'monthly',
      resetsAt: '2026-06-01T00:00:00.000Z',
    });
  });

  it('finds the rules of one agent among 10,000 without the trace, in order', () => {
    const rules: Rule[] = [];
    for (let i = 0; i < 10_000; i++) {
      rules.push(
        rule({
          name: `a${i}`,
          priority: i % 7,
          conditions: { agentIds: [`agent-${i % 2000}`], amountCents: { min: 100 } },
          action: i % 2 ? 'flag' : 'warn',
        }),
      );
    }
    rules.push(
      rule({
        name: 'glob',
        priority: 3,
        conditions: { agentIds: ['agent-12*'], amountCents: { min: 100 } },
        action: 'block',
      }),
    );
    const policy = compile(rules);
    for (const agent of ['agent-5', 'agent-123', 'agent-1999', 'nobody']) {
      const input = { vendor: 'openai', agentId: agent, amountMicros: 500_000_000 };
      const full = evaluate(policy, input, {}, ctx);
      expect(evaluate(policy, input, {}, { ...ctx, trace: false })).toEqual({ ...full, trace: [] });
    }
    // agent-123 has rules at priorities 4 (i=10123 … ) and the glob at 3: the highest wins.
    const decided = evaluate(
      policy,
      { vendor: 'openai', agentId: 'agent-123', amountMicros: 500_000_000 },
      {},
      ctx,
    );
    expect(decided.ruleName).toMatch(/^a\d+$/);
    expect(decided.trace.filter((t) => t.reached).length).toBeGreaterThan(0);
  });

  it('lists every enabled rule in the trace, and marks the rules after the decision not reached', () => {
    const rules = [
      rule({ name: 'first', priority: 9, conditions: { vendors: ['cohere'] }, action: 'block' }),
      rule({
        name: 'second',
        priority: 5,
        conditions: { amountCents: { min: 1 } },
        action: 'flag',
      }),
      rule({ name: 'off', priority: 4, enabled: false, action: 'block' }),
      rule({ name: 'third', priority: 1, action: 'block' }),
    ];
    const d = evaluate(compile(rules), { vendor: 'openai', amountMicros: 250_000_000 }, {}, ctx);
    expect(d.action).toBe('flag');
    expect(d.trace.map((t) => [t.ruleName, t.reached, t.matched, t.decisive, t.reason])).toEqual([
      ['first', true, false, false, 'Vendor openai not in [cohere]'],
      ['second', true, true, true, 'Matched: amount $2.50'],
      ['third', false, false, false, 'Not reached: "second" decided first'],
    ]);
  });

  it('a shadow rule is reported with what it would have done, and the next rule decides', () => {
    const rules = [
      rule({
        name: 'trial block',
        mode: 'shadow',
        priority: 9,
        conditions: { models: ['gpt-4*'] },
        action: 'block',
      }),
      rule({
        name: 'flag big',
        priority: 1,
        conditions: { amountCents: { min: 100 } },
        action: 'flag',
      }),
    ];
    const d = evaluate(
      compile(rules),
      { vendor: 'openai', model: 'GPT-4o', amountMicros: 200_000_000 },
      {},
      ctx,
    );
    expect(d.action).toBe('flag');
    expect(d.shadow).toEqual([
      {
        ruleId: rules[0]?.id,
        ruleName: 'trial block',
        action: 'block',
        details: expect.objectContaining({ current: 200 }) as unknown,
      },
    ]);
    expect(d.trace[0]?.reason).toBe('Shadow, would block: Matched: model GPT-4o in [gpt-4*]');
  });

  it('names the counters a transaction touches once per (period, per) pair, sorted', () => {
    const rules = [
      rule({
        name: 'org daily',
        conditions: { timeWindow: 'daily' },
        action: 'block',
        actionConfig: { limitCents: 100 },
      }),
      rule({
        name: 'org daily warn',
        conditions: { timeWindow: 'daily', vendors: ['google'] },
        action: 'warn',
        actionConfig: { limitCents: 50 },
      }),
      rule({
        name: 'agent monthly',
        conditions: { agentIds: ['bot'], timeWindow: 'monthly' },
        action: 'block',
      }),
      rule({
        name: 'user hourly',
        conditions: { userRoles: ['free'], timeWindow: 'hourly' },
        action: 'block',
        actionConfig: { maxTransactions: 5 },
      }),
      rule({
        name: 'disabled weekly',
        enabled: false,
        conditions: { timeWindow: 'weekly' },
        action: 'block',
        actionConfig: { limitCents: 1 },
      }),
    ];
    const refs = requiredWindows(
      compile(rules),
      { vendor: 'openai', agentId: 'other', userId: 'u-9', amountMicros: 1 },
      ctx,
    );
    expect(refs.map((r) => r.key)).toEqual([
      'daily|org|2026-05-05T00:00:00.000Z|*',
      'hourly|user|2026-05-05T08:00:00.000Z|u-9',
      'monthly|agent|2026-05-01T00:00:00.000Z|other',
    ]);
  });

  it('default-deny blocks what no rule admits', () => {
    const d = evaluate(
      compile([]),
      { vendor: 'openai', amountMicros: 1 },
      {},
      { ...ctx, defaultAction: 'block' },
    );
    expect(d).toMatchObject({
      action: 'block',
      admitted: false,
      ruleId: null,
      message: 'No rules matched; the default action is block',
    });
  });
});
