import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatCents, formatDay } from '../lib/format.js';

export interface SpendPoint {
  start: string;
  spendCents: number;
  blockedCount: number;
}

/**
 * Spend per day as bars (uPlot: ~20 KB gzipped against Recharts' ~100 KB; see
 * scripts/bundle-size.ts). The same figures are in the table beside it for screen readers.
 */
export function SpendChart({
  points,
  from,
  to,
  height = 220,
}: {
  points: SpendPoint[];
  /** The period shown (ISO instants): days without spend are gaps, not squeezed out. */
  from: string;
  to: string;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = points.map((p) => Date.parse(p.start) / 1000);
    const ys = points.map((p) => p.spendCents / 100);
    const styles = getComputedStyle(el);
    const accent = styles.getPropertyValue('--accent').trim() || '#3b6df0';
    const ink = styles.getPropertyValue('--muted').trim() || '#666';
    const plot = new uPlot(
      {
        width: Math.max(el.clientWidth, 300),
        height,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: {
            time: true,
            range: [Date.parse(from) / 1000 - 43_200, Date.parse(to) / 1000 - 43_200],
          },
        },
        axes: [
          { stroke: ink, grid: { show: false } },
          {
            stroke: ink,
            size: 70,
            values: (_u, ticks) => ticks.map((t) => formatCents(Math.round(t * 100))),
          },
        ],
        series: [
          {},
          {
            label: 'Spend',
            stroke: accent,
            fill: `${accent}55`,
            width: 1,
            paths: uPlot.paths.bars?.({ size: [0.7, 40] }),
            points: { show: false },
          },
        ],
      },
      [xs, ys],
      el,
    );
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(el.clientWidth, 300), height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [points, from, to, height]);
  const total = points.reduce((s, p) => s + p.spendCents, 0);
  return (
    <figure className="chart">
      <div
        ref={box}
        role="img"
        aria-label={`Spend per day, ${points.length} days, ${formatCents(total)} in all`}
      />
      <details>
        <summary>Figures</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Spend</th>
              <th scope="col">Blocked</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.start}>
                <td>{formatDay(p.start)}</td>
                <td className="num">{formatCents(p.spendCents)}</td>
                <td className="num">{p.blockedCount}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

/** A breakdown (`{key: cents}`, largest first) as labelled bars: readable without a chart. */
export function Breakdown({ data, limit = 8 }: { data: Record<string, number>; limit?: number }) {
  const entries = Object.entries(data);
  const max = Math.max(1, ...entries.map(([, v]) => v));
  if (entries.length === 0) return <p className="muted">No spend in this period.</p>;
  return (
    <ul className="bars">
      {entries.slice(0, limit).map(([key, cents]) => (
        <li key={key}>
          <span className="bar-label" title={key}>
            {key}
          </span>
          <span className="bar-track" aria-hidden="true">
            <span className="bar-fill" style={{ width: `${(cents / max) * 100}%` }} />
          </span>
          <span className="num">{formatCents(cents)}</span>
        </li>
      ))}
      {entries.length > limit ? <li className="muted">and {entries.length - limit} more</li> : null}
    </ul>
  );
}
