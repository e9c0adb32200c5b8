import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_BACKTEST_DAYS as SERVER_MAX_BACKTEST_DAYS } from '../../../server/src/schemas/rules.js';
import { BACKTEST_PERIODS, MAX_BACKTEST_DAYS } from '../components/BacktestPanel.js';
import { ADMIN_SESSION, renderWith } from '../test/render.js';
import { Refusal, serveTrpc } from '../test/trpc.js';
import { RulesPage } from './Rules.js';

const RULE = {
  id: 'rule_1',
  name: 'Daily cap',
  description: null,
  type: 'spend_limit',
  scope: 'org',
  scopeId: 'org_1',
  action: 'block',
  enabled: false,
  priority: 100,
  mode: 'enforce',
  conditions: { vendors: ['openai'], timeWindow: 'daily' },
  actionConfig: { limitCents: 5000 },
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
  warnings: [],
};

// happy-dom has no canvas: the plot is faked, and what it was asked to draw is kept.
const plotted = vi.hoisted(() => ({ data: [] as unknown[] }));
vi.mock('uplot', () => {
  class FakePlot {
    static tzDate = (d: Date) => d;
    static paths = { bars: () => null };
    constructor(_opts: unknown, data: unknown) {
      plotted.data.push(data);
    }
    setSize() {}
    destroy() {}
  }
  return { default: FakePlot };
});

const day = (i: number) => `2026-11-${String(i).padStart(2, '0')}`;
const HITS = {
  ruleId: 'rule_1',
  timeZone: 'Europe/Paris',
  startDate: '2026-10-31T23:00:00.000Z',
  endDate: '2026-11-30T23:00:00.000Z',
  days: Array.from({ length: 30 }, (_, i) => {
    const date = day(i + 1);
    if (date === '2026-11-03') {
      return { date, hits: 9, blocked: 8, flagged: 1, warned: 0, amountCents: 25000 };
    }
    if (date === '2026-11-20') {
      return { date, hits: 3, blocked: 2, flagged: 1, warned: 0, amountCents: 6250 };
    }
    return { date, hits: 0, blocked: 0, flagged: 0, warned: 0, amountCents: 0 };
  }),
  totals: { hits: 12, blocked: 10, flagged: 2, warned: 0, amountCents: 31250 },
};
const NO_HITS = {
  ...HITS,
  days: HITS.days.map((d) => ({ ...d, hits: 0, blocked: 0, flagged: 0, amountCents: 0 })),
  totals: { hits: 0, blocked: 0, flagged: 0, warned: 0, amountCents: 0 },
};

const RESULT = {
  periodStart: '2026-11-03T17:00:00.000Z',
  periodEnd: '2026-12-03T17:00:00.000Z',
  replayedFrom: '2026-11-03T00:00:00.000Z',
  transactions: 300,
  spendCents: 250000,
  warmupTransactions: 4,
  rules: [
    {
      index: 0,
      name: 'Daily cap',
      action: 'block',
      mode: 'enforce',
      priority: 100,
      enabled: true,
      transactions: 41,
      spendCents: 31250,
      examples: ['txn_a', 'txn_b'],
    },
  ],
  wouldHave: {
    block: { transactions: 41, spendCents: 31250 },
    pass: { transactions: 259, spendCents: 218750 },
  },
  actually: {
    pass: { transactions: 290, spendCents: 240000 },
    block: { transactions: 10, spendCents: 10000 },
  },
  difference: {
    newlyBlocked: { transactions: 38, spendCents: 30000, examples: ['txn_a', 'txn_b'] },
    newlyAdmitted: { transactions: 7, spendCents: 8750, examples: ['txn_z'] },
    actionChanged: { transactions: 45, spendCents: 38750, examples: [] },
    preventedSpendCents: 30000,
    addedSpendCents: 8750,
  },
};

function backtest(status: string, extra: Record<string, unknown> = {}) {
  return {
    id: 'bt_1',
    status,
    startDate: RESULT.periodStart,
    endDate: RESULT.periodEnd,
    ruleCount: 1,
    progress: { processed: 0, total: null, pct: null },
    result: null,
    error: null,
    createdAt: '2026-12-03T17:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    ...extra,
  };
}

/** The server of these tests: `polls` are getBacktest's answers in turn (the last one repeats). */
function serve(polls: unknown[], hits: unknown = HITS) {
  let poll = 0;
  return serveTrpc((path) => {
    switch (path) {
      case 'policyRules.list':
        return [RULE];
      case 'policyRules.hits':
        return hits;
      case 'policyRules.startBacktest':
        return backtest('queued');
      case 'policyRules.getBacktest':
        return polls[Math.min(poll++, polls.length - 1)];
      default:
        throw new Error(`unexpected ${path}`);
    }
  });
}

