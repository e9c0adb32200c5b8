import { describe, expect, it } from 'vitest';
import { formatUsd, parsePrice, parseRpm } from './vendorForm.js';

describe('a per-minute limit typed into a vendor row', () => {
  it('is a whole number from 1 to 1,000,000, or none when empty', () => {
    expect(parseRpm(' 600 ')).toEqual({ rpm: 600 });
    expect(parseRpm('1,000,000')).toEqual({ rpm: 1_000_000 });
    expect(parseRpm('')).toEqual({ rpm: null });
    for (const bad of ['0', '-5', '2.5', '1000001', 'ten']) {
      expect(parseRpm(bad)).toHaveProperty('error');
    }
  });
});

describe('a price typed into an override', () => {
  it('is dollars up to the ceiling given, or not overridden when empty', () => {
    expect(parsePrice('$0.075', 10_000)).toEqual({ usd: 0.075 });
    expect(parsePrice('10,000', 10_000)).toEqual({ usd: 10_000 });
    expect(parsePrice('0', 10)).toEqual({ usd: 0 });
    expect(parsePrice(' ', 10)).toEqual({ usd: undefined });
    expect(parsePrice('10.01', 10)).toEqual({ error: 'At most $10' });
    for (const bad of ['-1', '1e3', 'free', '1.1234567']) {
      expect(parsePrice(bad, 10_000)).toHaveProperty('error');
    }
  });

  it('prints with at least cents and as many decimals as the table has', () => {
    expect(formatUsd(2.5)).toBe('$2.50');
    expect(formatUsd(0.075)).toBe('$0.075');
    expect(formatUsd(10_000)).toBe('$10,000.00');
    expect(formatUsd(null)).toBe('—');
  });
});
