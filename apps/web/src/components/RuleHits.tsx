import { useQuery } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { DailyBarChart } from './BarChart.js';
import { DaysSelect } from './Field.js';
import { Empty, QueryState } from './states.js';
import { formatCents, formatInteger } from '../lib/format.js';
import { trpc, type RouterOutputs } from '../lib/trpc.js';

type Hits = RouterOutputs['policyRules']['hits'];

/** Within the server's MAX_HIT_DAYS (366). */
export const HIT_PERIODS = [7, 30, 90];

/** Counts have no fractional ticks: uPlot's in-between ones are left unlabelled. */
const countTick = (v: number) => (Number.isInteger(v) ? formatInteger(v) : '');

const hitsOf = (n: number) => `${formatInteger(n)} ${n === 1 ? 'hit' : 'hits'}`;

/** A rule's hits (the transactions it decided) per day, as bars and as a table. */
export function RuleHits({ ruleId, ruleName }: { ruleId: string; ruleName: string }) {
  const heading = useId();
  const [days, setDays] = useState(30);
  const hits = useQuery({
    queryKey: ['policyRules.hits', ruleId, days],
    queryFn: () => trpc.policyRules.hits.query({ id: ruleId, days }),
  });
  return (
    <section className="rule-hits" aria-labelledby={heading}>
      <div className="card-head">
        <h3 id={heading}>Hits per day</h3>
        <DaysSelect label="Days shown" days={days} options={HIT_PERIODS} onChange={setDays} />
      </div>
      <QueryState
        query={hits}
        isEmpty={(h) => h.totals.hits === 0}
        empty={
          <Empty title={`No hits in the last ${String(days)} days.`}>
            “{ruleName}” decided no transaction in this period.
          </Empty>
        }
      >
        {(h) => <HitsChart hits={h} days={days} ruleName={ruleName} />}
      </QueryState>
    </section>
  );
}

function HitsChart({ hits, days, ruleName }: { hits: Hits; days: number; ruleName: string }) {
  const dates = useMemo(() => hits.days.map((d) => d.date), [hits]);
  const counts = useMemo(() => hits.days.map((d) => d.hits), [hits]);
  const t = hits.totals;
  const by = [
    t.blocked ? `${formatInteger(t.blocked)} blocked` : null,
    t.flagged ? `${formatInteger(t.flagged)} flagged` : null,
    t.warned ? `${formatInteger(t.warned)} warned` : null,
  ].filter(Boolean);
  return (
    <>
      <p>
        {hitsOf(t.hits)} in the last {days} days{by.length ? ` (${by.join(', ')})` : ''},{' '}
        {formatCents(t.amountCents)} in all.
      </p>
      <DailyBarChart days={dates} values={counts} label="Hits" format={countTick}>
        <table className="sr-only">
          <caption>
            Hits per day of “{ruleName}” (days in {hits.timeZone})
          </caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Hits</th>
              <th scope="col">Blocked</th>
              <th scope="col">Flagged</th>
              <th scope="col">Warned</th>
              <th scope="col">Amount</th>
            </tr>
          </thead>
          <tbody>
            {hits.days.map((d) => (
              <tr key={d.date}>
                <th scope="row">{d.date}</th>
                <td>{formatInteger(d.hits)}</td>
                <td>{formatInteger(d.blocked)}</td>
                <td>{formatInteger(d.flagged)}</td>
                <td>{formatInteger(d.warned)}</td>
                <td>{formatCents(d.amountCents)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </DailyBarChart>
    </>
  );
}
