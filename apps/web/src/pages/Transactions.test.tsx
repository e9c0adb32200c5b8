import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { TraceView, type Trace } from '../components/TraceView.js';
import { TransactionsTable, type Transaction } from './Transactions.js';

function txn(over: Partial<Transaction>): Transaction {
  return {
    id: 'txn_1',
    amount: 925,
    amountMicros: 925_000_000,
    vendor: 'anthropic',
    model: 'claude-sonnet-4',
    agentId: 'support-bot',
    userId: null,
    userRoles: [],
    teamId: null,
    projectId: null,
    tokensIn: 1000,
    tokensOut: 200,
    prompt: null,
    response: null,
    metadata: {},
    timestamp: '2026-12-03T14:42:00.000Z',
    createdAt: '2026-12-03T14:42:00.000Z',
    action: 'flag',
    ruleId: 'rule_1',
    status: 'final',
    phase: 'final',
    policyResult: {},
    priceSource: null,
    priceVersion: null,
    review: { state: 'open', reviewedBy: null, reviewedAt: null, note: null },
    ...over,
  };
}

describe('the transactions table', () => {
  it('shows one row per transaction with its amount, tokens and decision', () => {
    render(
      <TransactionsTable
        rows={[
          txn({}),
          txn({ id: 'txn_2', amount: 123_456, action: 'block', review: null, model: null }),
        ]}
        onOpen={() => {}}
      />,
    );
    const rows = screen.getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    const [row1, row2] = rows;
    if (!row1 || !row2) throw new Error('two rows expected');
    const first = within(row1);
    expect(first.getByText('$9.25')).toBeTruthy();
    expect(first.getByText('1,200')).toBeTruthy();
    expect(first.getByText('flag')).toBeTruthy();
    expect(first.getByText('open')).toBeTruthy();
    const second = within(row2);
    expect(second.getByText('$1,234.56')).toBeTruthy();
    expect(second.getByText('block')).toBeTruthy();
  });

  it('opens a row’s trace from a real button', async () => {
    const onOpen = vi.fn();
    const user = userEvent.setup();
    render(<TransactionsTable rows={[txn({ id: 'txn_abc' })]} onOpen={onOpen} />);
    await user.tab();
    const button = screen.getByRole('button', { name: 'Open the decision trace of txn_abc' });
    expect(document.activeElement).toBe(button);
    await user.keyboard('{Enter}');
    expect(onOpen).toHaveBeenCalledWith('txn_abc');
  });

  it('says so when no transaction matches', () => {
    render(<TransactionsTable rows={[]} onOpen={() => {}} />);
    expect(screen.getByRole('status').textContent).toContain('No transactions match.');
    expect(screen.queryByRole('table')).toBeNull();
  });
});

describe('the decision trace', () => {
  const trace = {
    traceId: 'trc_1',
    transactionId: 'txn_1',
    finalAction: 'block',
    policyResult: {},
    evaluatedAt: '2026-12-03T14:42:00.000Z',
    evaluatedRules: [
      {
        ruleId: 'rule_a',
        ruleName: 'Shadow cap',
        priority: 1,
        action: 'block',
        mode: 'shadow',
        reached: true,
        matched: true,
        decisive: false,
        reason: 'Would block: daily spend over $50',
      },
      {
        ruleId: 'rule_b',
        ruleName: 'Daily budget',
        priority: 5,
        action: 'block',
        mode: 'enforce',
        reached: true,
        matched: true,
        decisive: true,
        reason: 'Daily spend $52.10 is over the $50.00 limit',
        figures: {
          metric: 'cost_cents',
          per: 'agent',
          group: 'support-bot',
          windowKey: 'k',
          before: 5_000_000_000,
          current: 5_210_000_000,
          limit: 5_000_000_000,
          thresholdPct: 100,
        },
      },
      {
        ruleId: 'rule_c',
        ruleName: 'Flag big calls',
        priority: 10,
        action: 'flag',
        mode: 'enforce',
        reached: false,
        matched: false,
        decisive: false,
        reason: 'Not reached: "Daily budget" decided first',
      },
    ],
  } as Trace;

  it('lists every rule in evaluation order with its outcome and reason', () => {
    render(<TraceView trace={trace} />);
    const items = screen.getAllByRole('listitem');
    expect(items.map((li) => li.querySelector('strong')?.textContent)).toEqual([
      'Shadow cap',
      'Daily budget',
      'Flag big calls',
    ]);
    const [shadow, decisive, unreached] = items;
    if (!shadow || !decisive || !unreached) throw new Error('three rules expected');
    expect(within(shadow).getByText('shadow')).toBeTruthy();
    expect(within(decisive).getByText('decided')).toBeTruthy();
    expect(within(unreached).getByText('not reached')).toBeTruthy();
    expect(decisive.textContent).toContain('Daily spend $52.10 is over the $50.00 limit');
  });

  it('shows a window’s figures in dollars, converted from microcents', () => {
    render(<TraceView trace={trace} />);
    expect(screen.getByText(/agent support-bot: \$52\.10 of \$50\.00/)).toBeTruthy();
  });
});
