/** The lease arithmetic: caps as the engine compares, grant sizes, what fits a lease. */
import { describe, expect, it } from 'vitest';
import {
  capOf,
  fitsLease,
  grantSize,
  noCaps,
  overCaps,
  subTotals,
  sumByKey,
  tighten,
} from './leases.js';

const t = (costMicros: number, requests = 0, tokensIn = 0, tokensOut = 0) => ({
  costMicros,
  tokensIn,
  tokensOut,
  requests,
});

describe('capOf', () => {
  it('is the largest total the engine still lets through: total × 100 ≤ limit × scale × pct', () => {
    // $20.00 at 100 %: 2,000 cents × 1,000,000 µ¢.
    expect(capOf(2_000, 1_000_000, 100)).toBe(2_000_000_000);
    // 80 % of 7 requests: 5.6 → 5 (the 6th is over).
    expect(capOf(7, 1, 80)).toBe(5);
    // 150 % of 3: 4.5 → 4.
    expect(capOf(3, 1, 150)).toBe(4);
  });

  it('stays exact past 2^53 in the product and clamps to the largest exact number', () => {
    expect(capOf(90_000_000_000, 1_000_000, 100)).toBe(Number.MAX_SAFE_INTEGER);
    expect(capOf(9_000_000_000, 1_000_000, 100)).toBe(9_000_000_000_000_000);
  });
});

describe('tighten', () => {
  it('keeps the smallest cap per metric', () => {
    const caps = noCaps();
    tighten(caps, 'costMicros', 500);
    tighten(caps, 'costMicros', 900);
    tighten(caps, 'requests', 10);
    tighten(caps, 'requests', 4);
    expect(caps).toEqual({ costMicros: 500, tokensIn: null, tokensOut: null, requests: 4 });
  });
});

describe('grantSize', () => {
  it('grants the percent of the headroom in capped metrics and 0 in the others', () => {
    const caps = { ...noCaps(), costMicros: 1_000, requests: 100 };
    expect(grantSize(caps, t(200, 60, 5, 5), 10)).toEqual({
      costMicros: 80,
      tokensIn: 0,
      tokensOut: 0,
      requests: 4,
    });
  });

  it('shrinks near the cap and grants nothing once a capped metric would get nothing', () => {
    const caps = { ...noCaps(), costMicros: 1_000 };
    expect(grantSize(caps, t(900), 10)?.costMicros).toBe(10);
    expect(grantSize(caps, t(991), 10)).toBeNull();
    expect(grantSize(caps, t(1_000), 100)).toBeNull();
    // Past the cap (an observed call may take it there): nothing.
    expect(grantSize(caps, t(1_500), 100)).toBeNull();
  });

  it('never lets counter + grant pass a cap', () => {
    for (const cap of [1, 7, 99, 1_000, 123_456]) {
      for (const total of [0, 1, Math.floor(cap / 2), cap - 1, cap]) {
        for (const pct of [1, 10, 50, 100]) {
          const g = grantSize({ ...noCaps(), costMicros: cap }, t(total), pct);
          if (g) expect(total + g.costMicros).toBeLessThanOrEqual(cap);
        }
      }
    }
  });

  it('grants an all-zero lease on a counter without caps (its spend is folded in at return)', () => {
    expect(grantSize(noCaps(), t(5_000, 3), 10)).toEqual(t(0));
  });
});

describe('fitsLease', () => {
  it('checks capped metrics (granted > 0) and lets uncapped ones (granted 0) take anything', () => {
    const granted = t(100, 0);
    expect(fitsLease(granted, t(60, 9), t(40, 5))).toBe(true);
    expect(fitsLease(granted, t(60, 9), t(41, 0))).toBe(false);
    expect(fitsLease(t(100, 5), t(0, 5), t(1, 1))).toBe(false);
    expect(fitsLease(t(0), t(10 ** 12, 10 ** 6), t(10 ** 9, 1))).toBe(true);
  });
});

describe('sumByKey', () => {
  it('sums the unused parts of several leases on one counter', () => {
    const rows = [
      { key: 'a', cost_micros: '10', tokens_in: '0', tokens_out: '0', requests: '-2' },
      { key: 'a', cost_micros: 5, tokens_in: 0, tokens_out: 0, requests: 0 },
      { key: 'b', cost_micros: '1', tokens_in: '0', tokens_out: '0', requests: '0' },
    ];
    const sums = sumByKey(rows);
    expect(sums.get('a')).toEqual(t(15, -2));
    expect(sums.get('b')).toEqual(t(1));
    expect(subTotals(t(100, 10), t(15, -2))).toEqual(t(85, 12));
  });
});

describe('overCaps', () => {
  it('is true once a capped metric stands past its cap, never for an uncapped one', () => {
    const caps = { ...noCaps(), costMicros: 100 };
    expect(overCaps(caps, t(100, 10 ** 9))).toBe(false);
    expect(overCaps(caps, t(101))).toBe(true);
    expect(overCaps(noCaps(), t(10 ** 12, 10 ** 9))).toBe(false);
  });
});