const READER = {
  status: 'signed-in' as const,
  session: { ...ADMIN_SESSION, permissions: ['policies:read'] },
};

afterEach(() => {
  vi.unstubAllGlobals();
  plotted.data.length = 0;
});

describe('a rule’s backtest and hits on the policy rules page', () => {
  it('backtests a stored rule: shows the replay’s progress, then what it would have blocked', async () => {
    const { calls } = serve([
      backtest('running', { progress: { processed: 120, total: 300, pct: 40 } }),
      backtest('done', { progress: { processed: 300, total: 300, pct: 100 }, result: RESULT }),
    ]);
    const user = userEvent.setup();
    renderWith(<RulesPage />);
    const open = await screen.findByRole('button', { name: 'Details of Daily cap' });
    expect(open.getAttribute('aria-expanded')).toBe('false');
    await user.click(open);
    expect(open.getAttribute('aria-expanded')).toBe('true');
    const details = document.getElementById(open.getAttribute('aria-controls') ?? '');
    if (!details) throw new Error('no details');
    expect(within(details).getByText(/replays it as if enabled/)).toBeTruthy();
    await user.click(
      within(details).getByRole('button', {
        name: 'Backtest this rule over the last 30 days',
      }),
    );
    const progress = await within(details).findByText('Replaying: 120 of 300 transactions (40%)');
    expect(progress.closest('[role="status"]')).toBeTruthy();
    const again = within(details).getByRole('button', { name: /^Backtest this rule/ });
    expect(again.getAttribute('aria-disabled')).toBe('true');
    // Still focusable, so the keyboard stays where it was, but a second start is not sent.
    await user.click(again);
    expect(calls.filter((c) => c.path === 'policyRules.startBacktest')).toHaveLength(1);
    expect(
      within(details).getByRole('progressbar', { name: 'Backtest progress' }).getAttribute('value'),
    ).toBe('40');

    const headline = await within(details).findByText(
      'Last 30 days: this rule would have blocked 41 transactions, $312.50.',
      {},
      { timeout: 3000 },
    );
    expect(headline.closest('[role="status"]')).toBeTruthy();
    expect(within(details).queryByRole('progressbar')).toBeNull();
    const text = details.textContent;
    expect(text).toContain('It would have let through 259 transactions, $2,187.50.');
    expect(text).toContain(
      'What happened: 300 transactions, $2,500.00 recorded; blocked 10 transactions, $100.00; let through 290 transactions, $2,400.00.',
    );
    expect(text).toContain(
      'Newly blocked (admitted then): 38 transactions, $300.00 — $300.00 of spend prevented. For example: txn_a, txn_b.',
    );
    expect(text).toContain(
      'Newly admitted (blocked then, by the rules in force): 7 transactions, $87.50 — $87.50 of spend let through. For example: txn_z.',
    );

    const start = calls.find((c) => c.path === 'policyRules.startBacktest');
    const input = start?.input as {
      rules: Record<string, unknown>[];
      startDate: string;
      endDate: string;
    };
    // The rule as stored, switched on, without the listing's warnings, in its dialect.
    const { warnings: _warnings, ...stored } = RULE;
    expect(input.rules).toEqual([{ ...stored, enabled: true, dialect: 'docs' }]);
    expect(Date.parse(input.endDate) - Date.parse(input.startDate)).toBe(30 * 86_400_000);
    const polls = calls.filter((c) => c.path === 'policyRules.getBacktest');
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(polls[0]?.input).toEqual({ id: 'bt_1' });
    // Polling stops once the backtest is done.
    const settled = polls.length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(calls.filter((c) => c.path === 'policyRules.getBacktest')).toHaveLength(settled);
  });

  it('shows why a backtest failed', async () => {
    serve([backtest('failed', { error: 'the replay ran out of time' })]);
    const user = userEvent.setup();
    renderWith(<RulesPage />);
    await user.click(await screen.findByRole('button', { name: 'Details of Daily cap' }));
    await user.click(
      screen.getByRole('button', { name: 'Backtest this rule over the last 30 days' }),
    );
    expect((await screen.findByRole('alert')).textContent).toBe(
      'The backtest failed: the replay ran out of time',
    );
    expect(screen.queryByText(/would have blocked/)).toBeNull();
  });

  it('backtests the draft in the form over the chosen period, before it is saved', async () => {
    const { calls } = serve([
      backtest('done', { progress: { processed: 300, total: 300, pct: 100 }, result: RESULT }),
    ]);
    const user = userEvent.setup();
    renderWith(<RulesPage />);
    const form = await screen.findByRole('form', { name: 'New rule' });
    const button = () => within(form).getByRole('button', { name: /^Backtest the draft rule/ });
    // An unnamed rule is no rule: its errors are shown, nothing is sent.
    await user.click(button());
    expect(within(form).getByText('Fix the rule’s errors above first.')).toBeTruthy();
    expect(within(form).getByText('must not be empty')).toBeTruthy();
    expect(calls.some((c) => c.path === 'policyRules.startBacktest')).toBe(false);

    await user.type(within(form).getByLabelText('Name'), 'Big calls');
    await user.type(within(form).getByLabelText('Limit (cents)'), '2000');
    await user.selectOptions(within(form).getByLabelText('Window'), 'daily');
    await user.selectOptions(within(form).getByLabelText('Period'), '7');
    expect(button().textContent).toBe('Backtest the draft rule over the last 7 days');
    await user.click(button());
    expect(
      await within(form).findByText(
        'Last 7 days: the draft rule would have blocked 41 transactions, $312.50.',
      ),
    ).toBeTruthy();
    const input = calls.find((c) => c.path === 'policyRules.startBacktest')?.input as {
      rules: unknown[];
      startDate: string;
      endDate: string;
    };
    expect(input.rules).toEqual([
      {
        name: 'Big calls',
        action: 'block',
        mode: 'enforce',
        priority: 100,
        conditions: { timeWindow: 'daily' },
        actionConfig: { limitCents: 2000 },
        dialect: 'docs',
      },
    ]);
    expect(Date.parse(input.endDate) - Date.parse(input.startDate)).toBe(7 * 86_400_000);
    // Changing the draft makes the result stale, and says so.
    await user.type(within(form).getByLabelText('Limit (cents)'), '0');
    expect(within(form).getByText(/The rule has changed since this backtest/)).toBeTruthy();
  });

  it('gives the hits chart’s figures as a table for screen readers', async () => {
    const { calls } = serve([]);
    const user = userEvent.setup();
    renderWith(<RulesPage />, READER);
    await user.click(await screen.findByRole('button', { name: 'Details of Daily cap' }));
    const table = await screen.findByRole('table', {
      name: 'Hits per day of “Daily cap” (days in Europe/Paris)',
    });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(31);
    const third = within(table).getByRole('rowheader', { name: '2026-11-03' }).closest('tr');
    expect(Array.from(third?.querySelectorAll('td') ?? []).map((td) => td.textContent)).toEqual([
      '9',
      '8',
      '1',
      '0',
      '$250.00',
    ]);
    expect(
      screen.getByText('12 hits in the last 30 days (10 blocked, 2 flagged), $312.50 in all.'),
    ).toBeTruthy();
    // The bars drawn are those figures, a day each.
    const [xs, ys] = plotted.data[plotted.data.length - 1] as [number[], number[]];
    expect(xs).toHaveLength(30);
    expect(ys.reduce((a, b) => a + b, 0)).toBe(12);
    expect(calls.find((c) => c.path === 'policyRules.hits')?.input).toEqual({
      id: 'rule_1',
      days: 30,
    });
    await user.selectOptions(screen.getByLabelText('Days shown'), '90');
    await waitFor(() => {
      expect(calls.filter((c) => c.path === 'policyRules.hits').at(-1)?.input).toEqual({
        id: 'rule_1',
        days: 90,
      });
    });
  });

  it('says so when a rule had no hits', async () => {
    serve([], NO_HITS);
    const user = userEvent.setup();
    renderWith(<RulesPage />);
    await user.click(await screen.findByRole('button', { name: 'Details of Daily cap' }));
    expect(await screen.findByText('No hits in the last 30 days.')).toBeTruthy();
    expect(screen.queryByRole('table', { name: /Hits per day/ })).toBeNull();
  });

  it('shows the hits’ error with a way to try again', async () => {
    serveTrpc((path) => {
      if (path === 'policyRules.hits') throw new Refusal(500, 'the database is away');
      return [RULE];
    });
    const user = userEvent.setup();
    renderWith(<RulesPage />, READER);
    await user.click(await screen.findByRole('button', { name: 'Details of Daily cap' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('the database is away');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });

  it('offers a reader the hits but no backtest to start', async () => {
    serve([]);
    const user = userEvent.setup();
    renderWith(<RulesPage />, READER);
    await user.click(await screen.findByRole('button', { name: 'Details of Daily cap' }));
    expect(await screen.findByRole('heading', { name: 'Hits per day' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Backtest/ })).toBeNull();
    expect(screen.queryByRole('heading', { name: 'Backtest' })).toBeNull();
  });

  it('offers only periods the server accepts', () => {
    expect(MAX_BACKTEST_DAYS).toBe(SERVER_MAX_BACKTEST_DAYS);
    expect(BACKTEST_PERIODS).toEqual([7, 30, 90]);
  });
});
