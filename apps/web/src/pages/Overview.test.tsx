import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import superjson from 'superjson';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RouterOutputs } from '../lib/trpc.js';
import { renderWith } from '../test/render.js';
import { OverviewPage } from './Overview.js';

const summary: RouterOutputs['analytics']['summary'] = {
  period: 'monthly',
  timeZone: 'UTC',
  startDate: '2026-12-01T00:00:00.000Z',
  endDate: '2027-01-01T00:00:00.000Z',
  totalSpendCents: 11_359,
  totalSpendMicros: 11_359_000_000,
  byVendor: { anthropic: 6253, openai: 5106 },
  byAgent: { 'support-bot': 9000, 'intern-bot': 2359 },
  byModel: { 'gpt-4o': 5106, 'claude-sonnet-4': 6253 },
  byUser: {},
  transactionCount: 25,
  blockedCount: 2,
  flaggedCount: 12,
  warnedCount: 0,
  tokensIn: 25_000,
  tokensOut: 5000,
  shadow: { wouldBlock: 0, wouldWarn: 0, wouldFlag: 0 },
  groupBy: 'day',
  series: [],
};
const forecast: RouterOutputs['analytics']['forecast'] = {
  period: 'monthly',
  timeZone: 'UTC',
  periodStart: '2026-12-01T00:00:00.000Z',
  periodEnd: '2027-01-01T00:00:00.000Z',
  totalSpendCents: 11_359,
  projectedSpendCents: 134_505,
  budgetCents: 100_000,
  budgetUtilizationPct: 11.4,
  burnRateCentsPerDay: 4339,
  runsOutAt: '2026-12-23T10:00:00.000Z',
  budgetExhausted: false,
  method: 'linear',
};
const answers: Record<string, unknown> = {
  'analytics.summary': summary,
  'analytics.forecast': forecast,
  'analytics.anomalies': {
    hours: 24,
    method: 'robust-z-seasonal',
    anomalies: [
      {
        agentId: 'intern-bot',
        metric: 'spend',
        windowStart: '2026-12-03T14:00:00.000Z',
        windowEnd: '2026-12-03T15:00:00.000Z',
        observed: 5000,
        expected: 120,
        score: 9.25,
        baselineDays: 7,
      },
    ],
  },
  'alerts.list': { alerts: [], count: 0, total: 3, nextCursor: null },
};

/** The server's batched answer: each procedure's data, superjson-encoded. */
function serve(url: string) {
  const path = new URL(url, 'http://127.0.0.1').pathname.replace(/^\/trpc\//, '');
  const body = path.split(',').map((p) => ({ result: { data: superjson.serialize(answers[p]) } }));
  return Promise.resolve(
    new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } }),
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the overview', () => {
  it('shows the month so far, the forecast against the budget, alerts and anomalies', async () => {
    vi.stubGlobal('fetch', vi.fn(serve));
    renderWith(<OverviewPage />);
    expect(await screen.findByText('$113.59')).toBeTruthy();
    const tiles = screen.getByRole('region', { name: 'This month' });
    expect(within(tiles).getByText('25 transactions')).toBeTruthy();
    expect(within(tiles).getByRole('link', { name: '12' }).getAttribute('href')).toBe('/review');
    expect(await within(tiles).findByRole('link', { name: '3' })).toBeTruthy();
    expect(screen.getByText('$1,345.05')).toBeTruthy();
    expect(screen.getByText('$1,000.00')).toBeTruthy();
    expect(screen.getByText('11%')).toBeTruthy();
    expect(screen.getByText('$43.39 a day')).toBeTruthy();
    expect(screen.getByText('No spend recorded this month yet.')).toBeTruthy();
    const anomaly = (await screen.findByText('intern-bot')).closest('tr');
    expect(anomaly?.textContent).toContain('$50.00');
    expect(anomaly?.textContent).toContain('9.3');
  });

  it('switches the spend breakdown between vendor, agent and model', async () => {
    vi.stubGlobal('fetch', vi.fn(serve));
    const user = userEvent.setup();
    renderWith(<OverviewPage />);
    await screen.findByText('anthropic');
    const vendor = screen.getByRole('button', { name: 'Vendor' });
    expect(vendor.getAttribute('aria-pressed')).toBe('true');
    await user.click(screen.getByRole('button', { name: 'Agent' }));
    expect(screen.getByText('support-bot')).toBeTruthy();
    expect(screen.queryByText('anthropic')).toBeNull();
    expect(screen.getByRole('button', { name: 'Agent' }).getAttribute('aria-pressed')).toBe('true');
  });
});
