import { describe, expect, it } from 'vitest';
import { projectSpend, scoreAnomaly } from './analytics.js';

const DAY = 86_400_000;
const may = { start: Date.UTC(2026, 4, 1), end: Date.UTC(2026, 5, 1) };

describe('projectSpend', () => {
  it("reproduces the docs' forecast: 7800 cents in 5 days of a 31-day month", () => {
    const p = projectSpend(7800, may, may.start + 5 * DAY, 50_000);
    expect(p).toMatchObject({
      projected: 48_360,
      burnPerDay: 1560,
      budget: 50_000,
      utilizationPct: 96.7,
      exhausted: false,
    });
    // 42,200 more cents at 1,560 a day: 27.05 days after the 6th, past the 31st.
    expect(p.runsOutAtMs).toBeNull();
  });

  it('says when the budget runs out within the period', () => {
    const p = projectSpend(10_000, may, may.start + 5 * DAY, 20_000);
    // 2,000 a day: the other 10,000 take 5 more days.
    expect(p.runsOutAtMs).toBe(may.start + 10 * DAY);
    expect(p.utilizationPct).toBe(310);
  });

  it('does not extrapolate the first minutes of a period as if they were its rate', () => {
    const p = projectSpend(100, may, may.start + 60_000, null);
    // Elapsed is at least 1/24 of the month (31 hours): 100 × 24.
    expect(p.projected).toBe(2400);
    expect(p.utilizationPct).toBeNull();
  });

  it('reports an exhausted budget without a run-out date', () => {
    const p = projectSpend(600, may, may.start + 10 * DAY, 500);
    expect(p).toMatchObject({ exhausted: true, runsOutAtMs: null });
  });
});

describe('scoreAnomaly', () => {
  const opts = { threshold: 3.5, minHistory: 7, minScale: 1 };

  it('flags an hour far above the same hour of earlier days', () => {
    const s = scoreAnomaly([10, 12, 11, 9, 10, 13, 11, 10], 60, opts);
    expect(s.expected).toBe(10.5);
    expect(s.anomalous).toBe(true);
    expect(s.score).toBeGreaterThan(20);
  });

  it('is not dragged by one past spike in the history', () => {
    const s = scoreAnomaly([10, 12, 11, 9, 500, 13, 11, 10], 60, opts);
    expect(s.expected).toBe(11);
    expect(s.anomalous).toBe(true);
  });

  it('ignores ordinary variation and drops', () => {
    expect(scoreAnomaly([10, 12, 11, 9, 10, 13, 11, 10], 13, opts).anomalous).toBe(false);
    expect(scoreAnomaly([10, 12, 11, 9, 10, 13, 11, 10], 0, opts).anomalous).toBe(false);
  });

  it('needs enough history before it judges', () => {
    expect(scoreAnomaly([10, 10, 10], 1000, opts).anomalous).toBe(false);
  });

  it('does not call a flat history infinite: the spread is at least minScale', () => {
    const s = scoreAnomaly([0, 0, 0, 0, 0, 0, 0], 3, { ...opts, minScale: 1 });
    expect(s.score).toBe(3);
    expect(s.anomalous).toBe(false);
  });
});
