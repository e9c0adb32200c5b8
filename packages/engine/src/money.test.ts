import { describe, expect, it } from 'vitest';
import {
  compareProducts,
  formatCents,
  formatInteger,
  formatMicros,
  microsToCentsCeil,
} from './money.js';

describe('money', () => {
  it('formats cents as dollars without locale', () => {
    expect(formatCents(2340)).toBe('$23.40');
    expect(formatCents(5000)).toBe('$50.00');
    expect(formatCents(123456789)).toBe('$1,234,567.89');
    expect(formatCents(0)).toBe('$0.00');
  });

  it('keeps the digits of sub-cent amounts', () => {
    expect(formatMicros(7500)).toBe('$0.000075');
    expect(formatMicros(1)).toBe('$0.00000001');
    expect(formatMicros(150_500_000)).toBe('$1.505');
  });

  it('groups integers by thousands', () => {
    expect(formatInteger(1234567)).toBe('1,234,567');
    expect(formatInteger(999)).toBe('999');
  });

  it('rounds current spend up to the cent so that an overshoot never reads as within', () => {
    expect(microsToCentsCeil(2000_000_001)).toBe(2001);
    expect(microsToCentsCeil(2000_000_000)).toBe(2000);
  });

  it('compares products exactly beyond the range of doubles', () => {
    // $1,000,000.00 and one microcent over, at 100 %: the double products would be equal.
    const limitCents = 100_000_000;
    expect(compareProducts(limitCents * 1_000_000 + 1, 100, limitCents, 100 * 1_000_000)).toBe(1);
    expect(compareProducts(limitCents * 1_000_000, 100, limitCents, 100 * 1_000_000)).toBe(0);
    expect(compareProducts(3, 100, 4, 75)).toBe(0);
  });
});
