import { describe, expect, it } from 'vitest';
import { centsToField, parseDollars } from './money.js';

describe('dollars typed into a budget field', () => {
  it('become integer cents exactly', () => {
    expect(parseDollars('250')).toEqual({ cents: 25_000 });
    expect(parseDollars('$1,200.5')).toEqual({ cents: 120_050 });
    expect(parseDollars('0.07')).toEqual({ cents: 7 });
    expect(parseDollars('  ')).toEqual({ cents: null });
  });

  it('refuse what is not an amount', () => {
    expect(parseDollars('12.345')).toHaveProperty('error');
    expect(parseDollars('-5')).toHaveProperty('error');
    expect(parseDollars('ten')).toHaveProperty('error');
    expect(parseDollars('0')).toEqual({ cents: 0 });
  });

  it('round-trip through the field text', () => {
    for (const cents of [1, 99, 100, 25_050, 123_456_789]) {
      expect(parseDollars(centsToField(cents))).toEqual({ cents });
    }
    expect(centsToField(null)).toBe('');
  });
});
