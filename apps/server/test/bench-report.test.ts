/**
 * The HTTP benchmark's soak verdict and its `--only` (`bench/report.ts`): pure, no server, no
 * database.
 */
import { describe, expect, it } from 'vitest';
import {
  memoryTable,
  memoryVerdict,
  onlyPhases,
  slope,
  type MemorySample,
} from '../bench/report.js';

/**
 * Samples every 5 s for `seconds`, RSS given by `rss(t)` (its low point in the interval by
 * `low(t)`), plus the t = 0 one before the load.
 */
function run(
  seconds: number,
  rss: (t: number) => number,
  low: (t: number) => number = rss,
): MemorySample[] {
  const out: MemorySample[] = [];
  for (let t = 0; t <= seconds; t += 5) {
    out.push({
      t,
      txPerS: t === 0 ? null : 1000,
      rssMb: rss(t),
      rssMinMb: low(t),
      rssMaxMb: Math.max(rss(t), low(t)),
      heapUsedMb: 40,
      heapTotalMb: 60,
      externalMb: 5,
      arrayBuffersMb: 2,
    });
  }
  return out;
}

describe('slope', () => {
  it('is the least-squares slope', () => {
    const line = slope([0, 1, 2, 3].map((x) => ({ x, y: 3 * x + 1 })));
    expect(line.slope).toBeCloseTo(3);
    expect(line.stdErr).toBeCloseTo(0);
    // Noise around a line: the fit, not the end points; residuals ±0.2, ±0.6.
    const noisy = slope([
      { x: 0, y: 0 },
      { x: 1, y: 2 },
      { x: 2, y: 2 },
      { x: 3, y: 4 },
    ]);
    expect(noisy.slope).toBeCloseTo(1.2);
    expect(noisy.stdErr).toBeCloseTo(Math.sqrt(0.8 / 2 / 5));
  });

  it('is NaN without two distinct x', () => {
    expect(slope([{ x: 1, y: 1 }]).slope).toBeNaN();
    expect(
      slope([
        { x: 1, y: 1 },
        { x: 1, y: 2 },
      ]).slope,
    ).toBeNaN();
    expect(
      slope([
        { x: 1, y: 1 },
        { x: 2, y: 2 },
      ]).stdErr,
    ).toBeNaN();
  });
});

describe('memoryVerdict', () => {
  it('calls a plateau after the first minute flat, whatever the growth inside that minute', () => {
    // 120 MB idle, the working size (200 MB) reached by 40 s, then ±1 MB of jitter.
    const v = memoryVerdict(
      run(300, (t) => (t < 40 ? 120 + 2 * t : 200 + (t % 10 === 0 ? 1 : -1))),
    );
    expect(v.windowS).toBe(60);
    expect(v.lastMedianMb).toBeCloseTo(200, 0);
    expect(Math.abs(v.slopeMbPerMin)).toBeLessThan(0.5);
    expect(v.flat).toBe(true);
  });

  it('calls a steady leak of 3 MB/min not flat, though it stays within 10 %', () => {
    const v = memoryVerdict(run(300, (t) => 300 + (3 * t) / 60));
    expect(v.slopeMbPerMin).toBeCloseTo(3, 5);
    expect(Math.abs(v.drift)).toBeLessThan(0.1);
    expect(v.flat).toBe(false);
  });

  it('calls a step of more than 10 % just after the first minute not flat', () => {
    // The fit after the first minute sees a level line; the medians see the step.
    const v = memoryVerdict(run(300, (t) => (t > 60 ? 230 : 200)));
    expect(v.slopeMbPerMin).toBe(0);
    expect(v.drift).toBeGreaterThan(0.1);
    expect(v.flat).toBe(false);
  });

  it('uses a third of a run shorter than three minutes for each window', () => {
    const v = memoryVerdict(run(60, () => 150));
    expect(v.windowS).toBe(20);
    expect(v.samplesAfterFirstWindow).toBe(8);
    expect(v.flat).toBe(true);
    expect(v.maxMb).toBe(150);
  });

  it('is inconclusive without samples after the first window', () => {
    expect(memoryVerdict(run(5, () => 150)).flat).toBeNull();
    expect(memoryVerdict([]).flat).toBeNull();
  });

  it("reads each interval's low point when asked", () => {
    // The sampled RSS saws between 200 and 260 MB with the collections; the low point is level.
    const samples = run(
      300,
      (t) => (t % 10 === 0 ? 260 : 200),
      () => 195,
    );
    const lows = memoryVerdict(samples, 'rssMinMb');
    expect(lows.series).toBe('rssMinMb');
    expect(lows.slopeMbPerMin).toBe(0);
    expect(lows.flat).toBe(true);
    expect(lows.maxMb).toBe(260);
    expect(memoryVerdict(samples).slopeStdErrMbPerMin).toBeGreaterThan(1);
  });

  it('prints one row per sample and the rule', () => {
    const samples = run(60, () => 150);
    const text = memoryTable(samples, [memoryVerdict(samples), memoryVerdict(samples, 'rssMinMb')]);
    expect(text.split('\n').filter((l) => /^\| \d/.test(l))).toHaveLength(samples.length);
    expect(text).toContain('Memory: RSS flat');
    expect(text).toContain("Memory: RSS's low point per interval flat");
    expect(text).toContain('< 2 MB/min');
  });
});

describe("the benchmark's --only", () => {
  const phases = [
    'floor: 1,000 req/s, no database',
    '500 tx/s',
    '1,000 tx/s',
    '2,000 tx/s',
    'saturation, 16 conn.',
    'saturation, 256 conn.',
    'floor at saturation, 256 conn.',
  ].map((name) => ({ name }));
  const picked = (only: string) => onlyPhases(phases, only).map((p) => p.name);

  it('picks the phases whose names hold the whole value, commas included', () => {
    expect(picked('1,000 tx/s')).toEqual(['1,000 tx/s']);
    expect(picked('saturation, 256')).toEqual([
      'saturation, 256 conn.',
      'floor at saturation, 256 conn.',
    ]);
  });

  it('splits the value at its commas when no name holds it whole', () => {
    expect(picked('floor:,500')).toEqual(['floor: 1,000 req/s, no database', '500 tx/s']);
    expect(picked('nothing,at all')).toEqual([]);
  });
});
