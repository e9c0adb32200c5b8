import { describe, expect, it } from 'vitest';
import { GROUPS, PERIODS, parseRuleOfEitherDialect, windowKey, type Rule } from '@reins/engine';
import {
  COUNTS_ALWAYS,
  COUNTS_IF_ADMITTED,
  COUNTS_NEVER,
  Replay,
  draftRuleId,
  type BacktestSettings,
  type ReplayChunk,
} from './backtestReplay.js';

const UTC: BacktestSettings = { timeZone: 'UTC', defaultAction: 'pass', budgets: {} };
const CENT = 1_000_000;

function drafts(bodies: unknown[]): Rule[] {
  return bodies.map((b, i) => {
    const r = parseRuleOfEitherDialect(b, {
      id: draftRuleId(i),
      createdAt: new Date(Date.UTC(2026, 0, 1) + i).toISOString(),
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.value;
  });
}

interface Row {
  at: string;
  id: string;
  cents: number;
  vendor?: string;
  model?: string;
  agent?: string;
  user?: string;
  action?: string;
  admitted?: boolean;
  counts?: number;
}

function chunk(rows: Row[]): ReplayChunk {
  return {
    at: rows.map((r) => Date.parse(r.at)),
    id: rows.map((r) => r.id),
    vendor: rows.map((r) => r.vendor ?? 'openai'),
    model: rows.map((r) => r.model ?? 'gpt-4o-mini'),
    agent: rows.map((r) => r.agent ?? 'bot'),
    user: rows.map((r) => r.user ?? null),
    team: rows.map(() => null),
    project: rows.map(() => null),
    amount: rows.map((r) => r.cents * CENT),
    tin: rows.map(() => 10),
    tout: rows.map(() => 5),
    action: rows.map((r) => r.action ?? 'pass'),
    admitted: rows.map((r) => r.admitted ?? true),
    counts: rows.map((r) => r.counts ?? COUNTS_IF_ADMITTED),
  };
}

const dailyCap = (limitCents: number, action = 'block') => ({
  name: `Daily cap ${String(limitCents)}`,
  conditions: { timeWindow: 'daily' },
  action,
  actionConfig: { limitCents, per: 'org' },
});

const period = (from: string, to: string) => [Date.parse(from), Date.parse(to)] as const;

describe('Replay', () => {
  it('fills a window that began before the period from the earlier transactions, unreported', () => {
    const [start, end] = period('2026-03-10T12:00:00Z', '2026-03-11T00:00:00Z');
    const r = new Replay(drafts([dailyCap(1000)]), UTC, start, end);
    expect(new Date(r.replayFrom).toISOString()).toBe('2026-03-10T00:00:00.000Z');
    r.feed(
      chunk([
        { at: '2026-03-10T09:00:00Z', id: 't0', cents: 800 },
        { at: '2026-03-10T13:00:00Z', id: 't1', cents: 300 },
        { at: '2026-03-10T14:00:00Z', id: 't2', cents: 200 },
      ]),
    );
    const out = r.result();
    expect(out.warmupTransactions).toBe(1);
    expect(out.transactions).toBe(2);
    expect(out.spendCents).toBe(500);
    // $8 before the period + $3 crosses $10: blocked. The blocked $3 does not count, so $8 + $2
    // is at the limit, not over it: admitted.
    expect(out.rules[0]).toMatchObject({ transactions: 1, spendCents: 300, examples: ['t1'] });
    expect(out.wouldHave).toEqual({
      block: { transactions: 1, spendCents: 300 },
      pass: { transactions: 1, spendCents: 200 },
    });
    expect(out.actually).toEqual({ pass: { transactions: 2, spendCents: 500 } });
    expect(out.difference.newlyBlocked).toEqual({
      transactions: 1,
      spendCents: 300,
      examples: ['t1'],
    });
    expect(out.difference.preventedSpendCents).toBe(300);
    expect(out.difference.newlyAdmitted.transactions).toBe(0);
  });

  it('counts a blocked transaction toward no later total', () => {
    const [start, end] = period('2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z');
    const r = new Replay(drafts([dailyCap(500)]), UTC, start, end);
    r.feed(
      chunk([
        { at: '2026-03-10T01:00:00Z', id: 'a', cents: 400 },
        { at: '2026-03-10T02:00:00Z', id: 'b', cents: 400 }, // 800 > 500: blocked
        { at: '2026-03-10T03:00:00Z', id: 'c', cents: 100 }, // 500: admitted (b did not count)
        { at: '2026-03-10T04:00:00Z', id: 'd', cents: 1 }, // 501: blocked
      ]),
    );
    const out = r.result();
    expect(out.rules[0]).toMatchObject({ transactions: 2, spendCents: 401, examples: ['b', 'd'] });
    expect(out.difference.preventedSpendCents).toBe(401);
  });

  it('starts every window afresh when it resets', () => {
    const [start, end] = period('2026-03-10T00:00:00Z', '2026-03-12T00:00:00Z');
    const r = new Replay(drafts([dailyCap(500)]), UTC, start, end);
    r.feed(chunk([{ at: '2026-03-10T23:00:00Z', id: 'a', cents: 500 }]));
    r.feed(chunk([{ at: '2026-03-11T00:00:00Z', id: 'b', cents: 500 }]));
    expect(r.result().rules[0]?.transactions).toBe(0);
  });

  it('reports what was blocked then and would pass now, per rule and in the difference', () => {
    const [start, end] = period('2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z');
    const rules = drafts([
      {
        type: 'model_filter',
        name: 'No GPT-4',
        scope: 'org',
        condition: { model: { in: ['gpt-4*'] } },
        action: 'block',
      },
      {
        name: 'Warn on big calls',
        conditions: { amountCents: { min: 1000 } },
        action: 'warn',
      },
    ]);
    const r = new Replay(rules, UTC, start, end);
    r.feed(
      chunk([
        { at: '2026-03-10T01:00:00Z', id: 'a', cents: 50, model: 'gpt-4o' },
        {
          at: '2026-03-10T02:00:00Z',
          id: 'b',
          cents: 70,
          model: 'claude',
          admitted: false,
          action: 'block',
        },
        { at: '2026-03-10T03:00:00Z', id: 'c', cents: 2000, model: 'claude' },
        {
          at: '2026-03-10T04:00:00Z',
          id: 'd',
          cents: 10,
          model: 'gpt-4',
          admitted: false,
          action: 'block',
        },
      ]),
    );
    const out = r.result();
    expect(out.rules.map((x) => [x.name, x.action, x.transactions, x.spendCents])).toEqual([
      ['No GPT-4', 'block', 2, 60],
      ['Warn on big calls', 'warn', 1, 2000],
    ]);
    expect(out.difference.newlyBlocked).toMatchObject({ transactions: 1, spendCents: 50 });
    expect(out.difference.newlyAdmitted).toMatchObject({
      transactions: 1,
      spendCents: 70,
      examples: ['b'],
    });
    // c: recorded pass, would warn.
    expect(out.difference.actionChanged).toMatchObject({ transactions: 1, examples: ['c'] });
  });

  it('counts observed calls whatever the decision, and voided ones never', () => {
    const [start, end] = period('2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z');
    const r = new Replay(drafts([dailyCap(500)]), UTC, start, end);
    r.feed(
      chunk([
        { at: '2026-03-10T01:00:00Z', id: 'v', cents: 450, counts: COUNTS_NEVER },
        { at: '2026-03-10T02:00:00Z', id: 'a', cents: 450 },
        { at: '2026-03-10T03:00:00Z', id: 'o', cents: 100, counts: COUNTS_ALWAYS }, // 550: block
        { at: '2026-03-10T04:00:00Z', id: 'x', cents: 1 }, // 551 counted (observed): block
      ]),
    );
    expect(r.result().rules[0]?.examples).toEqual(['o', 'x']);
  });

  it('counts shadow rules that matched, without letting them decide', () => {
    const [start, end] = period('2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z');
    const r = new Replay(
      drafts([{ ...dailyCap(100), mode: 'shadow', name: 'Trial cap' }]),
      UTC,
      start,
      end,
    );
    r.feed(
      chunk([
        { at: '2026-03-10T01:00:00Z', id: 'a', cents: 80 },
        { at: '2026-03-10T02:00:00Z', id: 'b', cents: 80 },
        { at: '2026-03-10T03:00:00Z', id: 'c', cents: 80 },
      ]),
    );
    const out = r.result();
    // Shadow decides nothing: b counted, so c is over too.
    expect(out.rules[0]).toMatchObject({ mode: 'shadow', transactions: 2, examples: ['b', 'c'] });
    expect(out.wouldHave).toEqual({ pass: { transactions: 3, spendCents: 240 } });
  });

  it('keeps windows per agent apart and stops at the end of the period', () => {
    const [start, end] = period('2026-03-10T00:00:00Z', '2026-03-10T12:00:00Z');
    const perAgent = {
      name: 'Bots: $1 an hour each',
      conditions: { agentIds: ['bot-*'], timeWindow: 'hourly' },
      action: 'flag',
      actionConfig: { limitCents: 100 },
    };
    const r = new Replay(drafts([perAgent]), UTC, start, end);
    r.feed(
      chunk([
        { at: '2026-03-10T01:00:00Z', id: 'a1', cents: 60, agent: 'bot-a' },
        { at: '2026-03-10T01:10:00Z', id: 'b1', cents: 60, agent: 'bot-b' },
        { at: '2026-03-10T01:20:00Z', id: 'a2', cents: 60, agent: 'bot-a' },
        { at: '2026-03-10T01:30:00Z', id: 'h1', cents: 900, agent: 'human' },
        { at: '2026-03-10T12:00:00Z', id: 'late', cents: 900, agent: 'bot-a' },
      ]),
    );
    const out = r.result();
    expect(out.transactions).toBe(4);
    expect(out.rules[0]).toMatchObject({ transactions: 1, spendCents: 60, examples: ['a2'] });
  });

  it('fills windows from their start in the organization’s time zone', () => {
    // 09:00 in New York on 2026-03-10 (EDT, UTC−4): the day began at 04:00 UTC, the ISO week on
    // Monday 2026-03-09 at 04:00 UTC.
    const [start, end] = period('2026-03-10T13:00:00Z', '2026-03-11T04:00:00Z');
    const ny: BacktestSettings = { ...UTC, timeZone: 'America/New_York' };
    const daily = new Replay(drafts([dailyCap(500)]), ny, start, end);
    expect(new Date(daily.replayFrom).toISOString()).toBe('2026-03-10T04:00:00.000Z');
    const weekly = new Replay(
      drafts([{ ...dailyCap(500), conditions: { timeWindow: 'weekly' } }, dailyCap(500)]),
      ny,
      start,
      end,
    );
    expect(new Date(weekly.replayFrom).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    daily.feed(
      chunk([
        { at: '2026-03-10T03:59:00Z', id: 'yesterday', cents: 400 }, // the day before: another window
        { at: '2026-03-10T04:30:00Z', id: 'morning', cents: 400 },
        { at: '2026-03-10T14:00:00Z', id: 'noon', cents: 200 },
      ]),
    );
    expect(daily.result().rules[0]?.examples).toEqual(['noon']);
  });

  it('reads nothing before the period when no rule has a window', () => {
    const [start, end] = period('2026-03-10T13:00:00Z', '2026-03-11T00:00:00Z');
    const r = new Replay(
      drafts([{ name: 'No GPT-4', conditions: { models: ['gpt-4'] }, action: 'block' }]),
      UTC,
      start,
      end,
    );
    expect(r.replayFrom).toBe(start);
  });

  it('builds window keys as the engine does: a prefix per window, then the group', () => {
    // The replay keeps `windowKey(period, per, start, '')` per window and appends the group.
    for (const period of PERIODS) {
      for (const per of GROUPS) {
        const start = '2026-03-10T00:00:00.000Z';
        expect(windowKey(period, per, start, '') + 'agent-7').toBe(
          windowKey(period, per, start, 'agent-7'),
        );
      }
    }
  });

  it('refuses rows out of order', () => {
    const [start, end] = period('2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z');
    const r = new Replay(drafts([dailyCap(500)]), UTC, start, end);
    const rows = chunk([
      { at: '2026-03-10T02:00:00Z', id: 'a', cents: 1 },
      { at: '2026-03-10T01:00:00Z', id: 'b', cents: 1 },
    ]);
    expect(() => {
      r.feed(rows);
    }).toThrow(/out of order/);
  });
});
