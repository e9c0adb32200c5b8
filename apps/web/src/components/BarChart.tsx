import { useEffect, useRef, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const DAY_S = 86_400;
const plain = (v: number) => String(v);

/**
 * One bar per calendar day (`YYYY-MM-DD`, already in the organization's zone) drawn with uPlot,
 * like SpendChart. The canvas says nothing to assistive technology: `children` carries the same
 * figures as text (a visually hidden table, say) so nothing is only in the picture.
 */
export function DailyBarChart({
  days,
  values,
  label,
  format = plain,
  height = 160,
  children,
}: {
  days: string[];
  values: number[];
  /** The series' name (the tooltip's, and the chart's for people who hover). */
  label: string;
  format?: (value: number) => string;
  height?: number;
  children: ReactNode;
}) {
  // The arrays and `format` are effect dependencies: callers memoize them so a re-render does
  // not redraw the plot.
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || days.length === 0) return;
    // Days are the organization's dates, not instants: plotted at UTC midnight and labelled in
    // UTC, so a viewer in another zone sees the same dates as the figures.
    const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const styles = getComputedStyle(el);
    const accent = styles.getPropertyValue('--accent').trim() || '#3b6df0';
    const ink = styles.getPropertyValue('--muted').trim() || '#666';
    const first = xs[0] ?? 0;
    const last = xs[xs.length - 1] ?? first;
    const plot = new uPlot(
      {
        width: Math.max(el.clientWidth, 300),
        height,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: {
          x: { time: true, range: [first - DAY_S / 2, last + DAY_S / 2] },
          y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
        },
        axes: [
          { stroke: ink, grid: { show: false } },
          { stroke: ink, size: 60, values: (_u, ticks) => ticks.map(format) },
        ],
        series: [
          {},
          {
            label,
            stroke: accent,
            fill: `${accent}55`,
            width: 1,
            paths: uPlot.paths.bars?.({ size: [0.7, 40] }),
            points: { show: false },
          },
        ],
      },
      [xs, values],
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
  }, [days, values, label, format, height]);
  return (
    <figure className="chart">
      <div ref={box} aria-hidden="true" />
      {children}
    </figure>
  );
}
