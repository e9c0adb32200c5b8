import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { Breakdown, SpendChart } from '../components/SpendChart.js';
import { ErrorState, Loading, QueryState } from '../components/states.js';
import { useCan } from '../lib/auth.js';
import { formatCents, formatInteger, formatPct, formatTime } from '../lib/format.js';
import { fromBoot } from '../lib/boot.js';
import { trpc } from '../lib/trpc.js';

const BREAKDOWNS = [
  { key: 'byVendor', label: 'Vendor' },
  { key: 'byAgent', label: 'Agent' },
  { key: 'byModel', label: 'Model' },
] as const;

/**
 * The overview's reads: when the dashboard opened here, the answers public/boot.js fetched before
 * the bundle loaded (the same calls; lib/boot.ts), else asked for.
 */
const summaryInput = { period: 'monthly', groupBy: 'day' } as const;
const forecastInput = { period: 'monthly' } as const;
const anomaliesInput = { hours: 24 } as const;
const unreadInput = { read: false, limit: 1 } as const;
const overviewQueries = {
  summary: {
    queryKey: ['analytics.summary', 'monthly', 'day'],
    queryFn: () =>
      fromBoot({ path: 'analytics.summary', input: summaryInput }, () =>
        trpc.analytics.summary.query(summaryInput),
      ),
  },
  forecast: {
    queryKey: ['analytics.forecast', 'monthly'],
    queryFn: () =>
      fromBoot({ path: 'analytics.forecast', input: forecastInput }, () =>
        trpc.analytics.forecast.query(forecastInput),
      ),
  },
  anomalies: {
    queryKey: ['analytics.anomalies', 24],
    queryFn: () =>
      fromBoot({ path: 'analytics.anomalies', input: anomaliesInput }, () =>
        trpc.analytics.anomalies.query(anomaliesInput),
      ),
  },
  unread: {
    queryKey: ['alerts.list', 'unread-count'],
    queryFn: () =>
      fromBoot({ path: 'alerts.list', input: unreadInput }, () =>
        trpc.alerts.list.query(unreadInput),
      ),
  },
};

export function OverviewPage() {
  const canAlerts = useCan('alerts:read');
  const summary = useQuery(overviewQueries.summary);
  const forecast = useQuery(overviewQueries.forecast);
  const anomalies = useQuery(overviewQueries.anomalies);
  const unread = useQuery({ ...overviewQueries.unread, enabled: canAlerts });
  const [by, setBy] = useState<(typeof BREAKDOWNS)[number]['key']>('byVendor');

  return (
    <>
      <h1>Overview</h1>
      <QueryState query={summary}>
        {(s) => (
          <>
            <section className="tiles" aria-label="This month">
              <div className="tile">
                <p className="tile-label">Spend this month</p>
                <p className="tile-value">{formatCents(s.totalSpendCents)}</p>
                <p className="muted">{formatInteger(s.transactionCount)} transactions</p>
              </div>
              <div className="tile">
                <p className="tile-label">Blocked</p>
                <p className="tile-value">{formatInteger(s.blockedCount)}</p>
              </div>
              <div className="tile">
                <p className="tile-label">Flagged</p>
                <p className="tile-value">
                  <Link href="/review">{formatInteger(s.flaggedCount)}</Link>
                </p>
              </div>
              <div className="tile">
                <p className="tile-label">Warned</p>
                <p className="tile-value">{formatInteger(s.warnedCount)}</p>
              </div>
              {canAlerts ? (
                <div className="tile">
                  <p className="tile-label">Unread alerts</p>
                  <p className="tile-value">
                    {unread.data ? (
                      <Link href="/alerts">{formatInteger(unread.data.total)}</Link>
                    ) : unread.error ? (
                      '—'
                    ) : (
                      '…'
                    )}
                  </p>
                </div>
              ) : null}
            </section>
            <section className="card">
              <h2>Spend per day</h2>
              {s.series && s.series.some((p) => p.spendCents > 0) ? (
                <SpendChart points={s.series} from={s.startDate} to={s.endDate} />
              ) : (
                <p className="muted">No spend recorded this month yet.</p>
              )}
            </section>
            <section className="card">
              <div className="card-head">
                <h2>Spend by</h2>
                <div role="group" aria-label="Break spend down by" className="segmented">
                  {BREAKDOWNS.map((b) => (
                    <button
                      key={b.key}
                      type="button"
                      aria-pressed={by === b.key}
                      onClick={() => {
                        setBy(b.key);
                      }}
                    >
                      {b.label}
                    </button>
                  ))}
                </div>
              </div>
              <Breakdown data={s[by]} />
            </section>
          </>
        )}
      </QueryState>
      <section className="card">
        <h2>Forecast</h2>
        <QueryState query={forecast}>
          {(f) => (
            <dl className="facts">
              <dt>Spent so far</dt>
              <dd>
                {formatCents(f.totalSpendCents)}
                {f.budgetCents
                  ? ` (${formatPct((f.totalSpendCents * 100) / f.budgetCents)} of budget)`
                  : ''}
              </dd>
              <dt>Projected this month</dt>
              <dd>{formatCents(f.projectedSpendCents)}</dd>
              <dt>Budget</dt>
              <dd>
                {f.budgetCents === null ? 'No monthly budget set' : formatCents(f.budgetCents)}
              </dd>
              <dt>Projected share of budget</dt>
              <dd>{formatPct(f.budgetUtilizationPct)}</dd>
              <dt>Burn rate</dt>
              <dd>{formatCents(f.burnRateCentsPerDay)} a day</dd>
              <dt>Runs out</dt>
              <dd>
                {f.budgetExhausted
                  ? 'Budget exhausted'
                  : f.runsOutAt
                    ? formatTime(f.runsOutAt)
                    : 'Not within this month'}
              </dd>
            </dl>
          )}
        </QueryState>
      </section>
      <section className="card">
        <h2>Anomalies, last 24 hours</h2>
        {anomalies.isPending ? (
          <Loading />
        ) : anomalies.error ? (
          <ErrorState error={anomalies.error} onRetry={() => void anomalies.refetch()} />
        ) : anomalies.data.anomalies.length === 0 ? (
          <p className="muted">
            Nothing unusual: every agent’s hourly spend and requests look like its usual days.
          </p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Metric</th>
                <th scope="col">Hour</th>
                <th scope="col">Observed</th>
                <th scope="col">Expected</th>
                <th scope="col">Score</th>
              </tr>
            </thead>
            <tbody>
              {anomalies.data.anomalies.map((a) => (
                <tr key={`${a.agentId}-${a.metric}-${a.windowStart}`}>
                  <td>{a.agentId}</td>
                  <td>{a.metric}</td>
                  <td>{formatTime(a.windowStart)}</td>
                  <td className="num">
                    {a.metric === 'spend' ? formatCents(a.observed) : a.observed}
                  </td>
                  <td className="num">
                    {a.metric === 'spend' ? formatCents(a.expected) : a.expected}
                  </td>
                  <td className="num">{a.score.toFixed(1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
