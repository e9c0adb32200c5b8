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
  delete window.__reinsBoot;
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

  it('opened on the overview, renders from what the boot script fetched: no call after it', async () => {
    const fetch = vi.fn(serve);
    vi.stubGlobal('fetch', fetch);
    // Plain JavaScript served as is, run here for its effect.
    await import('../../public/boot.js');
    const asked = fetch.mock.calls.map((c) => decodeURIComponent(c[0]));
    expect(asked[0]).toBe('/api/auth/session');
    expect(asked[1]).toMatch(
      /^\/trpc\/analytics\.summary,analytics\.forecast,analytics\.anomalies,alerts\.list\?batch=1/,
    );
    renderWith(<OverviewPage />);
    expect(await screen.findByText('$113.59')).toBeTruthy();
    expect(await screen.findByText('intern-bot')).toBeTruthy();
    expect(await screen.findByRole('link', { name: '3' })).toBeTruthy();
    // Every read of the page matched a boot call (same procedure, same input).
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('asks again for what the boot batch answered with an error', async () => {
    const fetch = vi.fn((url: string) => {
      if (!url.startsWith('/trpc/')) return serve(url);
      const paths = new URL(url, 'http://127.0.0.1').pathname.replace(/^\/trpc\//, '').split(',');
      if (paths.length === 1) return serve(url);
      // The boot batch: anomalies failed (a 500), the rest answered.
      const body = paths.map((p) =>
        p === 'analytics.anomalies'
          ? { error: { json: { message: 'down', code: -32603, data: { httpStatus: 500 } } } }
          : { result: { data: superjson.serialize(answers[p]) } },
      );
      return Promise.resolve(new Response(JSON.stringify(body), { status: 207 }));
    });
    vi.stubGlobal('fetch', fetch);
    const batch = '/trpc/analytics.summary,analytics.forecast,analytics.anomalies,alerts.list';
    window.__reinsBoot = {
      batch: {
        calls: [
          { path: 'analytics.summary', input: { period: 'monthly', groupBy: 'day' } },
          { path: 'analytics.forecast', input: { period: 'monthly' } },
          { path: 'analytics.anomalies', input: { hours: 24 } },
          { path: 'alerts.list', input: { read: false, limit: 1 } },
        ],
        response: fetch(`${batch}?batch=1`),
      },
    };
    renderWith(<OverviewPage />);
    expect(await screen.findByText('$113.59')).toBeTruthy();
    expect(await screen.findByText('intern-bot')).toBeTruthy();
    const again = fetch.mock.calls.map((c) => c[0]).filter((u) => u !== `${batch}?batch=1`);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatch(/^\/trpc\/analytics\.anomalies\?/);
  });
});
